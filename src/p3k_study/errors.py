"""Errors a user can fix. The CLI prints them as one line (file, row, column, what is wrong)."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Base class: a problem with the user's input or options, not a bug in the package."""


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
