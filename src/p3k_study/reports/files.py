"""Safe file names and atomic writes for report outputs.

A name built from data (a region code or name) is reduced to letters, digits, '.', '_' and '-'
and can never climb out of the output folder. A file is written to a temporary file in its own
folder and moved into place with `os.replace`, so a reader sees either the old file or the new
complete one, never half of it.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

PROCESSED_FILES = ("panel.parquet", "units.parquet", "rejects.parquet", "cleaning_summary.json")
SUMMARY_FILE = "region_summary.json"  # a report's key numbers, written by its notebook
NATIONAL_FILE = "national.json"  # the national headline every report of a batch shows

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_SLUG = 80


def safe_slug(*parts: object) -> str:
    """'32.01', 'Kabupaten Bogor' -> '32.01-kabupaten-bogor'; '../../etc' -> 'etc'.

    Never empty, never '.' or '..', never starting with '.' or '-' (no hidden files, no options).
    """
    words = []
    for part in parts:
        text = unicodedata.normalize("NFKD", str(part)).encode("ascii", "ignore").decode()
        text = _UNSAFE.sub("-", text.strip().lower())
        text = re.sub(r"\.{2,}", "-", text)  # no '..' anywhere
        text = re.sub(r"-{2,}", "-", text).strip(".-_")
        if text:
            words.append(text)
    slug = "-".join(words)[:MAX_SLUG].strip(".-_")
    return slug or "region"


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing any result that is not strictly inside `folder`."""
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if path == root or root not in path.parents:
        raise ValueError(f"{name!r} would leave the output folder {root}")
    return path


def _file_mode() -> int:
    """The mode `open()` would give a new file under the current umask (e.g. 0o644)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` via a temporary file in the same folder and os.replace.

    The file gets the usual permissions (not mkstemp's owner-only 0o600), so reports can be
    published as they are.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """UTF-8 text version of atomic_write_bytes."""
    return atomic_write_bytes(path, text.encode("utf-8"))
