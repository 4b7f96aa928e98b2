"""Shared pieces of the estimators: the error type, the result vocabulary (tidy columns, the
typed test result, period labels) and the text rendering.

Vocabulary (docs/methods.md, "Results"): every result's `tidy()` has the columns `TIDY_COLUMNS`
(`band_low`/`band_high` where a simultaneous band exists; `cohort`, `time`, `event_time` where
the row has them, as period labels when the result knows them), `vcov()` is a method,
`summary()` returns text and `plot()` draws through `p3k_study.plots`; joint tests return a
`TestResult`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from p3k_study.errors import UserError

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
BAND_COLUMNS = ["band_low", "band_high"]
KEY_COLUMNS = ["cohort", "time", "event_time"]


@dataclass(frozen=True, repr=False)
class TestResult:
    """A joint (Wald-type) test of H0: the tested estimates are all zero.

    Attributes
    ----------
    statistic : float
        The test statistic (F or chi2; NaN when the test cannot be done).
    df : float
        Degrees of freedom of the statistic (the numerator df of an F test).
    p_value : float
        Its p-value (NaN when the test cannot be done; `note` says why).
    method : str
        Which test: e.g. "F (small-sample, Krishnamoorthy-Yu df)", "chi2 (asymptotic, as R
        did)", "F (chi2 / q, G - 1 df, as fixest)".
    df_denom : float
        Denominator degrees of freedom of an F test; inf for a chi2 test.
    chi2, chi2_p_value : float
        The asymptotic chi2 statistic and p-value of the same hypothesis (NaN if singular).
    by : str
        What was tested ("cells" or "event_time" for pre-trend tests; "" otherwise).
    note : str
        What was changed, or why there is no p-value ("" if nothing).
    """

    __test__ = False  # not a pytest test class

    statistic: float
    df: float
    p_value: float
    method: str
    df_denom: float = math.inf
    chi2: float = math.nan
    chi2_p_value: float = math.nan
    by: str = ""
    note: str = ""

    @property
    def available(self) -> bool:
        """True when the test has a p-value."""
        return bool(np.isfinite(self.p_value))

    def __repr__(self) -> str:
        return f"TestResult: {self}"

    def __str__(self) -> str:
        if not self.available:
            return f"not available ({self.note or 'no p-value'})"
        if np.isfinite(self.df_denom):
            line = (f"F({self.df:g}, {self.df_denom:.1f}) = {self.statistic:.3f}, "
                    f"p = {self.p_value:.5f}")
            if np.isfinite(self.chi2):
                line += f" [asymptotic chi2 = {self.chi2:.3f}, p = {self.chi2_p_value:.5f}]"
        else:
            line = f"chi2({self.df:g}) = {self.statistic:.3f}, p = {self.p_value:.5f}"
        extra = [x for x in (f"tested: {self.by}" if self.by else "", self.note) if x]
        return f"{line} ({self.method}{'; ' + '; '.join(extra) if extra else ''})"


class PeriodLabels:
    """How a result writes periods and cohorts: as labels ("2022-S1", "2023-Q3", "2024") when the
    data carried a `period` label column beside the integer `time` column (a panel written by
    `prepare`), else as the numbers given.

    Parameters
    ----------
    freq : str or None
        "semester", "quarter" or "year"; None = no labels known (numbers are kept).
    known : iterable of int
        Period indices that occur (periods and cohorts), replaced in free text by `text`.
    """

    def __init__(self, freq: str | None = None, known: Iterable[int] = ()) -> None:
        self.freq = freq
        self.known: dict[int, str] = {}
        if freq is not None:
            from p3k_study.periods import period_label

            self.known = {int(i): period_label(int(i), freq) for i in known}  # type: ignore[arg-type]

    @classmethod
    def from_data(cls, data: pd.DataFrame, time: str, cohort: str | None = None,
                  label_column: str = "period") -> PeriodLabels:
        """The labels of `data` when it has a `label_column` whose labels are those of the
        integer `time` values for one frequency (`labels.infer_frequency`); else no labels.
        One row per distinct period is checked."""
        if (label_column == time or label_column not in data.columns or time not in data.columns
                or not pd.api.types.is_numeric_dtype(data[time])):
            return cls()
        first = ~data[time].duplicated().to_numpy()
        idx, lab = data[time].to_numpy()[first], data[label_column].to_numpy()[first]
        ok = pd.notna(idx) & pd.notna(lab)
        if not ok.any() or np.any(np.mod(idx[ok].astype(float), 1) != 0):
            return cls()
        from p3k_study.labels import infer_frequency

        try:
            freq = infer_frequency(pd.Series(lab[ok]).astype(str), idx[ok].astype("int64"))
        except (ValueError, TypeError):
            return cls()
        known = set(idx[ok].astype("int64").tolist())
        if cohort is not None and cohort in data.columns:
            g = pd.to_numeric(pd.Series(pd.unique(data[cohort])), errors="coerce").dropna()
            known |= {int(v) for v in g if v > 0 and float(v) % 1 == 0}
        return cls(freq, known)

    def __bool__(self) -> bool:
        return self.freq is not None

    def period(self, value: object) -> object:
        """One period as its label (a number when no labels are known or it is missing)."""
        if self.freq is None or value is None or pd.isna(value):  # type: ignore[arg-type]
            return value
        from p3k_study.periods import period_label

        return period_label(int(value), self.freq)  # type: ignore[arg-type, call-overload]

    def cohort(self, value: object) -> object:
        """A cohort as its label; 0/missing = never treated ('never')."""
        if self.freq is None:
            return value
        from p3k_study.labels import cohort_label

        return cohort_label(value, self.freq)  # type: ignore[arg-type]

    def periods(self, values: Iterable[object]) -> list[object]:
        return [self.period(v) for v in values]

    def cohorts(self, values: Iterable[object]) -> list[object]:
        return [self.cohort(v) for v in values]

    def text(self, text: str) -> str:
        """`text` with the known period indices written as labels
        (`labels.label_periods_in_text`)."""
        if not self.known:
            return text
        from p3k_study.labels import label_periods_in_text

        return label_periods_in_text(text, self.known)


@contextmanager
def labelled_warnings(labels: PeriodLabels) -> Iterator[None]:
    """EstimationWarnings raised inside the block are re-issued after it with their period
    indices written as labels (other warnings pass unchanged)."""
    if not labels:
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for item in caught:
        msg = str(item.message)
        if issubclass(item.category, EstimationWarning):
            msg = labels.text(msg)
        warnings.warn(msg, item.category, stacklevel=3)


def with_period_labels(fit: Callable[..., Any]) -> Callable[..., Any]:
    """`fit(data, outcome, unit, time, cohort, ...)` whose notes and EstimationWarnings name
    periods by label (`PeriodLabels.from_data`); a result with a `labels` field keeps them."""

    @functools.wraps(fit)
    def labelled(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
                 *args: Any, **kwargs: Any) -> Any:
        labels = PeriodLabels.from_data(data, time, cohort)
        with labelled_warnings(labels):
            result = fit(data, outcome, unit, time, cohort, *args, **kwargs)
        result.notes = [labels.text(n) for n in result.notes]
        if "labels" in {f.name for f in dataclasses.fields(result)}:
            result.labels = labels
        return result

    return labelled


def key_columns(tidy: pd.DataFrame, labels: PeriodLabels, cohort: Sequence[object] | None = None,
                time: Sequence[object] | None = None,
                event_time: Sequence[object] | None = None) -> pd.DataFrame:
    """`tidy` with `cohort`, `time` and `event_time` columns (those given) after `term`;
    cohort and time as labels when `labels` knows them, else (like event_time) as whole
    numbers; None/NaN = the row has no such key (e.g. the overall ATT)."""
    out = tidy.copy()
    pos = 1
    for name, values in (("cohort", cohort), ("time", time), ("event_time", event_time)):
        if values is None:
            continue
        vals = [None if v is None or pd.isna(v) else v for v in values]  # type: ignore[arg-type]
        if labels and name != "event_time":
            one = labels.cohort if name == "cohort" else labels.period
            column: object = pd.array([None if v is None else one(v) for v in vals],
                                      dtype="string")
        else:
            column = _numbers(vals)
        out.insert(pos, name, column)
        pos += 1
    return out


def _numbers(values: list[object]) -> object:
    """Whole numbers as a nullable integer array (cohort 2004.0 -> 2004), else floats."""
    arr = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype(float)
    finite = arr.dropna().to_numpy()
    if np.all(np.mod(finite, 1) == 0):
        return pd.array(arr, dtype="Int64")
    return arr.to_numpy()


def no_inference_tidy(terms: Sequence[str], estimate: Sequence[float]) -> pd.DataFrame:
    """A tidy table of quantities without sampling uncertainty (weights, decompositions): the
    inference columns are NaN."""
    nan = [np.nan] * len(terms)
    return pd.DataFrame({"term": list(terms), "estimate": list(estimate), "std_error": nan,
                         "statistic": nan, "p_value": nan, "ci_low": nan, "ci_high": nan})


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
    band_crit: float | None = None,
) -> pd.DataFrame:
    """Broom-style table with normal p-values and pointwise intervals; `band_crit` (a
    simultaneous critical value) adds `band_low`/`band_high`."""
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    p = 2 * stats.norm.sf(np.abs(stat))
    c = stats.norm.ppf(1 - alpha / 2)
    out = pd.DataFrame(
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
    if band_crit is not None:
        out["band_low"] = est - band_crit * se
        out["band_high"] = est + band_crit * se
    return out


def format_tidy(tidy: pd.DataFrame, title: str, notes: Sequence[str] = ()) -> str:
    """Plain-text rendering of a tidy table under a title, with notes below."""
    shown = tidy.copy()
    with pd.option_context("display.width", 120, "display.max_rows", 500):
        body = shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")
    rule = "-" * max(len(title), min(100, max(len(line) for line in body.splitlines())))
    lines = [title, rule, body, rule, *notes]
    return "\n".join(lines)


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
                 effective: bool = False) -> TestResult:
    """Wald test of H0: estimate = 0 with a small-sample F reference distribution.

    `psi` (m, q) holds influence-function rows (units, or cluster sums) scaled so that the
    asymptotic variance is psi'psi / n**2; `groups` (m,) labels independent samples (cohorts, or
    one label for clusters). Each group's covariance is re-estimated with the unbiased divisor
    n_k - 1, and T2 = b'V^-1 b is referred to nu q / (nu - q + 1) F(q, nu - q + 1), nu from the
    Krishnamoorthy & Yu (2004, Statistics & Probability Letters 66:161-169) approximation for the
    multivariate Behrens-Fisher problem, summed over the groups; with one group it is Hotelling's
    exact T2 test. The asymptotic chi2 understates the null spread badly when a cohort has few
    units relative to its number of pre-periods (simulation: tests/test_estimate_pretrend.py).
    Returns a `TestResult` (F; statistic and p_value NaN with a `note` if the test is
    impossible).
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
    method = "F (small-sample, Krishnamoorthy-Yu df)"

    def none(note: str) -> TestResult:
        return TestResult(np.nan, q, np.nan, method, df_denom=np.nan, note=note)

    if not parts:
        return none("no group has two or more units to estimate the covariance")
    v = sum(p for p, _ in parts)
    d = np.sqrt(np.diag(v))
    if np.any(d <= 0):
        return none("a tested estimate has zero estimated variance")
    eig = np.linalg.eigvalsh(v / np.outer(d, d))
    if eig.min() <= 1e-10 * eig.max():
        return none(f"the covariance of the {q} tested estimates is singular (too few units "
                    "or clusters for that many restrictions)")
    vinv = np.linalg.inv(v)
    t2 = float(b @ vinv @ b)
    denom = 0.0
    for p, m_k in parts:
        mk = p @ vinv
        denom += (np.trace(mk @ mk) + np.trace(mk) ** 2) / (m_k - 1)
    nu = (q + q**2) / denom
    df2 = nu - q + 1
    if df2 <= 0.5:
        return none(f"too few units to test {q} restrictions jointly (effective degrees of "
                    f"freedom {nu:.1f})")
    f = t2 * df2 / (nu * q)
    return TestResult(float(f), q, float(stats.f.sf(f, q, df2)), method, df_denom=float(df2))
