"""Parsers of raw cells: numbers, dates, periods, NIP and status (p3k_study.parse)."""

from __future__ import annotations

import datetime as dt
import functools
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p3k_study.parse import (
    EXCEL_ERRORS,
    nip_status_mismatch,
    normalise_nip,
    normalise_status,
    parse_dates,
    parse_numbers,
    parse_periods,
    visible,
)
from p3k_study.periods import PER_YEAR, period_index, period_label

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFERENCE = dt.date(2025, 6, 30)


def text(values: list[object]) -> pd.Series:
    return pd.Series(values, dtype=object).astype("str")


def format_number_id(value: float, decimals: int = 2, thousands: bool = True) -> str:
    """A number written the Indonesian way: '1.234.567,89'."""
    written = f"{abs(value):,.{decimals}f}"
    written = written.replace(",", "\x00").replace(".", ",").replace(
        "\x00", "." if thousands else "")
    return ("-" if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else "") + written


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (["80,11", "1.234,5", "1.234"], [80.11, 1234.5, 1234.0]),
        (["Rp1.500.000", "Rp 2.000.000,-", "rp. 750.000"], [1_500_000, 2_000_000, 750_000]),
        (["1.234.567,89", "12"], [1234567.89, 12.0]),
        (["1,234.5", "1,234", "0.5"], [1234.5, 1234.0, 0.5]),
        (["1,234,567", "1,234"], [1234567.0, 1234.0]),
        (["1.234", "2.500", "999"], [1234.0, 2500.0, 999.0]),
        (["-5", "(1.234,5)", "+3,5", "−2,5"], [-5.0, -1234.5, 3.5, -2.5]),
        (["1 234,5", "1\u00a0000"], [1234.5, 1000.0]),
        ([",5", "3"], [0.5, 3.0]),
        (["3", "4", "1"], [3.0, 4.0, 1.0]),
    ],
)
def test_numbers_by_column_locale(column, expected):
    parsed = parse_numbers(text(column))
    np.testing.assert_allclose(parsed.values.to_numpy(), expected)
    assert parsed.reason.isna().all()


def test_ambiguous_column_can_be_read_english():
    parsed = parse_numbers(text(["82.125", "79.333"]), ambiguous_as="en")
    np.testing.assert_allclose(parsed.values.to_numpy(), [82.125, 79.333])
    by_default = parse_numbers(text(["82.125", "79.333"]))
    np.testing.assert_allclose(by_default.values.to_numpy(), [82125.0, 79333.0])


def test_ambiguous_as_applies_only_to_a_column_without_evidence():
    indonesian = parse_numbers(text(["80,11", "1.234"]), ambiguous_as="en")
    np.testing.assert_allclose(indonesian.values.to_numpy(), [80.11, 1234.0])
    english = parse_numbers(text(["80.5", "1,234"]), ambiguous_as="id")
    np.testing.assert_allclose(english.values.to_numpy(), [80.5, 1234.0])


def test_a_count_reads_an_ambiguous_value_with_a_thousands_mark_in_either_locale():
    parsed = parse_numbers(text(["1,200", "1.200", "80,5", "-1,200", "7"]),
                           ambiguous_as="grouping")
    np.testing.assert_allclose(parsed.values.to_numpy(), [1200, 1200, 80.5, -1200, 7])
    assert parsed.reason.isna().all()


def test_a_count_may_name_its_people_after_it():
    parsed = parse_numbers(text(["384 orang", "12 Pegawai", "5 org.", "90 responden", "orang",
                                 "3 orang 4"]), ambiguous_as="grouping")
    np.testing.assert_allclose(parsed.values.to_numpy(), [384, 12, 5, 90, np.nan, np.nan])
    assert parsed.reason.tolist()[4:] == ["not a number"] * 2


def test_a_word_for_people_is_no_part_of_a_number_that_is_no_count():
    parsed = parse_numbers(text(["80 orang", "3 responden", "80,11"]))
    assert parsed.reason.tolist() == ["not a number", "not a number", None]


@pytest.mark.parametrize("ambiguous_as", ["id", "en", "grouping"])
def test_a_thousands_group_never_starts_at_zero(ambiguous_as):
    parsed = parse_numbers(text(["0,500", "0.500"]), ambiguous_as=ambiguous_as)
    np.testing.assert_allclose(parsed.values.to_numpy(), [0.5, 0.5])


def test_percent_is_value_as_written():
    parsed = parse_numbers(text(["80,11%", "75 %", "60"]))
    np.testing.assert_allclose(parsed.values.to_numpy(), [80.11, 75.0, 60.0])
    assert parsed.reason.isna().all()


@pytest.mark.parametrize("error", EXCEL_ERRORS[:7])
def test_excel_error_cells(error):
    parsed = parse_numbers(text(["1", error, error.lower()]))
    assert np.isnan(parsed.values[1]) and np.isnan(parsed.values[2])
    assert parsed.reason[1] == f"Excel error cell {error}"
    assert parsed.reason[2] == f"Excel error cell {error}"


def test_empty_junk_and_dash():
    parsed = parse_numbers(text(["", None, "   ", "abc", "1.2.3,4,5", "-", "12"]))
    assert parsed.values.isna().tolist() == [True] * 6 + [False]
    assert parsed.reason.tolist() == [
        None, None, None, "not a number", "not a number", "dash placeholder (no value)", None,
    ]


def test_mixed_locales_reject_only_the_ambiguous_cells():
    parsed = parse_numbers(text(["80,11", "80,5", "79.5", "1.234"]))
    np.testing.assert_allclose(parsed.values[:3].to_numpy(), [80.11, 80.5, 79.5])
    assert parsed.reason[3] == "ambiguous number in a column mixing locales"


