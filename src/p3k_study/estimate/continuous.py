"""Difference-in-differences with a continuous treatment (Callaway, Goodman-Bacon and Sant'Anna
2024, "Difference-in-differences with a continuous treatment", arXiv:2107.02637).

The dose of a unit is its treatment intensity; here, the P3K share of its staff. The paper
assumes a dose that is fixed per unit; the P3K share moves every period, so `cont_did` gives
each treated unit one dose: its `dose` value in its first treated period (the cohort period),
i.e. the share the unit reached when it first hired. Later hires are then part of the effect
of having started at that dose, and the dose is not moved by outcomes after adoption.

Estimands (the paper's notation; D > 0 the dose of a treated unit, Y(d) the potential outcome):

- ATT(d) = E[Y_t(d) - Y_t(0) | D = d], the effect of dose d on the units that got dose d;
- ACRT(d) = dE[Y_t(l) | D = d] / dl at l = d, the average causal response: the effect of a
  little more dose at d. It equals the slope of ATT(d) in d only under *strong* parallel trends
  (the trend of Y(d) is the same for every dose group, not only for the units that got d);
- the overall ATT^o = E[ATT(D|D) | D > 0] and ACRT^o = E[ACRT(D) | D > 0].

Estimator, cell by cell (staggered adoption as in the paper and in moderndid's port of R
contdid): for each
cohort g and each period t >= g, take the change dY = Y_t - Y_b over the base period b (the
period just before g) for the units of cohort g (treated) and the comparison units (never
treated, or also the cohorts not yet treated at t). Regress dY on a B-spline of the dose among
the treated (`dose_method="spline"`: degree `degree`, `num_knots` interior knots at quantiles of
the dose over treated unit-periods; the defaults, a cubic without interior knots, are
moderndid's) or on dose bins (`dose_method="bins"`: `n_bins` bins at quantiles, ATT(d) per
bin, ACRT between adjacent bins as the change in ATT over the change in mean dose). Then, in the
cell, ATT(d) = fit(d) - mean dY of the comparison units, ACRT(d) = fit'(d), ATT^o = mean dY of the
treated - mean dY of the comparison units (the binary DiD), ACRT^o = the mean of fit' over the
treated doses. Cells are averaged with R did's "group" weights: each cohort by its share of
units, spread evenly over its post periods; the variance includes the influence of the estimated
shares, as R did's group aggregation does (moderndid 0.2.0 holds them fixed). ATT^o and
its SE therefore equal `att_gt(..., est_method="reg").aggregate("group")`'s overall ATT.

Inference: influence functions of every estimate (the regression and the comparison mean),
analytic SEs sqrt(sum psi^2) / N, or a multiplier bootstrap (`bootstrap=B`, seeded, Rademacher
weights, IQR-based SEs as R did); clustered by `cluster` (sums within clusters). The
simultaneous band over the dose grid uses the sup-t critical value: from the bootstrap draws, or
from seeded Gaussian draws with the estimated correlation.

An unbalanced panel is used pairwise: each cell uses the units observed in both t and its base
period (as `att_gt(unbalanced="pairwise")`); being observed must then be unrelated to the
unit's own effect. On a balanced panel the point estimates are moderndid 0.2.0's.
Checked against moderndid 0.2.0 (tests/reference/make_cont_did_reference.py); the differences
in standard errors and why are in docs/methods.md.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import interpolate, stats

from ._common import EstimationError, format_tidy, refuse_duplicates, require_columns
from .did import _Inference

TIDY_COLUMNS = ["term", "dose", "estimate", "std_error", "statistic", "p_value", "ci_low",
                "ci_high", "band_low", "band_high"]
CELL_COLUMNS = ["cohort", "time", "base_time", "n_treated", "n_comparison", "weight", "att",
                "acrt"]


@dataclass
class ContDidResult:
    """What `cont_did` estimated.

    `tidy()` has the rows ATT (ATT^o), ACRT (ACRT^o), then ATT(d) and ACRT(d) over the dose grid;
    `cells` the (cohort, time) cells behind them with their weights; `notes` what was left out.
    """

    table: pd.DataFrame
    covariance: np.ndarray = field(repr=False)
    cells: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    n_units: int = 0
    n_treated_units: int = 0
    n_comparison_units: int = 0
    influence: np.ndarray | None = field(default=None, repr=False)
    """(N, K) influence functions of the `tidy()` estimates (variance = psi'psi / N**2)."""

    @property
    def att(self) -> float:
        """ATT^o, the overall average effect over the treated units' doses."""
        return float(self.table.loc[self.table["term"] == "ATT", "estimate"].iloc[0])

    @property
    def acrt(self) -> float:
        """ACRT^o, the overall average causal response."""
        return float(self.table.loc[self.table["term"] == "ACRT", "estimate"].iloc[0])

    def tidy(self) -> pd.DataFrame:
        """One row per estimate: term ('ATT', 'ACRT', 'ATT(d)', 'ACRT(d)'), dose (NaN on the
        two overall rows), estimate, std_error, statistic, p_value, pointwise ci_low/ci_high,
        simultaneous band_low/band_high over the dose grid (NaN on the overall rows)."""
        return self.table.copy()

    def dose_response(self) -> pd.DataFrame:
        """The ATT(d) and ACRT(d) rows of `tidy()`."""
        return self.table[self.table["term"].isin(["ATT(d)", "ACRT(d)"])].reset_index(drop=True)

    def vcov(self) -> np.ndarray:
        """Covariance of the `tidy()` estimates in table order (analytic from the influence
        functions; from the bootstrap draws when `bootstrap` was given)."""
        return self.covariance.copy()

    def summary(self) -> str:
        """Text summary: the overall rows, a few dose rows, the setup and what was left out."""
        s = self.settings
        rows = self.table
        dose_rows = rows[rows["term"] == "ATT(d)"]
        pick = np.unique(np.linspace(0, len(dose_rows) - 1, min(5, len(dose_rows))).astype(int))
        shown = pd.concat([rows[rows["dose"].isna()], dose_rows.iloc[pick],
                           rows[rows["term"] == "ACRT(d)"].iloc[pick]])
        how = (f"B-spline of degree {s['degree']} with {s['num_knots']} interior knot(s)"
               if s["dose_method"] == "spline" else f"{s['n_bins']} dose bins")
        se = (f"multiplier bootstrap, {s['bootstrap']} draws, seed {s['seed']}"
              if s["bootstrap"] else "analytic (influence functions)")
        notes = [f"Continuous-treatment DiD (Callaway, Goodman-Bacon & Sant'Anna 2024); dose "
                 f"{s['dose']!r} in the first treated period; {how}; comparison "
                 f"{s['control_group']}; {self.n_units} units ({self.n_treated_units} treated, "
                 f"{self.n_comparison_units} never or later treated); {len(self.cells)} "
                 "(cohort, period) cells",
                 f"SE: {se}; ACRT rests on strong parallel trends; band = simultaneous over "
                 f"the {len(dose_rows)} grid doses"]
        return format_tidy(shown, "Continuous-treatment DiD", notes + self.notes)

    def plot(self, labels: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        """ATT(d) and ACRT(d) with pointwise intervals and simultaneous bands
        (`plots.dose_response`)."""
        from p3k_study import plots

        return plots.dose_response(self.table, labels=labels or {})

    def __repr__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------- dose bases
class _Basis:
    """The dose design: intercept + basis columns (the first basis function dropped, as R's
    bs(intercept=FALSE)); `value(x)` and `slope(x)` give the rows of the fit and its derivative
    in coefficient space."""

    def __init__(self, doses: np.ndarray, method: str, degree: int, num_knots: int,
                 n_bins: int) -> None:
        lo, hi = float(doses.min()), float(doses.max())
        self.method = method
        if method == "spline":
            self.degree = degree
            probs = np.linspace(0, 1, num_knots + 2)[1:-1]
            inner = np.quantile(doses, probs) if num_knots else np.array([])
        else:
            self.degree = 0
            inner = np.unique(np.quantile(doses, np.linspace(0, 1, n_bins + 1)[1:-1]))
            inner = inner[(inner > lo) & (inner < hi)]
        self.inner = inner
        k = self.degree
        self.knots = np.r_[[lo] * (k + 1), inner, [hi] * (k + 1)]
        n_basis = len(self.knots) - k - 1
        self.spline = interpolate.BSpline(self.knots, np.eye(n_basis), k, extrapolate=True)
        self.k = n_basis  # intercept + (n_basis - 1) columns
        if method == "bins":
            self.edges = np.r_[lo, inner, hi]
            self.centres = np.array([])  # set from the data by `bin_centres`

    def design(self, x: np.ndarray) -> np.ndarray:
        b = self.spline(x)
        return np.column_stack([np.ones(len(x)), b[:, 1:]])

    def slope(self, x: np.ndarray) -> np.ndarray:
        """Rows g(x) with fit'(x) = g(x) @ coef (spline), or the finite difference to the bin
        below (bins; zero rows for the lowest bin)."""
        if self.method == "spline":
            if self.degree == 0:
                return np.zeros((len(x), self.k))
            d = self.spline.derivative(1)(x)
            return np.column_stack([np.zeros(len(x)), d[:, 1:]])
        j = self.bin_of(x)
        out = np.zeros((len(x), self.k))
        rows = np.flatnonzero(j > 0)
        step = self.centres[j[rows]] - self.centres[j[rows] - 1]
        out[rows, j[rows]] = 1.0 / step
        lower = j[rows] - 1
        has_lower_col = lower > 0
        out[rows[has_lower_col], lower[has_lower_col]] = -1.0 / step[has_lower_col]
        return out

    def bin_of(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.inner, x, side="right"), 0, len(self.inner))


# ---------------------------------------------------------------------------- the data
@dataclass
class _Data:
    y: np.ndarray  # (N, T), NaN where not observed
    g: np.ndarray  # (N,) cohort, 0 = never
    dose: np.ndarray  # (N,) the unit's dose, 0 for never treated
    times: np.ndarray
    cluster: np.ndarray | None
    post_doses: np.ndarray  # doses over treated unit-periods with an outcome (knots)
    notes: list[str]


def _prepare(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, dose: str,
             cluster: str | None, what: str) -> _Data:
    require_columns(data, [outcome, unit, time, cohort, dose, cluster], what)
    for c in (outcome, time, dose):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise EstimationError(f"{what}: column {c!r} must be numeric, got {data[c].dtype}")
    if not (pd.api.types.is_numeric_dtype(data[cohort]) or data[cohort].isna().all()):
        raise EstimationError(f"{what}: cohort column {cohort!r} must be numeric (0/NaN = never)")
    if data[time].isna().any() or data[unit].isna().any():
        raise EstimationError(f"{what}: the unit and time columns must not have missing values")
    refuse_duplicates(data, unit, time, what)
    notes: list[str] = []
    ucodes, units = pd.factorize(data[unit], sort=True)
    n = len(units)
    t_all = data[time].to_numpy(dtype=float)
    times = np.unique(t_all)
    if len(times) < 2:
        raise EstimationError(f"{what}: need at least two periods, found {len(times)}")
    g_row = data[cohort].to_numpy(dtype=float)
    g_row = np.where(np.isnan(g_row), 0.0, g_row)
    g = np.zeros(n)
    g[ucodes] = g_row
    if (g[ucodes] != g_row).any():
        bad = pd.unique(np.asarray(units)[ucodes[g[ucodes] != g_row]])[:5]
        raise EstimationError(f"{what}: cohort {cohort!r} changes within unit(s) {list(bad)}; "
                              "it must be the unit's first treated period, constant within unit")
    late = g > times[-1]
    if late.any():
        notes.append(f"{int(late.sum())} units first treated after the last period count as "
                     "never treated")
        g[late] = 0.0
    tcodes = np.searchsorted(times, t_all)
    y = np.full((n, len(times)), np.nan)
    y[ucodes, tcodes] = data[outcome].to_numpy(dtype=float)
    d_row = data[dose].to_numpy(dtype=float)
    at_cohort = (g_row > 0) & (t_all == g_row)
    d_unit = np.full(n, np.nan)
    d_unit[ucodes[at_cohort]] = d_row[at_cohort]
    d_unit[g == 0] = 0.0
    keep = np.ones(n, dtype=bool)
    always = (g > 0) & (g <= times[0])
    if always.any():
        notes.append(f"{int(always.sum())} units treated from the first period have no "
                     "pre-treatment period and are left out")
        keep &= ~always
    no_dose = (g > 0) & ~always & ~(d_unit > 0)
    if no_dose.any():
        notes.append(f"{int(no_dose.sum())} treated units without a positive {dose!r} in their "
                     "first treated period are left out")
        keep &= ~no_dose
    cl = None
    if cluster is not None:
        if data[cluster].isna().any():
            raise EstimationError(f"{what}: {int(data[cluster].isna().sum())} rows have no "
                                  f"{cluster!r}; every row needs a cluster")
        ccodes = pd.factorize(data[cluster], sort=True)[0]
        cl = np.full(n, -1)
        cl[ucodes] = ccodes
        if (cl[ucodes] != ccodes).any():
            raise EstimationError(f"{what}: cluster {cluster!r} varies within unit; clusters "
                                  "must contain whole units")
    y, g, d_unit = y[keep], g[keep], d_unit[keep]
    if cl is not None:
        cl = pd.factorize(cl[keep])[0]
    treated = g > 0
    if not treated.any():
        raise EstimationError(f"{what}: no treated unit with a positive {dose!r} in its first "
                              "treated period")
    post = treated[:, None] & (times[None, :] >= g[:, None]) & ~np.isnan(y)
    post_doses = np.broadcast_to(d_unit[:, None], y.shape)[post]
    return _Data(y=y, g=g, dose=d_unit, times=times, cluster=cl, post_doses=post_doses,
                 notes=notes)


# ---------------------------------------------------------------------------- the estimator
def cont_did(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    dose: str,
    *,
    control_group: Literal["not_yet_treated", "never_treated"] = "not_yet_treated",
    dose_method: Literal["spline", "bins"] = "spline",
    degree: int = 3,
    num_knots: int = 0,
    n_bins: int = 4,
    dose_grid: np.ndarray | None = None,
    n_grid: int = 50,
    cluster: str | None = None,
    bootstrap: int | None = None,
    bootstrap_weights: Literal["rademacher", "mammen"] = "rademacher",
    seed: int | None = 20240901,
    alpha: float = 0.05,
    band_draws: int = 10_000,
) -> ContDidResult:
    """Difference-in-differences with a continuous treatment (Callaway, Goodman-Bacon and
    Sant'Anna 2024): ATT(d), ACRT(d) over a dose grid and the overall ATT^o and ACRT^o.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time, cohort : str
        Columns as in `att_gt`: the outcome, the unit id, the period (numeric; the base period of
        cohort g is the last period before g) and the first treated period (0 or NaN = never
        treated; later than the last period = never treated within the window).
    dose : str
        Column with the treatment intensity (for the P3K study, ``"p3k_share"``). A treated
        unit's dose is its value in the unit's first treated period (row ``time == cohort``);
        treated units without a positive dose there are left out (noted); never treated units
        have dose 0 whatever the column says.
    control_group : {"not_yet_treated", "never_treated"}
        Comparison units of cell (g, t): units never treated, plus (default, as moderndid)
        those first treated after t.
    dose_method : {"spline", "bins"}
        Smooth the dose with a B-spline (default) or use dose bins.
    degree, num_knots : int
        B-spline degree and number of interior knots (at quantiles of the dose over treated
        unit-periods). Defaults (3, 0): a cubic in the dose, as moderndid.
    n_bins : int
        Number of dose bins (quantiles) for ``dose_method="bins"``; the grid is then the bins'
        mean doses.
    dose_grid : array, optional
        Doses at which ATT(d) and ACRT(d) are reported (spline). Default: `n_grid` evenly spaced
        points from the smallest to the largest treated dose (as moderndid).
    cluster : str, optional
        Column that clusters units (units nested in clusters); default: the unit.
    bootstrap : int, optional
        Multiplier-bootstrap draws for the SEs and band (IQR-based SEs, as R did); default:
        analytic SEs from the influence functions.
    bootstrap_weights : {"rademacher", "mammen"}
        Multiplier weights of the bootstrap.
    seed : int
        Seed of the bootstrap draws, or of the Gaussian draws behind the band's critical value.
    alpha : float
        1 - confidence level of the intervals and bands.
    band_draws : int
        Gaussian draws for the band's critical value (analytic SEs only).

    Returns
    -------
    ContDidResult
        `tidy()` rows: ``term == "ATT"`` (ATT^o), ``"ACRT"`` (ACRT^o), ``"ATT(d)"`` and
        ``"ACRT(d)"`` with the `dose` column.

    Raises
    ------
    EstimationError
        A column is missing or not numeric, duplicated (unit, time) rows, no treated unit with
        a positive dose, no comparison units, or no cell can be estimated.
    """
    what = "cont_did"
    if control_group not in ("not_yet_treated", "never_treated"):
        raise EstimationError(f"{what}: control_group must be 'not_yet_treated' or "
                              f"'never_treated', got {control_group!r}")
    if dose_method not in ("spline", "bins"):
        raise EstimationError(f"{what}: dose_method must be 'spline' or 'bins', got "
                              f"{dose_method!r}")
    if degree < 1 and dose_method == "spline":
        raise EstimationError(f"{what}: degree must be >= 1")
    if num_knots < 0 or n_bins < 2:
        raise EstimationError(f"{what}: num_knots must be >= 0 and n_bins >= 2")
    if not 0 < alpha < 1:
        raise EstimationError(f"{what}: alpha must be between 0 and 1")
    d = _prepare(data, outcome, unit, time, cohort, dose, cluster, what)
    notes = list(d.notes)
    n = len(d.g)
    basis = _Basis(d.post_doses, dose_method, degree, num_knots, n_bins)
    if dose_method == "bins":
        j = basis.bin_of(d.post_doses)
        basis.centres = np.array([d.post_doses[j == b].mean() for b in range(basis.k)])
        grid = basis.centres
    elif dose_grid is None:
        grid = np.linspace(d.post_doses.min(), d.post_doses.max(), n_grid)
    else:
        grid = np.sort(np.asarray(dose_grid, dtype=float))
        if grid.size == 0 or not np.isfinite(grid).all():
            raise EstimationError(f"{what}: dose_grid must hold finite doses")
    b_grid, s_grid = basis.design(grid), basis.slope(grid)
    n_grid_pts = len(grid)
    if not (d.g == 0).any() and control_group == "never_treated":
        raise EstimationError(f"{what}: no never-treated units to compare with; use "
                              "control_group='not_yet_treated' or a panel with untreated units")
    k_out = 2 + 2 * n_grid_pts
    psi = np.zeros((n, k_out))
    psi_c = np.zeros(n)  # comparison units: the same in ATT^o and every ATT(d)
    cells: list[tuple[float, float, float, int, int, float, float, float]] = []
    cell_est: list[np.ndarray] = []
    cohorts = np.unique(d.g[d.g > 0])
    times = d.times
    skipped: dict[str, int] = {}
    for gv in cohorts:
        pos_g = int(np.searchsorted(times, gv))
        if pos_g == 0:
            continue
        b = pos_g - 1
        in_g = d.g == gv
        # influence rows of this cohort's cells, summed; weighted once its cells are known
        members = np.flatnonzero(in_g)
        psi_g = np.zeros((len(members), k_out))
        psi_gc = np.zeros(n)
        n_cells = 0
        for ti in range(pos_g, len(times)):
            tv = times[ti]
            both = ~np.isnan(d.y[:, ti]) & ~np.isnan(d.y[:, b])
            tr = np.flatnonzero(in_g & both)
            if control_group == "never_treated":
                co_mask = (d.g == 0) & both
            else:
                co_mask = ((d.g == 0) | (d.g > tv)) & both
            co = np.flatnonzero(co_mask)
            if len(co) == 0:
                skipped["no comparison unit"] = skipped.get("no comparison unit", 0) + 1
                continue
            x = basis.design(d.dose[tr])
            if len(tr) <= basis.k or np.linalg.matrix_rank(x) < basis.k:
                skipped["too few treated units or doses for the dose model"] = skipped.get(
                    "too few treated units or doses for the dose model", 0) + 1
                continue
            dy_t = d.y[tr, ti] - d.y[tr, b]
            dy_c = d.y[co, ti] - d.y[co, b]
            n_t, n_c = len(tr), len(co)
            q = x.T @ x / n_t
            q_inv = np.linalg.inv(q)
            coef = q_inv @ (x.T @ dy_t) / n_t
            h = (x * (dy_t - x @ coef)[:, None]) @ q_inv  # rows: Q^-1 x_i e_i
            m_c = dy_c.mean()
            g_rows = basis.slope(d.dose[tr])
            in_s = np.ones(n_t, bool) if dose_method == "spline" else basis.bin_of(
                d.dose[tr]) > 0
            n_s = int(in_s.sum())
            g_bar = g_rows[in_s].mean(axis=0) if n_s else np.zeros(basis.k)
            acrt_i = g_rows @ coef
            acrt_o = float(acrt_i[in_s].mean()) if n_s else np.nan
            e_cell = np.r_[dy_t.mean() - m_c, acrt_o, b_grid @ coef - m_c, s_grid @ coef]
            p_t = np.empty((n_t, k_out))
            p_t[:, 0] = (n / n_t) * (dy_t - dy_t.mean())
            p_t[:, 1] = (n / n_t) * (h @ g_bar)
            if n_s:
                p_t[in_s, 1] += (n / n_s) * (acrt_i[in_s] - acrt_o)
            p_t[:, 2:2 + n_grid_pts] = (n / n_t) * (h @ b_grid.T)
            p_t[:, 2 + n_grid_pts:] = (n / n_t) * (h @ s_grid.T)
            p_c = -(n / n_c) * (dy_c - m_c)
            psi_g[np.searchsorted(members, tr)] += p_t
            psi_gc[co] += p_c
            n_cells += 1
            cells.append((gv, tv, times[b], n_t, n_c, 0.0, float(e_cell[0]), acrt_o))
            cell_est.append(e_cell)
        if n_cells:  # cohort weight share_g spread over its cells (normalised below)
            scale = np.mean(in_g) / n_cells
            psi[members] += scale * psi_g
            psi_c += scale * psi_gc
    for reason, count in skipped.items():
        notes.append(f"{count} (cohort, period) cells left out: {reason}")
    if not cells:
        if set(skipped) == {"no comparison unit"}:
            raise EstimationError(f"{what}: no untreated units to compare with: in every "
                                  "period after adoption all observed units are treated")
        raise EstimationError(f"{what}: no (cohort, period) cell could be estimated "
                              f"({'; '.join(f'{v} {k}' for k, v in skipped.items())})")
    cell_g = np.array([c[0] for c in cells])
    share = {gv: float(np.mean(d.g == gv)) for gv in np.unique(cell_g)}
    n_cells_g = {gv: int(np.sum(cell_g == gv)) for gv in share}
    w = np.array([share[gv] / n_cells_g[gv] for gv in cell_g])
    w = w / w.sum()
    est_cells = np.array(cell_est)
    est = w @ est_cells
    total = sum(share.values())
    psi /= total
    psi_c /= total
    # ACRT^o: cells without any unit above the lowest bin (bins) carry no ACRT (their influence
    # rows are zero); the others' weights are renormalised
    acrt_ok = np.isfinite(est_cells[:, 1])
    if not acrt_ok.all():
        valid = float(w[acrt_ok].sum())
        est[1] = float(w[acrt_ok] @ est_cells[acrt_ok, 1]) / valid if valid > 0 else np.nan
        psi[:, 1] /= valid if valid > 0 else 1.0
    psi[:, 0] += psi_c
    psi[:, 2:2 + n_grid_pts] += psi_c[:, None]
    psi += _weights_influence(d.g, cell_g, est_cells, share)
    cells_table = pd.DataFrame(cells, columns=CELL_COLUMNS)
    cells_table["weight"] = w
    inference = _Inference(n, d.cluster, bootstrap, seed, alpha, weights=bootstrap_weights)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if bootstrap:
        draws = inference.draws(psi)
        q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
        se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
        cov = np.cov(draws, rowvar=False)
    else:
        draws = None
        cov = inference.vcov(psi)
        se = np.sqrt(np.diag(cov))
    se = np.where(se <= np.sqrt(np.finfo(float).eps) * 10, np.nan, se)
    crit = [_sup_t(cov, se, sl, draws, alpha, seed, band_draws)
            for sl in (slice(2, 2 + n_grid_pts), slice(2 + n_grid_pts, k_out))]
    terms = ["ATT", "ACRT"] + ["ATT(d)"] * n_grid_pts + ["ACRT(d)"] * n_grid_pts
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    band_c = np.r_[np.nan, np.nan, [crit[0]] * n_grid_pts, [crit[1]] * n_grid_pts]
    table = pd.DataFrame({
        "term": terms, "dose": np.r_[np.nan, np.nan, grid, grid], "estimate": est,
        "std_error": se, "statistic": stat, "p_value": 2 * stats.norm.sf(np.abs(stat)),
        "ci_low": est - z * se, "ci_high": est + z * se,
        "band_low": est - band_c * se, "band_high": est + band_c * se})
    if dose_method == "bins":
        lowest = (table["term"] == "ACRT(d)") & (table["dose"] == grid[0])
        table.loc[lowest, ["estimate", "std_error", "statistic", "p_value", "ci_low",
                           "ci_high", "band_low", "band_high"]] = np.nan
        notes.append("bins: ACRT(d) of a bin is the change in ATT from the bin below over the "
                     "change in mean dose; the lowest bin has none")
    settings = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, dose=dose,
                    control_group=control_group, dose_method=dose_method, degree=basis.degree,
                    num_knots=len(basis.inner), n_bins=n_bins if dose_method == "bins" else None,
                    knots=basis.inner.tolist(), cluster=cluster, bootstrap=bootstrap, seed=seed,
                    alpha=alpha, band_crit=crit)
    n_treated = int((d.g > 0).sum())
    return ContDidResult(table=table, covariance=cov, cells=cells_table, settings=settings,
                         notes=notes, n_units=n, n_treated_units=n_treated,
                         n_comparison_units=n - n_treated, influence=psi)



