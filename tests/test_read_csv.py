"""Reading CSV text into tables of text with provenance (p3k_study.read.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p3k_study.errors import UnreadableFile
from p3k_study.parse import normalise_nip
from p3k_study.read import read_table
from p3k_study.read.csv import sniff
from p3k_study.read.sheet import (
    COLUMN_NUMBERS,
    NUMBERED_EMPTY_ROW,
    ONE_CELL_ROW,
    REPEATED_HEADER,
)

NIP = "198606012010121004"
UNIT = "Dinas Pemberdayaan Perempuan dan Perlindungan Anak (Café é)"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"),
])
@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_encodings_and_separators(tmp_path, encoding, expected, separator):
    rows = [["nip", "unit_kerja", "nilai"], [NIP, UNIT, "80,11"], ["1.98606E+17", "Dinkes", "1"]]
    body = "\r\n".join(separator.join(f'"{c}"' if "," in c else c for c in row) for row in rows)
    sheet = read_table(write(tmp_path / "data.csv", body + "\r\n", encoding))[0]
    assert sheet.encoding == expected and sheet.separator == separator
    assert list(sheet.frame.columns) == ["nip", "unit_kerja", "nilai", "_row"]
    assert sheet.frame["nip"].tolist() == [NIP, "1.98606E+17"]
    assert sheet.frame["unit_kerja"][0] == UNIT
    assert sheet.frame["nilai"][0] == "80,11"
    assert sheet.frame["_row"].tolist() == [2, 3]
    assert sheet.header_row == 1
    assert sheet.source_file == str(tmp_path / "data.csv")


def test_nip_never_becomes_a_float(tmp_path):
    sheet = read_table(write(tmp_path / "p.csv", f"nip;x\n{NIP};1\n1.98606E+17;2\n'{NIP};3\n"))[0]
    assert pd.api.types.is_string_dtype(sheet.frame["nip"])
    assert sheet.frame["nip"].tolist() == [NIP, "1.98606E+17", f"'{NIP}"]
    parsed = normalise_nip(sheet.frame["nip"])
    assert parsed.nip[0] == NIP and parsed.nip[2] == NIP
    assert parsed.reason[1] == "NIP damaged by spreadsheet (scientific notation)"


def test_csv_mixed_encodings_are_decoded_line_by_line(tmp_path):
    raw = "nama;unit\nAndé;Dinkes\n".encode() + "Bené;Dinsos\n".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    sheet = read_table(path)[0]
    assert sheet.encoding == "mixed"
    assert sheet.frame["nama"].tolist() == ["Andé", "Bené"]


def test_csv_repeated_headers_title_rows_and_blank_lines(tmp_path):
    text = (
        "DAFTAR PEGAWAI DINAS X TAHUN 2023;;\n"
        ";;\n"
        "NIP;Nama;Status\n"
        f"{NIP};Andi;PNS\n"
        "\n"
        "NIP;Nama;Status\n"
        "nip ; NAMA;status\n"
        f"{NIP};Budi;PPPK\n"
    )
    sheet = read_table(write(tmp_path / "r.csv", text))[0]
    assert sheet.header_row == 3
    assert sheet.frame["_row"].tolist() == [4, 8]
    assert sheet.dropped == [(6, REPEATED_HEADER), (7, REPEATED_HEADER)]
    assert sheet.rows_in == 4


@pytest.mark.parametrize("numbers", ["1;2;3;4", "(1);(2);(3);(4)", " 1 ;2; 3;4 "])
def test_a_row_of_column_numbers_under_the_header_is_dropped_with_its_reason(tmp_path, numbers):
    """Government tables print '1 2 3 ...' (or '(1) (2) ...') under their header."""
    text = f"NIP;Nama;Status;Unit\n{numbers}\n{NIP};Andi;PNS;Dinas Sosial\n"
    sheet = read_table(write(tmp_path / "r.csv", text))[0]
    assert sheet.dropped == [(2, COLUMN_NUMBERS)]
    assert sheet.frame["_row"].tolist() == [3]
    assert sheet.rows_in == 2


@pytest.mark.parametrize("number", ["No", "NO.", "Nomor", "No. Urut", "No.Urut", "Nomor Urut"])
def test_a_row_holding_only_its_number_is_dropped_as_an_empty_numbered_row(tmp_path, number):
    """Survey templates number a hundred rows below the answers that nobody fills."""
    text = (f"{number};Unit;U1\n1;Dinas Sosial;3\n2;;\n3; ; \n;Dinas Sosial;4\n"
            "4;;4\n")
    sheet = read_table(write(tmp_path / "r.csv", text))[0]
    assert sheet.dropped == [(3, NUMBERED_EMPTY_ROW), (4, NUMBERED_EMPTY_ROW)]
    assert sheet.frame["_row"].tolist() == [2, 5, 6]
    only = read_table(write(tmp_path / "only.csv", "No;x\n1;a\n"))[0]  # 'x' is a column too
    assert only.dropped == []


@pytest.mark.parametrize("first", ["1;2;;", "1;2;3;", "1;2;4;5", "2;3;4;5", "1;3201;Andi;PNS"])
def test_a_first_row_that_does_not_number_the_columns_is_data(tmp_path, first):
    text = f"No;Kode;Nama;Status\n{first}\n1;2;3;4\n"  # further down, '1 2 3 4' is data
    sheet = read_table(write(tmp_path / "r.csv", text))[0]
    assert sheet.dropped == []
    assert sheet.frame["_row"].tolist() == [2, 3]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
@pytest.mark.parametrize("directive", ["sep=;", "SEP=;", "sep=,"])
def test_excels_sep_line_is_a_setting_and_row_1_is_the_line_after_it(
        tmp_path, encoding, newline, directive):
    """Excel writes (and hides) a 'sep=;' first line: the row numbers are those Excel shows."""
    lines = [directive, "NIP;Nama;Jumlah", f"{NIP};Andi;1.234", f"{NIP};Budi;12"]
    sheet = read_table(write(tmp_path / "r.csv", newline.join(lines) + newline, encoding))[0]
    assert sheet.separator == ";"
    assert sheet.header_row == 1
    assert sheet.frame["_row"].tolist() == [2, 3]
    assert sheet.frame["Jumlah"].tolist() == ["1.234", "12"]
    assert sheet.rows_in == 2


def test_a_sep_line_further_down_is_data(tmp_path):
    sheet = read_table(write(tmp_path / "r.csv", "Kode;Nama\nsep=;x\n1;2\n"))[0]
    assert sheet.frame["Kode"].tolist() == ["sep=", "1"]


@pytest.mark.parametrize(("header", "again"), [
    ("NIP;Nama", "  nip ;NAMA"),  # the first header word ASCII
    ("Ünit Kerja;NIP", "ÜNIT  KERJA;nip"),  # ... not ASCII
    ("Kode;Nama", "\u212aODE;nama"),  # a KELVIN SIGN, which lower() makes an ASCII 'k'
])
def test_csv_repeated_headers_in_another_case(tmp_path, header, again):
    sheet = read_table(write(tmp_path / "r.csv", f"{header}\n1;a\n{again}\n2;b\n"))[0]
    assert sheet.dropped == [(3, REPEATED_HEADER)] and sheet.frame["_row"].tolist() == [2, 4]


def test_csv_duplicate_and_blank_headers(tmp_path):
    sheet = read_table(write(tmp_path / "d.csv", "nama,nama,,x\n1,2,3,4\n"))[0]
    assert list(sheet.frame.columns) == ["nama", "nama (2)", "column_3", "x", "_row"]


def test_csv_huge_field_is_read_then_its_row_dropped_with_a_reason(tmp_path):
    big = "x" * (10 * 1024 * 1024)
    sheet = read_table(write(tmp_path / "big.csv", f"a,b\n1,{big}\n2,ok\n"))[0]
    assert sheet.frame["b"].tolist() == ["ok"] and sheet.frame["_row"].tolist() == [3]
    assert sheet.rows_in == 2
    [(row, reason)] = sheet.dropped
    assert row == 2 and "column 'b'" in reason and "10,485,760 characters" in reason


def test_a_cell_at_the_spreadsheet_limit_is_kept(tmp_path):
    text = "y" * 32_767
    sheet = read_table(write(tmp_path / "edge.csv", f"a,b\n1,{text}\n"))[0]
    assert sheet.frame["b"][0] == text and not sheet.dropped


def test_a_file_whose_only_row_is_overlong_is_one_message(tmp_path):
    with pytest.raises(UnreadableFile, match="no data rows: row 2: cell in column 'b'"):
        read_table(write(tmp_path / "big.csv", "a,b\n1," + "z" * 40_000 + "\n"))


def test_utf16_text_export_is_read(tmp_path):
    text = "nip\tnama\r\n1986\tJosé\r\n"
    path = tmp_path / "u16.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    sheet = read_table(path)[0]
    assert sheet.encoding == "utf-16" and sheet.separator == "\t"
    assert sheet.frame["nama"].tolist() == ["José"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \r\n\r\n", "empty file"),
        (b"\xff\xfe", "empty file"),  # UTF-16: a BOM and nothing else
        (b"nip;nama;status\r\n", "header only, no data rows"),
        (b"\x00\x01\x02\x03binary\xff\xfe" * 50, "binary content, not a text table"),
        (b"PK\x03\x04" + b"\x00" * 40, "this is a zip/Excel file, not CSV text"),
    ],
)
def test_unreadable_csv(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as error:
        read_table(path)
    assert reason in error.value.reason
    assert str(error.value).startswith(f"{path}: ")


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(UnreadableFile, match="unsupported file type"):
        read_table(write(tmp_path / "x.docx", "hi"))
    with pytest.raises(UnreadableFile, match="xls"):
        read_table(write(tmp_path / "x.xls", "hi"))
    with pytest.raises(UnreadableFile, match="not found"):
        read_table(tmp_path / "nope.csv")


def test_sniff_ignores_quoted_separators():
    lines = ['"a;b",c,d\n', '"1;2;3;4",5,6\n', '"x",y,z\n']
    assert sniff(lines) == (",", 3)
    assert sniff(["Judul;;;\n", "a;b;c;d\n", "1,5;2;3;4\n", "2,5;2;3;4\n"]) == (";", 4)
    assert sniff(["single\n", "column\n"]) == (",", 1)


# --- one parser for every CSV: the odd files, and generated texts against Python's csv --------


def test_a_plain_file_with_title_blank_lines_and_quotes(tmp_path):
    text = 'DAFTAR\n\nnip;"nama";unit\r\n1;"A;B";é\n\n2;"x""y";\n'
    sheet = read_table(write(tmp_path / "plain.csv", text, "cp1252"))[0]
    assert (sheet.header_row, sheet.encoding) == (3, "cp1252")
    assert sheet.frame["nip"].tolist() == ["1", "2"]
    assert sheet.frame["nama"].tolist() == ["A;B", 'x"y']
    assert sheet.frame["unit"].isna().tolist() == [False, True]
    assert sheet.frame["_row"].tolist() == [4, 6]


@pytest.mark.parametrize(("text", "column_b", "rows"), [
    ('a;b\n1;"x\n2;y\n', ['"x', "y"], [2, 3]),  # a quote never closed: quotes as text
    # a stray quote closed lines later: a cell holding a line break and the separator
    ('a;b;c\n1;"x;p\n2;y;q\n3;"z";r\n', ['"x', "y", "z"], [2, 3, 4]),
    ('a;b\n1;"x\ny"\n', ["x\ny"], [2]),  # a quoted cell spanning lines: one record
    ('a;b\r\n1;"x\r\ny"\r\n2;z\r\n', ["x\r\ny", "z"], [2, 3]),
    ('a,b\n"l1\nl2","x, y"\n2,"say ""hi"""\n', ["x, y", 'say "hi"'], [2, 3]),  # ',' separator
    ('a;b\n1;"x\n', ["x\n"], [2]),  # a quote still open at the end
    ("a;b\n1\n2;3\n", [None, "3"], [2, 3]),  # a short row is padded
    ('a;b\n1;x"y\n', ['x"y'], [2]),  # a quote inside a cell is text
    ('a;b\n1;"a"b\n2; "q"\n', ["ab", ' "q"'], [2, 3]),  # as Python's csv module reads them
    ("a;b\r1;2\r", ["2"], [2]),  # old Mac line ends
    ("a;b\n1;2\n\n\n", ["2"], [2]),
])
def test_odd_csv_texts(tmp_path, text, column_b, rows):
    sheet = read_table(write(tmp_path / "odd.csv", text))[0]
    assert [None if pd.isna(v) else v for v in sheet.frame["b"]] == column_b
    assert sheet.frame["_row"].tolist() == rows


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_a_line_separator_inside_a_cell_does_not_split_the_record(tmp_path, separator):
    sheet = read_table(write(tmp_path / "ls.csv", f"a;b\n1;x{separator}y\n2;z\n"))[0]
    assert sheet.frame["b"].tolist() == [f"x{separator}y", "z"]
    assert sheet.frame["_row"].tolist() == [2, 3]