def test_locale_is_decided_per_group():
    cells = text(["80,11", "1.234", "79.5", "1.234"])
    grouped = parse_numbers(cells, groups=["id", "id", "en", "en"])
    np.testing.assert_allclose(grouped.values.to_numpy(), [80.11, 1234.0, 79.5, 1.234])
    assert grouped.reason.isna().all()
    together = parse_numbers(cells)
    assert together.reason[1] == together.reason[3] == (
        "ambiguous number in a column mixing locales")


def test_python_objects_are_not_merged_by_equality():
    """True == 1 in Python, yet a boolean is not a number: each object cell is parsed alone."""
    parsed = parse_numbers(pd.Series([1, True, 2.5, False, 0] * 300, dtype=object))
    assert parsed.values[:5].tolist()[::2] == [1.0, 2.5, 0.0]
    assert parsed.reason[:5].tolist() == [None, "not a number", None, "not a number", None]


def test_numbers_keep_index():
    parsed = parse_numbers(pd.Series(["1,5", "x"], index=[10, 20], dtype="str"))
    assert list(parsed.values.index) == [10, 20] and parsed.reason[20] == "not a number"


@FAST
@given(
    st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=3),
)
def test_indonesian_round_trip(numbers, decimals):
    written = [format_number_id(x, decimals) for x in numbers]
    parsed = parse_numbers(pd.Series(written, dtype="str"))
    expected = [round(x, decimals) for x in numbers]
    np.testing.assert_allclose(parsed.values.to_numpy(), expected, rtol=1e-12, atol=1e-9)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "2023-08-12", "2023/08/12", "12/08/2023", "12-08-2023", "12.08.2023", "12/8/23",
        "12 Agustus 2023", "12-Agt-2023", "12 Ags 2023", "12 Agu 2023", "12 agst. 2023",
        "12 Agust 2023",
        "12 August 2023", "12-Aug-2023", "August 12, 2023", "Sabtu, 12 Agustus 2023",
        "Sab, 12 Agt 2023",
        "2023-08-12 00:00:00", "2023-08-12T10:30:00", "20230812", "45150", "45150.0",
        " 12 AGUSTUS 2023 ",
    ],
)
def test_date_forms(written):
    parsed = parse_dates(text([written]))
    assert parsed.values[0] == pd.Timestamp("2023-08-12"), parsed.reason[0]
    assert parsed.reason[0] is None


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1 Pebruari 2020", "2020-02-01"), ("3 Nopember 2021", "2021-11-03"),
        ("5 Sept 2022", "2022-09-05"), ("5 Mrt 2022", "2022-03-05"), ("1 Mei 2024", "2024-05-01"),
        ("31 Desember 2024", "2024-12-31"), ("9 Okt 2019", "2019-10-09"),
        ("29 Februari 2024", "2024-02-29"),
    ],
)
def test_month_names(written, expected):
    assert parse_dates(text([written])).values[0] == pd.Timestamp(expected)


def test_a_month_without_its_day_is_its_first_day_and_says_so():
    written = ["Maret 2023", "Mar-23", "mar. 2023", "03/2023", "3-2023", "2023-03", "2023/3",
               "12/03/2023"]
    parsed = parse_dates(text(written))
    assert parsed.values.tolist() == [pd.Timestamp("2023-03-01")] * 7 + [
        pd.Timestamp("2023-03-12")]
    assert parsed.month_only.tolist() == [True] * 7 + [False]
    assert parsed.reason.isna().all()


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("31/02/2023", "impossible date"), ("29 Februari 2023", "impossible date"),
        ("13/13/2023", "impossible date"), ("hello", "unrecognised date"),
        ("12 Foo 2023", "unrecognised date"), ("999999", "unrecognised date"),
        ("12/08/1850", "implausible year"),
        ("2024", "a year, not a date (write day, month and year: 01-07-2023)"),
        ("2024.0", "a year, not a date (write day, month and year: 01-07-2023)"),
        ("1899", "a year, not a date (write day, month and year: 01-07-2023)"),
        ("2100", "a year, not a date (write day, month and year: 01-07-2023)"),
        ("13/2023", "impossible date"), ("2023-13", "impossible date"),
        ("Foo 2023", "unrecognised date"), ("03/1850", "implausible year"),
    ],
)
def test_bad_dates(written, reason):
    parsed = parse_dates(text([written]))
    assert pd.isna(parsed.values[0])
    assert parsed.reason[0] == reason


@pytest.mark.parametrize("parse", [parse_dates, parse_periods])
def test_a_dash_is_no_date_or_period_and_says_so(parse) -> None:
    """A dash means 'none': where a date or period is required, the ledger says so."""
    parsed = parse(text(["-", "\u2013", " -- "]))
    assert parsed.values.isna().all()
    assert parsed.reason.tolist() == ["dash placeholder (no value)"] * 3


def test_a_time_of_day_after_a_numeric_date_is_dropped():
    """Survey apps stamp every answer: the date is read, the time and zone dropped; a clock with
    mixed separators ('08:15.00') or a time after a date written with its month name is not a
    time of day."""
    stamps = ["02/05/2023 08:15", "02/05/2023 08.15.00", "2023-05-02T08:15:00Z",
              "2023-05-02 08:15:00+07:00", "2023/05/02 8:15:00 AM GMT+7", "02-05-2023 8:15 WIB"]
    parsed = parse_dates(text([*stamps, "02/05/2023 08:15.00", "2 Mei 2023 08:15"]))
    assert parsed.values.tolist()[:6] == [pd.Timestamp("2023-05-02")] * 6
    assert parsed.reason.tolist() == [None] * 6 + ["unrecognised date"] * 2


