"""Broken files and rows, each through `p3k-study prepare`: one clear message or a rejects entry.

The corpus is generated at test time from the table `CASES` (a name, a function that adds the
broken file to a small good dataset, and what must happen), so it stays small and readable.
Every case runs the command line in-process; a few also run it as a real subprocess to check
that stderr holds one line and no traceback. For every case that does not stop with a message,
rows_in = rows_clean + rows_rejected holds for every file.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from _raw_helpers import ROSTER_HEADER, roster_rows, undocumented, write_csv

from p3k_study.cli import main
from p3k_study.ikm import ELEMENTS

NIP_A = "198001012005011003"
NIP_B = "198102022006021004"
NIP_C = "198203032007031005"
GOOD = ["32.01", "", NIP_A, "Andi Wijaya", "Dinas Sosial", "PNS", "2005-01-01", ""]
IKM_HEADER = ["kode_pemda", "unit_layanan", "periode", "ikm", "jumlah_responden"]
SKM_HEADER = ["Kode Wilayah", "Unit Layanan", "Periode", *(e.title() for e in ELEMENTS)]
BAD = "pegawai/bad.csv"


def row(**changes: str) -> list[str]:
    """The good roster row with some cells changed (keys: the ROSTER_HEADER position names)."""
    names = ["kode", "kab", "nip", "nama", "unit", "status", "tmt", "akhir"]
    cells = list(GOOD)
    for key, value in changes.items():
        cells[names.index(key)] = value
    return cells


def write_base(raw: Path) -> None:
    """A good dataset: a roster and a published-IKM file, a fixed reference date."""
    write_csv(raw / "pegawai" / "roster.csv", ROSTER_HEADER, roster_rows(), encoding="cp1252")
    write_csv(raw / "ikm" / "ikm.csv", IKM_HEADER,
              [["32.01", "Dinas Pendidikan", "Semester I 2023", "80,11", "100"],
               ["32.01", "Dinas Kesehatan", "Semester II 2023", "77,50", "90"]])
    (raw / "dataset.json").write_text(
        json.dumps({"synthetic": True, "reference_date": "2025-01-15"}), encoding="utf-8")


def _bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return make


def _roster(rows: list[list[str]], header: list[str] | None = None, sep: str = ";",
            name: str = BAD, encoding: str = "utf-8") -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        write_csv(raw / name, header or ROSTER_HEADER, rows, sep=sep, encoding=encoding)
    return make


def _lines(text: str, name: str = BAD) -> Callable[[Path], None]:
    return _bytes(name, text.encode("utf-8"))


def _xlsx(rows: list[list[object]], name: str = "pegawai/bad.xlsx",
          edit: Callable[[object], None] | None = None,
          extra_sheets: tuple[str, ...] = ()) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "data"
        for cells in rows:
            sheet.append(cells)
        if edit is not None:
            edit(sheet)
        for title in extra_sheets:
            book.create_sheet(title)
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
    return make


def _parquet(frame: pd.DataFrame, name: str = "pegawai/bad.parquet") -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path, index=False)
    return make


def _zip_named_xlsx(raw: Path) -> None:
    path = raw / "pegawai" / "bad.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")


def _merge(sheet: object) -> None:
    sheet.merge_cells("E2:E3")  # type: ignore[attr-defined]


def _merge_units(sheet: object) -> None:
    """A BKPSDM roster: the region code and a unit's name merged over its staff (and over an
    empty row)."""
    for cells in ("A2:A6", "E2:E5"):
        sheet.merge_cells(cells)  # type: ignore[attr-defined]


def _merged_units_filled(out: Path) -> None:
    staff = pd.read_parquet(out / "staff.parquet")
    mine = staff[staff["source_file"] == "pegawai/bad.xlsx"].sort_values("row")
    assert list(mine["row"]) == [2, 3, 4, 6] and set(mine["kode_pemda"]) == {"32.01"}
    assert list(mine["unit_name"]) == ["Dinas Sosial"] * 3 + ["Dinas Kesehatan"]


def _merge_over_staff(sheet: object) -> None:
    """A list of one intake: the region code, unit, status and TMT merged over the staff and,
    as templates run them, on over the signature block below; further down, the empty merged
    ranges a template carries."""
    for cells in ("A2:A7", "E2:E7", "F2:F7", "G2:G7", "A20:A30", "C12:C14"):
        sheet.merge_cells(cells)  # type: ignore[attr-defined]


def _one_column_header_merges(sheet: object) -> None:
    """A header of two rows whose only group header ('Pengangkatan') stands over one column:
    the other headers merged down over the second row, which holds one sub-header."""
    for column in "ABCDE":
        sheet.merge_cells(f"{column}1:{column}2")  # type: ignore[attr-defined]


def _units_all_matched(out: Path) -> None:
    units = pd.read_parquet(out / "units.parquet")
    assert units["unit_matched"].all(), units.loc[~units["unit_matched"], "unit_name"].tolist()
    assert "Dinas Sosial" in set(units["unit_name"])


def _group_headers(sheet: object) -> None:
    """A SIMPEG export's header of two rows: group headers merged over their sub-headers."""
    for cells in ("A2:A3", "B2:C2", "D2:E2", "F2:H2"):
        sheet.merge_cells(cells)  # type: ignore[attr-defined]


def _instruction_sheets(sheet: object) -> None:
    """An office template: instructions and a list of OPDs (a dropdown's source) beside it."""
    book = sheet.parent  # type: ignore[attr-defined]
    book.create_sheet("Petunjuk Pengisian").append(["Isi satu baris per pegawai"])
    opd = book.create_sheet("Referensi OPD")
    opd.append(["No", "Nama OPD"])
    opd.append([1, "Dinas Sosial"])


def _recap_sheets(sheet: object) -> None:
    """A roster workbook with the office's own recap beside it: a pivot of staff per OPD and
    status ('Rekap 2024'), and a chart sheet's data ('Grafik')."""
    book = sheet.parent  # type: ignore[attr-defined]
    recap = book.create_sheet("Rekap 2024")
    for cells in (["OPD", "PNS", "PPPK", "Jumlah"], ["Dinas Sosial", 1, 0, 1]):
        recap.append(cells)
    chart = book.create_sheet("Grafik")
    for cells in (["Unit Kerja", "Jumlah Pegawai"], ["Dinas Sosial", 1]):
        chart.append(cells)


def _lookup_on_sheet2(sheet: object) -> None:
    """The OPD list a dropdown reads from, left on Excel's default second sheet."""
    lookup = sheet.parent.create_sheet("Sheet2")  # type: ignore[attr-defined]
    for cells in (["Nama OPD"], ["Dinas Sosial"], ["Dinas Kesehatan"]):
        lookup.append(cells)


def _data_in_a_sheet_named_keterangan(sheet: object) -> None:
    """A second roster sheet that an office happened to name 'Keterangan': it is data."""
    extra = sheet.parent.create_sheet("Keterangan")  # type: ignore[attr-defined]
    for cells in (ROSTER_HEADER, row(nip=NIP_B)):
        extra.append(cells)


def _titled(title: str) -> Callable[[object], None]:
    def edit(sheet: object) -> None:
        sheet.title = title  # type: ignore[attr-defined]
    return edit


