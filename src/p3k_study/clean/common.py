"""Steps every cleaner shares: stack a file's sheets, Excel error cells, required values,
region and unit resolution, duplicates. `open_file` runs the common preamble, `kept_rows` and
`rejects_of` the common ending of a cleaner.

Rules common to every table:
- A sheet whose header lacks a required column stops the run (`DataError` naming file, sheet
  and columns). Empty sheets are listed in the summary and hold no rows.
- Excel error cells ('#REF!', '#N/A', ...) become missing; in a required column the row is
  rejected with the error as reason. Empty cells in optional columns are simply missing, and so
  are cells holding only a dash ('-', en dash: 'none').
- A present value that cannot be read is rejected whether the column is required or not.
- An average or total row (a unit, name or region cell 'RATA-RATA', 'NILAI IKM', 'JUMLAH',
  'TOTAL', 'Jumlah Total', with or without a trailing colon) is rejected with its own reason,
  before any other rule.
- Region: the Kemendagri code when given, else the name (see `reference.regions`); a code that
  resolves to nothing beside a name that resolves takes the name's region (counted per file as
  `region_code_unresolved_name_used`); unresolved rows are rejected with the value as seen.
- Unit: `reference.match_unit` per unique name; a name matching no function stays its own unit
  (`unit_matched` False) and is listed in the summary, never rejected. Offices of one function
  side by side in one pemda and period are keyed apart (`coexisting_offices`,
  `separate_offices`: in `finish`, before the key rules, and over all kinds in `prepare`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from p3k_study.clean.ledger import REJECT_COLUMNS, Verdicts
from p3k_study.errors import DataError
from p3k_study.parse import EXCEL_ERRORS
from p3k_study.read.headers import ALIASES, FALLBACK_ALIASES, missing_required
from p3k_study.reference import match_unit
from p3k_study.reference.regions import region_resolver
from p3k_study.reference.units import office_key

ROW = "_row"
SHEET = "_sheet"
FILE = "_file"
EXTRA_PREFIX = "_x_"
"""Columns the table does not use keep their header key under this prefix: they take part in
the exact-duplicate check (a respondent number tells two identical answers apart) only."""
MISSING_REQUIRED = "missing required value"


class SheetLike(Protocol):
    """What a cleaner needs of `read.RawSheet`."""

    source_file: str
    sheet: str | None
    frame: pd.DataFrame
    dropped: list[tuple[int, str]]


@dataclass
class FileInput:
    """One file's sheets stacked into one frame of canonical text columns plus `_sheet`, `_row`."""

    source_file: str
    kind: str
    frame: pd.DataFrame
    verdicts: Verdicts
    dropped: pd.DataFrame
    sheets: list[dict[str, object]] = field(default_factory=list)
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    sheet_columns: dict[tuple[str, str | None], frozenset[str]] = field(default_factory=dict)
    _distinct: dict[str, tuple[np.ndarray, pd.Series]] = field(default_factory=dict, repr=False)
    _tidy: dict[str, tuple[np.ndarray, pd.Series]] = field(default_factory=dict, repr=False)

    def distinct(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(codes, distinct cells) of a text column, code -1 for a missing cell. Worked out
        once per column: the rules look at the few distinct cells of a long column and spread
        their verdicts back by code."""
        if column not in self._distinct:
            codes, uniques = pd.factorize(self.frame[column])
            self._distinct[column] = (codes, pd.Series(uniques, dtype="string"))
        return self._distinct[column]

    def blank(self, column: str) -> np.ndarray:
        """Per row: missing or whitespace only (as `strip_text(...).isna()`)."""
        codes, uniques = self.distinct(column)
        return np.append((uniques.str.strip() == "").to_numpy(bool), True)[codes]

    def tidy(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(codes, distinct values) of `strip_text(frame[column])`, worked out per distinct
        cell; code -1 for missing."""
        if column not in self._tidy:
            codes, uniques = self.distinct(column)
            tidy_codes, tidy = pd.factorize(_tidied(uniques))
            self._tidy[column] = (np.append(tidy_codes, -1)[codes],
                                  pd.Series(tidy, dtype="string"))
        return self._tidy[column]

    def tidy_text(self, column: str) -> pd.Series:
        """`strip_text(frame[column])`, from `tidy`."""
        return _taken(*self.tidy(column), self.frame.index)

    def file_codes(self) -> np.ndarray:
        """Per row: which file it came from, as a number."""
        return np.asarray(self.frame[FILE].cat.codes)

    def set_missing(self, column: str, mask: np.ndarray) -> None:
        """Make the cells of `column` where `mask` holds missing."""
        values = _arrow(self.frame[column])
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        self.frame[column] = pd.arrays.ArrowStringArray(
            pc.if_else(pa.array(mask), pa.scalar(None, values.type), values))
        if column in self._distinct:
            codes, uniques = self._distinct[column]
            self._distinct[column] = (np.where(mask, -1, codes), uniques)
        self._tidy.pop(column, None)

    def note(self, what: str, mask: np.ndarray) -> None:
        """Count a non-rejecting event (e.g. 'excel_error_set_missing') per file."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        for name, n in self.frame[FILE][mask].value_counts(sort=False).items():
            if not n:
                continue
            notes = self.files[str(name)].setdefault("notes", {})
            notes[what] = notes.get(what, 0) + int(n)  # type: ignore[union-attr]


def header_key(name: object) -> str:
    from p3k_study.read.headers import header_key as key

    return key(name)


def data_columns(frame: pd.DataFrame) -> list[str]:
    """Every column read from the file (canonical and extra), for the exact-duplicate check."""
    return [c for c in frame.columns if c not in (ROW, SHEET, FILE) and not c.startswith("__")]


def _canonical_names(columns: list[str], kind: str) -> tuple[list[object], dict[str, str]]:
    from p3k_study.read.headers import canonical_names

    return canonical_names(columns, ALIASES[kind], fallback=FALLBACK_ALIASES.get(kind, ()))


@dataclass(frozen=True)
class _Layout:
    """How a header (a sheet's column names) maps to the stacked frame's columns."""

    source: dict[str, str]  # output column -> the sheet's column
    known: frozenset[str]
    mapping: dict[str, str]
    missing: list[str]


def _layout(columns: tuple[str, ...], kind: str) -> _Layout:
    """Canonical names for one header (worked out once per distinct header)."""
    names, mapping = _canonical_names(list(columns), kind)
    source: dict[str, str] = {}
    known = []
    for original, name in zip(columns, names, strict=True):
        if original == ROW:
            continue
        if name in ALIASES[kind]:
            known.append(name)
            source.setdefault(name, original)
    for original, name in zip(columns, names, strict=True):
        if original != ROW and name not in ALIASES[kind]:
            source.setdefault(EXTRA_PREFIX + header_key(name), original)
    return _Layout(source, frozenset(known), {str(k): str(v) for k, v in mapping.items()},
                   missing_required(names, kind))  # type: ignore[arg-type]


def _arrow(values: pd.Series) -> pa.Array:
    """The Arrow data of a text column."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        values = values.astype("string")
    return pa.array(values.array)


def _text_chunk(sheet: SheetLike, column: str | None) -> pa.Array:
    """One sheet's column as an Arrow large_string array (all null when the sheet lacks it)."""
    if column is None:
        return pa.nulls(len(sheet.frame), pa.large_string())
    values = sheet.frame[column]
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        values = values.astype("string")
    return pa.array(values.array).cast(pa.large_string())


def stack_sheets(sheets: Sequence[SheetLike], kind: str) -> FileInput:
    """Canonical headers per sheet, required columns checked, sheets stacked in order.

    Sheets may come from several files (cleaning all files of a kind at once pays pandas'
    per-call costs once); `_file`, `_sheet`, `_row` say where each row came from. Columns are
    stacked with Arrow, and headers are matched once per distinct header."""
    if not sheets:
        raise ValueError("no sheets given")
    layouts: dict[tuple[str, ...], _Layout] = {}
    used: list[tuple[SheetLike, _Layout]] = []
    dropped_rows: list[dict[str, object]] = []
    sheet_columns: dict[tuple[str, str | None], frozenset[str]] = {}
    files: dict[str, dict[str, object]] = {}
    for sheet in sheets:
        source_file = str(sheet.source_file)
        infos = files.setdefault(source_file, {
            "encoding": getattr(sheet, "encoding", None),
            "separator": getattr(sheet, "separator", None),
            "sheets": [], "notes": {}})["sheets"]
        rows_dropped = list(getattr(sheet, "dropped", []) or [])
        info: dict[str, object] = {"sheet": sheet.sheet, "rows_in": len(sheet.frame)
                                   + len(rows_dropped)}
        reason = getattr(sheet, "reason", None)
        if len(sheet.frame) == 0 and not rows_dropped:
            info["note"] = reason or "no data rows"
            infos.append(info)
            continue
        header = tuple(str(c) for c in sheet.frame.columns)
        layout = layouts.get(header) or layouts.setdefault(header, _layout(header, kind))
        if layout.missing:
            raise DataError(source_file, f"required column(s) missing: "
                            f"{', '.join(layout.missing)} (a {kind} table; headers found: "
                            f"{', '.join(c for c in sheet.frame.columns if c != ROW)})",
                            sheet=sheet.sheet)
        info["columns"] = dict(sorted(layout.mapping.items()))
        sheet_columns[(source_file, sheet.sheet)] = layout.known
        used.append((sheet, layout))
        for row, why in rows_dropped:
            dropped_rows.append({"source_file": source_file, "sheet": sheet.sheet, "row": row,
                                 "column": None, "raw_value": None, "reason": why,
                                 "kode_pemda": None})
        infos.append(info)
    frame = _stack(used)
    dropped = pd.DataFrame(dropped_rows, columns=REJECT_COLUMNS)
    first = str(sheets[0].source_file)
    return FileInput(first, kind, frame, Verdicts(frame, first), dropped, files=files,
                     sheet_columns=sheet_columns)


def _stack(used: Sequence[tuple[SheetLike, _Layout]]) -> pd.DataFrame:
    """The sheets' columns stacked (union of columns in order of appearance) plus `_row`,
    `_sheet`, `_file`."""
    order: list[str] = []
    for _, layout in used:
        order.extend(c for c in layout.source if c not in order)
    columns: dict[str, object] = {}
    for name in order:
        chunks = [_text_chunk(sheet, layout.source.get(name)) for sheet, layout in used]
        columns[name] = pd.array(pa.chunked_array(chunks, type=pa.large_string()),
                                 dtype="string")
    lengths = [len(sheet.frame) for sheet, _ in used]
    columns[ROW] = np.concatenate([sheet.frame[ROW].to_numpy(dtype="int64") for sheet, _ in used]
                                  ) if used else np.array([], dtype="int64")
    columns[SHEET] = _per_sheet([sheet.sheet for sheet, _ in used], lengths)
    columns[FILE] = _per_sheet([str(sheet.source_file) for sheet, _ in used], lengths)
    return pd.DataFrame(columns)


def _per_sheet(values: list[str | None], lengths: list[int]) -> pd.Categorical:
    """One value per sheet repeated over its rows, as a Categorical: a few names for many rows,
    cheap to take, count and compare (a text column would turn every row into a Python string
    each time a step asks for the names of some rows)."""
    codes, names = pd.factorize(np.array(values, dtype=object))
    return pd.Categorical.from_codes(np.repeat(codes, lengths),
                                     categories=pd.Index(names, dtype=object))


def strip_text(values: pd.Series) -> pd.Series:
    """Whitespace trimmed and collapsed; empty -> NA. Works on unique values."""
    codes, uniques = pd.factorize(values.astype("string"))
    return _taken(codes, _tidied(pd.Series(uniques, dtype="string")), values.index)


def _tidied(texts: pd.Series) -> pd.Series:
    tidy = texts.str.replace(r"\s+", " ", regex=True).str.strip()
    return tidy.mask(tidy == "")


def _taken(codes: np.ndarray, values: pd.Series, index: pd.Index) -> pd.Series:
    """`values` (text) per code, missing for -1, as an Arrow-backed text Series."""
    table = pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.large_string())
    taken = table.take(pa.array(codes, mask=codes < 0)) if len(table) else pa.nulls(
        len(codes), pa.large_string())
    return pd.Series(pd.array(taken, dtype="string"), index=index)


def excel_errors(data: FileInput, required: Sequence[str]) -> None:
    """Excel error cells become missing; in a required column the row is rejected."""
    frame = data.frame
    for col in [c for c in frame.columns if c not in (ROW, SHEET, FILE)
                and not c.startswith(EXTRA_PREFIX)]:
        codes, uniques = data.distinct(col)
        key = uniques.str.strip().str.upper()
        error = key.isin(EXCEL_ERRORS).to_numpy(bool)
        if not error.any():
            continue
        is_error = np.append(error, False)[codes]
        if col in required:
            reason = np.append(("Excel error cell " + key).to_numpy(dtype=object), None)[codes]
            data.verdicts.reject(is_error, col, pd.Series(reason, index=frame.index, dtype=object),
                                 frame[col])
        else:
            data.note(f"excel_error_set_missing:{col}", is_error)
        data.set_missing(col, is_error)


def require(data: FileInput, columns: Sequence[str]) -> None:
    """Reject rows with an empty value in any of the required columns (first column wins)."""
    for col in columns:
        if col in data.frame.columns:
            data.verdicts.reject(data.blank(col), col, MISSING_REQUIRED, data.frame[col])


def require_region(data: FileInput) -> None:
    """Reject rows with neither a region code nor a region name."""
    frame = data.frame
    empty = np.ones(len(frame), dtype=bool)
    for col in ("kode_pemda", "nama_pemda"):
        if col in frame.columns:
            empty &= data.blank(col)
    column = "nama_pemda" if "nama_pemda" in frame.columns else "kode_pemda"
    data.verdicts.reject(empty, column, "missing required value (region code or name)")


def resolve_regions(data: FileInput, code_edition: str | None = None) -> pd.Series:
    """kode_pemda per row (NA where unresolved; those rows are rejected); codes follow the
    decree edition `code_edition` (None: not known). Old codes mapped are counted per file."""
    frame = data.frame
    n = len(frame)
    nothing = (np.full(n, -1, dtype=np.intp), pd.Series([], dtype="string"))
    code_codes, code_values = data.tidy("kode_pemda") if "kode_pemda" in frame else nothing
    name_codes, name_values = data.tidy("nama_pemda") if "nama_pemda" in frame else nothing
    # the (code, name) pair per row as one integer (missing = the last value of each)
    pair = (np.where(code_codes < 0, len(code_values), code_codes) * (len(name_values) + 1)
            + np.where(name_codes < 0, len(name_values), name_codes))
    pairs, codes = np.unique(pair, return_inverse=True)
    code_list = [*code_values.to_numpy(dtype=object), None]
    name_list = [*name_values.to_numpy(dtype=object), None]
    resolver = region_resolver(code_edition)
    results = [resolver.resolve(code_list[p // (len(name_values) + 1)],
                                name_list[p % (len(name_values) + 1)]) for p in pairs]
    kode = np.array([r.kode_pemda for r in results] + [None], dtype=object)[codes if n else []]
    unresolved = pd.isna(kode)
    if unresolved.any():
        used_code = code_codes >= 0
        why_per_pair = np.array([f"region not resolved: {r.reason}" for r in results] + [None],
                                dtype=object)
        why = pd.Series(why_per_pair[codes], index=frame.index, dtype=object)
        for column, rows in (("kode_pemda", used_code), ("nama_pemda", ~used_code)):
            seen = data.tidy_text(column) if column in frame else None
            data.verdicts.reject(unresolved & rows, column, why, seen)
    for what in sorted({t for r in results for t in r.tallies}):
        rows = [what in r.tallies for r in results]
        data.note(what, np.array([*rows, False], dtype=bool)[codes if n else []])
    data.verdicts.set_regions(kode)
    per_pair = pa.array([r.kode_pemda for r in results] + [None], type=pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(per_pair.take(codes if n else [])),
                     index=frame.index)


def resolve_units(data: FileInput, column: str, kode_pemda: pd.Series) -> pd.DataFrame:
    """unit_name (as written, whitespace tidied), unit_function, unit_key, unit_matched, unit_id
    per row of `data`, the unit's name in `column`; worked out per distinct name and region."""
    index = data.frame.index
    name_codes, names = data.tidy(column)
    matches = [match_unit(str(u)) for u in names.to_numpy(dtype=object)]
    function = pd.Series([m.function for m in matches], dtype="string")
    key = pd.Series([m.unit_key for m in matches], dtype="string")
    region_codes, regions = pd.factorize(kode_pemda)
    pair = np.where(name_codes < 0, len(names), name_codes).astype(np.int64) * (
        len(regions) + 1) + np.where(region_codes < 0, len(regions), region_codes)
    pairs, pair_codes = np.unique(pair, return_inverse=True)
    pair_key = np.append(key.to_numpy(dtype=object, na_value=None), None)[
        pairs // (len(regions) + 1)]
    pair_region = np.append(np.asarray(regions, dtype=object), None)[pairs % (len(regions) + 1)]
    unit_id = [None if k is None or r is None else f"{r}/{k}"
               for r, k in zip(pair_region, pair_key, strict=True)]
    return pd.DataFrame({
        "unit_name": _taken(name_codes, names, index),
        "unit_function": _taken(name_codes, function, index),
        "unit_key": _taken(name_codes, key, index),
        "unit_matched": np.append([m.matched for m in matches], False).astype(bool)[name_codes],
        "unit_id": _taken(pair_codes.reshape(-1), pd.Series(unit_id, dtype="string"), index),
    }, index=index)


PERIOD_COLUMNS = ("period_index", "year")


def coexisting_offices(table: pd.DataFrame) -> frozenset[str]:
    """Dictionary unit ids ('<kode_pemda>/<unit_key>' of `match_unit`) under which two offices
    (`office_key` of the unit's name) appear in one period of a clean table; empty for a table
    without periods (the roster)."""
    period = next((c for c in PERIOD_COLUMNS if c in table.columns), None)
    if period is None or table.empty:
        return frozenset()
    seen = table[["kode_pemda", "unit_name", period]].drop_duplicates().astype(
        {"kode_pemda": object, "unit_name": object})
    names = seen["unit_name"].fillna("")
    seen = seen.assign(
        base=seen["kode_pemda"] + "/" + names.map(lambda n: match_unit(n).unit_key),
        office=names.map(office_key))
    offices = seen.groupby(["base", period], sort=False)["office"].nunique()
    return frozenset(offices[offices > 1].index.get_level_values("base"))


def separate_offices(table: pd.DataFrame, split: frozenset[str]) -> pd.DataFrame:
    """`table` with unit_key '<unit_key>/<office_key>' (and unit_id to match) on the rows whose
    dictionary unit id is in `split` (`coexisting_offices`); unchanged when none is."""
    if not split or table.empty:
        return table
    pairs = table[["kode_pemda", "unit_name"]].astype(object).fillna("")
    codes, distinct = pd.factorize(pd.MultiIndex.from_frame(pairs))
    key = np.array([match_unit(n).unit_key for _, n in distinct], dtype=object)
    base = np.array([f"{k}/{u}" for (k, _), u in zip(distinct, key, strict=True)], dtype=object)
    office = np.array([office_key(n) for _, n in distinct], dtype=object)
    hit = np.isin(base, list(split))
    if not hit.any():
        return table
    new_key = np.where(hit, key + "/" + office, key)
    new_id = np.array([f"{k}/{u}" for (k, _), u in zip(distinct, new_key, strict=True)],
                      dtype=object)
    return table.assign(unit_key=pd.array(new_key[codes], dtype=table["unit_key"].dtype),
                        unit_id=pd.array(new_id[codes], dtype=table["unit_id"].dtype))


SUMMARY_LABELS: frozenset[str] = frozenset({
    "rata rata", "rata2", "rerata", "nilai rata rata", "rata rata ikm", "ikm rata rata",
    "nilai ikm", "nilai ikm rata rata", "nilai rata rata ikm", "ikm", "nilai indeks",
    "jumlah", "total", "jumlah total", "total jumlah", "grand total", "sub total", "subtotal",
    "jumlah keseluruhan", "total keseluruhan", "jumlah pegawai", "total pegawai",
    "average", "mean", "sum",
})
"""What an average or total row says in its unit (or name, or region) cell, as `summary_key`
writes it ('RATA-RATA', 'Nilai IKM:', 'Jumlah Total' -> 'rata rata', 'nilai ikm',
'jumlah total')."""
SUMMARY_COLUMNS: tuple[str, ...] = ("unit_kerja", "unit_layanan", "nama", "nama_pemda")
SUMMARY_ROW = "summary row (an average or total, not a unit)"


def summary_key(text: str) -> str:
    """A cell as a summary label: lower case, hyphens, dots and underscores as spaces,
    trailing colons dropped, spaces collapsed."""
    key = re.sub(r"[-_.]+", " ", str(text).lower())
    key = re.sub(r"[:\s]+$", "", key)
    return re.sub(r"\s+", " ", key).strip()


def summary_rows(data: FileInput) -> None:
    """Reject average and total rows: a unit, name or region cell that is only a summary label
    (`SUMMARY_LABELS`, with or without a trailing colon). Such a row, region and period filled,
    would otherwise become a phantom unit."""
    for column in SUMMARY_COLUMNS:
        if column not in data.frame.columns:
            continue
        codes, tidy = data.tidy(column)
        labels = np.array([summary_key(t) in SUMMARY_LABELS for t in tidy.to_numpy(
            dtype=object)] + [False], dtype=bool)
        data.verdicts.reject(labels[codes], column, SUMMARY_ROW, data.frame[column])


def open_file(sheets: Sequence[SheetLike], kind: str, required: Sequence[str],
              more_required: Sequence[str] = ()) -> FileInput:
    """The preamble every cleaner shares: sheets stacked (`stack_sheets`), average and total
    rows rejected (`summary_rows`), Excel error cells (rejected in `required`, region and
    `more_required` columns), then rows without a region and rows with an empty required
    value rejected, in that order."""
    data = stack_sheets(sheets, kind)
    summary_rows(data)
    region = [c for c in ("kode_pemda", "nama_pemda") if c in data.frame.columns]
    excel_errors(data, [*required, *region, *more_required])
    dashes_as_missing(data, [*required, *region, *more_required])
    require_region(data)
    require(data, required)
    return data


def dashes_as_missing(data: FileInput, required: Sequence[str]) -> None:
    """A lone dash ('-', '--', en or em dash, minus sign) in an optional column means 'none':
    the cell becomes missing (an end date: still in post; a count: not given), counted per file
    as `dash_set_missing:<column>`. In a required column the dash stays, and its rule rejects
    the row."""
    from p3k_study.parse import DASH_PLACEHOLDERS

    for col in [c for c in data.frame.columns if c not in (ROW, SHEET, FILE)
                and not c.startswith(EXTRA_PREFIX) and c not in required]:
        codes, tidy = data.tidy(col)
        dash = np.append(tidy.isin(DASH_PLACEHOLDERS).to_numpy(bool), False)[codes]
        if dash.any():
            data.note(f"dash_set_missing:{col}", dash)
            data.set_missing(col, dash)


UNIT_COLUMNS = ("unit_id", "unit_key", "unit_function", "unit_name", "unit_matched")


def kept_rows(data: FileInput, kode_pemda: pd.Series, units: pd.DataFrame) -> pd.DataFrame:
    """The rows not rejected: source_file, sheet, row, kode_pemda and the unit columns."""
    keep = data.verdicts.alive
    clean = provenance(data, keep)
    clean["kode_pemda"] = _kept(kode_pemda, keep)
    for col in UNIT_COLUMNS:
        clean[col] = _kept(units[col], keep)
    return clean


def _kept(values: pd.Series, keep: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """`values.to_numpy()[keep]`; text stays an Arrow string array (filtered in Arrow)."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        return values.array[keep]
    return values.to_numpy()[keep]


def rejects_of(data: FileInput) -> pd.DataFrame:
    """The file's ledger: rows dropped while reading, then the cleaner's rejects (finalised)."""
    from p3k_study.clean.ledger import finalise

    return finalise(pd.concat([data.dropped, data.verdicts.ledger()], ignore_index=True))


RAW = "__raw_"
"""Prefix of the columns a part carries for the exact-copy rule: every column read from the
file, as read (`with_raw`); `finish` drops them."""
EXACT = "__exact"
"""Optional part column: the rows the exact-copy rule applies to (SKM: numbered respondents)."""


@dataclass(frozen=True)
class Duplicates:
    """A kind's duplicate rules, applied by `finish` over all files of the kind, in order:

    1. `per_sheet` only: a sheet whose rows are, in order, exactly the rows of an earlier sheet
       (in any file) is that sheet delivered twice; all its rows are duplicates.
    2. Exact copies: a row whose every column read equals an earlier row's (only rows marked
       `EXACT` when the part has that column); within one sheet when `per_sheet`, else over
       all files.
    3. `keys`: a row repeating an earlier row's `keys` (clean columns), named by `what`."""

    keys: tuple[str, ...] = ()
    what: str | None = None
    per_sheet: bool = False


@dataclass
class Part:
    """What a cleaner makes of some files of one kind: the clean rows with their `RAW` columns
    (and `EXACT`) before the duplicate rules, the rejects so far, per-file input facts, and
    the kind's `Duplicates`."""

    table: pd.DataFrame
    rejects: pd.DataFrame
    files: dict[str, dict[str, object]]
    rules: Duplicates
    names: frozenset[str] = frozenset()
    """Personal names read (the roster's `nama`): masked wherever they appear in outputs."""


def with_raw(data: FileInput, clean: pd.DataFrame, exact: np.ndarray | None = None
             ) -> pd.DataFrame:
    """`clean` (the kept rows) plus `RAW` + every column read, as Categoricals, and `EXACT`
    when `exact` (per row of `data`) is given. Call it after the last rejecting rule."""
    keep = data.verdicts.alive
    extra: dict[str, object] = {}
    for column in data_columns(data.frame):
        codes, uniques = data.distinct(column)
        extra[RAW + column] = pd.Categorical.from_codes(
            codes[keep], categories=pd.Index(uniques.array), validate=False)
    if exact is not None:
        extra[EXACT] = np.asarray(exact, dtype=bool)[keep]
    return clean.assign(**extra)


def packed(part: Part) -> Part:
    """The part with its text columns as Categoricals, which `finish` turns back into text.

    For parts that cross a process pipe: pickling a column of Arrow strings costs about 1 s
    per 250 MB each way, and the text columns of a clean table repeat a few values (unit,
    period, file); as codes the national SKM parts shrink from 576 to 165 MB."""
    table = part.table
    text = [c for c in table.columns if isinstance(table[c].dtype, pd.StringDtype)]
    if not text:
        return part
    return replace(part, table=table.assign(**{c: _categorical(table[c]) for c in text}))


def _categorical(values: pd.Series) -> pd.Categorical:
    """Text as a Categorical (categories in order of appearance, in the text's dtype).

    By Arrow's dictionary_encode rather than `astype("category")`, which also sorts the
    categories: half the time, and `finish` needs no order."""
    text = pa.array(values.array)
    encoded = pc.dictionary_encode(text.combine_chunks() if isinstance(text, pa.ChunkedArray)
                                   else text)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    categories = pd.Index(pd.array(encoded.dictionary, dtype=values.dtype))
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _joined(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Packed tables one after another; Categoricals joined with `union_categoricals`, a `RAW`
    column a part lacks (its files have no such header) is missing there."""
    out: dict[str, object] = {}
    for column in dict.fromkeys(c for t in tables for c in t.columns):
        pieces = [t.get(column) for t in tables]
        given = next(p for p in pieces if p is not None)
        if isinstance(given.dtype, pd.CategoricalDtype):
            none = given.cat.categories[:0]
            out[column] = union_categoricals([
                p.array if p is not None else pd.Categorical.from_codes(
                    np.full(len(t), -1, dtype=np.int8), categories=none)
                for p, t in zip(pieces, tables, strict=True)], ignore_order=True)
        else:
            out[column] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(out)


def finish(parts: Sequence[Part], empty: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                               dict[str, dict[str, object]]]:
    """Join the parts of one kind (in file order) and apply their `Duplicates` over all of
    them: (clean table, rejects ledger, per-file facts). The result does not depend on how the
    files were split into parts, nor on whether they were `packed`."""
    from p3k_study.clean.ledger import finalise, sort_rejects

    files: dict[str, dict[str, object]] = {}
    for part in parts:
        files.update(part.files)
    ledgers = [finalise(pd.DataFrame(columns=REJECT_COLUMNS))]
    ledgers += [part.rejects for part in parts if len(part.rejects)]
    tables = [packed(part).table for part in parts if len(part.table)]
    if not tables:
        return empty, sort_rejects(pd.concat(ledgers, ignore_index=True)), files
    table = _joined(tables)
    if "unit_id" in table.columns:  # before the key rules: co-existing offices are not copies
        table = _separated(table)
    rules = parts[0].rules
    raw = [c for c in table.columns if c.startswith(RAW)]
    keep = np.ones(len(table), dtype=bool)

    def drop(found: tuple[np.ndarray, np.ndarray], what: str | None) -> None:
        rows, firsts = found
        if len(rows):
            keep[rows] = False
            ledgers.append(finalise(_duplicate_ledger(table, rows, firsts, what)))

    if rules.per_sheet and raw:
        drop(_copied_sheets(table, raw), None)
    exact = keep & table[EXACT].to_numpy(bool) if EXACT in table else keep.copy()
    if raw:
        scope = ["source_file", "sheet"] if rules.per_sheet else []
        drop(_repeats(table, [*scope, *raw], exact), None)
    if rules.keys:
        drop(_repeats(table, list(rules.keys), keep.copy()), rules.what)
    table = table[list(empty.columns)]
    if not keep.all():
        table = table.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    table = table.assign(**{c: table[c].cat.categories.array.take(
        np.asarray(table[c].cat.codes), allow_fill=True)
        for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)})
    return table, sort_rejects(pd.concat(ledgers, ignore_index=True)), files


def _separated(table: pd.DataFrame) -> pd.DataFrame:
    """`separate_offices` on a joined table whose unit columns are Categoricals."""
    split = coexisting_offices(table)
    if not split:
        return table
    columns = ["kode_pemda", "unit_name", "unit_key", "unit_id"]
    done = separate_offices(table[columns].astype(dict.fromkeys(columns, "string")), split)
    return table.assign(unit_key=_categorical(done["unit_key"]),
                        unit_id=_categorical(done["unit_id"]))


def _repeats(table: pd.DataFrame, columns: list[str], rows: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Among `rows`: the positions of rows equal in `columns` to an earlier one, and of that
    earlier (first) row."""
    at = np.flatnonzero(rows)
    values = table.iloc[at][columns]
    shared = values.duplicated(keep=False).to_numpy(bool)  # few rows: the first ones and repeats
    group = values[shared].groupby(columns, sort=False, dropna=False, observed=True).ngroup()
    group = group.to_numpy()
    first = np.unique(group, return_index=True)[1][group]
    repeat = first != np.arange(len(group))
    at = at[shared]
    return at[repeat], at[first[repeat]]


def _copied_sheets(table: pd.DataFrame, raw: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of sheets that repeat an earlier sheet row for row (every column read), and the
    rows they repeat. Sheets with the same length and row-hash fingerprint are compared
    exactly; the hash only picks the candidates."""
    n = len(table)
    files = np.asarray(table["source_file"].cat.codes)
    sheets = np.asarray(table["sheet"].cat.codes)
    starts = np.flatnonzero(np.r_[True, (files[1:] != files[:-1]) | (sheets[1:] != sheets[:-1])])
    lengths = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, lengths)
    hashed = pd.util.hash_pandas_object(table[raw], index=False).to_numpy()
    fingerprint = np.add.reduceat(hashed * (2 * position.astype(np.uint64) + 1), starts)
    sheet_table = pd.DataFrame({"length": lengths, "fingerprint": fingerprint})
    rows: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    values = table[raw]
    for _, group in sheet_table[sheet_table.duplicated(keep=False)].groupby(
            ["length", "fingerprint"], sort=False):
        originals: list[int] = []
        for sheet in group.index:
            span = np.arange(starts[sheet], starts[sheet] + lengths[sheet])
            rows_here = values.iloc[span].reset_index(drop=True)
            same = next((o for o in originals if values.iloc[
                starts[o]: starts[o] + lengths[o]].reset_index(drop=True).equals(rows_here)), None)
            if same is None:
                originals.append(sheet)
            else:
                rows.append(span)
                firsts.append(span - starts[sheet] + starts[same])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(firsts)


def _duplicate_ledger(table: pd.DataFrame, rows: np.ndarray, firsts: np.ndarray,
                      what: str | None) -> pd.DataFrame:
    """Ledger lines 'duplicate of row N' (plus ' in F[, sheet S]' across files, ' in sheet S'
    across sheets, the rule in brackets when `what` is given) for the clean rows `rows`."""
    n = len(rows)
    part = table.iloc[np.concatenate([rows, firsts])][
        ["source_file", "sheet", "row", "kode_pemda"]].astype(object)
    part = part.where(part.notna(), None)
    files, sheets = part["source_file"].to_numpy(), part["sheet"].to_numpy()
    row_numbers, kode = part["row"].to_numpy(), part["kode_pemda"].to_numpy()
    texts = []
    for i, j in zip(range(n), range(n, 2 * n), strict=True):
        text = f"duplicate of row {int(row_numbers[j])}"
        if files[j] != files[i]:
            text += f" in {files[j]}"
            if sheets[j] is not None:
                text += f", sheet {sheets[j]}"
        elif sheets[j] != sheets[i] and sheets[j] is not None:
            text += f" in sheet {sheets[j]}"
        if what:
            text += f" ({what})"
        texts.append(text)
    return pd.DataFrame({"source_file": files[:n], "sheet": sheets[:n],
                         "row": row_numbers[:n].astype("int64"), "column": None,
                         "raw_value": None, "reason": texts, "kode_pemda": kode[:n]})


def future(values: pd.Series, reference_date: dt.date) -> np.ndarray:
    """True where a date lies after the reference date."""
    ref = pd.Timestamp(reference_date)
    return (values > ref).fillna(False).to_numpy(bool)


def provenance(data: FileInput, keep: np.ndarray) -> pd.DataFrame:
    """source_file, sheet, row of the kept rows."""
    frame = data.frame
    return pd.DataFrame({
        "source_file": _categorical_text(frame[FILE], keep),
        "sheet": _categorical_text(frame[SHEET], keep),
        "row": frame[ROW].to_numpy()[keep].astype("int64"),
    })


def _categorical_text(values: pd.Series, keep: np.ndarray) -> pd.Series:
    """The kept rows of a Categorical of names as text (taken from the few names in Arrow)."""
    codes = np.asarray(values.cat.codes)[keep]
    names = pd.Series(values.cat.categories.to_numpy(dtype=object), dtype="string")
    return _taken(codes, names, pd.RangeIndex(len(codes))).array


MAX_STAFF_COUNT = 100_000
"""The most staff one unit can have in one period (`jumlah_pegawai/` counts). The largest OPDs,
a province's education office with its schools, have tens of thousands; an 18-digit NIP or a
16-digit NIK pasted into a count column is far above."""
MAX_RESPONDENTS = 1_000_000
"""The most SKM respondents one unit can have in one period (`ikm/` jumlah_responden):
Krejcie-Morgan asks at most ~384; online surveys of a civil registry reach tens of thousands."""
MAX_POPULATION = 300_000_000
"""The largest service population (`skm/` populasi): more than Indonesia's population."""


def numbers(
    data: FileInput, column: str, *, whole: bool = False, minimum: float | None = None,
    maximum: float | None = None, what: str = "value", ambiguous_as: str = "id",
    implausible_above: float | None = None,
) -> pd.Series:
    """Parse a number column, its locale decided per file; reject unreadable values and values
    outside [minimum, maximum] (or not whole when `whole`), and values above
    `implausible_above` ('implausible count: above 100,000': a magnitude no real unit has,
    such as an NIP pasted into the column; never cast to an integer). Returns float values
    (NaN where missing or rejected)."""
    from p3k_study.parse import parse_numbers

    frame = data.frame
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    parsed = parse_numbers(frame[column], ambiguous_as=ambiguous_as,  # type: ignore[arg-type]
                           groups=data.file_codes(), distinct=data.distinct(column))
    raw = frame[column]
    data.verdicts.reject(parsed.reason.notna().to_numpy(bool), column, parsed.reason, raw)
    values = parsed.values
    present = values.notna().to_numpy(bool)
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    if minimum is not None and maximum is not None:
        outside = present & ((v < minimum) | (v > maximum))
        data.verdicts.reject(outside, column, f"{what} outside {minimum:g}-{maximum:g}", raw)
    elif minimum is not None:
        word = "negative" if minimum == 0 else f"below {minimum:g}"
        data.verdicts.reject(present & (v < minimum), column, f"{word} {what}", raw)
    if implausible_above is not None:
        data.verdicts.reject(present & ~(v <= implausible_above), column,
                             f"implausible {what}: above {implausible_above:,.0f}", raw)
    if whole:
        with np.errstate(invalid="ignore"):
            fractional = present & (np.floor(v) != v)
        data.verdicts.reject(fractional, column, f"{what} is not a whole number", raw)
    return values


def periods(
    data: FileInput, column: str, freq: str, reference_date: dt.date
) -> pd.Series:
    """Parse a period column into period_index (Int64); reject unreadable periods, periods that
    cannot be placed in the panel frequency, and periods starting after the reference date."""
    from p3k_study.parse import parse_periods
    from p3k_study.periods import period_index

    frame = data.frame
    parsed = parse_periods(frame[column], freq,  # type: ignore[arg-type]
                           distinct=data.distinct(column))
    raw = frame[column]
    data.verdicts.reject(parsed.reason.notna().to_numpy(bool), column, parsed.reason, raw)
    index = parsed.index
    limit = period_index(reference_date, freq)  # type: ignore[arg-type]
    late = (index > limit).fillna(False).to_numpy(bool)
    data.verdicts.reject(late, column, f"period after the reference date "
                         f"{reference_date.isoformat()}", raw)
    return index
