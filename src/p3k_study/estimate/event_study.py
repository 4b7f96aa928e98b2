"""Event studies around the first P3K period: dynamic TWFE, Sun-Abraham and Callaway-Sant'Anna.

* ``method="twfe"``: one regression with relative-period dummies, unit and time fixed effects;
  reference period -1; the end points are binned (all periods <= -leads in one dummy, all
  >= lags in another; defaults leads=4, lags=6). Biased under staggered adoption with
  heterogeneous effects (leads pick up lag effects of other cohorts).
* ``method="sun_abraham"``: interaction-weighted estimator (Sun & Abraham 2021): a regression
  saturated in cohort x relative period (reference -1 per cohort), comparison units
  = never treated (or, if there are none, the last-treated cohort, whose treated periods are
  dropped); the cohort coefficients are averaged with the cohort shares of each relative period,
  shares treated as fixed (as fixest's sunab). The regression is solved on a sparse design with
  the same small-sample CRV1 factor as pyfixest feols (several times faster at national scale);
  pyfixest itself is used when cells are collinear. By default (leads=lags=None) there is no
  end-point binning: every observed relative period has its own cohort x period cell, as
  fixest's sunab. Binning (given leads/lags) forces the effects beyond the bins to be equal
  within each cohort and shifts the interior coefficients when they are not (issue 14's
  simulation: e=1 1.46 binned at -4/+6 against 1.58 unbinned, truth 1.55; e=-2 0.16 against 0;
  tests/test_estimate_defects.py recovers growing effects exactly only unbinned), so give
  leads/lags only to pool thin end points on purpose.
* ``method="cs"``: `att_gt` + dynamic aggregation (no binning; event times outside
  [-leads, lags], defaults 4 and 6, are dropped); pre-period estimates are short differences
  (varying base), so -1 is estimated, not normalised; with `base_period="universal"` -1 is the
  reference (ATT 0, SE NaN, marked `reference`).

The joint pre-trend test is a Wald test that all pre-period coefficients (event time <= -2 for
the regressions, < 0 for CS) are zero, referred to an F distribution: for the regressions
F = chi2 / q on (q, G - 1) degrees of freedom with the CRV1 covariance (as fixest's wald()); for
CS the small-sample F of `AttGtResult.joint_test` (Krishnamoorthy-Yu df). `pretrend_test()`
also returns the asymptotic chi2 and its p-value. The asymptotic chi2 over-rejects with few units
per cohort or few clusters (tests/test_estimate_pretrend.py).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyfixest as pf
from pyfixest.estimation import demean
from scipy import sparse, stats

from ._common import (
    EstimationError,
    EstimationWarning,
    PeriodLabels,
    TestResult,
    format_tidy,
    key_columns,
    normal_tidy,
    refuse_duplicates,
    require_columns,
    wald,
    with_period_labels,
)
from .did import att_gt


@dataclass
class EventStudyResult:
    """Event-study coefficients by event time, with a joint pre-trend test.

    Attributes
    ----------
    method : str
        "twfe", "sun_abraham" or "cs".
    table : DataFrame
        event_time, estimate, std_error, ci_low, ci_high, reference (the normalised period);
        band_low/band_high for "cs" with a bootstrap.
    covariance : ndarray
        Variance matrix of the estimated (non-reference) event times (`vcov()`).
    pretrend : TestResult
        The joint pre-trend test (`pretrend_test()`).
    """

    method: str
    table: pd.DataFrame
    covariance: np.ndarray = field(repr=False)
    pretrend: TestResult
    outcome: str
    model: Any = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    df_resid: int | None = None

    def pretrend_test(self) -> TestResult:
        """Joint test that the pre-period coefficients are zero (see the module docstring)."""
        return self.pretrend

    def vcov(self) -> np.ndarray:
        """Variance matrix of the estimated event times, in `tidy()` order."""
        return self.covariance

    def tidy(self) -> pd.DataFrame:
        """One row per estimated event time (the reference period is left out).

        Returns
        -------
        DataFrame
            term ('event_time=e'), event_time, estimate, std_error, statistic, p_value,
            pointwise ci_low/ci_high, and band_low/band_high when a simultaneous band exists.
        """
        t = self.table[~self.table["reference"]]
        band = "band_low" in t.columns
        out = normal_tidy([f"event_time={e}" for e in t["event_time"]], t["estimate"].to_numpy(),
                          t["std_error"].to_numpy())
        if band:
            out["band_low"] = t["band_low"].to_numpy()
            out["band_high"] = t["band_high"].to_numpy()
        return key_columns(out, PeriodLabels(), event_time=t["event_time"])

    def summary(self) -> str:
        """Text summary with the pre-trend test."""
        notes = [f"Joint pre-trend test: {self.pretrend}", *self.notes]
        return format_tidy(self.tidy(), f"Event study ({self.method}): {self.outcome}", notes)

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Coefficients by event time with 95% intervals (and the simultaneous band when there
        is one), drawn by `plots.event_profile`.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw on it; default a new Figure.

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        return plots.event_profile(self.table, labels={
            "x": "periods since first P3K", "y": f"effect on {self.outcome}",
            "band": "simultaneous band" if "band_low" in self.table.columns else None},
            ax=ax)

    def __repr__(self) -> str:
        return self.summary()


def _table(events: np.ndarray, est: np.ndarray, se: np.ndarray, ref: int | None) -> pd.DataFrame:
    z = stats.norm.ppf(0.975)
    t = pd.DataFrame({"event_time": events.astype(int), "estimate": est, "std_error": se,
                      "ci_low": est - z * se, "ci_high": est + z * se, "reference": False})
    if ref is not None:
        t = pd.concat([t, pd.DataFrame({"event_time": [ref], "estimate": [0.0],
                                        "std_error": [0.0], "ci_low": [0.0], "ci_high": [0.0],
                                        "reference": [True]})], ignore_index=True)
    return t.sort_values("event_time").reset_index(drop=True)


def _prep(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
          covariates: Sequence[str], cluster: str | None, leads: int | None,
          lags: int | None) -> tuple[pd.DataFrame, int, int]:
    """Rows with outcome and covariates, with `_g` (cohort, 0 = never), `_rel` (event time) and
    `_bin` (event time clipped to [-leads, lags]; leads/lags None = the observed support), and
    the leads and lags used."""
    require_columns(data, [outcome, unit, time, cohort, *covariates, cluster], "event_study")
    refuse_duplicates(data, unit, time, "event_study")
    rel = np.where(data[cohort].astype(float).fillna(0.0) > 0,
                   data[time] - data[cohort].astype(float).fillna(0.0), np.nan)
    if leads is None:
        leads = max(2, int(-np.nanmin(rel))) if np.isfinite(rel).any() else 2
    if lags is None:
        lags = max(0, int(np.nanmax(rel))) if np.isfinite(rel).any() else 0
    if leads < 2 or lags < 0:
        raise EstimationError("event_study: need leads >= 2 (reference -1 plus at least one lead) "
                              "and lags >= 0")
    cols = list(dict.fromkeys([outcome, unit, time, cohort, *covariates]
                              + ([cluster] if cluster else [])))
    d = data[cols].dropna(subset=[outcome, *covariates]).copy()
    d["_g"] = d[cohort].astype(float).fillna(0.0)
    d["_rel"] = np.where(d["_g"] > 0, d[time] - d["_g"], np.nan)
    d["_bin"] = np.clip(d["_rel"], -leads, lags)
    return d, leads, lags


def _feols(d: pd.DataFrame, dummies: pd.DataFrame, outcome: str, unit: str, time: str,
           covariates: Sequence[str], cluster: str | None) -> tuple[Any, list[str]]:
    names = list(dummies.columns)
    frame = pd.concat([dummies, d[[outcome, *covariates]].set_axis(
        ["_y", *[f"_x{i}" for i in range(len(covariates))]], axis=1)], axis=1)
    frame["_u"] = d[unit].to_numpy()
    frame["_t"] = d[time].to_numpy()
    frame["_c"] = d[cluster].to_numpy() if cluster else frame["_u"]
    rhs = " + ".join(names + [f"_x{i}" for i in range(len(covariates))])
    fit = pf.feols(f"_y ~ {rhs} | _u + _t", data=frame, vcov={"CRV1": "_c"})
    return fit, names


def _group_sums(x: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of `x` within groups `codes` (0..n_groups-1), via a sparse indicator."""
    ind = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                            shape=(n_groups, len(codes)))
    return np.asarray(ind @ x)


