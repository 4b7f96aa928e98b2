"""Benchmark: `p3k-study prepare` on national-scale data against merely reading the same files.

    .venv/bin/p3k-study simulate -q --scale national --seed 20240901 --out /tmp/national_raw \\
        --truth /tmp/national_truth
    .venv/bin/python benchmarks/bench_prepare.py --raw /tmp/national_raw \\
        --out /tmp/national_processed --repeat 3

Each round runs, one after the other, in child processes:
1. read, one process: every CSV with `pyarrow.csv.read_csv` (separator and encoding sniffed from
   the first line, UTF-8 else cp1252; types inferred: the cheapest read pyarrow offers), every
   XLSX with python-calamine (`to_python()` of every sheet: the cells as Python values, no text
   conversion), every Parquet with `pyarrow.parquet.read_table`.
2. read, two processes: the same plain reads (not p3k-study's reader), the files split the way
   prepare splits them (`prepare.intake.file_groups`: groups of about `CHUNK_BYTES` of one kind,
   in `JOIN_ORDER`) and handed out group by group to 2 forked worker processes
   (`ProcessPoolExecutor.map`), as `prepare.intake.clean_kinds` hands them out.
3. prepare: `python -m p3k_study prepare -q --raw RAW --out OUT`.

Figures per run: wall time; CPU time (user + system of the child and of every process it waited
for, its workers: `os.wait4`); peak RSS of the largest process (`ru_maxrss`); peak RSS across the
process tree (the sum over the child and its descendants, sampled from /proc every 0.1 s). The
issue's goal: prepare at most 3x the two-process read in wall time and in CPU time, and a peak
under 6 GB across the tree. With `--repeat N` the rounds repeat N times (wall times on a shared
2-core machine move by 10-15% from run to run: the runs alternate so that drift hits all) and
the median ratios are reported. Figures are printed and appended to
benchmarks/results/bench_prepare.txt (with `--record`); nothing is asserted.

`--against SRC` adds to each round a prepare of another version of the code, the `src` folder of
a second checkout (`git worktree add /tmp/before <commit>`; SRC `/tmp/before/src`, imported
through PYTHONPATH), the two prepares in alternating order, so that a change is measured before
and after in one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "bench_prepare.txt"
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


def read_files(paths: list[Path]) -> Counter[str]:
    """Read files as cheaply as pyarrow / calamine allow; files and rows per type."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from python_calamine import CalamineWorkbook

    counts: Counter[str] = Counter()
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in CSV_SUFFIXES:
            head = path.read_bytes()[:4096]
            encoding = "utf8" if _is_utf8(head) else "cp1252"
            first = head.split(b"\n", 1)[0].decode("latin-1")
            separator = max((";", ",", "\t", "|"), key=first.count)
            table = pacsv.read_csv(
                path, read_options=pacsv.ReadOptions(encoding=encoding),
                parse_options=pacsv.ParseOptions(delimiter=separator, newlines_in_values=True))
            counts.update(csv_files=1, csv_rows=table.num_rows)
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


def read_groups(groups: list[list[Path]], jobs: int) -> Counter[str]:
    """Every group of files, in this process (`jobs` 1) or handed out to 2 forked workers."""
    if jobs == 1:
        return read_files([path for group in groups for path in group])
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return sum(pool.map(read_files, groups), Counter())


def prepare_groups(raw: Path) -> list[list[Path]]:
    """The table files of the dataset folder in prepare's groups (`prepare.intake.file_groups`)."""
    from p3k_study.prepare.files import dataset_files
    from p3k_study.prepare.intake import CHUNK_BYTES, file_groups

    return [paths for _, paths in file_groups(dataset_files(raw).files, CHUNK_BYTES)]


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut at the end of the sample
    return True


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and its descendants (MB), from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, added = {root}, True
    while added:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        added = bool(more)
    return sum(rss.get(pid, 0) for pid in tree) / 2**20


