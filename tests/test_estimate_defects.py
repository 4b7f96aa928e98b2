"""Defects of issue 14 in the estimators, one test (or more) each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyfixest.estimation import demean

from p3k_study.estimate import EstimationError, event_study, twfe

ARGS = ("lemp", "countyreal", "year", "first.treat")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    from pathlib import Path

    d = pd.read_csv(Path(__file__).parent / "data" / "mpdta.csv")
    d["post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    return d


def _drop_one_duplicate_another(d: pd.DataFrame) -> pd.DataFrame:
    """Same row count as the balanced panel: row 3 dropped, row 10 doubled."""
    return pd.concat([d.drop(index=3), d.iloc[[10]]], ignore_index=True)


# ---------------------------------------------------------------- 6: duplicates, balance check
@pytest.mark.parametrize("call", [
    lambda d: twfe(d, "lemp", "post", "countyreal", "year"),
    lambda d: event_study(d, *ARGS, method="twfe"),
    lambda d: event_study(d, *ARGS, method="sun_abraham"),
    lambda d: event_study(d, *ARGS, method="cs"),
])
def test_duplicate_unit_periods_refused_naming_them(mpdta, call):
    d = _drop_one_duplicate_another(mpdta)
    unit, year = d.iloc[-1][["countyreal", "year"]]
    with pytest.raises(EstimationError, match=rf"duplicated.*\({unit:g}, {year:g}\)"):
        call(d)


def test_two_way_demean_shortcut_checks_actual_balance():
    """Rows = units x periods but one cell missing and another doubled: not balanced, so the
    closed form must not be used (it gave Sun-Abraham estimates 0.04 away from pyfixest)."""
    import importlib

    es = importlib.import_module("p3k_study.estimate.event_study")
    rng = np.random.default_rng(0)
    u = np.repeat(np.arange(6), 4)
    t = np.tile(np.arange(4), 6)
    u, t = u.copy(), t.copy()
    t[5] = t[4]  # unit 1: period 1 missing, period 0 twice; still 24 rows
    x = rng.normal(size=(24, 2))
    got = es._two_way_demean(x, u, t)
    want, _ = demean(x.copy(), np.column_stack([u, t]).astype(np.uint64), np.ones(24),
                     tol=1e-12, maxiter=100_000)
    np.testing.assert_allclose(got, want, atol=1e-8)


# ---------------------------------------------------------------- 8: Sun-Abraham binning
def _long_support_panel() -> tuple[pd.DataFrame, dict[int, float]]:
    """14 periods, cohorts 4, 7 and 10 plus never treated, no noise: y = unit + period effects +
    tau(e) with tau growing beyond lag 6 and zero before adoption (event times -9..+10)."""
    rng = np.random.default_rng(3)
    tau = {e: (1.0 + 0.15 * e if e >= 0 else 0.0) for e in range(-13, 14)}
    rows = []
    for i, g in enumerate([4] * 15 + [7] * 15 + [10] * 15 + [0] * 20):
        a = rng.normal()
        for t in range(1, 15):
            e = t - g if g else None
            rows.append({"u": i, "t": t, "g": g,
                         "y": a + 0.3 * t + (tau[e] if e is not None else 0.0)})
    return pd.DataFrame(rows), tau


def test_sun_abraham_default_does_not_bin_interior_event_times():
    d, tau = _long_support_panel()
    r = event_study(d, "y", "u", "t", "g", method="sun_abraham")
    tab = r.table.set_index("event_time")
    assert tab.index.min() == -9 and tab.index.max() == 10  # the whole observed support
    for e, row in tab.iterrows():
        assert row["estimate"] == pytest.approx(tau[e], abs=1e-8), e
    assert "no end-point binning" in r.summary()
    binned = event_study(d, "y", "u", "t", "g", method="sun_abraham", leads=4, lags=6)
    assert binned.table["event_time"].min() == -4  # asking for binning still bins


# ---------------------------------------------------------------- 9: bootstrap weights
def test_bootstrap_weights_rademacher_by_default_mammen_on_request(mpdta):
    from p3k_study.estimate import att_gt

    r = att_gt(mpdta, *ARGS, bootstrap=200, seed=1)
    n = r.n_units
    unit = np.eye(n)[:, :5] * n  # draws = the multipliers of the first five units
    vals = np.unique(np.round(r.inference.draws(unit), 12))
    assert vals.tolist() == [-1.0, 1.0]
    assert "Rademacher" in r.summary()
    m = att_gt(mpdta, *ARGS, bootstrap=200, seed=1, bootstrap_weights="mammen")
    s5 = np.sqrt(5)
    np.testing.assert_allclose(np.unique(np.round(m.inference.draws(unit), 12)),
                               [(1 - s5) / 2, (1 + s5) / 2])
    assert "Mammen" in m.summary()
    with pytest.raises(EstimationError, match="bootstrap_weights"):
        att_gt(mpdta, *ARGS, bootstrap=200, bootstrap_weights="normal")


def test_bootstrap_critical_value_matches_csdid_rademacher(mpdta):
    """R did (and csdid, its port) use Rademacher weights; Mammen's gave 2.75 on mpdta."""
    import json
    from pathlib import Path

    from p3k_study.estimate import att_gt

    ref = json.loads((Path(__file__).parent / "reference" / "mpdta_bootstrap.json").read_text())
    want = ref["crit_att_gt"]["mean"]
    crits = [att_gt(mpdta, *ARGS, bootstrap=5000, seed=s).crit for s in range(4)]
    assert np.mean(crits) == pytest.approx(want, abs=0.03)


