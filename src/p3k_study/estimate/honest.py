"""HonestDiD sensitivity analysis (Rambachan & Roth 2023, "A More Credible Approach to Parallel
Trends", Review of Economic Studies 90(5)).

An event study estimates beta = tau + delta: the effects tau (zero before adoption) plus the
difference in trends delta. Parallel trends says delta_post = 0. HonestDiD only assumes that
delta lies in a set restricted by what the pre-period coefficients show, and gives a confidence
set for theta = l_vec' tau_post that is valid for every delta in that set:

* relative magnitudes, Delta^RM(Mbar): no post-period change in the trend gap,
  |delta_{t+1} - delta_t|, is larger than Mbar times the largest pre-period change;
* smoothness, Delta^SD(M): the slope of the trend gap changes by at most M from one period to
  the next (M = 0: the pre-period linear trend continues exactly).

Methods are the R package's defaults (HonestDiD 0.2.x): for Delta^SD the optimal fixed-length
confidence interval (FLCI, Section 4.1 of the paper), for Delta^RM the conditional-least-
favourable hybrid test of Andrews, Roth & Pakes (C-LF, kappa = alpha / 10) inverted on a grid of
`grid_points` values of theta, taking the union over the period s of the largest pre-period
change and its sign (Lemma 2.2), with the post-period moments only (R's
`postPeriodMomentsOnly = TRUE`).

How it is computed (the numbers are R's; the route is faster):

* FLCI: the estimator is l_vec' beta_post + w' beta_pre. With u the tail sums of the weights
  on the second differences, its worst-case bias over Delta^SD(M) is M (K + ||u||_1) (K fixed by
  l_vec) and its variance a quadratic in u, so the optimal half-length lies on the lasso path of
  (variance, ||u||_1); it is minimised over that path (grid, then Brent) rather than over R's
  grid of 100 standard deviations.
* C-LF: the test statistic is the value of a linear programme whose dual feasible set does not
  depend on theta, and for the post-period moments of Delta^RM its vertices are known in closed
  form (`_post_rays`; a test checks them against enumeration); the statistic, the
  conditioning vertex (ARP condition on the optimal dual vertex), the truncation points and
  the least-favourable critical value (from `lf_draws` simulated draws, seed `seed`; R uses
  1,000) then follow for the whole grid by matrix products instead of one linear programme
  per grid point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ._common import EstimationError

RESTRICTIONS = ("relative_magnitude", "smoothness")
TIDY_COLUMNS = ["term", "restriction", "m", "ci_low", "ci_high", "method"]


# --------------------------------------------------------------------------- result
@dataclass
class HonestResult:
    """What `honest_did` computed.

    `table`: one row per value of M (smoothness) or Mbar (relative magnitudes) with columns m,
    ci_low, ci_high (the robust confidence set; NaN when the grid accepted no value).
    `original`: the interval under exact parallel trends (estimate, std_error, ci_low, ci_high).
    `breakdown`: the largest M / Mbar at which the robust set still excludes 0 (refined by
    bisection between grid values; 0 if it does not exclude 0 even at M = 0, NaN if the
    original interval already contains 0).
    """

    restriction: str
    method: str
    table: pd.DataFrame
    original: dict[str, float]
    breakdown: float
    target: str
    l_vec: np.ndarray = field(repr=False)
    betahat: np.ndarray = field(repr=False)
    sigma: np.ndarray = field(repr=False)
    num_pre: int = 0
    num_post: int = 0
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    @property
    def parameter(self) -> str:
        """'Mbar' for relative magnitudes, 'M' for smoothness."""
        return "Mbar" if self.restriction == "relative_magnitude" else "M"

    def tidy(self) -> pd.DataFrame:
        """The original interval first (restriction 'original', m NaN), then one row per M or
        Mbar: term (the target theta), restriction, m, ci_low, ci_high, method."""
        first = pd.DataFrame({"term": [self.target], "restriction": ["original"], "m": [np.nan],
                              "ci_low": [self.original["ci_low"]],
                              "ci_high": [self.original["ci_high"]], "method": ["original"]})
        rows = pd.DataFrame({"term": self.target, "restriction": self.restriction,
                             "m": self.table["m"].to_numpy(dtype=float),
                             "ci_low": self.table["ci_low"].to_numpy(dtype=float),
                             "ci_high": self.table["ci_high"].to_numpy(dtype=float),
                             "method": self.method})
        return pd.concat([first, rows], ignore_index=True)[TIDY_COLUMNS]

    def summary(self) -> str:
        """Text summary: the original interval, the robust sets and the breakdown value."""
        name = ("relative magnitudes (Delta^RM)" if self.restriction == "relative_magnitude"
                else "smoothness (Delta^SD)")
        o = self.original
        lines = [f"HonestDiD sensitivity (Rambachan & Roth 2023): {name}, method {self.method}",
                 f"Target: {self.target}; {self.num_pre} pre- and {self.num_post} post-period "
                 f"coefficients; {100 * (1 - self.alpha):g}% confidence sets",
                 f"Original (parallel trends): {o['estimate']:.4g} "
                 f"[{o['ci_low']:.4g}, {o['ci_high']:.4g}]",
                 f"{self.parameter:>6}  {'ci_low':>10}  {'ci_high':>10}"]
        for m, lo, hi in self.table[["m", "ci_low", "ci_high"]].itertuples(index=False):
            lines.append(f"{m:6.4g}  {lo:10.4g}  {hi:10.4g}")
        if np.isnan(self.breakdown):
            lines.append("Breakdown value: none (the original interval contains 0)")
        else:
            lines.append(f"Breakdown value: {self.parameter} = {self.breakdown:.4g} (largest "
                         f"{self.parameter} at which the robust set excludes 0)")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def plot(self, ax=None, labels: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        """The sensitivity plot (`plots.honest_sensitivity`): intervals against M or Mbar, the
        original interval first; returns the Figure."""
        from p3k_study import plots

        lab = {"x": self.parameter, "y": f"{100 * (1 - self.alpha):g}% confidence set",
               "title": f"HonestDiD ({self.method}): {self.target}", **(labels or {})}
        return plots.honest_sensitivity(self.tidy(), labels=lab, ax=ax)

    def __repr__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- inputs
def _vcov_of(result: Any) -> np.ndarray:
    v = result.vcov
    return np.asarray(v() if callable(v) else v, dtype=float)


def _from_result(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, list[str]]:
    """(event_times, betahat, sigma, source, notes) of a result of this package, pre- then
    post-period rows, the reference period left out."""
    from .did import AggregateResult
    from .event_study import EventStudyResult
    from .imputation import ImputationResult

    notes: list[str] = []
    if isinstance(result, ImputationResult):
        t = result.tidy()
        v = _vcov_of(result)
        keep = np.flatnonzero(t["kind"].isin(["pre", "post"]).to_numpy()
                              & np.isfinite(t["estimate"].to_numpy(dtype=float)))
        ev = t["event_time"].to_numpy(dtype=float)[keep]
        b = t["estimate"].to_numpy(dtype=float)[keep]
        v = v[np.ix_(keep, keep)]
        if not (ev < 0).any():
            raise EstimationError("honest_did: the did_imputation result has no leads; "
                                  "estimate it with leads >= 1")
        notes.append("did_imputation: the leads (event times < 0) are the pre-period "
                     "coefficients and the effects (>= 0) the post-period ones, in the order "
                     "HonestDiD takes them; the leads are contrasts with the untreated "
                     "observations, not with one reference period, so read M / Mbar on "
                     "that scale")
        source = "did_imputation"
        ref_needed = False
    elif isinstance(result, AggregateResult | EventStudyResult):
        if isinstance(result, AggregateResult):
            if result.kind != "dynamic":
                raise EstimationError("honest_did: needs an event study; aggregate "
                                      f"'{result.kind}' is not one (use aggregate('dynamic'))")
            tab = result.table.rename(columns={"att": "estimate", "se": "std_error"})
            rows = np.arange(len(tab))
            source = "att_gt dynamic aggregation"
        else:
            tab = result.table
            rows = np.flatnonzero(~tab["reference"].to_numpy(dtype=bool))
            source = f"event_study ({result.method})"
        v = _vcov_of(result)
        if v.shape[0] == len(tab) and len(rows) < len(tab):
            v = v[np.ix_(rows, rows)]
        if v.shape != (len(rows), len(rows)):
            raise EstimationError(f"honest_did: the covariance of the {source} is "
                                  f"{v.shape[0]}x{v.shape[1]}, its event-time rows are "
                                  f"{len(rows)}")
        ev = tab["event_time"].to_numpy(dtype=float)[rows]
        b = tab["estimate"].to_numpy(dtype=float)[rows]
        se = tab["std_error"].to_numpy(dtype=float)[rows]
        at_ref = ev == -1
        if at_ref.any():
            i = int(np.flatnonzero(at_ref)[0])
            if abs(b[i]) > 1e-12 or (np.isfinite(se[i]) and se[i] > 0):
                raise EstimationError(
                    f"honest_did: the {source} estimates event time -1 ({b[i]:.4g}), so its "
                    "pre-period coefficients compare consecutive periods, not one reference "
                    "period; estimate it with base_period='universal'")
            keep = ~at_ref
            ev, b, v = ev[keep], b[keep], v[np.ix_(keep, keep)]
        ref_needed = True
    else:
        raise EstimationError(
            "honest_did: give an event study of this package (event_study, "
            "att_gt(...).aggregate('dynamic'), did_imputation) or betahat with sigma, "
            f"num_pre and num_post; got {type(result).__name__}")
    order = np.argsort(ev, kind="stable")
    ev, b, v = ev[order], b[order], v[np.ix_(order, order)]
    pre, post = ev[ev < 0], ev[ev >= 0]
    last_pre = -2 if ref_needed else -1
    if pre.size == 0:
        raise EstimationError(f"honest_did: the {source} has no pre-period coefficient "
                              f"(event time <= {last_pre})")
    if post.size == 0:
        raise EstimationError(f"honest_did: the {source} has no post-period coefficient")
    want_pre = np.arange(last_pre - pre.size + 1, last_pre + 1)
    if not np.array_equal(pre, want_pre) or not np.array_equal(post, np.arange(post.size)):
        raise EstimationError(
            f"honest_did: the {source} event times must be consecutive up to {last_pre} and "
            f"from 0 (the restrictions compare neighbouring periods); got "
            f"{[int(e) for e in ev]}")
    return ev, b, v, source, notes


def _check_arrays(betahat: Any, sigma: Any, num_pre: Any, num_post: Any
                  ) -> tuple[np.ndarray, np.ndarray, int, int]:
    b = np.asarray(betahat, dtype=float).ravel()
    if sigma is None or num_pre is None or num_post is None:
        raise EstimationError("honest_did: with an array of coefficients give sigma, num_pre "
                              "and num_post as well")
    s = np.asarray(sigma, dtype=float)
    num_pre, num_post = int(num_pre), int(num_post)
    if num_pre < 1:
        raise EstimationError("honest_did: needs at least one pre-period coefficient "
                              f"(num_pre = {num_pre})")
    if num_post < 1:
        raise EstimationError(f"honest_did: needs at least one post-period coefficient "
                              f"(num_post = {num_post})")
    n = num_pre + num_post
    if b.size != n:
        raise EstimationError(f"honest_did: betahat has {b.size} entries, num_pre + num_post "
                              f"= {n}")
    if s.shape != (n, n):
        raise EstimationError(f"honest_did: sigma must be {n}x{n} (num_pre + num_post), got "
                              f"{'x'.join(map(str, s.shape))}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(s))):
        raise EstimationError("honest_did: betahat and sigma must be finite")
    if not np.allclose(s, s.T, rtol=1e-8, atol=1e-14 * max(1.0, float(np.abs(s).max()))):
        raise EstimationError("honest_did: sigma must be symmetric")
    if np.linalg.eigvalsh(s).min() < -1e-10 * max(1e-300, float(np.abs(s).max())):
        raise EstimationError("honest_did: sigma is not a covariance matrix (negative "
                              "eigenvalue)")
    return b, (s + s.T) / 2, num_pre, num_post


def _target(target: Any, num_post: int) -> tuple[np.ndarray, str]:
    if isinstance(target, str):
        if target != "average":
            raise EstimationError(f"honest_did: target must be a post event time, 'average' "
                                  f"or an l_vec array; got {target!r}")
        return np.full(num_post, 1.0 / num_post), f"average of event times 0..{num_post - 1}"
    if np.ndim(target) == 0:
        e = int(target)
        if not 0 <= e < num_post:
            raise EstimationError(f"honest_did: target event time {e} is not a post period "
                                  f"(0..{num_post - 1})")
        lv = np.zeros(num_post)
        lv[e] = 1.0
        return lv, f"event_time={e}"
    lv = np.asarray(target, dtype=float).ravel()
    if lv.size != num_post or not np.all(np.isfinite(lv)) or not lv.any():
        raise EstimationError(f"honest_did: l_vec must have {num_post} finite entries, not all "
                              "zero")
    return lv, "l_vec=(" + ", ".join(f"{x:g}" for x in lv) + ")"


# --------------------------------------------------------------------------- FLCI (Delta^SD)
def _cv_folded(t: float, alpha: float) -> float:
    """1 - alpha quantile of |N(t, 1)|."""
    if t <= 1e-12:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(np.sqrt(stats.ncx2.ppf(1 - alpha, 1, t * t)))


class _Flci:
    """The FLCI of Delta^SD in the coordinates u (see module docstring): estimator weights
    w = W u + w0 on beta_pre, worst-case bias M (K + ||u||_1), variance u'Qu + 2p'u + c0."""

    def __init__(self, sigma: np.ndarray, l_vec: np.ndarray, num_pre: int) -> None:
        T, n = num_pre, num_pre + l_vec.size
        # levels (delta_-T..delta_-1, delta_1..delta_Tbar) from slopes fd_0..fd_{n-1}
        i = np.r_[np.arange(T), np.arange(T + 1, n + 1)][:, None]
        j = np.arange(n)[None, :]
        D = (j < i).astype(float) - (j < T).astype(float)
        c_post = D[T:, T:].T @ l_vec  # slope weights c_s for s >= T depend on l_vec only
        tails = np.cumsum(c_post[::-1])[::-1]  # C_j for j = T-1 .. n-2 (and the total at T-1)
        self.K = float(np.abs(tails[1:]).sum() + abs(tails[0]))
        c_last = float(tails[0])  # C_{T-1}
        # c_pre(u) = E u + e0 with c_s = C_{s-1} - C_s, C_{-1} = 0, C_{T-1} = c_last
        E = np.zeros((T, T - 1))
        e0 = np.zeros(T)
        for s in range(T):
            if s >= 1:
                E[s, s - 1] += 1.0
            if s <= T - 2:
                E[s, s] -= 1.0
            else:
                e0[s] -= c_last
        Dp = D[:T, :T].T
        self.W = np.linalg.solve(Dp, E)
        self.w0 = np.linalg.solve(Dp, e0)
        s_pre, s_pp = sigma[:T, :T], sigma[:T, T:]
        self.Q = self.W.T @ s_pre @ self.W
        self.p = self.W.T @ (s_pre @ self.w0 + s_pp @ l_vec)
        self.c0 = float(self.w0 @ s_pre @ self.w0 + 2 * self.w0 @ s_pp @ l_vec
                        + l_vec @ sigma[T:, T:] @ l_vec)
        self.l_vec, self.T = l_vec, T

    def var(self, u: np.ndarray) -> float:
        return float(u @ self.Q @ u + 2 * self.p @ u + self.c0)

    def lasso(self, lam: float, u: np.ndarray) -> np.ndarray:
        """argmin u'Qu + 2p'u + lam ||u||_1 by coordinate descent from `u`."""
        u = u.copy()
        q = np.diag(self.Q)
        for _ in range(10_000):
            big = 0.0
            for k in range(u.size):
                r = self.p[k] + self.Q[k] @ u - q[k] * u[k]
                new = -np.sign(r) * max(abs(r) - lam / 2, 0.0) / q[k]
                big = max(big, abs(new - u[k]))
                u[k] = new
            if big <= 1e-15 * (1 + np.abs(u).max()):
                break
        return u

    def solve(self, M: float, alpha: float) -> tuple[np.ndarray, float]:
        """(weights on beta_pre, half-length) of the optimal FLCI."""
        if self.T == 1:
            sd = np.sqrt(max(self.c0, 0.0))
            return self.w0, sd * _cv_folded(M * self.K / sd, alpha)
        u_min = np.linalg.solve(self.Q, -self.p)
        if M == 0:
            return self.W @ u_min + self.w0, np.sqrt(self.var(u_min)) * _cv_folded(0, alpha)
        lam_max = 2 * float(np.abs(self.p).max())
        path: dict[float, np.ndarray] = {}

        def half(lam: float) -> float:
            start = min(path, key=lambda k: abs(k - lam)) if path else None
            u = self.lasso(lam, path[start] if start is not None else u_min)
            path[lam] = u
            sd = np.sqrt(max(self.var(u), 1e-300))
            return sd * _cv_folded(M * (self.K + np.abs(u).sum()) / sd, alpha)

        grid = lam_max * np.linspace(0, 1, 41) ** 2
        vals = np.array([half(x) for x in grid])
        k = int(np.argmin(vals))
        lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
        best_lam, best = grid[k], vals[k]
        if hi > lo:
            r = optimize.minimize_scalar(half, bounds=(lo, hi), method="bounded",
                                         options={"xatol": 1e-12 * max(lam_max, 1e-300)})
            if r.fun < best:
                best_lam, best = float(r.x), float(r.fun)
        u = path[best_lam] if best_lam in path else self.lasso(best_lam, u_min)
        return self.W @ u + self.w0, float(best)


def _flci(b: np.ndarray, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray, M: float,
          alpha: float, solver: _Flci | None = None) -> tuple[float, float]:
    solver = solver or _Flci(sigma, l_vec, num_pre)
    w, half = solver.solve(M, alpha)
    centre = float(w @ b[:num_pre] + l_vec @ b[num_pre:])
    return centre - half, centre + half


# --------------------------------------------------------------------------- C-LF (Delta^RM)
def _a_rm(T: int, Tbar: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows of A with A delta <= 0 for Delta^RM_{s,sign}(Mbar), columns delta_-T..delta_-1,
    delta_1..delta_Tbar (delta_0 = 0 dropped); s in -(T-1)..0 names the pre-period change
    delta_s - delta_{s-1} that is the largest (R's .create_A_RM)."""
    n = T + Tbar
    fd = np.zeros((n, n + 1))
    fd[np.arange(n), np.arange(n)] = -1.0
    fd[np.arange(n), np.arange(n) + 1] = 1.0
    vmax = np.zeros(n + 1)
    vmax[T + s - 1], vmax[T + s] = -1.0, 1.0
    if not positive:
        vmax = -vmax
    bound = np.vstack([np.tile(vmax, (T, 1)), np.tile(mbar * vmax, (Tbar, 1))])
    A = np.vstack([fd - bound, -fd - bound])
    A = A[~np.all(np.abs(A) <= 1e-10, axis=1)]
    return np.delete(A, T, axis=1)


