"""Tables behind the analysis notebooks (01-explore, 02-regression, 03-before-after).

Each function turns the processed panel or estimator results into a small tidy frame that a
notebook shows or passes to `p3k_study.plots`. Nothing here fits a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from p3k_study.reports.content import composition, p3k_share_by_period


def coverage(panel: pd.DataFrame) -> pd.DataFrame:
    """Per period: pemda, units, units with an IKM, with adequate samples, with staff data."""
    grouped = panel.groupby(["period_index", "period"], observed=True)
    table = grouped.agg(
        pemda=("kode_pemda", "nunique"), units=("unit_id", "nunique"),
        units_with_ikm=("ikm", "count"), adequate_samples=("sample_adequate", "sum"),
        units_with_staff=("n_staff", lambda s: int((s > 0).sum())),
        median_respondents=("respondents", "median"),
    ).reset_index()
    table["ikm_coverage"] = table["units_with_ikm"] / table["units"]
    return table


def staff_over_time(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(staff by status per period, P3K share per period) for plots.staff_composition."""
    counts = composition(panel)
    counts["status"] = counts["status"].map(
        {"n_pns": "PNS", "n_p3k": "P3K", "n_p3k_part_time": "P3K part-time",
         "n_other": "other"}).fillna(counts["status"])
    return counts, p3k_share_by_period(panel)


def cohort_sizes(panel: pd.DataFrame) -> pd.DataFrame:
    """Units by the period of their first P3K hire (cohort); 'never' for cohort 0."""
    cohorts = panel.groupby("unit_id", observed=True)["cohort"].first()
    labels = panel.drop_duplicates("period_index").set_index("period_index")["period"]
    table = cohorts.value_counts().rename("units").rename_axis("cohort").reset_index()
    table["first_p3k"] = [("never" if c == 0 else str(labels.get(c, c)))
                          for c in table["cohort"]]
    table["order"] = table["cohort"].where(table["cohort"] > 0, math.inf)
    return table.sort_values("order", ignore_index=True).drop(columns="order")


def ikm_by_group(panel: pd.DataFrame, outcome: str = "ikm") -> pd.DataFrame:
    """Unit-period outcomes labelled 'with P3K' (treated that period) or 'without P3K'."""
    rows = panel.dropna(subset=[outcome])
    return rows.assign(group=rows["treated"].map({1: "with P3K", 0: "without P3K"}))[
        ["unit_id", "period", outcome, "group"]]


def stack_tidy(results: Mapping[str, Any], terms: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Tidy tables of several fitted models, one block per model (column `model`)."""
    frames = [res.tidy().assign(model=name) for name, res in results.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[table["term"].isin(terms)] if terms else table


def stack_event_studies(results: Mapping[str, Any]) -> pd.DataFrame:
    """Event-study tables of several methods: event_time, estimate, ci_low, ci_high, method."""
    frames = [res.table.assign(method=name) for name, res in results.items()]
    return pd.concat(frames, ignore_index=True)[
        ["event_time", "estimate", "std_error", "ci_low", "ci_high", "method"]]


def aggregation_table(aggregates: Mapping[str, Any]) -> pd.DataFrame:
    """Overall ATT of each aggregation kind: kind, att, se, ci_low, ci_high."""
    rows = []
    for kind, agg in aggregates.items():
        low, high = agg.ci
        rows.append({"kind": kind, "att": agg.att, "se": agg.se, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def plain_words(twfe_estimate: float, robust: Any, pretrend: Any,
                bacon_weights: pd.DataFrame | None = None) -> str:
    """A short paragraph in plain English on what the estimates say (markdown)."""
    low, high = robust.ci
    sign = "higher" if robust.att > 0 else "lower"
    parts = [
        f"Units that hired P3K have IKM scores about **{abs(robust.att):.2f} points {sign}** "
        f"than they would have had otherwise, by the robust (Callaway-Sant'Anna) estimate; the "
        f"95% interval runs from {low:.2f} to {high:.2f}.",
        "The interval excludes zero, so the data show an effect of that sign."
        if low > 0 or high < 0 else
        "The interval includes zero, so the data cannot rule out no effect.",
        f"The simple two-way fixed-effects regression gives {twfe_estimate:.2f}.",
    ]
    p = getattr(pretrend, "p_value", math.nan)  # a TestResult (estimate._common)
    if not math.isnan(p):
        parts.append(
            f"Before their first P3K hire, future adopters moved like the comparison units "
            f"(pre-trend test p = {p:.2f})." if p >= 0.05 else
            f"Before their first P3K hire, future adopters already moved differently from the "
            f"comparison units (pre-trend test p = {p:.3f}): read the effect with caution.")
    if bacon_weights is not None and len(bacon_weights):
        bad = bacon_weights.loc[bacon_weights["type"].str.startswith("Later vs"),
                                "weight"].sum()
        parts.append(f"{bad:.0%} of the TWFE weight comes from comparisons that use already-"
                     "treated units as controls, which is where TWFE can mislead.")
    return " ".join(parts)

