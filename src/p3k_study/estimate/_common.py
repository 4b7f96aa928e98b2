"""Shared pieces of the estimators: the error type, the tidy-table helpers and plotting helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from p3k_study.errors import UserError

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]


class EstimationError(UserError, ValueError):
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


def refuse_duplicates(data: pd.DataFrame, unit: str, time: str, what: str) -> None:
    """Raise EstimationError if a (unit, time) pair has more than one row, naming the first few
    duplicated pairs (every estimator needs one row per unit and period)."""
    dup = data.duplicated([unit, time], keep=False)
    if not dup.any():
        return
    pairs = data.loc[dup, [unit, time]].drop_duplicates()
    n_extra = int(data.duplicated([unit, time]).sum())

    def fmt(v: object) -> str:
        return f"{v:g}" if isinstance(v, float | np.floating) else str(v)

    shown = ", ".join(f"({fmt(u)}, {fmt(t)})" for u, t in pairs.head(5).itertuples(index=False))
    more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
    raise EstimationError(
        f"{what}: {n_extra} duplicated ({unit}, {time}) rows in {len(pairs)} pair(s): "
        f"{shown}{more}; the panel needs one row per unit and period"
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


def grouped_wald(estimate: np.ndarray, psi: np.ndarray, groups: np.ndarray, n: int,
                 effective: bool = False) -> dict[str, float | str]:
    """Wald test of H0: estimate = 0 with a small-sample F reference distribution.

    `psi` (m, q) holds influence-function rows (units, or cluster sums) scaled so that the
    asymptotic variance is psi'psi / n**2; `groups` (m,) labels independent samples (cohorts, or
    one label for clusters). Each group's covariance is re-estimated with the unbiased divisor
    n_k - 1, and T2 = b'V^-1 b is referred to nu q / (nu - q + 1) F(q, nu - q + 1), nu from the
    Krishnamoorthy & Yu (2004, Statistics & Probability Letters 66:161-169) approximation for the
    multivariate Behrens-Fisher problem, summed over the groups; with one group it is Hotelling's
    exact T2 test. The asymptotic chi2 understates the null spread badly when a cohort has few
    units relative to its number of pre-periods (simulation: tests/test_estimate_pretrend.py).
    Returns statistic (F), df, df_denom, p_value and, if the test is impossible, a `note`.
    `effective=True` (pairwise estimates on an unbalanced panel, where a unit can be absent from
    some tested estimates): a group's n_k is its mean number of non-zero rows per column.
    """
    b = np.asarray(estimate, dtype=float)
    q = b.size
    labels = np.unique(groups)
    parts: list[tuple[np.ndarray, int]] = []
    for lab in labels:
        rows = psi[groups == lab]
        m_k = rows.shape[0]
        if effective:
            nz = np.count_nonzero(rows, axis=0)
            m_k = round(float(nz[nz > 0].mean())) if (nz > 0).any() else 0
        if m_k < 2:
            continue
        c = rows - rows.mean(axis=0)
        parts.append(((c.T @ c) / n**2 * m_k / (m_k - 1), m_k))
    out: dict[str, float | str] = {"statistic": np.nan, "df": q, "df_denom": np.nan,
                                   "p_value": np.nan}
    if not parts:
        out["note"] = "no group has two or more units to estimate the covariance"
        return out
    v = sum(p for p, _ in parts)
    d = np.sqrt(np.diag(v))
    if np.any(d <= 0):
        out["note"] = "a tested estimate has zero estimated variance"
        return out
    eig = np.linalg.eigvalsh(v / np.outer(d, d))
    if eig.min() <= 1e-10 * eig.max():
        out["note"] = (f"the covariance of the {q} tested estimates is singular (too few units "
                       "or clusters for that many restrictions)")
        return out
    vinv = np.linalg.inv(v)
    t2 = float(b @ vinv @ b)
    denom = 0.0
    for p, m_k in parts:
        mk = p @ vinv
        denom += (np.trace(mk @ mk) + np.trace(mk) ** 2) / (m_k - 1)
    nu = (q + q**2) / denom
    df2 = nu - q + 1
    if df2 <= 0.5:
        out["note"] = (f"too few units to test {q} restrictions jointly (effective degrees of "
                       f"freedom {nu:.1f})")
        return out
    f = t2 * df2 / (nu * q)
    out.update(statistic=f, df_denom=float(df2), p_value=float(stats.f.sf(f, q, df2)))
    return out


def pretrend_line(pt: dict) -> str:  # type: ignore[type-arg]
    """One line of text for a pre-trend test result (F or chi2, or why there is none)."""
    if not np.isfinite(pt.get("p_value", np.nan)):
        return f"Pre-trend test: not available ({pt.get('note', 'no p-value')})"
    if np.isfinite(pt.get("df_denom", np.inf)):
        line = (f"Pre-trend test F({pt['df']}, {pt['df_denom']:.1f}) = {pt['statistic']:.3f}, "
                f"p = {pt['p_value']:.5f}")
        if np.isfinite(pt.get("chi2", np.nan)):
            line += f" [asymptotic chi2 = {pt['chi2']:.3f}, p = {pt['chi2_p_value']:.5f}]"
        return line
    return f"Pre-trend Wald chi2({pt['df']}) = {pt['statistic']:.3f}, p = {pt['p_value']:.5f}"