def test_a_column_of_month_first_dates_is_read_month_first():
    """A spreadsheet in a US locale writes Google Forms' timestamps month first: a column with
    dates that read only month first ('8/13/2023') and none that read only day first reads its
    day/month/year dates month first, those that read both ways ('3/8/2023') too."""
    parsed = parse_dates(text(["8/13/2023 10:11:12", "3/8/2023 9:00:00", "12/13/23",
                               "2023-05-02", "12 Agustus 2023"]))
    assert parsed.values.tolist() == [pd.Timestamp(d) for d in (
        "2023-08-13", "2023-03-08", "2023-12-13", "2023-05-02", "2023-08-12")]
    assert parsed.reason.isna().all()
    assert parsed.month_first.tolist() == [True, True, True, False, False]


def test_dates_with_dots_or_hyphens_are_never_month_first():
    """US spreadsheets write slashes: '3.8.2023' and '3-8-2023' stay day first, and
    '8.13.2023' is no evidence (an impossible date)."""
    parsed = parse_dates(text(["8/13/2023", "3/8/2023", "3.8.2023", "3-8-2023", "8.13.2023"]))
    assert parsed.values[:4].tolist() == [pd.Timestamp(d) for d in (
        "2023-08-13", "2023-03-08", "2023-08-03", "2023-08-03")]
    assert parsed.reason[4] == "impossible date"


def test_a_column_with_a_day_first_date_stays_day_first():
    """One date that reads only day first keeps the column day first: a date that reads only
    month first is then an impossible date, as before."""
    parsed = parse_dates(text(["13/08/2023", "3/8/2023", "8/13/2023"]))
    assert parsed.values[:2].tolist() == [pd.Timestamp("2023-08-13"), pd.Timestamp("2023-08-03")]
    assert pd.isna(parsed.values[2]) and parsed.reason.tolist() == [None, None, "impossible date"]


def test_day_or_month_first_is_decided_per_group():
    """Per source file when the files of a kind are cleaned together: one file's US dates do
    not turn another's Indonesian dates around, nor the other way."""
    parsed = parse_dates(text(["13/08/2023", "3/8/2023", "3/8/2023", "8/13/2023"]),
                         groups=np.array(["a.csv", "a.csv", "b.csv", "b.csv"], dtype=object))
    assert parsed.values.tolist() == [pd.Timestamp(d) for d in (
        "2023-08-13", "2023-08-03", "2023-03-08", "2023-08-13")]


def test_dates_from_objects_and_numbers():
    cells = pd.Series(
        [dt.datetime(2023, 8, 12, 15, 0), dt.date(2023, 8, 12), pd.Timestamp("2023-08-12"),
         45150, 45150.0, "45150", None, ""],
        dtype=object,
    )
    parsed = parse_dates(cells)
    assert str(parsed.values.dtype) == "datetime64[ns]"
    assert (parsed.values[:6] == pd.Timestamp("2023-08-12")).all()
    assert parsed.values[6:].isna().all() and parsed.reason.isna().all()


def test_datetime_column_passes_through():
    parsed = parse_dates(pd.Series(pd.to_datetime(["2023-08-12 13:00", None])))
    assert parsed.values[0] == pd.Timestamp("2023-08-12") and pd.isna(parsed.values[1])


def test_date_objects_follow_the_rules_of_written_dates():
    """A date object is read as the text it prints as: the same year range, and a NaT object is
    a missing cell (it was an 'impossible date' until 2026-12)."""
    cells = pd.Series([dt.date(1850, 1, 1), pd.NaT, np.datetime64("2023-08-12T10:00"),
                       pd.Timestamp("2023-08-12 23:30", tz="Asia/Jakarta")], dtype=object)
    parsed = parse_dates(cells)
    assert parsed.values.isna().tolist() == [True, True, False, False]
    assert (parsed.values[2:] == pd.Timestamp("2023-08-12")).all()
    assert parsed.reason.tolist() == ["implausible year", None, None, None]
    column = parse_dates(pd.Series(pd.to_datetime(["1850-08-12 09:00", "2023-08-12 13:00"])))
    assert column.reason.tolist() == ["implausible year", None]


@FAST
@given(st.lists(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31)),
                min_size=1, max_size=30))
def test_date_round_trips(days):
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
              "September", "Oktober", "November", "Desember"]
    written, expected = [], []
    for day in days:
        serial = (day - dt.date(1899, 12, 30)).days  # 1800-2199 (1904-06) read as years, rejected
        written += [day.isoformat(), day.strftime("%d/%m/%Y"),
                    f"{day.day} {months[day.month - 1]} {day.year}",
                    *([] if 1800 <= serial <= 2199 else [str(serial)])]
        expected += [pd.Timestamp(day)] * (3 if 1800 <= serial <= 2199 else 4)
    parsed = parse_dates(pd.Series(written, dtype="str"))
    assert parsed.values.tolist() == expected, parsed.reason.tolist()


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "semester", "granularity"),
    [
        ("Semester I 2023", "2023-S1", "semester"), ("Semester 1 2023", "2023-S1", "semester"),
        ("Smt II/2022", "2022-S2", "semester"), ("Sem 2 2022", "2022-S2", "semester"),
        ("SEMESTER II TAHUN 2022", "2022-S2", "semester"), ("smt. ii 2022", "2022-S2", "semester"),
        ("2023-S1", "2023-S1", "semester"), ("2023 S2", "2023-S2", "semester"),
        ("Triwulan III 2021", "2021-S2", "quarter"), ("TW III 2021", "2021-S2", "quarter"),
        ("Tw.3 2021", "2021-S2", "quarter"), ("TW 3/2021", "2021-S2", "quarter"),
        ("Triwulan I Tahun 2021", "2021-S1", "quarter"), ("2023-Q3", "2023-S2", "quarter"),
        ("Q2 2023", "2023-S1", "quarter"), ("TW-I/2024", "2024-S1", "quarter"),
        ("Triwulan-IV/2023", "2023-S2", "quarter"), ("Semester-II/2024", "2024-S2", "semester"),
        ("Semester ke-2 2023", "2023-S2", "semester"), ("2024-SMT-I", "2024-S1", "semester"),
        ("Januari-Juni 2023", "2023-S1", "semester"), ("Juli s/d Desember 2023", "2023-S2",
                                                        "semester"),
        ("Agustus 2023", "2023-S2", "month"), ("2023-08", "2023-S2", "month"),
        ("2023-06-30", "2023-S1", "month"), ("2023-07-01 00:00:00", "2023-S2", "month"),
        ("2023-06-30T00:00:00", "2023-S1", "month"), ("2023-12-31 23:59", "2023-S2", "month"),
    ],
)
def test_period_labels(written, semester, granularity):
    parsed = parse_periods(text([written]), "semester")
    assert parsed.reason[0] is None
    assert period_label(parsed.values[0], "semester") == semester
    as_quarter = parse_periods(text([written]), "quarter")  # a semester is coarser: not placed
    assert as_quarter.reason[0] == (
        "period coarser than panel frequency" if granularity == "semester" else None)


