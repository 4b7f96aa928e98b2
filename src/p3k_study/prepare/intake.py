"""Read and clean the raw files: one `Cleaned` per kind, from worker processes when there are many.

`read_dataset` + `clean_kind` do it one kind at a time in this process; `clean_kinds` reads and
cleans groups of files in parallel and yields each kind as soon as it is joined. Both give the
same tables (tested). A user error raised in a worker (`p3k_study.errors`, which pickle whole)
reaches the caller as raised; any other failure becomes one `StageError` naming the file.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from p3k_study.clean import CLEANERS
from p3k_study.clean.common import Part, finish, packed
from p3k_study.clean.ledger import empty_rejects
from p3k_study.config import Config, read_dataset_marker
from p3k_study.errors import StageError, UserError
from p3k_study.prepare.files import KINDS, dataset_files
from p3k_study.reference.regions import code_edition, region_resolver


@contextlib.contextmanager
def stage(what: str, files: Sequence[str] | Callable[[], Sequence[str]] = ()) -> Iterator[None]:
    """Turn any unexpected exception inside the block into one `StageError` naming the stage
    `what` and `files` (a list, or a function giving it when needed); user errors pass through."""
    try:
        yield
    except UserError:
        raise
    except Exception as error:  # every internal failure becomes one message
        names = files() if callable(files) else files
        raise StageError(what, names, error) from error


@dataclass
class Cleaned:
    """A clean table from all files of one kind, its rejects, and per-file input facts."""

    kind: str
    table: pd.DataFrame
    rejects: pd.DataFrame
    files: list[dict[str, Any]] = field(default_factory=list)
    names: frozenset[str] = frozenset()
    """The roster's personal names (`Part.names`), masked in every output."""

    def source_files(self) -> list[str]:
        """The kind's source files, for a `StageError`."""
        return [str(info["source_file"]) for info in self.files]


PARALLEL_MIN_FILES = 16
CHUNK_BYTES = 24_000_000
"""`clean_kinds` reads and cleans the files of a kind in groups of about this many bytes.

Cleaning a group has a fixed cost of ~0.2 s (pandas and Arrow per-call costs, whatever the
rows), so larger groups cost less CPU; but the groups must be many enough for 2 workers to
finish together. On the national data 24 MB (8 SKM groups) gave the shortest runs: 8 MB
38-42 s, 16 MB 38-42 s, 24 MB 33-35 s, 32 MB 36-38 s, 48 MB 38 s (benchmarks/README.md)."""
JOIN_ORDER: tuple[str, ...] = ("skm", "pegawai", "jumlah_pegawai", "ikm", "kinerja")
"""The order `clean_kinds` hands out groups: the kinds slowest to join first, the smallest
groups last (they even out the workers' finishing times)."""


def cleaner_options(kind: str, config: Config, reference_date: Any) -> dict[str, Any]:
    """The keyword arguments of a kind's cleaner."""
    if kind == "pegawai":
        return {"reference_date": reference_date, "salt": config.effective_salt}
    if kind == "kinerja":
        return {"reference_date": reference_date}
    return {"reference_date": reference_date, "freq": config.freq}


def read_file(path: Path, raw: Path) -> list[Any]:
    """The RawSheets of one file, `source_file` relative to `raw`. Raises `UnreadableFile` /
    `DataError` for a file that is not a usable table, `StageError` for anything else."""
    from p3k_study.read import read_table

    with stage("reading", [str(path)]):
        sheets = read_table(path)
    for sheet in sheets:
        sheet.source_file = path.relative_to(raw).as_posix()
    return sheets


def read_dataset(raw: Path) -> dict[str, list[Any]]:
    """RawSheets of every table file of the dataset folder (`files.dataset_files`), per kind.
    Raises `DataError` when there is no staff folder and `UnreadableFile` for a file that is
    not a table."""
    raw = Path(raw)
    sheets: dict[str, list[Any]] = {}
    for kind, path in dataset_files(raw).files:
        sheets.setdefault(kind, []).extend(read_file(path, raw))
    return sheets


def clean_kind(kind: str, sheets: Sequence[Any], config: Config, reference_date: Any
               ) -> Cleaned:
    """Clean every sheet of one kind at once (duplicates checked across all of them)."""
    if not sheets:
        return joined(kind, [])
    return joined(kind, [clean_part(kind, sheets, cleaner_options(kind, config, reference_date))])


def _by_file(sheets: Sequence[Any]) -> list[list[Any]]:
    groups: dict[str, list[Any]] = {}
    for sheet in sheets:
        groups.setdefault(str(sheet.source_file), []).append(sheet)
    return list(groups.values())


