"""prepare: raw dataset folder -> clean tables, rejects ledger, cleaning summary and the panel.

`prepare(raw, out)` runs every step: `clean_dataset` (read and clean groups of files in
parallel, then join each kind) and the steps below from `compute_ikm` on. A notebook can call
them one at a time, with the same results:

    sheets = read_dataset(raw)                                   # {kind: [RawSheet, ...]}
    roster = clean_roster(sheets["pegawai"], config, reference_date)
    counts = clean_counts(sheets["jumlah_pegawai"], config, reference_date)
    skm = clean_skm(sheets["skm"], config, reference_date)
    published = clean_published(sheets["ikm"], config, reference_date)
    kinerja = clean_kinerja(sheets["kinerja"], config, reference_date)      # optional outcomes
    ikm_unit = compute_ikm(skm.table, published.table, config)
    units = build_units(roster.table, counts.table, skm.table, published.table)
    panel = build_panel(roster.table, ikm_unit, units, freq, counts=counts.table)
    summary = summarise(...); write_outputs(out, tables, summary)

Outputs in `out/`: staff.parquet (clean roster, pseudonymised), staff_counts.parquet (when
count files exist), kinerja.parquet (when unit-level outcome files exist), ikm_unit.parquet,
units.parquet, panel.parquet and panel.csv, rejects.parquet and rejects.csv,
cleaning_summary.json. Every table is checked against its
pandera schema (`schemas.py`) before it is written; rows are sorted stably, JSON keys sorted.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import json
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from p3k_study import __version__
from p3k_study.clean.common import (
    Part,
    coexisting_offices,
    finish,
    packed,
    separate_offices,
)
from p3k_study.clean.counts import counts_part, empty_counts
from p3k_study.clean.ikm_published import empty_published, published_part
from p3k_study.clean.kinerja import empty_kinerja, kinerja_part
from p3k_study.clean.ledger import REJECT_COLUMNS, empty_rejects, finalise, sort_rejects
from p3k_study.clean.privacy import Scrubber, mask_digits
from p3k_study.clean.roster import empty_roster, roster_part
from p3k_study.clean.skm import empty_skm, skm_part
from p3k_study.config import Config, check_salt, resolve_reference_date
from p3k_study.csvout import write_csv
from p3k_study.errors import DataError, UserError
from p3k_study.ikm import combine_ikm, published_ikm
from p3k_study.ikm import compute_ikm as ikm_from_answers
from p3k_study.panel import build_panel, panel_window
from p3k_study.periods import period_labels

KINDS: tuple[str, ...] = ("pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja")
IGNORED_KINDS: tuple[str, ...] = ()
TABLE_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq"})
SUMMARY_FILE = "cleaning_summary.json"


class StageError(UserError, RuntimeError):
    """An unexpected failure inside one stage of prepare (a bug in p3k-study, or input no rule
    foresaw): one line naming the stage, the file(s) it was working on and the error, never a
    traceback. The command line prints it and exits 2."""

    def __init__(self, stage: str, files: Sequence[str], error: BaseException | str) -> None:
        self.stage = stage
        self.files = [str(f) for f in files]
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.error = mask_digits(" ".join(str(text).split()))
        if len(self.error) > 300:
            self.error = self.error[:297] + "..."
        where = ", ".join(self.files[:3])
        if len(self.files) > 3:
            where += f" and {len(self.files) - 3} more"
        super().__init__(f"internal error while {stage}" + (f" ({where})" if where else "")
                         + f": {self.error} (a bug in p3k-study: please report this line)")


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


# --- reading ---------------------------------------------------------------------------------


def list_files(raw: Path) -> dict[str, list[Path]]:
    """Table files per kind folder, sorted by name; hidden files and Excel lock files skipped."""
    found: dict[str, list[Path]] = {}
    for kind in (*KINDS, *IGNORED_KINDS):
        folder = Path(raw) / kind
        if not folder.is_dir():
            continue
        files = sorted(
            p for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
            and not p.name.startswith((".", "~$"))
        )
        if files:
            found[kind] = files
    return found


def read_dataset(raw: Path, progress: bool = False, jobs: int | None = None
                 ) -> dict[str, list[Any]]:
    """RawSheets of every table file under raw/<kind>/, `source_file` relative to `raw`.

    Files are read by `jobs` processes (default: up to 2, the CPU count, when there are at
    least `PARALLEL_MIN_FILES` files); the result does not depend on it. Raises `DataError`
    when there is no staff folder (pegawai/ or jumlah_pegawai/) and `UnreadableFile` for a
    file that is not a table."""
    from tqdm.auto import tqdm

    raw = Path(raw)
    paths = _dataset_files(raw)
    jobs = jobs or min(2, os.cpu_count() or 1)
    parallel = jobs >= 2 and len(paths) >= PARALLEL_MIN_FILES
    sheets: dict[str, list[Any]] = {}
    with tqdm(total=len(paths), desc="  read", unit="file", file=sys.stderr,
              disable=not progress, dynamic_ncols=True) as bar:
        results = _in_order(_read_one, [path for _, path in paths], jobs, parallel,
                            lambda _: bar.update(1))
        for (kind, path), result in zip(paths, results, strict=True):
            for sheet in _user_errors_raised(result):
                sheet.source_file = path.relative_to(raw).as_posix()
                sheets.setdefault(kind, []).append(sheet)
    return sheets


PARALLEL_MIN_FILES = 16


def _read_one(path: Path) -> tuple[str, Any]:
    """Read one file; an unreadable file comes back as data (`_user_errors_raised`)."""
    from p3k_study.errors import UnreadableFile
    from p3k_study.io import read_table

    try:
        return "ok", read_table(path)
    except UnreadableFile as error:
        return "unreadable", (str(path), error.reason)
    except DataError as error:
        return "data_error", (error.path, error.reason, error.sheet)
    except Exception as error:  # sent back as data, raised as one message
        return "internal", ("reading", [str(path)], f"{type(error).__name__}: {error}")


def _user_errors_raised(result: tuple[str, Any]) -> Any:
    """The value a worker sent back, or the user error it caught raised again (exceptions with
    custom arguments do not cross process boundaries, so workers send them as data)."""
    from p3k_study.errors import UnreadableFile

    status, value = result
    if status == "unreadable":
        raise UnreadableFile(value[0], value[1])
    if status == "data_error":
        raise DataError(value[0], value[1], sheet=value[2])
    if status == "internal":
        raise StageError(value[0], value[1], value[2])
    return value


def _in_order(func: Callable[[Any], Any], items: Sequence[Any], jobs: int, parallel: bool,
              done: Callable[[Any], None]) -> Iterator[Any]:
    """`func(item)` per item, results in order; in `jobs` worker processes when `parallel`.
    `done(item)` is called as each item finishes (in any order)."""
    if not parallel:
        for item in items:
            result = func(item)
            done(item)
            yield result
        return
    # fork as the simulator does (pyarrow >= 8 re-creates its thread pools in a forked child);
    # spawn would re-run a script's __main__ and fails for code read from stdin
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(func, item) for item in items]
        for item, future in zip(items, futures, strict=True):
            future.add_done_callback(functools.partial(_call_done, done, item))
        for future in futures:
            yield future.result()


def _call_done(done: Callable[[Any], None], item: Any, _: Any) -> None:
    done(item)


def _by_file(sheets: Sequence[Any]) -> list[list[Any]]:
    groups: dict[str, list[Any]] = {}
    for sheet in sheets:
        groups.setdefault(str(sheet.source_file), []).append(sheet)
    return list(groups.values())


def _progress(enabled: bool, text: str) -> None:
    if enabled:
        print(f"  {text}", file=sys.stderr, flush=True)


# --- cleaning --------------------------------------------------------------------------------


@dataclass
class Cleaned:
    """A clean table from all files of one kind, its rejects, and per-file input facts."""

    kind: str
    table: pd.DataFrame
    rejects: pd.DataFrame
    files: list[dict[str, Any]] = field(default_factory=list)
    names: frozenset[str] = frozenset()
    """The roster's personal names (`Part.names`), masked in every output."""


