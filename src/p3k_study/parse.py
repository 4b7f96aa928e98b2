"""Parsers for the raw text cells of Indonesian staffing and survey files.

Every parser takes a pandas Series of raw cells (text, as `read.read_table` returns them; numbers,
dates and datetimes are accepted too), never raises on any text, and returns the parsed values
with a per-cell `reason` (None where the cell parsed, or was simply empty: missingness is the
caller's business) for the rejects ledger. Why not `dateparser`, `babel` or
`pd.to_datetime(dayfirst=True)`? The forms in these files are few and known: a few regular
expressions on the *distinct* cells of a column are fast at national scale, never guess silently
(a general parser reads '12/08/2023' month-first) and add no dependency. Each distinct cell is
parsed once; a parser's `distinct` argument takes `pd.factorize(s)` when the caller has it (then
only the index and dtype of `s` are read).

Number locale rule (`parse_numbers`), decided per column from all its values (per file when the
files of a kind are cleaned together: a column belongs to one file):
- a value that can only be Indonesian ('80,11', '1.234,5', '1.234.567') is evidence for 'id';
  one that can only be English ('80.5', '1,234.5', '1,234,567') is evidence for 'en';
- values that read both ways and differ ('1.234' and '1,234': one separator followed by exactly
  three digits) are *ambiguous*; they follow the column's locale;
- a column with evidence of one kind only takes that locale; with both kinds its ambiguous
  values are rejected ('ambiguous number in a column mixing locales') while the unambiguous ones
  parse in their own form;
- a column with no evidence at all reads ambiguous values in the `ambiguous_as` locale,
  Indonesian by default ('1.234' -> 1234: these are Indonesian files, and a dot followed by
  exactly three digits is far more often a thousands mark than a three-decimal number). Callers
  whose column cannot hold such numbers (IKM 25-100) should range-check, or pass
  `ambiguous_as='en'`; a count, always whole, passes `ambiguous_as='grouping'`: its ambiguous
  values read with a thousands mark ('1,200' and '1.200' are 1200) whatever the column's locale,
  and a word for people after it is read past ('384 orang');
- a thousands group never starts at 0: '0.500' and '0,500' read one way only, as a half.

NIP damage rule (`normalise_nip`): spreadsheets keep 15 significant digits, so an 18-digit number
that went through a float shows as scientific notation ('1,98606E+17'), as digits with a '.0'
suffix, or as 18 digits whose last three are '000'. The sequence number (digits 16-18) starts at
001, so a trailing '000' is always damage, never a real number: all three are rejected as damaged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from p3k_study.periods import PER_YEAR, Frequency, month_period_index
from p3k_study.read.headers import vocabulary

Granularity = Literal["month", "quarter", "semester", "year"]

# --- constant tables -------------------------------------------------------------------------

EXCEL_ERRORS: tuple[str, ...] = tuple(vocabulary()["excel_error"]["cell"])
MONTHS: dict[str, int] = {  # Indonesian, old and English spellings, typing variants
    name: int(month) for month, names in vocabulary()["month"].items() for name in names}
ROMAN: dict[str, int] = {"I": 1, "II": 2, "III": 3, "IV": 4}
NIP_MIN_AGE_AT_APPOINTMENT = 17

# --- result types ----------------------------------------------------------------------------


@dataclass
class ParsedColumn:
    """Parsed values (float, datetime64[ns], or Int64 period_index in the frequency asked) and a
    reason per cell (None = fine or empty; NA values with no reason: the cell was empty)."""

    values: pd.Series
    reason: pd.Series
    month_first: np.ndarray | None = None
    """`parse_dates`: per cell, read month first."""
    month_only: np.ndarray | None = None
    """`parse_dates`: per cell, a month without its day, read as the month's first day."""


@dataclass
class ParsedNip:
    """`nip`: the 18 digits (NA unless valid); `kind`: 'PNS' | 'PPPK' (NA unless valid);
    `birth_date` (datetime64[ns]); `reason` (None = valid or empty)."""

    nip: pd.Series
    kind: pd.Series
    birth_date: pd.Series
    reason: pd.Series


# --- helpers ---------------------------------------------------------------------------------

# Non-raw: literal characters, so pandas keeps the fast pyarrow (RE2) regex path.
_OTHER_WHITESPACE = ("[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                     "\u205f\u3000]")
"""Every character but the space that Python's `str.isspace` calls white space (as the
cleaners' `str.strip` does: a cell of an em space is empty to both)."""
INVISIBLE = ("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
             "\ufeff]")
