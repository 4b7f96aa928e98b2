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

    from p3k_study.pipeline import is_synthetic

    root = Path(__file__).resolve().parents[1]
    assert is_synthetic(root / "data" / "raw" / "demo")
    assert not is_synthetic(root / "docs")
