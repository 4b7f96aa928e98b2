"""The OPD (work unit) dictionary: a written unit name -> canonical function and a stable key.

Each pemda names and merges its offices differently ("DPMPTSP, Tenaga Kerja dan Transmigrasi").
A unit's key within its pemda is its function (plus the place, for functions a pemda has
several of: Puskesmas, RSUD), so "Dinas Pendidikan" and "Dinas Pendidikan dan Kebudayaan" are the
same unit across periods. Rules are keyword matches in the order of `data/unit_functions.csv`
(specific before general); a name that matches nothing stays its own unit, flagged.

The function is an attribute, not the identity: two offices of one function side by side in
one pemda and period (Dinas Pertanian beside Dinas Ketahanan Pangan) are two units, told apart
by `office_key` (`clean.common.separate_offices`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from p3k_study.reference.regions import data_csv, squash

UNMATCHED = "unmatched"
_NOISE = re.compile(
    r"\b(upt|uptd|unit pelaksana teknis( daerah)?|dinas|badan|kantor|kabupaten|kab|kota|"
    r"umum|daerah|rumah sakit|rsud|puskesmas|pkm|dan|provinsi)\b"
)


@cache
def unit_functions() -> pd.DataFrame:
    """The dictionary: function, label_id, label_en, canonical_name, short_forms, keywords,
    p3k_stream ('teacher'|'health'|'technical'), multiple ('yes' if a pemda has several)."""
    return data_csv("unit_functions.csv")


def normalise_unit_name(name: object) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", str(name).lower()).split())


@cache
def _rules() -> list[tuple[str, re.Pattern[str], bool]]:
    rules = []
    for row in unit_functions().itertuples(index=False):
        words = "|".join(re.escape(k) for k in row.keywords.split("|"))
        rules.append((row.function, re.compile(rf"\b({words})\b"), row.multiple == "yes"))
    return rules


@dataclass(frozen=True)
class UnitMatch:
    function: str
    unit_key: str  # stable within a pemda: 'education', 'primary_care/cibinong', 'unmatched/...'
    matched: bool


@cache
def match_unit(name: str) -> UnitMatch:
    """Map a written unit name to its function and stable key within a pemda."""
    text = normalise_unit_name(name)
    for function, pattern, multiple in _rules():
        if pattern.search(text):
            place = squash(_NOISE.sub(" ", text)) if multiple else ""
            return UnitMatch(function, f"{function}/{place}" if place else function, True)
    return UnitMatch(UNMATCHED, f"{UNMATCHED}/{squash(text) or 'blank'}", False)


@cache
def office_key(name: str) -> str:
    """The office a name denotes within its function: the name without the words every office
    name has ('dinas', 'badan', 'kabupaten', 'dan', ...), squashed: 'Dinas Ketahanan Pangan' ->
    'ketahananpangan', 'Satpol PP' -> 'satpolpp'."""
    return squash(_NOISE.sub(" ", normalise_unit_name(name))) or "blank"
