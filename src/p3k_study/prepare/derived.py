"""The tables derived from the clean ones: IKM per unit and period, and the unit list.

`derive` works out what needs one kind only while the workers clean the others (`prepare`
calls it on each kind as `intake.clean_kinds` yields it); `ikm_unit_table` and `build_units`
take what it found, or work it out themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from p3k_study.config import Config
from p3k_study.ikm import combine_ikm, compute_ikm, published_ikm
from p3k_study.periods import period_labels
from p3k_study.prepare.files import KINDS
from p3k_study.prepare.intake import Cleaned, stage
from p3k_study.prepare.write import sorted_staff, validate


def ikm_unit_table(skm: pd.DataFrame, published: pd.DataFrame, config: Config | None = None,
                   answers: pd.DataFrame | None = None) -> pd.DataFrame:
    """`ikm_unit`: IKM per unit and period from answers, else as published (see `ikm.py`).
    `answers`: `ikm.compute_ikm(skm)` when already worked out."""
    config = config or Config()
    if answers is None:
        answers = compute_ikm(skm) if not skm.empty else skm.iloc[0:0]
    pub_table = published_ikm(published) if not published.empty else pd.DataFrame(
        columns=["unit_id", "period_index", "ikm", "mutu_published", "flag_mutu_disagrees"])
    if answers.empty:
        answers = pd.DataFrame(columns=["unit_id", "period_index"])
    table = combine_ikm(answers, pub_table, disagreement=config.ikm_disagreement)
    table["period"] = period_labels(table["period_index"], config.freq)  # type: ignore[arg-type]
    return table


UNIT_COLUMNS = ["unit_id", "kode_provinsi", "nama_provinsi", "kode_pemda", "nama_pemda",
                "unit_function", "unit_key", "unit_name", "unit_matched", "names_seen",
                "n_names", "sources"]
UNIT_DTYPES = {**dict.fromkeys(UNIT_COLUMNS, "string"), "unit_matched": bool, "n_names": "int64"}


def unit_names_seen(table: pd.DataFrame, source: str, freq: str = "semester"
                    ) -> pd.DataFrame | None:
    """The distinct (unit, name, recency) of one clean table, for `build_units` (None when
    the table is empty)."""
    from p3k_study.panel import date_period_index

    if table.empty:
        return None
    cols = ["unit_id", "kode_pemda", "unit_function", "unit_key", "unit_matched", "unit_name"]
    recency = (date_period_index(table["tmt"], freq) if "tmt" in table
               else table["period_index"])
    part = table[cols].copy()
    part["_recency"] = pd.to_numeric(recency).to_numpy(dtype="float64", na_value=np.nan)
    part["_source"] = source
    part["_order"] = np.arange(len(part))
    return part.drop_duplicates(["unit_id", "unit_name", "_recency"], keep="last")


UNIT_SOURCES: tuple[str, ...] = ("pegawai", "jumlah_pegawai", "skm", "ikm")


def build_units(
    roster: pd.DataFrame, counts: pd.DataFrame, skm: pd.DataFrame, published: pd.DataFrame,
    freq: str = "semester", seen: dict[str, pd.DataFrame | None] | None = None,
) -> pd.DataFrame:
    """One row per unit_id: region, function, name and every name seen.

    `unit_name` is the most recent name as written: among the names seen in the unit's latest
    period (roster: period of the latest TMT), the longest one not written in capitals only
    (full names beat abbreviations like 'Dinkes'). `seen`: `unit_names_seen` per source when
    already worked out."""
    from p3k_study.reference import load_regions

    seen = seen or {}
    parts = [seen[source] if source in seen else unit_names_seen(table, source, freq)
             for source, table in zip(UNIT_SOURCES, (roster, counts, skm, published),
                                      strict=True)]
    parts = [part for part in parts if part is not None]
    if not parts:
        return pd.DataFrame(columns=UNIT_COLUMNS).astype(UNIT_DTYPES)
    seen = pd.concat(parts, ignore_index=True)
    seen["_kind_order"] = seen["_source"].map({k: i for i, k in enumerate(KINDS)})
    seen = seen.sort_values(["unit_id", "_recency", "_kind_order", "_order"], kind="stable")
    newest = seen.groupby("unit_id", sort=False)["_recency"].transform("max")
    latest = seen[(seen["_recency"] == newest) | newest.isna()].copy()
    name = latest["unit_name"].fillna("")
    latest["_mixed_case"] = (name != name.str.upper()).astype(int)
    latest["_length"] = name.str.len()
    latest = latest.sort_values(["unit_id", "_mixed_case", "_length"], kind="stable")
    latest = latest.groupby("unit_id", sort=True).tail(1).set_index("unit_id")
    distinct = seen.dropna(subset=["unit_name"]).drop_duplicates(["unit_id", "unit_name"])
    names = distinct.sort_values(["unit_id", "unit_name"], kind="stable").groupby(
        "unit_id", sort=True)["unit_name"].agg(" | ".join)
    kinds = seen[["unit_id", "_kind_order"]].drop_duplicates().sort_values(
        ["unit_id", "_kind_order"], kind="stable")
    kinds["kind"] = kinds["_kind_order"].map(dict(enumerate(KINDS)))
    units = latest[["kode_pemda", "unit_function", "unit_key", "unit_name", "unit_matched"]]
    units = units.sort_index()
    units = units.assign(
        names_seen=names.reindex(units.index, fill_value=""),
        n_names=seen.groupby("unit_id", sort=True)["unit_name"].nunique(),
        sources=kinds.groupby("unit_id", sort=True)["kind"].agg(",".join))
    regions = load_regions()[["kode_pemda", "nama_pemda", "kode_provinsi", "nama_provinsi"]]
    units = units.reset_index().merge(regions, on="kode_pemda", how="left")
    return units.reindex(columns=UNIT_COLUMNS).astype(UNIT_DTYPES).sort_values(
        "unit_id", kind="stable", ignore_index=True)


@dataclass(frozen=True)
class Derived:
    """What `derive` found for one kind (None where the kind gives nothing)."""

    seen: pd.DataFrame | None = None
    """`unit_names_seen` of the kind's table (the kinds of `UNIT_SOURCES`)."""
    answers: pd.DataFrame | None = None
    """`ikm.compute_ikm` of the SKM answers."""
    staff: pd.DataFrame | None = None
    """The roster as written: sorted (`write.sorted_staff`) and checked against its schema."""


def derive(cleaned: Cleaned, freq: str) -> Derived:
    """What needs the clean table of one kind only."""
    import p3k_study.schemas  # noqa: F401  (pandera's import, off the serial end)

    with stage(f"summarising the clean {cleaned.kind} table", cleaned.source_files()):
        seen = (unit_names_seen(cleaned.table, cleaned.kind, freq)
                if cleaned.kind in UNIT_SOURCES else None)
        answers = (compute_ikm(cleaned.table)
                   if cleaned.kind == "skm" and not cleaned.table.empty else None)
        staff = (validate("staff", sorted_staff(cleaned.table))
                 if cleaned.kind == "pegawai" else None)
    return Derived(seen, answers, staff)
