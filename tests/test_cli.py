"""The command line: every subcommand has --help; user mistakes end in one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from p3k_study.cli import build_parser, main

SUBCOMMANDS = ["simulate", "prepare", "estimate", "reports", "run", "verify"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: p3k-study " + command in capsys.readouterr().out


def test_run_defaults_are_the_demo_folders() -> None:
    args = build_parser().parse_args(["run"])
    assert args.dataset == "demo" and args.raw is None
    args = build_parser().parse_args(["reports"])
    assert args.processed == "data/processed/demo" and args.out == "reports/demo"


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "p3k_study", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert all(command in done.stdout for command in SUBCOMMANDS)


def test_a_missing_raw_folder_is_one_plain_message(tmp_path, capsys) -> None:
    code = main(
        [
            "run",
            "--raw",
            str(tmp_path / "nowhere"),
            "--processed",
            str(tmp_path / "p"),
            "--reports",
            str(tmp_path / "r"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "raw dataset folder not found" in err and "Traceback" not in err


def test_bad_option_values_are_refused_by_the_parser(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reports", "--jobs", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_the_demo_dataset_is_recognised_as_synthetic() -> None:
    from pathlib import Path

    from p3k_study.config import is_synthetic

    root = Path(__file__).resolve().parents[1]
    assert is_synthetic(root / "data" / "raw" / "demo")
    assert not is_synthetic(root / "docs")


def test_prepare_then_reports_on_the_demo_shows_the_synthetic_banner_and_the_truth(
        tmp_path, monkeypatch) -> None:
    """Without `run`: prepare writes the dataset's synthetic flag to cleaning_summary.json,
    and `reports` shows the banner and, from the simulator's truth files, the true value."""
    import json
    from pathlib import Path

    import pandas as pd

    from p3k_study.reports.text import t

    root = Path(__file__).resolve().parents[1]
    truth = pd.read_csv(root / "data" / "truth" / "demo" / "truth_regions.csv", dtype=str)
    region = truth.dropna(subset=["att_true"])["region"].iloc[0]
    monkeypatch.chdir(root)  # the summary names the raw folder as given: data/raw/demo
    processed, reports = tmp_path / "processed", tmp_path / "reports"
    assert main(["prepare", "--raw", "data/raw/demo", "--out", str(processed), "-q"]) == 0
    summary = json.loads((processed / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["synthetic"] is True
    assert main(["reports", "--processed", str(processed), "--out", str(reports),
                 "--regions", region, "--jobs", "1", "-q"]) == 0
    page = next(reports.glob("*/report.html")).read_text(encoding="utf-8")
    assert 'class="p3k-banner"' in page and t("synthetic_banner", "id")[:30] in page
    assert t("truth_sentence", "id", truth="").split(":")[0] in page


def test_run_regions_option_can_skip_or_limit_the_reports() -> None:
    from p3k_study.cli import _run_regions

    assert _run_regions("none") is None and _run_regions("NONE") is None
    assert _run_regions("all") == "all"
    assert _run_regions("32.01, 32.73") == ["32.01", "32.73"]
    args = build_parser().parse_args(["run", "--regions", "none", "--period", "year"])
    assert args.regions == "none" and args.period == "year"


def test_verify_without_a_manifest_is_one_plain_message(tmp_path, capsys) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no manifest.json" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_panel_the_models_cannot_use_is_one_plain_message(tmp_path, capsys) -> None:
    import pandas as pd

    processed = tmp_path / "processed"
    processed.mkdir()
    pd.DataFrame({"unit_id": ["a", "b"], "period_index": [1, 2], "ikm": [80.0, None],
                  "treated": [0, 1], "p3k_share": [0.0, 0.1], "cohort": [0, 2]}).to_parquet(
        processed / "panel.parquet")
    code = main(["estimate", "--processed", str(processed)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith("p3k-study estimate: cannot estimate:")


@pytest.mark.parametrize("command", ["estimate", "reports"])
def test_a_processed_folder_without_a_panel_is_one_plain_message(command, tmp_path,
                                                                 capsys) -> None:
    assert main([command, "--processed", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "no panel.parquet" in err and "Traceback" not in err
