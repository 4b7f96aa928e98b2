"""`p3k-study verify DIR`: rerun the run that DIR/manifest.json describes and compare.

The rerun reads the raw folder the manifest names (relative paths are taken from the current
folder, as `p3k-study run` wrote them) into a temporary directory with the recorded parameters:
period, seed, reference date (when the run fixed it) and salt (checked by fingerprint; set
`P3K_STUDY_SALT` to the salt of the run). It compares every raw input, processed table and
estimate table by SHA-256. Exit 0 and a short table when everything matches; otherwise exit 1
and a readable diff: which files changed and, for the national estimates, which moved and by how
much. Rendered reports are not re-rendered (see README, "Reproducing a report").
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from p3k_study.errors import UserError
from p3k_study.pipeline import (
    DATA_PATTERNS,
    MANIFEST,
    TIMESTAMP_FIELDS,
    estimate_reproducibly,
    hash_tree,
    row_counts,
    salt_fingerprint,
)

ESTIMATE_KEYS = ("model", "term")
ESTIMATES_FOLDER = "estimates/"
MAX_LISTED = 40


def without_timestamps(data: Any) -> Any:
    """A JSON value (manifest, notebook) with every documented timestamp field removed."""
    if isinstance(data, dict):
        return {k: without_timestamps(v) for k, v in data.items() if k not in TIMESTAMP_FIELDS}
    if isinstance(data, list):
        return [without_timestamps(v) for v in data]
    return data


def _load_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise UserError(f"{path}: no manifest.json here (run `p3k-study run` first)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"{path}: not a readable manifest ({error})") from error
    if not isinstance(manifest, dict) or not {"raw", "processed", "parameters"} <= set(manifest):
        raise UserError(f"{path}: not a p3k-study manifest (raw, processed or parameters missing)")
    return manifest


def _raw_folder(manifest: dict[str, Any], where: Path) -> Path:
    raw = Path(manifest["raw"]["path"])
    if not raw.is_dir():
        raise UserError(f"{where / MANIFEST}: the raw folder it names, {raw}, is not there "
                        "(run verify from the folder the run was started in)")
    return raw


def _config(manifest: dict[str, Any], where: Path) -> Any:
    """The prepare settings of the recorded run; a salt other than the run's is refused."""
    import datetime as dt

    from p3k_study.config import Config

    params = manifest["parameters"]
    config = replace(Config.from_env(), freq=params.get("freq", "semester"))
    recorded_salt = params.get("salt")
    if recorded_salt is not None and recorded_salt != salt_fingerprint(config):
        wanted = ("the public demo salt: unset P3K_STUDY_SALT" if recorded_salt == "demo"
                  else "its own salt: set P3K_STUDY_SALT to it")
        raise UserError(f"{where / MANIFEST}: the run used {wanted}, then verify again")
    if "reference_date" in params:
        pinned = params.get("reference_date_pinned", True)
        date = dt.date.fromisoformat(params["reference_date"]) if pinned else None
        config = replace(config, reference_date=date)
    return config


def compare_hashes(label: str, recorded: dict[str, str], now: dict[str, str],
                   rows: tuple[dict[str, int], dict[str, int]] | None = None) -> list[str]:
    """One line per file that is missing, new or different."""
    lines = []
    was_rows, now_rows = rows or ({}, {})
    for name in sorted(set(recorded) | set(now)):
        where = f"{label}/{name}"
        if name not in now:
            lines.append(f"{where}: " + ("removed since the run" if label == "raw"
                                         else "missing in the rerun"))
        elif name not in recorded:
            lines.append(f"{where}: " + ("added since the run" if label == "raw"
                                         else "new in the rerun"))
        elif recorded[name] != now[name]:
            what = "changed since the run" if label == "raw" else "content differs"
            if name in was_rows and name in now_rows:
                what += f" (rows {was_rows[name]} -> {now_rows[name]})"
            lines.append(f"{where}: {what}")
    return lines


