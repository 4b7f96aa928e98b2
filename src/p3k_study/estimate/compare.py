"""Five event-study estimators on one panel, in one tidy frame and one figure (as R's
did2s::event_study(estimator = "all") and its plot_event_study).

Each estimator's rows are what its own function in this package returns; nothing is
re-estimated here:

* "TWFE": `event_study(method="twfe")` (dynamic TWFE, reference period -1, end points binned
  at -leads and +lags, so those two rows stand for "<= -leads" and ">= lags"); its ATT row is
  the static TWFE coefficient of the treated indicator (`twfe`), which staggered adoption with
  heterogeneous effects can bias (see `bacon_decomposition`, `twfe_weights`).
* "Sun-Abraham": `event_study(method="sun_abraham")` (interaction-weighted, unbinned); no ATT.
* "Callaway-Sant'Anna": `att_gt(...).aggregate("dynamic")` for the event times and
  `aggregate("simple")` (R did's overall ATT) for the ATT row.
* "Imputation": `did_imputation` (Borusyak, Jaravel and Spiess 2024): its event-time effects,
  its pre-period lead coefficients and its overall ATT (intervals from its jackknife, t(G-1)).
* "dCDH": `did_multiplegt` (de Chaisemartin and D'Haultfoeuille 2024): DID_l at event time
  l - 1, placebos at -l - 1, and the average total effect as ATT.

Event time is e = t - cohort everywhere (e = 0 the first P3K period); rows outside
[-leads, lags] are left out. The pre-period rows do not mean the same thing across estimators
(TWFE and Sun-Abraham: gap to e = -1; Callaway-Sant'Anna with the varying base: short
differences; imputation: BJS's test-1 leads; dCDH: long differences to F_g - 1), and neither do
the ATT rows (each estimator's own weighting of the cohort-period effects); the figure shows
them side by side, not as estimates of one number.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._common import EstimationError, EstimationWarning, format_tidy, require_columns

ESTIMATORS = ("TWFE", "Sun-Abraham", "Callaway-Sant'Anna", "Imputation", "dCDH")
COLUMNS = ["estimator", "term", "event_time", "estimate", "std_error", "ci_low", "ci_high"]


@dataclass
class ComparisonResult:
    """Event-study estimates of several estimators on one panel (see `compare_estimators`).

    `results` maps each estimator's name to the result object its own function returned.
    """

    table: pd.DataFrame
    results: dict[str, Any] = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """One row per estimator and term: estimator, term ('ATT' or 'event_time=e'),
        event_time (NaN for ATT), estimate, std_error, ci_low, ci_high (each estimator's own
        intervals)."""
        return self.table.copy()

    def event_study(self) -> pd.DataFrame:
        """The event-time rows (no ATT rows)."""
        return self.table[self.table["term"] != "ATT"].reset_index(drop=True)

    def overall(self) -> pd.DataFrame:
        """The ATT row of each estimator that has one."""
        return self.table[self.table["term"] == "ATT"].reset_index(drop=True)

    def summary(self) -> str:
        """Text: the ATT rows, then the event-time estimates side by side."""
        wide = self.event_study().pivot(index="event_time", columns="estimator",
                                        values="estimate")
        wide = wide[[e for e in self.settings["estimators"] if e in wide.columns]]
        with pd.option_context("display.width", 120):
            profile = wide.to_string(float_format=lambda v: f"{v:.4f}")
        notes = ["Event-time estimates (rows: periods since the first P3K period):", profile,
                 *self.notes]
        return format_tidy(self.overall(), f"Estimators compared: {self.settings['outcome']}",
                           notes)

    def plot(self, labels: Mapping[str, str] | None = None):  # type: ignore[no-untyped-def]
        """All estimators' event-time estimates dodged side by side with their intervals
        (`plots.event_study_comparison`); returns the Figure."""
        from .. import plots

        shown = {"x": "periods since first P3K", "y": f"effect on {self.settings['outcome']}",
                 "legend": "estimator"}
        shown.update(labels or {})
        return plots.event_study_comparison(self.event_study(), labels=shown,
                                            order=list(self.settings["estimators"]))

    def __repr__(self) -> str:
        return self.summary()


def _rows(name: str, event_time: np.ndarray, estimate: np.ndarray, std_error: np.ndarray,
          ci_low: np.ndarray, ci_high: np.ndarray) -> pd.DataFrame:
    e = np.asarray(event_time, dtype=float)  # NaN: the estimator's overall ATT
    return pd.DataFrame({
        "estimator": name,
        "term": [f"event_time={int(v)}" if np.isfinite(v) else "ATT" for v in e],
        "event_time": e,
        "estimate": np.asarray(estimate, dtype=float),
        "std_error": np.asarray(std_error, dtype=float),
        "ci_low": np.asarray(ci_low, dtype=float), "ci_high": np.asarray(ci_high, dtype=float),
    })


def _att_row(name: str, estimate: float, std_error: float, ci_low: float,
             ci_high: float) -> pd.DataFrame:
    return pd.DataFrame({"estimator": [name], "term": ["ATT"], "event_time": [np.nan],
                         "estimate": [estimate], "std_error": [std_error], "ci_low": [ci_low],
                         "ci_high": [ci_high]})


def _column(frame: pd.DataFrame, *names: str) -> np.ndarray:
    """The first of `names` that `frame` has (tables name the estimate 'estimate' or 'att')."""
    for name in names:
        if name in frame.columns:
            return frame[name].to_numpy(dtype=float)
    raise KeyError(f"none of {names} in {list(frame.columns)}")


def _event_study_rows(name: str, result: Any) -> pd.DataFrame:
    t = result.table
    if "reference" in t.columns:
        t = t[~t["reference"].astype(bool)]
    return _rows(name, t["event_time"], _column(t, "estimate"), _column(t, "std_error"),
                 t["ci_low"], t["ci_high"])


def compare_estimators(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    leads: int = 4,
    lags: int = 6,
    cluster: str | None = None,
    estimators: Sequence[str] = ESTIMATORS,
    att_gt_kwargs: Mapping[str, Any] | None = None,
    imputation_kwargs: Mapping[str, Any] | None = None,
    alpha: float = 0.05,
) -> ComparisonResult:
    """Run TWFE, Sun-Abraham, Callaway-Sant'Anna, imputation and dCDH event studies on one panel.

    Parameters
    ----------
    panel : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time, cohort : str
        Columns, as for `att_gt`: the outcome, the unit id, the period (consecutive integers),
        the first treated period (0 or NaN = never treated).
    leads, lags : int
        Event-time window -leads .. lags shown for every estimator (TWFE bins its end points
        there; dCDH estimates lags + 1 effects and leads - 1 placebos; imputation `leads`
        lead coefficients).
    cluster : str, optional
        Column that clusters units, passed to every estimator; default: the unit.
    estimators : sequence of str
        Which of "TWFE", "Sun-Abraham", "Callaway-Sant'Anna", "Imputation", "dCDH" to run, in
        the order shown.
    att_gt_kwargs : mapping, optional
        Extra arguments for `att_gt` (e.g. ``{"unbalanced": "pairwise"}`` for a panel with
        skipped periods, ``{"control_group": "not_yet_treated"}``).
    imputation_kwargs : mapping, optional
        Extra arguments for `did_imputation` (e.g. ``{"min_treated": 5}``).
    alpha : float
        1 - confidence level where the estimator takes one (Callaway-Sant'Anna, imputation,
        dCDH); the regressions report 95% intervals.

    Returns
    -------
    ComparisonResult
        `tidy()`: columns estimator, term, event_time, estimate, std_error, ci_low, ci_high,
        with an ``term == "ATT"`` row for each estimator that has one; `plot()` draws all
        estimators in one event-study figure. An estimator that cannot run on the panel is
        left out with a warning naming the reason.
    """
    from .did import att_gt
    from .event_study import event_study
    from .imputation import did_imputation
    from .multiplegt import did_multiplegt
    from .twfe import twfe

    what = "compare_estimators"
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown or not estimators:
        raise EstimationError(f"{what}: estimators must be some of {list(ESTIMATORS)}, got "
                              f"{list(estimators)}")
    for name, value in (("leads", leads), ("lags", lags)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise EstimationError(f"{what}: {name} must be an integer >= 0, got {value!r}")
    if leads < 2:
        raise EstimationError(f"{what}: leads must be at least 2 (event time -1 is the "
                              "reference period of the regressions)")
    require_columns(panel, [outcome, unit, time, cohort, cluster], what)
    att_gt_kwargs = dict(att_gt_kwargs or {})
    imputation_kwargs = dict(imputation_kwargs or {})
    args = (outcome, unit, time, cohort)
    frames: list[pd.DataFrame] = []
    results: dict[str, Any] = {}
    notes: list[str] = []

    def run_twfe() -> pd.DataFrame:
        es = event_study(panel, *args, method="twfe", leads=leads, lags=lags, cluster=cluster)
        first = panel[cohort].astype(float).fillna(0.0)
        treated_col = "__p3k_treated__"
        frame = panel.assign(**{treated_col: ((first > 0) & (panel[time] >= first))
                                .astype(float)})
        static = twfe(frame, outcome, treated_col, unit, time, cluster=cluster)
        results["TWFE"] = es
        results["TWFE (static)"] = static
        row = static.tidy().iloc[0]
        return pd.concat([_att_row("TWFE", row["estimate"], row["std_error"], row["ci_low"],
                                   row["ci_high"]), _event_study_rows("TWFE", es)])

    def run_sun_abraham() -> pd.DataFrame:
        es = event_study(panel, *args, method="sun_abraham", cluster=cluster)
        results["Sun-Abraham"] = es
        return _event_study_rows("Sun-Abraham", es)

    def run_cs() -> pd.DataFrame:
        gt = att_gt(panel, *args, cluster=cluster, alpha=alpha, **att_gt_kwargs)
        dynamic = gt.aggregate("dynamic", min_e=-leads, max_e=lags)
        simple = gt.aggregate("simple")
        results["Callaway-Sant'Anna"] = gt
        t = dynamic.table
        low, high = simple.ci
        return pd.concat([
            _att_row("Callaway-Sant'Anna", simple.att, simple.se, low, high),
            _rows("Callaway-Sant'Anna", t["event_time"], _column(t, "estimate", "att"),
                  _column(t, "std_error", "se"), t["ci_low"], t["ci_high"])])

    def run_imputation() -> pd.DataFrame:
        res = did_imputation(panel, *args, cluster=cluster, leads=leads, alpha=alpha,
                             **imputation_kwargs)
        results["Imputation"] = res
        t = res.tidy()
        return _rows("Imputation", t["event_time"], t["estimate"], t["std_error"],
                     t["ci_low"], t["ci_high"])

    def run_dcdh() -> pd.DataFrame:
        res = did_multiplegt(panel, *args, effects=lags + 1, placebo=leads - 1,
                             cluster=cluster, alpha=alpha)
        results["dCDH"] = res
        t = res.tidy()
        return _rows("dCDH", t["event_time"], t["estimate"], t["std_error"], t["ci_low"],
                     t["ci_high"])

    runners = {"TWFE": run_twfe, "Sun-Abraham": run_sun_abraham,
               "Callaway-Sant'Anna": run_cs, "Imputation": run_imputation, "dCDH": run_dcdh}
    for name in estimators:
        try:
            frames.append(runners[name]())
        except EstimationError as err:
            msg = f"{name} left out: {err}"
            notes.append(msg)
            warnings.warn(f"{what}: {msg}", EstimationWarning, stacklevel=2)
    if not frames:
        raise EstimationError(f"{what}: no estimator could run on this panel: "
                              + "; ".join(notes))
    table = pd.concat(frames, ignore_index=True)[COLUMNS]
    window = table["event_time"].isna() | table["event_time"].between(-leads, lags)
    rank = {name: i for i, name in enumerate(estimators)}
    table = (table[window]
             .assign(_rank=table["estimator"].map(rank),
                     _e=table["event_time"].fillna(-np.inf))
             .sort_values(["_rank", "_e"], kind="stable")
             .drop(columns=["_rank", "_e"]).reset_index(drop=True))
    settings = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
                "cluster": cluster, "leads": leads, "lags": lags,
                "estimators": [e for e in estimators if e in results], "alpha": alpha}
    return ComparisonResult(table=table, results=results, settings=settings, notes=notes)
