"""honest_did (Rambachan & Roth 2023) against the HonestDiD R package's published example and
moderndid 0.2.0 / diff-diff 3.13.0 (tests/reference/honest.json, made by
tests/reference/make_honest_reference.py).

Tolerances, and why:
* FLCI (smoothness): ours minimises the half-length exactly; R and moderndid minimise over a
  grid of 100 standard deviations, diff-diff over a zoomed grid. The optimum is flat, so equally
  long intervals can sit a little apart: against moderndid 1e-4, diff-diff 1e-5, R's printed
  numbers their rounding (3 significant digits) plus 5e-5; ours is never longer (1e-9).
* C-LF (relative magnitudes): the set is the accepted points of a theta grid, and the
  least-favourable critical value is simulated (R and moderndid: 1,000 draws of their own
  generators; ours 10,000), so an end point moves with the draws: by up to two grid steps on
  the Medicaid average across seeds of ours. Tolerance two grid steps (plus the printed
  rounding against R). Against R the grid is R's default (1000 points);
  against moderndid the smaller grid it was run with (stored in the JSON; its C-LF takes about
  a minute per Mbar).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p3k_study import att_gt, did_imputation, event_study, honest_did
from p3k_study.estimate import EstimationError, HonestResult

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "reference" / "honest.json").read_text())
MED, MP = REF["medicaid"], REF["mpdta"]


def _arrays(case: dict) -> tuple[np.ndarray, np.ndarray, int, int]:
    return (np.array(case["betahat"]), np.array(case["sigma"]), case["num_pre"],
            case["num_post"])


def _target(name: str) -> int | str:
    return 0 if name == "first" else "average"


def _rm_step(case: dict, mbar: float, lv: np.ndarray, grid_points: int) -> float:
    """R's default theta grid step for Delta^RM(Mbar)."""
    b, s, T, Tbar = _arrays(case)
    sd = float(np.sqrt(lv @ s[T:, T:] @ lv))
    maxpre = float(np.abs(np.diff(np.r_[b[:T], 0.0])).max())
    half = mbar * float(np.arange(1, Tbar + 1) @ np.abs(lv)) * maxpre + 20 * sd
    return 2 * half / (grid_points - 1)


def _lvec(name: str, Tbar: int) -> np.ndarray:
    return np.eye(Tbar)[0] if name == "first" else np.full(Tbar, 1 / Tbar)


def _printed(x: float) -> float:
    """Half a unit of the third significant digit of x (R prints 3)."""
    return 0.5 * 10 ** (np.floor(np.log10(abs(x))) - 2)


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "mpdta.csv")


