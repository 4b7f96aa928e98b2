"""The estimates a region report shows: a staggered-robust headline, its event-time profile, and
TWFE as a labelled comparison.

The headline (docs/methods.md, "The regional headline") is the imputation estimator of
Borusyak, Jaravel and Spiess (2024) (`p3k_study.estimate.did_imputation`) for the estimand

    the average change in IKM that P3K hiring caused in the region's units that hired, over the
    periods after their first hire (every treated unit-period with an IKM counts once),

with intervals from its fixed-target delete-one-cluster jackknife on t(G - 1), clusters = units
in a region, pemda in the nation. Every region uses the same estimator, so the index page
compares like with like. Event times, leads and the headline itself are reported only when they
rest on at least `min_treated` treated units (default 5), and treated unit-periods enter only
when their period has at least `MIN_COMPARISON` units without P3K observed; what was left out is
listed.
TWFE (pyfixest, CRV1) is shown beside it, labelled, with the share of treated observations that
get a negative weight in it (de Chaisemartin and D'Haultfoeuille 2020).
With `treatment="p3k_share"` the P3K share is estimated as a dose with `cont_did` (Callaway,
Goodman-Bacon and Sant'Anna 2024; `dose_response`), and the continuous TWFE, which that paper
shows to mix effects with negative weights, is shown only as the labelled comparison.

A region whose data the estimators refuse (`EstimationError`) gets an Estimate with the reason
as its note; any other error is a bug and propagates.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from p3k_study.estimate import EstimationError, EstimationWarning, cont_did, twfe, twfe_weights
from p3k_study.estimate.imputation import LEFT_OUT_COLUMNS, TIDY_COLUMNS, did_imputation

MIN_TREATED = 5  # default: estimates resting on fewer treated units are not reported
MIN_COMPARISON = 5  # treated unit-periods in periods with fewer units without P3K: left out
UNIT, TIME, COHORT = "unit_id", "period_index", "cohort"
METHOD = "imputation"
ESTIMATOR = ("imputation estimator (Borusyak, Jaravel & Spiess 2024), "
             "jackknife over clusters, t(G-1) intervals")
TWFE_ESTIMATOR = "two-way fixed effects (pyfixest feols, CRV1 by unit)"
DOSE = "p3k_share"
DOSE_DEGREE = 1  # a few dozen units per region: a line in the dose per (cohort, period) cell
DOSE_ESTIMATOR = ("continuous-treatment DiD (Callaway, Goodman-Bacon & Sant'Anna 2024), dose = "
                  "P3K share in the first hiring period, linear in the dose, not-yet-treated "
                  "comparisons, normal intervals from influence functions")
LEADS = 4


@dataclass(frozen=True)
class Estimate:
    """One number with its uncertainty, the estimator that made it and the sample behind it."""

    scope: str  # 'region' or 'nation'
    region: str  # region code, or '' for the nation
    outcome: str
    treatment: str
    estimate: float = math.nan
    std_error: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    df: int | None = None
    n_obs: int = 0
    n_units: int = 0
    n_treated: int = 0
    n_comparison: int = 0  # units never treated in the window
    min_treated: int = MIN_TREATED
    cluster: str = UNIT
    method: str = METHOD
    estimator: str = ESTIMATOR
    note: str | None = None  # why there is no estimate, when there is none
    warnings: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not math.isnan(self.estimate)

    @property
    def too_few(self) -> bool:
        """Fewer than `min_treated` treated units."""
        return self.n_treated < self.min_treated

    @property
    def covers_zero(self) -> bool:
        """The interval includes 0 (or there is none): the data cannot tell the sign."""
        return not (self.ci_low > 0 or self.ci_high < 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN becomes None), with `too_few`, `available`, `covers_zero`."""
        out = {k: (None if isinstance(v, float) and math.isnan(v) else v)
               for k, v in asdict(self).items()}
        out.update(too_few=self.too_few, available=self.available, covers_zero=self.covers_zero)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Estimate:
        """The inverse of `to_dict` (extra keys ignored)."""
        names = {f.name for f in cls.__dataclass_fields__.values()}
        kept = {k: (math.nan if v is None and k in _FLOATS else v)
                for k, v in values.items() if k in names}
        return cls(**kept)


