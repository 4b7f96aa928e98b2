"""Benchmark: the report batch against a plain serial papermill + nbconvert loop, in one run.

    .venv/bin/python benchmarks/bench_reports.py --processed /tmp/national_processed \\
        --loop-sample 40 --jobs 2

1. The loop, on a seeded sample of `--loop-sample` regions (0 = every region): for each region
   `papermill notebooks/region-report.ipynb ... -r region CODE -p processed_dir P -p lang id`
   then `jupyter nbconvert --to html --no-input`, one after the other.
2. The batch: `p3k-study reports --processed P --out OUT/batch --regions all --jobs 2 --force`
   (or `--regions` a seeded sample when `--batch-sample N` is given).

Each phase runs under `/usr/bin/time -v` (largest single process, children included) while a
sampler thread records the whole process tree's memory (RSS and PSS summed over live processes;
PSS counts pages shared after a fork once) and the load average every half second. Seconds
per report = wall seconds / reports. Figures go to benchmarks/results/bench_reports.txt (all of
them as JSON in the scratch folder); nothing here is asserted. `-r region` passes the code as a
string: `-p region 11.01` would reach the notebook as the float 11.01.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "region-report.ipynb"
RESULTS = ROOT / "benchmarks" / "results" / "bench_reports.txt"
VENV_BIN = Path(sys.executable).parent


@dataclass
class Sample:
    """Peak memory and load seen while one command ran."""

    peak_tree_rss_mb: float = 0.0  # RSS summed: pages shared after fork count once per process
    peak_tree_pss_mb: float = 0.0  # PSS summed: shared pages split between their processes
    peak_process_rss_mb: float = 0.0
    load: list[float] = field(default_factory=list)

    @property
    def load_summary(self) -> dict[str, float]:
        if not self.load:
            return {"min": float("nan"), "mean": float("nan"), "max": float("nan")}
        return {"min": min(self.load), "mean": round(sum(self.load) / len(self.load), 2),
                "max": max(self.load)}


@dataclass
class Measured:
    """One command: wall seconds, exit code, memory, load."""

    seconds: float
    returncode: int
    maxrss_mb: float  # /usr/bin/time -v: largest single process (children included)
    sample: Sample


class Sampler(threading.Thread):
    """Every `interval` s: RSS summed over a process and its descendants, and the 1-min load."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.sample = Sample()
        self.done = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.is_set():
            total, pss, largest = 0, 0, 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for proc in processes:
                try:
                    memory = proc.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total, largest = total + memory.rss, max(largest, memory.rss)
                pss += getattr(memory, "pss", memory.rss)
            self.sample.peak_tree_rss_mb = max(self.sample.peak_tree_rss_mb, total / 2**20)
            self.sample.peak_tree_pss_mb = max(self.sample.peak_tree_pss_mb, pss / 2**20)
            self.sample.peak_process_rss_mb = max(self.sample.peak_process_rss_mb,
                                                  largest / 2**20)
            self.sample.load.append(os.getloadavg()[0])
            self.done.wait(self.interval)


def run_measured(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Measured:
    """Run `command` under /usr/bin/time -v, sampling its process tree; output goes to `log`."""
    timed = ["/usr/bin/time", "-v", *command]
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.Popen(timed, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE,
                                text=True)
        sampler = Sampler(proc.pid)
        sampler.start()
        _, err = proc.communicate()
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        out.write(err)
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return Measured(seconds, proc.returncode, int(match.group(1)) / 1024 if match else 0.0,
                    sampler.sample)


def all_regions(processed: Path) -> list[str]:
    """Every pemda code in the panel, sorted (strings)."""
    codes = pd.read_parquet(processed / "panel.parquet", columns=["kode_pemda"])["kode_pemda"]
    return sorted(codes.astype(str).unique())


def seeded_sample(codes: list[str], n: int, seed: int) -> list[str]:
    """`n` codes drawn with `random.Random(seed)` (all of them when n is 0 or too large)."""
    if n <= 0 or n >= len(codes):
        return list(codes)
    return sorted(random.Random(seed).sample(codes, n))


def loop_environment() -> dict[str, str]:
    """The user's environment with the venv's bin first on PATH (what `source activate` does)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    return env


def run_batch(processed: Path, out: Path, regions: list[str] | None, jobs: int,
              log: Path) -> dict[str, object]:
    """The batch CLI on every region (regions=None) or on the given codes."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(VENV_BIN / "p3k-study"), "reports", "--processed", str(processed),
               "--out", str(out), "--regions", "all" if regions is None else ",".join(regions),
               "--jobs", str(jobs), "--force", "--quiet"]
    measured = run_measured(command, ROOT, loop_environment(), log)
    table = pd.read_csv(out / "estimates.csv", dtype={"region": str})
    n = len(table)
    return {"command": " ".join(command[1:]), "regions": n,
            "rendered": int((table["status"] == "rendered").sum()),
            "failed": int((table["status"] == "failed").sum()), "exit_code": measured.returncode,
            "seconds": round(measured.seconds, 1),
            "seconds_per_report": round(measured.seconds / max(n, 1), 2),
            "maxrss_mb": round(measured.maxrss_mb),
            "peak_tree_rss_mb": round(measured.sample.peak_tree_rss_mb),
            "peak_tree_pss_mb": round(measured.sample.peak_tree_pss_mb),
            "load": measured.sample.load_summary}


