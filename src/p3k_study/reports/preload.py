"""Processed tables a batch worker reads once, for the report processes it forks.

A report's forked process (engine.py) starts as a copy of its worker, so tables the worker has
read are in its memory from its first instruction, shared with the worker page by page until
written. Reading the national panel, the ledger and the summary (and converting the code
columns) in every report cost 0.24 s of each. `content.load_processed` takes the tables from
here: once per report, and only while the files still have the SHA-256 they had when the worker
read them. Nothing is preloaded anywhere else (notebooks, kernels, spawned report processes),
so there `load_processed` reads the files as before.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

_held: dict[Path, tuple[dict[str, str], Any]] = {}  # resolved folder -> (hashes, Processed)


def _hashes(folder: Path) -> dict[str, str]:
    from p3k_study.pipeline import sha256_file
    from p3k_study.reports.files import PROCESSED_FILES

    return {name: sha256_file(folder / name) for name in PROCESSED_FILES
            if (folder / name).is_file()}


def preload(folder: str | Path) -> None:
    """Read the processed tables of `folder` into this process (one folder at a time), unless
    they were read already from files with the same bytes."""
    from p3k_study.reports.content import load_processed

    key = Path(folder).resolve()
    hashes = _hashes(key)
    if key in _held and _held[key][0] == hashes:
        return
    _held.clear()
    _held[key] = (hashes, load_processed(key))


def take(folder: str | Path) -> Any | None:
    """The preloaded tables of `folder`, once; None when there are none, or when a file has
    changed since they were read (the caller then reads the files)."""
    if not _held:  # every call outside a forked report process
        return None
    key = Path(folder).resolve()
    held = _held.pop(key, None)
    if held is None or held[0] != _hashes(key):
        return None
    data = held[1]
    return data if data.folder == Path(folder) else dataclasses.replace(data, folder=Path(folder))