def _passed_over(*names: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
        sheets = {s["sheet"]: s for s in summary["files"]["pegawai/bad.xlsx"]["sheets"]}
        for name in names:
            assert sheets[name]["rows_in"] == 0
            assert sheets[name]["note"].startswith(f"not read: sheet '{name}'")
    return check


TWO_ROW_HEADER = [["DAFTAR NOMINATIF PEGAWAI"],
                  ["No", "Identitas Pegawai", None, "Penempatan", None, "Kepegawaian", None, None],
                  [None, "NIP", "Nama", "Kode Wilayah", "Unit Kerja", "Status", "TMT",
                   "Akhir Kontrak"]]


def _skm(rows: list[list[str]]) -> Callable[[Path], None]:
    return _roster(rows, header=SKM_HEADER, name="skm/bad.csv")


def _ikm(rows: list[list[str]]) -> Callable[[Path], None]:
    return _roster(rows, header=IKM_HEADER, name="ikm/bad.csv")


COUNTS_HEADER = ["Kode Wilayah", "Unit Kerja", "Periode", "Jumlah PNS", "Jumlah PPPK",
                 "Jumlah Lainnya"]
COUNTS = "jumlah_pegawai/bad.csv"


def _counts(rows: list[list[str]]) -> Callable[[Path], None]:
    return _roster(rows, header=COUNTS_HEADER, name=COUNTS)


def _skm_population(rows: list[list[str]]) -> Callable[[Path], None]:
    return _roster(rows, header=[*SKM_HEADER, "Jumlah Populasi"], name="skm/bad.csv")


def _kinerja(rows: list[list[str]]) -> Callable[[Path], None]:
    return _roster(rows, header=["Kode Wilayah", "Unit Kerja", "Tahun", "Nilai SAKIP"],
                   name="kinerja/bad.csv")


BATCH = ["32.01", "Dinas Sosial", "Semester I 2023", *["3"] * 9]


def _skm_batches(first: list[list[str]], second: list[list[str]]) -> Callable[[Path], None]:
    """Two survey files of one unit (a.csv, then bad.csv), each numbering from 1."""
    def make(raw: Path) -> None:
        header = ["No", *SKM_HEADER]
        write_csv(raw / "skm" / "a.csv", header, first)
        write_csv(raw / "skm" / "bad.csv", header, second)
    return make


def _units_apart(out: Path) -> None:
    ikm = pd.read_parquet(out / "ikm_unit.parquet")
    assert ikm["unit_id"].str.startswith("32.01/agriculture/").sum() == 2
    assert ikm["unit_id"].str.startswith("32.01/public_order/").sum() == 2


def _ikm_with_category(values: list[float], categories: list[str]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        ikm = pd.read_parquet(out / "ikm_unit.parquet")
        mine = ikm[ikm["unit_id"] == "32.01/social"].sort_values("period_index")
        assert mine["ikm"].tolist() == pytest.approx(values)
        assert mine["mutu_published"].tolist() == categories
    return check


def _ikm_converted(values: list[float], notes: int) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        ikm = pd.read_parquet(out / "ikm_unit.parquet")
        mine = ikm[ikm["unit_id"] == "32.01/social"].sort_values("period_index")
        assert mine["ikm"].tolist() == pytest.approx(values)
        summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
        assert summary["files"]["ikm/bad.csv"]["notes"].get("ikm_converted_from_1_4", 0) == notes
    return check


def _no_phantom_unit(out: Path) -> None:
    """No summary label became a unit anywhere."""
    names = set(pd.read_parquet(out / "units.parquet")["unit_name"].str.upper())
    names |= set(pd.read_parquet(out / "panel.parquet")["unit_name"].dropna().str.upper())
    assert not names & {"RATA-RATA", "NILAI IKM", "NILAI IKM:", "JUMLAH", "TOTAL",
                        "JUMLAH TOTAL", "RATA-RATA :"}, names
    rejects = pd.read_parquet(out / "rejects.parquet")
    summary = rejects[rejects["reason"].str.startswith("summary row")]
    assert summary["column"].isin(["unit_kerja", "unit_layanan", "nama", "nip", "kode_pemda"]
                                  ).all()


SKM_DATED = ["Kode Wilayah", "Unit Layanan", "Tanggal Survei", *(e.title() for e in ELEMENTS)]


def _timestamps_placed(out: Path) -> None:
    ikm = pd.read_parquet(out / "ikm_unit.parquet")
    mine = ikm[ikm["unit_id"] == "32.01/social"]
    assert dict(zip(mine["period"], mine["respondents"], strict=True)) == {
        "2023-S1": 2, "2023-S2": 1}


def _notes_of(file: str, notes: dict[str, int]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
        assert summary["files"][file]["notes"] == notes
    return check


def _periods_of_dates(out: Path) -> None:
    ikm = pd.read_parquet(out / "ikm_unit.parquet").set_index("unit_id")["period"]
    assert ikm["32.01/social"] == "2023-S1" and ikm["32.01/health"] == "2023-S2"


def _still_in_post(out: Path) -> None:
    staff = pd.read_parquet(out / "staff.parquet")
    social = staff[staff["source_file"] == BAD]
    assert len(social) == 2 and social["tanggal_berakhir"].isna().all()
    summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["files"][BAD]["notes"] == {"dash_set_missing:tanggal_berakhir": 2}


def _dash_counts_empty(out: Path) -> None:
    counts = pd.read_parquet(out / "staff_counts.parquet")
    assert counts["n_other"].isna().all() and len(counts) == 2


def _staff_counts(pns: dict[str, int]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        counts = pd.read_parquet(out / "staff_counts.parquet")
        assert dict(zip(counts["unit_id"], counts["n_pns"], strict=True)) == pns
    return check


def _ikm_respondents(expected: list[int]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        ikm = pd.read_parquet(out / "ikm_unit.parquet")
        assert ikm.loc[ikm["unit_id"] == "32.01/social", "respondents"].tolist() == expected
    return check


def _regions_of_bad(expected: list[str], notes: dict[str, int] | None = None
                    ) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        staff = pd.read_parquet(out / "staff.parquet")
        mine = staff[staff["source_file"] == BAD].sort_values("row")
        assert list(mine["kode_pemda"]) == expected
        summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
        assert summary["files"][BAD]["notes"] == (notes or {})
    return check


NBSP_NIP = "19800101\u00a0200501\u00a01\u00a0003"  # copied from a web page or a PDF
SPACED_NIP = "NIP 19810202  200602  1  004"  # double spaces
DASH_NIP = "19820303\u2013200703\u20131\u2013005"
NIPS = ["198001012005011003", "198102022006021004", "198203032007031005",
        "198304042008041006", "198405052009051007", "198506062010061008"]


INVISIBLES = ["\u200b32.01", "32\u200e.01", "32.01\u00ad", "\ufeff32.01"]
"""Region codes as pasted from a web page, a PDF or a chat app: a zero-width space, a
left-to-right mark, a soft hyphen, a byte order mark, each invisible where the cell shows."""


def _nothing_invisible(out: Path) -> None:
    for table in ("staff", "units", "ikm_unit"):
        frame = pd.read_parquet(out / f"{table}.parquet")
        for column in frame.select_dtypes(exclude="number").columns:
            cells = frame[column].dropna().astype(str)
            assert not cells.str.contains("[\u00ad\u200b-\u200f\u2060\ufeff]").any(), column
    units = pd.read_parquet(out / "units.parquet")
    assert "Dinas Sosial" in set(units["unit_name"])


def _raw_values(out: Path, file: str) -> list[str]:
    rejects = pd.read_parquet(out / "rejects.parquet")
    return list(rejects.loc[rejects["source_file"] == file, "raw_value"].astype(str))


def _nip_masked_in_counts(out: Path) -> None:
    values = _raw_values(out, COUNTS)
    assert "1980***********003" in values, values
    for path in out.iterdir():
        assert b"198001012005011003" not in path.read_bytes(), path.name


def _nowhere(*digits: str) -> Callable[[Path], None]:
    """No output file holds any of `digits` (an identifier's digits as a run, however the
    input wrote the gaps), and the raw values of the rejects hold none either."""
    def check(out: Path) -> None:
        for path in out.iterdir():
            data = path.read_bytes()
            assert not any(d.encode() in data for d in digits), path.name
        rejects = pd.read_parquet(out / "rejects.parquet")
        runs = rejects["raw_value"].dropna().str.replace(r"\D", "", regex=True)
        assert not any(d in value for d in digits for value in runs), list(rejects["raw_value"])
    return check


def _name_nowhere(name: str) -> Callable[[Path], None]:
    """No output file holds `name`, in any case, with or without its spaces."""
    forms = [name.lower().encode(), name.lower().replace(" ", "").encode()]
    def check(out: Path) -> None:
        for path in out.iterdir():
            data = path.read_bytes().lower()
            assert not any(form in data for form in forms), path.name
    return check


def _live_formula_neutralised(out: Path) -> None:
    """panel.csv and rejects.csv start formula text with a quote; Parquet keeps the value."""
    panel_csv = (out / "panel.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(\"\"http://x.example\"\")" in panel_csv
    assert ",=HYPERLINK" not in panel_csv and ",\"=HYPERLINK" not in panel_csv
    panel = pd.read_parquet(out / "panel.parquet")
    assert '=HYPERLINK("http://x.example")' in set(panel["unit_name"])
    rejects_csv = (out / "rejects.csv").read_text(encoding="utf-8")
    assert "'@SUM(A1)" in rejects_csv and ",@SUM" not in rejects_csv
    assert ",-5," in rejects_csv  # a number stays a number
    rejects = pd.read_parquet(out / "rejects.parquet")
    assert "@SUM(A1)" in set(rejects["raw_value"].dropna())


def _mixed_encodings(raw: Path) -> None:
    header = ";".join(ROSTER_HEADER).encode()
    utf8 = ";".join(row(nama="José Ñúñez")).encode("utf-8")
    cp = ";".join(row(nip=NIP_B, nama="Renée Müller")).encode("cp1252")
    _bytes(BAD, b"\r\n".join([header, utf8, cp]) + b"\r\n")(raw)


def _bom_cp1252(raw: Path) -> None:
    header = ";".join(ROSTER_HEADER).encode()
    body = ";".join(row(nama="Renée Müller")).encode("cp1252")
    _bytes(BAD, b"\xef\xbb\xbf" + header + b"\r\n" + body + b"\r\n")(raw)


def _utf16(raw: Path) -> None:
    text = "\r\n".join(["\t".join(ROSTER_HEADER), "\t".join(row())]) + "\r\n"
    _bytes(BAD, b"\xff\xfe" + text.encode("utf-16-le"))(raw)


def _long_line(raw: Path) -> None:
    junk = "x" * 10_000_000
    _roster([row(), [junk]])(raw)


def _ten_mb_cell(raw: Path) -> None:
    _roster([row(), row(nip=NIP_B, unit="D" * 10_000_000)])(raw)


def _dataset(**keys: object) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        (raw / "dataset.json").write_text(json.dumps(
            {"synthetic": True, "reference_date": "2025-01-15", **keys}), encoding="utf-8")
    return make


def _both(*makers: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        for maker in makers:
            maker(raw)
    return make


def _codes_summary(mapped: dict[str, int], declared: str | None = None, outside: int = 0
                   ) -> Callable[[Path], None]:
    """cleaning_summary.json's region_codes: the old codes mapped (rows) and the edition."""
    def check(out: Path) -> None:
        summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
        codes = summary["region_codes"]
        assert {f"{m['old_code']}->{m['new_code']}": m["rows"]
                for m in codes["old_codes_mapped"]} == mapped
        assert all("Kepmendagri" in m["decree"] and "UU " in m["decree"]
                   for m in codes["old_codes_mapped"])
        assert (codes["declared_edition"] or {}).get("edition") == declared
        assert codes["rows_not_in_declared_edition"] == outside
        assert codes["panel_edition"].startswith("2025 (Kepmendagri 300.2.2-2138/2025")
    return check


def _all(*checks: Callable[[Path], None]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        for one in checks:
            one(out)
    return check


def _ikm_regions(expected: set[str]) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        ikm = pd.read_parquet(out / "ikm_unit.parquet")
        assert {u.split("/")[0] for u in ikm["unit_id"] if u.startswith("9")} == expected
    return check


PAPUA_2022 = [("91.01", "KAB. MERAUKE"), ("9109", "Kab. Mimika"), ("92.01", "KAB. SORONG"),
              ("92.71", "KOTA SORONG"), ("91,01", "Kabupaten Merauke"), ("92,1", "")]
"""Rows of a roster exported in 2022: the codes before the Papua split, with their names; the
last two typed as decimal numbers in Indonesian Excel (92.10 Maybrat losing its last zero)."""
OLD_NAMES = ["Kab. Pahuwato", "Kota Pare Pare", "KOTA TANJUNG BALAI", "KAB. TOBA SAMOSIR",
             "Kab. Mamuju Utara", "KAB. PANGKAJENE KEPULAUAN"]
"""Names as the 2016-2023 lists wrote them, under codes that did not change."""


@dataclass
class Case:
    """`make` adds broken files to the good base dataset. Expect either `error` (fragments of
    the one-line message) or `reasons` (fragments of reasons in the rejects of `file`); with
    neither, the broken file must be cleaned without rejects (`clean` rows)."""

    name: str
    make: Callable[[Path], None]
    error: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    file: str = BAD
    clean: int | None = None
    check: Callable[[Path], None] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _unit_unmatched(out: Path) -> None:
    units = pd.read_parquet(out / "units.parquet")
    assert "Dinas Antah Berantah" in set(units.loc[~units["unit_matched"], "unit_name"])


def _dataset_json(text: str, *more: Callable[[Path], None]) -> Callable[[Path], None]:
    """dataset.json replaced by `text`, and the files of `more`."""
    def make(raw: Path) -> None:
        (raw / "dataset.json").write_text(text, encoding="utf-8")
        for other in more:
            other(raw)
    return make


def _summary(out: Path) -> dict[str, object]:
    return json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))


def _office_folders_read(out: Path) -> None:
    files = _summary(out)["files"]
    assert files["Data Pegawai 2024/roster_2024.csv"]["kind"] == "pegawai"  # type: ignore[index]
    assert files["01_SKM/jawaban.csv"]["kind"] == "skm"  # type: ignore[index]
    assert files["Rekap IKM/rekap.csv"]["kind"] == "ikm"  # type: ignore[index]
    assert _summary(out)["ignored_files"] == []


def _respondents(expected: dict[str, int]) -> Callable[[Path], None]:
    """The respondents of 32.01/social per period in ikm_unit.parquet."""
    def check(out: Path) -> None:
        ikm = pd.read_parquet(out / "ikm_unit.parquet")
        mine = ikm[ikm["unit_id"] == "32.01/social"]
        assert dict(zip(mine["period"], mine["respondents"], strict=True)) == expected
    return check


def _ikm_of_social(expected: float, respondents: int) -> Callable[[Path], None]:
    """The IKM computed from the SKM answers of 32.01/social (PermenPANRB 14/2017)."""
    def check(out: Path) -> None:
        ikm = pd.read_parquet(out / "ikm_unit.parquet")
        mine = ikm[(ikm["unit_id"] == "32.01/social") & (ikm["ikm_source"] == "answers")]
        assert mine["ikm"].round(2).tolist() == [expected]
        assert mine["respondents"].tolist() == [respondents]
    return check


STP = ["Sangat Tidak Puas", "Tidak Puas", "Puas", "Sangat Puas"]
"""A survey app's four answers from 'Sangat tidak puas' (1) to 'Sangat puas' (4)."""


OLAH_HEADER = ["No", "Kode Wilayah", "Unit Layanan", "Periode", "Umur", "Jenis Kelamin",
               "Pendidikan", "Pekerjaan", *(f"U{i}" for i in range(1, 10))]
OLAH_ROW = ["32.01", "Dinas Sosial", "Semester I 2023", 41, "P", "SMA", "Wiraswasta"]


def _olah_data(answers: list[list[int]]) -> list[list[object]]:
    """An SKM 'olah data' sheet of the PermenPANRB template: respondents, then its rows of
    sums and means under the answers, labelled in the No column."""
    sums = [sum(column) for column in zip(*answers, strict=True)]
    return [["PENGOLAHAN DATA SKM PER RESPONDEN"], OLAH_HEADER,
            *([i, *OLAH_ROW, *a] for i, a in enumerate(answers, 1)),
            ["\u03a3 Nilai/Unsur", *OLAH_ROW[:3], None, None, None, None, *sums],
            ["NRR/Unsur", *OLAH_ROW[:3], None, None, None, None,
             *(s / len(answers) for s in sums)],
            ["NRR tertimbang", None, None, None, None, None, None, None,
             *(s / len(answers) / 9 for s in sums)],
            ["IKM Unit Pelayanan", None, None, None, None, None, None, None, 75.0]]


def _shares_zero(out: Path) -> None:
    kinerja = pd.read_parquet(out / "kinerja.parquet").set_index("unit_name")
    assert kinerja.loc["Dinas Sosial", "skp_kurang"] == 0
    assert kinerja.loc["Dinas Kesehatan", "skp_sangat_kurang"] == 0
    assert _summary(out)["files"]["kinerja/bad.csv"]["notes"]["skp_share_set_0"] == 2


def _unknown_folder_listed(out: Path) -> None:
    summary = _summary(out)
    assert summary["ignored_files"] == ["Lampiran/catatan.csv", "Surat Edaran/se_2023.xlsx",
                                        "rekap.csv"]
    warned = [w for w in summary["warnings"] if "not read" in w]  # type: ignore[union-attr]
    assert len(warned) == 1 and "Lampiran/ (1 file)" in warned[0], warned
    assert "Surat Edaran/ (1 file)" in warned[0] and "rekap.csv (1 file)" in warned[0]


def _office_folders(raw: Path) -> None:
    """Folders named the way an office names them: a title, a year, a number in front."""
    _roster([row(nip=NIP_B)], name="Data Pegawai 2024/roster_2024.csv")(raw)
    _roster([["32.01", "Dinas Sosial", "Semester I 2023", *["3"] * 9]],
            header=SKM_HEADER, name="01_SKM/jawaban.csv")(raw)
    _roster([["32.01", "Dinas Sosial", "Semester II 2023", "81", "40"]],
            header=IKM_HEADER, name="Rekap IKM/rekap.csv")(raw)


def _unknown_folders(raw: Path) -> None:
    _roster([row(nip=NIP_B)], name="Lampiran/catatan.csv")(raw)
    _bytes("Surat Edaran/se_2023.xlsx", b"not read")(raw)
    _roster([row(nip=NIP_C)], name="rekap.csv")(raw)
    _bytes("Lampiran/foto.jpg", b"not a table: not listed")(raw)


CASES: list[Case | object] = [
    Case("empty file", _bytes(BAD, b""), error=(BAD, "empty file")),
    Case("whitespace only", _bytes(BAD, b"  \r\n\t \n   "), error=(BAD, "empty")),
    Case("header only", _roster([]), error=(BAD, "header only")),
    Case("binary junk named .csv", _bytes(BAD, bytes(range(256)) * 40),
         error=(BAD, "binary content")),
    Case("NUL bytes in text", _lines(";".join(ROSTER_HEADER) + "\n32.01;\x00\x00;x\n"),
         error=(BAD, "binary content")),
    Case("Parquet named .csv", _bytes(BAD, b"PAR1" + b"\x00" * 64), error=(BAD, "Parquet")),
    Case("zip named .csv", _bytes(BAD, b"PK\x03\x04" + b"\x00" * 64), error=(BAD, "zip")),
    Case("wrong separator (colon)", _roster([row()], sep=":"), error=(BAD, "column")),
    Case("missing required column", _roster([row()[:6]], header=ROSTER_HEADER[:6]),
         error=(BAD, "tmt")),
    Case("two encodings in one file", _mixed_encodings, clean=2),
    Case("BOM then cp1252", _bom_cp1252, clean=1),
    Case("UTF-16 text export", _utf16, clean=1),
    Case("repeated header rows mid-file",
         _roster([row(), ROSTER_HEADER, row(nip=NIP_B), ROSTER_HEADER]),
         reasons=("repeated header row",), clean=2),
    Case("TMT in the future", _roster([row(tmt="2031-01-01")]),
         reasons=("after the reference date",)),
    Case("TMT in 1900, before the NIP birth date", _roster([row(tmt="01/01/1900")]),
         reasons=("TMT before age",)),
    Case("date in year 1800", _roster([row(tmt="1800-01-01")]), reasons=("year",)),
    Case("Excel serial date", _roster([row(tmt="38353")]), clean=1),
    Case("a TMT of a year only (it is no Excel serial date: 2024 would be July 1905)",
         _roster([row(tmt="2024"), row(nip=NIP_B, tmt="Sab, 01 Jun 2024")]),
         reasons=("a year, not a date",), clean=1),
    Case("a hand-made roster giving TMT and contract end as months ('Maret 2023', '12/2025')",
         _roster([row(tmt="Maret 2023", akhir="12/2025"), row(nip=NIP_B, tmt="2023-03")]),
         clean=2, check=_notes_of(BAD, {"dates_month_only:tmt": 2,
                                        "dates_month_only:tanggal_berakhir": 1})),
    Case("keys of white space", _roster([row(nip="   ", unit="\u00a0 \t")]),
         reasons=("missing required",)),
    Case("a 10 MB line", _long_line, reasons=("characters long",), clean=1),
    Case("a 10 MB cell", _ten_mb_cell, reasons=("characters long",), clean=1),
    Case("unknown region code", _roster([row(kode="99.99")]), reasons=("region",)),
    Case("ambiguous region name", _roster([row(kode="", kab="Bogor")]), reasons=("region",)),
    Case("unknown unit is kept as its own unit", _roster([row(unit="Dinas Antah Berantah")]),
         clean=1, check=_unit_unmatched),
    Case("NIP in scientific notation", _roster([row(nip="1,98001E+17")]),
         reasons=("scientific",)),
    Case("NIP with trailing 000", _roster([row(nip="198001012005011000")]),
         reasons=("000",)),
    Case("NIP with letters", _roster([row(nip="19800101200501100X")]), reasons=("NIP",)),
    Case("Excel error cells in CSV", _roster([row(tmt="#N/A"), row(nip=NIP_B, unit="#REF!")]),
         reasons=("Excel error",)),
    Case("duplicate rows", _roster([row(), row()]), reasons=("duplicate",), clean=1),
    Case("extra unknown columns",
         _roster([[*row(), "x", "y"]], header=[*ROSTER_HEADER, "Hobi", "Catatan"]), clean=1),
    Case("ragged rows", _roster([[*row(), "surplus"], row(nip=NIP_B)[:7]]), clean=2),
    Case("unbalanced quote", _lines(";".join(ROSTER_HEADER) + "\n" + ";".join(
        row(nama='"Andi Wijaya')) + "\n" + ";".join(row(nip=NIP_B)) + "\n"), clean=2),
    Case("old Mac line endings", _bytes(BAD, "\r".join([";".join(ROSTER_HEADER),
                                                        ";".join(row())]).encode()), clean=1),
    Case("SKM scores 0 and 5", _skm([["32.01", "Dinas Sosial", "Semester I 2023",
                                      *["0"] + ["3"] * 8],
                                     ["32.01", "Dinas Sosial", "Semester I 2023",
                                      *["5"] + ["3"] * 8]]),
         file="skm/bad.csv", reasons=("1-4",)),
    Case("IKM of 120 and of 10", _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "120", "50"],
                                       ["32.01", "Dinas Sosial", "Semester II 2023", "10", "50"]]),
         file="ikm/bad.csv", reasons=("25",)),
    Case("negative respondents", _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "80", "-5"]]),
         file="ikm/bad.csv", reasons=("respondents",)),
    Case("percent IKM and thousands separators",
         _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "80,5%", "1.250"]]),
         file="ikm/bad.csv", clean=1),
    Case("period unreadable", _ikm([["32.01", "Dinas Sosial", "Semester V 2023", "80", "50"]]),
         file="ikm/bad.csv", reasons=("period",)),
    Case("a recap's period as a year and one digit ('2023/2': a month? semester II?)",
         _ikm([["32.01", "Dinas Sosial", "2023/2", "80", "50"],
               ["32.01", "Dinas Sosial", "2023/08", "81", "50"]]),
         file="ikm/bad.csv", reasons=("ambiguous period",), clean=1),
    Case("a recap's periods as 'Mar-23' (Excel's month), 'Semester Ganjil 2023', 'II/2023'",
         _ikm([["32.01", "Dinas Sosial", "Mar-23", "80", "50"],
               ["32.01", "Dinas Sosial", "Semester Ganjil 2023", "81", "50"],
               ["32.01", "Dinas Sosial", "II/2023", "82", "50"]]),
         file="ikm/bad.csv", clean=1, reasons=("a school year's semester", "ambiguous period")),
    Case("period in the future", _ikm([["32.01", "Dinas Sosial", "Semester I 2031", "80", "50"]]),
         file="ikm/bad.csv", reasons=("period",)),
    Case("period in 1900", _ikm([["32.01", "Dinas Sosial", "Semester I 1900", "80", "50"]]),
         file="ikm/bad.csv", reasons=("year",)),
    Case("SKM survey date in the future",
         _roster([["32.01", "Dinas Sosial", "12/03/2031", *["3"] * 9]],
                 header=["Kode Wilayah", "Unit Layanan", "Tanggal Survei",
                         *(e.title() for e in ELEMENTS)], name="skm/bad.csv"),
         file="skm/bad.csv", reasons=("after the reference date",)),
    Case("SKM answers as words and junk",
         _skm([["32.01", "Dinas Sosial", "Semester I 2023", "Sangat Baik", *["x"] * 8]]),
         file="skm/bad.csv", reasons=("not a number",)),
    Case("a survey app's answers from 'Sangat Tidak Puas' to 'Sangat Puas' (four answers)",
         _skm([["32.01", "Dinas Sosial", "Semester I 2023", *[answer] * 9] for answer in STP]),
         file="skm/bad.csv", clean=4, check=_all(
             _ikm_of_social(62.5, 4),  # every element's mean 2.5, times 25
             _notes_of("skm/bad.csv", {"answer_words_scored": 36,
                                       "answer_scale_sangat_tidak": 36}))),
    Case("a survey app's 'Sangat Tidak' scale seen in one element only: the file's other "
         "elements are on it too, but for one answered 'Kurang Puas'",
         _skm([["32.01", "Dinas Sosial", "Semester I 2023", low, *[answer] * 7, last]
               for low, answer, last in [("Sangat Tidak Sesuai", "Tidak Puas", "Kurang Puas"),
                                         ("Sesuai", "Puas", "Puas"),
                                         ("Sangat Sesuai", "Sangat Puas", "Tidak Puas")]]),
         file="skm/bad.csv", clean=3, check=_all(
             # means: the lowest-answer element (1+3+4)/3, seven elements 3, 'sarana' (2+3+1)/3
             _ikm_of_social(round((8 / 3 + 7 * 3 + 2) / 9 * 25, 2), 3),
             _notes_of("skm/bad.csv", {"answer_words_scored": 27,
                                       "answer_scale_sangat_tidak": 24}))),
    Case("'Kurang Puas' beside 'Sangat Tidak Puas': a fifth answer",
         _skm([["32.01", "Dinas Sosial", "Semester I 2023", *[answer] * 9]
               for answer in [*STP, "Kurang Puas"]]),
         file="skm/bad.csv", clean=4, reasons=("a fifth answer",)),
    Case("XLSX merged cells", _xlsx([ROSTER_HEADER, row(), row(nip=NIP_B)], edit=_merge),
         file="pegawai/bad.xlsx", clean=2,
         check=_notes_of("pegawai/bad.xlsx", {"merged_cells_filled:unit_kerja": 1})),
    Case("XLSX: a unit's name and the region code merged over the unit's staff",
         _xlsx([ROSTER_HEADER, row(), row(nip=NIP_B), row(nip=NIP_C), [None] * 8,
                row(nip=NIPS[3], unit="Dinas Kesehatan")], edit=_merge_units),
         file="pegawai/bad.xlsx", clean=4, check=_all(_merged_units_filled, _notes_of(
             "pegawai/bad.xlsx", {"merged_cells_filled:kode_pemda": 3,
                                  "merged_cells_filled:unit_kerja": 2}))),
    Case("XLSX: region, unit, status and TMT merged over the staff and on over the signature "
         "block, and empty merged ranges under the table",
         _xlsx([ROSTER_HEADER, row(nip=NIPS[0], tmt="2011-03-01"),
                [None, None, NIPS[1], "Budi", None, None, None, None],
                [None, None, NIPS[2], "Cici", None, None, None, None], [None] * 8,
                [None, None, "Kepala Dinas Sosial", None, None, None, None, None],
                [None, None, "NIP. 19700505 199503 1 002", None, None, None, None, None]],
               edit=_merge_over_staff),
         file="pegawai/bad.xlsx", clean=3, reasons=("one cell filled",), check=_notes_of(
             "pegawai/bad.xlsx", {"merged_cells_filled:kode_pemda": 2,
                                  "merged_cells_filled:unit_kerja": 2,
                                  "merged_cells_filled:status": 2,
                                  "merged_cells_filled:tmt": 2})),
    Case("XLSX: a header of two rows whose second row holds one sub-header ('TMT' under "
         "'Pengangkatan', the other headers merged down over it)",
         _xlsx([["Kode Wilayah", "NIP", "Nama", "Unit Kerja", "Status", "Pengangkatan"],
                [None, None, None, None, None, "TMT"],
                ["32.01", NIPS[0], "Andi", "Dinas Sosial", "PNS", "2012-03-01"],
                ["32.01", NIPS[1], "Budi", "Dinas Sosial", "PNS", "2013-03-01"]],
               edit=_one_column_header_merges),
         file="pegawai/bad.xlsx", clean=2),
    Case("a one-cell group label right under the header is still dropped as such",
         _roster([["BIDANG PELAYANAN", *[""] * 7], row()]),
         clean=1, reasons=("one cell filled: a label, note or signature",)),
    Case("XLSX formulas never calculated",
         _xlsx([ROSTER_HEADER, row(), [*row(nip=NIP_B)[:6], "=DATE(2010,1,1)", ""]]),
         file="pegawai/bad.xlsx", reasons=("missing required",), clean=1),
    Case("XLSX Excel error cells", _xlsx([ROSTER_HEADER, row(tmt="#REF!")]),
         file="pegawai/bad.xlsx", reasons=("Excel error",)),
    Case("XLSX: a header of two rows, group headers merged over sub-headers",
         _xlsx([*TWO_ROW_HEADER, ["1", *row()[2:4], "32.01", *row()[4:]],
                ["2", *row(nip=NIP_B)[2:4], "32.01", *row(nip=NIP_B)[4:]]], edit=_group_headers),
         file="pegawai/bad.xlsx", clean=2),
    Case("XLSX: a header of two rows whose sub-headers still lack a required column",
         _xlsx([*TWO_ROW_HEADER[:2], [None, "NIP", "Nama", "Kode Wilayah", "Unit Kerja", "Status"],
                ["1", *row()[2:4], "32.01", *row()[4:6]]], edit=_group_headers),
         error=("bad.xlsx", "required column(s) missing: tmt (", "headers found: No, NIP, Nama")),
    Case("XLSX: a header of two rows, the columns numbered under it",
         _xlsx([*TWO_ROW_HEADER, [str(n) for n in range(1, 9)],
                ["1", *row()[2:4], "32.01", *row()[4:]]], edit=_group_headers),
         file="pegawai/bad.xlsx", clean=1, reasons=("row of column numbers",)),
    Case("XLSX with an empty extra sheet", _xlsx([ROSTER_HEADER, row()], extra_sheets=("kosong",)),
         file="pegawai/bad.xlsx", clean=1),
    Case("XLSX with no data at all", _xlsx([]), error=("bad.xlsx", "no cells")),
    Case("XLSX NIP as a number", _xlsx([ROSTER_HEADER, row(), [*row()[:2], 198102022006021004,
                                                            *row()[3:]]]),
         file="pegawai/bad.xlsx", reasons=("NIP",), clean=1),
    Case("zip named .xlsx", _zip_named_xlsx, error=("bad.xlsx", "Excel workbook")),
    Case("CSV text named .xlsx", _lines("a;b\n1;2\n", name="pegawai/bad.xlsx"),
         error=("bad.xlsx", "Excel workbook")),
    Case("old .xls", _bytes("pegawai/bad.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64),
         error=("bad.xls", ".xlsx")),
    Case("corrupt Parquet", _bytes("pegawai/bad.parquet", b"PAR1 garbage"),
         error=("bad.parquet", "Parquet")),
    Case("Parquet with wrong types",
         _parquet(pd.DataFrame({"kode_pemda": [32.01, 32.01], "nip": [1.98001012005011e17,
                                                                        198102022006021004.0],
                                "unit_kerja": ["Dinas Sosial", "Dinas Sosial"],
                                "status": [1, 1], "tmt": [38353.0, 38353.0]})),
         file="pegawai/bad.parquet", reasons=("NIP",)),
    Case("a 20-digit staff count",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "12345678901234567890", "3", ""],
                  ["32.01", "Dinas Kesehatan", "Semester I 2023", "40", "3", "1,0E+25"]]),
         file=COUNTS, reasons=("implausible count: above 100,000",)),
    Case("an NIP pasted into a count column",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "12", "198001012005011003", ""],
                  ["32.01", "Dinas Kesehatan", "Semester I 2023", "100000", "3", ""]]),
         file=COUNTS, reasons=("implausible count",), clean=1, check=_nip_masked_in_counts),
    Case("XLSX: an NIP typed as a number into a count cell",
         _xlsx([COUNTS_HEADER, ["32.01", "Dinas Sosial", "Semester I 2023", 12, 3, None],
                ["32.01", "Dinas Kesehatan", "Semester I 2023", 198001012005011003, 3, None],
                ["32.01", "Dinas Pertanian", "Semester I 2023", 7, 1.0e20, None]],
               name="jumlah_pegawai/bad.xlsx"),
         file="jumlah_pegawai/bad.xlsx", reasons=("implausible count",), clean=1),
    Case("XLSX: an NIP Excel kept as a number (15 digits) in a count cell",
         _xlsx([COUNTS_HEADER, ["32.01", "Dinas Sosial", "Semester I 2023", 12, 3, None],
                ["32.01", "Dinas Kesehatan", "Semester I 2023", float(NIP_A), 3, None]],
               name="jumlah_pegawai/bad.xlsx"),
         file="jumlah_pegawai/bad.xlsx", reasons=("implausible count",), clean=1,
         check=_nowhere(NIP_A[:15], NIP_A[:9])),
    Case("an NIP with non-breaking or double spaces in a value column",
         _ikm([["32.01", "Dinas Sosial", "Semester I 2023", NBSP_NIP, "50"],
               ["32.01", "Dinas Kesehatan", "Semester I 2023", "80", SPACED_NIP],
               ["32.01", "Dinas Pertanian", "Semester I 2023", "80", DASH_NIP]]),
         file="ikm/bad.csv", reasons=("IKM outside", "not a number"), clean=0,
         check=_nowhere(NIP_A[4:15], NIP_B[4:15], NIP_C[4:15])),
    Case("a roster name with titles and degrees, written bare as a unit elsewhere",
         _both(_roster([row(nama="Drs. H. BAMBANG SUSILO, M.Si")]),
               _ikm([["32.01", "Bambang Susilo", "Semester I 2023", "80", "50"]])),
         clean=1, check=_name_nowhere("Bambang Susilo")),
    Case("a 20-digit respondents count",
         _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "80", "12345678901234567890"],
               ["32.01", "Dinas Kesehatan", "Semester I 2023", "80", "1000000"]]),
         file="ikm/bad.csv", reasons=("implausible respondents: above 1,000,000",), clean=1),
    Case("a 20-digit survey population",
         _skm_population([["32.01", "Dinas Sosial", "Semester I 2023", *["3"] * 9,
                           "12345678901234567890"],
                          ["32.01", "Dinas Sosial", "Semester I 2023", *["4"] * 9, "5000"]]),
         file="skm/bad.csv", reasons=("implausible population",), clean=1),
    Case("cells that a spreadsheet runs as formulas",
         _ikm([["32.01", '=HYPERLINK("http://x.example")', "Semester I 2023", "80", "50"],
               ["32.01", "Dinas Sosial", "Semester I 2023", "@SUM(A1)", "50"],
               ["32.01", "Dinas Kesehatan", "Semester I 2023", "80", "-5"]]),
         file="ikm/bad.csv", reasons=("not a number", "negative respondents"), clean=1,
         check=_live_formula_neutralised),
    Case("a published IKM with its category in brackets: '82,45 (B)'",
         _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "82,45 (B)", "50"],
               ["32.01", "Dinas Sosial", "Semester II 2023", " 76,10 ( Kurang Baik ) ", "60"],
               ["32.01", "Dinas Sosial", "Semester I 2024", "3,5 (B)", "60"],
               ["32.01", "Dinas Kesehatan", "Semester I 2024", "81 (catatan)", "60"]]),
         file="ikm/bad.csv", reasons=("not a number",), clean=3,
         check=_ikm_with_category([82.45, 76.10, 87.5], ["B", "C", "B"])),
    Case("average and total rows in a published-IKM file",
         _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "80", "50"],
               ["32.01", "RATA-RATA", "Semester I 2023", "80", "50"],
               ["32.01", "NILAI IKM:", "Semester I 2023", "80,5", "100"],
               ["32.01", "Jumlah Total", "Semester I 2023", "", "100"]]),
         file="ikm/bad.csv", reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("an average row in SKM answers",
         _skm([["32.01", "Dinas Sosial", "Semester I 2023", *["3"] * 9],
               ["32.01", "Rata-rata :", "Semester I 2023", *["3,1"] * 9]]),
         file="skm/bad.csv", reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("a total row in staff counts",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "12", "3", ""],
                  ["32.01", "TOTAL", "Semester I 2023", "12", "3", ""],
                  ["32.01", "Jumlah", "Semester I 2023", "12", "3", ""]]),
         file=COUNTS, reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("a signature block and a print note under a roster, a group label above its rows",
         _roster([["BIDANG PELAYANAN SOSIAL", *[""] * 7], row(), [""] * 8,
                  ["Bantul, 31 Desember 2023", *[""] * 7], [*[""] * 4, "Kepala BKPSDM", *[""] * 3],
                  [*[""] * 4, "Drs. SUPARMAN, M.Si", *[""] * 3],
                  [*[""] * 4, "NIP. 19700101 199503 1 002", *[""] * 3],
                  ["Dicetak oleh SIMPEG pada 04-12-2026 10:00", *[""] * 7]]),
         clean=1, reasons=("one cell filled: a label, note or signature",),
         check=_nowhere("197001011995031002")),
    Case("a total row in a roster",
         _roster([row(), row(nip="", nama="JUMLAH", unit="", status="", tmt=""),
                  row(nip=NIP_B, unit="Total:")]),
         reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("a SIMPEG total row: JUMLAH under the NIP, a head count under the name",
         _roster([row(), row(kode="", kab="", nip="JUMLAH", nama="1 orang", unit="", status="",
                             tmt="")]),
         reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("a recap's total row: TOTAL in the region code column, no unit",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "12", "3", ""],
                  ["TOTAL", "", "Semester I 2023", "12", "3", ""]]),
         file=COUNTS, reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("a recap's total and average rows with more words after the label",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "12", "3", ""],
                  ["32.01", "Jumlah Seluruhnya", "Semester I 2023", "12", "3", ""],
                  ["32.01", "TOTAL KAB. BOGOR", "Semester I 2023", "12", "3", ""],
                  ["32.01", "Rata-rata Kabupaten", "Semester I 2023", "12", "3", ""]]),
         file=COUNTS, reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("SKP shares with '-' or nothing for the ratings nobody got",
         _roster([["32.01", "Dinas Sosial", "2023", "20%", "70%", "10%", "-", "-"],
                  ["32.01", "Dinas Kesehatan", "2023", "15,5", "84,5", "", "", ""],
                  ["32.01", "Dinas Pertanian", "2023", "15", "80", "", "", ""]],
                 header=["Kode Wilayah", "Unit Kerja", "Tahun", "Sangat Baik", "Baik",
                         "Butuh Perbaikan", "Kurang", "Sangat Kurang"], name="kinerja/bad.csv"),
         file="kinerja/bad.csv", reasons=("SKP shares incomplete",), clean=2,
         check=_shares_zero),
    Case("a SAKIP grade with its words in brackets, as the LHE prints it",
         _roster([["32.01", "Dinas Sosial", "2023", "81,2", "A (Memuaskan)"],
                  ["32.01", "Dinas Kesehatan", "2023", "72", "BB (Sangat Baik)"]],
                 header=["Kode Wilayah", "Unit Kerja", "Tahun", "Nilai SAKIP", "Predikat SAKIP"],
                 name="kinerja/bad.csv"),
         file="kinerja/bad.csv", clean=2),
    Case("a total row in unit outcomes",
         _kinerja([["32.01", "Dinas Sosial", "2023", "71,5"],
                   ["32.01", "JUMLAH TOTAL", "2023", "70"]]),
         file="kinerja/bad.csv", reasons=("summary row",), clean=1, check=_no_phantom_unit),
    Case("survey-app timestamps with Z or an offset",
         _roster([["32.01", "Dinas Sosial", "2023-05-02T08:15:00Z", *["3"] * 9],
                  ["32.01", "Dinas Sosial", "2023-05-02T08:15:00+07:00", *["4"] * 9],
                  ["32.01", "Dinas Sosial", "2023-11-30T23:59:59.250+0800", *["3"] * 9]],
                 header=SKM_DATED, name="skm/bad.csv"),
         file="skm/bad.csv", clean=3, check=_timestamps_placed),
    Case("a Google Forms export: 'Cap waktu' with AM/PM and GMT+7, or an Indonesian clock",
         _roster([["2023/05/02 8:15:00 AM GMT+7", "32.01", "Dinas Sosial", *["3"] * 9],
                  ["2023/05/02 1:40:10 PM GMT+07:00", "32.01", "Dinas Sosial", *["4"] * 9],
                  ["30/11/2023 23.59.59", "32.01", "Dinas Sosial", *["3"] * 9]],
                 header=["Cap waktu", *SKM_DATED[:2], *SKM_DATED[3:]], name="skm/bad.csv",
                 sep=","),
         file="skm/bad.csv", clean=3, check=_timestamps_placed),
    Case("a Google Forms export from a spreadsheet in a US locale: timestamps month first",
         _roster([["5/2/2023 8:15:00", "32.01", "Dinas Sosial", *["3"] * 9],
                  ["6/30/2023 13:40:10", "32.01", "Dinas Sosial", *["4"] * 9],
                  ["11/3/2023 9:00:00", "32.01", "Dinas Sosial", *["3"] * 9]],
                 header=["Timestamp", *SKM_DATED[:2], *SKM_DATED[3:]], name="skm/bad.csv",
                 sep=","),
         file="skm/bad.csv", clean=3, check=_all(_timestamps_placed, _notes_of(
             "skm/bad.csv", {"dates_read_month_first:tanggal_survei": 3}))),
    Case("a Google Forms SKM export: the questions as headers, the answers as words",
         _roster([["2/5/2023 8:15:00", "32.01", "Dinas Sosial", "Sangat sesuai", "Mudah", "Cepat",
                   "Gratis", "Sesuai", "Kompeten", "Sopan dan ramah", "Dikelola dengan baik",
                   "Baik"],
                  ["30/06/2023 13:40:10", "32.01", "Dinas Sosial", *["Sangat sesuai"] * 9],
                  ["11/08/2023 9:00:00", "32.01", "Dinas Sosial", "4", *["Sesuai"] * 8]],
                 header=["Timestamp", *SKM_DATED[:2], *(
                     f"{i}. Bagaimana pendapat Saudara tentang {words}?" for i, words in
                     enumerate(["persyaratan pelayanan", "kemudahan prosedur pelayanan",
                                "kecepatan waktu pelayanan", "kewajaran biaya/tarif",
                                "kesesuaian produk pelayanan", "kemampuan petugas",
                                "kesopanan dan keramahan petugas", "penanganan pengaduan",
                                "kualitas sarana dan prasarana"], 1))],
                 name="skm/bad.csv", sep=","),
         file="skm/bad.csv", clean=3, check=_timestamps_placed),
    Case("a recap whose periode cells are Excel dates (the period's last day)",
         _xlsx([IKM_HEADER, ["32.01", "Dinas Sosial", dt.datetime(2023, 6, 30), 80.5, 100],
                ["32.01", "Dinas Kesehatan", dt.date(2023, 12, 31), 77.25, 90]],
               name="ikm/bad.xlsx"),
         file="ikm/bad.xlsx", clean=2, check=_periods_of_dates),
    Case("a dash for no end date (still in post)",
         _roster([row(akhir="-"), row(nip=NIP_B, akhir="\u2013")]), clean=2,
         check=_still_in_post),
    Case("a dash for an optional count",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "12", "3", "-"],
                  ["32.01", "Dinas Kesehatan", "Semester I 2023", "40", "3", "\u2013"]]),
         file=COUNTS, clean=2, check=_dash_counts_empty),
    Case("counts as an English-locale sheet and a recap write them: '1,200', '384 orang'",
         _both(_counts([["32.01", "Dinas Sosial", "Semester I 2023", "1,200", "35", "-"],
                        ["32.01", "Dinas Kesehatan", "Semester I 2023", "2.400", "12 pegawai",
                         "1,5"]]),
               _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "80,11", "384 orang"]])),
         file=COUNTS, clean=1, reasons=("count is not a whole number",),
         check=_all(_staff_counts({"32.01/social": 1200}), _ikm_respondents([384]))),
    Case("a dash for optional respondents and category",
         _roster([["32.01", "Dinas Sosial", "Semester I 2023", "80", "\u2013", "-"]],
                 header=[*IKM_HEADER, "mutu"], name="ikm/bad.csv"),
         file="ikm/bad.csv", clean=1),
    Case("region names with a government prefix or Kep.",
         _roster([row(kode="", kab=k, nip=n) for k, n in zip(
             ["Pemerintah Kabupaten Bogor", "PEMKAB BOGOR", "Pemkot Bogor",
              "Pemerintah Daerah Kab. Sleman", "Kab. Kep. Selayar", "Pangkajene dan Kep."],
             NIPS, strict=True)]),
         clean=6, check=_regions_of_bad(["32.01", "32.01", "32.71", "34.04", "73.01",
                                         "73.10"])),
    Case("Jakarta's cities by their short forms",
         _roster([row(kode="", kab=k, nip=n) for k, n in zip(
             ["Jaksel", "Kota Jakpus", "JAKTIM"], NIPS, strict=False)]),
         clean=3, check=_regions_of_bad(["31.74", "31.71", "31.75"])),
    Case("a region code typed as a decimal number", _roster([row(kode="32,01")]), clean=1,
         check=_regions_of_bad(["32.01"])),
    Case("invisible characters pasted into codes, NIPs, dates and unit names",
         _roster([row(kode=k, nip=n, unit=u, tmt=t) for k, n, u, t in zip(
             INVISIBLES, ["\u200b" + NIPS[0], NIPS[1][:8] + "\u200b" + NIPS[1][8:],
                          "\u2060" + NIPS[2], NIPS[3] + "\u200f"],
             ["Dinas\u200b Sosial", "Dinas Sosial\u200e", "\ufeffDinas Sosial",
              "Dinas Sos\u00adial"],
             ["2005-01-01\u200b", "2006-\u200b02-01", "2007-03-01", "\u200e2008-04-01"],
             strict=True)]),
         clean=4, check=_all(_regions_of_bad(["32.01"] * 4), _nothing_invisible)),
    Case("a zero-width space between the words of a unit's name, where a web page broke it",
         _ikm([["32.01", "Dinas\u200bSosial", "Semester II 2023", "80,11", "100"],
               ["32.01", "Dinas Pertanian dan\u200bKetahanan Pangan", "Semester II 2023",
                "79,50", "100"]]),
         file="ikm/bad.csv", clean=2, check=_all(_units_all_matched, _nothing_invisible)),
    Case("a word for people after an IKM or a fraction of respondents: not read as a count",
         _ikm([["32.01", "Dinas Sosial", "Semester II 2023", "80 orang", "100"],
               ["32.01", "Dinas Sosial", "Semester I 2023", "80,11", "0,500"],
               ["32.01", "Dinas Sosial", "Semester I 2024", "80,11", "1.200 orang"]]),
         file="ikm/bad.csv", clean=1, reasons=("not a number", "not a whole number")),
    Case("invisible characters in a published IKM and its respondents",
         _ikm([["32.01\u200b", "Dinas Sosial", "Semester I 2023", "80,\u200b11", "1\u200e00"]]),
         file="ikm/bad.csv", clean=1, check=_nothing_invisible),
    Case("a SIMPEG roster: 'Kode Wil.', 'Jenis ASN' with CPNSD, TMT as '1 Agust 2024'",
         _roster([["32.01", "", NIPS[0], "Andi", "Dinas Sosial", "CPNSD", "1 Agust 2024", ""],
                  ["32.01", "", NIPS[1], "Budi", "Dinas Sosial", "Honorer K2", "2 Agust 2024",
                   ""]],
                 header=["Kode Wil.", "Kab/Kota", "NIP", "Nama", "Unit Kerja", "Jenis ASN",
                         "TMT", "Akhir"]),
         clean=2, check=_notes_of(BAD, {"status_other:honorer k2": 1})),
    Case("a wrong region code beside a good name",
         _roster([row(kode="99.98", kab="Kab. Bogor"), row(kode="99.98", nip=NIP_B)]),
         reasons=("unknown kabupaten/kota code",), clean=1,
         check=_regions_of_bad(["32.01"], {"region_code_unresolved_name_used": 1})),
    Case("a region code and a name that disagree (the code says Sleman, the name Bantul)",
         _roster([row(kode="34.04", kab="Kab. Bantul"),
                  row(kode="34.04", kab="KAB. SLEMAN", nip=NIP_B)]),
         reasons=("code and name disagree",), clean=1, check=_regions_of_bad(["34.04"])),
    Case("a 2022 roster with the codes before the Papua split",
         _roster([row(kode=k, kab=n, nip=nip) for (k, n), nip in zip(PAPUA_2022, NIPS,
                                                                       strict=False)]),
         clean=6, check=_all(
             _regions_of_bad(["93.01", "94.04", "96.01", "96.71", "93.01", "96.05"],
                             {"region_code_mapped:91.01->93.01": 2,
                              "region_code_mapped:91.09->94.04": 1,
                              "region_code_mapped:92.01->96.01": 1,
                              "region_code_mapped:92.71->96.71": 1,
                              "region_code_mapped:92.10->96.05": 1}),
             _codes_summary({"91.01->93.01": 2, "91.09->94.04": 1, "92.01->96.01": 1,
                             "92.71->96.71": 1, "92.10->96.05": 1}))),
    Case("renamed and respelled regions by their old names only",
         _roster([row(kode="", kab=k, nip=n) for k, n in zip(OLD_NAMES, NIPS, strict=True)]),
         clean=6, check=_regions_of_bad(["75.04", "73.72", "12.74", "12.12", "76.01", "73.10"])),
    Case("an IKM recap of 2022 with old Papua codes",
         _ikm([["9109", "Dinas Kesehatan", "Semester II 2022", "78,20", "120"],
               ["92.01", "Dinas Kesehatan", "Semester II 2022", "81,00", "90"]]),
         file="ikm/bad.csv", clean=2, check=_all(
             _ikm_regions({"94.04", "96.01"}),
             _codes_summary({"91.09->94.04": 1, "92.01->96.01": 1}))),
    Case("dataset.json names the edition of its codes",
         _both(_dataset(code_edition="Permendagri 58/2021"),
               _roster([row(kode="92.01", kab="KAB. SORONG"), row(kode="96.01", nip=NIP_B)])),
         clean=2, check=_all(
             _regions_of_bad(["96.01", "96.01"], {"region_code_mapped:92.01->96.01": 1,
                                                  "region_code_not_in_declared_edition": 1}),
             _codes_summary({"92.01->96.01": 1}, declared="2022", outside=1))),
    Case("staff counts of 2023 said to follow Kepmendagri 100.1.1-6117/2022",
         _both(_dataset(code_edition="Kepmendagri No. 100.1.1-6117 Tahun 2022"),
               _counts([["92.01", "Dinas Sosial", "Semester I 2023", "12", "3", ""],
                        ["93.01", "Dinas Sosial", "Semester I 2023", "20", "4", ""],
                        ["91.01", "Dinas Kesehatan", "Semester I 2023", "30", "5", ""]])),
         file=COUNTS, clean=3, check=_codes_summary({"92.01->96.01": 1, "91.01->93.01": 1},
                                                    declared="2023", outside=1)),
    Case("dataset.json with an edition that does not exist",
         _both(_dataset(code_edition="2021"), _roster([row()])),
         error=("dataset.json", "code_edition '2021'", "2022 (Permendagri 58/2021")),
    Case("a survey app's export of one unit, without region and unit: dataset.json gives them",
         _both(_dataset(file_columns={"skm/": {"kode_pemda": "32.01"},
                                      "skm/bad.csv": {"Unit Layanan": "Dinas Sosial"}}),
               _roster([["2/5/2023 8:15:00", *["3"] * 9], ["30/06/2023 13:40:10", *["4"] * 9],
                        ["11/08/2023 9:00:00", *["3"] * 9]],
                       header=["Timestamp", *SKM_DATED[3:]], name="skm/bad.csv")),
         file="skm/bad.csv", clean=3, check=_all(_timestamps_placed, _notes_of("skm/bad.csv", {
             "given_by_dataset_json:kode_pemda": 3, "given_by_dataset_json:Unit Layanan": 3}))),
    Case("dataset.json gives one folder's columns twice, with and without its slash",
         _both(_dataset(file_columns={"pegawai": {"kode_pemda": "32.01"},
                                      "pegawai/": {"kode_pemda": "32.02"}}), _roster([row()])),
         error=("'file_columns'", "pegawai and pegawai/ name one path")),
    Case("dataset.json gives a column no table of the kind has",
         _both(_dataset(file_columns={"pegawai": {"unit_layan": "Dinas Sosial"}}),
               _roster([row()])),
         error=("file_columns gives 'unit_layan'", "no column of a pegawai table")),
    Case("dataset.json gives the region of a SIMPEG roster with a two-row header",
         _both(_dataset(file_columns={"pegawai/bad.xlsx": {"kode_pemda": "32.01"}}),
               _xlsx([[None if c == "Penempatan" else c for c in TWO_ROW_HEADER[1]],
                      [None if c == "Kode Wilayah" else c for c in TWO_ROW_HEADER[2]],
                      [1, NIP_A, "Andi Wijaya", None, "Dinas Sosial", "PNS", "2005-01-01", None],
                      [2, NIP_B, "Budi", None, "Dinas Sosial", "PNS", "2006-02-01", None]])),
         file="pegawai/bad.xlsx", clean=2),
    Case("dataset.json gives a file a column it has already",
         _both(_dataset(file_columns={"skm/bad.csv": {"kode_pemda": "32.01"}}),
               _skm([["32.01", "Dinas Sosial", "Semester I 2023", *["3"] * 9]])),
         error=("skm/bad.csv", "file_columns gives 'kode_pemda'", "has already")),
    Case("dataset.json gives columns to a file that is not there",
         _both(_dataset(file_columns={"skm/dinkes.csv": {"kode_pemda": "32.01"}}),
               _roster([row()])),
         error=("dataset.json", "'file_columns'", "skm/dinkes.csv", "no table file")),
    Case("dataset.json gives a column as a number, not text",
         _both(_dataset(file_columns={"pegawai": {"kode_pemda": 32.01}}), _roster([row()])),
         error=("dataset.json", "'file_columns'",
                "pegawai: the value of 'kode_pemda' is 32.01, not text: write it in quotes")),
    Case("a region code kept as text with Excel's apostrophe",
         _roster([row(kode="'32.01"), row(kode="\u201932.01", nip=NIP_B)]), clean=2,
         check=_regions_of_bad(["32.01", "32.01"])),
    Case("region names followed by their province, as national recaps write them",
         _roster([row(kode="", kab="Kab. Bogor, Jawa Barat"),
                  row(kode="", kab="KOTA BOGOR (JABAR)", nip=NIP_B),
                  row(kode="", kab="Kab. Bogor, Jawa Tengah", nip=NIP_C)]),
         reasons=("name and province disagree",), clean=2,
         check=_regions_of_bad(["32.01", "32.71"])),
    Case("a province government as the region",
         _roster([row(kode="", kab="Pemprov Jawa Barat")]), reasons=("a province",)),
    Case("a dash for the unit, the status or the NIP of a roster row",
         _roster([row(unit="-"), row(nip=NIP_B, status="\u2013"), row(nip="--")]),
         reasons=("dash placeholder",) * 3, clean=0),
    Case("a dash for the unit of a published IKM row",
         _ikm([["32.01", "-", "Semester I 2023", "80", "50"]]), file="ikm/bad.csv",
         reasons=("dash placeholder",), clean=0),
    Case("a dash for the region code beside the region's name",
         _roster([row(kode="-", kab="Kab. Bogor"), row(kode="\u2014", kab="", nip=NIP_B)]),
         reasons=("missing required value (region code or name)",), clean=1,
         check=_regions_of_bad(["32.01"], {"dash_set_missing:kode_pemda": 2})),
    Case("a dash in a required count is still rejected",
         _counts([["32.01", "Dinas Sosial", "Semester I 2023", "-", "3", ""]]),
         file=COUNTS, reasons=("dash placeholder",)),
    Case("dataset.json with a day-first reference date",
         _dataset_json('{"reference_date": "15-01-2025", "synthetic": true}'),
         error=("dataset.json", "'reference_date'", "'15-01-2025'", "YYYY-MM-DD")),
    Case("dataset.json that is not valid JSON",
         _dataset_json('{"reference_date": "2025-01-15",\n "synthetic": true,}'),
         error=("dataset.json", "not valid JSON", "line 2")),
    Case("a template's instructions and OPD list sheets beside the data sheet",
         _xlsx([ROSTER_HEADER, row()], edit=_instruction_sheets), file="pegawai/bad.xlsx",
         clean=1, check=_passed_over("Referensi OPD")),
    Case("a roster workbook with a recap sheet (a pivot per OPD and status) and a chart's data",
         _xlsx([ROSTER_HEADER, row()], edit=_recap_sheets), file="pegawai/bad.xlsx", clean=1,
         check=_passed_over("Rekap 2024", "Grafik")),
    Case("a published IKM recap whose only sheet is 'Rekap 2023', its period in the title",
         _xlsx([["REKAPITULASI IKM SEMESTER I TAHUN 2023"], [],
                ["Kode Wilayah", "Unit Layanan", "Nilai IKM", "Jumlah Responden"],
                ["32.01", "Dinas Sosial", "80,25", "120"]],
               name="ikm/bad.xlsx", edit=_titled("Rekap 2023")),
         error=("ikm/bad.xlsx", "Rekap 2023", "required column(s) missing: periode",
                "no other sheet of data")),
    Case("staff counts on a workbook's only sheet, named 'Rekapitulasi', without a period",
         _xlsx([["Kode Wilayah", "Unit Kerja", "Jumlah PNS", "Jumlah PPPK"],
                ["32.01", "Dinas Sosial", 12, 3]],
               name="jumlah_pegawai/bad.xlsx", edit=_titled("Rekapitulasi")),
         error=("jumlah_pegawai/bad.xlsx", "sheet Rekapitulasi", "periode")),
    Case("a roster workbook of instructions and a recap only, the recap holding the roster",
         _xlsx([["NIP", "Nama", "Unit Kerja"], [NIP_A, "Andi Wijaya", "Dinas Sosial"]],
               edit=_titled("Rekap"), extra_sheets=("Petunjuk",)),
         error=("pegawai/bad.xlsx", "Rekap", "required column(s) missing")),
    Case("a roster workbook with a lookup list on an unnamed second sheet ('Sheet2')",
         _xlsx([ROSTER_HEADER, row()], edit=_lookup_on_sheet2),
         error=("pegawai/bad.xlsx", "Sheet2", "required column(s) missing",
                "name it as a list or recap sheet")),
    Case("a roster sheet named like a list sheet ('Keterangan') is read",
         _xlsx([ROSTER_HEADER, row()], edit=_data_in_a_sheet_named_keterangan),
         file="pegawai/bad.xlsx", clean=2),
    Case("a roster with honorary staff and a misspelt PPPK: other staff, listed per status",
         _roster([row(status="Honorer"), row(nip=NIP_B, status="THL"),
                  row(nip=NIP_C, status="PPPPK", tmt="2023-03-01")]),
         clean=3, check=_notes_of(BAD, {"status_other:(not a known status)": 1,
                                        "status_other:honorer": 1, "status_other:thl": 1})),
    Case("dataset.json saved by Notepad, with a byte-order mark",
         _dataset_json('\ufeff{"reference_date": "2025-01-15", "synthetic": true}',
                       _roster([row(nip=NIP_B)])), clean=1),
    Case("dataset.json with synthetic written as text",
         _dataset_json('{"reference_date": "2025-01-15", "synthetic": "yes"}'),
         error=("dataset.json", "'synthetic'", "true or false")),
    Case("dataset.json with keys p3k-study does not know",
         _dataset_json('{"reference_date": "2025-01-15", "synthetic": true, '
                       '"code_edition": "Kepmendagri 100.1.1-6117 Tahun 2022", "pic": "BKPSDM"}',
                       _roster([row(nip=NIP_B)])), clean=1),
    Case("folders named as offices name them", _office_folders,
         file="Data Pegawai 2024/roster_2024.csv", clean=1, check=_office_folders_read),
    Case("a LibreOffice sheet in the roster folder",
         _bytes("pegawai/rekap.ods", b"PK\x03\x04"), error=("rekap.ods", "save it as .xlsx")),
    Case("a zip of the tables in the roster folder",
         _bytes("pegawai/arsip.zip", b"PK\x03\x04"), error=("arsip.zip", "unzip it")),
    Case("table files in folders p3k-study does not know", _unknown_folders,
         file="pegawai/roster.csv", check=_unknown_folder_listed,
         extra={"reconcile_only": True}),
    Case("SKM batches of one unit numbering respondents from 1",
         _skm_batches([["1", *BATCH], ["2", *BATCH]],
                      [["1", *BATCH], ["2", *BATCH], ["3", *BATCH]]),
         file="skm/bad.csv", clean=3),
    Case("an SKM file delivered twice",
         _skm_batches([["1", *BATCH], ["2", *BATCH]], [["1", *BATCH], ["2", *BATCH]]),
         file="skm/bad.csv", reasons=("duplicate of row 2 in skm/a.csv",
                                      "duplicate of row 3 in skm/a.csv"), clean=0),
    Case("an SKM answer left empty",
         _skm([["32.01", "Dinas Sosial", "Semester I 2023", *["3"] * 8, ""]]),
         file="skm/bad.csv", reasons=("missing required value",), clean=0),
    Case("an SKM 'olah data' sheet: sums and means under the answers, labelled under No",
         _xlsx(_olah_data([[3] * 9, [3] * 9]), name="skm/bad.xlsx"),
         file="skm/bad.xlsx", reasons=("summary row",), clean=2,
         check=_respondents({"2023-S1": 2})),
    Case("two offices of one function side by side",
         _ikm([["32.01", "Dinas Pertanian", "Semester I 2023", "80", "50"],
               ["32.01", "Dinas Ketahanan Pangan", "Semester I 2023", "75", "50"],
               ["32.01", "Satpol PP", "Semester I 2023", "70", "50"],
               ["32.01", "Dinas Pemadam Kebakaran", "Semester I 2023", "72", "50"]]),
         file="ikm/bad.csv", clean=4, check=_units_apart),
    Case("an IKM recap with the 1-4 index beside the converted value",
         _roster([["32.01", "Dinas Sosial", "Semester I 2023", "3,21", "80,25"]],
                 header=["kode_pemda", "unit_layanan", "periode", "Nilai Indeks",
                         "Nilai Konversi"], name="ikm/bad.csv"),
         file="ikm/bad.csv", clean=1, check=_ikm_converted([80.25], 0)),
    Case("an IKM recap headed as the regulation's template: NI, NIK, mutu, kinerja",
         _roster([["32.01", "Dinas Sosial", "Semester I 2023", "3,21", "80,25", "B", "Baik",
                   "384 orang"]],
                 header=["Kode Wilayah", "Nama Unit Pelayanan", "Periode", "Nilai Interval (NI)",
                         "Nilai Interval Konversi (NIK)", "Mutu Pelayanan",
                         "Kinerja Unit Pelayanan", "Jml Resp"], name="ikm/bad.csv"),
         file="ikm/bad.csv", clean=1, check=_all(_ikm_converted([80.25], 0),
                                                 _ikm_respondents([384]))),
    Case("an IKM recap on the 1-4 scale only",
         _roster([["32.01", "Dinas Sosial", "Semester I 2023", "3,05"]],
                 header=["kode_pemda", "unit_layanan", "periode", "Nilai Indeks"],
                 name="ikm/bad.csv"),
         file="ikm/bad.csv", clean=1, check=_ikm_converted([76.25], 1)),
]


