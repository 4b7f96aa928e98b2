"""Monte Carlo check of att_gt(unbalanced="pairwise") on panels with missing periods.

DGP: N units, T periods, cohorts 3/4/5 and never treated (fixed shares), unit effects, a common
trend, a random walk (so the length of the difference matters) plus noise, and heterogeneous,
dynamic effects: unit i of cohort g at t >= g gets slope_g * (t - g + 1) * m_i, m_i ~ U(0.5, 1.5),
so ATT(g,t) = slope_g * (t - g + 1). Missing patterns (outcome dropped, missing completely at
random):

* "mcar30": every unit-period missing with probability 0.3;
* "annual": half the units are surveyed only every other period (odd or even periods, at random),
  the rest miss a period with probability 0.2.

Reports, over R replications: per-cell bias, empirical SD, mean analytic SE and coverage of the
95% pointwise CI; the same for the simple, dynamic (e = 0, 1, 2), group and calendar aggregates;
the rejection rate of the 5% pre-trend test (no pre-trend in the DGP).

Run: .venv/bin/python benchmarks/sim_att_gt_unbalanced.py [R] > \
         benchmarks/results/sim_att_gt_unbalanced.txt
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from p3k_study.estimate import att_gt

SHARES = {0: 0.4, 3: 0.2, 4: 0.2, 5: 0.2}
SLOPE = {3: 0.5, 4: 0.3, 5: 0.2}
PATTERNS = ("mcar30", "annual")


def true_att(g: float, t: float) -> float:
    return SLOPE[int(g)] * (t - g + 1) if t >= g else 0.0


def simulate(seed: int, pattern: str, n: int = 300, periods: int = 6) -> pd.DataFrame:
    """One long panel (columns u, t, g, y) with the `pattern` of missing periods."""
    rng = np.random.default_rng(seed)
    g = np.repeat(list(SHARES), [round(n * s) for s in SHARES.values()])
    n = len(g)
    t = np.arange(1, periods + 1)
    e = t[None, :] - g[:, None]
    slope = np.array([SLOPE.get(int(c), 0.0) for c in g])
    mult = rng.uniform(0.5, 1.5, size=n)
    eff = np.where((g[:, None] > 0) & (e >= 0), slope[:, None] * (e + 1) * mult[:, None], 0.0)
    y = (rng.normal(size=n)[:, None] + 0.3 * t[None, :]
         + 0.4 * np.cumsum(rng.normal(size=(n, periods)), axis=1)
         + 0.5 * rng.normal(size=(n, periods)) + eff)
    if pattern == "mcar30":
        seen = rng.random((n, periods)) >= 0.3
    elif pattern == "annual":
        annual = rng.random(n) < 0.5
        parity = rng.integers(0, 2, size=n)
        seen = np.where(annual[:, None], (t[None, :] % 2) == parity[:, None],
                        rng.random((n, periods)) >= 0.2)
    elif pattern == "none":
        seen = np.ones((n, periods), dtype=bool)
    else:
        raise ValueError(pattern)
    d = pd.DataFrame({"u": np.repeat(np.arange(n), periods), "t": np.tile(t, n),
                      "g": np.repeat(g, periods), "y": y.ravel()})
    return d[seen.ravel()].reset_index(drop=True)


def truths(table: pd.DataFrame) -> dict[str, float]:
    """True values of the aggregates over the finite cells of `table` (population shares)."""
    post = table[(table["time"] >= table["cohort"]) & np.isfinite(table["att"])]
    tr = np.array([true_att(g, t) for g, t in zip(post["cohort"], post["time"], strict=True)])
    pg = post["cohort"].map(SHARES).to_numpy()
    e = (post["time"] - post["cohort"]).to_numpy()
    out = {"simple": float(pg @ tr / pg.sum())}
    for k in (0, 1, 2):
        m = e == k
        out[f"e{k}"] = float(pg[m] @ tr[m] / pg[m].sum())
    out["e_avg"] = float(np.mean([pg[e == k] @ tr[e == k] / pg[e == k].sum()
                                  for k in np.unique(e)]))
    grp = [tr[post["cohort"].to_numpy() == c].mean() for c in SLOPE]
    out["group"] = float(np.average(grp, weights=[SHARES[c] for c in SLOPE]))
    tt = post["time"].to_numpy()
    out["calendar"] = float(np.mean([pg[tt == s] @ tr[tt == s] / pg[tt == s].sum()
                                     for s in np.unique(tt)]))
    return out


def replicate(seed: int, pattern: str, control_group: str = "never_treated", n: int = 300,
              periods: int = 6) -> tuple[pd.DataFrame, dict[str, float]]:
    """Cells (cohort, time, att, se, truth) and aggregates (estimate, se, truth) of one seed."""
    d = simulate(seed, pattern, n, periods)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = att_gt(d, "y", "u", "t", "g", control_group=control_group, unbalanced="pairwise")
        tab = r.table[["cohort", "time", "att", "se"]].copy()
        tab["truth"] = [true_att(g, t) for g, t in zip(tab["cohort"], tab["time"], strict=True)]
        tr = truths(r.table)
        row: dict[str, float] = {}
        s = r.aggregate("simple")
        row.update(simple=s.att, simple_se=s.se)
        dyn = r.aggregate("dynamic")
        row.update(e_avg=dyn.att, e_avg_se=dyn.se)
        dt = dyn.table.set_index("event_time")
        for k in (0, 1, 2):
            row[f"e{k}"], row[f"e{k}_se"] = dt.loc[k, "att"], dt.loc[k, "se"]
        for kind in ("group", "calendar"):
            a = r.aggregate(kind)
            row[kind], row[f"{kind}_se"] = a.att, a.se
        row["pt_p"] = r.pretrend_test().p_value
        row["n_used"] = r.settings["n_used"]
    for k, v in tr.items():
        row[f"{k}_truth"] = v
    return tab, row


AGGREGATES = ("simple", "e_avg", "e0", "e1", "e2", "group", "calendar")


def summarise(cells: list[pd.DataFrame], aggs: list[dict[str, float]]
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cell and per-aggregate bias, SD, bias/SD, mean SE and 95% coverage."""
    c = pd.concat(cells)
    c = c[np.isfinite(c["att"])]
    c["err"] = c["att"] - c["truth"]
    c["cover"] = c["err"].abs() <= 1.959964 * c["se"]
    per_cell = c.groupby(["cohort", "time"]).agg(
        truth=("truth", "first"), bias=("err", "mean"), sd=("att", "std"),
        mean_se=("se", "mean"), coverage=("cover", "mean"), reps=("att", "size")).reset_index()
    per_cell.insert(4, "bias_sd", per_cell["bias"] / per_cell["sd"])
    a = pd.DataFrame(aggs)
    lines = []
    for k in AGGREGATES:
        err = a[k] - a[f"{k}_truth"]
        lines.append({"estimand": k, "truth": a[f"{k}_truth"].mean(), "bias": err.mean(),
                      "sd": a[k].std(), "bias_sd": err.mean() / a[k].std(),
                      "mean_se": a[f"{k}_se"].mean(),
                      "coverage": float((err.abs() <= 1.959964 * a[f"{k}_se"]).mean())})
    return per_cell, pd.DataFrame(lines)


