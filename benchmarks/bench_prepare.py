"""Benchmark: `p3k-study prepare` on national-scale data against merely reading the same files.

    .venv/bin/p3k-study simulate -q --scale national --seed 20240901 --out /tmp/national_raw \\
        --truth /tmp/national_truth
    .venv/bin/python benchmarks/bench_prepare.py --raw /tmp/national_raw \\
        --out /tmp/national_processed

1. prepare: `python -m p3k_study prepare -q --raw RAW --out OUT` in a child process.
2. reading only, in another child process: every CSV with `pyarrow.csv.read_csv` (separator and
   encoding sniffed from the first line, UTF-8 else cp1252; types inferred: the cheapest read
   pyarrow offers), every XLSX with python-calamine (`to_python()` of every sheet: the cells as
   Python values, no text conversion), every Parquet with `pyarrow.parquet.read_table`.

Each child's wall time and peak RSS come from `os.wait4` (its own rusage: the peak resident set
of that process). The ratio is prepare wall time / reading wall time; the issue's goal is <= 3
and a peak under 6 GB. With `--repeat N` the two alternate N times and the median ratio is
reported (wall times on a shared 2-core machine move by 10-15% from run to run). Figures are
printed and appended to benchmarks/results/bench_prepare.txt (with `--record`); nothing is
asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "bench_prepare.txt"
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


def read_only(raw: Path) -> dict[str, float]:
    """Read every table file under raw/ as cheaply as pyarrow / calamine allow; counts per type."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from python_calamine import CalamineWorkbook

    counts = {"csv_files": 0, "csv_rows": 0, "xlsx_files": 0, "xlsx_rows": 0, "parquet_files": 0}
    for path in sorted(p for p in raw.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix in CSV_SUFFIXES:
            head = path.read_bytes()[:4096]
            encoding = "utf8" if _is_utf8(head) else "cp1252"
            first = head.split(b"\n", 1)[0].decode("latin-1")
            separator = max((";", ",", "\t", "|"), key=first.count)
            table = pacsv.read_csv(
                path, read_options=pacsv.ReadOptions(encoding=encoding),
                parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True))
            counts["csv_files"] += 1
            counts["csv_rows"] += table.num_rows
        elif suffix in (".xlsx", ".xlsm"):
            book = CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                counts["xlsx_rows"] += len(book.get_sheet_by_name(name).to_python())
            book.close()
            counts["xlsx_files"] += 1
        elif suffix in (".parquet", ".pq"):
            pq.read_table(path)
            counts["parquet_files"] += 1
    return counts


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut at the end of the sample
    return True


def run_child(args: list[str]) -> dict[str, float]:
    """Run a child process; its wall seconds, CPU seconds and peak RSS (MB)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(args)}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def machine() -> str:
    load = os.getloadavg()
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--record", action="store_true", help="append to " + str(RESULTS))
    parser.add_argument("--repeat", type=int, default=1,
                        help="pairs of (read, prepare) runs; the median ratio is reported")
    parser.add_argument("--read-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_only:
        print(read_only(args.raw))
        return
    size = sum(p.stat().st_size for p in args.raw.rglob("*") if p.is_file()) / 1e6
    header = f"{dt.date.today()}  {machine()}\nraw: {args.raw} ({size:.1f} MB)"
    print(header, flush=True)
    lines = [header]
    ratios = []
    for attempt in range(1, args.repeat + 1):  # read and prepare alternate: drift hits both
        reading = run_child([sys.executable, __file__, "--raw", str(args.raw), "--out",
                             str(args.out), "--read-only"])
        prepare = run_child([sys.executable, "-m", "p3k_study", "prepare", "-q", "--raw",
                             str(args.raw), "--out", str(args.out)])
        ratios.append(prepare["wall_s"] / reading["wall_s"])
        tag = f" (run {attempt})" if args.repeat > 1 else ""
        for name, fig in (("read only (pyarrow.csv + python-calamine)" + tag, reading),
                          ("p3k-study prepare" + tag, prepare)):
            lines.append(f"{name:<49s} wall {fig['wall_s']:7.1f} s  cpu {fig['cpu_s']:7.1f} s  "
                         f"peak RSS {fig['peak_rss_mb']:7.0f} MB")
        print("\n".join(lines[-2:]), flush=True)
    summary = (f"median of {len(ratios)}: " if len(ratios) > 1 else "")
    lines.append(f"ratio prepare / read: {summary}{statistics.median(ratios):.2f} (goal <= 3; "
                 f"each run {', '.join(f'{r:.2f}' for r in ratios)}); load average at end "
                 f"{os.getloadavg()[0]:.2f}")
    text = "\n".join(lines)
    print(text)
    if args.record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(text + "\n\n")


if __name__ == "__main__":
    main()
