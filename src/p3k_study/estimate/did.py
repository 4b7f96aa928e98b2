"""Callaway & Sant'Anna (2021) group-time average treatment effects, own implementation.

Why our own: it works on a units x periods array (fast at national scale), adds the pairwise
estimator for unbalanced panels and a small-sample pre-test (below). The Python ports install:
`csdid` 0.4.3 (it pulls in twine and plotnine as install requirements, which its code does not
import) and `moderndid` 0.2.0 both install with pip here (checked 2026-12); csdid serves as a
reference in tests/reference/make_bootstrap_reference.py. (`differences` was found to crash when
given a cluster variable; not re-checked.) This module follows R `did` (att_gt + aggte) for
balanced panels:

* cohort 0 or NaN = never treated; cohorts treated in (or before) the first period + anticipation
  are dropped with a warning (as R did); cohorts after the last period count as never treated
  within the observed window (warning).
* unbalanced panels, `unbalanced="drop"` (default, R did with panel=TRUE): units not observed
  in every period are dropped, with a warning giving the count.
* `unbalanced="pairwise"`: every unit observed in two or more periods is kept (n units). Each
  ATT(g,t) is the usual panel 2x2 (same estimators) on S_gt: the units of cohort g and the
  eligible comparison units (never treated, or not yet treated at max(t, base) + anticipation)
  that are observed in both t and its base period; a cell with no treated or no comparison unit
  in S_gt (or whose covariate fit fails there) is NaN with a warning and is left out of every
  aggregation, whose weights are renormalised over the remaining cells.
  Scaling: the 2x2 returns psi_i (i in S_gt, n_gt units) with att - ATT = sum(psi_i) / n_gt +
  o_p; we store IF_i = (n / n_gt) psi_i for i in S_gt and 0 elsewhere, so sum(IF_i) / n is the
  same linear term. Hence every downstream formula written for n units is unchanged: the cell
  variance sum(IF**2) / n**2 = sum(psi**2) / n_gt**2, the covariance of two cells sums over the
  units in both, the aggregations use IF columns with cohort shares pg estimated on all n units
  (their weight influence function too), and the multiplier bootstrap draws one multiplier per
  unit (or cluster) shared by all cells. On a balanced panel S_gt is the balanced cell and
  n_gt = the balanced count, so "pairwise" equals "drop" to rounding (tests/test_estimate_
  unbalanced.py). The pre-test's small-sample F uses, per cohort, the mean number of units
  present in the tested cells as the sample size. Assumption: whether a unit is observed in
  both periods is independent of its outcome trend given cohort (and covariates), e.g. an SKM
  survey skipped for reasons unrelated to the IKM trend, and, for treated units, independent of
  the unit's own treatment effect (else ATT(g,t) is the effect of the units that happened to be
  surveyed, not of the cohort).
  `min_treated` (default 2 with "pairwise", 1 with "drop"): a cell with fewer treated units
  observed in both periods is NaN with a warning naming it, and left out of the aggregations as
  above. Why 2: with one treated unit its deviation from the treated mean is zero, so the cell's
  SE comes from the comparison units alone and ignores the treated unit's own variability
  (understated); the pairwise selection can leave one treated unit in a cell of a large cohort
  without anyone noticing. With "drop" the cells of a cohort all have the cohort's units, and a
  single-unit cohort already gets its own warning (kept as before; pass min_treated=2 to drop
  its cells).
  How this differs from R did's allow_unbalanced_panel=TRUE: R then switches to the
  repeated-cross-section estimators (DRDID drdid_rc / reg_did_rc / std_ipw_did_rc) on all
  observations of periods t and base, compares levels, not within-unit changes, and sums the
  observation-level influence function by unit. That uses units seen in only one of the two
  periods but needs the sample of each period to be a draw from the same population
  (no composition change) and loses the precision of differencing out unit effects (IKM levels
  differ far more across units than over time). "pairwise" keeps the panel estimators, so unit
  effects drop out and units seen once per pair add nothing; it is not expected to match R's
  numbers on unbalanced data.
* base period "varying" (R default): pre-treatment ATT(g,t) compare t with t-1, post-treatment
  ATT(g,t) compare t with g-1-anticipation; "universal" uses g-1-anticipation for every cell,
  and, as R did, the table keeps each cohort's reference cell t = g-1-anticipation with ATT 0,
  a zero influence function and SE NaN (R: NA), so the dynamic aggregation has an e=-1 row
  (ATT 0, SE NaN); pre-tests leave these cells out.
* est_method "dr" (DRDID::drdid_panel, the locally efficient doubly robust DiD with a logit
  propensity score and OLS outcome regression: what R did's "dr" calls for panel data), "ipw"
  (std_ipw_did_panel), "reg" (reg_did_panel), and "dr_imp" (DRDID::drdid_imp_panel, the
  "improved" doubly robust DiD of Sant'Anna & Zhao 2020: inverse-probability-tilting propensity
  score and weighted outcome regression, doubly robust for inference too; not offered by R did's
  att_gt, close to "dr" in practice, tests/test_estimate_att_gt.py).
* analytic SEs from the influence function (R did with bstrap=FALSE); `bootstrap=B` gives the
  multiplier bootstrap with IQR-based SEs and simultaneous (uniform) bands. Its multipliers
  (`bootstrap_weights`) are Rademacher (+-1 with probability 1/2, the default: R did's
  BMisc::multiplier_bootstrap and csdid use them) or Mammen's two-point weights. Mammen's gave
  a uniform critical value for the 12 ATT(g,t) of mpdta about 3% above R's (2.75 against 2.67;
  csdid 0.4.3 gives 2.669, tests/reference/mpdta_bootstrap.json).
* clustering (`cluster=`) sums the influence function within clusters before the variance or the
  bootstrap, as in R did after PR #261 (Callaway & Sant'Anna 2021, Remark 10); no small-sample
  factor is applied.
* pre-test (`AttGtResult.pretrend_test`): R did's Wald chi2 of the pre-treatment ATT(g,t) is
  available (`small_sample=False`), but by default a small-sample F test is used (cohorts as
  independent samples, Krishnamoorthy & Yu 2004 degrees of freedom; Hotelling's T2 with
  clusters), on the event-time averages when cohorts are too small for every cell: R's chi2 gave
  p = 1e-157 on a 40-unit panel with parallel trends (tests/test_estimate_pretrend.py).

Everything is computed on a units x periods array; each ATT(g,t) cell is a handful of vectorised
numpy operations, so ~19,000 units x 14 periods x 10 cohorts runs in well under a second without
covariates.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._common import (
    EstimationError,
    EstimationWarning,
    PeriodLabels,
    TestResult,
    format_tidy,
    grouped_wald,
    key_columns,
    normal_tidy,
    with_period_labels,
)
from ._drdid import ESTIMATORS
from ._panel import WidePanel, wide_panel

_Z75 = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
_SQRT5 = np.sqrt(5.0)
_MAMMEN_P = (_SQRT5 + 1) / (2 * _SQRT5)  # probability of the value (1 - sqrt5)/2


# --------------------------------------------------------------------------- inference helpers
class _Inference:
    """Variance and multiplier bootstrap of influence functions (n units, possibly clustered)."""

    def __init__(self, n: int, cluster: np.ndarray | None, bootstrap: int | None,
                 seed: int | None, alpha: float, weights: str = "rademacher") -> None:
        self.n = n
        self.weights = weights
        self.cluster = cluster
        self.n_clusters = int(cluster.max() + 1) if cluster is not None else n
        self.bootstrap = bootstrap
        self.alpha = alpha
        self.seed = int(np.random.SeedSequence(seed).generate_state(1)[0])

    def _sums(self, inf: np.ndarray) -> np.ndarray:
        inf = inf.reshape(self.n, -1)
        if self.cluster is None:
            return inf
        out = np.zeros((self.n_clusters, inf.shape[1]))
        np.add.at(out, self.cluster, inf)
        return out

    def vcov(self, inf: np.ndarray) -> np.ndarray:
        """Analytic variance matrix of the estimates whose influence functions are the columns."""
        s = self._sums(inf)
        return (s.T @ s) / self.n**2

    def analytic_se(self, inf: np.ndarray) -> np.ndarray:
        s = self._sums(inf)
        se = np.sqrt(np.sum(s**2, axis=0)) / self.n
        se[se <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
        return se

    def draws(self, inf: np.ndarray) -> np.ndarray:
        """B x k bootstrap draws of (estimate* - estimate); same multipliers on every call.

        The multipliers are drawn for blocks of units (or clusters), all B draws at once, and
        each block's contribution is added: `s` is read once, in cache-sized pieces, instead of
        once per chunk of draws (the product is bound by memory traffic at national scale).
        Rademacher multipliers come from random bits (8 per random byte)."""
        s = self._sums(inf)
        rng = np.random.default_rng(self.seed)
        b_total = int(self.bootstrap or 0)
        out = np.zeros((b_total, s.shape[1]))
        step = max(8, (1_000_000 // max(1, b_total)) // 8 * 8)
        for lo in range(0, self.n_clusters, step):
            width = min(step, self.n_clusters - lo)
            if self.weights == "mammen":
                v = np.where(rng.random((b_total, width)) < _MAMMEN_P, (1 - _SQRT5) / 2,
                             (1 + _SQRT5) / 2)
            else:  # Rademacher: -1 or +1 with probability 1/2
                bits = np.unpackbits(rng.integers(0, 256, size=(b_total, (width + 7) // 8),
                                                  dtype=np.uint8), axis=1, count=width)
                v = 1.0 - 2.0 * bits
            out += v @ s[lo:lo + width]
        return out / self.n

    def se_and_crit(self, inf: np.ndarray, uniform: bool = True) -> tuple[np.ndarray, float]:
        """SEs and critical value: analytic + normal, or bootstrap (IQR SEs, sup-t band)."""
        inf = inf.reshape(self.n, -1)
        z = float(stats.norm.ppf(1 - self.alpha / 2))
        if not self.bootstrap:
            return self.analytic_se(inf), z
        b = self.draws(inf)
        q75, q25 = np.quantile(b, [0.75, 0.25], axis=0, method="inverted_cdf")
        se = (q75 - q25) / _Z75
        se[se <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
        if not uniform or inf.shape[1] == 1:
            return se, z
        ok = np.isfinite(se)
        if not ok.any():
            return se, z
        tmax = np.max(np.abs(b[:, ok] / se[ok]), axis=1)
        crit = float(np.quantile(tmax[np.isfinite(tmax)], 1 - self.alpha, method="inverted_cdf"))
        return se, crit


# --------------------------------------------------------------------------- result objects
@dataclass
class AggregateResult:
    """An aggregation of ATT(g,t) (R did's aggte).

    Attributes
    ----------
    kind : str
        "simple", "dynamic", "group" or "calendar".
    att, se : float
        The overall ATT and its SE.
    table : DataFrame
        One row per event_time, cohort or time (empty for "simple"): att, se, and ci_low/ci_high
        with the critical value `crit` (simultaneous with a bootstrap, as R did).
    crit : float
        Critical value of the table's intervals.
    """

    kind: str
    att: float
    se: float
    table: pd.DataFrame
    crit: float
    inf_func: np.ndarray = field(repr=False)
    notes: list[str] = field(default_factory=list)
    alpha: float = 0.05
    row_inf: np.ndarray | None = field(default=None, repr=False)
    inference: Any = field(default=None, repr=False)
    labels: PeriodLabels = field(default_factory=PeriodLabels, repr=False)

    def vcov(self) -> np.ndarray:
        """Analytic (influence-function) variance matrix of the table rows (for 'simple': 1 x 1,
        of the overall ATT)."""
        if self.inference is None:
            raise EstimationError(f"aggregate '{self.kind}' has no influence function")
        if self.row_inf is None:
            return self.inference.vcov(self.inf_func[:, None])
        return self.inference.vcov(self.row_inf)

    @property
    def ci(self) -> tuple[float, float]:
        """Pointwise confidence interval of the overall ATT."""
        z = stats.norm.ppf(1 - self.alpha / 2)
        return self.att - z * self.se, self.att + z * self.se

    @property
    def simultaneous(self) -> bool:
        """True when the table rows have a simultaneous (bootstrap sup-t) band."""
        return bool(self.inference is not None and self.inference.bootstrap
                    and len(self.table) > 1)

    def tidy(self) -> pd.DataFrame:
        """The overall ATT, then one row per table entry.

        Returns
        -------
        DataFrame
            term ('ATT' for the overall average, then 'event_time=e', 'cohort=g' or 'time=t'),
            the key column (event_time, cohort or time; periods as labels when known; NaN on
            the ATT row), estimate, std_error, statistic, p_value, pointwise ci_low/ci_high,
            and band_low/band_high (simultaneous, with a bootstrap) for the table rows.
        """
        band = self.crit if self.simultaneous else None
        overall = normal_tidy(["ATT"], [self.att], [self.se], self.alpha,
                              band_crit=None if band is None else np.nan)
        if self.kind == "simple":
            return overall
        key = self.table.columns[0]
        values = list(self.table[key])
        shown = (self.labels.cohorts(values) if key == "cohort" else
                 self.labels.periods(values) if key == "time" else values)
        rows = normal_tidy([f"{key}={v}" for v in shown], self.table["att"].to_numpy(),
                           self.table["se"].to_numpy(), self.alpha, band_crit=band)
        out = pd.concat([overall, rows], ignore_index=True)
        return key_columns(out, self.labels, **{key: [np.nan, *values]})

    def summary(self) -> str:
        """Text summary."""
        return format_tidy(self.tidy(), f"Callaway-Sant'Anna aggregation: {self.kind}",
                           self.notes)

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Event-time profile for 'dynamic' (`plots.event_profile`), coefficient plot
        (`plots.forest`) otherwise.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw on it ('dynamic' only); default a new Figure.

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        t = self.tidy()
        if self.kind == "dynamic":
            return plots.event_profile(t.iloc[1:], ax=ax, labels={
                "x": "periods since first P3K", "y": "ATT (Callaway-Sant'Anna)",
                "band": "simultaneous band" if self.simultaneous else None})
        return plots.forest(t.rename(columns={"term": "label"}),
                            labels={"x": f"ATT aggregation: {self.kind}"})

    def __repr__(self) -> str:
        return self.summary()


@dataclass
class AttGtResult:
    """Group-time ATTs with their influence functions; aggregate with `.aggregate(kind)`."""

    table: pd.DataFrame
    inf_func: np.ndarray = field(repr=False)
    cohort_of_unit: np.ndarray = field(repr=False)
    inference: _Inference = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    crit: float = 1.959963984540054
    labels: PeriodLabels = field(default_factory=PeriodLabels, repr=False)

    @property
    def n_units(self) -> int:
        return len(self.cohort_of_unit)

    def vcov(self) -> np.ndarray:
        """Analytic (influence-function) variance matrix of the ATT(g,t) in table order."""
        return self.inference.vcov(self.inf_func)

    def joint_test(self, estimate: np.ndarray, inf: np.ndarray,
                   small_sample: bool = True) -> TestResult:
        """Wald test that `estimate` (k,) = 0, given its influence functions `inf` (n, k).

        Parameters
        ----------
        estimate : ndarray (k,)
            The tested estimates.
        inf : ndarray (n, k)
            Their influence functions (columns of `inf_func`, or an aggregation's `row_inf`).
        small_sample : bool
            False: the asymptotic chi2 of R did (no p-value, as R, when the covariance is
            singular). True: `grouped_wald` (F test; cohorts, or clusters, as the independent
            samples).

        Returns
        -------
        TestResult
            The chosen test, with the asymptotic chi2 in `chi2`/`chi2_p_value` either way.
        """
        b = np.asarray(estimate, dtype=float)
        inf = np.asarray(inf, dtype=float).reshape(self.n_units, -1)
        v = self.inference.vcov(inf)
        chi2, chi2_p = np.nan, np.nan
        if np.linalg.cond(v) < 1 / np.finfo(float).eps:
            chi2 = float(b @ np.linalg.solve(v, b))
            chi2_p = float(stats.chi2.sf(chi2, b.size))
        if self.inference.cluster is not None:
            rows = self.inference._sums(inf)
            groups = np.zeros(len(rows))
        else:
            rows, groups = inf, self.cohort_of_unit
        if small_sample:
            out = grouped_wald(b, rows, groups, self.n_units,
                               effective=bool(self.settings.get("gaps", False)))
        else:
            out = TestResult(chi2, int(b.size), chi2_p, "chi2 (asymptotic, as R did)",
                             note="" if np.isfinite(chi2) else
                             "the covariance of the tested estimates is singular")
        return dataclasses.replace(out, chi2=chi2, chi2_p_value=chi2_p)

    def pretrend_test(self, small_sample: bool = True, by: str = "auto") -> TestResult:
        """Joint test that the pre-treatment effects are 0 (R did's pre-test, made small-sample
        safe).

        by="cells" tests every pre-treatment ATT(g,t); by="event_time" tests the pre-treatment
        event times of the dynamic aggregation (fewer restrictions); "auto" (default) uses cells
        when each tested cohort has more than twice as many units as pre-periods (with
        `cluster`: clusters > 2 x cells), else event times, and says so in `note`.
        small_sample=True gives the F test of `grouped_wald`; False the asymptotic chi2 that R did
        prints (`by="cells", small_sample=False` reproduces R). Why: R's chi2 gave p = 1e-157 on a
        40-unit panel with parallel trends; over 200 simulated panels with parallel trends the
        F test rejects at 4-7% where the chi2 rejected at 15-99% (tests/test_estimate_pretrend.py).

        Parameters
        ----------
        small_sample : bool
            True (default): the F test; False: R did's asymptotic chi2.
        by : {"auto", "cells", "event_time"}
            What is tested (above).

        Returns
        -------
        TestResult
            statistic, df, df_denom, p_value, method, by, chi2, chi2_p_value, and `note` when
            something was changed or the test cannot be done (statistic and p_value are then NaN
            and an EstimationWarning says why). Pre-periods of single-unit cohorts are left out
            of the F test (there is no within-cohort variance to estimate).
        """
        if by not in ("auto", "cells", "event_time"):
            raise EstimationError(f"pretrend_test: by must be 'auto', 'cells' or 'event_time', "
                                  f"got {by!r}")
        t = self.table
        pre = (~t["post"]).to_numpy() & np.isfinite(t["se"].to_numpy())
        if not pre.any():
            raise EstimationError("pretrend_test: there are no pre-treatment ATT(g,t) to test")
        notes: list[str] = []
        clustered = self.inference.cluster is not None
        sizes = pd.Series(self.cohort_of_unit).value_counts()
        if small_sample and not clustered:
            single = t["cohort"].map(sizes).fillna(0).to_numpy() < 2
            if (pre & single).any():
                dropped = sorted(set(t.loc[pre & single, "cohort"]))
                notes.append(f"pre-periods of single-unit cohort(s) {dropped} left out")
                pre = pre & ~single
        if by == "auto":
            by = "cells"
            m_g = t.loc[pre].groupby("cohort").size()
            if clustered and self.inference.n_clusters <= 2 * int(pre.sum()):
                by = "event_time"
                notes.append(f"{self.inference.n_clusters} clusters are too few to test "
                             f"{int(pre.sum())} pre-treatment ATT(g,t) jointly; tested the "
                             "pre-treatment event times of the dynamic aggregation instead")
            elif not clustered and (avail := self._pre_sizes(pre, sizes, m_g)).any():
                by = "event_time"
                small = [int(g) if float(g) % 1 == 0 else float(g) for g in m_g.index[avail]]
                notes.append(f"cohort(s) {small} have too few units for their number of "
                             "pre-periods to test every ATT(g,t); tested the pre-treatment event "
                             "times of the dynamic aggregation instead")
        if by == "event_time":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                agg = self.aggregate("dynamic")
            e_pre = agg.table["event_time"].to_numpy() < 0
            e_pre &= np.isfinite(agg.table["se"].to_numpy())
            b_test = agg.table["att"].to_numpy()[e_pre]
            inf_test = None if agg.row_inf is None else agg.row_inf[:, e_pre]
        else:
            b_test, inf_test = t["att"].to_numpy()[pre], self.inf_func[:, pre]
        if b_test.size == 0 or inf_test is None:
            out = TestResult(np.nan, 0, np.nan, "none", df_denom=np.nan,
                             note="no testable pre-period")
        else:
            out = self.joint_test(b_test, inf_test, small_sample)
        note = "; ".join([*notes, *([out.note] if out.note else [])])
        out = dataclasses.replace(out, by=by, note=self.labels.text(note))
        if not out.available:
            warnings.warn(f"pretrend_test: no p-value: {out.note}",
                          EstimationWarning, stacklevel=2)
        return out

    def _pre_sizes(self, pre: np.ndarray, sizes: pd.Series, m_g: pd.Series) -> np.ndarray:
        """Cohorts (in m_g order) with too few units (<= 2 x pre-periods) for the cell test;
        with pairwise estimation the units are those of the smallest tested cell."""
        n_g = sizes.reindex(m_g.index).fillna(0)
        if self.settings.get("unbalanced") == "pairwise":
            n_g = self.table.loc[pre].groupby("cohort")["n_treated"].min().reindex(m_g.index)
        return (n_g <= 2 * m_g).to_numpy()

    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t).

        Returns
        -------
        DataFrame
            term ('ATT(g,t)' with labels when known), cohort, time (labels when the data had
            a `period` column, else the numbers), event_time (time - cohort, in periods),
            estimate, std_error, statistic, p_value, pointwise ci_low/ci_high, and with a
            bootstrap the simultaneous band_low/band_high (the `table`'s intervals).
        """
        t = self.table
        g, tt = list(t["cohort"]), list(t["time"])
        terms = [f"ATT({a},{b})" for a, b in zip(self.labels.cohorts(g), self.labels.periods(tt),
                                                 strict=True)]
        out = normal_tidy(terms, t["att"].to_numpy(), t["se"].to_numpy(),
                          self.settings["alpha"],
                          band_crit=self.crit if self.settings.get("bootstrap") else None)
        event = (t["time"].to_numpy(dtype=float) - t["cohort"].to_numpy(dtype=float))
        return key_columns(out, self.labels, cohort=g, time=tt, event_time=event)

    def summary(self) -> str:
        """Text summary with the settings and the pre-trend test."""
        s = self.settings
        notes = [f"Control group: {s['control_group']}; estimation method: {s['est_method']}; "
                 f"anticipation: {s['anticipation']}; base period: {s['base_period']}; "
                 f"unbalanced panel: {s.get('unbalanced', 'drop')}",
                 f"Units: {self.n_units}; SE: " + (f"multiplier bootstrap ({s['bootstrap']} draws, "
                 f"{s.get('bootstrap_weights', 'rademacher').capitalize()} weights), uniform bands"
                 if s["bootstrap"] else "analytic (influence function)")
                 + (f", clustered by {s['cluster']}" if s["cluster"] else "")]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimationWarning)
                pt = self.pretrend_test()
            notes.append(f"Pre-trend test: {pt}")
        except EstimationError:
            pass
        return format_tidy(self.tidy(), "Callaway-Sant'Anna group-time ATT", notes + self.notes)

    def plot(self, ncols: int = 3):  # type: ignore[no-untyped-def]
        """One panel per cohort (like R's ggdid), drawn by `plots.cohort_panels`.

        Parameters
        ----------
        ncols : int
            Panels per row.

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        t = self.tidy().assign(post=self.table["post"].to_numpy())
        return plots.cohort_panels(t, labels={"x": "period", "y": "ATT(g,t)"}, ncols=ncols)

    # ------------------------------------------------------------------ aggregation
    def aggregate(self, kind: str = "simple", min_e: float = -np.inf, max_e: float = np.inf,
                  balance_e: int | None = None) -> AggregateResult:
        """Aggregate like R did's aggte.

        Weights are cohort shares; the SEs include the influence function of the estimated
        weights (R did's `wif`) except where aggte itself leaves it out.

        Parameters
        ----------
        kind : {"simple", "dynamic", "group", "calendar"}
            The aggregation.
        min_e, max_e : float
            Event-time window ('dynamic'; max_e also limits 'simple' and 'group').
        balance_e : int, optional
            'dynamic' on the cohorts observed at least this many periods after adoption.

        Returns
        -------
        AggregateResult
        """
        kinds = ("simple", "dynamic", "group", "calendar")
        if kind not in kinds:
            raise EstimationError(f"aggregate: kind must be one of {kinds}, got {kind!r}")
        t = self.table
        g = t["cohort"].to_numpy(dtype=float)
        tt = t["time"].to_numpy(dtype=float)
        att = t["att"].to_numpy()
        inf = self.inf_func
        G = self.cohort_of_unit
        glist = np.unique(g)
        pg_by_g = np.array([np.mean(c == G) for c in glist])
        pg = pg_by_g[np.searchsorted(glist, g)]
        inference = self.inference
        notes: list[str] = []
        pos_all = np.minimum(np.searchsorted(glist, G), len(glist) - 1)
        in_glist = glist[pos_all] == G  # unit's cohort among the table's cohorts

        def weighted(idx: np.ndarray, use_wif: bool = True,
                     atts: np.ndarray = att, infs: np.ndarray = inf,
                     gs: np.ndarray = g, pgs: np.ndarray = pg) -> tuple[float, np.ndarray]:
            """Cohort-share weighted mean of atts[idx], with the weight influence function."""
            w = pgs[idx] / pgs[idx].sum()
            est = float(w @ atts[idx])
            out = infs[:, idx] @ w
            if use_wif:
                s = pgs[idx].sum()
                # indicator of unit i in the cohort of item j, minus pg_j
                a_by_cohort = np.zeros(len(glist))
                np.add.at(a_by_cohort, np.searchsorted(glist, gs[idx]), atts[idx])
                ind_att = np.where(in_glist, a_by_cohort[pos_all], 0.0)
                n_by_cohort = np.zeros(len(glist))
                np.add.at(n_by_cohort, np.searchsorted(glist, gs[idx]), 1.0)
                ind_cnt = np.where(in_glist, n_by_cohort[pos_all], 0.0)
                if1 = (ind_att - pgs[idx] @ atts[idx]) / s
                if2 = (ind_cnt - pgs[idx].sum()) * (pgs[idx] @ atts[idx]) / s**2
                out = out + if1 - if2
            return est, out

        finite = np.isfinite(att)
        if kind == "simple":
            keep = np.flatnonzero((g <= tt) & (tt <= g + max_e) & finite)
            if keep.size == 0:
                raise EstimationError("aggregate: no post-treatment ATT(g,t) to aggregate")
            est, inf_o = weighted(keep)
            se, _ = inference.se_and_crit(inf_o[:, None], uniform=False)
            return AggregateResult(kind, est, float(se[0]),
                                   pd.DataFrame(columns=["att", "se", "ci_low", "ci_high"]),
                                   float(stats.norm.ppf(1 - inference.alpha / 2)), inf_o, notes,
                                   inference.alpha, inference=inference, labels=self.labels)

        if kind == "dynamic":
            e_all = tt - g
            include = np.ones(len(g), dtype=bool)
            if balance_e is not None:
                include = (tt.max() - g) >= balance_e
                notes.append(f"Balanced in event time: cohorts observed at least {balance_e} "
                             "periods after adoption")
            eseq = np.unique(e_all[include & finite])
            eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
            if balance_e is not None:
                eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - (tt.max() - tt.min()))]
            rows_att, rows_inf = [], []
            for e in eseq:
                idx = np.flatnonzero((e_all == e) & include & finite)
                est, i_e = weighted(idx)
                rows_att.append(est)
                rows_inf.append(i_e)
            keys, key_name = eseq.astype(int), "event_time"
            A, IF_rows = np.array(rows_att), np.column_stack(rows_inf)
            post = eseq >= 0
            if not post.any():
                raise EstimationError("aggregate: no event time >= 0 to average")
            overall, inf_o = float(A[post].mean()), IF_rows[:, post].mean(axis=1)
        elif kind == "group":
            rows_att, rows_inf = [], []
            gl = []
            for c in glist:
                idx = np.flatnonzero((g == c) & (c <= tt) & (tt <= g + max_e) & finite)
                if idx.size == 0:
                    continue
                rows_att.append(float(att[idx].mean()))
                rows_inf.append(inf[:, idx].mean(axis=1))
                gl.append(c)
            keys, key_name = np.array(gl), "cohort"
            A, IF_rows = np.array(rows_att), np.column_stack(rows_inf)
            pgg = pg_by_g[np.searchsorted(glist, keys)]
            overall, inf_o = weighted(np.arange(len(keys)), atts=A, infs=IF_rows, gs=keys,
                                      pgs=pgg)
        else:  # calendar
            tl = np.unique(tt[tt >= g.min()])
            rows_att, rows_inf, kept = [], [], []
            for t1 in tl:
                idx = np.flatnonzero((tt == t1) & (g <= tt) & finite)
                if idx.size == 0:
                    continue
                est, i_t = weighted(idx)
                rows_att.append(est)
                rows_inf.append(i_t)
                kept.append(t1)
            keys, key_name = np.array(kept), "time"
            A, IF_rows = np.array(rows_att), np.column_stack(rows_inf)
            overall, inf_o = float(A.mean()), IF_rows.mean(axis=1)

        se_rows, crit = inference.se_and_crit(IF_rows, uniform=True)
        se_o, _ = inference.se_and_crit(inf_o[:, None], uniform=False)
        table = pd.DataFrame({key_name: keys, "att": A, "se": se_rows,
                              "ci_low": A - crit * se_rows, "ci_high": A + crit * se_rows})
        if key_name != "event_time" and np.all(np.mod(keys, 1) == 0):
            table[key_name] = keys.astype(int)
        return AggregateResult(kind, overall, float(se_o[0]), table, crit, inf_o, notes,
                               inference.alpha, row_inf=IF_rows, inference=inference,
                               labels=self.labels)


# --------------------------------------------------------------------------- estimation
def _prepare_cohorts(panel: WidePanel, anticipation: int, control_group: str,
                     notes: list[str]) -> tuple[WidePanel, np.ndarray]:
    times = panel.times
    G = panel.G.copy()
    keep = np.ones(len(G), dtype=bool)
    early = (G > 0) & (times[0] + anticipation >= G)
    if early.any():
        msg = (f"att_gt: dropped {int(early.sum())} units already treated in the first period "
               f"(cohort <= {times[0] + anticipation}); they have no pre-treatment period")
        notes.append(msg)
        warnings.warn(msg, EstimationWarning, stacklevel=3)
        keep &= ~early
    late = times[-1] < G
    if late.any():
        msg = (f"att_gt: {int(late.sum())} units first treated after the last period "
               f"({times[-1]}) are counted as never treated within the observed window")
        notes.append(msg)
        warnings.warn(msg, EstimationWarning, stacklevel=3)
        G[late] = 0
    Y, X, cl = panel.Y[keep], None if panel.X is None else panel.X[keep], None
    obs = None if panel.observed is None else panel.observed[keep]
    if panel.cluster is not None:
        cl = pd.factorize(pd.Series(panel.cluster[keep]))[0]
    G = G[keep]
    if not (G > 0).any():
        raise EstimationError("att_gt: no unit is ever treated (all cohorts are 0/NaN)")
    if not (G == 0).any():
        if control_group == "never_treated":
            raise EstimationError(
                "att_gt: there are no never-treated units (cohort 0/NaN), so "
                "control_group='never_treated' has no comparison group; use "
                "control_group='not_yet_treated'"
            )
        gmax = G.max()
        tkeep = times < gmax - anticipation
        msg = (f"att_gt: no never-treated units; using the last cohort ({gmax:g}) as the "
               f"comparison group and dropping periods >= {gmax - anticipation:g} (as R did)")
        notes.append(msg)
        warnings.warn(msg, EstimationWarning, stacklevel=3)
        G = np.where(gmax == G, 0.0, G)
        times = times[tkeep]
        Y = Y[:, tkeep]
        X = None if X is None else X[:, tkeep]
        obs = None if obs is None else obs[:, tkeep]
        if len(times) < 2:
            raise EstimationError("att_gt: fewer than two periods left before the last cohort")
    new = WidePanel(units=panel.units[keep], times=times, Y=Y, X=X, G=G, cluster=cl,
                    notes=panel.notes, observed=obs)
    return new, G


def _cell_label(cells: _Cells, times: np.ndarray, j: int) -> str:
    return f"ATT({cells.g[j]:g},{times[int(cells.k[j])]:g})"


class _Cells:
    """The ATT(g,t) cells as arrays (cohort g, period k, base period b), with their treated and
    comparison units, computed for blocks of cells at once: each cell is a masked mean over a
    units axis, so a block of cells is a few whole-array numpy operations instead of a Python
    loop with boolean fancy-indexing per cell."""

    _BLOCK = 2_000_000  # cells x units per block (memory of the temporaries)

    def __init__(self, g: np.ndarray, k: np.ndarray, b: np.ndarray, G: np.ndarray,
                 times: np.ndarray, obs: np.ndarray | None, anticipation: int,
                 never_only: bool) -> None:
        self.g, self.k, self.b, self.G = g, k, b, G
        self.obs_t = None if obs is None else np.ascontiguousarray(obs.T)
        self.never_only = never_only
        # not yet treated at max(t, base) + anticipation
        self.threshold = times[np.maximum(k, b)] + anticipation if len(k) else np.zeros(0)
        self.sorted = bool(np.all(G[1:] >= G[:-1]))

    def ranges(self, j: int) -> tuple[tuple[int, int], list[tuple[int, int]]]:
        """Cell j's treated units and comparison units as ranges of unit positions (units
        sorted by cohort, no gaps): the cohort; the never treated (cohort 0, first), and with
        not-yet-treated comparisons the cohorts after the threshold, less the cell's own."""
        G, g = self.G, self.g[j]
        t0, t1 = int(np.searchsorted(G, g, "left")), int(np.searchsorted(G, g, "right"))
        n0 = int(np.searchsorted(G, 0.0, "right"))
        ctrl = [(0, n0)]
        if not self.never_only:
            c0 = max(int(np.searchsorted(G, self.threshold[j], "right")), n0)
            if c0 < t1 and t0 < len(G) and g > self.threshold[j]:
                ctrl += [(c0, t0), (t1, len(G))]
            else:
                ctrl.append((c0, len(G)))
        return (t0, t1), [(a, z) for a, z in ctrl if z > a]

    def _blocks(self, cells: np.ndarray):  # type: ignore[no-untyped-def]
        step = max(1, self._BLOCK // max(1, len(self.G)))
        for lo in range(0, len(cells), step):
            yield lo, cells[lo:lo + step]

    def masks(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(treated, comparison) unit masks, (len(cells), n) bool, of the cells."""
        G = self.G
        treated = G[None, :] == self.g[cells, None]
        if self.never_only:
            control = np.broadcast_to(G == 0, treated.shape).copy()
        else:
            control = (G == 0)[None, :] | ((self.threshold[cells, None] < G[None, :])
                                           & ~treated)
        if self.obs_t is not None:  # pairwise: units observed in both periods of the 2x2
            both = self.obs_t[self.k[cells]] & self.obs_t[self.b[cells]]
            treated &= both
            control &= both
        return treated, control

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Treated and comparison units of every cell."""
        if self.obs_t is None and self.sorted:
            pairs = [self.ranges(j) for j in range(len(self.g))]
            return (np.array([t1 - t0 for (t0, t1), _ in pairs], dtype=np.int64),
                    np.array([sum(z - a for a, z in c) for _, c in pairs], dtype=np.int64))
        nt = np.zeros(len(self.g), dtype=np.int64)
        nc = np.zeros(len(self.g), dtype=np.int64)
        for lo, block in self._blocks(np.arange(len(self.g))):
            tm, cm = self.masks(block)
            nt[lo:lo + len(block)] = tm.sum(axis=1)
            nc[lo:lo + len(block)] = cm.sum(axis=1)
        return nt, nc

    def sample(self, j: int) -> np.ndarray:
        """Indices of the units of cell j (treated or comparison), in unit order."""
        if self.obs_t is None and self.sorted:
            (t0, t1), ctrl = self.ranges(j)
            return np.sort(np.concatenate([np.arange(a, z) for a, z in [(t0, t1), *ctrl]]))
        tm, cm = self.masks(np.array([j]))
        return np.flatnonzero(tm[0] | cm[0])

    def used(self, cells: np.ndarray) -> np.ndarray:
        """Units in at least one of the cells."""
        out = np.zeros(len(self.G), dtype=bool)
        if self.obs_t is None and self.sorted:
            for j in cells:
                (t0, t1), ctrl = self.ranges(int(j))
                for a, z in [(t0, t1), *ctrl]:
                    out[a:z] = True
            return out
        for _, block in self._blocks(cells):
            tm, cm = self.masks(block)
            out |= (tm | cm).any(axis=0)
        return out

    def unconditional(self, Y: np.ndarray, cells: np.ndarray, inf_t: np.ndarray,
                      rows: np.ndarray) -> np.ndarray:
        """ATT(g,t) without covariates (difference of mean changes, R did's unconditional
        2x2) of `cells`; their influence functions over all n units go to inf_t[rows]:
        n (dy - m1) / n_treated on treated units, -n (dy - m0) / n_control on comparison
        units (= the cell's own IF times n / n_cell), 0 elsewhere."""
        n = len(self.G)
        Yt = np.ascontiguousarray(Y.T)
        out = np.empty(len(cells))
        if self.obs_t is None and self.sorted:  # contiguous ranges: O(units in the cell)
            for i, (row, j) in enumerate(zip(rows, cells, strict=True)):
                (t0, t1), ctrl = self.ranges(int(j))
                yk, yb = Yt[self.k[j]], Yt[self.b[j]]
                dy1 = yk[t0:t1] - yb[t0:t1]
                m1 = dy1.mean()
                inf_t[row, t0:t1] = (dy1 - m1) * (n / (t1 - t0))
                dy0 = [yk[a:z] - yb[a:z] for a, z in ctrl]
                n0 = sum(len(x) for x in dy0)
                m0 = (dy0[0] if len(dy0) == 1 else np.concatenate(dy0)).mean()
                for (a, z), x in zip(ctrl, dy0, strict=True):
                    inf_t[row, a:z] = (x - m0) * (-n / n0)
                out[i] = m1 - m0
            return out
        for lo, block in self._blocks(cells):
            tm, cm = self.masks(block)
            dy = Yt[self.k[block]] - Yt[self.b[block]]
            if self.obs_t is not None:  # unobserved cells hold NaN; they are outside the masks
                dy = np.where(tm | cm, dy, 0.0)
            tf, cf = tm.astype(float), cm.astype(float)
            nt, nc = tf.sum(axis=1), cf.sum(axis=1)
            m1 = np.einsum("ij,ij->i", dy, tf) / nt
            m0 = np.einsum("ij,ij->i", dy, cf) / nc
            sl = rows[lo:lo + len(block)]
            inf_t[sl] = ((dy - m1[:, None]) * (tf * (n / nt)[:, None])
                         - (dy - m0[:, None]) * (cf * (n / nc)[:, None]))
            out[lo:lo + len(block)] = m1 - m0
        return out


@with_period_labels
def att_gt(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: str = "never_treated",
    covariates: Sequence[str] | None = None,
    est_method: str = "dr",
    anticipation: int = 0,
    bootstrap: int | None = None,
    cluster: str | None = None,
    seed: int | None = None,
    base_period: str = "varying",
    alpha: float = 0.05,
    unbalanced: Literal["drop", "pairwise"] = "drop",
    bootstrap_weights: Literal["rademacher", "mammen"] = "rademacher",
    min_treated: int | None = None,
) -> AttGtResult:
    """Callaway & Sant'Anna (2021) group-time ATTs (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome : str
        Outcome column.
    unit, time : str
        Unit identifier and integer period columns (with a `period` label column beside
        `time`, as `prepare` writes, results show periods as labels).
    cohort : str
        Period of the first treatment (0/NaN = never treated).
    control_group : {"never_treated", "not_yet_treated"}
        Comparison units.
    covariates : sequence of str, optional
        Covariates, taken in the base period (time-invariant use, as R did).
    est_method : {"dr", "ipw", "reg", "dr_imp"}
        "dr" (default, DRDID::drdid_panel as R did), "ipw", "reg" or "dr_imp"
        (DRDID::drdid_imp_panel; see the module docstring).
    anticipation : int
        Periods of anticipation.
    bootstrap : int, optional
        None: analytic SEs; B: multiplier bootstrap with B draws (IQR SEs, uniform bands).
    cluster : str, optional
        Cluster variable (clusters must contain whole units).
    seed : int, optional
        Seed of the bootstrap multipliers.
    base_period : {"varying", "universal"}
        Base period of the pre-treatment cells (module docstring).
    alpha : float
        1 - confidence level.
    unbalanced : {"drop", "pairwise"}
        "drop" (default, as R did with panel=TRUE) keeps only units observed in every period;
        "pairwise" keeps every unit observed in two or more periods and estimates each
        ATT(g,t) on the units observed in both t and its base period.
    bootstrap_weights : {"rademacher", "mammen"}
        Multipliers of the bootstrap (Rademacher as R did).
    min_treated : int, optional
        Default 2 with "pairwise", 1 with "drop": cells with fewer treated units are NaN with
        a warning (module docstring).

    Returns
    -------
    AttGtResult
        `.table` has cohort, time, att, se, ci_low, ci_high (plus base_time, post, n_treated,
        n_control: the units in that cell), period indices as given; `.tidy()` the same with
        labels; `.aggregate(kind)` gives R did's aggte aggregations.
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise EstimationError("att_gt: control_group must be 'never_treated' or "
                              f"'not_yet_treated', got {control_group!r}")
    if est_method not in ESTIMATORS:
        raise EstimationError(f"att_gt: est_method must be one of {list(ESTIMATORS)}, "
                              f"got {est_method!r}")
    if base_period not in ("varying", "universal"):
        raise EstimationError(f"att_gt: base_period must be 'varying' or 'universal', "
                              f"got {base_period!r}")
    if anticipation < 0:
        raise EstimationError("att_gt: anticipation must be >= 0")
    if unbalanced not in ("drop", "pairwise"):
        raise EstimationError(f"att_gt: unbalanced must be 'drop' or 'pairwise', "
                              f"got {unbalanced!r}")
    pairwise = unbalanced == "pairwise"
    if min_treated is None:
        min_treated = 2 if pairwise else 1
    if not isinstance(min_treated, int | np.integer) or min_treated < 1:
        raise EstimationError(f"att_gt: min_treated must be an integer >= 1, got {min_treated!r}")
    if bootstrap_weights not in ("rademacher", "mammen"):
        raise EstimationError(f"att_gt: bootstrap_weights must be 'rademacher' or 'mammen', "
                              f"got {bootstrap_weights!r}")
    if bootstrap is not None and (not isinstance(bootstrap, int | np.integer) or bootstrap < 2):
        raise EstimationError("att_gt: bootstrap must be None (analytic SEs) or an integer >= 2")
    covariates = list(covariates or [])
    panel = wide_panel(data, outcome, unit, time, cohort, covariates, cluster, "att_gt",
                       min_periods=2 if pairwise else None)
    notes = list(panel.notes)
    panel, G = _prepare_cohorts(panel, anticipation, control_group, notes)
    # units sorted by cohort (stable: by unit within a cohort), so that a cohort, the never
    # treated and the not-yet-treated are contiguous ranges of units (_Cells)
    order = np.argsort(G, kind="stable")
    G = G[order]
    Y = panel.Y[order]
    X = None if panel.X is None else panel.X[order]
    obs = None if panel.observed is None else panel.observed[order]
    cluster_codes = None if panel.cluster is None else panel.cluster[order]
    times = panel.times
    n, T = Y.shape
    if X is not None:
        first = np.argmax(obs, axis=1) if obs is not None else np.zeros(n, dtype=int)
        x0 = np.column_stack([np.ones(n), X[np.arange(n), first, :]])
        if np.linalg.matrix_rank(x0) < x0.shape[1]:
            # find which covariates are redundant given the ones before them
            bad = [c for j, c in enumerate(covariates)
                   if np.linalg.matrix_rank(x0[:, : j + 2]) < j + 2]
            raise EstimationError(
                f"att_gt: covariates are collinear (with the intercept or each other): {bad} add "
                "nothing linearly independent; drop them"
            )
    cohorts = np.unique(G[G > 0])
    sizes = {c: int((c == G).sum()) for c in cohorts}
    small = [c for c, s in sizes.items() if s < 2]
    if small:
        msg = (f"att_gt: cohort(s) {[float(c) if c % 1 else int(c) for c in small]} have a single "
               "unit; their ATT(g,t) and SEs rest on one unit and are unreliable")
        notes.append(msg)
        warnings.warn(msg, EstimationWarning, stacklevel=2)
    if X is not None and est_method in ("ipw", "dr"):
        k = X.shape[2] + 1
        tiny = [c for c, s in sizes.items() if s < k + 1]
        if tiny:
            msg = (f"att_gt: cohort(s) {tiny} have fewer units than covariates + 2; the propensity "
                   "score may not be estimable for them")
            notes.append(msg)
            warnings.warn(msg, EstimationWarning, stacklevel=2)
    estimator = ESTIMATORS[est_method]

    # every candidate cell (cohort g, period k, base b), in table order
    start = 1 if base_period == "varying" else 0
    cg_l, ck_l, cb_l = [], [], []
    skipped: list[str] = []
    for g in cohorts:
        pre_idx = np.flatnonzero(times + anticipation < g)
        if pre_idx.size == 0:
            skipped.append(f"cohort {g:g}: no pre-treatment period")
            continue
        gbase = int(pre_idx[-1])
        for k in range(start, T):
            post = bool(g <= times[k])
            cg_l.append(g)
            ck_l.append(k)
            cb_l.append(gbase if (post or base_period == "universal") else k - 1)
    cells = _Cells(np.array(cg_l, dtype=float), np.array(ck_l, dtype=np.int64),
                   np.array(cb_l, dtype=np.int64), G, times, obs, anticipation,
                   control_group == "never_treated")
    n_treat_all, n_ctrl_all = cells.counts()

    rows: list[dict[str, Any]] = []
    status: list[str] = []  # per row: "ref" (ATT 0), "nan", "estimate"
    cell_of_row: list[int] = []
    empty: list[str] = []  # pairwise: cells left NaN
    for j in range(len(cells.g)):
        g, k, b = cells.g[j], int(cells.k[j]), int(cells.b[j])
        post = bool(g <= times[k])
        n_treat, n_ctrl = int(n_treat_all[j]), int(n_ctrl_all[j])
        label = f"ATT({g:g},{times[k]:g})"
        row = {"cohort": g, "time": times[k], "att": np.nan, "base_time": times[b],
               "post": post, "n_treated": n_treat, "n_control": n_ctrl}
        if b == k:  # reference cell of the universal base: ATT 0, zero IF (as R did)
            row["att"] = 0.0
            kind = "ref"
        elif 0 < n_treat < min_treated:
            msg = (f"att_gt: {label} left out (NaN): {n_treat} treated unit(s) observed in "
                   f"both {times[k]:g} and {times[b]:g}, fewer than min_treated = "
                   f"{min_treated}; its SE would rest on the comparison units alone")
            notes.append(msg)
            warnings.warn(msg, EstimationWarning, stacklevel=2)
            kind = "nan"
        elif n_ctrl == 0 and not pairwise:
            skipped.append(f"{label}: no comparison units")
            continue
        elif pairwise and (n_treat == 0 or n_ctrl == 0):
            empty.append(f"{label}: {n_treat} treated and {n_ctrl} comparison units "
                         f"observed in both {times[k]:g} and {times[b]:g}")
            kind = "nan"
        else:
            kind = "estimate"
        rows.append(row)
        status.append(kind)
        cell_of_row.append(j)

    # influence functions, one row per table row (transposed at the end: units x cells with
    # contiguous columns). A cell's IF over all n units is its own 2x2 IF (scaled so that its
    # variance is sum(inf_s**2) / n1**2) times n / n1, zero outside the cell (module docstring)
    inf_t = np.zeros((len(rows), n))
    todo = np.array([i for i, kind in enumerate(status) if kind == "estimate"], dtype=np.int64)
    cidx = np.array(cell_of_row, dtype=np.int64)[todo] if todo.size else todo
    att_vals = np.full(len(rows), np.nan)
    if X is None:
        att_vals[todo] = cells.unconditional(Y, cidx, inf_t, todo)
    else:
        for i, j in zip(todo, cidx, strict=True):
            sample = cells.sample(int(j))
            k, b = int(cells.k[j]), int(cells.b[j])
            dy = Y[sample, k] - Y[sample, b]
            d = (G[sample] == cells.g[j]).astype(float)
            xs = np.column_stack([np.ones(len(sample)), X[sample, min(k, b), :]])
            try:
                att, inf_s = estimator(dy, d, xs, f"att_gt {_cell_label(cells, times, j)}")
            except (EstimationError, np.linalg.LinAlgError) as err:
                if not pairwise:
                    raise
                empty.append(f"{_cell_label(cells, times, j)}: {rows[i]['n_treated']} treated "
                             f"and {rows[i]['n_control']} comparison units; {err}")
                status[i] = "nan"
                continue
            inf_t[i, sample] = (n / len(sample)) * inf_s
            att_vals[i] = att
    for i, kind in enumerate(status):
        if kind == "estimate":
            rows[i]["att"] = float(att_vals[i])
    used = np.zeros(n, dtype=bool)  # units in at least one estimated cell
    est_rows = [i for i, kind in enumerate(status) if kind == "estimate"]
    if est_rows:
        used = cells.used(np.array(cell_of_row, dtype=np.int64)[est_rows])
    if skipped:
        msg = "att_gt: skipped " + "; ".join(skipped)
        notes.append(msg)
        warnings.warn(msg, EstimationWarning, stacklevel=2)
    if empty:
        msg = (f"att_gt: {len(empty)} ATT(g,t) left NaN (too few units observed in both periods "
               "of the comparison): " + "; ".join(empty))
        notes.append(msg)
        warnings.warn(msg, EstimationWarning, stacklevel=2)
    if not rows or not used.any():
        raise EstimationError("att_gt: no ATT(g,t) could be estimated")
    if pairwise:
        n_gaps = int((~obs.all(axis=1)).sum()) if obs is not None else 0
        notes.append(f"Unbalanced panel, pairwise: {n} units observed in 2+ periods ({n_gaps} "
                     f"with gaps), {int(used.sum())} enter at least one ATT(g,t)")
    inf_mat = inf_t.T
    inference = _Inference(n, cluster_codes, bootstrap, seed, alpha, bootstrap_weights)
    table = pd.DataFrame(rows)
    se, crit = inference.se_and_crit(inf_mat, uniform=True)
    table.insert(3, "se", se)
    table.insert(4, "ci_low", table["att"] - crit * se)
    table.insert(5, "ci_high", table["att"] + crit * se)
    for col in ("cohort", "time", "base_time"):
        if np.all(np.mod(table[col].to_numpy(dtype=float), 1) == 0):
            table[col] = table[col].astype(int)
    settings = {"control_group": control_group, "est_method": est_method,
                "anticipation": anticipation, "bootstrap": bootstrap, "cluster": cluster,
                "seed": seed, "base_period": base_period, "alpha": alpha,
                "bootstrap_weights": bootstrap_weights, "min_treated": min_treated,
                "covariates": covariates, "outcome": outcome, "unbalanced": unbalanced,
                "n_used": int(used.sum()),
                "gaps": bool(obs is not None and not obs.all())}
    return AttGtResult(table=table, inf_func=inf_mat, cohort_of_unit=G, inference=inference,
                       settings=settings, notes=notes, crit=crit)


def count_never_treated(data: pd.DataFrame, outcome: str, unit: str, time: str,
                        cohort: str, unbalanced: Literal["drop", "pairwise"] = "drop") -> int:
    """Never-treated units (cohort 0/NaN, or first treated after the last period) among those
    `att_gt` keeps (with `unbalanced="drop"` those observed with an outcome in every period, with
    "pairwise" those observed in two or more): 0 means control_group='never_treated' cannot be
    used."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        panel = wide_panel(data, outcome, unit, time, cohort, what="count_never_treated",
                           min_periods=2 if unbalanced == "pairwise" else None)
    return int(((panel.G == 0) | (panel.times[-1] < panel.G)).sum())
