"""Steps every cleaner shares: stack a file's sheets, Excel error cells, required values,
region and unit resolution, duplicates. `open_file` runs the common preamble of a cleaner,
`part_of` its common ending.

Rules common to every table:
- A sheet whose header lacks a required column stops the run (`DataError` naming file, sheet
  and columns). Empty sheets are listed in the summary and hold no rows.
- Excel error cells ('#REF!', '#N/A', ...) become missing; in a required column the row is
  rejected with the error as reason. Empty cells in optional columns are simply missing, and so
  are cells holding only a dash ('-', en dash: 'none'); in a column required on its own a dash
  rejects the row (`parse.DASH_PLACEHOLDER`).
- A present value that cannot be read is rejected whether the column is required or not.
- An average or total row (a unit, name, NIP, region or 'No' cell 'RATA-RATA', 'NILAI IKM:',
  'JUMLAH', 'Jumlah Total', or one beginning with such a label, 'TOTAL KAB. BOGOR') is rejected
  with its own reason, before any other rule.
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
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals
from pandera.pandas import DataFrameSchema

from p3k_study.clean.ledger import REJECT_COLUMNS, empty_rejects, finalise
from p3k_study.errors import DataError
from p3k_study.ikm import ELEMENTS
from p3k_study.parse import (
    _OTHER_WHITESPACE,
    DASH_PLACEHOLDER,
    DASH_PLACEHOLDERS,
    EXCEL_ERRORS,
    INVISIBLE,
    parse_dates,
    parse_numbers,
    parse_periods,
    visible,
)
from p3k_study.periods import period_index, period_labels
from p3k_study.read.headers import (
    ALIASES,
    FALLBACK_ALIASES,
    REGION,
    REQUIRED,
    ROW_COLUMN,
    canonical_names,
    header_key,
    letters_key,
    missing_required,
    vocabulary,
)
from p3k_study.read.sheet import (
    COLUMN_NUMBERS,
    ONE_CELL_ROW,
    ROW_NUMBER_HEADERS,
    RawSheet,
    numbers_columns,
)
from p3k_study.reference import match_unit
from p3k_study.reference.regions import region_resolver
from p3k_study.reference.units import office_key
from p3k_study.schemas import dtypes

ROW = ROW_COLUMN
SHEET = "_sheet"
FILE = "_file"
EXTRA_PREFIX = "_x_"
"""Columns the table does not use keep their header key under this prefix: they take part in
the exact-duplicate check (a respondent number tells two identical answers apart) only."""


@dataclass
class FileInput:
    """Sheets stacked into one frame (`stack_sheets`): each canonical column a Categorical of
    its text cells (the rules look at the few distinct cells of a long column and spread their
    verdicts back by code), plus `_row`, `_sheet`, `_file`; the rows dropped while reading,
    per-file facts, the stacked columns of each sheet and the sheet of each row. The rules'
    verdicts so far: `alive`, the rows not rejected, and `kode_pemda` per row once
    `resolve_regions` has run."""

    frame: pd.DataFrame
    dropped: pd.DataFrame
    files: dict[str, dict[str, object]]
    sheet_columns: list[frozenset[str]]
    sheet_of_row: np.ndarray
    alive: np.ndarray = field(init=False)
    kode_pemda: pd.Categorical | None = None
    _lines: list[pd.DataFrame] = field(default_factory=list, repr=False)
    _tidy: dict[str, tuple[np.ndarray, pd.Series]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.alive = np.ones(len(self.frame), dtype=bool)

    def reject(self, mask: pd.Series | np.ndarray, column: str | None,
               reason: str | pd.Series | np.ndarray, raw: pd.Series | None = None) -> None:
        """Reject the rows where `mask` holds and no earlier rule rejected (the first reason
        wins), naming the column at fault, the reason (one, or one per row) and the cell as
        written (`raw`)."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool) & self.alive)
        if not len(rows):
            return
        self.alive[rows] = False
        self._lines.append(pd.DataFrame({
            "at": rows, "column": column,
            "raw_value": None if raw is None else raw.iloc[rows].to_numpy(object, na_value=None),
            "reason": reason if isinstance(reason, str) else np.asarray(reason, object)[rows]}))

    def ledger(self) -> pd.DataFrame:
        """The rows dropped while reading, then the rejected rows, as ledger lines (not yet
        masked or sorted: see `ledger.finalise`)."""
        if not self._lines:
            return self.dropped
        lines = pd.concat(self._lines, ignore_index=True)
        at = lines.pop("at").to_numpy()
        return pd.concat([self.dropped, lines.assign(
            source_file=self.frame[FILE].iloc[at].to_numpy(dtype=object),
            sheet=self.frame[SHEET].iloc[at].to_numpy(dtype=object),
            row=self.frame[ROW].to_numpy()[at].astype("int64"),
            kode_pemda=np.asarray(self.kode_pemda[at], dtype=object))], ignore_index=True)

    def distinct(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(codes, distinct cells) of a text column, code -1 for a missing cell (every cell
        of a column no sheet has)."""
        if column not in self.frame.columns:
            return np.full(len(self.frame), -1, dtype=np.intp), pd.Series([], dtype="string")
        values = self.frame[column].array
        return values.codes.astype(np.intp), pd.Series(values.categories.array, dtype="string")

    def cells(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(codes, cells): the distinct cells of `column` and one missing cell last, and per row
        the number of its cell; for a rule that works cell by cell (`result.iloc[codes]`)."""
        codes, uniques = self.distinct(column)
        return (np.where(codes < 0, len(uniques), codes),
                pd.concat([uniques, pd.Series([None], dtype="string")], ignore_index=True))

    def blank(self, column: str) -> np.ndarray:
        """Per row: missing or whitespace only (as `tidy` missing)."""
        codes, uniques = self.distinct(column)
        return np.append((uniques.str.strip() == "").to_numpy(bool), True)[codes]

    def tidy(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """(codes, distinct values) of a text column with whitespace trimmed and collapsed,
        worked out per distinct cell; code -1 for missing (or whitespace only)."""
        if column not in self._tidy:
            codes, uniques = self.distinct(column)
            tidy = uniques.str.replace(r"\s+", " ", regex=True).str.strip()
            tidy_codes, tidy = pd.factorize(tidy.mask(tidy == ""))
            self._tidy[column] = (np.append(tidy_codes, -1)[codes],
                                  pd.Series(tidy, dtype="string"))
        return self._tidy[column]

    def rewrite(self, column: str, cells: pd.Series) -> None:
        """Replace the distinct cells of `column` (`distinct`) by `cells`, in their order."""
        self.frame[column] = categorical(self.frame[column].array.codes, cells)
        self._tidy.pop(column, None)

    def note(self, what: str, mask: np.ndarray) -> None:
        """Count a non-rejecting event (e.g. 'excel_error_set_missing') per file."""
        counts = self.frame[FILE][np.asarray(mask, dtype=bool)].value_counts(sort=False)
        for name, n in counts[counts > 0].items():
            notes = self.files[str(name)]["notes"]
            notes[what] = notes.get(what, 0) + int(n)  # type: ignore[index, attr-defined]


@functools.lru_cache(maxsize=4096)
def _layout(header: tuple[str, ...], kind: str
            ) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """For one header (worked out once per distinct header): {stacked column: the sheet's
    column} (canonical names first, then the others as `EXTRA_PREFIX` + header key; the first
    column wins a name), {original: canonical}, and the required columns missing."""
    names, mapping = canonical_names(header, ALIASES[kind], fallback=FALLBACK_ALIASES.get(kind, ()))
    if kind == "skm":
        names, mapping = _questions_named(header, names, mapping)
    pairs = [(str(name), original) for original, name in zip(header, names, strict=True)
             if original != ROW]
    source: dict[str, str] = {}
    for name, original in sorted(pairs, key=lambda pair: pair[0] not in ALIASES[kind]):
        key = name if name in ALIASES[kind] else EXTRA_PREFIX + header_key(name)
        source.setdefault(key, original)
    return source, {str(k): str(v) for k, v in mapping.items()}, missing_required(names, kind)


QUESTION_WORDS: dict[str, str] = {word: element for element, words in
                                  vocabulary()["skm_question"].items() for word in words}
"""The words that tell which element a question asks about ('... kecepatan waktu dalam
memberikan pelayanan?' -> waktu; the 'skm_question' rows of aliases.csv)."""
_QUESTION = re.compile(r"\?|^\W*(?:u?[0-9]+\W*)?(?:bagaimana|apakah|seberapa|menurut)\b|"
                       r"\[(?P<row>[^\]]+)\]\s*$", re.I)
"""A header that asks a question, or a Google Forms grid's 'Penilaian Anda [Sarana]' (its row)."""


def _answer_scores() -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, float]] = {element: {} for element in ELEMENTS}
    generic_first = sorted(vocabulary()["skm_answer"].items(), key=lambda item: " " in item[0])
    for column, answers in generic_first:
        element, _, score = column.rpartition(" ")  # 'pengaduan 1': one element's answer
        for name in [element] if element else ELEMENTS:
            scores[name] |= dict.fromkeys(answers, float(score))
    return scores


