"""The shape of every table the toolkit makes, written once: a pandera `DataFrameSchema` per table
with each column's dtype, checks and description (`coerce=True`).

Everything else derives from these: a table's column order (`list(SCHEMA.columns)`), its dtypes
(`typed`), an empty table (`typed(SCHEMA)`). `prepare` checks each written table against its
schema; a failure is a bug in this package, not in the user's data.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from p3k_study.ikm import BOUNDS, ELEMENTS, IKM_MAX, IKM_MIN

CATEGORIES = ["A", "B", "C", "D"]
SAKIP_GRADES = {"AA": 90.0, "A": 80.0, "BB": 70.0, "B": 60.0, "CC": 50.0, "C": 30.0, "D": 0.0}
"""SAKIP grades by lower bound of the score (PermenPANRB 88/2021)."""
SKP_COLUMNS = ("skp_sangat_baik", "skp_baik", "skp_butuh_perbaikan", "skp_kurang",
               "skp_sangat_kurang")
KODE_PEMDA = r"^\d{2}\.\d{2}$"


def _col(dtype: str, description: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    return pa.Column(dtype, checks=list(checks), nullable=nullable, description=description)


def _count(description: str, nullable: bool = True) -> pa.Column:
    return _col("Int64", description, pa.Check.ge(0), nullable=nullable)


REGION_COLUMNS = {
    "kode_provinsi": _col("string", "Kemendagri province code, '32'",
                          pa.Check.str_matches(r"^\d{2}$")),
    "nama_provinsi": _col("string", "province name"),
    "kode_pemda": _col("string", "Kemendagri kabupaten/kota code, '32.01' (always a string)",
                       pa.Check.str_matches(KODE_PEMDA)),
    "nama_pemda": _col("string", "kabupaten/kota name"),
}
"""A unit's region (`units`; `panel`, where they may be missing)."""

UNIT_COLUMNS = {
    "kode_pemda": REGION_COLUMNS["kode_pemda"],
    "unit_id": _col("string", "stable unit key '<kode_pemda>/<function>[/<place>][/<office>]', "
                    "e.g. '32.01/education' (office: offices of one function side by side)",
                    pa.Check.str_matches(r"^\d{2}\.\d{2}/.+")),
    "unit_key": _col("string", "the unit within its pemda: function[/place][/office]"),
    "unit_function": _col("string", "canonical function from the OPD dictionary"),
    "unit_name": _col("string", "the unit's name as written (whitespace tidied)"),
    "unit_matched": _col("bool", "whether the name matched a function"),
}
"""The resolved unit every cleaned row carries (`clean.common.part_of`)."""

PROVENANCE_COLUMNS = {
    "source_file": _col("string", "file under the raw folder, 'pegawai/roster.csv'"),
    "sheet": _col("string", "sheet name (empty for CSV and Parquet)", nullable=True),
    "row": _col("int64", "row number as a spreadsheet shows it", pa.Check.ge(1)),
}
"""Where a cleaned row came from: file, sheet and the row number a user sees."""

PERIOD_COLUMNS = {
    "period_index": _col("int64", "consecutive integer of the period (semester: year*2 + s-1)"),
    "period": _col("string", "period label: '2023-S1' (semester), '2023-Q3' (quarter) or '2023' "
                   "(year)"),
}


def _schema(name: str, columns: dict[str, pa.Column], **options: object) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, strict=True, ordered=True, coerce=True, name=name,
                              **options)  # type: ignore[arg-type]


STAFF = _schema("staff", {
    "employee_id": _col("string", "salted pseudonym of the NIP (16 hex digits)",
                        pa.Check.str_matches(r"^[0-9a-f]{16}$")),
    **UNIT_COLUMNS,
    "status": _col("string", "PNS, PPPK, PPPK_PT (part-time) or OTHER",
                   pa.Check.isin(["PNS", "PPPK", "PPPK_PT", "OTHER"])),
    "nip_kind": _col("string", "what the NIP's 15th digit says: PNS or PPPK",
                     pa.Check.isin(["PNS", "PPPK"])),
    "jenis_jabatan": _col("string", "job type as written, lower case", nullable=True),
    "tmt": _col("datetime64[ns]", "appointment start date"),
    "tanggal_berakhir": _col("datetime64[ns]", "end of the spell; empty while in post",
                             nullable=True),
    **PROVENANCE_COLUMNS,
})

COUNTS = _schema("staff_counts", {
    **UNIT_COLUMNS,
    **PERIOD_COLUMNS,
    "n_pns": _count("PNS in post", False),
    "n_p3k": _count("full-time PPPK in post", False),
    "n_p3k_part_time": _count("part-time PPPK in post"),
    "n_other": _count("other staff in post"),
    "p3k_hires": _count("PPPK hired in the period, as given"),
    **PROVENANCE_COLUMNS,
})

