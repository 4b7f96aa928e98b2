"""What a reader sees in a regional report: time axes in time order, reject reasons grouped by
kind in the report's language, no machine paths, unit names in one case."""

from __future__ import annotations

import dataclasses
import re
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest
from _raw_helpers import ledger_reasons_documented
from fixtures_panel import make_panel

from p3k_study import plots
from p3k_study.reports import content
from p3k_study.reports.batch import REPORT_HTML
from p3k_study.reports.text import PHRASES

LABELS = {"x": "period", "y": "IKM", "legend": "group"}


# ---------------------------------------------------------------- a. time axes


def _ticks(fig) -> list[tuple[float, str]]:
    ax = fig.axes[-1]  # the lowest axes: stacked panels share one period axis labelled below
    return sorted(zip(ax.get_xticks(), (t.get_text() for t in ax.get_xticklabels()),
                      strict=True))


def _trends() -> pd.DataFrame:
    """Two groups sorted by group first, the first group seen only from 2020-S1: in order of
    first appearance 2019-S1 and 2019-S2 would come after 2021-S2."""
    periods = [(4038 + k, f"{2019 + k // 2}-S{k % 2 + 1}") for k in range(6)]
    rows = [{"period_index": i, "period": p, "group": "without", "mean": 70.0 + k}
            for k, (i, p) in enumerate(periods) if i >= 4040]
    rows += [{"period_index": i, "period": p, "group": "with", "mean": 75.0 + k}
             for k, (i, p) in enumerate(periods)]
    return pd.DataFrame(rows)


def test_group_trends_are_drawn_in_time_order():
    trends = _trends()
    fig = plots.group_trends(trends, labels=LABELS)
    ticks = _ticks(fig)
    assert [label for _, label in ticks] == [
        "2019-S1", "2019-S2", "2020-S1", "2020-S2", "2021-S1", "2021-S2"]
    position = {label: x for x, label in ticks}
    assert position["2019-S1"] < position["2021-S2"]
    # every line runs left to right through its periods in time order
    for line in fig.axes[0].get_lines():
        x = list(line.get_xdata())
        assert x == sorted(x)
    with_line = max(fig.axes[0].get_lines(), key=lambda ln: len(ln.get_xdata()))
    assert list(with_line.get_xdata()) == [position[p] for p in sorted(position)]


def test_time_order_without_a_period_index_and_in_the_other_figures():
    trends = _trends().drop(columns="period_index")
    ticks = [label for _, label in _ticks(plots.group_trends(trends, labels=LABELS))]
    assert ticks == sorted(ticks) and ticks[0] == "2019-S1"
    adoption = _trends().rename(columns={"group": "scope", "mean": "share"})
    adoption["share"] = adoption["share"] / 100
    ticks = [label for _, label in _ticks(plots.adoption_comparison(adoption, labels=LABELS))]
    assert ticks[0] == "2019-S1" and ticks[-1] == "2021-S2"
    quarters = pd.DataFrame({"period": ["2020-Q1", "2019-Q4", "2019-Q3"], "group": "a",
                             "mean": [1.0, 2.0, 3.0]})
    ticks = [label for _, label in _ticks(plots.group_trends(quarters, labels=LABELS))]
    assert ticks == ["2019-Q3", "2019-Q4", "2020-Q1"]
    share = pd.DataFrame({"period_index": [4040, 4041], "period": ["2020-S1", "2020-S2"],
                          "share": [0.1, 0.2]})
    counts = pd.DataFrame({"period_index": [4039, 4040, 4041], "period": ["2019-S2", "2020-S1",
                                                                          "2020-S2"],
                           "status": "PNS", "n": [5, 6, 7]})
    fig = plots.staff_composition(counts, share, labels={"x": "", "y_staff": "", "y_share": "",
                                                        "legend": ""})
    assert [label for _, label in _ticks(fig)] == ["2019-S2", "2020-S1", "2020-S2"]


