"""`cont_did` (Callaway, Goodman-Bacon & Sant'Anna 2024) against moderndid 0.2.0's `cont_did`
(numbers in tests/reference/cont_did.json, from make_cont_did_reference.py), against `att_gt`,
and on simulated panels with a known dose-response."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import p3k_study
from p3k_study.estimate import EstimationError, att_gt, cont_did

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "cont_did.json").read_text())
MD_COLS = ("Y", "id", "time_period", "G", "D")
P3K_COLS = ("ikm", "unit_id", "period_index", "cohort", "p3k_share")
CONFIGS = {
    "moderndid_default": ("cont_did_moderndid.csv", MD_COLS, {}),
    "moderndid_never_knots": ("cont_did_moderndid.csv", MD_COLS,
                              {"control_group": "never_treated", "degree": 2, "num_knots": 2}),
    "two_period": ("cont_did_two_period.csv", MD_COLS, {}),
    "p3k_default": ("cont_did_p3k.csv", P3K_COLS, {}),
    "p3k_knots": ("cont_did_p3k.csv", P3K_COLS, {"num_knots": 1}),
}


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / name)


def _fit(config: str):  # type: ignore[no-untyped-def]
    file, cols, kw = CONFIGS[config]
    return cont_did(_data(file), *cols, **kw)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_point_estimates_match_moderndid(config: str) -> None:
    ref = REF[config]
    res = _fit(config)
    t = res.tidy()
    att_d, acrt_d = t[t["term"] == "ATT(d)"], t[t["term"] == "ACRT(d)"]
    assert res.att == pytest.approx(ref["overall_att"], abs=1e-10)
    assert res.acrt == pytest.approx(ref["overall_acrt"], abs=1e-10)
    np.testing.assert_allclose(att_d["dose"], ref["dose"], atol=1e-12)
    np.testing.assert_allclose(att_d["estimate"], ref["att_d"], atol=1e-10)
    np.testing.assert_allclose(acrt_d["estimate"], ref["acrt_d"], atol=1e-9)


def test_standard_errors_match_moderndid_influence_functions_in_one_cell() -> None:
    """Two periods, one cohort: moderndid's influence functions are consistent there. ACRT(d)
    agrees exactly; ATT(d) adds the comparison mean's variance, which moderndid 0.2.0 leaves out;
    ACRT^o differs by the factor n_subset / n_treated moderndid scales its influence with."""
    ref = REF["two_period"]["influence_se"]
    data = _data("cont_did_two_period.csv")
    res = cont_did(data, *MD_COLS)
    t = res.tidy()
    att_d, acrt_d = t[t["term"] == "ATT(d)"], t[t["term"] == "ACRT(d)"]
    np.testing.assert_allclose(acrt_d["std_error"], ref["acrt_d"], rtol=1e-8)
    n = res.n_units
    never = (data.groupby("id")["G"].first() == 0).to_numpy()
    comparison_var = np.sum(res.influence[never, 0] ** 2) / n**2
    np.testing.assert_allclose(att_d["std_error"] ** 2,
                               np.array(ref["att_d"]) ** 2 + comparison_var, rtol=1e-8)
    n_treated = int((~never).sum())
    assert t["std_error"].iloc[1] == pytest.approx(ref["overall_acrt"] * n / n_treated,
                                                   rel=1e-8)


@pytest.mark.parametrize("control_group", ["not_yet_treated", "never_treated"])
def test_overall_att_equals_att_gt_group_aggregation(control_group: str) -> None:
    """ATT^o is the binary DiD of each cell aggregated as R did's "group" overall ATT."""
    data = _data("cont_did_moderndid.csv")
    res = cont_did(data, *MD_COLS, control_group=control_group)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agg = att_gt(data, "Y", "id", "time_period", "G", control_group=control_group,
                     est_method="reg").aggregate("group").tidy()
    row = res.tidy().iloc[0]
    assert row["term"] == "ATT"
    assert row["estimate"] == pytest.approx(agg["estimate"].iloc[0], abs=1e-12)
    assert row["std_error"] == pytest.approx(agg["std_error"].iloc[0], rel=1e-10)


