"""att_gt(unbalanced="pairwise"): identity with "drop" on balanced panels, known truth by
simulation on panels with missing periods, NaN cells with a warning, pass-through.

Simulation assertions (seeds 0..R-1, R = 150 per design, DGP of
benchmarks/sim_att_gt_unbalanced.py; the recorded 500-replication run is in
benchmarks/results/sim_att_gt_unbalanced.txt):
* bias: for every ATT(g,t) and aggregate, |mean bias| < max(0.15, 3.5 / sqrt(R)) x SD across
  seeds (3.5 Monte Carlo SEs: 0.15 SD alone is below 2 Monte Carlo SEs at R = 150), and the
  mean of bias/SD over the cells within 0.1 (cells are nearly independent, so its Monte Carlo
  SE is ~ 0.08 / sqrt(15));
* SE calibration: mean analytic SE / SD across seeds within 0.85-1.15 on average over the cells;
* coverage: each aggregate's 95% CI covers in the central 99.9% interval of Binomial(R, 0.95),
  every cell in the central 99.99% interval, the mean over cells in 0.93-0.97.
A wrong scaling of the cell influence functions (e.g. without the n / n_cell factor) fails the SE
and coverage checks by a factor of about two.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures_panel import make_panel
from scipy import stats

from p3k_study.estimate import (
    EstimationError,
    EstimationWarning,
    att_gt,
    count_never_treated,
    event_study,
)

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))
from sim_att_gt_unbalanced import AGGREGATES, replicate, simulate, summarise  # noqa: E402

ARGS = ("lemp", "countyreal", "year", "first.treat")
FIX = ("ikm", "unit_id", "period_index", "cohort")
KINDS = ("simple", "dynamic", "group", "calendar")
REPS = 150


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "mpdta.csv")


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    """Tables, SEs, pre-trend test and every aggregation equal to 1e-12."""
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.inf_func, b.inf_func, rtol=0, atol=1e-12)
    for kind in KINDS:
        x, y = a.aggregate(kind), b.aggregate(kind)
        assert abs(x.att - y.att) < 1e-12 and abs(x.se - y.se) < 1e-12
        pd.testing.assert_frame_equal(x.table, y.table, check_exact=False, rtol=0, atol=1e-12)
    pa, pb = a.pretrend_test(), b.pretrend_test()
    for key in ("statistic", "p_value", "chi2"):
        assert getattr(pa, key) == pytest.approx(getattr(pb, key), abs=1e-12, nan_ok=True)


# ------------------------------------------------------------------ 1. identity when balanced
@pytest.mark.parametrize("kwargs", [
    {}, {"control_group": "not_yet_treated"}, {"covariates": ["lpop"]},
    {"covariates": ["lpop"], "est_method": "reg"}, {"base_period": "universal"},
    {"bootstrap": 199, "seed": 3}, {"cluster": "countyreal", "bootstrap": 99, "seed": 1},
    {"anticipation": 1},
])
def test_pairwise_equals_drop_on_balanced_mpdta(mpdta, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        drop = att_gt(mpdta, *ARGS, **kwargs)
        pair = att_gt(mpdta, *ARGS, unbalanced="pairwise", **kwargs)
    _same(drop, pair)
    assert pair.settings["unbalanced"] == "pairwise"
    assert pair.settings["n_used"] == pair.n_units == drop.n_units


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_pairwise_equals_drop_on_balanced_fixture(control_group):
    panel = make_panel(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        drop = att_gt(panel, *FIX, control_group=control_group)
        pair = att_gt(panel, *FIX, control_group=control_group, unbalanced="pairwise")
    _same(drop, pair)


def test_drop_is_still_the_default_and_bad_value(mpdta):
    d = mpdta.drop(index=[0, 7, 12])
    with pytest.warns(EstimationWarning, match="dropped 3 of 500 units"):
        assert att_gt(d, *ARGS).n_units == 497
    with pytest.raises(EstimationError, match="unbalanced"):
        att_gt(mpdta, *ARGS, unbalanced="keep")  # type: ignore[arg-type]


# ------------------------------------------------------------------ pairwise on gaps
def test_pairwise_keeps_units_with_gaps(mpdta):
    rng = np.random.default_rng(0)
    d = mpdta[rng.random(len(mpdta)) > 0.3]
    with pytest.warns(EstimationWarning, match="observed in fewer than 2 periods"):
        r = att_gt(d, *ARGS, unbalanced="pairwise")
    assert r.n_units > 480 and r.settings["n_used"] <= r.n_units
    assert np.isfinite(r.table["att"]).all() and np.isfinite(r.table["se"]).all()
    # each cell uses exactly the units observed in both of its periods
    wide = d.pivot(index="countyreal", columns="year", values="lemp")
    g = d.groupby("countyreal")["first.treat"].first()
    row = r.table[(r.table["cohort"] == 2006) & (r.table["time"] == 2007)].iloc[0]
    both = wide[[2005, 2007]].dropna()
    dy = both[2007] - both[2005]
    gg = g.reindex(both.index)
    assert row["n_treated"] == (gg == 2006).sum() and row["n_control"] == (gg == 0).sum()
    assert row["att"] == pytest.approx(dy[gg == 2006].mean() - dy[gg == 0].mean(), abs=1e-12)
    for kind in KINDS:
        assert np.isfinite(r.aggregate(kind).se)
    pt = r.pretrend_test()
    assert np.isfinite(pt.p_value)
    assert "unbalanced panel: pairwise" in r.summary()


def test_pairwise_covariates_and_bootstrap_on_gaps(mpdta):
    rng = np.random.default_rng(1)
    d = mpdta[rng.random(len(mpdta)) > 0.2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = att_gt(d, *ARGS, covariates=["lpop"], unbalanced="pairwise")
        b = att_gt(d, *ARGS, covariates=["lpop"], unbalanced="pairwise", bootstrap=499,
                   seed=2, cluster="countyreal")
    assert np.isfinite(r.table["se"]).all()
    np.testing.assert_allclose(b.table["att"], r.table["att"])
    assert np.allclose(b.table["se"], r.table["se"], rtol=0.25)


def test_event_study_and_count_pass_through(mpdta):
    rng = np.random.default_rng(2)
    d = mpdta[rng.random(len(mpdta)) > 0.3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        es = event_study(d, *ARGS, method="cs", leads=3, lags=3, unbalanced="pairwise")
        r = att_gt(d, *ARGS, unbalanced="pairwise")
    dyn = r.aggregate("dynamic", min_e=-3, max_e=3).table
    np.testing.assert_allclose(es.table["estimate"], dyn["att"], rtol=1e-12)
    assert es.model.settings["unbalanced"] == "pairwise"
    assert np.isfinite(es.pretrend.p_value)
    assert count_never_treated(d, *ARGS) < count_never_treated(d, *ARGS, unbalanced="pairwise")


# ------------------------------------------------------------------ 3. cells with too few units
def test_cohort_unobserved_at_base_gives_nan_cells_only(mpdta):
    # no unit of cohort 2006 is observed in 2005, its base period for every post cell
    d = mpdta[~((mpdta["first.treat"] == 2006) & (mpdta["year"] == 2005))]
    with pytest.warns(EstimationWarning, match=r"ATT\(g,t\) left NaN.*ATT\(2006,2006\): 0 treated"):
        r = att_gt(d, *ARGS, unbalanced="pairwise")
    t = r.table
    bad = (t["cohort"] == 2006) & t["time"].isin([2005, 2006, 2007])
    assert t.loc[bad, ["att", "se", "ci_low"]].isna().all().all()
    assert (t.loc[bad, "n_treated"] == 0).all()
    assert np.isfinite(t.loc[~bad, ["att", "se"]]).all().all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        full = att_gt(mpdta, *ARGS)
    # cells of other cohorts are untouched (never-treated controls are all observed)
    keep = t["cohort"] != 2006
    np.testing.assert_allclose(t.loc[keep, "att"], full.table.loc[keep, "att"], atol=1e-12)
    for kind in KINDS:
        a = r.aggregate(kind)
        assert np.isfinite(a.att) and np.isfinite(a.se)
    g = r.aggregate("group").table
    assert 2006 not in set(g["cohort"])
    assert np.isfinite(r.pretrend_test().p_value)


def test_nan_cells_with_bootstrap_and_covariates(mpdta):
    d = mpdta[~((mpdta["first.treat"] == 2006) & (mpdta["year"] == 2005))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        b = att_gt(d, *ARGS, unbalanced="pairwise", bootstrap=199, seed=1)
        c = att_gt(d, *ARGS, unbalanced="pairwise", covariates=["lpop"])
    for r in (b, c):
        assert r.table["att"].isna().sum() == 3
        assert np.isfinite(r.aggregate("dynamic").se)


def test_cell_without_comparison_units_is_nan(mpdta):
    # never-treated units unobserved in 2007: every cell at 2007 has no comparison unit
    d = mpdta[~((mpdta["first.treat"] == 0) & (mpdta["year"] == 2007))]
    with pytest.warns(EstimationWarning, match="0 comparison units"):
        r = att_gt(d, *ARGS, unbalanced="pairwise")
    at07 = r.table["time"] == 2007
    assert r.table.loc[at07, "att"].isna().all()
    assert r.table.loc[~at07, "att"].notna().all()
    assert np.isfinite(r.aggregate("simple").att)


def test_annual_surveys_on_a_semester_clock():
    # every unit seen every other period: short differences and e = 0 cells are not identified
    d = simulate(0, "none")
    parity = d["u"] % 2
    d = d[(d["t"] % 2) == parity]
    with pytest.warns(EstimationWarning, match="left NaN"):
        r = att_gt(d, "y", "u", "t", "g", unbalanced="pairwise", base_period="universal")
    t = r.table
    odd = ((t["time"] - t["base_time"]) % 2) == 1
    assert t.loc[odd, "att"].isna().all() and t.loc[~odd, "att"].notna().all()
    assert np.isfinite(r.aggregate("simple").se)


# ------------------------------------------------------------------ 2. known truth
def _band(reps: int, p: float, level: float) -> tuple[float, float]:
    lo, hi = stats.binom.ppf([(1 - level) / 2, (1 + level) / 2], reps, p)
    return lo / reps, hi / reps


@pytest.mark.parametrize("pattern,control_group", [("mcar30", "never_treated"),
                                                   ("annual", "not_yet_treated")])
def test_unbiased_and_covering_with_missing_periods(pattern, control_group):
    out = [replicate(s, pattern, control_group) for s in range(REPS)]
    per_cell, agg = summarise([o[0] for o in out], [o[1] for o in out])
    assert (per_cell["reps"] == REPS).all() and len(per_cell) == 15
    tol = max(0.15, 3.5 / np.sqrt(REPS))
    assert (per_cell["bias_sd"].abs() < tol).all(), per_cell
    assert abs(per_cell["bias_sd"].mean()) < 0.1, per_cell
    ratio = float(np.mean(per_cell["mean_se"] / per_cell["sd"]))
    assert 0.85 < ratio < 1.15, per_cell
    lo, hi = _band(REPS, 0.95, 0.9999)
    assert per_cell["coverage"].between(lo, hi).all(), per_cell
    assert 0.93 <= per_cell["coverage"].mean() <= 0.97, per_cell
    assert list(agg["estimand"]) == list(AGGREGATES)
    assert (agg["bias_sd"].abs() < tol).all(), agg
    lo, hi = _band(REPS, 0.95, 0.999)
    assert agg["coverage"].between(lo, hi).all(), agg
    # units with gaps do enter (of 300; about 40 (annual) or 35 (mcar30) are fully observed)
    assert np.mean([o[1]["n_used"] for o in out]) > 200