ANSWER_SCORES = _answer_scores()
"""Per element the questionnaire's answers as words, as survey apps export them (PermenPANRB
14/2017: 'Tidak sesuai' 1 ... 'Sangat sesuai' 4; for `biaya` 'Sangat mahal' 1 ... 'Gratis' 4,
for `pengaduan` 'Tidak ada' 1 ... 'Dikelola dengan baik' 4), and the common 'Tidak puas' ...
'Sangat puas': their scores (the 'skm_answer' rows of aliases.csv, a column 'pengaduan 1'
for one element's answer). The letters a-d are not read: 'A' is also the best quality grade.
A file on the scale 'Sangat tidak puas' 1 ... 'Sangat puas' 4 is scored by `clean.skm`."""
SCORE_TEXTS = frozenset({"1", "2", "3", "4", *(
    answer for answers in ANSWER_SCORES.values() for answer in answers)})
"""Cells (as `answer_words` writes them) that are a score of some element."""


_HIDDEN = re.compile(INVISIBLE[:-1] + "\u0307]")  # Python lowers 'İ' to 'i' and a dot above
_OPTION_OR_STOP = re.compile(r"^\s*\(?[a-d1-4](?:[.)]|\s*[-\u2013:])\s*(?=\D)|[.!]+\s*$")


def answer_words(cells: Sequence[str]) -> list[str]:
    """Answer cells as the 'skm_answer' rows of aliases.csv write them: lower case, without
    the option's letter or number before them ('d. ', '(4) ', 'a.', '4 - ') or stops after them. A
    loop over distinct cells: pandas' string methods cost ~1 ms a call, and a national run
    calls this for ~800 columns of a few distinct answers."""
    return [" ".join(_OPTION_OR_STOP.sub("", _HIDDEN.sub("", cell.lower())).split())
            for cell in cells]


def _mostly_answers(cells: pd.Series) -> bool:
    """At least half the filled cells are scores or answers (`SCORE_TEXTS`), read per distinct
    cell: a question column of free text ('Apakah ada saran ...?') is not."""
    counts = cells.value_counts()
    scored = [words in SCORE_TEXTS for words in answer_words(counts.index)]
    return 2 * counts[scored].sum() >= counts.sum()


