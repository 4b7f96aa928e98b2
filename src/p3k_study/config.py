"""Run configuration for the cleaning stage: salt, reference date, panel frequency, cohort rule.

Nothing here reads the clock: a run is reproducible from its raw folder and its `Config`.
`Config.from_env()` reads `P3K_STUDY_SALT` and `P3K_STUDY_REFERENCE_DATE` (YYYY-MM-DD); anything
unset keeps its default. The panel period is an argument (`prepare(..., freq=)`, `--period`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from p3k_study.errors import DatasetError, UserError

DEMO_SALT = "p3k-study-demo-salt-not-for-real-data"
"""Salt used when none is given. Fine for the synthetic demo; real data must set its own."""

ENV_SALT = "P3K_STUDY_SALT"
ENV_REFERENCE_DATE = "P3K_STUDY_REFERENCE_DATE"
DATASET_MARKER = "dataset.json"


@dataclass(frozen=True)
class CohortRule:
    """When a unit counts as treated: the first period with at least `min_hires` P3K hires and,
    when `min_share` is set, a P3K share of staff of at least `min_share` on the period's last day.
    """

    min_hires: int = 1
    min_share: float | None = None

    def describe(self) -> str:
        text = f"first period with >= {self.min_hires} P3K hire(s)"
        return text + (f" and P3K share >= {self.min_share:g}" if self.min_share else "")


@dataclass(frozen=True)
class Config:
    """Settings of one prepare run.

    - salt: key of the employee pseudonym (HMAC-SHA256 of the normalised NIP). None = the
      documented demo salt, with a warning unless the dataset says it is synthetic.
    - reference_date: dates after it are impossible (rejected). None = read from the dataset
      (`dataset.json` "reference_date"), else the newest modification date of the raw files.
    - freq: panel period, 'semester' | 'quarter' | 'year'.
    - cohort_rule: see `CohortRule`.
    - ikm_disagreement: points by which IKM from answers may differ from a published IKM before
      the pair is flagged.
    """

    salt: str | None = None
    reference_date: dt.date | None = None
    freq: str = "semester"
    cohort_rule: CohortRule = field(default_factory=CohortRule)
    ikm_disagreement: float = 0.5

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Defaults overridden by P3K_STUDY_SALT and P3K_STUDY_REFERENCE_DATE."""
        env = os.environ if environ is None else environ
        written = env.get(ENV_REFERENCE_DATE)
        try:
            date = dt.date.fromisoformat(written.strip()) if written else None
        except ValueError as error:
            raise UserError(f"{ENV_REFERENCE_DATE}={written!r} is not a date in the format "
                            "YYYY-MM-DD (e.g. 2026-01-15)") from error
        return cls(salt=env.get(ENV_SALT) or None, reference_date=date)

    @property
    def effective_salt(self) -> str:
        return self.salt or DEMO_SALT

    @property
    def uses_demo_salt(self) -> bool:
        return not self.salt


MARKER_DATE_KEYS = ("reference_date", "as_of", "generated_for")
"""Keys of `dataset.json` that may give the reference date, the first found wins."""


@dataclass(frozen=True)
class DatasetMarker:
    """What a raw dataset folder says about itself, read once (`read_dataset_marker`).

    - data: `dataset.json` as read, {} when there is none; keys this package does not know are
      passed through.
    - synthetic: the dataset says it was simulated: dataset.json holds {"synthetic": true}, or,
      without a dataset.json, README.md opens with the simulator's '# SYNTHETIC data' heading.
    - reference_key, reference_date: the first key of `MARKER_DATE_KEYS` present and its date
      (None when there is none).
    """

    data: dict[str, object] = field(default_factory=dict)
    synthetic: bool = False
    reference_key: str | None = None
    reference_date: dt.date | None = None


def read_dataset_marker(raw: Path) -> DatasetMarker:
    """The dataset's own description (`dataset.json`, else its README.md's heading).

    Raises `DatasetError` (file, key, what is wrong, the format expected) for a file that is not
    a JSON object, a date key (`MARKER_DATE_KEYS`) that is not a YYYY-MM-DD date, or a
    `synthetic` that is not true or false."""
    marker = Path(raw) / DATASET_MARKER
    if not marker.is_file():
        readme = Path(raw) / "README.md"
        text = readme.read_text(encoding="utf-8", errors="replace") if readme.is_file() else ""
        return DatasetMarker(synthetic=text.lstrip().startswith("# SYNTHETIC"))
    example = 'an object such as {"reference_date": "2026-01-15", "synthetic": false}'
    try:
        data = json.loads(marker.read_text(encoding="utf-8-sig"))  # Notepad writes a BOM
    except UnicodeDecodeError as error:
        raise DatasetError(marker, f"not UTF-8 text (byte {error.start}); expected {example} "
                           "saved as UTF-8") from error
    except json.JSONDecodeError as error:
        raise DatasetError(marker, f"not valid JSON ({error.msg} at line {error.lineno}, "
                           f"column {error.colno}); expected {example}") from error
    if not isinstance(data, dict):
        raise DatasetError(marker, f"holds a JSON {type(data).__name__}; expected {example}")
    dates = {key: _marker_date(marker, key, data[key]) for key in MARKER_DATE_KEYS if key in data}
    if "synthetic" in data and not isinstance(data["synthetic"], bool):
        raise DatasetError(marker, f"{data['synthetic']!r} is not true or false (JSON "
                           "booleans, without quotes)", key="synthetic")
    key = next(iter(dates), None)
    return DatasetMarker(data, data.get("synthetic") is True, key, dates.get(key))


def _marker_date(marker: Path, key: str, value: object) -> dt.date:
    """A date key of `dataset.json` as a date (an ISO date, or an ISO date-time's day)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.datetime.fromisoformat(value.strip()).date()
    raise DatasetError(marker, f"{value!r} is not a date in the format YYYY-MM-DD "
                       "(year-month-day, e.g. \"2026-01-15\")", key=key)


def is_synthetic(raw: Path) -> bool:
    """True when the dataset folder says it was simulated (`DatasetMarker.synthetic`)."""
    return read_dataset_marker(raw).synthetic


def resolve_reference_date(config: Config, raw: Path, marker: DatasetMarker | None = None
                           ) -> tuple[dt.date, str]:
    """The reference date of a run and where it came from ('config', 'dataset.json:<key>',
    'files'). `marker`: `read_dataset_marker(raw)` when already read (else it is read here,
    raising `DatasetError` for an unreadable dataset.json)."""
    if config.reference_date is not None:
        return config.reference_date, "config"
    marker = marker or read_dataset_marker(raw)
    if marker.reference_date is not None:
        return marker.reference_date, f"{DATASET_MARKER}:{marker.reference_key}"
    mtimes = [p.stat().st_mtime for p in Path(raw).rglob("*") if p.is_file()]
    if not mtimes:
        return dt.date(2100, 1, 1), "none (empty dataset)"
    newest = dt.datetime.fromtimestamp(max(mtimes), tz=dt.UTC).date()
    return newest, "files (newest modification date)"


def check_salt(config: Config, synthetic: bool) -> str | None:
    """A warning text when the demo salt is used on data that does not say it is synthetic."""
    if not config.uses_demo_salt or synthetic:
        return None
    text = (f"no salt given: pseudonyms use the public demo salt; set {ENV_SALT} or --salt "
            "for real data")
    warnings.warn(text, stacklevel=2)
    return text
