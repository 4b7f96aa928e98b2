"""Event studies around the first P3K period: dynamic TWFE, Sun-Abraham and Callaway-Sant'Anna.

* ``method="twfe"``: one regression with relative-period dummies, unit and time fixed effects;
  reference period -1; the end points are binned (all periods <= -leads in one dummy, all
  >= lags in another). Biased under staggered adoption with heterogeneous effects (leads pick up
  lag effects of other cohorts).
* ``method="sun_abraham"``: interaction-weighted estimator (Sun & Abraham 2021): a regression
  saturated in cohort x relative period (reference -1 per cohort, same binning), comparison units
  = never treated (or, if there are none, the last-treated cohort, whose treated periods are
  dropped); the cohort coefficients are averaged with the cohort shares of each relative period,
  shares treated as fixed (as fixest's sunab). Implemented directly on pyfixest feols.
* ``method="cs"``: `att_gt` + dynamic aggregation (no binning; event times outside
  [-leads, lags] are dropped); pre-period estimates are short differences (varying base), so -1
  is estimated, not normalised.

The joint pre-trend test is a Wald chi2 that all pre-period coefficients (event time <= -2 for
the regressions, < 0 for CS) are zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyfixest as pf
from scipy import stats

from ._common import EstimationError, event_plot, format_tidy, normal_tidy, require_columns, wald
from .did import att_gt


@dataclass
class EventStudyResult:
    """Event-study coefficients by event time, with a joint pre-trend test."""

    method: str
    table: pd.DataFrame
    vcov: np.ndarray = field(repr=False)
    pretrend: dict[str, float]
    outcome: str
    model: Any = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    df_resid: int | None = None

    def pretrend_test(self) -> dict[str, float]:
        """Wald chi2 that the pre-period coefficients are jointly zero."""
        return self.pretrend

    def tidy(self) -> pd.DataFrame:
        """One row per estimated event time (the reference period is left out)."""
        t = self.table[~self.table["reference"]]
        return normal_tidy([f"event_time={e}" for e in t["event_time"]], t["estimate"].to_numpy(),
                           t["std_error"].to_numpy())

    def summary(self) -> str:
        """Text summary with the pre-trend test."""
        p = self.pretrend
        notes = [f"Joint pre-trend Wald chi2({p['df']}) = {p['statistic']:.3f}, "
                 f"p = {p['p_value']:.4f}", *self.notes]
        return format_tidy(self.tidy(), f"Event study ({self.method}): {self.outcome}", notes)

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Coefficients by event time with 95% bands; returns the Axes."""
        return event_plot(self.table, "event_time", f"Event study ({self.method})", ax=ax)

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
          covariates: Sequence[str], cluster: str | None, leads: int, lags: int) -> pd.DataFrame:
    require_columns(data, [outcome, unit, time, cohort, *covariates, cluster], "event_study")
    if leads < 2 or lags < 0:
        raise EstimationError("event_study: need leads >= 2 (reference -1 plus at least one lead) "
                              "and lags >= 0")
    cols = list(dict.fromkeys([outcome, unit, time, cohort, *covariates]
                              + ([cluster] if cluster else [])))
    d = data[cols].dropna(subset=[outcome, *covariates]).copy()
    d["_g"] = d[cohort].astype(float).fillna(0.0)
    d["_rel"] = np.where(d["_g"] > 0, d[time] - d["_g"], np.nan)
    d["_bin"] = np.clip(d["_rel"], -leads, lags)
    return d


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


def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    leads: int = 4,
    lags: int = 6,
    method: str = "twfe",
    cluster: str | None = None,
    covariates: Sequence[str] = (),
    **att_gt_kwargs: Any,
) -> EventStudyResult:
    """Leads/lags around the first P3K period (see module docstring for the three methods).

    `cohort` is the period of the first hire (0/NaN = never). Standard errors are clustered by
    `unit` (or `cluster`). Extra keyword arguments go to `att_gt` when method="cs".
    """
    covariates = list(covariates)
    if method not in ("twfe", "sun_abraham", "cs"):
        raise EstimationError(f"event_study: method must be 'twfe', 'sun_abraham' or 'cs', "
                              f"got {method!r}")
    if method == "cs":
        r = att_gt(data, outcome, unit, time, cohort, covariates=covariates or None,
                   cluster=cluster, **att_gt_kwargs)
        agg = r.aggregate("dynamic", min_e=-leads, max_e=lags)
        tab = agg.table
        v = agg.vcov()
        est, se = tab["att"].to_numpy(), tab["se"].to_numpy()
        out = _table(tab["event_time"].to_numpy(), est, se, None)
        if agg.crit != stats.norm.ppf(0.975):
            out["ci_low"], out["ci_high"] = tab["ci_low"].to_numpy(), tab["ci_high"].to_numpy()
        pre = tab["event_time"].to_numpy() < 0
        if not pre.any():
            raise EstimationError(
                "event_study: no pre-treatment event times for the pre-trend test"
            )
        stat, df, p = wald(est[pre], v[np.ix_(pre, pre)])
        return EventStudyResult("cs", out, v, {"statistic": stat, "df": df, "p_value": p},
                                outcome, model=r, notes=["Callaway-Sant'Anna dynamic aggregation",
                                                         *r.notes])

    d = _prep(data, outcome, unit, time, cohort, covariates, cluster, leads, lags)
    notes: list[str] = [f"Reference period -1; end points binned at -{leads} and +{lags}."]
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
        v = np.asarray(fit._vcov)[np.ix_(idx, idx)]
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
        dummies = pd.DataFrame(
            {f"_c{i}": ((d["_g"] == g) & (d["_bin"] == e)).astype(float).to_numpy()
             for i, (g, e) in enumerate(cells)}, index=d.index)
        fit, names = _feols(d, dummies, outcome, unit, time, covariates, cluster)
        coef = fit.coef()
        full_names = list(coef.index)
        vfull = np.asarray(fit._vcov)
        ok = [i for i, n in enumerate(names) if n in full_names]
        if len(ok) < len(names):
            notes.append(f"{len(names) - len(ok)} cohort x event-time cell(s) dropped as collinear")
        counts = dummies.sum(axis=0).to_numpy()
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
    stat, df, p = wald(b[pre], v[np.ix_(pre, pre)])
    return EventStudyResult(method, out, v, {"statistic": stat, "df": df, "p_value": p}, outcome,
                            model=fit, notes=notes)
