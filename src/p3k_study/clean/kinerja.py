"""Clean one unit-level outcome file (`kinerja/`): SAKIP score and SKP rating shares per unit and
year. Optional: the panel does not need it; prepare writes it as `kinerja.parquet`.

SAKIP (PermenPANRB 88/2021) grades a score of 0-100 by lower bounds: AA >= 90, A >= 80,
BB >= 70, B >= 60, CC >= 50, C >= 30, D below. SKP shares are the percentages of the unit's
staff rated Sangat Baik, Baik, Butuh Perbaikan, Kurang and Sangat Kurang (PermenPANRB 6/2022).

Rules in order: Excel error cell in a required column; empty required value (region,
unit_kerja, periode); region not resolved; period unreadable or after the reference date (any
period form is accepted and reduced to its year); SAKIP score unreadable or outside 0-100;
`predikat_sakip` not a grade; an SKP share unreadable or outside 0-100; SKP shares given but
not all five (the missing ones are 0 when the given ones add up to 100: counted per file as
`skp_share_set_0`), or not adding up to 100 (+-1); no outcome at all (neither score, grade
nor shares); exact duplicate row; same unit and year as an earlier row. A published grade
that disagrees with the score is kept and flagged (`flag_predikat_disagrees`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from p3k_study.clean.common import (
    Duplicates,
    Part,
    numbers,
    open_file,
    part_of,
    periods,
)
from p3k_study.read.sheet import RawSheet
from p3k_study.schemas import KINERJA, SAKIP_GRADES, SKP_COLUMNS

SHARE_TOLERANCE = 1.0


def sakip_grade(scores: pd.Series | np.ndarray) -> pd.Series:
    """SAKIP grade of a 0-100 score by lower bounds (NA for a missing score)."""
    values = np.asarray(scores, dtype="float64")
    grades = np.select([values >= bound for bound in SAKIP_GRADES.values()], list(SAKIP_GRADES),
                       default="")
    return pd.Series(grades, dtype="string").mask(np.isnan(values))


def kinerja_part(sheets: Sequence[RawSheet], reference_date: dt.date,
                 code_edition: str | None = None) -> Part:
    """Every rule but the duplicate check (`finish`), for the sheets of some outcome files. The
    period is always a year, whatever the panel frequency."""
    data = open_file(sheets, "kinerja", code_edition)
    frame = data.frame
    year = periods(data, "periode", "year", reference_date)
    sakip = numbers(data, "nilai_sakip", minimum=0, maximum=100, what="SAKIP score",
                    ambiguous_as="en")
    codes, tidy = data.tidy("predikat_sakip")  # 'AA', 'bb', ' A ', 'A (Memuaskan)' -> the grade
    text = tidy.str.upper().str.replace(r"\s|\(.*\)$", "", regex=True)
    known = text.isin(list(SAKIP_GRADES)).to_numpy(bool)
    data.reject(~np.append(known, True)[codes], "predikat_sakip",
                "not a SAKIP grade (AA, A, BB, B, CC, C, D)", frame.get("predikat_sakip"))
    grade = pd.Series(np.append(text.where(known).to_numpy(object), None)[codes], dtype="string")
    values = np.column_stack([numbers(data, c, minimum=0, maximum=100, what="SKP share",
                                      ambiguous_as="en").to_numpy("float64", na_value=np.nan)
                              for c in SKP_COLUMNS])
    given = ~np.isnan(values)
    adds_up = given.any(axis=1) & (np.abs(np.nansum(values, axis=1) - 100.0) <= SHARE_TOLERANCE)
    data.note("skp_share_set_0", adds_up & ~given.all(axis=1) & data.alive)
    column = next((c for c in SKP_COLUMNS if c in frame.columns), None)
    data.reject(given.any(axis=1) & ~given.all(axis=1) & ~adds_up, column,
                "SKP shares incomplete (all five are needed)")
    data.reject(given.all(axis=1) & ~adds_up, column, "SKP shares do not add up to 100")
    values = np.where(adds_up[:, None], np.nan_to_num(values), values)  # the others are 0
    shares = dict(zip(SKP_COLUMNS, values.T, strict=True))
    data.reject(sakip.isna().to_numpy(bool) & grade.isna().to_numpy(bool)
                & ~given.any(axis=1), None,
                "no outcome value (nilai_sakip, predikat_sakip or SKP shares)")
    computed = sakip_grade(sakip)
    return part_of(data, KINERJA, Duplicates(("unit_id", "year"), "same unit and year"),
                   "unit_kerja", year=year, nilai_sakip=sakip, predikat_published=grade,
                   predikat_sakip=computed.fillna(grade), **shares,
                   flag_predikat_disagrees=(computed != grade).fillna(False))
