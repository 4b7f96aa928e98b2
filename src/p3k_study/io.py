"""Reading raw files (CSV, XLSX, Parquet) into tables of text, keeping provenance.

Every cell stays text exactly as written (an NIP never becomes a float); empty cells are missing
(NA). Each table gets a `_row` column: the row number a user sees in a spreadsheet (CSV: record
number, header = 1 when it is the first line; XLSX: the real sheet row; Parquet: index + 2).

The header row is the first row that is at least half as wide as the widest of the first rows,
so title lines above the header ('DAFTAR PEGAWAI ... TAHUN 2023') are skipped. Rows that repeat the
header inside the data are dropped and listed in `RawSheet.dropped` with their row number, so
`rows_in = clean + rejected` can still be reconciled. Fully empty rows are not data and are not
counted.

XLSX is read with openpyxl in read-only mode: a merged range yields its value in the top-left
cell only; the other cells of the range are empty. Cached formula values are read
(`data_only=True`); a formula never calculated reads as empty. Whole files are held in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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


@dataclass
class RawSheet:
    """One table read from a file.

    `frame`: str columns as in the header, plus `_row` (int); `header_row` / `first_data_row`:
    spreadsheet row numbers; `encoding` / `separator`: for CSV (encoding 'utf-8-sig', 'utf-8',
    'cp1252' or 'mixed'); `fallback_rows`: rows of a mixed-encoding file that were not UTF-8;
    `dropped`: (row, reason) of data rows removed here (repeated headers); `reason`: why a sheet
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
    first_data = row_numbers[0] if row_numbers else header_row + 1
    reason = None if kept else "header only, no data rows"
    return RawSheet(str(path), sheet, frame, header_row, first_data, dropped=dropped,
                    reason=reason, **extra)  # type: ignore[arg-type]


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


_QUOTED = re.compile(r'"[^"]*("|$)')


def _count_outside_quotes(line: str, separator: str) -> int:
    return _QUOTED.sub("", line).count(separator)


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


def _looks_binary(raw: bytes) -> str | None:
    head = raw[:8192]
    if head.startswith(b"PK\x03\x04"):
        return "this is a zip/Excel file, not CSV text (rename it to .xlsx?)"
    if head.startswith(b"PAR1"):
        return "this is a Parquet file, not CSV text"
    if b"\x00" in head:
        return "binary content, not a text table"
    controls = sum(b < 9 or 13 < b < 32 for b in head)
    if head and controls / len(head) > 0.05:
        return "binary content, not a text table"
    return None


def _read_csv(path: Path) -> RawSheet:
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableFile(path, "empty file")
    if why := _looks_binary(raw):
        raise UnreadableFile(path, why)
    lines, encoding, fallback_lines = _decode(path, raw)
    separator = detect_separator(lines[:SNIFF_LINES * 4])
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(lines, delimiter=separator, quotechar='"', doublequote=True,
                        strict=False)
    rows: list[tuple[int, list[str | None]]] = []
    fallback_rows: list[int] = []
    previous_line = 0
    try:
        for record_number, cells in enumerate(reader, start=1):
            rows.append((record_number, list(cells)))
            if fallback_lines and any(
                line in fallback_lines for line in range(previous_line + 1, reader.line_num + 1)
            ):
                fallback_rows.append(record_number)
            previous_line = reader.line_num
    except csv.Error as error:
        raise UnreadableFile(path, f"not a readable CSV table ({error})") from error
    sheet = _build_sheet(path, None, rows, encoding=encoding, separator=separator,
                         fallback_rows=fallback_rows)
    if sheet.reason is not None:
        raise UnreadableFile(path, sheet.reason)
    return sheet


# --- XLSX ------------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """An openpyxl cell value as text: dates 'YYYY-MM-DD' (with ' HH:MM:SS' if not midnight),
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
    import openpyxl  # local: importing openpyxl costs time for CSV-only runs

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(path, f"not a readable Excel workbook ({error})") from error
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            if hasattr(worksheet, "reset_dimensions"):
                worksheet.reset_dimensions()  # stored dimensions are often wrong
            rows = [
                (number, [cell_text(v) for v in values])
                for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True),
                                                start=1)
            ]
            sheets.append(_build_sheet(path, worksheet.title, rows))
    finally:
        workbook.close()
    if all(sheet.reason is not None and sheet.reason.startswith("empty") for sheet in sheets):
        raise UnreadableFile(path, "the workbook has no cells with values")
    return sheets


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
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
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
    fallback_keys = {header_key(a) for a in fallback}
    lookup: dict[str, tuple[str, int]] = {}
    fallback_targets: set[str] = set()
    for canonical, names in aliases.items():
        for rank, name in enumerate([canonical, *names]):
            lookup.setdefault(header_key(name), (canonical, rank))
            if header_key(name) in fallback_keys:
                fallback_targets.add(canonical)

    candidates: dict[str, list[tuple[int, int, str]]] = {}
    matched_by_name = False
    for position, column in enumerate(frame.columns):
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
    clashes = {c: f"{c} (unused)" for c in frame.columns if c in taken and c not in mapping}
    renamed = frame.rename(columns={**clashes, **mapping})
    return renamed, mapping


def canonicalise(frame: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """`canonicalise_headers` with the alias table and fallback aliases of a table kind
    ('pegawai', 'jumlah_pegawai', 'skm', 'ikm', 'kinerja')."""
    return canonicalise_headers(frame, ALIASES[kind], fallback=FALLBACK_ALIASES.get(kind, ()))
