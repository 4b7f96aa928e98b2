"""XLSX reading with python-calamine: the cells calamine does not give as written (error cells,
long numbers), formulas, odd sheet names, chart sheets, blank and repeated rows."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import p3k_study.io as io
from p3k_study.io import read_table

NIP = "198606012010121004"


def _patch_sheet(path: Path, part: str, old: str, new: str) -> None:
    """Rewrite one XML part of a saved workbook (to add what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    text = parts[part].decode()
    assert old in text
    parts[part] = text.replace(old, new).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Data & <Rekap>"
    first.append(["NIP", "Nilai", "Rumus", "Catatan"])
    first.append([int(NIP), "#DIV/0!", "x", "  "])
    first.append([])
    first.append(["  nip ", "NILAI", "rumus", "catatan"])  # a repeated header (row 4)
    first.append([1.98606012010121e17, 80.5, "y", "ok"])
    first["B2"].data_type = "e"
    errors = book.create_sheet("errors only")
    errors["C3"] = "#N/A"
    errors["C3"].data_type = "e"
    book.create_chartsheet("grafik")
    path = tmp_path / "book.xlsx"
    book.save(path)
    # A2: an 18-digit number stored with all its digits (as programs write it; openpyxl
    # writes a float); C2 and C5: formulas, one with a cached value, one never calculated
    _patch_sheet(path, "xl/worksheets/sheet1.xml",
                 '<c r="A2" t="n"><v>1.98606012010121e+17</v></c>',
                 f'<c r="A2" t="n"><v>{NIP}</v></c>')
    _patch_sheet(path, "xl/worksheets/sheet1.xml", '<c r="C2" t="inlineStr"><is><t>x</t></is></c>',
                 '<c r="C2"><f>1+1</f><v>2</v></c>')
    _patch_sheet(path, "xl/worksheets/sheet1.xml", '<c r="C5" t="inlineStr"><is><t>y</t></is></c>',
                 '<c r="C5"><f>A1&amp;B1</f></c>')
    return path


def test_cells_as_written(workbook: Path) -> None:
    sheets = {s.sheet: s for s in read_table(workbook)}
    assert list(sheets) == ["Data & <Rekap>", "errors only"]  # the chart sheet is skipped
    data = sheets["Data & <Rekap>"]
    frame = data.frame
    assert frame["_row"].tolist() == [2, 5]
    assert data.dropped == [(4, "repeated header row")]
    assert frame["NIP"].tolist() == [NIP, "1.98606012010121e+17"]  # 18 digits kept exactly
    assert frame["Nilai"].tolist() == ["#DIV/0!", "80.5"]
    assert frame["Rumus"].tolist()[0] == "2" and pd.isna(frame["Rumus"].tolist()[1])
    assert frame["Catatan"].tolist() == ["  ", "ok"]


def test_a_sheet_holding_only_an_error_cell(workbook: Path) -> None:
    sheet = next(s for s in read_table(workbook) if s.sheet == "errors only")
    assert sheet.header_row == 3 and sheet.reason == "header only, no data rows"
    assert list(sheet.frame.columns) == ["#N/A", "_row"]


# --- the hand-written fast parts of io give what the plain ways give -------------------------

_XML_TOKENS = [b'<c', b' r="A1"', b' r="B12"', b' t="e"', b't="e"', b'>', b'<f>', b'</f>', b'<f ',
               b'/>', b'<v>', b'</v>', b'1234567890123456', b'-', b'7', b'#N/A', b'<', b' ',
               b'</c>', b'<col', b'&amp;']


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_XML_TOKENS), max_size=40))
def test_find_cells_is_findall(tokens: list[bytes]) -> None:
    xml = b"".join(tokens)
    for pattern in (io._ERROR_CELL, io._LONG_NUMBER_CELL):
        assert io._find_cells(xml, pattern) == pattern.findall(xml)


_CELL_VALUES = [0.0, -0.0, 1.0, 2.5, 1e15, -1e15, 999999999999999.0, 1e16, float("nan"),
                float("inf"), 1 / 3, -7.0, 4503599627370497.0, "", "a", " ", "\u3000", True,
                False, 3, dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4),
                dt.datetime(2020, 1, 2), dt.time(1, 2)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.data())
def test_text_cells_is_text_column_by_column(n_rows: int, width: int, data: st.DataObject
                                             ) -> None:
    flat = np.empty(n_rows * width, dtype=object)
    flat[:] = data.draw(st.lists(st.sampled_from(_CELL_VALUES), min_size=len(flat),
                                 max_size=len(flat)))
    order = np.arange(n_rows * width).reshape(n_rows, width).T.ravel()
    want = [v for j in range(width)
            for v in io._text_column(flat[order[j * n_rows:(j + 1) * n_rows]]).to_pylist()]
    assert io._text_cells(flat.copy(), order, n_rows).to_pylist() == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from([*io.PY_WHITESPACE, "a", "é", "\u200b"]),
                        max_size=4), max_size=20), st.booleans())
def test_blank_cells_and_empty_as_null(values: list[str], taken: bool) -> None:
    cells = pa.array(values, type=pa.large_string())
    if taken:  # a validity bitmap without nulls, as `take` gives
        cells = cells.take(pa.array(range(len(values)), type=pa.int64()))
    assert io._blank_cells(cells).tolist() == [not v.strip() for v in values]
    assert io._empty_as_null(cells).to_pylist() == [v or None for v in values]
    if len(values) > 2:
        part = cells.slice(1, len(values) - 2)
        assert io._blank_cells(part).tolist() == [not v.strip() for v in values[1:-1]]
        assert io._empty_as_null(part).to_pylist() == [v or None for v in values[1:-1]]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("nNoOkKsSiI x1\u212a\u017f\u0130\u0131é")),
                        max_size=5), max_size=20),
       st.sampled_from(["no", "k", "s", "nos", "ik", "x1"]))
def test_contains_ignore_case_is_arrows(values: list[str], word: str) -> None:
    cells = pa.array(values, type=pa.large_string())
    want = pc.match_substring(cells, word, ignore_case=True).to_pylist()
    assert io._contains_ignore_case(cells, word).to_pylist() == want
