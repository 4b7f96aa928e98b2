"""pandera schemas of the processed tables, checked when they are written.

A table that fails its schema on write is a bug in this package, not in the user's data
(`prepare` raises). Column names and order follow `schema.PANEL_COLUMNS` for the panel and the
cleaners' column lists for the others.
"""

from __future__ import annotations

import pandera.pandas as pa

from p3k_study.clean.kinerja import KINERJA_COLUMNS, SAKIP_GRADES, SKP_COLUMNS
from p3k_study.clean.ledger import REJECT_COLUMNS
from p3k_study.clean.roster import ROSTER_COLUMNS
from p3k_study.ikm import IKM_MAX, IKM_MIN, IKM_UNIT_COLUMNS
from p3k_study.panel import OUTPUT_COLUMNS

STATUSES = ["PNS", "PPPK", "PPPK_PT", "OTHER"]
CATEGORIES = ["A", "B", "C", "D"]
UNIT_ID = r"^\d{2}\.\d{2}/.+"
KODE_PEMDA = r"^\d{2}\.\d{2}$"


def _col(dtype: str, *checks: pa.Check, nullable: bool = False, unique: bool = False
         ) -> pa.Column:
    return pa.Column(dtype, checks=list(checks), nullable=nullable, unique=unique)


def _count(nullable: bool = True) -> pa.Column:
    return _col("Int64", pa.Check.ge(0), nullable=nullable)


def _unit_columns() -> dict[str, pa.Column]:
    """The resolved unit every cleaned row carries (cleaners' `kept_rows`)."""
    return {
        "kode_pemda": _col("string", pa.Check.str_matches(KODE_PEMDA)),
        "unit_id": _col("string", pa.Check.str_matches(UNIT_ID)),
        "unit_key": _col("string"),
        "unit_function": _col("string"),
        "unit_name": _col("string"),
        "unit_matched": _col("bool"),
    }


def _provenance_columns() -> dict[str, pa.Column]:
    """Where a cleaned row came from: file, sheet and the row number a user sees."""
    return {
        "source_file": _col("string"),
        "sheet": _col("string", nullable=True),
        "row": _col("int64", pa.Check.ge(1)),
    }


STAFF = pa.DataFrameSchema(
    {
        "employee_id": _col("string", pa.Check.str_matches(r"^[0-9a-f]{16}$")),
        **_unit_columns(),
        "status": _col("string", pa.Check.isin(STATUSES)),
        "nip_kind": _col("string", pa.Check.isin(["PNS", "PPPK"])),
        "jenis_jabatan": _col("string", nullable=True),
        "tmt": _col("datetime64[ns]"),
        "tanggal_berakhir": _col("datetime64[ns]", nullable=True),
        **_provenance_columns(),
    },
    strict=True, ordered=True, name="staff",
)
assert list(STAFF.columns) == ROSTER_COLUMNS

COUNTS = pa.DataFrameSchema(
    {
        **_unit_columns(),
        "period_index": _col("int64"),
        "period": _col("string"),
        "n_pns": _count(False),
        "n_p3k": _count(False),
        "n_p3k_part_time": _count(),
        "n_other": _count(),
        "p3k_hires": _count(),
        **_provenance_columns(),
    },
    strict=True, ordered=True, name="staff_counts",
)

_GRADES = [g for g, _ in SAKIP_GRADES]
KINERJA = pa.DataFrameSchema(
    {
        **_unit_columns(),
        "year": _col("int64"),
        "nilai_sakip": _col("float64", pa.Check.in_range(0, 100), nullable=True),
        "predikat_sakip": _col("string", pa.Check.isin(_GRADES), nullable=True),
        "predikat_published": _col("string", pa.Check.isin(_GRADES), nullable=True),
        "flag_predikat_disagrees": _col("bool"),
        **{c: _col("float64", pa.Check.in_range(0, 100), nullable=True) for c in SKP_COLUMNS},
        **_provenance_columns(),
    },
    strict=True, ordered=True, unique=["unit_id", "year"], name="kinerja",
)
assert list(KINERJA.columns) == KINERJA_COLUMNS