"""Characters that show nothing: the soft hyphen, the Arabic letter mark, the Mongolian vowel
separator, zero-width space and joiners, direction marks and embeddings, the word joiner, the
byte order mark. Pasted from web pages, PDFs and chat apps, they sit inside codes and numbers
('32\u200b.01') and are no part of a value: the intake removes them from every cell
(`visible`)."""
_SPACE_AFTER_LETTER = "([A-Za-z])\u200b+"  # non-raw, as above; RE2's letters are ASCII


def visible(text: pd.Series) -> pd.Series:
    """`text` without `INVISIBLE` characters, except that a zero-width space after a letter is
    a space ('Dinas\u200bSosial', a break a web page allowed between words). Looked for first:
    most columns have none, and looking costs a third of rewriting; `text` itself is returned
    when none is found."""
    if not text.str.contains(INVISIBLE, regex=True).any():
        return text
    return (text.str.replace(_SPACE_AFTER_LETTER, r"\1 ", regex=True)
            .str.replace(INVISIBLE, "", regex=True))


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text (str dtype: a number or a date as it prints) with every whitespace
    character turned into a space and `INVISIBLE` ones removed (`visible`); NA for missing and
    for whitespace-only cells."""
    text = visible(s.astype("str").str.replace(_OTHER_WHITESPACE, " ", regex=True)).str.strip(" ")
    return text.where(text != "")


def _distinct(s: pd.Series, distinct: tuple[np.ndarray, Any] | None
              ) -> tuple[np.ndarray, pd.Series]:
    """(codes, cells): the distinct cells of `s` (`distinct`, or `pd.factorize(s)`), one missing
    cell last, and the code of each cell of `s` (so `per_cell[codes]` spreads results back)."""
    if distinct is None and s.dtype == object:  # factorize takes True for 1: keep every cell
        distinct = (np.arange(len(s)), s.to_numpy())
    codes, uniques = distinct if distinct is not None else pd.factorize(s, use_na_sentinel=True)
    dtype = "Int64" if s.dtype.kind in "iu" else s.dtype  # one that holds the missing cell
    cells = pd.Series(np.append(np.asarray(uniques, dtype=object), None), dtype=dtype)
    return np.where(codes < 0, len(uniques), codes), cells


def _group_numbers(groups: np.ndarray | pd.Series | None, n: int) -> np.ndarray:
    """Per cell the number of its group (`groups`: a label per cell; None: one group)."""
    labels = np.zeros(n, dtype=np.intp) if groups is None else np.asarray(groups)
    if labels.dtype.kind not in "biu":  # as objects: 1 and '1' are two groups
        labels = np.asarray(groups, dtype=object)
    return pd.factorize(labels, use_na_sentinel=False)[0]  # every group has a cell


# --- numbers ---------------------------------------------------------------------------------

# a thousands group never starts at 0: '0.500' and '0,500' are a half in either form
_ID_FORM = re.compile(r"(?:[1-9][0-9]{0,2}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?|,[0-9]+")
_EN_FORM = re.compile(r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+")
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+")
_SIGNS = re.compile(r"([+-]?)(?:(?:[rR][pP]|[iI][dD][rR])\.?)?([+-]?)(.*)", re.DOTALL)
"""A sign, a currency, a sign: 'Rp-5' and '-Rp5' are negative, '+Rp-5' is not."""
_DASH_SUFFIX = re.compile(r"[,.]-+$")  # 'Rp1.500.000,-'
_PEOPLE = re.compile(r"(?<=[0-9])(?:orang|org|responden|jiwa|pegawai)\.?$", re.IGNORECASE)
"""A count's unit after it, as recaps write respondents and staff: '384 orang', '12 pegawai'."""
DASH_PLACEHOLDERS: frozenset[str] = frozenset(vocabulary()["placeholder"]["none"])
"""A cell holding only one of these means 'none' (one or two hyphens, en or em dash, minus)."""
DASH_PLACEHOLDER = "dash placeholder (no value)"


