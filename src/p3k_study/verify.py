"""`p3k-study verify DIR`: rerun the run that DIR/manifest.json describes and compare.

The rerun reads the same raw folder into a temporary directory with the recorded parameters,
then compares every data output by SHA-256. On a mismatch it prints which files changed and,
for estimate tables, which estimates moved and by how much.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from p3k_study.errors import UserError
from p3k_study.pipeline import MANIFEST, estimate_all, hash_tree

ESTIMATE_KEYS = ("model", "term")


def _load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        raise UserError(f"{path}: no manifest.json here (run `p3k-study run` first)")
    return json.loads(path.read_text(encoding="utf-8"))


def _compare_hashes(label: str, recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(set(recorded) | set(now)):
        if name not in now:
            lines.append(f"{label}/{name}: missing in the rerun")
        elif name not in recorded:
            lines.append(f"{label}/{name}: new in the rerun")
        elif recorded[name] != now[name]:
            lines.append(f"{label}/{name}: content differs")
    return lines


def estimate_moves(before: pd.DataFrame, after: pd.DataFrame, tol: float = 0.0) -> pd.DataFrame:
    """Estimates that moved between two tidy tables, keyed by model and term."""
    merged = before.merge(after, on=list(ESTIMATE_KEYS), how="outer", suffixes=("_was", "_now"),
                          indicator=True)
    merged["change"] = merged["estimate_now"] - merged["estimate_was"]
    moved = (merged["_merge"] != "both") | (merged["change"].abs() > tol)
    return merged.loc[moved, [*ESTIMATE_KEYS, "estimate_was", "estimate_now", "change"]]


def verify(folder: Path, out=print) -> int:
    """0 when the rerun reproduces every recorded hash, else 1 with a readable diff."""
    from p3k_study.config import Config
    from p3k_study.prepare import prepare

    manifest = _load_manifest(folder)
    raw = Path(manifest["raw"]["path"])
    params = manifest["parameters"]
    problems = _compare_hashes("raw", manifest["raw"]["files"], hash_tree(raw))
    recorded_processed = manifest["processed"]["files"]
    with tempfile.TemporaryDirectory(prefix="p3k-verify-") as tmp:
        processed = Path(tmp) / "processed"
        prepare(raw, processed, freq=params.get("freq", "semester"), config=Config.from_env(),
                progress=False)
        estimate_all(processed, seed=int(params.get("seed", 20240901)))
        problems += _compare_hashes(
            "processed", recorded_processed, hash_tree(processed, ("*.parquet", "*.csv", "*.json"))
        )
        moves = estimate_moves(
            pd.DataFrame(manifest.get("estimates", []), columns=[*ESTIMATE_KEYS, "estimate"]),
            pd.read_csv(processed / "estimates" / "national.csv"),
        )
    rows = [("raw files", len(manifest["raw"]["files"])),
            ("processed and estimate files", len(recorded_processed))]
    if not problems:
        out("verify: every recorded output was reproduced byte for byte")
        for label, count in rows:
            out(f"  {label:<30} {count:>5} match")
        return 0
    out(f"verify: {len(problems)} difference(s) from {folder / MANIFEST}")
    for line in problems:
        out(f"  {line}")
    if len(moves):
        out("estimates that moved:")
        out(moves.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    return 1
