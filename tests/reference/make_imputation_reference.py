"""Reference numbers for `did_imputation` from diff-diff's ImputationDiD (Borusyak, Jaravel and
Spiess 2024), on mpdta (tests/data/mpdta.csv).

Run in a separate venv that has the peer (it is not a dependency of p3k-study):

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0 pandas
    /tmp/peers/bin/python tests/reference/make_imputation_reference.py

Writes tests/reference/mpdta_imputation.json: the overall ATT and the event-study estimates
(point estimates; diff-diff's SEs use its own variance, BJS Theorem 3, which is not ours).
"""

import json
from pathlib import Path

import diff_diff
import pandas as pd
from diff_diff import ImputationDiD

HERE = Path(__file__).resolve().parent
data = pd.read_csv(HERE.parent / "data" / "mpdta.csv")
data["first.treat"] = data["first.treat"].astype(int)
est = ImputationDiD()
res = est.fit(data, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat",
              aggregate="event_study")
events = res.event_study_effects
out = {
    "source": f"diff-diff {diff_diff.__version__} ImputationDiD().fit(mpdta, outcome='lemp', "
              "unit='countyreal', time='year', first_treat='first.treat', "
              "aggregate='event_study')",
    "overall_att": float(res.overall_att),
    "event_study": {str(int(e)): float(v["effect"]) for e, v in sorted(events.items())
                    if int(e) >= 0},
}
(HERE / "mpdta_imputation.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
