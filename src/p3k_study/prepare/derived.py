"""The tables derived from the clean ones: IKM per unit and period, and the unit list.

`derive` works out what needs one kind only, while the workers clean the others;
`ikm_unit_table` and `build_units` take what it found, or work it out themselves.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from p3k_study.clean.privacy import Scrubber
from p3k_study.config import Config
from p3k_study.ikm import combine_ikm, compute_ikm, published_ikm
from p3k_study.panel import date_period_index
from p3k_study.periods import period_labels
from p3k_study.prepare.files import KINDS
from p3k_study.prepare.intake import Cleaned, stage
from p3k_study.prepare.write import validate
from p3k_study.reference import load_regions
from p3k_study.schemas import UNIT_COLUMNS, UNITS, sorted_rows, typed


def ikm_unit_table(skm: pd.DataFrame, published: pd.DataFrame, config: Config | None = None,
                   answers: pd.DataFrame | None = None) -> pd.DataFrame:
    """`ikm_unit`: IKM per unit and period from answers, else as published (see `ikm.py`).
    `answers`: `ikm.compute_ikm(skm)` when already worked out."""
    config = config or Config()
    answers = compute_ikm(skm) if answers is None else answers
    table = combine_ikm(answers, published_ikm(published), disagreement=config.ikm_disagreement)
    table["period"] = period_labels(table["period_index"], config.freq)  # type: ignore[arg-type]
    return table


UNIT_SOURCES: tuple[str, ...] = ("pegawai", "jumlah_pegawai", "skm", "ikm")


def unit_names_seen(table: pd.DataFrame, source: str, freq: str = "semester"
                    ) -> pd.DataFrame | None:
    """The distinct (unit, name, recency) of one clean table, its last row of each, for
    `build_units` (None when the table is empty)."""
    if table.empty:
        return None
    recency = (date_period_index(table["tmt"], freq) if "tmt" in table
               else table["period_index"].to_numpy("float64"))
    last = ~pd.DataFrame({"unit_id": table["unit_id"], "unit_name": table["unit_name"],
                          "recency": recency}).duplicated(keep="last").to_numpy()
    return table.loc[last, list(UNIT_COLUMNS)].assign(
        _recency=recency[last], _kind=KINDS.index(source), _order=np.flatnonzero(last))


def build_units(
    roster: pd.DataFrame, counts: pd.DataFrame, skm: pd.DataFrame, published: pd.DataFrame,
    freq: str = "semester", seen: dict[str, pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """One row per unit_id: region, function, name and every name seen.

    `unit_name` is the most recent name as written: among the names seen in the unit's latest
    period (roster: period of the latest TMT), the longest one not written in capitals only
    (full names beat abbreviations like 'Dinkes'). `seen`: `unit_names_seen` per source when
    already worked out."""
    seen = seen or {}
    parts = [seen[source] if source in seen else unit_names_seen(table, source, freq)
             for source, table in zip(UNIT_SOURCES, (roster, counts, skm, published),
                                      strict=True)]
    if all(part is None for part in parts):
        return typed(UNITS)
    every = sorted_rows(pd.concat(parts, ignore_index=True),  # leaves the Nones out
                        ["unit_id", "_recency", "_kind", "_order"])
    newest = every.groupby("unit_id", sort=False)["_recency"].transform("max")
    latest = every[(every["_recency"] == newest) | newest.isna()]
    name = latest["unit_name"].fillna("")
    latest = latest.assign(_mixed_case=name != name.str.upper(), _length=name.str.len())
    units = sorted_rows(latest, ["unit_id", "_mixed_case", "_length"]).groupby(
        "unit_id", sort=True).tail(1).set_index("unit_id")
    names = every.dropna(subset=["unit_name"]).drop_duplicates(["unit_id", "unit_name"])
    names = sorted_rows(names, ["unit_id", "unit_name"])
    kinds = sorted_rows(every[["unit_id", "_kind"]].drop_duplicates(), ["unit_id", "_kind"])
    units = units.sort_index().assign(
        names_seen=_listed(names["unit_name"], names["unit_id"], " | "),
        n_names=every.groupby("unit_id", sort=True)["unit_name"].nunique(),
        sources=_listed(kinds["_kind"].map(dict(enumerate(KINDS))), kinds["unit_id"], ","))
    regions = load_regions()[["kode_pemda", "nama_pemda", "kode_provinsi", "nama_provinsi"]]
    units = units.reset_index().merge(regions, on="kode_pemda", how="left")
    return typed(UNITS, units.fillna({"names_seen": ""}))


def _listed(texts: pd.Series, groups: pd.Series, separator: str) -> pd.Series:
    """`texts` of each group joined in their order, `separator` between them."""
    joined = (separator + texts.astype("string")).groupby(groups, sort=True).sum()
    return joined.str.removeprefix(separator)


def derive(cleaned: Cleaned, config: Config) -> Cleaned:
    """`cleaned` with what needs its clean table alone (the fields `Cleaned` lists)."""
    with stage(f"summarising the clean {cleaned.kind} table", list(cleaned.files)):
        seen = (unit_names_seen(cleaned.table, cleaned.kind, config.freq)
                if cleaned.kind in UNIT_SOURCES else None)
        answers = compute_ikm(cleaned.table) if cleaned.kind == "skm" else None
        staff = scrubber = None
        if cleaned.kind == "pegawai":
            scrubber = Scrubber(cleaned.names, config.effective_salt)
            staff = scrubber.table(validate("staff", sorted_rows(
                cleaned.table, ["unit_id", "employee_id", "tmt", "source_file", "row"])))
    return replace(cleaned, seen=seen, answers=answers, staff=staff, scrubber=scrubber)
