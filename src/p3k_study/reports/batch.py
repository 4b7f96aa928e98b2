"""Render one report per region with papermill, in parallel, resumable and crash-safe.

Layout of the output folder::

    out/index.html                  status, key estimate and link per region, forest plot
    out/national.json               the national headline every report shows (estimated once)
    out/estimates.csv, .parquet     every region's key estimates
    out/<slug>/report.html          the report (no code)
    out/<slug>/report.pdf           the report printed to A4 by headless Chromium (pdf=True)
    out/<slug>/report.ipynb         the executed notebook
    out/<slug>/region_summary.json  key numbers, written by the notebook itself
    out/<slug>/.fingerprint.json    inputs, parameters, template and code hashes; written last
    out/<slug>/report-failed.ipynb  the executed notebook of a failed render (for debugging)

A region counts as finished only when its fingerprint exists; the fingerprint is removed before
rendering starts and written after every other file is in place (each via a temporary file and
`os.replace`). A rerun skips regions whose fingerprint matches and whose outputs exist.

Each region runs in a fresh process from a fresh papermill call, so nothing leaks between
reports (`process.py`: an IPython shell, not a kernel). Workers are processes
(`ProcessPoolExecutor`), the current process (`jobs=1`), or a Dask cluster
(`scheduler='tcp://...'`; the output folder must then be shared with the workers). On Linux, a
fork server imports the report's modules once, the workers are forked from it, and each forks
its regions' processes from that warm state (`_Workers`, `process.warm_up`), instead of starting
a new Python that imports them again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from p3k_study import __version__
from p3k_study.pipeline import sha256_file
from p3k_study.reports.files import (
    NATIONAL_FILE,
    PROCESSED_FILES,
    SUMMARY_FILE,
    atomic_write_text,
    inside,
    safe_slug,
)
from p3k_study.reports.html import notebook_page
from p3k_study.reports.pdf import NOT_INSTALLED, find_chromium, print_pdf
from p3k_study.reports.process import fork_available, forks_here, warm_worker
from p3k_study.reports.text import check_lang

Status = Literal["rendered", "skipped", "failed"]
FINGERPRINT = ".fingerprint.json"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
REPORT_NOTEBOOK = "report.ipynb"
FAILED_NOTEBOOK = "report-failed.ipynb"
PARTIAL_PREFIX = ".partial-"
KERNEL_NAME = "python3"
CELL_TIMEOUT = 1800  # seconds per cell
DEFAULT_PARAMETERS: dict[str, Any] = {
    "outcome": "ikm", "period_from": None, "period_to": None, "treatment": "treated",
    "synthetic": False, "seed": 20240901, "min_treated": 5,
}
RESERVED = ("region", "processed_dir", "level", "lang", "national", "att_true")


def default_template() -> Path:
    """The report template shipped in the package: p3k_study/reports/templates/.

    (notebooks/region-report.ipynb in a checkout is a symlink to this same file.)"""
    bundled = resources.files("p3k_study.reports").joinpath("templates/region-report.ipynb")
    return Path(str(bundled))


# ---------------------------------------------------------------- tasks and outcomes


@dataclass(frozen=True)
class RegionTask:
    """Everything a worker needs to render one region (picklable, no open handles)."""

    region: str
    name: str
    level: str
    slug: str
    folder: str  # out/<slug>
    template: str
    parameters: dict[str, Any]
    fingerprint: dict[str, Any]
    chromium: str | None = None  # print report.pdf with this browser (pdf=True and installed)


@dataclass
class RegionOutcome:
    """What happened to one region."""

    region: str
    name: str
    slug: str
    status: Status
    seconds: float = 0.0
    summary: dict[str, Any] | None = None
    error: str | None = None  # one line: 'ename: evalue'
    ename: str | None = None
    evalue: str | None = None
    cell_index: int | None = None  # index of the failing cell among the template's cells
    exec_count: int | None = None  # its execution count ('In [n]') in report-failed.ipynb
    cell_source: str | None = None
    traceback: str | None = None
    has_pdf: bool = False  # report.pdf is there, made from this report.html

    @property
    def report(self) -> str | None:
        """Path of the HTML report relative to the output folder, when there is one."""
        return f"{self.slug}/{REPORT_HTML}" if self.status != "failed" else None

    @property
    def pdf(self) -> str | None:
        """Path of the PDF report relative to the output folder, when there is one."""
        return f"{self.slug}/{REPORT_PDF}" if self.status != "failed" and self.has_pdf else None


@dataclass
class BatchResult:
    """The outcome of `render_reports`: one RegionOutcome per requested region."""

    out: Path
    outcomes: list[RegionOutcome] = field(default_factory=list)
    index: Path | None = None
    estimates: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # one line each, e.g. no Chromium for PDFs

    @property
    def ok(self) -> bool:
        """True when no region failed."""
        return not self.failures

    @property
    def failures(self) -> list[RegionOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def rendered(self) -> list[RegionOutcome]:
        return [o for o in self.outcomes if o.status == "rendered"]

    @property
    def skipped(self) -> list[RegionOutcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    def by_region(self) -> dict[str, RegionOutcome]:
        return {o.region: o for o in self.outcomes}

    def describe(self) -> str:
        """A few lines for the terminal."""
        lines = [f"reports: {len(self.rendered)} rendered, {len(self.skipped)} unchanged, "
                 f"{len(self.failures)} failed in {self.seconds:.0f} s -> {self.index or self.out}"]
        lines += self.notes
        for failure in self.failures:
            where = f" (cell {failure.cell_index})" if failure.cell_index is not None else ""
            lines.append(f"  FAILED {failure.region}: {failure.error}{where}")
        return "\n".join(lines)


# ---------------------------------------------------------------- fingerprints


def hash_inputs(processed: Path) -> dict[str, str]:
    """sha256 of each processed file a report reads (files that do not exist are left out)."""
    return {name: sha256_file(processed / name) for name in PROCESSED_FILES
            if (processed / name).is_file()}


CODE_SUFFIXES = (".py", ".j2", ".ipynb", ".csv", ".json")


@functools.cache
def code_sha256() -> str:
    """sha256 over the package's own code and data files (names and bytes): a report made by
    other code is not unchanged, even where the version number is the same (a checkout)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in CODE_SUFFIXES
                       and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def make_fingerprint(inputs: dict[str, str], parameters: dict[str, Any],
                     template_sha256: str) -> dict[str, Any]:
    """What a report depends on: input hashes, parameters, template hash, package version and
    the hash of the package's code (`code_sha256`)."""
    return {"inputs": inputs, "parameters": parameters, "template_sha256": template_sha256,
            "package_version": __version__, "code_sha256": code_sha256()}


