"""Reference numbers for `att_gt`'s multiplier bootstrap and universal base period from csdid
(the Python port of R did, whose multiplier bootstrap uses Rademacher weights as R's
BMisc::multiplier_bootstrap does), on mpdta (tests/data/mpdta.csv).

Run in a separate venv that has the peer (it is not a dependency of p3k-study):

    python -m venv /tmp/peers14 && /tmp/peers14/bin/pip install csdid==0.4.3 pandas
    /tmp/peers14/bin/python tests/reference/make_bootstrap_reference.py

Writes tests/reference/mpdta_bootstrap.json:
* `crit_att_gt`: the uniform-band critical value of the 12 ATT(g,t) (never treated, dr, no
  covariates, cband=True), the mean over `reps` seeds of `biters` draws each (one run's value
  has Monte Carlo noise of about 0.02);
* `universal`: ATT(g,t) with base_period='universal' (bstrap=False), including the reference
  cells (att 0) as csdid/R report them.
"""

import json
from pathlib import Path

import csdid
import numpy as np
import pandas as pd
from csdid.att_gt import ATTgt

HERE = Path(__file__).resolve().parent
data = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
data["first.treat"] = data["first.treat"].astype(int)
BITERS, REPS = 5000, 8
crits = []
for seed in range(REPS):
    np.random.seed(seed)
    m = ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=data,
              control_group=["nevertreated"], cband=True, biters=BITERS)
    crits.append(float(m.fit(est_method="dr", bstrap=True).results["c"]))
u = ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat", data=data,
          control_group=["nevertreated"]).fit(est_method="dr", base_period="universal",
                                              bstrap=False).results
version = getattr(csdid, "__version__", None)
if version is None:
    from importlib.metadata import version as _v

    version = _v("csdid")
out = {
    "source": f"csdid {version} ATTgt(yname='lemp', tname='year', idname='countyreal', "
              "gname='first.treat', control_group=['nevertreated']).fit(est_method='dr', ...)",
    "crit_att_gt": {"biters": BITERS, "reps": REPS, "values": crits,
                    "mean": float(np.mean(crits))},
    "universal": [[int(g), int(t), float(a), None if not np.isfinite(s) else float(s)]
                  for g, t, a, s in zip(u["group"], u["year"], u["att"], u["se"], strict=True)],
}
(HERE / "mpdta_bootstrap.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
