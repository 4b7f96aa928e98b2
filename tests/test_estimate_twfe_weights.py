"""de Chaisemartin-D'Haultfoeuille (2020) TWFE weights: exact identities and a reference run."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

import p3k_study
from p3k_study.estimate import EstimationError, twfe_weights

matplotlib.use("Agg")
HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "mpdta_twowayfeweights.json").read_text())


def panel_with_cell_effects(seed: int, drop: int = 0) -> tuple[pd.DataFrame, dict]:
    """Y = unit effect + period effect + delta_gt * D, no noise; delta_gt drawn per cohort x
    period cell (some negative); `drop` random rows removed to unbalance the panel."""
    rng = np.random.default_rng(seed)
    n, periods = 300, 9
    g = rng.choice([0, 3, 4, 6, 8, 10], size=n)  # 10 = after the window: never within it
    delta = {(c, t): float(rng.normal(1.0, 2.0)) for c in (3, 4, 6, 8) for t in range(c, 10)}
    t = np.tile(np.arange(1, periods + 1), n)
    gg = np.repeat(g, periods)
    treated = (gg > 0) & (t >= gg)
    eff = np.array([delta.get((a, b), 0.0) for a, b in zip(gg, t, strict=True)]) * treated
    y = np.repeat(rng.normal(size=n) * 3, periods) + rng.normal(size=periods)[t - 1] + eff
    d = pd.DataFrame({"u": np.repeat(np.arange(n), periods), "t": t, "g": gg, "y": y,
                      "D": treated.astype(float)})
    if drop:
        d = d.drop(index=rng.choice(len(d), size=drop, replace=False)).reset_index(drop=True)
    return d, delta


@pytest.mark.parametrize("drop", [0, 150])
def test_weights_reproduce_twfe_exactly(drop):
    d, delta = panel_with_cell_effects(3, drop)
    r = twfe_weights(d, "y", "u", "t", "g")
    beta = float(pf.feols("y ~ D | u + t", data=d).coef()["D"])
    implied = sum(w * delta[(c, t)] for c, t, w in
                  zip(r.table["cohort"], r.table["time"], r.table["weight"], strict=True))
    assert r.table["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert implied == pytest.approx(beta, abs=1e-10)
    assert r.beta == pytest.approx(beta, abs=1e-10)
    # w is the per-observation weight: its treated-observation mean is 1
    share = r.table["n_obs"] / r.table["n_obs"].sum()
    assert float((share * r.table["w"]).sum()) == pytest.approx(1.0, abs=1e-10)


def test_identity_fails_for_wrong_weights():
    """The identity is sharp: equal weights (the ATT) do not reproduce beta here."""
    d, delta = panel_with_cell_effects(3)
    r = twfe_weights(d, "y", "u", "t", "g")
    share = r.table["n_obs"] / r.table["n_obs"].sum()
    att = sum(s * delta[(c, t)] for c, t, s in
              zip(r.table["cohort"], r.table["time"], share, strict=True))
    assert abs(att - r.beta) > 0.05
    assert r.n_negative > 0 and r.sum_negative < 0  # early cohorts in late periods


def test_matches_twowayfeweights_on_mpdta():
    d = pd.read_csv(HERE / "data" / "mpdta.csv")
    r = twfe_weights(d, "lemp", "countyreal", "year", "first.treat")
    assert r.beta == pytest.approx(REF["beta"], abs=1e-10)
    assert r.sum_negative == pytest.approx(REF["sum_minus"], abs=1e-10)
    assert r.sum_positive == pytest.approx(REF["sum_plus"], abs=1e-10)
    neg = r.table.loc[r.table["negative"], "n_obs"].sum()
    assert neg == REF["n_negative_unit_cells"]
    assert r.sigma_fe_dof == pytest.approx(REF["sensibility"], abs=1e-10)
    assert r.sigma_fe_underline == pytest.approx(REF["sensibility2"], abs=1e-10)
    assert r.sigma_fe > r.sigma_fe_dof


def test_no_negative_weights_with_two_periods():
    d = pd.DataFrame({"u": np.repeat(np.arange(6), 2), "t": np.tile([1, 2], 6),
                      "g": np.repeat([0, 0, 0, 2, 2, 2], 2), "y": np.arange(12.0)})
    r = twfe_weights(d, "y", "u", "t", "g")
    assert r.n_negative == 0 and np.isnan(r.sigma_fe_underline)
    assert r.table["weight"].tolist() == pytest.approx([1.0])


def test_tidy_summary_plot_and_export():
    d, _ = panel_with_cell_effects(1)
    r = p3k_study.twfe_weights(d, "y", "u", "t", "g")
    tidy = r.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                  "ci_low", "ci_high"]
    assert tidy.loc[0, "estimate"] == r.beta
    assert "sigma_fe" in r.summary() and "de Chaisemartin" in r.summary()
    assert r.plot() is not None


def test_errors():
    d, _ = panel_with_cell_effects(1)
    with pytest.raises(EstimationError, match="not in the data"):
        twfe_weights(d, "nope", "u", "t", "g")
    with pytest.raises(EstimationError, match="does not vary"):
        twfe_weights(d.assign(g=0), "y", "u", "t", "g")
    with pytest.raises(EstimationError, match="duplicated"):
        twfe_weights(pd.concat([d, d.head(1)]), "y", "u", "t", "g")
