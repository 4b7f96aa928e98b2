"""Periods in results: a panel's frequency read off its labels, cohorts and period indices
written as the period labels a reader knows (the estimators' messages, the reports' tables).

The estimate and report stages use these; the intake writes labels with `periods` alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from p3k_study.periods import PER_YEAR, Frequency, period_label, period_labels

NEVER = "never"
"""How a label-aware table writes cohort 0 (or a missing cohort): the unit never had a P3K hire
in the observed window."""


def infer_frequency(labels: Sequence[str] | pd.Series, index: Sequence[int] | pd.Series,
                    hint: str | None = None) -> Frequency:
    """The frequency whose `period_label` gives `labels` for `index` (a panel's `period` and
    `period_index` columns). `hint` (e.g. cleaning_summary.json's `freq`) is tried first;
    ValueError when no frequency fits every pair."""
    written = pd.array(labels, dtype="string")
    for freq in [hint, *PER_YEAR] if hint in PER_YEAR else list(PER_YEAR):
        if (period_labels(index, freq) == written).fillna(False).all():  # type: ignore[arg-type]
            return freq  # type: ignore[return-value]
    raise ValueError("period labels do not match period_index for any frequency "
                     f"({', '.join(PER_YEAR)})")


def cohort_label(cohort: object, freq: Frequency = "semester") -> str:
    """A cohort (the period_index of a unit's first P3K hire) as a period label; 0 or missing
    (never treated) as `NEVER`."""
    if pd.isna(cohort) or float(cohort) == 0:  # type: ignore[arg-type]
        return NEVER
    return period_label(int(cohort), freq)  # type: ignore[call-overload]


# a whole number: not inside a word or a longer number, not a decimal ('4042.5', '4042,5'), not
# a thousands group ('1.234', '1,234'); a leading '-' is kept as a sign (signed numbers are
# never periods); no leading zeros
_WHOLE_NUMBER = re.compile(r"(?<![\w.])(-?)([1-9][0-9]*)(?!\w|\.[0-9]|,[0-9]{1,3}(?![0-9]))")
_COUNT_AFTER = re.compile(r"\s+(units?|rows?|observations?|treated|comparison|cells?|draws?|"
                          r"respondents?|staff|periods?)\b")


def label_periods_in_text(text: str, labels: dict[int, str]) -> str:
    """`text` with every whole number that is a known period index (a key of `labels`: e.g.
    {4042: '2021-S1'}) replaced by its label.

    Exact on purpose: only whole, unsigned numbers that are keys of `labels` change, never part
    of a longer number ('14042', '4042.5', '4042,5'), of a word ('x4042'), a signed number
    ('-4042') or a count ('4042 units', '4042 treated and ...'); everything else is left as
    written. 'ATT(4042,4044)', 'periods >= 4051', '[4042, 4043]' and '4040-4042' change."""
    text = str(text)

    def replace(match: re.Match[str]) -> str:
        sign, number = match.group(1), int(match.group(2))
        if sign or number not in labels or _COUNT_AFTER.match(text, match.end()):
            return match.group(0)
        return labels[number]

    return _WHOLE_NUMBER.sub(replace, text)


def panel_labels(panel: pd.DataFrame, hint: str | None = None) -> tuple[Frequency, dict[int, str]]:
    """(frequency, {period_index: label}) for a panel with `period` and `period_index` columns:
    every period of the panel and every non-zero `cohort` (a cohort may precede the panel's
    first period). `hint` as in `infer_frequency`."""
    freq = infer_frequency(panel["period"], panel["period_index"], hint)
    known = set(pd.unique(panel["period_index"]).tolist())
    if "cohort" in panel.columns:
        cohorts = pd.to_numeric(panel["cohort"], errors="coerce").dropna()
        known |= {int(c) for c in pd.unique(cohorts) if c != 0}
    return freq, {int(i): period_label(int(i), freq) for i in sorted(known)}
