"""att_gt / aggregate against R did (mpdta) and Stata csdid, plus edge cases."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p3k_study.estimate import EstimationError, EstimationWarning, att_gt

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "mpdta_did.json").read_text())
ARGS = ("lemp", "countyreal", "year", "first.treat")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "mpdta.csv")


@pytest.fixture(scope="module")
def res(mpdta):
    return att_gt(mpdta, *ARGS)


@pytest.fixture(scope="module")
def res_cov(mpdta):
    return att_gt(mpdta, *ARGS, covariates=["lpop"])


def _cell(table: pd.DataFrame, g: int, t: int) -> pd.Series:
    row = table[(table["cohort"] == g) & (table["time"] == t)]
    assert len(row) == 1, (g, t)
    return row.iloc[0]


def test_table_shape(res):
    assert list(res.table.columns[:6]) == ["cohort", "time", "att", "se", "ci_low", "ci_high"]
    assert len(res.table) == 12


def test_att_gt_matches_r_did_8dp(res):
    ref = REF["no_covariates_never_treated_dr"]["att_gt"]["cells"]
    for g, t, att in ref:
        assert _cell(res.table, g, t)["att"] == pytest.approx(att, abs=5e-9)


def test_att_gt_post_cells_match_r_did_12dp(res):
    for g, t, att in REF["no_covariates_never_treated_dr"]["att_gt_post_12dp"]["cells"]:
        assert _cell(res.table, g, t)["att"] == pytest.approx(att, abs=5e-13)


def test_att_gt_se_matches_r_did_4dp(res):
    # only 4 printed decimals are available for a cell-level analytic SE
    for g, t, att, se in REF["no_covariates_never_treated_dr"]["att_gt_se_4dp"]["cells"]:
        row = _cell(res.table, g, t)
        assert round(row["att"], 4) == att
        assert round(row["se"], 4) == se


@pytest.mark.parametrize("kind", ["simple", "group", "calendar", "dynamic"])
def test_aggregate_matches_r_did_10dp(res, kind):
    att, se = REF["no_covariates_never_treated_dr"]["aggte"][kind]
    agg = res.aggregate(kind)
    assert agg.att == pytest.approx(att, abs=5e-11)
    assert agg.se == pytest.approx(se, abs=5e-11)


def test_pretrend_matches_r_did(res):
    pt = res.pretrend_test(by="cells", small_sample=False)
    assert pt.df == 5
    ref = REF["no_covariates_never_treated_dr"]["pretrend_p_value"]["value"]
    assert round(pt.p_value, 5) == ref


def test_covariates_match_stata_csdid_dripw_7dp(res_cov):
    ref = REF["covariate_lpop_never_treated_dr"]
    for g, t, att, se in ref["att_gt"]:
        row = _cell(res_cov.table, g, t)
        assert row["att"] == pytest.approx(att, abs=5e-8)
        assert row["se"] == pytest.approx(se, abs=5e-8)
    simple = res_cov.aggregate("simple")
    assert simple.att == pytest.approx(ref["simple"][0], abs=5e-8)
    assert simple.se == pytest.approx(ref["simple"][1], abs=5e-8)
    for kind, key in (("calendar", "time"), ("group", "cohort"), ("dynamic", "event_time")):
        tab = res_cov.aggregate(kind).table.set_index(key)
        for k, att, se in ref[kind]:
            assert tab.loc[k, "att"] == pytest.approx(att, abs=5e-8)
            assert tab.loc[k, "se"] == pytest.approx(se, abs=5e-8)
    stat, df, p = ref["pretrend_chi2"]
    pt = res_cov.pretrend_test(by="cells", small_sample=False)
    assert round(pt.statistic, 2) == stat and pt.df == df and round(pt.p_value, 4) == p


def test_methods_agree_without_covariates(mpdta, res):
    for m in ("reg", "ipw", "dr_imp"):
        r = att_gt(mpdta, *ARGS, est_method=m)
        np.testing.assert_allclose(r.table["att"], res.table["att"], atol=1e-12)
        np.testing.assert_allclose(r.table["se"], res.table["se"], atol=1e-12)


def test_covariate_methods_close(mpdta, res_cov):
    for m in ("reg", "ipw", "dr_imp"):
        r = att_gt(mpdta, *ARGS, covariates=["lpop"], est_method=m)
        np.testing.assert_allclose(r.table["att"], res_cov.table["att"], atol=3e-3)


def test_bootstrap_reproducible_and_close(mpdta, res):
    b1 = att_gt(mpdta, *ARGS, bootstrap=999, seed=1)
    b2 = att_gt(mpdta, *ARGS, bootstrap=999, seed=1)
    pd.testing.assert_frame_equal(b1.table, b2.table)
    ratio = b1.table["se"] / res.table["se"]
    assert ratio.between(0.85, 1.15).all()
    # uniform band is wider than pointwise
    assert b1.crit > 1.96
    dyn = b1.aggregate("dynamic")
    assert dyn.crit > 1.96
    assert dyn.se == pytest.approx(res.aggregate("dynamic").se, rel=0.15)


def test_bootstrap_clustered(mpdta):
    d = mpdta.assign(state=mpdta["countyreal"] // 1000)
    r = att_gt(d, *ARGS, bootstrap=499, seed=3, cluster="state")
    a = att_gt(d, *ARGS, cluster="state")
    assert np.isfinite(r.table["se"]).all()
    assert (r.table["se"] / a.table["se"]).between(0.6, 1.5).all()


def test_not_yet_treated_runs(mpdta):
    r = att_gt(mpdta, *ARGS, control_group="not_yet_treated")
    # 2004 cohort at 2004 compares with never + 2006 + 2007 cohorts
    row = _cell(r.table, 2004, 2004)
    assert row["n_control"] == 309 + 40 + 131
    assert np.isfinite(r.aggregate("simple").se)


def test_tidy_summary_plot(res):
    import matplotlib

    matplotlib.use("Agg")
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "cohort", "time", "event_time", "estimate",
                                  "std_error", "statistic", "p_value", "ci_low", "ci_high"]
    assert list(tidy["cohort"][:2]) == [2004, 2004] and list(tidy["time"][:2]) == [2004, 2005]
    assert (tidy["event_time"] == tidy["time"] - tidy["cohort"]).all()
    assert "Pre-trend" in res.summary()
    fig = res.plot()
    assert len(fig.axes) >= 3
    agg = res.aggregate("dynamic")
    assert agg.tidy().iloc[0]["term"] == "ATT"
    assert agg.plot() is not None
    assert "dynamic" in agg.summary()


# ------------------------------------------------------------------ edge cases
def test_unbalanced_panel_warns_with_count(mpdta):
    d = mpdta.drop(index=[0, 7, 12])  # rows of 3 different counties
    with pytest.warns(EstimationWarning, match="dropped 3 of 500 units"):
        r = att_gt(d, *ARGS)
    assert r.n_units == 497


def test_first_period_cohort_dropped(mpdta):
    d = mpdta.copy()
    d.loc[d["countyreal"].isin(d["countyreal"].unique()[:5]), "first.treat"] = 2003
    with pytest.warns(EstimationWarning, match="already treated in the first period"):
        r = att_gt(d, *ARGS)
    assert 2003 not in set(r.table["cohort"])


def test_no_never_treated_error_suggests_not_yet(mpdta):
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(EstimationError, match="not_yet_treated"):
        att_gt(d, *ARGS)
    with pytest.warns(EstimationWarning, match="last cohort"):
        r = att_gt(d, *ARGS, control_group="not_yet_treated")
    assert set(r.table["cohort"]) == {2004, 2006}
    assert r.table["time"].max() == 2006


def test_single_unit_cohort_warns(mpdta):
    d = mpdta.copy()
    first = d["countyreal"].unique()[0]
    d.loc[d["countyreal"] == first, "first.treat"] = 2005
    with pytest.warns(EstimationWarning, match="single unit"):
        r = att_gt(d, *ARGS)
    assert 2005 in set(r.table["cohort"])


def test_collinear_covariates_error(mpdta):
    d = mpdta.assign(lpop2=2 * mpdta["lpop"])
    with pytest.raises(EstimationError, match="lpop2"):
        att_gt(d, *ARGS, covariates=["lpop", "lpop2"])


def test_bad_arguments(mpdta):
    with pytest.raises(EstimationError, match="not in the data"):
        att_gt(mpdta, "nope", "countyreal", "year", "first.treat")
    with pytest.raises(EstimationError, match="control_group"):
        att_gt(mpdta, *ARGS, control_group="never")
    with pytest.raises(EstimationError, match="duplicated"):
        att_gt(pd.concat([mpdta, mpdta.head(1)]), *ARGS)


def test_cohort_nan_is_never_treated(mpdta, res):
    d = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    r = att_gt(d, *ARGS)
    np.testing.assert_allclose(r.table["att"], res.table["att"])


def test_national_size_panel_recovers_the_effect():
    """A national-size panel (19,000 units): correct; its speed is measured in
    benchmarks/bench_estimate.py, never asserted here."""
    rng = np.random.default_rng(0)
    n, T = 19_000, 14
    g = rng.choice([0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], size=n)
    t = np.tile(np.arange(1, T + 1), n)
    u = np.repeat(np.arange(n), T)
    gg = np.repeat(g, T)
    y = rng.normal(size=n * T) + 0.1 * t + ((gg > 0) & (t >= gg)) * 1.0
    d = pd.DataFrame({"u": u, "t": t, "g": gg, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(d, "y", "u", "t", "g")
        r.aggregate("dynamic")
    assert r.aggregate("simple").att == pytest.approx(1.0, abs=0.05)
