"""Header recognition: the alias tables (reference/data/aliases.csv, also the folder names and
summary labels it holds) and matching headers to canonical names (read.headers)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from p3k_study.clean.common import SUMMARY_LABELS, summary_keys
from p3k_study.ikm import ELEMENTS
from p3k_study.parse import normalise_status
from p3k_study.prepare.files import FOLDER_KINDS, KINDS
from p3k_study.read.headers import (
    ALIASES,
    FALLBACK_ALIASES,
    REQUIRED,
    canonical_names,
    header_key,
    letters_key,
    missing_required,
    vocabulary,
)

DATA_FORMAT = Path(__file__).resolve().parents[1] / "docs" / "data-format.md"


def canonicalise(columns: list[str], kind: str) -> tuple[list[object], dict[str, str]]:
    """`canonical_names` with the alias table and fallback aliases of a table kind."""
    return canonical_names(columns, ALIASES[kind], fallback=FALLBACK_ALIASES.get(kind, ()))


def test_header_key():
    assert header_key("Kab./Kota") == header_key("kab_kota") == header_key("KAB - KOTA")
    assert header_key("TMT Pengangkatan") == "tmtpengangkatan"


def test_canonicalise_pegawai_headers():
    columns = ["NIP/NI PPPK", "Nama Pegawai", "Unit Kerja", "OPD", "Status Kepegawaian",
               "TMT_Pengangkatan", "Kab./Kota", "Catatan", "_row"]
    renamed, mapping = canonical_names(columns, ALIASES["pegawai"])
    assert renamed == ["nip", "nama", "unit_kerja", "OPD", "status", "tmt",
                                     "nama_pemda", "Catatan", "_row"]
    assert mapping["Kab./Kota"] == "nama_pemda" and "OPD" not in mapping
    assert missing_required(renamed, "pegawai") == []  # type: ignore[arg-type]


def test_canonical_name_wins_and_clashing_names_are_moved():
    renamed, mapping = canonical_names(["Unit", "unit_kerja", "NIP", "nip"], ALIASES["pegawai"])
    assert mapping == {"unit_kerja": "unit_kerja", "NIP": "nip"}
    assert renamed == ["Unit", "unit_kerja", "nip", "nip (unused)"]


def test_skm_elements_by_name_not_position():
    named = ["Unit Layanan", "Tanggal", "U1", "Persyaratan", "U8 Sarana",
             "U9 Penanganan Pengaduan", "Waktu Penyelesaian"]
    renamed, mapping = canonicalise(named, "skm")
    assert mapping["Persyaratan"] == "persyaratan" and "U1" not in mapping
    assert mapping["U8 Sarana"] == "sarana"
    assert mapping["U9 Penanganan Pengaduan"] == "pengaduan"
    assert mapping["Tanggal"] == "tanggal_survei"
    elements = [f"U{i}" for i in range(1, 10)]
    bare = ["unit", "periode", *elements, "Kode Daerah"]
    renamed, mapping = canonicalise(bare, "skm")
    assert mapping["U8"] == "pengaduan" and mapping["U9"] == "sarana"
    assert missing_required(renamed, "skm") == []  # type: ignore[arg-type]


def test_missing_required_names_alternatives():
    assert missing_required(["nip", "unit_kerja", "status"], "pegawai") == [
        "kode_pemda or nama_pemda", "tmt",
    ]
    assert "periode or tanggal_survei" in missing_required(["unit_layanan"], "skm")


def test_alias_tables_are_unambiguous():
    assert set(ALIASES) == set(REQUIRED) == {"pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja"}
    for kind, table in ALIASES.items():
        owner: dict[str, str] = {}
        for canonical, names in table.items():
            keys = [header_key(name) for name in [canonical, *names]]
            assert len(set(keys)) == len(keys), (kind, canonical)  # no alias listed twice
            for name in [canonical, *names]:
                key = header_key(name)
                assert owner.setdefault(key, canonical) == canonical, (kind, name)
        for need in REQUIRED[kind]:
            for column in (need,) if isinstance(need, str) else need:
                assert column in table, (kind, column)
    assert FALLBACK_ALIASES["skm"] <= {header_key(a) for a in ALIASES["skm"]["persyaratan"]} | {
        f"u{i}" for i in range(1, 10)
    }


def test_precedence_holds_in_a_sheet_wider_than_ten_thousand_columns():
    """The canonical name outranks an alias wherever the columns stand (the rank was once
    folded into `rank * 10_000 + position`, which let position win past 10,000 columns)."""
    filler = [f"c{i}" for i in range(10_000)]
    _, mapping = canonical_names(["OPD", *filler, "unit_kerja"], ALIASES["pegawai"])
    assert mapping["unit_kerja"] == "unit_kerja" and "OPD" not in mapping


def test_every_row_of_the_aliases_file_is_usable():
    """A row of reference/data/aliases.csv with a mistyped table, a column name that is not one
    or a name that matches nothing would otherwise be dropped or invent a column silently."""
    tables = vocabulary()
    assert set(tables) == {*KINDS, "folder", "summary_row", "sheet", "month", "weekday",
                           "excel_error", "placeholder", "row_number", "skm_question",
                           "skm_answer", "status"}
    assert set(tables["sheet"]) == {"not_data"}
    others = tables["status"]["other"]  # written as a status is keyed, all read as other staff
    assert set(tables["status"]) == {"other"}
    assert all(re.fullmatch(r"[a-z0-9]+(?: [a-z0-9]+)*", status) for status in others)
    assert set(normalise_status(pd.Series(others))) == {"OTHER"}
    assert set(tables["month"]) == {str(month) for month in range(1, 13)}
    assert set(tables["weekday"]) == {"name"} and set(tables["excel_error"]) == {"cell"}
    assert set(tables["placeholder"]) == {"none"}
    assert set(tables["row_number"]) == {"row", "respondent"}
    assert set(tables["skm_question"]) == set(ELEMENTS)  # a typo would invent an element
    answer_column = re.compile(rf"(?:(?:{'|'.join(ELEMENTS)}) )?[1-4]")
    assert all(answer_column.fullmatch(column) for column in tables["skm_answer"])
    assert set(tables["folder"]) == set(KINDS)
    assert set(tables["summary_row"]) == {"average", "total", "prefix"}
    for kind in KINDS:
        for column, names in tables[kind].items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", column), (kind, column)
            assert all(header_key(name) for name in names), (kind, column)
    assert all(letters_key(name) for names in tables["folder"].values() for name in names)
    labels = sorted(SUMMARY_LABELS)
    assert all(labels) and summary_keys(pd.Series(labels, dtype="string")).tolist() == labels


def test_the_aliases_the_data_format_shows_are_accepted():
    """The alias tables, folder names and summary labels of docs/data-format.md are all in
    reference/data/aliases.csv, each for its column, kind or summary rows."""
    doc = DATA_FORMAT.read_text(encoding="utf-8")
    shown = 0
    for section in doc.split("\n## ")[1:]:
        kinds = list(ALIASES) if section.startswith("Region columns") else [
            kind for kind in KINDS if section.startswith(f"`{kind}/`")]
        for table in re.findall(r"^\| column \|.*\n\|[-|]+\n(?:\|.*\n)+", section, re.M):
            header, _, *rows = table.splitlines()
            at = [cell.strip() for cell in header.split("|")].index("aliases")
            for row in rows:
                cells = row.split("|")
                columns = re.findall(r"`(\w+)`", cells[1])
                for name in re.split(r", | / |[()]", cells[at].replace("`% ...`", "")):
                    if name.strip() in ("", "as above", "also"):
                        continue
                    shown += 1
                    assert all(any(header_key(name) in {header_key(a) for a in [
                        column, *ALIASES[kind].get(column, [])]} for column in columns)
                        for kind in kinds), (kinds, columns, name)
    assert shown > 60
    folders = doc[doc.index("Folders may also"):doc.index("Files in sub-folders")]
    named = re.findall(r"((?:`[^`]+/`,?\s)+)(?:are|is)\s`(\w+)/`", folders)
    assert {kind for _, kind in named} == set(KINDS)
    for names, kind in named:
        for name in re.findall(r"`([^`]+)/`", names):
            assert FOLDER_KINDS.get(letters_key(name)) == kind, name
    labels = doc[doc.index("`RATA-RATA`"):doc.index("### Duplicates")]
    shown = pd.Series(re.findall(r"`([^`]+)`", labels), dtype="string")
    assert set(summary_keys(shown)) <= SUMMARY_LABELS
