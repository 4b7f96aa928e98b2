"""Figures from tidy frames (matplotlib; seaborn for palettes and some plots). Each function takes a
frame and labels and returns a Figure.

Figures are built with `matplotlib.figure.Figure` (not pyplot), so nothing is shown twice in a
notebook and nothing is left open in a long batch: a notebook cell that ends with the returned
figure displays it once, inline (PNG, or SVG in the regional reports: `content.setup_notebook`).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker
from matplotlib.figure import Figure

DPI = 100
PALETTE = "colorblind"


def new_figure(width: float = 8.0, height: float = 4.0, nrows: int = 1,
               ncols: int = 1) -> tuple[Figure, np.ndarray]:
    """A Figure (outside pyplot) and its axes array, in matplotlib's constrained layout."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


@dataclass(frozen=True)
class Margins:
    """Fixed margins of a figure, in inches: left, right, bottom, top, and `between` rows."""

    left: float = 0.9
    right: float = 0.2
    bottom: float = 0.6
    top: float = 0.2
    between: float = 0.25


# A regional report draws four figures (a national batch: 514 reports), so they are laid out with
# fixed margins instead of the constrained layout: with a layout engine savefig draws a figure
# twice (once, undisplayed, to lay it out) and the solver measures every label in between; the
# four figures of a national report took 1.16 s CPU built and rendered that way (PNG, load 3-5).
# The margins fit the labels these figures can have: y tick labels up to six digits or "100%"
# beside a y label; below, period labels like "2019-S1" rotated 45 degrees (PERIOD_MARGINS) or
# event times, then an x label (tests/test_plots_layout.py draws the widest cases).
EVENT_MARGINS = Margins()
PERIOD_MARGINS = Margins(bottom=0.95)


def fixed_figure(width: float, height: float, margins: Margins, nrows: int = 1,
                 sharex: bool = False) -> tuple[Figure, np.ndarray]:
    """A Figure (outside pyplot) with `nrows` axes stacked in a fixed layout (`margins`, inches).

    No layout engine: drawing it draws it once."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    axes = fig.subplots(nrows, 1, squeeze=False, sharex=sharex)
    axes_height = (height - margins.top - margins.bottom - margins.between * (nrows - 1)) / nrows
    fig.subplots_adjust(left=margins.left / width, right=1 - margins.right / width,
                        bottom=margins.bottom / height, top=1 - margins.top / height,
                        hspace=margins.between / axes_height)
    return fig, axes


SVG_HASH_SALT = "p3k-study"  # rcParams["svg.hashsalt"]: the SVG's element ids, never random


def print_options(fmt: str) -> dict[str, object]:
    """Keyword arguments of `Figure.savefig` (or the inline backend's print_figure) that make
    the bytes of a figure in format `fmt` reproducible: an SVG carries no date (matplotlib
    writes the current time unless told not to). The SVG's ids also need `SVG_HASH_SALT` in
    rcParams["svg.hashsalt"] (`svg_rc`)."""
    return {"metadata": {"Date": None}} if fmt == "svg" else {}


def svg_rc() -> dict[str, object]:
    """rcParams under which an SVG's clip-path and glyph ids are derived from its content and a
    fixed salt (matplotlib's default salt is a random uuid per figure)."""
    return {"svg.hashsalt": SVG_HASH_SALT}


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no timestamp in the metadata, so bytes are reproducible)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def figure_data_uri(fig: Figure) -> str:
    """'data:image/png;base64,...' for embedding a figure in a self-contained HTML page."""
    return "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii")


class ShareFormatter(ticker.Formatter):
    """Tick labels of a 0-1 share as percentages with as few decimals as shows every tick
    exactly (2.5% is not printed as "2%"), worked out when the axis sets its ticks (`set_locs`;
    Matplotlib 3.11 deprecates reading them back from `locs`)."""

    decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        values = np.asarray(locs, dtype=float) * 100
        self.decimals = next((d for d in range(4)
                              if np.allclose(np.round(values, d), values, rtol=0, atol=1e-9)), 4)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x * 100:.{self.decimals}f}%"


