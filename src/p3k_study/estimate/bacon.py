"""Goodman-Bacon (2021) decomposition of the TWFE coefficient under staggered adoption.

For a binary, absorbing treatment on a balanced panel the TWFE coefficient on D is a weighted
average of all 2x2 DiDs between timing groups (and the never-treated group U):

* treated vs never treated (k vs U),
* earlier vs later treated (k vs l, window before l is treated; l is a clean control),
* later vs earlier treated (l vs k, window after k is treated; k is an already-treated control,
  the "forbidden" comparison that biases TWFE when effects grow over time).

Weights follow Goodman-Bacon (2021, Theorem 1): they depend on group sizes and on the variance
of treatment within each 2x2; they sum to one and the weighted sum of the 2x2 estimates equals
the TWFE coefficient exactly. Units treated in the first period are an "always treated" group
(only used as a control); units first treated after the last period count as never treated.

The theorem needs a balanced panel, so on an unbalanced one only the units observed (with an
outcome) in every period are decomposed: that is the TWFE of a different sample, which can
differ a lot from the TWFE of all rows (issue 14: 12 of 770 units on the IKM sample, 1.51
against 1.38). The result carries both coefficients and both samples (`twfe`, `n_units`,
`n_obs` for the decomposed sample; `twfe_full`, `n_units_full`, `n_obs_full` for all rows
with an outcome) and its tidy() and summary() show them side by side.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyfixest as pf
from pyfixest.estimation import demean

from ._common import (
    EstimationError,
    EstimationWarning,
    PeriodLabels,
    format_tidy,
    no_inference_tidy,
)
from ._panel import wide_panel

TYPES = ("Treated vs never treated", "Earlier vs later treated", "Later vs earlier treated")


@dataclass
class BaconResult:
    """The 2x2 comparisons and the TWFE coefficient they decompose.

    Attributes
    ----------
    table : DataFrame
        One row per 2x2: type, treated, control (cohorts), estimate, weight.
    twfe : float
        The TWFE coefficient of the decomposed (balanced) sample: the weighted sum of `table`.
    twfe_full : float
        The TWFE coefficient of every row with an outcome (equal to `twfe` on a balanced panel).
    n_units, n_obs : int
        Units and rows of the decomposed sample.
    n_units_full, n_obs_full : int
        Units and rows with an outcome in the data given.
    """

    table: pd.DataFrame
    twfe: float
    outcome: str
    notes: list[str] = field(default_factory=list)
    twfe_full: float = np.nan
    n_units: int = 0
    n_obs: int = 0
    n_units_full: int = 0
    n_obs_full: int = 0
    labels: PeriodLabels = field(default_factory=PeriodLabels, repr=False)

    @property
    def balanced(self) -> bool:
        """True when the decomposed sample is every row with an outcome."""
        return self.n_obs == self.n_obs_full

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate per comparison type.

        Returns
        -------
        DataFrame
            Columns type, weight, estimate.
        """
        t = self.table.assign(wb=self.table["estimate"] * self.table["weight"])
        g = t.groupby("type", sort=False)[["weight", "wb"]].sum()
        g["estimate"] = g["wb"] / g["weight"]
        return g[["weight", "estimate"]].reset_index()

    def tidy(self) -> pd.DataFrame:
        """One row per comparison type, then the TWFE of the decomposed sample (the weighted
        sum) and the TWFE of the full sample.

        Returns
        -------
        DataFrame
            The tidy columns (inference columns NaN: a decomposition has no standard errors),
            plus weight (of each type; 1 for the decomposed TWFE), n_units and n_obs (the
            sample behind each TWFE row).
        """
        bt = self.by_type()
        terms = [*bt["type"], "TWFE (decomposed sample)", "TWFE (full sample)"]
        out = no_inference_tidy(terms, [*bt["estimate"], self.twfe, self.twfe_full])
        out["weight"] = [*bt["weight"], 1.0, np.nan]
        nan = [np.nan] * len(bt)
        out["n_units"] = pd.array([*nan, self.n_units, self.n_units_full], dtype="Int64")
        out["n_obs"] = pd.array([*nan, self.n_obs, self.n_obs_full], dtype="Int64")
        return out

    def vcov(self) -> np.ndarray:
        """The decomposition has no sampling variance: raises EstimationError."""
        raise EstimationError("bacon_decomposition: a decomposition has no variance matrix")

    def summary(self) -> str:
        """Text summary: weights and estimates by comparison type, the sample decomposed and
        both TWFE coefficients."""
        bt = self.by_type()
        with pd.option_context("display.width", 120):
            body = bt.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        forbidden = float(bt.loc[bt["type"] == TYPES[2], "weight"].sum())
        sample = (f"Decomposed sample: {self.n_units} of {self.n_units_full} units "
                  f"({self.n_obs} of {self.n_obs_full} rows with an outcome)")
        if self.balanced:
            sample += "; the panel is balanced, so this is the full sample's TWFE"
        else:
            sample += (f", those observed in every period; its TWFE {self.twfe:.4f} is not "
                       f"the TWFE of the full sample, {self.twfe_full:.4f}")
        return format_tidy(
            self.tidy()[["term", "estimate", "weight", "n_units", "n_obs"]],
            f"Goodman-Bacon decomposition of TWFE: {self.outcome}",
            [sample, body, f"Weight on 'later vs earlier treated' (already-treated controls): "
                           f"{forbidden:.3f}", *self.notes],
        )

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Scatter of the 2x2 estimates against their weights, by type (`plots.points`).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw on it; default a new Figure.

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        return plots.points(self.table, x="weight", y="estimate", hue="type",
                            labels={"x": "weight", "y": "2x2 estimate", "legend": "comparison",
                                    "title": "Goodman-Bacon decomposition",
                                    "reference": f"TWFE = {self.twfe:.4f}"},
                            reference=self.twfe, ax=ax)

    def __repr__(self) -> str:
        return self.summary()


