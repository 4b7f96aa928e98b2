"""Negative numbers in the figures' labels carry the minus sign matplotlib draws on its own axes
(U+2212 under rcParams["axes.unicode_minus"], its default), not a hyphen-minus."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from p3k_study import plots

MINUS = "\N{MINUS SIGN}"
EVENT_TIMES = [-3, -2, -1, 0, 1, 2]
EVENT_LABELS = [f"{MINUS}3", f"{MINUS}2", f"{MINUS}1", "0", "1", "2"]


def _profile() -> pd.DataFrame:
    estimate = np.linspace(-1.0, 2.0, len(EVENT_TIMES))
    return pd.DataFrame({"event_time": EVENT_TIMES, "estimate": estimate,
                         "ci_low": estimate - 0.5, "ci_high": estimate + 0.5})


def _x_tick_texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    FigureCanvasAgg(fig).draw()
    return [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_event_profile_labels_negative_event_times_with_a_minus_sign():
    assert _x_tick_texts(plots.event_profile(_profile(), labels={})) == EVENT_LABELS


def test_event_study_comparison_labels_negative_event_times_with_a_minus_sign():
    table = pd.concat([_profile().assign(estimator=name) for name in ("a", "b")])
    fig = plots.event_study_comparison(table, labels={})
    assert _x_tick_texts(fig) == EVENT_LABELS


def test_event_time_labels_follow_the_unicode_minus_setting():
    with matplotlib.rc_context({"axes.unicode_minus": False}):
        texts = _x_tick_texts(plots.event_profile(_profile(), labels={}))
    assert texts == [str(e) for e in EVENT_TIMES]


def test_heatmap_annotates_negative_values_with_a_minus_sign():
    table = pd.DataFrame({"cohort": [1, 1, 2, 2], "time": [1, 2, 1, 2],
                          "estimate": [-1.25, 0.5, 2.0, -0.04]})
    fig = plots.heatmap(table, index="cohort", columns="time", values="estimate", labels={})
    annotations = sorted(t.get_text() for t in fig.axes[0].texts)
    assert annotations == sorted([f"{MINUS}1.2", "0.5", "2.0", f"{MINUS}0.0"])
