"""Reference numbers for `honest_did` (Rambachan & Roth 2023) from moderndid's and diff-diff's
HonestDiD, and the HonestDiD R package's published example.

Run in a separate venv that has the peers (they are not dependencies of p3k-study):

    python -m venv /tmp/peers14
    /tmp/peers14/bin/pip install 'moderndid[didhonest]==0.2.0' diff-diff==3.13.0 pyfixest==0.60.0
    /tmp/peers14/bin/python tests/reference/make_honest_reference.py [PART ...]

PART is medicaid_first, medicaid_average or mpdta (default: all three; parts may run in parallel,
each merges its numbers into the JSON under a file lock). moderndid's C-LF needs about 45 s of
CPU per Mbar on the Medicaid arrays, so it is run at Mbar = 1 only (R's 1000 grid points; the
grid size is stored beside the numbers and the tests' tolerance is its step); on mpdta only its
smoothness intervals are stored (its C-LF takes minutes there). peer_seconds holds wall and
CPU (_cpu) seconds of each peer call.

Writes tests/reference/honest.json with two cases:

* "medicaid": the R package README's example (Medicaid expansion, ACS insurance coverage
  `dins`, states first treated in 2014 against never treated, years < 2016, TWFE event study
  `dins ~ i(year, D, ref = 2013) | stfips + year`, clustered by state). The data are
  moderndid's copy of ehec_data (`load_ehec`); the event study is pyfixest's feols (the
  README uses fixest's). Stored: betahat, sigma, the README's printed confidence sets (R
  HonestDiD; the averages from the Stata port's README, 3 decimals), moderndid's
  create_sensitivity_results_rm (C-LF, 1000 grid points) and _sm (FLCI), and diff-diff's FLCI
  (its internal _compute_optimal_flci on the same arrays; its public HonestDiD needs a results
  object).
* "mpdta": Callaway-Sant'Anna on mpdta (lemp, never treated, dr, universal base period) by
  moderndid's att_gt + aggte(type="dynamic"); betahat and sigma from its influence function
  (reference e = -1 left out, as moderndid's honest_did does), moderndid's FLCI, and
  diff-diff's public route: CallawaySantAnna(base_period="universal") then
  HonestDiD(method="smoothness").sensitivity_analysis. diff-diff's relative-magnitude interval
  is not the C-LF test (it adds z * se to the identified set, its docstring says), so only its
  smoothness numbers are references.
"""

import fcntl
import json
import sys
import time
import warnings
from pathlib import Path

import diff_diff
import moderndid
import numpy as np
import pandas as pd
import pyfixest as pf
from diff_diff import CallawaySantAnna
from diff_diff.honest_did import HonestDiD, _compute_optimal_flci
from moderndid import aggte, att_gt
from moderndid.core.data import load_ehec
from moderndid.didhonest import create_sensitivity_results_rm, create_sensitivity_results_sm

warnings.simplefilter("ignore")
HERE = Path(__file__).resolve().parent
VERSIONS = {"moderndid": moderndid.__version__, "diff_diff": diff_diff.__version__,
            "pyfixest": pf.__version__}


def frame(df, col):
    return [[float(x) for x in row] for row in df.select([col, "lb", "ub"]).rows()]


def moderndid_cases(b, V, T, Tbar, mbar, ms, grid_points, targets=("first", "average")):
    out, times = {}, {}
    for name, lv in (("first", np.eye(Tbar)[0]), ("average", np.full(Tbar, 1 / Tbar))):
        t0, c0 = time.perf_counter(), time.process_time()
        if name not in targets:
            continue
        if not mbar:
            rm = None
        else:
            rm = create_sensitivity_results_rm(betahat=b, sigma=V, num_pre_periods=T,
                                               num_post_periods=Tbar, m_bar_vec=mbar,
                                               l_vec=lv, grid_points=grid_points)
        times[f"rm_{name}"] = time.perf_counter() - t0
        times[f"rm_{name}_cpu"] = time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        sm = create_sensitivity_results_sm(betahat=b, sigma=V, num_pre_periods=T,
                                           num_post_periods=Tbar, m_vec=ms, l_vec=lv)
        times[f"sd_{name}"] = time.perf_counter() - t0
        times[f"sd_{name}_cpu"] = time.process_time() - c0
        if rm is not None:
            out[f"rm_{name}"] = frame(rm, "Mbar")
            out[f"rm_{name}_grid_points"] = grid_points
        out[f"sd_{name}"] = frame(sm, "m")
        out[f"diff_diff_sd_{name}"] = [
            [float(m), *map(float, _compute_optimal_flci(b[:T], b[T:], V, lv, T, Tbar, m))]
            for m in ms]
    return out, times


