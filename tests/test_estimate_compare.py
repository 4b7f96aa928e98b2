"""compare_estimators: every estimator's rows are what its own function returns, the robust
estimators recover the known truth of a simulated staggered panel, and bad input is refused."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import p3k_study
from p3k_study.estimate import (
    EstimationError,
    EstimationWarning,
    att_gt,
    compare_estimators,
    did_imputation,
    did_multiplegt,
    event_study,
)
from p3k_study.estimate.compare import COLUMNS, ESTIMATORS

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    """300 units x 10 periods of the simulated panel behind tests/reference/multiplegt.json
    (cohorts 3..8 and never treated; effects grow with exposure and differ by cohort)."""
    frame = pd.read_csv(HERE / "data" / "sim_multiplegt.csv")
    return frame[frame["unit"] <= 300].reset_index(drop=True)


@pytest.fixture(scope="module")
def compared(sim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        return compare_estimators(sim, "y", "unit", "time", "cohort", leads=3, lags=5)


def _rows(result, name: str) -> pd.DataFrame:
    return result.tidy().query("estimator == @name and term != 'ATT'").set_index("event_time")


def test_columns_order_and_att_rows(compared):
    tidy = compared.tidy()
    assert list(tidy.columns) == COLUMNS
    assert list(dict.fromkeys(tidy["estimator"])) == list(ESTIMATORS)
    with_att = set(tidy.loc[tidy["term"] == "ATT", "estimator"])
    assert with_att == {"TWFE", "Callaway-Sant'Anna", "Imputation", "dCDH"}
    assert tidy["event_time"].dropna().between(-3, 5).all()
    assert p3k_study.compare_estimators is compare_estimators


def test_each_estimators_rows_are_its_own_functions_output(sim, compared):
    args = (sim, "y", "unit", "time", "cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        twfe_es = event_study(*args, method="twfe", leads=3, lags=5)
        sa = event_study(*args, method="sun_abraham")
        dynamic = att_gt(*args).aggregate("dynamic", min_e=-3, max_e=5)
        imputation = did_imputation(*args, leads=3)
        dcdh = did_multiplegt(*args, effects=6, placebo=2)
    for name, table, column in (("TWFE", twfe_es.table, "estimate"),
                                ("Sun-Abraham", sa.table, "estimate"),
                                ("Callaway-Sant'Anna", dynamic.table, "att")):
        own = table[~table.get("reference", pd.Series(False, index=table.index)).astype(bool)]
        own = own[own["event_time"].between(-3, 5)].set_index("event_time")[column]
        ours = _rows(compared, name)["estimate"]
        assert list(ours.index) == list(own.index.astype(float))
        np.testing.assert_array_equal(ours.to_numpy(), own.to_numpy())
    imp = imputation.tidy()
    imp = imp[imp["event_time"].between(-3, 5)].set_index("event_time").sort_index()
    np.testing.assert_array_equal(_rows(compared, "Imputation")["std_error"],
                                  imp["std_error"])
    own = dcdh.event_study().set_index("event_time")
    np.testing.assert_array_equal(_rows(compared, "dCDH")["estimate"], own["estimate"])
    att = compared.overall().set_index("estimator")["estimate"]
    assert att["dCDH"] == dcdh.att and att["Imputation"] == imputation.att
    assert "dCDH" in compared.results and compared.results["dCDH"].att == dcdh.att


def test_robust_estimators_recover_the_simulated_truth(sim, compared):
    """Truth at event time e: the mean true effect of the treated unit-periods e periods after
    adoption (all four robust estimators average these cells with cohort-size weights on a
    balanced panel); pre-periods: 0. TWFE is not held to it."""
    e = sim["time"] - sim["cohort"]
    truth = sim[(sim["cohort"] > 0) & (e >= 0)].groupby(e)["tau"].mean()
    for name in ("Sun-Abraham", "Callaway-Sant'Anna", "Imputation", "dCDH"):
        rows = _rows(compared, name)
        post = rows[rows.index >= 0]
        z = (post["estimate"] - truth.loc[post.index.astype(int)].to_numpy()) / post["std_error"]
        assert np.abs(z).max() < 3.5, (name, z.to_dict())
        pre = rows[rows.index < 0]
        assert np.abs(pre["estimate"] / pre["std_error"]).max() < 3.5, name


def test_mpdta_summary_and_figure():
    mpdta = pd.read_csv(HERE / "data" / "mpdta.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        result = compare_estimators(mpdta, "lemp", "countyreal", "year", "first.treat",
                                    leads=3, lags=3)
    dcdh = result.tidy().query("estimator == 'dCDH'")
    assert dcdh["term"].tolist() == ["ATT", "event_time=-3", "event_time=-2", "event_time=0",
                                     "event_time=1", "event_time=2", "event_time=3"]
    text = result.summary()
    assert "Sun-Abraham" in text and "dCDH" in text
    fig = result.plot()
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(ESTIMATORS)


def test_an_estimator_that_cannot_run_is_left_out_with_a_warning(sim):
    gappy = sim[(sim["time"] + sim["unit"]) % 7 != 0]  # no unit observed in every period
    with pytest.warns(EstimationWarning, match="Callaway-Sant'Anna left out"):
        result = compare_estimators(gappy, "y", "unit", "time", "cohort", leads=3, lags=3,
                                    estimators=["Callaway-Sant'Anna", "dCDH"])
    assert set(result.tidy()["estimator"]) == {"dCDH"}
    assert any("Callaway-Sant'Anna left out" in n for n in result.notes)


@pytest.mark.parametrize("kwargs, message", [
    ({"estimators": ["TWFE", "Synthetic control"]}, "estimators must be some of"),
    ({"estimators": []}, "estimators must be some of"),
    ({"leads": 1}, "leads must be at least 2"),
    ({"lags": -1}, "lags must be an integer >= 0"),
])
def test_refuses_bad_arguments(sim, kwargs, message):
    with pytest.raises(EstimationError, match=message):
        compare_estimators(sim, "y", "unit", "time", "cohort", **kwargs)


def test_refuses_missing_columns(sim):
    with pytest.raises(EstimationError, match=r"column\(s\) \['nope'\] not in the data"):
        compare_estimators(sim, "nope", "unit", "time", "cohort")
