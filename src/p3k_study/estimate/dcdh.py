"""de Chaisemartin & D'Haultfoeuille (2020) weights of the TWFE coefficient.

de Chaisemartin, C. and D'Haultfoeuille, X. (2020), "Two-Way Fixed Effects Estimators with
Heterogeneous Treatment Effects", American Economic Review 110(9): 2964-2996, Theorem 1 and
Corollary 1. For a binary treatment D and the regression of Y on D with unit and period fixed
effects, with eps_it the residual of D_it on the two sets of fixed effects,

    beta_fe = sum over treated (i, t) of  W_it * Delta_it,   W_it = eps_it / sum_{D=1} eps,

where Delta_it is the effect of the treatment on unit i in period t. The weights sum to one and
can be negative (typically for early adopters in late periods); then beta_fe can have the
opposite sign of every Delta_it. Corollary 1 gives two robustness measures: sigma_fe =
|beta_fe| / sd(w), the smallest cross-cell standard deviation of the effects compatible with
beta_fe and an average effect on the treated of zero, and sigma_fe_underline, the smallest one
compatible with effects that all have the opposite sign of beta_fe. Small values mean that TWFE
can mislead under modest effect heterogeneity.

Here the cells are cohort x period (with a balanced panel all units of a cohort share eps_it, so
this loses nothing; with an unbalanced panel W_gt sums W_it over the cohort's units). The
residual eps is computed with pyfixest's alternating-projection `demean`, so unbalanced panels
are handled. sd(w) uses the paper's formula (the R package TwoWayFEWeights multiplies it by
sqrt(M / (M - 1)), M the number of treated unit x period cells; `sigma_fe_dof` gives that
variant). Cross-checked on mpdta against the PyPI port `twowayfeweights` 0.1.0 of the R/Stata
package (tests/reference/mpdta_twowayfeweights.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyfixest.estimation import demean

from ._common import (
    EstimationError,
    PeriodLabels,
    format_tidy,
    no_inference_tidy,
    refuse_duplicates,
    require_columns,
)

_ZERO = 1e-10  # as TwoWayFEWeights: weights within 1e-10 of 0 count as 0


@dataclass
class TwfeWeightsResult:
    """dCDH weights by treated cohort x period cell, the TWFE coefficient and the robustness
    measures (see the module docstring)."""

    table: pd.DataFrame
    beta: float
    sigma_fe: float
    sigma_fe_underline: float
    sigma_fe_dof: float
    outcome: str
    notes: list[str] = field(default_factory=list)
    labels: PeriodLabels = field(default_factory=PeriodLabels, repr=False)

    @property
    def n_negative(self) -> int:
        """Number of treated cells with a negative weight."""
        return int((self.table["weight"] < 0).sum())

    @property
    def sum_negative(self) -> float:
        """Sum of the negative weights (0 if there are none)."""
        w = self.table["weight"]
        return float(w[w < 0].sum())

    @property
    def sum_positive(self) -> float:
        """Sum of the positive weights."""
        w = self.table["weight"]
        return float(w[w > 0].sum())

    def tidy(self) -> pd.DataFrame:
        """TWFE coefficient, positive and negative weight sums and the two robustness measures.

        Returns
        -------
        DataFrame
            The tidy columns; the inference columns are NaN (no standard errors).
        """
        terms = ["TWFE coefficient", "sum of positive weights", "sum of negative weights",
                 "sigma_fe", "sigma_fe_underline"]
        est = [self.beta, self.sum_positive, self.sum_negative, self.sigma_fe,
               self.sigma_fe_underline]
        return no_inference_tidy(terms, est)

    def weights(self) -> pd.DataFrame:
        """`table` with cohort and time as period labels when the data had them."""
        t = self.table.copy()
        if self.labels:
            t["cohort"] = self.labels.cohorts(t["cohort"])
            t["time"] = self.labels.periods(t["time"])
        return t

    def vcov(self) -> np.ndarray:
        """The weights have no sampling variance: raises EstimationError."""
        raise EstimationError("twfe_weights: the weights have no variance matrix")

    def summary(self) -> str:
        """Text summary: weight counts and sums, robustness measures, how to read them."""
        t = self.table
        n_pos = int((t["weight"] > 0).sum())
        lines = [
            f"Treated cohort x period cells: {len(t)}; positive weights: {n_pos} "
            f"(sum {self.sum_positive:.4f}); negative weights: {self.n_negative} "
            f"(sum {self.sum_negative:.4f})",
            f"sigma_fe = {self.sigma_fe:.4f}: the TWFE coefficient could come from effects with "
            "average 0 on the treated if their standard deviation across cells were this large",
        ]
        if np.isfinite(self.sigma_fe_underline):
            lines.append(f"sigma_fe_underline = {self.sigma_fe_underline:.4f}: ... or from effects "
                         "all of the opposite sign, with this standard deviation")
        lines.append("de Chaisemartin & D'Haultfoeuille (2020, AER), Theorem 1 / Corollary 1")
        return format_tidy(self.tidy()[["term", "estimate"]],
                           f"TWFE weights (de Chaisemartin-D'Haultfoeuille): {self.outcome}",
                           [*lines, *self.notes])

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Weight of each treated cell against its period, one colour per cohort
        (`plots.points`).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw on it; default a new Figure.

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        t = self.weights()
        t = t.assign(time=pd.Categorical(t["time"].astype(str),
                                         categories=list(dict.fromkeys(
                                             t.sort_values("time")["time"].astype(str)))))
        return plots.points(t, x="time", y="weight", hue="cohort",
                            labels={"x": "period", "y": "weight", "legend": "cohort",
                                    "title": "TWFE weights by cohort and period (negative sum "
                                             f"{self.sum_negative:.3f})"},
                            reference=0.0, ax=ax)

    def __repr__(self) -> str:
        return self.summary()


def _sigma_underline(beta: float, share: np.ndarray, w: np.ndarray) -> float:
    """Corollary 1(ii): |beta| / sqrt(T_s + S_s^2 / (1 - P_s)), cells sorted by w descending,
    P, S, T the tail sums of share, share * w and share * w^2 from cell k down, s the first
    k > 1 with w_(k) < -S_(k) / (1 - P_(k))."""
    order = np.lexsort((-np.arange(len(w)), -w))
    ws, ss = w[order], share[order]
    p = np.cumsum(ss[::-1])[::-1]
    s = np.cumsum((ss * ws)[::-1])[::-1]
    t = np.cumsum((ss * ws**2)[::-1])[::-1]
    for k in range(1, len(ws)):
        if 1 - p[k] > 0 and ws[k] < -s[k] / (1 - p[k]):
            return float(abs(beta) / np.sqrt(t[k] + s[k] ** 2 / (1 - p[k])))
    return np.nan


def twfe_weights(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str
                 ) -> TwfeWeightsResult:
    """de Chaisemartin-D'Haultfoeuille (2020) weights of the TWFE coefficient of the absorbing
    treatment implied by `cohort`.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (unbalanced allowed).
    outcome : str
        Outcome column.
    unit, time : str
        Unit identifier and integer period columns.
    cohort : str
        Period of the unit's first treatment (0/NaN = never treated).

    Returns
    -------
    TwfeWeightsResult
        `.table` has one row per treated cohort x period cell with columns cohort, time
        (period indices; `.weights()` gives labels), n_obs, weight (the cell's share of beta;
        all weights sum to 1), w (the per-observation weight, mean 1 over treated
        observations) and negative; `.beta` is the TWFE coefficient, `.sigma_fe` and
        `.sigma_fe_underline` the robustness measures.
    """
    what = "twfe_weights"
    require_columns(data, [outcome, unit, time, cohort], what)
    for c in (outcome, time):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise EstimationError(f"{what}: column {c!r} must be numeric, got {data[c].dtype}")
    d = data[[outcome, unit, time, cohort]].dropna(subset=[outcome, unit, time])
    notes: list[str] = []
    if len(d) < len(data):
        notes.append(f"{len(data) - len(d)} rows with a missing outcome, unit or period left out")
    refuse_duplicates(d, unit, time, what)
    g = d[cohort].astype(float).fillna(0.0).to_numpy()
    tt = d[time].to_numpy(dtype=float)
    D = ((g > 0) & (tt >= g)).astype(float)
    if D.min() == D.max():
        raise EstimationError(f"{what}: the treatment does not vary (every observation is "
                              f"{'treated' if D[0] else 'untreated'})")
    uc = pd.factorize(d[unit])[0]
    tc = pd.factorize(d[time])[0]
    flist = np.column_stack([uc, tc]).astype(np.uint64)
    x = np.column_stack([D, d[outcome].to_numpy(dtype=float)])
    res, ok = demean(x, flist, np.ones(len(d)), tol=1e-13, maxiter=100_000)
    if not ok:  # pragma: no cover - alternating projections practically always converge
        notes.append("demeaning did not converge to 1e-13; weights are approximate")
    eps, ydm = res[:, 0], res[:, 1]
    denom = float(eps @ D)
    if abs(denom) < 1e-12:
        raise EstimationError(f"{what}: the treatment is collinear with the unit and period "
                              "fixed effects; TWFE is not identified")
    beta = float(eps @ ydm / denom)
    treated = D == 1
    cell = pd.DataFrame({"cohort": g[treated], "time": tt[treated],
                         "W": eps[treated] / float(eps[treated].sum())})
    table = (cell.groupby(["cohort", "time"], sort=True)
             .agg(n_obs=("W", "size"), weight=("W", "sum")).reset_index())
    n1 = int(treated.sum())
    share = table["n_obs"].to_numpy() / n1
    table["weight"] = np.where(np.abs(table["weight"]) < _ZERO, 0.0, table["weight"])
    w = table["weight"].to_numpy() / share
    table["w"] = w
    table["negative"] = table["weight"] < 0
    for c in ("cohort", "time"):
        if np.all(np.mod(table[c], 1) == 0):
            table[c] = table[c].astype(int)
    sd_w = float(np.sqrt(np.sum(share * (w - 1.0) ** 2)))
    m = n1  # TwoWayFEWeights with G = unit counts unit x period cells
    sigma_fe = float(abs(beta) / sd_w) if sd_w > 0 else np.inf
    sigma_dof = float(abs(beta) / (sd_w * np.sqrt(m / (m - 1)))) if sd_w > 0 and m > 1 else np.inf
    under = _sigma_underline(beta, share, w) if (w < 0).any() else np.nan
    return TwfeWeightsResult(table=table, beta=beta, sigma_fe=sigma_fe,
                             sigma_fe_underline=under, sigma_fe_dof=sigma_dof, outcome=outcome,
                             notes=notes, labels=PeriodLabels.from_data(data, time, cohort))