def test_rows_of_several_widths_keep_their_place(tmp_path):
    lines = ["JUDUL", "a;b;c", "1;2;x", "4;y", "5;6;7;8;9", "", ";11;z", "12;13;14", "15;16;17;18"]
    sheet = read_table(write(tmp_path / "w.csv", "\n".join(lines) + "\n"))[0]
    frame = sheet.frame.astype(object).where(sheet.frame.notna(), None)
    assert list(frame.columns) == ["a", "b", "c", "column_4", "column_5", "_row"]
    assert frame["_row"].tolist() == [3, 4, 5, 7, 8, 9]
    assert frame["a"].tolist() == ["1", "4", "5", None, "12", "15"]  # ';11': an empty cell
    assert frame["column_4"].tolist() == [None, None, "8", None, None, "18"]
    assert frame["column_5"].tolist() == [None, None, "9", None, None, None]


CELLS = st.sampled_from(["", " ", "a", "NIP", "nama", "x y", "1,5", "é", "Müller", '"q"',
                         '"a;b"', '"a,b"', '"a""b"', '""', '"a\tb"', '"x|y"', '"l1\nl2"', "  pad "])


@st.composite
def csv_texts(draw: st.DrawFn) -> tuple[str, str, str]:
    """(text, separator, encoding): texts with title lines, blank lines, repeated headers, ragged
    rows, quoted cells (some spanning lines), every separator, line end and encoding."""
    separator = draw(st.sampled_from([";", ",", "\t", "|"]))
    width = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(["nip", "nama", "unit", "", "Nama  Unit"]),
                           min_size=width, max_size=width))
    if not "".join(header):
        header[0] = "nip"
    lines = [separator.join(header)]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "header", "ragged"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", separator * (width - 1)])))
        elif kind == "header":
            lines.append(separator.join(header))
        else:
            size = width if kind == "row" else draw(st.integers(1, width + 2))
            lines.append(separator.join(draw(st.lists(CELLS, min_size=size, max_size=size))))
    if draw(st.booleans()):
        lines[0:0] = draw(st.sampled_from([["JUDUL"], ["", "DAFTAR PEGAWAI"], [""]]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    return text, separator, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))


