"""Report content on the fixture panel: tables, suppression, escaping, estimates (no notebooks)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
from fixtures_panel import SCRIPT_NAME, TRUE_EFFECT, make_panel, make_rejects

from p3k_study.reports import analysis, content


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def test_list_regions_keeps_codes_as_strings(panel):
    regions = content.list_regions(panel)
    assert list(regions["region"]) == ["11.01", "11.71", "32.01", "32.10"]
    assert regions["region"].map(type).eq(str).all()
    provinces = content.list_regions(panel, "province")
    assert list(provinces["region"]) == ["11", "32"]


def test_region_estimate_recovers_the_effect_and_flags_small_groups(panel):
    est = analysis.region_estimates(panel, "32.01")
    assert est.available and est.ci_low < TRUE_EFFECT < est.ci_high
    assert (est.n_units, est.n_treated, est.n_comparison) == (10, 5, 5)
    assert not est.too_few
    small = analysis.region_estimates(panel, "11.71")  # 3 never-treated units
    assert small.too_few and small.n_comparison == 3
    national = analysis.national_estimate(panel)
    assert national.n_units == 40 and abs(national.estimate - TRUE_EFFECT) < 0.5


def test_region_without_treated_units_has_a_note_not_an_error(panel):
    rows = panel[panel["kode_pemda"] == "32.01"].assign(treated=0, cohort=0)
    est = analysis.estimate_panel(rows, scope="region", region="32.01", outcome="ikm",
                                  treatment="treated")
    assert not est.available and "no unit" in est.note
    assert est.to_dict()["estimate"] is None


def test_estimator_refusal_becomes_a_note(panel):
    rows = panel[panel["kode_pemda"] == "32.01"].copy()
    rows["treated"] = (rows["period_index"] >= rows["period_index"].median()).astype(int)
    est = analysis.estimate_panel(rows, scope="region", region="32.01", outcome="ikm",
                                  treatment="treated")  # collinear with the period effects
    assert not est.available and "collinear" in est.note
    assert est.estimator.startswith("p3k_study.estimate.twfe")


def test_estimator_bugs_are_not_hidden(panel, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the estimator")

    monkeypatch.setattr(analysis, "twfe", broken)
    with pytest.raises(RuntimeError, match="a bug in the estimator"):
        analysis.region_estimates(panel, "32.01")


def test_estimates_come_from_the_package_estimator(panel):
    import p3k_study

    est = analysis.region_estimates(panel, "32.01")
    sample = analysis.estimation_sample(panel[panel["kode_pemda"] == "32.01"], "ikm", "treated")
    direct = p3k_study.twfe(sample, "ikm", "treated", unit="unit_id", time="period_index")
    assert est.estimate == pytest.approx(direct.params["treated"])
    assert est.std_error == pytest.approx(direct.std_errors["treated"])
    assert est.estimator == analysis.ESTIMATOR


def test_period_window(panel):
    rows = analysis.restrict_periods(panel, "2020-S1", "2021-S2")
    assert sorted(rows["period"].unique()) == ["2020-S1", "2020-S2", "2021-S1", "2021-S2"]
    with pytest.raises(ValueError, match="not in the panel"):
        analysis.restrict_periods(panel, "1999-S1", None)


def test_suppression_of_small_counts():
    assert content.suppress_count(3, "id") == "<5"
    assert content.suppress_count(0, "id") == "0"
    assert content.suppress_count(5, "id") == "5"
    assert content.suppress_count(1234, "id") == "1.234"


def test_ranking_uses_only_periods_with_enough_respondents(panel):
    rows = panel[panel["kode_pemda"] == "32.01"]
    ranking = content.ikm_ranking(rows)
    assert len(ranking) == 10
    assert ranking["change"].dropna().is_monotonic_decreasing
    for row in ranking.dropna(subset=["change"]).itertuples():
        used = rows[(rows["unit_id"] == row.unit_id) & (rows["respondents"] >= 5)]
        assert row.first_period == used.sort_values("period_index")["period"].iloc[0]


def test_rejects_are_filtered_by_region():
    rejects = make_rejects()
    mine, by_region = content.rejects_for_region(rejects, "32.01")
    assert by_region and len(mine) == 2
    province, _ = content.rejects_for_region(rejects, "11", "province")
    assert len(province) == 1
    whole, by_region = content.rejects_for_region(rejects.drop(columns="kode_pemda"), "32.01")
    assert not by_region and len(whole) == 3


def _with_rejects(report: content.RegionReport, rejects: pd.DataFrame) -> content.RegionReport:
    report.data = dataclasses.replace(report.data, rejects=rejects)
    return report


def _ledger(codes: list[object]) -> pd.DataFrame:
    reasons = [f"reason {i % 3}" for i in range(len(codes))]
    return pd.DataFrame({"source_file": [f"f{i}.csv" for i in range(len(codes))],
                         "sheet": "", "row": range(len(codes)), "column": "ikm",
                         "raw_value": "x", "reason": reasons,
                         "kode_pemda": pd.array(codes, dtype="string")})


def test_quality_section_shows_only_the_regions_rejects(processed_dir: Path):
    ledger = _ledger(["32.01", "32.01", "11.01", "32.10", None, "", "32.01"])
    report = _with_rejects(content.RegionReport.load(processed_dir, "32.01", lang="en"), ledger)
    html = report.quality_section().data
    assert "3 rows were rejected while cleaning for this region (7 in the whole dataset)" in html
    assert "2 rejected rows could not be attributed to any region" in html
    assert html.index("</table>") < html.index("could not be attributed")
    assert "f0.csv" in html and "f2.csv" not in html and "f3.csv" not in html
    assert "does not record regions" not in html
    indonesian = _with_rejects(content.RegionReport.load(processed_dir, "32.01"), ledger)
    assert "(7 di seluruh data)" in indonesian.quality_section().data


def test_quality_section_of_a_region_without_rejects(processed_dir: Path):
    ledger = _ledger(["11.01"] * 1234)
    report = _with_rejects(content.RegionReport.load(processed_dir, "32.01", lang="id"), ledger)
    html = report.quality_section().data
    assert "Tidak ada baris yang ditolak untuk wilayah ini (1.234 baris ditolak" in html
    assert "<table" not in html


def test_quality_section_of_a_province(processed_dir: Path):
    ledger = _ledger(["32.01", "32.10", "32", "11.01", "320.1"])
    report = _with_rejects(content.RegionReport.load(processed_dir, "32", level="province",
                                                     lang="en"), ledger)
    assert "3 rows were rejected while cleaning for this region (5 in" in \
        report.quality_section().data


def test_quality_section_without_a_region_column_shows_the_whole_ledger(processed_dir: Path):
    ledger = _ledger(["32.01", "11.01", "32.10"]).drop(columns="kode_pemda")
    report = _with_rejects(content.RegionReport.load(processed_dir, "32.01", lang="en"), ledger)
    html = report.quality_section().data
    assert "does not record regions" in html
    assert "3 rows were rejected while cleaning in the whole dataset" in html
    assert all(f"f{i}.csv" in html for i in range(3))
    empty = _with_rejects(report, ledger.iloc[:0])
    assert "No rows were rejected while cleaning." in empty.quality_section().data


def test_tables_escape_strings_from_data(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="en", synthetic=True)
    html = report.units_section().data + report.ranking_section().data
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    quality = report.quality_section().data
    assert "<b>" not in quality and "1,98603E+17" not in quality  # raw values never shown


def test_unknown_region_and_non_string_codes(processed_dir: Path):
    with pytest.raises(content.UnknownRegion):
        content.RegionReport.load(processed_dir, "99.99")
    with pytest.raises(TypeError):
        content.RegionReport.load(processed_dir, 32.01)  # type: ignore[arg-type]


def test_header_shows_the_synthetic_banner(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "11.01", lang="id", synthetic=True)
    assert "DATA SINTETIS" in report.header().data


def test_missing_counts_do_not_break_tables(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="en")
    rows = report.rows.astype({"n_pns": "Int64", "n_p3k": "Int64", "respondents": "Int64"})
    rows.loc[rows.index[:30], ["n_pns", "n_p3k", "respondents"]] = pd.NA
    report.rows = rows
    assert "–" in report.units_section().data
    assert "Units ranked by IKM change" in report.ranking_section().data


def test_suppression_threshold_is_a_report_parameter(processed_dir: Path):
    strict = content.RegionReport.load(processed_dir, "32.01", lang="en", k_min=50)
    html = strict.units_section().data
    assert "&lt;50" in html and "1-49 staff" in html
    assert "at least 50 respondents" in strict.ranking_section().data
    none = content.RegionReport.load(processed_dir, "32.01", lang="en", k_min=1)
    assert re.search(r"&lt;\d", none.units_section().data) is None
    with pytest.raises(ValueError, match="k_min"):
        content.RegionReport.load(processed_dir, "32.01", k_min=0)
