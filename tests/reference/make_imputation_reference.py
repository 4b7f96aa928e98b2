"""Reference numbers for `did_imputation` from diff-diff's ImputationDiD (Borusyak, Jaravel and
Spiess 2024): point estimates and BJS Theorem 3 standard errors.

Run in a separate venv that has the peer (it is not a dependency of p3k-study):

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0 pandas
    /tmp/peers/bin/python tests/reference/make_imputation_reference.py

Writes tests/reference/mpdta_imputation.json: for each panel, the overall ATT, the post-period
event-study estimates and their SEs. diff-diff's SEs are its default variance, BJS (2024)
Theorem 3's conservative clustered variance (auxiliary model by cohort x event time, no
leave-one-out, clustered by unit): `did_imputation(..., se="bjs")`, not the default jackknife.
Panels:
* "mpdta" (tests/data/mpdta.csv; overall_att and event_study at the top level too, the keys
  this file had before SEs were added);
* "region" (tests/data/imputation_region.csv, a simulated region of 24 units with irregular
  survey periods, written by tests/reference/make_imputation_region.py; `not_estimated` lists
  the event times diff-diff returns as NaN: none of their rows can be imputed);
* "r_panel" (tests/data/didimputation_r_panel.csv, the panel on which R didimputation 0.5.0's
  published numbers were computed: tests/reference/didimputation_r.json).
"""

import json
from pathlib import Path

import diff_diff
import numpy as np
import pandas as pd
from diff_diff import ImputationDiD

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def run(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treat: str) -> dict:
    data = data.assign(**{first_treat: data[first_treat].astype(int)})
    res = ImputationDiD().fit(data, outcome=outcome, unit=unit, time=time,
                              first_treat=first_treat)
    es = res.aggregate("event_study")
    rows = [(int(e), float(a), float(s)) for e, a, s in zip(es.event_time, es.att, es.se,
                                                            strict=True) if e >= 0]
    post = [r for r in rows if np.isfinite(r[1])]
    return {
        "source": f"diff-diff {diff_diff.__version__} ImputationDiD().fit(data, "
                  f"outcome={outcome!r}, unit={unit!r}, time={time!r}, "
                  f"first_treat={first_treat!r}); .aggregate('event_study')",
        "overall_att": float(res.overall_att),
        "overall_se": float(res.overall_se),
        "event_study": {str(e): a for e, a, _ in post},
        "event_study_se": {str(e): s for e, _, s in post},
        "not_estimated": [e for e, a, _ in rows if not np.isfinite(a)],
    }


mpdta = run(pd.read_csv(DATA / "mpdta.csv"), "lemp", "countyreal", "year", "first.treat")
region = run(pd.read_csv(DATA / "imputation_region.csv"), "ikm", "unit", "period_index",
             "cohort")
r_panel = run(pd.read_csv(DATA / "didimputation_r_panel.csv"), "y", "unit", "time",
              "first_treat")
out = {"source": mpdta["source"], "overall_att": mpdta["overall_att"],
       "event_study": mpdta["event_study"], "mpdta": mpdta, "region": region,
       "r_panel": r_panel}
(HERE / "mpdta_imputation.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
