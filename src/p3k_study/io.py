"""Reading raw files (CSV, XLSX, Parquet) into tables of text, keeping provenance.

Every cell stays text exactly as written (an NIP never becomes a float); empty cells are missing
(NA). Each table gets a `_row` column: the row number a user sees in a spreadsheet (CSV: record
number, header = 1 when it is the first line; XLSX: the real sheet row; Parquet: index + 2).

The header row is the first row that is at least half as wide as the widest of the first rows,
so title lines above the header ('DAFTAR PEGAWAI ... TAHUN 2023') are skipped. Rows that repeat the
header inside the data are dropped and listed in `RawSheet.dropped` with their row number, so
`rows_in = clean + rejected` can still be reconciled. Fully empty rows are not data and are not
counted. A row with a cell longer than a spreadsheet cell can hold (32,767 characters) is
dropped the same way, with a reason naming the column.

CSV: UTF-8 (with or without BOM), Windows-1252, a mix of the two line by line, or UTF-16 with a
BOM (Excel's 'Unicode text'). A quote opened and never closed would swallow the following lines
into one cell; when a cell spans lines and holds the separator, the file is read again with
quotes as plain text (one record per line), so no line vanishes. Plainly regular CSV text is
parsed by pyarrow.csv instead of Python's csv module, with the same result (`_read_csv_fast`).

XLSX is read with python-calamine (Rust): a merged range yields its value in the top-left cell
only; the other cells of the range are empty. Cached formula values are read; a formula never
calculated reads as empty. Excel error cells come through as written ('#REF!'). Whole files are
held in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import html
import re
import sys
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from p3k_study.aliases import ALIASES, FALLBACK_ALIASES
from p3k_study.errors import UnreadableFile

ROW_COLUMN = "_row"
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
SEPARATORS: tuple[str, ...] = (";", ",", "\t", "|")
SNIFF_LINES = 50
HEADER_SEARCH_ROWS = 30
CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
REPEATED_HEADER = "repeated header row"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell


@dataclass
class RawSheet:
    """One table read from a file.

    `frame`: str columns as in the header, plus `_row` (int); `header_row` / `first_data_row`:
    spreadsheet row numbers; `encoding` / `separator`: for CSV (encoding 'utf-8-sig', 'utf-8',
    'cp1252', 'mixed' or 'utf-16'); `fallback_rows`: rows of a mixed-encoding file that were
    not UTF-8; `dropped`: (row, reason) of data rows removed here (repeated headers, cells
    longer than a spreadsheet cell); `reason`: why a sheet
    holds no table (empty, no header), else None."""

    source_file: str
    sheet: str | None
    frame: pd.DataFrame
    header_row: int
    first_data_row: int
    encoding: str | None = None
    separator: str | None = None
    dropped: list[tuple[int, str]] = field(default_factory=list)
    fallback_rows: list[int] = field(default_factory=list)
    reason: str | None = None

    @property
    def rows_in(self) -> int:
        """Data rows the file holds: kept rows plus rows dropped here."""
        return len(self.frame) + len(self.dropped)


def read_table(path: Path | str) -> list[RawSheet]:
    """Read a CSV, XLSX or Parquet file into one RawSheet per table (per sheet for XLSX).

    Raises UnreadableFile for files that are not a table at all (empty, header only, binary,
    unknown type, corrupt workbook)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnreadableFile(path, "file not found")
    if suffix in CSV_SUFFIXES:
        return [_read_csv(path)]
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in PARQUET_SUFFIXES:
        return [_read_parquet(path)]
    if suffix == ".xls":
        raise UnreadableFile(path, "old Excel .xls format: save it as .xlsx")
    raise UnreadableFile(path, f"unsupported file type '{suffix}' (use .csv, .xlsx or .parquet)")


# --- shared: rows of text -> RawSheet --------------------------------------------------------


def _is_blank(cell: str | None) -> bool:
    return cell is None or cell.strip() == ""


def _header_key(cell: str | None) -> str:
    return "" if cell is None else re.sub(r"\s+", " ", cell).strip().lower()