def _post_rays(F: np.ndarray, l_vec: np.ndarray) -> np.ndarray:
    """Extreme rays (rows) of the cone {g >= 0 : X'g = 0} for the post-period moments of
    Delta^RM, whose post-period columns are [F; -F] (F: the first differences of delta_1..
    delta_Tbar, delta_0 = 0), with X = [F; -F] N and N a basis of the null space of l_vec'.

    X'g = 0 means F'(g+ - g-) is a multiple of l_vec, i.e. g+ - g- = c h with h = F'^-1 l_vec,
    so the rays are among (h+, h-), (h-, h+) and e_i + e_(Tbar+i); those that are sums of
    others (a pair when h is a multiple of e_i) are dropped, since a ray that ties with the ones
    it is made of must not become the conditioning vertex. Normalised by sd'g = 1 they are the
    vertices of the dual of the ARP programme, the same for every s, sign and Mbar."""
    Tbar = l_vec.size
    h = np.linalg.solve(F.T, l_vec)
    hp, hm = np.maximum(h, 0), np.maximum(-h, 0)
    pairs = np.hstack([np.eye(Tbar), np.eye(Tbar)])
    cand = np.unique(np.vstack([np.r_[hp, hm], np.r_[hm, hp], pairs]), axis=0)
    X = np.vstack([F, -F]) @ np.linalg.svd(l_vec[None, :])[2][1:].T
    extreme = [g for g in cand  # extreme: the columns of X' on its support have nullity 1
               if np.linalg.matrix_rank(X[g > 1e-12].T) == int((g > 1e-12).sum()) - 1]
    return np.array(extreme)


