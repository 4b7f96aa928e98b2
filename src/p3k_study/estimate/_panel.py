"""Long panel -> balanced wide arrays (units x periods) with clear errors and warnings."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._common import EstimationError, EstimationWarning, refuse_duplicates, require_columns


@dataclass
class WidePanel:
    """Balanced panel as arrays: Y (n, T), X (n, T, k), G (n,) with 0 = never treated."""

    units: np.ndarray
    times: np.ndarray
    Y: np.ndarray
    X: np.ndarray | None
    G: np.ndarray
    cluster: np.ndarray | None
    notes: list[str]
    observed: np.ndarray | None = None
    """(n, T) bool, True where the unit has the outcome (and covariates); None = balanced."""


def _warn(notes: list[str], msg: str) -> None:
    notes.append(msg)
    warnings.warn(msg, EstimationWarning, stacklevel=4)


def wide_panel(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    what: str = "att_gt",
    min_periods: int | None = None,
) -> WidePanel:
    """Validate and reshape a long panel; units not observed (with an outcome) in every period are
    dropped with a warning that gives their count.

    `min_periods=k` instead keeps every unit observed in at least k periods: Y (and X) hold NaN
    where a unit is not observed and `observed` marks the observed cells."""
    covariates = list(covariates)
    require_columns(data, [outcome, unit, time, cohort, *covariates, cluster], what)
    notes: list[str] = []
    for c in [outcome, time, *covariates]:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise EstimationError(f"{what}: column {c!r} must be numeric, got {data[c].dtype}")
    if not (pd.api.types.is_numeric_dtype(data[cohort]) or data[cohort].isna().all()):
        raise EstimationError(f"{what}: cohort column {cohort!r} must be numeric (0/NaN = never)")
    if data[time].isna().any():
        raise EstimationError(f"{what}: time column {time!r} has missing values")
    if data[unit].isna().any():
        raise EstimationError(f"{what}: unit column {unit!r} has missing values")
    # codes of every row (all rows: duplicates and cohort changes count wherever they are)
    ucodes_all, units_all = pd.factorize(data[unit], sort=True)
    tcodes_all, times_all = pd.factorize(data[time], sort=True)
    times_all = np.asarray(times_all)
    n_all_units = len(units_all)
    cell = ucodes_all.astype(np.int64) * len(times_all) + tcodes_all
    if np.bincount(cell, minlength=n_all_units * len(times_all)).max(initial=0) > 1:
        refuse_duplicates(data, unit, time, what)  # names the pairs
    # cohort must be constant within unit
    gcol = data[cohort].astype(float).fillna(0.0).to_numpy()
    g_unit = np.empty(n_all_units)
    g_unit[ucodes_all] = gcol
    changes = g_unit[ucodes_all] != gcol
    if changes.any():
        bad = list(pd.unique(units_all[ucodes_all[changes]])[:5])
        raise EstimationError(
            f"{what}: cohort {cohort!r} changes over time within unit(s) {bad}; it must be the "
            "period of the unit's first treatment, constant within unit"
        )
    rows = data[[outcome, *covariates]].notna().all(axis=1).to_numpy()
    n_missing_rows = int((~rows).sum())
    present = np.bincount(tcodes_all[rows], minlength=len(times_all)) > 0
    times = times_all[present]
    if len(times) < 2:
        raise EstimationError(f"{what}: need at least two periods, found {len(times)}")
    ucodes, units = ucodes_all[rows], units_all
    tcodes = (np.cumsum(present) - 1)[tcodes_all[rows]]
    counts = np.bincount(ucodes, minlength=len(units))
    extra = f" ({n_missing_rows} rows with a missing outcome/covariate)" if n_missing_rows else ""
    if min_periods is None:
        full = counts == len(times)
        n_drop = n_all_units - int(full.sum())
        if n_drop:
            _warn(notes, f"{what}: unbalanced panel{extra}: dropped {n_drop} of {n_all_units} "
                         f"units not observed in all {len(times)} periods; the estimator needs a "
                         "balanced panel")
        if not full.any():
            raise EstimationError(f"{what}: no unit is observed in every period; cannot balance")
    else:
        full = counts >= min_periods
        n_drop = n_all_units - int(full.sum())
        n_gaps = int((full & (counts < len(times))).sum())
        if n_drop:
            _warn(notes, f"{what}: unbalanced panel{extra}: dropped {n_drop} of {n_all_units} "
                         f"units observed in fewer than {min_periods} periods; kept "
                         f"{int(full.sum())}, of which {n_gaps} are not observed in all "
                         f"{len(times)} periods")
        if not full.any():
            raise EstimationError(f"{what}: no unit is observed in {min_periods} or more periods")
    keep_unit = np.flatnonzero(full)
    remap = -np.ones(len(units), dtype=np.int64)
    remap[keep_unit] = np.arange(len(keep_unit))
    r = remap[ucodes]
    m = r >= 0
    rm, tm = r[m], tcodes[m]
    n, T = len(keep_unit), len(times)
    Y = np.full((n, T), np.nan)
    observed = None
    if min_periods is not None:
        observed = np.zeros((n, T), dtype=bool)
        observed[rm, tm] = True
    Y[rm, tm] = data[outcome].to_numpy(dtype=float)[rows][m]
    X = None
    if covariates:
        X = np.full((n, T, len(covariates)), np.nan)
        X[rm, tm, :] = data[covariates].to_numpy(dtype=float)[rows][m]
    G = g_unit[keep_unit]
    cl = None
    if cluster is not None:
        ccodes = pd.factorize(data[cluster])[0]
        c_unit = np.empty(n_all_units, dtype=np.int64)
        c_unit[ucodes_all] = ccodes
        if (c_unit[ucodes_all] != ccodes).any():
            raise EstimationError(
                f"{what}: cluster {cluster!r} varies within unit; clusters must contain whole units"
            )
        cl = pd.factorize(c_unit[keep_unit])[0]
    return WidePanel(units=np.asarray(units)[keep_unit], times=times, Y=Y, X=X, G=G, cluster=cl,
                     notes=notes, observed=observed)
