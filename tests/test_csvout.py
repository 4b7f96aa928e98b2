"""csvout.write_csv writes exactly what pandas' to_csv writes for processed tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from p3k_study.csvout import write_csv


def _pandas_bytes(table: pd.DataFrame, path: Path) -> bytes:
    table.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    return path.read_bytes()


def _same(table: pd.DataFrame, folder: Path) -> None:
    write_csv(table, folder / "ours.csv")
    assert (folder / "ours.csv").read_bytes() == _pandas_bytes(table, folder / "pandas.csv")


TEXTS = ["Dinas Kesehatan", 'Dinas "Pendidikan"', "Dinas Pemuda, Olahraga", "baris\nbaru",
         "cr\rhere", " spasi ", "", "Kab. Bekasi;", "Ñusa Tenggara — ü", None]


def test_every_processed_dtype_with_missing_values(tmp_path: Path) -> None:
    n = len(TEXTS)
    table = pd.DataFrame({
        "text": pd.array(TEXTS, dtype="string"),
        "str": pd.Series(TEXTS, dtype="str"),
        "int": np.arange(n, dtype="int64") * 1_000_003 - 5,
        "nullable int": pd.array([1, None, -3, 2**40, 0, None, 7, 8, 9, 10], dtype="Int64"),
        "float": [0.1, np.nan, 1e-20, 123456789.123456, -0.0, 2.5, 1e16, np.inf, 80.25, 1 / 3],
        "bool": [True, False] * 5,
        "nullable bool": pd.array([True, None, False, True, None, False, True, True, False,
                                   None], dtype="boolean"),
        'odd, "header"': pd.array(["a"] * n, dtype="string"),
    })
    _same(table, tmp_path)
    _same(table.iloc[0:0], tmp_path)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=12)),
                          st.one_of(st.none(), st.floats(allow_nan=False, width=64)),
                          st.one_of(st.none(), st.integers(-2**60, 2**60))), max_size=30))
def test_generated_tables(tmp_path: Path, rows) -> None:
    table = pd.DataFrame({
        "text": pd.array([r[0] for r in rows], dtype="string"),
        "float": pd.Series([np.nan if r[1] is None else r[1] for r in rows], dtype="float64"),
        "int": pd.array([r[2] for r in rows], dtype="Int64"),
    })
    _same(table, tmp_path)


def test_one_column_and_no_columns(tmp_path: Path) -> None:
    """csv writes a lone empty field (a missing cell, '', an empty header) as '""'."""
    for name in ("x", ""):
        _same(pd.DataFrame({name: pd.array(["", None, "a", '"'], dtype="string")}), tmp_path)
        _same(pd.DataFrame({name: [1.5, np.nan]}), tmp_path)
    _same(pd.DataFrame(index=range(3)), tmp_path)
    _same(pd.DataFrame(), tmp_path)


def test_unknown_dtype_is_refused(tmp_path: Path) -> None:
    table = pd.DataFrame({"when": pd.to_datetime(["2024-01-01"]), "x": [1]})
    with pytest.raises(TypeError, match="no CSV text rule"):
        write_csv(table, tmp_path / "x.csv")



@pytest.mark.parametrize("dtype", ["float64", "Float64"])
def test_negative_zero_is_written_as_to_csv_writes_it(tmp_path: Path, dtype: str) -> None:
    """pandas factorizes -0.0 with 0.0; to_csv writes each as itself ('0', '-0')."""
    _same(pd.DataFrame({"x": pd.array([0.0, -0.0, 1.5, None, -0.0], dtype=dtype)}), tmp_path)
    _same(pd.DataFrame({"x": pd.array([-0.0, 0.0, 2.0, 0.0], dtype=dtype)}), tmp_path)  # -0 first