def fingerprint_matches(folder: Path, fingerprint: dict[str, Any]) -> bool:
    """True when the stored fingerprint equals `fingerprint` and every output exists.

    With fingerprint['pdf'] the PDF is an output too; without it, a PDF printed by an earlier
    render does not matter (it was printed from the same, unchanged report.html)."""
    wanted = (REPORT_HTML, SUMMARY_FILE, FINGERPRINT, *((REPORT_PDF,) if fingerprint.get("pdf")
                                                         else ()))
    if not all((folder / name).is_file() for name in wanted):
        return False
    try:
        stored = json.loads((folder / FINGERPRINT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if isinstance(stored, dict) and not fingerprint.get("pdf"):
        stored.pop("pdf", None)
    return stored == _jsonable(fingerprint)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True))


# ---------------------------------------------------------------- one region (runs in a worker)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def report_environment() -> dict[str, str]:
    """Environment variables every report's process gets (see `_report_environment`)."""
    wanted = {name: "1" for name in THREAD_VARIABLES if name not in os.environ}
    if "PYTHONHASHSEED" not in os.environ:
        wanted["PYTHONHASHSEED"] = "0"
    return wanted


@contextmanager
def _report_environment() -> Iterator[None]:
    """Environment for the workers and report processes started inside this block (restored
    afterwards).

    * One thread per numeric library (unless the user set one): workers already run in
      parallel, so more threads would only compete for the same cores.
    * PYTHONHASHSEED=0 (unless set): pyfixest's results otherwise vary in the last bits from
      run to run with the string-hash order, and a rerun should give identical numbers.
    """
    wanted = report_environment()
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _clear_previous(folder: Path) -> None:
    """Forget the previous render: fingerprint first, then outputs and leftover partial dirs."""
    (folder / FINGERPRINT).unlink(missing_ok=True)
    for name in (REPORT_HTML, REPORT_PDF, SUMMARY_FILE, REPORT_NOTEBOOK, FAILED_NOTEBOOK):
        (folder / name).unlink(missing_ok=True)
    for leftover in folder.glob(f"{PARTIAL_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in folder.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def write_html(notebook: Any, path: Path, title: str, lang: str) -> Path:
    """Export an executed notebook to a self-contained HTML file (written atomically)."""
    return atomic_write_text(path, notebook_page(notebook, title, lang))


def _execution_error(exc: BaseException) -> dict[str, Any]:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {"ename": exc.ename, "evalue": exc.evalue, "cell_index": exc.cell_index,
                "exec_count": exc.exec_count, "cell_source": exc.source,
                "error": f"{exc.ename}: {exc.evalue}", "traceback": "\n".join(exc.traceback)}
    return {"ename": type(exc).__name__, "evalue": str(exc),
            "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


def render_region(task: RegionTask) -> RegionOutcome:
    """Execute the template for one region, export HTML (and the PDF), then the fingerprint.

    Never raises for a region's own problems: they come back as a failed RegionOutcome.
    """
    import papermill

    from p3k_study.reports.engine import ENGINE_NAME
    from p3k_study.reports.preload import preload

    logging.getLogger("papermill").setLevel(logging.WARNING)  # the progress bar says enough
    started = time.perf_counter()
    folder = Path(task.folder)
    folder.mkdir(parents=True, exist_ok=True)
    _clear_previous(folder)
    work = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=folder))
    executed = work / REPORT_NOTEBOOK
    outcome = RegionOutcome(task.region, task.name, task.slug, "failed")
    try:
        if forks_here():  # the report's process is forked: it starts with the tables read
            with contextlib.suppress(Exception):  # else it reads them, and says why not
                preload(task.parameters["processed_dir"])
        with _report_environment():
            notebook = papermill.execute_notebook(  # written once, with stable cell ids
                task.template, str(executed), parameters=task.parameters,
                engine_name=ENGINE_NAME, kernel_name=KERNEL_NAME, cwd=str(work),
                progress_bar=False, log_output=False, execution_timeout=CELL_TIMEOUT,
            )
        summary = json.loads((work / SUMMARY_FILE).read_text(encoding="utf-8"))
        title = f"{summary.get('name') or task.name} ({task.region})"
        write_html(notebook, work / REPORT_HTML, title, task.parameters.get("lang", "id"))
        made = [REPORT_NOTEBOOK, SUMMARY_FILE, REPORT_HTML]
        if task.chromium:
            print_pdf(work / REPORT_HTML, work / REPORT_PDF, task.chromium)
            made.append(REPORT_PDF)
        for name in made:
            os.replace(work / name, folder / name)
        atomic_write_text(folder / FINGERPRINT,
                          json.dumps(_jsonable(task.fingerprint), indent=2, sort_keys=True))
        outcome.status, outcome.summary = "rendered", summary
        outcome.has_pdf = bool(task.chromium)
    except Exception as exc:  # a failing region must not stop the batch
        for key, value in _execution_error(exc).items():
            setattr(outcome, key, value)
        if executed.is_file():
            os.replace(executed, folder / FAILED_NOTEBOOK)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _crashed(task: RegionTask, exc: BaseException) -> RegionOutcome:
    """Outcome for a worker that died or could not run the task at all."""
    return RegionOutcome(task.region, task.name, task.slug, "failed",
                         error=f"{type(exc).__name__}: {exc}", ename=type(exc).__name__,
                         evalue=str(exc), traceback="".join(traceback.format_exception(exc)))


