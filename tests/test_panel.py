"""The unit x period panel: in-post counts on the period's last day, hires, cohort, columns."""

from __future__ import annotations

import pandas as pd

from p3k_study.config import CohortRule
from p3k_study.panel import build_panel
from p3k_study.schemas import PANEL

UNITS = pd.DataFrame({"unit_id": ["32.01/education", "32.01/health"], "kode_pemda": "32.01",
                      "nama_pemda": "Kabupaten Bogor", "kode_provinsi": "32",
                      "nama_provinsi": "Jawa Barat", "unit_function": ["education", "health"],
                      "unit_name": ["Disdik", "Dinkes"], "unit_matched": True})


def roster() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_id": ["32.01/education"] * 4 + ["32.01/health"],
        "status": ["PNS", "PPPK", "PPPK_PT", "OTHER", "PNS"],
        "tmt": pd.to_datetime(["2010-01-01", "2022-06-30", "2023-07-01", "2021-01-01",
                               "2020-01-01"]),
        "tanggal_berakhir": pd.to_datetime([None, None, None, "2022-06-30", None]),
    })


def ikm() -> pd.DataFrame:
    return pd.DataFrame({"unit_id": ["32.01/education", "32.01/health"],
                         "period_index": [4045, 4042], "ikm": [88.31, 70.0],
                         "respondents": [100, 50], "sample_adequate": [True, None],
                         "ikm_source": ["answers", "published"]})


def test_columns_are_panel_columns_then_flags() -> None:
    panel = build_panel(roster(), ikm(), UNITS)
    assert list(panel.columns) == list(PANEL.columns)
    flags = [c.startswith("flag_") for c in panel.columns]
    assert flags == sorted(flags)  # the flags come last
    assert all(column.description for column in PANEL.columns.values())  # each says what it holds


def test_counts_on_last_day_hires_and_cohort() -> None:
    panel = build_panel(roster(), ikm(), UNITS).set_index(["unit_id", "period"])
    edu = panel.loc["32.01/education"]
    # window = IKM periods 2021-S1 .. 2022-S2
    assert list(edu.index) == ["2021-S1", "2021-S2", "2022-S1", "2022-S2"]
    assert edu["n_other"].tolist() == [1, 1, 0, 0]      # ends 2022-06-30: not in post that day
    assert edu["n_p3k"].tolist() == [0, 0, 1, 1]        # TMT on the last day counts
    assert edu["p3k_hires"].tolist() == [0, 0, 1, 0]
    assert edu["cohort"].eq(4044).all()
    assert edu["treated"].tolist() == [0, 0, 1, 1]
    assert edu["p3k_share"].tolist() == [0.0, 0.0, 0.5, 0.5]
    assert edu.loc["2022-S2", "ikm_category"] == "A"
    assert pd.isna(edu.loc["2021-S1", "ikm"])
    health = panel.loc["32.01/health"]
    assert health["cohort"].eq(0).all() and health["treated"].eq(0).all()
    assert health.loc["2021-S1", "ikm_source"] == "published"


def test_cohort_rule_with_share() -> None:
    rule = CohortRule(min_hires=1, min_share=0.6)
    panel = build_panel(roster(), ikm(), UNITS, cohort_rule=rule, periods=(4042, 4048))
    edu = panel[panel["unit_id"] == "32.01/education"]
    # 2022-S1 hire gives a share of 1/2; the 2023-S2 hire lifts it to 2/3
    assert edu["cohort"].eq(4047).all()


def test_staff_from_a_counts_table() -> None:
    counts = pd.DataFrame({"unit_id": ["32.01/health"] * 2, "period_index": [4046, 4047],
                           "n_pns": [10, 10], "n_p3k": [0, 2], "n_p3k_part_time": [None, None],
                           "n_other": [None, None], "p3k_hires": [None, None]})
    panel = build_panel(None, ikm().iloc[0:0], UNITS, counts=counts)
    assert panel["n_staff"].tolist() == [10, 12]
    assert panel["p3k_hires"].tolist() == [0, 2]
    assert panel["cohort"].eq(4047).all()
    assert panel["flag_staff_from_counts"].all() and panel["flag_hires_inferred"].all()


def test_unit_with_ikm_but_no_staff_has_missing_counts() -> None:
    extra = pd.DataFrame({"unit_id": ["32.01/social"], "period_index": [4044], "ikm": [80.0]})
    panel = build_panel(roster(), pd.concat([ikm(), extra]), UNITS)
    row = panel[panel["unit_id"] == "32.01/social"].iloc[0]
    assert pd.isna(row["n_staff"]) and row["flag_no_staff_data"]
    assert row["flag_unit_unmatched"]  # not in the units table
