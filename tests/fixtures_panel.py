"""A tiny processed dataset (panel, units, rejects, cleaning summary) for report and notebook tests.

Four pemda in two provinces, ten units each, twelve semesters (2019-S1 .. 2024-S2), staggered
P3K adoption with a true effect of +2 IKM points. Hostile strings are built in on purpose: one
unit is named '<script>alert(1)</script>' and one pemda is named '../../etc'.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from p3k_study.schemas import PANEL

SCRIPT_NAME = "<script>alert(1)</script>"
TRAVERSAL_NAME = "../../etc"
TRUE_EFFECT = 2.0
MISSING_REGION = "xx.99"  # a code that is not in the panel
BATCH_REGIONS = ("11.71", "32.01", "32.10")  # hostile name, hostile unit, code ending in 0
FIRST_PERIOD = 2019 * 2  # 2019-S1
N_PERIODS = 12
FUNCTIONS = ("education", "health", "hospital", "primary_care", "civil_registry",
             "licensing", "social", "public_works", "transport", "environment")
REJECT_COLUMNS = ["source_file", "sheet", "row", "column", "raw_value", "reason"]

# kode_pemda -> (nama_pemda, kode_provinsi, nama_provinsi, units never treated)
PEMDA: dict[str, tuple[str, str, str, int]] = {
    "11.01": ("Kabupaten Simeulue", "11", "Aceh", 4),
    "11.71": (TRAVERSAL_NAME, "11", "Aceh", 3),
    "32.01": ("Kabupaten Bogor", "32", "Jawa Barat", 5),
    "32.10": ("Kabupaten Majalengka", "32", "Jawa Barat", 4),
}


def period_label(index: int) -> str:
    year, part = divmod(index, 2)
    return f"{year}-S{part + 1}"


def ikm_category(ikm: float) -> str:
    if ikm >= 88.31:
        return "A"
    if ikm >= 76.61:
        return "B"
    return "C" if ikm >= 65.0 else "D"


def make_panel(seed: int = 0, n_units: int = 10) -> pd.DataFrame:
    """The panel: one row per unit and semester, with every column of `schemas.PANEL` but the
    flags."""
    rng = np.random.default_rng(seed)
    rows = []
    for code, (name, prov, prov_name, n_never) in PEMDA.items():
        for u in range(n_units):
            function = FUNCTIONS[u % len(FUNCTIONS)]
            unit_id = f"{code}/{function}"
            unit_name = SCRIPT_NAME if (code, u) == ("32.01", 1) else f"Dinas {function} {name}"
            cohort = 0 if u >= n_units - n_never else FIRST_PERIOD + 3 + (u % 5)
            base_ikm = rng.normal(80, 4)
            pns = int(rng.integers(2, 60))
            for k in range(N_PERIODS):
                pidx = FIRST_PERIOD + k
                treated = int(cohort > 0 and pidx >= cohort)
                n_p3k = (2 + (pidx - cohort) * 2) if treated else 0
                n_part = 1 if treated and k > 9 else 0
                n_other = int(rng.integers(0, 8))
                n_pns = max(0, pns + int(rng.integers(-2, 3)))
                n_staff = n_pns + n_p3k + n_part + n_other
                respondents = int(rng.choice([3, 40, 120, 300]))
                ikm = float(np.clip(base_ikm + 0.3 * k + TRUE_EFFECT * treated
                                    + rng.normal(0, 1.0), 25, 100))
                rows.append({
                    "unit_id": unit_id, "kode_provinsi": prov, "nama_provinsi": prov_name,
                    "kode_pemda": code, "nama_pemda": name, "unit_function": function,
                    "unit_name": unit_name, "period": period_label(pidx), "period_index": pidx,
                    "n_pns": n_pns, "n_p3k": n_p3k, "n_p3k_part_time": n_part, "n_other": n_other,
                    "n_staff": n_staff, "p3k_share": (n_p3k + n_part) / n_staff,
                    "p3k_hires": 2 if treated else 0, "cohort": cohort, "treated": treated,
                    "ikm": round(ikm, 2), "ikm_category": ikm_category(ikm),
                    "respondents": respondents, "sample_adequate": respondents >= 100,
                    "ikm_source": "answers",
                })
    panel = pd.DataFrame(rows, columns=[c for c in PANEL.columns if not c.startswith("flag_")])
    for col in ("kode_provinsi", "kode_pemda", "unit_id", "period"):
        panel[col] = panel[col].astype("string")
    return panel


def make_rejects(with_rows: bool = True) -> pd.DataFrame:
    """The rejects ledger; with rows, two reasons for 32.01 (plus a kode_pemda column)."""
    if not with_rows:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in REJECT_COLUMNS})
    rows = [
        ("pegawai/roster.csv", "", 12, "nip", "1,98603E+17", "NIP damaged by a spreadsheet"),
        ("pegawai/roster.csv", "", 40, "tmt", "#REF!", "Excel error cell in a required value"),
        ("skm/2023.xlsx", "Sheet1", 7, "u3", "<b>5</b>", "answer outside 1-4"),
    ]
    rejects = pd.DataFrame(rows, columns=REJECT_COLUMNS)
    rejects["kode_pemda"] = ["32.01", "32.01", "11.01"]
    return rejects.astype({"row": "int64"})


def write_processed(folder: Path, seed: int = 0, with_rejects: bool = True) -> Path:
    """Write panel.parquet, units.parquet, rejects.parquet and cleaning_summary.json."""
    folder.mkdir(parents=True, exist_ok=True)
    panel = make_panel(seed)
    panel.to_parquet(folder / "panel.parquet", index=False)
    units = (panel.sort_values("period_index")
             .groupby("unit_id", as_index=False)
             .last()[["unit_id", "kode_pemda", "nama_pemda", "unit_function", "unit_name"]])
    units.to_parquet(folder / "units.parquet", index=False)
    make_rejects(with_rejects).to_parquet(folder / "rejects.parquet", index=False)
    summary = {"dataset": "fixture", "synthetic": True, "rows_read": len(panel) + 3,
               "rows_rejected": 3 if with_rejects else 0}
    (folder / "cleaning_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return folder