CLEANERS: dict[str, tuple[Callable[..., Part], Callable[[], pd.DataFrame]]] = {
    "pegawai": (roster_part, empty_roster),
    "jumlah_pegawai": (counts_part, empty_counts),
    "skm": (skm_part, empty_skm),
    "ikm": (published_part, empty_published),
    "kinerja": (kinerja_part, empty_kinerja),
}
"""Per kind: the cleaner (every rule but the duplicate check) and the empty clean table."""


def _cleaner_options(kind: str, config: Config, reference_date: Any) -> dict[str, Any]:
    if kind == "pegawai":
        return {"reference_date": reference_date, "salt": config.effective_salt}
    if kind == "kinerja":
        return {"reference_date": reference_date}
    return {"reference_date": reference_date, "freq": config.freq}


def _joined(kind: str, parts: Sequence[Part]) -> Cleaned:
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


def _clean_kind(kind: str, sheets: Sequence[Any], config: Config, reference_date: Any,
                progress: bool) -> Cleaned:
    if not sheets:
        return _joined(kind, [])
    _progress(progress, f"cleaning {kind}: {len(_by_file(sheets))} file(s)")
    return _joined(kind, [_cleaned_part(kind, sheets, _cleaner_options(kind, config,
                                                                        reference_date))])


def _cleaned_part(kind: str, sheets: Sequence[Any], options: dict[str, Any]) -> Part:
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


