"""Reading raw files into text tables with provenance (p3k_study.io) and header aliases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_io_fastpath import checked_fast_path

from p3k_study.aliases import ALIASES, FALLBACK_ALIASES, REQUIRED, missing_required
from p3k_study.errors import UnreadableFile
from p3k_study.io import (
    REPEATED_HEADER,
    canonicalise,
    canonicalise_headers,
    cell_text,
    detect_separator,
    header_key,
    read_table,
)
from p3k_study.parse import normalise_nip

NIP = "198606012010121004"
UNIT = "Dinas Pemberdayaan Perempuan dan Perlindungan Anak (Café é)"


@pytest.fixture(autouse=True)
def _both_csv_paths(monkeypatch):
    """Every CSV the pyarrow fast path reads here is read by the Python path too and compared."""
    with checked_fast_path(monkeypatch):
        yield


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- CSV -------------------------------------------------------------------------------------


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
    assert (sheet.header_row, sheet.first_data_row) == (1, 2)
    assert sheet.source_file == str(tmp_path / "data.csv")


def test_nip_never_becomes_a_float(tmp_path):
    sheet = read_table(write(tmp_path / "p.csv", f"nip;x\n{NIP};1\n1.98606E+17;2\n'{NIP};3\n"))[0]
    assert pd.api.types.is_string_dtype(sheet.frame["nip"])
    assert sheet.frame["nip"].tolist() == [NIP, "1.98606E+17", f"'{NIP}"]
    parsed = normalise_nip(sheet.frame["nip"])
    assert parsed.nip[0] == NIP and parsed.nip[2] == NIP
    assert parsed.reason[1] == "NIP damaged by spreadsheet (scientific notation)"


def test_csv_quoted_fields_and_multiline_records(tmp_path):
    text = 'a,b\n"x, y","line1\nline2"\n"say ""hi""",2\n'
    sheet = read_table(write(tmp_path / "q.csv", text))[0]
    assert sheet.frame["a"].tolist() == ["x, y", 'say "hi"']
    assert sheet.frame["b"][0] == "line1\nline2"
    assert sheet.frame["_row"].tolist() == [2, 3]


def test_csv_mixed_encodings_records_fallback_rows(tmp_path):
    raw = "nama;unit\nAndé;Dinkes\n".encode() + "Bené;Dinsos\n".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    sheet = read_table(path)[0]
    assert sheet.encoding == "mixed"
    assert sheet.frame["nama"].tolist() == ["Andé", "Bené"]
    assert sheet.fallback_rows == [3]


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
    assert sheet.header_row == 3 and sheet.first_data_row == 4
    assert sheet.frame["_row"].tolist() == [4, 8]
    assert sheet.dropped == [(6, REPEATED_HEADER), (7, REPEATED_HEADER)]
    assert sheet.rows_in == 4


def test_csv_ragged_rows_and_empty_cells(tmp_path):
    sheet = read_table(write(tmp_path / "g.csv", "a,b\n1\n2,3,4\n,5\n"))[0]
    assert list(sheet.frame.columns) == ["a", "b", "column_3", "_row"]
    assert sheet.frame["b"].isna().tolist() == [True, False, False]
    assert sheet.frame["a"].isna().tolist() == [False, False, True]
    assert sheet.frame["column_3"][1] == "4"


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


def test_utf16_with_only_a_bom_is_empty(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UnreadableFile, match="empty file"):
        read_table(path)


def test_a_stray_quote_does_not_swallow_the_following_lines(tmp_path):
    content = 'nip;nama;unit\n1;"Andi;Dinas A\n2;Budi;Dinas B\n3;"Citra";Dinas C\n'
    sheet = read_table(write(tmp_path / "q.csv", content))[0]
    assert sheet.frame["_row"].tolist() == [2, 3, 4]
    assert sheet.frame["nama"].tolist() == ['"Andi', "Budi", "Citra"]