def _simulated(n: int = 4000, periods: int = 6, seed: int = 3) -> pd.DataFrame:
    """Staggered adoption in periods 3-5, dose ~ U(0.05, 0.6), ATT(d) = 2 d - 2 d^2."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4, 5], size=n, p=[0.3, 0.3, 0.2, 0.2])
    dose = np.where(g > 0, rng.uniform(0.05, 0.6, n), 0.0)
    t = np.arange(1, periods + 1)
    post = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = (rng.normal(70 + g, 2.0)[:, None] + 0.5 * t + (2 * dose - 2 * dose**2)[:, None] * post
         + rng.normal(0, 0.5, (n, periods)))
    return pd.DataFrame({"unit_id": np.repeat(np.arange(n), periods),
                         "period_index": np.tile(t, n), "ikm": y.ravel(),
                         "cohort": np.repeat(g, periods), "p3k_share": np.repeat(dose, periods)})


def test_recovers_a_known_dose_response() -> None:
    res = cont_did(_simulated(), *P3K_COLS)
    t = res.tidy()
    att_d, acrt_d = t[t["term"] == "ATT(d)"], t[t["term"] == "ACRT(d)"]
    d = att_d["dose"].to_numpy()
    truth_att, truth_acrt = 2 * d - 2 * d**2, 2 - 4 * d
    assert ((att_d["band_low"] <= truth_att) & (truth_att <= att_d["band_high"])).all()
    assert ((acrt_d["band_low"] <= truth_acrt) & (truth_acrt <= acrt_d["band_high"])).all()
    assert np.mean(np.abs(att_d["estimate"] - truth_att)) < 0.05
    doses = _simulated().groupby("unit_id")["p3k_share"].first()
    doses = doses[doses > 0]
    se = t["std_error"].to_numpy()
    assert abs(res.att - np.mean(2 * doses - 2 * doses**2)) < 3 * se[0]
    assert abs(res.acrt - np.mean(2 - 4 * doses)) < 3 * se[1]
    # the band is wider than the pointwise interval, and both are positive-width
    assert (att_d["band_high"] - att_d["band_low"] > att_d["ci_high"] - att_d["ci_low"]).all()


def test_bins_recover_the_mean_effect_per_bin() -> None:
    data = _simulated()
    res = cont_did(data, *P3K_COLS, dose_method="bins", n_bins=4)
    t = res.tidy()
    att_b = t[t["term"] == "ATT(d)"]
    doses = data.loc[data["cohort"] > 0].groupby("unit_id")["p3k_share"].first()
    edges = np.quantile(doses, [0.25, 0.5, 0.75])
    truth = [np.mean(2 * v - 2 * v**2) for v in np.split(np.sort(doses.to_numpy()),
                                                           np.searchsorted(np.sort(doses), edges))]
    np.testing.assert_allclose(att_b["estimate"], truth, atol=0.05)
    acrt_b = t[t["term"] == "ACRT(d)"]
    assert np.isnan(acrt_b["estimate"].iloc[0])  # the lowest bin has no bin below it
    assert acrt_b["estimate"].iloc[1:].notna().all()


def test_dose_is_the_share_in_the_first_treated_period() -> None:
    """A share that keeps growing after adoption gives the same result as its value in the
    cohort period held constant."""
    data = _simulated(n=600)
    growing = data.copy()
    after = (growing["cohort"] > 0) & (growing["period_index"] > growing["cohort"])
    growing.loc[after, "p3k_share"] += 0.05 * (growing["period_index"] - growing["cohort"])
    growing.loc[growing["period_index"] < growing["cohort"], "p3k_share"] = 0.0
    a = cont_did(data, *P3K_COLS).tidy()
    b = cont_did(growing, *P3K_COLS).tidy()
    pd.testing.assert_frame_equal(a, b)


def test_bootstrap_is_seeded_and_close_to_analytic() -> None:
    data = _data("cont_did_moderndid.csv")
    a = cont_did(data, *MD_COLS, bootstrap=999, seed=5).tidy()
    b = cont_did(data, *MD_COLS, bootstrap=999, seed=5).tidy()
    c = cont_did(data, *MD_COLS, bootstrap=999, seed=6).tidy()
    analytic = cont_did(data, *MD_COLS).tidy()
    pd.testing.assert_frame_equal(a, b)
    assert not a["std_error"].equals(c["std_error"])
    np.testing.assert_allclose(a["std_error"], analytic["std_error"], rtol=0.15)


def test_result_vocabulary() -> None:
    res = _fit("p3k_default")
    t = res.tidy()
    assert list(t.columns[:10]) == ["term", "dose", "estimate", "std_error", "statistic",
                                    "p_value", "ci_low", "ci_high", "band_low", "band_high"]
    assert t["term"].iloc[:2].tolist() == ["ATT", "ACRT"]
    v = res.vcov()
    assert v.shape == (len(t), len(t))
    np.testing.assert_allclose(np.sqrt(np.diag(v)), t["std_error"], rtol=1e-12)
    text = res.summary()
    assert "Callaway, Goodman-Bacon & Sant'Anna 2024" in text and "ACRT" in text
    fig = res.plot()
    assert len(fig.axes) == 2
    assert p3k_study.cont_did is cont_did


def test_clustered_standard_errors_sum_within_clusters() -> None:
    data = _data("cont_did_p3k.csv")
    data["pemda"] = data["unit_id"] // 10
    res = cont_did(data, *P3K_COLS, cluster="pemda")
    psi = pd.DataFrame(_fit("p3k_default").influence).groupby(
        np.sort(data["unit_id"].unique()) // 10).sum().to_numpy()
    np.testing.assert_allclose(res.tidy()["std_error"],
                               np.sqrt((psi**2).sum(axis=0)) / res.n_units, rtol=1e-10)


def test_unbalanced_panel_uses_units_observed_in_both_periods() -> None:
    data = _data("cont_did_p3k.csv")
    gone = (data["unit_id"] % 7 == 0) & (data["period_index"] == 6)
    holes = data.copy()
    holes.loc[gone, "ikm"] = np.nan
    res = cont_did(holes, *P3K_COLS)
    cell = res.cells[(res.cells["time"] == 6)]
    full = _fit("p3k_default").cells
    assert (cell["n_treated"].to_numpy() + cell["n_comparison"].to_numpy()
            < full.loc[full["time"] == 6, "n_treated"].to_numpy()
            + full.loc[full["time"] == 6, "n_comparison"].to_numpy()).all()
    assert np.isfinite(res.att)


def test_missing_dose_column_is_named() -> None:
    data = _data("cont_did_p3k.csv").drop(columns="p3k_share")
    with pytest.raises(EstimationError, match="p3k_share"):
        cont_did(data, *P3K_COLS)


def test_no_untreated_units_is_refused() -> None:
    data = _data("cont_did_p3k.csv")
    data = data[data["cohort"] == 3]
    with pytest.raises(EstimationError, match="no untreated units"):
        cont_did(data, *P3K_COLS)
    with pytest.raises(EstimationError, match="no never-treated units"):
        cont_did(_data("cont_did_p3k.csv").query("cohort > 0"), *P3K_COLS,
                 control_group="never_treated")


def test_treated_units_without_a_dose_are_refused_or_noted() -> None:
    data = _data("cont_did_p3k.csv")
    no_dose = data.assign(p3k_share=np.where(data["cohort"] > 0, 0.0, data["p3k_share"]))
    with pytest.raises(EstimationError, match="positive 'p3k_share'"):
        cont_did(no_dose, *P3K_COLS)
    some = data.copy()
    some.loc[some["unit_id"] <= 20, "p3k_share"] = np.nan
    res = cont_did(some, *P3K_COLS)
    n_lost = int(((some["unit_id"] <= 20) & (some["cohort"] > 0)).groupby(some["unit_id"]).any()
                 .sum())
    assert any(f"{n_lost} treated units without a positive" in note for note in res.notes)


def test_bad_arguments_and_duplicates_are_refused() -> None:
    data = _data("cont_did_p3k.csv")
    with pytest.raises(EstimationError, match="duplicated"):
        cont_did(pd.concat([data, data.head(1)]), *P3K_COLS)
    with pytest.raises(EstimationError, match="control_group"):
        cont_did(data, *P3K_COLS, control_group="nevertreated")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="dose_method"):
        cont_did(data, *P3K_COLS, dose_method="kernel")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="must be numeric"):
        cont_did(data.assign(p3k_share=data["p3k_share"].astype(str)), *P3K_COLS)


def test_always_treated_and_late_cohorts() -> None:
    """Units treated from the first period have no base period and are left out; units first
    treated after the last period are never treated within the window."""
    data = _data("cont_did_p3k.csv")
    first, last = data["period_index"].min(), data["period_index"].max()
    base = cont_did(data, *P3K_COLS)
    odd = data.copy()
    odd.loc[odd["unit_id"] <= 5, "cohort"] = first
    odd.loc[odd["unit_id"].between(6, 10), "cohort"] = last + 3
    res = cont_did(odd, *P3K_COLS)
    n_always = odd.loc[odd["unit_id"] <= 5, "unit_id"].nunique()
    assert any(f"{n_always} units treated from the first period" in n for n in res.notes)
    assert any("first treated after the last period count as never treated" in n
               for n in res.notes)
    assert res.n_units == base.n_units - n_always
    g = odd.groupby("unit_id")["cohort"].first()
    assert res.n_comparison_units == int(((g == 0) | (g > last)).sum())