def _full_twfe(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str
               ) -> tuple[float, int, int]:
    """TWFE coefficient of the absorbing treatment on every row with an outcome (alternating
    projections, tolerance 1e-13; singletons drop out by themselves), with its units and rows."""
    d = data[[outcome, unit, time, cohort]].dropna(subset=[outcome, unit, time])
    g = d[cohort].astype(float).fillna(0.0).to_numpy()
    tt = d[time].to_numpy(dtype=float)
    D = ((g > 0) & (tt >= g)).astype(float)
    flist = np.column_stack([pd.factorize(d[unit])[0], pd.factorize(d[time])[0]]
                            ).astype(np.uint64)
    x = np.column_stack([D, d[outcome].to_numpy(dtype=float)])
    res, _ = demean(x, flist, np.ones(len(d)), tol=1e-13, maxiter=100_000)
    denom = float(res[:, 0] @ res[:, 0])
    beta = float(res[:, 0] @ res[:, 1] / denom) if denom > 1e-12 else np.nan
    return beta, int(d[unit].nunique()), len(d)


def bacon_decomposition(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str
) -> BaconResult:
    """Goodman-Bacon (2021) decomposition of the TWFE coefficient of the absorbing treatment.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome : str
        Outcome column.
    unit, time : str
        Unit identifier and integer period columns.
    cohort : str
        Period of the unit's first treatment (0/NaN = never treated).

    Returns
    -------
    BaconResult
        The 2x2 table and both TWFE coefficients. On an unbalanced panel only the units
        observed in every period are decomposed (an EstimationWarning gives both samples and
        both coefficients; see the module docstring).
    """
    labels = PeriodLabels.from_data(data, time, cohort)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # said below, with both TWFEs
        panel = wide_panel(data, outcome, unit, time, cohort, what="bacon_decomposition")
    times, Y = panel.times, panel.Y
    G = panel.G.copy()
    G[times[-1] < G] = 0.0
    D = (G[:, None] > 0) & (times[None, :] >= G[:, None])
    if D.all() or not D.any():
        raise EstimationError("bacon_decomposition: treatment does not vary")
    # TWFE on the balanced panel (two-way demeaning is exact here)
    Dd = D.astype(float)
    dt = Dd - Dd.mean(1, keepdims=True) - Dd.mean(0, keepdims=True) + Dd.mean()
    yt = Y - Y.mean(1, keepdims=True) - Y.mean(0, keepdims=True) + Y.mean()
    vd = float(np.mean(dt**2))
    beta = float(np.sum(dt * yt) / np.sum(dt**2))

    groups = np.unique(G)
    share = {g: float(np.mean(g == G)) for g in groups}
    dbar = {g: float(np.mean(times >= g)) if g > 0 else 0.0 for g in groups}
    ymean = {g: Y[g == G].mean(axis=0) for g in groups}

    def mean_over(g: float, mask: np.ndarray) -> float:
        return float(ymean[g][mask].mean())

    rows = []
    timing = [g for g in groups if g > 0]
    if 0.0 in share:
        u = 0.0
        for k in timing:
            pre, post = times < k, times >= k
            if not pre.any():
                continue  # always treated vs never: no variation
            b = (mean_over(k, post) - mean_over(k, pre)) - (mean_over(u, post) - mean_over(u, pre))
            nku = share[k] / (share[k] + share[u])
            s = (share[k] + share[u]) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / vd
            rows.append((TYPES[0], k, u, b, s))
    for i, k in enumerate(timing):
        for l_ in timing[i + 1:]:
            nkl = share[k] / (share[k] + share[l_])
            dk, dl = dbar[k], dbar[l_]
            pre, mid, post = times < k, (times >= k) & (times < l_), times >= l_
            if pre.any():  # earlier k treated, later l as control, window before l
                b = ((mean_over(k, mid) - mean_over(k, pre))
                     - (mean_over(l_, mid) - mean_over(l_, pre)))
                s = (((share[k] + share[l_]) * (1 - dl)) ** 2 * nkl * (1 - nkl)
                     * (dk - dl) / (1 - dl) * (1 - dk) / (1 - dl) / vd)
                rows.append((TYPES[1], k, l_, b, s))
            if post.any():  # later l treated, earlier k as (already treated) control
                b = ((mean_over(l_, post) - mean_over(l_, mid))
                     - (mean_over(k, post) - mean_over(k, mid)))
                s = (((share[k] + share[l_]) * dk) ** 2 * nkl * (1 - nkl)
                     * (dl / dk) * (dk - dl) / dk / vd)
                rows.append((TYPES[2], l_, k, b, s))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    for c in ("treated", "control"):
        if np.all(np.mod(table[c], 1) == 0):
            table[c] = table[c].astype(int)
    total = float(table["weight"].sum())
    notes = []
    if abs(total - 1) > 1e-8:  # pragma: no cover - identity guard
        notes.append(f"weights sum to {total:.10f}, not 1")
    n_units, n_obs = len(panel.units), int(Y.size)
    full, n_units_full, n_obs_full = _full_twfe(data, outcome, unit, time, cohort)
    if n_obs < n_obs_full:
        msg = (f"bacon_decomposition: unbalanced panel: decomposes the TWFE of the {n_units} "
               f"of {n_units_full} units observed in all {len(times)} periods ({n_obs} of "
               f"{n_obs_full} rows; TWFE {beta:.4f}), not the TWFE of the full sample "
               f"({full:.4f})")
        notes.insert(0, msg)
        warnings.warn(msg, EstimationWarning, stacklevel=2)
    return BaconResult(table=table, twfe=beta, outcome=outcome, notes=notes, twfe_full=full,
                       n_units=n_units, n_obs=n_obs, n_units_full=n_units_full,
                       n_obs_full=n_obs_full, labels=labels)


def _twfe_check(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> float:
    """TWFE coefficient of the absorbing treatment via pyfixest (used in tests)."""
    g = data[cohort].fillna(0)
    d = pd.DataFrame({"y": data[outcome], "u": data[unit], "t": data[time],
                      "D": ((g > 0) & (data[time] >= g)).astype(float)})
    return float(pf.feols("y ~ D | u + t", data=d).coef()["D"])
