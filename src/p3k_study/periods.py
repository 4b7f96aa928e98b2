"""Panel periods: a label, a consecutive integer index, and first/last days.

Frequencies: 'semester' (Jan-Jun, Jul-Dec), 'quarter', 'year'. The index is consecutive within a
frequency (semester: year*2 + s-1), so event time is a plain difference of indices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

Frequency = Literal["semester", "quarter", "year"]
PER_YEAR = {"semester": 2, "quarter": 4, "year": 1}
SUFFIX = {"semester": "S", "quarter": "Q", "year": ""}


def period_index(date: dt.date, freq: Frequency = "semester") -> int:
    """Index of the period containing a date."""
    n = PER_YEAR[freq]
    return date.year * n + (date.month - 1) * n // 12


def period_label(index: int, freq: Frequency = "semester") -> str:
    """'2023-S1', '2023-Q3' or '2023'."""
    n = PER_YEAR[freq]
    year, part = divmod(int(index), n)
    return f"{year}" if n == 1 else f"{year}-{SUFFIX[freq]}{part + 1}"


def period_labels(index: Sequence[int] | np.ndarray | pd.Series, freq: Frequency = "semester"
                  ) -> pd.arrays.ArrowStringArray:
    """`period_label` of many indices (worked out once per distinct index), as a string array."""
    codes, uniques = pd.factorize(np.asarray(index, dtype="int64"))
    labels = pd.array([period_label(int(i), freq) for i in uniques], dtype="string")
    return labels.take(codes) if len(codes) else pd.array([], dtype="string")


def period_bounds(index: int, freq: Frequency = "semester") -> tuple[dt.date, dt.date]:
    """First and last day of a period."""
    n = PER_YEAR[freq]
    year, part = divmod(int(index), n)
    months = 12 // n
    start = dt.date(year, part * months + 1, 1)
    end_month = start.month + months
    end = (
        dt.date(year + 1, 1, 1) if end_month > 12 else dt.date(year, end_month, 1)
    ) - dt.timedelta(days=1)
    return start, end
