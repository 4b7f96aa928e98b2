"""Writing the processed tables: each checked against its pandera schema (`schemas.py`), Parquet
(zstd) and, for the panel and the ledger, CSV; the summary as JSON with sorted keys."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd
from pandera.errors import SchemaError, SchemaErrors

from p3k_study.clean.privacy import mask_digits
from p3k_study.csvout import write_csv
from p3k_study.errors import StageError
from p3k_study.schemas import SCHEMAS

SUMMARY_FILE = "cleaning_summary.json"


def validate(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Check a table against its schema and return it as given (pandera's coercion would turn
    text columns into NaN-missing 'str'); a failure is a bug in this package: a `StageError`
    naming the source files of the failing rows (when the table has `source_file`) and what
    fails first: column, check, value (masked) and source row."""
    try:
        SCHEMAS[name].validate(table, lazy=True)
        return table
    except (SchemaError, SchemaErrors) as error:
        cases = getattr(error, "failure_cases", None)
        files: list[str] = []
        if not isinstance(cases, pd.DataFrame) or cases.empty:
            what = str(error).splitlines()[0] if str(error) else type(error).__name__
        else:
            first = cases.iloc[0]
            what = (f"column {first.get('column')} fails {first.get('check')} "
                    f"(value {mask_digits(str(first.get('failure_case')))})")
            rows = [i for i in pd.unique(cases["index"].dropna()) if i in table.index] if (
                "source_file" in table.columns and "index" in cases.columns) else []
            if rows:
                files = list(dict.fromkeys(table.loc[rows, "source_file"].astype(str)))
                at = table.loc[rows[0]]
                what += f" in row {at.get('row')} of {at.get('source_file')}"
        raise StageError(f"checking the {name} table against its schema",
                         files or [f"{name}.parquet"], what) from error


def write_outputs(out: Path, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
                  validated: Collection[str] = ()) -> list[Path]:
    """Validate and write every table as Parquet, in the order of `schemas.SCHEMAS` (the panel
    and the rejects ledger also as CSV), and the summary. `validated`: the names of tables
    already checked with `validate`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (name for name in SCHEMAS if name in tables):
        table = tables[name] if name in validated else validate(name, tables[name])
        written.append(out / f"{name}.parquet")
        table.to_parquet(written[-1], index=False, compression="zstd")
        if name in ("panel", "rejects"):  # what to_csv(float_format="%.10g") writes, no formulas
            written.append(out / f"{name}.csv")
            write_csv(table, written[-1], neutralise_formulas=True)
    path = out / SUMMARY_FILE
    path.write_text(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False,
                               default=str) + "\n", encoding="utf-8")
    return [*written, path]
