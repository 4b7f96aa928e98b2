"""Timing of `did_imputation` (both variances) against diff-diff's ImputationDiD and pyfixest's
did2s on the same panels: mpdta (500 counties x 5 years) and the panel of bench_estimate.py
(N units x 20 semesters, 9 cohorts and never treated) at 2,000 and 19,000 units (380,000
rows, national size).

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_imputation.py \
         --peer-python /tmp/peers14/bin/python [--rounds 5] [--out results/bench_imputation.txt]

Every run is a fresh process (ours: this interpreter; the peers: --peer-python, a venv with
diff-diff and pyfixest, never the project's), one at a time, the order of the tools rotated
each round so all see the same machine load; every process gets one BLAS/OpenMP thread. A run
reads the panel from a temporary CSV (not timed) and computes the same quantities: the overall
ATT and the post-period event-time effects, each with its SE. Timed: wall (perf_counter) and
CPU (process_time) of that computation. Tools:
* `p3k jackknife`: `did_imputation(..., leads=0)` (default variance, the reports' choice);
* `p3k bjs`: `did_imputation(..., leads=0, se="bjs")` (BJS Theorem 3);
* `diff-diff`: `ImputationDiD().fit(...)` then `.aggregate("event_study")` (BJS Theorem 3);
* `did2s`: pyfixest's `did2s` (Gardner's two-stage, the same point estimates; its SEs are
  Gardner's GMM variance, not BJS's) once for the static ATT and once for the event study.
The script prints medians over rounds and the largest gap of each peer's estimates and SEs
from `p3k bjs`. The jackknife (G refits, G the clusters: here every unit) and did2s are slow
with thousands of units, so they run only on panels up to `--slow-max` units (default 2,000).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_estimate import THREADS, make_panel  # noqa: E402  (the national panel)

TOOLS = ("p3k jackknife", "p3k bjs", "diff-diff", "did2s")
WORKER = """
import json, sys, time, warnings
import numpy as np, pandas as pd
tool, path, out, y, unit, t, g = sys.argv[1:8]
d = pd.read_csv(path)
warnings.simplefilter("ignore")
if tool.startswith("p3k"):
    from p3k_study.estimate import did_imputation
    se = "bjs" if tool == "p3k bjs" else "jackknife"
    w0, c0 = time.perf_counter(), time.process_time()
    r = did_imputation(d, y, unit, t, g, leads=0, se=se)
    w1, c1 = time.perf_counter(), time.process_time()
    tab = r.tidy()
    post = tab[tab["kind"] == "post"]
    res = {"att": float(r.att), "att_se": float(tab["std_error"].iloc[0]),
           "e": post["event_time"].astype(int).tolist(), "est": post["estimate"].tolist(),
           "se": post["std_error"].tolist()}
elif tool == "diff-diff":
    from diff_diff import ImputationDiD
    d[g] = d[g].astype(int)
    w0, c0 = time.perf_counter(), time.process_time()
    r = ImputationDiD().fit(d, outcome=y, unit=unit, time=t, first_treat=g)
    es = r.aggregate("event_study")
    w1, c1 = time.perf_counter(), time.process_time()
    keep = (es.event_time >= 0) & np.isfinite(es.att)
    res = {"att": float(r.overall_att), "att_se": float(r.overall_se),
           "e": es.event_time[keep].astype(int).tolist(), "est": es.att[keep].tolist(),
           "se": es.se[keep].tolist()}
else:
    import pyfixest as pf
    d["treat"] = ((d[g] > 0) & (d[t] >= d[g])).astype(int)
    d["rel"] = np.where(d[g] > 0, d[t] - d[g], -1000).astype(int)
    first = f"~ 0 | {unit} + {t}"
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        s = pf.did2s(d, yname=y, first_stage=first, second_stage="~ treat",
                     treatment="treat", cluster=unit)
        e = pf.did2s(d, yname=y, first_stage=first,
                     second_stage="~ i(rel, ref=-1000.0)", treatment="treat", cluster=unit)
        w1, c1 = time.perf_counter(), time.process_time()
        coef, ses = e.coef(), e.se()
        names = [n for n in coef.index if "rel" in n]
        ev = [int(float(n.split("::")[1].rstrip("]"))) for n in names]
        res = {"att": float(s.coef().iloc[0]), "att_se": float(s.se().iloc[0]),
               "e": ev, "est": [float(coef[n]) for n in names],
               "se": [float(ses[n]) for n in names]}
    except Exception as exc:
        w1, c1 = time.perf_counter(), time.process_time()
        res = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"}
