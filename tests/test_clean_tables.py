"""Cleaning of staff counts, SKM answers and published IKM: each rule with its reason."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _raw_helpers import sheet

from p3k_study.clean import CLEANERS
from p3k_study.clean.kinerja import sakip_grade
from p3k_study.errors import DataError
from p3k_study.ikm import ELEMENTS
from p3k_study.prepare.intake import joined

REF = dt.date(2025, 1, 15)


def clean_sheets(kind: str, sheets: list, *args, **options):
    """The public path of `prepare`: a kind's cleaner, then `joined` (the duplicate rules):
    (clean table, rejects, per-file facts)."""
    cleaned = joined(kind, [CLEANERS[kind][0](sheets, *args, **options)])
    return cleaned.table, cleaned.rejects, cleaned.files


COUNTS_HEADER = ["Kode Wilayah", "Unit Kerja", "Periode", "Jumlah PNS", "Jumlah PPPK",
                 "PPPK Baru"]
SKM_HEADER = ["No", "Kab/Kota", "Unit Layanan", "Periode", *(e.title() for e in ELEMENTS)]
IKM_HEADER = ["kode_pemda", "unit_layanan", "periode", "Nilai IKM", "Mutu", "Regulasi",
              "Responden"]


def test_counts_rules() -> None:
    rows = [
        ["32.01", "Dinkes", "Semester I 2023", "10", "2", "2"],
        ["32.01", "Dinkes", "Semester II 2023", "10", "3", ""],
        ["32.01", "Dinkes", "Smt II/2023", "11", "3", ""],          # same unit and period
        ["32.01", "Disdik", "2023", "10", "3", ""],                 # year in a semester panel
        ["32.01", "Disdik", "Semester I 2023", "-1", "3", ""],      # negative
        ["32.01", "Disdik", "Semester I 2023", "1,5", "3", ""],     # not whole
        ["32.01", "Disdik", "Semester I 2027", "4", "3", ""],       # future period
        ["32.01", "Disdik", "Semester I 2023", "#N/A", "3", ""],    # error in required
    ]
    clean, rejects, _ = clean_sheets("jumlah_pegawai", [sheet(COUNTS_HEADER, rows)], REF)
    assert clean["n_pns"].tolist() == [10, 10]
    assert clean["p3k_hires"].isna().tolist() == [False, True]
    reasons = rejects.set_index("row")["reason"]
    assert reasons[4] == "duplicate of row 3 (same unit and period)"
    assert "cannot be placed in a semester" in reasons[5]
    assert reasons[6] == "negative count"
    assert reasons[7] == "count is not a whole number"
    assert "after the reference date" in reasons[8]
    assert reasons[9] == "Excel error cell #N/A"


def skm_row(no: int, scores: list[str], period: str = "Semester I 2023",
            region: str = "Kab. Bogor", unit: str = "Dinkes") -> list[str]:
    return [str(no), region, unit, period, *scores]


def test_skm_rules() -> None:
    rows = [
        skm_row(1, ["4"] * 9),
        skm_row(2, ["4"] * 9),                       # same answers, another respondent: kept
        skm_row(2, ["4"] * 9),                       # exact duplicate (same respondent number)
        skm_row(3, ["5", *["4"] * 8]),               # score outside 1-4
        skm_row(4, ["4"] * 8 + [""]),                # missing element
        skm_row(5, ["4"] * 9, region="Kab. Antah Berantah"),
        skm_row(6, ["4"] * 9, period=""),            # no period at all
    ]
    clean, rejects, _ = clean_sheets("skm", [sheet(SKM_HEADER, rows)], REF)
    assert len(clean) == 2 and clean["period"].eq("2023-S1").all()
    reasons = rejects.set_index("row")
    assert reasons.loc[4, "reason"] == "duplicate of row 3"
    assert reasons.loc[5, "column"] == "persyaratan"
    assert reasons.loc[5, "reason"] == "score outside 1-4 or not whole"
    assert reasons.loc[6, "column"] == "sarana"
    assert reasons.loc[7, "raw_value"] == "Kab. Antah Berantah"
    assert pd.isna(reasons.loc[7, "kode_pemda"])
    assert reasons.drop(index=7)["kode_pemda"].eq("32.01").all()
    assert reasons.loc[8, "reason"] == "missing required value (periode or tanggal_survei)"


def test_a_row_without_region_names_a_column_its_own_file_has_however_files_are_grouped() -> None:
    answers = ["Dinkes", "Semester I 2023", *["4"] * 9]
    by_code = sheet(["kode_pemda", "unit_layanan", "periode", *ELEMENTS],
                    [["32.01", *answers], ["", *answers]], source_file="by_code.csv")
    by_name = sheet(["nama_pemda", "unit_layanan", "periode", *ELEMENTS],
                    [["Kab. Bogor", *answers], ["", *answers]], source_file="by_name.csv")
    together = clean_sheets("skm", [by_code, by_name], REF)[1]
    alone = pd.concat([clean_sheets("skm", [s], REF)[1] for s in (by_code, by_name)])
    for rejects in (together, alone):
        assert rejects.set_index("source_file")["column"].to_dict() == {
            "by_code.csv": "kode_pemda", "by_name.csv": "nama_pemda"}
        assert rejects["reason"].eq("missing required value (region code or name)").all()


def test_skm_period_of_white_space_only_is_empty_and_the_date_gives_the_period() -> None:
    header = ["kode_pemda", "unit_layanan", "periode", "tanggal_survei", *ELEMENTS]
    rows = [["32.01", "Dinkes", "\u2003", "12 Agustus 2023", *["3"] * 9]]  # an em space
    clean, rejects, _ = clean_sheets("skm", [sheet(header, rows)], REF)
    assert clean["period"].tolist() == ["2023-S2"] and rejects.empty


def test_skm_identical_answers_without_respondent_number_are_kept() -> None:
    header = SKM_HEADER[1:]
    rows = [skm_row(1, ["3"] * 9)[1:], skm_row(1, ["3"] * 9)[1:]]
    clean, rejects, _ = clean_sheets("skm", [sheet(header, rows)], REF)
    assert len(clean) == 2 and rejects.empty


def test_skm_survey_date_gives_the_period() -> None:
    header = ["kode_pemda", "unit_layanan", "tanggal_survei", *ELEMENTS]
    rows = [["32.01", "Dinkes", "12 Agustus 2023", *["3"] * 9],
            ["32.01", "Dinkes", "12/08/2031", *["3"] * 9]]
    clean, rejects, _ = clean_sheets("skm", [sheet(header, rows)], REF)
    assert clean["period"].tolist() == ["2023-S2"]
    assert "after the reference date" in rejects["reason"].iloc[0]


QUESTIONS = [  # PermenPANRB 14/2017's questionnaire, as Google Forms heads its columns
    "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
    "pelayanannya?",
    "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
    "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
    "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
    "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam "
    "standar pelayanan dengan hasil yang diberikan?",
    "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
    "Bagaimana pendapat saudara perilaku petugas dalam pelayanan terkait kesopanan dan "
    "keramahan?",
    "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
    "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
]


def test_skm_columns_headed_by_the_questionnaire_questions_are_their_elements() -> None:
    header = ["Timestamp", "kode_pemda", "unit_layanan", *QUESTIONS]
    rows = [["12/08/2023 10:11:12", "32.01", "Dinkes", *["3"] * 9]]
    clean, rejects, files = clean_sheets("skm", [sheet(header, rows, source_file="f.csv")], REF)
    assert len(clean) == 1 and rejects.empty
    assert {files["f.csv"]["sheets"][0]["columns"][q] for q in QUESTIONS} == set(ELEMENTS)


def test_a_question_naming_two_elements_or_a_named_column_is_not_taken() -> None:
    """'... waktu dan biaya ...?' names two elements: no column; two questions naming one
    element: neither; a column named 'Waktu' is the element, and a question about it then
    stays an unused column."""
    two = "Bagaimana pendapat Saudara tentang waktu dan biaya pelayanan?"
    header = ["kode_pemda", "unit_layanan", "periode", *QUESTIONS[:2], two, *QUESTIONS[3:]]
    with pytest.raises(DataError, match=r"required column.*missing: waktu"):
        clean_sheets("skm", [sheet(header, [["32.01", "Dinkes", "2023", *["3"] * 9]])], REF)
    cost = "Berapa biaya yang Anda bayarkan?"  # a second question naming 'biaya': neither is
    header = ["kode_pemda", "unit_layanan", "periode", cost, *QUESTIONS]
    with pytest.raises(DataError, match=r"required column.*missing: biaya"):
        clean_sheets("skm", [sheet(header, [["32.01", "Dinkes", "2023", "0", *["3"] * 9]])], REF)
    header = ["kode_pemda", "unit_layanan", "periode", "Waktu", *QUESTIONS]
    clean, _, files = clean_sheets("skm", [sheet(
        header, [["32.01", "Dinkes", "2023-S1", "4", *["3"] * 9]], source_file="f.csv")], REF)
    assert clean["waktu"].tolist() == [4]
    assert QUESTIONS[2] not in files["f.csv"]["sheets"][0]["columns"]


@pytest.mark.parametrize(("answers", "scores"), [
    (["Sangat sesuai", "Mudah", "Kurang cepat", "Gratis", "Tidak sesuai", "Kompeten",
      "Sangat sopan dan ramah", "Ada tetapi tidak berfungsi", "Cukup"],
     [4, 3, 2, 4, 1, 3, 4, 2, 2]),
    (["Sangat sesuai.", "(c) Mudah!", "a.Tidak cepat", "Gratis\u200b", "Sesuai", "Puas",
      "Sopan dan ramah", "Dikelola dengan baik.", "Baik"],
     [4, 3, 1, 4, 3, 3, 3, 4, 3]),
    (["4 - Sangat Sesuai", "3-Mudah", "2 \u2013 Kurang cepat", "d: Gratis", "Sesuai", "Puas",
      "Sopan dan ramah", "Dikelola dengan baik.", "Baik"],
     [4, 3, 2, 4, 3, 3, 3, 4, 3]),
    (["d. Sangat Sesuai", "c) mudah", "SANGAT  CEPAT", "1. Sangat mahal", "Sesuai", "Sangat puas",
      "Tidak baik", "Dikelola dengan baik", "Baik"],
     [4, 3, 4, 1, 3, 4, 1, 4, 3]),
    (["SESUAİ", "MUDAH", "TİDAK CEPAT", "GRATİS", "TİDAK SESUAİ", "KOMPETEN", "SOPAN DAN RAMAH",
      "TİDAK ADA", "BAİK"],
     [3, 3, 1, 4, 1, 3, 3, 1, 3]),
])
def test_skm_answers_as_words_are_scored(answers, scores) -> None:
    """(Also in capitals with a Turkish-keyboard dotted İ, which Python lowers to two
    characters.)"""
    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    clean, rejects, files = clean_sheets("skm", [sheet(
        header, [["32.01", "Dinkes", "2023-S1", *answers]], source_file="f.csv")], REF)
    assert rejects.empty and clean[list(ELEMENTS)].iloc[0].tolist() == scores
    assert files["f.csv"]["notes"] == {"answer_words_scored": 9}


def test_skm_answers_on_a_sangat_tidak_scale_are_scored_one_to_four() -> None:
    """A form asking 'Sangat tidak puas' ... 'Sangat puas': its 'Tidak puas' is 2, while on
    the usual 'Tidak puas' ... 'Sangat puas' of another file it is 1."""
    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    four = sheet(header, [["32.01", "Dinkes", "2023-S1", answer, *["Puas"] * 8] for answer in
                          ["Sangat Tidak Puas", "Tidak Puas", "Puas", "Sangat Puas"]],
                 source_file="four.csv")
    usual = sheet(header, [["32.01", "Dinsos", "2023-S1", "Tidak puas", "Kurang puas",
                            *["Tidak sesuai"] * 7]], source_file="usual.csv")
    clean, rejects, files = clean_sheets("skm", [four, usual], REF)
    assert rejects.empty
    assert clean["persyaratan"].tolist() == [1, 2, 3, 4, 1]
    assert clean["prosedur"].tolist() == [3, 3, 3, 3, 2]
    assert clean["waktu"].tolist() == [3, 3, 3, 3, 1]
    assert files["four.csv"]["notes"] == {"answer_words_scored": 36,
                                          "answer_scale_sangat_tidak": 36}
    assert files["usual.csv"]["notes"] == {"answer_words_scored": 9}


def test_skm_a_file_on_the_sangat_tidak_scale_scores_every_element_on_it() -> None:
    """The lowest answer chosen in one element shows the form's scale: 'Tidak sesuai' in an
    element nobody answered 'Sangat tidak sesuai' is 2 all the same; an element answered
    'Kurang puas' is on the usual scale, its 'Tidak puas' 1; in a file of the usual scale
    'Tidak sesuai' is 1."""
    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    rows = [[low, "Tidak sesuai", last] for low, last in
            [("Sangat tidak sesuai", "Kurang puas"), ("Tidak sesuai", "Tidak puas")]]
    four = sheet(header, [["32.01", "Dinkes", "2023-S1", u1, *[u2] * 7, u9]
                          for u1, u2, u9 in rows], source_file="four.csv")
    usual = sheet(header, [["32.01", "Dinsos", "2023-S1", *["Tidak sesuai"] * 9]],
                  source_file="usual.csv")
    clean, rejects, _ = clean_sheets("skm", [four, usual], REF)
    assert rejects.empty
    assert clean["persyaratan"].tolist() == [1, 2, 1]
    assert clean["prosedur"].tolist() == [2, 2, 1]
    assert clean["sarana"].tolist() == [2, 1, 1]


def test_skm_the_sangat_tidak_scale_is_read_per_sheet_of_a_workbook() -> None:
    """A workbook of two sheets, one per form: 'Tidak sesuai' is 2 on the sheet whose answers
    include 'Sangat tidak sesuai', 1 on the other."""
    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    sheets = [sheet(header, [["32.01", "Dinkes", "2023-S1", low, *["Tidak sesuai"] * 8]],
                    source_file="book.xlsx", name=name)
              for low, name in [("Sangat tidak sesuai", "2023-1"), ("Tidak sesuai", "2023-2")]]
    clean, rejects, _ = clean_sheets("skm", sheets, REF)
    assert rejects.empty
    assert clean["persyaratan"].tolist() == [1, 1] and clean["prosedur"].tolist() == [2, 1]


def test_skm_a_fifth_answer_beside_sangat_tidak_is_rejected() -> None:
    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    clean, rejects, _ = clean_sheets("skm", [sheet(header, [
        ["32.01", "Dinkes", "2023-S1", answer, *["3"] * 8]
        for answer in ["Sangat tidak puas", "Kurang puas", "Sangat puas"]])], REF)
    assert clean["persyaratan"].tolist() == [1, 4]
    assert rejects["raw_value"].tolist() == ["Kurang puas"]
    assert rejects["reason"].str.startswith("a fifth answer beside 'sangat tidak").all()


@pytest.mark.parametrize("answer", ["d", "A", "Sangat", "sesuai sekali", "5 Sangat sesuai",
                                    "Tidak ada", "Gratis"])  # pengaduan's and biaya's answers
def test_skm_answers_that_are_no_option_are_rejected(answer) -> None:
    header = ["kode_pemda", "unit_layanan", "periode", *ELEMENTS]
    _, rejects, _ = clean_sheets("skm", [sheet(
        header, [["32.01", "Dinkes", "2023-S1", answer, *["3"] * 8]])], REF)
    assert rejects["column"].tolist() == ["persyaratan"]
    assert rejects["reason"].iloc[0] == ("not a number" if answer[0].isdigit() else
                                         "not a number or a questionnaire answer")


def test_a_question_column_that_holds_no_scores_stops_the_run_and_shows_no_answer() -> None:
    """A free-text question naming an element ('Apakah ada saran tentang sarana?') where the
    element's own column is not recognised would be read as the element, its text (names,
    phone numbers) landing in the rejects ledger: the run stops naming the column instead."""
    header = ["kode_pemda", "unit_layanan", "periode", *QUESTIONS[:8],
              "Apakah ada saran tentang sarana kami?"]
    rows = [["32.01", "Dinkes", "2023-S1", *["3"] * 8, "Saya Andi, hp 081234567890"],
            ["32.01", "Dinkes", "2023-S1", *["3"] * 8, ""]]
    with pytest.raises(DataError, match=r"asks about sarana.*no scores") as stop:
        clean_sheets("skm", [sheet(header, rows)], REF)
    assert "0812" not in str(stop.value)


def test_google_forms_grid_rows_are_their_elements() -> None:
    header = ["kode_pemda", "unit_layanan", "periode",
              *(f"Penilaian Anda terhadap layanan [{row}]" for row in (
                  "Persyaratan", "Prosedur", "Kecepatan waktu", "Biaya/tarif", "Produk layanan",
                  "Kompetensi petugas", "Perilaku petugas", "Penanganan pengaduan",
                  "Sarana dan prasarana"))]
    clean, rejects, _ = clean_sheets("skm", [sheet(
        header, [["32.01", "Dinkes", "2023-S1", *["Baik"] * 9]])], REF)
    assert rejects.empty and clean[list(ELEMENTS)].iloc[0].tolist() == [3] * 9


def test_published_rules() -> None:
    rows = [
        ["32.01", "Dinkes", "Semester I 2023", "80,11", "B", "14/2017", "120"],
        ["32.01", "Disdik", "Semester I 2023", "101,5", "A", "", ""],       # outside 25-100
        ["32.01", "Dinsos", "Semester I 2023", "70", "X", "", ""],          # mutu unreadable
        ["32.01", "Dinkes", "Semester I 2023", "81", "B", "", ""],          # same unit, period
        ["32.01", "Bappeda", "Semester I 2023", "70", "", "KEP/25/M.PAN/2/2004", ""],
        ["32.01", "Dishub", "Semester I 2023", "70", "", "PP 99/1999", ""],  # regulation
    ]
    clean, rejects, _ = clean_sheets("ikm", [sheet(IKM_HEADER, rows)], REF)
    assert clean["ikm"].tolist() == [80.11, 70.0]
    assert clean["regulation"].tolist() == ["14/2017", "25/2004"]
    assert clean["respondents"].tolist()[0] == 120
    reasons = rejects.set_index("row")["reason"]
    assert reasons[3] == "IKM outside 25-100"
    assert reasons[4].startswith("not a category")
    assert reasons[5] == "duplicate of row 2 (same unit and period)"
    assert reasons[7].startswith("unknown regulation")


@pytest.mark.parametrize("kind", ["jumlah_pegawai", "skm", "ikm"])
def test_every_row_in_exactly_one_place(kind) -> None:
    header = {"jumlah_pegawai": COUNTS_HEADER, "skm": SKM_HEADER, "ikm": IKM_HEADER}[kind]
    rows = [["32.01", "Dinkes", "Semester I 2023", *["3"] * (len(header) - 3)]] * 3
    if kind == "skm":
        rows = [skm_row(i, ["3"] * 9) for i in (1, 1, 2)]
    s = sheet(header, rows, dropped=[(9, "repeated header row")])
    clean, rejects, _ = clean_sheets(kind, [s], REF)
    assert len(clean) + len(rejects) == s.rows_in


KINERJA_HEADER = ["kode_pemda", "Unit Kerja", "Tahun", "Nilai SAKIP", "Predikat SAKIP",
                  "Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"]


def test_kinerja_rules() -> None:
    shares = ["10", "70", "15", "4", "1"]
    rows = [
        ["32.01", "Dinkes", "2023", "81,5", "A", *shares],
        ["32.01", "Disdik", "Tahun 2023", "79.9", "A", *shares],     # grade disagrees: kept
        ["32.01", "Dinsos", "2023", "", "", "", "", "", "", ""],     # no outcome
        ["32.01", "Dinkes", "2023", "60", "B", *shares],             # same unit and year
        ["32.01", "Bappeda", "2023", "101", "AA", *shares],          # score outside 0-100
        ["32.01", "Dishub", "2023", "70", "AAA", *shares],           # not a grade
        ["32.01", "Dukcapil", "2023", "70", "BB", "10", "70", "15", "4", "9"],  # sum 108
        ["32.01", "DLH", "2023", "70", "BB", "10", "70", "", "", ""],  # incomplete
        ["32.01", "Satpol PP", "2030", "70", "BB", *shares],         # after the reference date
        ["32.01", "Dinsos", "2024", "", "", *shares],                # shares only: kept
    ]
    clean, rejects, _ = clean_sheets("kinerja", [sheet(KINERJA_HEADER, rows)], REF)
    assert clean["unit_key"].tolist() == ["health", "education", "social"]
    assert clean["year"].tolist() == [2023, 2023, 2024]
    assert clean["predikat_sakip"].tolist()[:2] == ["A", "BB"]
    assert clean["flag_predikat_disagrees"].tolist() == [False, True, False]
    assert clean["skp_baik"].tolist() == [70.0] * 3
    reasons = rejects.set_index("row")["reason"]
    assert reasons[4].startswith("no outcome value")
    assert reasons[5] == "duplicate of row 2 (same unit and year)"
    assert reasons[6] == "SAKIP score outside 0-100"
    assert reasons[7].startswith("not a SAKIP grade")
    assert reasons[8] == "SKP shares do not add up to 100"
    assert reasons[9].startswith("SKP shares incomplete")
    assert "after the reference date" in reasons[10]
    assert len(clean) + len(rejects) == len(rows)


def test_sakip_grade_bounds() -> None:
    grades = sakip_grade(pd.Series([100, 90, 89.99, 80, 70, 60, 50, 30, 29.9, 0, np.nan]))
    assert grades.tolist()[:10] == ["AA", "AA", "A", "A", "BB", "B", "CC", "C", "D", "D"]
    assert pd.isna(grades.iloc[10])


RECAP_HEADER = ["No", "Kab/Kota", "Unit Pelayanan", "Periode", "Jumlah Responden",
                "Nilai Indeks", "Nilai Konversi", "Mutu Pelayanan"]
"""A published recap as offices print it: the 1-4 index beside its conversion to 25-100."""


def test_published_recap_with_index_and_converted_value_uses_the_converted_value() -> None:
    rows = [["1", "Kab. Bogor", "Dinas Kesehatan", "Semester I 2023", "120", "3,21", "80,25",
             "B (Baik)"],
            ["2", "Kab. Bogor", "Dinas Sosial", "Semester I 2023", "95", "3,05", "76,25", "B"],
            ["3", "Kab. Bogor", "Disdukcapil", "Semester I 2023", "95", "3,10", "", "B"]]
    clean, rejects, files = clean_sheets("ikm", [sheet(RECAP_HEADER, rows)], REF)
    assert clean["ikm"].tolist() == [80.25, 76.25]
    assert files["f.csv"]["notes"] == {}  # nothing converted
    assert rejects["row"].tolist() == [4] and rejects["reason"].tolist() == [
        "missing required value"]


def test_published_ikm_on_the_1_4_scale_alone_is_converted() -> None:
    header = ["kode_pemda", "unit_layanan", "periode", "Nilai Indeks"]
    rows = [["32.01", "Dinkes", "Semester I 2023", "3,5324"],
            ["32.01", "Dinsos", "Semester I 2023", "80,5"],    # the same header, 25-100
            ["32.01", "Disdik", "Semester I 2023", "12,5"]]    # neither scale
    clean, rejects, files = clean_sheets("ikm", [sheet(header, rows)], REF)
    assert clean["ikm"].tolist() == [pytest.approx(88.31), 80.5]
    assert files["f.csv"]["notes"] == {"ikm_converted_from_1_4": 1}
    assert rejects["reason"].tolist() == ["IKM outside 25-100"]


@pytest.mark.parametrize("kind, header", [
    ("jumlah_pegawai", COUNTS_HEADER), ("skm", SKM_HEADER), ("ikm", IKM_HEADER),
    ("kinerja", ["kode_pemda", "unit_kerja", "periode", "nilai_sakip"]),
    ("pegawai", ["KODE_PEMDA", "NIP", "Unit Kerja", "Status", "TMT"])])
def test_a_workbook_whose_sheets_hold_only_a_header_is_empty_not_a_failure(
        kind: str, header: list[str]) -> None:
    """Every sheet of the workbook holds a header and no row: an empty clean table, no rejects,
    each sheet listed with its note (it used to end in a StageError: a KeyError)."""
    sheets = [sheet(header, [], source_file=f"{kind}/x.xlsx", name=name) for name in ("A", "B")]
    clean, rejects, files = clean_sheets(kind, sheets, REF)
    pd.testing.assert_frame_equal(clean, CLEANERS[kind][1]())
    assert rejects.empty
    assert [s["note"] for s in files[f"{kind}/x.xlsx"]["sheets"]] == ["no data rows"] * 2
