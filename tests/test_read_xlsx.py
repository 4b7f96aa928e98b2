"""XLSX reading with python-calamine (p3k_study.read.xlsx): the cells calamine does not give as
written (error cells, long numbers), formulas, odd sheet names, chart sheets, blank and repeated
rows, cell values as text."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import p3k_study.read.xlsx as xlsx
from p3k_study.errors import UnreadableFile
from p3k_study.read import read_table
from p3k_study.read.sheet import COLUMN_NUMBERS, ONE_CELL_ROW, REPEATED_HEADER
from p3k_study.read.xlsx import cell_text

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


# --- the cell text conversion and the exact-cell search give what the plain ways give ------

_SHEET_XML = (
    b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="e"><v>#N/A</v></c>'
    b'<c r="C1" s="2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="D1"><v>1234567890123456</v></c>'
    b'<c r="E1"><f>A1&amp;B1</f><v>-98765432109876543</v></c><c r="F1"><v>123456789012345</v>'
    b'</c><c r="G1" t="e"/><c r="H1" t="str"><f>X</f><v>12345678901234567</v></c></row>'
    b'<row r="2"><c r="AB2" t="e"><f t="shared" si="0"/><v>#REF!</v></c></row></sheetData>'
)


def test_exact_cells_are_the_error_cells_and_the_long_numbers() -> None:
    errors = {(0, 1): "#N/A", (0, 2): "#DIV/0!", (1, 27): "#REF!"}
    long_numbers = {(0, 3): "1234567890123456", (0, 4): "-98765432109876543",
                    (0, 7): "12345678901234567"}
    assert xlsx._exact_cells(_SHEET_XML, long_numbers=False) == errors
    assert xlsx._exact_cells(_SHEET_XML, long_numbers=True) == {**errors, **long_numbers}
    text_with_hash = (b'<c r="A1" t="inlineStr"><is><t>No #1</t></is></c><c r="B1"><f>"#"</f>'
                      b'<v>7</v></c><c r="C1" t="e"><v>#NAME?</v></c>')
    assert xlsx._exact_cells(text_with_hash, long_numbers=True) == {(0, 2): "#NAME?"}


_CELL_VALUES = [0.0, -0.0, 1.0, 2.5, 1e15, -1e15, 999999999999999.0, 1e16, float("nan"),
                float("inf"), 1 / 3, -7.0, 4503599627370497.0, "", "a", " ", "\u3000", True,
                False, 3, 1, None, dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4),
                dt.datetime(2020, 1, 2), dt.time(1, 2)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.data())
def test_cells_are_cell_text_per_cell(n_rows: int, width: int, data: st.DataObject) -> None:
    values = [data.draw(st.lists(st.sampled_from(_CELL_VALUES), min_size=width, max_size=width))
              for _ in range(n_rows)]
    table = xlsx._cells(values, b"")
    assert table.num_columns == width and table.num_rows == n_rows
    for j, column in enumerate(table.columns):
        assert column.to_pylist() == [cell_text(row[j]) or None for row in values]


def make_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "2022"
    first["A1"] = "Rekap pegawai 2022"
    first.append([])
    first.append(["NIP", "Nama", "TMT", "Nilai", "Angka"])  # row 3
    first.append([NIP, "Andi", dt.datetime(2022, 3, 1), 80.11, 12.0])
    first.append([1.98606012010121e17, "Budi", dt.date(2021, 1, 2), "#REF!", 7])
    first.append([])
    first.append(["NIP", "Nama", "TMT", "Nilai", "Angka"])  # repeated header, row 7
    first.append([NIP, "Cici", dt.datetime(2022, 3, 1, 8, 30), True, None])
    first.merge_cells("B9:C9")
    first["A9"] = NIP
    first["B9"] = "merged"
    second = workbook.create_sheet("2023")
    second.append(["nip", "nama"])
    second.append([NIP, "Dodi"])
    workbook.create_sheet("kosong")
    header_only = workbook.create_sheet("header saja")
    header_only.append(["nip", "nama"])
    workbook.save(path)
    return path


def test_xlsx_every_sheet_with_real_row_numbers(tmp_path):
    sheets = {s.sheet: s for s in read_table(make_workbook(tmp_path / "book.xlsx"))}
    assert list(sheets) == ["2022", "2023", "kosong", "header saja"]
    first = sheets["2022"].frame
    assert sheets["2022"].header_row == 3
    assert first["_row"].tolist() == [4, 5, 8, 9]
    assert sheets["2022"].dropped == [(7, REPEATED_HEADER)]
    assert first["NIP"].tolist() == [NIP, "1.98606012010121e+17", NIP, NIP]
    assert first["TMT"].tolist()[:3] == ["2022-03-01", "2021-01-02", "2022-03-01 08:30:00"]
    assert first["Nilai"].tolist()[:3] == ["80.11", "#REF!", "TRUE"]
    assert first["Angka"].tolist()[:2] == ["12", "7"]
    assert first["Nama"][3] == "merged" and pd.isna(first["TMT"][3])
    assert sheets["2023"].frame["nip"].tolist() == [NIP]
    assert sheets["kosong"].reason.startswith("empty") and sheets["kosong"].frame.empty
    assert sheets["header saja"].reason == "header only, no data rows"
    assert list(sheets["header saja"].frame.columns) == ["nip", "nama", "_row"]


def test_xlsx_without_any_values_is_unreadable(tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(UnreadableFile, match="no cells"):
        read_table(path)


def test_corrupt_xlsx_is_unreadable(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_text("not a zip at all", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="Excel workbook"):
        read_table(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None), ("x", "x"), (12, "12"), (12.0, "12"), (0.1, "0.1"),
        (1.98606012010121e17, "1.98606012010121e+17"), (True, "TRUE"),
        (dt.datetime(2023, 8, 12), "2023-08-12"), (dt.date(2023, 8, 12), "2023-08-12"),
        (dt.datetime(2023, 8, 12, 8, 30), "2023-08-12 08:30:00"), (dt.time(8, 30), "08:30:00"),
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected


def test_the_sheet_rules_hold_in_workbooks_too(tmp_path):
    """Over-long cells (a program can write them; Excel cannot), blank and repeated rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["nip", "catatan"])
    sheet.append([NIP, "z" * 40_000])
    sheet.append([])
    sheet.append(["NIP", " Catatan "])
    sheet.append([NIP, "ok"])
    path = tmp_path / "long.xlsx"
    book.save(path)  # openpyxl cuts the text at 32,767 characters: put it back
    _patch_sheet(path, "xl/worksheets/sheet1.xml", "z" * 32_767, "z" * 40_000)
    [read] = read_table(path)
    assert read.frame["catatan"].tolist() == ["ok"] and read.frame["_row"].tolist() == [5]
    assert read.dropped == [(2, "cell in column 'catatan' is 40,000 characters long (more than "
                                "the 32,767 a spreadsheet cell can hold): not a value"),
                            (4, REPEATED_HEADER)]
    assert read.rows_in == 3