def _find_header(rows: Sequence[tuple[int, list[str | None]]]) -> int | None:
    """Position (in `rows`) of the header: the first row at least half as wide as the widest
    of the first rows."""
    widths = [sum(not _is_blank(c) for c in cells) for _, cells in rows[:HEADER_SEARCH_ROWS]]
    if not widths or max(widths) == 0:
        return None
    need = max(1, (max(widths) + 1) // 2)
    return next(i for i, w in enumerate(widths) if w >= need)


def _column_names(header: list[str | None]) -> list[str]:
    """Header texts as column names: blanks become 'column_<n>', duplicates get ' (2)'."""
    names: list[str] = []
    seen: Counter[str] = Counter()
    for position, cell in enumerate(header, start=1):
        name = re.sub(r"\s+", " ", cell).strip() if not _is_blank(cell) else f"column_{position}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _build_sheet(
    path: Path,
    sheet: str | None,
    rows: list[tuple[int, list[str | None]]],
    **extra: object,
) -> RawSheet:
    """Rows (row number, cells) -> RawSheet: header found, repeated headers dropped, empty rows
    skipped, ragged rows padded (extra cells get 'column_<n>' names), columns without a header
    and without values dropped."""
    rows = [(n, cells) for n, cells in rows if not all(_is_blank(c) for c in cells)]
    position = _find_header(rows)
    if position is None:
        empty = pd.DataFrame({ROW_COLUMN: pd.Series([], dtype="int64")})
        return RawSheet(str(path), sheet, empty, 0, 0, reason="empty: no cells with values",
                        **extra)  # type: ignore[arg-type]
    header_row, header = rows[position]
    data = rows[position + 1:]
    width = max([_last_used(header), *(_last_used(cells) for _, cells in data)]) + 1
    header = (list(header) + [None] * width)[:width]
    header_keys = [_header_key(c) for c in header]
    first_key = header_keys[0]
    kept: list[list[str | None]] = []
    row_numbers: list[int] = []
    dropped: list[tuple[int, str]] = []
    for number, cells in data:
        if len(cells) != width:
            cells = (list(cells) + [None] * width)[:width]
        if _header_key(cells[0]) == first_key and [_header_key(c) for c in cells] == header_keys:
            dropped.append((number, REPEATED_HEADER))
            continue
        kept.append(cells)
        row_numbers.append(number)
    names = _column_names(header)
    if kept:
        frame = pd.DataFrame(kept, columns=names, dtype=object).astype("str")
        frame = frame.where(frame != "")
    else:
        frame = pd.DataFrame({name: pd.Series([], dtype="str") for name in names})
    unnamed_empty = [
        name for name, cell in zip(names, header, strict=True)
        if _is_blank(cell) and frame[name].isna().all()
    ]
    frame = frame.drop(columns=unnamed_empty)
    frame[ROW_COLUMN] = pd.Series(row_numbers, dtype="int64", index=frame.index)
    frame, too_long = _drop_overlong(frame)
    if too_long:
        dropped = sorted([*dropped, *too_long])
        row_numbers = frame[ROW_COLUMN].tolist()
        kept = kept if row_numbers else []
    first_data = row_numbers[0] if row_numbers else header_row + 1
    reason = None if kept else (
        f"no data rows: row {dropped[0][0]}: {dropped[0][1]}" if dropped
        else "header only, no data rows")
    return RawSheet(str(path), sheet, frame, header_row, first_data, dropped=dropped,
                    reason=reason, **extra)  # type: ignore[arg-type]


def _drop_overlong(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Rows with a cell longer than an Excel cell can hold are not data: (kept frame, dropped
    (row, reason) naming the column)."""
    bad = pd.Series(False, index=frame.index)
    reasons: dict[int, str] = {}
    for name in frame.columns:
        if name == ROW_COLUMN:
            continue
        long = (frame[name].str.len() > MAX_CELL_CHARS).fillna(False).astype(bool)
        for position in frame.index[long & ~bad]:
            length = len(frame.at[position, name])
            reasons[int(frame.at[position, ROW_COLUMN])] = (
                f"cell in column '{name}' is {length:,} characters long (more than the "
                f"{MAX_CELL_CHARS:,} a spreadsheet cell can hold): not a value")
        bad |= long
    if not bad.any():
        return frame, []
    return frame[~bad].reset_index(drop=True), sorted(reasons.items())


def _last_used(cells: Sequence[str | None]) -> int:
    """Position of the last non-blank cell (0 if none)."""
    for position in range(len(cells) - 1, -1, -1):
        if not _is_blank(cells[position]):
            return position
    return 0


# --- CSV -------------------------------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> tuple[list[str], str, set[int]]:
    """Bytes -> text lines (ends kept), the encoding, and the 1-based lines that needed the
    cp1252 fallback in a file mixing encodings."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8").splitlines(keepends=True), "utf-8-sig", set()
        except UnicodeDecodeError:
            raw = raw[3:]
    try:
        return raw.decode("utf-8").splitlines(keepends=True), "utf-8", set()
    except UnicodeDecodeError:
        pass
    lines: list[str] = []
    utf8_non_ascii: set[int] = set()
    fallback: set[int] = set()
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            text = chunk.decode("utf-8")
            if not chunk.isascii():
                utf8_non_ascii.add(number)
        except UnicodeDecodeError:
            text = chunk.decode("cp1252", errors="replace")
            fallback.add(number)
        lines.append(text + "\n")
    if lines:
        lines[-1] = lines[-1][:-1]
    if not utf8_non_ascii:
        return "".join(lines).splitlines(keepends=True), "cp1252", set()
    return lines, "mixed", fallback


def _decode_utf16(path: Path, raw: bytes) -> list[str]:
    """Excel's 'Unicode text' export: UTF-16 with a byte-order mark (usually tab-separated)."""
    try:
        text = raw.decode("utf-16")
    except UnicodeDecodeError as error:
        raise UnreadableFile(path, f"starts like UTF-16 text but does not decode ({error.reason} "
                             f"at byte {error.start})") from error
    if not text.strip():
        raise UnreadableFile(path, "empty file")
    if "\x00" in text:
        raise UnreadableFile(path, "binary content, not a text table")
    return text.splitlines(keepends=True)


_QUOTED = re.compile(r'"[^"]*("|$)')


