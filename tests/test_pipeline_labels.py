"""Periods and cohorts as labels in the estimate tables and in the estimators' warnings.

`estimate_all` writes `2021-S1`, never the panel's period_index (4042), in att_gt.csv and in the
terms of national.csv; the warnings of the estimators it calls are re-issued with labels.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from fixtures_panel import FIRST_PERIOD, write_processed

from p3k_study.estimate import EstimationWarning
from p3k_study.labels import (
    NEVER,
    cohort_label,
    infer_frequency,
    label_periods_in_text,
    panel_labels,
)
from p3k_study.periods import period_label
from p3k_study.pipeline import estimate_all, label_period_columns, label_term

LABELS = {i: period_label(i) for i in range(4038, 4052)}  # 2019-S1 .. 2025-S2
LONE_COHORT = FIRST_PERIOD + 9  # 2023-S2


def _single_unit_cohort(folder: Path) -> Path:
    """The fixture with one unit alone in its cohort (att_gt warns about it by cohort)."""
    panel = pd.read_parquet(folder / "panel.parquet")
    lone = panel["unit_id"] == panel["unit_id"].iloc[0]
    panel.loc[lone, "cohort"] = LONE_COHORT
    panel.loc[lone, "treated"] = (panel.loc[lone, "period_index"] >= LONE_COHORT).astype(int)
    panel.to_parquet(folder / "panel.parquet", index=False)
    return folder


def _as_quarters(folder: Path) -> Path:
    """The fixture's semesters renumbered as the quarters 2019-Q1 .. 2021-Q4."""
    panel = pd.read_parquet(folder / "panel.parquet")
    first = 2019 * 4
    panel["period_index"] = panel["period_index"] - FIRST_PERIOD + first
    panel["cohort"] = panel["cohort"].where(panel["cohort"] == 0,
                                            panel["cohort"] - FIRST_PERIOD + first)
    panel["period"] = [period_label(i, "quarter") for i in panel["period_index"]]
    panel.to_parquet(folder / "panel.parquet", index=False)
    return folder


def _indices_in(table: pd.DataFrame, indices: set[int]) -> list[str]:
    """Cells of `table` (as text) holding one of `indices` as a whole number."""
    found = []
    for column in table.columns:
        for cell in map(str, table[column].tolist()):
            if any(int(n) in indices for n in re.findall(r"(?<![\d.])\d{4}(?![\d.])", cell)):
                found.append(f"{column}: {cell}")
    return found