def _read_number(text: str, count: bool = False) -> tuple[str | None, float, float]:
    """(form, Indonesian reading, English reading) of one cleaned text (a `count`: a word for
    people after it read past). Form: 'id' or 'en' (readable one way only), 'ambiguous' (both
    ways, differently), 'neutral' (both ways alike, or scientific notation: both readings are
    the value) or None (not a number)."""
    t = text.replace(" ", "").replace("'", "").removesuffix("%")
    t = _PEOPLE.sub("", t) if count else t
    in_parentheses = len(t) >= 2 and t[0] == "(" and t[-1] == ")"
    sign, then, t = _SIGNS.fullmatch(  # type: ignore[union-attr]
        (t[1:-1] if in_parentheses else t).replace("\u2212", "-")).groups()
    factor = -1.0 if in_parentheses or (sign or then) == "-" else 1.0
    t = _DASH_SUFFIX.sub("", t)
    if _SCIENTIFIC.fullmatch(t):
        value = float(t.replace(",", ".")) * factor
        return "neutral", value, value
    is_id, is_en = _ID_FORM.fullmatch(t), _EN_FORM.fullmatch(t)
    as_id = float(t.replace(".", "").replace(",", ".")) * factor if is_id else np.nan
    as_en = float(t.replace(",", "")) * factor if is_en else np.nan
    if is_id and is_en:
        return ("neutral" if as_id == as_en else "ambiguous"), as_id, as_en
    return ("id" if is_id else "en" if is_en else None), as_id, as_en


def parse_numbers(s: pd.Series, *, ambiguous_as: Literal["id", "en", "grouping"] = "id",
                  groups: np.ndarray | pd.Series | None = None,
                  distinct: tuple[np.ndarray, Any] | None = None) -> ParsedColumn:
    """Numbers written in Indonesian or English form, the locale decided per column (see the
    module docstring). Handles 'Rp', spaces, '%' (value as written), a leading sign or parentheses,
    the 'Rp1.500.000,-' suffix. Excel error cells and a lone dash give NaN with a reason; junk
    gives 'not a number'; an empty cell gives NaN and no reason. `ambiguous_as` 'grouping' reads
    a count: '1.200' and '1,200' are 1200 whatever the locale, a word for people after the
    number is read past ('384 orang').

    `groups` (one label per cell, e.g. the source file of each row when the files of a kind are
    cleaned together): the locale is decided per group, as if each group were its own column."""
    codes, cells = _distinct(s, distinct)
    value = np.full(len(cells), np.nan)
    if cells.dtype == object or pd.api.types.is_numeric_dtype(cells.dtype):  # numbers as is
        already = cells.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool))
        already = already.to_numpy(bool)
        value[already] = cells[already].astype(float)
        cells = cells.where(~already)
    text = _as_text(cells)
    error_key = text.str.upper()
    is_error = error_key.isin(EXCEL_ERRORS).to_numpy(bool)
    is_dash = text.isin(DASH_PLACEHOLDERS).to_numpy(bool)
    present = text.notna().to_numpy(bool) & ~is_error & ~is_dash
    form, as_id, as_en = np.array(  # a cell not read keeps its value (NaN or a number)
        [_read_number(t, ambiguous_as == "grouping") if p else (None, v, v)
         for t, p, v in zip(text.tolist(), present, value, strict=True)], dtype=object).T
    as_id, as_en = as_id.astype(float), as_en.astype(float)
    reason = np.select([is_error, is_dash, present & pd.isna(form)],
                       [("Excel error cell " + error_key).to_numpy(object),
                        DASH_PLACEHOLDER, "not a number"], None)
    values, reasons = np.where(form == "en", as_en, as_id)[codes], reason[codes]
    rows = np.flatnonzero((form == "ambiguous")[codes])
    if len(rows) and ambiguous_as == "grouping":  # the reading with a thousands mark
        values[rows] = np.where(np.abs(as_id) > np.abs(as_en), as_id, as_en)[codes[rows]]
    elif len(rows):  # read as the locale of their group, rejected where it mixes locales
        group = _group_numbers(groups, len(codes))
        has_id = np.bincount(group, weights=(form == "id")[codes]) > 0  # per group
        has_en = np.bincount(group, weights=(form == "en")[codes]) > 0
        of_group, of_cell = group[rows], codes[rows]
        mixed = (has_id & has_en)[of_group]
        reads_id = np.where(has_id | has_en, has_id, ambiguous_as == "id")[of_group]
        values[rows] = np.where(mixed, np.nan, np.where(reads_id, as_id[of_cell], as_en[of_cell]))
        reasons[rows[mixed]] = "ambiguous number in a column mixing locales"
    return ParsedColumn(pd.Series(values, s.index), pd.Series(reasons, s.index, object))