@pytest.fixture(scope="module")
def mpdta_dynamic(mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(mpdta, "lemp", "countyreal", "year", "first.treat", base_period="universal")
    return r.aggregate("dynamic")


# ------------------------------------------------------------------ published example
@pytest.mark.parametrize("name", ["first"])
def test_smoothness_matches_r_readme(name):
    pub = MED["published"][f"sd_{name}"]
    r = honest_did(*_arrays(MED), restriction="smoothness", m=[row[0] for row in pub],
                   target=_target(name))
    assert r.method == "FLCI"
    for (_, lo, hi), (_, mlo, mhi) in zip(pub, r.table.itertuples(index=False), strict=True):
        assert mlo == pytest.approx(lo, abs=_printed(lo) + 5e-5)
        assert mhi == pytest.approx(hi, abs=_printed(hi) + 5e-5)


@pytest.mark.parametrize("name", ["first", "average"])
def test_relative_magnitudes_match_r_readme(name):
    pub = MED["published"][f"rm_{name}"]
    lv = _lvec(name, MED["num_post"])
    r = honest_did(*_arrays(MED), m=[row[0] for row in pub], target=_target(name))
    assert r.method == "C-LF"
    for (mbar, lo, hi), (_, mlo, mhi) in zip(pub, r.table.itertuples(index=False), strict=True):
        # the average rows come from the Stata port's README, printed with 3 decimals
        rounding = (lambda x: 5e-4) if name == "average" else _printed
        step = _rm_step(MED, mbar, lv, 1000)
        assert mlo == pytest.approx(lo, abs=2 * step + rounding(lo))
        assert mhi == pytest.approx(hi, abs=2 * step + rounding(hi))


def test_original_interval_matches_r_readme():
    for name in ("first", "average"):
        r = honest_did(*_arrays(MED), m=[1.0], target=_target(name))
        lo, hi = MED["published"][f"original_{name}"]
        assert r.original["ci_low"] == pytest.approx(lo, abs=5e-4)
        assert r.original["ci_high"] == pytest.approx(hi, abs=5e-4)


def test_breakdown_matches_r_readme():
    # README: significant up to Mbar = 2 on its grid 0.5..2 (the set at 2 contains 0), and
    # M ~ 0.03 on 0..0.05 (the set at 0.02 excludes 0, at 0.03 contains it)
    rm = honest_did(*_arrays(MED), m=[0.5, 1, 1.5, 2])
    assert 1.5 < rm.breakdown <= 2.0
    sd = honest_did(*_arrays(MED), restriction="smoothness", m=[0, 0.01, 0.02, 0.03])
    assert 0.02 < sd.breakdown < 0.03


# ------------------------------------------------------------------ peers
@pytest.mark.parametrize("case_name", ["medicaid", "mpdta"])
@pytest.mark.parametrize("name", ["first", "average"])
def test_smoothness_matches_moderndid_and_diff_diff(case_name, name):
    case = REF[case_name]
    for peer, tol in ((f"sd_{name}", 1e-4), (f"diff_diff_sd_{name}", 1e-5)):
        rows = case["peers"][peer]
        r = honest_did(*_arrays(case), restriction="smoothness", m=[x[0] for x in rows],
                       target=_target(name))
        ours = r.table[["ci_low", "ci_high"]].to_numpy()
        np.testing.assert_allclose(ours, np.array(rows)[:, 1:], atol=tol, rtol=0)
        # ours is the exact optimum: never longer than the peers' grid searches
        assert np.all(ours[:, 1] - ours[:, 0] <= np.diff(np.array(rows)[:, 1:]).ravel() + 1e-9)


@pytest.mark.parametrize(("case_name", "name"), [("medicaid", "first"), ("medicaid", "average")])
def test_relative_magnitudes_match_moderndid(case_name, name):
    case = REF[case_name]
    rows = case["peers"][f"rm_{name}"]
    lv = _lvec(name, case["num_post"])
    grid_points = case["peers"][f"rm_{name}_grid_points"]
    r = honest_did(*_arrays(case), m=[x[0] for x in rows], target=_target(name),
                   grid_points=grid_points)
    for (mbar, lo, hi), (_, mlo, mhi) in zip(rows, r.table.itertuples(index=False), strict=True):
        step = _rm_step(case, mbar, lv, grid_points)
        assert mlo == pytest.approx(lo, abs=2 * step * 1.001)
        assert mhi == pytest.approx(hi, abs=2 * step * 1.001)


def test_mpdta_event_study_is_moderndids(mpdta_dynamic):
    """Our att_gt (universal base) gives the coefficients and covariance moderndid gives."""
    tab = mpdta_dynamic.table
    keep = tab["event_time"].to_numpy() != -1
    np.testing.assert_allclose(tab["att"].to_numpy()[keep], MP["betahat"], atol=1e-10)
    v = mpdta_dynamic.vcov()[np.ix_(keep, keep)]
    np.testing.assert_allclose(v, MP["sigma"], atol=1e-12, rtol=1e-8)
    assert list(tab["event_time"][keep]) == MP["event_times"]


def test_mpdta_result_matches_diff_diff_public_route(mpdta_dynamic):
    """honest_did on the att_gt result equals diff-diff's HonestDiD on its own CS fit."""
    for name in ("first", "average"):
        dd = MP["diff_diff_public_sd"][name]
        r = honest_did(mpdta_dynamic, restriction="smoothness", m=[x[0] for x in dd["ci"]],
                       target=_target(name))
        np.testing.assert_allclose(r.table[["ci_low", "ci_high"]].to_numpy(),
                                   np.array(dd["ci"])[:, 1:], atol=1e-5, rtol=0)
        if dd["breakdown"] is None or dd["breakdown"] == 0:
            continue
        # diff-diff bisects 20 times between grid values; ours to 1e-4 of the largest M
        assert r.breakdown == pytest.approx(dd["breakdown"], abs=2e-4 * max(dd["ci"])[0])


def test_breakdown_is_where_the_set_starts_to_cover_zero():
    r = honest_did(*_arrays(MED), target="average", m=[0, 0.5, 1, 1.5, 2])
    assert 0 < r.breakdown < 2
    below = honest_did(*_arrays(MED), target="average", m=[r.breakdown])
    above = honest_did(*_arrays(MED), target="average", m=[r.breakdown + 2 * 1e-4 * 2])
    assert below.table["ci_low"].iloc[0] > 0
    assert above.table["ci_low"].iloc[0] <= 0


# ------------------------------------------------------------------ inputs of this package
def test_event_study_result_gives_its_own_coefficients(mpdta):
    es = event_study(mpdta, "lemp", "countyreal", "year", "first.treat", method="twfe")
    t = es.table[~es.table["reference"]]
    v = es.vcov() if callable(es.vcov) else es.vcov
    pre = int((t["event_time"] < 0).sum())
    by_hand = honest_did(t["estimate"].to_numpy(), v, pre, len(t) - pre,
                         restriction="smoothness", m=[0, 0.01])
    from_result = honest_did(es, restriction="smoothness", m=[0, 0.01])
    pd.testing.assert_frame_equal(from_result.table, by_hand.table)


def test_cs_event_study_and_aggregate_agree(mpdta, mpdta_dynamic):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = event_study(mpdta, "lemp", "countyreal", "year", "first.treat", method="cs",
                         base_period="universal")
    a = honest_did(es, m=[1.0])
    b = honest_did(mpdta_dynamic, m=[1.0])
    pd.testing.assert_frame_equal(a.table, b.table)


def test_varying_base_period_is_refused(mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agg = att_gt(mpdta, "lemp", "countyreal", "year", "first.treat").aggregate("dynamic")
    with pytest.raises(EstimationError, match="base_period='universal'"):
        honest_did(agg)


def test_imputation_leads_are_the_pre_periods(mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = did_imputation(mpdta, "lemp", "countyreal", "year", "first.treat", leads=3)
    t = im.tidy()
    rows = t.index[t["kind"].isin(["pre", "post"])].to_numpy()
    order = rows[np.argsort(t.loc[rows, "event_time"].to_numpy())]
    b = t.loc[order, "estimate"].to_numpy()
    v = im.vcov()[np.ix_(order, order)]
    r = honest_did(im, restriction="smoothness", m=[0.01], target="average")
    by_hand = honest_did(b, v, 3, 4, restriction="smoothness", m=[0.01], target="average")
    pd.testing.assert_frame_equal(r.table, by_hand.table)
    assert any("leads" in n for n in r.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        no_leads = did_imputation(mpdta, "lemp", "countyreal", "year", "first.treat", leads=0)
    with pytest.raises(EstimationError, match="no leads"):
        honest_did(no_leads)


# ------------------------------------------------------------------ bad input
def test_no_pre_period_is_refused():
    b, s, _, _ = _arrays(MED)
    with pytest.raises(EstimationError, match="pre-period"):
        honest_did(b[5:], s[5:, 5:], 0, 2)


def test_wrong_vcov_shape_is_refused():
    b, s, T, Tbar = _arrays(MED)
    with pytest.raises(EstimationError, match="sigma must be 7x7"):
        honest_did(b, s[:6, :6], T, Tbar)
    with pytest.raises(EstimationError, match="betahat has 7 entries"):
        honest_did(b, s, T, Tbar + 1)
    with pytest.raises(EstimationError, match="sigma, num_pre and num_post"):
        honest_did(b)


def test_bad_options_are_refused():
    args = _arrays(MED)
    with pytest.raises(EstimationError, match="restriction"):
        honest_did(*args, restriction="linear")
    with pytest.raises(EstimationError, match="not a post period"):
        honest_did(*args, target=2)
    with pytest.raises(EstimationError, match="l_vec must have 2"):
        honest_did(*args, target=[1.0, 0.0, 0.0])
    with pytest.raises(EstimationError, match=">= 0"):
        honest_did(*args, m=[-1.0])
    with pytest.raises(EstimationError, match="event study"):
        honest_did(pd.DataFrame({"x": [1]}))


# ------------------------------------------------------------------ the result
def test_result_vocabulary():
    r = honest_did(*_arrays(MED), restriction="smoothness", m=[0, 0.02])
    assert isinstance(r, HonestResult)
    t = r.tidy()
    assert list(t.columns) == ["term", "restriction", "m", "ci_low", "ci_high", "method"]
    assert t["restriction"].tolist() == ["original", "smoothness", "smoothness"]
    assert t["method"].tolist() == ["original", "FLCI", "FLCI"]
    assert "Breakdown value" in r.summary()
    fig = r.plot()
    assert fig.axes[0].get_xticklabels()[0].get_text() == "original"


def test_default_m_grids_follow_r():
    b, s, T, Tbar = _arrays(MED)
    rm = honest_did(b, s, T, Tbar)
    assert rm.table["m"].tolist() == [0.5, 1.0, 1.5, 2.0]
    sd = honest_did(b, s, T, Tbar, restriction="smoothness")
    # R: 10 values from 0 to the largest upper 95% one-sided bound of a pre-period second
    # difference of (beta_pre, 0)
    pre = np.r_[b[:T], 0.0]
    A = np.array([[1.0 if j == i else -2.0 if j == i + 1 else 1.0 if j == i + 2 else 0.0
                   for j in range(T + 1)] for i in range(T - 1)])
    ss = np.zeros((T + 1, T + 1))
    ss[:T, :T] = s[:T, :T]
    ub = np.max(A @ pre + 1.6448536269514722 * np.sqrt(np.diag(A @ ss @ A.T)))
    np.testing.assert_allclose(sd.table["m"], np.linspace(0, ub, 10), rtol=1e-12)


def test_closed_form_dual_vertices_are_all_the_vertices():
    """_post_rays against brute-force enumeration of the basic solutions of
    {g >= 0, X'g = 0, sd'g = 1} for the Delta^RM post-period moments."""
    import itertools

    from p3k_study.estimate.honest import _a_rm, _post_rays

    rng = np.random.default_rng(3)
    for T, Tbar in ((2, 2), (3, 3), (2, 4)):
        for lv in (np.eye(Tbar)[0], np.full(Tbar, 1 / Tbar), rng.normal(size=Tbar)):
            A = _a_rm(T, Tbar, 1.3, 0, True)
            A = A[np.any(A[:, T:] != 0, axis=1)]
            N = np.linalg.svd(lv[None, :])[2][1:].T
            X = A[:, T:] @ N
            sd = rng.uniform(0.5, 2.0, size=A.shape[0])
            E = np.vstack([X.T, sd])
            rhs = np.r_[np.zeros(X.shape[1]), 1.0]
            brute = []
            for sub in itertools.combinations(range(A.shape[0]), E.shape[0]):
                M = E[:, sub]
                if abs(np.linalg.det(M)) < 1e-10:
                    continue
                g = np.linalg.solve(M, rhs)
                if np.all(g >= -1e-12):
                    full = np.zeros(A.shape[0])
                    full[list(sub)] = g
                    brute.append(np.round(full, 10))
            rays = _post_rays(A[:Tbar, T:], lv)
            closed = np.round(rays / (rays @ sd)[:, None], 10)
            assert {tuple(x) for x in brute} == {tuple(x) for x in closed}


def test_default_grid_widens_where_the_set_reaches_its_end():
    """Pre-periods far noisier than the post-periods: the C-LF set is wider than R's default
    grid (l'beta_post +- 20 sd(theta) when the pre-period changes are 0), where R reports the
    grid ends; ours doubles the grid until the set ends inside it."""
    b = np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    s = np.diag([0.04, 0.04, 1e-4, 1e-4, 1e-4])
    r = honest_did(b, s, 2, 3, m=[1.0], target="average")
    wide = honest_did(b, s, 2, 3, m=[1.0], target="average", grid_lb=-10, grid_ub=12,
                      grid_points=4000)
    assert any("widened" in n for n in r.notes)
    lo, hi = r.table[["ci_low", "ci_high"]].iloc[0]
    sd = np.sqrt(1e-4 / 3)  # of the average effect
    assert lo < 1 - 20 * sd and hi > 1 + 20 * sd
    step = 2 * (20 * sd) * 2**4 / 999 + 22 / 3999
    np.testing.assert_allclose([lo, hi], wide.table[["ci_low", "ci_high"]].iloc[0], atol=2 * step)