_IKM_UNIT_COLUMNS = {
    "unit_id": _col("string", pa.Check.str_matches(UNIT_ID)),
    "period_index": _col("int64"),
    "period": _col("string"),
    "ikm": _col("float64", pa.Check.in_range(IKM_MIN, IKM_MAX)),
    "ikm_category": _col("string", pa.Check.isin(CATEGORIES)),
    "regulation": _col("string", pa.Check.isin(["14/2017", "25/2004"])),
    "ikm_source": _col("string", pa.Check.isin(["answers", "published"])),
    "respondents": _count(),
    "population": _col("float64", nullable=True),
    "sample_required": _count(),
    "sample_adequate": _col("boolean", nullable=True),
    **{c: _col("float64", pa.Check.in_range(1, 4), nullable=True)
       for c in IKM_UNIT_COLUMNS if c.startswith("nrr_")},
    "ikm_published": _col("float64", pa.Check.in_range(IKM_MIN, IKM_MAX), nullable=True),
    "mutu_published": _col("string", pa.Check.isin(CATEGORIES), nullable=True),
    "ikm_difference": _col("float64", nullable=True),
    "flag_published_disagrees": _col("bool"),
    "flag_mutu_disagrees": _col("bool"),
}
IKM_UNIT = pa.DataFrameSchema(
    {c: _IKM_UNIT_COLUMNS[c] for c in IKM_UNIT_COLUMNS},
    strict=True, ordered=True, unique=["unit_id", "period_index"], name="ikm_unit",
)

UNITS = pa.DataFrameSchema(
    {
        "unit_id": _col("string", pa.Check.str_matches(UNIT_ID), unique=True),
        "kode_provinsi": _col("string", pa.Check.str_matches(r"^\d{2}$")),
        "nama_provinsi": _col("string"),
        "kode_pemda": _col("string", pa.Check.str_matches(KODE_PEMDA)),
        "nama_pemda": _col("string"),
        "unit_function": _col("string"),
        "unit_key": _col("string"),
        "unit_name": _col("string"),
        "unit_matched": _col("bool"),
        "names_seen": _col("string"),
        "n_names": _col("int64", pa.Check.ge(1)),
        "sources": _col("string"),
    },
    strict=True, ordered=True, name="units",
)

PANEL = pa.DataFrameSchema(
    {
        "unit_id": _col("string", pa.Check.str_matches(UNIT_ID)),
        "kode_provinsi": _col("string", nullable=True),
        "nama_provinsi": _col("string", nullable=True),
        "kode_pemda": _col("string", nullable=True),
        "nama_pemda": _col("string", nullable=True),
        "unit_function": _col("string"),
        "unit_name": _col("string", nullable=True),
        "period": _col("string"),
        "period_index": _col("int64"),
        "n_pns": _count(),
        "n_p3k": _count(),
        "n_p3k_part_time": _count(),
        "n_other": _count(),
        "n_staff": _count(),
        "p3k_share": _col("float64", pa.Check.in_range(0, 1), nullable=True),
        "p3k_hires": _count(),
        "cohort": _col("int64", pa.Check.ge(0)),
        "treated": _col("int64", pa.Check.isin([0, 1])),
        "ikm": _col("float64", pa.Check.in_range(IKM_MIN, IKM_MAX), nullable=True),
        "ikm_category": _col("string", pa.Check.isin(CATEGORIES), nullable=True),
        "respondents": _count(),
        "sample_adequate": _col("boolean", nullable=True),
        "ikm_source": _col("string", pa.Check.isin(["answers", "published"]), nullable=True),
        **{c: _col("bool") for c in OUTPUT_COLUMNS if c.startswith("flag_")},
    },
    strict=True, ordered=True, unique=["unit_id", "period_index"], name="panel",
)
assert list(PANEL.columns) == OUTPUT_COLUMNS

REJECTS = pa.DataFrameSchema(
    {
        "source_file": _col("string"),
        "sheet": _col("string", nullable=True),
        "row": _col("int64", pa.Check.ge(1)),
        "column": _col("string", nullable=True),
        "raw_value": _col("string", nullable=True),
        "reason": _col("string"),
        "kode_pemda": _col("string", pa.Check.str_matches(KODE_PEMDA), nullable=True),
    },
    strict=True, ordered=True, name="rejects",
)
assert list(REJECTS.columns) == REJECT_COLUMNS

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "staff": STAFF,
    "staff_counts": COUNTS,
    "kinerja": KINERJA,
    "ikm_unit": IKM_UNIT,
    "units": UNITS,
    "panel": PANEL,
    "rejects": REJECTS,
}
