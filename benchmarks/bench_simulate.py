"""Benchmark: generate the national-scale synthetic dataset into a temporary folder.

Prints wall time, peak memory (ru_maxrss of this process and of its worker processes) and the
size of what was written. Run: .venv/bin/python benchmarks/bench_simulate.py [--seed N]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from p3k_study.simulate import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = simulate(Path(tmp) / "raw" / "national", seed=args.seed, scale="national",
                           workers=args.workers)
        wall = time.perf_counter() - start
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        truth_bytes = sum(p.stat().st_size for p in summary.truth_dir.rglob("*") if p.is_file())
    print(f"wall time:        {wall:.1f} s")
    print(f"peak RSS (main):  {own:.0f} MB")
    print(f"peak RSS (child): {children:.0f} MB (largest single worker)")
    print(f"regions:          {summary.n_regions}")
    print(f"units:            {summary.n_units}")
    print(f"roster rows:      {summary.n_roster_rows}")
    print(f"SKM answers:      {summary.n_answers}")
    print(f"published IKM:    {summary.n_ikm_rows}")
    print(f"files:            {summary.n_files}")
    print(f"injected rejects: {summary.n_injected}")
    print(f"raw size:         {summary.raw_bytes / 1e6:.1f} MB")
    print(f"truth size:       {truth_bytes / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
