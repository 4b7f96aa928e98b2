"""Personal data in the wrong column (issue 15, A2): an NIP or NIK pasted one column off, a
roster name typed into a date or unit cell. Every output of `prepare` is scanned byte by byte:
the number (in any of its written forms) and the name never appear, whatever the column; the
rows are still accounted for (masked in the ledger, or kept under a masked unit)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from _raw_helpers import ROSTER_HEADER, roster_rows, write_csv

from p3k_study.clean.privacy import Scrubber, mask_digits
from p3k_study.cli import main

NIP = "198001012005011003"
NIP_SPACED = "19810202 200602 1 004"
NIK = "3201.0123.4567.0001"
NAME_IN_DATE = "Rina Kusumawati"
NAME_AS_UNIT = "Tono Hadisaputro"
NAME_IN_SKM = "Wulan Sekarsari"
NIP_IN_UNIT = "19860601_201012_1_005"  # a unit typed with its head's NIP, as a file name
NIP_DASHED = "19890101 - 201401 - 2 - 003"  # as a printed form writes it
IKM_HEADER = ["kode_pemda", "unit_layanan", "periode", "ikm", "jumlah_responden"]


def _write(raw: Path) -> None:
    rows = [
        *roster_rows(),
        # the NIP pasted one column off, into the TMT (a date cell)
        ["32.01", "", "198203032007031005", "Andi Wijaya", "Dinas Sosial", "PNS", NIP, ""],
        # a spaced NIP and a dotted NIK in the end-date cell
        ["32.01", "", "198304042008041006", "Budi Rahardjo", "Dinas Sosial", "PNS",
         "2010-01-01", NIP_SPACED],
        ["32.01", "", "198405052009051007", "Citra Ayu", "Dinas Sosial", "PNS", "2010-01-01",
         NIK],
        # a roster name in a date cell, another as the unit
        ["32.01", "", "198506062010061008", NAME_IN_DATE, "Dinas Sosial", "PNS", NAME_IN_DATE,
         ""],
        ["32.01", "", "198607072011071009", NAME_AS_UNIT, NAME_AS_UNIT, "PNS", "2011-07-01", ""],
        ["32.01", "", "198708082012081002", NAME_IN_SKM, "Dinas Sosial", "PNS", "2012-08-01",
         ""],
        ["32.01", "", "198809092013091001", "Dewi Lestari", f"Puskesmas Sewon {NIP_IN_UNIT}",
         "PNS", "2013-09-01", ""],
        ["32.01", "", "198910102014101001", "Eka Putri", "Dinas Sosial", "PNS", NIP_DASHED, ""],
    ]
    write_csv(raw / "pegawai" / "roster.csv", ROSTER_HEADER, rows, encoding="cp1252")
    write_csv(raw / "ikm" / "ikm.csv", IKM_HEADER, [
        ["32.01", "Dinas Pendidikan", "Semester I 2023", "80,11", "100"],
        ["32.01", "Dinas Sosial", NIP, "80", "100"],             # NIP in the period cell
        ["32.01", f"Puskesmas {NAME_IN_SKM}", "Semester I 2023", "80", "100"],
        ["32.01", "Dinas Kesehatan", "Semester I 2023", "77", NIK],  # NIK in a count
    ])
    (raw / "dataset.json").write_text(
        json.dumps({"synthetic": True, "reference_date": "2025-01-15"}), encoding="utf-8")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("anywhere")
    _write(base / "raw")
    assert main(["prepare", "--raw", str(base / "raw"), "--out", str(base / "out"), "-q"]) == 0
    return base / "out"


def _forms(text: str) -> list[bytes]:
    """The ways a value can be written out: as given, digits only, squashed, lower case."""
    digits = re.sub(r"\D", "", text)
    forms = {text, text.lower(), text.upper(), re.sub(r"[^a-z0-9]", "", text.lower())}
    if len(digits) >= 16:
        forms.add(digits)
    return sorted(f.encode("utf-8") for f in forms if f)


@pytest.mark.parametrize("secret", [NIP, NIP_SPACED, NIK, NAME_IN_DATE, NAME_AS_UNIT,
                                    NAME_IN_SKM, NIP_IN_UNIT, NIP_DASHED])
def test_no_output_holds_the_value_in_any_form(prepared: Path, secret: str) -> None:
    files = sorted(prepared.iterdir())
    assert {p.name for p in files} >= {"rejects.csv", "rejects.parquet", "panel.csv",
                                       "units.parquet", "cleaning_summary.json"}
    for path in files:
        data = path.read_bytes().lower()
        for form in _forms(secret):
            assert form.lower() not in data, (path.name, form)


def test_the_rows_are_still_accounted_for(prepared: Path) -> None:
    rejects = pd.read_parquet(prepared / "rejects.parquet")
    seen = dict(zip(zip(rejects["source_file"], rejects["row"], strict=True),
                    rejects["raw_value"], strict=True))
    assert seen[("pegawai/roster.csv", 7)] == "1980***********003"      # column tmt
    assert seen[("pegawai/roster.csv", 8)] == "1981**************004"   # tanggal_berakhir
    assert seen[("pegawai/roster.csv", 9)] == "3201************001"
    assert seen[("pegawai/roster.csv", 10)] == "R**************"
    assert seen[("ikm/ikm.csv", 3)] == "1980***********003"             # column periode
    assert seen[("ikm/ikm.csv", 5)] == "3201************001"            # an implausible count
    units = pd.read_parquet(prepared / "units.parquet")
    assert "T***************" in set(units["unit_name"])  # the name as a unit: kept, masked
    assert any(u.startswith("32.01/unmatched/personal-") for u in units["unit_id"])
    assert "Puskesmas W**************" in set(units["unit_name"])
    assert "Puskesmas Sewon 1986**************005" in set(units["unit_name"])
    assert seen[("pegawai/roster.csv", 14)] == "1989********************003"
    summary = json.loads((prepared / "cleaning_summary.json").read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert totals["rows_in"] == totals["rows_clean"] + totals["rows_rejected"]


@pytest.mark.parametrize(("text", "masked"), [
    ("198606012010121004", "1986***********004"),
    ("19860601 201012 1 004", "1986**************004"),
    ("19860601.201012.1.004", "1986**************004"),
    ("NIP: 198606012010121004", "NIP: 1986***********004"),
    ("3201012345670001", "3201*********001"),
    ("NIK 3201 0123 4567 0001, x", "NIK 3201************001, x"),
    ("19860601 201012 1 004 2023", "1986**************004 2023"),
    ("19860601\u00a0201012\u00a01\u00a0004", "1986**************004"),  # copied from a web page
    ("19860601  201012  1  004", "1986*****************004"),  # double spaces (from a PDF)
    ("19860601\u2013201012\u20131\u2013004", "1986**************004"),  # en dashes
    ("1.98606012010121e+17", "1.98*************+17"),  # an NIP a spreadsheet kept as a number
    ("1,98606012E+17", "1,98*******+17"),
    ("1,98606E+17", "1,98606E+17"),  # six digits shown: no more than a mask keeps
    ("19860601 - 201012 - 1 - 004", "1986********************004"),  # as a form prints it
    ("19860601_201012_1_004", "1986**************004"),  # a file or sheet name's underscores
    ("19860601--201012--1--004", "1986*****************004"),
    ("19860601/201012/1/004", "1986**************004"),
    ("3201 / 0123 / 4567 / 0001", "3201******************001"),
    ("Puskesmas Sewon 19860601_201012_1_005", "Puskesmas Sewon 1986**************005"),
    ("01-01-2023 - 30-06-2023", "01-01-2023 - 30-06-2023"),  # a date range: no identifier
    ("2023/01/01 s.d. 2023/06/30", "2023/01/01 s.d. 2023/06/30"),
    ("2023-01-01 - 2023-06-30", "2023-01-01 - 2023-06-30"),
    ("12345678901234567890", "12345678901234567890"),  # 20 digits: no identifier
    ("2023-05-02", "2023-05-02"),
    ("1.234.567,89", "1.234.567,89"),
    ("-5", "-5"),
])
def test_identifiers_are_masked_wherever_they_stand(text: str, masked: str) -> None:
    assert mask_digits(text) == masked


def test_names_are_masked_whole_and_inside_text_but_one_word_names_only_whole() -> None:
    scrub = Scrubber(["Budi Santoso", "Sari"], salt="s")
    assert scrub.text("BUDI  SANTOSO.") == "B*************"
    assert scrub.text("Puskesmas Budi Santoso") == "Puskesmas B***********"
    assert scrub.text("Sari") == "S***"
    assert scrub.text("Puskesmas Sari Mulya") == "Puskesmas Sari Mulya"
    assert scrub.text("Sari | Dinas Sosial | budi santoso") == "S*** | Dinas Sosial | b***********"
    assert scrub.text("Dinas Sosial") == "Dinas Sosial"
    key = scrub.unit_key("32.01/unmatched/budisantoso")
    assert key.startswith("32.01/unmatched/personal-") and "budi" not in key
    assert scrub.unit_key("32.01/unmatched/budisantoso") == key  # the same unit stays one
    assert scrub.unit_key("32.01/unmatched/budisantosa") != key
    assert scrub.unit_key("32.01/primary_care/sari") == "32.01/primary_care/sari"


def test_a_name_inside_text_is_masked_where_it_stands_after_a_longer_lower_case() -> None:
    """'İ' lowers to two characters: the mask must still cover the name, not shift past it."""
    scrub = Scrubber(["Budi Santoso", "İbrahim Lubis"], salt="s")
    assert scrub.text("İİ Kantor Budi Santoso Timur") == "İİ Kantor B*********** Timur"
    assert scrub.text("Puskesmas İbrahim Lubis") == "Puskesmas İ************"
    assert scrub.text("İbrahim Lubis") == "İ************"


def test_keys_that_mask_alike_are_kept_apart() -> None:
    """Two files named after two people: the summary keeps a record of each."""
    scrub = Scrubber(["Budi Santoso", "Bayu Santoso"], salt="s")
    files = scrub.anything({"skm/Budi Santoso.csv": {"rows_in": 3},
                            "skm/Bayu Santoso.csv": {"rows_in": 5}, "skm/x.csv": {"rows_in": 1}})
    assert files == {"skm/B***********.csv": {"rows_in": 3},
                     "skm/B***********.csv (2)": {"rows_in": 5}, "skm/x.csv": {"rows_in": 1}}


def test_a_roster_name_with_titles_and_degrees_is_masked_without_them_too() -> None:
    """SIMPEG writes names with their titles and degrees; other files write the bare name."""
    scrub = Scrubber(["Drs. H. BAMBANG SUSILO, M.Si", "dr. Rina Kartika Sari, Sp.A"], salt="s")
    assert scrub.text("Drs. H. Bambang Susilo, M.Si") == "D***************************"
    assert scrub.text("Bambang Susilo") == "B*************"
    assert scrub.text("Puskesmas Rina Kartika Sari") == "Puskesmas R****************"
    assert scrub.text("Dinas Sosial") == "Dinas Sosial"
    key = scrub.unit_key("32.01/unmatched/bambangsusilo")
    assert key.startswith("32.01/unmatched/personal-")


def test_a_unit_key_holding_a_roster_name_beside_other_words_is_pseudonymised() -> None:
    """The key squashes the unit's words: the name stands inside a segment, not as one."""
    scrub = Scrubber(["Rina Kartika Sari", "Sari"], salt="s")
    assert scrub.text("Puskesmas Sewon Rina Kartika Sari") == "Puskesmas Sewon R****************"
    key = scrub.unit_key("34.02/primary_care/sewonrinakartikasari")
    assert key.startswith("34.02/primary_care/personal-") and "kartika" not in key
    assert scrub.unit_key("34.02/primary_care/rinakartikasarisewon").startswith(
        "34.02/primary_care/personal-")
    assert scrub.unit_key("34.02/primary_care/sewon") == "34.02/primary_care/sewon"
    assert scrub.unit_key("34.02/primary_care/sarimulya") == "34.02/primary_care/sarimulya"


