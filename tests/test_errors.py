"""One error hierarchy: every user error pickles whole, crosses a worker process intact, and the
command line tells user errors from bugs by class."""

from __future__ import annotations

import multiprocessing
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from p3k_study.cli import main
from p3k_study.errors import DataError, DatasetError, StageError, UnreadableFile, UserError
from p3k_study.estimate import EstimationError

ERRORS = [
    UserError("plain message"),
    UnreadableFile("pegawai/a.csv", "binary content"),
    DataError("pegawai/a.xlsx", "no column tmt", sheet="2023"),
    DatasetError("raw/dataset.json", "'15-01-2025' is not a date", key="reference_date"),
    StageError("cleaning the ikm files", ["ikm/a.csv"], KeyError("unit_layanan")),
    EstimationError("every observation is treated"),
]
IDS = [type(error).__name__ for error in ERRORS]


def _same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert str(a) == str(b) and a.args == b.args
    assert vars(a) == vars(b)


@pytest.mark.parametrize("error", ERRORS, ids=IDS)
def test_a_user_error_survives_a_pickle_round_trip(error: UserError) -> None:
    _same(pickle.loads(pickle.dumps(error)), error)


def _raise(error: BaseException) -> None:
    raise error


@pytest.mark.parametrize("error", ERRORS, ids=IDS)
def test_a_user_error_raised_in_a_worker_process_arrives_intact(error: UserError) -> None:
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with (ProcessPoolExecutor(max_workers=1, mp_context=context) as pool,
          pytest.raises(type(error)) as caught):
        pool.submit(_raise, error).result()
    _same(caught.value, error)


def test_estimation_errors_are_user_errors_and_value_errors() -> None:
    assert issubclass(EstimationError, UserError) and issubclass(EstimationError, ValueError)


def test_an_error_named_like_an_estimation_error_is_not_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line tells errors apart by class, not by name: a ValueError that merely
    calls itself EstimationError is a bug, not one plain line."""
    import p3k_study.cli as cli

    class EstimationError(ValueError):  # named like the real one on purpose
        pass

    def estimate(args: object) -> int:
        raise EstimationError("not the estimators' error")

    monkeypatch.setattr(cli, "cmd_estimate", estimate)
    with pytest.raises(EstimationError):
        main(["estimate", "--processed", "nowhere"])


def test_a_broken_internal_import_is_a_failure_not_not_built_yet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "p3k_study.prepare", None)  # import raises
    with pytest.raises(ModuleNotFoundError):
        main(["prepare", "--raw", str(tmp_path), "--out", str(tmp_path / "out"), "-q"])
