"""Timing of the estimators on a national-size panel (19,000 units x 20 semesters, 9 cohorts).

Run: .venv/bin/python benchmarks/bench_estimate.py [--csdid-python /tmp/csdid-venv/bin/python]

With --csdid-python, the same panel is written to a temporary CSV and the PyPI `csdid` package
(installed in that separate interpreter, never in the project) fits ATT(g,t) with
est_method="dr", analytic SEs, never-treated controls; its time (fit only, reading the CSV
excluded) and the largest differences of its ATT(g,t) and SEs from ours are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyfixest as pf

from p3k_study.estimate import (
    att_gt,
    bacon_decomposition,
    event_study,
    twfe,
    twfe_weights,
)

N_UNITS, T, SEED = 19_000, 20, 20240601
COHORTS = (0, 3, 5, 7, 9, 11, 13, 15, 17, 19)

CSDID_SCRIPT = """
import json, sys, time
import numpy as np, pandas as pd
from csdid.att_gt import ATTgt
d = pd.read_csv(sys.argv[1])
start = time.perf_counter()
m = ATTgt(yname="ikm", tname="period_index", idname="unit_id", gname="cohort", data=d,
          control_group="nevertreated").fit(est_method="dr", bstrap=False)
fit = time.perf_counter() - start
agg = {}
for k in ("simple", "dynamic", "group", "calendar"):
    a = m.aggte(typec=k, bstrap=False).atte
    agg[k] = [float(np.ravel(a["overall_att"])[0]), float(np.ravel(a["overall_se"])[0])]
total = time.perf_counter() - start
r = m.results
json.dump({"fit_s": fit, "fit_aggte_s": total, "agg": agg,
           "cohort": [float(x) for x in r["group"]], "time": [float(x) for x in r["year"]],
           "att": [float(x) for x in r["att"]], "se": [float(x) for x in r["se"]]},
          open(sys.argv[2], "w"))
