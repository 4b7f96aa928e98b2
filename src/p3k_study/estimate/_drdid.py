"""Two-period panel DiD estimators with influence functions (ports of DRDID's panel estimators).

Each function takes the outcome change `dy` (n,), the treated indicator `d` (n,) and a covariate
matrix `x` (n, p) whose first column is the intercept, and returns (att, influence function (n,)),
with the influence function scaled like DRDID's so that se = sqrt(sum(if**2)) / n.

* `reg_did_panel`: outcome regression (Heckman, Ichimura & Todd 1997), DRDID::reg_did_panel.
* `std_ipw_did_panel`: normalised IPW (Abadie 2005), DRDID::std_ipw_did_panel.
* `drdid_panel`: locally efficient doubly robust DiD (Sant'Anna & Zhao 2020), DRDID::drdid_panel;
  this is what R did's est_method="dr" calls for panel data (did R/compute.att_gt.R).
* `drdid_imp_panel`: improved locally efficient doubly robust DiD (Sant'Anna & Zhao 2020),
  DRDID::drdid_imp_panel, with the inverse-probability-tilting propensity score.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._common import EstimationError

_TRIM = 0.995


def _solve_sym(a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError as err:
        raise EstimationError(
            f"{what}: the covariate matrix is singular (collinear covariates, or a covariate "
            "that is constant within the units used); drop or combine covariates"
        ) from err


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray, what: str) -> np.ndarray:
    xtwx = (x * w[:, None]).T @ x
    if np.linalg.matrix_rank(xtwx) < x.shape[1]:
        raise EstimationError(
            f"{what}: outcome regression on the comparison units is rank deficient "
            "(collinear covariates); drop or combine covariates"
        )
    return _solve_sym(xtwx, (x * w[:, None]).T @ y, what)


def logit_fit(x: np.ndarray, d: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Logit MLE by Newton-Raphson; returns (coefficients, fitted probabilities)."""
    beta = np.zeros(x.shape[1])
    p1 = d.mean()
    beta[0] = np.log(p1 / (1 - p1))
    for _ in range(100):
        p = expit(x @ beta)
        w = p * (1 - p)
        grad = x.T @ (d - p)
        hess = (x * w[:, None]).T @ x
        step = _solve_sym(hess, grad, what)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-11:
            break
    p = expit(x @ beta)
    if np.any(p > 1 - 1e-10) or np.any(p < 1e-10):
        import warnings

        from ._common import EstimationWarning

        warnings.warn(f"{what}: propensity scores at 0 or 1 (covariates nearly separate treated "
                      "and comparison units); estimates may be unstable", EstimationWarning,
                      stacklevel=5)
    return beta, p


def ipt_pscore(x: np.ndarray, d: np.ndarray, what: str) -> np.ndarray:
    """Inverse probability tilting propensity score (Graham, Pinto & Egel 2012), as DRDID's
    pscore.cal: minimise mean((1-d) exp(x'g) - d x'g), start at the logit MLE."""
    g, _ = logit_fit(x, d, what)
    c = 1.0 - d
    n = len(d)

    def loss(gam: np.ndarray) -> float:
        z = x @ gam
        return float(np.mean(c * np.exp(z) - d * z))

    cur = loss(g)
    for _ in range(200):
        ez = np.exp(x @ g)
        grad = x.T @ (c * ez - d) / n
        hess = (x * (c * ez)[:, None]).T @ x / n
        step = _solve_sym(hess, grad, what)
        t = 1.0
        while True:
            new = g - t * step
            val = loss(new)
            if val <= cur + 1e-14 or t < 1e-8:
                break
            t /= 2
        g, cur = new, val
        if np.max(np.abs(t * step)) < 1e-12:
            break
    return expit(x @ g)


