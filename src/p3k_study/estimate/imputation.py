"""Imputation estimator (Borusyak, Jaravel and Spiess 2024) with jackknife inference that holds
for a few dozen clusters.

The estimator, in three steps (BJS 2024, Theorem 1 and eq. 5):

1. Fit ``Y_it = alpha_i + lambda_t + e_it`` by OLS on the *untreated* observations only (never
   treated units, and eventually treated units before their first treated period).
2. Impute ``Y_it(0) = alpha_i + lambda_t`` for every treated observation and take
   ``tau_it = Y_it - Y_it(0)``.
3. Average: the overall ATT is the mean of ``tau_it`` over the treated observations (every
   treated unit-period with an observed outcome counts once); the event-time effect ``tau_e`` is
   the mean over treated observations ``e = t - g`` periods after adoption.

A treated observation can be imputed only when its unit has an untreated observation and its
period is linked to that unit through untreated observations (the same connected component of
the bipartite unit-period graph of untreated observations); the others are left out and counted
in ``notes``. Irregular observation patterns (an SKM survey once a year, in S1 for some units and
S2 for others) need no common base period, which is why the regional reports use this estimator:
Callaway-Sant'Anna's base period g-1 drops every unit not surveyed in that exact period.

Pre-trends (BJS 2024, Section 4.4, "test 1"): the untreated observations are regressed on the
same fixed effects plus indicators of the `leads` periods before adoption; each lead coefficient
is the gap between eventually treated units k periods before adoption and the fit implied by
everything earlier. Under parallel trends they are zero. Leads and post-period effects are shown
together as the event-time profile (as BJS's Figure 2 does).

Inference: a delete-one-cluster jackknife (MacKinnon, Nielsen and Webb 2023, "Cluster-robust
inference: a guide to empirical practice", J. Econometrics 232:272-299, recommend the jackknife
CV3 with t(G-1) critical values when clusters are few) with the target held fixed: each
cluster is left out of step 1, every imputed row is imputed again, and the left-out cluster's
own rows (and any row the smaller fit can no longer impute) take the leave-out mean effect of
their (cohort, event time) cell (`_CellMeans`). Intervals use Student-t on G - 1 degrees of
freedom, G the number of clusters. Why not the plain jackknife: the estimand is the effect on
these units, so dropping a unit's own effects from the average adds their spread to the
variance. Why not BJS's
Theorem 3 plug-in variance (``se="bjs"``, `_bjs_covariance`, equal to diff-diff's and R
didimputation's): its untreated residuals are shrunk by the unit effects' leverage, which is
large with a few dozen units (on 210 simulated regions SEs 0.70 of the errors' SD, coverage
82.9%, against 1.11 and 93.8% for the jackknife; docs/methods.md). The simultaneous
band over the event-time profile uses the sup-t critical value of the jackknife correlation
(Montiel Olea and Plagborg-Moller 2019), from seeded multivariate-t draws. Coverage is measured
on simulated regions with known truth (benchmarks/sim_region.py, benchmarks/README.md; a small
version in tests/test_estimate_imputation.py).

Why the fit is written here rather than through pyfixest: after the unit effects are eliminated
the normal equations are a (periods + leads)-square system, and leaving a cluster out subtracts
its rows' terms, so the whole jackknife costs G solves of a ~20 x 20 system instead of G
fixed-effect regressions (a region's 26 refits take milliseconds).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._common import EstimationError, EstimationWarning, format_tidy, require_columns

SE_METHODS = {
    "jackknife": "fixed-target delete-one-cluster jackknife",
    "bjs": "BJS (2024) conservative variance (Theorem 3; auxiliary model: tau averaged by "
           "cohort x event time)",
}
LEFT_OUT_COLUMNS = ["what", "event_time", "n_units", "n_obs", "reason"]
TIDY_COLUMNS = ["term", "kind", "event_time", "estimate", "std_error", "statistic", "p_value",
                "ci_low", "ci_high", "band_low", "band_high", "n_units", "n_obs"]


@dataclass
class ImputationResult:
    """What `did_imputation` estimated.

    `table` (see `tidy`) holds the overall ATT, the post-period event-time effects and the
    pre-period lead coefficients; `vcov()` their covariance (in table order; the jackknife or
    BJS's, `se`);
    `notes` every observation, event time or lead left out and why.
    """

    table: pd.DataFrame
    covariance: np.ndarray = field(repr=False)
    n_clusters: int
    df: int | None
    """Degrees of freedom of the t intervals (G - 1); None: normal intervals (se="bjs")."""
    band_crit: float
    se: str = "jackknife"
    """Which variance: "jackknife" or "bjs" (`did_imputation`'s `se`, `SE_METHODS`)."""
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    n_units: int = 0
    n_treated_units: int = 0
    n_never_treated: int = 0
    n_treated_obs: int = 0
    n_imputed_obs: int = 0
    imputed: pd.DataFrame | None = field(default=None, repr=False)
    left_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEFT_OUT_COLUMNS))
    """What was not estimated and why: columns what ('event_time', 'lead', 'observations',
    'overall'), event_time, n_units, n_obs, reason ('min_treated', 'not_imputable',
    'not_identified')."""

    @property
    def att(self) -> float:
        """The overall ATT (NaN when it could not be estimated)."""
        row = self.table[self.table["term"] == "ATT"]
        return float(row["estimate"].iloc[0]) if len(row) else np.nan

    @property
    def available(self) -> bool:
        return bool(np.isfinite(self.att))

    def overall(self) -> pd.Series:
        """The ATT row of `tidy()`."""
        return self.table[self.table["term"] == "ATT"].iloc[0]

    def event_study(self) -> pd.DataFrame:
        """Leads and post-period effects by event time, sorted (rows of `tidy()`)."""
        rows = self.table[self.table["kind"].isin(["pre", "post"])]
        return rows.sort_values("event_time", ignore_index=True)

    def tidy(self) -> pd.DataFrame:
        """One row per estimate: term ('ATT', 'tau_e', 'lead_k'), kind ('overall', 'post',
        'pre'), event_time, estimate, std_error, statistic, p_value, pointwise ci_low/ci_high
        (t on `df`), simultaneous band_low/band_high over the event-time rows, n_units (treated
        units behind the estimate), n_obs. ``attrs["std_error"]`` names the variance."""
        out = self.table.copy()
        out.attrs["std_error"] = self.se_description()
        return out

    def vcov(self) -> np.ndarray:
        """Covariance of the `tidy()` estimates, in table order (`se_description()`)."""
        return self.covariance.copy()

    def summary(self) -> str:
        """Text summary with the inference and what was left out."""
        notes = [f"Imputation estimator (Borusyak, Jaravel & Spiess 2024); {self.n_units} units "
                 f"({self.n_treated_units} treated, {self.n_never_treated} never treated), "
                 f"{self.n_imputed_obs} of {self.n_treated_obs} treated observations imputed",
                 f"SE: {self.se_description()}; simultaneous band critical value "
                 f"{self.band_crit:.3f}"]
        return format_tidy(self.table, "Imputation estimator", notes + self.notes)

    def se_description(self) -> str:
        """Which variance the SEs, intervals and band use, in words."""
        by = self.settings.get("cluster") or self.settings.get("unit") or "unit"
        if self.se == "bjs":
            return (f"{SE_METHODS['bjs']}, clustered by {by} ({self.n_clusters} clusters), "
                    "normal intervals; leads: cluster-robust CR1 of the pre-trend regression")
        return (f"{SE_METHODS['jackknife']} over {self.n_clusters} clusters ({by}); "
                f"t({self.df}) intervals")

    def plot(self, ax=None, labels: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        """The event-time profile with its simultaneous band (`plots.event_profile`)."""
        from p3k_study import plots

        return plots.event_profile(self.event_study(), labels=labels or {}, ax=ax)

    def __repr__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------- the data
@dataclass
class _Obs:
    """The panel as observation-level arrays (codes 0..U-1 for units, 0..T-1 for periods)."""

    unit: np.ndarray
    period: np.ndarray
    cluster_of_unit: np.ndarray
    y: np.ndarray
    event: np.ndarray  # t - g for eventually treated units; NaN for never treated
    cohort: np.ndarray  # g per row, 0 for never treated
    treated: np.ndarray
    times: np.ndarray
    n_units: int
    n_clusters: int


def _observations(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
                  cluster: str | None, what: str) -> tuple[_Obs, list[str]]:
    require_columns(data, [outcome, unit, time, cohort, cluster], what)
    for c in (outcome, time):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise EstimationError(f"{what}: column {c!r} must be numeric, got {data[c].dtype}")
    if not (pd.api.types.is_numeric_dtype(data[cohort]) or data[cohort].isna().all()):
        raise EstimationError(f"{what}: cohort column {cohort!r} must be numeric (0/NaN = never)")
    notes: list[str] = []
    d = data[[c for c in dict.fromkeys([outcome, unit, time, cohort, cluster]) if c]]
    missing = d[outcome].isna() | d[time].isna() | d[unit].isna()
    if missing.any():  # a panel's unobserved periods: normal, not worth a warning
        d = d[~missing]
    if d.empty:
        raise EstimationError(f"{what}: no rows with an observed {outcome!r}")
    dup = d.duplicated([unit, time], keep=False)
    if dup.any():
        shown = d.loc[dup, [unit, time]].drop_duplicates().head(5)
        pairs = ", ".join(f"({u}, {t})" for u, t in shown.itertuples(index=False))
        raise EstimationError(f"{what}: {int(dup.sum())} rows repeat a ({unit}, {time}) pair, "
                              f"e.g. {pairs}; the panel needs one row per unit and period")
    g_by_unit = d.groupby(unit, sort=False, observed=True)[cohort].nunique(dropna=False)
    if (g_by_unit > 1).any():
        bad = list(g_by_unit.index[g_by_unit > 1][:5])
        raise EstimationError(f"{what}: the cohort must be constant within a unit; it changes "
                              f"in {bad}")
    for c in (time, cohort):
        values = d[c].to_numpy(dtype=float)
        if (np.isfinite(values) & (values % 1 != 0)).any():
            raise EstimationError(f"{what}: column {c!r} must hold whole numbers (periods "
                                  "counted in steps of 1, e.g. period_index), got "
                                  f"{values[np.isfinite(values) & (values % 1 != 0)][0]!r}")
    u_codes, _ = pd.factorize(d[unit], sort=True)
    times = np.sort(d[time].unique()).astype(float)
    p_codes = np.searchsorted(times, d[time].to_numpy(dtype=float))
    g = d[cohort].to_numpy(dtype=float)
    g = np.where(np.isnan(g) | (g > times[-1]), 0.0, g)
    t = d[time].to_numpy(dtype=float)
    ever = g > 0
    event = np.where(ever, t - g, np.nan)
    n_units = int(u_codes.max()) + 1
    if cluster is None or cluster == unit:
        cluster_of_unit = np.arange(n_units)
    else:
        if d[cluster].isna().any():
            raise EstimationError(f"{what}: {int(d[cluster].isna().sum())} rows have no "
                                  f"{cluster!r}; every row needs a cluster")
        c_codes, _ = pd.factorize(d[cluster], sort=True)
        cluster_of_unit = np.full(n_units, -1)
        cluster_of_unit[u_codes] = c_codes
        nested = pd.Series(c_codes).groupby(u_codes).nunique()
        if (nested > 1).any():
            raise EstimationError(f"{what}: units must be nested in clusters; some units of "
                                  f"{unit!r} appear in more than one {cluster!r}")
    obs = _Obs(unit=u_codes, period=p_codes, cluster_of_unit=cluster_of_unit,
               y=d[outcome].to_numpy(dtype=float), event=event, cohort=g,
               treated=ever & (t >= g), times=times, n_units=n_units,
               n_clusters=int(cluster_of_unit.max()) + 1)
    return obs, notes


# ---------------------------------------------------------------------------- the fits
class _System:
    """OLS of Y = alpha_unit + Z beta on a set of rows, with the unit effects eliminated.

    Z has one column per period and, for the pre-trend model, one per lead. For unit i with
    rows Z_i, outcome y_i and n_i rows the normal equations reduce to M beta = b with
    M = sum_i Z_i'Z_i - s_i s_i'/n_i and b = sum_i Z_i'y_i - s_i (1'y_i)/n_i, s_i = Z_i'1:
    a (periods + leads)-square system whatever the number of units. The first period's
    coefficient is fixed at 0.
    """

    def __init__(self, unit: np.ndarray, cols: list[np.ndarray], y: np.ndarray, n_units: int,
                 n_cols: int) -> None:
        self.unit, self.y, self.n_cols = unit, y, n_cols
        z = np.zeros((len(y), n_cols))
        ones = np.zeros(n_units * n_cols)  # per unit and column: its rows with a 1
        for c in cols:
            ok = c >= 0
            z[np.flatnonzero(ok), c[ok]] = 1.0
            ones += np.bincount(unit[ok] * n_cols + c[ok], minlength=n_units * n_cols)
        self.n = np.bincount(unit, minlength=n_units).astype(float)
        s = ones.reshape(n_units, n_cols)
        safe = np.where(self.n > 0, self.n, 1.0)
        self.z_within = z - (s / safe[:, None])[unit]  # Z minus its unit means
        self.m = self.z_within.T @ self.z_within
        self.s = s
        self.sy = np.bincount(unit, weights=y, minlength=n_units)
        self.rank = int(np.linalg.matrix_rank(self.m[1:, 1:]))
        self.b = self.z_within.T @ y
        self.beta = np.zeros(n_cols)
        self.beta[1:] = np.linalg.lstsq(self.m[1:, 1:], self.b[1:], rcond=None)[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            self.alpha = (self.sy - s @ self.beta) / self.n

    def solve_without(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """(beta, alpha, rank) of the fit without `rows` (a whole cluster: its units' rows).
        Units are nested in clusters, so the other units' within-unit terms do not change and
        the normal equations lose only the left-out rows' terms."""
        zw = self.z_within[rows]
        m = self.m - zw.T @ zw
        b = self.b - zw.T @ self.y[rows]
        beta = np.zeros(self.n_cols)
        beta[1:], _, rank, _ = np.linalg.lstsq(m[1:, 1:], b[1:], rcond=None)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = (self.sy - self.s @ beta) / self.n
        return beta, alpha, int(rank)


class _Connectivity:
    """Which treated rows the untreated rows can impute, in the full sample and without any
    one cluster.

    Row (i, t)'s alpha_i + lambda_t is identified when unit i and period t lie in one connected
    component of the bipartite unit-period graph of the untreated rows. Every unit lies in the
    component of its own untreated periods, so the components follow from a graph on the
    periods alone, periods p and q joined when some unit is untreated in both: a few dozen
    nodes, however many units. Edge and row counts per cluster give that graph without any one
    cluster by subtraction. (Rebuilding the bipartite graph for each leave-out fit was 2.5 s of
    the national headline's 5.1 s CPU: 514 clusters, 200,000 untreated rows.)
    """

    def __init__(self, obs: _Obs, untreated: np.ndarray, rows: np.ndarray) -> None:
        """`untreated`: boolean over all rows; `rows`: the rows `imputable` answers for."""
        self.row_unit, self.row_period = obs.unit[rows], obs.period[rows]
        fit = np.flatnonzero(untreated)
        unit, period = obs.unit[fit], obs.period[fit]
        n_t = len(obs.times)
        self.n_t, self.obs = n_t, obs
        self.first = np.full(obs.n_units, n_t)  # each unit's first untreated period; n_t: none
        np.minimum.at(self.first, unit, period)
        cluster = obs.cluster_of_unit[unit]
        # a unit's untreated periods are joined through its first one (a star: same components)
        self.edges = self._counts(cluster, self.first[unit] * n_t + period, n_t * n_t)
        self.periods = self._counts(cluster, period, n_t)

    def _counts(self, cluster: np.ndarray, key: np.ndarray,
                size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Total count per key, and per cluster its keys and counts (sorted by cluster)."""
        pairs, n = np.unique(cluster.astype(np.int64) * size + key, return_counts=True)
        of_cluster, keys = np.divmod(pairs, size)
        starts = np.searchsorted(of_cluster, np.arange(self.obs.n_clusters + 1))
        return np.bincount(keys, weights=n, minlength=size), keys, n, starts

    def _labels(self, without: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Component of each period (-1: no untreated row) and of each unit's first untreated
        period (-1: none), without cluster `without`'s rows."""
        (edges, e_keys, e_n, e_at), (rows, p_keys, p_n, p_at) = self.edges, self.periods
        edges, rows = edges.copy(), rows.copy()
        if without is not None:
            part = slice(e_at[without], e_at[without + 1])
            np.subtract.at(edges, e_keys[part], e_n[part])
            part = slice(p_at[without], p_at[without + 1])
            np.subtract.at(rows, p_keys[part], p_n[part])
        labels = _component_labels(edges.reshape(self.n_t, self.n_t) > 0)
        period_comp = np.append(np.where(rows > 0, labels, -1), -1)  # [n_t]: no period
        unit_comp = period_comp[self.first]
        if without is not None:
            unit_comp[self.obs.cluster_of_unit == without] = -1
        return period_comp[:-1], unit_comp

    def imputable(self, without: int | None = None) -> np.ndarray:
        """For each of the rows: are its unit and period in one component of the untreated
        rows (without cluster `without`'s)?"""
        period_comp, unit_comp = self._labels(without)
        uc = unit_comp[self.row_unit]
        return (uc >= 0) & (uc == period_comp[self.row_period])


def _component_labels(adjacency: np.ndarray) -> np.ndarray:
    """Connected-component label of each node of a small undirected graph (boolean adjacency
    matrix): the lowest node it reaches. Squaring the reachability matrix until it stops
    growing takes a few products of a periods x periods matrix; scipy's connected_components
    costs more in checking its input than that, 514 times over in the national headline."""
    reach = adjacency | adjacency.T | np.eye(len(adjacency), dtype=bool)
    while True:
        grown = (reach.astype(np.int64) @ reach.astype(np.int64)) > 0
        if (grown == reach).all():
            return reach.argmax(axis=1)
        reach = grown


def _by_cluster(cluster: np.ndarray, n_clusters: int) -> list[np.ndarray]:
    """Positions of each cluster's entries in `cluster`, for clusters 0..n_clusters-1."""
    order = np.argsort(cluster, kind="stable")
    bounds = np.searchsorted(cluster[order], np.arange(n_clusters + 1))
    return [order[bounds[c]:bounds[c + 1]] for c in range(n_clusters)]


def _enough_comparisons(obs: _Obs, untreated: np.ndarray, k: int) -> np.ndarray:
    """Rows whose period has at least `k` distinct units observed without the treatment
    (`_observations` refuses repeated unit-periods, so rows are distinct units)."""
    per_period = np.bincount(obs.period[untreated], minlength=len(obs.times))
    return per_period[obs.period] >= k


def imputable_observations(data: pd.DataFrame, outcome: str, unit: str, time: str,
                           cohort: str, min_comparison: int = 1) -> pd.Series:
    """Boolean Series (aligned to `data`): treated rows with an observed outcome whose
    untreated outcome the imputation estimator can impute. The simulator uses it to write the
    true value of exactly the quantity the regional headline estimates."""
    obs, _ = _observations(data, outcome, unit, time, cohort, None, "imputable_observations")
    keep = data[outcome].notna() & data[time].notna() & data[unit].notna()
    out = pd.Series(False, index=data.index)
    connected = _Connectivity(obs, ~obs.treated, np.arange(obs.y.size)).imputable()
    out[keep[keep].index] = (obs.treated & connected
                             & _enough_comparisons(obs, ~obs.treated, min_comparison))
    return out


# ---------------------------------------------------------------------------- the estimator
def did_imputation(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    cluster: str | None = None,
    leads: int = 4,
    min_treated: int = 1,
    min_comparison: int = 1,
    alpha: float = 0.05,
    seed: int = 20240901,
    band_draws: int = 20_000,
    se: str = "jackknife",
) -> ImputationResult:
    """Imputation estimator of Borusyak, Jaravel and Spiess (2024) with jackknife inference.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time, cohort : str
        Columns: the outcome; the unit id; the period (numeric, consecutive integers for
        consecutive periods, e.g. ``period_index``); the period of first treatment (0 or NaN =
        never treated; later than the last period = never treated within the window).
    cluster : str, optional
        Column that clusters units (units must be nested in clusters); default: the unit.
    leads : int
        Pre-period lead coefficients to estimate (event times -leads .. -1).
    min_treated : int
        Event times and leads that rest on fewer treated units are left out (noted); the overall
        ATT is NaN when fewer units are treated.
    min_comparison : int
        Treated observations in a period where fewer units without the treatment are observed
        are left out (noted): their imputed outcome would rest on those few units' period
        shocks, which the jackknife with t(G-1) does not size well (coverage 87.8-90.5% with 1-3
        such units in benchmarks/sim_designs.py, docs/methods.md).
    alpha : float
        1 - confidence level of intervals and band.
    seed : int
        Seed of the draws behind the simultaneous band's critical value.
    band_draws : int
        Number of those draws.
    se : {"jackknife", "bjs"}
        The variance. ``"jackknife"`` (default; what the reports use): the fixed-target
        delete-one-cluster jackknife with t(G-1) intervals (module docstring). ``"bjs"``: BJS
        (2024) Theorem 3's conservative variance, clustered by `cluster`, with normal
        intervals, as R's didimputation and diff-diff's ``ImputationDiD()`` compute it by
        default (`_bjs_covariance`); the leads then get the cluster-robust CR1 variance of the
        pre-trend regression (as R's didimputation reports its pretrends through fixest).

    Returns
    -------
    ImputationResult
        `tidy()` has the row ``term == "ATT"`` (the overall average effect), rows ``tau_e`` for
        each post-period event time and ``lead_k`` for each pre-period lead.
    """
    what = "did_imputation"
    if se not in SE_METHODS:
        raise EstimationError(f"{what}: se must be one of {sorted(SE_METHODS)}, got {se!r}")
    if min_treated < 1:
        raise EstimationError(f"{what}: min_treated must be >= 1")
    if min_comparison < 1:
        raise EstimationError(f"{what}: min_comparison must be >= 1")
    if leads < 0:
        raise EstimationError(f"{what}: leads must be >= 0")
    obs, notes = _observations(data, outcome, unit, time, cohort, cluster, what)
    if obs.n_clusters < 2:
        raise EstimationError(f"{what}: the {'jackknife' if se == 'jackknife' else 'variance'} "
                              f"needs at least two clusters; there is {obs.n_clusters}")
    untreated = ~obs.treated
    if not obs.treated.any():
        raise EstimationError(f"{what}: no observation is treated")
    if not untreated.any():
        raise EstimationError(f"{what}: every observation is treated; there is nothing to "
                              "compare with")
    imputable = obs.treated & _Connectivity(obs, untreated, np.arange(obs.y.size)).imputable()
    n_left = int(obs.treated.sum() - imputable.sum())
    left: list[tuple[str, float, int, int, str]] = []
    if n_left:
        lost = obs.treated & ~imputable
        left.append(("observations", np.nan, int(np.unique(obs.unit[lost]).size), n_left,
                     "not_imputable"))
        notes.append(f"{n_left} of {int(obs.treated.sum())} treated observations cannot be "
                     "imputed (their unit has no untreated observation, or no untreated unit "
                     "is observed in their period) and are left out")
    used = imputable & _enough_comparisons(obs, untreated, min_comparison)
    if (thin := imputable & ~used).any():
        left.append(("observations", np.nan, int(np.unique(obs.unit[thin]).size),
                     int(thin.sum()), "min_comparison"))
        notes.append(f"{int(thin.sum())} treated observations left out: in their period fewer "
                     f"than min_comparison = {min_comparison} units without the treatment are "
                     "observed")
    event = obs.event
    unit_cohort_known = np.isfinite(event)
    # ---- which quantities to report
    treated_units = np.unique(obs.unit[used])
    post_e = np.unique(event[used]).astype(int)
    post_keep, dropped_post = [], []
    for e in post_e:
        n_e = np.unique(obs.unit[used & (event == e)]).size
        (post_keep if n_e >= min_treated else dropped_post).append((int(e), n_e))
    lead_rows = untreated & unit_cohort_known & (event < 0) & (event >= -leads)
    lead_keep, dropped_leads = [], []
    for k in range(1, leads + 1):
        n_k = np.unique(obs.unit[lead_rows & (event == -k)]).size
        if n_k == 0:
            continue
        (lead_keep if n_k >= min_treated else dropped_leads).append((k, n_k))
    for e, n_e in dropped_post:
        left.append(("event_time", float(e), n_e, int((used & (event == e)).sum()),
                     "min_treated"))
    for k, n_k in dropped_leads:
        left.append(("lead", float(-k), n_k, int((lead_rows & (event == -k)).sum()),
                     "min_treated"))
    if dropped_post:
        notes.append("event times left out (fewer than min_treated = "
                     f"{min_treated} treated units): "
                     + ", ".join(f"e={e} ({n} units)" for e, n in dropped_post))
    if dropped_leads:
        notes.append(f"leads left out (fewer than {min_treated} treated units): "
                     + ", ".join(f"e=-{k} ({n} units)" for k, n in dropped_leads))
    overall_ok = treated_units.size >= min_treated
    if not overall_ok:
        left.append(("overall", np.nan, int(treated_units.size), int(used.sum()),
                     "min_treated"))
        notes.append(f"overall ATT not estimated: {treated_units.size} treated units, fewer "
                     f"than min_treated = {min_treated}")

    # ---- step 1 and 2: fit on untreated rows, impute the treated ones
    n_t = len(obs.times)
    rows0 = np.flatnonzero(untreated)
    u0, p0, y0 = obs.unit[rows0], obs.period[rows0], obs.y[rows0]
    imp = _System(u0, [p0], y0, obs.n_units, n_t)
    tau = obs.y - imp.alpha[obs.unit] - imp.beta[obs.period]
    kept_k = [k for k, _ in lead_keep]
    ev0 = event[rows0]
    pre = None
    while kept_k:  # the longest leads go first until the rest are identified
        lead_col = np.full(rows0.size, -1)
        for j, k in enumerate(kept_k):
            lead_col[ev0 == -k] = n_t + j
        pre = _System(u0, [p0, lead_col], y0, obs.n_units, n_t + len(kept_k))
        if pre.rank == imp.rank + len(kept_k):
            break
        left.append(("lead", float(-kept_k[-1]), lead_keep[-1][1],
                     int((lead_rows & (event == -kept_k[-1])).sum()), "not_identified"))
        notes.append(f"lead e=-{kept_k[-1]} left out: with it the leads are not identified "
                     "separately from the unit effects (no earlier untreated period to compare "
                     "with)")
        kept_k, lead_keep, pre = kept_k[:-1], lead_keep[:-1], None

    # ---- step 3: the targets, as fixed weights on the imputed rows
    targets: list[np.ndarray] = []  # boolean masks over all rows
    if overall_ok:
        targets.append(used)
    targets += [used & (event == e) for e, _ in post_keep]
    used_rows = np.flatnonzero(used)
    weights = np.zeros((len(targets), used_rows.size))
    for j, mask in enumerate(targets):
        weights[j] = mask[used_rows] / mask.sum()
    estimates = list(weights @ tau[used_rows])
    if pre is not None:
        estimates += list(pre.beta[n_t:])

    full = np.array(estimates)
    g = obs.n_clusters
    if se == "bjs":
        cov = _bjs_covariance(obs, imp, pre, rows0, used_rows, weights, tau, n_t)
        df: int | None = None
        t_crit = float(stats.norm.ppf(1 - alpha / 2))
    else:
        cov = _jackknife_covariance(obs, imp, pre, rows0, used_rows, weights, tau, n_t, event,
                                    untreated, lead_rows, kept_k, len(estimates))
        df = g - 1
        t_crit = float(stats.t.ppf(1 - alpha / 2, df))
    std_error = np.sqrt(np.diag(cov))
    std_error = np.where(std_error > 1e-12, std_error, np.nan)

    terms = (["ATT"] if overall_ok else []) + [f"tau_{e}" for e, _ in post_keep] + [
        f"lead_{k}" for k in kept_k]
    kinds = (["overall"] if overall_ok else []) + ["post"] * len(post_keep) + [
        "pre"] * len(kept_k)
    etimes = ([np.nan] if overall_ok else []) + [float(e) for e, _ in post_keep] + [
        float(-k) for k in kept_k]
    n_units_col = (([treated_units.size] if overall_ok else []) + [n for _, n in post_keep]
                   + [n for _, n in lead_keep])
    n_obs_col = [int(m.sum()) for m in targets] + [
        int((lead_rows & (event == -k)).sum()) for k in kept_k]
    profile = np.array(kinds, dtype=object) != "overall"
    band_crit = _sup_t_crit(cov[np.ix_(profile, profile)], df, alpha, seed, band_draws,
                            t_crit)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = full / std_error
    tail = stats.t(df) if df is not None else stats.norm
    table = pd.DataFrame({
        "term": terms, "kind": kinds, "event_time": etimes, "estimate": full,
        "std_error": std_error, "statistic": stat, "p_value": 2 * tail.sf(np.abs(stat)),
        "ci_low": full - t_crit * std_error, "ci_high": full + t_crit * std_error,
        "band_low": np.where(profile, full - band_crit * std_error, np.nan),
        "band_high": np.where(profile, full + band_crit * std_error, np.nan),
        "n_units": n_units_col, "n_obs": n_obs_col,
    }, columns=TIDY_COLUMNS)
    imputed = pd.DataFrame({"unit_code": obs.unit[used], "time": obs.times[obs.period[used]],
                            "event_time": event[used], "tau": tau[used]})
    n_never = int(np.unique(obs.unit[~unit_cohort_known]).size)
    for note in notes:
        warnings.warn(f"{what}: {note}", EstimationWarning, stacklevel=2)
    settings = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
                "cluster": cluster, "leads": leads, "min_treated": min_treated,
                "min_comparison": min_comparison, "alpha": alpha,
                "seed": seed, "band_draws": band_draws, "t_crit": t_crit, "se": se}
    return ImputationResult(
        table=table, covariance=cov, n_clusters=g, df=df, band_crit=band_crit, se=se,
        settings=settings, notes=notes, n_units=obs.n_units,
        n_treated_units=int(np.unique(obs.unit[unit_cohort_known & obs.treated]).size),
        n_never_treated=n_never, n_treated_obs=int(obs.treated.sum()),
        n_imputed_obs=int(used.sum()), imputed=imputed,
        left_out=pd.DataFrame(left, columns=LEFT_OUT_COLUMNS))


def _jackknife_covariance(obs: _Obs, imp: _System, pre: _System | None, rows0: np.ndarray,
                          used_rows: np.ndarray, weights: np.ndarray, tau: np.ndarray, n_t: int,
                          event: np.ndarray, untreated: np.ndarray, lead_rows: np.ndarray,
                          kept_k: list[int], n_estimates: int) -> np.ndarray:
    """Delete-one-cluster jackknife covariance of the targets (`weights` @ tau over the used
    rows) and the leads, the target weights held fixed (module docstring, `_CellMeans`)."""
    cluster_of_row = obs.cluster_of_unit[obs.unit]
    cells = _CellMeans(obs, used_rows)
    in_fit = _by_cluster(cluster_of_row[rows0], obs.n_clusters)  # positions in rows0
    cluster_used = cluster_of_row[used_rows]
    y_used, unit_used, period_used = obs.y[used_rows], obs.unit[used_rows], obs.period[used_rows]
    connected = _Connectivity(obs, untreated, used_rows)
    # per kept lead: its rows in each cluster (a lead is unidentified without all of them)
    lead_counts = np.array([np.bincount(cluster_of_row[lead_rows & (event == -k)],
                                        minlength=obs.n_clusters) for k in kept_k]).reshape(
        len(kept_k), obs.n_clusters)
    jack = np.full((obs.n_clusters, n_estimates), np.nan)
    n_targets = weights.shape[0]
    for c in range(obs.n_clusters):
        own = cluster_used == c
        beta_c, alpha_c, rank_c = imp.solve_without(in_fit[c])
        tau_c = y_used - alpha_c[unit_used] - beta_c[period_used]
        known = connected.imputable(without=c) & ~own
        values = cells.fill(tau_c, known, own, tau[used_rows])
        jack[c, :n_targets] = weights @ values
        if pre is not None:
            gamma, _, rank_pre = pre.solve_without(in_fit[c])
            if rank_pre == rank_c + len(kept_k):  # else the leads are not identified without c
                has = lead_counts.sum(axis=1) > lead_counts[:, c]
                jack[c, n_targets:] = np.where(has, gamma[n_t:], np.nan)
    g = obs.n_clusters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centred = jack - np.nanmean(jack, axis=0)
    undefined = ~np.isfinite(centred)
    cov = (g - 1) / g * np.where(undefined, 0.0, centred).T @ np.where(undefined, 0.0, centred)
    bad = undefined.any(axis=0)  # some leave-out fit cannot compute it: no jackknife variance
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    return cov


def _bjs_covariance(obs: _Obs, imp: _System, pre: _System | None, rows0: np.ndarray,
                    used_rows: np.ndarray, weights: np.ndarray, tau: np.ndarray,
                    n_t: int) -> np.ndarray:
    """BJS (2024) Theorem 3's conservative covariance of the targets, clustered, and the CR1
    covariance of the leads.

    Each target is sum_it v_it Y_it over all rows: v_it = w_it on the imputed rows and, on the
    untreated rows, the weights the fitted alpha_i + lambda_t put on them (BJS eq. 6, here from
    the unit-demeaned normal equations of `_System`). The variance is sum_c (sum_{it in c}
    v_it eps_it)^2 over clusters c, with eps_it the step-1 residual on the untreated rows and
    tau_it - tau_g on the imputed rows, tau_g the auxiliary model's effect of the row's
    (cohort, event time) cell: sum v^2 tau / sum v^2 over the cell (BJS eq. 8 with unit
    clusters; each unit has at most one row per cell). No finite-sample factor and no
    leave-one-out refinement: diff-diff 3.13's ImputationDiD() defaults (aux_partition=
    "cohort_horizon", leave_one_out=False), which equal R didimputation's. The leads (the
    pre-trend regression's coefficients, BJS test 1, which R didimputation reports from a
    fixest regression) get the cluster-robust sandwich scaled by G/(G-1) (N-1)/(N-K), N its
    untreated rows, K its leads plus periods (unit effects nest in the clusters and are not
    counted): pyfixest's CRV1 with its default small-sample correction on the same rows
    (fixef_rm="none"). Covariances with the targets use the same per-cluster influence, so the
    matrix is sum_c psi_c psi_c'.
    """
    g = obs.n_clusters
    u0, p0, y0 = obs.unit[rows0], obs.period[rows0], obs.y[rows0]
    unit1, period1 = obs.unit[used_rows], obs.period[used_rows]

    def sums(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
        """(size, columns): the sum of each column of `values` (rows x columns) by code."""
        return np.column_stack([np.bincount(codes, weights=col, minlength=size)
                                for col in values.T]).reshape(size, values.shape[1])

    per_unit = sums(unit1, weights.T, obs.n_units)
    per_unit /= np.where(imp.n > 0, imp.n, 1.0)[:, None]
    per_period = sums(period1, weights.T, n_t)
    c = imp.s.T @ per_unit - per_period  # (n_t, targets): d target / d beta
    x = np.linalg.lstsq(imp.m[1:, 1:], c[1:], rcond=None)[0]
    v0 = imp.z_within[:, 1:] @ x - per_unit[u0]  # (untreated rows, targets)
    e0 = y0 - imp.alpha[u0] - imp.beta[p0]
    cohort_code = pd.factorize(obs.cohort[used_rows])[0]
    event_code = (obs.event[used_rows] - obs.event[used_rows].min()).astype(np.int64)
    cell = pd.factorize(cohort_code * (int(event_code.max()) + 1) + event_code)[0]
    tau1 = tau[used_rows]
    v2 = weights.T ** 2  # (used rows, targets)
    n_cells = int(cell.max()) + 1
    num = sums(cell, v2 * tau1[:, None], n_cells)
    den = sums(cell, v2, n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau_cell = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    e1 = tau1[:, None] - tau_cell[cell]  # rows of a cell with no weight have v = 0
    cluster = obs.cluster_of_unit
    psi = sums(cluster[u0], v0 * e0[:, None], g) + sums(cluster[unit1], weights.T * e1, g)
    if pre is not None:
        n_leads = pre.n_cols - n_t
        resid = y0 - (pre.sy / np.where(pre.n > 0, pre.n, 1.0))[u0] - pre.z_within @ pre.beta
        score = sums(cluster[u0], pre.z_within[:, 1:] * resid[:, None], g)
        influence = np.linalg.lstsq(pre.m[1:, 1:], score.T, rcond=None)[0].T[:, -n_leads:]
        n, k = rows0.size, pre.rank + 1  # leads and every period: the unit effects nest
        factor = g / (g - 1) * (n - 1) / (n - k)
        psi = np.column_stack([psi, np.sqrt(factor) * influence])
    return psi.T @ psi


class _CellMeans:
    """Leave-out stand-ins for imputed rows a jackknife fit cannot impute.

    Holding the target weights fixed, the rows of the left-out cluster take the mean tau of
    the other rows of their (cohort, event time) cell, else of their event time, else of their
    cohort, else of all rows; the gap between that mean and the row's own full-sample tau is
    shrunk by sqrt(m / (m + 1)), m the rows the mean rests on. The jackknife then measures how
    the estimate of the *same* average moves: the estimand is the effect on this region's
    units, whose effects are not a sample (a jackknife that drops them adds their spread to
    the variance). The shrinkage makes the square of a row's gap unbiased for its error
    variance when effects are common within the cell, as HC2 does for a mean; the plain
    leave-out gap overstates it by (m + 1) / m. A row outside the left-out cluster that the
    smaller fit can no longer impute takes the mean unshrunk.
    """

    def __init__(self, obs: _Obs, rows: np.ndarray) -> None:
        self.levels = [pd.factorize(pd.MultiIndex.from_arrays(keys))[0] if len(keys) > 1
                       else pd.factorize(keys[0])[0]
                       for keys in ((obs.cohort[rows], obs.event[rows]), (obs.event[rows],),
                                    (obs.cohort[rows],))]

    def fill(self, tau: np.ndarray, known: np.ndarray, own: np.ndarray,
             tau_full: np.ndarray) -> np.ndarray:
        """`tau` where `known`; elsewhere the mean of the known rows of the finest level with
        any, moved towards `tau_full` on the `own` rows (see the class docstring)."""
        out = np.where(known, tau, np.nan)
        todo = ~known
        for codes in self.levels:
            if not todo.any():
                break
            n = np.bincount(codes[known], minlength=codes.max() + 1)
            total = np.bincount(codes[known], weights=tau[known], minlength=codes.max() + 1)
            ok = todo & (n[codes] > 0)
            mean = total[codes[ok]] / n[codes[ok]]
            shrink = np.where(own[ok], np.sqrt(n[codes[ok]] / (n[codes[ok]] + 1.0)), 1.0)
            out[ok] = tau_full[ok] + (mean - tau_full[ok]) * shrink
            todo &= ~ok
        if todo.any():
            out[todo] = tau[known].mean() if known.any() else np.nan
        return out


def _sup_t_crit(cov: np.ndarray, df: int | None, alpha: float, seed: int, draws: int,
                pointwise: float) -> float:
    """Critical value c with P(max_j |T_j| <= c) = 1 - alpha for T multivariate t(df) (normal
    when `df` is None) with the correlation of `cov` (finite entries only); the pointwise value
    when fewer than two."""
    ok = np.isfinite(np.diag(cov)) & (np.diag(cov) > 0)
    if ok.sum() < 2:
        return pointwise
    c = cov[np.ix_(ok, ok)]
    d = np.sqrt(np.diag(c))
    corr = c / np.outer(d, d)
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((draws, len(d))) @ root.T
    scale = np.sqrt(rng.chisquare(df, size=draws) / df) if df is not None else 1.0
    tmax = np.max(np.abs(z), axis=1) / scale
    return float(max(np.quantile(tmax, 1 - alpha), pointwise))