def _clf_accept(b: np.ndarray, sigma: np.ndarray, T: int, l_vec: np.ndarray, mbar: float,
                grid: np.ndarray, alpha: float, kappa: float, z: np.ndarray) -> np.ndarray:
    """Which grid values of theta the C-LF test accepts for Delta^RM(Mbar) (union over s and
    the sign of the largest pre-period change)."""
    Tbar = l_vec.size
    e0 = l_vec / (l_vec @ l_vec)  # tau_post = e0 theta + N nu with l_vec' N = 0
    size = (alpha - kappa) / (1 - kappa)
    accept = np.zeros(grid.size, dtype=bool)
    rays = None
    for s in range(-(T - 1), 1):
        for positive in (True, False):
            A = _a_rm(T, Tbar, mbar, s, positive)
            if Tbar > 1:  # R's postPeriodMomentsOnly: the rows with post-period columns
                A = A[np.any(A[:, T:] != 0, axis=1)]
                if rays is None:
                    F = A[:Tbar, T:]
                    if not np.allclose(A[Tbar:, T:], -F):
                        raise AssertionError("unexpected Delta^RM moment layout")
                    rays = _post_rays(F, l_vec)
            else:  # no nuisance parameter: the vertices are the moments themselves
                rays = np.eye(A.shape[0])
            y0 = A @ b
            a = A[:, T:] @ e0
            S = A @ sigma @ A.T
            sd = np.sqrt(np.diag(S))
            V = rays / (rays @ sd)[:, None]
            lf = float(np.quantile((z @ A.T @ V.T).max(axis=1), 1 - kappa))
            G = V @ S @ V.T
            sig2 = np.diag(G)
            vals = (V @ y0)[:, None] - (V @ a)[:, None] * grid[None, :]
            star = np.argmax(vals, axis=0)
            t = vals[star, np.arange(grid.size)]
            cstar = G[:, star] / sig2[star][None, :]  # gamma_v' Sigma gamma* / sigma*^2
            rho = 1 - cstar
            gs = vals - cstar * t[None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = gs / rho
            lo = np.where(rho > 1e-10, ratio, -np.inf).max(axis=0)
            up = np.where(rho < -1e-10, ratio, np.inf).min(axis=0)
            sig = np.sqrt(sig2[star])
            zlo, zup = lo / sig, np.minimum(up, lf) / sig
            stat = t / sig
            first = t <= lf
            zlo_c = np.minimum(zlo, zup)
            cval = np.maximum(0.0, _truncnorm_ppf(1 - size, zlo_c, zup))
            inside = (zlo <= stat + 1e-12) & (stat <= zup + 1e-12)
            acc = first & (~inside | (stat <= cval))
            accept |= acc
    return accept


def _truncnorm_ppf(p: float, lo: np.ndarray, up: np.ndarray) -> np.ndarray:
    """p-quantile of N(0, 1) truncated to [lo, up] (R's .norminvp_generalized), computed from
    survival functions when the interval lies right of 0 so that far tails keep precision."""
    out = np.empty(lo.shape, dtype=float)
    right = lo > 0
    slo, sup = stats.norm.sf(lo[right]), stats.norm.sf(up[right])
    out[right] = stats.norm.isf(sup + (1 - p) * (slo - sup))
    clo, cup = stats.norm.cdf(lo[~right]), stats.norm.cdf(up[~right])
    out[~right] = stats.norm.ppf(clo + p * (cup - clo))
    return np.clip(out, lo, up)


def _rm_ci(b: np.ndarray, sigma: np.ndarray, T: int, l_vec: np.ndarray, mbar: float,
           alpha: float, grid_points: int, grid_lb: float | None, grid_ub: float | None,
           z: np.ndarray) -> tuple[float, float, int]:
    """(lb, ub, times widened) of the C-LF confidence set for Delta^RM(Mbar), on R's default
    grid l'beta_post +- (Mbar * sum_t t |l_t| * max pre change + 20 sd(theta)) unless given.
    Where the set reaches an end of the default grid (R then warns and reports the grid end,
    too narrow a set), the half-width is doubled until it does not, at most 8 times."""
    Tbar = l_vec.size
    sd_theta = float(np.sqrt(l_vec @ sigma[T:, T:] @ l_vec))
    maxpre = (float(np.abs(np.diff(np.r_[b[:T], 0.0])).max()) if T > 1 else abs(float(b[0])))
    off = float(l_vec @ b[T:])
    halfw = mbar * float(np.arange(1, Tbar + 1) @ np.abs(l_vec)) * maxpre + 20 * sd_theta
    for widened in range(9):
        lo = off - halfw if grid_lb is None else grid_lb
        hi = off + halfw if grid_ub is None else grid_ub
        grid = np.linspace(lo, hi, grid_points)
        acc = _clf_accept(b, sigma, T, l_vec, mbar, grid, alpha, alpha / 10, z)
        if not acc.any():
            return np.nan, np.nan, widened
        open_end = (acc[0] and grid_lb is None) or (acc[-1] and grid_ub is None)
        if not open_end or widened == 8:
            return float(grid[acc].min()), float(grid[acc].max()), widened
        halfw *= 2
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- entry point
def honest_did(
    estimate: Any,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    *,
    restriction: str = "relative_magnitude",
    m: Sequence[float] | None = None,
    target: int | str | Sequence[float] = 0,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    lf_draws: int = 10_000,
    seed: int = 0,
    breakdown_tol: float = 1e-4,
) -> HonestResult:
    """HonestDiD sensitivity of an event study to violations of parallel trends (Rambachan &
    Roth 2023; see the module docstring for what is computed and how).

    Parameters
    ----------
    estimate : EventStudyResult, AggregateResult, ImputationResult or array
        An event study of this package: `event_study(...)` (reference period -1),
        `att_gt(..., base_period="universal").aggregate("dynamic")` (with the default varying
        base period the pre-period coefficients are not relative to one period: refused), or
        `did_imputation(..., leads=K)` (leads as pre-period coefficients). Or, as the R
        package, the coefficients `betahat` (pre-period ones first, the reference period left
        out) with `sigma`, `num_pre` and `num_post`.
    sigma : array, optional
        Covariance of `betahat` ((num_pre + num_post) square); only with an array.
    num_pre, num_post : int, optional
        Numbers of pre- and post-period coefficients; only with an array.
    restriction : {"relative_magnitude", "smoothness"}
        Delta^RM(Mbar), method C-LF, or Delta^SD(M), method FLCI (the R package's defaults).
    m : sequence of float, optional
        Values of Mbar or M. Default as R: Mbar = 0.5, 1, 1.5, 2; M = 10 values from 0 to the
        upper bound of a one-sided 1 - alpha interval for the largest pre-period second
        difference (R's DeltaSD_upperBound_Mpre).
    target : int, "average" or sequence of float
        theta = l_vec' tau_post: a post event time (0 = on impact, R's default), the average
        of the post periods, or the weights l_vec.
    alpha : float
        1 - confidence level.
    grid_points, grid_lb, grid_ub
        The grid of theta on which the C-LF test is inverted (R's defaults: 1000 points over
        l'beta_post +- (Mbar * sum_t t|l_t| * largest pre-period change + 20 sd)).
    lf_draws, seed
        Draws and seed for the least-favourable critical value of the C-LF hybrid.
    breakdown_tol
        Tolerance of the breakdown value (bisection), relative to the largest value of `m`.

    Returns
    -------
    HonestResult
        `tidy()`, `summary()`, `plot()`, `breakdown`.
    """
    if restriction not in RESTRICTIONS:
        raise EstimationError(f"honest_did: restriction must be one of {RESTRICTIONS}, got "
                              f"{restriction!r}")
    if not 0 < alpha < 1:
        raise EstimationError(f"honest_did: alpha must be in (0, 1), got {alpha}")
    notes: list[str] = []
    if isinstance(estimate, np.ndarray | list | tuple | pd.Series):
        b, S, T, Tbar = _check_arrays(estimate, sigma, num_pre, num_post)
        source = "arrays"
    else:
        if sigma is not None or num_pre is not None or num_post is not None:
            raise EstimationError("honest_did: sigma, num_pre and num_post go with an array "
                                  "of coefficients, not with a result")
        ev, b0, v0, source, notes = _from_result(estimate)
        b, S, T, Tbar = _check_arrays(b0, v0, int((ev < 0).sum()), int((ev >= 0).sum()))
    l_vec, label = _target(target, Tbar)
    rng = np.random.default_rng(seed)
    if restriction == "relative_magnitude":
        grid_m = np.array([0.5, 1.0, 1.5, 2.0] if m is None else m, dtype=float)
        method = "C-LF"
        lroot = _sqrt_psd(S)
        z = rng.standard_normal((lf_draws, T + Tbar)) @ lroot.T

        def ci(x: float) -> tuple[float, float]:
            lo, hi, widened = _rm_ci(b, S, T, l_vec, x, alpha, grid_points, grid_lb, grid_ub,
                                     z)
            if widened:
                opened[x] = widened
            return lo, hi
        opened: dict[float, int] = {}
    else:
        method = "FLCI"
        if m is None:
            if T < 2:
                raise EstimationError("honest_did: the default M grid needs two pre-period "
                                      "coefficients; give m")
            grid_m = np.linspace(0, _sd_upper_bound(b, S, T, alpha), 10)
        else:
            grid_m = np.asarray(m, dtype=float)
        solver = _Flci(S, l_vec, T)

        def ci(x: float) -> tuple[float, float]:
            return _flci(b, S, T, l_vec, x, alpha, solver)
        opened = {}
    if grid_m.ndim != 1 or grid_m.size == 0 or np.any(~np.isfinite(grid_m)) or np.any(grid_m < 0):
        raise EstimationError("honest_did: m must be a non-empty list of values >= 0")
    bounds = [ci(float(x)) for x in grid_m]
    table = pd.DataFrame({"m": grid_m, "ci_low": [x[0] for x in bounds],
                          "ci_high": [x[1] for x in bounds]})
    est = float(l_vec @ b[T:])
    se = float(np.sqrt(l_vec @ S[T:, T:] @ l_vec))
    zc = float(stats.norm.ppf(1 - alpha / 2))
    original = {"estimate": est, "std_error": se, "ci_low": est - zc * se,
                "ci_high": est + zc * se}
    widened = {float(x): opened[float(x)] for x in grid_m if float(x) in opened}
    if widened:
        notes.append("theta grid widened (the set reached an end of R's default grid) at "
                     + ", ".join(f"{x:g} ({k}x doubled)" for x, k in widened.items()))
    scale = float(grid_m.max()) if grid_m.max() > 0 else 1.0
    breakdown = _breakdown(ci, original, grid_m, breakdown_tol * scale)
    if source != "arrays":
        notes.insert(0, f"coefficients from {source}: {T} pre-period and {Tbar} post-period")
    return HonestResult(restriction, method, table, original, breakdown, label, l_vec, b, S, T,
                        Tbar, alpha, notes)


def _sqrt_psd(S: np.ndarray) -> np.ndarray:
    w, U = np.linalg.eigh(S)
    return U * np.sqrt(np.clip(w, 0, None))


def _sd_upper_bound(b: np.ndarray, S: np.ndarray, T: int, alpha: float) -> float:
    """Largest upper bound of one-sided 1 - alpha intervals for the pre-period second
    differences of (beta_pre, 0) (R's DeltaSD_upperBound_Mpre)."""
    k = T + 1
    A = np.zeros((k - 2, k))
    for r in range(k - 2):
        A[r, r:r + 3] = [1.0, -2.0, 1.0]
    A = A[:, :T]  # the reference coefficient 0 drops out
    diffs = A @ b[:T]
    se = np.sqrt(np.diag(A @ S[:T, :T] @ A.T))
    return float(np.max(diffs + stats.norm.ppf(1 - alpha) * se))


def _breakdown(ci: Any, original: dict[str, float], grid_m: np.ndarray, tol: float) -> float:
    """Largest M with 0 outside ci(M), by bisection from the grid (the sets grow with M)."""
    def excludes(x: float) -> bool:
        lo, hi = ci(x)
        return bool(np.isfinite(lo) and (lo > 0 or hi < 0))

    if original["ci_low"] <= 0 <= original["ci_high"]:
        return np.nan
    if not excludes(0.0):
        return 0.0
    lo = 0.0
    hi = float(grid_m.max()) if grid_m.max() > 0 else 1.0
    ok = [float(x) for x in np.sort(grid_m) if x > 0]
    for x in ok:  # the first grid value that no longer excludes 0 brackets the breakdown
        if excludes(x):
            lo = x
        else:
            hi = x
            break
    else:
        hi = max(lo, 1e-3) * 2
        for _ in range(60):
            if not excludes(hi):
                break
            lo, hi = hi, hi * 2
        else:
            return np.inf
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if excludes(mid):
            lo = mid
        else:
            hi = mid
    return lo
