"""Clean one published-IKM file (`ikm/`): one IKM per unit and period, kept as published.

Rules in order: Excel error cell in a required column; empty required value (region,
unit_layanan, periode, ikm); region not resolved; period unreadable, coarser than the panel
frequency or after the reference date; IKM unreadable or outside 25-100 (a recap's converted
value 'Nilai Konversi' is taken before the 1-4 'Nilai Indeks' beside it, `aliases`; a value from
1 to 4 is the index, converted x 25 and counted per file as `ikm_converted_from_1_4`; a category
in brackets after the value, '82,45 (B)', is the published `mutu` when none is given);
respondents unreadable, negative, above `MAX_RESPONDENTS` (1,000,000) or not whole; `mutu` not a
category (A-D or its words); `regulasi` neither 14/2017 nor 25/2004; exact duplicate row; same
unit and period as an earlier row.
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
    labelled,
    numbers,
    open_file,
    part_of,
    periods,
)
from p3k_study.ikm import (
    IKM_MAX,
    IKM_MIN,
    REGULATION_2004,
    REGULATION_2017,
    SCORE_MAX,
    SCORE_MIN,
    parse_category,
)
from p3k_study.read.sheet import RawSheet
from p3k_study.schemas import PUBLISHED

MAX_RESPONDENTS = 1_000_000
"""The most SKM respondents one unit can have in one period: Krejcie-Morgan asks at most ~384;
online surveys of a civil registry reach tens of thousands."""


def published_part(
    sheets: Sequence[RawSheet], reference_date: dt.date, freq: str = "semester",
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check (`finish`), for the sheets of some published-IKM files."""
    data = open_file(sheets, "ikm", code_edition)
    frame = data.frame
    period = periods(data, "periode", freq, reference_date)
    beside = _category_beside(data)
    ikm = numbers(data, "ikm", what="IKM", ambiguous_as="en").to_numpy("float64", na_value=np.nan)
    index = (ikm >= SCORE_MIN) & (ikm <= SCORE_MAX)  # the 1-4 index: x 25
    data.note("ikm_converted_from_1_4", index & data.alive)
    ikm = np.where(index, ikm * 25, ikm)
    data.reject(~np.isnan(ikm) & ((ikm < IKM_MIN) | (ikm > IKM_MAX)), "ikm",
                f"IKM outside {IKM_MIN:g}-{IKM_MAX:g}", frame["ikm"])
    respondents = numbers(data, "jumlah_responden", minimum=0, count_up_to=MAX_RESPONDENTS,
                          what="respondents")
    codes, cells = data.cells("mutu")
    mutu = parse_category(cells).to_numpy(object)[codes]
    data.reject(~data.blank("mutu") & pd.isna(mutu), "mutu",
                "not a category (A-D or Sangat Baik, Baik, Kurang Baik, Tidak Baik)",
                frame.get("mutu"))
    mutu = np.where(data.blank("mutu"), beside, mutu)
    codes, tidy = data.tidy("regulasi")  # 'PermenPANRB 14 Tahun 2017', 'KEP/25/M.PAN/2/2004'
    named = np.select([tidy.str.contains("2004", regex=False).to_numpy(bool),
                       tidy.str.contains("2017", regex=False).to_numpy(bool)],
                      [REGULATION_2004, REGULATION_2017], "unknown")
    regulation = np.append(named.astype(object), REGULATION_2017)[codes]  # not given: 14/2017
    data.reject(regulation == "unknown", "regulasi",
                "unknown regulation (expected 14/2017 or 25/2004)", frame.get("regulasi"))
    return part_of(data, PUBLISHED, Duplicates(("unit_id", "period_index"), "same unit and period"),
                   "unit_layanan", period_index=period, period=labelled(period, freq),
                   ikm=ikm, respondents=respondents, mutu=mutu, regulation=regulation)


def _category_beside(data: FileInput) -> np.ndarray:
    """IKM cells that carry their category in brackets ('82,45 (B)', '76,1 (Kurang Baik)')
    made the value alone; per row that category (A-D), None elsewhere."""
    codes, cells = data.distinct("ikm")
    parts = cells.str.extract(r"^\s*(.*?[0-9])\s*\(([^()]*)\)\s*$")
    category = parse_category(parts[1])
    if category.notna().any():
        data.rewrite("ikm", parts[0].where(category.notna(), cells))
    return np.append(category.to_numpy(object, na_value=None), None)[codes]
