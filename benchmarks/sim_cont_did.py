"""Coverage of `cont_did`'s intervals (and, with --peer-python, of moderndid's) in simulation.

Run:
    PYTHONPATH=src .venv/bin/python benchmarks/sim_cont_did.py [--reps 200] \
        [--peer-python /tmp/peers14/bin/python --peer-path /tmp/cont_polars1]

Data: moderndid's design (`gen_cont_did_data`, written out here in numpy): 500 units, 4 periods,
cohorts 2, 3, 4 and never treated with equal probability, dose ~ U(0, 1), unit effects
~ N(cohort, 1), effect 0.5 d + 0.3 d^2 from the first treated period on. Truth: ATT(d) =
0.5 d + 0.3 d^2, ACRT(d) = 0.5 + 0.6 d, ATT^o = E[ATT(D)] = 0.35, ACRT^o = 0.8. Both estimators
use their defaults (cubic, no interior knots, not-yet-treated comparisons, the 50-point grid
from the smallest to the largest dose); results at grid points 12, 25 and 37 (doses near 0.25,
0.5, 0.75), truth evaluated at each replication's grid dose. Prints bias, SD of the estimates,
mean SE and coverage of the 95% interval per estimate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from p3k_study.estimate import cont_did

PICK = [12, 25, 37]
NAMES = ["ATT^o", "ACRT^o"] + [f"ATT(d{k})" for k in PICK] + [f"ACRT(d{k})" for k in PICK]
PEER = r"""
import json, sys, warnings
import moderndid, polars as pl
warnings.simplefilter("ignore")
data = pl.read_parquet(sys.argv[1])
pick = [12, 25, 37]
out = []
for rep in range(int(sys.argv[2])):
    r = moderndid.cont_did(data=data.filter(pl.col("rep") == rep), yname="Y",
                           tname="time_period", idname="id", gname="G", dname="D",
                           random_state=rep)
    out.append({"dose": [float(r.dose[k]) for k in pick],
                "est": [r.overall_att, r.overall_acrt, *[float(r.att_d[k]) for k in pick],
                        *[float(r.acrt_d[k]) for k in pick]],
                "se": [r.overall_att_se, r.overall_acrt_se,
                       *[float(r.att_d_se[k]) for k in pick],
                       *[float(r.acrt_d_se[k]) for k in pick]]})
print(json.dumps(out))
"""


def simulate(rep: int, n: int = 500, periods: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(7000 + rep)
    g = rng.choice(np.r_[0, np.arange(2, periods + 1)], size=n)
    dose = rng.uniform(0, 1, n)
    t = np.arange(1, periods + 1)
    post = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = (t[None, :] + rng.normal(g, 1.0)[:, None] + (0.5 * dose + 0.3 * dose**2)[:, None] * post
         + rng.normal(size=(n, periods)))
    return pd.DataFrame({"rep": rep, "id": np.repeat(np.arange(1, n + 1), periods),
                         "time_period": np.tile(t, n), "Y": y.ravel(),
                         "G": np.repeat(g, periods),
                         "D": np.repeat(np.where(g > 0, dose, 0.0), periods)})


def truth(doses: np.ndarray) -> np.ndarray:
    d = np.asarray(doses)
    return np.r_[0.35, 0.8, 0.5 * d + 0.3 * d**2, 0.5 + 0.6 * d]


def report(label: str, est: np.ndarray, se: np.ndarray, true: np.ndarray) -> list[str]:
    cover = np.abs(est - true) <= 1.959964 * se
    lines = [f"{label}: {len(est)} replications"]
    for k, name in enumerate(NAMES):
        lines.append(f"  {name:10s} bias {np.mean(est[:, k] - true[:, k]):+.4f}  sd "
                     f"{np.std(est[:, k], ddof=1):.4f}  mean se {np.mean(se[:, k]):.4f}  "
                     f"coverage {np.mean(cover[:, k]):.3f}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--peer-python")
    ap.add_argument("--peer-path", default="/tmp/cont_polars1")
    args = ap.parse_args()
    panels = [simulate(r) for r in range(args.reps)]
    est, se, true = [], [], []
    for d in panels:
        t = cont_did(d, "Y", "id", "time_period", "G", "D").tidy()
        att_d, acrt_d = t[t["term"] == "ATT(d)"], t[t["term"] == "ACRT(d)"]
        rows = pd.concat([t.iloc[:2], att_d.iloc[PICK], acrt_d.iloc[PICK]])
        est.append(rows["estimate"].to_numpy())
        se.append(rows["std_error"].to_numpy())
        true.append(truth(att_d["dose"].to_numpy()[PICK]))
    lines = report("cont_did (analytic SEs)", np.array(est), np.array(se), np.array(true))
    if args.peer_python:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sim.parquet"
            pd.concat(panels).to_parquet(path)
            env = {**os.environ, "PYTHONPATH": args.peer_path}
            out = subprocess.run([args.peer_python, "-c", PEER, str(path), str(args.reps)],
                                 env=env, capture_output=True, text=True, check=True).stdout
        peer = json.loads(out)
        lines += report("moderndid 0.2.0 cont_did (its multiplier-bootstrap SEs)",
                        np.array([p["est"] for p in peer]), np.array([p["se"] for p in peer]),
                        np.array([truth(p["dose"]) for p in peer]))
        gap = np.max(np.abs(np.array([p["est"] for p in peer]) - np.array(est)))
        lines.append(f"largest gap between the two estimators' estimates: {gap:.1e}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
