"""Coverage of `did_imputation`'s 95% intervals in stress designs with known truth.

Every design is a small simulated region built like ``_region`` in
tests/test_estimate_imputation.py, with one thing changed at a time. The base region has 26
units and 14 periods (t = 0..13); unit i adopts in period g_i drawn from 5..11 (shares 0.15,
0.15, 0.15, 0.15, 0.1, 0.1, 0.1) or never (share 0.1, g_i = 0); a third of the units are
surveyed every period, a third only in even and a third only in odd periods (the SKM's
once-a-year pattern); and

    y_it = level_i + 0.2 t + tau_it + e_it,   level_i ~ N(0, 3^2),   e_it ~ N(0, 1) iid,
    tau_it = 1 + 0.1 (12 - g_i) + 0.3 (t - g_i)  in treated periods (t >= g_i > 0), else 0.

The designs (`DESIGNS`):

- ``iid``: the base region.
- ``heteroskedastic``: unit i's noise has SD s_i ~ U(0.5, 3), drawn once per unit.
- ``ar1_rho0.7``, ``ar1_rho0.9``: e_it is a stationary AR(1) in calendar time within the
  unit, e_it = rho e_i,t-1 + sqrt(1 - rho^2) u_it, so its variance stays 1; unobserved
  periods are simulated and dropped.
- ``unbalanced_cohorts``: 72% of the units adopt in period 5, 3% in each of 6..11, 10% never.
- ``high_variance_unit_12``: 12 units; unit 0 (whatever its cohort) has noise SD 5.
- ``units_40`` and ``high_variance_unit_40``: 40 units, iid noise; the latter with unit 0's
  noise SD 5.
- ``treated_5_of_12``, ``treated_5_of_26``, ``treated_3_of_26``: exactly 5 (or 3) units
  treated, their cohorts drawn from 5..11 with the base shares, every other unit never
  treated. With the reports' min_treated 5 the 3-treated design has no overall estimate;
  ``treated_3_of_26_min_treated_3`` fits the same design with min_treated 3.
- ``never_5_early`` ... ``never_1_early``: 26 units of which 5, 3, 2 or 1 never adopt and the
  others adopt early, in periods 4..7 (uniformly), so in periods 7..13 the only units without
  the treatment are the never-treated ones. Every unit is surveyed every period here (a
  balanced panel), so a late period rests on exactly that many comparison units.
  ``never_2_early_12_periods``: 2 never-treated units over 12 periods (late periods 7..11).
- ``thin_cells_min_treated_1``: the base region fitted with min_treated 1, so that event
  times resting on one or two treated units are estimated; their pointwise coverage is
  reported by the number of treated units behind the cell (cells of 1, 2, 1-2, 3-4, 5 or
  more units). ``thin_cells_3_of_26_min_treated_1`` does the same on ``treated_3_of_26``,
  where no event time rests on more than three units.

Every design is fitted with min_comparison 1 (every imputable period) and 5 (the reports'
setting, `p3k_study.reports.analysis.MIN_COMPARISON`), on the same simulated regions:
``did_imputation(data, "y", "unit", "time", "cohort", min_treated=5, min_comparison=mc,
band_draws=2000)`` (jackknife SEs, t(G-1) intervals; min_treated as stated above).

The truth. The overall ATT that a fit estimates is the mean of tau_it over the treated rows it
imputed, which depend on min_comparison: the truth is the mean of ``tau`` over
``imputable_observations(data, "y", "unit", "time", "cohort", min_comparison=mc)``, as in the
test. The truth of the event-time effect e is the mean of ``tau`` over those rows with
t - g = e.

Printed per design and setting: the replications with an overall estimate (finite estimate
and SE), the coverage of the 95% interval of the overall ATT with its Monte Carlo SE, the SE
ratio (mean SE over the SD of estimate - truth), the SD of t = (estimate - truth) / SE, and
the pointwise coverage of the post-period event-time effects: pooled over all (replication,
event time) cells, and the lowest and highest coverage of one event time among those estimated
in at least `MIN_REPS_PER_EVENT_TIME` replications.

    PYTHONPATH=src .venv/bin/python benchmarks/sim_designs.py [--reps 400] [--seed 20241203]

Each design draws from its own stream (`--seed` and the design's name), so adding, removing or
selecting designs (``--only``) does not change the others' draws.
"""

from __future__ import annotations

import argparse
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from p3k_study.estimate import EstimationError
from p3k_study.estimate.imputation import did_imputation, imputable_observations