# ---------------------------------------------------------------- runners


def _run_here(tasks: list[RegionTask]) -> Iterator[RegionOutcome]:
    for task in tasks:
        yield render_region(task)


def _started() -> None:
    """Nothing: a task that makes the pool start one more worker, which warms up meanwhile."""


class _Workers:
    """`jobs` worker processes, started at once: before the regions' tasks are known.

    A worker imports for several seconds (`process.warm_worker`: about 6 s CPU). Where reports
    are forked (Linux), the workers are forked in turn from one multiprocessing fork server
    that did those imports once (`reports/warm.py`, its preload): with 2 workers the batch
    pays them once instead of twice. The fork server starts in a thread, because starting the
    first worker waits until its preload is done, and this process meanwhile estimates the
    national headline and checks fingerprints. (The pool starts a worker per submitted task
    while none is idle.) Elsewhere the workers are spawned and import nothing in advance.
    """

    def __init__(self, jobs: int) -> None:
        import multiprocessing
        import threading

        self.fork = fork_available()
        if self.fork:
            context = multiprocessing.get_context("forkserver")
            self._preload = getattr(_fork_server(), "_preload_modules", ["__main__"])
            context.set_forkserver_preload(["p3k_study.reports.warm"])
        else:
            context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=context,
            initializer=warm_worker if self.fork else None,  # no-op imports once preloaded
            initargs=(report_environment(),) if self.fork else ())
        self._starting = threading.Thread(target=self._start, args=(jobs,), daemon=True)
        self._starting.start()

    def _start(self, jobs: int) -> None:
        with _report_environment():  # the fork server and workers inherit it
            for _ in range(jobs):
                self.pool.submit(_started)

    def run(self, tasks: list[RegionTask]) -> Iterator[RegionOutcome]:
        self._starting.join()
        futures = {}
        for task in tasks:
            try:
                futures[self.pool.submit(render_region, task)] = task
            except Exception as exc:  # the pool broke already: a worker died or failed to start
                yield _crashed(task, exc)
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # e.g. BrokenProcessPool: the worker died
                yield _crashed(futures[future], exc)

    def close(self) -> None:
        """Stop the workers, then the fork server: it holds the imports (~600 MB) until
        stopped, and once stopped and reaped its CPU time counts as this process's children's
        (`os.wait4`, `/usr/bin/time`). multiprocessing has no public call for either, so the
        fork server's own `_stop` (used by CPython's tests) is called where it exists."""
        self._starting.join()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.fork:
            server = _fork_server()
            with contextlib.suppress(AttributeError, OSError):
                server._stop()
            server.set_forkserver_preload(self._preload)