def _weights_influence(g: np.ndarray, cell_g: np.ndarray, est_cells: np.ndarray,
                       share: dict[float, float]) -> np.ndarray:
    """Influence of the estimated cohort shares on sum_g (p_g / sum p) theta_g, theta_g the mean
    of cohort g's cells (R did's `wif` of the "group" aggregation); (N, K)."""
    glist = np.array(sorted(share))
    p = np.array([share[gv] for gv in glist])
    s = p.sum()
    with warnings.catch_warnings():  # a cohort without any ACRT (bins): mean of nothing
        warnings.simplefilter("ignore", RuntimeWarning)
        theta = np.nan_to_num(np.array([np.nanmean(est_cells[cell_g == gv], axis=0)
                                        for gv in glist]))
    ind = (g[:, None] == glist[None, :]).astype(float)
    return (ind - p) @ theta / s - (ind.sum(axis=1) - s)[:, None] * (p @ theta) / s**2


def _sup_t(cov: np.ndarray, se: np.ndarray, part: slice, draws: np.ndarray | None,
           alpha: float, seed: int | None, n_draws: int) -> float:
    """Sup-t critical value of the estimates `part`: from bootstrap draws, or from Gaussian
    draws with the estimated correlation (seeded)."""
    s = se[part]
    ok = np.isfinite(s)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if ok.sum() < 2:
        return z
    if draws is not None:
        t = np.abs(draws[:, part][:, ok] / s[ok]).max(axis=1)
    else:
        c = cov[part, part][np.ix_(ok, ok)] / np.outer(s[ok], s[ok])
        vals, vecs = np.linalg.eigh(c)
        root = vecs * np.sqrt(np.clip(vals, 0, None))
        rng = np.random.default_rng(seed)
        t = np.abs(rng.standard_normal((n_draws, len(vals))) @ root.T).max(axis=1)
    return max(z, float(np.quantile(t, 1 - alpha, method="inverted_cdf")))