def test_estimate_tables_show_labels_not_period_indices(tmp_path):
    folder = write_processed(tmp_path / "processed", seed=0)
    panel = pd.read_parquet(folder / "panel.parquet")
    indices = set(panel["period_index"]) | set(panel.loc[panel["cohort"] > 0, "cohort"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        national_path, gt_path = estimate_all(folder)
    national = pd.read_csv(national_path)
    gt = pd.read_csv(gt_path, dtype={"cohort": str, "time": str, "base_time": str})
    assert _indices_in(national, indices) == []
    assert _indices_in(gt, indices) == []
    labels = set(panel["period"])
    assert set(gt["cohort"]) <= labels and set(gt["time"]) <= labels
    assert set(gt["base_time"]) <= labels
    assert "cohort=2020-S2" in set(national["term"])  # the fixture's first cohort, 4041
    assert any(t.startswith("time=") for t in national["term"])
    # event time stays a number of periods: time - cohort
    index_of = dict(zip(panel["period"], panel["period_index"], strict=False))
    expected = [index_of[t] - index_of[c] for t, c in zip(gt["time"], gt["cohort"], strict=True)]
    assert gt["event_time"].tolist() == expected
    assert list(gt.columns[:8]) == ["cohort", "time", "att", "se", "ci_low", "ci_high",
                                    "base_time", "event_time"]
    dynamic = national.loc[national["model"] == "cs_dynamic", "term"].iloc[1:]
    assert all(re.fullmatch(r"event_time=-?\d+", t) for t in dynamic)


def test_quarterly_panels_get_quarter_labels(tmp_path):
    folder = _as_quarters(write_processed(tmp_path / "processed", seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        national_path, gt_path = estimate_all(folder)
    gt = pd.read_csv(gt_path)
    assert gt["cohort"].str.fullmatch(r"20\d\d-Q[1-4]").all()
    assert gt["time"].str.fullmatch(r"20\d\d-Q[1-4]").all()
    assert "cohort=2019-Q4" in set(pd.read_csv(national_path)["term"])


def test_estimator_warnings_name_periods_by_label(tmp_path):
    folder = _single_unit_cohort(write_processed(tmp_path / "processed", seed=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimate_all(folder)
    messages = [str(w.message) for w in caught if issubclass(w.category, EstimationWarning)]
    single = [m for m in messages if "have a single unit" in m]
    assert single and "[2023-S2]" in single[0]
    assert not any(str(LONE_COHORT) in m for m in messages)


def test_label_periods_in_text_is_exact():
    text = ("att_gt: cohort(s) [4042, 4043] have a single unit; ATT(4044,4039): 0 treated and 3 "
            "comparison units observed in both 4039 and 4038; dropping periods >= 4051")
    assert label_periods_in_text(text, LABELS) == (
        "att_gt: cohort(s) [2021-S1, 2021-S2] have a single unit; ATT(2022-S1,2019-S2): 0 treated "
        "and 3 comparison units observed in both 2019-S2 and 2019-S1; dropping periods >= "
        "2025-S2")
    # not whole numbers that are periods: left as written
    for kept in ("14042", "40421", "4042.5", "4042,5", "x4042", "4042x", "-4042", "04042",
                 "4042 units", "4042 treated and", "4042 rows", "event 1234", "1.4042"):
        assert label_periods_in_text(kept, LABELS) == kept
    assert label_periods_in_text("(cohort <= 4038)", LABELS) == "(cohort <= 2019-S1)"


def test_terms_and_columns_as_labels():
    assert label_term("cohort=4042", LABELS) == "cohort=2021-S1"
    assert label_term("time=4051", LABELS) == "time=2025-S2"
    assert label_term("ATT(4042,4044)", LABELS) == "ATT(2021-S1,2022-S1)"
    assert label_term("event_time=-3", LABELS) == "event_time=-3"
    assert label_term("cohort=4042:event_time=2", LABELS) == "cohort=2021-S1:event_time=2"
    assert label_term("cohort=0", LABELS) == f"cohort={NEVER}"
    assert label_term("treated", LABELS) == "treated"
    table = pd.DataFrame({"cohort": [4042, 0], "time": [4043, 4044], "att": [1.0, 2.0]})
    shown = label_period_columns(table, "semester")
    assert shown["cohort"].tolist() == ["2021-S1", NEVER]
    assert shown["time"].tolist() == ["2021-S2", "2022-S1"]
    assert cohort_label(float("nan")) == NEVER and cohort_label(8094, "quarter") == "2023-Q3"


def test_frequency_is_read_from_the_panel_labels():
    assert infer_frequency(["2021-S1", "2021-S2"], [4042, 4043]) == "semester"
    assert infer_frequency(["2023-Q3"], [2023 * 4 + 2]) == "quarter"
    assert infer_frequency(["2024", "2025"], [2024, 2025]) == "year"
    assert infer_frequency(["2024"], [2024], hint="year") == "year"
    with pytest.raises(ValueError, match="do not match"):
        infer_frequency(["2021-S1"], [4043])
    panel = pd.DataFrame({"period": ["2021-S1", "2021-S2"], "period_index": [4042, 4043],
                          "cohort": [4040, 0]})
    freq, labels = panel_labels(panel)
    assert freq == "semester" and labels == {4040: "2020-S1", 4042: "2021-S1", 4043: "2021-S2"}
