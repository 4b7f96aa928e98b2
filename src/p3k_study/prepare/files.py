"""Which files of a raw dataset folder are read, and as which kind of table.

Each top-level sub-folder is one kind (`KINDS`). A folder named otherwise is matched through
`FOLDER_KINDS` the way headers are matched (case, spaces, punctuation and digits ignored:
'Data Pegawai', 'data-pegawai', '01_Pegawai 2024' are one name). Table files anywhere else (an
unknown folder, the top of the dataset) are not read: `DatasetFiles.ignored` lists them, and
`prepare` writes them to the cleaning summary with a warning.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from p3k_study.config import DATASET_MARKER, DatasetMarker, read_dataset_marker
from p3k_study.errors import DataError, DatasetError
from p3k_study.read import CSV_SUFFIXES, PARQUET_SUFFIXES, XLSX_SUFFIXES
from p3k_study.read.headers import letters_key, vocabulary
from p3k_study.reference.regions import code_edition

KINDS: tuple[str, ...] = ("pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja")
TABLE_SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES | {".xls", ".ods", ".zip"}
"""Files that hold or may hold tables (a LibreOffice sheet, a zip of them): read, or named."""

FOLDER_KINDS: dict[str, str] = {letters_key(name): kind for kind in KINDS
                                for name in (kind, *vocabulary()["folder"][kind])}
"""The kind of a folder, by the `letters_key` of its name: the kind itself or a folder name
accepted for it (the 'folder' rows of `reference/data/aliases.csv`)."""


@dataclass(frozen=True)
class DatasetFiles:
    """The table files of a dataset folder: (kind, path) in `KINDS` order, by path within a
    kind; `ignored`: table files in no kind's folder, relative POSIX paths; `marker`: its
    `dataset.json` (`config.read_dataset_marker`); `edition`: the decree edition of its region
    codes (dataset.json's `code_edition`, `regions.code_edition`)."""

    files: list[tuple[str, Path]]
    ignored: list[str]
    marker: DatasetMarker
    edition: str | None
    given: dict[str, dict[str, str]]
    """{file: {column: value}}: the columns dataset.json's `file_columns` gives the file."""


def _is_table(path: Path) -> bool:
    return (path.is_file() and path.suffix.lower() in TABLE_SUFFIXES
            and not path.name.startswith((".", "~$")))


def dataset_files(raw: Path, marker: DatasetMarker | None = None) -> DatasetFiles:
    """Every table file under `raw`, with its kind; hidden files and Excel lock files skipped.
    `marker`: `read_dataset_marker(raw)` when already read.

    Raises `DataError` when the folder does not exist or holds no staff folder (pegawai/ or
    jumlah_pegawai/), `UserError` for a dataset.json that cannot be used."""
    raw = Path(raw)
    if not raw.is_dir():
        raise DataError(raw, "raw dataset folder not found")
    found: dict[str, list[Path]] = {}
    ignored: list[Path] = []
    for entry in sorted(raw.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            kind = FOLDER_KINDS.get(letters_key(entry.name))
            (ignored if kind is None else found.setdefault(kind, [])).extend(
                sorted(p for p in entry.rglob("*") if _is_table(p)))
        elif _is_table(entry):
            ignored.append(entry)
    if not found.get("pegawai") and not found.get("jumlah_pegawai"):
        raise DataError(raw, "no staff files: put a roster in pegawai/ or counts in "
                        "jumlah_pegawai/ (see docs/data-format.md)")
    marker = marker or read_dataset_marker(raw)
    files = [(kind, path) for kind in KINDS for path in sorted(found.get(kind, []))]
    names = [path.relative_to(raw).as_posix() for _, path in files]
    return DatasetFiles(files, [p.relative_to(raw).as_posix() for p in ignored], marker,
                        code_edition(marker.data), given_columns(raw, marker, names))


def given_columns(raw: Path, marker: DatasetMarker, names: list[str]
                  ) -> dict[str, dict[str, str]]:
    """dataset.json's `file_columns` ({file or folder: {column: value}}, as a survey app's
    export of one unit lacks its region and unit) per file of `names`: a folder's columns for
    each file under it, a file's own over its folder's. Raises `DatasetError` for a value that
    is not such an object, a value that is not text (34.02 for "34.02"), a path given twice
    ('skm/dinkes' and 'skm/dinkes/'), or a file or folder that holds none of the dataset's
    tables."""
    given = marker.data.get("file_columns", {})
    if not isinstance(given, dict) or not all(isinstance(c, dict) for c in given.values()):
        raise DatasetError(raw / DATASET_MARKER, 'not an object such as {"skm/dinkes.csv": '
                           '{"kode_pemda": "34.02", "unit_layanan": "Dinas Kesehatan"}}',
                           key="file_columns")
    if not_text := next(((key, column, value) for key, columns in given.items()
                         for column, value in columns.items() if not isinstance(value, str)),
                        None):
        key, column, value = not_text
        raise DatasetError(raw / DATASET_MARKER, f"{key}: the value of {column!r} is "
                           f"{json.dumps(value)}, not text: write it in quotes (a code as "
                           '"34.02", so that its digits stay as written)', key="file_columns")
    paths = Counter(key.strip("/") for key in given)
    if twice := sorted(key for key in given if paths[key.strip("/")] > 1):
        raise DatasetError(raw / DATASET_MARKER, f"{' and '.join(twice)} name one path: give "
                           "its columns once", key="file_columns")
    under = {key: [n for n in names if f"{n}/".startswith(f"{key.strip('/')}/")] for key in given}
    if missing := [key for key, found in under.items() if not found]:
        raise DatasetError(raw / DATASET_MARKER, f"{', '.join(missing)}: no table file of the "
                           "dataset is, or is under, this path", key="file_columns")
    columns: dict[str, dict[str, str]] = {}
    for key in sorted(given, key=lambda key: len(key.strip("/"))):  # a folder's, then a file's
        for name in under[key]:
            columns.setdefault(name, {}).update(given[key])
    return columns


def ignored_warning(ignored: list[str]) -> str | None:
    """One line naming the folders whose table files were not read (None when there are none)."""
    if not ignored:
        return None
    folders = Counter(name.split("/")[0] + "/" if "/" in name else name for name in ignored)
    listed = ", ".join(f"{top} ({n} file{'s' if n > 1 else ''})" for top, n in folders.items())
    return (f"{len(ignored)} table file(s) not read, in no folder p3k-study knows: {listed}; "
            f"put each in a folder named for its kind ({', '.join(KINDS)}; see "
            "docs/data-format.md)")