def run_child(args: list[str]) -> dict[str, float]:
    """Run a child process: wall seconds, CPU seconds (with its waited-for workers), peak RSS
    of its largest process and peak RSS summed over its process tree (MB)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss_mb(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(args)}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "tree_rss_mb": peak[0]}


def machine() -> str:
    """The machine in one line; the CPU model too, since the ratios depend on it (the
    compiled readers gain more from a faster CPU than prepare's Python does)."""
    load = os.getloadavg()
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    cpu = model[1] if model else platform.processor() or "CPU model unknown"
    return (f"{platform.machine()} ({cpu}), "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--record", action="store_true", help="append to " + str(RESULTS))
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of (read, read on 2 processes, prepare); median ratios")
    parser.add_argument("--against", type=Path,
                        help="src folder of another checkout: its prepare runs in every round too")
    parser.add_argument("--read", type=int, choices=(1, 2), help=argparse.SUPPRESS)
    parser.add_argument("--groups", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:  # a reading child: only pyarrow and calamine are imported
        groups = json.loads(args.groups.read_text(encoding="utf-8"))
        print(dict(read_groups([[Path(p) for p in group] for group in groups], args.read)))
        return
    size = sum(p.stat().st_size for p in args.raw.rglob("*") if p.is_file()) / 1e6
    header = f"{dt.date.today()}  {machine()}\nraw: {args.raw} ({size:.1f} MB)"
    if args.against:
        header += f"\nagainst: {args.against.resolve()}"
    print(header, flush=True)
    lines = [header]
    ratios: dict[str, list[float]] = {"wall / 2-process read": [], "CPU / 2-process read": [],
                                      "wall / 1-process read": []}
    if args.against:
        ratios |= {"(against) wall / 2-process read": [], "(against) CPU / 2-process read": []}
    handle, listed = tempfile.mkstemp(suffix=".json")  # the files, for the reading children
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        json.dump([[str(p) for p in group] for group in prepare_groups(args.raw)], f)
    read = [sys.executable, __file__, "--raw", str(args.raw), "--out", str(args.out),
            "--groups", listed, "--read"]
    for attempt in range(1, args.repeat + 1):  # the runs alternate: drift hits all of them
        runs = {
            "read, 1 process (pyarrow.csv + calamine)": run_child([*read, "1"]),
            "read, 2 processes (prepare's groups)": run_child([*read, "2"]),
        }
        two = runs["read, 2 processes (prepare's groups)"]
        prepare_command = [sys.executable, "-m", "p3k_study", "prepare", "-q", "--raw",
                           str(args.raw), "--out", str(args.out)]
        prepares = {"p3k-study prepare": prepare_command}
        if args.against:
            prepares["p3k-study prepare (against)"] = [
                "env", f"PYTHONPATH={args.against.resolve()}", *prepare_command]
        for name in sorted(prepares, reverse=attempt % 2 == 0):
            runs[name] = run_child(prepares[name])
        prepare = runs["p3k-study prepare"]
        ratios["wall / 2-process read"].append(prepare["wall_s"] / two["wall_s"])
        ratios["CPU / 2-process read"].append(prepare["cpu_s"] / two["cpu_s"])
        ratios["wall / 1-process read"].append(
            prepare["wall_s"] / runs["read, 1 process (pyarrow.csv + calamine)"]["wall_s"])
        if args.against:
            against = runs["p3k-study prepare (against)"]
            ratios["(against) wall / 2-process read"].append(against["wall_s"] / two["wall_s"])
            ratios["(against) CPU / 2-process read"].append(against["cpu_s"] / two["cpu_s"])
        tag = f" (run {attempt})" if args.repeat > 1 else ""
        for name, fig in runs.items():
            lines.append(f"{name + tag:<49s} wall {fig['wall_s']:6.1f} s  cpu {fig['cpu_s']:6.1f} s"
                         f"  peak RSS {fig['peak_rss_mb']:5.0f} MB largest process, "
                         f"{fig['tree_rss_mb']:5.0f} MB tree")
        print("\n".join(lines[-len(runs):]), flush=True)
    median = f"median of {args.repeat}: " if args.repeat > 1 else ""
    for name, values in ratios.items():
        lines.append(f"prepare {name}: {median}{statistics.median(values):.2f} (each run "
                     f"{', '.join(f'{r:.2f}' for r in values)})")
    lines.append(f"goal: <= 3 wall and CPU against the 2-process read, peak < 6 GB across the "
                 f"tree; load average at end {os.getloadavg()[0]:.2f}")
    os.unlink(listed)
    text = "\n".join(lines)
    print("\n".join(lines[-len(ratios) - 1:]))
    if args.record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(text + "\n\n")


if __name__ == "__main__":
    main()