def _count_outside_quotes(line: str, separator: str) -> int:
    return _QUOTED.sub("", line).count(separator) if '"' in line else line.count(separator)


def detect_separator(lines: Iterable[str]) -> str:
    """The separator among ';', ',', tab and '|' that splits the first non-empty lines into the
    same number of fields most consistently (counting outside quotes). ',' if none appears."""
    sample = [line for line in lines if line.strip()][:SNIFF_LINES]
    best, best_score = ",", (0.0, 0)
    for separator in SEPARATORS:
        counts = [_count_outside_quotes(line, separator) for line in sample]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode, _ = Counter(nonzero).most_common(1)[0]
        score = (sum(c == mode for c in counts) / len(counts), mode)
        if score > best_score:
            best, best_score = separator, score
    return best


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def _looks_binary(raw: bytes) -> str | None:
    head = raw[:8192]
    if head.startswith(b"PK\x03\x04"):
        return "this is a zip/Excel file, not CSV text (rename it to .xlsx?)"
    if head.startswith(b"PAR1"):
        return "this is a Parquet file, not CSV text"
    if b"\x00" in head:
        return "binary content, not a text table"
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if head and controls / len(head) > 0.05:
        return "binary content, not a text table"
    return None


def _unquote(cell: str) -> str:
    if len(cell) >= 2 and cell.startswith('"') and cell.endswith('"'):
        return cell[1:-1].replace('""', '"')
    return cell


def _parse_csv(
    lines: list[str], separator: str, fallback_lines: set[int], *, quoted: bool
) -> tuple[list[tuple[int, list[str | None]]], list[int], bool]:
    """Records as (record number, cells), the records holding fallback-decoded lines, and
    whether a stray quote swallowed line breaks and separators (a cell spanning lines that
    holds the separator: a quote opened and never closed on its line).

    With `quoted=False` every line is one record and quotes are text, except that a cell
    wholly inside quotes loses them; used when a stray quote was found, so no line vanishes."""
    csv.field_size_limit(CSV_FIELD_LIMIT)  # process-wide; the default (128 KiB) is too small
    if quoted:
        reader = csv.reader(lines, delimiter=separator, quotechar='"', doublequote=True,
                            strict=False)
    else:
        reader = csv.reader(lines, delimiter=separator, quoting=csv.QUOTE_NONE, strict=False)
    rows: list[tuple[int, list[str | None]]] = []
    fallback_rows: list[int] = []
    previous_line = 0
    for record_number, cells in enumerate(reader, start=1):
        if reader.line_num - previous_line > 1 and quoted and any(
            "\n" in cell and separator in cell for cell in cells
        ):
            return rows, fallback_rows, True
        rows.append((record_number, list(cells) if quoted else [_unquote(c) for c in cells]))
        if fallback_lines and any(
            line in fallback_lines for line in range(previous_line + 1, reader.line_num + 1)
        ):
            fallback_rows.append(record_number)
        previous_line = reader.line_num
    return rows, fallback_rows, False


def _read_csv(path: Path) -> RawSheet:
    raw = path.read_bytes()
    if raw.startswith(UTF16_BOMS):
        lines, encoding, fallback_lines = _decode_utf16(path, raw), "utf-16", set()
    else:
        if not raw or raw.isspace():  # `not raw.strip()` without copying the file
            raise UnreadableFile(path, "empty file")
        if why := _looks_binary(raw):
            raise UnreadableFile(path, why)
        lines, encoding, fallback_lines = _decode(path, raw)
    separator = detect_separator(lines[:SNIFF_LINES * 4])
    if FAST_CSV and encoding != "mixed" and not fallback_lines:
        fast = _read_csv_fast(path, lines, encoding, separator)
        if fast is not None:
            return fast
    return _read_csv_python(path, lines, encoding, separator, fallback_lines)


def _read_csv_python(path: Path, lines: list[str], encoding: str, separator: str,
                     fallback_lines: set[int]) -> RawSheet:
    """The general CSV path: Python's `csv` reader and `_build_sheet` (any file)."""
    try:
        rows, fallback_rows, stray = _parse_csv(lines, separator, fallback_lines, quoted=True)
        if stray:
            rows, fallback_rows, _ = _parse_csv(lines, separator, fallback_lines, quoted=False)
    except csv.Error as error:
        raise UnreadableFile(path, f"not a readable CSV table ({error})") from error
    sheet = _build_sheet(path, None, rows, encoding=encoding, separator=separator,
                         fallback_rows=fallback_rows)
    if sheet.reason is not None:
        raise UnreadableFile(path, sheet.reason)
    return sheet


FAST_CSV = True
"""Use `_read_csv_fast` when a file allows it (False: always the Python path)."""
_FAST_HEAD_LINES = 200
_ODD_CHARS = "\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff"


