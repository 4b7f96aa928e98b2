"""The package's one error hierarchy: the CLI prints a `UserError` (`UnreadableFile`,
`DataError`, `DatasetError`, an estimator's `EstimationError`, `StageError`) as one line and
exits 2. Every `UserError` pickles whole, so one raised in a worker process arrives as raised.
"""

from __future__ import annotations

import copyreg
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class UserError(Exception):
    """Base class: a problem with the user's input or options, not a bug in the package."""

    def __reduce__(self) -> tuple[Any, ...]:
        # made again without its constructor (which takes other arguments than `args`)
        return copyreg.__newobj__, (type(self), *self.args), self.__dict__


class UnreadableFile(UserError):
    """A file that cannot be read as a table at all."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class DataError(UserError):
    """A file that is a table but cannot be used (e.g. a required column is missing)."""

    def __init__(self, path: Path | str, reason: str, sheet: str | None = None) -> None:
        self.path = str(path)
        self.sheet = sheet
        self.reason = reason
        where = f"{self.path} [sheet {sheet}]" if sheet else self.path
        super().__init__(f"{where}: {reason}")


class DatasetError(UserError):
    """A dataset description (`dataset.json`) that cannot be used: invalid JSON, or a key whose
    value is not what it must be."""

    def __init__(self, path: Path | str, reason: str, key: str | None = None) -> None:
        self.path = str(path)
        self.key = key
        self.reason = reason
        super().__init__(f"{self.path}" + (f", key {key!r}" if key else "") + f": {reason}")


class StageError(UserError, RuntimeError):
    """An unexpected failure inside one stage of prepare (a bug in p3k-study, or input no rule
    foresaw): one line naming the stage, the file(s) it was working on and the error, never a
    traceback. The command line prints it and exits 2."""

    def __init__(self, stage: str, files: Sequence[str], error: BaseException | str) -> None:
        from p3k_study.clean.privacy import mask_digits

        self.stage = stage
        self.files = [str(f) for f in files]
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.error = mask_digits(" ".join(str(text).split()))
        if len(self.error) > 300:
            self.error = self.error[:297] + "..."
        where = ", ".join(self.files[:3])
        if len(self.files) > 3:
            where += f" and {len(self.files) - 3} more"
        super().__init__(f"internal error while {stage}" + (f" ({where})" if where else "")
                         + f": {self.error} (a bug in p3k-study: please report this line)")