def _questions_named(header: tuple[str, ...], names: list[object], mapping: dict[str, str]
                     ) -> tuple[list[object], dict[str, str]]:
    """The SKM columns headed by the questionnaire's questions, as survey apps (Google Forms)
    export them: a header that asks a question ('?', or 'Bagaimana ...') naming the words of
    one element only (`QUESTION_WORDS`) is that element, unless another column is already or
    another question names it too ('Berapa biaya yang Anda bayar?' beside the element's)."""
    names, mapping = list(names), dict(mapping)
    asking: dict[str, list[int]] = {}
    for at, original in enumerate(header):
        if original in mapping or not (asked := _QUESTION.search(original)):
            continue
        elements = {QUESTION_WORDS[w] for w in re.findall(r"[a-z]+", (
            asked["row"] or original).lower()) if w in QUESTION_WORDS}
        if len(elements) == 1:
            asking.setdefault(elements.pop(), []).append(at)
    for element, (at, *others) in asking.items():
        if not others and element not in mapping.values():
            names[at], mapping[header[at]] = element, element
    return names, mapping


NOT_DATA_SHEETS = {letters_key(name) for name in vocabulary()["sheet"]["not_data"]}
"""Sheet names ('Petunjuk', 'Referensi OPD', 'Rekap 2024': only letters compared) of the
instructions, lookup lists, recaps and charts carried beside the data sheet (the 'sheet' rows of
aliases.csv): without the kind's required columns such a sheet is passed over, not an error,
when another sheet of its file holds data; a file whose only sheets are so named is data."""


def stack_sheets(sheets: Sequence[RawSheet], kind: str) -> FileInput:
    """Canonical headers per sheet, required columns checked, sheets stacked in order.

    Sheets may come from several files (cleaning all files of a kind at once pays pandas'
    per-call costs once); `_file`, `_sheet`, `_row` say where each row came from. When no sheet
    holds a row, the frame has the kind's required columns (the first name of each choice)."""
    if not sheets:
        raise ValueError("no sheets given")
    used: list[tuple[RawSheet, dict[str, str]]] = []
    dropped: list[dict[str, object]] = []
    files: dict[str, dict[str, object]] = {}
    with_data_sheet = {str(sheet.source_file) for sheet in sheets if sheet.rows_in
                       and letters_key(str(sheet.sheet)) not in NOT_DATA_SHEETS}
    for sheet in sheets:
        name = str(sheet.source_file)
        sheet = _with_sub_headers(sheet, kind)
        info: dict[str, object] = {"sheet": sheet.sheet, "rows_in": sheet.rows_in}
        files.setdefault(name, {"encoding": sheet.encoding, "separator": sheet.separator,
                                "sheets": [], "notes": {}})["sheets"].append(info)  # type: ignore[attr-defined]
        if not sheet.rows_in:
            info["note"] = sheet.reason or "no data rows"
            continue
        notes: dict[str, int] = files[name]["notes"]  # type: ignore[assignment]
        for column in sheet.given:
            key = f"given_by_dataset_json:{column}"
            notes[key] = notes.get(key, 0) + len(sheet.frame)
        source, mapping, missing = _layout(tuple(map(str, sheet.frame.columns)), kind)
        named_not_data = letters_key(str(sheet.sheet)) in NOT_DATA_SHEETS
        if missing and named_not_data and name in with_data_sheet:
            info |= {"rows_in": 0, "note": f"not read: sheet '{sheet.sheet}' is named as an "
                     f"instructions or list sheet and has no {kind} table"}
            continue
        for original, element in mapping.items() if kind == "skm" else ():
            if original != element and _QUESTION.search(original) and not _mostly_answers(
                    sheet.frame[original]):
                raise DataError(name, f"the column '{original}' asks about {element} (its "
                                "words say so), but most of its cells are no scores or "
                                f"answers: head the column of the {element} answers "
                                f"'{element}'", sheet=sheet.sheet)
        if missing:
            others = sum(other.source_file == sheet.source_file for other in sheets) > 1
            raise DataError(name, f"required column(s) missing: {', '.join(missing)} (a {kind} "
                            f"table; headers found: "
                            f"{', '.join(c for c in sheet.frame.columns if c != ROW)})" + (
                                "; if this sheet holds no data, name it as a list or recap "
                                "sheet ('Referensi', 'Rekap') and it is passed over"
                                if others and not named_not_data else "") + (
                                "; the sheet is named as a recap or list sheet, but the file "
                                "has no other sheet of data" if named_not_data else ""),
                            sheet=sheet.sheet)
        info["columns"] = dict(sorted(mapping.items()))
        for column, n in sheet.filled.items():
            key = f"merged_cells_filled:{mapping.get(column, column)}"
            notes[key] = notes.get(key, 0) + n
        used.append((sheet, source))
        dropped += [{"source_file": name, "sheet": sheet.sheet, "row": row, "reason": why}
                    for row, why in sheet.dropped]
    columns = dict.fromkeys(c for _, source in used for c in source) or dict.fromkeys(
        need if isinstance(need, str) else need[0] for need in REQUIRED[kind])
    frame = pd.DataFrame(_stacked(used, list(columns)))
    sheet_of_row = np.repeat(np.arange(len(used)), [len(sheet.frame) for sheet, _ in used])
    # Categoricals: a few names for many rows, cheap to take, count and compare
    frame[SHEET] = categorical(sheet_of_row, [sheet.sheet for sheet, _ in used])
    frame[FILE] = categorical(sheet_of_row, [str(sheet.source_file) for sheet, _ in used])
    return FileInput(frame, pd.DataFrame(dropped, columns=REJECT_COLUMNS), files,
                     [frozenset(source) for _, source in used], sheet_of_row)


