"""Defects of issue 14 in the estimators, one test (or more) each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyfixest.estimation import demean

from p3k_study.estimate import EstimationError, event_study, twfe

ARGS = ("lemp", "countyreal", "year", "first.treat")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    from pathlib import Path

    d = pd.read_csv(Path(__file__).parent / "data" / "mpdta.csv")
    d["post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    return d


def _drop_one_duplicate_another(d: pd.DataFrame) -> pd.DataFrame:
    """Same row count as the balanced panel: row 3 dropped, row 10 doubled."""
    return pd.concat([d.drop(index=3), d.iloc[[10]]], ignore_index=True)


# ---------------------------------------------------------------- 6: duplicates, balance check
@pytest.mark.parametrize("call", [
    lambda d: twfe(d, "lemp", "post", "countyreal", "year"),
    lambda d: event_study(d, *ARGS, method="twfe"),
    lambda d: event_study(d, *ARGS, method="sun_abraham"),
    lambda d: event_study(d, *ARGS, method="cs"),
])
def test_duplicate_unit_periods_refused_naming_them(mpdta, call):
    d = _drop_one_duplicate_another(mpdta)
    unit, year = d.iloc[-1][["countyreal", "year"]]
    with pytest.raises(EstimationError, match=rf"duplicated.*\({unit:g}, {year:g}\)"):
        call(d)


def test_two_way_demean_shortcut_checks_actual_balance():
    """Rows = units x periods but one cell missing and another doubled: not balanced, so the
    closed form must not be used (it gave Sun-Abraham estimates 0.04 away from pyfixest)."""
    import importlib

    es = importlib.import_module("p3k_study.estimate.event_study")
    rng = np.random.default_rng(0)
    u = np.repeat(np.arange(6), 4)
    t = np.tile(np.arange(4), 6)
    u, t = u.copy(), t.copy()
    t[5] = t[4]  # unit 1: period 1 missing, period 0 twice; still 24 rows
    x = rng.normal(size=(24, 2))
    got = es._two_way_demean(x, u, t)
    want, _ = demean(x.copy(), np.column_stack([u, t]).astype(np.uint64), np.ones(24),
                     tol=1e-12, maxiter=100_000)
    np.testing.assert_allclose(got, want, atol=1e-8)
