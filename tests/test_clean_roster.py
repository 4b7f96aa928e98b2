"""Roster cleaning: every rule rejects with its reason; clean rows carry no NIP or name."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from _raw_helpers import NAMES, NIP_PNS_1, NIP_PPPK_1, ROSTER_HEADER, roster_rows, sheet

from p3k_study.clean import CLEANERS
from p3k_study.errors import DataError
from p3k_study.prepare.intake import joined

REF = dt.date(2025, 1, 15)


def clean_sheets(kind: str, sheets: list, *args, **options):
    """The public path of `prepare`: a kind's cleaner, then `joined` (the duplicate rules):
    (clean table, rejects, per-file facts)."""
    cleaned = joined(kind, [CLEANERS[kind][0](sheets, *args, **options)])
    return cleaned.table, cleaned.rejects, cleaned.files


def run(rows: list[list[str]], **kwargs):
    clean, rejects, _ = clean_sheets("pegawai", [sheet(ROSTER_HEADER, rows, **kwargs)], REF)
    return clean, rejects.set_index("row")


def with_row(row: list[str]) -> list[list[str]]:
    return [*roster_rows(), row]


def test_good_rows_are_clean_and_pseudonymised() -> None:
    clean, rejects = run(roster_rows())
    assert len(clean) == 5 and rejects.empty
    assert "nip" not in clean.columns and "nama" not in clean.columns
    assert clean["employee_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert clean["status"].tolist() == ["PNS", "PNS", "PPPK", "PPPK", "PPPK_PT"]
    assert set(clean["unit_id"]) == {"32.01/education", "32.01/health"}
    assert clean["kode_pemda"].eq("32.01").all()


def test_statuses_counted_as_other_staff_are_listed_per_file() -> None:
    """'Honorer' is other staff as expected, 'T.H.L.' too, read as the status rules read it
    (without its dots); a misspelt 'PPPPK' is other staff, and the summary counts it as no known
    status (rows rejected by a rule are not counted)."""
    rows = [*roster_rows(),
            ["32.01", "", NIP_PNS_1, "", "Dinas Sosial", "Honorer", "01/12/2015", ""],
            ["32.01", "", NIP_PNS_1, "", "Dinas Sosial", " HONORER ", "01/12/2016", ""],
            ["32.01", "", NIP_PNS_1, "", "Dinas Sosial", "Non-ASN", "01/12/2017", ""],
            ["32.01", "", NIP_PNS_1, "", "Dinas Sosial", "T.H.L.", "01/12/2018", ""],
            ["32.01", "", NIP_PPPK_1, "", "Dinas Sosial", "PPPPK", "01/03/2022", ""],
            ["32.01", "", NIP_PNS_1, "", "Dinas Sosial", "Honorer", "", ""]]  # no TMT
    clean, rejects, files = clean_sheets(
        "pegawai", [sheet(ROSTER_HEADER, rows, source_file="r.csv")], REF)
    assert (clean["status"] == "OTHER").sum() == 5 and len(rejects) == 1
    assert files["r.csv"]["notes"] == {"status_other:(not a known status)": 1,
                                       "status_other:honorer": 2, "status_other:non asn": 1,
                                       "status_other:thl": 1}


def test_a_name_shifted_into_the_status_column_stays_out_of_the_notes() -> None:
    rows = [["32.01", "", NIP_PNS_1, "Dinas Sosial", "Sukarno", "Sri Wahyuningsih", "01/12/2015",
             ""]]
    files = clean_sheets("pegawai", [sheet(ROSTER_HEADER, rows, source_file="r.csv")], REF)[2]
    assert files["r.csv"]["notes"] == {"status_other:(not a known status)": 1}


def test_salt_changes_pseudonym() -> None:
    rows = roster_rows()[:1]
    a, _, _ = clean_sheets("pegawai", [sheet(ROSTER_HEADER, rows)], REF, salt="one")
    b, _, _ = clean_sheets("pegawai", [sheet(ROSTER_HEADER, rows)], REF, salt="two")
    assert a["employee_id"][0] != b["employee_id"][0]


@pytest.mark.parametrize(("row", "column", "reason"), [
    (["32.01", "", "1,98606E+17", NAMES[0], "Dinkes", "PNS", "2010-12-01", ""], "nip",
     "scientific notation"),
    (["32.01", "", "198606012010121000", NAMES[0], "Dinkes", "PNS", "2010-12-01", ""], "nip",
     "last digits 000"),
    (["32.01", "", NIP_PNS_1, NAMES[0], "Dinkes", "PPPK", "2010-12-01", ""], "status",
     "PNS number but status is PPPK"),
    (["32.01", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PNS", "2022-03-01", ""], "status",
     "PPPK number but status is PNS"),
    (["99.98", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "2022-03-01", ""], "kode_pemda",
     "region not resolved"),
    (["", "Bogor", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "2022-03-01", ""], "nama_pemda",
     "ambiguous"),
    (["32.01", "", NIP_PPPK_1, NAMES[0], "Dinkes", "#REF!", "2022-03-01", ""], "status",
     "Excel error cell #REF!"),
    (["32.01", "", NIP_PPPK_1, NAMES[0], "", "PPPK", "2022-03-01", ""], "unit_kerja",
     "missing required value"),
    (["32.01", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "2030-03-01", ""], "tmt",
     "after the reference date"),
    (["32.01", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "kemarin", ""], "tmt",
     "unrecognised date"),
    (["32.01", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "2022-03-01", "2021-01-01"],
     "tanggal_berakhir", "end date before TMT"),
])
def test_bad_row_rejected_with_reason(row: list[str], column: str, reason: str) -> None:
    clean, rejects = run(with_row(row))
    assert len(clean) == 5
    assert list(rejects.index) == [7]
    assert rejects.loc[7, "column"] == column
    assert reason in rejects.loc[7, "reason"]


def test_ledger_carries_the_resolved_region() -> None:
    rows = [
        ["32.01", "", "1,98606E+17", NAMES[0], "Dinkes", "PNS", "2010-12-01", ""],
        ["", "Kota Bogor", NIP_PPPK_1, NAMES[0], "Dinkes", "#REF!", "2022-03-01", ""],
        ["99.98", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "2022-03-01", ""],
    ]
    _, rejects = run(rows, dropped=[(9, "repeated header row")])
    assert rejects.columns[-1] == "kode_pemda"
    assert rejects.loc[2, "kode_pemda"] == "32.01"
    assert rejects.loc[3, "kode_pemda"] == "32.71"  # rejected before regions were resolved
    assert pd.isna(rejects.loc[4, "kode_pemda"]) and pd.isna(rejects.loc[9, "kode_pemda"])


def test_exact_duplicate_and_same_employee_unit_tmt() -> None:
    rows = roster_rows()
    same_spell = list(rows[2])
    same_spell[4] = "Disdik"  # another name of the same unit, same NIP and TMT
    clean, rejects = run([*rows, list(rows[0]), same_spell])
    assert len(clean) == 5
    assert rejects.loc[7, "reason"] == "duplicate of row 2"
    assert rejects.loc[8, "reason"] == "duplicate of row 4 (same employee, unit and TMT)"


def test_excel_error_in_optional_column_becomes_missing() -> None:
    row = ["32.01", "", NIP_PPPK_1, NAMES[0], "Dinkes", "PPPK", "2022-03-01", "#N/A"]
    clean, rejects = run([row])
    assert len(clean) == 1 and rejects.empty and clean["tanggal_berakhir"].isna().all()


def test_unmatched_unit_is_kept_and_flagged() -> None:
    row = ["32.01", "", NIP_PPPK_1, NAMES[0], "Kantor Antah Berantah", "PPPK", "2022-03-01", ""]
    clean, rejects = run([row])
    assert rejects.empty
    assert not clean.loc[0, "unit_matched"]
    assert clean.loc[0, "unit_id"] == "32.01/unmatched/kantorantahberantah"


def test_dropped_header_lines_are_ledgered() -> None:
    _, rejects = run(roster_rows(), dropped=[(9, "repeated header row")])
    assert rejects.loc[9, "reason"] == "repeated header row"


def test_ledger_masks_nip() -> None:
    row = ["32.01", "", "19860601 201012 1 000", NAMES[0], "Dinkes", "PNS", "2010-12-01", ""]
    _, rejects = run([row])
    assert rejects.loc[2, "raw_value"].startswith("1986")
    assert "19860601 201012 1 000" not in rejects.to_csv()


def test_missing_required_column_is_a_data_error() -> None:
    header = [h for h in ROSTER_HEADER if h != "TMT"]
    rows = [r[:6] + r[7:] for r in roster_rows()]
    with pytest.raises(DataError, match=r"required column.*tmt"):
        clean_sheets("pegawai", [sheet(header, rows, source_file="pegawai/x.csv")], REF)


@pytest.mark.parametrize("salt", ["", "test-salt", "garam-é", "k" * 100])
def test_pseudonymise_equals_hmac_per_value(salt: str) -> None:
    """The batch pseudonyms (HMAC from its definition) equal `hmac` itself, also for salts
    longer than SHA-256's block."""
    from p3k_study.clean.privacy import pseudonym, pseudonymise

    values = pd.Series(["198606012010121004", None, "199001012020131001", "x" * 80],
                       dtype="string")
    out = pseudonymise(values, salt)
    assert out.isna().tolist() == [False, True, False, False]
    assert out.dropna().tolist() == [pseudonym(v, salt) for v in values.dropna()]