def test_a_row_of_column_numbers_stored_as_numbers_is_dropped(tmp_path):
    """SIMPEG exports number the columns under a merged title and the header, as numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DAFTAR PEGAWAI KABUPATEN BANTUL"])
    sheet.merge_cells("A1:D1")
    sheet.append(["No", "NIP", "Nama", "Status"])
    sheet.append([1, 2, 3, 4])
    sheet.append([1, NIP, "Andi", "PNS"])
    path = tmp_path / "simpeg.xlsx"
    book.save(path)
    [read] = read_table(path)
    assert read.header_row == 2
    assert read.dropped == [(3, COLUMN_NUMBERS)]
    assert read.frame["NIP"].tolist() == [NIP] and read.frame["_row"].tolist() == [4]


def test_a_merged_range_of_one_column_below_the_header_fills_its_data_rows(tmp_path):
    """As the sheet shows it: the unit merged over its staff; not over an empty row, not a
    range in the header, not a range in one row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["No", "Identitas", None, "Unit"])
    sheet.append([None, "NIP", "Nama", None])
    for number, nip, name, unit in [(1, NIP, "Andi", "Dinas Sosial"), (2, NIP, "Budi", None),
                                    (None, None, None, None), (3, NIP, "Cici", None),
                                    (4, "merged", None, "Dinkes")]:
        sheet.append([number, nip, name, unit])
    for cells in ("A1:A2", "B1:C1", "D1:D2", "D3:D6", "B7:C7"):
        sheet.merge_cells(cells)
    path = tmp_path / "roster.xlsx"
    book.save(path)
    [read] = read_table(path)
    unit = read.frame["Unit"].tolist()  # row 2: the sub-headers under a header merged down
    assert pd.isna(unit[0]) and unit[1:] == ["Dinas Sosial"] * 3 + ["Dinkes"]
    assert read.frame["_row"].tolist() == [2, 3, 4, 6, 7]
    assert read.filled == {"Unit": 2}
    assert pd.isna(read.frame["column_3"].iloc[-1])


