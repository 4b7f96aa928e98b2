"""did_imputation: point estimates against diff-diff and a pyfixest computation from the
definition, BJS's variance (se="bjs") against diff-diff, R didimputation's published numbers and
pyfixest, coverage of its intervals in a small simulation, and its refusals."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p3k_study.estimate import EstimationError, did_imputation
from p3k_study.estimate.imputation import imputable_observations

HERE = Path(__file__).resolve().parent
MPDTA = HERE / "data" / "mpdta.csv"
REFERENCE = json.loads((HERE / "reference" / "mpdta_imputation.json").read_text())
R_REFERENCE = json.loads((HERE / "reference" / "didimputation_r.json").read_text())
README_REFERENCE = json.loads((HERE / "reference" / "didimputation_readme.json").read_text())
# panel in tests/data: (outcome, unit, time, cohort) columns
PANELS = {"mpdta": ("mpdta.csv", ("lemp", "countyreal", "year", "first.treat")),
          "region": ("imputation_region.csv", ("ikm", "unit", "period_index", "cohort")),
          "r_panel": ("didimputation_r_panel.csv", ("y", "unit", "time", "first_treat"))}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


def _fit(data: pd.DataFrame, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return did_imputation(data, "lemp", "countyreal", "year", "first.treat", **kwargs)


def test_mpdta_matches_diff_diff(mpdta):
    result = _fit(mpdta)
    assert result.att == pytest.approx(REFERENCE["overall_att"], abs=1e-10)
    post = result.event_study().query("kind == 'post'")
    ours = dict(zip(post["event_time"].astype(int).astype(str), post["estimate"], strict=True))
    assert ours.keys() == REFERENCE["event_study"].keys()
    for e, value in REFERENCE["event_study"].items():
        assert ours[e] == pytest.approx(value, abs=1e-10)


def _fit_panel(name: str, **kwargs):
    file, columns = PANELS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return did_imputation(pd.read_csv(HERE / "data" / file), *columns, **kwargs)


def _post(result) -> tuple[dict[str, float], dict[str, float]]:
    post = result.event_study().query("kind == 'post'")
    keys = post["event_time"].astype(int).astype(str)
    return (dict(zip(keys, post["estimate"], strict=True)),
            dict(zip(keys, post["std_error"], strict=True)))


@pytest.mark.parametrize(("name", "tol"), [("mpdta", 1e-10), ("region", 1e-9),
                                           ("r_panel", 1e-9)])
def test_bjs_variance_matches_diff_diff(name, tol):
    """se="bjs" against diff-diff 3.13's ImputationDiD (BJS Theorem 3, its defaults): the
    overall ATT, each event time and their SEs. Largest gaps seen (estimates / SEs): 1e-12 /
    4e-16 on mpdta, 5e-11 / 2e-11 on the simulated region (IKM points; 18 of its 60 treated
    rows cannot be imputed, and diff-diff falls back to an iterative solver there), 6e-11 /
    6e-14 on the R panel."""
    ref = REFERENCE[name]
    result = _fit_panel(name, se="bjs")
    row = result.overall()
    assert row["estimate"] == pytest.approx(ref["overall_att"], abs=tol)
    assert row["std_error"] == pytest.approx(ref["overall_se"], abs=tol)
    est, se = _post(result)
    assert est.keys() == ref["event_study"].keys()
    for e in ref["event_study"]:
        assert est[e] == pytest.approx(ref["event_study"][e], abs=tol), e
        assert se[e] == pytest.approx(ref["event_study_se"][e], abs=tol), e


def test_bjs_variance_matches_r_didimputation_published_numbers():
    """R didimputation 0.5.0 on the panel its numbers were published with (diff-diff's R
    golden file, tests/reference/didimputation_r.json). SEs agree to 2e-10; point estimates
    only to 1.7e-7 (diff-diff's own Python gives the same gap: R's fixest first stage stops its
    fixed-effect iterations at a tolerance), hence 5e-7 for estimates and 1e-9 for SEs."""
    result = _fit_panel("r_panel", se="bjs")
    row = result.overall()
    assert row["estimate"] == pytest.approx(R_REFERENCE["overall_att"], abs=5e-7)
    assert row["std_error"] == pytest.approx(R_REFERENCE["overall_se"], abs=1e-9)
    est, se = _post(result)
    assert est.keys() == R_REFERENCE["event_study"].keys()
    for e in R_REFERENCE["event_study"]:
        assert est[e] == pytest.approx(R_REFERENCE["event_study"][e], abs=5e-7), e
        assert se[e] == pytest.approx(R_REFERENCE["event_study_se"][e], abs=1e-9), e


def _printed(value: float) -> float:
    """Half a unit in the last of the 3 significant digits R's tibble prints."""
    return 0.5 * 10.0 ** (np.floor(np.log10(abs(value))) - 2)


