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


def _headline(panel: pd.DataFrame, region: str, **kwargs) -> analysis.Estimate:
    return analysis.region_analysis(panel, region, **kwargs).headline


def test_region_headline_is_the_imputation_estimate(panel):
    from p3k_study.estimate import did_imputation

    est = _headline(panel, "32.01")
    assert est.available and est.method == "imputation" and "Borusyak" in est.estimator
    assert est.ci_low < TRUE_EFFECT < est.ci_high
    assert (est.n_units, est.n_treated, est.n_comparison, est.df) == (10, 5, 5, 9)
    rows = panel[panel["kode_pemda"] == "32.01"]
    direct = did_imputation(rows, "ikm", "unit_id", "period_index", "cohort", min_treated=5)
    assert est.estimate == pytest.approx(direct.att)
    assert est.ci_high == pytest.approx(direct.overall()["ci_high"])


def test_national_headline_uses_the_same_estimator_clustered_by_pemda(panel):
    national = analysis.national_analysis(panel).headline
    assert national.method == "imputation" and national.cluster == "kode_pemda"
    assert national.df == 3 and national.n_units == 40
    assert abs(national.estimate - TRUE_EFFECT) < 0.5


def test_a_headline_resting_on_too_few_treated_units_is_not_reported(panel):
    est = _headline(panel, "32.01", min_treated=6)  # 5 units hired
    assert not est.available and est.note == "too_few_treated" and est.too_few
    assert est.to_dict()["estimate"] is None


def test_regions_without_treated_or_comparison_units_get_a_reason(panel):
    rows = panel[panel["kode_pemda"] == "32.01"]
    none = analysis.analyse(rows.assign(treated=0, cohort=0), scope="region", region="32.01")
    assert none.headline.note == "no_treated"
    first = int(rows["period_index"].min())
    at_once = rows.assign(cohort=first + 4)  # every unit adopts in the same period
    at_once = at_once.assign(treated=(at_once["period_index"] >= first + 4).astype(int))
    result = analysis.analyse(at_once, scope="region", region="32.01")
    assert not result.headline.available and result.headline.note == "no_comparison"


def test_twfe_is_a_labelled_comparison_with_its_negative_weights(panel):
    import p3k_study

    twfe = analysis.region_analysis(panel, "32.01").twfe
    assert twfe.estimate.method == "twfe" and "two-way fixed effects" in twfe.estimate.estimator
    sample = analysis.estimation_sample(panel[panel["kode_pemda"] == "32.01"], "ikm", "treated")
    direct = p3k_study.twfe(sample, "ikm", "treated", unit="unit_id", time="period_index")
    assert twfe.estimate.estimate == pytest.approx(direct.params["treated"])
    assert 0 <= twfe.negative_share <= 1


def test_estimator_bugs_are_not_hidden(panel, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the estimator")

    monkeypatch.setattr(analysis, "did_imputation", broken)
    with pytest.raises(RuntimeError, match="a bug in the estimator"):
        analysis.region_analysis(panel, "32.01")


def test_report_states_estimand_method_and_plain_summary(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="en")
    result = report.analyse()
    assert result.region.headline.available
    section = report.estimate_section(result).data
    assert "What is measured: the average change in IKM that P3K hiring caused" in section
    assert "imputation estimator (Borusyak, Jaravel &amp; Spiess 2024)" in section
    assert "Summary: in the units that hired P3K, IKM rose by about" in \
        report.header(result).data
    assert "For comparison only, not the headline" in report.comparison_section(result).data
    unclear = dataclasses.replace(result.region.headline, ci_low=-0.5)
    summary = report.plain_summary(dataclasses.replace(
        result, region=dataclasses.replace(result.region, headline=unclear)))
    assert summary.startswith("Summary: the data cannot tell")
    thin = content.RegionReport.load(processed_dir, "32.01", lang="id", min_treated=6)
    thin_result = thin.analyse()
    assert "data belum dapat menjawab" in thin.header(thin_result).data
    assert "hanya 5 unit yang merekrut P3K, kurang dari 6" in thin.estimate_section(
        thin_result).data


def test_synthetic_report_shows_the_true_value(processed_dir: Path, tmp_path: Path):
    truth = tmp_path / "truth_regions.csv"
    truth.write_text("region,att_true\n32.01,2.0\n11.01,\n", encoding="utf-8")
    assert content.region_truth(truth) == {"32.01": 2.0}
    report = content.RegionReport.load(processed_dir, "32.01", lang="en", synthetic=True,
                                       att_true=2.0)
    result = report.analyse()
    assert result.truth == 2.0
    assert "True value of the same quantity in the simulated world: +2.00" in \
        report.estimate_section(result).data


def test_national_headline_estimated_once_is_what_reports_show(processed_dir: Path):
    national = content.national_headline(processed_dir).to_dict()
    report = content.RegionReport.load(processed_dir, "32.01", national=national)
    computed = content.RegionReport.load(processed_dir, "32.01").analyse().national
    assert report.analyse().national == computed


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
    assert content.esc(content.unit_display_name(SCRIPT_NAME)) in html  # &lt;Script&gt;...
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


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_share_that_reveals_a_small_p3k_count_reads_as_a_count_not_a_percentage(
        processed_dir: Path, lang: str):
    report = content.RegionReport.load(processed_dir, "32.01", lang=lang, k_min=50)
    html = report.units_section().data
    share = report.t("col_share")
    header = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<th.*?</th>", html, re.S)]
    column = header.index(share)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
             for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S)]
    shares = [row[column] for row in cells if len(row) > column]
    assert "n&lt;50" in shares  # some unit has 1-49 P3K
    assert "&lt;50" not in shares  # which under a percentage heading reads 'below 50%'
    assert all(s == "n&lt;50" or s.endswith("%") or s == "–" for s in shares), shares
    assert "&quot;n&lt;50&quot;" in html or '"n&lt;50"' in html  # the note says how it reads


