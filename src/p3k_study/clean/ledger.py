"""The rejects ledger: one line per rejected input row, saying where it was and why.

Columns: source_file, sheet, row (the spreadsheet row number the user sees), column (the column
at fault, or empty for whole-row reasons), raw_value (as written; masked for personal columns
here, and in any column when it holds an NIP- or NIK-shaped number or a roster name: prepare
runs `privacy.Scrubber` over every output),
reason (plain words), kode_pemda (the row's resolved region code, '11.01'; empty when the region
could not be resolved, so a regional report can show its own region's rejects). Each rejected
row appears exactly once, with the first rule it failed, so `rows_in == rows_clean +
rows_rejected` holds per file.

`Verdicts` collects those decisions for one file while a cleaner runs: rules are applied in
order and a row keeps the first reason it gets.
"""

from __future__ import annotations

import numpy as np
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
    if ledger.empty:
        return empty_rejects()
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


class Verdicts:
    """Per-row reject decisions for one file's frame: `reject` marks rows not yet rejected (the
    first reason wins), `alive` the rows not rejected so far, `kode_pemda` the resolved region
    code per row (None where unresolved) for the ledger."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.alive = np.ones(len(frame), dtype=bool)
        self.kode_pemda: np.ndarray | None = None
        self._lines: list[pd.DataFrame] = []

    def reject(
        self,
        mask: pd.Series | np.ndarray,
        column: str | None,
        reason: str | pd.Series,
        raw: pd.Series | None = None,
    ) -> None:
        """Reject rows where mask is true (and not already rejected)."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool) & self.alive)
        if not len(rows):
            return
        self.alive[rows] = False
        self._lines.append(pd.DataFrame({
            "at": rows, "column": column,
            "raw_value": None if raw is None else [
                None if pd.isna(v) else str(v) for v in raw.iloc[rows].astype(object)],
            "reason": reason.iloc[rows].to_numpy(dtype=object)
            if isinstance(reason, pd.Series) else reason}))

    def ledger(self) -> pd.DataFrame:
        """Rejected rows as ledger lines (not yet masked or sorted: see `finalise`)."""
        if not self._lines:
            return empty_rejects()
        lines = pd.concat(self._lines, ignore_index=True)
        at = lines.pop("at").to_numpy()
        return lines.assign(
            source_file=self.frame["_file"].iloc[at].to_numpy(dtype=object),
            sheet=self.frame["_sheet"].iloc[at].to_numpy(dtype=object),
            row=self.frame["_row"].to_numpy()[at].astype("int64"),
            kode_pemda=None if self.kode_pemda is None else self.kode_pemda[at])
