"""Parsers for the raw text cells of Indonesian staffing and survey files.

Every parser takes a pandas Series of raw cells (text, as `read.read_table` returns them; numbers,
dates and datetimes are accepted too), never raises on any text, and returns the parsed values
with a per-cell `reason` (None where the cell parsed, or was simply empty) so that callers can
write a rejects ledger. Missingness is the caller's business: an empty cell gives a missing value
and no reason.

Why not `dateparser`, `babel` or `pd.to_datetime(dayfirst=True)`? Speed and exactness. The forms
in these files are few and known (Indonesian month names with old spellings, day-first dates, a
decimal comma decided per column, Excel serials, semester/triwulan labels); a handful of regular
expressions applied to the *unique* values of a column is fast at national scale (tens of millions
of cells), never guesses silently (a general parser happily reads '12/08/2023' month-first) and
keeps the dependency list short.

Number locale rule (`parse_numbers`), decided per column from all its values (per file when the
files of a kind are cleaned together: a column belongs to one file):
- a value that can only be Indonesian ('80,11', '1.234,5', '1.234.567') is evidence for 'id';
  one that can only be English ('80.5', '1,234.5', '1,234,567') is evidence for 'en';
- values that read both ways and differ ('1.234' and '1,234': one separator followed by exactly
  three digits) are *ambiguous*; they follow the column's locale;
- a column with evidence of one kind only takes that locale; with both kinds it takes the
  majority, and its ambiguous values are rejected ('ambiguous number in a column mixing locales')
  while the unambiguous ones parse in their own form;
- a column with no evidence at all reports locale 'ambiguous' and reads ambiguous values in
  the `ambiguous_as` locale, Indonesian by default ('1.234' -> 1234: these are Indonesian files,
  and a dot followed by exactly three digits is far more often a thousands mark than a
  three-decimal number). Callers whose column cannot hold such numbers (IKM 25-100) should
  range-check, or pass `ambiguous_as='en'`.

NIP damage rule (`normalise_nip`): spreadsheets keep 15 significant digits, so an 18-digit number
that went through a float shows as scientific notation ('1,98606E+17'), as digits with a '.0'
suffix, or as 18 digits whose last three are '000'. The sequence number (digits 16-18) starts at
001, so a trailing '000' is always damage, never a real number: all three are rejected as damaged.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from p3k_study.periods import PER_YEAR, Frequency, month_period_index

Locale = Literal["id", "en", "ambiguous"]
Granularity = Literal["month", "quarter", "semester", "year"]

# --- constant tables -------------------------------------------------------------------------

EXCEL_ERRORS: tuple[str, ...] = (
    "#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!",
    "#GETTING_DATA", "#SPILL!", "#CALC!", "#N/A!",
)

MONTHS: dict[str, int] = {
    # Indonesian full, short and old spellings; English full and short; common typing variants.
    "januari": 1, "jan": 1, "january": 1, "jan.": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "pebr": 2, "febr": 2, "february": 2,
    "maret": 3, "mar": 3, "mrt": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "agst": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9, "sepember": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12, "dess": 12,
}

WEEKDAYS: tuple[str, ...] = (
    "senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu", "minggu", "ahad",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
)

ROMAN: dict[str, int] = {"I": 1, "II": 2, "III": 3, "IV": 4}

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIAL_RANGE = (1, 80_000)  # 1899-12-31 .. 2119-01-10
DATE_YEAR_RANGE = (1900, 2100)
PERIOD_YEAR_RANGE = (1945, 2100)
NIP_BIRTH_YEAR_RANGE = (1940, 2010)
NIP_MIN_AGE_AT_APPOINTMENT = 17

# --- result types ----------------------------------------------------------------------------


@dataclass
class ParsedColumn:
    """Parsed values (float or datetime64[ns]), a reason per cell (None = fine or empty), the
    column's number locale ('id' | 'en' | 'ambiguous'; None for dates) and, for numbers, whether
    each cell carried a '%' sign."""

    values: pd.Series
    reason: pd.Series
    locale: Locale | None = None
    percent: pd.Series | None = None


@dataclass
class ParsedPeriods:
    """`index`: period_index in `freq` (Int64, NA where not placeable); `granularity`: what the
    cell itself named ('month' | 'quarter' | 'semester' | 'year', NA if unparsed); `year`: the
    year named (Int64); `reason`: why `index` is NA for a non-empty cell."""

    index: pd.Series
    granularity: pd.Series
    year: pd.Series
    reason: pd.Series
    freq: Frequency


@dataclass
class ParsedNip:
    """`nip`: the 18 digits (NA unless valid); `kind`: 'PNS' | 'PPPK' (NA unless valid);
    `birth_date` (datetime64[ns]); `appointment_year` (Int64); `reason` (None = valid or empty)."""

    nip: pd.Series
    kind: pd.Series
    birth_date: pd.Series
    appointment_year: pd.Series
    reason: pd.Series


# --- helpers ---------------------------------------------------------------------------------


# Non-raw: literal characters, so pandas keeps the fast pyarrow (RE2) regex path. Patterns below
# use ' ' and [0-9] rather than \s and [0-9] for the same reason (and for exactness).
_OTHER_WHITESPACE = "[\t\r\n\x0b\x0c\xa0\u2007\u2009\u202f\u3000]"
_STRIPPED = " \u200b\ufeff"


def _reason_series(index: pd.Index) -> pd.Series:
    return pd.Series(None, index=index, dtype=object)


def _clean_reason(reason: pd.Series) -> pd.Series:
    """Reasons as an object Series holding str or None (never NaN)."""
    reason = reason.astype(object)
    return reason.where(reason.notna(), None)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text (str dtype) with every whitespace character turned into a space;
    NA for missing and for whitespace-only cells."""
    text = s.astype("str").str.replace(_OTHER_WHITESPACE, " ", regex=True).str.strip(_STRIPPED)
    return text.where(text != "")


