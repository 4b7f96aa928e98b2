"""The sheet rules, one implementation for every format: a grid of text cells -> `RawSheet`.

CSV, XLSX and Parquet readers each turn a file into an Arrow table of text columns (an empty
cell null), and `build_sheet` applies the rules:

- Fully empty rows (every cell empty or white space) are not data and are not counted.
- The header row is the first row at least half as wide as the widest of the first 30 rows with
  a value, so title lines above it ('DAFTAR PEGAWAI ... TAHUN 2023') are skipped.
- Header texts become column names (white space collapsed); a blank header cell gives
  'column_<n>', a repeated name ' (2)'. A column without a header and without values is dropped.
- A data row that repeats the header (every cell equal up to case and spacing) is dropped; so
  is a first data row that numbers the named columns ('1', '2', '3', ... or '(1)', '(2)', ...,
  one per column with a header, at least three), as government tables print under the header;
  so is a row with a value in its row-number column ('No', 'Nomor', 'No. Urut') only, and, in
  a table of three or more named columns, a row with one cell filled (a group label, a note, the
  lines of a signature block under the table: 'Kepala Dinas', a name, 'NIP. ...'). These rules
  see a row's own cells, not those a merged range fills: a template's ranges often run on over
  the signature block, whose 'NIP. ...' line would otherwise become an employee. A one-cell row
  just under the header may be a row of sub-headers: it is left to `clean.common`
  (`RawSheet.first_row_one_cell`).
- A data row with a cell longer than a spreadsheet cell can hold (32,767 characters) is dropped,
  with a reason naming the column.
- A workbook's merged range below the header (a unit's name merged over its staff, over one
  column or several) gives its value to every data row it covers, in its first column, as the
  sheet shows it; the cells so
  filled are counted per column (`RawSheet.filled`).
- Dropped rows are listed in `RawSheet.dropped` with their row number, so `rows_in = clean +
  rejected` can still be reconciled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from p3k_study.read.headers import ROW_COLUMN, header_key, vocabulary

HEADER_SEARCH_ROWS = 30
REPEATED_HEADER = "repeated header row"
COLUMN_NUMBERS = "row of column numbers under the header"
NUMBERED_EMPTY_ROW = "empty row but for its number"
ONE_CELL_ROW = "one cell filled: a label, note or signature, not a data row"
ROW_NUMBER_HEADERS = tuple(map(header_key, vocabulary()["row_number"]["row"]))  # aliases.csv
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell


@dataclass
class RawSheet:
    """One table read from a file.

    `frame`: str columns as in the header (empty cells missing), plus `_row` (int: the row
    number a user sees, CSV: the record number); `header_row`: the header's row number;
    `encoding` / `separator`: for CSV (encoding 'utf-8-sig', 'utf-8', 'cp1252', 'mixed' or
    'utf-16'); `dropped`: (row, reason) of data rows removed here (by the module docstring's
    rules); `reason`: why a sheet holds no table (empty, no data rows), else None."""

    source_file: str
    sheet: str | None
    frame: pd.DataFrame
    header_row: int
    encoding: str | None = None
    separator: str | None = None
    dropped: list[tuple[int, str]] = field(default_factory=list)
    reason: str | None = None
    given: tuple[str, ...] = ()
    """Columns dataset.json gives the file (`clean.common.with_columns`), not read from it."""
    filled: dict[str, int] = field(default_factory=dict)
    """Per column, the cells of kept rows that took the value of a merged range above them."""
    first_row_one_cell: bool = False
    """The first data row has one cell filled (`ONE_CELL_ROW`) and is kept: a row of sub-headers
    may be so (`clean.common._with_sub_headers` decides, and drops it when it is not one)."""

    @property
    def rows_in(self) -> int:
        """Data rows the file holds: kept rows plus rows dropped here."""
        return len(self.frame) + len(self.dropped)


def build_sheet(path: Path, name: str | None, table: pa.Table,
                merged: Sequence[tuple[int, int, int]] = (), **extra: object) -> RawSheet:
    """A grid of text cells -> RawSheet, by the rules of the module docstring.

    `table`: one large_string column per grid column (names unused), an empty cell null; the row
    at position i is row number i + 1. `merged`: (first column, first row, last row) of the
    merged ranges, 0-based. `extra`: RawSheet fields (`encoding`, `separator`)."""
    cells = grid_cells(table)
    # (column, row); Arrow's is_space is Python's str.isspace, at every code point
    blank = pc.fill_null(pc.utf8_is_space(cells), True).to_numpy().reshape(
        table.num_columns, table.num_rows)
    filled = np.flatnonzero(~blank.all(axis=0))
    if not len(filled):  # no cell with a value (or no cells)
        empty = pd.DataFrame({ROW_COLUMN: pd.Series([], dtype="int64")})
        return RawSheet(str(path), name, empty, 0, reason="empty: no cells with values",
                        **extra)  # type: ignore[arg-type]
    widths = (~blank[:, filled[:HEADER_SEARCH_ROWS]]).sum(axis=0)
    position = int(np.argmax(widths >= (int(widths.max()) + 1) // 2))
    header_at = int(filled[position])
    width = int(np.flatnonzero(~blank[:, header_at:].all(axis=1)).max()) + 1
    header = [table.column(j)[header_at].as_py() or "" for j in range(width)]
    names = [" ".join(cell.split()) or f"column_{n}" for n, cell in enumerate(header, start=1)]
    seen: Counter[str] = Counter()
    for i, written in enumerate(names):  # a name's second time gets ' (2)', and so on
        seen[written] += 1
        names[i] += f" ({seen[written]})" if seen[written] > 1 else ""
    rows = filled[position + 1:]
    # data rows are usually consecutive: a slice, not a copy of the text (`take` ~1.5 s national)
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        kept = [table.column(j).slice(int(rows[0]), len(rows)) for j in range(width)]
    else:
        kept = [table.column(j).take(rows) for j in range(width)]
    filled = _fill_merged(table, kept, rows, header_at, merged)
    own_blank = blank[:width, rows]
    # repeated headers: Arrow narrows the rows down (first cell containing the header's longest
    # word, or blank), Python decides (every cell equal to the header cell, by `_header_key`)
    keys = [_header_key(c) for c in header]
    word = max(keys[0].split(" "), key=len)
    # an ASCII word is sought in Arrow's lower case (4x faster than ignore_case): Arrow's
    # lower() gives an ASCII letter wherever Python's does
    lower = word.isascii()
    first = pc.match_substring(pc.utf8_lower(kept[0]) if lower else kept[0], word,
                               ignore_case=not lower)
    found = np.flatnonzero(pc.fill_null(first, False).to_numpy() if word
                           else blank[0, rows]).tolist()
    texts = [c.take(found).to_pylist() for c in kept] if found else []
    drop = {i: REPEATED_HEADER for k, i in enumerate(found)  # {position in rows: reason}
            if [_header_key(t[k] or "") for t in texts] == keys}
    if len(rows) and numbers_columns([c[0].as_py() for c in kept],
                                     sum(bool(cell.strip()) for cell in header)):
        drop[0] = COLUMN_NUMBERS
    numbering = [j for j, cell in enumerate(header) if header_key(cell) in ROW_NUMBER_HEADERS]
    if 0 < len(numbering) < width:  # templates number a hundred rows nobody fills
        numbered_only = np.delete(own_blank, numbering, axis=0).all(axis=0)
        for i in np.flatnonzero(numbered_only).tolist():
            drop.setdefault(i, NUMBERED_EMPTY_ROW)
    if (pc.max(pc.binary_length(cells)).as_py() or 0) > MAX_CELL_CHARS:  # bytes >= characters
        for column, values in zip(names, kept, strict=True):
            lengths = pc.fill_null(pc.utf8_length(values), 0).to_numpy()
            for i in np.flatnonzero(lengths > MAX_CELL_CHARS).tolist():
                drop.setdefault(i, f"cell in column '{column}' is {lengths[i]:,} characters long "
                                   f"(more than the {MAX_CELL_CHARS:,} a spreadsheet cell can "
                                   "hold): not a value")
    first_row_one_cell = False
    if sum(bool(cell.strip()) for cell in header) >= 3:  # no table of three has such a row
        for i in np.flatnonzero((~own_blank).sum(axis=0) == 1).tolist():
            if i == 0 and i not in drop:
                first_row_one_cell = True
            else:
                drop.setdefault(i, ONE_CELL_ROW)
    dropped = sorted((int(rows[i]) + 1, reason) for i, reason in drop.items())
    filled_kept = {names[column]: int(np.isin(positions, list(drop), invert=True).sum())
                   for column, positions in filled.items()}
    if drop:
        keep = ~np.isin(np.arange(len(rows)), list(drop))
        kept, rows = [c.filter(keep) for c in kept], rows[keep]
    m = len(rows)
    data: dict[str, object] = {
        column: pd.arrays.ArrowStringArray(values, dtype=pd.api.types.pandas_dtype("str"))
        for column, cell, values in zip(names, header, kept, strict=True)
        if cell.strip() or values.null_count < m}
    data[ROW_COLUMN] = (rows + 1).astype("int64")
    reason = None if m else (f"no data rows: row {dropped[0][0]}: {dropped[0][1]}" if dropped
                             else "header only, no data rows")
    return RawSheet(str(path), name, pd.DataFrame(data), header_at + 1, dropped=dropped,
                    reason=reason, filled={c: n for c, n in filled_kept.items() if n},
                    first_row_one_cell=first_row_one_cell, **extra)  # type: ignore[arg-type]


def _fill_merged(table: pa.Table, kept: list[pa.ChunkedArray], rows: np.ndarray,
                 header_at: int, merged: Sequence[tuple[int, int, int]]
                 ) -> dict[int, list[int]]:
    """Give every data row (`rows`, whose cells are `kept`) that a merged range below the header
    covers the range's value in the range's first column, in place; the positions in `rows`
    filled, per column. A range below the last row with a value (templates format them ahead)
    fills nothing."""
    filled: dict[int, list[int]] = {}
    cells: dict[int, list[str | None]] = {}
    for column, first, last in merged:
        if column >= len(kept) or not header_at < first < table.num_rows:
            continue
        value = table.column(column)[first].as_py()
        start, stop = np.searchsorted(rows, [first + 1, last + 1])
        if value is None or start == stop:
            continue
        texts = cells.setdefault(column, kept[column].to_pylist())
        for i in range(int(start), int(stop)):
            if texts[i] is None:
                texts[i] = value
                filled.setdefault(column, []).append(i)
    for column, texts in cells.items():
        kept[column] = pa.chunked_array([pa.array(texts, pa.large_string())])
    return filled


def grid_cells(table: pa.Table) -> pa.ChunkedArray:
    """Every cell of `table`, column after column, in one chunked array (no copy)."""
    return pa.chunked_array([c for column in table.columns for c in column.chunks],
                            pa.large_string())


def empty_as_null(cells: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Empty texts ('') as null: the empty cells `build_sheet` takes."""
    return pc.if_else(pc.equal(cells, ""), None, cells)


def numbers_columns(cells: Sequence[object], named: int) -> bool:
    """Whether a row's filled cells are '1', '2', '3', ... (or '(1)', '(2)', ...), one per
    column with a header (`named` of them), at least three."""
    filled = [cell.strip().strip("()").strip() for cell in cells
              if isinstance(cell, str) and cell.strip()]
    return named == len(filled) >= 3 and filled == [str(n) for n in range(1, named + 1)]


def _header_key(cell: str) -> str:
    return " ".join(cell.split()).lower()
