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
    """Ledger columns and dtypes, personal columns masked (`privacy.mask`; empty and already
    masked values, holding '*': a ledger may be finalised twice, stay as they are), sorted by
    file, sheet and row."""
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
    """Per-row reject decisions for one file's frame (index = the frame's index).

    `reject(mask, column, reason, raw)` marks rows not yet rejected; the first reason wins.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        n = len(frame)
        self._reason = np.full(n, None, dtype=object)
        self._column = np.full(n, None, dtype=object)
        self._raw = np.full(n, None, dtype=object)
        self._rejected = np.zeros(n, dtype=bool)
        self._kode: np.ndarray | None = None

    def set_regions(self, kode_pemda: np.ndarray) -> None:
        """The resolved region code per row (None where unresolved), for the ledger."""
        self._kode = kode_pemda

    @property
    def alive(self) -> np.ndarray:
        """Boolean array: rows not rejected so far."""
        return ~self._rejected

    def reject(
        self,
        mask: pd.Series | np.ndarray,
        column: str | None,
        reason: str | pd.Series,
        raw: pd.Series | None = None,
    ) -> None:
        """Reject rows where mask is true (and not already rejected)."""
        m = np.asarray(mask, dtype=bool) & ~self._rejected
        if not m.any():
            return
        rows = np.flatnonzero(m)  # only the newly rejected rows are converted
        if isinstance(reason, pd.Series):
            self._reason[m] = reason.iloc[rows].to_numpy(dtype=object)
        else:
            self._reason[m] = reason
        self._column[m] = column
        if raw is not None:
            values = raw.iloc[rows].astype(object).to_numpy()
            self._raw[m] = [None if pd.isna(v) else str(v) for v in values]
        self._rejected |= m

    def ledger(self) -> pd.DataFrame:
        """Rejected rows as ledger lines (not yet masked or sorted: see `finalise`)."""
        m = self._rejected
        if not m.any():
            return empty_rejects()
        return pd.DataFrame(
            {
                "source_file": self.frame["_file"].to_numpy(dtype=object)[m],
                "sheet": self.frame["_sheet"].to_numpy(dtype=object)[m],
                "row": self.frame["_row"].to_numpy()[m].astype("int64"),
                "column": self._column[m],
                "raw_value": self._raw[m],
                "reason": self._reason[m],
                "kode_pemda": self._kode[m] if self._kode is not None else None,
            }
        )