_FLOATS = ("estimate", "std_error", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class Comparison:
    """TWFE beside the headline: its coefficient, interval and negative-weight share."""

    estimate: Estimate
    negative_share: float = math.nan  # share of treated observations with a negative weight
    negative_sum: float = math.nan  # sum of the negative weights (weights sum to 1)

    def to_dict(self) -> dict[str, Any]:
        out = {"estimate": self.estimate.to_dict()}
        for key in ("negative_share", "negative_sum"):
            value = getattr(self, key)
            out[key] = None if math.isnan(value) else value
        return out


@dataclass(frozen=True)
class DoseResponse:
    """`cont_did` on the P3K share: ATT^o (the average effect of the shares the hiring units
    reached) and ACRT^o (the average effect of one more unit of share, i.e. from 0 to 1)."""

    att: Estimate
    acrt: Estimate

    def to_dict(self) -> dict[str, Any]:
        return {"att": self.att.to_dict(), "acrt": self.acrt.to_dict()}


@dataclass(frozen=True)
class RegionAnalysis:
    """Everything the estimate section of a report shows."""

    headline: Estimate
    profile: pd.DataFrame  # event_time, kind ('pre'/'post'), estimate, ci_*, band_*, n_units
    left_out: pd.DataFrame  # what was not reported and why (ImputationResult.left_out)
    twfe: Comparison
    band_crit: float = math.nan
    dose: DoseResponse | None = None  # treatment="p3k_share" only


def estimation_sample(panel: pd.DataFrame, outcome: str, treatment: str) -> pd.DataFrame:
    """Rows with both the outcome and the treatment observed."""
    return panel.dropna(subset=[outcome, treatment])


def group_sizes(sample: pd.DataFrame) -> tuple[int, int, int]:
    """(units, units treated at some point, units never treated) in the sample."""
    ever = sample.groupby(UNIT, observed=True)["treated"].max()
    return len(ever), int((ever > 0).sum()), int((ever == 0).sum())


def _no_estimate(base: dict[str, Any], note: str) -> Estimate:
    return Estimate(**base, note=note)


def headline(sample: pd.DataFrame, *, scope: str, region: str, outcome: str = "ikm",
             treatment: str = "treated", min_treated: int = MIN_TREATED,
             cluster: str = UNIT) -> tuple[Estimate, pd.DataFrame, pd.DataFrame, float]:
    """The imputation estimate of the headline estimand on an estimation sample.

    Returns (headline, event-time profile, what was left out and why (see
    `ImputationResult.left_out`), the band's critical value).
    Without an estimate the headline's `note` says why in plain words.
    """
    n_units, n_treated, n_comparison = group_sizes(sample)
    base = dict(scope=scope, region=region, outcome=outcome, treatment=treatment,
                n_obs=len(sample), n_units=n_units, n_treated=n_treated,
                n_comparison=n_comparison, min_treated=min_treated, cluster=cluster)
    empty = pd.DataFrame(columns=TIDY_COLUMNS)
    none = pd.DataFrame(columns=LEFT_OUT_COLUMNS)
    if len(sample) == 0:
        return _no_estimate(base, "no_outcome"), empty, none, math.nan
    if n_treated == 0:
        return _no_estimate(base, "no_treated"), empty, none, math.nan
    if n_treated < min_treated:
        return _no_estimate(base, "too_few_treated"), empty, none, math.nan
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)  # kept in result.notes
            result = did_imputation(sample, outcome, UNIT, TIME, COHORT,
                                    cluster=None if cluster == UNIT else cluster,
                                    leads=LEADS, min_treated=min_treated,
                                    min_comparison=MIN_COMPARISON)
    except EstimationError as exc:
        text = str(exc)
        reason = ("no_comparison" if "every observation is treated" in text
                  else "single_cluster" if "two clusters" in text else text)
        return _no_estimate(base, reason), empty, none, math.nan
    profile = result.event_study()
    if not result.available:
        imputed_units = int(result.left_out.loc[result.left_out["what"] == "overall",
                                                "n_units"].sum())
        reason = "too_few_imputed" if imputed_units or _has_untreated(sample) else "no_comparison"
        return _no_estimate({**base, "n_treated": imputed_units}, reason), profile, \
            result.left_out, result.band_crit
    row = result.overall()
    est = Estimate(**{**base, "n_obs": int(row["n_obs"]), "n_treated": int(row["n_units"])},
                   estimate=float(row["estimate"]), std_error=float(row["std_error"]),
                   ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                   p_value=float(row["p_value"]), df=int(result.df))
    if not np.isfinite(est.std_error):  # a number without an interval is not reported
        return _no_estimate({**base, "n_treated": est.n_treated}, "no_variance"), profile, \
            result.left_out, result.band_crit
    return est, profile, result.left_out, result.band_crit


