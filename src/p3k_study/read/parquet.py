"""Parquet -> RawSheet: every column as text, under its name as the header row (row 1)."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from p3k_study.errors import UnreadableFile
from p3k_study.read.sheet import RawSheet, build_sheet, empty_as_null
from p3k_study.read.xlsx import cell_text


def read_parquet(path: Path) -> RawSheet:
    """The table with its column names as header row, through `build_sheet` like every format
    (data rows are rows 2, 3, ...; pandas' index columns are left out). Values become text by
    Arrow's cast, or `cell_text` for types Arrow cannot cast. Raises UnreadableFile for a file
    that is not Parquet."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise UnreadableFile(path, f"not a readable Parquet file ({error})") from error
    names = [n for n in table.column_names if not re.fullmatch(r"__index_level_\d+__", n)]
    columns = []
    for name in names:
        column = table.column(name)
        try:
            text = pc.cast(column, pa.large_string()).chunks
        except (pa.ArrowException, ValueError):
            text = [pa.array([cell_text(v) for v in column.to_pylist()], pa.large_string())]
        columns.append(empty_as_null(pa.chunked_array([pa.array([name], pa.large_string()),
                                                       *text], pa.large_string())))
    return build_sheet(path, None, pa.table(columns, names=list(map(str, range(len(names))))))