def clean_roster(sheets: Sequence[Any], config: Config, reference_date: Any,
                 progress: bool = False) -> Cleaned:
    """Clean every roster file; the same employee, unit and TMT twice keeps the first."""
    return _clean_kind("pegawai", sheets, config, reference_date, progress)


def clean_counts(sheets: Sequence[Any], config: Config, reference_date: Any,
                 progress: bool = False) -> Cleaned:
    """Clean every staff-count file; the same unit and period twice keeps the first."""
    return _clean_kind("jumlah_pegawai", sheets, config, reference_date, progress)


def clean_skm(sheets: Sequence[Any], config: Config, reference_date: Any,
              progress: bool = False) -> Cleaned:
    """Clean every SKM answers file."""
    return _clean_kind("skm", sheets, config, reference_date, progress)


def clean_published(sheets: Sequence[Any], config: Config, reference_date: Any,
                    progress: bool = False) -> Cleaned:
    """Clean every published-IKM file; the same unit and period twice keeps the first."""
    return _clean_kind("ikm", sheets, config, reference_date, progress)


def clean_kinerja(sheets: Sequence[Any], config: Config, reference_date: Any,
                  progress: bool = False) -> Cleaned:
    """Clean every unit-level outcome file; the same unit and year twice keeps the first."""
    return _clean_kind("kinerja", sheets, config, reference_date, progress)


CHUNK_BYTES = 24_000_000
"""`clean_dataset` reads and cleans the files of a kind in groups of about this many bytes.

Cleaning a group has a fixed cost of ~0.2 s (pandas and Arrow per-call costs, whatever the
rows), so larger groups cost less CPU; but the groups must be many enough for 2 workers to
finish together. On the national data 24 MB (8 SKM groups) gave the shortest runs: 8 MB
38-42 s, 16 MB 38-42 s, 24 MB 33-35 s, 32 MB 36-38 s, 48 MB 38 s (benchmarks/README.md)."""


