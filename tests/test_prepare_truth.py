"""prepare() on the simulated demo recovers the simulator's truth.

Runs when data/raw/demo and data/truth/demo exist (or P3K_STUDY_DEMO_RAW / _TRUTH point to a
simulated dataset and its truth folder). The reference date comes from the dataset's own
`dataset.json` (the simulator's extraction date), so the result does not depend on file
modification times.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _raw_helpers import undocumented

from p3k_study.config import Config
from p3k_study.prepare import prepare

RAW = Path(os.environ.get("P3K_STUDY_DEMO_RAW", "data/raw/demo"))
TRUTH = Path(os.environ.get("P3K_STUDY_DEMO_TRUTH", "data/truth/demo"))

pytestmark = pytest.mark.skipif(
    not (RAW.is_dir() and (TRUTH / "truth_panel.parquet").is_file()),
    reason="simulated demo data not present (make demo)")

EXPECTED_REASON = {
    "duplicate_row": "duplicate of row",
    "nip_scientific": "NIP damaged",
    "nip_trailing_000": "NIP damaged",
    "status_contradicts_nip": "status is",
    "unknown_region": "region not resolved",
    "excel_error": "Excel error cell",
    "missing_required": "missing required value",
    "future_tmt": "after the reference date",
    "impossible_score": "score outside 1-4",
    "ikm_out_of_range": "IKM outside 25-100",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo_out")
    return prepare(RAW, out, config=Config(salt="truth-test"))


def test_reference_date_comes_from_dataset_json(result) -> None:
    params = json.loads((TRUTH / "parameters.json").read_text())
    assert result.summary["reference_date"] == params["extraction_date"][:10]
    assert result.summary["reference_date_source"] == "dataset.json:reference_date"
    assert result.summary["warnings"] == []  # synthetic: the demo salt warning is not needed


@pytest.fixture(scope="module")
def matched(result) -> pd.DataFrame:
    injected = pd.read_csv(TRUTH / "injected_rejects.csv", dtype=str)
    injected["row"] = injected["row"].astype(int)
    injected["sheet"] = injected["sheet"].fillna("")
    rejects = result.tables["rejects"].copy()
    rejects["sheet"] = rejects["sheet"].fillna("").astype(str)
    rejects["source_file"] = rejects["source_file"].astype(str)
    return injected.merge(rejects, left_on=["file", "sheet", "row"],
                          right_on=["source_file", "sheet", "row"], how="outer",
                          indicator=True, suffixes=("_injected", "_found"))


def test_no_good_row_is_rejected(matched: pd.DataFrame) -> None:
    extra = matched[matched["_merge"] == "right_only"]
    assert extra.empty, extra[["source_file", "sheet", "row", "reason"]].to_string()


def test_every_injected_row_is_rejected_for_its_reason(matched: pd.DataFrame) -> None:
    missed = matched[matched["_merge"] == "left_only"]
    assert missed.empty, missed.to_string()
    both = matched[matched["_merge"] == "both"]
    ok = [want in found for want, found in
          zip(both["kind"].map(EXPECTED_REASON), both["reason"], strict=True)]
    wrong = both[~pd.Series(ok, index=both.index)]
    assert wrong.empty, wrong[["file", "row", "kind", "reason"]].to_string()
    column_ok = (both["column_injected"].fillna("") == both["column_found"].fillna("")) | (
        (both["column_injected"] == "tanggal_survei") & (both["column_found"] == "periode"))
    assert column_ok.all(), both[~column_ok].to_string()


def test_staff_cohorts_and_ikm_equal_the_truth(result, matched: pd.DataFrame) -> None:
    truth = pd.read_parquet(TRUTH / "truth_panel.parquet")  # every unit in every period
    # the panel's rows: a period in which the unit has staff in post or an IKM (`p3k_study.panel`)
    truth = truth[(truth["n_staff"] > 0) | (truth["ikm_source"].fillna("") != "")]
    panel = result.tables["panel"]
    keys = ["unit_id", "period_index"]
    joined = truth.merge(panel, on=keys, how="outer", suffixes=("_t", "_p"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"].head()
    for col in ("n_pns", "n_p3k", "n_p3k_part_time", "n_other", "p3k_hires", "cohort"):
        diff = joined[col + "_t"].astype(float) != joined[col + "_p"].astype(float)
        assert not diff.any(), (col, joined.loc[diff, keys].head())
    answers = joined["ikm_source_t"] == "answers"
    gap = np.abs(joined["ikm_t"] - joined["ikm_p"])[answers]
    assert gap.max() < 1e-9
    published = joined["ikm_source_t"] == "published"
    assert (joined["ikm_t"][published] == joined["ikm_p"][published]).all()
    none = joined["ikm_source_t"].fillna("") == ""
    assert joined["ikm_p"][none].isna().all()
    assert (joined["respondents_t"][answers] == joined["respondents_p"][answers]).all()


def test_unmatched_units_are_listed(result) -> None:
    truth = pd.read_csv(TRUTH / "unmatched_units.csv")
    listed = {u["unit_id"] for u in result.summary["unmatched_units"]}
    assert listed == set(truth["unit_id"])


def test_every_reason_in_the_ledger_is_documented(result) -> None:
    assert not undocumented(result.tables["rejects"]["reason"])


def test_reconciliation(result) -> None:
    for record in result.summary["files"].values():
        assert record["rows_in"] == record["rows_clean"] + record["rows_rejected"]


def test_pemda_with_staff_counts_use_them(result) -> None:
    files = [name for name in result.summary["files"] if name.startswith("jumlah_pegawai/")]
    assert files
    codes = {name.split("/")[1].split("_")[0] for name in files}
    panel = result.tables["panel"]
    from_counts = panel["kode_pemda"].isin(codes).to_numpy(bool)
    assert panel.loc[from_counts, "flag_staff_from_counts"].all()
    assert not panel.loc[~from_counts, "flag_staff_from_counts"].any()


def test_rejects_carry_their_files_region(matched: pd.DataFrame) -> None:
    found = matched[matched["_merge"] == "both"]
    resolved = found["kind"] != "unknown_region"
    expected = found["file"].str.split("/").str[1].str.split("_").str[0]
    assert (found.loc[resolved, "kode_pemda"] == expected[resolved]).all()
    assert found.loc[~resolved, "kode_pemda"].isna().all()


def test_unit_outcomes_equal_the_truth(result) -> None:
    truth = pd.read_csv(TRUTH / "truth_kinerja.csv")
    clean = result.tables["kinerja"]
    joined = truth.merge(clean, on=["unit_id", "year"], how="outer", suffixes=("_t", "_p"),
                         indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"].head()
    for col in ("nilai_sakip", "skp_sangat_baik", "skp_baik", "skp_butuh_perbaikan",
                "skp_kurang", "skp_sangat_kurang"):
        t, p = joined[col + "_t"], joined[col + "_p"]
        assert ((t == p) | (t.isna() & p.isna())).all(), col
    assert (joined["predikat_sakip_t"] == joined["predikat_sakip_p"]).all()
    assert not joined["flag_predikat_disagrees"].any()
