"""Benchmark: the report batch against papermill + nbconvert run two at a time, side by side.

    .venv/bin/python benchmarks/bench_reports.py --processed /tmp/national_processed \\
        --sample 24 --rounds 2 [--national]

On the same seeded sample of `--sample` pemda (seed 20240901), `--rounds` times, alternating
which goes first:

(a) the batch: `p3k-study reports --regions <sample> --jobs 2 --force` (2 worker processes);
(b) the loop: for each region `papermill <template> report.ipynb -r region CODE -f params.yaml`
    then `jupyter nbconvert --to html --no-input report.ipynb`, two regions at a time
    (`xargs -P 2`): the same number of processes as the batch's workers.

The loop's notebooks get the batch's parameters, the national headline included (read from
the batch's national.json: the loop does not estimate it, the batch does, once per run); with
`--loop-national here` they get only region, processed_dir and lang, as a user running the
template by hand would, and each notebook estimates the national headline itself (the
template's default). With `--national` the batch then renders every region (`--regions all`).

Each command is one child process; its wall time comes from the clock, its CPU time (user +
system of it and of every process below it that was waited for: workers, report processes,
the loop's kernels, xargs' shells) and its largest process's peak RSS from `os.wait4`. A
sampler thread records the whole process tree's memory (RSS and PSS summed over live
processes; PSS counts pages shared after a fork once) and the 1-minute load average every
half second. Raw lines are appended to benchmarks/results/bench_reports.txt (`--results`),
everything as JSON in the work folder. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
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
RESULTS = ROOT / "benchmarks" / "results" / "bench_reports.txt"
VENV_BIN = Path(sys.executable).parent
SEED = 20240901


@dataclass
class Sample:
    """Peak memory and load seen while one command ran."""

    peak_tree_rss_mb: float = 0.0  # RSS summed: pages shared after fork count once per process
    peak_tree_pss_mb: float = 0.0  # PSS summed: shared pages split between their processes
    load: list[float] = field(default_factory=list)

    def load_summary(self) -> dict[str, float]:
        if not self.load:
            return {"min": float("nan"), "mean": float("nan"), "max": float("nan")}
        return {"min": round(min(self.load), 2), "mean": round(statistics.mean(self.load), 2),
                "max": round(max(self.load), 2)}


class Sampler(threading.Thread):
    """Every `interval` s: RSS and PSS summed over a process and its descendants; the load."""

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
            rss = pss = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for proc in processes:
                try:
                    memory = proc.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rss += memory.rss
                pss += getattr(memory, "pss", memory.rss)
            self.sample.peak_tree_rss_mb = max(self.sample.peak_tree_rss_mb, rss / 2**20)
            self.sample.peak_tree_pss_mb = max(self.sample.peak_tree_pss_mb, pss / 2**20)
            self.sample.load.append(os.getloadavg()[0])
            self.done.wait(self.interval)


def run_measured(command: list[str], cwd: Path, log: Path) -> dict[str, object]:
    """Run `command` (output to `log`); wall and CPU seconds, peak memory, load, exit code."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])  # as `source activate`
    load_start = os.getloadavg()[0]
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {shlex.join(command)}\n")
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = Sampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.done.set()
        sampler.join()
    return {"exit_code": proc.returncode, "wall_s": round(seconds, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "user_s": round(usage.ru_utime, 2), "sys_s": round(usage.ru_stime, 2),
            "max_process_rss_mb": round(usage.ru_maxrss / 1024),
            "peak_tree_rss_mb": round(sampler.sample.peak_tree_rss_mb),
            "peak_tree_pss_mb": round(sampler.sample.peak_tree_pss_mb),
            "load_start": round(load_start, 2), "load": sampler.sample.load_summary()}


def all_regions(processed: Path) -> list[str]:
    """Every pemda code in the panel, sorted (strings)."""
    codes = pd.read_parquet(processed / "panel.parquet", columns=["kode_pemda"])["kode_pemda"]
    return sorted(codes.astype(str).unique())


def seeded_sample(codes: list[str], n: int, seed: int = SEED) -> list[str]:
    """`n` codes drawn with `random.Random(seed)` (all of them when n is 0 or too large)."""
    if n <= 0 or n >= len(codes):
        return list(codes)
    return sorted(random.Random(seed).sample(codes, n))


def run_batch(processed: Path, out: Path, regions: list[str] | None, jobs: int,
              log: Path) -> dict[str, object]:
    """The batch CLI on the given codes (None: every region)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(VENV_BIN / "p3k-study"), "reports", "--processed", str(processed),
               "--out", str(out), "--regions", "all" if regions is None else ",".join(regions),
               "--jobs", str(jobs), "--force", "--quiet"]
    measured = run_measured(command, ROOT, log)
    table = pd.read_csv(out / "estimates.csv", dtype={"region": str})
    n = len(table)
    return {"what": "batch", "command": shlex.join(command[1:]), "reports": n,
            "rendered": int((table["status"] == "rendered").sum()),
            "failed": int((table["status"] == "failed").sum()), **measured,
            "wall_per_report": round(measured["wall_s"] / max(n, 1), 3),
            "cpu_per_report": round(measured["cpu_s"] / max(n, 1), 3)}


def loop_parameters(batch_out: Path, processed: Path) -> dict[str, object]:
    """What the batch passes to each report's notebook, but the region (and att_true)."""
    from p3k_study.reports.batch import DEFAULT_PARAMETERS

    national = json.loads((batch_out / "national.json").read_text(encoding="utf-8"))
    params = {**DEFAULT_PARAMETERS, "processed_dir": str(processed), "level": "pemda",
              "lang": "id", "national": national}
    params.pop("truth_file", None)
    return params


def template_defaults(processed: Path) -> dict[str, object]:
    """What a user passes running the template by hand (the national headline: estimated)."""
    return {"processed_dir": str(processed), "lang": "id"}


def run_loop(processed: Path, out: Path, regions: list[str], params: dict[str, object],
             template: Path, parallel: int, log: Path) -> dict[str, object]:
    """papermill then nbconvert per region, `parallel` regions at a time (xargs -P)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "params.yaml").write_text(json.dumps(params), encoding="utf-8")  # JSON is YAML
    one = out / "one.sh"
    one.write_text(
        "#!/bin/sh\nset -e\nmkdir -p \"$1\" && cd \"$1\"\n"
        f"papermill {shlex.quote(str(template))} report.ipynb -r region \"$1\" "
        "-f ../params.yaml --no-progress-bar --log-level WARNING\n"
        "jupyter nbconvert --to html --no-input --log-level WARN report.ipynb\n",
        encoding="utf-8")
    (out / "regions.txt").write_text("\n".join(regions) + "\n", encoding="utf-8")
    command = ["sh", "-c", f"xargs -P {parallel} -n 1 sh one.sh < regions.txt"]
    measured = run_measured(command, out, log)
    made = [code for code in regions if (out / code / "report.html").is_file()]
    n = len(regions)
    what = f"loop (xargs -P {parallel})" + ("" if "national" in params else " nat. here")
    return {"what": what, "command": command[-1], "reports": n,
            "rendered": len(made), "failed": n - len(made), **measured,
            "wall_per_report": round(measured["wall_s"] / max(n, 1), 3),
            "cpu_per_report": round(measured["cpu_s"] / max(n, 1), 3)}


def machine() -> dict[str, object]:
    """Cores, memory, CPU model, Python, versions of the tools compared, the commit."""
    from importlib.metadata import version

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    import p3k_study

    return {"nproc": os.cpu_count(), "cpu": model,
            "code": str(Path(p3k_study.__file__).resolve().parent),  # e.g. a `git archive`
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "versions": {name: version(name) for name in (
                "p3k-study", "papermill", "nbconvert", "nbclient", "ipykernel", "jsonschema",
                "rfc3987-syntax", "matplotlib", "pandas")},
            "commit": commit, "src_dirty": bool(dirty)}


def line(result: dict[str, object]) -> str:
    load = result["load"]
    return (f"  {result['what']:26s} {result['reports']:3d} reports ({result['failed']} failed)"
            f"  wall {result['wall_s']:8.1f} s  cpu {result['cpu_s']:8.1f} s"
            f"  = {result['wall_per_report']:6.2f} s wall / {result['cpu_per_report']:6.2f} s "
            f"cpu per report  max process {result['max_process_rss_mb']} MB, tree "
            f"{result['peak_tree_pss_mb']} MB PSS  load {result['load_start']} "
            f"({load['min']}-{load['max']})")


def main(argv: list[str] | None = None) -> int:
    from p3k_study.reports.batch import default_template

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=Path("/tmp/national_processed"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_reports"),
                        help="scratch folder for the rendered reports")
    parser.add_argument("--jobs", type=int, default=2, help="batch workers = loop's xargs -P")
    parser.add_argument("--sample", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--national", action="store_true", help="then a batch of every region")
    parser.add_argument("--no-compare", action="store_true", help="only the --national batch")
    parser.add_argument("--loop-national", choices=("given", "here"), default="given",
                        help="the loop's notebooks get the batch's national headline or "
                             "estimate it (the template's default)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    processed = args.processed.resolve()
    codes = all_regions(processed)
    sample = seeded_sample(codes, args.sample)
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "bench.log"
    head = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
            "processed": str(processed), "n_regions": len(codes),
            "sample": sample, "machine": machine()}
    runs: list[dict[str, object]] = []
    lines = [f"bench_reports  {head['date']}  commit {head['machine']['commit']}"
             f"{' (src dirty)' if head['machine']['src_dirty'] else ''}",
             f"machine: {json.dumps(head['machine'])}",
             f"processed: {processed} ({len(codes)} pemda); sample of {len(sample)} (seed "
             f"{SEED}): {','.join(sample)}"]

    def record(result: dict[str, object]) -> None:
        runs.append(result)
        print(line(result), flush=True)
        (args.work / "bench_reports.json").write_text(
            json.dumps({**head, "runs": runs}, indent=2) + "\n", encoding="utf-8")

    template = default_template()
    params = None
    if not args.no_compare:
        for round_ in range(args.rounds):
            order = ("batch", "loop") if round_ % 2 == 0 or params is None else ("loop", "batch")
            for what in order:
                if what == "batch":
                    record(run_batch(processed, args.work / "batch", sample, args.jobs, log))
                    params = params or (loop_parameters(args.work / "batch", processed)
                                        if args.loop_national == "given"
                                        else template_defaults(processed))
                else:
                    record(run_loop(processed, args.work / "loop", sample, params, template,
                                    args.jobs, log))
                runs[-1]["round"] = round_ + 1
        batches = [r for r in runs if r["what"] == "batch"]
        loops = [r for r in runs if r["what"] != "batch"]
        pairs = [(b, lo) for b in batches for lo in loops if b["round"] == lo["round"]]
        ratios = [round(lo["wall_per_report"] / b["wall_per_report"], 2) for b, lo in pairs]
        cpu_ratios = [round(lo["cpu_per_report"] / b["cpu_per_report"], 2) for b, lo in pairs]
        lines += [line(r) + f"  [round {r['round']}]" for r in runs]
        lines.append(f"  ratio loop/batch per report, wall: {ratios} (median "
                     f"{statistics.median(ratios)}); cpu: {cpu_ratios} (median "
                     f"{statistics.median(cpu_ratios)})")
    if args.national:
        record(run_batch(processed, args.work / "national", None, args.jobs, log))
        lines.append(line(runs[-1]) + "  [all regions]")
    text = "\n".join(lines) + "\n\n"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    with args.results.open("a", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
