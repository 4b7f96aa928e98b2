"""Panel periods: a label, a consecutive integer index, and first/last days.

Frequencies: 'semester' (Jan-Jun, Jul-Dec), 'quarter', 'year'. The index is consecutive within a
frequency (semester: year*2 + s-1), so event time is a plain difference of indices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

Frequency = Literal["semester", "quarter", "year"]
PER_YEAR = {"semester": 2, "quarter": 4, "year": 1}
SUFFIX = {"semester": "S", "quarter": "Q", "year": ""}


def month_period_index(year: Any, month: Any, freq: Frequency = "semester") -> Any:
    """Index of the period holding `month` (1-12) of `year`: numbers, arrays or Series alike."""
    n = PER_YEAR[freq]
    return year * n + (month - 1) * n // 12


def period_index(date: dt.date, freq: Frequency = "semester") -> int:
    """Index of the period containing a date."""
    return month_period_index(date.year, date.month, freq)


def period_label(index: int, freq: Frequency = "semester") -> str:
    """'2023-S1', '2023-Q3' or '2023'."""
    n = PER_YEAR[freq]
    year, part = divmod(int(index), n)
    return f"{year}" if n == 1 else f"{year}-{SUFFIX[freq]}{part + 1}"


def period_labels(index: Sequence[int] | np.ndarray | pd.Series, freq: Frequency = "semester"
                  ) -> pd.arrays.ArrowStringArray:
    """`period_label` of many indices (worked out once per distinct index), as a string array."""
    codes, uniques = pd.factorize(np.asarray(index, dtype="int64"))
    return pd.array([period_label(int(i), freq) for i in uniques], dtype="string").take(codes)


def period_bounds(index: int, freq: Frequency = "semester") -> tuple[dt.date, dt.date]:
    """First and last day of a period."""
    n = PER_YEAR[freq]
    year, part = divmod(int(index), n)
    start = pd.Timestamp(year, part * 12 // n + 1, 1)
    return start.date(), (start + pd.DateOffset(months=12 // n, days=-1)).date()
