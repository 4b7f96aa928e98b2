"""Read and clean the raw files: one `Cleaned` per kind, from worker processes when there are many.

The tables do not depend on how the files are grouped (tested). A user error raised in a worker
reaches the caller as raised; any other failure becomes one `StageError` naming the file.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from p3k_study.clean import CLEANERS
from p3k_study.clean.common import Part, finish, with_columns
from p3k_study.clean.privacy import Scrubber
from p3k_study.config import Config
from p3k_study.errors import StageError, UserError
from p3k_study.prepare.files import KINDS, DatasetFiles, dataset_files
from p3k_study.read import read_table
from p3k_study.reference.regions import region_resolver


@contextlib.contextmanager
def stage(what: str, files: Sequence[str] = ()) -> Iterator[None]:
    """Turn any unexpected exception inside the block into one `StageError` naming the stage
    `what` and `files`; user errors pass through."""
    try:
        yield
    except UserError:
        raise
    except Exception as error:  # every internal failure becomes one message
        raise StageError(what, files, error) from error


@dataclass
class Cleaned:
    """A clean table from all files of one kind, its rejects, per-file input facts, and what
    `prepare.derived.derive` finds in the table alone (None where the kind gives nothing):
    `seen` (`unit_names_seen`), `answers` (`ikm.compute_ikm`), `staff` (the roster as written:
    sorted, schema-checked, masked) and `scrubber` (the roster's, for every output); and
    `offices`, `clean.common.coexisting_offices` (`finish`)."""

    kind: str
    table: pd.DataFrame
    rejects: pd.DataFrame
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """{source file: {encoding, separator, sheets, notes}} (`clean.common.finish`)."""
    names: frozenset[str] = frozenset()
    """The roster's personal names (`Part.names`), masked in every output."""
    seen: pd.DataFrame | None = None
    answers: pd.DataFrame | None = None
    staff: pd.DataFrame | None = None
    scrubber: Scrubber | None = None
    offices: frozenset[str] = frozenset()


PARALLEL_MIN_FILES = 16
CHUNK_BYTES = 24_000_000
"""Bytes per group of files in worker processes: cleaning a group costs ~0.2 s more, but 2
workers must finish together (24 MB gave the shortest national runs, benchmarks/README.md)."""
JOIN_ORDER: tuple[str, ...] = ("skm", "pegawai", "jumlah_pegawai", "ikm", "kinerja")
"""The order `clean_kinds` hands out groups: the kinds slowest to join first, the smallest
groups last (they even out the workers' finishing times)."""


def clean_part(kind: str, raw: Path, paths: Sequence[Path], options: dict[str, Any],
               given: dict[str, dict[str, str]] | None = None) -> Part:
    """Read and clean some files of one kind (in a worker process), with the columns
    dataset.json gives them (`given`, `files.given_columns`). An unexpected failure ends in one
    `StageError` naming the file that causes it (each is cleaned alone)."""
    names = [path.relative_to(raw).as_posix() for path in paths]
    by_file = []
    for path, name in zip(paths, names, strict=True):
        with stage("reading", [str(path)]):
            sheets = read_table(path)
        for sheet in sheets:
            sheet.source_file = name
        by_file.append([with_columns(sheet, kind, (given or {}).get(name, {})) for sheet in sheets])
    cleaner = CLEANERS[kind][0]
    try:
        return cleaner([sheet for sheets in by_file for sheet in sheets], **options)
    except UserError:
        raise
    except Exception as error:  # every internal failure becomes one message
        culprits = []
        if len(names) > 1:
            for name, sheets in zip(names, by_file, strict=True):
                try:
                    cleaner(sheets, **options)
                except Exception:
                    culprits.append(name)
        raise StageError(f"cleaning the {kind} files", culprits or names, error) from error


SURVEY_KINDS = ("skm", "ikm")
"""The kinds whose clean table `prepare` does not write (it writes what is derived from them):
their text stays Categorical (with the categories of rejected rows too: `value_counts` lists
them at 0), which spares making 2.4 M texts per column of the national SKM table (1.5 s of
CPU, benchmarks/README.md)."""


def joined(kind: str, parts: Sequence[Part]) -> Cleaned:
    """A kind's parts joined in file order, duplicates checked across all of them (no parts:
    the empty table); text as Categoricals in `SURVEY_KINDS`."""
    with stage(f"joining the {kind} files", [name for part in parts for name in part.files]):
        table, ledger, files, offices = finish(parts, CLEANERS[kind][1](),
                                               kind not in SURVEY_KINDS)
    return Cleaned(kind, table, ledger, files, frozenset().union(*(p.names for p in parts)),
                   offices=offices)


def file_groups(paths: Sequence[tuple[str, Path]], size: int | None
                ) -> list[tuple[str, list[Path]]]:
    """(kind, paths): consecutive files of one kind, about `size` bytes per group (None: one
    group per kind), in `JOIN_ORDER` (benchmarks/bench_prepare.py reads the same groups)."""
    groups: list[tuple[str, list[Path]]] = []
    filled = 0
    for kind, path in paths:
        if not groups or groups[-1][0] != kind or (size is not None and filled >= size):
            groups.append((kind, []))
            filled = 0
        groups[-1][1].append(path)
        filled += path.stat().st_size
    return sorted(groups, key=lambda group: JOIN_ORDER.index(group[0]))  # stable


def clean_kinds(raw: Path, config: Config, reference_date: Any, progress: bool = False,
                jobs: int | None = None, group_bytes: int | None = None,
                dataset: DatasetFiles | None = None) -> Iterator[Cleaned]:
    """Read and clean every table file of the dataset folder (`dataset`, by default
    `files.dataset_files(raw)`): a `Cleaned` per kind of `KINDS`, each yielded as soon as it is
    joined (kinds without files last, empty).

    Groups of files of one kind (`file_groups`, about `group_bytes`, default `CHUNK_BYTES`;
    serially, one group per kind) are read and cleaned in `jobs` worker processes (default: up
    to 2, the CPU count) when there are at least `PARALLEL_MIN_FILES` files; each kind's groups
    are then joined (`clean.common.finish`). Raises `DataError` when there is no staff folder
    and `UnreadableFile` for a file that is not a table."""
    raw = Path(raw)
    dataset = dataset or dataset_files(raw)
    paths = dataset.files
    jobs = jobs or min(2, os.cpu_count() or 1)
    parallel = jobs >= 2 and len(paths) >= PARALLEL_MIN_FILES
    groups = file_groups(paths, group_bytes or (CHUNK_BYTES if parallel else None))
    options = {kind: {"reference_date": reference_date, "code_edition": dataset.edition,
                      **({"salt": config.effective_salt} if kind == "pegawai" else
                         {} if kind == "kinerja" else {"freq": config.freq})} for kind in KINDS}
    tasks = [(kind, raw, group, options[kind], {  # each group its own files' given columns
        name: dataset.given[name] for name in (p.relative_to(raw).as_posix() for p in group)
        if name in dataset.given}) for kind, group in groups]
    waiting = collections.Counter(kind for kind, _ in groups)
    parts: dict[str, list[Part]] = {}
    with contextlib.ExitStack() as stack:
        results: Iterator[Part] = map(clean_part, *zip(*tasks, strict=True))
        if parallel:
            region_resolver(dataset.edition)  # built once here, inherited by the forked workers
            # fork as the simulator does (pyarrow >= 8 re-creates its thread pools in a forked
            # child); spawn would re-run a script's __main__ and fails for code read from stdin
            context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            pool = stack.enter_context(ProcessPoolExecutor(jobs, mp_context=context))
            results = pool.map(clean_part, *zip(*tasks, strict=True))
        bar = stack.enter_context(tqdm(total=len(paths), desc="  read and clean", unit="file",
                                       file=sys.stderr, disable=not progress,
                                       dynamic_ncols=True))
        for (kind, _, group, _, _), part in zip(tasks, results, strict=True):
            bar.update(len(group))
            parts.setdefault(kind, []).append(part)
            waiting[kind] -= 1
            if not waiting[kind]:  # joined while the workers go on with the other kinds
                yield joined(kind, parts.pop(kind))
    yield from (joined(kind, []) for kind in KINDS if kind not in waiting)
