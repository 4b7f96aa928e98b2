"""Timing of the estimators on a national-size panel (~19,000 units x 14 semesters, 10 cohorts).

Run: .venv/bin/python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

from p3k_study.estimate import att_gt, event_study, twfe

N_UNITS, T, SEED = 19_000, 14, 20240601


def make_panel() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    cohorts = np.array([0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    g = rng.choice(cohorts, size=N_UNITS, p=[0.3] + [0.07] * 10)
    t = np.tile(np.arange(1, T + 1), N_UNITS)
    u = np.repeat(np.arange(N_UNITS), T)
    gg = np.repeat(g, T)
    alpha = np.repeat(rng.normal(size=N_UNITS), T)
    eff = np.where((gg > 0) & (t >= gg), 0.5 + 0.2 * (t - gg), 0.0)
    y = 75 + alpha + 0.2 * t + eff + rng.normal(scale=2.0, size=N_UNITS * T)
    return pd.DataFrame({"unit_id": u, "period_index": t, "cohort": gg, "ikm": y,
                         "treated": ((gg > 0) & (t >= gg)).astype(int),
                         "kode_pemda": u // 40})


def timed(label: str, fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<55s} {best:8.3f} s (best of {repeat})")
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    d = make_panel()
    print(f"panel: {d['unit_id'].nunique():,} units x {T} periods = {len(d):,} rows, "
          f"{d.loc[d['cohort'] > 0, 'cohort'].nunique()} cohorts")
    pf.feols("ikm ~ treated | unit_id + period_index", d, vcov={"CRV1": "unit_id"})  # warm-up
    timed("pf.feols direct (CRV1 unit)", lambda: pf.feols(
        "ikm ~ treated | unit_id + period_index", d, vcov={"CRV1": "unit_id"}))
    timed("twfe()", lambda: twfe(d, "ikm", "treated", "unit_id", "period_index"))
    r = timed("att_gt analytic", lambda: att_gt(d, "ikm", "unit_id", "period_index", "cohort"))
    print(f"  ATT(g,t) cells: {len(r.table)}")
    timed("att_gt analytic + 4 aggregations", lambda: [
        att_gt(d, "ikm", "unit_id", "period_index", "cohort").aggregate(k)
        for k in ("simple", "dynamic", "group", "calendar")])
    timed("att_gt not_yet_treated analytic", lambda: att_gt(
        d, "ikm", "unit_id", "period_index", "cohort", control_group="not_yet_treated"))
    timed("att_gt bootstrap=999 (seed)", lambda: att_gt(
        d, "ikm", "unit_id", "period_index", "cohort", bootstrap=999, seed=1), repeat=1)
    timed("att_gt bootstrap=999 clustered by kode_pemda", lambda: att_gt(
        d, "ikm", "unit_id", "period_index", "cohort", bootstrap=999, seed=1,
        cluster="kode_pemda"), repeat=1)
    b = att_gt(d, "ikm", "unit_id", "period_index", "cohort", bootstrap=999, seed=1)
    timed("  + aggregate('dynamic') with bootstrap", lambda: b.aggregate("dynamic"), repeat=1)
    d["x"] = np.random.default_rng(1).normal(size=len(d))
    timed("att_gt dr with 1 covariate", lambda: att_gt(
        d, "ikm", "unit_id", "period_index", "cohort", covariates=["x"]), repeat=1)
    timed("event_study twfe", lambda: event_study(
        d, "ikm", "unit_id", "period_index", "cohort"), repeat=1)
    timed("event_study sun_abraham", lambda: event_study(
        d, "ikm", "unit_id", "period_index", "cohort", method="sun_abraham"), repeat=1)


if __name__ == "__main__":
    main()
