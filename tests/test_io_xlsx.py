"""XLSX reading with python-calamine: the cells calamine does not give as written (error cells,
long numbers), formulas, odd sheet names, chart sheets, blank and repeated rows."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

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
