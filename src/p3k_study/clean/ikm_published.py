"""Clean one published-IKM file (`ikm/`): one IKM per unit and period, kept as published.

Rules in order: Excel error cell in a required column; empty required value (region,
unit_layanan, periode, ikm); region not resolved; period unreadable, coarser than the panel
frequency or after the reference date; IKM unreadable or outside 25-100 (a recap's converted
value 'Nilai Konversi' is taken before the 1-4 'Nilai Indeks' beside it, `aliases`; a value from
1 to 4 is the index, converted x 25 and counted per file as `ikm_converted_from_1_4`);
respondents unreadable,
negative, above `MAX_RESPONDENTS` (1,000,000) or not whole; `mutu` not a category (A-D or
its words); `regulasi` neither 14/2017 nor 25/2004; exact duplicate row; same unit and period
as an earlier row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from p3k_study.clean.common import (
    MAX_RESPONDENTS,
    Duplicates,
    FileInput,
    Part,
    SheetLike,
    kept_rows,
    labelled,
    numbers,
    open_file,
    periods,
    resolve_regions,
    resolve_units,
    strip_text,
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
from p3k_study.schemas import PUBLISHED

KIND = "ikm"
REQUIRED = ("unit_layanan", "periode", "ikm")


def parse_regulation(values: pd.Series) -> pd.Series:
    """'14/2017', 'PermenPANRB 14 Tahun 2017' -> '14/2017'; '25/2004', 'KEP/25/M.PAN/2/2004'
    -> '25/2004'; empty -> NA; anything else -> 'unknown'."""
    text = strip_text(values).str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[text.notna().to_numpy(bool)] = "unknown"
    out[text.str.contains("2017", regex=False).fillna(False).to_numpy(bool)] = REGULATION_2017
    out[text.str.contains("2004", regex=False).fillna(False).to_numpy(bool)] = REGULATION_2004
    return out


def published_part(
    sheets: Sequence[SheetLike], reference_date: dt.date, freq: str = "semester",
    code_edition: str | None = None,
) -> Part:
    """Every rule but the duplicate check, for the sheets of one or more published-IKM files
    (`finish` applies the check over all parts)."""
    data = open_file(sheets, KIND, REQUIRED)
    frame, verdicts = data.frame, data.verdicts
    kode = resolve_regions(data, code_edition)
    period = periods(data, "periode", freq, reference_date)
    ikm = _ikm(data)
    respondents = numbers(data, "jumlah_responden", whole=True, minimum=0, what="respondents",
                          implausible_above=MAX_RESPONDENTS)
    if "mutu" in frame.columns:
        mutu = parse_category(data.text("mutu"))
        unreadable = strip_text(data.text("mutu")).notna().to_numpy(bool) & mutu.isna().to_numpy(
            bool)
        verdicts.reject(unreadable, "mutu", "not a category (A-D or Sangat Baik, Baik, "
                        "Kurang Baik, Tidak Baik)", frame["mutu"])
    else:
        mutu = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "regulasi" in frame.columns:
        regulation = parse_regulation(data.text("regulasi"))
        verdicts.reject((regulation == "unknown").fillna(False).to_numpy(bool), "regulasi",
                        "unknown regulation (expected 14/2017 or 25/2004)", frame["regulasi"])
        regulation = regulation.fillna(REGULATION_2017)
    else:
        regulation = pd.Series(REGULATION_2017, index=frame.index, dtype="string")

    units = resolve_units(data, "unit_layanan", kode)
    clean = kept_rows(data, kode, units, period_index=period, ikm=ikm, respondents=respondents,
                      mutu=mutu, regulation=regulation)
    clean["period"] = labelled(clean["period_index"], freq)
    return Part.of(data, PUBLISHED, clean,
                   Duplicates(("unit_id", "period_index"), "same unit and period"))


def _ikm(data: FileInput) -> pd.Series:
    """The IKM on the 25-100 scale: a value from 1 to 4 is the index, converted x 25 (noted
    per file); other values outside 25-100 are rejected."""
    value = numbers(data, "ikm", what="IKM", ambiguous_as="en")
    v = value.to_numpy(dtype="float64", na_value=np.nan)
    index = (v >= SCORE_MIN) & (v <= SCORE_MAX)
    data.note("ikm_converted_from_1_4", index & data.verdicts.alive)
    v = np.where(index, v * 25, v)
    data.verdicts.reject(~np.isnan(v) & ((v < IKM_MIN) | (v > IKM_MAX)), "ikm",
                         f"IKM outside {IKM_MIN:g}-{IKM_MAX:g}", data.frame["ikm"])
    return pd.Series(v, index=value.index)
