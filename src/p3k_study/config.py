"""Run configuration for the cleaning stage: salt, reference date, panel frequency, cohort rule.

Nothing here reads the clock: a run is reproducible from its raw folder and its `Config`.
`Config.from_env()` reads `P3K_STUDY_SALT`, `P3K_STUDY_REFERENCE_DATE` (YYYY-MM-DD) and
`P3K_STUDY_PERIOD`; anything unset keeps its default.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

DEMO_SALT = "p3k-study-demo-salt-not-for-real-data"
"""Salt used when none is given. Fine for the synthetic demo; real data must set its own."""

ENV_SALT = "P3K_STUDY_SALT"
ENV_REFERENCE_DATE = "P3K_STUDY_REFERENCE_DATE"
ENV_PERIOD = "P3K_STUDY_PERIOD"
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
    - k_anonymity: smallest group size a report may show (reports use it; the panel does not).
    - ikm_disagreement: points by which IKM from answers may differ from a published IKM before
      the pair is flagged.
    """

    salt: str | None = None
    reference_date: dt.date | None = None
    freq: str = "semester"
    cohort_rule: CohortRule = field(default_factory=CohortRule)
    k_anonymity: int = 5
    ikm_disagreement: float = 0.5

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Defaults overridden by P3K_STUDY_SALT, P3K_STUDY_REFERENCE_DATE, P3K_STUDY_PERIOD."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        if env.get(ENV_SALT):
            kwargs["salt"] = env[ENV_SALT]
        if env.get(ENV_REFERENCE_DATE):
            kwargs["reference_date"] = dt.date.fromisoformat(env[ENV_REFERENCE_DATE].strip())
        if env.get(ENV_PERIOD):
            kwargs["freq"] = env[ENV_PERIOD].strip()
        return cls(**kwargs)  # type: ignore[arg-type]

    def with_salt(self, salt: str) -> Config:
        return replace(self, salt=salt)

    def with_reference_date(self, date: dt.date) -> Config:
        return replace(self, reference_date=date)

    @property
    def effective_salt(self) -> str:
        return self.salt or DEMO_SALT

    @property
    def uses_demo_salt(self) -> bool:
        return not self.salt


def read_dataset_marker(raw: Path) -> dict[str, object]:
    """The dataset's own description (`dataset.json`), or {} when there is none."""
    marker = Path(raw) / DATASET_MARKER
    if not marker.is_file():
        return {}
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve_reference_date(config: Config, raw: Path) -> tuple[dt.date, str]:
    """The reference date of a run and where it came from ('config', 'dataset.json', 'files')."""
    if config.reference_date is not None:
        return config.reference_date, "config"
    marker = read_dataset_marker(raw)
    for key in ("reference_date", "as_of", "generated_for"):
        value = marker.get(key)
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value[:10]), f"{DATASET_MARKER}:{key}"
            except ValueError:
                continue
    mtimes = [p.stat().st_mtime for p in Path(raw).rglob("*") if p.is_file()]
    if not mtimes:
        return dt.date(2100, 1, 1), "none (empty dataset)"
    newest = dt.datetime.fromtimestamp(max(mtimes), tz=dt.UTC).date()
    return newest, "files (newest modification date)"


def check_salt(config: Config, raw: Path) -> str | None:
    """A warning text when the demo salt is used on data that does not say it is synthetic."""
    if not config.uses_demo_salt or read_dataset_marker(raw).get("synthetic") is True:
        return None
    text = (f"no salt given: pseudonyms use the public demo salt; set {ENV_SALT} or --salt "
            "for real data")
    warnings.warn(text, stacklevel=2)
    return text