def test_quarter_into_each_frequency():
    cells = text(["Triwulan III 2021"])
    assert period_label(parse_periods(cells, "quarter").values[0], "quarter") == "2021-Q3"
    assert period_label(parse_periods(cells, "year").values[0], "year") == "2021"


def test_coarser_periods_are_not_placed():
    parsed = parse_periods(text(["2023", "Semester I 2023", "2023.0"]), "quarter")
    assert parsed.values.isna().all()
    assert parsed.reason.tolist() == [
        "year-only period cannot be placed in a quarter",
        "period coarser than panel frequency",
        "year-only period cannot be placed in a quarter",
    ]
    as_semester = parse_periods(text(["2023", "Tahun 2023"]), "semester")
    assert as_semester.reason.tolist() == ["year-only period cannot be placed in a semester"] * 2
    as_year = parse_periods(text(["2023", "Semester II 2023", "Tahun 2023"]), "year")
    assert as_year.values.tolist() == [2023, 2023, 2023]


def test_bad_and_empty_periods():
    parsed = parse_periods(text(["Semester III 2023", "foo", "", None, "Triwulan V 2021",
                                 "Semester I 1800", "2023-06-32", "2023-13-01", "2023-02-31",
                                 "2023-06-30 12345678"]))
    assert parsed.reason.tolist() == [
        "unrecognised period", "unrecognised period", None, None, "unrecognised period",
        "implausible year", *["unrecognised period"] * 4,
    ]
    assert parsed.values.isna().all()


def test_a_year_and_one_digit_is_ambiguous_not_a_month():
    """'2024/2' in a semester recap means Semester II, in a monthly sheet February: rejected,
    never placed in the first half silently. Two digits are a month."""
    parsed = parse_periods(text(["2024/2", "2024-1", "2024/02", "2024-11"]), "semester")
    assert parsed.reason[0].startswith("ambiguous period") and parsed.reason[1] == parsed.reason[0]
    assert parsed.values[:2].isna().all()
    assert [period_label(v, "semester") for v in parsed.values[2:]] == ["2024-S1", "2024-S2"]


def test_a_part_without_its_word_or_a_school_semester_is_not_guessed():
    parsed = parse_periods(text(["I/2024", "II 2024", "Periode II Tahun 2024",
                                 "Semester Ganjil 2024", "Semester Genap 2023/2024"]), "quarter")
    assert parsed.values.isna().all()
    assert all(r.startswith("ambiguous period") for r in parsed.reason[:3])
    assert all(r.startswith("a school year's semester") for r in parsed.reason[3:])


def test_a_month_as_excel_shows_it():
    parsed = parse_periods(text(["Mar-24", "Agustus-23", "Okt-24"]), "quarter")
    assert [period_label(v, "quarter") for v in parsed.values] == ["2024-Q1", "2023-Q3",
                                                                   "2024-Q4"]


def test_periods_from_numbers():
    parsed = parse_periods(pd.Series([2023, 2024.0]), "year")
    assert parsed.values.tolist() == [2023, 2024]


@pytest.mark.parametrize("cells", [["Semester I 2023"], [None]])
def test_an_unknown_frequency_is_a_value_error_naming_the_frequencies(cells):
    with pytest.raises(ValueError, match="one of semester, quarter, year, not 'month'"):
        parse_periods(text(cells), "month")  # type: ignore[arg-type]


@FAST
@given(st.sampled_from(["semester", "quarter", "year"]), st.data())
def test_period_label_round_trip(freq, data):
    n = PER_YEAR[freq]
    indices = data.draw(st.lists(st.integers(min_value=1950 * n, max_value=2100 * n - 1),
                                 min_size=1, max_size=30))
    parsed = parse_periods(text([period_label(i, freq) for i in indices]), freq)
    assert parsed.values.tolist() == indices


# --- NIP -------------------------------------------------------------------------------------


def test_nip_written_forms():
    cells = text(["198606012010121004", "19860601 201012 1 004", "'198606012010121004",
                  "19860601.201012.1.004", "19860601-201012-1-004", "NIP. 19860601 201012 1 004"])
    parsed = normalise_nip(cells, reference_date=REFERENCE)
    assert parsed.reason.isna().all(), parsed.reason.tolist()
    assert (parsed.nip == "198606012010121004").all()
    assert (parsed.kind == "PNS").all()
    assert (parsed.birth_date == pd.Timestamp("1986-06-01")).all()