res.update(wall=w1 - w0, cpu=c1 - c0)
json.dump(res, open(out, "w"))
"""


def run_once(python: str, tool: str, csv: Path, spec: tuple, env: dict) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    subprocess.run([python, "-c", WORKER, tool, str(csv), str(out), *spec], check=True,
                   env=env)
    res = json.loads(out.read_text())
    out.unlink()
    return res


def gaps(a: dict, b: dict) -> str:
    """Largest |difference| of the estimates and of the SEs of `b` from `a` (matched event
    times, and the overall ATT)."""
    if "error" in a or "error" in b:
        return "-"
    ea, eb = dict(zip(a["e"], zip(a["est"], a["se"], strict=True), strict=True)), \
        dict(zip(b["e"], zip(b["est"], b["se"], strict=True), strict=True))
    common = sorted(set(ea) & set(eb))
    est = [abs(a["att"] - b["att"])] + [abs(ea[e][0] - eb[e][0]) for e in common]
    se = [abs(a["att_se"] - b["att_se"])] + [abs(ea[e][1] - eb[e][1]) for e in common]
    return f"estimates {max(est):.1e}, SEs {max(se):.1e} ({len(common)} event times)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-python", default="/tmp/peers14/bin/python")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--units", type=int, nargs="+", default=[2_000, 19_000],
                    help="units of the simulated panels")
    ap.add_argument("--slow-max", type=int, default=2_000,
                    help="largest panel (units) the jackknife and did2s run on")
    ap.add_argument("--out", type=Path, default=None, help="append the lines to this file")
    args = ap.parse_args()
    env = {**os.environ, **THREADS}
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    peer_version = subprocess.run(
        [args.peer_python, "-c", "from importlib.metadata import version as v; print(', '.join("
         "f'{p} {v(p)}' for p in ('diff-diff', 'pyfixest', 'numpy', 'pandas', 'scipy')))"],
        check=True, capture_output=True, text=True).stdout.strip()
    lines = [f"machine: {platform.platform()}, {os.cpu_count()} cores; load "
             f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; ours: numpy {np.__version__}, "
             f"pandas {pd.__version__}; peers: {peer_version}; 1 thread each"]
    mpdta = pd.read_csv(HERE.parent / "tests" / "data" / "mpdta.csv")
    panels = {"mpdta (500 x 5)": (mpdta, ("lemp", "countyreal", "year", "first.treat"), 500)}
    for n in args.units:
        panels[f"simulated ({n:,} x 20)"] = (
            pd.DataFrame(make_panel(n))[["unit", "time", "cohort", "y"]],
            ("y", "unit", "time", "cohort"), n)
    with tempfile.TemporaryDirectory() as tmp:
        for label, (frame, spec, n_units) in panels.items():
            csv = Path(tmp) / "panel.csv"
            frame.to_csv(csv, index=False)
            tools = tuple(t for t in TOOLS if n_units <= args.slow_max
                          or t not in ("p3k jackknife", "did2s"))
            runs: dict[str, list[dict]] = {tool: [] for tool in tools}
            for r in range(args.rounds):
                order = tools[r % len(tools):] + tools[:r % len(tools)]
                for tool in order:
                    python = sys.executable if tool.startswith("p3k") else args.peer_python
                    runs[tool].append(run_once(python, tool, csv, spec, env))
            lines.append(f"{label}, median of {args.rounds} interleaved runs (wall s / CPU s):")
            for tool, rs in runs.items():
                ok = [x for x in rs if "error" not in x]
                if not ok:
                    lines.append(f"  {tool:<14s} failed: {rs[0]['error']}")
                    continue
                w, c = np.median([x["wall"] for x in ok]), np.median([x["cpu"] for x in ok])
                vs = ("" if tool == "p3k bjs" else
                      f"; gap from p3k bjs: {gaps(runs['p3k bjs'][0], ok[0])}")
                lines.append(f"  {tool:<14s} {w:8.3f} / {c:8.3f}  (runs, wall: "
                             + " ".join(f"{x['wall']:.3f}" for x in ok) + f"){vs}")
    lines.append(f"load after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with args.out.open("a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