def _fork_server() -> Any:
    """multiprocessing's fork server (one per process)."""
    from multiprocessing import forkserver

    return forkserver._forkserver


def _early_workers(jobs: int, scheduler: str | None, wanted: int, out: Path,
                   force: bool) -> _Workers | None:
    """Workers for `_run_processes`, started now, when some region will surely be rendered
    (forced, or fewer finished regions in `out` than wanted); None otherwise."""
    if scheduler or jobs <= 1 or wanted <= 1:
        return None
    if not force and len(list(out.glob(f"*/{FINGERPRINT}"))) >= wanted:
        return None  # perhaps all unchanged: start workers only if needed
    return _Workers(min(jobs, wanted))


def _run_processes(tasks: list[RegionTask], jobs: int,
                   workers: _Workers | None = None) -> Iterator[RegionOutcome]:
    """Render in worker processes: `workers` already started, or `jobs` new ones."""
    workers = workers or _Workers(jobs)
    try:
        yield from workers.run(tasks)
    finally:
        workers.close()


def _run_dask(tasks: list[RegionTask], scheduler: str) -> Iterator[RegionOutcome]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("scheduler= needs dask.distributed: pip install 'p3k-study[dask]'") \
            from exc
    with Client(scheduler, set_as_default=False) as client:
        futures = client.map(render_region, tasks, pure=False,
                             key=[f"p3k-report-{t.slug}-{os.urandom(4).hex()}" for t in tasks])
        by_key = {f.key: task for f, task in zip(futures, tasks, strict=True)}
        for future in dask_completed(futures, loop=client.loop):
            try:
                yield future.result()
            except Exception as exc:  # the task itself crashed on the worker
                yield _crashed(by_key[future.key], exc)


