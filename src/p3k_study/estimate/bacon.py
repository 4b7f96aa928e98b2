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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyfixest as pf

from ._common import EstimationError, format_tidy
from ._panel import wide_panel

TYPES = ("Treated vs never treated", "Earlier vs later treated", "Later vs earlier treated")


@dataclass
class BaconResult:
    """The 2x2 comparisons (treated, control, type, estimate, weight) and the TWFE coefficient."""

    table: pd.DataFrame
    twfe: float
    outcome: str
    notes: list[str] = field(default_factory=list)

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate per comparison type."""
        t = self.table.assign(wb=self.table["estimate"] * self.table["weight"])
        g = t.groupby("type", sort=False)[["weight", "wb"]].sum()
        g["estimate"] = g["wb"] / g["weight"]
        return g[["weight", "estimate"]].reset_index()

    def tidy(self) -> pd.DataFrame:
        """One row per comparison type plus the TWFE total (no standard errors: NaN)."""
        bt = self.by_type()
        terms = [*bt["type"], "TWFE (weighted sum)"]
        est = [*bt["estimate"], self.twfe]
        nan = [np.nan] * len(terms)
        return pd.DataFrame({"term": terms, "estimate": est, "std_error": nan, "statistic": nan,
                             "p_value": nan, "ci_low": nan, "ci_high": nan})

    def summary(self) -> str:
        """Text summary: weights and estimates by comparison type."""
        bt = self.by_type()
        with pd.option_context("display.width", 120):
            body = bt.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        forbidden = float(bt.loc[bt["type"] == TYPES[2], "weight"].sum())
        return format_tidy(
            self.tidy()[["term", "estimate"]],
            f"Goodman-Bacon decomposition of TWFE: {self.outcome}",
            [body, f"Weight on 'later vs earlier treated' (already-treated controls): "
                   f"{forbidden:.3f}", *self.notes],
        )

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Scatter of 2x2 estimates against their weights, by type; returns the Axes."""
        import seaborn as sns

        from ._common import _axes

        ax = _axes(ax)
        sns.scatterplot(data=self.table, x="weight", y="estimate", hue="type", style="type", ax=ax)
        ax.axhline(self.twfe, color="grey", linestyle="--", linewidth=1,
                   label=f"TWFE = {self.twfe:.4f}")
        ax.set_title("Goodman-Bacon decomposition")
        ax.legend(fontsize="small")
        return ax

    def __repr__(self) -> str:
        return self.summary()


def bacon_decomposition(
    data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str
) -> BaconResult:
    """Goodman-Bacon decomposition of the TWFE coefficient of the absorbing treatment implied by
    `cohort` (period of first treatment; 0/NaN = never). Needs a balanced panel (units not
    observed in every period are dropped with a warning)."""
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
    notes = list(panel.notes)
    total = float(table["weight"].sum())
    if abs(total - 1) > 1e-8:  # pragma: no cover - identity guard
        notes.append(f"weights sum to {total:.10f}, not 1")
    return BaconResult(table=table, twfe=beta, outcome=outcome, notes=notes)


def _twfe_check(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> float:
    """TWFE coefficient of the absorbing treatment via pyfixest (used in tests)."""
    g = data[cohort].fillna(0)
    d = pd.DataFrame({"y": data[outcome], "u": data[unit], "t": data[time],
                      "D": ((g > 0) & (data[time] >= g)).astype(float)})
    return float(pf.feols("y ~ D | u + t", data=d).coef()["D"])