def python_csv_sheet(text: str, separator: str) -> tuple[int, dict[str, list[str | None]],
                                                         list[tuple[int, str]], bool]:
    """The documented rules written row by row on Python's csv module: (header row, columns,
    dropped rows: repeated headers and rows of one cell, whether the first data row has one
    cell: kept, for the sub-header rule to decide)."""
    import csv
    import io

    records = list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=separator,
                                        strict=False), start=1))
    filled = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    widths = [sum(bool(c.strip()) for c in cells) for _, cells in filled[:30]]
    header_row, header = next(filled[i] for i, w in enumerate(widths)
                              if w >= (max(widths) + 1) // 2)
    data = filled[filled.index((header_row, header)) + 1:]
    width = max(max(i + 1 for i, c in enumerate(cells) if c.strip()) for _, cells in
                [(header_row, header), *data])
    pad = [(n, (cells + [""] * width)[:width]) for n, cells in [(header_row, header), *data]]
    key = [" ".join(c.split()).lower() for c in pad[0][1]]
    repeated = [n for n, cells in pad[1:] if [" ".join(c.split()).lower() for c in cells] == key]
    named = sum(bool(c.strip()) for c in pad[0][1])
    one_cell = [n for n, cells in pad[1:] if n not in repeated and named >= 3
                and sum(bool(c.strip()) for c in cells) == 1]
    first_one_cell = bool(one_cell) and len(pad) > 1 and one_cell[0] == pad[1][0]
    one_cell = one_cell[1:] if first_one_cell else one_cell
    kept = [(n, cells) for n, cells in pad[1:] if n not in repeated and n not in one_cell]
    columns: dict[str, list[str | None]] = {}
    seen: list[str] = []
    for j, name in enumerate(pad[0][1]):
        values = [cells[j] or None for _, cells in kept]
        seen.append(" ".join(name.split()) or f"column_{j + 1}")
        label = seen[-1] if seen.count(seen[-1]) == 1 else f"{seen[-1]} ({seen.count(seen[-1])})"
        if name.strip() or any(v is not None for v in values):
            columns[label] = values
    columns["_row"] = [n for n, _ in kept]
    return header_row, columns, sorted([(n, REPEATED_HEADER) for n in repeated]
                                       + [(n, ONE_CELL_ROW) for n in one_cell]), first_one_cell


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_texts())
def test_generated_csv_texts_read_as_pythons_csv_module_reads_them(tmp_path, case):
    text, _, encoding = case
    path = tmp_path / "gen.csv"
    path.write_bytes(text.encode(encoding))
    try:
        sheet = read_table(path)[0]
    except UnreadableFile as error:
        assert "no data rows" in error.reason
        assert not python_csv_sheet(text, sniff(text.splitlines())[0])[1]["_row"]
        return
    header_row, columns, dropped, first_one_cell = python_csv_sheet(text, str(sheet.separator))
    frame = sheet.frame.astype(object).where(sheet.frame.notna(), None)
    assert sheet.header_row == header_row
    assert frame.to_dict("list") == columns
    assert sheet.dropped == dropped
    assert sheet.first_row_one_cell == first_one_cell