def test_nip_pppk_field_not_hard_coded():
    parsed = normalise_nip(text(["199001012021212001", "199001012022242002"]),
                           reference_date=REFERENCE)
    assert parsed.kind.tolist() == ["PPPK", "PPPK"] and parsed.reason.isna().all()


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("1,98606E+17", "NIP damaged by spreadsheet (scientific notation)"),
        ("1.98606E+17", "NIP damaged by spreadsheet (scientific notation)"),
        ("1.98606012010121e+17", "NIP damaged by spreadsheet (scientific notation)"),
        ("198606012010121004.0", "NIP damaged by spreadsheet (read as a number)"),
        ("198606012010121000", "NIP damaged by spreadsheet (last digits 000)"),
        ("12345", "NIP is not 18 digits"),
        ("1986060120101210045", "NIP is not 18 digits"),
        ("19860601201012100X", "NIP has characters other than digits"),
        ("198613012010121004", "NIP birth date (digits 1-8) is not a date"),
        ("193006012010121004", "NIP birth year implausible"),
        ("198606012010001004", "NIP digits 13-14 are neither a month nor a PPPK code"),
        ("198606012000121004", "NIP appointment before age 17"),
        ("198606012026011004", "NIP appointment after the reference date"),
        ("198606012010123004", "NIP sex digit (15) is not 1 or 2"),
    ],
)
def test_nip_rejects(written, reason):
    parsed = normalise_nip(text([written]), reference_date=REFERENCE)
    assert parsed.reason[0] == reason
    assert pd.isna(parsed.nip[0]) and pd.isna(parsed.kind[0])


def test_nip_empty_is_not_a_reject():
    parsed = normalise_nip(text(["", None, "  "]))
    assert parsed.reason.isna().all() and parsed.nip.isna().all()


def test_nip_float_input_is_rejected():
    parsed = normalise_nip(pd.Series([1.98606012010121e17], dtype=object))
    assert parsed.reason[0] == "NIP damaged by spreadsheet (scientific notation)"


NIP_PARTS = st.tuples(
    st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2005, 12, 31)),
    st.integers(min_value=17, max_value=40),
    st.one_of(st.integers(min_value=1, max_value=12), st.integers(min_value=13, max_value=99)),
    st.sampled_from("12"),
    st.integers(min_value=1, max_value=999),
    st.sampled_from(
        ["{}", "{} ", "'{}", "{d[0]}.{d[1]}.{d[2]}.{d[3]}", "{d[0]} {d[1]} {d[2]} {d[3]}"]
    ),
)


@FAST
@given(st.lists(NIP_PARTS, min_size=1, max_size=30))
def test_nip_round_trip(parts):
    written, digits_list, kinds = [], [], []
    for birth, age, field, sex, sequence, shape in parts:
        year = min(birth.year + age, REFERENCE.year - 1)
        digits = f"{birth:%Y%m%d}{year}{field:02d}{sex}{sequence:03d}"
        groups = (digits[:8], digits[8:14], digits[14], digits[15:])
        written.append(shape.format(digits, d=groups))
        digits_list.append(digits)
        kinds.append("PNS" if field <= 12 else "PPPK")
    parsed = normalise_nip(text(written), reference_date=REFERENCE)
    assert parsed.reason.isna().all(), parsed.reason.tolist()
    assert parsed.nip.tolist() == digits_list
    assert parsed.kind.tolist() == kinds


# --- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("PNS", "PNS"), ("pns", "PNS"), ("Pegawai Negeri Sipil", "PNS"), ("CPNS", "PNS"),
        ("PPPK", "PPPK"), ("P3K", "PPPK"), ("pppk penuh waktu", "PPPK"),
        ("Pegawai Pemerintah dengan Perjanjian Kerja", "PPPK"),
        ("PPPK Paruh Waktu", "PPPK_PT"), ("P3K paruh waktu", "PPPK_PT"), ("PPPK PW", "PPPK_PT"),
        ("PPPK_PT", "PPPK_PT"), ("honorer", "OTHER"), ("non asn", "OTHER"),
        ("Non-PNS", "OTHER"), ("THL", "OTHER"), ("OTHER", "OTHER"),
        ("ASN - PNS", "PNS"), ("ASN PPPK", "PPPK"), ("Calon PNS", "PNS"), ("PNSD", "PNS"),
        ("P.P.P.K", "PPPK"), ("C.P.N.S", "PNS"), ("bukan PNS", "OTHER"), ("PNS Daerah", "PNS"),
        ("Kontrak", "OTHER"), ("P3K.PW", "PPPK_PT"), ("PPPK.PW", "PPPK_PT"),
        ("P3K.Guru", "PPPK"), ("CPNS.Formasi 2021", "PNS"), ("PNS.Daerah", "PNS"),
        ("Pegawai.Negeri.Sipil", "PNS"), ("CPNSD", "PNS"), ("C.P.N.S.D", "PNS"),
        ("Honorer K2", "OTHER"),
    ],
)
def test_status(written, expected):
    assert normalise_status(text([written]))[0] == expected


def test_status_empty_is_missing():
    assert normalise_status(text(["", None])).isna().all()


@FAST
@given(st.lists(st.text(), max_size=40))
def test_status_never_raises(values):
    result = normalise_status(pd.Series(values, dtype=object))
    assert set(result.dropna()) <= {"PNS", "PPPK", "PPPK_PT", "OTHER"}


def test_nip_status_mismatch():
    kind = pd.Series(["PNS", "PPPK", "PNS", None, "PPPK"])
    status = text(["P3K", "pns", "PNS", "PNS", "PPPK Paruh Waktu"])
    assert nip_status_mismatch(kind, status).tolist() == [
        "NIP is a PNS number but status is PPPK", "NIP is a PPPK number but status is PNS",
        None, None, None,
    ]


