"""Clean one SKM answers file (`skm/`): one row per respondent, nine elements scored 1-4.

Rules in order: Excel error cell in a required column; empty required value (region,
unit_layanan, each element); no period (neither `periode` nor `tanggal_survei`); region not
resolved; period unreadable, coarser than the panel frequency or after the reference date
(`periode` wins over `tanggal_survei` when both are filled); survey date unreadable or after the
reference date; a score unreadable, not whole or outside 1-4; population unreadable, below 1
or above `MAX_POPULATION` (300,000,000);
then the duplicate rules (`Duplicates(per_sheet=True)`, docs/data-format.md "Duplicates"): a
sheet that repeats an earlier sheet row for row is a copy; within one sheet, an exact duplicate
row *only when the sheet numbers its respondents ('No', 'ID Responden') or the survey date
carries a time of day*. Identical rows in different sheets or files (batches numbering their
respondents from 1) and unnumbered identical rows are different people, kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from p3k_study.clean.common import (
    ANSWER_SCORES,
    EXTRA_PREFIX,
    FILE,
    SHEET,
    Duplicates,
    FileInput,
    Part,
    answer_words,
    dates,
    groups,
    labelled,
    numbers,
    open_file,
    part_of,
    periods,
)
from p3k_study.ikm import ELEMENTS, SCORE_MAX, SCORE_MIN
from p3k_study.parse import DASH_PLACEHOLDERS
from p3k_study.periods import month_period_index
from p3k_study.read.headers import header_key, vocabulary
from p3k_study.read.sheet import RawSheet
from p3k_study.schemas import SKM

MAX_POPULATION = 300_000_000
"""The largest service population (`populasi`): more than Indonesia's population."""


