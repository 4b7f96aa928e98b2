"""CSV text (.csv, .txt, .tsv) -> RawSheet, parsed by pyarrow.csv.

Encodings: UTF-8 (with or without BOM), Windows-1252, a mix of the two line by line, or UTF-16
with a BOM (Excel's 'Unicode text'). The separator (';', ',', tab or '|') is sniffed from the
first 50 lines (within the first 64 KB). Records end at a line break (LF, CRLF or CR) outside
quotes; a blank line is a record too, so `_row` is the record number a spreadsheet shows
(Excel's 'sep=;' first line is a setting, not a record: row 1 is the line after it). Rows
may be ragged: short rows are padded, long ones widen the table. A quote opened and never closed
would swallow the following lines into one cell: when a cell holds a line break and the
separator, the file is read again with quotes as plain text (one record per line, a cell wholly
inside quotes loses them), so no line vanishes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from p3k_study.errors import UnreadableFile
from p3k_study.read.sheet import RawSheet, build_sheet, empty_as_null, grid_cells


def read_csv(path: Path) -> RawSheet:
    """The file's one table (`RawSheet.reason` says why it holds none). Raises UnreadableFile
    for a file that is not text (empty, binary)."""
    text, encoding = _decode(path, path.read_bytes())
    text = _EXCEL_SEPARATOR_LINE.sub("", text, count=1)
    separator, fields = sniff(text[:1 << 16].splitlines())
    data = text.encode("utf-8")
    quoted = b'"' in data
    table = _records(data, separator, fields, quoted=quoted)
    lines = len(data.splitlines()) if quoted else 0  # split at LF, CR and CRLF
    stray = table is None  # quotes that do not parse, or a quote never closed (module docstring)
    if table is not None and table.num_rows < lines:  # so some cell holds a line break
        cells = grid_cells(table)
        breaks = pc.or_(pc.match_substring(cells, "\n"), pc.match_substring(cells, "\r"))
        stray = bool(pc.any(pc.and_(breaks, pc.match_substring(cells, separator))).as_py())
    if stray:
        table = _records(data, separator, fields, quoted=False)
        assert table is not None  # without quotes every record parses
        table = pa.table([_unquote(c) for c in table.columns], names=table.column_names)
    return build_sheet(path, None, table, encoding=encoding, separator=separator)


_EXCEL_SEPARATOR_LINE = re.compile(r"\Asep=.[^\S\r\n]*(?:\r\n|\n|\r)", re.IGNORECASE)
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding): UTF-16 after its BOM, else UTF-8 (after a BOM, if any), else
    Windows-1252, else line by line ('mixed'). Raises UnreadableFile for an empty or binary
    file."""
    head = raw[:8192]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise UnreadableFile(path, f"starts like UTF-16 text but does not decode "
                                 f"({error.reason} at byte {error.start})") from error
    elif head.startswith(b"PK\x03\x04"):
        raise UnreadableFile(path, "this is a zip/Excel file, not CSV text (rename it to .xlsx?)")
    elif head.startswith(b"PAR1"):
        raise UnreadableFile(path, "this is a Parquet file, not CSV text")
    elif b"\x00" in raw or (head and controls / len(head) > 0.05):
        raise UnreadableFile(path, "binary content, not a text table")
    else:
        try:
            text = raw.decode("utf-8-sig")
            encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
        except UnicodeDecodeError:
            lines, utf8_non_ascii = [], False
            for line in raw.removeprefix(codecs.BOM_UTF8).split(b"\n"):
                try:
                    lines.append(line.decode("utf-8"))
                    utf8_non_ascii = utf8_non_ascii or not line.isascii()
                except UnicodeDecodeError:
                    lines.append(line.decode("cp1252", errors="replace"))
            text, encoding = "\n".join(lines), "mixed" if utf8_non_ascii else "cp1252"
    if not text.strip():
        raise UnreadableFile(path, "empty file")
    if "\x00" in text:
        raise UnreadableFile(path, "binary content, not a text table")
    return text, encoding


_QUOTED = re.compile(r'"[^"]*("|$)')


def sniff(lines: Iterable[str]) -> tuple[str, int]:
    """(separator, fields): the separator among ';', ',', tab and '|' that splits the first
    non-empty lines into the same number of fields most consistently (counting outside
    quotes), and that number. (',', 1) if none appears."""
    sample = [_QUOTED.sub("", line) for line in [x for x in lines if x.strip()][:50]]

    def score(separator: str) -> tuple[float, int]:  # (share of lines with the mode, the mode)
        counts = [line.count(separator) for line in sample]
        mode = max(dict.fromkeys(c for c in counts if c), key=counts.count, default=0)
        return (sum(c == mode for c in counts) / len(counts), mode) if mode else (0.0, 0)

    best = max((";", ",", "\t", "|"), key=score)  # the first of the best
    return (best, score(best)[1] + 1) if score(best)[1] else (",", 1)


def _records(data: bytes, separator: str, fields: int, *, quoted: bool) -> pa.Table | None:
    """The records of UTF-8 CSV text, in order, as columns of text (null = empty), as wide as
    the widest record (shorter ones padded); None if its quotes do not parse.

    pyarrow reads `fields` columns and hands each record of another width to a handler, which
    keeps its text; those records are read again grouped by width and put back in place."""
    other: list[tuple[int, int, str]] = []

    def keep(row: pacsv.InvalidRow) -> str:
        other.append((row.number, row.actual_columns, row.text))
        return "skip"

    names = [str(i) for i in range(fields)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(len(data), 1 << 20)),
            parse_options=pacsv.ParseOptions(
                delimiter=separator, quote_char='"' if quoted else False, double_quote=True,
                escape_char=False, newlines_in_values=quoted, ignore_empty_lines=False,
                invalid_row_handler=keep),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), null_values=[""],
                strings_can_be_null=True))
    except pa.ArrowInvalid:  # a quote still open at the end of the text
        return None
    if not other:
        return table
    numbers = np.array([n for n, _, _ in other]) - 1  # 0-based record positions
    pieces = [(np.setdiff1d(np.arange(table.num_rows + len(other)), numbers), table)]
    for width in sorted({w for _, w, _ in other}):
        group = [(n, text) for n, w, text in other if w == width]
        again = _records("\n".join(t for _, t in group).encode(), separator, width,
                         quoted=quoted)
        if again is None or again.num_rows != len(group):  # quotes that read otherwise alone
            return None
        pieces.append((np.array([n for n, _ in group]) - 1, again))
    # columns '0', '1', ... of every piece, as wide as the widest (the others padded with nulls)
    wide = pa.concat_tables([t for _, t in pieces], promote_options="default")
    return wide.take(np.argsort(np.concatenate([at for at, _ in pieces]), kind="stable"))


def _unquote(cells: pa.ChunkedArray) -> pa.ChunkedArray:
    """A cell wholly inside quotes without them, doubled quotes single ('"a""b"' -> 'a"b')."""
    whole = pc.and_(pc.and_(pc.starts_with(cells, '"'), pc.ends_with(cells, '"')),
                    pc.greater_equal(pc.utf8_length(cells), 2))
    inner = pc.replace_substring(pc.utf8_slice_codeunits(cells, 1, -1), '""', '"')
    return empty_as_null(pc.if_else(whole, inner, cells))
