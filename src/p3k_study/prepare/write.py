"""Writing the processed tables: each checked against its pandera schema (`schemas.py`), rows
sorted stably, Parquet (zstd) and, for the panel and the ledger, CSV; the summary as JSON with
sorted keys."""

from __future__ import annotations

import json
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from p3k_study.clean.privacy import mask_digits
from p3k_study.csvout import write_csv
from p3k_study.errors import StageError

SUMMARY_FILE = "cleaning_summary.json"


def sorted_staff(roster: pd.DataFrame) -> pd.DataFrame:
    """The clean roster in the order it is written: by unit, employee, TMT, file and row."""
    return roster.sort_values(["unit_id", "employee_id", "tmt", "source_file", "row"],
                              kind="stable", ignore_index=True)


def validate(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Check a table against its schema; a failure is a bug in this package."""
    from pandera.errors import SchemaError, SchemaErrors

    from p3k_study.schemas import SCHEMAS

    try:
        SCHEMAS[name].validate(table, lazy=True)
        # the table as given: pandera's coercion (coerce=True) turns text columns into pandas
        # 3's NaN-missing 'str' dtype, the outputs keep the NA-missing 'string' they have
        return table
    except (SchemaError, SchemaErrors) as error:
        files, what = _schema_failure(table, error)
        raise StageError(f"checking the {name} table against its schema", files or
                         [f"{name}.parquet"], what) from error


def _schema_failure(table: pd.DataFrame, error: Exception) -> tuple[list[str], str]:
    """The source files of the rows that fail a schema (when the table has `source_file`) and
    one line saying what fails first: column, check, value (masked) and source row."""
    cases = getattr(error, "failure_cases", None)
    if not isinstance(cases, pd.DataFrame) or cases.empty:
        return [], str(error).splitlines()[0] if str(error) else type(error).__name__
    first = cases.iloc[0]
    what = (f"column {first.get('column')} fails {first.get('check')} "
            f"(value {mask_digits(str(first.get('failure_case')))})")
    files: list[str] = []
    if "source_file" in table.columns and "index" in cases.columns:
        rows = [i for i in pd.unique(cases["index"].dropna()) if i in table.index]
        if rows:
            found = table.loc[rows, "source_file"].astype(str)
            files = list(dict.fromkeys(found))
            at = table.loc[rows[0]]
            what += f" in row {at.get('row')} of {at.get('source_file')}"
    return files, what


OUTPUT_TABLES: tuple[str, ...] = ("staff", "staff_counts", "kinerja", "ikm_unit", "units", "panel",
                                  "rejects")
"""The processed tables `write_outputs` writes as Parquet."""
CSV_TABLES: tuple[str, ...] = ("panel", "rejects")
"""The processed tables `write_outputs` also writes as CSV."""


def write_outputs(out: Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
                  validated: Collection[str] = ()) -> list[Path]:
    """Validate and write every table, the rejects ledger (Parquet and CSV) and the summary.
    `validated`: the names of tables already checked with `validate`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # files are written by two threads (Parquet; CSV) while the next table is validated (Arrow
    # encodes and compresses without holding the GIL); the panel, whose CSV takes longest, first
    with ThreadPoolExecutor(max_workers=1) as parquet, ThreadPoolExecutor(max_workers=1) as text:
        pending = []
        for name in sorted(OUTPUT_TABLES, key=lambda name: name != "panel"):
            if name not in tables:
                continue
            table = tables[name] if name in validated else validate(name, tables[name])
            if name in CSV_TABLES:
                # what to_csv(float_format="%.10g") writes, faster; formulas neutralised
                pending.append(text.submit(write_csv, table, out / f"{name}.csv",
                                           neutralise_formulas=True))
            pending.append(parquet.submit(table.to_parquet, out / f"{name}.parquet", index=False,
                                          compression="zstd"))
        for future in pending:
            future.result()
    written: list[Path] = []
    for name in OUTPUT_TABLES:
        if name in tables:
            written.append(out / f"{name}.parquet")
            if name in CSV_TABLES:
                written.append(out / f"{name}.csv")
    path = out / SUMMARY_FILE
    path.write_text(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False,
                               default=str) + "\n", encoding="utf-8")
    written.append(path)
    return written
