"""XLSX (and .xlsm) -> one RawSheet per worksheet, read with python-calamine (Rust).

A merged range yields its value in the top-left cell only; the other cells of the range are
empty. Cached formula values are read; a formula never calculated reads as empty. Chart sheets
are skipped. calamine drops Excel error cells and gives numbers as floats, so the sheet XML is
searched (only when it holds an error cell or a 16+-digit number) to put '#REF!' and exact
digits back. Whole files are held in memory.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from collections.abc import Iterable, Mapping
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from p3k_study.errors import UnreadableFile
from p3k_study.read.sheet import RawSheet, build_sheet


def read_xlsx(path: Path) -> list[RawSheet]:
    """Every worksheet as a RawSheet (`build_sheet`'s rules). Raises UnreadableFile for a file
    that is not a workbook or has no cell with a value."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        exact = _exact_cells(path)
    except (CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(path, f"not a readable Excel workbook ({error})") from error
    sheets = []
    with workbook:
        for name in names:
            try:
                values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except CalamineError as error:
                raise UnreadableFile(path, f"not a readable Excel workbook (sheet {name}: "
                                     f"{error})") from error
            sheets.append(build_sheet(path, name, *_grid(values, exact.get(name, {}))))
    if all(sheet.reason is not None and sheet.reason.startswith("empty") for sheet in sheets):
        raise UnreadableFile(path, "the workbook has no cells with values")
    return sheets


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


def _grid(values: list[list[object]], exact: Mapping[tuple[int, int], str]
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
    return _text_cells(flat, by_column), n_rows, width


def _text_cells(flat: np.ndarray, order: np.ndarray) -> pa.Array:
    """Cells (Python values) -> `flat[order]` as `cell_text` in one Arrow large_string array.

    Not `cell_text` per cell, a Python loop that dominated reading: text cells go to Arrow as
    they are, whole floats become digits by Arrow's integer cast (the text `cell_text` gives),
    other values go through `cell_text` once per distinct value."""
    kinds = np.fromiter(map({str: 0, float: 1}.get, map(type, flat), repeat(2)), dtype=np.int8,
                        count=len(flat))
    if (kinds == 0).all():
        return pa.array(flat[order], type=pa.large_string())
    at = np.flatnonzero(kinds == 1)
    numbers = flat[at].astype("float64")
    whole = (np.abs(numbers) < 1e15) & (np.floor(numbers) == numbers)
    kinds[at[~whole]] = 2
    where = [np.flatnonzero(kinds == 0), at[whole], np.flatnonzero(kinds == 2)]
    other = flat[where[2]]
    texts = {(type(v), v): cell_text(v) or "" for v in other}
    parts = [pa.array(flat[where[0]], type=pa.large_string()),
             pc.cast(pa.array(numbers[whole].astype("int64")), pa.large_string()),
             pa.array([texts[(type(v), v)] for v in other], type=pa.large_string())]
    position = np.empty(len(flat), dtype="int64")
    position[np.concatenate(where)] = np.arange(len(flat))
    return pa.concat_arrays(parts).take(position[order])


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ERROR = re.compile(rb't="e"')
_LONG_NUMBER = re.compile(rb"<v>-?\d{16,}</v>")
_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(?:<f\b[^>]*(?:/>|>[^<]*</f>))?<v>([^<]*)</v>')
_LONG_NUMBER_CELL = re.compile(rb'<c\b([^>]*)>(?:<f\b[^>]*(?:/>|>[^<]*</f>))?<v>(-?\d{16,})</v>')
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def _exact_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Cells calamine cannot give as written, per sheet name: {(row, column): text}, 0-based.

    Excel error cells ('#REF!', '#N/A', ...), which calamine drops, and numbers stored with 16 or
    more digits (an NIP written by a program, not by Excel), which a float would change."""
    from xml.etree import ElementTree

    out: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): str(r.get("Target")) for r in rels}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(_REL))
            if target is None:
                continue
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                xml = archive.read(part)
            except KeyError:
                continue
            cells: dict[tuple[int, int], str] = {}
            for anchor, pattern in ((_ERROR, _ERROR_CELL), (_LONG_NUMBER, _LONG_NUMBER_CELL)):
                for attributes, value in _find_cells(xml, anchor, pattern):
                    if ref := _CELL_REF.search(attributes):
                        column = 0
                        for letter in ref.group(1):
                            column = column * 26 + letter - 64
                        cells[(int(ref.group(2)) - 1, column - 1)] = html.unescape(
                            value.decode())
            if cells:
                out[str(sheet.get("name"))] = cells
    return out


def _find_cells(xml: bytes, anchor: re.Pattern[bytes], pattern: re.Pattern[bytes]
                ) -> list[tuple[bytes, bytes]]:
    """`pattern.findall(xml)` for well-formed sheet XML, tried only at the cell holding each
    `anchor` (its `t="e"`, its 16+-digit `<v>`): the last '<c' before the anchor. findall would
    try every cell of the sheet (~1 s CPU over the national workbooks)."""
    found = []
    for hit in anchor.finditer(xml):
        start = xml.rfind(b"<c", 0, hit.start())
        if start >= 0 and (match := pattern.match(xml, start)):
            found.append(match.groups())
    return found