def merge(key, value):
    """Merge {key: value} (nested one level) into honest.json under a lock."""
    path = HERE / "honest.json"
    with open(HERE / ".honest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = json.loads(path.read_text()) if path.exists() else {}
        out["versions"] = VERSIONS
        case = out.setdefault(key, {})
        peers = {**case.get("peers", {}), **value.pop("peers", {})}
        seconds = {**case.get("peer_seconds", {}), **value.pop("peer_seconds", {})}
        case.update(value)
        case["peers"], case["peer_seconds"] = peers, seconds
        path.write_text(json.dumps(out, indent=1) + "\n")


def medicaid(target):
    ehec = load_ehec().to_pandas()
    d = ehec[(ehec.year < 2016) & (ehec.yexp2.isna() | (ehec.yexp2 != 2015))].copy()
    d["D"] = (d.yexp2 == 2014).astype(float)
    years = [int(y) for y in sorted(d.year.unique()) if y != 2013]
    for y in years:
        d[f"D_{y}"] = ((d.year == y) & (d.D == 1)).astype(float)
    terms = [f"D_{y}" for y in years]
    fit = pf.feols("dins ~ " + "+".join(terms) + " | stfips + year", data=d,
                   vcov={"CRV1": "stfips"})
    b = fit.coef()[terms].to_numpy()
    V = np.asarray(fit._vcov)
    # one Mbar: moderndid's C-LF costs about 45 s of CPU per Mbar here, at any grid size (its
    # least-favourable critical value solves 1000 linear programmes for each s and sign)
    ms = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
    peers, times = moderndid_cases(b, V, 5, 2, [1.0], ms, 1000, targets=(target,))
    merge("medicaid", {
        "source": "ehec_data (moderndid.core.data.load_ehec), years < 2016 without the 2015 "
                  "cohort; pyfixest feols dins ~ D_year (ref 2013) | stfips + year, CRV1 stfips",
        "years": years, "betahat": b.tolist(), "sigma": V.tolist(), "num_pre": 5, "num_post": 2,
        "published": {
            "source": "HonestDiD R package README (github.com/asheshrambachan/HonestDiD), "
                      "first post period; averages: stata-honestdid README (3 decimals)",
            "rm_first": [[0.5, 0.0240, 0.0672], [1.0, 0.0170, 0.0720], [1.5, 0.00824, 0.0797],
                         [2.0, -0.000916, 0.0881]],
            "sd_first": [[0.0, 0.0259, 0.0607], [0.01, 0.0132, 0.0787], [0.02, 0.00286, 0.0907],
                         [0.03, -0.00714, 0.101], [0.04, -0.0171, 0.111], [0.05, -0.0271, 0.121]],
            "original_first": [0.029, 0.064],
            "rm_average": [[0.0, 0.041, 0.075], [0.5, 0.033, 0.080], [1.0, 0.020, 0.090],
                           [1.5, 0.006, 0.103], [2.0, -0.008, 0.117]],
            "original_average": [0.040, 0.075],
            "breakdown_rm_first": "Mbar = 2 (README: 'the breakdown value ... is Mbar = 2')",
            "breakdown_sd_first": "M ~ 0.03 (README)",
        },
        "peers": peers, "peer_seconds": times,
    })


def mpdta():
    mp = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
    gt = att_gt(data=mp, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                est_method="dr", boot=False, base_period="universal")
    es = aggte(gt, type="dynamic")
    ev = np.asarray(es.event_times)
    keep = ev != -1
    inf = np.asarray(es.influence_func)[:, keep]
    Vm = inf.T @ inf / inf.shape[0] ** 2
    bm = np.asarray(es.att_by_event)[keep]
    T = int((ev[keep] < -1).sum())
    Tbar = int(keep.sum()) - T
    # moderndid's C-LF needs about a minute of CPU per Mbar at 20 grid points here (4 post
    # periods), too slow for this machine's load when these numbers were made: smoothness only
    ms_m = [0.0, 0.01, 0.02, 0.03]
    peers_m, times_m = moderndid_cases(bm, Vm, T, Tbar, [], ms_m, 100)
    cs = CallawaySantAnna(control_group="never_treated", estimation_method="dr",
                          base_period="universal")
    data_dd = mp.copy()
    data_dd["first.treat"] = data_dd["first.treat"].astype(int)
    res = cs.fit(data_dd, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat",
                 aggregate="event_study")
    dd = {}
    for name, lv in (("first", np.eye(Tbar)[0]), ("average", None)):
        sens = HonestDiD(method="smoothness", l_vec=lv).sensitivity_analysis(res, M_grid=ms_m)
        dd[name] = {"ci": [[float(m), float(lo), float(hi)]
                           for m, (lo, hi) in zip(sens.M_values, sens.robust_cis, strict=True)],
                    "breakdown": None if sens.breakdown_M is None else float(sens.breakdown_M)}
    merge("mpdta", {
        "source": "mpdta (tests/data/mpdta.csv); moderndid att_gt(yname='lemp', tname='year', "
                  "idname='countyreal', gname='first.treat', est_method='dr', boot=False, "
                  "base_period='universal') then aggte(type='dynamic')",
        "event_times": [int(e) for e in ev[keep]], "betahat": bm.tolist(), "sigma": Vm.tolist(),
        "num_pre": T, "num_post": Tbar, "peers": peers_m, "peer_seconds": times_m,
        "diff_diff_public_sd": dd,
    })


if __name__ == "__main__":
    parts = sys.argv[1:] or ["medicaid_first", "medicaid_average", "mpdta"]
    for part in parts:
        if part == "mpdta":
            mpdta()
        else:
            medicaid(part.split("_")[1])