# ---------------------------------------------------------------- b. reject reasons

# reasons as the cleaners write them (p3k_study.clean, p3k_study.read, p3k_study.parse)
WRITTEN_REASONS = {
    "duplicate of row 28": "duplicate",
    "duplicate of row 1327 in skm/2023.xlsx, sheet TW1 (same unit and period)": "duplicate",
    "duplicate of row 5 in sheet 2020": "duplicate",
    "repeated header row": "not_data",
    "row of column numbers under the header": "not_data",
    "empty row but for its number": "not_data",
    "region not resolved: code and name disagree: code 34.04 is Kabupaten Sleman, name 'Kab. "
    "Bantul' is Kabupaten Bantul (correct the wrong one)": "region_unresolved",
    "ambiguous period (a month, semester or quarter?): write 2024-02, Semester II 2024 or TW II "
    "2024": "bad_date",
    "SKP shares incomplete (all five are needed)": "skp_shares",
    "summary row (an average or total, not a unit)": "summary_row",
    "implausible count: above 100,000": "out_of_range",
    "region not resolved: a province, not a kabupaten/kota (units belong to a kabupaten or "
    "kota)": "region_unresolved",
    "cell in column 'nama' is 40,000 characters long (more than the 32,767 a spreadsheet cell "
    "can hold): not a value": "not_data",
    "Excel error cell #N/A": "excel_error",
    "missing required value": "missing_value",
    "missing required value (periode or tanggal_survei)": "missing_value",
    "missing required value (region code or name)": "missing_value",
    "region not resolved: unknown kabupaten/kota code": "region_unresolved",
    "region not resolved: ambiguous name: kabupaten and kota both exist; say which":
        "region_unresolved",
    "NIP damaged by spreadsheet (scientific notation)": "nip_damaged",
    "NIP damaged by spreadsheet (last digits 000)": "nip_damaged",
    "NIP is a PPPK number but status is PNS": "nip_status",
    "NIP is not 18 digits": "nip_invalid",
    "NIP appointment after the reference date": "nip_invalid",
    "date after the reference date 2026-01-15": "after_reference",
    "period after the reference date 2026-01-15": "after_reference",
    "year-only period cannot be placed in a semester": "period_too_coarse",
    "period coarser than panel frequency": "period_too_coarse",
    "impossible date": "bad_date",
    "unrecognised period": "bad_date",
    "implausible year": "bad_date",
    "TMT before age 17 by the NIP's birth date": "inconsistent_dates",
    "end date before TMT": "inconsistent_dates",
    "score outside 1-4 or not whole": "out_of_range",
    "IKM outside 25-100": "out_of_range",
    "negative respondents": "out_of_range",
    "below 1 population": "out_of_range",
    "count is not a whole number": "out_of_range",
    "not a number": "not_a_number",
    "ambiguous number in a column mixing locales": "not_a_number",
    "not a category (A-D or Sangat Baik, Baik, Kurang Baik, Tidak Baik)": "bad_category",
    "not a SAKIP grade (AA, A, BB, B, CC, C, D)": "bad_category",
    "unknown regulation (expected 14/2017 or 25/2004)": "bad_category",
    "SKP shares do not add up to 100": "skp_shares",
    "no outcome value (nilai_sakip, predikat_sakip or SKP shares)": "no_outcome",
    "something new": "other",
}


@pytest.mark.parametrize(("reason", "kind"), WRITTEN_REASONS.items())
def test_every_written_reason_has_its_kind(reason, kind):
    assert content.reason_kind(reason) == kind


def test_every_reason_the_data_format_lists_has_a_kind():
    """So that a report never shows a ledger reason as 'Other: ...' in English."""
    for reason in ledger_reasons_documented():
        written = re.sub(r"<[^>]+>", "1", reason)  # 'duplicate of row <n>' -> '... row 1'
        assert content.reason_kind(written) != content.OTHER_REASON, reason


