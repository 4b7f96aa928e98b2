"""The rejects ledger: one line per rejected input row, saying where it was and why.

Columns: source_file, sheet, row (the spreadsheet row number the user sees), column (the column
at fault, or empty for whole-row reasons), raw_value (as written; masked for personal columns
here, and in any column when it holds an NIP- or NIK-shaped number or a roster name: prepare runs
`privacy.Scrubber` over every output), reason (plain words), kode_pemda (the row's resolved
region code, '11.01'; empty when the region could not be resolved, so a regional report can show
its own region's rejects). Each rejected row appears exactly once, with the first rule it failed,
so `rows_in == rows_clean + rows_rejected` holds per file (`common.FileInput.reject`).
"""

from __future__ import annotations

import pandas as pd

from p3k_study.clean.privacy import mask
from p3k_study.schemas import REJECTS, typed

REJECT_COLUMNS: list[str] = list(REJECTS.columns)
PERSONAL_COLUMNS: frozenset[str] = frozenset({"nip", "nama"})


def empty_rejects() -> pd.DataFrame:
    """A ledger with no rows and the ledger's dtypes."""
    return typed(REJECTS)


def finalise(ledger: pd.DataFrame) -> pd.DataFrame:
    """Ledger columns and dtypes, personal columns masked (`privacy.mask`; empty values and
    values already holding '*' stay as they are), sorted by file, sheet and row."""
    out = typed(REJECTS, ledger)
    personal = out["column"].isin(PERSONAL_COLUMNS).fillna(False).to_numpy(bool)
    if personal.any():
        values = out.loc[personal, "raw_value"]
        masked = {v: v if not v or "*" in v else mask(v) for v in values.dropna().unique()}
        out.loc[personal, "raw_value"] = values.map(masked).astype("string")
    return sort_rejects(out)


def sort_rejects(ledger: pd.DataFrame) -> pd.DataFrame:
    """Stable order: source_file, sheet, row."""
    return ledger.sort_values(
        ["source_file", "sheet", "row"], kind="stable", na_position="first", ignore_index=True
    )

