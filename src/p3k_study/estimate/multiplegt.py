"""The dynamic DiD estimator DID_l of de Chaisemartin and D'Haultfoeuille (2024), for a binary,
absorbing, staggered treatment (a unit's first P3K period is its cohort).

de Chaisemartin, C. and D'Haultfoeuille, X. (2024), "Difference-in-Differences Estimators of
Intertemporal Treatment Effects", Review of Economics and Statistics 106(6):1723-1736; the
Stata/R command did_multiplegt_dyn, ported to Python by moderndid (``did_multiplegt``).

With F_g the first treated period of unit g (its cohort) and periods taken in order,

    DID_l = 1/N_l * sum over switchers g with l periods observed after F_g - 1 of
            [ (Y_g,F_g-1+l - Y_g,F_g-1)
              - mean over controls g' at t = F_g-1+l of (Y_g',t - Y_g',F_g-1) ]

where the controls at t are the units not yet treated at t (cohort later than t, or never
treated) whose outcome is observed at t and at F_g - 1, and N_l counts the switchers for which
the effect is computed (a switcher needs its outcome at F_g - 1 and F_g - 1 + l and at least one
control). DID_l is the average effect of having been treated for l periods (event time
e = l - 1 in this package's convention e = t - cohort). The placebo DID^pl_l does the same with
Y_F_g-1-l - Y_F_g-1 (before treatment, for the same horizon of controls), so placebo l sits at
event time e = -l - 1 with the usual sign of an event-study lead. The average total effect (the
"ATT" row) is the N_l-weighted mean of the DID_l (the paper's delta, which with a binary
absorbing treatment has denominator 1).

Inference: each unit's influence-function term U_g is demeaned within its "cohort" (switchers
with the same F_g for the switcher term; units used as controls at the same period for the
control terms; the union of both when one of them has a single member) and scaled by
sqrt(n / (n - 1)), n the size of that cohort (number of clusters with `cluster`), as in
did_multiplegt_dyn 2.x and moderndid; SE = sqrt(sum_c (sum_{g in c} U_g)^2) / G, G units, c
clusters (units by default). The placebos' joint test and `vcov()` use the covariance implied
by the same sums (R's var(U_i + U_j) construction). This is conservative when effects are
heterogeneous within cohorts, and close to exact otherwise (the paper's Theorem 1 and its web
appendix).

Differences from the peers, on purpose:

* Units treated from the first observed period on (no untreated period) are dropped with a
  warning; G counts the units that remain (as moderndid).
* Periods are taken in the order of the distinct values of `time` among observed outcomes (as
  R's ``time_XX``): a period with no observation at all is skipped, not a gap.
* F_g comes from `cohort`, not from changes in an observed treatment series: a unit whose row
  just before its cohort is missing is not a switcher for any l (it has no Y at F_g - 1) but
  serves as a control before F_g, as did_multiplegt_dyn does for such units.
* A period is usable as long as some unit is not yet treated in it (R's rule); moderndid 0.2.0
  instead drops every period with no never-treated unit, which gives nothing when all units are
  eventually treated.
* With `cluster`, the ATT's SE is clustered as R's; moderndid 0.2.0 clusters the DID_l and
  placebos but not the average total effect.

Checked against moderndid 0.2.0 on mpdta and on a simulated staggered panel with heterogeneous
dynamic effects (tests/reference/make_multiplegt_reference.py, tests/test_estimate_multiplegt.py).
All arithmetic is on a units x periods array: one pass of a few vectorised operations per l.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._common import EstimationError, EstimationWarning, format_tidy, wald
from ._panel import wide_panel

TIDY_COLUMNS = ["term", "kind", "horizon", "event_time", "estimate", "std_error", "statistic",
                "p_value", "ci_low", "ci_high", "n_switchers"]


@dataclass
class MultiplegtResult:
    """What `did_multiplegt` estimated.

    `table` (see `tidy`) holds the average total effect (``term == "ATT"``), the effects
    ``effect_l`` and the placebos ``placebo_l``; `vcov()` their covariance in table order.
    """

    table: pd.DataFrame
    covariance: np.ndarray = field(repr=False)
    n_units: int
    n_switchers: int
    n_never_treated: int
    n_clusters: int
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    influence: np.ndarray | None = field(default=None, repr=False)
    """(units, rows of `table`) influence-function terms U_g (variance version)."""

    @property
    def att(self) -> float:
        """The average total effect (NaN when no effect could be estimated)."""
        row = self.table[self.table["term"] == "ATT"]
        return float(row["estimate"].iloc[0]) if len(row) else np.nan

    def tidy(self) -> pd.DataFrame:
        """One row per estimate: term ('ATT', 'effect_l', 'placebo_l'), kind ('overall', 'post',
        'pre'), horizon (l, or -l for placebos), event_time (l - 1; -l - 1 for placebos),
        estimate, std_error, statistic, p_value, ci_low, ci_high (normal), n_switchers."""
        return self.table.copy()

    def event_study(self) -> pd.DataFrame:
        """Placebos and effects by event time, sorted (rows of `tidy()`)."""
        rows = self.table[self.table["kind"] != "overall"]
        return rows.sort_values("event_time").reset_index(drop=True)

    def vcov(self) -> np.ndarray:
        """Covariance of the `tidy()` estimates (in table order), from the same clustered sums
        of influence-function terms as the standard errors."""
        return self.covariance.copy()

    def placebo_test(self) -> dict[str, float]:
        """Wald chi2 test that all placebos are zero (as did_multiplegt_dyn's p_jointplacebo):
        statistic, df, p_value; NaN when fewer than two placebos were estimated."""
        pre = (self.table["kind"] == "pre").to_numpy() & np.isfinite(
            self.table["std_error"].to_numpy())
        if pre.sum() < 2:
            return {"statistic": np.nan, "df": int(pre.sum()), "p_value": np.nan}
        stat, df, p = wald(self.table["estimate"].to_numpy()[pre],
                           self.covariance[np.ix_(pre, pre)])
        return {"statistic": stat, "df": df, "p_value": p}

    def summary(self) -> str:
        """Text summary: the table, the sample and the joint placebo test."""
        s = self.settings
        notes = [f"Units: {self.n_units} ({self.n_switchers} switchers, {self.n_never_treated} "
                 f"never treated in the window); SE: analytic (cohort-demeaned influence "
                 f"function), clustered by {s['cluster'] or s['unit']} "
                 f"({self.n_clusters} clusters)"]
        pt = self.placebo_test()
        if np.isfinite(pt["p_value"]):
            notes.append(f"Joint placebo test: chi2({pt['df']}) = {pt['statistic']:.3f}, "
                         f"p = {pt['p_value']:.5f}")
        title = ("de Chaisemartin-D'Haultfoeuille DID_l (did_multiplegt_dyn): "
                 f"{s['outcome']}")
        shown = self.table.drop(columns=["kind"])
        return format_tidy(shown, title, notes + self.notes)

    def plot(self, labels: dict[str, str] | None = None, ax=None):  # type: ignore[no-untyped-def]
        """Placebos and effects by event time with pointwise intervals (`plots.event_profile`);
        returns the Figure."""
        from .. import plots

        rows = self.event_study().assign(band_low=np.nan, band_high=np.nan)
        shown = {"x": "periods since first P3K", "y": "effect",
                 "pre": "placebo", "post": "DID_l"}
        shown.update(labels or {})
        return plots.event_profile(rows, labels=shown, ax=ax)

    def __repr__(self) -> str:
        return self.summary()


def _distinct_per_column(mask: np.ndarray, cl: np.ndarray, n_cl: int) -> np.ndarray:
    """Number of distinct clusters among the True rows of each column of `mask`."""
    out = np.zeros(mask.shape[1], dtype=np.int64)
    for t in range(mask.shape[1]):
        rows = mask[:, t]
        if rows.any():
            out[t] = np.count_nonzero(np.bincount(cl[rows], minlength=n_cl))
    return out


def _dof(n: np.ndarray, n_union: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which mean demeans a term (0: own cohort, 1: union, 2: none) and its sqrt(n/(n-1))."""
    n = np.asarray(n, dtype=float)
    nu = np.asarray(n_union, dtype=float)
    use = np.where(n >= 2, 0, np.where((n == 1) & (nu >= 2), 1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(use == 0, np.sqrt(n / (n - 1)),
                         np.where(use == 1, np.sqrt(nu / (nu - 1)), 1.0))
    return use, scale


def _horizon(Y: np.ndarray, F: np.ndarray, Tg: int, ell: int, placebo: bool,
             cl: np.ndarray, n_cl: int) -> tuple[float, np.ndarray, int] | None:
    """DID_l (or its placebo): the estimate, the (variance) influence terms U_g and N_l."""
    n, T = Y.shape
    D = np.full((n, T), np.nan)
    if placebo:
        if 2 * ell >= T:
            return None
        D[:, 2 * ell:] = Y[:, :T - 2 * ell] - Y[:, ell:T - ell]
    else:
        if ell >= T:
            return None
        D[:, ell:] = Y[:, ell:] - Y[:, :T - ell]
    counted = np.isfinite(D)
    # A row's weight is 0 when its own outcome is missing (R's N_gt): the placebo's row is the
    # effect's period F_g-1+l, so placebo l uses the switchers and controls of effect l. The
    # sizes of the demeaning cohorts count every row with the difference defined (as R and
    # moderndid do); for the effects both are the same.
    ok = counted & np.isfinite(Y) if placebo else counted
    D0 = np.where(ok, D, 0.0)
    untreated = F[:, None] > np.arange(T)[None, :]
    ctrl = ok & untreated
    n_ctrl = ctrl.sum(axis=0)
    target = F - 1 + ell
    listed = np.flatnonzero((F < T) & (target <= Tg) & (target < T))
    listed = listed[counted[listed, target[listed]] & (n_ctrl[target[listed]] > 0)]
    cand = listed[ok[listed, target[listed]]]
    N = cand.size
    if N == 0:
        return None
    t_sw = target[cand]
    d_sw = D0[cand, t_sw]
    n_tr = np.bincount(t_sw, minlength=T)
    with np.errstate(divide="ignore", invalid="ignore"):
        W = np.where(n_ctrl > 0, n_tr / n_ctrl, 0.0)
    sum_ctrl = (ctrl * D0).sum(axis=0)
    estimate = (d_sw.sum() - sum_ctrl @ W) / N

    # demeaning means and their sizes (units, or distinct clusters)
    f_sw = F[cand]
    n_coh = np.bincount(f_sw, minlength=T)
    mean_coh = np.bincount(f_sw, weights=d_sw, minlength=T) / np.maximum(n_coh, 1)
    mean_ctrl = sum_ctrl / np.maximum(n_ctrl, 1)
    sum_sw_t = np.bincount(t_sw, weights=d_sw, minlength=T)
    mean_union = (sum_ctrl + sum_sw_t) / np.maximum(n_ctrl + n_tr, 1)
    ctrl_listed = counted & untreated
    coh_mask = np.zeros((n, T), dtype=bool)
    coh_mask[listed, F[listed]] = True
    sw_mask = np.zeros((n, T), dtype=bool)
    sw_mask[listed, target[listed]] = True
    if n_cl == n:  # clusters are units
        dof_coh, dof_ctrl = coh_mask.sum(axis=0), ctrl_listed.sum(axis=0)
        dof_union = (ctrl_listed | sw_mask).sum(axis=0)
    else:
        dof_coh = _distinct_per_column(coh_mask, cl, n_cl)
        dof_ctrl = _distinct_per_column(ctrl_listed, cl, n_cl)
        dof_union = _distinct_per_column(ctrl_listed | sw_mask, cl, n_cl)
    use_s, scale_s = _dof(dof_coh[f_sw], dof_union[t_sw])
    e_s = np.select([use_s == 0, use_s == 1], [mean_coh[f_sw], mean_union[t_sw]], 0.0)
    use_c, scale_c = _dof(dof_ctrl, dof_union)
    e_c = np.select([use_c == 0, use_c == 1], [mean_ctrl, mean_union], 0.0)
    U = -((ctrl * (D0 - e_c[None, :])) @ (W * scale_c))
    U[cand] += scale_s * (d_sw - e_s)
    U *= n / N
    return float(estimate), U, N


def did_multiplegt(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    effects: int = 1,
    placebo: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> MultiplegtResult:
    """Dynamic DiD estimator DID_l of de Chaisemartin and D'Haultfoeuille (2024).

    The binary, absorbing, staggered case of did_multiplegt_dyn (see the module docstring):
    effects of having been treated for l = 1..`effects` periods, `placebo` pre-treatment
    placebos, and their average total effect, with analytic standard errors.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period; rows with a missing outcome are ignored.
    outcome, unit, time, cohort : str
        Columns: the outcome; the unit id; the period (numeric, ordered); the period of first
        treatment (0 or NaN = never treated; later than the last period = never treated within
        the window), as for `att_gt`.
    effects : int
        Number of effects DID_1 .. DID_effects (event times 0 .. effects - 1). More than the data
        allow are left out with a warning.
    placebo : int
        Number of placebos DID^pl_1 .. (event times -2, -3, ...).
    cluster : str, optional
        Column that clusters units (units must be nested in clusters); default: the unit.
    alpha : float
        1 - confidence level of the (normal) intervals.

    Returns
    -------
    MultiplegtResult
        `tidy()` has the row ``term == "ATT"`` (the average total effect), ``effect_l`` and
        ``placebo_l`` rows with their event times.
    """
    what = "did_multiplegt"
    for name, value, low in (("effects", effects, 1), ("placebo", placebo, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise EstimationError(f"{what}: {name} must be an integer >= {low}, got {value!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"{what}: alpha must be between 0 and 1, got {alpha!r}")
    panel = wide_panel(data, outcome, unit, time, cohort, cluster=cluster, what=what,
                       min_periods=1)
    notes = list(panel.notes)
    times, Y = panel.times, panel.Y
    T = len(times)
    G = panel.G
    F = np.where(G > 0, np.searchsorted(times, G, side="left"), T).astype(np.int64)
    always = F == 0
    if always.any():
        msg = (f"{int(always.sum())} units treated from the first period on (cohort <= "
               f"{times[0]:g}) have no untreated period and are dropped")
        notes.append(msg)
        warnings.warn(f"{what}: {msg}", EstimationWarning, stacklevel=2)
    keep = ~always
    Y, F = Y[keep], F[keep]
    n = int(keep.sum())
    if n == 0 or not (F < T).any():
        raise EstimationError(f"{what}: no unit is first treated inside the observed periods; "
                              "there is no switcher to estimate an effect for")
    if not (F == T).any() and np.unique(F).size < 2:
        raise EstimationError(f"{what}: every unit is first treated in the same period and none "
                              "is never treated; there is no comparison group")
    cl = pd.factorize(panel.cluster[keep])[0] if panel.cluster is not None else np.arange(n)
    n_cl = int(cl.max()) + 1
    if cluster is not None and n_cl < 2:
        raise EstimationError(f"{what}: clustered SEs need at least two clusters; there is "
                              f"{n_cl}")
    # last period in which some unit is still untreated (did_multiplegt_dyn's T_g)
    observed = np.isfinite(Y)
    last_obs = np.where(observed.any(axis=1), T - 1 - np.argmax(observed[:, ::-1], axis=1), -1)
    Tg = int(max(F[F < T].max(), (last_obs[F == T] + 1).max(initial=-1))) - 1

    rows: list[tuple[str, str, int, int, float, int]] = []
    infl: list[np.ndarray] = []
    missing_eff: list[int] = []
    missing_pl: list[int] = []
    for kind, count in (("post", effects), ("pre", placebo)):
        for ell in range(1, count + 1):
            out = _horizon(Y, F, Tg, ell, kind == "pre", cl, n_cl)
            if out is None:
                (missing_eff if kind == "post" else missing_pl).append(ell)
                continue
            est, U, N = out
            if kind == "post":
                rows.append((f"effect_{ell}", kind, ell, ell - 1, est, N))
            else:
                rows.append((f"placebo_{ell}", kind, -ell, -ell - 1, est, N))
            infl.append(U)
    new_notes: list[str] = []
    if missing_eff:
        new_notes.append("effects not estimable (no switcher observed that long after its "
                         "first treated period with a control still untreated): "
                         + ", ".join(f"l={e}" for e in missing_eff))
    if missing_pl:
        new_notes.append("placebos not estimable (no switcher observed that long before its "
                         "first treated period with a control): "
                         + ", ".join(f"l={e}" for e in missing_pl))
    post = [i for i, r in enumerate(rows) if r[1] == "post"]
    if not post:
        raise EstimationError(f"{what}: no effect could be estimated: no switcher has its "
                              "outcome observed just before and after its first P3K period "
                              "together with a not-yet-treated control")
    n_sw = np.array([rows[i][5] for i in post], dtype=float)
    w = n_sw / n_sw.sum()
    att = float(w @ np.array([rows[i][4] for i in post]))
    u_att = np.column_stack([infl[i] for i in post]) @ w
    rows.insert(0, ("ATT", "overall", 0, -1, att, int(n_sw.sum())))
    infl.insert(0, u_att)
    Umat = np.column_stack(infl)
    csum = np.zeros((n_cl, Umat.shape[1]))
    np.add.at(csum, cl, Umat)
    cov = csum.T @ csum / n**2
    se = np.sqrt(np.diag(cov))
    est = np.array([r[4] for r in rows])
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    table = pd.DataFrame({
        "term": [r[0] for r in rows], "kind": [r[1] for r in rows],
        "horizon": [r[2] for r in rows],
        "event_time": [np.nan if r[1] == "overall" else float(r[3]) for r in rows],
        "estimate": est, "std_error": se, "statistic": stat,
        "p_value": 2 * stats.norm.sf(np.abs(stat)),
        "ci_low": est - z * se, "ci_high": est + z * se,
        "n_switchers": [r[5] for r in rows],
    }, columns=TIDY_COLUMNS)
    for note in new_notes:
        notes.append(note)
        warnings.warn(f"{what}: {note}", EstimationWarning, stacklevel=2)
    settings = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
                "cluster": cluster, "effects": effects, "placebo": placebo, "alpha": alpha}
    return MultiplegtResult(
        table=table, covariance=cov, n_units=n, n_switchers=int((F < T).sum()),
        n_never_treated=int((F == T).sum()), n_clusters=n_cl, settings=settings, notes=notes,
        influence=Umat)