def test_period_index_consistency_with_periods_module():
    assert parse_periods(text(["2023-S2"])).values[0] == period_index(dt.date(2023, 8, 1))


# --- region and unit names (reference resolvers, header aliases) ------------------------------

def _regions() -> pd.DataFrame:
    from p3k_study.reference import load_regions

    return load_regions()


def _one_outcome(match) -> bool:
    """A RegionMatch carries a code or a reason, never both, never neither."""
    return (match.kode_pemda is None) != (match.reason is None)


@FAST
@given(st.text(), st.text())
def test_region_resolution_never_raises(code, name):
    from p3k_study.reference.regions import region_resolver

    resolver = region_resolver()
    for match in (resolver.from_code(code), resolver.from_name(name),
                  resolver.resolve(code, name), resolver.resolve(None, name)):
        assert _one_outcome(match)


@FAST
@given(st.data())
def test_region_codes_and_names_round_trip(data):
    from p3k_study.reference.regions import region_resolver

    regions = _regions()
    row = regions.iloc[data.draw(st.integers(0, len(regions) - 1))]
    resolver = region_resolver()
    code = row["kode_pemda"]
    assert resolver.from_code(code).kode_pemda == code
    assert resolver.from_code(code.replace(".", "")).kode_pemda == code
    assert resolver.from_code(f"  {code} ").kode_pemda == code
    name = row["nama_pemda"]
    spaced = data.draw(st.sampled_from([name, name.upper(), name.lower(), f"  {name}  ",
                                        name.replace(" ", "  ")]))
    assert resolver.from_name(spaced).kode_pemda == code


@FAST
@given(st.text())
def test_unit_matching_never_raises_and_keys_are_stable(name):
    from p3k_study.reference.units import match_unit, normalise_unit_name

    match = match_unit(name)
    assert match.unit_key and match.function
    assert match.unit_key.startswith(match.function)
    assert normalise_unit_name(normalise_unit_name(name)) == normalise_unit_name(name)
    if name.upper().lower() == name.lower():
        assert match_unit(name.upper()) == match


@FAST
@given(st.data())
def test_unit_names_match_their_function_whatever_the_spelling(data):
    from p3k_study.reference.units import match_unit, unit_functions

    table = unit_functions()
    row = table.iloc[data.draw(st.integers(0, len(table) - 1))]
    name = data.draw(st.sampled_from([row["canonical_name"], *row["short_forms"].split("|")]))
    variant = data.draw(st.sampled_from([name, name.upper(), name.lower(), f" {name}. ",
                                         name.replace(" ", "  ")]))
    assert match_unit(variant).function == row["function"]
    assert match_unit(variant) == match_unit(name)


@FAST
@given(st.lists(st.text(), max_size=12))
def test_header_canonicalising_never_raises(headers):
    from p3k_study.read.headers import ALIASES, FALLBACK_ALIASES, canonical_names

    for kind in ("pegawai", "jumlah_pegawai", "skm", "ikm"):
        renamed, mapping = canonical_names(headers, ALIASES[kind],
                                           fallback=FALLBACK_ALIASES.get(kind, ()))
        assert len(renamed) == len(headers)
        assert set(mapping) <= set(headers)


@FAST
@given(st.sampled_from(["pegawai", "jumlah_pegawai", "skm", "ikm"]), st.data())
def test_every_alias_resolves_to_its_canonical_name(kind, data):
    from p3k_study.read.headers import ALIASES, FALLBACK_ALIASES, canonical_names

    canonical = data.draw(st.sampled_from(sorted(ALIASES[kind])))
    alias = data.draw(st.sampled_from([canonical, *ALIASES[kind][canonical]]))
    written = data.draw(st.sampled_from([alias, alias.upper(), alias.title(),
                                         alias.replace(" ", "_"), f" {alias} "]))
    _, mapping = canonical_names([written], ALIASES[kind],
                                 fallback=FALLBACK_ALIASES.get(kind, ()))
    assert mapping == {written: canonical}


@FAST
@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1,
                max_size=30))
def test_english_round_trip_with_decimals(numbers):
    written = [f"{x:,.2f}" for x in numbers]
    parsed = parse_numbers(pd.Series(written, dtype="str"), ambiguous_as="en")
    np.testing.assert_allclose(parsed.values.to_numpy(), [round(x, 2) for x in numbers],
                               rtol=1e-12, atol=1e-9)


def test_long_columns_parsed_per_distinct_cell_equal_parsing_every_cell():
    """Parsers work per distinct cell (per distinct (cell, file) pair for numbers) and spread the
    results back: the same as parsing each cell alone, on the column's own index."""
    dates = ["12/08/2023", "2023-02-30", "Sabtu, 12 Ags 2023", "44942", "junk", None, "1850-1-1"]
    periods = ["Semester I 2023", "TW III 2021", "2023", "Januari-Juni 2023", "??", None, " "]
    rng = np.random.default_rng(5)
    for values, parser in ((dates, parse_dates), (periods, parse_periods)):
        column = pd.Series(rng.choice(np.array(values, dtype=object), 3000), dtype="str",
                           index=np.arange(3000) + 7)
        whole = parser(column)
        alone = {v: parser(pd.Series([v], dtype="str")) for v in values if v is not None}
        alone[None] = parser(pd.Series([None], dtype="str"))
        for name in ("values", "index", "reason"):
            if hasattr(whole, name):
                got = getattr(whole, name)
                assert list(got.index) == list(column.index)
                expected = [getattr(alone[None if pd.isna(v) else v], name).iloc[0]
                            for v in column.astype(object)]
                assert [None if pd.isna(g) else g for g in got] == [
                    None if pd.isna(e) else e for e in expected], name


