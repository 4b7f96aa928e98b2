"""Timing of `honest_did` against moderndid's and diff-diff's HonestDiD on the same inputs.

Run (the peers live in a separate venv, never in the project):

    PYTHONPATH=src .venv/bin/python benchmarks/bench_honest.py \
        --peers-python /tmp/peers14/bin/python

Inputs are the arrays stored in tests/reference/honest.json (the HonestDiD README's Medicaid
event study, 5 pre and 2 post periods; Callaway-Sant'Anna on mpdta, 3 pre and 4 post). Each
call runs in its own fresh interpreter, which reports the CPU time (time.process_time) and the
wall time of the call alone (imports and reading the inputs excluded); the three tools take
turns in every round (interleaved), and the median over rounds is printed with the largest
difference of the confidence-set end points from ours.

Cases: relative magnitudes (C-LF; moderndid only, diff-diff's interval for Delta^RM is a
different, non-ARP construction) and smoothness (FLCI; moderndid and diff-diff's internal
`_compute_optimal_flci`, the function its HonestDiD calls). Our time includes the breakdown
value (a bisection the peers do not do). moderndid's C-LF costs about 45 s of CPU per Mbar
(1000 linear programmes for its least-favourable critical value per s and sign, whatever the
grid), too slow to repeat on a loaded machine: with --no-moderndid-rm its C-LF time is read
from the reference run (peer_seconds in honest.json, same call, same inputs) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "honest.json"

PRELUDE = """
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
case = json.load(open(sys.argv[1]))[sys.argv[2]]
job = json.loads(sys.argv[3])
b, s = np.array(case["betahat"]), np.array(case["sigma"])
T, Tbar = case["num_pre"], case["num_post"]
lv = np.eye(Tbar)[0] if job["target"] == "first" else np.full(Tbar, 1 / Tbar)
"""

OURS = PRELUDE + """
from p3k_study import honest_did
t0, c0 = time.perf_counter(), time.process_time()
r = honest_did(b, s, T, Tbar, restriction=job["restriction"], m=job["m"],
               target=0 if job["target"] == "first" else "average",
               grid_points=job["grid_points"])
out = r.table[["ci_low", "ci_high"]].to_numpy().tolist()
print(json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0, "ci": out}))
"""

MODERNDID = PRELUDE + """
from moderndid.didhonest import create_sensitivity_results_rm, create_sensitivity_results_sm
t0, c0 = time.perf_counter(), time.process_time()
if job["restriction"] == "relative_magnitude":
    r = create_sensitivity_results_rm(betahat=b, sigma=s, num_pre_periods=T, num_post_periods=Tbar,
                                      m_bar_vec=job["m"], l_vec=lv, grid_points=job["grid_points"])
else:
    r = create_sensitivity_results_sm(betahat=b, sigma=s, num_pre_periods=T, num_post_periods=Tbar,
                                      m_vec=job["m"], l_vec=lv)
out = [list(map(float, x)) for x in r.select(["lb", "ub"]).rows()]
print(json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0, "ci": out}))
"""

DIFF_DIFF = PRELUDE + """
from diff_diff.honest_did import _compute_optimal_flci
t0, c0 = time.perf_counter(), time.process_time()
out = [list(map(float, _compute_optimal_flci(b[:T], b[T:], s, lv, T, Tbar, m))) for m in job["m"]]
print(json.dumps({"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0, "ci": out}))
"""

CASES = [
    ("medicaid", {"restriction": "relative_magnitude", "m": [1.0], "target": "first",
                  "grid_points": 1000}),
    ("medicaid", {"restriction": "relative_magnitude", "m": [1.0], "target": "average",
                  "grid_points": 1000}),
    ("medicaid", {"restriction": "smoothness", "m": [0, 0.01, 0.02, 0.03, 0.04, 0.05],
                  "target": "first", "grid_points": 1000}),
    ("mpdta", {"restriction": "smoothness", "m": [0, 0.01, 0.02, 0.03], "target": "average",
               "grid_points": 100}),
]


def run(python: str, script: str, case: str, job: dict, env: dict) -> dict:
    out = subprocess.run([python, "-c", script, str(REF), case, json.dumps(job)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers-python", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-moderndid-rm", action="store_true")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; python {platform.python_version()}")
    for case, job in CASES:
        rm = job["restriction"] == "relative_magnitude"
        tools = [("p3k_study", sys.executable, OURS)]
        if not (rm and args.no_moderndid_rm):
            tools.append(("moderndid", args.peers_python, MODERNDID))
        if not rm:
            tools.append(("diff-diff", args.peers_python, DIFF_DIFF))
        times: dict[str, list[dict]] = {name: [] for name, _, _ in tools}
        for _ in range(args.rounds):
            for name, python, script in tools:
                times[name].append(run(python, script, case, job, env))
        ours_ci = times["p3k_study"][0]["ci"]
        print(f"\n{case}: {job['restriction']}, target {job['target']}, m = {job['m']}, "
              f"grid {job['grid_points']} (load {os.getloadavg()[0]:.1f})")
        for name, _, _ in tools:
            cpu = statistics.median(t["cpu"] for t in times[name])
            wall = statistics.median(t["wall"] for t in times[name])
            diff = max(abs(a - b) for ra, rb in zip(ours_ci, times[name][0]["ci"], strict=True)
                       for a, b in zip(ra, rb, strict=True))
            print(f"  {name:10s} cpu {cpu:9.3f} s  wall {wall:9.3f} s  "
                  f"max |end point - ours| {diff:.2e}")
        if rm and args.no_moderndid_rm:
            ref = json.loads(REF.read_text())[case]
            key = f"rm_{job['target']}"
            peer = ref["peers"].get(key)
            if peer is not None and peer[0][0] == job["m"][0]:
                diff = max(abs(a - b) for a, b in zip(ours_ci[0], peer[0][1:], strict=True))
                print(f"  moderndid  cpu {ref['peer_seconds'][key + '_cpu']:9.3f} s  wall "
                      f"{ref['peer_seconds'][key]:9.3f} s  (reference run, one call) "
                      f"max |end point - ours| {diff:.2e}")


if __name__ == "__main__":
    main()
