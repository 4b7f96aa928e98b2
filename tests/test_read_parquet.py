"""Parquet reading (p3k_study.read.parquet): every column as text, through the sheet rules."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from p3k_study.errors import UnreadableFile
from p3k_study.read import read_table

NIP = "198606012010121004"


def test_parquet_columns_become_text(tmp_path):
    table = pa.table({
        "nip": pa.array([NIP, None]),
        "n": pa.array([1, 2], pa.int64()),
        "x": pa.array([1.5, None]),
        "tmt": pa.array([dt.date(2023, 8, 12), dt.date(2024, 1, 1)]),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    sheet = read_table(path)[0]
    frame = sheet.frame
    assert frame["nip"][0] == NIP and pd.isna(frame["nip"][1])
    assert frame["n"].tolist() == ["1", "2"]
    assert frame["x"][0] == "1.5" and pd.isna(frame["x"][1])
    assert frame["tmt"][0] == "2023-08-12"
    assert frame["_row"].tolist() == [2, 3]
    assert all(pd.api.types.is_string_dtype(frame[c]) for c in ["nip", "n", "x", "tmt"])


def test_parquet_from_pandas_drops_index_and_rejects_empty(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"a": ["1", "2"]}, index=[5, 6]).to_parquet(path)
    assert list(read_table(path)[0].frame.columns) == ["a", "_row"]
    pd.DataFrame({"a": pd.Series([], dtype="str")}).to_parquet(path)
    with pytest.raises(UnreadableFile, match="header only"):
        read_table(path)
    path.write_text("nope", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="Parquet"):
        read_table(path)


def test_parquet_follows_the_sheet_rules(tmp_path):
    """Blank rows are not data, a row repeating the column names is dropped: as in CSV/XLSX."""
    path = tmp_path / "rules.parquet"
    pq.write_table(pa.table({"nip": [NIP, None, "NIP", NIP], "n": ["1", " ", "n", "2"]}), path)
    sheet = read_table(path)[0]
    assert sheet.frame["n"].tolist() == ["1", "2"] and sheet.frame["_row"].tolist() == [2, 5]
    assert sheet.dropped == [(4, "repeated header row")] and sheet.rows_in == 3
