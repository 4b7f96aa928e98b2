"""CPU time of a regional report's four figures, built and rendered as the report's kernel does.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_figures.py \\
        --processed /tmp/national_processed [--regions 34.03 11.01] [--sample 4] \\
        [--repeat 5] [--format png svg] [--lang id]

For each region (the first `--sample` pemda of the seeded sample, seed 20240901, unless
`--regions`): `RegionReport.load` and the region's analysis (not timed), then for each figure
(staff, adoption, trends, profile) `--repeat` times: build it (`report.staff_figure()` ...,
data preparation included) and render it with IPython's `print_figure`, the function the inline
backend calls, with the report kernels' `bbox_inches=None` and the keyword arguments
`plots.print_options` gives for the format (none in code older than it). Times are
`time.process_time` (CPU of this process) around each step; the medians over repeats are
printed per figure, summed per report, with the output's size and the 1-minute load average
before and after. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from IPython.core.pylabtools import print_figure

from p3k_study import plots
from p3k_study.reports import analysis, content

SEED = 20240901
FIGURES = ("staff", "adoption", "trends", "profile")


def sample_regions(processed: str, n: int) -> list[str]:
    data = content.load_processed(processed)
    codes = sorted(content.list_regions(data.panel)["region"].astype(str))
    return random.Random(SEED).sample(codes, n)


def build(report: content.RegionReport, result: content.ReportResult, name: str):  # type: ignore[no-untyped-def]
    if name == "profile":
        return report.profile_figure(result)
    return getattr(report, f"{name}_figure")()


def measure(processed: str, region: str, fmt: str, repeat: int, lang: str
            ) -> dict[str, tuple[float, float, int]]:
    """Median build CPU, render CPU and output bytes per figure."""
    report = content.RegionReport.load(processed, region, lang=lang, synthetic=True)
    region_result = analysis.region_analysis(report.data.panel, region)
    result = content.ReportResult(region_result, region_result.headline)
    kwargs = plots.print_options(fmt) if hasattr(plots, "print_options") else {}
    out = {}
    for name in FIGURES:
        builds, renders, size = [], [], 0
        for _ in range(repeat):
            t0 = time.process_time()
            fig = build(report, result, name)
            t1 = time.process_time()
            data = print_figure(fig, fmt=fmt, bbox_inches=None, **kwargs)
            t2 = time.process_time()
            builds.append(t1 - t0)
            renders.append(t2 - t1)
            size = len(data)
        out[name] = (statistics.median(builds), statistics.median(renders), size)
    return out


def main() -> None:
    import matplotlib

    matplotlib.rcParams.update(plots.svg_rc() if hasattr(plots, "svg_rc") else {})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", default="/tmp/national_processed")
    parser.add_argument("--regions", nargs="*")
    parser.add_argument("--sample", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--format", nargs="*", default=["png"], dest="formats")
    parser.add_argument("--lang", default="id")
    args = parser.parse_args()
    regions = args.regions or sample_regions(args.processed, args.sample)
    print(f"load before {os.getloadavg()[0]:.2f}")
    for fmt in args.formats:
        totals = []
        for region in regions:
            figures = measure(args.processed, region, fmt, args.repeat, args.lang)
            parts = "  ".join(f"{n} {b:.3f}+{r:.3f}s {s / 1024:.0f}KB"
                              for n, (b, r, s) in figures.items())
            total = sum(b + r for b, r, _ in figures.values())
            totals.append(total)
            print(f"{fmt} {region}: {parts}  total {total:.3f}s CPU")
        print(f"{fmt}: median over {len(regions)} regions {statistics.median(totals):.3f}s CPU "
              f"a report (build+render of 4 figures, median of {args.repeat})")
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
