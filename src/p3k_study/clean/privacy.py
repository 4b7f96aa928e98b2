"""Pseudonyms for employees: NIP and names never leave the cleaning step (UU 27/2022).

`employee_id` = the first 16 hex digits of HMAC-SHA256(salt, normalised NIP). The same NIP and
salt always give the same id, so one person's spells in several units stay linked; without the
salt the id cannot be turned back into the NIP by trying every plausible number.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import numpy as np
import pandas as pd

PSEUDONYM_LENGTH = 16


def pseudonym(value: str, salt: str) -> str:
    """Salted pseudonym of one normalised NIP."""
    digest = hmac.new(salt.encode("utf-8"), value.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_LENGTH]


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    """`pseudonym` per unique value; missing stays missing.

    HMAC is computed from its definition, H((K ^ opad) || H((K ^ ipad) || m)), with the two
    keyed SHA-256 states made once and copied per value: the same digests as `pseudonym`
    (tested) at about half the cost of `hmac`'s per-value objects (350,000 NIPs nationally)."""
    codes, uniques = pd.factorize(values)
    inner, outer = _keyed_states(salt.encode("utf-8"))
    ids = []
    for value in uniques:
        digest = inner.copy()
        digest.update(str(value).encode("utf-8"))
        final = outer.copy()
        final.update(digest.digest())
        ids.append(final.hexdigest()[:PSEUDONYM_LENGTH])
    table = np.array([*ids, None], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype="string")


def _keyed_states(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states after absorbing K ^ ipad and K ^ opad (RFC 2104)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key))
    outer = hashlib.sha256(bytes(k ^ 0x5C for k in key))
    return inner, outer
