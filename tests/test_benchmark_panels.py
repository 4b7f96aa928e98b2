"""The benchmarks build the panels their workers read (they run only by hand, with peers)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_multiplegt_benchmark_panels_hold_the_columns_its_worker_reads(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.delitem(sys.modules, "bench_multiplegt", raising=False)
    import bench_multiplegt

    panels = bench_multiplegt.benchmark_panels()
    for label, (frame, (y, unit, time, cohort, effects, placebo)) in panels.items():
        assert {y, unit, time, cohort} <= set(frame.columns), label
        assert frame[[y, unit, time, cohort]].notna().all().all(), label
        assert effects > 0 and placebo > 0, label
    national = panels["national (19,000 x 20, 8 effects, 4 placebos)"][0]
    assert national["unit"].nunique() == 19_000 and national["time"].nunique() == 20
