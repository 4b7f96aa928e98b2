"""Coverage of the regional headline's interval on simulated regions with known truth.

Simulates demo-scale worlds (30 pemda each) with `p3k-study simulate`, takes each world's truth
panel (the panel a correct cleaner builds, with every unit-period's true effect) and runs the
regional headline estimator on every pemda exactly as a report does
(`p3k_study.reports.analysis.headline`, min_treated 5). Renders nothing.

For each region: the estimate, its 95% interval (t(G-1)), and the true value of the same
estimand (the mean true effect over the imputed unit-periods: `truth_regions.csv`'s att_true).
Prints coverage (with its Monte Carlo SE), the bias in SE units, the SE ratio (mean SE over
the SD of the errors), the mean interval width, the regions that could not be estimated and
why, and the coverage of the simultaneous band over each region's post-period profile.

    .venv/bin/python benchmarks/sim_region.py --seeds 1-17 --work /tmp/sim_region

`--se bjs` replaces the headline's jackknife by BJS (2024) Theorem 3's conservative variance
(`did_imputation(..., se="bjs")`, normal intervals) on the same estimate; `--min-comparison N`
estimates with N in place of the headline's MIN_COMPARISON (1: every imputable period). Either
calls `did_imputation` directly with the headline's other settings (leads, min_treated,
clustered by unit).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from p3k_study.estimate.imputation import did_imputation, imputable_observations
from p3k_study.reports.analysis import LEADS, MIN_COMPARISON, MIN_TREATED, headline


def seeds_from(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def truth_folder(work: Path, seed: int) -> Path:
    """The truth folder of seed `seed`, simulated if missing."""
    truth = work / f"truth_{seed}"
    if not (truth / "truth_regions.csv").is_file():
        subprocess.run([sys.executable, "-m", "p3k_study", "simulate", "-q", "--scale", "demo",
                        "--seed", str(seed), "--out", str(work / f"raw_{seed}"), "--truth",
                        str(truth)], check=True)
    return truth


def direct_profile(sample: pd.DataFrame, est, min_treated: int, se: str,  # type: ignore[no-untyped-def]
                   min_comparison: int):
    """The headline's estimand with variance `se` and `min_comparison`: (ATT row, profile), or
    (None, None) where the headline has no estimate."""
    if not np.isfinite(est.estimate):
        return None, None
    fit = did_imputation(sample, "ikm", "unit_id", "period_index", "cohort", leads=LEADS,
                         min_treated=min_treated, min_comparison=min_comparison, se=se)
    return fit.overall(), fit.event_study()


def region_rows(truth: Path, seed: int, min_treated: int, se: str = "jackknife",
                min_comparison: int = MIN_COMPARISON) -> list[dict]:
    panel = pd.read_parquet(truth / "truth_panel.parquet")
    panel["cohort"] = panel["cohort"].astype(float)
    panel["treated"] = ((panel["cohort"] > 0)
                        & (panel["period_index"] >= panel["cohort"])).astype(int)
    regions = pd.read_csv(truth / "truth_regions.csv", dtype={"region": str}).set_index("region")
    rows = []
    for region, part in panel.groupby("kode_pemda", sort=True):
        sample = part.dropna(subset=["ikm"])
        est, profile, _, _ = headline(sample, scope="region", region=region,
                                      min_treated=min_treated)
        estimate, std_error, ci_low, ci_high = est.estimate, est.std_error, est.ci_low, est.ci_high
        n_treated = est.n_treated
        if se != "jackknife" or min_comparison != MIN_COMPARISON:
            row, profile = direct_profile(sample, est, min_treated, se, min_comparison)
            if row is not None:
                estimate, std_error, ci_low, ci_high, n_treated = (
                    row["estimate"], row["std_error"], row["ci_low"], row["ci_high"],
                    row["n_units"])
        att_true = regions.loc[region, "att_true"]  # over the headline's imputed set
        if min_comparison != MIN_COMPARISON:  # the same estimand over this run's imputed set
            mask = imputable_observations(sample, "ikm", "unit_id", "period_index", "cohort",
                                          min_comparison=min_comparison)
            att_true = sample.loc[mask, "att_true"].mean()
        record = {"seed": seed, "region": region, "estimate": estimate,
                  "std_error": std_error, "ci_low": ci_low, "ci_high": ci_high,
                  "n_treated": n_treated, "n_units": est.n_units, "note": est.note,
                  "att_true": att_true, "band_covers": np.nan}
        post = profile[profile["kind"] == "post"] if profile is not None and len(profile) \
            else pd.DataFrame()
        if len(post):
            mask = imputable_observations(sample, "ikm", "unit_id", "period_index", "cohort",
                                          min_comparison=min_comparison)
            event = sample["period_index"] - sample["cohort"]
            truth_e = sample.loc[mask, "att_true"].groupby(event[mask]).mean()
            true_e = truth_e.reindex(post["event_time"].astype(int)).to_numpy()
            record["band_covers"] = float(np.all((post["band_low"].to_numpy() <= true_e)
                                                 & (true_e <= post["band_high"].to_numpy())))
        rows.append(record)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-17", help="e.g. 1-17 or 1,2,5 (default 1-17)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/sim_region"))
    parser.add_argument("--min-treated", type=int, default=MIN_TREATED)
    parser.add_argument("--out", type=Path, help="write the per-region table as CSV")
    parser.add_argument("--se", choices=["jackknife", "bjs"], default="jackknife",
                        help="variance: the headline's jackknife (default) or BJS Theorem 3")
    parser.add_argument("--min-comparison", type=int, default=MIN_COMPARISON,
                        help=f"comparison units an imputed period needs (default {MIN_COMPARISON})")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = []
    for seed in seeds_from(args.seeds):
        truth = truth_folder(args.work, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows += region_rows(truth, seed, args.min_treated, args.se, args.min_comparison)
    table = pd.DataFrame(rows)
    if args.out:
        table.to_csv(args.out, index=False)
    done = table.dropna(subset=["estimate", "std_error"])
    err = done["estimate"] - done["att_true"]
    covered = (done["ci_low"] <= done["att_true"]) & (done["att_true"] <= done["ci_high"])
    n = len(done)
    cover = covered.mean()
    band = table["band_covers"].dropna()
    print(f"se {args.se}, min_comparison {args.min_comparison}; seeds {args.seeds}: "
          f"{len(table)} simulated regions, {n} estimated "
          f"(min_treated {args.min_treated}); not estimated: "
          f"{table['note'][table['estimate'].isna()].value_counts().to_dict()}")
    print(f"coverage of the 95% interval: {cover:.3f} (Monte Carlo SE "
          f"{np.sqrt(cover * (1 - cover) / n):.3f})")
    print(f"bias: mean error {err.mean():+.3f} IKM points = {(err / done['std_error']).mean():+.3f}"
          f" SEs; SD of the errors {err.std():.3f}, mean SE {done['std_error'].mean():.3f} "
          f"(ratio {done['std_error'].mean() / err.std():.2f}); SD of t = "
          f"{(err / done['std_error']).std():.3f}")
    print(f"interval width: mean {(done['ci_high'] - done['ci_low']).mean():.2f}, median "
          f"{(done['ci_high'] - done['ci_low']).median():.2f} IKM points; treated units per "
          f"region: median {done['n_treated'].median():.0f}")
    print(f"simultaneous band covers the whole post-period profile: {band.mean():.3f} of "
          f"{len(band)} regions")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