def _has_untreated(sample: pd.DataFrame) -> bool:
    """Some unit is observed without P3K in a period after some other unit's first hire."""
    treated = sample["treated"] > 0
    first_hire = sample.loc[treated, TIME].min() if treated.any() else math.inf
    return bool((~treated & (sample[TIME] >= first_hire)).any())


def twfe_comparison(sample: pd.DataFrame, *, scope: str, region: str, outcome: str,
                    treatment: str) -> Comparison:
    """TWFE `outcome ~ treatment | unit + period` (CRV1 by unit) and, for the binary treatment,
    the share of treated observations with a negative dCDH weight."""
    n_units, n_treated, n_comparison = group_sizes(sample)
    base = dict(scope=scope, region=region, outcome=outcome, treatment=treatment,
                n_obs=len(sample), n_units=n_units, n_treated=n_treated,
                n_comparison=n_comparison, method="twfe", estimator=TWFE_ESTIMATOR)
    within = sample.groupby(UNIT, observed=True)[treatment].transform("std").fillna(0)
    if n_treated == 0 or not (within > 0).any():
        return Comparison(Estimate(**base, note="no_variation"))
    if n_units < 2 or sample[TIME].nunique() < 2:  # pyfixest aborts the process on these
        return Comparison(Estimate(**base, note="single_cluster" if n_units < 2
                                   else "one_period"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = twfe(sample, outcome, treatment, unit=UNIT, time=TIME, cluster=UNIT)
    except (EstimationError, ValueError) as exc:  # pyfixest: 'All variables are collinear'
        return Comparison(Estimate(**base, note=" ".join(str(exc).split())))
    tidy = result.tidy().set_index("term")
    if treatment not in tidy.index:
        return Comparison(Estimate(**base, note="collinear"))
    row = tidy.loc[treatment]
    values = {k: float(row[k]) for k in ("estimate", "std_error", "ci_low", "ci_high",
                                         "p_value")}
    est = Estimate(**base, **values)
    if treatment != "treated":
        return Comparison(est)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weights = twfe_weights(sample, outcome, UNIT, TIME, COHORT).table
    except EstimationError:
        return Comparison(est)
    n_obs = weights["n_obs"].sum()
    share = float(weights.loc[weights["weight"] < 0, "n_obs"].sum() / n_obs) if n_obs else 0.0
    return Comparison(est, negative_share=share,
                      negative_sum=float(weights.loc[weights["weight"] < 0, "weight"].sum()))


def dose_response(sample: pd.DataFrame, *, scope: str, region: str, outcome: str = "ikm",
                  min_treated: int = MIN_TREATED, cluster: str = UNIT) -> DoseResponse:
    """ATT^o and ACRT^o of `cont_did` with the P3K share as the dose (see `DOSE_ESTIMATOR`);
    without an estimate both carry the reason as their note."""
    n_units, n_treated, n_comparison = group_sizes(sample)
    base = dict(scope=scope, region=region, outcome=outcome, treatment=DOSE,
                n_obs=len(sample), n_units=n_units, n_treated=n_treated,
                n_comparison=n_comparison, min_treated=min_treated, cluster=cluster,
                method="cont_did", estimator=DOSE_ESTIMATOR)
    note = ("no_outcome" if len(sample) == 0 else "no_treated" if n_treated == 0
            else "too_few_treated" if n_treated < min_treated else None)
    if note is None:
        try:
            result = cont_did(sample, outcome, UNIT, TIME, COHORT, DOSE, degree=DOSE_DEGREE,
                              cluster=None if cluster == UNIT else cluster)
        except EstimationError as exc:
            text = " ".join(str(exc).removeprefix("cont_did: ").split())
            note = ("too_few_per_cohort" if "no (cohort, period) cell" in text
                    else "no_comparison" if "no untreated units" in text else text)
    if note is not None:
        return DoseResponse(Estimate(**base, note=note), Estimate(**base, note=note))
    rows = result.tidy().set_index("term")
    base["n_treated"] = result.n_treated_units

    def one(term: str) -> Estimate:
        row = rows.loc[term]
        values = {k: float(row[k]) for k in ("estimate", "std_error", "ci_low", "ci_high",
                                             "p_value")}
        if not np.isfinite(values["std_error"]):
            return Estimate(**base, note="no_variance")
        return Estimate(**base, **values)

    return DoseResponse(one("ATT"), one("ACRT"))


def analyse(rows: pd.DataFrame, *, scope: str, region: str, outcome: str = "ikm",
            treatment: str = "treated", min_treated: int = MIN_TREATED,
            cluster: str = UNIT) -> RegionAnalysis:
    """Headline, profile and TWFE comparison for the rows of one region (or the nation).

    The headline always estimates the effect of hiring (the binary `treated`); `treatment`
    chooses what the TWFE comparison regresses on ('treated' or 'p3k_share'); with
    'p3k_share' the share is also estimated as a dose by `cont_did` (`dose_response`)."""
    sample = estimation_sample(rows, outcome, "treated")
    est, profile, notes, crit = headline(sample, scope=scope, region=region, outcome=outcome,
                                         min_treated=min_treated, cluster=cluster)
    comparison = twfe_comparison(estimation_sample(rows, outcome, treatment), scope=scope,
                                 region=region, outcome=outcome, treatment=treatment)
    dose = (dose_response(estimation_sample(rows, outcome, "treated"), scope=scope,
                          region=region, outcome=outcome, min_treated=min_treated,
                          cluster=cluster) if treatment == DOSE else None)
    return RegionAnalysis(est, profile, notes, comparison, crit, dose)


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


def region_analysis(panel: pd.DataFrame, region: str, *, level: str = "pemda",
                    outcome: str = "ikm", treatment: str = "treated",
                    period_from: str | None = None, period_to: str | None = None,
                    min_treated: int = MIN_TREATED) -> RegionAnalysis:
    """The region's own analysis (units of that pemda or province only; clusters = units)."""
    rows = restrict_periods(region_rows(panel, region, level), period_from, period_to)
    return analyse(rows, scope="region", region=str(region), outcome=outcome,
                   treatment=treatment, min_treated=min_treated)


def national_analysis(panel: pd.DataFrame, *, outcome: str = "ikm", treatment: str = "treated",
                      period_from: str | None = None, period_to: str | None = None,
                      min_treated: int = MIN_TREATED) -> RegionAnalysis:
    """The same analysis on every unit in the panel, clustered by pemda."""
    rows = restrict_periods(panel, period_from, period_to)
    return analyse(rows, scope="nation", region="", outcome=outcome, treatment=treatment,
                   min_treated=min_treated, cluster="kode_pemda")
