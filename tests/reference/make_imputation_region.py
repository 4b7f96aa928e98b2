"""A simulated region panel for the imputation reference numbers (tests/data/imputation_region.csv).

Run with the project's own environment (it needs p3k_study, not the peers):

    PYTHONPATH=src .venv/bin/python tests/reference/make_imputation_region.py

Simulates the demo world of seed 1 (`p3k-study simulate --scale demo --seed 1`, the first world
of benchmarks/sim_region.py) and keeps the truth panel of its first region by code, as the
regional headline sees it: the rows with an observed IKM. Columns: unit (integer code, units in
unit_id order), period_index, cohort (period of the first P3K hire, 0 = never), ikm, att_true
(the true effect of the row). tests/reference/make_imputation_reference.py reads it.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "data" / "imputation_region.csv"

with tempfile.TemporaryDirectory() as work:
    subprocess.run([sys.executable, "-m", "p3k_study", "simulate", "-q", "--scale", "demo",
                    "--seed", "1", "--out", f"{work}/raw", "--truth", f"{work}/truth"],
                   check=True)
    panel = pd.read_parquet(f"{work}/truth/truth_panel.parquet")
region = sorted(panel["kode_pemda"].unique())[0]
part = panel[(panel["kode_pemda"] == region) & panel["ikm"].notna()]
part = part.sort_values(["unit_id", "period_index"])
out = pd.DataFrame({"unit": pd.factorize(part["unit_id"], sort=True)[0] + 1,
                    "period_index": part["period_index"], "cohort": part["cohort"],
                    "ikm": part["ikm"], "att_true": part["att_true"]})
out.to_csv(OUT, index=False)
print(f"region {region}: {len(out)} rows, {out['unit'].nunique()} units -> {OUT}")
