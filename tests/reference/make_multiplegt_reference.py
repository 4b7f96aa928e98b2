"""Reference numbers for `did_multiplegt` from moderndid's port of did_multiplegt_dyn
(de Chaisemartin and D'Haultfoeuille 2024), on mpdta and on a seeded simulated panel.

Run in a separate venv that has the peer (it is not a dependency of p3k-study):

    python -m venv /tmp/peers && /tmp/peers/bin/pip install moderndid==0.2.0 pandas
    /tmp/peers/bin/python tests/reference/make_multiplegt_reference.py

Writes
* tests/data/sim_multiplegt.csv: the simulated panel (600 units x 10 periods, staggered cohorts
  3..8 and never treated, effects growing with exposure and differing by cohort, unit, period
  and cluster x period shocks; column `tau` is the true effect of each row; `y_gaps` is `y` with
  8% of the outcomes missing at random);
* tests/reference/multiplegt.json: moderndid's effects, placebos, average total effect and
  their SEs on mpdta (lemp, 4 effects, 3 placebos), on the simulated panel without and with
  clustering, and with missing outcomes (rows kept with a missing outcome, treatment known).
"""

import json
import warnings
from pathlib import Path

import moderndid
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def simulate(seed: int = 20240901, n_units: int = 600, n_periods: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohorts = rng.choice([3, 4, 5, 6, 7, 8, 0], size=n_units,
                         p=[0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.28])
    cluster = rng.integers(0, 40, size=n_units)
    unit_fe = rng.normal(0, 2, size=n_units)
    time_fe = np.cumsum(rng.normal(0.3, 0.5, size=n_periods))
    shock = rng.normal(0, 0.4, size=(40, n_periods))
    t = np.arange(1, n_periods + 1)
    g = cohorts[:, None]
    e = t[None, :] - g
    treated = (g > 0) & (e >= 0)
    tau = np.where(treated, (1.0 + 0.4 * e) * (1.0 + 0.15 * (g - 5)), 0.0)
    y = (unit_fe[:, None] + time_fe[None, :] + shock[cluster] + tau
         + rng.normal(0, 1, size=(n_units, n_periods)))
    gaps = rng.random((n_units, n_periods)) < 0.08
    frame = pd.DataFrame({
        "unit": np.repeat(np.arange(1, n_units + 1), n_periods),
        "time": np.tile(t, n_units),
        "cohort": np.repeat(cohorts, n_periods),
        "cluster": np.repeat(cluster, n_periods),
        "y": y.ravel().round(6),
        "tau": tau.ravel().round(6),
    })
    frame["y_gaps"] = frame["y"].where(~gaps.ravel())
    return frame


def run(data: pd.DataFrame, y: str, unit: str, time: str, cohort: str, effects: int,
        placebo: int, cluster: str | None = None) -> dict:
    d = data.copy()
    d["D"] = ((d[cohort] > 0) & (d[time] >= d[cohort])).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = moderndid.did_multiplegt(d, yname=y, tname=time, idname=unit, dname="D",
                                     effects=effects, placebo=placebo, cluster=cluster)
    out = {
        "call": f"did_multiplegt(yname={y!r}, tname={time!r}, idname={unit!r}, dname='D', "
                f"effects={effects}, placebo={placebo}, cluster={cluster!r})",
        "effects": [float(v) for v in r.effects.estimates],
        "effects_se": [float(v) for v in r.effects.std_errors],
        "effects_n_switchers": [int(v) for v in r.effects.n_switchers],
        "ate": float(r.ate.estimate),
        "ate_se": float(r.ate.std_error),
    }
    if r.placebos is not None:
        est = np.asarray(r.placebos.estimates)
        out["placebos"] = [float(v) for v in est[np.isfinite(est)]]
        out["placebos_se"] = [float(v) for v in np.asarray(r.placebos.std_errors)[
            np.isfinite(est)]]
    return out


def main() -> None:
    sim = simulate()
    sim.to_csv(DATA / "sim_multiplegt.csv", index=False)
    sim = pd.read_csv(DATA / "sim_multiplegt.csv")  # exactly the bytes the tests read
    mpdta = pd.read_csv(DATA / "mpdta.csv")
    out = {
        "source": f"moderndid {moderndid.__version__} did_multiplegt (port of "
                  "did_multiplegt_dyn), D = 1{cohort > 0 and time >= cohort}",
        "mpdta": run(mpdta, "lemp", "countyreal", "year", "first.treat", 4, 3),
        "sim": run(sim, "y", "unit", "time", "cohort", 7, 4),
        "sim_cluster": run(sim, "y", "unit", "time", "cohort", 7, 4, cluster="cluster"),
        "sim_gaps": run(sim, "y_gaps", "unit", "time", "cohort", 7, 4),
    }
    (HERE / "multiplegt.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