def test_bjs_matches_the_didimputation_readme_example():
    """R didimputation's README example (df_het of did2s, 1,000 units x 31 years; the version
    whose true effect is the README's 2.2384912): the static estimate, SE and interval, the
    pretrends -5..-1 (estimates and SEs) and e = 0 agree to the 3 digits printed; e = 1..4
    estimates too. Not compared: the README's SEs for e = 1..4 (0.0841, 0.0829, 0.0843,
    0.0842), 10% above ours (0.0768, 0.0745, 0.0747, 0.0742), which diff-diff 3.13 reproduces to
    1e-15 on these data, as R didimputation 0.5.0 matches diff-diff on its own panel; in the
    package's early code (R/did_imputation.R at commit 00e64de) the untreated weights of
    horizons after the first are assigned after the data were re-sorted by cohort and event
    time, which would explain it."""
    ref = README_REFERENCE
    assert ref["true_effect_of_data"] == pytest.approx(ref["true_effect_in_readme"], abs=5e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = pd.read_csv(HERE / "data" / "df_het_2021.csv.gz")
        fit = did_imputation(data, "dep_var", "unit", "year", "g", se="bjs", leads=5)
    tidy = fit.tidy()
    row = fit.overall()
    for got, want in zip(row[["estimate", "std_error", "ci_low", "ci_high"]],
                         ref["static"]["treat"], strict=True):
        assert abs(got - want) <= _printed(want), (got, want)
    profile = tidy[tidy["kind"] != "overall"]
    by_e = profile.set_index(profile["event_time"].astype(int).astype(str))
    for e, (est, se, low, high) in ref["event_study"].items():
        assert abs(by_e.loc[e, "estimate"] - est) <= _printed(est), e
        if int(e) <= 0:
            assert abs(by_e.loc[e, "std_error"] - se) <= _printed(se), e
            assert abs(by_e.loc[e, "ci_low"] - low) <= _printed(low), e
            assert abs(by_e.loc[e, "ci_high"] - high) <= _printed(high), e
        else:
            assert by_e.loc[e, "std_error"] < 0.95 * se, e  # the gap the docstring explains


def test_bjs_lead_ses_are_pyfixest_crv1_of_the_pretrend_regression(mpdta):
    """With se="bjs" the leads get the CR1 variance of BJS's test-1 regression (untreated rows,
    unit and period effects, lead indicators), as pyfixest computes it on the same rows
    (CRV1, its default small-sample factor, fixef_rm="none")."""
    import pyfixest as pf

    result = _fit(mpdta, se="bjs", leads=3)
    first = mpdta["first.treat"]
    event = np.where(first > 0, mpdta["year"] - first, np.nan)
    rows = mpdta.assign(event=event)[~((first > 0) & (mpdta["year"] >= first))]
    rows = rows.assign(**{f"lead{k}": (rows["event"] == -k).astype(float) for k in (1, 2, 3)})
    fit = pf.feols("lemp ~ lead1 + lead2 + lead3 | countyreal + year", data=rows,
                   vcov={"CRV1": "countyreal"}, fixef_rm="none")
    leads = result.tidy().query("kind == 'pre'").sort_values("event_time", ascending=False)
    np.testing.assert_allclose(leads["estimate"], fit.coef().to_numpy(), atol=1e-10)
    # 3e-8 apart: pyfixest's residuals come from iterative demeaning (coefficients: 1e-10)
    np.testing.assert_allclose(leads["std_error"], fit.se().to_numpy(), rtol=1e-7)


def test_bjs_option_leaves_estimates_and_default_unchanged(mpdta):
    """se="bjs" changes only the variance; the default stays the jackknife with t(G-1)."""
    jack, bjs = _fit(mpdta), _fit(mpdta, se="bjs")
    np.testing.assert_array_equal(jack.tidy()["estimate"], bjs.tidy()["estimate"])
    assert jack.se == "jackknife" and jack.df == jack.n_clusters - 1
    assert bjs.se == "bjs" and bjs.df is None
    assert "jackknife" in jack.summary() and "t(499)" in jack.summary()
    assert "BJS (2024) conservative variance" in bjs.summary()
    assert "clustered by countyreal" in bjs.summary()
    assert "jackknife" in jack.tidy().attrs["std_error"]
    assert bjs.tidy().attrs["std_error"].startswith("BJS (2024)")
    row = bjs.overall()
    assert row["ci_high"] - row["estimate"] == pytest.approx(1.959963985 * row["std_error"])
    assert bjs.vcov().shape == (len(bjs.tidy()),) * 2
    with pytest.raises(EstimationError, match="se must be one of"):
        _fit(mpdta, se="hc1")


def test_equals_the_definition_computed_with_pyfixest(mpdta):
    """Step 1 with pyfixest on the untreated rows, then impute and average by hand."""
    import pyfixest as pf

    first = mpdta["first.treat"]
    data = mpdta.assign(treated=(first > 0) & (mpdta["year"] >= first))
    fit = pf.feols("lemp ~ 1 | countyreal + year", data=data[~data["treated"]], fixef_rm="none")
    fe = fit.fixef()
    unit_fe = pd.Series(fe["C(countyreal)"]).rename(index=float)
    year_fe = pd.Series(fe["C(year)"]).rename(index=float)
    treated = data[data["treated"]]
    tau = (treated["lemp"] - treated["countyreal"].astype(float).map(unit_fe)
           - treated["year"].astype(float).map(year_fe))
    result = _fit(mpdta)
    assert result.att == pytest.approx(tau.mean(), abs=1e-8)
    e = treated["year"] - treated["first.treat"]
    by_e = tau.groupby(e).mean()
    post = result.event_study().query("kind == 'post'").set_index("event_time")["estimate"]
    np.testing.assert_allclose(post.to_numpy(), by_e.loc[post.index.astype(int)].to_numpy(),
                               atol=1e-8)


def test_tidy_has_the_overall_row_and_the_profile(mpdta):
    tidy = _fit(mpdta).tidy()
    assert tidy.loc[0, "term"] == "ATT" and tidy.loc[0, "kind"] == "overall"
    profile = tidy[tidy["kind"] != "overall"]
    assert set(profile["kind"]) == {"pre", "post"}
    assert (profile["band_high"] - profile["band_low"]
            >= profile["ci_high"] - profile["ci_low"] - 1e-12).all()


def _region(rng: np.random.Generator, n_units: int = 26, n_periods: int = 14) -> pd.DataFrame:
    """A region as the simulator makes them: staggered cohorts, effects growing with event time
    and differing by cohort, units surveyed every period or once a year in alternating
    semesters, unit and period effects, iid noise."""
    cohorts = rng.choice([5, 6, 7, 8, 9, 10, 11, 0], size=n_units,
                         p=[.15, .15, .15, .15, .1, .1, .1, .1])
    rows = []
    for i, g in enumerate(cohorts):
        level = rng.normal(0, 3)
        phase = rng.integers(0, 3)
        for t in range(n_periods):
            if phase and t % 2 != phase - 1:
                continue
            treated = g > 0 and t >= g
            tau = 1 + 0.1 * (12 - g) + 0.3 * (t - g) if treated else 0.0
            rows.append((i, t, float(g), level + 0.2 * t + tau + rng.normal(), tau))
    return pd.DataFrame(rows, columns=["unit", "time", "cohort", "y", "tau"])


@pytest.mark.slow
def test_intervals_cover_the_truth_in_simulated_regions():
    """The small version of benchmarks/sim_region.py: 200 simulated regions of 26 units. The
    95% interval must cover the true average effect on the imputed rows 91-99% of the time
    (Monte Carlo SE about 1.5 points); the simultaneous band must cover the whole post-period
    profile at least 91% of the time."""
    rng = np.random.default_rng(20240901)
    covered, band_covered, z = [], [], []
    for _ in range(200):
        region = _region(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = did_imputation(region, "y", "unit", "time", "cohort", min_treated=5,
                                 band_draws=4000)
        if not fit.available:
            continue
        mask = imputable_observations(region, "y", "unit", "time", "cohort")
        truth = region.loc[mask, "tau"].mean()
        row = fit.overall()
        covered.append(row["ci_low"] <= truth <= row["ci_high"])
        z.append((row["estimate"] - truth) / row["std_error"])
        post = fit.event_study().query("kind == 'post'")
        cells = region[mask].assign(e=region["time"] - region["cohort"]).groupby("e")["tau"].mean()
        true_e = cells.loc[post["event_time"].astype(int)].to_numpy()
        band_covered.append(bool(np.all((post["band_low"] <= true_e)
                                        & (true_e <= post["band_high"]))))
    assert len(covered) >= 190
    assert 0.91 <= np.mean(covered) <= 0.99, np.mean(covered)
    assert np.mean(band_covered) >= 0.91, np.mean(band_covered)
    assert abs(np.mean(z)) < 0.2


def test_min_treated_leaves_out_thin_event_times_and_says_so(mpdta):
    full = _fit(mpdta)
    thin = _fit(mpdta, min_treated=50)
    assert set(full.event_study()["event_time"]) > set(thin.event_study()["event_time"])
    assert any("fewer than min_treated = 50" in note for note in thin.notes)
    assert np.isnan(_fit(mpdta, min_treated=10_000).att)


def test_refuses_duplicate_unit_periods_naming_them(mpdta):
    doubled = pd.concat([mpdta, mpdta.iloc[[0]]], ignore_index=True)
    with pytest.raises(EstimationError, match=r"repeat a \(countyreal, year\) pair.*8001"):
        _fit(doubled)


def test_refuses_data_where_everyone_is_treated(mpdta):
    treated = mpdta[mpdta["first.treat"] > 0].assign(**{"first.treat": 2003})
    with pytest.raises(EstimationError, match="every observation is treated"):
        _fit(treated)


def test_rows_without_untreated_link_are_not_imputed():
    """A unit first seen after adoption has no untreated row: its rows are left out."""
    data = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3], "t": [1, 2, 1, 2, 2, 3],
                         "g": [0, 0, 2, 2, 2, 2], "y": [1.0, 2.0, 1.0, 3.0, 5.0, 6.0]})
    mask = imputable_observations(data, "y", "u", "t", "g")
    assert mask.tolist() == [False, False, False, True, False, False]