def with_columns(sheet: RawSheet, kind: str, given: dict[str, str]) -> RawSheet:
    """`sheet` with the columns dataset.json gives its file (`file_columns`: each value in
    every row). Raises `DataError` for a column that is none of the kind's, or one the sheet
    has already (which one holds?)."""
    if not given or not len(sheet.frame):
        return sheet
    has = canonical_names(list(sheet.frame.columns), ALIASES[kind])[0]
    for column in given:
        name = canonical_names([column], ALIASES[kind])[0][0]
        if name not in ALIASES[kind]:
            why = f"which is no column of a {kind} table"
        elif name in has:
            why = "a column the file has already (remove one)"
        else:
            continue
        raise DataError(sheet.source_file, f"dataset.json's file_columns gives {column!r}, "
                        f"{why}", sheet=sheet.sheet)
    filled = {column: pd.Series(value, sheet.frame.index, dtype="str")
              for column, value in given.items()}
    return replace(sheet, frame=sheet.frame.assign(**filled), given=tuple(given))


def _with_sub_headers(sheet: RawSheet, kind: str) -> RawSheet:
    """The sheet itself, or, when its header lacks required columns that a header of two rows
    has, the sheet read with that header: a group header over sub-headers (a merged
    'Identitas Pegawai' over 'NIP' and 'Nama', as SIMPEG exports write them), each column named
    by its sub-header, or by the header above where it has none. The row of sub-headers is
    then part of the header, not a data row, and so is a row of column numbers under it. Taken
    too when the two rows lack fewer required columns than the first (then the run stops
    naming those). A first row of one cell that is no row of sub-headers is dropped as
    `read.sheet.ONE_CELL_ROW` (`RawSheet.first_row_one_cell`)."""
    missing = _layout(tuple(map(str, sheet.frame.columns)), kind)[2]
    if len(sheet.frame) and missing:
        first = sheet.frame.iloc[0]
        below = {column: " ".join(str(cell).split()) for column, cell in first.items()
                 if column != ROW and column not in sheet.given and pd.notna(cell)}
        names = {column: below.get(column) or column for column in sheet.frame.columns}
        if len(set(names.values())) == len(names) and len(
                _layout(tuple(names.values()), kind)[2]) < len(missing):
            frame = sheet.frame.iloc[1:].rename(columns=names).reset_index(drop=True)
            dropped = sheet.dropped
            if len(frame) and numbers_columns(frame.iloc[0].drop([ROW, *sheet.given]).tolist(),
                                              len(frame.columns) - 1 - len(sheet.given)):
                dropped = sorted([*dropped, (int(frame[ROW].iloc[0]), COLUMN_NUMBERS)])
                frame = frame.iloc[1:].reset_index(drop=True)
            return replace(sheet, frame=frame, header_row=int(first[ROW]), dropped=dropped,
                           first_row_one_cell=False)
    if len(sheet.frame) and sheet.first_row_one_cell:
        return replace(sheet, frame=sheet.frame.iloc[1:].reset_index(drop=True),
                       dropped=sorted([*sheet.dropped, (int(sheet.frame[ROW].iloc[0]),
                                                        ONE_CELL_ROW)]),
                       first_row_one_cell=False)
    return sheet


def _stacked(used: list[tuple[RawSheet, dict[str, str]]], columns: list[str]
             ) -> dict[str, pd.Categorical | np.ndarray]:
    """Each of `columns` of the sheets one after another (missing in a sheet without it), as a
    Categorical of the distinct cells as `parse.visible` shows them, and `_row`."""
    chunks: dict[str, list[pa.Array]] = {column: [] for column in columns}
    rows = [np.zeros(0, dtype="int64")]
    for sheet, source in used:
        cells = dict(sheet.frame.items())
        none = pa.nulls(len(sheet.frame), pa.large_string())
        for column, chunk in chunks.items():
            chunk.append(pa.array(cells[source[column]].array, type=pa.large_string())
                         if column in source else none)
        rows.append(cells[ROW].to_numpy(dtype="int64"))
    stacked: dict[str, pd.Categorical | np.ndarray] = {}
    for column, chunk in chunks.items():
        codes, uniques = pd.factorize(pd.array(pa.chunked_array(chunk, type=pa.large_string()),
                                               dtype="string"))
        stacked[column] = pd.Categorical.from_codes(codes, pd.Index(uniques), validate=False)
        distinct = pd.Series(uniques)
        shown = visible(distinct)  # `distinct` itself when no cell has one (most columns)
        if shown is not distinct:  # two cells may become one
            stacked[column] = categorical(codes, shown.mask(shown == ""))
    return stacked | {ROW: np.concatenate(rows)}


def categorical(codes: np.ndarray, values: pd.Series | Sequence[object]) -> pd.Categorical:
    """`values` (text, missing: None or NA) per code (-1: missing) as a Categorical of the
    distinct values: the text of a long column is made once, in `finish` (`_text`)."""
    value_codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(np.append(value_codes, -1)[codes],
                                     pd.Index(distinct, dtype="string"), validate=False)


def _text(values: pd.Series) -> pd.Series:
    """A Categorical of text as text (taken from its few categories)."""
    text = pd.array(values.cat.categories, dtype="string")
    codes = values.cat.codes.to_numpy(np.intp)  # Arrow takes by int16 codes 10x slower
    return pd.Series(text.take(codes, allow_fill=True), index=values.index)


