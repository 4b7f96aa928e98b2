"""Timing of `did_multiplegt` against moderndid's `did_multiplegt` (port of did_multiplegt_dyn)
on the same panels: mpdta (500 counties x 5 years) and the national-size panel of
bench_estimate.py (19,000 units x 20 semesters, 9 cohorts and never treated).

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_multiplegt.py \
         --peer-python /tmp/peers14/bin/python [--rounds 5] [--out results/bench_multiplegt.txt]

Each run is a fresh process of its own interpreter (ours: this one; the peer: --peer-python,
a venv with moderndid, never the project's), one at a time, alternating which goes first in
each round, so both see the same machine load. A run reads the panel from a temporary CSV (not
timed), fits once with the same options (binary treatment D = 1{t >= cohort}, `effects`
effects, `placebo` placebos, analytic SEs, no clustering), and reports wall time
(perf_counter) and CPU time of its whole process (process_time, all threads) for the fit, and
the estimates and SEs; the script prints the medians over rounds and the largest differences
of the estimates and SEs between the two.
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
from bench_estimate import make_panel  # noqa: E402  (the national panel of the estimator bench)

NATIONAL_UNITS = 19_000

WORKER = """
import json, sys, time, warnings
import pandas as pd
tool, path, out, y, unit, t, g, effects, placebo = sys.argv[1:10]
effects, placebo = int(effects), int(placebo)
d = pd.read_csv(path)
warnings.simplefilter("ignore")
if tool == "p3k":
    from p3k_study.estimate import did_multiplegt
    w0, c0 = time.perf_counter(), time.process_time()
    r = did_multiplegt(d, y, unit, t, g, effects=effects, placebo=placebo)
    w1, c1 = time.perf_counter(), time.process_time()
    tab = r.tidy()
    post, pre = tab[tab["kind"] == "post"], tab[tab["kind"] == "pre"]
    res = {"effects": post["estimate"].tolist(), "effects_se": post["std_error"].tolist(),
           "placebos": pre["estimate"].tolist(), "placebos_se": pre["std_error"].tolist(),
           "ate": float(r.att)}
else:
    import moderndid
    d["D"] = ((d[g] > 0) & (d[t] >= d[g])).astype(float)
    w0, c0 = time.perf_counter(), time.process_time()
    r = moderndid.did_multiplegt(d, yname=y, tname=t, idname=unit, dname="D",
                                 effects=effects, placebo=placebo)
    w1, c1 = time.perf_counter(), time.process_time()
    res = {"effects": [float(v) for v in r.effects.estimates],
           "effects_se": [float(v) for v in r.effects.std_errors],
           "placebos": [float(v) for v in r.placebos.estimates],
           "placebos_se": [float(v) for v in r.placebos.std_errors],
           "ate": float(r.ate.estimate)}
res.update(wall=w1 - w0, cpu=c1 - c0)
json.dump(res, open(out, "w"))
"""


def run_once(python: str, tool: str, csv: Path, spec: tuple, env: dict) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    subprocess.run([python, "-c", WORKER, tool, str(csv), str(out), *map(str, spec)],
                   check=True, env=env)
    res = json.loads(out.read_text())
    out.unlink()
    return res


def largest_gap(a: dict, b: dict, key: str) -> float:
    x, y = np.asarray(a[key], dtype=float), np.asarray(b[key], dtype=float)
    n = min(x.size, y.size)
    return float(np.nanmax(np.abs(x[:n] - y[:n]))) if n else float("nan")


def benchmark_panels() -> dict[str, tuple[pd.DataFrame, tuple]]:
    """Each panel by its label, with the worker's spec: outcome, unit, time and cohort columns,
    then the numbers of effects and placebos."""
    mpdta = pd.read_csv(HERE.parent / "tests" / "data" / "mpdta.csv")
    national = pd.DataFrame(make_panel(NATIONAL_UNITS))[["unit", "time", "cohort", "y"]]
    return {
        "mpdta (500 x 5, 4 effects, 3 placebos)":
            (mpdta, ("lemp", "countyreal", "year", "first.treat", 4, 3)),
        "national (19,000 x 20, 8 effects, 4 placebos)":
            (national, ("y", "unit", "time", "cohort", 8, 4)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-python", required=True, help="interpreter with moderndid")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None, help="append the lines to this file")
    args = ap.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    peer_version = subprocess.run(
        [args.peer_python, "-c", "import moderndid, polars, numpy, pandas; print("
         "f'moderndid {moderndid.__version__}, polars {polars.__version__}, '"
         "f'numpy {numpy.__version__}, pandas {pandas.__version__}')"],
        check=True, capture_output=True, text=True).stdout.strip()
    lines = [f"machine: {platform.platform()}, {os.cpu_count()} cores; load "
             f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; ours: numpy {np.__version__}, "
             f"pandas {pd.__version__}; peer: {peer_version}"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, (frame, spec) in benchmark_panels().items():
            csv = Path(tmp) / "panel.csv"
            frame.to_csv(csv, index=False)
            runs: dict[str, list[dict]] = {"p3k": [], "moderndid": []}
            for r in range(args.rounds):
                order = ("p3k", "moderndid") if r % 2 == 0 else ("moderndid", "p3k")
                for tool in order:
                    python = sys.executable if tool == "p3k" else args.peer_python
                    runs[tool].append(run_once(python, tool, csv, spec, env))
            med = {tool: (np.median([x["wall"] for x in rs]), np.median([x["cpu"] for x in rs]))
                   for tool, rs in runs.items()}
            ours, peer = runs["p3k"][0], runs["moderndid"][0]
            lines.append(
                f"{label}, median of {args.rounds} interleaved runs: did_multiplegt "
                f"{med['p3k'][0]:.3f} s wall / {med['p3k'][1]:.3f} s CPU; moderndid "
                f"{med['moderndid'][0]:.3f} s wall / {med['moderndid'][1]:.3f} s CPU "
                f"(ratio {med['moderndid'][0] / med['p3k'][0]:.1f}x wall, "
                f"{med['moderndid'][1] / med['p3k'][1]:.1f}x CPU); largest gaps: effects "
                f"{largest_gap(ours, peer, 'effects'):.1e}, SEs "
                f"{largest_gap(ours, peer, 'effects_se'):.1e}, placebos "
                f"{largest_gap(ours, peer, 'placebos'):.1e}, placebo SEs "
                f"{largest_gap(ours, peer, 'placebos_se'):.1e}, ATT "
                f"{abs(ours['ate'] - peer['ate']):.1e}")
            lines.append("  runs (wall s): ours " + " ".join(f"{x['wall']:.3f}" for x in
                                                          runs["p3k"])
                         + "; moderndid " + " ".join(f"{x['wall']:.3f}" for x in
                                                     runs["moderndid"]))
    lines.append(f"load after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with args.out.open("a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