def clean_part(kind: str, sheets: Sequence[Any], options: dict[str, Any]) -> Part:
    """The kind's cleaner on `sheets`. An unexpected failure ends in one `StageError` naming
    the file that causes it: each file of the group is then cleaned alone to find it."""
    cleaner = CLEANERS[kind][0]
    try:
        return cleaner(list(sheets), **options)
    except UserError:
        raise
    except Exception as error:  # every internal failure becomes one message
        groups = _by_file(sheets)
        culprits = []
        if len(groups) > 1:
            for group in groups:
                try:
                    cleaner(group, **options)
                except Exception:
                    culprits.append(str(group[0].source_file))
        names = culprits or [str(group[0].source_file) for group in groups]
        raise StageError(f"cleaning the {kind} files", names, error) from error


def joined(kind: str, parts: Sequence[Part]) -> Cleaned:
    """A kind's parts joined in file order, duplicates checked across all of them."""
    if not parts:
        return Cleaned(kind, CLEANERS[kind][1](), empty_rejects(), [])
    with stage(f"joining the {kind} files", lambda: [n for p in parts for n in p.files]):
        table, ledger, facts = finish(parts, CLEANERS[kind][1]())
    files = [{"source_file": name, "kind": kind, "encoding": info["encoding"],
              "separator": info["separator"], "sheets": info["sheets"],
              "notes": dict(sorted(info["notes"].items()))}  # type: ignore[union-attr]
             for name, info in facts.items()]
    return Cleaned(kind, table, ledger, files, frozenset().union(*(p.names for p in parts)))


def _clean_group(task: tuple[str, Path, list[Path], dict[str, Any]]) -> Part:
    """Read and clean one group of files of one kind (in a worker process)."""
    kind, raw, group, options = task
    sheets = [sheet for path in group for sheet in read_file(path, raw)]
    with stage(f"cleaning the {kind} files", [p.relative_to(raw).as_posix() for p in group]):
        return packed(clean_part(kind, sheets, options))


def _groups(paths: Sequence[tuple[str, Path]], size: int | None
            ) -> list[tuple[str, list[Path]]]:
    """Consecutive files of one kind, about `size` bytes per group (None: one group per kind)."""
    groups: list[tuple[str, list[Path]]] = []
    filled = 0
    for kind, path in paths:
        if not groups or groups[-1][0] != kind or (size is not None and filled >= size):
            groups.append((kind, []))
            filled = 0
        groups[-1][1].append(path)
        filled += path.stat().st_size
    return groups


def clean_kinds(raw: Path, config: Config, reference_date: Any, progress: bool = False,
                jobs: int | None = None, group_bytes: int | None = None) -> Iterator[Cleaned]:
    """Read and clean every table file of the dataset folder: a `Cleaned` per kind of `KINDS`,
    each yielded as soon as it is joined (kinds without files last, empty).

    Groups of files of one kind (about `group_bytes`, default `CHUNK_BYTES`; serially, one
    group per kind) are read and cleaned together, in `jobs` worker processes when there are
    at least `PARALLEL_MIN_FILES` files (default: up to 2, the CPU count), so that cleaning
    one group overlaps reading the next; each kind's groups are then joined in file order and
    checked for duplicates across all of them (`clean.common.finish`). The result equals
    `read_dataset` followed by `clean_kind` (tested), whatever the grouping. Raises
    `UnreadableFile` / `DataError` as those do."""
    from tqdm.auto import tqdm

    raw = Path(raw)
    paths = dataset_files(raw).files
    jobs = jobs or min(2, os.cpu_count() or 1)
    parallel = jobs >= 2 and len(paths) >= PARALLEL_MIN_FILES
    size = group_bytes or (CHUNK_BYTES if parallel else None)
    groups = sorted(_groups(paths, size), key=lambda g: JOIN_ORDER.index(g[0]))  # stable
    edition = code_edition(read_dataset_marker(raw))
    tasks = [(kind, raw, group, {**cleaner_options(kind, config, reference_date),
                                 "code_edition": edition}) for kind, group in groups]
    waiting = collections.Counter(kind for kind, _ in groups)
    parts: dict[str, list[Part]] = {}
    if parallel and os.name == "posix":  # workers are forked: they inherit what is built here
        region_resolver(edition)  # built once rather than once per worker
    with tqdm(total=len(paths), desc="  read and clean", unit="file", file=sys.stderr,
              disable=not progress, dynamic_ncols=True) as bar:
        for (kind, _, group, _), part in zip(tasks, _results(_clean_group, tasks, jobs, parallel),
                                             strict=True):
            bar.update(len(group))
            parts.setdefault(kind, []).append(part)
            waiting[kind] -= 1
            if not waiting[kind]:  # joined while the workers go on with the other kinds
                yield joined(kind, parts.pop(kind))
    for kind in KINDS:
        if kind not in waiting:
            yield joined(kind, [])


def _results(func: Callable[[Any], Any], items: Sequence[Any], jobs: int, parallel: bool
             ) -> Iterator[Any]:
    """`func(item)` per item, results in order; in `jobs` worker processes when `parallel`."""
    if not parallel:
        yield from map(func, items)
        return
    # fork as the simulator does (pyarrow >= 8 re-creates its thread pools in a forked child);
    # spawn would re-run a script's __main__ and fails for code read from stdin
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield from pool.map(func, items)