def _run_prepare(raw: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["prepare", "--raw", str(raw), "--out", str(out), "-q"])
    return code, capsys.readouterr().err


def _check_reconciled(out: Path) -> dict[str, object]:
    summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
    for name, record in summary["files"].items():
        assert record["rows_in"] == record["rows_clean"] + record["rows_rejected"], name
    totals = summary["totals"]
    assert totals["rows_in"] == totals["rows_clean"] + totals["rows_rejected"]
    rejects = pd.read_parquet(out / "rejects.parquet")
    assert len(rejects) == totals["rows_rejected"]
    assert rejects["reason"].notna().all()
    assert not undocumented(rejects["reason"]), "add it to docs/data-format.md's list"
    return summary


def _case(item: Case | object) -> Case:
    return item if isinstance(item, Case) else item.values[0]  # type: ignore[attr-defined]


NAMES = [_case(item).name for item in CASES]


def test_the_corpus_has_at_least_30_kinds() -> None:
    assert len(CASES) >= 30
    assert len(set(NAMES)) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    write_base(raw)
    case.make(raw)
    code, err = _run_prepare(raw, out, capsys)
    assert "Traceback" not in err
    if case.error:
        assert code == 2, f"expected a message, got exit {code}"
        assert len(err.strip().splitlines()) == 1, err
        for fragment in case.error:
            assert fragment in err, (fragment, err)
        return
    assert code == 0, err
    summary = _check_reconciled(out)
    record = summary["files"][case.file]  # type: ignore[index]
    rejects = pd.read_parquet(out / "rejects.parquet")
    mine = rejects[rejects["source_file"] == case.file]
    if case.reasons:
        assert not mine.empty, "expected rejects"
        text = " | ".join(mine["reason"].astype(str))
        for fragment in case.reasons:
            assert fragment.lower() in text.lower(), (fragment, text)
        assert mine["row"].notna().all()
    elif not case.extra.get("reconcile_only"):
        assert mine.empty, list(mine["reason"])
    if case.clean is not None:
        assert record["rows_clean"] == case.clean, record
    if case.check is not None:
        case.check(out)