def run_loop(processed: Path, out: Path, regions: list[str], log: Path) -> dict[str, object]:
    """papermill then nbconvert for each region, one after the other."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = loop_environment()
    per_region, failed, loads = [], [], []
    maxrss = tree_rss = tree_pss = 0.0
    started = time.perf_counter()
    for code in regions:
        folder = out / code
        folder.mkdir()
        steps = (
            [str(VENV_BIN / "papermill"), str(TEMPLATE), "report.ipynb", "-r", "region", code,
             "-p", "processed_dir", str(processed), "-p", "lang", "id", "--no-progress-bar"],
            [str(VENV_BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
             "report.ipynb"],
        )
        seconds = 0.0
        for step in steps:
            measured = run_measured(step, folder, env, log)
            seconds += measured.seconds
            maxrss = max(maxrss, measured.maxrss_mb)
            tree_rss = max(tree_rss, measured.sample.peak_tree_rss_mb)
            tree_pss = max(tree_pss, measured.sample.peak_tree_pss_mb)
            loads += measured.sample.load
            if measured.returncode != 0:
                failed.append(code)
                break
        per_region.append(round(seconds, 2))
    total = time.perf_counter() - started
    load = Sample(load=loads).load_summary
    return {"regions": len(regions), "failed": failed, "seconds": round(total, 1),
            "seconds_per_report": round(total / max(len(regions), 1), 2),
            "per_region_seconds": per_region, "maxrss_mb": round(maxrss),
            "peak_tree_rss_mb": round(tree_rss), "peak_tree_pss_mb": round(tree_pss),
            "load": load}


def machine() -> dict[str, object]:
    """Cores, memory, CPU model, Python, and the machine-kind note's first lines."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    return {"nproc": os.cpu_count(), "cpu": model,
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "kind_note": "/work/.library/env/machines/python.md: 2 cores, 24 GiB"}


def format_results(result: dict[str, object]) -> str:
    """The text written to benchmarks/results/bench_reports.txt."""
    batch, loop = result["batch"], result["loop"]
    lines = [
        f"bench_reports  {result['date']}",
        f"processed: {result['processed']} ({result['n_regions']} pemda, "
        f"{result['panel_rows']:,} panel rows)",
        f"machine: {json.dumps(result['machine'])}",
        f"load average (1 min) at start: {result['load_start']}, at end: {result['load_end']}",
        "",
        f"batch  {batch['command']}",
        f"  reports {batch['regions']} (rendered {batch['rendered']}, failed {batch['failed']}),"
        f" exit code {batch['exit_code']}",
        f"  total {batch['seconds']} s, {batch['seconds_per_report']} s per report",
        f"  peak memory: largest process {batch['maxrss_mb']} MB RSS; whole tree "
        f"{batch['peak_tree_rss_mb']} MB RSS, {batch['peak_tree_pss_mb']} MB PSS",
        f"  load during: {batch['load']}",
        "",
        f"loop   papermill + jupyter nbconvert --to html --no-input, serial, "
        f"{loop['regions']} regions (seed {result['seed']})",
        f"  failed {loop['failed']}",
        f"  total {loop['seconds']} s, {loop['seconds_per_report']} s per report",
        f"  peak memory: largest process {loop['maxrss_mb']} MB RSS; whole tree "
        f"{loop['peak_tree_rss_mb']} MB RSS, {loop['peak_tree_pss_mb']} MB PSS",
        f"  load during: {loop['load']}",
        f"  per region: {loop['per_region_seconds']}",
        "",
        f"speed-up (loop s/report / batch s/report): {result['speedup']}x (goal >= 3x: "
        f"{'met' if result['speedup'] >= 3 else 'NOT met'})",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=Path("/tmp/national_processed"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_reports"),
                        help="scratch folder for the rendered reports")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--loop-sample", type=int, default=40, help="0 = every region")
    parser.add_argument("--batch-sample", type=int, default=0, help="0 = every region")
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    processed = args.processed.resolve()
    codes = all_regions(processed)
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "bench.log"
    log.write_text("", encoding="utf-8")
    result: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "processed": str(processed), "n_regions": len(codes),
        "panel_rows": len(pd.read_parquet(processed / "panel.parquet", columns=["unit_id"])),
        "seed": args.seed, "machine": machine(), "load_start": os.getloadavg()[0],
    }
    loop_regions = seeded_sample(codes, args.loop_sample, args.seed)
    print(f"loop on {len(loop_regions)} regions ...", flush=True)
    result["loop"] = run_loop(processed, args.work / "loop", loop_regions, log)
    print(json.dumps(result["loop"]), flush=True)
    (args.work / "bench_reports.json").write_text(json.dumps(result, indent=2) + "\n",
                                                  encoding="utf-8")  # in case the batch dies
    batch_regions = None if args.batch_sample <= 0 else seeded_sample(
        codes, args.batch_sample, args.seed)
    print(f"batch on {len(batch_regions or codes)} regions ...", flush=True)
    result["batch"] = run_batch(processed, args.work / "batch", batch_regions, args.jobs, log)
    result["load_end"] = os.getloadavg()[0]
    result["speedup"] = round(result["loop"]["seconds_per_report"]  # type: ignore[index]
                              / result["batch"]["seconds_per_report"], 2)  # type: ignore[index]
    text = format_results(result)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    (args.work / "bench_reports.json").write_text(json.dumps(result, indent=2) + "\n",
                                                  encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
