"""Two-way fixed-effects regression and the classic 2x2 before/after comparison, both via pyfixest.

TWFE is the textbook estimator; under staggered adoption with effects that grow over time it is
biased (see `bacon_decomposition`), so treat it as a benchmark beside `att_gt`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyfixest as pf

from ._common import (
    EstimationError,
    EstimationWarning,
    PeriodLabels,
    format_tidy,
    refuse_duplicates,
    require_columns,
)

_PF_RENAME = {"Estimate": "estimate", "Std. Error": "std_error", "t value": "statistic",
              "Pr(>|t|)": "p_value", "2.5%": "ci_low", "97.5%": "ci_high"}


def _safe_frame(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Copy `columns` under formula-safe names (v0, v1, ...); returns the frame and new->old map."""
    mapping: dict[str, str] = {}
    out = {}
    for i, col in enumerate(dict.fromkeys(columns)):
        safe = f"v{i}_" + "".join(ch if ch.isalnum() else "_" for ch in col)
        mapping[safe] = col
        out[safe] = data[col].to_numpy()
    return pd.DataFrame(out, index=data.index), mapping


def pyfixest_tidy(fit: Any, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Broom-style tidy table of a pyfixest fit (t-based p-values and CIs as pyfixest reports).

    Parameters
    ----------
    fit : pyfixest Feols
        A fitted model.
    names : dict, optional
        Formula-safe name -> the user's column name, applied to `term`.

    Returns
    -------
    DataFrame
        term, estimate, std_error, statistic, p_value, ci_low, ci_high.
    """
    t = fit.tidy().reset_index().rename(columns={"Coefficient": "term", **_PF_RENAME})
    if names:
        t["term"] = [names.get(x, x) for x in t["term"]]
    return t[["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]]


@dataclass
class RegressionResult:
    """A fitted fixed-effects regression (thin wrapper around a pyfixest Feols)."""

    fit: Any
    name: str
    outcome: str
    names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> pd.Series:
        """Coefficients indexed by the user's column names."""
        s = self.fit.coef().copy()
        s.index = [self.names.get(x, x) for x in s.index]
        return s

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors (CRV1 clustered unless stated otherwise)."""
        s = self.fit.se().copy()
        s.index = [self.names.get(x, x) for x in s.index]
        return s

    def vcov(self) -> pd.DataFrame:
        """Variance-covariance matrix of the coefficients (CRV1 as fitted), indexed by the
        user's column names."""
        idx = list(self.params.index)
        # pyfixest 0.60 has no public getter: Feols.vcov() re-fits the variance
        return pd.DataFrame(np.asarray(self.fit._vcov), index=idx, columns=idx)

    @property
    def nobs(self) -> int:
        """Number of observations used."""
        return len(self.fit.resid())

    def tidy(self) -> pd.DataFrame:
        """The coefficients.

        Returns
        -------
        DataFrame
            term (the user's column names), estimate, std_error, statistic, p_value, ci_low,
            ci_high (t-based, as pyfixest reports).
        """
        return pyfixest_tidy(self.fit, self.names)

    def summary(self) -> str:
        """Text summary."""
        return format_tidy(
            self.tidy(),
            f"{self.name}: {self.outcome}  (N = {self.nobs})",
            [f"Standard errors: {self.fit._vcov_type_detail}, clustered by {self._cluster_name()}",
             *self.notes],
        )

    def _cluster_name(self) -> str:
        cv = getattr(self.fit, "_clustervar", None) or ["-"]
        return ", ".join(self.names.get(c, c) for c in cv)

    def plot(self):  # type: ignore[no-untyped-def]
        """Coefficient plot with confidence intervals (`plots.forest`).

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        t = self.tidy().rename(columns={"term": "label"})
        return plots.forest(t, labels={"x": f"{self.name}: effect on {self.outcome}"})

    def __repr__(self) -> str:
        return self.summary()


def _singleton_warning(data: pd.DataFrame, unit: str, what: str) -> list[str]:
    counts = data.groupby(unit, sort=False, observed=True).size()
    n_single = int((counts == 1).sum())
    if n_single:
        msg = (f"{what}: {n_single} unit(s) are observed in a single period (singletons); "
               "the unit fixed effect absorbs them, so pyfixest drops them")
        warnings.warn(msg, EstimationWarning, stacklevel=3)
        return [msg]
    return []


def twfe(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    unit: str,
    time: str,
    controls: Sequence[str] = (),
    cluster: str | None = None,
) -> RegressionResult:
    """Regress `outcome` on `treatment` (+ controls) with unit and time fixed effects.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (duplicates are refused).
    outcome : str
        Outcome column.
    treatment : str
        A 0/1 post indicator (e.g. `treated`) or an intensity (e.g. `p3k_share`).
    unit, time : str
        Unit identifier and period columns (their fixed effects are absorbed).
    controls : sequence of str
        Further regressors.
    cluster : str, optional
        Cluster variable of the CRV1 standard errors (default: `unit`).

    Returns
    -------
    RegressionResult
        The pyfixest feols fit with the user's names.
    """
    controls = list(controls)
    require_columns(data, [outcome, treatment, unit, time, *controls, cluster], "twfe")
    refuse_duplicates(data, unit, time, "twfe")
    cols = [outcome, treatment, *controls, unit, time] + ([cluster] if cluster else [])
    frame, names = _safe_frame(data, cols)
    inv = {v: k for k, v in names.items()}
    for c in [outcome, treatment, *controls]:
        if not pd.api.types.is_numeric_dtype(frame[inv[c]]):
            raise EstimationError(f"twfe: column {c!r} must be numeric, got {data[c].dtype}")
    if frame[inv[treatment]].nunique(dropna=True) < 2:
        raise EstimationError(f"twfe: treatment {treatment!r} does not vary; nothing to estimate")
    notes = _singleton_warning(data.dropna(subset=[outcome, treatment, *controls]), unit, "twfe")
    rhs = " + ".join([inv[treatment], *[inv[c] for c in controls]])
    fml = f"{inv[outcome]} ~ {rhs} | {inv[unit]} + {inv[time]}"
    clus = inv[cluster] if cluster else inv[unit]
    fit = pf.feols(fml, data=frame, vcov={"CRV1": clus})
    dropped = [names.get(c, c) for c in getattr(fit, "_collin_vars", []) or []]
    if dropped:
        raise EstimationError(
            f"twfe: {dropped} are collinear with the fixed effects or other regressors; "
            "remove them"
        )
    return RegressionResult(fit=fit, name="TWFE", outcome=outcome, names=names, notes=notes)


@dataclass
class BeforeAfterResult:
    """The classic 2x2 difference-in-differences: four means, their DiD and its clustered SE."""

    means: pd.DataFrame
    did: float
    se: float
    fit: Any
    outcome: str
    treated_cohort: Any
    control_group: str
    periods: dict[str, list[Any]]
    n_units: dict[str, int]
    labels: PeriodLabels = field(default_factory=PeriodLabels, repr=False)

    def tidy(self) -> pd.DataFrame:
        """The DiD.

        Returns
        -------
        DataFrame
            One row, term 'did', with cohort (the treated cohort, as a label when known) and
            the tidy columns (t-based p-value and CI, clustered by unit).
        """
        t = pyfixest_tidy(self.fit)
        t = t[t["term"] == "D:post"].copy()
        t["term"] = "did"
        t.insert(1, "cohort", [self.labels.cohort(self.treated_cohort)])
        return t.reset_index(drop=True)

    def vcov(self) -> np.ndarray:
        """1 x 1 variance of the DiD (CRV1 by unit)."""
        return np.array([[self.se**2]])

    def summary(self) -> str:
        """Text summary with the 2x2 table of means."""
        with pd.option_context("display.width", 120):
            means = self.means.to_string(float_format=lambda v: f"{v:.4f}")
        notes = [
            "Means (rows: group, columns: period window):",
            means,
            f"Treated: cohort {self.labels.cohort(self.treated_cohort)} "
            f"({self.n_units['treated']} units); "
            f"control: {self.control_group} ({self.n_units['control']} units).",
            f"Before: periods {self.labels.period(self.periods['before'][0])}.."
            f"{self.labels.period(self.periods['before'][-1])}; "
            f"after: periods {self.labels.period(self.periods['after'][0])}.."
            f"{self.labels.period(self.periods['after'][-1])}.",
            "SE: OLS with group x period interaction, CRV1 clustered by unit.",
        ]
        return format_tidy(self.tidy(), f"2x2 before/after DiD: {self.outcome}", notes)

    def plot(self, ax=None):  # type: ignore[no-untyped-def]
        """Interaction plot of the four means (`plots.means_by_window`).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw on it; default a new Figure.

        Returns
        -------
        matplotlib Figure
        """
        from p3k_study import plots

        long = self.means.reset_index().melt(id_vars="group", var_name="window", value_name="mean")
        return plots.means_by_window(long, labels={
            "y": self.outcome, "title": f"2x2 DiD = {self.did:.4f} (SE {self.se:.4f})"}, ax=ax)

    def __repr__(self) -> str:
        return self.summary()


def before_after(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    treated_cohort: Any = None,
    control_group: str = "never_treated",
) -> BeforeAfterResult:
    """Classic 2x2 DiD for one adoption cohort.

    Parameters
    ----------
    data : DataFrame
        Long panel.
    outcome : str
        Outcome column.
    unit, time : str
        Unit identifier and integer period columns.
    cohort : str
        Period of the unit's first treatment (0/NaN = never treated).
    treated_cohort : optional
        The cohort compared (default: the cohort with the most units).
    control_group : {"never_treated", "not_yet_treated"}
        The comparison units (below).

    Returns
    -------
    BeforeAfterResult
        The four means, the DiD and its SE.

    With staggered timing "before/after" only has one meaning per cohort, so the comparison is:

    * treated group: units whose first P3K period is `treated_cohort` (default: the cohort with the
      most units);
    * control group: never-treated units (cohort 0/NaN) for ``"never_treated"``; for
      ``"not_yet_treated"`` also units first treated later, and then the window ends before the
      next later cohort starts (so every control unit is untreated in every period used);
    * before = periods < treated_cohort, after = periods >= treated_cohort (within the window).

    The DiD equals (after - before) for the treated minus the same for the controls; its SE comes
    from OLS of the outcome on group, period and group x period, clustered by unit.
    """
    require_columns(data, [outcome, unit, time, cohort], "before_after")
    if control_group not in ("never_treated", "not_yet_treated"):
        raise EstimationError(
            f"before_after: control_group must be 'never_treated' or 'not_yet_treated', "
            f"got {control_group!r}"
        )
    d = data[[outcome, unit, time, cohort]].dropna(subset=[outcome, time])
    g = d[cohort].fillna(0)
    cohorts = sorted(set(g[g > 0].unique()))
    if not cohorts:
        raise EstimationError("before_after: no unit is ever treated (all cohorts are 0/NaN)")
    if treated_cohort is None:
        sizes = d.loc[g > 0].groupby(cohort)[unit].nunique()
        treated_cohort = sizes.idxmax()
    if treated_cohort not in cohorts:
        raise EstimationError(
            f"before_after: treated_cohort {treated_cohort!r} is not a cohort in the data "
            f"(cohorts: {cohorts})"
        )
    t = d[time]
    if control_group == "never_treated":
        control = g == 0
        upper = np.inf
    else:
        later = [c for c in cohorts if c > treated_cohort]
        upper = min(later) if later else np.inf
        control = (g == 0) | (g > treated_cohort)
    if not control.any():
        raise EstimationError(
            "before_after: no never-treated units; use control_group='not_yet_treated'"
            if control_group == "never_treated" else "before_after: no control units"
        )
    keep = ((g == treated_cohort) | control) & (t < upper)
    s = d.loc[keep].copy()
    s["D"] = (s[cohort].fillna(0) == treated_cohort).astype(float)
    s["post"] = (s[time] >= treated_cohort).astype(float)
    before = sorted(s.loc[s["post"] == 0, time].unique())
    after = sorted(s.loc[s["post"] == 1, time].unique())
    if not before or not after:
        raise EstimationError(
            f"before_after: cohort {treated_cohort} has no "
            f"{'pre-treatment' if not before else 'post-treatment'} period in the window"
        )
    s["y"] = s[outcome].astype(float)
    s["u"] = s[unit]
    fit = pf.feols("y ~ D + post + D:post", data=s[["y", "D", "post", "u"]], vcov={"CRV1": "u"})
    means = (
        s.assign(group=np.where(s["D"] == 1, "treated", "control"),
                 window=np.where(s["post"] == 1, "after", "before"))
        .pivot_table(index="group", columns="window", values="y", aggfunc="mean")
        .reindex(index=["treated", "control"], columns=["before", "after"])
    )
    did = (means.loc["treated", "after"] - means.loc["treated", "before"]) - (
        means.loc["control", "after"] - means.loc["control", "before"]
    )
    return BeforeAfterResult(
        means=means,
        did=float(did),
        se=float(fit.se()["D:post"]),
        fit=fit,
        outcome=outcome,
        treated_cohort=treated_cohort,
        control_group=control_group,
        periods={"before": before, "after": after},
        n_units={"treated": int(s.loc[s["D"] == 1, "u"].nunique()),
                 "control": int(s.loc[s["D"] == 0, "u"].nunique())},
        labels=PeriodLabels.from_data(data, time, cohort),
    )