SKM = _schema("skm", {
    **UNIT_COLUMNS,
    **PERIOD_COLUMNS,
    **{e: _col("int8", f"score 1-4 of the element '{e}'", pa.Check.in_range(1, 4))
       for e in ELEMENTS},
    "populasi": _col("float64", "the unit's service population, as given", nullable=True),
    **PROVENANCE_COLUMNS,
})
"""Clean SKM answers, one row per respondent (not written: `ikm_unit` holds their IKM)."""

PUBLISHED = _schema("ikm_published", {
    **UNIT_COLUMNS,
    **PERIOD_COLUMNS,
    "ikm": _col("float64", "published IKM on the 25-100 scale",
                pa.Check.in_range(IKM_MIN, IKM_MAX)),
    "respondents": _count("respondents, as published"),
    "mutu": _col("string", "published category A-D", pa.Check.isin(CATEGORIES),
                 nullable=True),
    "regulation": _col("string", "14/2017 or 25/2004", pa.Check.isin(list(BOUNDS))),
    **PROVENANCE_COLUMNS,
})
"""Clean published IKM, one row per unit and period (not written: see `ikm_unit`)."""

KINERJA = _schema("kinerja", {
    **UNIT_COLUMNS,
    "year": _col("int64", "the year the outcome is for"),
    "nilai_sakip": _col("float64", "SAKIP score 0-100", pa.Check.in_range(0, 100),
                        nullable=True),
    "predikat_sakip": _col("string", "SAKIP grade from the score (else as published)",
                           pa.Check.isin(list(SAKIP_GRADES)), nullable=True),
    "predikat_published": _col("string", "SAKIP grade as published",
                               pa.Check.isin(list(SAKIP_GRADES)), nullable=True),
    "flag_predikat_disagrees": _col("bool", "published grade differs from the score's"),
    **{c: _col("float64", f"percent of staff rated {c[4:].replace('_', ' ')} (SKP)",
               pa.Check.in_range(0, 100), nullable=True) for c in SKP_COLUMNS},
    **PROVENANCE_COLUMNS,
}, unique=["unit_id", "year"])

IKM_UNIT = _schema("ikm_unit", {
    "unit_id": UNIT_COLUMNS["unit_id"],
    **PERIOD_COLUMNS,
    "ikm": _col("float64", "IKM on the 25-100 scale", pa.Check.in_range(IKM_MIN, IKM_MAX)),
    "ikm_category": _col("string", "A-D by the regulation's bounds", pa.Check.isin(CATEGORIES)),
    "regulation": PUBLISHED.columns["regulation"],
    "ikm_source": _col("string", "'answers' or 'published'",
                       pa.Check.isin(["answers", "published"])),
    "respondents": _count("respondents behind the IKM"),
    "population": _col("float64", "largest service population stated", nullable=True),
    "sample_required": _count("Krejcie-Morgan sample size for the population"),
    "sample_adequate": _col("boolean", "respondents >= sample_required", nullable=True),
    **{f"nrr_{e}": _col("float64", f"mean score of '{e}' (1-4)", pa.Check.in_range(1, 4),
                        nullable=True) for e in ELEMENTS},
    "ikm_published": _col("float64", "the published IKM, where there is one",
                          pa.Check.in_range(IKM_MIN, IKM_MAX), nullable=True),
    "mutu_published": _col("string", "the published category", pa.Check.isin(CATEGORIES),
                           nullable=True),
    "ikm_difference": _col("float64", "ikm (answers) - ikm_published", nullable=True),
    "flag_published_disagrees": _col("bool", "|ikm_difference| above the threshold"),
    "flag_mutu_disagrees": _col("bool", "published category differs from the computed one"),
}, unique=["unit_id", "period_index"])

UNITS = _schema("units", {
    "unit_id": UNIT_COLUMNS["unit_id"],
    **REGION_COLUMNS,
    "unit_function": UNIT_COLUMNS["unit_function"],
    "unit_key": UNIT_COLUMNS["unit_key"],
    "unit_name": _col("string", "the unit's most recent name as written"),
    "unit_matched": UNIT_COLUMNS["unit_matched"],
    "names_seen": _col("string", "every name seen, ' | ' between"),
    "n_names": _col("int64", "how many names", pa.Check.ge(1)),
    "sources": _col("string", "the kinds of file the unit appears in"),
}).update_column("unit_id", unique=True)