# ---------------------------------------------------------------- the batch


def _requested(regions: str | Iterable[str]) -> Literal["all"] | list[str]:
    """`regions` checked: 'all', or its distinct codes (strings) in request order."""
    if isinstance(regions, str):
        if regions != "all":
            raise ValueError("regions must be 'all' or a list of region codes (strings)")
        return "all"
    codes = list(dict.fromkeys(regions))
    for code in codes:
        if not isinstance(code, str):
            raise TypeError(f"region codes must be strings like '11.01', not {code!r}")
    return codes


def _requested_count(processed: Path, requested: Literal["all"] | list[str], level: str) -> int:
    """How many regions are asked for, without the report's modules (see render_reports)."""
    if requested != "all":
        return len(requested)
    column = "kode_pemda" if level == "pemda" else "kode_provinsi"
    return pd.read_parquet(processed / "panel.parquet", columns=[column]).iloc[:, 0].nunique()


def _region_list(processed: Path, requested: Literal["all"] | list[str],
                 level: str) -> pd.DataFrame:
    """Requested regions with their names ('' for a code not in the panel), in request order."""
    from p3k_study.reports.content import list_regions

    columns = ["kode_pemda", "nama_pemda", "kode_provinsi", "nama_provinsi"]
    known = list_regions(pd.read_parquet(processed / "panel.parquet", columns=columns), level)
    if requested == "all":
        return known[["region", "name"]]
    names = dict(zip(known["region"], known["name"], strict=True))
    return pd.DataFrame({"region": requested, "name": [names.get(c, "") for c in requested]})


def _slugs(regions: pd.DataFrame) -> list[str]:
    """A distinct, safe folder name per region."""
    taken: set[str] = set()
    out = []
    for code, name in regions.itertuples(index=False):
        slug = safe_slug(code, name)
        if slug in taken:
            slug = f"{slug}-{hashlib.sha256(code.encode()).hexdigest()[:8]}"
        taken.add(slug)
        out.append(slug)
    return out


