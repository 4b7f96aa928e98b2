"""`p3k-study`: the command line. Each subcommand is a thin shell over one package stage.

Errors a user can fix (a file that is not a table, a missing column, a bad option) end in one
plain message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from p3k_study import __version__

DEFAULT_DATASET = "demo"
EXIT_USER_ERROR = 2
PDF_HELP = ("also print each report to an A4 report.pdf with headless Chromium "
            "(skipped, with a note, when Chromium is not installed)")


def _raw_dir(name: str) -> Path:
    return Path("data/raw") / name


def _processed_dir(name: str) -> Path:
    return Path("data/processed") / name


def _reports_dir(name: str) -> Path:
    return Path("reports") / name


def _regions(text: str) -> str | list[str]:
    return "all" if text == "all" else [code.strip() for code in text.split(",") if code.strip()]


def _run_regions(text: str) -> str | list[str] | None:
    """`run --regions`: 'all', codes, or 'none' (prepare and estimate only)."""
    return None if text.strip().lower() == "none" else _regions(text)


def _processed_with_panel(folder: str) -> Path:
    """A processed folder that holds panel.parquet, else one plain message."""
    from p3k_study.errors import UserError

    path = Path(folder)
    if not (path / "panel.parquet").is_file():
        raise UserError(f"{path}: no panel.parquet here (run `p3k-study prepare` first)")
    return path


def _default_truth(processed: Path) -> str | None:
    """The simulator's truth_regions.csv for a processed synthetic dataset: beside the raw
    folder its cleaning_summary.json names (`pipeline.truth_file`), else None."""
    import json

    from p3k_study.pipeline import truth_file

    summary = processed / "cleaning_summary.json"
    if not summary.is_file():
        return None
    facts = json.loads(summary.read_text(encoding="utf-8"))
    raw = Path(str(facts.get("raw", "")))
    return truth_file(raw) if facts.get("synthetic") is True and raw.is_dir() else None


def cmd_simulate(args: argparse.Namespace) -> int:
    from p3k_study.simulate import simulate

    summary = simulate(
        Path(args.out), seed=args.seed, scale=args.scale,
        truth=Path(args.truth) if args.truth else None, progress=not args.quiet,
    )
    print(summary.describe() if hasattr(summary, "describe") else summary)
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from p3k_study.config import Config
    from p3k_study.prepare import format_summary, prepare

    config = Config.from_env()
    if args.salt:
        config = replace(config, salt=args.salt)
    result = prepare(Path(args.raw), Path(args.out), freq=args.period, config=config,
                     progress=not args.quiet)
    print(format_summary(result.summary))
    print(f"Processed tables written to {args.out}/")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from p3k_study.pipeline import estimate_all

    processed = _processed_with_panel(args.processed)
    out = Path(args.out) if args.out else None
    written = estimate_all(processed, out, seed=args.seed)
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from p3k_study.reports import render_reports

    processed = _processed_with_panel(args.processed)
    truth = str(Path(args.truth).resolve()) if args.truth else _default_truth(processed)
    result = render_reports(
        processed, Path(args.out), regions=_regions(args.regions), level=args.level,
        lang=args.lang, jobs=args.jobs, force=args.force, scheduler=args.scheduler,
        parameters={"k_min": args.k_min, "min_treated": args.min_treated, "truth_file": truth},
        progress=not args.quiet, pdf=args.pdf,
    )
    print(result.describe())
    return 0 if result.ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    from p3k_study.pipeline import run

    result = run(
        raw=Path(args.raw or _raw_dir(args.dataset)),
        processed=Path(args.processed or _processed_dir(args.dataset)),
        reports=Path(args.reports or _reports_dir(args.dataset)),
        lang=args.lang, jobs=args.jobs, force=args.force, seed=args.seed, freq=args.period,
        progress=not args.quiet, regions=_run_regions(args.regions),  # type: ignore[arg-type]
        pdf=args.pdf,
    )
    return 0 if result.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from p3k_study.verify import verify

    return verify(Path(args.dir))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="p3k-study",
        description="Does hiring P3K change the performance of regional work units? "
        "Simulate, clean, estimate and report.",
    )
    parser.add_argument("--version", action="version", version=f"p3k-study {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
        p.set_defaults(func=func)
        return p

    p = add("simulate", cmd_simulate, "Write a synthetic Indonesia: raw files and a truth folder.")
    p.add_argument("--out", required=True, help="raw dataset folder to write")
    p.add_argument("--seed", type=int, default=20240901, help="random seed (default 20240901)")
    p.add_argument("--scale", choices=["demo", "national"], default="demo")
    p.add_argument("--truth", help="truth folder (default: data/truth/<name> beside data/raw/)")

    p = add("prepare", cmd_prepare, "Clean raw files into tables and the unit x period panel.")
    p.add_argument("--raw", default=str(_raw_dir(DEFAULT_DATASET)), help="raw dataset folder")
    p.add_argument("--out", default=str(_processed_dir(DEFAULT_DATASET)), help="output folder")
    p.add_argument("--period", choices=["semester", "year", "quarter"], default="semester")
    p.add_argument("--salt", help="pseudonym salt (default: $P3K_STUDY_SALT)")

    p = add("estimate", cmd_estimate, "Fit the national models on a panel; write estimate tables.")
    p.add_argument("--processed", default=str(_processed_dir(DEFAULT_DATASET)),
                   help="processed folder written by prepare (default: %(default)s)")
    p.add_argument("--out", default=None, help="default: PROCESSED/estimates")
    p.add_argument("--seed", type=int, default=20240901, help="seed for bootstrap draws")

    p = add("reports", cmd_reports, "Render one report per region with papermill, in parallel.")
    p.add_argument("--processed", default=str(_processed_dir(DEFAULT_DATASET)),
                   help="processed folder written by prepare (default: %(default)s)")
    p.add_argument("--out", default=str(_reports_dir(DEFAULT_DATASET)),
                   help="folder for index.html and one folder per region (default: %(default)s)")
    p.add_argument("--regions", default="all", help="'all' or comma-separated codes: 32.01,32.02")
    p.add_argument("--level", choices=["pemda", "province"], default="pemda",
                   help="one report per kabupaten/kota (pemda) or per province")
    p.add_argument("--lang", choices=["id", "en"], default="id",
                   help="language of the reports: Indonesian (id) or English (en)")
    p.add_argument("--jobs", type=_positive_int, default=None,
                   help="parallel workers (default: cores)")
    p.add_argument("--force", action="store_true", help="render every region again")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--k-min", type=_positive_int, default=5,
                   help="counts of staff or respondents below this are suppressed (default 5)")
    p.add_argument("--min-treated", type=_positive_int, default=5,
                   help="estimates resting on fewer units that hired P3K are not reported "
                        "(default 5)")
    p.add_argument("--truth", help="truth_regions.csv of a synthetic dataset: reports show "
                                   "the true value beside the estimate (default: the "
                                   "simulator's, beside the raw folder prepare read)")
    p.add_argument("--pdf", action="store_true", help=PDF_HELP)

    p = add("run", cmd_run, "prepare + estimate + reports on one dataset (default: the demo).")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="name under data/raw/ (default demo)")
    p.add_argument("--raw", help="raw folder (default data/raw/DATASET)")
    p.add_argument("--processed", help="processed folder (default data/processed/DATASET)")
    p.add_argument("--reports", help="reports folder (default reports/DATASET)")
    p.add_argument("--lang", choices=["id", "en"], default="id")
    p.add_argument("--jobs", type=_positive_int, default=None)
    p.add_argument("--force", action="store_true")
    p.add_argument("--seed", type=int, default=20240901)
    p.add_argument("--period", choices=["semester", "year", "quarter"], default="semester")
    p.add_argument("--regions", default="all",
                   help="'all', comma-separated codes, or 'none' to skip the reports")
    p.add_argument("--pdf", action="store_true", help=PDF_HELP)

    p = add("verify", cmd_verify, "Rerun the run described by DIR/manifest.json and compare.")
    p.add_argument("dir", help="a reports folder holding manifest.json")
    return parser


WARNING_CATEGORIES_VARIABLE = "P3K_STUDY_WARNING_CATEGORIES"
"""When set (as `pipeline.estimate_reproducibly` sets it for its child), each warning line names
its category: `warning(<module>:<qualname>): <message>` (`warning_category` reads the name)."""


def _plain_warning(message: Warning | str, category: type[Warning], filename: str,
                   lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    """`warnings.showwarning` for the command line: one line `warning: <message>`, without
    Python's `file.py:123: Category:` prefix and source line."""
    text = " ".join(str(message).split())
    named = (f"({category.__module__}:{category.__qualname__})"
             if os.environ.get(WARNING_CATEGORIES_VARIABLE) else "")
    with suppress(OSError):  # stderr closed: a warning is not worth a crash
        print(f"warning{named}: {text}", file=file or sys.stderr, flush=True)


def warning_category(name: str) -> type[Warning]:
    """The warning class named `<module>:<qualname>` in a warning line, or UserWarning when the
    name is not one."""
    module_name, _, qualname = name.partition(":")
    try:
        found: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError, ValueError):  # ValueError: an empty module name
        return UserWarning
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


@contextmanager
def plain_warnings() -> Iterator[None]:
    """Show warnings as `_plain_warning` lines inside the block (restored afterwards)."""
    before = warnings.showwarning
    warnings.showwarning = _plain_warning
    try:
        yield
    finally:
        warnings.showwarning = before


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with plain_warnings():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    """Run the subcommand; a `UserError` (an estimator's `EstimationError` among them) ends in
    one line and exit 2. Anything else is a bug in p3k-study (a broken import among them) and
    ends in its traceback."""
    from p3k_study.errors import UserError

    try:
        return args.func(args)
    except UserError as exc:
        from p3k_study.estimate._common import EstimationError

        what = "cannot estimate: " if isinstance(exc, EstimationError) else ""
        print(f"p3k-study {args.command}: {what}{' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