PANEL = _schema("panel", {
    "unit_id": UNIT_COLUMNS["unit_id"],
    **{name: _col("string", str(column.description), nullable=True)
       for name, column in REGION_COLUMNS.items()},
    "unit_function": _col("string", "canonical function from the OPD dictionary, or "
                          "'unmatched'"),
    "unit_name": _col("string", "the unit's most recent name as written in the source",
                      nullable=True),
    "period": PERIOD_COLUMNS["period"],
    "period_index": PERIOD_COLUMNS["period_index"],
    "n_pns": _count("PNS in post on the period's last day"),
    "n_p3k": _count("full-time PPPK in post on the period's last day"),
    "n_p3k_part_time": _count("part-time PPPK (paruh waktu) in post on the period's last day"),
    "n_other": _count("other staff in post on the period's last day"),
    "n_staff": _count("all staff in post on the period's last day"),
    "p3k_share": _col("float64", "(n_p3k + n_p3k_part_time) / n_staff; missing when n_staff "
                      "is 0", pa.Check.in_range(0, 1), nullable=True),
    "p3k_hires": _count("PPPK (full- or part-time) whose TMT falls in the period"),
    "cohort": _col("int64", "period_index of the unit's first P3K hire; 0 = never in the data",
                   pa.Check.ge(0)),
    "treated": _col("int64", "1 from the cohort period on, else 0", pa.Check.isin([0, 1])),
    "ikm": _col("float64", "IKM on the 25-100 scale (computed from answers, or as published)",
                pa.Check.in_range(IKM_MIN, IKM_MAX), nullable=True),
    "ikm_category": _col("string", "A, B, C or D by PermenPANRB 14/2017 bounds",
                         pa.Check.isin(CATEGORIES), nullable=True),
    "respondents": _count("number of SKM respondents behind the IKM"),
    "sample_adequate": _col("boolean", "respondents >= Krejcie-Morgan size for the unit's "
                            "population", nullable=True),
    "ikm_source": _col("string", "'answers' or 'published'",
                       pa.Check.isin(["answers", "published"]), nullable=True),
    "flag_unit_unmatched": _col("bool", "the unit's name matched no function"),
    "flag_no_staff_data": _col("bool", "no staff data for the unit and period"),
    "flag_staff_from_counts": _col("bool", "staff from a staff-count table, not a roster"),
    "flag_hires_inferred": _col("bool", "hires inferred from the change in PPPK in post"),
    "flag_ikm_published_disagrees": _col("bool", "computed and published IKM differ"),
    "flag_mutu_disagrees": IKM_UNIT.columns["flag_mutu_disagrees"],
    "flag_regulation_2004": _col("bool", "the IKM follows KEP/25/M.PAN/2/2004"),
}, unique=["unit_id", "period_index"])

REJECTS = _schema("rejects", {
    **PROVENANCE_COLUMNS,
    "column": _col("string", "the column at fault; empty for whole-row reasons",
                   nullable=True),
    "raw_value": _col("string", "the value as written (personal data masked)", nullable=True),
    "reason": _col("string", "why, in plain words"),
    "kode_pemda": _col("string", "the row's region code when it could be resolved",
                       pa.Check.str_matches(KODE_PEMDA), nullable=True),
})

SCHEMAS: dict[str, pa.DataFrameSchema] = {str(schema.name): schema for schema in (
    STAFF, COUNTS, KINERJA, IKM_UNIT, UNITS, PANEL, REJECTS)}
"""The tables `prepare` writes, by name (in the order it writes them)."""


def dtypes(schema: pa.DataFrameSchema) -> dict[str, str]:
    """The schema's columns and their dtypes, as `DataFrame.astype` takes them."""
    return {name: str(column.dtype) for name, column in schema.columns.items()}


def typed(schema: pa.DataFrameSchema, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """`frame` (or no rows) with the schema's columns, in its order and dtypes; no checks."""
    out = (pd.DataFrame() if frame is None else frame).reindex(columns=list(schema.columns))
    return out.astype(dtypes(schema))


def sorted_rows(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`table` as `sort_values(keys, kind="stable", ignore_index=True)` sorts it (text by code
    point, missing last), through Arrow: several times faster on text keys. Raises TypeError
    for a Categorical key (Arrow would sort it by value, pandas by category order)."""
    if categorical := [k for k in keys if isinstance(table[k].dtype, pd.CategoricalDtype)]:
        raise TypeError(f"sorted_rows: Categorical key(s) {categorical}")
    order = pc.sort_indices(pyarrow.Table.from_pandas(table[keys], preserve_index=False),
                            sort_keys=[(key, "ascending") for key in keys])
    return table.take(order.to_numpy()).reset_index(drop=True)
