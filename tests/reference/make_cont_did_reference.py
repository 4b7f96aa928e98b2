"""Reference numbers for `cont_did` from moderndid's `cont_did` (Callaway, Goodman-Bacon and
Sant'Anna 2024; moderndid says it follows R contdid), on three panels written beside the numbers:

- tests/data/cont_did_moderndid.csv: moderndid's own simulated data,
  `gen_cont_did_data(n=500, num_time_periods=4, dose_linear_effect=0.5,
  dose_quadratic_effect=0.3, seed=1234)` (ATT(d) = 0.5 d + 0.3 d^2, cohorts 2-4 and never);
- tests/data/cont_did_two_period.csv: the same with two periods (one cohort, one cell, where
  moderndid's dose-level influence functions are consistent; see docs/methods.md), seed 5;
- tests/data/cont_did_p3k.csv: a seeded P3K-like panel (semesters, staggered hiring, the dose a
  share in (0, 0.6], unit effects correlated with the cohort, ATT(d) = 2 d - 2 d^2).

Run in a separate venv that has the peer (it is not a dependency of p3k-study). moderndid 0.2.0
fails under polars 2.x (`is_in` on a Float64 column), so polars 1.x goes first on the path:

    /tmp/peers14/bin/pip install moderndid==0.2.0
    /tmp/peers14/bin/pip install --target /tmp/cont_polars1 polars==1.44.2
    PYTHONPATH=/tmp/cont_polars1 /tmp/peers14/bin/python tests/reference/make_cont_did_reference.py

Writes tests/reference/cont_did.json. Per configuration: moderndid's point estimates (dose grid,
ATT(d), ACRT(d), ATT^o, ACRT^o), its reported (bootstrap) SEs, and the analytic SEs of its
influence functions, sqrt(sum psi^2) / n, which `cont_did`'s analytic SEs can be held to.
"""

import json
from pathlib import Path

import moderndid
import numpy as np
import pandas as pd
import polars as pl

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def p3k_panel(seed: int = 14, n: int = 400, periods: int = 8) -> pd.DataFrame:
    """Units hire in semesters 3-7 (or never); the dose is the P3K share reached in the first
    hiring semester; the effect of dose d is 2 d - 2 d^2 from the first treated period on."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice([0, 3, 4, 5, 7], size=n, p=[0.25, 0.3, 0.2, 0.15, 0.1])
    dose = np.where(cohort > 0, np.round(rng.uniform(0.02, 0.6, n), 4), 0.0)
    alpha = rng.normal(80 + 0.5 * cohort, 3, n)
    t = np.arange(1, periods + 1)
    lam = 0.4 * t + rng.normal(0, 0.3, periods)
    post = (cohort[:, None] > 0) & (t[None, :] >= cohort[:, None])
    effect = (2 * dose - 2 * dose**2)[:, None] * post
    y = alpha[:, None] + lam[None, :] + effect + rng.normal(0, 1, (n, periods))
    return pd.DataFrame({
        "unit_id": np.repeat(np.arange(1, n + 1), periods),
        "period_index": np.tile(t, n),
        "ikm": np.round(y.ravel(), 6),
        "cohort": np.repeat(cohort, periods),
        "p3k_share": np.repeat(dose, periods),
    })


def run(data: pd.DataFrame, names: dict[str, str], **kw) -> dict:
    res = moderndid.cont_did(data=pl.from_pandas(data), random_state=7, **names, **kw)
    n = len(res.overall_acrt_inf_func)

    def if_se(psi):
        psi = np.asarray(psi).reshape(n, -1)
        return (np.sqrt((psi**2).sum(axis=0)) / n).tolist()

    return {
        "call": f"moderndid.cont_did({', '.join(f'{k}={v!r}' for k, v in {**names, **kw}.items())}"
                ", random_state=7)",
        "dose": np.asarray(res.dose).tolist(),
        "overall_att": float(res.overall_att), "overall_acrt": float(res.overall_acrt),
        "att_d": np.asarray(res.att_d).tolist(), "acrt_d": np.asarray(res.acrt_d).tolist(),
        "reported_se": {"overall_att": float(res.overall_att_se),
                        "overall_acrt": float(res.overall_acrt_se),
                        "att_d": np.asarray(res.att_d_se).tolist(),
                        "acrt_d": np.asarray(res.acrt_d_se).tolist()},
        "influence_se": {"overall_att": if_se(res.overall_att_inf_func)[0],
                         "overall_acrt": if_se(res.overall_acrt_inf_func)[0],
                         "att_d": if_se(res.att_d_inf_func), "acrt_d": if_se(res.acrt_d_inf_func)},
    }


md_data = moderndid.gen_cont_did_data(n=500, num_time_periods=4, dose_linear_effect=0.5,
                                      dose_quadratic_effect=0.3, seed=1234).to_pandas()
md_data.to_csv(DATA / "cont_did_moderndid.csv", index=False, float_format="%.10g")
md_data = pd.read_csv(DATA / "cont_did_moderndid.csv")  # the numbers rest on the stored text
two = moderndid.gen_cont_did_data(n=500, num_time_periods=2, dose_linear_effect=0.5,
                                   dose_quadratic_effect=0.3, seed=5).to_pandas()
two.to_csv(DATA / "cont_did_two_period.csv", index=False, float_format="%.10g")
two = pd.read_csv(DATA / "cont_did_two_period.csv")
p3k = p3k_panel()
p3k.to_csv(DATA / "cont_did_p3k.csv", index=False)
p3k = pd.read_csv(DATA / "cont_did_p3k.csv")
md_names = {"yname": "Y", "tname": "time_period", "idname": "id", "gname": "G", "dname": "D"}
p3k_names = {"yname": "ikm", "tname": "period_index", "idname": "unit_id", "gname": "cohort",
             "dname": "p3k_share"}
out = {
    "source": f"moderndid {moderndid.__version__} cont_did (polars {pl.__version__}), "
              "tests/reference/make_cont_did_reference.py",
    "moderndid_default": run(md_data, md_names),
    "moderndid_never_knots": run(md_data, md_names, control_group="nevertreated", degree=2,
                                 num_knots=2),
    "two_period": run(two, md_names),
    "p3k_default": run(p3k, p3k_names),
    "p3k_knots": run(p3k, p3k_names, degree=3, num_knots=1),
}
(HERE / "cont_did.json").write_text(json.dumps(out, indent=1) + "\n")
print(json.dumps({k: (v if isinstance(v, str) else {"att": v["overall_att"],
                                                      "acrt": v["overall_acrt"]})
                  for k, v in out.items()}, indent=1))