def reg_did_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, what: str = "reg"
                  ) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD (DRDID::reg_did_panel)."""
    n = len(dy)
    c = 1.0 - d
    beta = _wls(x[c == 1], dy[c == 1], np.ones(int(c.sum())), what)
    out_delta = x @ beta
    w_treat = d
    w_cont = d
    att_treat = w_treat * dy
    att_cont = w_cont * out_delta
    eta_treat = att_treat.mean() / w_treat.mean()
    eta_cont = att_cont.mean() / w_cont.mean()
    wols_x = c[:, None] * x
    wols_ex = (c * (dy - out_delta))[:, None] * x
    xpx_inv = np.linalg.inv(wols_x.T @ x / n)
    asy_lin_rep_ols = wols_ex @ xpx_inv
    inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
    inf_cont_1 = att_cont - w_cont * eta_cont
    m1 = (w_cont[:, None] * x).mean(axis=0)
    inf_cont_2 = asy_lin_rep_ols @ m1
    inf_control = (inf_cont_1 + inf_cont_2) / w_cont.mean()
    return float(eta_treat - eta_cont), inf_treat - inf_control


def std_ipw_did_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, what: str = "ipw"
                      ) -> tuple[float, np.ndarray]:
    """Normalised inverse-probability-weighted DiD (DRDID::std_ipw_did_panel)."""
    n = len(dy)
    _, ps_raw = logit_fit(x, d, what)
    hess_ps = np.linalg.inv((x * (ps_raw * (1 - ps_raw))[:, None]).T @ x) * n
    ps = np.minimum(ps_raw, 1 - 1e-6)
    trim = np.where(d == 1, ps < 1.01, ps < _TRIM).astype(float)
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    att_treat = w_treat * dy
    att_cont = w_cont * dy
    eta_treat = att_treat.mean() / w_treat.mean()
    eta_cont = att_cont.mean() / w_cont.mean()
    score_ps = (d - ps)[:, None] * x
    asy_lin_rep_ps = score_ps @ hess_ps
    inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
    inf_cont_1 = att_cont - w_cont * eta_cont
    m2 = ((w_cont * (dy - eta_cont))[:, None] * x).mean(axis=0)
    inf_cont_2 = asy_lin_rep_ps @ m2
    inf_control = (inf_cont_1 + inf_cont_2) / w_cont.mean()
    return float(eta_treat - eta_cont), inf_treat - inf_control


def drdid_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, what: str = "dr"
                ) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD (DRDID::drdid_panel, R did's est_method 'dr'): logit
    propensity score and OLS outcome regression on the comparison units."""
    n = len(dy)
    c = 1.0 - d
    _, ps_raw = logit_fit(x, d, what)
    hess_ps = np.linalg.inv((x * (ps_raw * (1 - ps_raw))[:, None]).T @ x) * n
    ps = np.minimum(ps_raw, 1 - 1e-6)
    trim = np.where(d == 1, ps < 1.01, ps < _TRIM).astype(float)
    beta = _wls(x[c == 1], dy[c == 1], np.ones(int(c.sum())), what)
    out_delta = x @ beta
    w_treat = trim * d
    w_cont = trim * ps * c / (1 - ps)
    dr_treat = w_treat * (dy - out_delta)
    dr_cont = w_cont * (dy - out_delta)
    eta_treat = dr_treat.mean() / w_treat.mean()
    eta_cont = dr_cont.mean() / w_cont.mean()
    xpx_inv = np.linalg.inv((c[:, None] * x).T @ x / n)
    asy_lin_rep_wols = ((c * (dy - out_delta))[:, None] * x) @ xpx_inv
    asy_lin_rep_ps = ((d - ps)[:, None] * x) @ hess_ps
    inf_treat_1 = dr_treat - w_treat * eta_treat
    inf_treat_2 = asy_lin_rep_wols @ (w_treat[:, None] * x).mean(axis=0)
    inf_treat = (inf_treat_1 - inf_treat_2) / w_treat.mean()
    inf_cont_1 = dr_cont - w_cont * eta_cont
    m2 = ((w_cont * (dy - out_delta - eta_cont))[:, None] * x).mean(axis=0)
    inf_cont_2 = asy_lin_rep_ps @ m2
    inf_cont_3 = asy_lin_rep_wols @ (w_cont[:, None] * x).mean(axis=0)
    inf_control = (inf_cont_1 + inf_cont_2 - inf_cont_3) / w_cont.mean()
    return float(eta_treat - eta_cont), inf_treat - inf_control


def drdid_imp_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray, what: str = "dr"
                    ) -> tuple[float, np.ndarray]:
    """Improved doubly robust DiD (DRDID::drdid_imp_panel): IPT propensity score plus weighted
    outcome regression; its influence function has no estimation-effect terms."""
    ps = np.full(len(d), d.mean()) if x.shape[1] == 1 else ipt_pscore(x, d, what)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(d == 1, ps < 1.01, ps < _TRIM).astype(float)
    c = d == 0
    beta = _wls(x[c], dy[c], ps[c] / (1 - ps[c]), what)
    out_delta = x @ beta
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    dr_treat = w_treat * (dy - out_delta)
    dr_cont = w_cont * (dy - out_delta)
    eta_treat = dr_treat.mean() / w_treat.mean()
    eta_cont = dr_cont.mean() / w_cont.mean()
    inf1 = (dr_treat - w_treat * eta_treat) / w_treat.mean()
    inf0 = (dr_cont - w_cont * eta_cont) / w_cont.mean()
    return float(eta_treat - eta_cont), inf1 - inf0


ESTIMATORS = {"reg": reg_did_panel, "ipw": std_ipw_did_panel, "dr": drdid_panel,
              "dr_imp": drdid_imp_panel}
