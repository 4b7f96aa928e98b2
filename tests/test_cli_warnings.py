"""Warnings reach the terminal as one plain line each: `warning: <message>`, with periods as
labels, without Python's `file.py:123: Category:` prefix or the echoed source line; also when
the models run in the child Python of `pipeline.estimate_reproducibly`."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from fixtures_panel import FIRST_PERIOD, write_processed

from p3k_study.cli import main, plain_warnings

LONE_COHORT = FIRST_PERIOD + 9  # 2023-S2: one unit alone in its cohort makes att_gt warn


@pytest.fixture(scope="module")
def warning_panel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_processed(tmp_path_factory.mktemp("warn") / "processed", seed=0)
    panel = pd.read_parquet(folder / "panel.parquet")
    lone = panel["unit_id"] == panel["unit_id"].iloc[0]
    panel.loc[lone, "cohort"] = LONE_COHORT
    panel.loc[lone, "treated"] = (panel.loc[lone, "period_index"] >= LONE_COHORT).astype(int)
    panel.to_parquet(folder / "panel.parquet", index=False)
    return folder


def _assert_plain(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    notes = [line for line in lines if line.startswith("warning: ")]
    assert notes, stderr
    assert "single unit" in stderr and "[2023-S2]" in stderr
    for bad in ("EstimationWarning", ".py:", "warnings.warn", str(LONE_COHORT), "Traceback"):
        assert bad not in stderr, stderr
    assert all(line.startswith("warning: ") for line in lines), stderr  # no echoed source lines
    return notes


def test_estimate_prints_plain_warning_lines(warning_panel, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run(
        [sys.executable, "-m", "p3k_study", "estimate", "--processed", str(warning_panel),
         "--out", str(tmp_path / "est")], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    _assert_plain(done.stderr)


def test_the_model_child_process_warns_in_plain_lines(warning_panel, tmp_path):
    """With randomised string hashing the models run in a child Python; its warnings come back
    as warnings of the parent, printed by the command line's hook."""
    code = ("import sys; from pathlib import Path; from p3k_study.cli import plain_warnings; "
            "from p3k_study.pipeline import estimate_reproducibly\n"
            "with plain_warnings():\n"
            "    estimate_reproducibly(Path(sys.argv[1]))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "PYTHONWARNINGS")}
    done = subprocess.run([sys.executable, "-c", code, str(warning_panel)], capture_output=True,
                          text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    _assert_plain(done.stderr)


def test_main_restores_the_warning_hook(warning_panel, tmp_path, capsys):
    before = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["estimate", "--processed", str(warning_panel),
                     "--out", str(tmp_path / "est")]) == 0
    assert warnings.showwarning is before
    _assert_plain(capsys.readouterr().err)


def test_a_multi_line_warning_is_one_line(capsys):
    with warnings.catch_warnings(), plain_warnings():
        warnings.simplefilter("always")
        warnings.warn("first line\n  second line", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "warning: first line second line\n"


CAUGHT = ("import sys, warnings; from pathlib import Path; "
          "from p3k_study.pipeline import estimate_reproducibly\n"
          "with warnings.catch_warnings(record=True) as caught:\n"
          "    warnings.simplefilter('always')\n"
          "    estimate_reproducibly(Path(sys.argv[1]))\n"
          "for w in caught:\n"
          "    message = ' '.join(str(w.message).split())\n"
          "    print(w.category.__module__, w.category.__qualname__, message)\n")


def _caught_warnings(processed: Path, hash_seed: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "PYTHONWARNINGS")}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    done = subprocess.run([sys.executable, "-c", CAUGHT, str(processed)], capture_output=True,
                          text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_warnings_from_the_model_child_process_keep_their_category(warning_panel):
    """With randomised hashing the models run in a child Python; each warning it shows comes
    back with the category (and text) the same models warn with in-process (PYTHONHASHSEED=0),
    which also sees the warnings the child's command line filters out (deprecations)."""
    from_child = _caught_warnings(warning_panel, hash_seed=None)
    in_process = _caught_warnings(warning_panel, hash_seed="0")
    assert any(line.startswith("p3k_study.estimate._common EstimationWarning ")
               for line in from_child), from_child
    assert set(from_child) <= set(in_process)