@pytest.mark.parametrize("name", ["empty file", "binary junk named .csv",
                                  "missing required column"])
def test_the_real_command_prints_one_line_and_exits_2(name: str, tmp_path: Path) -> None:
    case = next(_case(c) for c in CASES if _case(c).name == name)
    raw = tmp_path / "raw"
    write_base(raw)
    case.make(raw)
    done = subprocess.run([sys.executable, "-m", "p3k_study", "prepare", "--raw", str(raw),
                           "--out", str(tmp_path / "out"), "-q"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "bad." in done.stderr


def test_rejected_personal_values_are_masked_in_the_ledger(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    write_base(raw)
    _roster([row(nip="198001012005011000", nama="Rahasia Sekali")])(raw)
    code, _ = _run_prepare(raw, out, capsys)
    assert code == 0
    for path in out.iterdir():
        data = path.read_bytes()
        assert b"198001012005011000" not in data and b"Rahasia Sekali" not in data, path.name


def test_an_internal_failure_names_the_stage_and_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A cleaner that breaks on one file (a bug, or input no rule foresaw): one line naming
    the stage and that file, not the good file cleaned with it, and no traceback."""
    from p3k_study.prepare import intake as stage

    raw, out = tmp_path / "raw", tmp_path / "out"
    write_base(raw)
    _ikm([["32.01", "Dinas Sosial", "Semester I 2023", "80", "50"]])(raw)
    real, empty = stage.CLEANERS["ikm"]

    def broken(sheets: list[object], **options: object) -> object:
        if any("bad" in str(s.source_file) for s in sheets):  # type: ignore[attr-defined]
            raise ZeroDivisionError("division by zero")
        return real(sheets, **options)

    monkeypatch.setitem(stage.CLEANERS, "ikm", (broken, empty))
    code, err = _run_prepare(raw, out, capsys)
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "cleaning the ikm files" in err and "ikm/bad.csv" in err, err
    assert "ikm/ikm.csv" not in err and "ZeroDivisionError" in err, err


def test_a_table_failing_its_schema_names_the_file_and_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema check on write (the stage that raised a RuntimeError traceback for a
    wrapped count) ends in one line naming the table, the source file and row."""
    from p3k_study.prepare import intake as stage

    raw, out = tmp_path / "raw", tmp_path / "out"
    write_base(raw)
    real, empty = stage.CLEANERS["pegawai"]

    def corrupt(sheets: list[object], **options: object) -> object:
        part = real(sheets, **options)
        kinds = part.table["nip_kind"].cat.add_categories("PRESIDEN")  # type: ignore[attr-defined]
        part.table["nip_kind"] = kinds.where(kinds.index != 1, "PRESIDEN")  # type: ignore[attr-defined]
        return part

    monkeypatch.setitem(stage.CLEANERS, "pegawai", (corrupt, empty))
    code, err = _run_prepare(raw, out, capsys)
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "checking the staff table against its schema" in err, err
    assert "pegawai/roster.csv" in err and "nip_kind" in err and "in row" in err, err


def test_an_internal_failure_in_a_worker_process_names_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With enough files, groups are cleaned in worker processes: a failure there comes back
    as the same one line, naming the file, not as a traceback from the process pool."""
    from p3k_study.prepare import intake as stage

    raw, out = tmp_path / "raw", tmp_path / "out"
    write_base(raw)
    for i in range(stage.PARALLEL_MIN_FILES):
        _roster([["32.01", "Dinas Sosial", f"Semester I {2010 + i}", "80", "50"]],
                header=IKM_HEADER, name=f"ikm/office_{i:02d}.csv")(raw)
    real, empty = stage.CLEANERS["ikm"]

    def broken(sheets: list[object], **options: object) -> object:
        if any("office_07" in str(s.source_file) for s in sheets):  # type: ignore[attr-defined]
            raise KeyError("unit_layanan")
        return real(sheets, **options)

    monkeypatch.setitem(stage.CLEANERS, "ikm", (broken, empty))
    monkeypatch.setattr(stage, "CHUNK_BYTES", 1)  # one file per group, in two processes
    monkeypatch.setattr(stage.os, "cpu_count", lambda: 2)
    code, err = _run_prepare(raw, out, capsys)
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "cleaning the ikm files (ikm/office_07.csv)" in err and "KeyError" in err, err