@pytest.mark.parametrize("indonesian_cells", [1, 3])
def test_a_column_mixing_locales_rejects_its_ambiguous_cells_whichever_locale_is_more_common(
        indonesian_cells):
    cells = text(["80,11"] * indonesian_cells + ["79.5", "60.25", "1.234"])
    parsed = parse_numbers(cells)
    assert parsed.reason.tolist()[-1] == "ambiguous number in a column mixing locales"
    np.testing.assert_allclose(parsed.values[:-1].to_numpy(),
                               [80.11] * indonesian_cells + [79.5, 60.25])


def test_number_locale_is_decided_per_file():
    files = np.array(["a.csv"] * 3 + ["b.csv"] * 3, dtype=object)
    by_file = parse_numbers(text(["80,11", "80,11", "1.234", "79.5", "79.5", "1.234"]),
                            groups=files)
    np.testing.assert_allclose(by_file.values.to_numpy(), [80.11, 80.11, 1234, 79.5, 79.5, 1.234])
    assert by_file.reason.isna().all()


PARSERS = {"numbers": parse_numbers, "dates": parse_dates, "nip": normalise_nip}
PARSERS.update({f"periods as {freq}": functools.partial(parse_periods, freq=freq)
                for freq in PER_YEAR})


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@FAST
@given(st.lists(st.text(), max_size=40))
def test_parsers_never_raise_on_any_text(parser, values):
    assert len(parser(pd.Series(values, dtype=object)).reason) == len(values)


# --- missing values and dtypes: the cleaners pass object, str, string (Arrow) and Categorical --

DTYPES = ["object", "str", "string", "category"]
CELL_INDEX = [10, 11, 12, 13, 14, 15]


def cells_as(values: list[object], dtype: str) -> pd.Series:
    """`values` (with None, NaN and pd.NA among them) as a Series of `dtype`, on CELL_INDEX."""
    return pd.Series(values, dtype=object, index=CELL_INDEX[:len(values)]).astype(dtype)


def assert_series(got: pd.Series, dtype: str, expected: list[object]) -> None:
    """dtype, index and values, each missing value as written (None, NaN, NA or NaT)."""
    assert str(got.dtype) == dtype
    assert list(got.index) == CELL_INDEX[:len(expected)]
    assert [_as_written(v) for v in got] == [_as_written(v) for v in expected]


def _as_written(value: object) -> object:
    """A missing value as the kind it is ('None', 'nan', '<NA>', 'NaT'), others as they are."""
    if value is None or value is pd.NA or value is pd.NaT:
        return repr(value)
    return "nan" if isinstance(value, float) and np.isnan(value) else value


