"""Size of the pre-trend tests under known truth (parallel trends, no anticipation).

Simulated staggered panels where every pre-treatment effect is exactly zero: over R seeds a 5%
test must reject in about 5% of them. The acceptance band is the central 99.9% interval of
Binomial(R, 0.05), so a correct test fails by chance about once in a thousand runs, and the
asymptotic chi2 that R did prints (which rejected in 15-99% of these designs) fails it.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures_panel import make_panel
from scipy import stats

from p3k_study.estimate import EstimationError, EstimationWarning, att_gt, event_study

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "mpdta_did.json").read_text())


def band(reps: int, level: float = 0.999) -> tuple[float, float]:
    """Central `level` interval of the rejection rate of a 5% test over `reps` draws."""
    lo, hi = stats.binom.ppf([(1 - level) / 2, (1 + level) / 2], reps, 0.05)
    return lo / reps, hi / reps


def simulate(seed: int, sizes: dict[int, int], periods: int, n_clusters: int = 0
             ) -> pd.DataFrame:
    """Parallel trends (unit effect + common trend + random-walk noise), effects only from the
    cohort's first period on (1 + 0.2 x periods since adoption); cohort 0 = never treated."""
    rng = np.random.default_rng(seed)
    g = np.repeat(list(sizes), list(sizes.values()))
    n = len(g)
    t = np.arange(1, periods + 1)
    post = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = (rng.normal(size=n)[:, None] + 0.3 * t[None, :] + 0.5 * rng.normal(size=(n, periods))
         + 0.5 * np.cumsum(rng.normal(size=(n, periods)), axis=1)
         + post * (1.0 + 0.2 * (t[None, :] - g[:, None])))
    d = pd.DataFrame({"u": np.repeat(np.arange(n), periods), "t": np.tile(t, n),
                      "g": np.repeat(g, periods), "y": y.ravel()})
    d["cl"] = d["u"] % n_clusters if n_clusters else d["u"]
    return d


def rejection_rates(sizes: dict[int, int], periods: int, reps: int, **kwargs: object
                    ) -> tuple[float, float, set[str]]:
    """Share of seeds where the default test and R's asymptotic chi2 reject at 5%."""
    p_f, p_chi2, used = [], [], set()
    for seed in range(reps):
        d = simulate(seed, sizes, periods)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            r = att_gt(d, "y", "u", "t", "g", **kwargs)  # type: ignore[arg-type]
            pt = r.pretrend_test()
        p_f.append(pt.p_value)
        p_chi2.append(pt.chi2_p_value)
        used.add(pt.by)
    return float(np.mean(np.array(p_f) < 0.05)), float(np.mean(np.array(p_chi2) < 0.05)), used


MEDIUM = {0: 60, 3: 20, 5: 20, 7: 20}  # 20 units per cohort, up to 5 pre-periods each
SMALL = {0: 16, 4: 7, 5: 5, 6: 4, 7: 4, 8: 4}  # like tests/fixtures_panel.py: 40 units


def test_att_gt_cells_size_with_moderate_cohorts():
    lo, hi = band(200)
    rate, rate_chi2, used = rejection_rates(MEDIUM, 8, 200)
    assert used == {"cells"}
    assert lo <= rate <= hi, rate
    assert rate_chi2 > hi  # the asymptotic chi2 is what over-rejected


def test_att_gt_size_with_small_cohorts_falls_back_to_event_time():
    lo, hi = band(200)
    rate, rate_chi2, used = rejection_rates(SMALL, 12, 200, control_group="not_yet_treated")
    assert used == {"event_time"}
    assert lo <= rate <= hi, rate
    assert rate_chi2 > hi


def test_att_gt_size_with_few_clusters():
    lo, hi = band(200)
    p = []
    for seed in range(200):
        d = simulate(seed, MEDIUM, 8, n_clusters=12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            p.append(att_gt(d, "y", "u", "t", "g", cluster="cl").pretrend_test().p_value)
    assert lo <= float(np.mean(np.array(p) < 0.05)) <= hi


def test_fixture_panel_no_longer_explodes():
    """The case reported: chi2 = 803, p = 3e-157 on the 40-unit fixture with parallel trends."""
    panel = make_panel(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = att_gt(panel, "ikm", "unit_id", "period_index", "cohort",
                   control_group="not_yet_treated")
    old = r.pretrend_test(by="cells", small_sample=False)
    assert old.p_value < 1e-100  # R did's figure, reproduced
    pt = r.pretrend_test()
    assert pt.by == "event_time" and "too few units" in pt.note
    assert pt.p_value > 0.01
    assert "Pre-trend test: F(" in r.summary()


def test_r_did_pretest_reproduced_with_small_sample_false():
    mpdta = pd.read_csv(HERE / "data" / "mpdta.csv")
    r = att_gt(mpdta, "lemp", "countyreal", "year", "first.treat")
    pt = r.pretrend_test(by="cells", small_sample=False)
    assert pt.df == 5 and pt.method.startswith("chi2")
    assert round(pt.p_value, 5) == REF["no_covariates_never_treated_dr"]["pretrend_p_value"][
        "value"]
    auto = r.pretrend_test()  # cohorts of 20-131 counties, <= 3 pre-periods: cell test
    assert auto.by == "cells" and auto.chi2 == pytest.approx(pt.statistic)
    assert 0 < auto.p_value < 1 and np.isfinite(auto.df_denom)
    with pytest.raises(EstimationError, match="by must be"):
        r.pretrend_test(by="cohort")


def test_singular_covariance_gives_nan_and_warning():
    d = simulate(1, MEDIUM, 8, n_clusters=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        r = att_gt(d, "y", "u", "t", "g", cluster="cl")
    with pytest.warns(EstimationWarning, match="no p-value"):
        pt = r.pretrend_test(by="cells")
    assert np.isnan(pt.p_value) and "singular" in pt.note


@pytest.mark.parametrize("method", ["twfe", "sun_abraham", "cs"])
def test_event_study_pretrend_size(method):
    reps = 100
    lo, hi = band(reps)
    p = []
    for seed in range(reps):
        d = simulate(seed, MEDIUM, 8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimationWarning)
            r = event_study(d, "y", "u", "t", "g", method=method, leads=3, lags=3)
        p.append(r.pretrend_test().p_value)
    assert lo <= float(np.mean(np.array(p) < 0.05)) <= hi
