"""Shared pieces of the estimators: the error type, the tidy-table helpers and plotting helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


class EstimationError(ValueError):
    """An estimator cannot run on the data it was given; the message says why in plain words."""


class EstimationWarning(UserWarning):
    """The estimator ran, but changed or dropped something the user should know about."""


def require_columns(data: pd.DataFrame, columns: Iterable[str | None], what: str) -> None:
    """Raise EstimationError naming every column of `columns` missing from `data`."""
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(
            f"{what}: data must be a pandas DataFrame, got {type(data).__name__}"
        )
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise EstimationError(
            f"{what}: column(s) {missing} not in the data (available: {list(data.columns)})"
        )


def normal_tidy(
    terms: Sequence[str],
    estimate: np.ndarray,
    std_error: np.ndarray,
    alpha: float = 0.05,
    crit: float | None = None,
) -> pd.DataFrame:
    """Broom-style table, normal p-values; `crit` overrides the CI critical value."""
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    p = 2 * stats.norm.sf(np.abs(stat))
    c = stats.norm.ppf(1 - alpha / 2) if crit is None else crit
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "ci_low": est - c * se,
            "ci_high": est + c * se,
        }
    )


def format_tidy(tidy: pd.DataFrame, title: str, notes: Sequence[str] = ()) -> str:
    """Plain-text rendering of a tidy table under a title, with notes below."""
    shown = tidy.copy()
    with pd.option_context("display.width", 120, "display.max_rows", 500):
        body = shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")
    rule = "-" * max(len(title), min(100, max(len(line) for line in body.splitlines())))
    lines = [title, rule, body, rule, *notes]
    return "\n".join(lines)


def _axes(ax=None):  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def coef_plot(tidy: pd.DataFrame, title: str = "", ax=None):  # type: ignore[no-untyped-def]
    """Horizontal coefficient plot (points with confidence intervals); returns the Axes."""
    import seaborn as sns

    ax = _axes(ax)
    sns.pointplot(data=tidy, x="estimate", y="term", linestyle="none", ax=ax, color="C0")
    y = np.arange(len(tidy))
    ax.hlines(y, tidy["ci_low"], tidy["ci_high"], color="C0")
    ax.axvline(0, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("estimate")
    ax.set_ylabel("")
    ax.set_title(title)
    return ax


def event_plot(
    frame: pd.DataFrame, x: str, title: str = "", ax=None, xlabel: str = "periods since first P3K"
):  # type: ignore[no-untyped-def]
    """Event-study plot: estimates against `x`, shaded (ci_low, ci_high) band; returns the Axes."""
    import seaborn as sns

    ax = _axes(ax)
    f = frame.sort_values(x)
    pre = f[x] < 0
    sns.scatterplot(x=f[x], y=f["estimate"], hue=np.where(pre, "pre", "post"), ax=ax,
                    palette={"pre": "C0", "post": "C3"})
    sns.lineplot(x=f[x], y=f["estimate"], ax=ax, color="grey", linewidth=0.8)
    ax.fill_between(f[x], f["ci_low"], f["ci_high"], alpha=0.2, color="C0")
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("estimate")
    ax.set_title(title)
    return ax


def wald(estimate: np.ndarray, vcov: np.ndarray) -> tuple[float, int, float]:
    """Wald chi2 statistic, degrees of freedom and p-value of H0: estimate = 0."""
    b = np.asarray(estimate, dtype=float)
    v = np.asarray(vcov, dtype=float)
    if b.size == 0:
        raise EstimationError("Wald test: there are no coefficients to test")
    try:
        stat = float(b @ np.linalg.solve(v, b))
    except np.linalg.LinAlgError:
        stat = float(b @ np.linalg.pinv(v) @ b)
    df = int(b.size)
    return stat, df, float(stats.chi2.sf(stat, df))