def _read_csv_fast(path: Path, lines: list[str], encoding: str, separator: str
                   ) -> RawSheet | None:
    """The same RawSheet as `_read_csv_python`, with pyarrow.csv and Arrow compute, or None
    when the file is not plainly regular (then the Python path decides everything).

    Why pyarrow rather than the `csv` module: on national data the `csv` reader plus the
    per-cell Python of `_build_sheet` cost ~45 s CPU; pyarrow parses in C++ straight into
    string columns (no type inference), and `_xlsx_sheet` does the header, blank-row and
    repeated-header rules per column. Used only when both parsers must agree: every quote
    opens and closes a whole cell on one line (so one record = one line), no line break other
    than LF / CRLF (Python's `splitlines` knows more), no NUL or BOM inside, no line longer
    than a spreadsheet cell, the same field count on every line from the header on, and the
    header found in the first lines reproduced. Row numbers are line numbers (blank lines,
    which pyarrow skips, still count)."""
    import pyarrow.csv as pacsv

    text = "".join(lines)
    if any(c in text for c in _ODD_CHARS) or (
            "\r" in text and text.count("\r") != text.count("\r\n")):
        return None
    if '"' in text:  # only lines with a quote are searched (a match never spans lines)
        cell = re.escape(separator)
        quoted = re.compile(f'(?:^|(?<={cell}))"(?:[^"\r\n]|"")*"(?={cell}|\r?$)', re.M)
        if '"' in quoted.sub("", "".join([line for line in lines if '"' in line])):
            return None
    head = lines[:_FAST_HEAD_LINES]
    rows, _, stray = _parse_csv(head, separator, set(), quoted=True)
    if stray or len(rows) != len(head):
        return None
    filled = [(n, cells) for n, cells in rows if "".join(cells).strip()]  # not all blank
    if len(filled) < HEADER_SEARCH_ROWS and len(lines) > len(head):
        return None
    position = _find_header(filled)
    if position is None:
        return None
    header_line, header = filled[position]
    if not _header_key(header[0]).isascii():  # Arrow's case folding may differ from Python's
        return None
    data = text[sum(map(len, lines[:header_line - 1])):].encode("utf-8")
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == 10)
    if len(ends) == 0 or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts
    if lengths.max() > MAX_CELL_CHARS:
        return None
    crlf = lengths == 1
    crlf[crlf] = buffer[starts[crlf]] == 13
    numbers = np.flatnonzero((lengths > 0) & ~crlf) + header_line
    names = [f"f{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=separator, quote_char='"',
                                             double_quote=True, escape_char=False,
                                             newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != len(numbers) or not table.num_rows:
        return None
    cells = pa.concat_arrays([chunk for column in table.columns for chunk in column.chunks])
    sheet = _xlsx_sheet(path, None, cells, table.num_rows, table.num_columns, numbers,
                        encoding=encoding, separator=separator, fallback_rows=[])
    if sheet.reason is not None or sheet.header_row != header_line:
        return None
    return sheet


# --- XLSX ------------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """A spreadsheet cell value as text: dates 'YYYY-MM-DD' (with ' HH:MM:SS' if not midnight),
    whole numbers without '.0' (up to 15 digits, beyond that the float repr shows the damage),
    other floats by repr, booleans 'TRUE'/'FALSE', error cells as written ('#REF!')."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path) -> list[RawSheet]:
    """Every worksheet (chart sheets skipped) as a RawSheet, read with python-calamine.

    calamine gives cached formula values, the value of a merged range in its top-left cell only,
    dates as date/datetime; cells it cannot give as written come from `_xlsx_exact_cells`."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        exact = _xlsx_exact_cells(path)
    except (CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(path, f"not a readable Excel workbook ({error})") from error
    sheets = []
    try:
        for name in names:
            try:
                values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except CalamineError as error:
                raise UnreadableFile(path, f"not a readable Excel workbook (sheet {name}: "
                                     f"{error})") from error
            sheets.append(_xlsx_sheet(path, name, *_xlsx_columns(values, exact.get(name, {}))))
    finally:
        workbook.close()
    if all(sheet.reason is not None and sheet.reason.startswith("empty") for sheet in sheets):
        raise UnreadableFile(path, "the workbook has no cells with values")
    return sheets


PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000")
"""The characters Python's `str.strip()` removes (so blank cells match `_is_blank`)."""


def _xlsx_columns(
    values: list[list[object]], exact: Mapping[tuple[int, int], str]
) -> tuple[pa.Array, int, int]:
    """calamine's cells (from A1) -> (cells, rows, width): every cell as text ('' = empty) in
    one Arrow large_string array, column after column, exact cells written over."""
    n_rows = max(len(values), max((r + 1 for r, _ in exact), default=0))
    lengths = set(map(len, values))
    width = max(max(lengths, default=0), max((c + 1 for _, c in exact), default=0))
    if not n_rows or not width:
        return pa.array([], type=pa.large_string()), n_rows, width
    if n_rows == len(values) and lengths == {width}:
        cells: Iterable[object] = chain.from_iterable(values)
    else:
        pad = [""] * width
        cells = chain.from_iterable(chain(
            ([*row, *pad[len(row):]] for row in values), repeat(pad, n_rows - len(values))))
    flat = np.fromiter(cells, dtype=object, count=n_rows * width)
    for (r, c), text in exact.items():
        flat[r * width + c] = text
    by_column = np.arange(n_rows * width).reshape(n_rows, width).T.ravel()
    return _text_cells(flat, by_column, n_rows), n_rows, width


_CELL_KINDS: dict[type, int] = {str: 0, float: 1, type(None): 3}  # anything else: 2


def _text_cells(flat: np.ndarray, order: np.ndarray, n_rows: int) -> pa.Array:
    """Cells (Python values) -> `flat[order]` as text in one Arrow large_string array, the
    whole sheet at once (a few Arrow calls per sheet, not per column).

    Hand-written rather than `cell_text` per cell because that Python loop dominated reading:
    text cells go to Arrow as they are, whole floats become digits by Arrow's integer cast
    (the text `cell_text` gives), other floats and other values go through `cell_text` once
    per distinct value; one `take` puts the pieces in place. A sheet holding a None cell is
    converted column by column by `_text_column` (a column of text and None keeps None as
    missing there)."""
    import pyarrow.compute as pc

    kinds = np.fromiter(map(_CELL_KINDS.get, map(type, flat), repeat(2)), dtype=np.int8,
                        count=len(flat))
    if (kinds == 3).any():
        columns = [_text_column(flat[order[j:j + n_rows]]) for j in range(0, len(order), n_rows)]
        return pc.cast(pa.concat_arrays(columns), pa.large_string())
    if (kinds == 0).all():
        return pa.array(flat[order], type=pa.large_string())
    where = [np.flatnonzero(kinds == 0)]
    parts = [pa.array(flat[where[0]], type=pa.large_string())]
    at = np.flatnonzero(kinds == 1)
    if len(at):
        numbers = flat[at].astype("float64")
        whole = (np.abs(numbers) < 1e15) & (np.floor(numbers) == numbers)
        where.append(at[whole])
        parts.append(pc.cast(pa.array(numbers[whole].astype("int64")), pa.large_string()))
        if not whole.all():
            distinct, inverse = np.unique(numbers[~whole], return_inverse=True)
            texts = pa.array([cell_text(v) or "" for v in distinct.tolist()],
                             type=pa.large_string())
            where.append(at[~whole])
            parts.append(texts.take(pa.array(inverse.ravel())))
    at = np.flatnonzero(kinds == 2)
    if len(at):
        found = flat[at]
        distinct_values = {(type(v), v): v for v in found}
        done = {key: cell_text(v) or "" for key, v in distinct_values.items()}
        where.append(at)
        parts.append(pa.array([done[(type(v), v)] for v in found], type=pa.large_string()))
    position = np.empty(len(flat), dtype="int64")
    position[np.concatenate(where)] = np.arange(len(flat))
    return pa.concat_arrays(parts).take(pa.array(position[order]))


def _text_column(column: np.ndarray) -> pa.Array:
    """One column of cells -> Arrow strings (used for sheets holding None cells)."""
    try:
        return pa.array(column, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    types = np.fromiter(map(type, column), dtype=object, count=len(column))
    kinds = np.equal(types, float).astype(bool)
    other = np.not_equal(types, str).astype(bool)
    column = column.copy()
    if kinds.any():  # floats (the usual number cells): texts per distinct value, by Arrow
        encoded = pa.array(column[kinds].astype("float64")).dictionary_encode()
        texts = np.array([cell_text(v) or "" for v in encoded.dictionary.to_pylist()],
                         dtype=object)
        column[kinds] = texts[encoded.indices.to_numpy()]
    rest = other & ~kinds
    if rest.any():
        found = column[rest]
        distinct = {(type(v), v): v for v in found}
        done = {key: cell_text(v) or "" for key, v in distinct.items()}
        column[rest] = [done[(type(v), v)] for v in found]
    return pa.array(column, type=pa.string())


def _empty_sheet(path: Path, name: str | None, **extra: object) -> RawSheet:
    """The RawSheet of a sheet without any cell holding a value."""
    empty = pd.DataFrame({ROW_COLUMN: pd.Series([], dtype="int64")})
    return RawSheet(str(path), name, empty, 0, 0, reason="empty: no cells with values",
                    **extra)  # type: ignore[arg-type]


def _xlsx_sheet(path: Path, name: str | None, cells: pa.Array, n_rows: int, width: int,
                numbers: np.ndarray | None = None, **extra: object) -> RawSheet:
    """A sheet's cells (text, large_string, column after column; `n_rows` per column) ->
    RawSheet, by the rules of `_build_sheet` (header found, repeated headers dropped, empty
    rows skipped, columns without a header and without values dropped), with the per-cell
    work done by Arrow on the whole sheet at once. `numbers`: the row number of each position
    (default position + 1); `extra`: RawSheet fields (CSV fast path).

    The pandas columns are built as `ArrowStringArray` slices of one Arrow array rather than
    by `pd.array(..., dtype="str")`, which resolves the dtype by name and casts each column
    again (~15x slower; the same array and dtype come out)."""
    from pandas.arrays import ArrowStringArray

    if not n_rows or not width:
        return _empty_sheet(path, name, **extra)
    if numbers is None:
        numbers = np.arange(1, n_rows + 1, dtype="int64")
    blank = _blank_cells(cells).reshape(width, n_rows).T
    kept_rows = np.flatnonzero(~blank.all(axis=1))
    blank = blank[kept_rows]
    widths = (~blank[:HEADER_SEARCH_ROWS]).sum(axis=1)
    if not len(widths) or widths.max() == 0:
        return _empty_sheet(path, name, **extra)
    position = int(np.argmax(widths >= max(1, (int(widths.max()) + 1) // 2)))
    width = int(np.flatnonzero((~blank[position:]).any(axis=0)).max()) + 1
    header_index = int(kept_rows[position])
    header_row = int(numbers[header_index])
    header = [str(c) for c in cells.take(pa.array(np.arange(width) * n_rows + header_index))]
    rows = kept_rows[position + 1:]
    repeated = _repeated_header(cells, n_rows, width, rows, header)
    dropped = [(int(numbers[r]), REPEATED_HEADER) for r in rows[repeated]]
    rows = rows[~repeated]
    names = _column_names(header)  # type: ignore[arg-type]
    m = len(rows)
    if m and rows[-1] - rows[0] + 1 == m:  # consecutive rows: slices of the cells
        source, step, start = cells, n_rows, int(rows[0])
    else:
        source, step, start = cells.take(pa.array(
            (np.arange(width)[:, None] * n_rows + rows[None, :]).ravel())), m, 0
    kept = _empty_as_null(source)
    parts = {n: kept.slice(j * step + start, m) for j, n in enumerate(names)}
    for n, cell in zip(names, header, strict=True):
        if _is_blank(cell) and n in parts and parts[n].null_count == m:
            del parts[n]
    try:
        dtype = pd.StringDtype.construct_from_string("str")
    except TypeError:
        dtype = pd.api.types.pandas_dtype("str")
    data: dict[str, object] = {
        n: ArrowStringArray(p, dtype=dtype)
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
        else pd.array(p, dtype=dtype) for n, p in parts.items()}
    data[ROW_COLUMN] = np.asarray(numbers[rows], dtype="int64")
    frame = pd.DataFrame(data)
    first_data = int(numbers[rows[0]]) if m else header_row + 1
    reason = None if m else "header only, no data rows"
    return RawSheet(str(path), name, frame, header_row, first_data, dropped=dropped,
                    reason=reason, **extra)  # type: ignore[arg-type]


_WHITESPACE_LEADS = np.zeros(256, dtype=bool)
_WHITESPACE_LEADS[[c.encode()[0] for c in PY_WHITESPACE]] = True
"""First UTF-8 bytes of the `PY_WHITESPACE` characters."""


def _blank_cells(cells: pa.Array) -> np.ndarray:
    """Per cell (large_string): empty or only whitespace, as `_is_blank`.

    Hand-written rather than `utf8_trim` on every cell, which copies every string to find the
    few blank ones: a cell can be blank only if it is empty (equal offsets) or its first byte
    starts a whitespace character, and only those few are checked (by `str.strip`)."""
    import pyarrow.compute as pc

    _, offsets, data = cells.buffers()
    if cells.offset or cells.null_count:
        return pc.equal(pc.utf8_trim(cells, characters=PY_WHITESPACE), "").to_numpy(
            zero_copy_only=False)
    ends = np.frombuffer(offsets, dtype=np.int64, count=len(cells) + 1)
    blank = ends[1:] == ends[:-1]
    if data is None or not data.size:
        return blank
    first = np.frombuffer(data, dtype=np.uint8)[np.minimum(ends[:-1], data.size - 1)]
    maybe = np.flatnonzero(_WHITESPACE_LEADS[first] & ~blank)
    if len(maybe):
        blank[maybe] = [not c.strip() for c in cells.take(pa.array(maybe)).to_pylist()]
    return blank


def _empty_as_null(cells: pa.Array) -> pa.Array:
    """The cells (large_string) with '' as missing.

    Hand-written rather than `pc.if_else(pc.equal(cells, ""), None, cells)`, which copies every
    string: an empty string has equal offsets, so a validity bitmap from the offsets over the
    same buffers gives the same array without copying (Arrow's way when the cells are sliced
    or already hold nulls)."""
    import pyarrow.compute as pc

    _, offsets, data = cells.buffers()
    if cells.offset or cells.null_count or data is None:
        return pc.if_else(pc.equal(cells, ""), None, cells)
    ends = np.frombuffer(offsets, dtype=np.int64, count=len(cells) + 1)
    valid = ends[1:] != ends[:-1]
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.large_string(), len(cells), [bitmap, offsets, data],
                                 null_count=len(cells) - int(np.count_nonzero(valid)))


_CASE_FOLD_SPLIT = 1000


def _contains_ignore_case(cells: pa.Array, word: str) -> pa.Array:
    """`pc.match_substring(cells, word, ignore_case=True)` for a lower-case ASCII word, run only
    on the cells that may hold it.

    Hand-written because Arrow's case-insensitive search (RE2) costs ~5x a plain one on a long
    column. On an ASCII cell it is the plain search in the ASCII-lower-cased cell; a cell with
    other characters (which RE2 may fold onto ASCII, like the Kelvin sign) is searched by
    Arrow's own case-insensitive search, as every other cell that may match."""
    import pyarrow.compute as pc

    maybe = pc.or_(pc.invert(pc.string_is_ascii(cells)),
                   pc.match_substring(pc.ascii_lower(cells), word)).to_numpy(zero_copy_only=False)
    out = np.zeros(len(cells), dtype=bool)
    at = np.flatnonzero(maybe)
    if len(at):
        out[at] = pc.match_substring(cells.take(pa.array(at)), word, ignore_case=True).to_numpy(
            zero_copy_only=False)
    return pa.array(out)


def _repeated_header(cells: pa.Array, n_rows: int, width: int, rows: np.ndarray,
                     header: list[str]) -> np.ndarray:
    """Per row in `rows`: every cell equals the header cell, by `_header_key`. Arrow narrows the
    rows down (first cell containing the header's longest word); Python decides."""
    import pyarrow.compute as pc

    out = np.zeros(len(rows), dtype=bool)
    keys = [_header_key(c) for c in header]
    if not len(rows) or not width:
        return out
    first = cells.slice(0, n_rows)
    word = max(keys[0].split(" "), key=len)
    if word and word.isascii() and n_rows > _CASE_FOLD_SPLIT:
        maybe = _contains_ignore_case(first, word)
    elif word:
        maybe = pc.match_substring(first, word, ignore_case=True)
    else:
        maybe = pc.equal(pc.utf8_trim(first, characters=PY_WHITESPACE), "")
    found = np.flatnonzero(maybe.to_numpy(zero_copy_only=False)[rows])
    if not len(found):
        return out
    texts = cells.take(pa.array(
        (rows[found][:, None] + np.arange(width)[None, :] * n_rows).ravel())).to_pylist()
    for k, i in enumerate(found):
        out[i] = [_header_key(c) for c in texts[k * width:(k + 1) * width]] == keys
    return out


_XLSX_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XLSX_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_LONG_NUMBER = re.compile(rb"<v>-?\d{16,}</v>")
_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(?:<f\b[^>]*(?:/>|>[^<]*</f>))?<v>([^<]*)</v>')
_LONG_NUMBER_CELL = re.compile(rb'<c\b([^>]*)>(?:<f\b[^>]*(?:/>|>[^<]*</f>))?<v>(-?\d{16,})</v>')
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def _xlsx_exact_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Cells calamine cannot give as written, per sheet name: {(row, column): text}, 0-based.

    Excel error cells ('#REF!', '#N/A', ...), which calamine drops, and numbers stored with 16 or
    more digits (an NIP written by a program, not by Excel), which a float would change. Sheet
    XML is searched only when a quick scan finds such a cell."""
    from xml.etree import ElementTree

    out: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): str(r.get("Target")) for r in rels}
        for sheet in workbook.iter(f"{_XLSX_MAIN}sheet"):
            target = targets.get(sheet.get(_XLSX_REL))
            if target is None:
                continue
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                xml = archive.read(part)
            except KeyError:
                continue
            patterns = [pattern for pattern, found in (
                (_ERROR_CELL, b't="e"' in xml), (_LONG_NUMBER_CELL, _LONG_NUMBER.search(xml)))
                if found]
            if patterns:
                out[str(sheet.get("name"))] = _exact_cells(xml, patterns)
    return out


def _exact_cells(xml: bytes, patterns: Sequence[re.Pattern[bytes]]
                 ) -> dict[tuple[int, int], str]:
    cells: dict[tuple[int, int], str] = {}
    for pattern in patterns:
        for attributes, value in _find_cells(xml, pattern):
            ref = _CELL_REF.search(attributes)
            if ref is None:
                continue
            column = 0
            for letter in ref.group(1):
                column = column * 26 + letter - 64
            cells[(int(ref.group(2)) - 1, column - 1)] = html.unescape(value.decode())
    return cells


def _find_cells(xml: bytes, pattern: re.Pattern[bytes]) -> list[tuple[bytes, bytes]]:
    """`pattern.findall(xml)` for `_ERROR_CELL` or `_LONG_NUMBER_CELL`, trying the pattern only
    at the cells next to an anchor.

    Hand-written because `findall` tries the pattern at every cell of the sheet (~3 ms a sheet
    for one or two error cells). Every match holds an anchor (`t="e"` in its tag; a `<v>` of 16
    or more digits) and starts at a '<c' after the last '>' before it (error cell) or after the
    4th '>' before it (long number: the tag and a formula hold at most three); those are tried
    in order from the end of the previous match, so the matches are findall's."""
    if pattern is _ERROR_CELL:
        anchors, skip = [m.start() for m in re.finditer(rb't="e"', xml)], 1
    else:
        anchors, skip = [m.start() for m in _LONG_NUMBER.finditer(xml)], 4
    found: list[tuple[bytes, bytes]] = []
    end = 0
    for anchor in anchors:
        if anchor < end:
            continue
        low = anchor
        for _ in range(skip):
            low = xml.rfind(b">", 0, low)
            if low < 0:
                break
        start = max(end, low + 1)
        while (start := xml.find(b"<c", start, anchor)) >= 0:
            if match := pattern.match(xml, start):
                found.append(match.groups())  # type: ignore[arg-type]
                end = match.end()
                break
            start += 1
    return found


# --- Parquet ---------------------------------------------------------------------------------


def _read_parquet(path: Path) -> RawSheet:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise UnreadableFile(path, f"not a readable Parquet file ({error})") from error
    columns = {}
    for name in table.column_names:
        if re.fullmatch(r"__index_level_\d+__", name):
            continue
        column = table.column(name)
        try:
            text = pc.cast(column, pa.string())
            columns[name] = pd.Series(text.to_pandas(), dtype="str")
        except (pa.ArrowException, ValueError):
            values = column.to_pylist()
            columns[name] = pd.Series([cell_text(v) for v in values], dtype=object).astype("str")
    if not columns:
        raise UnreadableFile(path, "no columns")
    frame = pd.DataFrame(columns)
    frame = frame.where(frame != "", None).astype("str")
    if frame.empty:
        raise UnreadableFile(path, "header only, no data rows")
    frame[ROW_COLUMN] = pd.RangeIndex(2, len(frame) + 2).to_numpy(dtype="int64")
    return RawSheet(str(path), None, frame, header_row=1, first_data_row=2)


# --- headers ---------------------------------------------------------------------------------


def header_key(name: object) -> str:
    """Matching key of a header: lower case, accents and every non-alphanumeric removed
    ('Kab./Kota' -> 'kabkota', 'TMT_Pengangkatan' -> 'tmtpengangkatan')."""
    return _text_key(str(name))


@functools.lru_cache(maxsize=65_536)
def _text_key(text: str) -> str:
    """`header_key` of a text; cached: every header is matched against every alias."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


_ELEMENT_PREFIX = re.compile(r"^u[1-9](?=[a-z])")


def canonicalise_headers(
    frame: pd.DataFrame,
    aliases: Mapping[str, Sequence[str]],
    *,
    fallback: Collection[str] = (),
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename columns to canonical names through `aliases` ({canonical: [alias, ...]}).

    Matching ignores case, accents, spaces and punctuation. Precedence when several columns
    match one canonical name: the canonical name itself, then aliases in listed order, then a
    column whose name follows an element number ('U8 Sarana' is matched by 'sarana': the name
    wins over the number), then `fallback` aliases, which count only if no column matched by
    any other way to a canonical name that has fallback aliases. An unmatched column already
    named like a canonical target is renamed '<name> (unused)'. Later duplicates and unknown
    columns keep their names. Returns the renamed frame and {original: canonical}."""
    names, mapping = canonical_names(list(frame.columns), aliases, fallback=fallback)
    renamed = frame.copy(deep=False)
    renamed.columns = names
    return renamed, mapping


def canonical_names(
    columns: Sequence[object],
    aliases: Mapping[str, Sequence[str]],
    *,
    fallback: Collection[str] = (),
) -> tuple[list[object], dict[str, str]]:
    """`canonicalise_headers` on a list of column names: (the new names, {original:
    canonical})."""
    lookup, fallback_keys, fallback_targets = _alias_lookup(
        tuple((canonical, tuple(names)) for canonical, names in aliases.items()),
        frozenset(fallback))
    candidates: dict[str, list[tuple[int, int, str]]] = {}
    matched_by_name = False
    for position, column in enumerate(columns):
        if column == ROW_COLUMN:
            continue
        key = header_key(column)
        tier, hit = 0, lookup.get(key)
        if hit is None and (prefix := _ELEMENT_PREFIX.match(key)):
            tier, hit = 1, lookup.get(key[prefix.end():])
        if hit is None:
            continue
        canonical, rank = hit
        if key in fallback_keys:
            tier = 2
        elif canonical in fallback_targets:
            matched_by_name = True
        candidates.setdefault(canonical, []).append((tier, rank * 10_000 + position, column))

    mapping: dict[str, str] = {}
    for canonical, options in candidates.items():
        usable = [o for o in options if o[0] < 2 or not matched_by_name]
        if usable:
            mapping[min(usable)[2]] = canonical
    taken = set(mapping.values())
    clashes = {c: f"{c} (unused)" for c in columns if c in taken and c not in mapping}
    renames = {**clashes, **mapping}
    return [renames.get(c, c) for c in columns], mapping  # type: ignore[call-overload]


@functools.lru_cache(maxsize=64)
def _alias_lookup(aliases: tuple[tuple[str, tuple[str, ...]], ...], fallback: frozenset[str]
                  ) -> tuple[dict[str, tuple[str, int]], set[str], set[str]]:
    """{header key: (canonical, rank)}, the fallback keys and the canonical names that have
    fallback aliases (worked out once per alias table)."""
    fallback_keys = {header_key(a) for a in fallback}
    lookup: dict[str, tuple[str, int]] = {}
    fallback_targets: set[str] = set()
    for canonical, names in aliases:
        for rank, name in enumerate([canonical, *names]):
            lookup.setdefault(header_key(name), (canonical, rank))
            if header_key(name) in fallback_keys:
                fallback_targets.add(canonical)
    return lookup, fallback_keys, fallback_targets


def canonicalise(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """`canonicalise_headers` with the alias table and fallback aliases of a table kind
    ('pegawai', 'jumlah_pegawai', 'skm', 'ikm', 'kinerja')."""
    return canonicalise_headers(frame, ALIASES[kind], fallback=FALLBACK_ALIASES.get(kind, ()))