@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_take_missing_cells_of_every_dtype(dtype):
    parsed = parse_numbers(cells_as(["80,5", None, np.nan, pd.NA, " ", "x"], dtype))
    assert_series(parsed.values, "float64", [80.5] + [np.nan] * 5)
    assert_series(parsed.reason, "object", [None] * 5 + ["not a number"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_numbers_errors_dashes_and_groups_of_every_dtype(dtype):
    cells = cells_as(["1.234", "-", "#N/A", None, "1.234", "79.5"], dtype)
    parsed = parse_numbers(cells, groups=np.array([0, 0, 0, 0, 1, 1]))
    assert_series(parsed.values, "float64", [1234.0, np.nan, np.nan, np.nan, 1.234, 79.5])
    assert_series(parsed.reason, "object", [None, "dash placeholder (no value)",
                                            "Excel error cell #N/A", None, None, None])


def test_numbers_with_distinct_cells_as_the_cleaners_pass_them():
    uniques = pd.Series(["80,5", "x", "1.234"], dtype="string")
    codes = np.array([0, 1, -1, 0, 2, 2])
    column = pd.Series(uniques.array.take(codes, allow_fill=True), index=CELL_INDEX)
    parsed = parse_numbers(column, groups=np.array([0, 0, 1, 1, 1, 1]), distinct=(codes, uniques))
    assert_series(parsed.values, "float64", [80.5, np.nan, np.nan, 80.5, 1234.0, 1234.0])
    assert_series(parsed.reason, "object", [None, "not a number", None, None, None, None])


@pytest.mark.parametrize(("values", "dtype", "expected"), [
    ([3, 4], "int64", [3.0, 4.0]), ([3, None], "Int64", [3.0, np.nan]),
    ([1.5, 2, None], "float64", [1.5, 2.0, np.nan]),
    ([1.5, "2,5", None], "object", [1.5, 2.5, np.nan]),  # numbers and text in one column
])
def test_numbers_of_numeric_dtypes_pass_through(values, dtype, expected):
    parsed = parse_numbers(pd.Series(values, dtype=dtype, index=CELL_INDEX[:len(values)]))
    assert_series(parsed.values, "float64", expected)
    assert parsed.reason.isna().all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_dates_take_missing_cells_of_every_dtype(dtype):
    parsed = parse_dates(cells_as(["12/08/2023", None, np.nan, pd.NA, " ", "x"], dtype))
    assert_series(parsed.values, "datetime64[ns]", [pd.Timestamp("2023-08-12")] + [pd.NaT] * 5)
    assert_series(parsed.reason, "object", [None] * 5 + ["unrecognised date"])


def test_dates_with_distinct_cells_as_the_cleaners_pass_them():
    """A code of -1 (a missing cell, or a row the caller leaves out) gives NaT and no reason."""
    uniques = pd.Series(["12/08/2023", "x", "45150"], dtype="string")
    codes = np.array([0, 1, -1, 0, 2, 1])
    column = pd.Series(uniques.array.take(codes, allow_fill=True), index=CELL_INDEX)
    parsed = parse_dates(column, distinct=(np.where(codes == 1, codes, -1), uniques))
    assert_series(parsed.values, "datetime64[ns]", [pd.NaT] * 6)
    assert_series(parsed.reason, "object",
                  [None, "unrecognised date", None, None, None, "unrecognised date"])
    parsed = parse_dates(column, distinct=(codes, uniques))
    august = pd.Timestamp("2023-08-12")
    assert_series(parsed.values, "datetime64[ns]", [august, pd.NaT, pd.NaT, august, august,
                                                    pd.NaT])


def test_dates_of_numbers_are_excel_serials():
    parsed = parse_dates(pd.Series([45150.0, np.nan], index=CELL_INDEX[:2]))
    assert_series(parsed.values, "datetime64[ns]", [pd.Timestamp("2023-08-12"), pd.NaT])
    assert_series(parsed.reason, "object", [None, None])


@pytest.mark.parametrize("dtype", DTYPES)
def test_periods_take_missing_cells_of_every_dtype(dtype):
    parsed = parse_periods(cells_as(["Semester I 2023", None, np.nan, pd.NA, " ", "2023"], dtype))
    assert_series(parsed.values, "Int64", [2023 * 2] + [pd.NA] * 5)
    assert_series(parsed.reason, "object", [None, None, None, None, None,  # NaN is missing
                                            "year-only period cannot be placed in a semester"])


def test_periods_with_distinct_cells_as_the_cleaners_pass_them():
    uniques = pd.Series(["2023", "x", "TW 3/2021"], dtype="string")
    codes = np.array([0, 1, -1, 0, 2, 2])
    column = pd.Series(uniques.array.take(codes, allow_fill=True), index=CELL_INDEX)
    parsed = parse_periods(column, "year", distinct=(codes, uniques))
    assert_series(parsed.values, "Int64", [2023, pd.NA, pd.NA, 2023, 2021, 2021])
    assert_series(parsed.reason, "object", [None, "unrecognised period", None, None, None, None])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nip_takes_missing_cells_of_every_dtype(dtype):
    parsed = normalise_nip(cells_as(["198606012010121004", None, np.nan, pd.NA, " ", "x"], dtype),
                           reference_date=REFERENCE)
    assert_series(parsed.nip, "str", ["198606012010121004"] + [np.nan] * 5)
    assert_series(parsed.kind, "object", ["PNS"] + [pd.NA] * 5)
    assert_series(parsed.birth_date, "datetime64[ns]", [pd.Timestamp("1986-06-01")] + [pd.NaT] * 5)
    assert_series(parsed.reason, "object", [None] * 5 + ["NIP has characters other than digits"])


def test_nip_of_distinct_cells_as_the_roster_passes_them():
    cells = pd.concat([pd.Series(["198606012010121004", "12345"], dtype="string"),
                       pd.Series([None], dtype="string")], ignore_index=True)
    parsed = normalise_nip(cells, reference_date=REFERENCE)
    assert parsed.nip.tolist()[:2] == ["198606012010121004", np.nan]
    assert parsed.reason.tolist() == [None, "NIP is not 18 digits", None]
    assert parsed.kind.tolist() == ["PNS", pd.NA, pd.NA]


@pytest.mark.parametrize("dtype", DTYPES)
def test_status_takes_missing_cells_of_every_dtype(dtype):
    status = normalise_status(cells_as(["PNS", None, np.nan, pd.NA, " ", "P3K"], dtype))
    assert_series(status, "object", ["PNS"] + [pd.NA] * 4 + ["PPPK"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nip_status_mismatch_takes_missing_cells_of_every_dtype(dtype):
    kind = cells_as(["PNS", "PPPK", None, np.nan, "PNS", pd.NA], dtype)
    status = cells_as(["P3K", "pns", "PNS", "PPPK", pd.NA, np.nan], dtype)
    assert_series(nip_status_mismatch(kind, status), "object", [
        "NIP is a PNS number but status is PPPK", "NIP is a PPPK number but status is PNS",
        None, None, None, None])


def test_nip_status_mismatch_aligns_kind_on_the_status_index():
    kind = pd.Series(pd.Categorical(["PNS", "PPPK"]), index=[5, 6])
    status = pd.Series(pd.Categorical(["p3k", "pns"]), index=[6, 5])
    assert nip_status_mismatch(kind, status).tolist() == [None, None]


def test_int64_columns_read_as_their_nullable_twins():
    """An int64 Series cannot hold the missing cell the parsers add: read as Int64 (it raised
    TypeError until 2026-12)."""
    years = pd.Series([2023, 2024], index=CELL_INDEX[:2])
    assert_series(parse_periods(years, "year").values, "Int64", [2023, 2024])
    serials = pd.Series([45150, 45151], index=CELL_INDEX[:2])
    assert_series(parse_dates(serials).values, "datetime64[ns]",
                  [pd.Timestamp("2023-08-12"), pd.Timestamp("2023-08-13")])


def test_every_unicode_white_space_is_a_space_and_a_cell_of_it_is_empty() -> None:
    spaces = [chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()]
    labels = parse_periods(text([f"Semester{c}I 2023" for c in spaces] + spaces))
    assert labels.values.iloc[:len(spaces)].eq(period_index(dt.date(2023, 1, 1))).all()
    assert labels.values.iloc[len(spaces):].isna().all()
    assert labels.reason.iloc[len(spaces):].isna().all()  # empty, not 'unrecognised period'


def test_invisible_characters_are_removed_but_a_zero_width_space_after_a_letter_is_a_space():
    written = ["Dinas\u200bSosial", "32\u200b.01", "1\u200b9860601", "Dinas Sos\u00adial",
               "\ufeffDinkes\u200e", "a\u200bb\u200bc", "Sosial\u200b"]
    assert visible(text(written)).tolist() == [
        "Dinas Sosial", "32.01", "19860601", "Dinas Sosial", "Dinkes", "a b c", "Sosial "]
