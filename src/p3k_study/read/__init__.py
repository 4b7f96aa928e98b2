"""The read stage: raw files (CSV, XLSX, Parquet) -> tables of text with provenance.

Every cell stays text exactly as written (an NIP never becomes a float); empty cells are missing
(NA). Each table gets a `_row` column: the row number a user sees in a spreadsheet (CSV: the
record number; XLSX: the sheet row; Parquet: 2, 3, ... under the header row of column names).
One set of rules (header row, empty rows, repeated headers, over-long cells) applies to every
format: `read.sheet`. Reading a format: `read.csv`, `read.xlsx`, `read.parquet`; matching
headers to canonical column names: `read.headers`.
"""

from __future__ import annotations

from pathlib import Path

from p3k_study.errors import UnreadableFile
from p3k_study.read.csv import read_csv
from p3k_study.read.parquet import read_parquet
from p3k_study.read.sheet import RawSheet
from p3k_study.read.xlsx import read_xlsx

__all__ = ["CSV_SUFFIXES", "PARQUET_SUFFIXES", "XLSX_SUFFIXES", "RawSheet", "read_table"]

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


def read_table(path: Path | str) -> list[RawSheet]:
    """Read a CSV, XLSX or Parquet file into one RawSheet per table (per sheet for XLSX).

    Raises UnreadableFile for files that are not a table at all (empty, header only, binary,
    unknown type, corrupt workbook)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnreadableFile(path, "file not found")
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path)
    if suffix in CSV_SUFFIXES or suffix in PARQUET_SUFFIXES:
        sheet = read_csv(path) if suffix in CSV_SUFFIXES else read_parquet(path)
        if sheet.reason is not None:  # the file's only table holds no data
            raise UnreadableFile(path, sheet.reason)
        return [sheet]
    if suffix == ".xls":
        raise UnreadableFile(path, "old Excel .xls format: save it as .xlsx")
    if suffix == ".ods":
        raise UnreadableFile(path, "LibreOffice .ods format: save it as .xlsx")
    if suffix == ".zip":
        raise UnreadableFile(path, "a zip archive: unzip it, or move it out of the dataset")
    raise UnreadableFile(path, f"unsupported file type '{suffix}' (use .csv, .xlsx or .parquet)")