def clean_dataset(raw: Path, config: Config, reference_date: Any, progress: bool = False,
                  jobs: int | None = None, group_bytes: int | None = None,
                  on_joined: Callable[[Cleaned], None] | None = None) -> dict[str, Cleaned]:
    """Read and clean every file under raw/<kind>/: `Cleaned` per kind (every kind of `KINDS`).

    Groups of files of one kind (about `group_bytes`, default `CHUNK_BYTES`; serially, one
    group per kind) are read and cleaned together, in `jobs` worker processes when there are
    at least `PARALLEL_MIN_FILES` files (default: up to 2, the CPU count), so that cleaning
    one group overlaps reading the next; each kind's groups are then joined in file order and
    checked for duplicates across all of them (`clean.common.finish`). The result equals
    `read_dataset` followed by `clean_<kind>` on all sheets (tested), whatever the grouping.
    `on_joined(cleaned)` is called for each kind with files as soon as it is joined. Raises
    `UnreadableFile` / `DataError` as those do."""
    from tqdm.auto import tqdm

    raw = Path(raw)
    paths = _dataset_files(raw)
    jobs = jobs or min(2, os.cpu_count() or 1)
    parallel = jobs >= 2 and len(paths) >= PARALLEL_MIN_FILES
    size = group_bytes or (CHUNK_BYTES if parallel else None)
    groups = sorted(_groups(paths, size), key=lambda g: JOIN_ORDER.index(g[0]))  # stable
    tasks = [(kind, raw, group, _cleaner_options(kind, config, reference_date))
             for kind, group in groups]
    waiting = collections.Counter(kind for kind, _ in groups)
    bar = tqdm(total=len(paths), desc="  read and clean", unit="file", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    parts: dict[str, list[Part]] = {}
    done: dict[str, Cleaned] = {}
    if parallel and os.name == "posix":  # workers are forked: they inherit what is built here
        from p3k_study.reference.regions import region_resolver

        region_resolver()  # ~1 s, built once rather than once per worker
    with bar:
        results = _in_order(_clean_group, tasks, jobs, parallel,
                            lambda task: bar.update(len(task[2])))
        for (kind, _, _, _), result in zip(tasks, results, strict=True):
            parts.setdefault(kind, []).append(_user_errors_raised(result))
            waiting[kind] -= 1
            if not waiting[kind]:  # joined while the workers go on with the other kinds
                done[kind] = _joined(kind, parts.pop(kind))
                if on_joined is not None:
                    on_joined(done[kind])
    return {kind: done.get(kind) or _joined(kind, []) for kind in KINDS}


JOIN_ORDER: tuple[str, ...] = ("skm", "pegawai", "jumlah_pegawai", "ikm", "kinerja")
"""The order `clean_dataset` hands out groups: the kinds slowest to join first, the smallest
groups last (they even out the workers' finishing times)."""


def _dataset_files(raw: Path) -> list[tuple[str, Path]]:
    if not raw.is_dir():
        raise DataError(raw, "raw dataset folder not found")
    files = list_files(raw)
    if "pegawai" not in files and "jumlah_pegawai" not in files:
        raise DataError(raw, "no staff files: put a roster in pegawai/ or counts in "
                        "jumlah_pegawai/ (see docs/data-format.md)")
    return [(kind, path) for kind in KINDS for path in files.get(kind, [])]


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


def _clean_group(task: tuple[str, Path, list[Path], dict[str, Any]]) -> tuple[str, Any]:
    """Read and clean one group of files; a user error comes back as data
    (`_user_errors_raised`)."""
    kind, raw, group, options = task
    sheets = []
    for path in group:
        status, found = _read_one(path)
        if status != "ok":
            return status, found
        for sheet in found:
            sheet.source_file = path.relative_to(raw).as_posix()
        sheets.extend(found)
    try:
        return "ok", packed(_cleaned_part(kind, sheets, options))
    except DataError as error:
        return "data_error", (error.path, error.reason, error.sheet)
    except StageError as error:
        return "internal", (error.stage, error.files, error.error)
    except Exception as error:  # sent back as data, raised as one message
        return "internal", (f"cleaning the {kind} files", [p.relative_to(raw).as_posix()
                                                          for p in group],
                            f"{type(error).__name__}: {error}")


# --- derived tables --------------------------------------------------------------------------


def compute_ikm(skm: pd.DataFrame, published: pd.DataFrame, config: Config | None = None,
                answers: pd.DataFrame | None = None) -> pd.DataFrame:
    """`ikm_unit`: IKM per unit and period from answers, else as published (see `ikm.py`).
    `answers`: `ikm.compute_ikm(skm)` when already worked out."""
    config = config or Config()
    if answers is None:
        answers = ikm_from_answers(skm) if not skm.empty else skm.iloc[0:0]
    pub = published.rename(columns={"respondents": "respondents"})
    pub_table = published_ikm(pub) if not pub.empty else pd.DataFrame(
        columns=["unit_id", "period_index", "ikm", "mutu_published", "flag_mutu_disagrees"])
    if answers.empty:
        answers = pd.DataFrame(columns=["unit_id", "period_index"])
    table = combine_ikm(answers, pub_table, disagreement=config.ikm_disagreement)
    table["period"] = period_labels(table["period_index"], config.freq)  # type: ignore[arg-type]
    return table


UNIT_COLUMNS = ["unit_id", "kode_provinsi", "nama_provinsi", "kode_pemda", "nama_pemda",
                "unit_function", "unit_key", "unit_name", "unit_matched", "names_seen",
                "n_names", "sources"]


def unit_names_seen(table: pd.DataFrame, source: str, freq: str = "semester"
                    ) -> pd.DataFrame | None:
    """The distinct (unit, name, recency) of one clean table, for `build_units` (None when
    the table is empty)."""
    from p3k_study.panel import date_period_index

    if table.empty:
        return None
    cols = ["unit_id", "kode_pemda", "unit_function", "unit_key", "unit_matched", "unit_name"]
    recency = (date_period_index(table["tmt"], freq) if "tmt" in table
               else table["period_index"])
    part = table[cols].copy()
    part["_recency"] = pd.to_numeric(recency).to_numpy(dtype="float64", na_value=np.nan)
    part["_source"] = source
    part["_order"] = np.arange(len(part))
    return part.drop_duplicates(["unit_id", "unit_name", "_recency"], keep="last")


UNIT_SOURCES: tuple[str, ...] = ("pegawai", "jumlah_pegawai", "skm", "ikm")


def build_units(
    roster: pd.DataFrame, counts: pd.DataFrame, skm: pd.DataFrame, published: pd.DataFrame,
    freq: str = "semester", seen: dict[str, pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """One row per unit_id: region, function, name and every name seen.

    `unit_name` is the most recent name as written: among the names seen in the unit's latest
    period (roster: period of the latest TMT), the longest one not written in capitals only
    (full names beat abbreviations like 'Dinkes'). `seen`: `unit_names_seen` per source when
    already worked out."""
    from p3k_study.reference import load_regions

    seen = seen or {}
    parts = [seen[source] if source in seen else unit_names_seen(table, source, freq)
             for source, table in zip(UNIT_SOURCES, (roster, counts, skm, published),
                                      strict=True)]
    parts = [part for part in parts if part is not None]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype="string") for c in UNIT_COLUMNS}).astype(
            {"unit_matched": bool, "n_names": "int64"})
    seen = pd.concat(parts, ignore_index=True)
    seen["_kind_order"] = seen["_source"].map({k: i for i, k in enumerate(KINDS)})
    seen = seen.sort_values(["unit_id", "_recency", "_kind_order", "_order"], kind="stable")
    newest = seen.groupby("unit_id", sort=False)["_recency"].transform("max")
    latest = seen[(seen["_recency"] == newest) | newest.isna()].copy()
    name = latest["unit_name"].fillna("")
    latest["_mixed_case"] = (name != name.str.upper()).astype(int)
    latest["_length"] = name.str.len()
    latest = latest.sort_values(["unit_id", "_mixed_case", "_length"], kind="stable")
    latest = latest.groupby("unit_id", sort=True).tail(1).set_index("unit_id")
    distinct = seen.dropna(subset=["unit_name"]).drop_duplicates(["unit_id", "unit_name"])
    distinct = distinct.sort_values(["unit_id", "unit_name"], kind="stable")
    names = _joined_per_unit(distinct["unit_id"], distinct["unit_name"], " | ").reindex(
        latest.index.sort_values(), fill_value="")
    n_names = seen.groupby("unit_id", sort=True)["unit_name"].nunique()
    kinds = seen[["unit_id", "_kind_order"]].drop_duplicates().sort_values(
        ["unit_id", "_kind_order"], kind="stable")
    sources = _joined_per_unit(kinds["unit_id"], kinds["_kind_order"].map(dict(enumerate(KINDS))),
                               ",")
    units = latest.loc[names.index, ["kode_pemda", "unit_function", "unit_key", "unit_name",
                                     "unit_matched"]].copy()
    units["names_seen"] = names
    units["n_names"] = n_names.astype("int64")
    units["sources"] = sources
    units = units.reset_index()
    regions = load_regions()[["kode_pemda", "nama_pemda", "kode_provinsi", "nama_provinsi"]]
    units = units.merge(regions, on="kode_pemda", how="left")
    out = units.reindex(columns=UNIT_COLUMNS)
    for col in UNIT_COLUMNS:
        if col not in ("unit_matched", "n_names"):
            out[col] = out[col].astype("string")
    out["unit_matched"] = out["unit_matched"].astype(bool)
    return out.sort_values("unit_id", kind="stable", ignore_index=True)


