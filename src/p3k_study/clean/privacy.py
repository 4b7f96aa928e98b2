"""Pseudonyms for employees: NIP and names never leave the cleaning step (UU 27/2022).

`employee_id` = the first 16 hex digits of HMAC-SHA256(salt, normalised NIP). The same NIP and
salt always give the same id, so one person's spells in several units stay linked; without the
salt the id cannot be turned back into the NIP by trying every plausible number.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

PSEUDONYM_LENGTH = 16


def pseudonym(value: str, salt: str) -> str:
    """Salted pseudonym of one normalised NIP."""
    digest = hmac.new(salt.encode("utf-8"), value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_LENGTH]


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    """`pseudonym` per unique value; missing stays missing."""
    uniques = values.dropna().unique()
    mapping = {v: pseudonym(str(v), salt) for v in uniques}
    return values.map(mapping).astype("string")
