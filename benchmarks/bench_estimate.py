"""att_gt against its peers (diff-diff, csdid, moderndid), every one timed the same way.

Run (from the repository root):

    PYTHONPATH=src .venv/bin/python benchmarks/bench_estimate.py \
        --peers-python /tmp/peers14/bin/python [--units 5000 19000 76000] [--rounds 3]

Each measurement is one fresh child process (this package from this interpreter, the peers from
`--peers-python`, a venv holding csdid, diff-diff and moderndid, never imported by the
package): it loads the panel from a .npz file (not timed), fits once and reports the wall time
(`perf_counter`) and CPU time (`process_time`: all threads of the process) of the fit
plus the simple aggregation (the overall ATT every peer prints). The parent also reads the
child's total CPU time from `os.wait4`. Every child gets the same environment: one process, one
BLAS/OpenMP thread (OMP/OPENBLAS/MKL/NUMBA/RAYON_NUM_THREADS=1, so peers that parallelise
by default are not given more of the shared machine than this package). Rounds are
interleaved: round r runs every (peer, case, size) once, the peer order rotated each round;
medians over rounds are printed, with each child's overall ATT so a reader can see that the
peers estimate the same thing.

Panel: N units x 20 semesters, cohorts 3, 5, ..., 19 (9 cohorts) + never treated, effects
growing with time since adoption; 9 x 19 = 171 ATT(g,t) with varying base periods. Cases:
`analytic` (est_method "dr", analytic SEs), `covariate` (same, one covariate x), `bootstrap`
(999 multiplier-bootstrap draws, no covariate). csdid and moderndid are slow at 76,000 units
(several times diff-diff), so `--slow-peers-max` (default 19,000) caps the sizes they run at,
and `--slow-bootstrap-max` (default 5,000) the sizes of their bootstrap runs (moderndid's
bootstrap took 17 s at 5,000 units).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

T, SEED = 20, 20240601
COHORTS = (0, 3, 5, 7, 9, 11, 13, 15, 17, 19)
CASES = ("analytic", "covariate", "bootstrap")
PEERS = ("p3k_study", "diff-diff", "csdid", "moderndid")
THREADS = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                            "NUMBA_NUM_THREADS", "RAYON_NUM_THREADS", "POLARS_MAX_THREADS")}


def make_panel(n_units: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """Balanced panel as arrays: unit, time, cohort, y, x (a covariate that shifts trends)."""
    rng = np.random.default_rng(seed)
    p = np.array([0.28] + [0.08] * (len(COHORTS) - 1))
    g = rng.choice(np.array(COHORTS), size=n_units, p=p / p.sum())
    t = np.tile(np.arange(1, T + 1), n_units)
    u = np.repeat(np.arange(n_units), T)
    gg = np.repeat(g, T)
    x = np.repeat(rng.normal(size=n_units), T)
    alpha = np.repeat(rng.normal(size=n_units), T)
    eff = np.where((gg > 0) & (t >= gg), 0.5 + 0.2 * (t - gg), 0.0)
    y = 75 + alpha + 0.2 * t + 0.1 * x * t + eff + rng.normal(scale=2.0, size=n_units * T)
    return {"unit": u, "time": t, "cohort": gg.astype(float), "y": y, "x": x}


# ------------------------------------------------------------------ what a child process runs
CHILD = r'''
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
peer, case, path = sys.argv[1:4]
arr = np.load(path)
d = pd.DataFrame({k: arr[k] for k in arr.files})
cov = case == "covariate"
boot = case == "bootstrap"
if peer == "p3k_study":
    from p3k_study.estimate import att_gt
    def fit():
        r = att_gt(d, "y", "unit", "time", "cohort", covariates=["x"] if cov else None,
                   bootstrap=999 if boot else None, seed=1)
        return len(r.table), r.aggregate("simple").att
elif peer == "diff-diff":
    from diff_diff import CallawaySantAnna
    def fit():
        m = CallawaySantAnna(estimation_method="dr", n_bootstrap=999 if boot else 0, seed=1)
        r = m.fit(d, "y", "unit", "time", "cohort", covariates=["x"] if cov else None)
        return len(r.group_time_effects), float(r.overall_att)
elif peer == "csdid":
    from csdid.att_gt import ATTgt
    d["cohort"] = d["cohort"].astype(int)
    def fit():
        m = ATTgt(yname="y", tname="time", idname="unit", gname="cohort", data=d,
                  xformla="y ~ x" if cov else None, control_group="nevertreated")
        m.fit(est_method="dr", bstrap=boot)
        a = m.aggte(typec="simple", bstrap=boot, biters=999)
        return len(m.results["att"]), float(np.ravel(a.atte["overall_att"])[0])
elif peer == "moderndid":
    import moderndid
    def fit():
        r = moderndid.att_gt(d, yname="y", tname="time", idname="unit", gname="cohort",
                             xformla="~x" if cov else None, est_method="dr", boot=boot,
                             biters=999, random_state=1, n_jobs=1)
        a = moderndid.aggte(r, type="simple")
        return len(np.ravel(r.att_gt)), float(a.overall_att)
w0, c0 = time.perf_counter(), time.process_time()
cells, att = fit()
print(json.dumps({"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0,
                  "cells": cells, "att": att}))
'''


def run_child_rusage(python: str, peer: str, case: str, path: Path, src: Path
                     ) -> dict[str, float]:
    """`run_child` with the child's user + system CPU time from os.wait4."""
    env = {**os.environ, **THREADS}
    if peer == "p3k_study":
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([python, "-c", CHILD, peer, case, str(path)], env=env,
                                stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            lines = err.read().strip().splitlines() or ["?"]
            return {"error": lines[-1]}  # type: ignore[dict-item]
        res = json.loads(out.read().strip().splitlines()[-1])
    res["process_cpu"] = usage.ru_utime + usage.ru_stime
    return res


def versions(peers_python: str) -> str:
    code = ("from importlib.metadata import version as v; print(', '.join(f'{p} {v(p)}' for p "
            "in ('diff-diff', 'csdid', 'moderndid', 'numpy', 'pandas', 'scipy')))")
    return subprocess.run([peers_python, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers-python", default="/tmp/peers14/bin/python")
    ap.add_argument("--units", type=int, nargs="+", default=[5000, 19000, 76000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    ap.add_argument("--peers", nargs="+", default=list(PEERS), choices=PEERS)
    ap.add_argument("--slow-peers-max", type=int, default=19000,
                    help="largest panel (units) csdid and moderndid run on")
    ap.add_argument("--slow-bootstrap-max", type=int, default=5000,
                    help="largest panel (units) csdid and moderndid bootstrap on")
    args = ap.parse_args()
    src = Path(__file__).resolve().parents[1] / "src"
    import numpy  # noqa: F401  (this interpreter's versions, for the header)
    import pandas
    import scipy

    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; load average at start "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"this package: numpy {np.__version__}, pandas {pandas.__version__}, "
          f"scipy {scipy.__version__}; peers ({args.peers_python}): "
          f"{versions(args.peers_python)}")
    print(f"every child: 1 process, {', '.join(f'{k}=1' for k in THREADS)}; "
          f"{args.rounds} interleaved rounds")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for n in args.units:
            paths[n] = Path(tmp) / f"panel_{n}.npz"
            np.savez(paths[n], **make_panel(n))
        slow = ("csdid", "moderndid")
        jobs = [(peer, case, n) for n in args.units for case in args.cases for peer in args.peers
                if not (peer in slow and n > args.slow_peers_max)
                and not (peer in slow and case == "bootstrap" and n > args.slow_bootstrap_max)]
        results: dict[tuple[str, str, int], list[dict[str, float]]] = {j: [] for j in jobs}
        for r in range(args.rounds):
            k = r % len(args.peers)
            order = args.peers[k:] + args.peers[:k]
            for n in args.units:
                for case in args.cases:
                    for peer in order:
                        if (peer, case, n) not in results:
                            continue
                        python = sys.executable if peer == "p3k_study" else args.peers_python
                        res = run_child_rusage(python, peer, case, paths[n], src)
                        results[(peer, case, n)].append(res)
                        shown = (res["error"] if "error" in res else
                                 f"wall {res['wall']:7.3f} s  cpu {res['cpu']:7.3f} s  "
                                 f"process cpu {res['process_cpu']:6.2f} s  cells "
                                 f"{res['cells']}  ATT {res['att']:.10f}")
                        print(f"round {r + 1} {n:>6d} units {case:<9s} {peer:<10s} {shown}",
                              flush=True)
            print(f"load average after round {r + 1}: "
                  f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    print("\nmedians over rounds (wall s / cpu s of the fit + simple aggregation)")
    print(f"{'units':>6s} {'rows':>9s} {'case':<9s} " + " ".join(f"{p:>19s}" for p in args.peers))
    for n in args.units:
        for case in args.cases:
            cells = []
            for peer in args.peers:
                runs = [x for x in results.get((peer, case, n), []) if "error" not in x]
                if not runs:
                    cells.append(f"{'-':>19s}")
                    continue
                w = statistics.median(x["wall"] for x in runs)
                c = statistics.median(x["cpu"] for x in runs)
                cells.append(f"{w:8.3f} / {c:8.3f}")
            print(f"{n:>6d} {n * T:>9,d} {case:<9s} " + " ".join(cells))
    if len(args.units) > 1:
        lo, hi = min(args.units), max(args.units)
        print(f"\ngrowth {lo:,} -> {hi:,} units ({hi / lo:.1f}x), median wall time ratio:")
        for case in args.cases:
            parts = []
            for peer in args.peers:
                a = [x["wall"] for x in results.get((peer, case, lo), []) if "error" not in x]
                b = [x["wall"] for x in results.get((peer, case, hi), []) if "error" not in x]
                if a and b:
                    parts.append(f"{peer} {statistics.median(b) / statistics.median(a):.1f}x")
            print(f"  {case:<9s} " + ", ".join(parts))
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