def _joined_per_unit(unit_id: pd.Series, text: pd.Series, separator: str) -> pd.Series:
    """`text.groupby(unit_id, sort=True).agg(separator.join)` for rows already sorted by unit
    (pandas would call `join` on a sliced Series per unit: ~1.5 s for 18,000 units)."""
    ids = unit_id.to_numpy(dtype=object)
    values = text.to_numpy(dtype=object)
    joined: dict[str, str] = {}
    for key, rows in itertools.groupby(range(len(ids)), key=ids.__getitem__):
        joined[key] = separator.join(values[i] for i in rows)
    return pd.Series(joined, dtype=object).rename_axis("unit_id").sort_index()


# --- summary ---------------------------------------------------------------------------------


def _reason_key(reason: str) -> str:
    text = re.sub(r"duplicate of row \d+.*?(\(|$)", r"duplicate of row N \1", str(reason))
    return re.sub(r"\s+", " ", text).replace("( ", "(").strip()


def summarise(
    cleaned: Sequence[Cleaned], tables: dict[str, pd.DataFrame], *, raw: Path, freq: str,
    config: Config, reference_date: Any, reference_source: str, warnings: list[str],
    ignored: list[str],
) -> dict[str, Any]:
    """cleaning_summary.json: per file rows_in = rows_clean + rows_rejected, totals, reasons,
    unmatched units, panel facts, settings. Raises AssertionError if a file does not reconcile
    (a bug in this package)."""
    files: dict[str, dict[str, Any]] = {}
    totals = {"rows_in": 0, "rows_clean": 0, "rows_rejected": 0}
    by_kind: dict[str, dict[str, int]] = {}
    reasons: dict[str, int] = {}
    for done in cleaned:
        clean_counts_ = _sizes(done.table)
        rejected = _sizes(done.rejects)
        for reason, n in done.rejects["reason"].value_counts(sort=False).items():
            key = f"{done.kind}: {_reason_key(reason)}"
            reasons[key] = reasons.get(key, 0) + int(n)
        for info in done.files:
            name = info["source_file"]
            sheets = []
            for sheet in info["sheets"]:
                key = (name, sheet["sheet"])
                n_clean = clean_counts_.get(key, 0)
                n_rej = rejected.get(key, 0)
                entry = {"sheet": sheet["sheet"], "rows_in": int(sheet["rows_in"]),
                         "rows_clean": n_clean, "rows_rejected": n_rej}
                if "note" in sheet:
                    entry["note"] = sheet["note"]
                sheets.append(entry)
            record = {
                "kind": done.kind,
                "encoding": info["encoding"],
                "separator": info["separator"],
                "rows_in": sum(s["rows_in"] for s in sheets),
                "rows_clean": sum(s["rows_clean"] for s in sheets),
                "rows_rejected": sum(s["rows_rejected"] for s in sheets),
                "sheets": sheets,
                "notes": info["notes"],
            }
            if record["rows_in"] != record["rows_clean"] + record["rows_rejected"]:
                raise AssertionError(f"bug: {name} does not reconcile: {record}")
            files[name] = record
            kind_total = by_kind.setdefault(done.kind, dict.fromkeys(totals, 0))
            for k in totals:
                totals[k] += record[k]
                kind_total[k] += record[k]
    units = tables["units"]
    unmatched = units[~units["unit_matched"]]
    panel = tables["panel"]
    ikm_unit = tables["ikm_unit"]
    summary: dict[str, Any] = {
        "p3k_study_version": __version__,
        "raw": str(raw),
        "freq": freq,
        "reference_date": str(reference_date),
        "reference_date_source": reference_source,
        "salt": "demo (public default)" if config.uses_demo_salt else "set by the user",
        "cohort_rule": config.cohort_rule.describe(),
        "files": files,
        "totals": totals,
        "by_kind": by_kind,
        "reconciled": True,
        "reject_reasons": dict(sorted(reasons.items())),
        "unmatched_units": [
            {"unit_id": r.unit_id, "kode_pemda": r.kode_pemda, "unit_name": r.unit_name,
             "names_seen": r.names_seen, "sources": r.sources}
            for r in unmatched.itertuples(index=False)
        ],
        "units": {"total": len(units), "matched": int(units["unit_matched"].sum()),
                  "unmatched": len(unmatched)},
        "ikm": {
            "unit_periods": len(ikm_unit),
            "from_answers": int((ikm_unit["ikm_source"] == "answers").sum()),
            "published_only": int((ikm_unit["ikm_source"] == "published").sum()),
            "answers_and_published": int(ikm_unit["ikm_published"].notna().sum()
                                         - (ikm_unit["ikm_source"] == "published").sum()),
            "published_disagrees": int(ikm_unit["flag_published_disagrees"].sum()),
            "mutu_disagrees": int(ikm_unit["flag_mutu_disagrees"].sum()),
            "sample_inadequate": int((ikm_unit["sample_adequate"] == False).sum()),  # noqa: E712
        },
        "panel": {
            "rows": len(panel),
            "units": int(panel["unit_id"].nunique()),
            "first_period": (str(panel.loc[panel["period_index"].idxmin(), "period"])
                             if len(panel) else None),
            "last_period": (str(panel.loc[panel["period_index"].idxmax(), "period"])
                            if len(panel) else None),
            "rows_with_ikm": int(panel["ikm"].notna().sum()),
            "treated_units": int(panel.loc[panel["cohort"] > 0, "unit_id"].nunique()),
            "never_treated_units": int(panel.loc[panel["cohort"] == 0, "unit_id"].nunique()),
            "rule": "periods from the first to the last period of IKM and staff-count data "
                    "(else roster TMTs); a row per unit and period with staff in post or an IKM",
        },
        "ignored_files": ignored,
        "warnings": warnings,
    }
    return summary


