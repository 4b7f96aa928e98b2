"""pipeline.estimate_all on a small synthetic processed folder: files, columns, direct calls."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures_panel import make_panel, write_processed

from p3k_study.estimate import EstimationWarning, att_gt, did_imputation, twfe, twfe_weights
from p3k_study.pipeline import estimate_all

TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
DID = {"outcome": "ikm", "unit": "unit_id", "time": "period_index", "cohort": "cohort"}
MODELS = ["imputation", "twfe_indicator", "twfe_share", "cs_simple", "cs_dynamic", "cs_group",
          "cs_calendar", "twfe_weights"]


def _run(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths = estimate_all(folder)
    return pd.read_csv(paths[0]), pd.read_csv(paths[1]), paths


def test_outputs_columns_and_direct_calls(tmp_path):
    folder = write_processed(tmp_path / "processed", seed=0)
    national, gt_table, paths = _run(folder)
    assert paths == [folder / "estimates" / "national.csv", folder / "estimates" / "att_gt.csv"]
    assert all(p.exists() for p in paths)
    assert list(national.columns) == [*TIDY, "model", "control_group", "unbalanced",
                                      "event_time", "n_units", "n_obs", "cohort", "time"]
    assert list(dict.fromkeys(national["model"])) == MODELS
    assert list(gt_table.columns[:6]) == ["cohort", "time", "att", "se", "ci_low", "ci_high"]
    assert "control_group" in gt_table.columns
    assert set(gt_table["unbalanced"]) == {"pairwise"}
    # the fixture has never-treated units observed in every period
    cs = national[national["model"].str.startswith("cs_")]
    assert set(cs["control_group"]) == {"never_treated"}
    assert national.loc[~national["model"].str.startswith("cs_"), "control_group"].isna().all()
    assert set(cs["unbalanced"]) == {"pairwise"}
    assert national.loc[~national["model"].str.startswith("cs_"), "unbalanced"].isna().all()

    panel = make_panel(0).dropna(subset=["ikm"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tw = twfe(panel, "ikm", "treated", "unit_id", "period_index")
        gt = att_gt(panel, **DID, control_group="never_treated", unbalanced="pairwise")
        simple = gt.aggregate("simple")
        weights = twfe_weights(panel, **DID)
    headline = did_imputation(panel, **DID, cluster="kode_pemda", min_treated=5)
    row = national[national["model"] == "imputation"].iloc[0]
    assert row["term"] == "ATT" and row["estimate"] == pytest.approx(headline.att, rel=1e-9)
    assert row["std_error"] == pytest.approx(headline.overall()["std_error"], rel=1e-9)
    row = national[national["model"] == "twfe_indicator"].iloc[0]
    assert row["estimate"] == pytest.approx(tw.params["treated"], rel=1e-9)
    assert row["std_error"] == pytest.approx(tw.std_errors["treated"], rel=1e-9)
    row = national[national["model"] == "cs_simple"].iloc[0]
    assert row["estimate"] == pytest.approx(simple.att, rel=1e-9)
    assert row["std_error"] == pytest.approx(simple.se, rel=1e-9)
    np.testing.assert_allclose(gt_table["att"], gt.table["att"], rtol=1e-9)
    np.testing.assert_allclose(gt_table["se"], gt.table["se"], rtol=1e-9)
    w = national[national["model"] == "twfe_weights"].set_index("term")["estimate"]
    assert w["TWFE coefficient"] == pytest.approx(tw.params["treated"], rel=1e-9)
    assert w["sum of negative weights"] == pytest.approx(weights.sum_negative, rel=1e-9)


def test_no_never_treated_switches_to_not_yet_treated(tmp_path):
    folder = write_processed(tmp_path / "processed", seed=1)
    panel = pd.read_parquet(folder / "panel.parquet")
    panel = panel[panel["cohort"] > 0]
    panel.to_parquet(folder / "panel.parquet", index=False)
    with pytest.warns(EstimationWarning, match="have not hired P3K yet"):
        paths = estimate_all(folder)
    national, gt_table = pd.read_csv(paths[0]), pd.read_csv(paths[1])
    cs = national[national["model"].str.startswith("cs_")]
    assert set(cs["control_group"]) == {"not_yet_treated"}
    assert set(gt_table["control_group"]) == {"not_yet_treated"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = att_gt(panel.dropna(subset=["ikm"]), **DID, control_group="not_yet_treated",
                    unbalanced="pairwise")
    assert cs.iloc[0]["estimate"] == pytest.approx(gt.aggregate("simple").att, rel=1e-9)


def test_cs_uses_units_with_gaps(tmp_path):
    """Skipped surveys: att_gt keeps the units with gaps (pairwise), so the CS estimates rest on
    far more units than the fully observed ones and stay close to the true +2."""
    folder = write_processed(tmp_path / "processed", seed=2)
    panel = pd.read_parquet(folder / "panel.parquet")
    rng = np.random.default_rng(0)
    panel.loc[rng.random(len(panel)) < 0.3, "ikm"] = np.nan
    panel.to_parquet(folder / "panel.parquet", index=False)
    national, gt_table, _ = _run(folder)
    sample = panel.dropna(subset=["ikm"])
    full = (sample.groupby("unit_id").size() == sample["period_index"].nunique()).sum()
    assert gt_table["n_treated"].sum() > full
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = att_gt(sample, **DID, unbalanced="pairwise")
    assert gt.settings["n_used"] > 5 * max(full, 1)
    cs = national[national["model"] == "cs_simple"].iloc[0]
    assert cs["unbalanced"] == "pairwise"
    assert cs["estimate"] == pytest.approx(gt.aggregate("simple").att, rel=1e-9)
    assert abs(cs["estimate"] - 2.0) < 4 * cs["std_error"]