def resolve_regions(data: FileInput, code_edition: str | None = None) -> None:
    """`data.kode_pemda` per row (NA where unresolved; those rows are rejected); codes follow
    the decree edition `code_edition` (None: not known). Old codes mapped are counted per file.
    Resolved once per distinct (code, name) pair."""
    pairs = pd.DataFrame({column: categorical(*data.tidy(column)) for column in REGION})
    pair_of_row, firsts = groups(pairs)
    resolver = region_resolver(code_edition)
    results = [resolver.resolve(code, name)
               for code, name in pairs.iloc[firsts].to_numpy(dtype=object, na_value=None)]
    unresolved = np.array([r.kode_pemda is None for r in results], dtype=bool)[pair_of_row]
    if unresolved.any():
        why = np.array([f"region not resolved: {r.reason}" for r in results],
                       dtype=object)[pair_of_row]
        used_code = pairs["kode_pemda"].notna().to_numpy()
        for column, rows in (("kode_pemda", used_code), ("nama_pemda", ~used_code)):
            data.reject(unresolved & rows, column, why, pairs[column])
    for what in sorted({t for r in results for t in r.tallies}):
        data.note(what, np.array([what in r.tallies for r in results], dtype=bool)[pair_of_row])
    data.kode_pemda = categorical(pair_of_row, [r.kode_pemda for r in results])


WHEN_COLUMNS = ("period_index", "year")
"""The column that says when, in a clean table with periods (`year` in the kinerja table);
not `schemas.PERIOD_COLUMNS`, the specs of the period columns."""


def coexisting_offices(table: pd.DataFrame) -> frozenset[str]:
    """Dictionary unit ids ('<kode_pemda>/<unit_key>' of `match_unit`) under which two offices
    (`office_key` of the unit's name) appear in one period of a clean table; empty for a table
    without periods (the roster)."""
    period = next((c for c in WHEN_COLUMNS if c in table.columns), None)
    if period is None or table.empty:
        return frozenset()
    offices = _offices(table, period)[1].groupby(["base", period], sort=False)["office"].nunique()
    return frozenset(offices[offices > 1].index.get_level_values("base"))


def separate_offices(table: pd.DataFrame, split: frozenset[str]) -> pd.DataFrame:
    """`table` with unit_key '<unit_key>/<office_key>' (and unit_id to match) on the rows whose
    dictionary unit id is in `split` (`coexisting_offices`); unchanged when none is."""
    if not split or table.empty:
        return table
    codes, seen = _offices(table)
    hit = seen["base"].isin(split)
    if not hit.any():
        return table
    key = seen["key"].where(~hit, seen["key"] + "/" + seen["office"])
    out = pd.DataFrame({"unit_key": categorical(codes, key),
                        "unit_id": categorical(codes, seen["kode_pemda"] + "/" + key)},
                       index=table.index)
    if not isinstance(table["unit_id"].dtype, pd.CategoricalDtype):
        out = out.apply(_text)
    return table.assign(**out)