N_UNITS = 26
N_PERIODS = 14
BASE_COHORTS = np.array([5, 6, 7, 8, 9, 10, 11, 0])
BASE_SHARES = np.array([.15, .15, .15, .15, .1, .1, .1, .1])
EARLY_COHORTS = np.array([4, 5, 6, 7])
HIGH_NOISE_SD = 5.0
MIN_COMPARISON_SETTINGS = (1, 5)
MIN_REPS_PER_EVENT_TIME = 100
COLUMNS = ["unit", "time", "cohort", "y", "tau"]
COVERAGE_WIDTH = 16


# ---------------------------------------------------------------------------- the regions
def base_cohorts(rng: np.random.Generator, n_units: int = N_UNITS) -> np.ndarray:
    """Adoption periods with the base shares (0 = never treated)."""
    return rng.choice(BASE_COHORTS, size=n_units, p=BASE_SHARES)


def treated_cohorts(rng: np.random.Generator, n_treated: int) -> np.ndarray:
    """Adoption periods of `n_treated` treated units, with the base shares of 5..11."""
    adopting = BASE_COHORTS > 0
    shares = BASE_SHARES[adopting] / BASE_SHARES[adopting].sum()
    return rng.choice(BASE_COHORTS[adopting], size=n_treated, p=shares)


def ar1_noise(rng: np.random.Generator, n_periods: int, rho: float) -> np.ndarray:
    """A stationary AR(1) series with unit variance (iid N(0, 1) when rho = 0)."""
    shocks = rng.normal(size=n_periods)
    noise = np.empty(n_periods)
    noise[0] = shocks[0]
    for t in range(1, n_periods):
        noise[t] = rho * noise[t - 1] + np.sqrt(1 - rho**2) * shocks[t]
    return noise


def simulate_region(rng: np.random.Generator, cohorts: np.ndarray, *,
                    n_periods: int = N_PERIODS, noise_sd: np.ndarray | None = None,
                    rho: float = 0.0, every_period: bool = False) -> pd.DataFrame:
    """One region: a row per unit and surveyed period (columns `COLUMNS`).

    `cohorts` holds each unit's adoption period (0 = never); `noise_sd` each unit's noise SD
    (default 1); `rho` the AR(1) coefficient of the noise within a unit; `every_period` surveys
    every unit in every period instead of the base pattern (a third every period, a third in
    even and a third in odd periods only).
    """
    n_units = len(cohorts)
    noise_sd = np.ones(n_units) if noise_sd is None else noise_sd
    times = np.arange(n_periods)
    parts = []
    for unit, cohort in enumerate(cohorts):
        level = rng.normal(0, 3)
        phase = 0 if every_period else rng.integers(0, 3)
        noise = noise_sd[unit] * ar1_noise(rng, n_periods, rho)
        surveyed = times % 2 == phase - 1 if phase else np.ones(n_periods, dtype=bool)
        treated = (cohort > 0) & (times >= cohort)
        tau = np.where(treated, 1 + 0.1 * (12 - cohort) + 0.3 * (times - cohort), 0.0)
        y = level + 0.2 * times + tau + noise
        parts.append(pd.DataFrame({"unit": unit, "time": times, "cohort": float(cohort),
                                   "y": y, "tau": tau})[surveyed])
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def iid(rng: np.random.Generator) -> pd.DataFrame:
    return simulate_region(rng, base_cohorts(rng))


def heteroskedastic(rng: np.random.Generator) -> pd.DataFrame:
    cohorts = base_cohorts(rng)
    return simulate_region(rng, cohorts, noise_sd=rng.uniform(0.5, 3.0, size=len(cohorts)))


def ar1(rho: float) -> Callable[[np.random.Generator], pd.DataFrame]:
    def build(rng: np.random.Generator) -> pd.DataFrame:
        return simulate_region(rng, base_cohorts(rng), rho=rho)
    return build


def unbalanced_cohorts(rng: np.random.Generator) -> pd.DataFrame:
    shares = np.array([.72, .03, .03, .03, .03, .03, .03, .1])
    return simulate_region(rng, rng.choice(BASE_COHORTS, size=N_UNITS, p=shares))


def units(n_units: int, high_variance_unit: bool = False,
          ) -> Callable[[np.random.Generator], pd.DataFrame]:
    def build(rng: np.random.Generator) -> pd.DataFrame:
        noise_sd = np.ones(n_units)
        if high_variance_unit:
            noise_sd[0] = HIGH_NOISE_SD
        return simulate_region(rng, base_cohorts(rng, n_units), noise_sd=noise_sd)
    return build


def few_treated(n_treated: int, n_units: int) -> Callable[[np.random.Generator], pd.DataFrame]:
    def build(rng: np.random.Generator) -> pd.DataFrame:
        never = np.zeros(n_units - n_treated, dtype=int)
        return simulate_region(rng, np.concatenate([treated_cohorts(rng, n_treated), never]))
    return build


