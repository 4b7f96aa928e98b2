"""What counts as a duplicate, on files written as offices write them (docs/data-format.md,
"Duplicates"): survey batches of one unit numbering their respondents from 1, a file delivered
twice, offices of one function side by side in one pemda."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from _raw_helpers import ROSTER_HEADER, roster_rows, write_csv

from p3k_study import prepare as prep
from p3k_study.config import Config

CONFIG = Config(salt="test-salt", reference_date=dt.date(2025, 1, 15))
APP_HEADER = ["No", "Periode", "Kabupaten/Kota", "Unit Layanan", "Jenis Kelamin", "Usia",
              *(f"U{i}" for i in range(1, 10))]
"""A survey app's monthly export: respondents numbered from 1 in every file, the semester the
survey counts for, two respondent facts, the nine answers."""


def _batch(answers: list[list[int]], unit: str = "UPTD Puskesmas Cibinong",
           period: str = "Semester I 2024") -> list[list[str]]:
    return [[str(no), period, "Kab. Bogor", unit,
             "P" if no % 2 else "L", "30", *map(str, scores)]
            for no, scores in enumerate(answers, start=1)]


def _skm(raw: Path) -> prep.Cleaned:
    write_csv(raw / "pegawai" / "roster.csv", ROSTER_HEADER, roster_rows())
    cleaned = prep.clean_kinds(raw, CONFIG, CONFIG.reference_date, jobs=1)
    return {done.kind: done for done in cleaned}["skm"]


def test_identical_answers_in_monthly_batches_of_one_unit_are_all_kept(tmp_path: Path) -> None:
    # respondent 1 of every month answers 3 throughout, same sex and age: identical rows in
    # three files, three people
    same = [3] * 9
    months = {1: [same, [4] * 9], 2: [same, [2] * 9, [4] * 9], 3: [same]}
    for month, answers in months.items():
        write_csv(tmp_path / "skm" / f"ikm_puskesmas_2024_{month:02d}.csv", APP_HEADER,
                  _batch(answers))
    done = _skm(tmp_path)
    assert done.rejects.empty
    assert len(done.table) == 6
    from p3k_study.ikm import compute_ikm

    ikm = compute_ikm(done.table)
    assert ikm["respondents"].tolist() == [6]
    assert ikm["ikm"].iloc[0] == pytest.approx((3 + 4 + 3 + 2 + 4 + 3) / 6 * 25, abs=1e-12)


def test_identical_answers_on_monthly_sheets_of_one_workbook_are_kept(tmp_path: Path) -> None:
    (tmp_path / "skm").mkdir()
    with pd.ExcelWriter(tmp_path / "skm" / "rekap_skm_dinkes_2024.xlsx") as writer:
        for month, second in ((1, [4] * 9), (2, [2] * 9)):  # respondent 1 alike in both
            rows = _batch([[3] * 9, second], unit="Dinas Kesehatan")
            pd.DataFrame(rows, columns=APP_HEADER).to_excel(writer, sheet_name=f"Bulan {month}",
                                                            index=False)
    done = _skm(tmp_path)
    assert done.rejects.empty and len(done.table) == 4


def test_a_file_delivered_twice_is_rejected_row_for_row(tmp_path: Path) -> None:
    rows = _batch([[3] * 9, [4] * 9, [3] * 9])
    write_csv(tmp_path / "skm" / "skm_januari.csv", APP_HEADER, rows)
    write_csv(tmp_path / "skm" / "skm_januari_kirim_ulang.csv", APP_HEADER, rows)  # sent again
    write_csv(tmp_path / "skm" / "skm_februari.csv", APP_HEADER, _batch([[3] * 9]))
    done = _skm(tmp_path)
    assert done.table["source_file"].astype(str).value_counts().to_dict() == {
        "skm/skm_januari.csv": 3, "skm/skm_februari.csv": 1}
    copy = done.rejects.set_index("row")
    assert (copy["source_file"] == "skm/skm_januari_kirim_ulang.csv").all()
    assert copy["reason"].to_dict() == {r: f"duplicate of row {r} in skm/skm_januari.csv"
                                        for r in (2, 3, 4)}


def test_a_copied_sheet_without_respondent_numbers_is_rejected(tmp_path: Path) -> None:
    header = [c for c in APP_HEADER if c != "No"]
    rows = [r[1:] for r in _batch([[3] * 9, [3] * 9])]  # two identical rows: kept
    (tmp_path / "skm").mkdir()
    with pd.ExcelWriter(tmp_path / "skm" / "skm_dinkes.xlsx") as writer:
        for name in ("Januari", "Januari (2)"):
            pd.DataFrame(rows, columns=header).to_excel(writer, sheet_name=name, index=False)
    done = _skm(tmp_path)
    assert done.table["sheet"].tolist() == ["Januari"] * 2
    assert done.rejects["reason"].tolist() == ["duplicate of row 2 in sheet Januari",
                                               "duplicate of row 3 in sheet Januari"]


def test_a_numbered_respondent_twice_in_one_file_is_rejected(tmp_path: Path) -> None:
    rows = _batch([[3] * 9, [4] * 9])
    write_csv(tmp_path / "skm" / "skm_januari.csv", APP_HEADER, [*rows, rows[1]])
    done = _skm(tmp_path)
    assert len(done.table) == 2
    assert done.rejects["reason"].tolist() == ["duplicate of row 3"]


RECAP = ["No", "Kabupaten/Kota", "Unit Pelayanan", "Periode", "Jumlah Responden", "Nilai IKM",
         "Mutu Pelayanan"]
SIDE_BY_SIDE = [("Dinas Pertanian", "Dinas Ketahanan Pangan"),
                ("Satuan Polisi Pamong Praja", "Dinas Pemadam Kebakaran"),
                ("Dinas Pariwisata", "Dinas Pemuda dan Olahraga")]
"""Offices a pemda keeps apart that the dictionary gives one function each."""


def _recap_rows(period: str, units: list[str]) -> list[list[str]]:
    return [[str(i), "Kab. Bogor", unit, period, "150", f"{78 + i},50", "B"]
            for i, unit in enumerate(units, start=1)]


def test_offices_of_one_function_side_by_side_are_different_units(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    offices = [name for pair in SIDE_BY_SIDE for name in pair]
    write_csv(raw / "ikm" / "rekap_ikm_2023.csv", RECAP, _recap_rows("Semester I 2023", offices))
    roster = [["32.01", "", "198601012010011003", "Sri Wahyuni", "Dinas Ketahanan Pangan", "PNS",
               "01/01/2010", ""],
              ["32.01", "", "199001012022212001", "Joko Susilo", "Dinas Pertanian", "PPPK",
               "01/03/2022", ""]]
    write_csv(raw / "pegawai" / "roster.csv", ROSTER_HEADER, roster)
    result = prep.prepare(raw, tmp_path / "out", config=CONFIG)
    ikm = result.tables["ikm_unit"]
    assert result.tables["rejects"].empty
    assert len(ikm) == 6 and ikm["unit_id"].is_unique
    ids = dict(zip(result.tables["units"]["unit_name"], result.tables["units"]["unit_id"],
                   strict=True))
    assert ids["Dinas Pertanian"] == "32.01/agriculture/pertanian"
    assert ids["Dinas Ketahanan Pangan"] == "32.01/agriculture/ketahananpangan"
    # the roster's staff belong to the office they work in, not to one merged unit
    staff = result.tables["staff"].set_index("status")["unit_id"]
    assert staff["PNS"] == ids["Dinas Ketahanan Pangan"] and staff["PPPK"] == ids[
        "Dinas Pertanian"]
    panel = result.tables["panel"].set_index("unit_id")
    assert panel.loc[ids["Dinas Pertanian"], "cohort"] > 0
    assert panel.loc[ids["Dinas Ketahanan Pangan"], "cohort"] == 0


def test_a_renamed_office_stays_one_unit_and_a_repeat_is_still_a_duplicate(tmp_path: Path
                                                                          ) -> None:
    raw = tmp_path / "raw"
    rows = [*_recap_rows("Semester I 2022", ["Dinas Pertanian", "Dinas Pariwisata"]),
            *_recap_rows("Semester I 2023", ["Dinas Pertanian dan Ketahanan Pangan",
                                             "Dinas Pariwisata, Pemuda dan Olahraga",
                                             "DINAS PARIWISATA, PEMUDA DAN OLAHRAGA"])]
    write_csv(raw / "ikm" / "rekap_ikm.csv", RECAP, rows)
    write_csv(raw / "pegawai" / "roster.csv", ROSTER_HEADER, roster_rows())
    result = prep.prepare(raw, tmp_path / "out", config=CONFIG)
    assert sorted(result.tables["ikm_unit"]["unit_id"].unique()) == [
        "32.01/agriculture", "32.01/tourism"]
    assert result.tables["rejects"]["reason"].tolist() == [
        "duplicate of row 5 (same unit and period)"]
