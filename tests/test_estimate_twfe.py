"""twfe, before_after, event_study, bacon_decomposition and regression_table."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from p3k_study.estimate import (
    EstimationError,
    EstimationWarning,
    bacon_decomposition,
    before_after,
    event_study,
    regression_table,
    twfe,
)

matplotlib.use("Agg")
HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "mpdta_did.json").read_text())


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "mpdta.csv")
    g = d["first.treat"]
    d["treated"] = ((g > 0) & (d["year"] >= g)).astype(int)
    d["share"] = d["treated"] * np.linspace(0.1, 0.5, len(d))
    d["state"] = d["countyreal"] // 1000
    d["x"] = np.random.default_rng(0).normal(size=len(d))
    return d


def test_twfe_equals_pyfixest(mpdta):
    r = twfe(mpdta, "lemp", "treated", "countyreal", "year")
    f = pf.feols("lemp ~ treated | countyreal + year", mpdta, vcov={"CRV1": "countyreal"})
    assert abs(r.params["treated"] - f.coef()["treated"]) < 1e-8
    assert abs(r.std_errors["treated"] - f.se()["treated"]) < 1e-8
    b, se = REF["twfe_fixest"]["post"]
    assert round(r.params["treated"], 6) == b and round(r.std_errors["treated"], 6) == se


def test_twfe_intensity_controls_cluster(mpdta):
    r = twfe(mpdta, "lemp", "share", "countyreal", "year", controls=["x"], cluster="state")
    f = pf.feols("lemp ~ share + x | countyreal + year", mpdta, vcov={"CRV1": "state"})
    np.testing.assert_allclose(r.params.to_numpy(), f.coef().to_numpy(), atol=1e-8)
    np.testing.assert_allclose(r.std_errors.to_numpy(), f.se().to_numpy(), atol=1e-8)
    t = r.tidy()
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "ci_low", "ci_high"]
    assert "clustered by state" in r.summary()
    assert r.plot() is not None


def test_twfe_errors(mpdta):
    with pytest.raises(EstimationError, match="not in the data"):
        twfe(mpdta, "lemp", "nope", "countyreal", "year")
    with pytest.raises(EstimationError, match="collinear"), pytest.warns(UserWarning):
        twfe(mpdta, "lemp", "treated", "countyreal", "year", controls=["lpop"])
    with pytest.raises(EstimationError, match="does not vary"):
        twfe(mpdta.assign(c=1.0), "lemp", "c", "countyreal", "year")
    single = pd.concat([mpdta, pd.DataFrame({"countyreal": [1], "year": [2005], "lemp": [5.0],
                                             "treated": [0], "first.treat": [0]})])
    with pytest.warns(EstimationWarning, match="singleton"):
        twfe(single, "lemp", "treated", "countyreal", "year")


def test_before_after_2x2(mpdta):
    r = before_after(mpdta, "lemp", "countyreal", "year", "first.treat", treated_cohort=2006)
    m = r.means
    did = (m.loc["treated", "after"] - m.loc["treated", "before"]) - (
        m.loc["control", "after"] - m.loc["control", "before"])
    assert r.did == pytest.approx(did, abs=1e-12)
    assert r.tidy()["estimate"].iloc[0] == pytest.approx(did, abs=1e-10)
    assert r.n_units == {"treated": 40, "control": 309}
    assert r.se > 0 and "2x2" in r.summary() and r.plot() is not None
    ny = before_after(mpdta, "lemp", "countyreal", "year", "first.treat", treated_cohort=2004,
                      control_group="not_yet_treated")
    assert ny.periods["after"] == [2004, 2005]  # window ends before the 2006 cohort
    with pytest.raises(EstimationError, match="not a cohort"):
        before_after(mpdta, "lemp", "countyreal", "year", "first.treat", treated_cohort=2005)


def test_event_study_sun_abraham_matches_fixest(mpdta):
    r = event_study(mpdta, "lemp", "countyreal", "year", "first.treat", method="sun_abraham")
    tab = r.table.set_index("event_time")
    for e, b, se in REF["sun_abraham_fixest"]["event"]:
        assert tab.loc[e, "estimate"] == pytest.approx(b, abs=1e-8)
        assert tab.loc[e, "std_error"] == pytest.approx(se, abs=1e-8)
    assert tab.loc[-1, "reference"] and tab.loc[-1, "estimate"] == 0


def test_event_study_twfe_binning_and_pretrend(mpdta):
    r = event_study(mpdta, "lemp", "countyreal", "year", "first.treat", leads=2, lags=1)
    assert list(r.table["event_time"]) == [-2, -1, 0, 1]
    pt = r.pretrend_test()
    assert pt.df == 1
    assert pt.statistic == pytest.approx(
        (r.table.set_index("event_time").loc[-2, "estimate"]
         / r.table.set_index("event_time").loc[-2, "std_error"]) ** 2)
    assert r.plot() is not None and "Joint pre-trend" in r.summary()


def test_event_study_cs_matches_aggregate(mpdta):
    r = event_study(mpdta, "lemp", "countyreal", "year", "first.treat", method="cs")
    dyn = REF["no_covariates_never_treated_dr"]["aggte"]["dynamic"]
    post = r.table[r.table["event_time"] >= 0]["estimate"].mean()
    assert post == pytest.approx(dyn[0], abs=1e-10)
    assert 0 < r.pretrend_test().p_value < 1


def test_bacon_identity(mpdta):
    b = bacon_decomposition(mpdta, "lemp", "countyreal", "year", "first.treat")
    f = pf.feols("lemp ~ treated | countyreal + year", mpdta)
    assert b.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (b.table["weight"] * b.table["estimate"]).sum() == pytest.approx(
        f.coef()["treated"], abs=1e-12)
    assert b.twfe == pytest.approx(f.coef()["treated"], abs=1e-12)
    assert len(b.table) == 9
    assert set(b.table["type"]) == {"Treated vs never treated", "Earlier vs later treated",
                                    "Later vs earlier treated"}
    assert b.plot() is not None and "already-treated" in b.summary()


def test_bacon_identity_always_and_no_never(mpdta):
    d = mpdta.copy()
    d.loc[d["countyreal"].isin(d["countyreal"].unique()[:30]), "first.treat"] = 2003
    for data in (d, mpdta[mpdta["first.treat"] > 0]):
        g = data["first.treat"]
        D = ((g > 0) & (data["year"] >= g)).astype(float)
        coef = pf.feols("lemp ~ D | countyreal + year", data.assign(D=D)).coef()["D"]
        b = bacon_decomposition(data, "lemp", "countyreal", "year", "first.treat")
        assert (b.table["weight"] * b.table["estimate"]).sum() == pytest.approx(coef, abs=1e-12)


def test_regression_table(mpdta):
    r1 = twfe(mpdta, "lemp", "treated", "countyreal", "year")
    r2 = twfe(mpdta, "lemp", "treated", "countyreal", "year", controls=["x"])
    ba = before_after(mpdta, "lemp", "countyreal", "year", "first.treat")
    tab = regression_table([r1, r2, ba], names=["TWFE", "TWFE+X", "2x2"])
    assert list(tab.frame.columns) == ["TWFE", "TWFE+X", "2x2"]
    assert "treated" in tab.frame.index and "did" in tab.frame.index
    html = tab.html()
    assert html.startswith("<table") and "TWFE+X" in html
    tex = tab.latex()
    assert r"\begin{tabular}" in tex and "2,500" in tex
    with pytest.raises(EstimationError):
        regression_table([r1], names=["a", "b"])


@pytest.mark.parametrize("drop", [0, 300])
def test_sun_abraham_fast_path_equals_pyfixest(mpdta, monkeypatch, drop):
    """The sparse Sun-Abraham regression reproduces pyfixest feols (its fallback) with a
    covariate, clusters and an unbalanced panel."""
    import importlib

    es = importlib.import_module("p3k_study.estimate.event_study")
    rng = np.random.default_rng(5)
    d = mpdta.drop(index=rng.choice(len(mpdta), size=drop, replace=False)) if drop else mpdta
    kw = {"method": "sun_abraham", "cluster": "state", "covariates": ["x"]}
    fast = event_study(d, "lemp", "countyreal", "year", "first.treat", **kw)
    assert fast.model is None  # the fast path ran
    monkeypatch.setattr(es, "_fast_feols", lambda *a, **k: None)
    slow = event_study(d, "lemp", "countyreal", "year", "first.treat", **kw)
    assert slow.model is not None
    np.testing.assert_allclose(fast.table["estimate"], slow.table["estimate"], atol=1e-10)
    np.testing.assert_allclose(fast.table["std_error"], slow.table["std_error"], atol=1e-7)
    assert fast.pretrend.p_value == pytest.approx(slow.pretrend.p_value, abs=1e-6)


def test_bacon_unbalanced_names_its_sample_and_both_twfe(mpdta):
    """Issue 14 item 11: on an unbalanced panel the decomposition runs on the fully observed
    units only; the result carries that sample and its TWFE beside the full-sample TWFE."""
    rng = np.random.default_rng(3)
    drop = rng.choice(len(mpdta), size=300, replace=False)
    d = mpdta.drop(index=mpdta.index[drop])
    full = pf.feols("lemp ~ treated | countyreal + year", d).coef()["treated"]
    counts = d.groupby("countyreal").size()
    kept = d[d["countyreal"].isin(counts[counts == d["year"].nunique()].index)]
    balanced = pf.feols("lemp ~ treated | countyreal + year", kept).coef()["treated"]
    assert abs(full - balanced) > 1e-3  # the two samples give different TWFE
    with pytest.warns(EstimationWarning, match="full sample"):
        b = bacon_decomposition(d, "lemp", "countyreal", "year", "first.treat")
    assert b.twfe == pytest.approx(balanced, abs=1e-12)
    assert b.twfe_full == pytest.approx(full, abs=1e-10)
    assert (b.n_units, b.n_obs) == (kept["countyreal"].nunique(), len(kept))
    assert (b.n_units_full, b.n_obs_full) == (d["countyreal"].nunique(), len(d))
    t = b.tidy().set_index("term")
    assert t.loc["TWFE (decomposed sample)", "estimate"] == pytest.approx(balanced, abs=1e-12)
    assert t.loc["TWFE (full sample)", "estimate"] == pytest.approx(full, abs=1e-10)
    assert t.loc["TWFE (decomposed sample)", "n_units"] == kept["countyreal"].nunique()
    assert t.loc["TWFE (full sample)", "n_obs"] == len(d)
    s = b.summary()
    assert f"{kept['countyreal'].nunique()} of {d['countyreal'].nunique()} units" in s
    assert f"{full:.4f}" in s and f"{balanced:.4f}" in s