def _offices(table: pd.DataFrame, *by: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Per row its number among the distinct (kode_pemda, unit_name, *by) of `table`, and those
    with the dictionary unit id ('base'), its unit_key ('key') and the `office_key`."""
    columns = ["kode_pemda", "unit_name", *by]
    codes, firsts = groups(table[columns])
    seen = table[columns].iloc[firsts].reset_index(drop=True)
    seen = seen.astype({"kode_pemda": object, "unit_name": object}).fillna(
        {"kode_pemda": "", "unit_name": ""})
    seen["key"] = seen["unit_name"].map(lambda n: match_unit(n).unit_key)
    seen["base"] = seen["kode_pemda"] + "/" + seen["key"]
    seen["office"] = seen["unit_name"].map(office_key)
    return codes, seen


SUMMARY_LABELS: frozenset[str] = frozenset(
    label for labels in vocabulary()["summary_row"].values() for label in labels)
"""What an average or total row says in a cell of `SUMMARY_COLUMNS` (the 'summary_row' rows
of `reference/data/aliases.csv`), as `summary_keys` writes them ('RATA-RATA', 'Nilai IKM:',
'Jumlah Total' -> 'rata rata', 'nilai ikm', 'jumlah total')."""
SUMMARY_PREFIXES: tuple[str, ...] = tuple(
    label + " " for label in vocabulary()["summary_row"]["prefix"])
"""Labels that make a summary label also with more words after them ('Jumlah Seluruhnya',
'Rata-rata Kabupaten'): no unit's, person's or region's name begins with them."""
SUMMARY_COLUMNS: tuple[str, ...] = ("unit_kerja", "unit_layanan", "nama", "nip", "nama_pemda",
                                    "kode_pemda", *(EXTRA_PREFIX + k for k in ROW_NUMBER_HEADERS))
"""Where a summary label stands: a unit, name, NIP or region cell, or the row-number column
('No'), where the SKM template writes its rows under the answers ('NRR/Unsur')."""
SUMMARY_ROW = "summary row (an average or total, not a unit)"


def summary_keys(texts: pd.Series) -> pd.Series:
    """Text cells as summary labels: lower case, white space, hyphens, dots, underscores and
    slashes as spaces, trailing colons dropped, spaces collapsed."""
    spaced = texts.str.lower().str.replace(f"(?:{_OTHER_WHITESPACE}|[ _./-])+", " ", regex=True)
    return spaced.str.replace("[: ]+$", "", regex=True).str.strip(" ")


def open_file(sheets: Sequence[RawSheet], kind: str, code_edition: str | None = None
              ) -> FileInput:
    """The preamble every cleaner shares, its rules (see the module docstring) in this order:
    sheets stacked (`stack_sheets`); average and total rows rejected (a unit, name, NIP,
    region or 'No' cell that is only one of `SUMMARY_LABELS`, or begins with one of
    `SUMMARY_PREFIXES`); Excel error cells and dashes, counted per file as
    `excel_error_set_missing:<column>` and `dash_set_missing:<column>` where they become
    missing (in the columns of `read.headers.REQUIRED` an Excel error rejects the row, and so
    does a dash in a column required on its own; in a column of a choice, a region code beside
    its name, a dash is a missing value); rows with neither region code nor name
    rejected; rows with an empty required value rejected, then rows with none of a choice
    (SKM: periode or tanggal_survei, the column named the first of them the row's sheet has);
    regions resolved (`resolve_regions`, codes of the decree edition `code_edition`)."""
    data = stack_sheets(sheets, kind)
    frame = data.frame
    for column in [c for c in SUMMARY_COLUMNS if c in frame.columns]:
        codes, tidy = data.tidy(column)
        keys = summary_keys(tidy)
        labels = (keys.isin(SUMMARY_LABELS) | keys.str.startswith(SUMMARY_PREFIXES)).to_numpy(bool)
        data.reject(np.append(labels, False)[codes], column.removeprefix(EXTRA_PREFIX),
                    SUMMARY_ROW, frame[column])
    needed = {c for need in REQUIRED[kind] for c in ((need,) if isinstance(need, str) else need)}
    for column in [c for c in frame.columns if c not in (ROW, SHEET, FILE)
                   and not c.startswith(EXTRA_PREFIX)]:
        codes, uniques = data.distinct(column)
        key = uniques.str.strip().str.upper()
        error = key.isin(EXCEL_ERRORS).to_numpy(bool)
        dash = key.isin(DASH_PLACEHOLDERS).to_numpy(bool)
        if error.any() and column in needed:
            reason = np.append(("Excel error cell " + key).to_numpy(object), None)[codes]
            data.reject(np.append(error, False)[codes], column, reason, frame[column])
        elif error.any():
            data.note(f"excel_error_set_missing:{column}", np.append(error, False)[codes])
        if dash.any() and column in REQUIRED[kind]:  # one column, not one of a choice
            data.reject(np.append(dash, False)[codes], column, DASH_PLACEHOLDER, frame[column])
            dash = np.zeros_like(dash)
        if dash.any():
            data.note(f"dash_set_missing:{column}", np.append(dash, False)[codes])
        if (error | dash).any():
            data.rewrite(column, uniques.mask(error | dash))

    def in_sheet(column: str) -> np.ndarray:
        """Per row: its sheet has `column` (so the ledger names a column the row's file has,
        whichever files were cleaned together)."""
        return np.array([column in columns for columns in data.sheet_columns],
                        dtype=bool)[data.sheet_of_row]

    no_region = np.logical_and.reduce([data.blank(c) for c in REGION])
    has_name = in_sheet("nama_pemda")
    for column, rows in (("nama_pemda", has_name), ("kode_pemda", ~has_name)):
        data.reject(no_region & rows, column, "missing required value (region code or name)")
    for column in [need for need in REQUIRED[kind] if isinstance(need, str)]:
        data.reject(data.blank(column), column, "missing required value", frame[column])
    for choice in [need for need in REQUIRED[kind] if need != REGION and not isinstance(need, str)]:
        none = np.logical_and.reduce([data.blank(c) for c in choice])
        for column in choice:  # named the first of `choice` the row's sheet has
            data.reject(none & in_sheet(column), column,
                        f"missing required value ({' or '.join(choice)})")
    resolve_regions(data, code_edition)
    return data


def labelled(index: pd.Series, freq: str) -> pd.Categorical:
    """`periods.period_labels` of a period_index column, as a Categorical."""
    codes, uniques = pd.factorize(index)
    return categorical(codes, period_labels(uniques, freq))  # type: ignore[arg-type]


SAME = ("__same_a", "__same_b")
"""Part columns: a row's identity for the exact-copy and copied-sheet rules (`same_rows`);
`finish` drops them."""
EXACT = "__exact"
"""Part column: the rows the exact-copy rule applies to (SKM: numbered respondents)."""
HASH_KEYS = ("p3k-study-same-a", "p3k-study-same-b")


def same_rows(frame: pd.DataFrame) -> list[np.ndarray]:
    """A row identity for the exact-copy rule, per row of `frame` (the columns read, as
    Categoricals): per key of `HASH_KEYS` the sum over the columns of the 64-bit SipHash
    (`pd.util.hash_array`) of column name and cell, a missing cell (as in a column a sheet
    lacks) adding 0. Equal rows have equal sums; different rows have both sums equal with
    probability 2**-128 (SipHash as a random function; ~1e-26 over national data's 2.9M rows)."""
    sums = [np.zeros(len(frame), dtype=np.uint64) for _ in HASH_KEYS]
    for column, values in frame.items():
        cells = (column + "\x00" + values.cat.categories.astype(object)).to_numpy(object)
        for total, key in zip(sums, HASH_KEYS, strict=True):
            hashes = pd.util.hash_array(cells, hash_key=key, categorize=False)
            total += np.append(hashes, np.uint64(0))[values.array.codes]
    return sums


@dataclass(frozen=True)
class Duplicates:
    """A kind's duplicate rules, applied by `finish` over all files of the kind, in order:

    1. `per_sheet` only: a sheet whose rows are, in order, exactly the rows of an earlier sheet
       (in any file) is that sheet delivered twice; all its rows are duplicates.
    2. Exact copies: a row whose every column read equals an earlier row's (only rows marked
       `EXACT`); within one sheet when `per_sheet`, else over all files.
    3. `keys`: a row repeating an earlier row's `keys` (clean columns), named by `what`."""

    keys: tuple[str, ...] = ()
    what: str | None = None
    per_sheet: bool = False


@dataclass
class Part:
    """What a cleaner makes of some files of one kind: the clean rows with their `SAME` and
    `EXACT` columns before the duplicate rules, the rejects so far (`FileInput.ledger`,
    finalised by `finish`), per-file input facts, and the kind's `Duplicates`."""

    table: pd.DataFrame
    rejects: pd.DataFrame
    files: dict[str, dict[str, object]]
    rules: Duplicates
    names: frozenset[str] = frozenset()
    """Personal names read (the roster's `nama`): masked wherever they appear in outputs."""


def part_of(data: FileInput, schema: DataFrameSchema, rules: Duplicates, unit_column: str,
            exact: np.ndarray | None = None, names: frozenset[str] = frozenset(),
            **columns: pd.Series | np.ndarray | pd.Categorical) -> Part:
    """A cleaner's part, made after its last rejecting rule: the rows not rejected, with
    source_file, sheet, row, kode_pemda, their unit and `columns` (each given per row of
    `data`), in the columns and dtypes of `schema` (text as Categoricals: they pickle small,
    `finish` makes them text); `SAME` (`same_rows`) and `EXACT` (`exact` per row, default every
    row); the ledger (`FileInput.ledger`).

    The unit, per distinct name (in `unit_column`) and region: unit_name (as written,
    whitespace tidied), unit_function, unit_key and unit_matched (`reference.match_unit`),
    unit_id ('<kode_pemda>/<unit_key>')."""
    frame = data.frame
    name_codes, unit_names = data.tidy(unit_column)
    matches = [match_unit(name) for name in unit_names.tolist()]
    regions = data.kode_pemda
    region_codes = regions.categories.tolist()
    pair_of_row, firsts = groups(pd.DataFrame({"name": name_codes, "region": regions.codes}))
    unit_ids = [None if n < 0 or r < 0 else f"{region_codes[r]}/{matches[n].unit_key}"
                for n, r in zip(name_codes[firsts], regions.codes[firsts], strict=True)]
    per_row = {
        "source_file": frame[FILE].array, "sheet": frame[SHEET].array, "row": frame[ROW].array,
        "kode_pemda": regions, "unit_id": categorical(pair_of_row, unit_ids),
        "unit_key": categorical(name_codes, [m.unit_key for m in matches]),
        "unit_function": categorical(name_codes, [m.function for m in matches]),
        "unit_name": categorical(name_codes, unit_names),
        "unit_matched": np.append([m.matched for m in matches], False).astype(bool)[name_codes],
        **{name: values.array if isinstance(values, pd.Series) else values
           for name, values in columns.items()},
        **dict(zip(SAME, same_rows(frame.drop(columns=[ROW, SHEET, FILE])), strict=True)),
        EXACT: np.ones(len(frame), dtype=bool) if exact is None else exact,
    }
    table = pd.DataFrame({name: values[data.alive] for name, values in per_row.items()}).reindex(
        columns=[*schema.columns, *SAME, EXACT])
    table = table.astype({name: dtype for name, dtype in dtypes(schema).items()
                          if not isinstance(table[name].dtype, pd.CategoricalDtype)})
    table = table.astype({c: "category" for c, dtype in table.dtypes.items()  # a part crosses
                          if isinstance(dtype, pd.StringDtype)})  # the pipe as codes of few texts
    return Part(table, data.ledger(), data.files, rules, names)


def finish(parts: Sequence[Part], empty: pd.DataFrame, text: bool = True
           ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict[str, object]], frozenset[str]]:
    """Join the parts of one kind (in file order) and apply their `Duplicates` over all of
    them: (clean table, rejects ledger, per-file facts, `coexisting_offices`, kept apart
    before the duplicate rules, which keep a copy's first row and so every office), its text
    columns as text, or as Categoricals when not `text`. The result does not depend on how
    the files were split into parts, nor on whether their text is Categorical (as `part_of`
    makes it) or text."""
    files = {name: info for part in parts for name, info in part.files.items()}
    ledgers = [empty_rejects(), *(part.rejects for part in parts if len(part.rejects))]
    tables = [part.table for part in parts if len(part.table)]
    if not tables:
        return empty, finalise(pd.concat(ledgers, ignore_index=True)), files, frozenset()
    table = pd.DataFrame({  # Categoricals joined
        column: union_categoricals([t[column] for t in tables], ignore_order=True)
        if isinstance(tables[0][column].dtype, pd.CategoricalDtype)
        else pd.concat([t[column] for t in tables], ignore_index=True)
        for column in tables[0].columns})
    # before the key rules: co-existing offices are not copies (every kind's table has unit_id)
    offices = coexisting_offices(table)
    table = separate_offices(table, offices)
    rules = parts[0].rules
    keep = np.ones(len(table), dtype=bool)

    def drop(keys: pd.DataFrame, rows: np.ndarray, what: str | None = None) -> None:
        """Drop each of `rows` equal in every column of `keys` to an earlier of `rows`."""
        at = np.flatnonzero(rows)
        group, firsts = groups(keys.iloc[at])
        first = at[firsts][group]
        repeat = first != at
        keep[at[repeat]] = False
        ledgers.append(_duplicate_ledger(table, at[repeat], first[repeat], what))

    scope = ["source_file", "sheet"] if rules.per_sheet else []
    if rules.per_sheet:  # a sheet's rows repeating an earlier sheet's in order: row by row
        sheet, starts = groups(table[scope])  # a sheet's rows are consecutive
        same = table[list(SAME)].to_numpy()
        contents = pd.factorize(np.array([rows.tobytes() for rows in np.split(same, starts[1:])],
                                         dtype=object))[0]
        offset = np.arange(len(table)) - starts[sheet]
        drop(pd.DataFrame({"contents": contents[sheet], "offset": offset}),
             (np.bincount(contents)[contents] > 1)[sheet])
    copies = table[SAME[0]].duplicated(keep=False).to_numpy()  # no other row with its sum: no copy
    drop(table[[*scope, *SAME]], keep & copies & table[EXACT].to_numpy(bool))
    if rules.keys:
        drop(table[list(rules.keys)], keep, rules.what)
    table = table.loc[keep, list(empty.columns)].reset_index(drop=True)
    if text:  # else Categoricals, with the categories of the rows dropped too
        table = table.assign(**{c: _text(table[c]) for c in table.columns
                                if isinstance(table[c].dtype, pd.CategoricalDtype)})
    return table, finalise(pd.concat(ledgers, ignore_index=True)), files, offices


