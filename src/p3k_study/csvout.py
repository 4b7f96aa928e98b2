"""CSV copies of processed tables, byte for byte what `DataFrame.to_csv(index=False,
float_format="%.10g", lineterminator="\\n")` writes, several times faster (pandas formats the
national panel cell by cell, ~4 s): each column becomes text once per distinct value, quoted as
Python's `csv` module quotes, and Arrow joins the fields of every row (`tests/test_csvout.py`
compares both on every dtype the processed tables hold).

`neutralise_formulas=True` (what prepare writes) departs from `to_csv` on purpose: a text cell
that a spreadsheet would run as a formula gets a leading single quote, as OWASP recommends
against CSV injection ('=HYPERLINK(...)' -> "'=HYPERLINK(...)"). Numbers, and text that is a
plain number ('-1.5', '+62'), are written as they are; the Parquet outputs keep the true value.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FLOAT_FORMAT = "%.10g"
SEPARATOR = ","
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)*|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?%?")


def neutralised(text: str) -> str:
    """A text cell made safe to open in a spreadsheet: "'" before a leading '=', '+', '-', '@',
    tab or carriage return, unless the text is a plain number ('-1.5')."""
    if text.startswith(("=", "+", "-", "@", "\t", "\r")) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def quote(text: str) -> str:
    """A field as `csv.writer(quoting=csv.QUOTE_MINIMAL, lineterminator='\\n')` writes it: quoted
    when it holds the separator, a quote or a character of the line terminator (not '\\r')."""
    if any(ch in text for ch in (SEPARATOR, '"', "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def column_text(values: pd.Series, neutralise_formulas: bool = False) -> pa.Array:
    """A column as the fields `to_csv` writes per cell ('' for missing), quoted as needed;
    `neutralised` when `neutralise_formulas` (which leaves booleans and integers as they are)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if values.dtype.kind == "f":  # factorize takes -0.0 and 0.0 for one: to_csv writes '-0', '0'
        texts = [FLOAT_FORMAT % v for v in np.asarray(uniques, dtype="float64")] + ["-0", "0"]
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        zero = np.where(np.signbit(numbers), len(texts) - 2, len(texts) - 1)
        codes = np.where(numbers == 0, zero, codes)
    elif values.dtype.kind in "biuO":  # booleans, integers and text as str() writes them
        texts = [neutralised(str(v)) if neutralise_formulas else str(v) for v in uniques]
    else:
        raise TypeError(f"no CSV text rule for dtype {values.dtype}")
    fields = pa.array([*(quote(t) for t in texts), ""], type=pa.large_string())
    return fields.take(pa.array(np.where(codes < 0, len(texts), codes)))


def write_csv(table: pd.DataFrame, path: Path, neutralise_formulas: bool = False) -> None:
    """Write `table` (no index) as `to_csv` would (see the module docstring); text cells and
    headers a spreadsheet would run as formulas are `neutralised` with `neutralise_formulas`."""
    if neutralise_formulas:
        table = table.rename(columns=lambda c: neutralised(str(c)))
    fields = [column_text(table[c], neutralise_formulas) for c in table.columns] or [
        pa.array([""] * len(table), pa.large_string())]  # no columns: an empty line per row
    rows = pc.binary_join_element_wise(*fields, pa.scalar(SEPARATOR, pa.large_string()))
    header = SEPARATOR.join(quote(str(c)) for c in table.columns)
    if len(table.columns) == 1:  # csv writes a lone empty field as '""'
        header, rows = header or '""', pc.if_else(pc.equal(rows, ""), '""', rows)
    with open(path, "wb") as handle:
        handle.write((header + "\n").encode())
        if len(rows):  # every row and a '\n' after each, joined by Arrow
            every = pa.LargeListArray.from_arrays([0, len(rows)], rows)
            handle.write(pc.binary_join(every, pa.scalar("\n", pa.large_string()))[0].as_buffer())
            handle.write(b"\n")
