"""Clean one unit-level outcome file (`kinerja/`): SAKIP score and SKP rating shares per unit and
year. Optional: the panel does not need it; prepare writes it as `kinerja.parquet`.

SAKIP (PermenPANRB 88/2021) grades a score of 0-100 by lower bounds: AA >= 90, A >= 80,
BB >= 70, B >= 60, CC >= 50, C >= 30, D below. SKP shares are the percentages of the unit's
staff rated Sangat Baik, Baik, Butuh Perbaikan, Kurang and Sangat Kurang (PermenPANRB 6/2022).

Rules in order: Excel error cell in a required column; empty required value (region,
unit_kerja, periode); region not resolved; period unreadable or after the reference date (any
period form is accepted and reduced to its year); SAKIP score unreadable or outside 0-100;
`predikat_sakip` not a grade; an SKP share unreadable or outside 0-100; SKP shares given but
not all five, or not adding up to 100 (+-1); no outcome at all (neither score, grade nor shares);
exact duplicate row; same unit and year as an earlier row. A published grade that disagrees with
the score is kept and flagged (`flag_predikat_disagrees`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from p3k_study.clean.common import (
    Duplicates,
    FileInput,
    Part,
    SheetLike,
    kept_rows,
    numbers,
    open_file,
    periods,
    resolve_regions,
    resolve_units,
    strip_text,
)
from p3k_study.schemas import KINERJA, SAKIP_GRADES, SKP_COLUMNS

KIND = "kinerja"
REQUIRED = ("unit_kerja", "periode")
SHARE_TOLERANCE = 1.0


def sakip_grade(scores: pd.Series | np.ndarray) -> pd.Series:
    """SAKIP grade of a 0-100 score by lower bounds (NA for a missing score)."""
    values = np.asarray(scores, dtype="float64")
    conditions = [values >= bound for _, bound in SAKIP_GRADES]
    grades = np.select(conditions, [g for g, _ in SAKIP_GRADES], default="")
    return pd.Series(grades, dtype="string").mask(np.isnan(values))


def parse_grade(values: pd.Series) -> pd.Series:
    """'AA', 'bb', ' A ' -> the grade; empty -> NA; anything else -> 'unknown'."""
    text = strip_text(values).str.upper().str.replace(" ", "", regex=False)
    grades = {g for g, _ in SAKIP_GRADES}
    return text.where(text.isin(grades) | text.isna(), "unknown")


def kinerja_part(
    sheets: Sequence[SheetLike], reference_date: dt.date, freq: str = "year",
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check, for the sheets of one or more outcome files
    (`finish` applies the check over all parts). The period is always a year, whatever the
    panel frequency (`freq` is accepted for symmetry)."""
    data = open_file(sheets, KIND, REQUIRED)
    verdicts = data.verdicts
    kode = resolve_regions(data, code_edition)
    year = periods(data, "periode", "year", reference_date)
    sakip = numbers(data, "nilai_sakip", minimum=0, maximum=100, what="SAKIP score",
                    ambiguous_as="en")
    grade = _grades(data)
    shares = {c: numbers(data, c, minimum=0, maximum=100, what="SKP share", ambiguous_as="en")
              for c in SKP_COLUMNS}
    _check_shares(data, shares)
    nothing = sakip.isna().to_numpy(bool) & grade.isna().to_numpy(bool)
    for values in shares.values():
        nothing &= values.isna().to_numpy(bool)
    verdicts.reject(nothing, None, "no outcome value (nilai_sakip, predikat_sakip or SKP "
                    "shares)")

    units = resolve_units(data, "unit_kerja", kode)
    clean = kept_rows(data, kode, units, year=year, nilai_sakip=sakip, predikat_published=grade,
                      **shares)
    computed, published = sakip_grade(clean["nilai_sakip"]), clean["predikat_published"]
    clean["predikat_sakip"] = computed.fillna(published)
    clean["flag_predikat_disagrees"] = (computed.notna() & published.notna()
                                        & (computed != published)).fillna(False)
    return Part.of(data, KINERJA, clean,
                   Duplicates(("unit_id", "year"), "same unit and year"))


def _grades(data: FileInput) -> pd.Series:
    frame = data.frame
    if "predikat_sakip" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    grade = parse_grade(data.text("predikat_sakip"))
    data.verdicts.reject((grade == "unknown").fillna(False).to_numpy(bool), "predikat_sakip",
                         "not a SAKIP grade (AA, A, BB, B, CC, C, D)", frame["predikat_sakip"])
    return grade.mask(grade == "unknown")


def _check_shares(data: FileInput, shares: dict[str, pd.Series]) -> None:
    """Reject rows giving some SKP shares but not all five, or five that do not add up to 100."""
    present = np.column_stack([s.notna().to_numpy(bool) for s in shares.values()])
    some, every = present.any(axis=1), present.all(axis=1)
    column = next((c for c in SKP_COLUMNS if c in data.frame.columns), None)
    data.verdicts.reject(some & ~every, column, "SKP shares incomplete (all five are needed)")
    total = np.nansum(np.column_stack([s.to_numpy(dtype="float64", na_value=np.nan)
                                       for s in shares.values()]), axis=1)
    off = every & (np.abs(total - 100.0) > SHARE_TOLERANCE)
    data.verdicts.reject(off, column, "SKP shares do not add up to 100")