def test_merged_ranges_below_the_last_row_fill_nothing(tmp_path):
    """Templates format merged ranges ahead of the rows nobody has filled yet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Nama", "Unit"])
    sheet.append([NIP, "Andi", "Dinas Sosial"])
    for cells in ("C3:C5", "A20:A30"):
        sheet.merge_cells(cells)
    path = tmp_path / "template.xlsx"
    book.save(path)
    [read] = read_table(path)
    assert read.frame["Unit"].tolist() == ["Dinas Sosial"] and read.filled == {}


def test_the_one_cell_rule_sees_a_rows_own_cells_not_merged_fills(tmp_path):
    """A template's merged unit, status and date run on over the signature block: the row
    with its NIP and name is staff, the signature's lines are one cell each, not staff."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Nama", "Unit", "Status", "TMT"])
    sheet.append([NIP, "Andi", "Dinas Sosial", "PNS", "2010-01-01"])
    sheet.append([NIP, "Budi", None, None, None])
    sheet.append([None] * 5)
    sheet.append(["Kepala Dinas Sosial", None, None, None, None])
    sheet.append(["NIP. 19700505 199503 1 002", None, None, None, None])
    for cells in ("C2:C6", "D2:D6", "E2:E6"):
        sheet.merge_cells(cells)
    path = tmp_path / "roster.xlsx"
    book.save(path)
    [read] = read_table(path)
    assert read.frame["_row"].tolist() == [2, 3]
    assert read.dropped == [(5, ONE_CELL_ROW), (6, ONE_CELL_ROW)]
    assert read.frame["Unit"].tolist() == ["Dinas Sosial"] * 2
    assert read.filled == {"Unit": 1, "Status": 1, "TMT": 1}


def test_a_sheet_whose_tags_carry_a_namespace_prefix_keeps_merges_errors_and_long_numbers(
        tmp_path):
    """Some .NET libraries write every tag with a prefix ('<x:c>', '<x:mergeCell>'): the error
    cell, the 18-digit number and the merged unit are found as in Excel's own XML."""
    import re

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Unit", "TMT"])
    sheet.append([int(NIP), "Dinas Sosial", "2010-01-01"])
    sheet.append([int(NIP), None, "=1/0"])
    sheet.merge_cells("B2:B3")
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(prefixed, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r"<(/?)(?![?!])([A-Za-z])", r"<\1x:\2", data.decode())
                text = text.replace('<x:f>1/0</x:f><x:v></x:v>', '<x:f>1/0</x:f><x:v>#DIV/0!</x:v>')
                text = text.replace('<x:c r="C3"', '<x:c r="C3" t="e"').replace(
                    'xmlns="http://schemas', 'xmlns:x="http://schemas')
                text = text.replace(f"<x:v>{float(NIP)!r}</x:v>", f"<x:v>{NIP}</x:v>")  # exact
                data = text.encode()
            target.writestr(item, data)
    [read] = read_table(prefixed)
    assert read.frame["NIP"].tolist() == [NIP, NIP]
    assert read.frame["Unit"].tolist() == ["Dinas Sosial"] * 2 and read.filled == {"Unit": 1}
    assert read.frame["TMT"].tolist() == ["2010-01-01", "#DIV/0!"]


def test_a_merged_range_over_rows_and_columns_fills_its_first_column(tmp_path):
    """A unit's name merged over the staff's rows and across two columns shows in the first."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Unit Kerja", None, "Status"])
    sheet.append([NIP, "Dinas Sosial", None, "PNS"])
    sheet.append([NIP, None, None, "PPPK"])
    sheet.merge_cells("B2:C3")
    path = tmp_path / "roster.xlsx"
    book.save(path)
    [read] = read_table(path)
    assert read.frame["Unit Kerja"].tolist() == ["Dinas Sosial"] * 2
    assert read.filled == {"Unit Kerja": 1} and "column_3" not in read.frame
