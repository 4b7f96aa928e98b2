"""CSV injection (issue 15, A3): text cells a spreadsheet would run as formulas are written with
a leading quote; numbers, and text that is a plain number, are written as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p3k_study.csvout import neutralised, write_csv


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"), ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+62 812 3456", "'+62 812 3456"), ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("-2+3", "'-2+3"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-", "'-"),
    ("-5", "-5"), ("-1.5", "-1.5"), ("+3", "+3"), ("-1.234.567,89", "-1.234.567,89"),
    ("80,11%", "80,11%"), ("Dinas Sosial", "Dinas Sosial"), ("a=b", "a=b"),
])
def test_neutralised(text: str, written: str) -> None:
    assert neutralised(text) == written


def test_only_text_cells_change(tmp_path: Path) -> None:
    table = pd.DataFrame({
        "text": pd.array(["=cmd|'/c calc'!A1", "-5", "Dinas", None], dtype="string"),
        "float": [-1.5, np.nan, 2.0, -0.25],
        "int": pd.array([-3, None, 4, 5], dtype="Int64"),
        "=head": pd.array(["@x", "y", "z", "w"], dtype="string"),
    })
    write_csv(table, tmp_path / "safe.csv", neutralise_formulas=True)
    lines = (tmp_path / "safe.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["text,float,int,'=head", "'=cmd|'/c calc'!A1,-1.5,-3,'@x", "-5,,,y",
                     "Dinas,2,4,z", ",-0.25,5,w"]
    write_csv(table, tmp_path / "plain.csv")  # without the option: what to_csv writes
    assert (tmp_path / "plain.csv").read_text(encoding="utf-8").splitlines()[1].startswith(
        "=cmd")


def test_a_one_column_table_is_neutralised_too(tmp_path: Path) -> None:
    write_csv(pd.DataFrame({"x": pd.array(["=1", "2"], dtype="string")}),
              tmp_path / "one.csv", neutralise_formulas=True)
    assert (tmp_path / "one.csv").read_text(encoding="utf-8").splitlines() == ["x", "'=1", "2"]
