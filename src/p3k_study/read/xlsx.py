"""XLSX (and .xlsm) -> one RawSheet per worksheet, read with python-calamine (Rust).

calamine gives a merged range's value in its top-left cell only; the ranges are read from the
sheet's XML for `build_sheet`, which fills their first column below the header. Cached formula
values are read; a formula never calculated reads as empty. Chart sheets are skipped. calamine
drops Excel error cells and gives numbers as floats, so the sheet XML is searched for error
cells (and, when a float of 1e15 or more shows a number of 16+ digits may be there, for such
numbers) to put '#REF!' and exact digits back. The XML's tags are sought as Excel writes them
('<c', '<mergeCell') or with the namespace prefix some .NET libraries give every tag ('<x:c').
Whole files are held in memory.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import posixpath
import re
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from p3k_study.errors import UnreadableFile
from p3k_study.read.sheet import RawSheet, build_sheet

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def read_xlsx(path: Path) -> list[RawSheet]:
    """Every worksheet as a RawSheet (`build_sheet`'s rules). Raises UnreadableFile for a file
    that is not a workbook or has no cell with a value."""
    from xml.etree import ElementTree

    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    unreadable = (CalamineError, zipfile.BadZipFile, KeyError, OSError, ValueError)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        archive = zipfile.ZipFile(path)
        targets = {r.get("Id"): posixpath.join("xl", str(r.get("Target"))).lstrip("/")
                   for r in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))}
        parts = {str(sheet.get("name")): targets.get(sheet.get(_REL), "") for sheet in
                 ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{_MAIN}sheet")}
    except unreadable as error:
        raise UnreadableFile(path, f"not a readable Excel workbook ({error})") from error
    sheets = []
    with workbook, archive:
        for name in names:
            try:
                values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                xml = archive.read(parts[name]) if parts.get(name) in archive.NameToInfo else b""
            except unreadable as error:
                raise UnreadableFile(path, f"not a readable Excel workbook (sheet {name}: "
                                     f"{error})") from error
            sheets.append(build_sheet(path, name, _cells(values, xml), merged=_merged(xml)))
    if all(sheet.reason is not None and sheet.reason.startswith("empty") for sheet in sheets):
        raise UnreadableFile(path, "the workbook has no cells with values")
    return sheets


def cell_text(value: object) -> str | None:
    """A spreadsheet cell value as text: dates 'YYYY-MM-DD' (with ' HH:MM:SS' if not midnight),
    whole numbers without '.0' (up to 15 digits, beyond that the float repr shows the damage),
    other floats by repr, booleans 'TRUE'/'FALSE', error cells as written ('#REF!')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date().isoformat()
    return str(value)  # text, integers; other datetimes, dates and times: str() is ISO


def _cells(values: list[list[object]], xml: bytes) -> pa.Table:
    """calamine's cells (rows from A1, all as wide) and the sheet's XML -> one text column per
    sheet column (`build_sheet`'s table): `cell_text` of every cell, exact cells written over.

    Not `cell_text` per cell, a Python loop that dominated reading: text cells go to Arrow as
    they are, floats (most other cells) through `cell_text` once per distinct value (found by
    Arrow's dictionary encoding), the few others (dates, integers, booleans) one by one."""
    n_rows, width = len(values), len(values[0]) if values else 0
    flat = np.array(values, dtype=object).reshape(n_rows, width).T.ravel()  # column after column
    types = np.fromiter(map(type, flat), dtype=object, count=len(flat))
    is_float = np.equal(types, float)
    numbers = flat[is_float].astype("float64")
    floats = pc.dictionary_encode(pa.array(numbers))
    flat[is_float] = np.array([*map(cell_text, floats.dictionary.to_pylist())], dtype=object)[
        floats.indices.to_numpy()]
    other = np.flatnonzero(~is_float & np.not_equal(types, str))
    flat[other] = [cell_text(value) for value in flat[other]]
    # calamine's grid holds every cell of the XML, error cells as '': exact cells fall inside
    for (r, c), text in _exact_cells(xml, bool((np.abs(numbers) >= 1e15).any())).items():
        flat[c * n_rows + r] = text
    cells = pa.array(flat, type=pa.large_string(), mask=flat == "")
    return pa.table([cells.slice(j * n_rows, n_rows) for j in range(width)],
                    names=list(map(str, range(width))))


_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet\b")


def _prefix(xml: bytes) -> bytes:
    """The namespace prefix of a sheet's tags: b'' as Excel writes them, b'x:' as some .NET
    libraries do (read off the root tag)."""
    root = _ROOT.search(xml, 0, 4096)
    return (root[1] or b"") if root else b""


@functools.cache
def _patterns(prefix: bytes) -> dict[str, re.Pattern[bytes]]:
    """The XML patterns of this module for tags with `prefix`."""
    p = re.escape(prefix)
    formula = rb"(?:<" + p + rb"f\b[^>]*(?:/>|>[^<]*</" + p + rb"f>))?"
    return {
        "merge": re.compile(rb"<" + p + rb'mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"'),
        "error_cell": re.compile(rb"<" + p + rb'c\b([^>]*\bt="e"[^>]*)>' + formula + rb"<" + p
                                 + rb"v>([^<]*)</" + p + rb"v>"),
        "long_number": re.compile(rb"<" + p + rb"v>-?\d{16,}</" + p + rb"v>"),
        "long_number_cell": re.compile(rb"<" + p + rb"c\b([^>]*)>" + formula + rb"<" + p
                                       + rb"v>(-?\d{16,})</" + p + rb"v>"),
    }


def _merged(xml: bytes) -> list[tuple[int, int, int]]:
    """The merged ranges of more than one row in a sheet's XML: (first column, first row, last
    row), 0-based. They follow the cells: sought from the end, not through the whole sheet."""
    prefix = _prefix(xml)
    at = xml.rfind(b"<" + prefix + b"mergeCells")
    return [] if at < 0 else [(_column_number(left) - 1, int(top) - 1, int(bottom) - 1)
                              for left, top, right, bottom
                              in _patterns(prefix)["merge"].findall(xml, at) if top != bottom]


def _column_number(letters: bytes) -> int:
    """'A' -> 1, 'AB' -> 28."""
    return sum((letter - 64) * 26**k for k, letter in enumerate(reversed(letters)))


_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def _exact_cells(xml: bytes, long_numbers: bool) -> dict[tuple[int, int], str]:
    """The error cells of a sheet's XML and, if `long_numbers`, its numbers of 16+ digits (an NIP
    written by a program): {(row, column): text as written}, 0-based. A cell pattern is tried
    only at the cell holding its anchor (the last '<c' before it): each '#' (every error value
    begins with one; finding one byte is memchr, ~10x faster than a regex over the ~290 MB of
    national sheet XML) and each 16+-digit `<v>`."""
    prefix = _prefix(xml)
    patterns, cell_tag = _patterns(prefix), b"<" + prefix + b"c"
    hits, at = [], xml.find(b"#")
    while at >= 0:
        hits.append((at, patterns["error_cell"]))
        at = xml.find(b"#", at + 1)
    if long_numbers:
        hits += [(hit.start(), patterns["long_number_cell"])
                 for hit in patterns["long_number"].finditer(xml)]
    cells: dict[tuple[int, int], str] = {}
    for at, pattern in hits:
        start = xml.rfind(cell_tag, 0, at)
        if start >= 0 and (match := pattern.match(xml, start)) and (
                ref := _CELL_REF.search(match[1])):
            cells[(int(ref[2]) - 1, _column_number(ref[1]) - 1)] = html.unescape(
                match[2].decode())
    return cells