def _distinct(s: pd.Series, distinct: tuple[np.ndarray, Any] | None
              ) -> tuple[np.ndarray, pd.Series]:
    """(codes, cells): the distinct cells of `s` (`distinct`, or `pd.factorize(s)`), one missing
    cell last, and the code of each cell of `s`. Parsers work on the few distinct cells of a long
    column and `_spread` their results back."""
    if distinct is None and s.dtype == object:  # factorize takes True for 1: keep every cell
        distinct = (np.arange(len(s)), s.to_numpy())
    codes, uniques = distinct if distinct is not None else pd.factorize(s, use_na_sentinel=True)
    cells = pd.Series(np.append(np.asarray(uniques, dtype=object), None), dtype=s.dtype)
    return np.where(codes < 0, len(uniques), codes), cells


def _spread(per_cell: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Results per distinct cell back onto every cell."""
    taken = per_cell.iloc[codes]
    taken.index = index
    return taken


# --- numbers ---------------------------------------------------------------------------------

_ID_FORM = r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?|,[0-9]+"
_EN_FORM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+"
_SCIENTIFIC = r"[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+"
_CURRENCY = r"(?i)^(?:rp|idr)\.?"
DASH_PLACEHOLDERS: frozenset[str] = frozenset({"-", "--", "—", "–", "−"})
"""A cell holding only one of these means 'none' (hyphen, double hyphen, em and en dash,
minus sign)."""


def _number_candidates(text: pd.Series) -> pd.DataFrame:
    """For unique cleaned texts: the id and en readings, which forms match, the percent flag."""
    t = text.str.replace("[ ']", "", regex=True)
    percent = t.str.endswith("%")
    t = t.str.replace(r"%$", "", regex=True)
    negative_paren = t.str.fullmatch(r"\(.*\)")
    t = t.where(~negative_paren, t.str.slice(1, -1))
    t = t.str.replace("\u2212", "-", regex=False)
    sign = t.str.extract(r"^([+-]?)", expand=False).fillna("")
    t = t.str.replace(r"^[+-]", "", regex=True)
    t = t.str.replace(_CURRENCY, "", regex=True)
    sign = sign.where(~(sign == "") | ~t.str.startswith("-"), "-")
    t = t.str.replace(r"^[+-]", "", regex=True)
    t = t.str.replace(r"[,.]-+$", "", regex=True)  # 'Rp1.500.000,-'
    negative = (sign == "-") | negative_paren
    is_id = t.str.fullmatch(_ID_FORM).fillna(False)
    is_en = t.str.fullmatch(_EN_FORM).fillna(False)
    is_sci = t.str.fullmatch(_SCIENTIFIC).fillna(False)
    as_id = pd.to_numeric(t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
                          .where(is_id), errors="coerce")
    as_en = pd.to_numeric(t.str.replace(",", "", regex=False).where(is_en), errors="coerce")
    as_sci = pd.to_numeric(t.str.replace(",", ".", regex=False).where(is_sci), errors="coerce")
    factor = np.where(negative, -1.0, 1.0)
    both = is_id & is_en
    return pd.DataFrame({
        "as_id": as_id * factor,
        "as_en": as_en * factor,
        "as_sci": as_sci * factor,
        "only_id": is_id & ~is_en,
        "only_en": is_en & ~is_id,
        "ambiguous": both & (as_id != as_en),
        "neutral": (both & (as_id == as_en)) | is_sci,
        "percent": percent,
    })


def parse_numbers(s: pd.Series, *, ambiguous_as: Literal["id", "en"] = "id",
                  groups: np.ndarray | pd.Series | None = None,
                  distinct: tuple[np.ndarray, Any] | None = None) -> ParsedColumn:
    """Numbers written in Indonesian or English form, the locale decided per column (see the
    module docstring). Handles 'Rp', spaces, '%' (value as written, flagged), a leading sign or
    parentheses, and the 'Rp1.500.000,-' suffix. Excel error cells and a lone dash give NaN with a
    reason; junk gives 'not a number'; an empty cell gives NaN and no reason.

    `groups` (one label per cell, e.g. the source file of each row when the files of a kind are
    cleaned together): the locale is decided per group, as if each group were its own column;
    `locale` is then the common locale, or None when the groups differ. Each distinct (cell,
    group) pair is parsed once, weighing as many cells as it stands for. `distinct`:
    `pd.factorize(s)` when already worked out."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return ParsedColumn(s.astype(float), _reason_series(s.index), "ambiguous",
                            pd.Series(False, index=s.index, dtype=bool))
    index = s.index
    codes, cells = _distinct(s, distinct)
    group, n_groups = np.zeros(len(s), dtype=np.intp), 1
    if groups is not None:
        group, labels = pd.factorize(np.asarray(groups, dtype=object), use_na_sentinel=False)
        n_groups = max(len(labels), 1)
    pairs, inverse, weight = np.unique(codes.astype(np.int64) * n_groups + group,
                                       return_inverse=True, return_counts=True)
    s = cells.iloc[pairs // n_groups].reset_index(drop=True)
    group = pairs % n_groups
    values = pd.Series(np.nan, index=s.index, dtype=float)
    reason = _reason_series(s.index)
    percent = pd.Series(False, index=s.index, dtype=bool)
    locale: Locale | None = "ambiguous"

    already = s.map(_is_number).astype(bool) if s.dtype == object else None
    if already is not None and already.any():
        values[already] = s[already].astype(float)
        s = s.where(~already)
    text = _as_text(s)
    error_key = text.str.upper()
    is_error = error_key.isin(EXCEL_ERRORS).fillna(False).astype(bool)
    reason[is_error] = "Excel error cell " + error_key[is_error]
    is_dash = text.isin(DASH_PLACEHOLDERS).fillna(False).astype(bool)
    reason[is_dash] = "dash placeholder (no value)"
    text = text.where(~(is_error | is_dash))
    present = text.notna()
    if present.any():
        cells = _number_candidates(text[present]).reindex(text.index)
        only_id = cells["only_id"].fillna(False).astype(bool)
        only_en = cells["only_en"].fillna(False).astype(bool)
        ambiguous = cells["ambiguous"].fillna(False).astype(bool)
        neutral = cells["neutral"].fillna(False).astype(bool)
        n_id = np.bincount(group, weights=weight * only_id.to_numpy(), minlength=n_groups)
        n_en = np.bincount(group, weights=weight * only_en.to_numpy(), minlength=n_groups)
        locales = np.where(n_id > n_en, "id", np.where(n_en > n_id, "en", "ambiguous"))
        mixed = ((n_id > 0) & (n_en > 0))[group]
        reads_id = np.where(locales == "ambiguous", ambiguous_as == "id", locales == "id")[group]

        parsed = pd.Series(np.nan, index=s.index, dtype=float)
        parsed = parsed.mask(neutral, cells["as_id"].fillna(cells["as_en"])
                             .fillna(cells["as_sci"]))
        parsed = parsed.mask(only_id, cells["as_id"])
        parsed = parsed.mask(only_en, cells["as_en"])
        reason[ambiguous & mixed] = "ambiguous number in a column mixing locales"
        parsed = parsed.mask(ambiguous & ~mixed, cells["as_id"].where(reads_id, cells["as_en"]))
        reason[present & ~(only_id | only_en | ambiguous | neutral)] = "not a number"
        values = values.mask(present, parsed.astype(float))
        percent = cells["percent"].fillna(False).astype(bool) & present
        decided = set(locales[np.bincount(group[present.to_numpy()], minlength=n_groups) > 0])
        locale = decided.pop() if len(decided) == 1 else None  # type: ignore[assignment]
    inverse = inverse.reshape(-1)
    return ParsedColumn(_spread(values.astype(float), inverse, index),
                        _spread(_clean_reason(reason), inverse, index), locale,
                        _spread(percent, inverse, index))


# --- dates -----------------------------------------------------------------------------------

_WEEKDAY_PREFIX = "^(?:" + "|".join(re.escape(d) for d in WEEKDAYS) + ")[ ,.]+"
_ZONE = r"(?: ?(?:z|utc|gmt|wib|wita|wit|[+-][0-9]{2}(?::?[0-9]{2})?))?"
_TIME = r"(?:[ tT][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?" + _ZONE + ")?"
_ISO = r"^(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})" + _TIME + "$"
_DAY_FIRST = r"^(?P<d>[0-9]{1,2})[-/.](?P<m>[0-9]{1,2})[-/.](?P<y>[0-9]{4}|[0-9]{2})" + _TIME + "$"
_DAY_NAME = r"^(?P<d>[0-9]{1,2})[ \-./]*(?P<name>[a-z]+)\.?[ \-./,]*(?P<y>[0-9]{4}|[0-9]{2})$"
_NAME_DAY = r"^(?P<name>[a-z]+)\.? *(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,? +(?P<y>[0-9]{4})$"
_COMPACT = r"^(?P<y>(?:19|20)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$"
_SERIAL = r"^(?P<serial>[0-9]{1,6}(?:\.[0-9]+)?)$"


def _two_digit_year(year: pd.Series) -> pd.Series:
    """'23' -> 2023, '85' -> 1985 (pivot at 69, as Python's %y)."""
    return year.where(year >= 100, np.where(year < 70, year + 2000, year + 1900))


def _dates_from_text(text: pd.Series) -> pd.DataFrame:
    """Vectorised over unique cleaned texts: columns date (datetime64[ns]) and reason."""
    t = text.str.lower().str.replace(_WEEKDAY_PREFIX, "", regex=True)
    t = t.str.replace(r" +", " ", regex=True).str.strip()
    year = pd.Series(np.nan, index=t.index)
    month = pd.Series(np.nan, index=t.index)
    day = pd.Series(np.nan, index=t.index)
    serial = pd.Series(np.nan, index=t.index)
    unknown_name = pd.Series(False, index=t.index)
    todo = pd.Series(True, index=t.index)

    for pattern in (_ISO, _DAY_FIRST, _COMPACT, _DAY_NAME, _NAME_DAY):
        parts = t[todo].str.extract(pattern)
        parts = parts[parts["y"].notna()]
        if "name" in parts:
            parts["m"] = parts["name"].map(MONTHS)
            unknown_name[parts.index[parts["m"].isna()]] = True
            parts = parts[parts["m"].notna()]
        year[parts.index] = parts["y"].astype(float)
        month[parts.index] = parts["m"].astype(float)
        day[parts.index] = parts["d"].astype(float)
        todo[parts.index] = False
    parts = t[todo].str.extract(_SERIAL)
    hit = parts["serial"].notna()
    serial[parts.index[hit]] = pd.to_numeric(parts.loc[hit, "serial"], errors="coerce")

    year = _two_digit_year(year)
    fields = pd.DataFrame({"year": year, "month": month, "day": day})
    has_fields = fields.notna().all(axis=1)
    year_ok = year.between(*DATE_YEAR_RANGE)
    valid_fields = has_fields & year_ok & month.between(1, 12) & day.between(1, 31)
    date = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    if valid_fields.any():
        built = pd.to_datetime(fields[valid_fields].astype(int), errors="coerce")
        date[valid_fields] = built.astype("datetime64[ns]")
    serial_ok = serial.between(*EXCEL_SERIAL_RANGE)
    if serial_ok.any():
        days = np.floor(serial[serial_ok]).astype("int64")
        date[serial_ok] = (EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")

    reason = pd.Series(None, index=t.index, dtype=object)
    reason[has_fields & ~year_ok] = "implausible year"
    reason[has_fields & year_ok & date.isna()] = "impossible date"
    reason[~has_fields & date.isna()] = "unrecognised date"
    reason[unknown_name & date.isna()] = "unrecognised date"
    return pd.DataFrame({"date": date, "reason": reason})


def parse_dates(s: pd.Series, distinct: tuple[np.ndarray, Any] | None = None) -> ParsedColumn:
    """Dates as ISO '2023-08-12', day-first '12/08/2023' or '12-08-2023' (always day first),
    '12 Agustus 2023', '12-Agt-2023', 'Sabtu, 12 Ags 2023', English month names, compact
    '20230812', Excel serials (1..80000, 1899-12-30 epoch) and date/datetime objects. A time of
    day may follow, with a zone as survey apps write it ('2023-05-02T08:15:00Z',
    '2023-05-02T08:15:00+07:00', '02/05/2023 08:15 WIB'): the date is the one written, the
    time and zone are dropped (not converted). Values are datetime64[ns] at midnight. Reasons:
    'unrecognised date', 'impossible date' (31 Feb, month 13), 'implausible year' (outside
    1900-2100). Each distinct cell is parsed once; `distinct`: `pd.factorize(s)` when already
    worked out."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s
        return ParsedColumn(values.dt.normalize().astype("datetime64[ns]"),
                            _reason_series(s.index))
    codes, cells = _distinct(s, distinct)
    values = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    reason = _reason_series(cells.index)
    if cells.dtype == object or pd.api.types.is_numeric_dtype(cells.dtype):
        is_date = cells.map(lambda v: isinstance(v, dt.date | np.datetime64)).astype(bool)
        if is_date.any():
            converted = pd.to_datetime(cells[is_date].map(_naive), errors="coerce")
            values[is_date] = converted.dt.normalize().astype("datetime64[ns]")
            reason[is_date & values.isna()] = "impossible date"
            cells = cells.where(~is_date)
        is_num = cells.map(_is_number).astype(bool) & cells.notna()
        if is_num.any():
            cells = cells.astype(object)
            cells[is_num] = cells[is_num].map(lambda v: repr(float(v)))
    text = _as_text(cells).dropna()
    if len(text):
        found = _dates_from_text(text)
        values[text.index] = found["date"].astype("datetime64[ns]")
        reason[text.index] = found["reason"]
    return ParsedColumn(_spread(values, codes, s.index),
                        _spread(_clean_reason(reason), codes, s.index))


def _naive(value: object) -> object:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


# --- periods ---------------------------------------------------------------------------------

_ROMAN_OR_DIGIT = r"(?P<part>IV|III|II|I|[1-4])"
_YEAR = r"(?P<y>[0-9]{4})"
_TAHUN = r"(?:TAHUN|THN|TH)?"
_SEMESTER_WORD = r"(?:SEMESTER|SMSTR|SMT|SEM|S)"
_QUARTER_WORD = r"(?:TRIWULAN|TRIWULAN KE|TRW|TW|KUARTAL|KWARTAL|QUARTER|QTR|Q)"
_SEP = r"[ /\-,]*"
_PERIOD_PATTERNS: tuple[tuple[Granularity, str], ...] = (
    ("semester", rf"^{_SEMESTER_WORD} *(?:KE)? *{_ROMAN_OR_DIGIT}{_SEP}{_TAHUN}{_SEP}{_YEAR}$"),
    ("semester", rf"^{_TAHUN} *{_YEAR}{_SEP}{_SEMESTER_WORD} *{_ROMAN_OR_DIGIT}$"),
    ("quarter", rf"^{_QUARTER_WORD} *(?:KE)? *{_ROMAN_OR_DIGIT}{_SEP}{_TAHUN}{_SEP}{_YEAR}$"),
    ("quarter", rf"^{_TAHUN} *{_YEAR}{_SEP}{_QUARTER_WORD} *{_ROMAN_OR_DIGIT}$"),
    ("year", rf"^{_TAHUN} *{_YEAR}(?:\.0+)?$"),
    ("month", rf"^{_YEAR}[-/](?P<m>[0-9]{{1,2}})$"),
)
_RANGE = re.compile(
    r"^(?P<a>[A-Z]+) *(?:-|S */ *D|S *D|SD|SAMPAI(?: DENGAN)?|HINGGA|TO) *"
    r"(?P<b>[A-Z]+) *,? *(?:TAHUN|THN|TH)? *(?P<y>[0-9]{4})$"
)
_MONTH_YEAR = re.compile(r"^(?P<a>[A-Z]+) *,? *(?:TAHUN|THN|TH)? *(?P<y>[0-9]{4})$")
_FINENESS: dict[str, int] = {"month": 12, "quarter": 4, "semester": 2, "year": 1}


def _periods_from_text(text: pd.Series) -> pd.DataFrame:
    """Vectorised over unique texts: granularity, year and first month of the named period."""
    t = text.str.upper().str.replace(r"^([0-9]{4})\.0+$", r"\1", regex=True)
    t = t.str.replace(r"[.:_]", " ", regex=True)
    t = t.str.replace(r" +", " ", regex=True).str.strip()
    granularity = pd.Series(None, index=t.index, dtype=object)
    year = pd.Series(np.nan, index=t.index)
    first_month = pd.Series(np.nan, index=t.index)
    todo = pd.Series(True, index=t.index)
    for kind, pattern in _PERIOD_PATTERNS:
        parts = t[todo].str.extract(pattern)
        idx = parts.index[parts["y"].notna()]
        if len(idx) == 0:
            continue
        year[idx] = parts.loc[idx, "y"].astype(float)
        if kind in ("semester", "quarter"):
            part = parts.loc[idx, "part"].map(lambda p: ROMAN.get(p) or int(p)).astype(float)
            n = PER_YEAR[kind]
            valid = part <= n
            first_month[idx[valid.to_numpy()]] = (part[valid] - 1) * (12 // n) + 1
        elif kind == "month":
            m = parts.loc[idx, "m"].astype(float)
            first_month[idx[m.between(1, 12).to_numpy()]] = m[m.between(1, 12)]
        else:
            first_month[idx] = 1.0
        granularity[idx[first_month[idx].notna().to_numpy()]] = kind
        todo[idx] = False
    # Month names: 'Januari-Juni 2023', 'Jan s/d Mar 2023', 'Agustus 2023'.
    for i in t[todo].index:
        text_i = t[i]
        if m := _RANGE.match(text_i):
            a, b = MONTHS.get(m["a"].lower()), MONTHS.get(m["b"].lower())
            kind = _range_kind(a, b)
            if kind is not None and a is not None:
                granularity[i], year[i], first_month[i] = kind, float(m["y"]), float(a)
        elif (m := _MONTH_YEAR.match(text_i)) and m["a"].lower() in MONTHS:
            granularity[i], year[i], first_month[i] = "month", float(m["y"]), float(
                MONTHS[m["a"].lower()])
    return pd.DataFrame({"granularity": granularity, "year": year, "first_month": first_month})


def _range_kind(first: int | None, last: int | None) -> Granularity | None:
    """The period a month range covers, if it is exactly one: (1, 6) -> 'semester'."""
    if first is None or last is None or last < first:
        return None
    length = last - first + 1
    for kind, n in (("month", 12), ("quarter", 4), ("semester", 2), ("year", 1)):
        if length == 12 // n and (first - 1) % length == 0:
            return kind  # type: ignore[return-value]
    return None


def parse_periods(s: pd.Series, freq: Frequency = "semester",
                  distinct: tuple[np.ndarray, Any] | None = None) -> ParsedPeriods:
    """Period labels ('Semester I 2023', 'Smt II/2022', 'SEMESTER II TAHUN 2022', 'Triwulan III
    2021', 'TW 3/2021', 'Tw.3 2021', '2023-S1', '2023-Q3', '2023', 'Januari-Juni 2023',
    'Agustus 2023', '2023-08') as period_index in `freq`. A finer period maps into its coarser
    panel period; a coarser one is not placed: 'year-only period cannot be placed in a semester'
    (or quarter), or 'period coarser than panel frequency' (a semester asked as quarter). Each
    distinct cell is parsed once; `distinct`: `pd.factorize(s)` when already worked out."""
    codes, cells = _distinct(s, distinct)
    if pd.api.types.is_numeric_dtype(cells.dtype) or cells.dtype == object:
        cells = cells.map(lambda v: repr(v) if _is_number(v) else v)
    text = _as_text(cells)
    found = _periods_from_text(text.dropna()).reindex(text.index)
    present = text.notna()
    parsed = found["granularity"].notna()
    year_ok = found["year"].between(*PERIOD_YEAR_RANGE)
    granularity = found["granularity"].where(parsed, pd.NA).astype(object)
    reason = _reason_series(text.index)
    reason[present & ~parsed] = "unrecognised period"
    reason[parsed & ~year_ok] = "implausible year"
    n = PER_YEAR[freq]
    fineness = granularity.map(_FINENESS).astype(float)
    coarser = parsed & year_ok & (fineness < n)
    reason[coarser & (granularity == "year")] = f"year-only period cannot be placed in a {freq}"
    reason[coarser & (granularity != "year")] = "period coarser than panel frequency"
    index = month_period_index(found["year"], found["first_month"], freq)
    index = index.where(parsed & year_ok & (fineness >= n)).astype("Int64")
    return ParsedPeriods(_spread(index, codes, s.index), _spread(granularity, codes, s.index),
                         _spread(found["year"].where(parsed).astype("Int64"), codes, s.index),
                         _spread(_clean_reason(reason), codes, s.index), freq)


# --- NIP -------------------------------------------------------------------------------------

_NIP_STRIP = "[ .\\-_'\"`‘’“”]"
_NIP_LABEL = r"(?i)^(?:NIP|NI *PPPK|NIPPPK) *[.:]? *"
_NIP_SCIENTIFIC = r"^[0-9]+(?:[.,][0-9]+)? *[eE] *\+? *[0-9]+$"
_NIP_FLOAT_SUFFIX = r"^[0-9]{15,}[.,]0+$"


def normalise_nip(s: pd.Series, reference_date: dt.date | None = None) -> ParsedNip:
    """The 18-digit NIP / NI PPPK from its written forms ('19860601 201012 1 004',
    "'198606012010121004", '19860601.201012.1.004'), validated: birth date (digits 1-8, year
    1940-2010), appointment YYYYMM (PNS: month 01-12) or YYYY + a field 13-99 (PPPK), appointment
    at age 17 or later and not after `reference_date` (default today), sex digit 1 or 2, and no
    spreadsheet damage (see module docstring). Invalid cells get NA values and a reason."""
    reference = pd.Timestamp(reference_date or dt.date.today())
    index = s.index
    reason = _reason_series(index)
    if s.dtype == object or pd.api.types.is_numeric_dtype(s.dtype):
        s = s.map(lambda v: repr(v) if _is_number(v) else v)
    text = _as_text(s)
    text = text.str.replace(r"^['\"`‘’]+", "", regex=True).str.strip()
    text = text.str.replace(_NIP_LABEL, "", regex=True)
    present = text.notna() & (text != "")

    def flag(mask: pd.Series, why: str) -> None:
        mask = mask.fillna(False).astype(bool) & present & reason.isna()
        reason[mask] = why

    flag(text.str.fullmatch(_NIP_SCIENTIFIC), "NIP damaged by spreadsheet (scientific notation)")
    flag(text.str.fullmatch(_NIP_FLOAT_SUFFIX), "NIP damaged by spreadsheet (read as a number)")
    digits = text.str.replace(_NIP_STRIP, "", regex=True)
    flag(~digits.str.fullmatch(r"[0-9]+"), "NIP has characters other than digits")
    flag(digits.str.len() != 18, "NIP is not 18 digits")
    flag(digits.str.endswith("000"), "NIP damaged by spreadsheet (last digits 000)")

    ok = present & reason.isna()
    d = digits.where(ok)
    birth = pd.to_datetime(d.str.slice(0, 8), format="%Y%m%d", errors="coerce")
    flag(ok & birth.isna(), "NIP birth date (digits 1-8) is not a date")
    birth_year = birth.dt.year
    flag(~birth_year.between(*NIP_BIRTH_YEAR_RANGE), "NIP birth year implausible")
    appointment_year = pd.to_numeric(d.str.slice(8, 12), errors="coerce")
    field = pd.to_numeric(d.str.slice(12, 14), errors="coerce")
    is_pns = field.between(1, 12)
    is_pppk = field.between(13, 99)
    flag(~(is_pns | is_pppk), "NIP digits 13-14 are neither a month nor a PPPK code")
    flag(appointment_year < birth_year + NIP_MIN_AGE_AT_APPOINTMENT,
         "NIP appointment before age 17")
    appointment_month = appointment_year * 12 + field.where(is_pns, 1) - 1
    flag(appointment_month > reference.year * 12 + reference.month - 1,
         "NIP appointment after the reference date")
    flag(~d.str.slice(14, 15).isin(["1", "2"]), "NIP sex digit (15) is not 1 or 2")

    valid = present & reason.isna()
    kind = pd.Series(pd.NA, index=index, dtype=object)
    kind[valid & is_pns] = "PNS"
    kind[valid & is_pppk] = "PPPK"
    return ParsedNip(
        nip=digits.where(valid).astype("str"),
        kind=kind,
        birth_date=birth.where(valid).astype("datetime64[ns]"),
        appointment_year=appointment_year.where(valid).astype("Int64"),
        reason=_clean_reason(reason),
    )


# --- employment status -----------------------------------------------------------------------

_PPPK_WORDS = re.compile(
    r"\b(pppk|p3k|pppk\w*|ni pppk|pegawai pemerintah dengan perjanjian kerja)\b"
)
_PART_TIME_WORDS = re.compile(r"\b(paruh waktu|paruhwaktu|pw|pt|part time|parttime)\b")
_PNS_WORDS = re.compile(r"^(c ?pns|pns|pegawai negeri sipil|calon pegawai negeri sipil)\b")
_NEGATION = re.compile(r"\b(non|bukan|selain)\b|^non")


def _status_of(value: str) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", value.lower()).strip()
    if not key:
        return "OTHER"
    if _NEGATION.search(key):
        return "OTHER"
    if _PPPK_WORDS.search(key):
        return "PPPK_PT" if _PART_TIME_WORDS.search(key) else "PPPK"
    if _PNS_WORDS.search(key):
        return "PNS"
    return "OTHER"


def normalise_status(s: pd.Series) -> pd.Series:
    """Employment status -> 'PNS' | 'PPPK' | 'PPPK_PT' (paruh waktu) | 'OTHER'; empty -> NA.
    CPNS (candidate PNS) counts as PNS; 'non ASN', 'honorer', 'THL' and anything else as OTHER.
    Idempotent on its own output."""
    text = _as_text(s)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    mapped = np.array([_status_of(str(u)) for u in uniques] + [pd.NA], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)


def nip_status_mismatch(kind: pd.Series, status: pd.Series) -> pd.Series:
    """Reason per row where the NIP kind contradicts the stated status (a PNS number on a PPPK
    row or the reverse); None elsewhere. `status` may be raw or already normalised."""
    normalised = normalise_status(status)
    kind = kind.reindex(status.index)
    reason = _reason_series(status.index)
    reason[kind.isin(["PNS"]) & normalised.isin(["PPPK", "PPPK_PT"])] = (
        "NIP is a PNS number but status is PPPK")
    reason[kind.isin(["PPPK"]) & normalised.isin(["PNS"])] = (
        "NIP is a PPPK number but status is PNS")
    return _clean_reason(reason)
