"""`cont_did` against moderndid's `cont_did` on one P3K-like panel, interleaved.

Run (moderndid 0.2.0 needs polars 1.x, see tests/reference/make_cont_did_reference.py):

    PYTHONPATH=src .venv/bin/python benchmarks/bench_cont_did.py \
        --peer-python /tmp/peers14/bin/python --peer-path /tmp/cont_polars1 [--units 19000]

The panel (balanced, `--units` units x 20 semesters, 9 cohorts and never treated, the dose a
P3K share in (0, 0.6], ATT(d) = 2 d - 2 d^2) is written once to a temporary parquet file. The
peer runs in one long-lived process of its own interpreter that reads the file once and then
fits on request, so both sides time the fit alone (wall: perf_counter; CPU: process_time), in
one process each, with BLAS threads set to 1 on both sides. Rounds alternate which side goes
first. Both use the defaults of the peer: cubic B-spline without interior knots, not-yet-treated
comparisons, 50 grid doses; moderndid always runs its multiplier bootstrap (biters=1000) for
its SEs, `cont_did` is timed with analytic SEs (its default) and with `bootstrap=1000`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

from p3k_study.estimate import cont_did  # noqa: E402

T, SEED = 20, 20240614
COHORTS = (0, 3, 5, 7, 9, 11, 13, 15, 17, 19)
ARGS = ("ikm", "unit_id", "period_index", "cohort", "p3k_share")

PEER = r"""
import json, sys, time, warnings
import moderndid, polars as pl
warnings.simplefilter("ignore")
d = pl.read_parquet(sys.argv[1])
for line in sys.stdin:
    w, c = time.perf_counter(), time.process_time()
    r = moderndid.cont_did(data=d, yname="ikm", tname="period_index", idname="unit_id",
                           gname="cohort", dname="p3k_share", random_state=1)
    out = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c,
           "att": float(r.overall_att), "acrt": float(r.overall_acrt),
           "att_d": [float(x) for x in r.att_d]}
    print(json.dumps(out), flush=True)
"""


def make_panel(n_units: int, seed: int = SEED) -> pd.DataFrame:
    """Balanced panel: unit effects correlated with the cohort, a common trend, and from the
    first treated period on the effect 2 d - 2 d^2 of the unit's P3K share d."""
    rng = np.random.default_rng(seed)
    p = np.array([0.28] + [0.08] * (len(COHORTS) - 1))
    g = rng.choice(np.array(COHORTS), size=n_units, p=p / p.sum())
    dose = np.where(g > 0, rng.uniform(0.02, 0.6, n_units), 0.0)
    t = np.arange(1, T + 1)
    alpha = rng.normal(75 + 0.1 * g, 2.0)
    post = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = (alpha[:, None] + 0.2 * t[None, :] + ((2 * dose - 2 * dose**2)[:, None] * post)
         + rng.normal(scale=2.0, size=(n_units, T)))
    return pd.DataFrame({"unit_id": np.repeat(np.arange(n_units), T),
                         "period_index": np.tile(t, n_units), "ikm": y.ravel(),
                         "cohort": np.repeat(g, T), "p3k_share": np.repeat(dose, T)})


def ours(panel: pd.DataFrame, bootstrap: int | None) -> tuple[dict[str, float], object]:
    w, c = time.perf_counter(), time.process_time()
    r = cont_did(panel, *ARGS, bootstrap=bootstrap, seed=1)
    return {"wall": time.perf_counter() - w, "cpu": time.process_time() - c}, r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=19_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--peer-python", default="/tmp/peers14/bin/python")
    ap.add_argument("--peer-path", default="/tmp/cont_polars1",
                    help="prepended to the peer's PYTHONPATH (polars 1.x)")
    args = ap.parse_args()
    panel = make_panel(args.units)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.parquet"
        panel.to_parquet(path)
        env = {**os.environ, "PYTHONPATH": args.peer_path}
        peer = subprocess.Popen([args.peer_python, "-c", PEER, str(path)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env)
        version = subprocess.run(
            [args.peer_python, "-c", "import moderndid, polars; print(moderndid.__version__, "
             "polars.__version__)"], env=env, capture_output=True, text=True).stdout.split()

        def peer_fit() -> dict[str, float]:
            assert peer.stdin is not None and peer.stdout is not None
            peer.stdin.write("go\n")
            peer.stdin.flush()
            return json.loads(peer.stdout.readline())

        peer_fit()  # warm-up: imports, first-call overhead
        ours(panel, None)
        times: dict[str, list[dict[str, float]]] = {"ours": [], "ours_boot": [], "peer": []}
        last_peer: dict = {}
        for k in range(args.rounds):
            order = ["ours", "ours_boot", "peer"] if k % 2 == 0 else ["peer", "ours", "ours_boot"]
            for side in order:
                if side == "peer":
                    last_peer = peer_fit()
                    times["peer"].append(last_peer)
                else:
                    t, res = ours(panel, 1000 if side == "ours_boot" else None)
                    times[side].append(t)
        assert peer.stdin is not None
        peer.stdin.close()
        peer.wait()
    tidy = res.tidy()
    gap = max(abs(res.att - last_peer["att"]), abs(res.acrt - last_peer["acrt"]),
              float(np.max(np.abs(tidy.loc[tidy["term"] == "ATT(d)", "estimate"].to_numpy()
                                  - np.array(last_peer["att_d"])))))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}; peer moderndid "
          f"{version[0]} (polars {version[1]})")
    print(f"panel: {args.units} units x {T} periods = {len(panel)} rows, "
          f"{len(res.cells)} (cohort, period) cells; largest gap in estimates {gap:.1e}")
    for side, label in (("ours", "cont_did (analytic SE)"),
                        ("ours_boot", "cont_did (bootstrap 1000)"),
                        ("peer", "moderndid cont_did (bootstrap 1000)")):
        wall = np.median([t["wall"] for t in times[side]])
        cpu = np.median([t["cpu"] for t in times[side]])
        print(f"{label:38s} median of {args.rounds}: wall {wall:7.3f} s  cpu {cpu:7.3f} s")


if __name__ == "__main__":
    main()