def test_profile_figure_shows_leads_effects_and_the_band_in_event_time_order(
        processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="en")
    result = report.analyse()
    profile = result.region.profile
    assert set(profile["kind"]) == {"pre", "post"}
    assert profile["event_time"].is_monotonic_increasing
    fig = report.profile_figure(result)
    ax = fig.axes[0]
    band = ax.collections[0].get_paths()[0].vertices  # the shaded simultaneous band
    assert band[:, 1].min() <= profile["band_low"].min() + 1e-9
    assert band[:, 1].max() >= profile["band_high"].max() - 1e-9
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["95% simultaneous band", "before (pre-trend check)", "after"]
    assert [int(t) for t in ax.get_xticks()] == sorted(profile["event_time"].astype(int))


def test_tiny_or_thin_regions_get_reasons_not_crashes(panel):
    rows = panel[panel["kode_pemda"] == "32.01"]
    one_unit = analysis.analyse(rows[rows["unit_id"] == rows["unit_id"].iloc[0]],
                                scope="region", region="32.01")
    assert not one_unit.headline.available and one_unit.twfe.estimate.note == "single_cluster"
    no_ikm = analysis.analyse(rows.assign(ikm=float("nan")), scope="region", region="32.01")
    assert no_ikm.headline.note == "no_outcome"
    # one never-treated unit: after the last cohort adopts nothing has enough comparisons
    first = int(rows["period_index"].min())
    units = rows["unit_id"].unique()
    thin = rows[rows["unit_id"].isin(units[:6])].assign(cohort=first + 3)
    thin.loc[thin["unit_id"] == units[0], "cohort"] = 0
    thin = thin.assign(treated=((thin["cohort"] > 0)
                                & (thin["period_index"] >= thin["cohort"])).astype(int))
    result = analysis.analyse(thin, scope="region", region="32.01")
    assert not result.headline.available and result.headline.note == "too_few_imputed"


def test_left_out_rows_are_named_by_their_reason(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="en")
    left = pd.DataFrame({"what": ["observations", "observations"], "event_time": [None, None],
                         "n_units": [3, 2], "n_obs": [7, 4],
                         "reason": ["min_comparison", "not_imputable"]})
    lines = report._left_out(left, 5)
    assert lines[0].startswith("7 unit-periods after hiring from 3 units: in their periods "
                               "fewer than 5 units without P3K")
    assert "cannot be estimated" in lines[1]


def test_adoption_is_the_share_of_treated_units_per_period_and_scope(panel):
    """Each scope's share is the mean of `treated` over its rows in each period, labelled with
    that period, even when the panel's rows are not in period order."""
    shuffled = panel.sample(frac=1.0, random_state=3)
    scopes = {"region": shuffled["kode_pemda"] == "32.01",
              "province": shuffled["kode_provinsi"] == "32",
              "nation": pd.Series(True, index=shuffled.index)}
    got = content.adoption(shuffled, scopes)
    for scope, mask in scopes.items():
        expected = (shuffled[mask].groupby(["period_index", "period"], observed=True)["treated"]
                    .mean().rename("share").reset_index().assign(scope=scope))
        part = got[got["scope"] == scope].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected, check_dtype=False)
    assert list(got.columns) == ["period_index", "period", "share", "scope"]
    assert got["period"].map(lambda p: p.startswith("20")).all()