def _sizes(table: pd.DataFrame) -> dict[tuple[str, str | None], int]:
    """Rows per (source_file, sheet); a missing sheet (CSV, Parquet) is None."""
    if table.empty:
        return {}
    sizes = table.groupby(["source_file", "sheet"], dropna=False).size()
    files = sizes.index.get_level_values(0).astype(str)
    sheet = sizes.index.get_level_values(1)
    sheets = sheet.to_numpy(dtype=object, na_value=None)
    return {(f, None if s is None else str(s)): int(n)
            for f, s, n in zip(files, sheets, sizes.to_numpy(), strict=True)}


def format_summary(summary: dict[str, Any]) -> str:
    """A readable table of the cleaning summary (what the CLI prints)."""
    lines = []
    rows = [("file", "kind", "rows in", "clean", "rejected", "encoding")]
    for name, rec in summary["files"].items():
        rows.append((name, rec["kind"], str(rec["rows_in"]), str(rec["rows_clean"]),
                     str(rec["rows_rejected"]), rec["encoding"] or "-"))
    t = summary["totals"]
    rows.append(("total", "", str(t["rows_in"]), str(t["rows_clean"]), str(t["rows_rejected"]),
                 ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]),
                 *(c.rjust(w) for c, w in zip(r[2:5], widths[2:5], strict=True)), r[5]]
        lines.append("  ".join(cells).rstrip())
        if i == 0 or i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    reasons = sorted(summary["reject_reasons"].items(), key=lambda kv: (-kv[1], kv[0]))
    if reasons:
        lines.append("")
        lines.append("Rejected rows by reason (details in rejects.csv):")
        for reason, n in reasons[:15]:
            lines.append(f"  {n:>8}  {reason}")
        if len(reasons) > 15:
            lines.append(f"  ... and {len(reasons) - 15} more reasons")
    u = summary["units"]
    lines.append("")
    lines.append(f"Units: {u['total']} ({u['unmatched']} with names matching no OPD function, "
                 "kept as their own unit; see units.parquet)")
    p = summary["panel"]
    lines.append(f"Panel: {p['rows']} rows, {p['units']} units, {p['first_period']} to "
                 f"{p['last_period']}, {p['rows_with_ikm']} rows with IKM, "
                 f"{p['treated_units']} units with a P3K cohort")
    ikm = summary["ikm"]
    if ikm["published_disagrees"] or ikm["mutu_disagrees"]:
        lines.append(f"IKM: {ikm['published_disagrees']} unit-periods where answers and the "
                     f"published value differ by more than 0.5; {ikm['mutu_disagrees']} "
                     "published categories that do not match their value")
    lines.append(f"Reference date {summary['reference_date']} "
                 f"({summary['reference_date_source']}); periods: {summary['freq']}")
    for warning in summary["warnings"]:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)


