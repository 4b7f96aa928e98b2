"""The data behind R didimputation's README example, and the numbers that README prints.

The README of github.com/kylebutts/didimputation (README.md at commit
02666624083402f453298a254e5c0fe859a54163) runs `did_imputation` on `df_het` from the R package
did2s and prints the static estimate and an event study with pretrends -5:-1. Which version of
`df_het`: the README says the true effect is 2.2384912; among the versions of
`data/df_het.rda` in did2s's history only the one of commit 92bbdc0 (2021-07-05, did2s is MIT
licensed) gives that mean of te + te_dynamic over the treated rows (2.2384911733).

Run in the peers venv with pyreadr (not a dependency of p3k-study), from a did2s checkout:

    git -C did2s show 92bbdc08ee2c2e41b8e846b8a34e334ac9fc9f7c:data/df_het.rda > /tmp/df_het.rda
    /tmp/peers/bin/pip install pyreadr pandas
    /tmp/peers/bin/python tests/reference/make_didimputation_readme_reference.py /tmp/df_het.rda

Writes tests/data/df_het_2021.csv.gz (columns unit, year, g, dep_var; 1,000 units x 31 years)
and tests/reference/didimputation_readme.json: the README's printed numbers, typed in (R prints
3 significant digits), and the true effect as a check that the data are the README's.
"""

import json
import sys
from pathlib import Path

import pyreadr

HERE = Path(__file__).resolve().parent
df = pyreadr.read_r(sys.argv[1])["df_het"]
treated = df[df["treat"].astype(bool)]
true_effect = float((treated["te"] + treated["te_dynamic"]).mean())
assert abs(true_effect - 2.2384912) < 5e-8, true_effect
out = df[["unit", "year", "g", "dep_var"]].astype({"unit": int, "year": int, "g": int})
out.to_csv(HERE.parent / "data" / "df_het_2021.csv.gz", index=False,
           compression={"method": "gzip", "mtime": 0})

# term: (estimate, std.error, conf.low, conf.high) as the README prints them
static = {"treat": (2.26, 0.0314, 2.20, 2.32)}
event = {"-5": (-0.0641, 0.0767, -0.214, 0.0861), "-4": (-0.0120, 0.0753, -0.160, 0.136),
         "-3": (-0.0139, 0.0765, -0.164, 0.136), "-2": (0.0510, 0.0770, -0.0999, 0.202),
         "-1": (0.0202, 0.0758, -0.128, 0.169), "0": (1.51, 0.0755, 1.37, 1.66),
         "1": (1.66, 0.0841, 1.50, 1.83), "2": (1.86, 0.0829, 1.70, 2.03),
         "3": (1.92, 0.0843, 1.75, 2.08), "4": (1.87, 0.0842, 1.71, 2.04)}
reference = {
    "source": "README.md of github.com/kylebutts/didimputation at commit "
              "02666624083402f453298a254e5c0fe859a54163: did_imputation(data = df_het, yname = "
              "'dep_var', gname = 'g', tname = 'year', idname = 'unit') and the same with "
              "horizon = TRUE, pretrends = -5:-1 (its first 10 of 26 rows are printed); df_het "
              "of did2s commit 92bbdc08ee2c2e41b8e846b8a34e334ac9fc9f7c "
              "(tests/data/df_het_2021.csv.gz)",
    "true_effect_in_readme": 2.2384912,
    "true_effect_of_data": true_effect,
    "columns": ["estimate", "std_error", "conf_low", "conf_high"],
    "static": static,
    "event_study": event,
}
(HERE / "didimputation_readme.json").write_text(json.dumps(reference, indent=2) + "\n")
print(json.dumps(reference, indent=2))