# --- dates -----------------------------------------------------------------------------------

_WEEKDAY_PREFIX = "^(?:" + "|".join(map(re.escape, vocabulary()["weekday"]["name"])) + ")[ ,.]+"
_OFFSET = r"[+-][0-9]{1,2}(?::?[0-9]{2})?"  # '+07:00', '+0700', '+7'
_ZONE = rf"(?: ?(?:z|wib|wita|wit|(?:utc|gmt) ?(?:{_OFFSET})?|{_OFFSET}))?"
_CLOCK = (r"[0-9]{1,2}(?::[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"  # '10:11:12', one separator
          r"|\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]+)?)?)"  # '10.11.12' (id); RE2 runs it
          r"(?: ?[ap]\.?m\.?)?")  # '10:11:12 pm'
_AT_TIME = rf"[ tT]{_CLOCK}{_ZONE}"
_TIME = rf"(?:{_AT_TIME})?"
_DROP_TIME = rf"^([0-9]{{1,4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,4}}){_AT_TIME}$"
"""A numeric date and its time of day, which `parse_dates` drops before reading each distinct
day: the forms that take a numeric day-month-year (ISO, `_DAY_FIRST`) all allow `_TIME`."""
_DAY_FIRST = re.compile(r"(?P<d>[0-9]{1,2})[-/.](?P<m>[0-9]{1,2})[-/.](?P<y>[0-9]{4}|[0-9]{2})"
                        + _TIME)
_DATE_FORMS = tuple(re.compile(form) for form in (
    r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})" + _TIME,  # ISO
    _DAY_FIRST,
    r"(?P<y>(?:19|20)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})",  # compact
    r"(?P<d>[0-9]{1,2})[ \-./]*(?P<name>[a-z]+)\.?[ \-./,]*(?P<y>[0-9]{4}|[0-9]{2})",
    r"(?P<name>[a-z]+)\.? *(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,? +(?P<y>[0-9]{4})",
))
_MONTH_FORMS = tuple(re.compile(form) for form in (
    r"(?P<m>[0-9]{1,2})[-/](?P<y>[0-9]{4})",  # '03/2023'
    r"(?P<y>[0-9]{4})[-/](?P<m>[0-9]{1,2})",  # '2023-03'
    r"(?P<name>[a-z]+)\.?(?:[ \-./,]*(?P<y>[0-9]{4})|-(?P<yy>[0-9]{2}))",  # 'Maret 2023', 'Mar-23'
))
_SERIAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]+)?")


@functools.lru_cache(maxsize=100_000)  # the same dates recur in file after file
def _date_of(text: str, month_first: bool = False
             ) -> tuple[dt.date | None, str | None, bool]:
    """(date, reason, month only) of one cleaned lower-case text; `month_first`: '8/13/2023' is
    13 August. A month without its day ('Maret 2023', '03/2023') is its first day: who is in
    post at a period's end, and which period a date belongs to, are the same for any day of
    the month."""
    for form in (*_DATE_FORMS, *_MONTH_FORMS):
        if (match := form.fullmatch(text)) is None:
            continue
        month = MONTHS.get(match["name"]) if "name" in form.groupindex else int(match["m"])
        day = int(match["d"]) if "d" in form.groupindex else 1
        if month_first and form is _DAY_FIRST:
            month, day = day, month
        if month is None:  # an unknown month name
            return None, "unrecognised date", False
        year = int(match["y"] or match.groupdict()["yy"])
        if year < 100:  # '23' -> 2023, '85' -> 1985 (pivot at 69, as Python's %y)
            year += 2000 if year < 70 else 1900
        if not 1900 <= year <= 2100:
            return None, "implausible year", False
        try:
            return dt.date(year, month, day), None, form in _MONTH_FORMS
        except ValueError:
            return None, "impossible date", False
    if re.fullmatch(r"(?:1[89]|2[01])[0-9]{2}(?:\.0+)?", text):  # not serial 2024, 1905-07-16
        return None, "a year, not a date (write day, month and year: 01-07-2023)", False
    if _SERIAL.fullmatch(text) and 1 <= float(text) <= 80_000:  # 1899-12-31 .. 2119-01-10
        return dt.date(1899, 12, 30) + dt.timedelta(days=math.floor(float(text))), None, False
    return None, "unrecognised date", False