"""


def make_panel(seed: int = SEED) -> pd.DataFrame:
    """Balanced panel, unit effects, common trend, effects growing with time since adoption."""
    rng = np.random.default_rng(seed)
    p = np.array([0.28] + [0.08] * (len(COHORTS) - 1))
    g = rng.choice(np.array(COHORTS), size=N_UNITS, p=p / p.sum())
    t = np.tile(np.arange(1, T + 1), N_UNITS)
    u = np.repeat(np.arange(N_UNITS), T)
    gg = np.repeat(g, T)
    alpha = np.repeat(rng.normal(size=N_UNITS), T)
    eff = np.where((gg > 0) & (t >= gg), 0.5 + 0.2 * (t - gg), 0.0)
    y = 75 + alpha + 0.2 * t + eff + rng.normal(scale=2.0, size=N_UNITS * T)
    return pd.DataFrame({"unit_id": u, "period_index": t, "cohort": gg, "ikm": y,
                         "treated": ((gg > 0) & (t >= gg)).astype(int),
                         "kode_pemda": u // 40})


def timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    """Best wall time of `repeat` calls; prints one line and returns (last result, seconds)."""
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<58s} {best:8.3f} s (best of {repeat})")
    return out, best


def csdid_compare(d: pd.DataFrame, python: str, ours: Any, ours_s: float, ours_agg_s: float
                  ) -> None:
    """Run csdid in `python` on the same panel; print its times and differences from ours."""
    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "panel.csv", Path(tmp) / "out.json"
        d[["unit_id", "period_index", "cohort", "ikm"]].to_csv(csv, index=False,
                                                               float_format="%.17g")
        subprocess.run([python, "-c", CSDID_SCRIPT, str(csv), str(out)], check=True,
                       stdout=subprocess.DEVNULL)
        ref = json.loads(out.read_text())
    r = pd.DataFrame({k: ref[k] for k in ("cohort", "time", "att", "se")})
    m = ours.table.merge(r, on=["cohort", "time"], suffixes=("", "_csdid"))
    print(f"csdid fit (dr, analytic SEs, {len(r)} cells){'':<14s} {ref['fit_s']:8.3f} s "
          f"-> att_gt is {ref['fit_s'] / ours_s:.1f}x faster")
    print(f"csdid fit + 4 aggte{'':<39s} {ref['fit_aggte_s']:8.3f} s "
          f"-> att_gt + 4 aggregations is {ref['fit_aggte_s'] / ours_agg_s:.1f}x faster")
    print(f"  cells matched {len(m)} of {len(ours.table)}; max |ATT diff| "
          f"{np.max(np.abs(m['att'] - m['att_csdid'])):.2e}; max |SE diff| "
          f"{np.max(np.abs(m['se'] - m['se_csdid'])):.2e}")
    for kind, (att, se) in ref["agg"].items():
        a = ours.aggregate(kind)
        print(f"  aggregate {kind:<9s} |ATT diff| {abs(a.att - att):.2e}  |SE diff| "
              f"{abs(a.se - se):.2e}")


def main(csdid_python: str | None = None) -> None:
    warnings.simplefilter("ignore")
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (1 min) at start")
    d = make_panel()
    print(f"panel: {d['unit_id'].nunique():,} units x {T} periods = {len(d):,} rows, "
          f"{d.loc[d['cohort'] > 0, 'cohort'].nunique()} cohorts")
    args = ("ikm", "unit_id", "period_index", "cohort")
    pf.feols("ikm ~ treated | unit_id + period_index", d, vcov={"CRV1": "unit_id"})  # warm-up
    _, t_pf = timed("pf.feols direct (CRV1 unit)", lambda: pf.feols(
        "ikm ~ treated | unit_id + period_index", d, vcov={"CRV1": "unit_id"}))
    _, t_tw = timed("twfe()", lambda: twfe(d, "ikm", "treated", "unit_id", "period_index"))
    print(f"  twfe / pyfixest time ratio: {t_tw / t_pf:.2f} (goal <= 1.5)")
    r, t_gt = timed("att_gt analytic", lambda: att_gt(d, *args))
    print(f"  ATT(g,t) cells: {len(r.table)}")
    def fit_and_aggregate() -> list[Any]:
        res = att_gt(d, *args)
        return [res.aggregate(k) for k in ("simple", "dynamic", "group", "calendar")]

    _, t_agg = timed("att_gt analytic + 4 aggregations", fit_and_aggregate)
    timed("att_gt analytic + pretrend_test()", lambda: att_gt(d, *args).pretrend_test())
    timed("att_gt not_yet_treated analytic", lambda: att_gt(
        d, *args, control_group="not_yet_treated"))
    timed("att_gt bootstrap=999 (seed)", lambda: att_gt(d, *args, bootstrap=999, seed=1))
    timed("att_gt bootstrap=999 clustered by kode_pemda", lambda: att_gt(
        d, *args, bootstrap=999, seed=1, cluster="kode_pemda"), repeat=1)
    b = att_gt(d, *args, bootstrap=999, seed=1)
    timed("  + aggregate('dynamic') with bootstrap", lambda: b.aggregate("dynamic"), repeat=1)
    dx = d.assign(x=np.random.default_rng(1).normal(size=len(d)))
    timed("att_gt dr with 1 covariate", lambda: att_gt(dx, *args, covariates=["x"]), repeat=1)
    timed("event_study twfe", lambda: event_study(d, *args), repeat=1)
    timed("event_study sun_abraham", lambda: event_study(d, *args, method="sun_abraham"),
          repeat=1)
    timed("event_study cs", lambda: event_study(d, *args, method="cs"), repeat=1)
    timed("twfe_weights (dCDH)", lambda: twfe_weights(d, *args), repeat=1)
    timed("bacon_decomposition", lambda: bacon_decomposition(d, *args), repeat=1)
    if csdid_python:
        csdid_compare(d, csdid_python, r, t_gt, t_agg)
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csdid-python", default=None,
                        help="interpreter with the csdid package (a throwaway venv)")
    main(parser.parse_args().csdid_python)