def few_never_treated(n_never: int, n_periods: int = N_PERIODS,
                      ) -> Callable[[np.random.Generator], pd.DataFrame]:
    def build(rng: np.random.Generator) -> pd.DataFrame:
        early = rng.choice(EARLY_COHORTS, size=N_UNITS - n_never)
        cohorts = np.concatenate([early, np.zeros(n_never, dtype=int)])
        return simulate_region(rng, cohorts, n_periods=n_periods, every_period=True)
    return build


@dataclass(frozen=True)
class Design:
    name: str
    build: Callable[[np.random.Generator], pd.DataFrame]
    min_treated: int = 5


DESIGNS = [
    Design("iid", iid),
    Design("heteroskedastic", heteroskedastic),
    Design("ar1_rho0.7", ar1(0.7)),
    Design("ar1_rho0.9", ar1(0.9)),
    Design("unbalanced_cohorts", unbalanced_cohorts),
    Design("high_variance_unit_12", units(12, high_variance_unit=True)),
    Design("units_40", units(40)),
    Design("high_variance_unit_40", units(40, high_variance_unit=True)),
    Design("treated_5_of_12", few_treated(5, 12)),
    Design("treated_5_of_26", few_treated(5, 26)),
    Design("treated_3_of_26", few_treated(3, 26)),
    Design("treated_3_of_26_min_treated_3", few_treated(3, 26), min_treated=3),
    Design("never_5_early", few_never_treated(5)),
    Design("never_3_early", few_never_treated(3)),
    Design("never_2_early", few_never_treated(2)),
    Design("never_1_early", few_never_treated(1)),
    Design("never_2_early_12_periods", few_never_treated(2, n_periods=12)),
    Design("thin_cells_min_treated_1", iid, min_treated=1),
    Design("thin_cells_3_of_26_min_treated_1", few_treated(3, 26), min_treated=1),
]


# ---------------------------------------------------------------------------- one fit
def fit_against_truth(data: pd.DataFrame, min_treated: int, min_comparison: int,
                      band_draws: int) -> tuple[dict | None, pd.DataFrame]:
    """Fit `data` and line each estimate up with its truth.

    Returns the overall ATT's record (estimate, std_error, ci_low, ci_high, truth; None when
    the fit has no overall estimate) and one row per post-period event time (event_time,
    n_units, estimate, ci_low, ci_high, truth).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = did_imputation(data, "y", "unit", "time", "cohort", min_treated=min_treated,
                                 min_comparison=min_comparison, band_draws=band_draws)
    except EstimationError:
        return None, pd.DataFrame()
    imputed = imputable_observations(data, "y", "unit", "time", "cohort",
                                     min_comparison=min_comparison)
    event_time = data["time"] - data["cohort"]
    truth_by_event_time = data.loc[imputed, "tau"].groupby(event_time[imputed]).mean()
    post = fit.event_study().query("kind == 'post'")
    cells = pd.DataFrame({
        "event_time": post["event_time"].astype(int).to_numpy(),
        "n_units": post["n_units"].to_numpy(),
        "estimate": post["estimate"].to_numpy(),
        "ci_low": post["ci_low"].to_numpy(),
        "ci_high": post["ci_high"].to_numpy(),
        "truth": truth_by_event_time.reindex(post["event_time"].astype(int)).to_numpy()})
    overall = None
    if fit.available:
        row = fit.overall()
        if np.isfinite(row["std_error"]):
            overall = {"estimate": row["estimate"], "std_error": row["std_error"],
                       "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                       "truth": data.loc[imputed, "tau"].mean()}
    return overall, cells


# ---------------------------------------------------------------------------- summaries
def covers(table: pd.DataFrame) -> pd.Series:
    return (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])


def overall_summary(overall: pd.DataFrame) -> str:
    """Coverage +- its Monte Carlo SE, SE / SD of the errors and SD of t, in percent and
    ratios, padded to the header's columns."""
    if overall.empty:
        return f"{'-':>{COVERAGE_WIDTH}} {'-':>6} {'-':>6}"
    coverage, n = covers(overall).mean(), len(overall)
    monte_carlo_se = np.sqrt(coverage * (1 - coverage) / n)
    error = overall["estimate"] - overall["truth"]
    se_ratio = overall["std_error"].mean() / error.std()
    sd_of_t = (error / overall["std_error"]).std()
    coverage_text = f"{100 * coverage:.1f} +- {100 * monte_carlo_se:.1f}"
    return f"{coverage_text:>{COVERAGE_WIDTH}} {se_ratio:6.2f} {sd_of_t:6.2f}"