MISPLACED_NAME = "Purnama Wijayakusuma"
MISPLACED_NIP = "19790505 200501 1 002"


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny dataset of the whole-run privacy test (tests/test_privacy.py) plus misplaced
    personal data, through prepare, estimate and the report of the pemda that holds it."""
    from _tiny_run import IKM_HEADER as TINY_IKM
    from _tiny_run import ROSTER_HEADER as TINY_ROSTER
    from _tiny_run import SCRIPT_REGION, write_tiny_raw

    from p3k_study.pipeline import run

    root = tmp_path_factory.mktemp("anywhere_run")
    raw, outputs = root / "raw", root / "outputs"
    write_tiny_raw(raw)
    write_csv(raw / "pegawai" / "misplaced.csv", TINY_ROSTER, [
        [SCRIPT_REGION, "197805052004011003", MISPLACED_NAME, "Dinas Sosial", "PNS",
         MISPLACED_NIP],                                   # the NIP in the TMT cell
        [SCRIPT_REGION, "197706062003011004", "Ayu Lestarini", MISPLACED_NAME, "PNS",
         "2010-01-01"],                                    # a roster name as the unit
    ])
    write_csv(raw / "ikm" / "misplaced.csv", TINY_IKM, [
        [SCRIPT_REGION, f"Puskesmas {MISPLACED_NAME}", f"Semester {half} {year}", "80,5", "90"]
        for year in (2021, 2022, 2023) for half in ("I", "II")])
    result = run(raw=raw, processed=outputs / "processed", reports=outputs / "reports",
                 regions=[SCRIPT_REGION], jobs=1, progress=False)
    assert SCRIPT_REGION not in result.failed_regions
    return outputs


def test_no_processed_or_report_file_holds_misplaced_personal_data(whole_run: Path) -> None:
    files = sorted(p for p in whole_run.rglob("*") if p.is_file())
    assert any(p.suffix == ".html" for p in files) and any(p.name == "rejects.csv"
                                                            for p in files)
    for path in files:
        data = path.read_bytes().lower()
        for secret in (MISPLACED_NIP, MISPLACED_NAME, "Ayu Lestarini"):
            for form in _forms(secret):
                assert form.lower() not in data, (path.relative_to(whole_run), form)
    units = pd.read_parquet(whole_run / "processed" / "units.parquet")
    assert {"P*******************", "Puskesmas P*******************"} <= set(
        units["unit_name"])
