"""Reports with `treatment="p3k_share"`: the share is estimated as a dose by `cont_did`
(Callaway, Goodman-Bacon & Sant'Anna 2024) and the continuous TWFE is only the labelled
comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_panel import make_panel

import p3k_study
from p3k_study.reports import analysis, content


def test_p3k_share_is_estimated_as_a_dose_with_cont_did():
    rows = make_panel()  # 40 units, 24 that hired in five waves, effect +2 whatever the share
    result = analysis.analyse(rows, scope="region", region="all", treatment="p3k_share")
    dose = result.dose
    assert dose is not None and dose.att.available and dose.acrt.available
    assert dose.att.method == "cont_did" and "Goodman-Bacon" in dose.att.estimator
    direct = p3k_study.cont_did(analysis.estimation_sample(rows, "ikm", "treated"), "ikm",
                                "unit_id", "period_index", "cohort", "p3k_share", degree=1)
    assert dose.att.estimate == pytest.approx(direct.att)
    assert dose.acrt.estimate == pytest.approx(direct.acrt)
    # the true effect is +2 points at every share: ATT^o near 2, no dose-response
    assert dose.att.ci_low < 2.0 < dose.att.ci_high
    assert dose.acrt.ci_low < 0.0 < dose.acrt.ci_high
    # the binary headline and the TWFE comparison on the share are still there
    assert result.headline.available and result.twfe.estimate.treatment == "p3k_share"
    assert analysis.analyse(rows, scope="region", region="all").dose is None


def test_report_with_p3k_share_shows_cont_did_and_twfe_only_as_comparison(
        processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="en",
                                       treatment="p3k_share")
    result = report.analyse()
    section = report.comparison_section(result).data
    assert "The P3K share as a dose, and TWFE for comparison" in section
    # 32.01 has one hiring unit per wave: too few to fit a dose-response within a wave
    assert "The continuous-treatment DiD for the P3K share cannot be computed: no period " \
           "after hiring has enough units of the same hiring wave" in section
    assert "For comparison only, not the headline: the TWFE regression (IKM on the P3K " \
           "share" in section
    binary = content.RegionReport.load(processed_dir, "32.01", lang="en")
    assert "as a dose" not in binary.comparison_section(binary.analyse()).data


def test_dose_sentence_states_estimator_dose_and_assumption(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="id",
                                       treatment="p3k_share")
    dose = analysis.analyse(make_panel(), scope="region", region="all",
                            treatment="p3k_share").dose
    assert dose is not None
    text = report._dose_sentence(dose)
    assert "Callaway, Goodman-Bacon &amp; Sant'Anna 2024" in text or \
        "Callaway, Goodman-Bacon & Sant'Anna 2024" in text
    assert "pangsa P3K unit pada periode pertama ia merekrut" in text
    assert "tren paralel yang kuat" in text
    assert content.fmt_signed(dose.att.estimate, "id", 2) in text