# --- writing ---------------------------------------------------------------------------------


def validate(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Check a table against its schema; a failure is a bug in this package."""
    from pandera.errors import SchemaError, SchemaErrors

    from p3k_study.schemas import SCHEMAS

    try:
        SCHEMAS[name].validate(table, lazy=True)
        # the table as given: pandera's coercion (coerce=True) turns text columns into pandas
        # 3's NaN-missing 'str' dtype, the outputs keep the NA-missing 'string' they have
        return table
    except (SchemaError, SchemaErrors) as error:
        files, what = _schema_failure(table, error)
        raise StageError(f"checking the {name} table against its schema", files or
                         [f"{name}.parquet"], what) from error


def _schema_failure(table: pd.DataFrame, error: Exception) -> tuple[list[str], str]:
    """The source files of the rows that fail a schema (when the table has `source_file`) and
    one line saying what fails first: column, check, value (masked) and source row."""
    cases = getattr(error, "failure_cases", None)
    if not isinstance(cases, pd.DataFrame) or cases.empty:
        return [], str(error).splitlines()[0] if str(error) else type(error).__name__
    first = cases.iloc[0]
    what = (f"column {first.get('column')} fails {first.get('check')} "
            f"(value {mask_digits(str(first.get('failure_case')))})")
    files: list[str] = []
    if "source_file" in table.columns and "index" in cases.columns:
        rows = [i for i in pd.unique(cases["index"].dropna()) if i in table.index]
        if rows:
            found = table.loc[rows, "source_file"].astype(str)
            files = list(dict.fromkeys(found))
            at = table.loc[rows[0]]
            what += f" in row {at.get('row')} of {at.get('source_file')}"
    return files, what


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(arrow, path, compression="zstd")


OUTPUT_TABLES: tuple[str, ...] = ("staff", "staff_counts", "kinerja", "ikm_unit", "units", "panel",
                                  "rejects")
"""The processed tables `write_outputs` writes as Parquet."""
CSV_TABLES: tuple[str, ...] = ("panel", "rejects")
"""The processed tables `write_outputs` also writes as CSV."""


def write_outputs(out: Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
                  validated: Collection[str] = ()) -> list[Path]:
    """Validate and write every table, the rejects ledger (Parquet and CSV) and the summary.
    `validated`: the names of tables already checked with `validate`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    # files are written by two threads (Parquet; CSV) while the next table is validated (Arrow
    # encodes and compresses without holding the GIL); the panel, whose CSV takes longest, first
    with ThreadPoolExecutor(max_workers=1) as parquet, ThreadPoolExecutor(max_workers=1) as text:
        pending = []
        for name in sorted(OUTPUT_TABLES, key=lambda name: name != "panel"):
            if name not in tables:
                continue
            table = tables[name] if name in validated else validate(name, tables[name])
            if name in CSV_TABLES:
                # what to_csv(float_format="%.10g") writes, faster; formulas neutralised
                pending.append(text.submit(write_csv, table, out / f"{name}.csv",
                                           neutralise_formulas=True))
            pending.append(parquet.submit(_write_parquet, table, out / f"{name}.parquet"))
        for future in pending:
            future.result()
    for name in OUTPUT_TABLES:
        if name in tables:
            written.append(out / f"{name}.parquet")
            if name in CSV_TABLES:
                written.append(out / f"{name}.csv")
    path = out / SUMMARY_FILE
    path.write_text(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False,
                               default=str) + "\n", encoding="utf-8")
    written.append(path)
    return written


# --- the whole step --------------------------------------------------------------------------


def _sorted_staff(roster: pd.DataFrame) -> pd.DataFrame:
    return roster.sort_values(["unit_id", "employee_id", "tmt", "source_file", "row"],
                              kind="stable", ignore_index=True)


