"""The report's figures in their fixed layout: drawn once (no layout engine), every label inside
the canvas in both languages with the widest labels they can have, shares labelled exactly; as
SVG, the same bytes every time."""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from p3k_study import plots
from p3k_study.reports import content

STATUS = list(content.STATUS_COLUMNS)


def _wide_report(processed_dir: Path, lang: str) -> content.RegionReport:
    """Region 32.01 with staff counts of six digits (a tick label like 500000)."""
    report = content.RegionReport.load(processed_dir, "32.01", lang=lang)
    rows = report.rows.copy()
    rows[STATUS] = rows[STATUS] * 1_000
    rows["n_staff"] = rows[STATUS].sum(axis=1)
    return dataclasses.replace(report, rows=rows)


def _profile(low: float) -> types.SimpleNamespace:
    """A result whose event-time profile spans `low` .. -`low` with a band (labels like -12.5)."""
    e = np.arange(-6, 4)
    estimate = np.linspace(low / 2, -low / 2, len(e))
    table = pd.DataFrame({"event_time": e, "estimate": estimate, "ci_low": estimate + low / 3,
                          "ci_high": estimate - low / 3, "band_low": estimate + low / 2,
                          "band_high": estimate - low / 2,
                          "kind": np.where(e < 0, "pre", "post")})
    return types.SimpleNamespace(region=types.SimpleNamespace(profile=table))


def _overflow(fig) -> float:  # type: ignore[no-untyped-def]
    """How far (inches) what the figure draws (tick labels, axis labels, legend) reaches beyond
    its canvas: 0 when everything fits."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    drawn = fig.get_tightbbox(renderer)  # inches; only the ticks inside the view count
    width, height = fig.get_size_inches()
    return max(0.0, -drawn.x0, -drawn.y0, drawn.x1 - width, drawn.y1 - height)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_figures_keep_every_label_inside_a_fixed_layout(processed_dir: Path, lang: str):
    report = _wide_report(processed_dir, lang)
    figures = {"staff": report.staff_figure(), "adoption": report.adoption_figure(),
               "trends": report.trends_figure(), "profile": report.profile_figure(_profile(-25.0))}
    for name, fig in figures.items():
        assert fig.get_layout_engine() is None, name  # drawn once, not laid out first
        assert _overflow(fig) == 0.0, name
    staff = figures["staff"].axes[0]
    shown = [t.get_text() for t in staff.get_yticklabels()
             if staff.get_ylim()[0] <= t.get_position()[1] <= staff.get_ylim()[1]]
    assert max(len(t) for t in shown) >= 6, shown  # the widest case was drawn


def test_quarterly_and_yearly_period_labels_fit():
    for periods in (["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1"],
                    ["2020", "2021", "2022"]):
        frame = pd.DataFrame({"period": periods * 2, "group": ["a"] * len(periods)
                              + ["a much longer group name"] * len(periods),
                              "mean": np.linspace(60, 100, 2 * len(periods))})
        fig = plots.group_trends(frame, labels={"x": "Periode", "y": "Rata-rata IKM",
                                                "legend": "Kelompok"})
        assert _overflow(fig) == 0.0


def test_share_ticks_are_labelled_exactly():
    share = pd.DataFrame({"period": ["2020-S1", "2020-S2", "2021-S1"],
                          "share": [0.0, 0.09, 0.18]})
    counts = pd.DataFrame({"period": ["2020-S1", "2020-S2", "2021-S1"], "status": "PNS",
                           "n": [10, 11, 12]})
    fig = plots.staff_composition(counts, share, labels={"x": "", "y_staff": "", "y_share": "",
                                                        "legend": ""})
    FigureCanvasAgg(fig).draw()
    axis = fig.axes[1].yaxis
    for tick, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels(), strict=True):
        assert float(label.get_text().rstrip("%")) == pytest.approx(tick * 100)
    formatter = plots.ShareFormatter()
    formatter.set_locs([0.0, 0.025, 0.05])
    assert [formatter(v) for v in (0.0, 0.025, 0.05)] == ["0.0%", "2.5%", "5.0%"]
    formatter.set_locs([0.0, 0.5, 1.0])
    assert formatter(0.5) == "50%"


def test_staff_panels_share_one_period_axis_labelled_below():
    counts = pd.DataFrame({"period": ["2020-S1", "2020-S2"], "status": "PNS", "n": [10, 11]})
    share = pd.DataFrame({"period": ["2020-S1", "2020-S2"], "share": [0.1, 0.2]})
    fig = plots.staff_composition(counts, share, labels={"x": "period", "y_staff": "",
                                                        "y_share": "", "legend": ""})
    FigureCanvasAgg(fig).draw()
    top, bottom = fig.axes
    assert not any(t.get_visible() and t.get_text() for t in top.get_xticklabels())
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["2020-S1", "2020-S2"]
    assert top.get_xlim() == bottom.get_xlim()


def test_svg_figures_are_reproducible_byte_for_byte():
    import matplotlib
    from IPython.core.pylabtools import print_figure

    def render() -> str:
        fig = plots.group_trends(pd.DataFrame({"period": ["2020-S1", "2020-S2"], "group": "a",
                                               "mean": [70.0, 71.0]}),
                                 labels={"x": "Periode", "y": "IKM", "legend": "Kelompok"})
        return print_figure(fig, fmt="svg", bbox_inches=None, **plots.print_options("svg"))

    with matplotlib.rc_context(plots.svg_rc()):
        first, second = render(), render()
    assert first == second and "<dc:date>" not in first and "clipPath" in first
    with matplotlib.rc_context({"svg.hashsalt": None}):  # matplotlib's default: random ids
        assert render() != render()
