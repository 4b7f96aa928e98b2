"""File writers: CSV in several locales/encodings, a small deterministic XLSX writer, checksums.

The XLSX writer builds the Office Open XML parts directly (inline strings, numbers, error
cells and a date style), vectorised per column: openpyxl is far too slow for national scale and
stamps the current time. Zip entries carry a fixed timestamp, so output is byte-identical.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from p3k_study.simulate.messy import ERROR_CELLS, FORCE_NUMBER

FIXED_ZIP_TIME = (2025, 12, 31, 0, 0, 0)
FIXED_ISO_TIME = "2025-12-31T00:00:00Z"
CSV_DIALECTS = {  # fmt -> (separator, encoding, line terminator)
    "csv_id": (";", "cp1252", "\r\n"),
    "csv_bom": (";", "utf-8-sig", "\r\n"),
    "csv_plain": (",", "utf-8", "\n"),
    "tsv": ("\t", "utf-8", "\n"),
}


def write_csv(path: Path, frame: pd.DataFrame, fmt: str) -> None:
    """All-string frame -> CSV in the dialect of `fmt` (minimal quoting)."""
    sep, encoding, terminator = CSV_DIALECTS[fmt]
    text = frame.to_csv(sep=sep, index=False, lineterminator=terminator)
    path.write_bytes(text.encode(encoding))


def _column_letter(k: int) -> str:
    letters = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _escape(values: np.ndarray) -> np.ndarray:
    """XML-escape an object array of strings (only when some value needs it)."""
    unique = set(values.tolist())
    if not any(("&" in v) or ("<" in v) or (">" in v) for v in unique):
        return values
    mapping = {v: v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               for v in unique}
    return np.array([mapping[v] for v in values], dtype=object)


def _sheet_xml(frame: pd.DataFrame, numeric: set[str], dated: set[str]) -> bytes:
    """One worksheet: header row of strings, then the data rows.

    Cells of `numeric`/`dated` columns that parse as numbers become number cells (dated ones with
    the date style); Excel error texts become error cells; values starting with FORCE_NUMBER are
    number cells; everything else is an inline string. Empty cells are left out. Works on numpy
    object arrays (elementwise string concatenation), not pandas string Series, for speed.
    """
    n = len(frame)
    row_numbers = np.arange(2, n + 2).astype(str).astype(object)
    cells = np.full(n, "", dtype=object)
    header = []
    for k, column in enumerate(frame.columns):
        letter = _column_letter(k)
        header.append(f'<c r="{letter}1" t="inlineStr"><is><t>{column}</t></is></c>')
        raw = frame[column].to_numpy(dtype=object)
        values = np.where(pd.isna(raw), "", raw).astype(str).astype(object)
        ref = '<c r="' + letter + row_numbers
        codes, uniques = pd.factorize(values)
        uniques = np.asarray(uniques, dtype=object)
        is_error = np.isin(uniques, ERROR_CELLS)[codes]
        forced_any = FORCE_NUMBER in "".join(uniques.tolist())
        forced = np.array([v.startswith(FORCE_NUMBER) for v in uniques], dtype=bool)[codes] \
            if forced_any else np.zeros(n, dtype=bool)
        if column in numeric or column in dated:
            parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
            as_number = parsed.notna().to_numpy()[codes] & ~is_error
        else:
            as_number = np.zeros(n, dtype=bool)
        cell = ref + '" t="inlineStr"><is><t>' + _escape(values) + "</t></is></c>"
        if as_number.any() or forced.any():
            style = ' s="1"' if column in dated else ""
            stripped = np.array([v.lstrip(FORCE_NUMBER) for v in values], dtype=object) \
                if forced_any else values
            number_cell = ref + '"' + style + "><v>" + stripped + "</v></c>"
            cell = np.where(as_number | forced, number_cell, cell)
        if is_error.any():
            cell = np.where(is_error, ref + '" t="e"><v>' + values + "</v></c>", cell)
        cell = np.where(values == "", "", cell)
        cells = cells + cell
    rows = '<row r="' + row_numbers + '">' + cells + "</row>"
    body = "".join(rows.tolist())
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<dimension ref="A1:{_column_letter(max(len(frame.columns) - 1, 0))}{n + 1}"/>'
           f'<sheetData><row r="1">{"".join(header)}</row>{body}</sheetData></worksheet>')
    return xml.encode("utf-8")


def write_xlsx(path: Path, sheets: list[tuple[str, pd.DataFrame]], numeric: set[str],
               dated: set[str]) -> None:
    """Write a workbook, one (name, all-string frame) per sheet, with fixed metadata."""
    ns = "http://schemas.openxmlformats.org"
    parts: list[tuple[str, bytes]] = []
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    parts.append(("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        f'package.core-properties+xml"/>{overrides}</Types>').encode()))
    parts.append(("_rels/.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{ns}/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/></Relationships>').encode()))
    parts.append(("docProps/core.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<cp:coreProperties xmlns:cp="{ns}/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dc:creator>p3k-study simulator (synthetic data)</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_ISO_TIME}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_ISO_TIME}</dcterms:modified>'
        '</cp:coreProperties>').encode()))
    sheet_entries = "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
        for i, (name, _) in enumerate(sheets, start=1))
    parts.append(("xl/workbook.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships">'
        f'<sheets>{sheet_entries}</sheets></workbook>').encode()))
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="{ns}/officeDocument/2006/'
             'relationships/styles" Target="styles.xml"/>')
    parts.append(("xl/_rels/workbook.xml.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">{rels}</Relationships>'
    ).encode()))
    parts.append(("xl/styles.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        '</cellStyles></styleSheet>').encode()))
    for i, (_, frame) in enumerate(sheets, start=1):
        parts.append((f"xl/worksheets/sheet{i}.xml", _sheet_xml(frame, numeric, dated)))
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=6)


def write_checksums(folder: Path) -> Path:
    """SHA256SUMS for every file under `folder` (paths relative to it, sorted)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    lines.sort(key=lambda line: line.split("  ", 1)[1])
    target = folder / "SHA256SUMS"
    target.write_text("".join(lines), encoding="utf-8")
    return target
