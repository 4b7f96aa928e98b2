"""Known-truth simulation: CS recovers ATT(g,t); TWFE is biased (direction known by construction).

DGP: unit and period effects, staggered cohorts 4/6/8 plus never treated, and treatment effects
that grow with time since adoption: ATT(g,t) = slope_g * (t - g + 1) for t >= g, 0 before.
With growing effects the TWFE "later vs earlier treated" comparisons subtract part of the earlier
cohorts' growing effect, so TWFE understates the overall ATT.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p3k_study.estimate import att_gt, bacon_decomposition, twfe

T = 10
COHORTS = {0: 0.25, 4: 0.25, 6: 0.25, 8: 0.25}
SLOPE = {4: 0.5, 6: 0.3, 8: 0.2}


def true_att(g: int, t: int) -> float:
    return SLOPE[g] * (t - g + 1) if t >= g else 0.0


def simulate(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(list(COHORTS), [int(n * s) for s in COHORTS.values()])
    alpha = rng.normal(size=n) + 0.3 * (g > 0)  # treated units differ in levels only
    lam = np.linspace(0, 1, T)
    rows = []
    for t in range(1, T + 1):
        eff = np.array([true_att(gi, t) if gi > 0 else 0.0 for gi in g])
        y = 50 + alpha + lam[t - 1] + eff + rng.normal(scale=1.0, size=n)
        rows.append(pd.DataFrame({"unit": np.arange(n), "t": t, "cohort": g, "y": y}))
    d = pd.concat(rows, ignore_index=True)
    d["treated"] = ((d["cohort"] > 0) & (d["t"] >= d["cohort"])).astype(int)
    return d


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return simulate()


def test_cs_recovers_cells(data):
    r = att_gt(data, "y", "unit", "t", "cohort")
    truth = np.array([true_att(g, t) for g, t in zip(r.table["cohort"], r.table["time"],
                                                     strict=True)])
    z = (r.table["att"].to_numpy() - truth) / r.table["se"].to_numpy()
    assert np.all(np.abs(z) < 4), z
    # pre-trends hold in the DGP
    assert r.pretrend_test().p_value > 0.001


def test_cs_recovers_aggregates(data):
    r = att_gt(data, "y", "unit", "t", "cohort", control_group="not_yet_treated")
    post = r.table[r.table["post"]]
    pg = post["cohort"].map(lambda g: COHORTS[g])
    truth_cells = np.array([true_att(g, t) for g, t in zip(post["cohort"], post["time"],
                                                           strict=True)])
    simple_truth = float(np.sum(pg * truth_cells) / pg.sum())
    s = r.aggregate("simple")
    assert abs(s.att - simple_truth) < 4 * s.se
    dyn = r.aggregate("dynamic").table.set_index("event_time")
    for e in (0, 1, 2):
        gs = [g for g in SLOPE if g + e <= T]
        truth = np.average([SLOPE[g] * (e + 1) for g in gs], weights=[COHORTS[g] for g in gs])
        assert abs(dyn.loc[e, "att"] - truth) < 4 * dyn.loc[e, "se"]


def test_twfe_is_biased_downward(data):
    r = att_gt(data, "y", "unit", "t", "cohort")
    simple = r.aggregate("simple")
    tw = twfe(data, "y", "treated", "unit", "t")
    b, se = tw.params["treated"], tw.std_errors["treated"]
    assert b < simple.att - 5 * se  # understated, far beyond sampling noise
    bac = bacon_decomposition(data, "y", "unit", "t", "cohort")
    forbidden = bac.table[bac.table["type"] == "Later vs earlier treated"]
    assert (forbidden["estimate"] < 0).any()  # negative 2x2s from already-treated controls
    assert (bac.table["weight"] * bac.table["estimate"]).sum() == pytest.approx(b, abs=1e-10)
