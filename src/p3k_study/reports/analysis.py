"""The estimates a region report shows: the region's own TWFE estimate and the national one.

Everything here goes through `fit_twfe`, the only place that knows which estimator is used:
the package's own `p3k_study.estimate.twfe`. A region whose data the estimator refuses
(`EstimationError`) gets an Estimate with the estimator's message as its note; any other error
is a bug and propagates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from p3k_study.estimate import EstimationError, twfe

MIN_GROUP = 5  # fewer treated or comparison units than this: warn that the estimate says little
UNIT, TIME = "unit_id", "period_index"
ESTIMATOR = "p3k_study.estimate.twfe (pyfixest feols, CRV1)"


@dataclass(frozen=True)
class Estimate:
    """One coefficient with its uncertainty and the sample behind it."""

    scope: str  # 'region' or 'nation'
    region: str  # region code, or '' for the nation
    outcome: str
    treatment: str
    estimate: float = math.nan
    std_error: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    n_obs: int = 0
    n_units: int = 0
    n_treated: int = 0
    n_comparison: int = 0
    cluster: str = UNIT
    estimator: str = ""
    note: str | None = None  # why there is no estimate, when there is none
    warnings: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not math.isnan(self.estimate)

    @property
    def too_few(self) -> bool:
        """Fewer than MIN_GROUP treated or comparison units."""
        return self.n_treated < MIN_GROUP or self.n_comparison < MIN_GROUP

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None), with `too_few` and `available`."""
        out = {k: (None if isinstance(v, float) and math.isnan(v) else v)
               for k, v in asdict(self).items()}
        out["too_few"] = self.too_few
        out["available"] = self.available
        return out


def fit_twfe(data: pd.DataFrame, outcome: str, treatment: str,
             cluster: str = UNIT) -> dict[str, Any]:
    """Fit `outcome ~ treatment | unit + period` with `p3k_study.estimate.twfe`.

    Returns estimate, std_error, ci_low, ci_high, p_value, n_obs and the estimator's name.
    Raises `EstimationError` (with the estimator's message) when the model cannot be fitted;
    pyfixest's ValueErrors about the data (e.g. 'All variables are collinear') become one too.
    """
    try:
        result = twfe(data, outcome, treatment, unit=UNIT, time=TIME, cluster=cluster)
    except EstimationError:
        raise
    except ValueError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise EstimationError(f"twfe could not fit {outcome} ~ {treatment} on {len(data)} "
                              f"rows: {reason}") from exc
    tidy = result.tidy().set_index("term")
    if treatment not in tidy.index:
        raise EstimationError(f"twfe returned no coefficient for {treatment!r} "
                              f"(terms: {list(tidy.index)})")
    row = tidy.loc[treatment]
    values = {k: float(row[k]) for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value")}
    return {**values, "n_obs": result.nobs, "estimator": ESTIMATOR}


def estimation_sample(panel: pd.DataFrame, outcome: str, treatment: str) -> pd.DataFrame:
    """Rows with both the outcome and the treatment observed."""
    return panel.dropna(subset=[outcome, treatment])


def group_sizes(sample: pd.DataFrame) -> tuple[int, int, int]:
    """(units, units treated at some point, units never treated) in the sample."""
    ever = sample.groupby(UNIT, observed=True)["treated"].max()
    return len(ever), int((ever > 0).sum()), int((ever == 0).sum())


def estimate_panel(sample: pd.DataFrame, *, scope: str, region: str, outcome: str,
                   treatment: str, cluster: str = UNIT) -> Estimate:
    """TWFE on an estimation sample, or an Estimate with a note saying why there is none."""
    n_units, n_treated, n_comparison = group_sizes(sample)
    base = dict(scope=scope, region=region, outcome=outcome, treatment=treatment,
                n_obs=len(sample), n_units=n_units, n_treated=n_treated,
                n_comparison=n_comparison, cluster=cluster)
    if n_treated == 0:
        return Estimate(**base, note="no unit hired P3K in this period range")
    within = sample.groupby(UNIT, observed=True)[treatment].transform("std").fillna(0)
    if not (within > 0).any():
        return Estimate(**base, note="the treatment does not change within any unit")
    if sample[TIME].nunique() < 2:
        return Estimate(**base, note="fewer than two periods")
    try:
        fitted = fit_twfe(sample, outcome, treatment, cluster=cluster)
    except EstimationError as exc:  # the region's data, not a bug: say why in the report
        return Estimate(**base, estimator=ESTIMATOR, note=str(exc))
    if not np.isfinite(fitted["std_error"]):
        fitted["std_error"] = fitted["ci_low"] = fitted["ci_high"] = math.nan
    return Estimate(**{**base, **fitted})


def restrict_periods(panel: pd.DataFrame, period_from: str | None,
                     period_to: str | None) -> pd.DataFrame:
    """Rows whose period label lies between the two labels (inclusive; None = open)."""
    labels = panel[["period", "period_index"]].drop_duplicates()
    index_of = dict(zip(labels["period"].astype(str), labels["period_index"], strict=True))
    keep = pd.Series(True, index=panel.index)
    for bound, op in ((period_from, "ge"), (period_to, "le")):
        if bound is None:
            continue
        if str(bound) not in index_of:
            raise ValueError(f"period {bound!r} is not in the panel "
                             f"(it has {min(index_of)} .. {max(index_of)})")
        keep &= getattr(panel["period_index"], op)(index_of[str(bound)])
    return panel[keep]


def region_rows(panel: pd.DataFrame, region: str, level: str = "pemda") -> pd.DataFrame:
    """The panel rows of one pemda ('32.01') or one province ('32')."""
    column = "kode_pemda" if level == "pemda" else "kode_provinsi"
    return panel[panel[column].astype(str) == str(region)]


def region_estimates(panel: pd.DataFrame, kode_pemda: str, *, level: str = "pemda",
                     outcome: str = "ikm", treatment: str = "treated",
                     period_from: str | None = None, period_to: str | None = None) -> Estimate:
    """The region's own TWFE estimate (units of that pemda or province only)."""
    rows = restrict_periods(region_rows(panel, kode_pemda, level), period_from, period_to)
    return estimate_panel(estimation_sample(rows, outcome, treatment), scope="region",
                          region=str(kode_pemda), outcome=outcome, treatment=treatment)


def national_estimate(panel: pd.DataFrame, *, outcome: str = "ikm", treatment: str = "treated",
                      period_from: str | None = None, period_to: str | None = None) -> Estimate:
    """The same model on every unit in the panel."""
    rows = restrict_periods(panel, period_from, period_to)
    return estimate_panel(estimation_sample(rows, outcome, treatment), scope="nation",
                          region="", outcome=outcome, treatment=treatment)
