"""Pseudonyms for employees: NIP and names never leave the cleaning step (UU 27/2022).

`employee_id` = the first 16 hex digits of HMAC-SHA256(salt, normalised NIP). The same NIP and
salt always give the same id, so one person's spells in several units stay linked; without the
salt the id cannot be turned back into the NIP by trying every plausible number.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

PSEUDONYM_LENGTH = 16


def pseudonym(value: str, salt: str) -> str:
    """Salted pseudonym of one normalised NIP."""
    digest = hmac.new(salt.encode("utf-8"), value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_LENGTH]


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    """`pseudonym` per unique value; missing stays missing. The keyed hash state is made once
    and copied per value (the same digests as `pseudonym`, without re-keying each time)."""
    codes, uniques = pd.factorize(values)
    keyed = hmac.new(salt.encode("utf-8"), digestmod=hashlib.sha256)
    ids = []
    for value in uniques:
        digest = keyed.copy()
        digest.update(str(value).encode("utf-8"))
        ids.append(digest.hexdigest()[:PSEUDONYM_LENGTH])
    table = np.array([*ids, None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype="string")
