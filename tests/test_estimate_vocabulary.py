"""One vocabulary over every estimator result (issue 14 item 14, docs/methods.md "Results"):
tidy() columns, cohort/time/event_time as their own columns with period labels, vcov() a method,
tests as a typed TestResult, plot() drawn by p3k_study.plots (a Figure outside pyplot), numpydoc
docstrings, and summaries that name periods by label, never by index."""

from __future__ import annotations

import dataclasses
import inspect
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from fixtures_panel import make_panel
from matplotlib.figure import Figure

import p3k_study as p3k
from p3k_study.estimate import EstimationError
from p3k_study.estimate._common import TIDY_COLUMNS, TestResult

matplotlib.use("Agg")
DID = {"unit": "unit_id", "time": "period_index", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(0)


@pytest.fixture(scope="module")
def results(panel) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = p3k.att_gt(panel, "ikm", **DID, control_group="not_yet_treated")
        gt_boot = p3k.att_gt(panel, "ikm", **DID, control_group="not_yet_treated",
                             bootstrap=199, seed=1)
        tw = p3k.twfe(panel, "ikm", "treated", "unit_id", "period_index")
        out = {
            "att_gt": gt,
            "att_gt_bootstrap": gt_boot,
            "dynamic": gt.aggregate("dynamic"),
            "dynamic_bootstrap": gt_boot.aggregate("dynamic"),
            "group": gt.aggregate("group"),
            "calendar": gt.aggregate("calendar"),
            "simple": gt.aggregate("simple"),
            "event_twfe": p3k.event_study(panel, "ikm", **DID),
            "event_sa": p3k.event_study(panel, "ikm", **DID, method="sun_abraham"),
            "event_cs": p3k.event_study(panel, "ikm", **DID, method="cs", bootstrap=199, seed=1),
            "twfe": tw,
            "before_after": p3k.before_after(panel, "ikm", **DID),
            "bacon": p3k.bacon_decomposition(panel, "ikm", **DID),
            "weights": p3k.twfe_weights(panel, "ikm", **DID),
            "imputation": p3k.did_imputation(panel, "ikm", **DID, cluster="kode_pemda"),
        }
        out["table"] = p3k.regression_table([tw, out["before_after"]], names=["TWFE", "2x2"])
    return out


def test_tidy_has_the_shared_columns_in_order(results):
    for name, res in results.items():
        t = res.tidy()
        cols = [c for c in t.columns if c in TIDY_COLUMNS]
        assert cols == TIDY_COLUMNS, name
        assert t.columns[0] == ("model" if name == "table" else "term"), name


def test_keys_are_columns_and_periods_are_labels(results, panel):
    labels = set(panel["period"]) | {"never"}
    t = results["att_gt"].tidy()
    assert set(t["cohort"]) <= labels and set(t["time"]) <= labels
    index = dict(zip(panel["period"], panel["period_index"], strict=False))
    assert (t["event_time"] == [index[a] - index[b] for a, b in
                                zip(t["time"], t["cohort"], strict=True)]).all()
    assert all(re.fullmatch(r"ATT\(20\d\d-S[12],20\d\d-S[12]\)", x) for x in t["term"])
    g = results["group"].tidy()
    assert g["term"].iloc[0] == "ATT" and pd.isna(g["cohort"].iloc[0])
    assert set(g["cohort"].dropna()) <= labels
    assert set(results["calendar"].tidy()["time"].dropna()) <= labels
    d = results["dynamic"].tidy()
    assert d["event_time"].dropna().tolist() == sorted(d["event_time"].dropna().tolist())
    assert results["before_after"].tidy()["cohort"].iloc[0] in labels
    assert results["simple"].tidy()["term"].tolist() == ["ATT"]
    w = results["weights"].weights()
    assert set(w["cohort"]) <= labels and set(w["time"]) <= labels


def test_bands_only_where_simultaneous_limits_exist(results):
    assert "band_low" not in results["att_gt"].tidy().columns
    assert "band_low" not in results["dynamic"].tidy().columns
    for name in ("att_gt_bootstrap", "dynamic_bootstrap", "event_cs", "imputation"):
        t = results[name].tidy()
        rows = t[t["term"] != "ATT"].dropna(subset=["std_error"])
        assert {"band_low", "band_high"} <= set(t.columns), name
        # simultaneous limits are wider than the pointwise ones
        assert (rows["band_high"] - rows["band_low"] >= rows["ci_high"] - rows["ci_low"]
                - 1e-12).all(), name
        assert ((rows["band_high"] - rows["band_low"]) > (rows["ci_high"] - rows["ci_low"])
                ).any(), name


def test_vcov_is_a_method_everywhere(results):
    for name, res in results.items():
        assert inspect.ismethod(res.vcov), name
        try:
            v = res.vcov()
        except EstimationError:
            assert name in ("bacon", "weights"), name  # no sampling variance
            continue
        if name == "table":
            assert set(v) == {"TWFE", "2x2"}
            continue
        v = np.asarray(v)
        assert v.shape[0] == v.shape[1] and np.allclose(v, v.T, equal_nan=True), name
    t = results["att_gt"]
    np.testing.assert_allclose(np.sqrt(np.diag(t.vcov())), t.table["se"], rtol=1e-10)


def test_tests_are_typed_results(results):
    pt = results["att_gt"].pretrend_test()
    assert isinstance(pt, TestResult) and dataclasses.is_dataclass(pt)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pt.p_value = 0.5  # type: ignore[misc]
    assert 0 <= pt.p_value <= 1 and pt.df >= 1 and pt.method
    assert f"p = {pt.p_value:.5f}" in str(pt)
    for name in ("event_twfe", "event_sa", "event_cs"):
        es = results[name].pretrend_test()
        assert isinstance(es, TestResult) and es.available, name
        assert str(es) in results[name].summary()
    none = TestResult(np.nan, 3, np.nan, "F", note="too few units")
    assert str(none) == "not available (too few units)"


def test_plots_are_figures_from_p3k_study_plots(results):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for name, res in results.items():
        fig = res.plot()
        assert isinstance(fig, Figure), name
        assert fig.axes, name
    assert plt.get_fignums() == before  # nothing left open in pyplot


def test_summaries_name_periods_by_label(results, panel):
    indices = {str(i) for i in set(panel["period_index"]) | set(panel["cohort"]) if i}
    for name, res in results.items():
        text = res.summary()
        found = set(re.findall(r"(?<![\w.])\d+(?!\w|\.\d)", text)) & indices
        assert not found, (name, found)
    assert any(lab in results["before_after"].summary() for lab in set(panel["period"]))


def test_warnings_name_periods_by_label(panel):
    sample = panel[~((panel["cohort"] == panel["cohort"].max()) & (panel["unit_id"] !=
                     panel.loc[panel["cohort"] == panel["cohort"].max(), "unit_id"].iloc[0]))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = p3k.att_gt(sample, "ikm", **DID)
    single = [str(w.message) for w in caught if "single unit" in str(w.message)]
    assert single and re.search(r"20\d\d-S[12]", single[0])
    assert str(int(panel["cohort"].max())) not in single[0]
    assert not any(str(int(panel["cohort"].max())) in n for n in r.notes)


@pytest.mark.parametrize("fn", [p3k.att_gt, p3k.event_study, p3k.twfe, p3k.before_after,
                                p3k.bacon_decomposition, p3k.twfe_weights, p3k.did_imputation,
                                p3k.regression_table])
def test_public_functions_have_numpydoc_parameters(fn):
    doc = inspect.getdoc(fn) or ""
    assert "Parameters\n----------" in doc and "Returns\n-------" in doc
    for param in inspect.signature(fn).parameters:
        assert re.search(rf"(^|[ ,*]){re.escape(param)}\b", doc, flags=re.M), (fn, param)