def parse_dates(s: pd.Series, distinct: tuple[np.ndarray, Any] | None = None,
                groups: np.ndarray | pd.Series | None = None) -> ParsedColumn:
    """Dates as ISO '2023-08-12', day-first '12/08/2023' or '12-08-2023', '12 Agustus 2023',
    '12-Agt-2023', 'Sabtu, 12 Ags 2023', English month names, compact '20230812', Excel serials
    (1..80000, 1899-12-30 epoch); numbers and date/datetime objects are read as the text they
    print as ('45150', '2023-08-12 13:00:00'). A time of day may follow, with a zone as survey
    apps write it ('2023-05-02T08:15:00Z', '2023-05-02T08:15:00+07:00', '02/05/2023 08:15 WIB',
    Google Forms' '2023/05/02 8:15:00 AM GMT+7', an Indonesian spreadsheet's '02/05/2023
    08.15.00'): the date is the one written, the time and zone are dropped (not converted).
    A month and year without a day ('Maret 2023', 'Mar-23', '03/2023', '2023-03') is the
    month's first day (`month_only`); a year alone is rejected.
    Values are datetime64[ns] at midnight. Reasons: 'unrecognised date', 'impossible date'
    (31 Feb, month 13), 'implausible year' (outside 1900-2100).

    Day first, unless the column (per group of `groups`, e.g. per source file, as in
    `parse_numbers`) has dates with slashes that read only month first ('8/13/2023', as a
    spreadsheet in a US locale writes Google Forms' timestamps) and none that read only day
    first ('13/08/2023'): then its dates with slashes are month first (`month_first`)."""
    codes, cells = _distinct(s, distinct)
    text = _as_text(cells).str.lower().str.replace(_WEEKDAY_PREFIX, "", regex=True)
    text = text.str.replace(" +", " ", regex=True).str.strip()
    # read per distinct day: a survey app's timestamps are nearly all distinct (0.5 M nationally)
    days, texts = pd.factorize(text.str.replace(_DROP_TIME, r"\1", regex=True),
                               use_na_sentinel=False)
    codes, texts = days[codes], list(texts)
    found = [(None, None, False) if not isinstance(t, str) else  # the missing cell
             (None, DASH_PLACEHOLDER, False) if t in DASH_PLACEHOLDERS else _date_of(t)
             for t in texts]
    fields = [_DAY_FIRST.fullmatch(t) if isinstance(t, str) and "/" in t else None
              for t in texts]  # US spreadsheets write slashes; '3.8.2023' is never month first
    first, second = (np.array([int(f[part]) if f else 0 for f in fields]) for part in "dm")
    month_only, day_only = (second > 12) & (first <= 12), (first > 12) & (second <= 12)
    swapped = np.zeros(len(codes), dtype=bool)
    if month_only.any():
        group = _group_numbers(groups, len(codes))
        month_first = (np.bincount(group, weights=month_only[codes]) > 0) & ~(
            np.bincount(group, weights=day_only[codes]) > 0)
        swapped = month_first[group] & (first > 0)[codes]
        codes = np.where(swapped, codes + len(found), codes)
        found += [_date_of(t, month_first=True) if f else (None, None, False)
                  for t, f in zip(texts, fields, strict=True)]
    dates, reason, month_only = np.array(found, dtype=object).T
    values = pd.to_datetime(dates).as_unit("ns").to_numpy()[codes]
    return ParsedColumn(pd.Series(values, s.index), pd.Series(reason[codes], s.index, object),
                        swapped, month_only.astype(bool)[codes])


# --- periods ---------------------------------------------------------------------------------

