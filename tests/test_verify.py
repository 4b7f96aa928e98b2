"""Provenance and `p3k-study verify`: a rerun from the manifest matches; a changed cell is named.

The run is the tiny balanced dataset of `_tiny_run.py` with reports skipped (regions=None), so
prepare, estimate and verify take seconds; the manifest is still written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _tiny_run import change_one_ikm, write_tiny_raw

from p3k_study import pipeline
from p3k_study.cli import main
from p3k_study.pipeline import MANIFEST, run
from p3k_study.verify import estimate_moves, verify, without_timestamps

ROOT = Path(__file__).resolve().parents[1]


def _run(root: Path, raw: Path) -> Path:
    reports = root / "reports"
    run(raw=raw, processed=root / "processed", reports=reports, regions=None, progress=False)
    return reports


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (no reports) whose raw folder the tests must not change."""
    root = tmp_path_factory.mktemp("verify")
    write_tiny_raw(root / "raw")
    return _run(root, root / "raw")


def _copy_run(source: Path, target: Path) -> Path:
    """Copy a run's raw folder and rerun it, so a test may change the raw data."""
    raw = target / "raw"
    shutil.copytree(source.parent / "raw", raw)
    return _run(target, raw)


def test_manifest_records_inputs_outputs_parameters_and_environment(tiny_run: Path) -> None:
    manifest = json.loads((tiny_run / MANIFEST).read_text())
    assert set(manifest["raw"]["files"]) >= {"dataset.json", "ikm/32.01_kab-bogor.csv"}
    processed = manifest["processed"]["files"]
    assert {"panel.parquet", "cleaning_summary.json", "estimates/national.csv",
            "estimates/att_gt.csv"} <= set(processed)
    assert all(len(digest) == 64 for digest in processed.values())
    params = manifest["parameters"]
    assert params["seed"] == 20240901 and params["freq"] == "semester"
    assert params["reference_date"] == "2024-06-30" and params["salt"] == "demo"
    assert {"pandas", "pyfixest", "numpy"} <= set(manifest["packages"])
    assert manifest["python"] and manifest["platform"] and "commit" in manifest["git"]
    assert manifest["hash_seed"] == "0" and manifest["created"].endswith("+00:00")
    assert manifest["region_codes"]["panel_edition"].startswith("2025 (Kepmendagri 300.2.2-2138")
    assert manifest["estimates"] and manifest["processed"]["rows"]["panel.parquet"] == 104


def test_verify_on_an_untouched_run_exits_0_with_a_short_table(tiny_run: Path) -> None:
    lines: list[str] = []
    assert verify(tiny_run, out=lines.append) == 0
    text = "\n".join(lines)
    assert "reproduced byte for byte" in text
    assert "raw inputs" in text and "estimate tables" in text and "national estimates" in text
    assert len(lines) <= 8