def _summary_of(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _tasks(processed: Path, out: Path, requested: Literal["all"] | list[str], level: str,
           lang: str, extra: dict[str, Any], template: Path, chromium: str | None,
           force: bool) -> tuple[list[RegionTask], list[RegionOutcome], pd.DataFrame]:
    """The national headline (estimated once, written to out/national.json), then a task per
    region to render and an outcome per region unchanged since its last render."""
    from p3k_study.reports.content import national_headline, region_truth

    wanted = _region_list(processed, requested, level)
    inputs = hash_inputs(processed)
    template_sha = sha256_file(template)
    common = {**DEFAULT_PARAMETERS, **extra, "processed_dir": str(processed.resolve()),
              "level": level, "lang": lang}
    # every report shows the same national headline: estimate it once, here
    national = national_headline(processed, outcome=common["outcome"],
                                 treatment=common["treatment"],
                                 period_from=common["period_from"],
                                 period_to=common["period_to"],
                                 min_treated=common["min_treated"]).to_dict()
    atomic_write_text(out / NATIONAL_FILE, json.dumps(national, indent=2, sort_keys=True) + "\n")
    common["national"] = national
    truth_file = common.pop("truth_file", None)
    # the simulator's truth is for the default window and outcome only: elsewhere none is shown
    default_scope = (common["outcome"], common["period_from"], common["period_to"]) == (
        "ikm", None, None)
    truth = region_truth(truth_file) if truth_file and default_scope else {}
    tasks, outcomes = [], []
    for (code, name), slug in zip(wanted.itertuples(index=False), _slugs(wanted), strict=True):
        folder = inside(out, slug)
        params = {**common, "region": code, "att_true": truth.get(code)}
        fingerprint = make_fingerprint(inputs, params, template_sha)
        if chromium:
            fingerprint["pdf"] = True
        if not force and fingerprint_matches(folder, fingerprint):
            outcomes.append(RegionOutcome(code, name, slug, "skipped",
                                          summary=_summary_of(folder),
                                          has_pdf=(folder / REPORT_PDF).is_file()))
            continue
        tasks.append(RegionTask(code, name, level, slug, str(folder), str(template), params,
                                fingerprint, chromium=chromium))

    return tasks, outcomes, wanted


def render_reports(
    processed: Path,
    out: Path,
    regions: Literal["all"] | list[str] = "all",
    level: str = "pemda",
    lang: str = "id",
    jobs: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    parameters: dict[str, Any] | None = None,
    progress: bool = True,
    template: Path | None = None,
    pdf: bool = False,
) -> BatchResult:
    """Render one HTML report per region; write out/index.html and out/estimates.{csv,parquet}.

    processed: folder with panel.parquet (and rejects.parquet, cleaning_summary.json).
    regions: 'all' or a list of codes ('32.01', or '32' with level='province').
    jobs: worker processes (default os.cpu_count(); 1 renders in this process).
    force: render every region even when its fingerprint is unchanged.
    scheduler: a Dask scheduler address; regions then run on that cluster instead.
    parameters: extra notebook parameters (outcome, treatment, period_from, period_to,
    synthetic, seed, k_min, min_treated), and `truth_file`: a simulator's truth_regions.csv,
    whose value for each region is passed to its report as `att_true`. The national headline
    is estimated once, written to out/national.json and passed to every report as `national`.
    A region's failure is recorded, never raised; see BatchResult.ok.
    pdf: also print each report to out/<slug>/report.pdf (A4) with headless Chromium. Without
    Chromium the HTML reports are still written and BatchResult.notes says why no PDF.
    """
    from tqdm.auto import tqdm

    started = time.perf_counter()
    processed, out = Path(processed), Path(out)
    if level not in ("pemda", "province"):
        raise ValueError(f"level must be 'pemda' or 'province', not {level!r}")
    check_lang(lang)
    if not (processed / "panel.parquet").is_file():
        raise FileNotFoundError(f"{processed / 'panel.parquet'}: no processed panel")
    extra = dict(parameters or {})
    if reserved := sorted(set(extra) & set(RESERVED)):
        raise ValueError(f"parameters may not set {reserved}: use the arguments instead")
    jobs = jobs or os.cpu_count() or 1
    template = Path(template or default_template()).resolve()
    chromium = find_chromium() if pdf else None
    out.mkdir(parents=True, exist_ok=True)

    # The workers' fork server starts first: its imports (the report's modules, ~6 s CPU) then
    # run beside this process's, which imports the estimators and estimates the national
    # headline, instead of after them.
    requested = _requested(regions)
    workers = _early_workers(jobs, scheduler, _requested_count(processed, requested, level),
                             out, force)
    try:
        tasks, outcomes, wanted = _tasks(processed, out, requested, level, lang, extra, template,
                                         chromium, force)
    except BaseException:
        if workers is not None:
            workers.close()
        raise

    bar = tqdm(total=len(wanted), initial=len(outcomes), desc="reports", unit="region",
               file=sys.stderr, disable=not progress, dynamic_ncols=True)
    if scheduler:
        runner = _run_dask(tasks, scheduler)
    elif workers is None and (jobs == 1 or len(tasks) <= 1):
        runner = _run_here(tasks)
    else:
        runner = _run_processes(tasks, min(jobs, len(tasks)), workers)
    try:
        for outcome in runner:
            outcomes.append(outcome)
            bar.update(1)
            if outcome.status == "failed":
                bar.set_postfix_str(f"failed: {sum(o.status == 'failed' for o in outcomes)}")
    finally:
        bar.close()

    order = {code: i for i, code in enumerate(wanted["region"])}
    outcomes.sort(key=lambda o: order[o.region])
    result = BatchResult(out=out, outcomes=outcomes,
                         notes=[NOT_INSTALLED] if pdf and not chromium else [])
    from p3k_study.reports.index import write_estimates, write_index

    result.estimates = write_estimates(out, outcomes, level)
    result.index = write_index(out, outcomes, level, lang)
    result.seconds = time.perf_counter() - started
    return result