_ROMAN_OR_DIGIT = r"(?P<part>IV|III|II|I|[1-4])"
_YEAR = r"(?P<y>[0-9]{4})"
_TAHUN = r"(?:TAHUN|THN|TH)?"
_SEMESTER_WORD = r"(?:SEMESTER|SMSTR|SMT|SEM|S)"
_QUARTER_WORD = r"(?:TRIWULAN|TRIWULAN KE|TRW|TW|KUARTAL|KWARTAL|QUARTER|QTR|Q)"
_SEP = r"[ /\-,]*"
_GAP = r"[ \-]*"  # 'TW I', 'TW-I', 'Semester ke-2'
_PERIOD_FORMS: tuple[tuple[Granularity, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(form)) for kind, form in (
        *((kind, form) for kind, word in (("semester", _SEMESTER_WORD), ("quarter", _QUARTER_WORD))
          for form in (rf"{word}{_GAP}(?:KE)?{_GAP}{_ROMAN_OR_DIGIT}{_SEP}{_TAHUN}{_SEP}{_YEAR}",
                       rf"{_TAHUN} *{_YEAR}{_SEP}{word}{_GAP}{_ROMAN_OR_DIGIT}")),
        ("year", rf"{_TAHUN} *{_YEAR}"),
        ("month", rf"{_YEAR}[-/](?P<m>[0-9]{{2}})"),
        ("month", rf"{_YEAR}-(?P<m>[0-9]{{2}})-(?P<d>[0-9]{{2}})"  # a date, as Excel's reads
                  rf"(?:[ T][0-9]{{2}}(?: [0-9]{{2}}){{1,2}})?"),
    ))
_THEN_YEAR = rf" *,? *{_TAHUN} *{_YEAR}"
_MONTH_RANGE = re.compile(  # 'Januari-Juni 2023', 'Jan s/d Mar 2023'
    rf"(?P<a>[A-Z]+) *(?:-|S */ *D|S *D|SD|SAMPAI(?: DENGAN)?|HINGGA|TO) *"
    rf"(?P<b>[A-Z]+){_THEN_YEAR}")
_MONTH_YEAR = re.compile(rf"(?P<a>[A-Z]+)(?:{_THEN_YEAR}|-(?P<yy>[0-9]{{2}}))")  # 'MAR-24'
_UNNAMED_PART = re.compile(
    r"[0-9]{4}[-/][0-9]|(?:PERIODE *)?(?:IV|III|II|I)[ /\-]*(?:TAHUN *)?[0-9]{4}")
"""'2024/2', 'I/2024', 'Periode II 2024': a month, a semester or a quarter?"""
_SCHOOL_SEMESTER = re.compile(rf"{_SEMESTER_WORD} *(?:GANJIL|GENAP).*")
_FINENESS: dict[str, int] = {"month": 12, **PER_YEAR}
_RANGE_KINDS: dict[int, Granularity] = {1: "month", 3: "quarter", 6: "semester", 12: "year"}