def _two_way_demean(x: np.ndarray, u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Residuals of the columns of `x` on unit and period dummies: closed form on a balanced
    panel, pyfixest's alternating projections (tolerance 1e-12) otherwise."""
    n_u, n_t = int(u.max()) + 1, int(t.max()) + 1
    # balanced = every unit observed in every period exactly once (not just n_u x n_t rows)
    if len(x) == n_u * n_t and (np.bincount(u * n_t + t, minlength=n_u * n_t) == 1).all():
        return x - _group_sums(x, u, n_u)[u] / n_t - _group_sums(x, t, n_t)[t] / n_u + x.mean(0)
    flist = np.column_stack([u, t]).astype(np.uint64)
    out, _ = demean(np.ascontiguousarray(x, dtype=float), flist, np.ones(len(x)), tol=1e-12,
                    maxiter=100_000)
    return out


def _fast_feols(d: pd.DataFrame, cell: np.ndarray, n_cells: int, outcome: str, unit: str,
                time: str, covariates: Sequence[str], cluster: str | None
                ) -> tuple[pd.Series, np.ndarray] | None:
    """OLS of the outcome on cell dummies (row i is in cell `cell[i]`, -1 = none) + covariates
    with unit and period fixed effects and CRV1 errors, computed as pyfixest feols does
    (singleton units dropped; fixest's default small-sample factor (N-1)/(N-K) x G/(G-1), fixed
    effects nested in the clusters not counted in K). The dummies stay sparse, so X'X costs
    O(N K) instead of O(N K^2). Returns None when the regressors are collinear (the caller then
    uses pyfixest, which drops columns)."""
    u = pd.factorize(d[unit])[0]
    keep = np.bincount(u)[u] > 1
    d, cell = d[keep], cell[keep]
    u = pd.factorize(d[unit])[0]
    t = pd.factorize(d[time])[0]
    c = pd.factorize(d[cluster])[0] if cluster else u
    n = len(d)
    rows = np.flatnonzero(cell >= 0)
    xs = sparse.csr_matrix((np.ones(len(rows)), (rows, cell[rows])), shape=(n, n_cells))
    if covariates:
        xs = sparse.hstack([xs, sparse.csr_matrix(d[list(covariates)].to_numpy(dtype=float))],
                           format="csr")
    raw = np.column_stack([d[outcome].to_numpy(dtype=float), xs.toarray()])
    yx = _two_way_demean(raw, u, t)
    y, x = yx[:, 0].copy(), np.ascontiguousarray(yx[:, 1:])
    xtx = np.asarray(xs.T @ x)  # = x'x: demeaning is a projection
    xtx = (xtx + xtx.T) / 2
    ev = np.linalg.eigvalsh(xtx)
    if ev.min() <= 1e-9 * max(ev.max(), 1e-300):
        return None
    bread = np.linalg.inv(xtx)
    beta = bread @ np.asarray(xs.T @ y)
    resid = y - x @ beta
    n_c = int(c.max()) + 1
    sums = np.asarray(sparse.csr_matrix((resid, (c, np.arange(n))), shape=(n_c, n)) @ x)
    k = x.shape[1]
    n_u, n_t = int(u.max()) + 1, int(t.max()) + 1
    nested = [levels for codes, levels in ((u, n_u), (t, n_t))
              if (pd.Series(c).groupby(codes).nunique() == 1).all()]
    df_k = k + n_u + n_t - 1 - sum(nested) + len(nested)
    adj = (n - 1) / (n - df_k) * n_c / (n_c - 1)
    vcov = adj * bread @ (sums.T @ sums) @ bread
    names = [f"_c{i}" for i in range(n_cells)] + [f"_x{i}" for i in range(len(covariates))]
    return pd.Series(beta, index=names), vcov


@with_period_labels
def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    leads: int | None = None,
    lags: int | None = None,
    method: str = "twfe",
    cluster: str | None = None,
    covariates: Sequence[str] = (),
    **att_gt_kwargs: Any,
) -> EventStudyResult:
    """Leads/lags around the first P3K period (see module docstring for the three methods).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (duplicates are refused).
    outcome : str
        Outcome column.
    unit, time : str
        Unit identifier and integer period columns.
    cohort : str
        Period of the first hire (0/NaN = never).
    leads, lags : int, optional
        None = the method's default: for "twfe" the end points binned at -leads and +lags
        (default 4 and 6); for "sun_abraham" the same binning, but by default none (every
        observed event time estimated, as fixest's sunab; binning biases interior coefficients
        when effects beyond the bins differ, see the module docstring); for "cs" the event-time
        window kept (default -4..6).
    method : {"twfe", "sun_abraham", "cs"}
        The estimator.
    cluster : str, optional
        Cluster variable (default: `unit`).
    covariates : sequence of str
        Covariates (regressors for "twfe"/"sun_abraham", `att_gt` covariates for "cs").
    **att_gt_kwargs
        Passed to `att_gt` when method="cs", e.g. `unbalanced="pairwise"` to keep units with
        skipped periods, `bootstrap=999` for a simultaneous band.

    Returns
    -------
    EventStudyResult
    """
    covariates = list(covariates)
    if method not in ("twfe", "sun_abraham", "cs"):
        raise EstimationError(f"event_study: method must be 'twfe', 'sun_abraham' or 'cs', "
                              f"got {method!r}")
    binned = method == "twfe" or leads is not None or lags is not None
    if method != "sun_abraham":
        leads = 4 if leads is None else leads
        lags = 6 if lags is None else lags
    if method == "cs":
        r = att_gt(data, outcome, unit, time, cohort, covariates=covariates or None,
                   cluster=cluster, **att_gt_kwargs)
        agg = r.aggregate("dynamic", min_e=-leads, max_e=lags)
        tab = agg.table
        v = agg.vcov()
        est, se = tab["att"].to_numpy(), tab["se"].to_numpy()
        out = _table(tab["event_time"].to_numpy(), est, se, None)
        if agg.simultaneous:  # the aggregate's intervals are the sup-t band
            out["band_low"], out["band_high"] = tab["ci_low"].to_numpy(), tab["ci_high"].to_numpy()
        if r.settings["base_period"] == "universal":  # e = -1: ATT 0 by construction, no SE
            out.loc[(out["event_time"] == -1) & out["std_error"].isna(), "reference"] = True
        pre = (tab["event_time"].to_numpy() < 0) & np.isfinite(se)
        if not pre.any():
            raise EstimationError(
                "event_study: no pre-treatment event times for the pre-trend test"
            )
        pt = dataclasses.replace(r.joint_test(est[pre], agg.row_inf[:, pre]), by="event_time")
        if not pt.available:
            warnings.warn(f"event_study: no pre-trend p-value: {pt.note}",
                          EstimationWarning, stacklevel=2)
        return EventStudyResult("cs", out, v, pt, outcome, model=r,
                                notes=["Callaway-Sant'Anna dynamic aggregation", *r.notes])

    d, leads, lags = _prep(data, outcome, unit, time, cohort, covariates, cluster, leads, lags)
    if binned:
        notes: list[str] = [f"Reference period -1; end points binned at -{leads} and +{lags}."]
    else:
        notes = ["Reference period -1; no end-point binning (every observed event time)."]
    if not (d["_g"] > 0).any():
        raise EstimationError("event_study: no unit is ever treated")
    if method == "twfe":
        events = [e for e in range(-leads, lags + 1) if e != -1]
        present = set(d["_bin"].dropna().astype(int))
        events = [e for e in events if e in present]
        dummies = pd.DataFrame({f"_e{i}": (d["_bin"] == e).astype(float).to_numpy()
                                for i, e in enumerate(events)}, index=d.index)
        fit, names = _feols(d, dummies, outcome, unit, time, covariates, cluster)
        coef = fit.coef()
        keep = [n for n in names if n in coef.index]
        ev = np.array([events[names.index(n)] for n in keep])
        b = coef[keep].to_numpy()
        full_names = list(coef.index)
        idx = [full_names.index(n) for n in keep]
        v = np.asarray(fit._vcov)[np.ix_(idx, idx)]  # no public getter in pyfixest 0.60
        se = np.sqrt(np.diag(v))
        notes.append("Dynamic TWFE (biased under staggered adoption with heterogeneous effects).")
    else:
        if not (d["_g"] == 0).any():
            last = d["_g"].max()
            d = d[d[time] < last].copy()
            d.loc[d["_g"] == last, ["_g", "_rel", "_bin"]] = [0.0, np.nan, np.nan]
            notes.append(f"No never-treated units: cohort {last:g} is the comparison group and "
                         f"periods >= {last:g} are dropped.")
        cells = (d.loc[(d["_g"] > 0) & (d["_bin"] != -1), ["_g", "_bin"]]
                 .drop_duplicates().sort_values(["_g", "_bin"]).to_numpy())
        if len(cells) == 0:
            raise EstimationError("event_study: no cohort x event-time cells to estimate")
        cell_of = {(float(g), float(e)): i for i, (g, e) in enumerate(cells)}
        cell = np.array([cell_of.get(k, -1) for k in zip(d["_g"].to_numpy(dtype=float),
                                                         d["_bin"].to_numpy(dtype=float),
                                                         strict=True)])
        fast = _fast_feols(d, cell, len(cells), outcome, unit, time, covariates, cluster)
        names = [f"_c{i}" for i in range(len(cells))]
        if fast is not None:
            coef, vfull = fast
            fit = None
        else:
            dummies = pd.DataFrame({nm: (cell == i).astype(float) for i, nm in enumerate(names)},
                                   index=d.index)
            fit, names = _feols(d, dummies, outcome, unit, time, covariates, cluster)
            coef = fit.coef()
            vfull = np.asarray(fit._vcov)
        full_names = list(coef.index)
        ok = [i for i, n in enumerate(names) if n in full_names]
        if len(ok) < len(names):
            notes.append(f"{len(names) - len(ok)} cohort x event-time cell(s) dropped as collinear")
        counts = np.bincount(cell[cell >= 0], minlength=len(cells)).astype(float)
        ev = np.unique(cells[ok, 1]).astype(int)
        W = np.zeros((len(ev), len(full_names)))
        for j, e in enumerate(ev):
            sel = [i for i in ok if cells[i, 1] == e]
            w = counts[sel] / counts[sel].sum()
            for i, wi in zip(sel, w, strict=True):
                W[j, full_names.index(names[i])] = wi
        b = W @ coef.to_numpy()
        v = W @ vfull @ W.T
        se = np.sqrt(np.diag(v))
        notes.append("Sun-Abraham interaction-weighted estimator (cohort shares fixed, as fixest).")
    out = _table(ev, b, se, -1)
    pre = ev <= -2
    if not pre.any():
        raise EstimationError("event_study: no lead (event time <= -2) for the pre-trend test")
    n_clusters = int(d[cluster or unit].nunique())
    return EventStudyResult(method, out, v, _f_test(b[pre], v[np.ix_(pre, pre)], n_clusters),
                            outcome, model=fit, notes=notes)


def _f_test(b: np.ndarray, v: np.ndarray, n_clusters: int) -> TestResult:
    """Wald test with clustered vcov as fixest's wald(): F = chi2 / q on (q, G - 1) df."""
    chi2, q, chi2_p = wald(b, v)
    df2 = n_clusters - 1
    f = chi2 / q
    return TestResult(float(f), q, float(stats.f.sf(f, q, df2)),
                      "F (chi2 / q, G - 1 df, as fixest)", df_denom=float(df2), chi2=chi2,
                      chi2_p_value=chi2_p, by="event_time")