def test_a_quoted_multiline_cell_without_separator_stays_one_cell(tmp_path):
    content = 'nip;alamat\n1;"Jl. Merdeka 1\nBogor"\n2;Jl. Sudirman\n'
    sheet = read_table(write(tmp_path / "m.csv", content))[0]
    assert sheet.frame["alamat"].tolist() == ["Jl. Merdeka 1\nBogor", "Jl. Sudirman"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \r\n\r\n", "empty file"),
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


def test_detect_separator_ignores_quoted_separators():
    lines = ['"a;b",c,d\n', '"1;2;3;4",5,6\n', '"x",y,z\n']
    assert detect_separator(lines) == ","
    assert detect_separator(["Judul;;;\n", "a;b;c;d\n", "1,5;2;3;4\n", "2,5;2;3;4\n"]) == ";"
    assert detect_separator(["single\n", "column\n"]) == ","


# --- XLSX ------------------------------------------------------------------------------------


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
    assert sheets["2022"].header_row == 3 and sheets["2022"].first_data_row == 4
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
    with pytest.raises(UnreadableFile, match="Excel workbook"):
        read_table(write(tmp_path / "broken.xlsx", "not a zip at all"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None), ("x", "x"), (12, "12"), (12.0, "12"), (0.1, "0.1"),
        (1.98606012010121e17, "1.98606012010121e+17"), (True, "TRUE"),
        (dt.datetime(2023, 8, 12), "2023-08-12"), (dt.date(2023, 8, 12), "2023-08-12"),
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected


# --- Parquet ---------------------------------------------------------------------------------


def test_parquet_columns_become_text(tmp_path):
    table = pa.table({
        "nip": pa.array([NIP, None]),
        "n": pa.array([1, 2], pa.int64()),
        "x": pa.array([1.5, None]),
        "tmt": pa.array([dt.date(2023, 8, 12), dt.date(2024, 1, 1)]),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    sheet = read_table(path)[0]
    frame = sheet.frame
    assert frame["nip"][0] == NIP and pd.isna(frame["nip"][1])
    assert frame["n"].tolist() == ["1", "2"]
    assert frame["x"][0] == "1.5" and pd.isna(frame["x"][1])
    assert frame["tmt"][0] == "2023-08-12"
    assert frame["_row"].tolist() == [2, 3]
    assert all(pd.api.types.is_string_dtype(frame[c]) for c in ["nip", "n", "x", "tmt"])


def test_parquet_from_pandas_drops_index_and_rejects_empty(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"a": ["1", "2"]}, index=[5, 6]).to_parquet(path)
    assert list(read_table(path)[0].frame.columns) == ["a", "_row"]
    pd.DataFrame({"a": pd.Series([], dtype="str")}).to_parquet(path)
    with pytest.raises(UnreadableFile, match="header only"):
        read_table(path)
    with pytest.raises(UnreadableFile, match="Parquet"):
        read_table(write(tmp_path / "junk.parquet", "nope"))


# --- headers ---------------------------------------------------------------------------------


def test_header_key():
    assert header_key("Kab./Kota") == header_key("kab_kota") == header_key("KAB - KOTA")
    assert header_key("TMT Pengangkatan") == "tmtpengangkatan"


def test_canonicalise_pegawai_headers():
    frame = pd.DataFrame(columns=["NIP/NI PPPK", "Nama Pegawai", "Unit Kerja", "OPD",
                                  "Status Kepegawaian", "TMT_Pengangkatan", "Kab./Kota",
                                  "Catatan", "_row"])
    renamed, mapping = canonicalise_headers(frame, ALIASES["pegawai"])
    assert list(renamed.columns) == ["nip", "nama", "unit_kerja", "OPD", "status", "tmt",
                                     "nama_pemda", "Catatan", "_row"]
    assert mapping["Kab./Kota"] == "nama_pemda" and "OPD" not in mapping
    assert missing_required(renamed.columns, "pegawai") == []


def test_canonical_name_wins_and_clashing_names_are_moved():
    frame = pd.DataFrame(columns=["Unit", "unit_kerja", "NIP", "nip"])
    renamed, mapping = canonicalise_headers(frame, ALIASES["pegawai"])
    assert mapping == {"unit_kerja": "unit_kerja", "NIP": "nip"}
    assert list(renamed.columns) == ["Unit", "unit_kerja", "nip", "nip (unused)"]


def test_skm_elements_by_name_not_position():
    named = pd.DataFrame(columns=["Unit Layanan", "Tanggal", "U1", "Persyaratan", "U8 Sarana",
                                  "U9 Penanganan Pengaduan", "Waktu Penyelesaian"])
    renamed, mapping = canonicalise(named, "skm")
    assert mapping["Persyaratan"] == "persyaratan" and "U1" not in mapping
    assert mapping["U8 Sarana"] == "sarana"
    assert mapping["U9 Penanganan Pengaduan"] == "pengaduan"
    assert mapping["Tanggal"] == "tanggal_survei"
    elements = [f"U{i}" for i in range(1, 10)]
    bare = pd.DataFrame(columns=["unit", "periode", *elements, "Kode Daerah"])
    renamed, mapping = canonicalise(bare, "skm")
    assert mapping["U8"] == "pengaduan" and mapping["U9"] == "sarana"
    assert missing_required(renamed.columns, "skm") == []


def test_missing_required_names_alternatives():
    assert missing_required(["nip", "unit_kerja", "status"], "pegawai") == [
        "kode_pemda or nama_pemda", "tmt",
    ]
    assert "periode or tanggal_survei" in missing_required(["unit_layanan"], "skm")


def test_alias_tables_are_unambiguous():
    assert set(ALIASES) == set(REQUIRED) == {"pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja"}
    for kind, table in ALIASES.items():
        owner: dict[str, str] = {}
        for canonical, names in table.items():
            for name in [canonical, *names]:
                key = header_key(name)
                assert owner.setdefault(key, canonical) == canonical, (kind, name)
        for need in REQUIRED[kind]:
            for column in (need,) if isinstance(need, str) else need:
                assert column in table, (kind, column)
    assert FALLBACK_ALIASES["skm"] <= {header_key(a) for a in ALIASES["skm"]["persyaratan"]} | {
        f"u{i}" for i in range(1, 10)
    }