def _share_axis(ax) -> None:  # type: ignore[no-untyped-def]
    """A y axis of shares: ticks at 1, 2 or 5 times a power of ten, labelled as percentages."""
    ax.yaxis.set_major_locator(ticker.MaxNLocator(steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(ShareFormatter())


def _with_minus(text: str) -> str:
    """`text` with matplotlib's minus sign for '-' (U+2212 under rcParams["axes.unicode_minus"],
    its default), as its own formatters draw tick labels: labels built as strings bypass them."""
    return ticker.Formatter.fix_minus(text)


def _event_time_ticks(ax, event_times: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    """A tick at every event time, labelled as an integer (-3 drawn with a minus sign)."""
    ax.set_xticks(np.unique(event_times))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, pos: _with_minus(str(int(v)))))


def _period_ticks(ax, periods: list[str], max_ticks: int = 12) -> None:
    step = max(1, int(np.ceil(len(periods) / max_ticks)))
    ax.set_xticks(range(0, len(periods), step))
    ax.set_xticklabels(periods[::step], rotation=45, ha="right")


def _positions(frame: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    position = {p: i for i, p in enumerate(periods)}
    return frame.assign(_x=frame["period"].astype(str).map(position))


_LABEL = re.compile(r"([0-9]{4})(?:-[SQ]([0-9]))?")


def _label_key(label: str) -> tuple[int, int, int]:
    """Sort key of a period label ('2019-S2', '2023-Q3', '2024'): year then part; labels that
    are not periods sort after them."""
    match = _LABEL.fullmatch(label.strip())
    if match is None:
        return (1, 0, 0)
    return (0, int(match.group(1)), int(match.group(2) or 0))


def _period_order(*frames: pd.DataFrame) -> list[str]:
    """Every period label of the frames, in time order: by `period_index` when every frame has
    it, else by the label itself (year, then semester or quarter). Never in order of first
    appearance: a frame sorted by group first lists one group's periods before the next's."""
    if all("period_index" in f.columns for f in frames):
        rows = pd.concat([f[["period_index", "period"]] for f in frames], ignore_index=True)
        rows = rows.sort_values("period_index", kind="stable")
        return list(dict.fromkeys(rows["period"].astype(str)))
    labels = dict.fromkeys(str(p) for f in frames for p in f["period"])
    return sorted(labels, key=_label_key)  # stable: non-period labels keep their order


def _group_lines(ax, frame: pd.DataFrame, *, y: str, group: str | None,  # type: ignore[no-untyped-def]
                 markers: tuple = ("o",), color: str | None = None) -> None:
    """One line of `y` over the positions `_x` per value of `group` (in order of first
    appearance, coloured from PALETTE, a marker each from `markers` in turn), or one line in
    `color` when `group` is None. Rows without x or y are skipped: a line joins the periods
    either side of a gap. Plain matplotlib: seaborn's lineplot drew the same lines (one row per
    group and period, nothing to aggregate) at about 0.13 s CPU a call against ~0.01 s."""
    groups = [None] if group is None else [g for g in dict.fromkeys(frame[group])
                                           if not pd.isna(g)]
    colors = [color] if group is None else sns.color_palette(PALETTE, len(groups))
    for k, (name, line_color) in enumerate(zip(groups, colors, strict=True)):
        part = frame if name is None else frame[frame[group] == name]
        x = part["_x"].to_numpy(dtype=float, na_value=np.nan)
        v = part[y].to_numpy(dtype=float, na_value=np.nan)
        keep = np.isfinite(x) & np.isfinite(v)
        order = np.argsort(x[keep], kind="stable")
        ax.plot(x[keep][order], v[keep][order], marker=markers[k % len(markers)],
                color=line_color, markeredgecolor="w", markeredgewidth=0.75,
                label=None if name is None else str(name))


# seaborn's markers for a `style` variable (seaborn._base.unique_markers), in its order
GROUP_MARKERS = ("o", "X", (4, 0, 45), "P", (4, 0, 0), (4, 1, 0), "^", (4, 1, 45), "v")


def staff_composition(counts: pd.DataFrame, share: pd.DataFrame, *, labels: Mapping[str, str],
                      title: str | None = None) -> Figure:
    """Staff by status over periods (top) and the P3K share (bottom), on one period axis.

    counts: columns period, status, n (status already in display words); share: period, share.
    labels: x, y_staff, y_share, legend.
    """
    periods = _period_order(share, counts)
    margins = PERIOD_MARGINS if not title else replace(PERIOD_MARGINS, top=0.45)
    fig, axes = fixed_figure(8, 6, margins, nrows=2, sharex=True)
    top, bottom = axes[0, 0], axes[1, 0]
    _group_lines(top, _positions(counts, periods), y="n", group="status")
    top.set(xlabel="", ylabel=labels["y_staff"], title=title or "")
    top.legend(title=labels["legend"], fontsize="small")
    _group_lines(bottom, _positions(share, periods), y="share", group=None, color="black")
    bottom.set(xlabel=labels["x"], ylabel=labels["y_share"])
    _share_axis(bottom)
    _period_ticks(bottom, periods)
    top.tick_params(axis="x", labelbottom=False)  # the shared axis is labelled below
    return fig


def _lines_by_group(frame: pd.DataFrame, *, y: str, group: str, labels: Mapping[str, str],
                    share: bool = False) -> Figure:
    """One line per `group` of `y` over periods; `share` puts y on a 0-100% axis."""
    periods = _period_order(frame)
    fig, axes = fixed_figure(8, 4, PERIOD_MARGINS)
    ax = axes[0, 0]
    _group_lines(ax, _positions(frame, periods), y=y, group=group, markers=GROUP_MARKERS)
    ax.set(xlabel=labels["x"], ylabel=labels["y"])
    if share:
        ax.set_ylim(-0.02, 1.02)
        _share_axis(ax)
    ax.legend(title=labels["legend"], fontsize="small")
    _period_ticks(ax, periods)
    return fig


def adoption_comparison(adoption: pd.DataFrame, *, labels: Mapping[str, str]) -> Figure:
    """Share of units with P3K per period, one line per scope (region, province, nation).

    adoption: columns period, scope (display words), share. labels: x, y, legend.
    """
    return _lines_by_group(adoption, y="share", group="scope", labels=labels, share=True)


def group_trends(trends: pd.DataFrame, *, labels: Mapping[str, str]) -> Figure:
    """Mean outcome per period for each group (e.g. units with and without P3K).

    trends: columns period, group (display words), mean. labels: x, y, legend.
    """
    return _lines_by_group(trends, y="mean", group="group", labels=labels)


def forest(estimates: pd.DataFrame, *, labels: Mapping[str, str],
           reference: float | None = None, max_rows: int = 80) -> Figure:
    """Point estimates with confidence intervals, one row per label (a forest plot).

    estimates: columns label, estimate, ci_low, ci_high (rows without an estimate are dropped).
    labels: x, and optionally reference (legend text for the vertical reference line).
    reference: value drawn as a dashed vertical line (e.g. the national estimate).
    """
    rows = estimates.dropna(subset=["estimate"]).sort_values("estimate").tail(max_rows)
    height = 1.5 + 0.28 * max(len(rows), 1)
    fig, axes = new_figure(7, height)
    ax = axes[0, 0]
    y = np.arange(len(rows))
    low = (rows["estimate"] - rows["ci_low"]).fillna(0).clip(lower=0)
    high = (rows["ci_high"] - rows["estimate"]).fillna(0).clip(lower=0)
    ax.errorbar(rows["estimate"], y, xerr=[low, high], fmt="o", color="#1f4e79",
                ecolor="#7f9fbf", capsize=2)
    ax.set_yticks(y)
    ax.set_yticklabels(rows["label"].astype(str))
    ax.axvline(0, color="grey", linewidth=0.8)
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color="#c00000", linestyle="--", linewidth=1,
                   label=labels.get("reference"))
        if labels.get("reference"):
            ax.legend(fontsize="small", loc="lower right")
    ax.set(xlabel=labels["x"], ylim=(-1, max(len(rows), 1)))
    return fig


def coefficients(table: pd.DataFrame, *, labels: Mapping[str, str]) -> Figure:
    """Coefficients of several models side by side.

    table: columns model, term, estimate, ci_low, ci_high. labels: x.
    """
    rows = table.assign(label=table["model"].astype(str) + " · " + table["term"].astype(str))
    return forest(rows[["label", "estimate", "ci_low", "ci_high"]], labels=labels)


def event_time(table: pd.DataFrame, *, labels: Mapping[str, str]) -> Figure:
    """Effects by event time, one line per method.

    table: columns event_time, estimate, ci_low, ci_high, method. labels: x, y, legend.
    """
    fig, axes = new_figure(8, 4)
    ax = axes[0, 0]
    methods = list(dict.fromkeys(table["method"]))
    offsets = np.linspace(-0.15, 0.15, len(methods)) if len(methods) > 1 else [0.0]
    colors = sns.color_palette(PALETTE, len(methods))
    for method, offset, color in zip(methods, offsets, colors, strict=True):
        rows = table[table["method"] == method]
        ax.errorbar(rows["event_time"] + offset, rows["estimate"],
                    yerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                    fmt="o-", capsize=2, color=color, label=str(method))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set(xlabel=labels["x"], ylabel=labels["y"])
    ax.legend(title=labels.get("legend"), fontsize="small")
    return fig


def heatmap(table: pd.DataFrame, *, index: str, columns: str, values: str,
            labels: Mapping[str, str]) -> Figure:
    """A annotated heatmap of `values` (e.g. group-time ATT by cohort x period)."""
    grid = table.pivot_table(index=index, columns=columns, values=values, aggfunc="mean")
    fig, axes = new_figure(max(6, 0.6 * grid.shape[1] + 2), max(3, 0.45 * grid.shape[0] + 1.5))
    ax = axes[0, 0]
    annotations = grid.map(lambda v: _with_minus(f"{v:.1f}"))  # seaborn's fmt writes a hyphen
    sns.heatmap(grid, annot=annotations, fmt="", center=0, cmap="RdBu_r", ax=ax,
                cbar_kws={"label": labels.get("value", values)})
    ax.set(xlabel=labels.get("x", columns), ylabel=labels.get("y", index))
    return fig


def bars(table: pd.DataFrame, *, x: str, y: str, labels: Mapping[str, str],
         hue: str | None = None, horizontal: bool = False) -> Figure:
    """A bar chart (counts by reason, cohort sizes...)."""
    fig, axes = new_figure(8, max(3.0, 0.35 * len(table) + 1.5) if horizontal else 4)
    ax = axes[0, 0]
    if table.empty:
        ax.text(0.5, 0.5, labels.get("empty", "no rows"), ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    if horizontal:
        sns.barplot(data=table, y=x, x=y, hue=hue, palette=PALETTE if hue else None,
                    color=None if hue else "#1f4e79", ax=ax)
        ax.set(ylabel=labels.get("x", x), xlabel=labels.get("y", y))
    else:
        sns.barplot(data=table, x=x, y=y, hue=hue, palette=PALETTE if hue else None,
                    color=None if hue else "#1f4e79", ax=ax)
        ax.set(xlabel=labels.get("x", x), ylabel=labels.get("y", y))
        ax.tick_params(axis="x", rotation=45)
    return fig


def distributions(table: pd.DataFrame, *, value: str, group: str,
                  labels: Mapping[str, str]) -> Figure:
    """Overlaid density-scaled histograms of `value` by `group`."""
    fig, axes = new_figure(8, 4)
    ax = axes[0, 0]
    sns.histplot(data=table, x=value, hue=group, stat="density", common_norm=False,
                 element="step", palette=PALETTE, ax=ax)
    ax.set(xlabel=labels.get("x", value), ylabel=labels.get("y", "density"))
    return fig


def event_profile(table: pd.DataFrame, *, labels: Mapping[str, str], ax=None,
                  truth: pd.DataFrame | None = None) -> Figure:  # type: ignore[no-untyped-def]
    """An event-time profile: pre-period leads and post-period effects with pointwise intervals
    (bars) and a simultaneous band (shaded), in event-time order.

    table: columns event_time, estimate, ci_low, ci_high, and optionally band_low, band_high
    (no shaded band without them) and kind ('pre' or 'post'; default: event_time < 0 is 'pre').
    truth (optional, synthetic data): columns event_time, att_true.
    labels: x, y, and optionally pre, post, band, truth (legend texts).
    """
    rows = table.sort_values("event_time")
    if "kind" not in rows.columns:
        rows = rows.assign(kind=np.where(rows["event_time"] < 0, "pre", "post"))
    if ax is None:
        fig, axes = fixed_figure(8, 3.8, EVENT_MARGINS)
        ax = axes[0, 0]
    else:
        fig = ax.figure
    x = rows["event_time"].to_numpy(dtype=float)
    if {"band_low", "band_high"} <= set(rows.columns):
        ax.fill_between(x, rows["band_low"], rows["band_high"], color="#7f9fbf", alpha=0.3,
                        step=None, label=labels.get("band"), linewidth=0)
    for kind, color in (("pre", "#555555"), ("post", "#1f4e79")):
        part = rows[rows["kind"] == kind]
        if part.empty:
            continue
        ax.errorbar(part["event_time"], part["estimate"],
                    yerr=[(part["estimate"] - part["ci_low"]).clip(lower=0),
                          (part["ci_high"] - part["estimate"]).clip(lower=0)],
                    fmt="o", capsize=2, color=color, label=labels.get(kind))
    if truth is not None and not truth.empty:
        t = truth.sort_values("event_time")
        ax.plot(t["event_time"], t["att_true"], "x--", color="#c00000", linewidth=1,
                label=labels.get("truth"))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    _event_time_ticks(ax, x)
    ax.set(xlabel=labels.get("x", "event time"), ylabel=labels.get("y", "effect"))
    if any(labels.get(k) for k in ("pre", "post", "band", "truth")):
        ax.legend(fontsize="small", loc="best")
    return fig


def dose_response(table: pd.DataFrame, *, labels: Mapping[str, str]) -> Figure:
    """ATT(d) and ACRT(d) of a continuous-treatment DiD side by side: estimate (line),
    pointwise interval (dark band) and simultaneous band (light band) against the dose.

    table: `ContDidResult.tidy()` (columns term, dose, estimate, ci_low, ci_high, band_low,
    band_high; the rows with term 'ATT(d)' and 'ACRT(d)' are drawn). labels: x, att, acrt
    (panel titles), ci, band (legend texts), all optional.
    """
    fig, axes = new_figure(10, 3.8, ncols=2)
    for ax, term, title in ((axes[0, 0], "ATT(d)", labels.get("att", "ATT(d)")),
                            (axes[0, 1], "ACRT(d)", labels.get("acrt", "ACRT(d)"))):
        rows = table[(table["term"] == term) & table["estimate"].notna()].sort_values("dose")
        x = rows["dose"].to_numpy(dtype=float)
        ax.fill_between(x, rows["band_low"], rows["band_high"], color="#7f9fbf", alpha=0.25,
                        linewidth=0, label=labels.get("band", "simultaneous band"))
        ax.fill_between(x, rows["ci_low"], rows["ci_high"], color="#1f4e79", alpha=0.25,
                        linewidth=0, label=labels.get("ci", "pointwise 95% interval"))
        ax.plot(x, rows["estimate"], color="#1f4e79", marker="o" if len(x) < 10 else None)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set(xlabel=labels.get("x", "dose"), title=title)
    axes[0, 0].legend(fontsize="small", loc="best")
    return fig


def event_study_comparison(table: pd.DataFrame, *, labels: Mapping[str, str],
                           order: list[str] | None = None, width: float = 0.6) -> Figure:
    """Event-study estimates of several estimators dodged side by side at each event time, with
    their confidence intervals (as R's did2s::plot_event_study for event_study(estimator =
    "all")).

    table: columns estimator, event_time, estimate, ci_low, ci_high (one row per estimator and
    event time). order: estimators in legend order (default: order of appearance). width: the
    share of one period the dodged points span. labels: x, y, legend.
    """
    order = order or list(dict.fromkeys(table["estimator"]))
    order = [e for e in order if (table["estimator"] == e).any()]
    fig, axes = new_figure(9, 4.2)
    ax = axes[0, 0]
    k = len(order)
    offsets = np.linspace(-width / 2, width / 2, k) if k > 1 else np.zeros(1)
    colors = sns.color_palette(PALETTE, k)
    markers = ["o", "s", "D", "^", "v", "P", "X"]
    for j, (name, offset, color) in enumerate(zip(order, offsets, colors, strict=True)):
        rows = table[table["estimator"] == name].sort_values("event_time")
        low = (rows["estimate"] - rows["ci_low"]).clip(lower=0)
        high = (rows["ci_high"] - rows["estimate"]).clip(lower=0)
        ax.errorbar(rows["event_time"] + offset, rows["estimate"], yerr=[low, high],
                    fmt=markers[j % len(markers)], markersize=4, capsize=2, elinewidth=1,
                    color=color, label=str(name))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    _event_time_ticks(ax, table["event_time"].dropna().to_numpy(dtype=float))
    ax.set(xlabel=labels.get("x", "event time"), ylabel=labels.get("y", "effect"))
    ax.legend(title=labels.get("legend"), fontsize="small", ncols=min(k, 3))
    return fig


def _ax_or_new(ax, width: float = 8.0, height: float = 4.0):  # type: ignore[no-untyped-def]
    if ax is None:
        fig, axes = new_figure(width, height)
        return fig, axes[0, 0]
    return ax.figure, ax


def cohort_panels(table: pd.DataFrame, *, labels: Mapping[str, str], ncols: int = 3) -> Figure:
    """Group-time effects, one panel per cohort (as R did's ggdid): estimate with its interval
    against the period, pre-periods and post-periods in two colours.

    table: columns cohort, time, estimate, ci_low, ci_high, post (bool); band_low/band_high
    are drawn instead of the interval when present. labels: x, y, and optionally title (a
    format string with {cohort}).
    """
    cohorts = list(dict.fromkeys(table["cohort"]))
    ncols = max(1, min(ncols, len(cohorts)))
    nrows = int(np.ceil(len(cohorts) / ncols)) or 1
    fig = Figure(figsize=(4 * ncols, 2.8 * nrows), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    low, high = (("band_low", "band_high") if "band_low" in table.columns
                 else ("ci_low", "ci_high"))
    for ax, g in zip(axes.flat, cohorts, strict=False):
        f = table[table["cohort"] == g]
        xs = np.arange(len(f))
        colors = np.where(f["post"].to_numpy(dtype=bool), "#c00000", "#1f4e79")
        ax.vlines(xs, f[low], f[high], colors=colors)
        ax.scatter(xs, f["estimate"], c=colors, zorder=3, s=14)
        ax.axhline(0, color="grey", linestyle="--", linewidth=1)
        ax.set_xticks(xs)
        ax.set_xticklabels([str(v) for v in f["time"]], rotation=45, ha="right")
        ax.set_title(labels.get("title", "cohort {cohort}").format(cohort=g))
        ax.set(xlabel=labels.get("x", "period"), ylabel=labels.get("y", "effect"))
    for ax in list(axes.flat)[len(cohorts):]:
        ax.set_visible(False)
    return fig


def points(table: pd.DataFrame, *, x: str, y: str, hue: str, labels: Mapping[str, str],
           reference: float | None = None, ax=None) -> Figure:  # type: ignore[no-untyped-def]
    """A scatter of `y` against `x`, one colour and marker per `hue` (e.g. Goodman-Bacon 2x2
    estimates against their weights, or TWFE weights by period and cohort).

    labels: x, y, legend, optionally title and reference (legend text of the dashed
    horizontal line at `reference`).
    """
    fig, ax = _ax_or_new(ax, 7, 4)
    rows = table.assign(**{hue: table[hue].astype(str)})
    sns.scatterplot(data=rows, x=x, y=y, hue=hue, style=hue, palette=PALETTE, ax=ax)
    if reference is not None and np.isfinite(reference):
        ax.axhline(reference, color="grey", linestyle="--", linewidth=1,
                   label=labels.get("reference"))
    ax.set(xlabel=labels.get("x", x), ylabel=labels.get("y", y), title=labels.get("title", ""))
    ax.legend(fontsize="small", title=labels.get("legend"))
    return fig


def means_by_window(means: pd.DataFrame, *, labels: Mapping[str, str], ax=None
                    ) -> Figure:  # type: ignore[no-untyped-def]
    """The four means of a 2x2 comparison: one line per group over 'before' and 'after'.

    means: columns group, window ('before'/'after'), mean. labels: y, optionally title, x.
    """
    fig, ax = _ax_or_new(ax, 6, 4)
    for (group, part), color in zip(means.groupby("group", sort=False),
                                    sns.color_palette(PALETTE, means["group"].nunique()),
                                    strict=True):
        part = part.set_index("window").reindex(["before", "after"])
        ax.plot([0, 1], part["mean"], "o-", color=color, label=str(group))
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["before", "after"])
    ax.set(xlabel=labels.get("x", ""), ylabel=labels.get("y", ""), title=labels.get("title", ""))
    ax.legend(fontsize="small")
    return fig


def honest_sensitivity(table: pd.DataFrame, *, labels: Mapping[str, str],
                       ax=None) -> Figure:  # type: ignore[no-untyped-def]
    """The HonestDiD sensitivity plot: the original confidence interval first, then the robust
    confidence set at each M (or Mbar), as vertical intervals against M.

    table: `HonestResult.tidy()` (columns restriction, m, ci_low, ci_high, method; the row with
    restriction 'original' is drawn first and labelled 'original'). labels: x, y, title.
    """
    if ax is None:
        fig, axes = new_figure(7, 3.8)
        ax = axes[0, 0]
    else:
        fig = ax.figure
    orig = table[table["restriction"] == "original"]
    rows = table[table["restriction"] != "original"].sort_values("m")
    m = rows["m"].to_numpy(dtype=float)
    step = float(np.min(np.diff(m))) if m.size > 1 and np.min(np.diff(m)) > 0 else 1.0
    x0 = (m.min() if m.size else 0.0) - step
    for x, lo, hi, color, lab in (
        *[(x0, lo, hi, "#555555", "original") for lo, hi in
          orig[["ci_low", "ci_high"]].itertuples(index=False)],
        *[(x, lo, hi, "#1f4e79", str(rows["method"].iloc[0]) if i == 0 else None)
          for i, (x, lo, hi) in enumerate(zip(m, rows["ci_low"], rows["ci_high"],
                                              strict=True))]):
        if np.isfinite(lo) and np.isfinite(hi):
            ax.errorbar([x], [(lo + hi) / 2], yerr=[[(hi - lo) / 2]], fmt="none", capsize=4,
                        color=color, linewidth=2, label=lab)
    ax.axhline(0, color="grey", linewidth=0.8)
    ticks = [x0, *m]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["original", *[f"{v:g}" for v in m]])
    ax.set(xlabel=labels.get("x", "M"), ylabel=labels.get("y", "confidence set"),
           title=labels.get("title", ""))
    ax.legend(fontsize="small", loc="best")
    return fig