def test_cli_verify_passes_in_a_fresh_process_with_another_hash_seed(tiny_run: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-m", "p3k_study", "verify", str(tiny_run)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reproduced" in done.stdout and "Traceback" not in done.stderr


def test_one_changed_raw_cell_is_named_with_the_estimates_it_moved(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = _copy_run(tiny_run, tmp_path)
    changed, _, _ = change_one_ikm(tmp_path / "raw", delta=9.0)
    capsys.readouterr()
    assert main(["verify", str(reports)]) == 1
    out = capsys.readouterr().out
    assert f"raw/{changed}: changed since the run" in out
    assert "processed/panel.parquet: content differs (rows 104 -> 104)" in out
    assert "processed/estimates/national.csv: content differs" in out
    assert "estimates that moved" in out and "twfe_indicator" in out
    table = out.split("estimates that moved")[1]
    assert "treated" in table and "change" in table


def test_estimate_moves_reports_changes_new_and_dropped_terms() -> None:
    before = pd.DataFrame({"model": ["a", "a", "b"], "term": ["x", "y", "z"],
                           "estimate": [1.0, 2.0, 3.0]})
    after = pd.DataFrame({"model": ["a", "a", "c"], "term": ["x", "y", "w"],
                          "estimate": [1.0, 2.5, 4.0]})
    moved = estimate_moves(before, after)
    assert list(moved["term"]) == ["y", "z", "w"] or set(moved["term"]) == {"y", "z", "w"}
    assert moved.set_index("term").loc["y", "change"] == pytest.approx(0.5)


def test_compare_hashes_names_missing_new_and_changed_files() -> None:
    from p3k_study.verify import compare_hashes

    lines = compare_hashes("processed", {"a.parquet": "1", "b.csv": "2", "c.json": "3"},
                           {"a.parquet": "9", "b.csv": "2", "d.csv": "4"},
                           ({"a.parquet": 10}, {"a.parquet": 12}))
    assert lines == ["processed/a.parquet: content differs (rows 10 -> 12)",
                     "processed/c.json: missing in the rerun", "processed/d.csv: new in the rerun"]
    assert compare_hashes("raw", {"x.csv": "1"}, {"y.csv": "2"}) == [
        "raw/x.csv: removed since the run", "raw/y.csv: added since the run"]


def test_two_runs_give_byte_identical_tables(tiny_run: Path, tmp_path: Path) -> None:
    """Same raw folder (cleaning_summary.json records its path), new output folders."""
    again = _run(tmp_path, tiny_run.parent / "raw")
    first = json.loads((tiny_run / MANIFEST).read_text())
    second = json.loads((again / MANIFEST).read_text())
    assert first["processed"]["files"] == second["processed"]["files"]
    assert first["estimates"] == second["estimates"]
    for name in first["processed"]["files"]:
        assert (tiny_run.parent / "processed" / name).read_bytes() == (
            tmp_path / "processed" / name).read_bytes(), name


def test_estimates_do_not_depend_on_the_callers_hash_seed(tiny_run: Path, tmp_path: Path) -> None:
    """estimate_reproducibly fixes PYTHONHASHSEED whatever the calling process uses."""
    processed = tmp_path / "processed"
    shutil.copytree(tiny_run.parent / "processed", processed)
    shutil.rmtree(processed / "estimates")
    code = ("import sys; from pathlib import Path; from p3k_study.pipeline import "
            "estimate_reproducibly; estimate_reproducibly(Path(sys.argv[1]))")
    env = {**os.environ, "PYTHONHASHSEED": "987"}
    subprocess.run([sys.executable, "-c", code, str(processed)], env=env, check=True,
                   capture_output=True)
    for name in ("national.csv", "att_gt.csv"):
        assert (processed / "estimates" / name).read_bytes() == (
            tiny_run.parent / "processed" / "estimates" / name).read_bytes()


def test_a_missing_manifest_or_raw_folder_is_one_plain_message(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no manifest.json" in err and "Traceback" not in err
    manifest = json.loads((tiny_run / MANIFEST).read_text())
    manifest["raw"]["path"] = str(tmp_path / "gone")
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "gone" in err and "is not there" in err and len(err.strip().splitlines()) == 1
    (tmp_path / MANIFEST).write_text("{not json")
    assert main(["verify", str(tmp_path)]) == 2
    assert "not a readable manifest" in capsys.readouterr().err


def test_a_different_salt_is_refused_before_rerunning(
    tiny_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("P3K_STUDY_SALT", "not-the-run-salt")
    assert main(["verify", str(tiny_run)]) == 2
    assert "unset P3K_STUDY_SALT" in capsys.readouterr().err


def test_the_salt_is_never_written_into_the_manifest(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("P3K_STUDY_SALT", "a-secret-salt-value")
    write_tiny_raw(tmp_path / "raw")
    config, recorded = pipeline.run_config(tmp_path / "raw", "semester")
    assert recorded["salt"].startswith("sha256:")
    assert "a-secret-salt-value" not in json.dumps(recorded)
    assert config.reference_date is None  # dataset.json gives the date: not pinned


def test_a_date_from_file_times_is_pinned_for_verify(tmp_path: Path) -> None:
    write_tiny_raw(tmp_path / "raw")
    (tmp_path / "raw" / "dataset.json").unlink()
    config, recorded = pipeline.run_config(tmp_path / "raw", "semester")
    assert recorded["reference_date_pinned"] is True
    assert config.reference_date is not None
    assert str(recorded["reference_date_source"]).startswith("files")


def test_environment_and_lock_are_tested_against_pyproject() -> None:
    """The lock file and environment.yml are kept in step by tests/test_packaging.py."""
    text = (ROOT / "tests" / "test_packaging.py").read_text(encoding="utf-8")
    assert "environment.yml" in text and "requirements.lock" in text


def test_reports_differ_only_in_documented_timestamp_fields(tiny_run: Path,
                                                            tmp_path: Path) -> None:
    """Two renders of one region from the same processed folder: HTML byte-identical, notebooks
    and manifests equal once TIMESTAMP_FIELDS are removed (and the paths of the two output
    folders and the manifest's git state, which other work may change in between)."""
    processed = tiny_run.parent / "processed"
    raw = tiny_run.parent / "raw"
    for name in ("first", "second"):
        run(raw=raw, processed=processed, reports=tmp_path / name, regions=["32.73"], jobs=1,
            force=True, progress=False)
    first, second = tmp_path / "first", tmp_path / "second"
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second).as_posix()
                           for p in second.rglob("*") if p.is_file())
    assert any(n.endswith("report.ipynb") for n in names)
    for name in names:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if name.endswith((".ipynb", ".json")):
            a_json, b_json = without_timestamps(json.loads(a)), without_timestamps(json.loads(b))
            if name.endswith(".ipynb"):  # where the notebook was written
                a_json["metadata"]["papermill"].pop("output_path")
                b_json["metadata"]["papermill"].pop("output_path")
            if name == MANIFEST:
                a_json.pop("git"), b_json.pop("git")
                a_json["reports"].pop("path"), b_json["reports"].pop("path")
            assert a_json == b_json, name
        else:
            assert a == b, name
