"""Small hand-made raw datasets for the cleaning tests."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

from p3k_study.ikm import ELEMENTS

ROSTER_HEADER = ["Kode Wilayah", "Kab/Kota", "NIP", "Nama", "Unit Kerja", "Status", "TMT",
                 "Akhir Kontrak"]

# NIPs used in the fixtures: (birth date, appointment, kind digit, sex, sequence)
NIP_PNS_1 = "19860601 201012 1 004"
NIP_PNS_2 = "197501012000031002"
NIP_PPPK_1 = "199001012022212001"
NIP_PPPK_2 = "199202022023212003"
NIP_PPPK_3 = "198803032024211005"
NAMES = ["Budi Santoso", "Siti Rahmawati", "Ahmad Fauzi", "Dewi Lestari", "Rudi Hartono"]


def write_csv(path: Path, header: list[str], rows: list[list[str]], sep: str = ";",
              encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def roster_rows() -> list[list[str]]:
    """Five good rows in Kab. Bogor (32.01): education and health."""
    return [
        ["32.01", "", NIP_PNS_1, NAMES[0], "Dinas Pendidikan", "PNS", "01/12/2010", ""],
        ["", "KAB. BOGOR", NIP_PNS_2, NAMES[1], "Dinas Kesehatan", "PNS", "2000-03-01", ""],
        ["3201", "", NIP_PPPK_1, NAMES[2], "Dinas Pendidikan dan Kebudayaan", "PPPK",
         "01/03/2022", ""],
        ["32.01", "", NIP_PPPK_2, NAMES[3], "Dinkes", "P3K", "15 Agustus 2023", ""],
        ["32.01", "", NIP_PPPK_3, NAMES[4], "Dinas Pendidikan", "PPPK Paruh Waktu",
         "2024-02-01", "31/12/2024"],
    ]


def skm_frame(unit: str, period: str, answers: list[list[int]], region: str = "32.01",
              population: str = "") -> pd.DataFrame:
    rows = []
    for a in answers:
        rows.append({"Kode Wilayah": region, "Unit Layanan": unit, "Periode": period,
                     **{e.title(): str(v) for e, v in zip(ELEMENTS, a, strict=True)},
                     "Populasi": population})
    return pd.DataFrame(rows)


def write_dataset(raw: Path) -> Path:
    """A complete small dataset: roster (CSV ';', cp1252), SKM (two-sheet XLSX), IKM (CSV)."""
    write_csv(raw / "pegawai" / "roster.csv", ROSTER_HEADER, roster_rows(), encoding="cp1252")
    (raw / "skm").mkdir(parents=True)
    with pd.ExcelWriter(raw / "skm" / "skm.xlsx") as writer:
        skm_frame("Dinas Pendidikan", "Semester I 2023", [[4] * 9, [3] * 9]).to_excel(
            writer, sheet_name="2023", index=False)
        skm_frame("Dinkes", "Semester II 2024", [[3] * 9, [3] * 9, [2] * 9]).to_excel(
            writer, sheet_name="2024", index=False)
    write_csv(raw / "ikm" / "ikm.csv", ["kode_pemda", "unit_layanan", "periode", "ikm", "mutu"],
              [["32.01", "Dinas Kesehatan", "Smt II/2023", "80,11", "B"],
               ["32.01", "Dinas Pendidikan", "Semester I 2023", "70,00", "C"]])
    return raw


def sheet(header: list[str], rows: list[list[str]], source_file: str = "f.csv",
          name: str | None = None, dropped: list[tuple[int, str]] | None = None):
    """An in-memory read.RawSheet: text cells ('' = empty), rows numbered from 2."""
    from p3k_study.read import RawSheet

    frame = pd.DataFrame(rows, columns=header, dtype=object).astype("str")
    frame = frame.where(frame != "")
    frame["_row"] = pd.Series(range(2, 2 + len(rows)), dtype="int64")
    return RawSheet(source_file, name, frame, 1, dropped=dropped or [])


DATA_FORMAT = Path(__file__).resolve().parents[1] / "docs" / "data-format.md"


def ledger_reasons_documented() -> list[str]:
    """The reasons of docs/data-format.md's "Every reason in the ledger", as written there
    (`<...>`: the part that varies)."""
    doc = DATA_FORMAT.read_text(encoding="utf-8")
    section = doc[doc.index("### Every reason in the ledger"):doc.index("## Estimate tables")]
    return re.findall(r"^\| `(.+?)` \|", section, re.M)


@functools.cache
def documented_reasons() -> re.Pattern[str]:
    """`ledger_reasons_documented` as one pattern (a `<...>` part: any text)."""
    return re.compile("|".join("".join(".+?" if part.startswith("<") else re.escape(part)
                                       for part in re.split(r"(<[^>]+>)", reason))
                               for reason in ledger_reasons_documented()))


def undocumented(reasons: pd.Series) -> list[str]:
    """The distinct `reasons` that docs/data-format.md does not list."""
    return [r for r in reasons.dropna().unique() if not documented_reasons().fullmatch(str(r))]