def _named_period(label: str) -> tuple[Granularity, int, int] | None:
    """(granularity, year, first month) of the period one cleaned upper-case label names."""
    for kind, form in _PERIOD_FORMS:
        if (match := form.fullmatch(label)) is None:
            continue
        year = int(match["y"])
        if kind in ("semester", "quarter"):
            part, n = ROMAN.get(match["part"]) or int(match["part"]), PER_YEAR[kind]
            return (kind, year, (part - 1) * (12 // n) + 1) if part <= n else None
        month = int(match["m"]) if kind == "month" else 1
        if "d" in form.groupindex:  # a date: a real one
            with contextlib.suppress(ValueError):
                return kind, year, dt.date(year, month, int(match["d"])).month
            return None
        return (kind, year, month) if 1 <= month <= 12 else None
    if match := _MONTH_RANGE.fullmatch(label) or _MONTH_YEAR.fullmatch(label):
        names = match.groupdict()  # a range of months that is exactly one period, or one month
        first, last = (MONTHS.get(names.get(k, names["a"]).lower()) for k in ("a", "b"))
        if first is None or last is None:
            return None
        kind = _RANGE_KINDS.get(last - first + 1)
        fits = kind is not None and (first - 1) % (last - first + 1) == 0
        year = int(match["y"]) if match["y"] else 2000 + int(match["yy"])
        return (kind, year, first) if fits else None
    return None


def _period_of(label: str, freq: Frequency) -> tuple[Any, str | None]:
    """(period_index, reason) of one cleaned upper-case label."""
    named = _named_period(label)
    if named is None and _UNNAMED_PART.fullmatch(label):
        return pd.NA, ("ambiguous period (a month, semester or quarter?): write 2024-02, "
                       "Semester II 2024 or TW II 2024")
    if named is None and _SCHOOL_SEMESTER.fullmatch(label):
        return pd.NA, ("a school year's semester (ganjil or genap): write Semester I 2024 "
                       "(January-June) or Semester II 2024 (July-December)")
    if named is None:
        return pd.NA, "unrecognised period"
    kind, year, month = named
    if not 1945 <= year <= 2100:
        return pd.NA, "implausible year"
    if _FINENESS[kind] < PER_YEAR[freq]:
        return pd.NA, (f"year-only period cannot be placed in a {freq}"
                       if kind == "year" else "period coarser than panel frequency")
    return month_period_index(year, month, freq), None


def parse_periods(s: pd.Series, freq: Frequency = "semester",
                  distinct: tuple[np.ndarray, Any] | None = None) -> ParsedColumn:
    """Period labels ('Semester I 2023', 'Smt II/2022', 'SEMESTER II TAHUN 2022', 'Triwulan III
    2021', 'TW 3/2021', 'Tw.3 2021', '2023-S1', '2023-Q3', '2023', 'Januari-Juni 2023',
    'Agustus 2023', '2023-08'; a date '2023-06-30', as an Excel date cell reads, is its month)
    as period_index in `freq`. A month number has two digits:
    '2023/2' may be a month, a semester or a quarter, and is rejected as ambiguous. A finer
    period maps into its coarser panel period; a coarser one is not placed: 'year-only period
    cannot be placed in a semester' (or quarter), or 'period coarser than panel frequency' (a
    semester asked as quarter).
    ValueError for a `freq` that is not a panel frequency."""
    if freq not in PER_YEAR:
        raise ValueError(f"freq must be one of {', '.join(PER_YEAR)}, not {freq!r}")
    codes, cells = _distinct(s, distinct)
    text = _as_text(cells).str.upper().str.replace(r"^([0-9]{4})\.0+$", r"\1", regex=True)
    text = text.str.replace(r"[.:_]", " ", regex=True).str.replace(r" +", " ", regex=True)
    found = [(pd.NA, None) if not isinstance(label, str) else  # the missing cell is last
             (pd.NA, DASH_PLACEHOLDER) if label in DASH_PLACEHOLDERS else _period_of(label, freq)
             for label in text.str.strip().tolist()]
    index, reason = np.array(found, dtype=object).T
    return ParsedColumn(pd.Series(pd.array(index, dtype="Int64")[codes], s.index),
                        pd.Series(reason[codes], s.index, object))


# --- NIP -------------------------------------------------------------------------------------

_NIP_SCIENTIFIC = r"^[0-9]+(?:[.,][0-9]+)? *[eE] *\+? *[0-9]+$"
_NIP_FLOAT_SUFFIX = r"^[0-9]{15,}[.,]0+$"


def normalise_nip(s: pd.Series, reference_date: dt.date | None = None) -> ParsedNip:
    """The 18-digit NIP / NI PPPK from its written forms ('19860601 201012 1 004',
    "'198606012010121004", '19860601.201012.1.004'), validated: birth date (digits 1-8, year
    1940-2010), appointment YYYYMM (PNS: month 01-12) or YYYY + a field 13-99 (PPPK), appointment
    at age 17 or later and not after `reference_date` (default today), sex digit 1 or 2, and no
    spreadsheet damage (see module docstring). Invalid cells get NA values and a reason."""
    reference = pd.Timestamp(reference_date or dt.date.today())
    text = _as_text(s).str.replace(r"^['\"`‘’]+", "", regex=True).str.strip()
    text = text.str.replace(r"(?i)^(?:NIP|NI *PPPK|NIPPPK) *[.:]? *", "", regex=True)  # a label
    present = (text.notna() & (text != "")).to_numpy(bool)
    reason = np.full(len(text), None, dtype=object)

    def flag(mask: pd.Series, why: str) -> None:
        reason[mask.fillna(False).to_numpy(bool) & present & pd.isna(reason)] = why

    flag(text.str.fullmatch(_NIP_SCIENTIFIC), "NIP damaged by spreadsheet (scientific notation)")
    flag(text.str.fullmatch(_NIP_FLOAT_SUFFIX), "NIP damaged by spreadsheet (read as a number)")
    digits = text.str.replace("[ .\\-_'\"`‘’“”]", "", regex=True)
    flag(~digits.str.fullmatch(r"[0-9]+"), "NIP has characters other than digits")
    flag(digits.str.len() != 18, "NIP is not 18 digits")
    flag(digits.str.endswith("000"), "NIP damaged by spreadsheet (last digits 000)")

    ok = present & pd.isna(reason)
    d = digits.where(ok)
    birth = pd.to_datetime(d.str.slice(0, 8), format="%Y%m%d", errors="coerce")
    flag(ok & birth.isna(), "NIP birth date (digits 1-8) is not a date")
    birth_year = birth.dt.year
    flag(~birth_year.between(1940, 2010), "NIP birth year implausible")
    digits_9_to_15 = d.str.slice(8, 15).astype("Int64").astype(float)  # YYYY, field, sex
    appointment_year = digits_9_to_15 // 1000
    field = digits_9_to_15 // 10 % 100
    is_pns = field.between(1, 12)
    is_pppk = field.between(13, 99)
    flag(~(is_pns | is_pppk), "NIP digits 13-14 are neither a month nor a PPPK code")
    flag(appointment_year < birth_year + NIP_MIN_AGE_AT_APPOINTMENT,
         "NIP appointment before age 17")
    appointment_month = appointment_year * 12 + field.where(is_pns, 1) - 1
    flag(appointment_month > reference.year * 12 + reference.month - 1,
         "NIP appointment after the reference date")
    flag(~(digits_9_to_15 % 10).isin([1, 2]), "NIP sex digit (15) is not 1 or 2")

    valid = present & pd.isna(reason)
    return ParsedNip(
        nip=digits.where(valid).astype("str"),
        kind=pd.Series(np.select([valid & is_pns, valid & is_pppk], ["PNS", "PPPK"], pd.NA),
                       s.index, object),
        birth_date=birth.where(valid).astype("datetime64[ns]"),
        reason=pd.Series(reason, s.index, object),
    )


# --- employment status -----------------------------------------------------------------------

_PPPK_WORDS = re.compile(r"\b(pppk\w*|p3k|pegawai pemerintah dengan perjanjian kerja)\b")
_PART_TIME_WORDS = re.compile(r"\b(paruh waktu|paruhwaktu|pw|pt|part time|parttime)\b")
_PNS_WORDS = re.compile(r"^(?:asn )?(c ?pnsd?|pnsd?|(?:calon )?(?:pns|pegawai negeri sipil))\b")
_NEGATION = re.compile(r"\b(non|bukan|selain)\b|^non")


def status_key(value: str) -> str:
    """A status as its rules read it: lower case, a dotted abbreviation without its dots
    ('P.P.P.K', 'C.P.N.S', 'T.H.L.'; not 'P3K.PW'), letters and digits between single spaces
    ('Non-ASN' is 'non asn')."""
    undotted = re.sub(r"\b(?:[a-z]\.){2,}[a-z]?\b\.?", lambda m: m[0].replace(".", ""),
                      value.lower())
    return re.sub(r"[^a-z0-9]+", " ", undotted).strip()


def _status_of(value: str) -> str:
    key = status_key(value)
    if not key or _NEGATION.search(key):
        return "OTHER"
    if _PPPK_WORDS.search(key):
        return "PPPK_PT" if _PART_TIME_WORDS.search(key) else "PPPK"
    return "PNS" if _PNS_WORDS.search(key) else "OTHER"


def normalise_status(s: pd.Series) -> pd.Series:
    """Employment status -> 'PNS' | 'PPPK' | 'PPPK_PT' (paruh waktu) | 'OTHER'; empty -> NA.
    CPNS (candidate PNS, 'Calon PNS', 'CPNSD') counts as PNS, and so do 'PNSD' and 'ASN - PNS'; a
    dotted abbreviation is read without its dots ('P.P.P.K'); 'non ASN', 'honorer', 'THL' and
    anything else are OTHER.
    Idempotent on its own output."""
    codes, uniques = pd.factorize(_as_text(s), use_na_sentinel=True)
    mapped = np.array([_status_of(str(u)) for u in uniques] + [pd.NA], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)


def nip_status_mismatch(kind: pd.Series, status: pd.Series) -> pd.Series:
    """Reason per row where the NIP kind contradicts the stated status (a PNS number on a PPPK
    row or the reverse); None elsewhere. `status` may be raw or already normalised."""
    normalised = normalise_status(status)
    kind = kind.reindex(status.index)
    reason = np.select([kind.isin(["PNS"]) & normalised.isin(["PPPK", "PPPK_PT"]),
                        kind.isin(["PPPK"]) & normalised.isin(["PNS"])],
                       ["NIP is a PNS number but status is PPPK",
                        "NIP is a PPPK number but status is PNS"], None)
    return pd.Series(reason, status.index, object)