def test_every_kind_has_a_phrase_in_both_languages():
    for kind, _ in content.REASON_KINDS:
        assert set(PHRASES[f"reason_{kind}"]) == {"id", "en"}
    assert content.reason_phrase("other", "something new", "id") == "Lainnya: something new"


def _ledger() -> pd.DataFrame:
    reasons = ["duplicate of row 28", "duplicate of row 79", "duplicate of row 4 in b.csv",
               "score outside 1-4 or not whole", "score outside 1-4 or not whole",
               "Excel error cell #REF!", "something new"]
    columns = ["", "", "", "u3", "u9", "u3", "x"]
    return pd.DataFrame({"source_file": [f"f{i}.csv" for i in range(len(reasons))],
                         "sheet": "", "row": range(len(reasons)), "column": columns,
                         "raw_value": "x", "reason": reasons,
                         "kode_pemda": pd.array(["32.01"] * len(reasons), dtype="string")})


def test_rejects_are_grouped_by_kind():
    table = content.rejects_by_reason(_ledger(), "id")
    assert list(table.columns) == ["kind", "reason", "column", "rows", "example_file"]
    rows = table.set_index("kind")
    assert rows.loc["duplicate", "rows"] == 3 and rows.loc["duplicate", "column"] == ""
    assert rows.loc["duplicate", "reason"] == "Duplikat baris sebelumnya"
    assert rows.loc["duplicate", "example_file"] == "f0.csv"
    assert rows.loc["out_of_range", "column"] == "u3, u9"
    assert rows.loc["other", "reason"] == "Lainnya: something new"
    assert table["rows"].tolist() == sorted(table["rows"], reverse=True)