def main(reps: int = 500, n: int = 300, periods: int = 6) -> None:
    fmt = {"float_format": lambda v: f"{v:.4f}"}
    print(f"sim_att_gt_unbalanced: {reps} replications per design, N={n} units x T={periods}, "
          f"cohorts {list(SLOPE)} + never (shares {SHARES}), heterogeneous dynamic effects, "
          "att_gt(unbalanced='pairwise'), no covariates, analytic SEs; seeds 0..R-1")
    for pattern, cg in [("mcar30", "never_treated"), ("annual", "never_treated"),
                        ("mcar30", "not_yet_treated")]:
        start = time.perf_counter()
        out = [replicate(s, pattern, cg, n, periods) for s in range(reps)]
        elapsed = time.perf_counter() - start
        per_cell, agg = summarise([o[0] for o in out], [o[1] for o in out])
        pt = np.array([o[1]["pt_p"] for o in out])
        used = np.mean([o[1]["n_used"] for o in out])
        print(f"\n=== pattern {pattern}, control_group={cg} ({elapsed:.1f} s; mean units entering "
              f"a cell {used:.1f} of {n}) ===")
        print(per_cell.to_string(index=False, **fmt))
        print(f"Cells: max |bias|/SD {per_cell['bias_sd'].abs().max():.3f} (Monte Carlo SE "
              f"{1 / np.sqrt(reps):.3f}); coverage {per_cell['coverage'].min():.3f}-"
              f"{per_cell['coverage'].max():.3f}, mean {per_cell['coverage'].mean():.3f}; "
              f"mean SE / SD {np.mean(per_cell['mean_se'] / per_cell['sd']):.3f}")
        print(agg.to_string(index=False, **fmt))
        print(f"Pre-trend test at 5% rejects in {np.mean(pt[np.isfinite(pt)] < 0.05):.3f} "
              f"({int(np.isfinite(pt).sum())} tests)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