def event_time_summary(cells: pd.DataFrame) -> str:
    """Pooled coverage of the event-time cells, and the range over well-estimated event
    times."""
    cells = cells.dropna(subset=["ci_low", "ci_high", "truth"])
    if cells.empty:
        return "-"
    covered = covers(cells)
    by_event_time = covered.groupby(cells["event_time"]).agg(["mean", "size"])
    frequent = by_event_time[by_event_time["size"] >= MIN_REPS_PER_EVENT_TIME]
    spread = (f"e {frequent.index.min()}..{frequent.index.max()}: "
              f"{100 * frequent['mean'].min():.1f}-{100 * frequent['mean'].max():.1f}"
              if len(frequent) else "no event time often enough")
    return f"{100 * covered.mean():5.1f} ({len(cells)} cells; {spread})"


def thin_cell_summary(cells: pd.DataFrame) -> str:
    """Pointwise coverage of event-time cells by the treated units behind them. A replication
    has several cells, which are not independent, so the Monte Carlo SE printed (binomial over
    cells) understates the uncertainty."""
    cells = cells.dropna(subset=["ci_low", "ci_high", "truth"])
    covered = covers(cells)
    groups = {"1": cells["n_units"] == 1, "2": cells["n_units"] == 2,
              "1-2": cells["n_units"] <= 2,
              "3-4": cells["n_units"].between(3, 4), ">=5": cells["n_units"] >= 5}
    parts = []
    for label, rows in groups.items():
        n = int(rows.sum())
        if n == 0:
            parts.append(f"{label} units: - (0)")
            continue
        share = covered[rows].mean()
        monte_carlo_se = np.sqrt(share * (1 - share) / n)
        parts.append(f"{label} units: {100 * share:.1f} +- {100 * monte_carlo_se:.1f} ({n})")
    return "; ".join(parts)


# ---------------------------------------------------------------------------- the run
def run_design(design: Design, reps: int, seed: int, band_draws: int) -> list[str]:
    rng = np.random.default_rng([seed, zlib.crc32(design.name.encode())])
    overall: dict[int, list[dict]] = {mc: [] for mc in MIN_COMPARISON_SETTINGS}
    cells: dict[int, list[pd.DataFrame]] = {mc: [] for mc in MIN_COMPARISON_SETTINGS}
    for rep in range(reps):
        data = design.build(rng)
        for mc in MIN_COMPARISON_SETTINGS:
            record, rep_cells = fit_against_truth(data, design.min_treated, mc, band_draws)
            if record is not None:
                overall[mc].append(record)
            cells[mc].append(rep_cells.assign(rep=rep))
    lines = []
    for mc in MIN_COMPARISON_SETTINGS:
        overall_table = pd.DataFrame(overall[mc])
        cell_table = pd.concat(cells[mc], ignore_index=True)
        lines.append(f"{design.name:<32} {mc:>2} {design.min_treated:>2} "
                     f"{len(overall_table):>4}/{reps:<4} {overall_summary(overall_table)}  "
                     f"{event_time_summary(cell_table)}")
        if design.min_treated == 1:
            lines.append(f"{'':<32} {mc:>2}    event-time cells by treated units: "
                         f"{thin_cell_summary(cell_table)}")
    return lines


HEADER = (f"{'design':<32} mc mt {'estimated':>9} {'coverage % +- MC':>{COVERAGE_WIDTH}} "
          f"{'SE/SD':>6} {'SD(t)':>6}  event-time coverage % pooled (cells; range over e "
          f"estimated in >= {MIN_REPS_PER_EVENT_TIME} reps)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400, help="replications per design")
    parser.add_argument("--seed", type=int, default=20241203)
    parser.add_argument("--band-draws", type=int, default=2000,
                        help="draws behind the simultaneous band (not used in the coverage)")
    parser.add_argument("--only", nargs="+", metavar="DESIGN",
                        choices=[design.name for design in DESIGNS],
                        help="run only these designs")
    args = parser.parse_args()
    chosen = [d for d in DESIGNS if args.only is None or d.name in args.only]
    print(f"did_imputation, jackknife SEs, t(G-1) 95% intervals; {args.reps} replications per "
          f"design, seed {args.seed}, band_draws {args.band_draws}; numpy {np.__version__}, "
          f"pandas {pd.__version__}")
    print("mc = min_comparison, mt = min_treated; estimated = replications with an overall "
          "ATT and its SE")
    print(HEADER)
    started = time.process_time()
    for design in chosen:
        for line in run_design(design, args.reps, args.seed, args.band_draws):
            print(line, flush=True)
    print(f"CPU time in the process: {time.process_time() - started:.0f} s")


if __name__ == "__main__":
    main()