@dataclass
class PrepareResult:
    """What `prepare` made: the output folder, written paths, the summary and the tables."""

    out: Path
    paths: list[Path]
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]


def prepare(raw: Path, out: Path, freq: str = "semester", config: Config | None = None,
            progress: bool = False) -> PrepareResult:
    """Clean every file of a raw dataset folder and write the processed tables to `out`."""
    raw, out = Path(raw), Path(out)
    config = replace(config or Config.from_env(), freq=freq)
    reference_date, reference_source = resolve_reference_date(config, raw)
    warnings: list[str] = []
    if (text := check_salt(config, raw)) is not None:
        warnings.append(text)
    early: dict[str, Any] = {}

    def start_derived(cleaned: Cleaned) -> None:
        """What needs one kind only, worked out while the workers clean the others."""
        import p3k_study.schemas  # noqa: F401  (pandera's import, off the serial end)

        with stage(f"summarising the clean {cleaned.kind} table", _names(cleaned)):
            if cleaned.kind in UNIT_SOURCES:
                early.setdefault("seen", {})[cleaned.kind] = unit_names_seen(
                    cleaned.table, cleaned.kind, freq)
            if cleaned.kind == "skm" and not cleaned.table.empty:
                early["answers"] = ikm_from_answers(cleaned.table)
            if cleaned.kind == "pegawai":
                early["staff"] = validate("staff", _sorted_staff(cleaned.table))

    with stage("reading and cleaning the raw files", [str(raw)]):
        done = clean_dataset(raw, config, reference_date, progress=progress,
                             on_joined=start_derived)
    split = frozenset().union(*(coexisting_offices(c.table) for c in done.values()))
    if split:  # offices side by side in one kind's data: keyed apart in every kind
        done = {kind: replace(c, table=separate_offices(c.table, split))
                for kind, c in done.items()}
        early.clear()
    ignored = [p.relative_to(raw).as_posix() for kind in IGNORED_KINDS
               for p in list_files(raw).get(kind, [])]
    roster, counts, skm, published, kinerja = (
        done[kind] for kind in ("pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja"))
    if not skm.files and not published.files:
        warnings.append("no survey data (skm/ or ikm/): the panel has no IKM")

    _progress(progress, "computing IKM, units and the panel")
    with stage("computing IKM per unit and period", _names(skm, published)):
        ikm_unit = compute_ikm(skm.table, published.table, config,
                               answers=early.get("answers"))
    with stage("building the unit list", _names(roster, counts, skm, published)):
        units = build_units(roster.table, counts.table, skm.table, published.table, freq,
                            seen=early.get("seen"))
    with stage("building the panel", _names(roster, counts, skm, published)):
        window = panel_window(ikm_unit, counts.table, roster.table,
                              freq)  # type: ignore[arg-type]
        panel = build_panel(roster.table if not roster.table.empty else None, ikm_unit, units,
                            freq, config.cohort_rule,  # type: ignore[arg-type]
                            counts=counts.table if not counts.table.empty else None,
                            periods=window)
    cleaned = [c for c in (roster, counts, skm, published, kinerja) if c.files]
    rejects = [c.rejects for c in cleaned if not c.rejects.empty]
    ledger = sort_rejects(finalise(pd.concat(rejects, ignore_index=True))) if rejects else (
        empty_rejects())
    tables = {
        "staff": early["staff"] if "staff" in early else _sorted_staff(roster.table),
        "ikm_unit": ikm_unit,
        "units": units,
        "panel": panel,
        "rejects": ledger.reindex(columns=REJECT_COLUMNS),
    }
    if counts.files:
        tables["staff_counts"] = counts.table.sort_values(
            ["unit_id", "period_index", "source_file", "row"], kind="stable", ignore_index=True)
    if kinerja.files:
        tables["kinerja"] = kinerja.table.sort_values(
            ["unit_id", "year", "source_file", "row"], kind="stable", ignore_index=True)
    with stage("masking personal data in the outputs", _names(*cleaned)):
        scrubber = Scrubber(roster.names, config.effective_salt)
        tables = {name: scrubber.table(table) for name, table in tables.items()}
    with stage("writing the cleaning summary", _names(*cleaned)):
        summary = scrubber.anything(summarise(
            cleaned, tables, raw=raw, freq=freq, config=config, reference_date=reference_date,
            reference_source=reference_source, warnings=warnings, ignored=ignored))
    with stage("writing the processed tables", [str(out)]):
        paths = write_outputs(out, tables, summary, validated={"staff"} & early.keys())
    return PrepareResult(out, paths, summary, tables)


def _names(*cleaned: Cleaned) -> list[str]:
    """The source files of some cleaned kinds, for a `StageError`."""
    return [str(info["source_file"]) for done in cleaned for info in done.files]