def skm_part(
    sheets: Sequence[RawSheet], reference_date: dt.date, freq: str = "semester",
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check (`finish`), for the sheets of some SKM files."""
    data = open_file(sheets, "skm", code_edition)
    has_period, has_date = ~data.blank("periode"), ~data.blank("tanggal_survei")
    period = periods(data, "periode", freq, reference_date).where(has_period)
    date = dates(data, "tanggal_survei", reference_date, has_date & ~has_period)
    from_date = month_period_index(date.dt.year, date.dt.month, freq)  # type: ignore[arg-type]
    period = period.fillna(from_date.astype("Int64"))

    written = {e: answer_words(data.distinct(e)[1]) for e in ELEMENTS}
    sheet = groups(data.frame[[FILE, SHEET]])[0]
    four = _sheets_on_four_answers(data, written, sheet)
    scores = {e: _scores(data, e, written[e], sheet, four) for e in ELEMENTS}
    population = numbers(data, "populasi", minimum=1, count_up_to=MAX_POPULATION,
                         what="population")
    return part_of(data, SKM, Duplicates(per_sheet=True), "unit_layanan",
                   _identified_rows(data), period_index=period, period=labelled(period, freq),
                   **scores, populasi=population)


RESPONDENT_IDS = frozenset(EXTRA_PREFIX + header_key(name)
                           for names in vocabulary()["row_number"].values() for name in names)
"""Columns that number respondents (the 'row_number' headers of `read.headers.vocabulary`, kept
under `EXTRA_PREFIX`): with one, identical rows are duplicates."""


def _lowest_of_four(column: str, written: list[str]) -> list[bool]:
    """Per distinct answer: 'sangat tidak <an answer scoring 3>' ('Sangat tidak puas')."""
    scale = ANSWER_SCORES[column]
    return [cell.startswith("sangat tidak ") and scale.get(cell[13:]) == 3 for cell in written]


def _in_sheet(sheet: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row: some row of its sheet (`sheet`: per row its sheet's number) is one of `rows`."""
    return (np.bincount(sheet, weights=rows) > 0)[sheet]


def _sheets_on_four_answers(data: FileInput, written: dict[str, list[str]], sheet: np.ndarray
                            ) -> np.ndarray:
    """Per row: its sheet answers some element 'sangat tidak ...' (`_lowest_of_four`;
    `written`: per element `answer_words` of its distinct cells)."""
    return _in_sheet(sheet, np.logical_or.reduce([
        np.append(_lowest_of_four(e, written[e]), False)[data.distinct(e)[0]] for e in ELEMENTS]))


def _word_scores(data: FileInput, column: str, codes: np.ndarray, written: list[str],
                 sheet: np.ndarray, four_sheets: np.ndarray) -> np.ndarray:
    """Per row the score of its answer in words (`written`: `answer_words` of the distinct
    cells; NaN: no answer). A sheet (a CSV file, a workbook's sheet: `sheet` numbers them per
    row) that answers some element 'sangat tidak <an answer scoring 3>' (`four_sheets`) is on
    that four-answer scale: 'Sangat tidak puas' 1, 'Tidak puas' 2, 'Puas' 3, 'Sangat puas' 4
    (counted as `answer_scale_sangat_tidak`), in that element and in every element whose
    answers there include none that only the usual scale has ('Kurang puas', 'Cukup',
    'Gratis': such an element keeps the usual scale, 'Tidak puas' 1). An element answered
    both 'sangat tidak ...' and on the usual scale has a fifth answer, rejected."""
    scale = ANSWER_SCORES[column]
    usual = np.array([scale.get(cell, np.nan) for cell in written] + [np.nan])[codes]
    if not four_sheets.any():
        return usual
    four = {answer: score for stem, usual_score in scale.items() if usual_score == 3
            for score, answer in enumerate(
                [f"sangat tidak {stem}", f"tidak {stem}", stem, f"sangat {stem}"], start=1)}
    scores = np.array([four.get(cell, np.nan) for cell in written] + [np.nan])[codes]
    own = _in_sheet(sheet, scores == 1)
    usual_only = ~np.isnan(usual) & np.isnan(scores)
    on_four = own | (four_sheets & ~_in_sheet(sheet, usual_only))
    data.reject(own & usual_only, column, "a fifth answer beside "
                "'sangat tidak ...' and 'tidak ...' (the scale has four)", data.frame[column])
    data.note("answer_scale_sangat_tidak", on_four & ~np.isnan(scores))
    return np.where(on_four, scores, usual)


def _identified_rows(data: FileInput) -> np.ndarray:
    """Rows with a respondent number or a survey date carrying a time of day."""
    codes, uniques = data.distinct("tanggal_survei")
    clock = r"\d:\d\d|\d \d{1,2}\.\d\d(?:\.\d\d)?$"  # 08:15, or 08.15.00 after a date
    timed = np.append(uniques.str.contains(clock, regex=True).to_numpy(bool), False)[codes]
    return np.logical_or.reduce([timed, *(~data.blank(c) for c in data.frame.columns
                                          if c in RESPONDENT_IDS)])


def _scores(data: FileInput, column: str, written: list[str], sheet: np.ndarray,
            four_sheets: np.ndarray) -> np.ndarray:
    """Scores: the plain forms ('3', '3,0') and the answers as words ('Sangat sesuai', also
    after the option's letter or number or before a stop: 'd. Sangat sesuai', '(4) Sangat
    sesuai.', `answer_words`; the words decide; counted per file as `answer_words_scored`;
    `_word_scores`) read per unique value, the rest by `numbers`; unreadable, fractional or
    out-of-range ones rejected."""
    raw = data.frame[column]
    codes, uniques = data.distinct(column)
    plain = uniques.str.strip().str.extract(r"^(\d{1,2})(?:[.,]0+)?$", expand=False)  # '3,0'
    words = _word_scores(data, column, codes, written, sheet, four_sheets)
    data.note("answer_words_scored", ~np.isnan(words))
    values = np.append(plain.astype("float64").to_numpy(), np.nan)[codes]  # NaN: not plain
    values = np.where(np.isnan(words), values, words)
    other = np.isnan(values) & (codes >= 0)
    if other.any():  # rare; the number locale is decided per file
        wordy = ~uniques.str.contains("[0-9]") & ~uniques.str.strip().isin(DASH_PLACEHOLDERS)
        data.reject(other & np.append(wordy.to_numpy(bool), False)[codes], column,
                    "not a number or a questionnaire answer", raw)
        parsed = numbers(data, column, rows=other).to_numpy("float64", na_value=np.nan)
        values[other] = parsed[other]
    ok = (values >= SCORE_MIN) & (values <= SCORE_MAX) & (np.floor(values) == values)
    data.reject(~np.isnan(values) & ~ok, column,
                f"score outside {SCORE_MIN}-{SCORE_MAX} or not whole", raw)
    return np.where(ok, values, 0).astype("int8")