def estimate_moves(before: pd.DataFrame, after: pd.DataFrame, tol: float = 0.0) -> pd.DataFrame:
    """Estimates that moved between two tidy tables, keyed by model and term."""
    keys = list(ESTIMATE_KEYS)
    before = before[[*keys, "estimate"]].drop_duplicates(keys)
    after = after[[*keys, "estimate"]].drop_duplicates(keys)
    merged = before.merge(after, on=keys, how="outer", suffixes=("_was", "_now"), indicator=True)
    merged["change"] = merged["estimate_now"] - merged["estimate_was"]
    moved = (merged["_merge"] != "both") | (merged["change"].abs() > tol)
    return merged.loc[moved, [*keys, "estimate_was", "estimate_now", "change"]].reset_index(
        drop=True)


def _split(files: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    tables = {k: v for k, v in files.items() if not k.startswith(ESTIMATES_FOLDER)}
    estimates = {k: v for k, v in files.items() if k.startswith(ESTIMATES_FOLDER)}
    return tables, estimates


def _table(rows: list[tuple[str, int, int]]) -> list[str]:
    lines = [f"  {'compared':<22} {'recorded':>8} {'matched':>8}"]
    lines += [f"  {label:<22} {total:>8} {same:>8}" for label, total, same in rows]
    return lines


def _matched(recorded: dict[str, str], now: dict[str, str]) -> int:
    return sum(now.get(name) == digest for name, digest in recorded.items())


def verify(folder: Path, out: Callable[[str], Any] = print) -> int:
    """0 when the rerun reproduces every recorded hash, else 1 with a readable diff."""
    from p3k_study.prepare import prepare

    folder = Path(folder)
    manifest = _load_manifest(folder)
    raw = _raw_folder(manifest, folder)
    params = manifest["parameters"]
    config = _config(manifest, folder)
    raw_recorded, raw_now = manifest["raw"]["files"], hash_tree(raw)
    recorded_processed = manifest["processed"]["files"]
    with tempfile.TemporaryDirectory(prefix="p3k-verify-") as tmp:
        processed = Path(tmp) / "processed"
        prepare(raw, processed, freq=config.freq, config=config, progress=False)
        estimate_reproducibly(processed, seed=int(params.get("seed", 20240901)))
        processed_now = hash_tree(processed, DATA_PATTERNS)
        rows_now = row_counts(processed)
        national = pd.read_csv(processed / "estimates" / "national.csv")
    problems = compare_hashes("raw", raw_recorded, raw_now)
    problems += compare_hashes("processed", recorded_processed, processed_now,
                               (manifest["processed"].get("rows", {}), rows_now))
    recorded_estimates = pd.DataFrame(manifest.get("estimates", []),
                                      columns=[*ESTIMATE_KEYS, "estimate"])
    moves = estimate_moves(recorded_estimates, national)
    tables_was, estimates_was = _split(recorded_processed)
    tables_now, estimates_now = _split(processed_now)
    summary = [
        ("raw inputs", len(raw_recorded), _matched(raw_recorded, raw_now)),
        ("processed tables", len(tables_was), _matched(tables_was, tables_now)),
        ("estimate tables", len(estimates_was), _matched(estimates_was, estimates_now)),
        ("national estimates", len(recorded_estimates),
         len(recorded_estimates) - int(moves["estimate_was"].notna().sum())),
    ]
    if not problems and moves.empty:
        out(f"verify: {folder / MANIFEST} reproduced byte for byte")
        for line in _table(summary):
            out(line)
        out("  (not compared: the rendered HTML reports and the manifest's `created` time)")
        return 0
    out(f"verify: {len(problems)} difference(s) between the rerun and {folder / MANIFEST}")
    for line in _table(summary):
        out(line)
    out("files:")
    for line in problems[:MAX_LISTED]:
        out(f"  {line}")
    if len(problems) > MAX_LISTED:
        out(f"  ... and {len(problems) - MAX_LISTED} more")
    if len(moves):
        out(f"estimates that moved ({len(moves)}):")
        shown = moves.rename(columns={"estimate_was": "was", "estimate_now": "now"})
        text = shown.to_string(index=False, float_format=lambda v: f"{v:.6g}", na_rep="-")
        out("\n".join(f"  {line}" for line in text.splitlines()))
    return 1