def test_refuses_rows_without_a_cluster(mpdta):
    data = mpdta.assign(state=(mpdta["countyreal"] // 1000).astype(float))
    data.loc[3, "state"] = np.nan
    with pytest.raises(EstimationError, match="1 rows have no 'state'"):
        _fit(data, cluster="state")
    by_state = _fit(data.dropna(subset=["state"]), cluster="state")
    assert by_state.n_clusters == data["state"].nunique() and by_state.df == by_state.n_clusters - 1


def test_periods_with_few_comparison_units_are_left_out(mpdta):
    """min_comparison: treated rows of a period with fewer untreated units observed go."""
    late = mpdta[(mpdta["first.treat"] != 0) | (mpdta["countyreal"] % 50 == 0)]
    n_never = late.loc[late["first.treat"] == 0, "countyreal"].nunique()
    kept = _fit(late, min_comparison=n_never + 1)
    everything = _fit(late)
    assert kept.n_imputed_obs < everything.n_imputed_obs
    [row] = kept.left_out.query("reason == 'min_comparison'").itertuples()
    assert row.n_obs == everything.n_imputed_obs - kept.n_imputed_obs
    mask = imputable_observations(late, "lemp", "countyreal", "year", "first.treat",
                                  min_comparison=n_never + 1)
    assert mask.sum() == kept.n_imputed_obs


def test_refuses_times_that_are_not_whole_numbers(mpdta):
    halves = mpdta.assign(year=mpdta["year"] + 0.5, **{"first.treat": mpdta["first.treat"] + 0.5})
    with pytest.raises(EstimationError, match="'year' must hold whole numbers"):
        _fit(halves)