def test_quality_section_speaks_the_reports_language(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.01", lang="id")
    report.data = dataclasses.replace(report.data, rejects=_ledger())
    html = report.quality_section().data
    assert html.count("Duplikat baris sebelumnya") == 1
    assert "duplicate of row" not in html and "score outside" not in html
    assert "Nilai di luar rentang yang sah" in html
    english = content.RegionReport.load(processed_dir, "32.01", lang="en")
    english.data = dataclasses.replace(english.data, rejects=_ledger())
    assert "Duplicate of an earlier row" in english.quality_section().data


# ---------------------------------------------------------------- c. nothing machine-specific


def test_shown_path_is_relative_to_the_run_folder(tmp_path):
    run = tmp_path / "run"
    processed = run / "data" / "processed" / "demo"
    here = run / "reports" / "demo" / "32.01-x" / ".partial"
    assert content.shown_path(processed, here) == "data/processed/demo"
    assert content.shown_path("data/processed/demo", here) == "data/processed/demo"
    assert content.shown_path(Path("/") / "elsewhere" / "demo", here) == "demo"


def test_provenance_holds_no_machine_paths(processed_dir: Path, monkeypatch):
    monkeypatch.chdir(processed_dir.parent)
    report = content.RegionReport.load(processed_dir.resolve(), "32.01", lang="en")
    html = report.provenance_section().data
    assert str(processed_dir.resolve()) not in html
    assert sys.executable not in html and sys.prefix not in html
    assert sys.version.split()[0] in html
    assert '"processed_dir": "fixture"' in html
    assert report.shown_parameters()["processed_dir"] == "fixture"
    assert report.parameters["processed_dir"] == str(processed_dir.resolve())  # kept as given


def test_rendered_report_holds_no_absolute_path(batch_run):
    pages = sorted(batch_run.out.glob(f"*/{REPORT_HTML}"))
    assert pages
    machine = [str(batch_run.out.resolve().parents[1]), sys.prefix, sys.executable,
               socket.gethostname()]
    for page in pages:
        text = re.sub(r"data:image/(?:png|svg\+xml);base64,[A-Za-z0-9+/=]+", "", page.read_text())
        summary = (page.parent / content.SUMMARY_FILE).read_text()
        assert "python_executable" not in summary
        for shown in (text, summary):
            assert re.search(r"(?<![\w.])/(work|tmp|root|home|Users|usr|opt)/", shown) is None
            for value in machine:
                assert value not in shown, (page, value)


# ---------------------------------------------------------------- d. unit names


@pytest.mark.parametrize(("raw", "shown"), [
    ("DINAS KESEHATAN", "Dinas Kesehatan"),
    ("Dinas Kesehatan", "Dinas Kesehatan"),
    ("dinas  pendidikan", "Dinas Pendidikan"),
    ("DINAS PERUMAHAN, KAWASAN PERMUKIMAN DAN PERTANAHAN",
     "Dinas Perumahan, Kawasan Permukiman dan Pertanahan"),
    ("UPTD PUSKESMAS BANJARJAYA", "UPTD Puskesmas Banjarjaya"),
    ("RUMAH SAKIT UMUM DAERAH (RSUD) KAB. TOBA", "Rumah Sakit Umum Daerah (RSUD) Kab. Toba"),
    ("Rsud Kota Bogor", "RSUD Kota Bogor"),
    ("SEKRETARIAT DPRD", "Sekretariat DPRD"),
    ("BADAN PENANGGULANGAN BENCANA DAERAH (BPBD)", "Badan Penanggulangan Bencana Daerah (BPBD)"),
    ("SMP/SMA NEGERI 2 DI KOTA", "SMP/SMA Negeri 2 di Kota"),
    ("SATPOL PP DAN DAMKAR", "Satpol PP dan Damkar"),
    ("DP3AP2KB", "DP3AP2KB"),
    ("UPT PUSKESMAS KECAMATAN II", "UPT Puskesmas Kecamatan II"),
    ("Dinas Koperasi, UKM dan IKM", "Dinas Koperasi, UKM dan IKM"),
    ("DINAS PARE-PARE", "Dinas Pare-Pare"),
    ("OPD Dinas Sosial", "OPD Dinas Sosial"),
])
def test_unit_display_name(raw, shown):
    assert content.unit_display_name(raw) == shown


def test_units_are_shown_in_one_case_and_kept_raw(processed_dir: Path):
    report = content.RegionReport.load(processed_dir, "32.10", lang="id")
    rows = report.rows.copy()
    first = rows["unit_id"] == rows["unit_id"].iloc[0]
    rows.loc[first, "unit_name"] = "DINAS KESEHATAN DAN KELUARGA BERENCANA"
    report.rows = rows
    html = report.units_section().data + report.ranking_section().data
    assert "DINAS KESEHATAN" not in html
    assert html.count("Dinas Kesehatan dan Keluarga Berencana") == 2
    assert (report.rows.loc[first, "unit_name"] == "DINAS KESEHATAN DAN KELUARGA BERENCANA").all()


def test_first_p3k_period_is_a_label_even_outside_the_panel():
    panel = make_panel()
    assert content._period_of(panel, 4041) == "2020-S2"
    assert content._period_of(panel, 4036) == "2018-S1"  # before the panel's first period


def test_table_cells_of_numeric_and_period_columns_align_and_do_not_break():
    """Numbers align right in their cells, not only in the header, and a period label
    (2024-S1) is never broken at its hyphen in a narrow column; text is escaped."""
    import pandas as pd

    from p3k_study.reports.content import table_html
    from p3k_study.reports.html import PAGE_CSS

    frame = pd.DataFrame({"Unit": ["<b>Dinas</b>"], "Staff": ["12"], "First P3K": ["2024-S1"]})
    html = table_html(frame, numeric=("Staff",), nowrap=("First P3K",))
    assert '<th class="num">Staff</th>' in html and '<td class="num">12</td>' in html
    assert '<td class="nowrap">2024-S1</td>' in html
    assert "<td>&lt;b&gt;Dinas&lt;/b&gt;</td>" in html
    assert "td.num,td.nowrap{white-space:nowrap}" in PAGE_CSS