# ---------------------------------------------------------------- 10: universal base period
def test_universal_base_reports_reference_cells_and_e_minus_1(mpdta):
    """R did (and csdid) report the reference cell t = g - 1 of each cohort as ATT 0 with a zero
    influence function (SE NA), and the dynamic aggregation's e = -1 row likewise."""
    import json
    from pathlib import Path

    from p3k_study.estimate import att_gt

    ref = json.loads((Path(__file__).parent / "reference" / "mpdta_bootstrap.json").read_text())
    r = att_gt(mpdta, *ARGS, base_period="universal")
    tab = r.table.set_index(["cohort", "time"])
    assert len(tab) == len(ref["universal"]) == 15
    for g, t, att, se in ref["universal"]:
        assert tab.loc[(g, t), "att"] == pytest.approx(att, abs=1e-8)
        if se is None:
            assert np.isnan(tab.loc[(g, t), "se"]) and not tab.loc[(g, t), "post"]
        else:
            assert tab.loc[(g, t), "se"] == pytest.approx(se, rel=1e-6)
    dyn = r.aggregate("dynamic").table.set_index("event_time")
    assert dyn.loc[-1, "att"] == 0 and np.isnan(dyn.loc[-1, "se"])
    assert np.isfinite(r.pretrend_test().p_value)  # the reference cells are not tested
    es = event_study(mpdta, *ARGS, method="cs", base_period="universal")
    e1 = es.table.set_index("event_time").loc[-1]
    assert e1["estimate"] == 0 and bool(e1["reference"])
    assert np.isfinite(es.pretrend_test().p_value)


# ---------------------------------------------------------------- 12: docstrings
def test_did_docstring_names_the_estimators_and_peers_as_they_are():
    import importlib

    did = importlib.import_module("p3k_study.estimate.did")
    from p3k_study.estimate._drdid import ESTIMATORS, drdid_imp_panel, drdid_panel

    assert ESTIMATORS["dr"] is drdid_panel and ESTIMATORS["dr_imp"] is drdid_imp_panel
    doc = " ".join(did.__doc__.split())
    assert '"dr" (DRDID::drdid_panel' in doc and '"dr_imp" (DRDID::drdid_imp_panel' in doc
    assert "cannot be installed" not in doc and "`moderndid` 0.2.0 both install" in doc
    assert "needs twine and plotnine at run time" not in doc
    att_gt_doc = " ".join(did.att_gt.__doc__.split())
    assert "dr_imp" in att_gt_doc


# ---------------------------------------------------------------- 7: min_treated (pairwise)
def test_pairwise_cells_with_one_treated_unit_left_out_by_default(mpdta):
    """Only one 2004 county is observed in 2003, the base of every post cell of cohort 2004:
    those cells rest on one treated unit, whose SE would come from the comparison units alone."""
    import warnings

    from p3k_study.estimate import EstimationWarning, att_gt

    c04 = mpdta.loc[mpdta["first.treat"] == 2004, "countyreal"].unique()
    d = mpdta[~((mpdta["countyreal"].isin(c04[1:])) & (mpdta["year"] == 2003))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = att_gt(d, *ARGS, unbalanced="pairwise")
    msgs = [str(w.message) for w in caught if issubclass(w.category, EstimationWarning)]
    tab = r.table.set_index(["cohort", "time"])
    for t in (2004, 2005, 2006, 2007):
        assert tab.loc[(2004, t), "n_treated"] == 1
        assert np.isnan(tab.loc[(2004, t), "att"])
        assert sum(f"ATT(2004,{t})" in m and "min_treated" in m for m in msgs) == 1
    assert np.isfinite(tab.loc[(2006, 2006), "att"])
    assert np.isfinite(r.aggregate("simple").att)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = att_gt(d, *ARGS, unbalanced="pairwise", min_treated=1)
    assert np.isfinite(one.table.set_index(["cohort", "time"]).loc[(2004, 2005), "att"])
    with pytest.raises(EstimationError, match="min_treated"):
        att_gt(d, *ARGS, unbalanced="pairwise", min_treated=0)