def groups(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row the number of its group, the rows equal in every column (missing equal to
    missing) numbered in order of first appearance, and the first row of each group. Grouped
    by a Categorical's codes: pandas would recode its categories (national roster: 0.6 s)."""
    keys = [values.cat.codes if isinstance(values.dtype, pd.CategoricalDtype) else values
            for _, values in table.items()]
    ids = table.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    return ids, np.unique(ids, return_index=True)[1]


def _duplicate_ledger(table: pd.DataFrame, rows: np.ndarray, firsts: np.ndarray,
                      what: str | None) -> pd.DataFrame:
    """Ledger lines 'duplicate of row N' (plus ' in F[, sheet S]' across files, ' in sheet S'
    across sheets, the rule in brackets when `what` is given) for the clean rows `rows`."""
    columns = ["source_file", "sheet", "row", "kode_pemda"]
    lines, originals = (table.iloc[at][columns].to_numpy(dtype=object, na_value=None)
                        for at in (rows, firsts))
    reasons = []
    for (file, sheet, _, _), (first_file, first_sheet, first_row, _) in zip(
            lines, originals, strict=True):
        where = f" in sheet {first_sheet}" if first_sheet not in (None, sheet) else ""
        if first_file != file:
            where = f" in {first_file}" + ("" if first_sheet is None else f", sheet {first_sheet}")
        reasons.append(f"duplicate of row {first_row}{where}" + (f" ({what})" if what else ""))
    return pd.DataFrame(lines, columns=columns).assign(reason=reasons)


def _parsed(data: FileInput, column: str, parse: Callable[..., Any],
            rows: np.ndarray | None = None, **options: Any) -> Any:
    """`parse` (a parser of `parse`) over a column, each distinct cell once (only the cells of
    `rows`, when given; every cell missing in a column no sheet has); the cells it cannot read
    rejected with its reason."""
    frame, (codes, uniques) = data.frame, data.distinct(column)
    cells = pd.Series(pd.NA, frame.index, "string")  # given `distinct`, only its index is read
    parsed = parse(cells, **options,
                   distinct=(codes if rows is None else np.where(rows, codes, -1), uniques))
    data.reject(parsed.reason.notna().to_numpy(bool), column, parsed.reason, frame.get(column))
    return parsed


def numbers(
    data: FileInput, column: str, *, minimum: float | None = None, maximum: float | None = None,
    count_up_to: float | None = None, what: str = "value", ambiguous_as: str = "id",
    rows: np.ndarray | None = None,
) -> pd.Series:
    """Parse a number column (only `rows`, when given), its locale decided per file; reject
    unreadable values, values outside [minimum, maximum] (or below `minimum` when no maximum is
    given) and, in a count (`count_up_to`), values above it ('implausible count: above
    100,000': a magnitude no real unit has, such as an NIP pasted into the column; never cast
    to an integer), then fractions. A count reads '1,200' and '1.200' as 1200
    (`parse_numbers`' ambiguous_as 'grouping').
    Returns float values (NaN where missing or unreadable)."""
    ambiguous_as = "grouping" if count_up_to is not None else ambiguous_as
    values = _parsed(data, column, parse_numbers, rows, ambiguous_as=ambiguous_as,
                     groups=np.asarray(data.frame[FILE].cat.codes)).values
    raw, v = data.frame.get(column), values.to_numpy(dtype="float64", na_value=np.nan)
    if minimum is not None and maximum is not None:
        data.reject((v < minimum) | (v > maximum), column,
                    f"{what} outside {minimum:g}-{maximum:g}", raw)
    elif minimum is not None:
        word = "negative" if minimum == 0 else f"below {minimum:g}"
        data.reject(v < minimum, column, f"{word} {what}", raw)
    if count_up_to is not None:
        data.reject(v > count_up_to, column, f"implausible {what}: above {count_up_to:,.0f}", raw)
        with np.errstate(invalid="ignore"):  # NaN and infinities: not a fraction
            data.reject(v % 1 > 0, column, f"{what} is not a whole number", raw)
    return values


def dates(data: FileInput, column: str, reference_date: dt.date | None = None,
          rows: np.ndarray | None = None) -> pd.Series:
    """Parse a date column (only `rows`, when given; day or month first decided per file and
    counted as `dates_read_month_first:<column>`, a month without its day read as its first
    day and counted as `dates_month_only:<column>`); reject unreadable dates and, when
    `reference_date` is given, dates after it."""
    parsed = _parsed(data, column, parse_dates, rows, groups=np.asarray(data.frame[FILE].cat.codes))
    data.note(f"dates_read_month_first:{column}", parsed.month_first)
    data.note(f"dates_month_only:{column}", parsed.month_only)
    values = parsed.values
    if reference_date is not None:
        late = (values > pd.Timestamp(reference_date)).fillna(False).to_numpy(bool)
        data.reject(late, column, f"date after the reference date {reference_date.isoformat()}",
                    data.frame.get(column))
    return values


def periods(data: FileInput, column: str, freq: str, reference_date: dt.date) -> pd.Series:
    """Parse a period column into period_index (Int64); reject unreadable periods, periods that
    cannot be placed in the panel frequency, and periods starting after the reference date."""
    index = _parsed(data, column, parse_periods, freq=freq).values
    late = index > period_index(reference_date, freq)  # type: ignore[arg-type]
    data.reject(late.fillna(False).to_numpy(bool), column,
                f"period after the reference date {reference_date.isoformat()}",
                data.frame.get(column))
    return index
