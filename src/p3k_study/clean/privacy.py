"""Pseudonyms for employees: NIP and names never leave the cleaning step (UU 27/2022); and
`Scrubber`, which masks NIP- and NIK-shaped numbers and roster names in whatever column of
whatever output they end up in (a row shifted by a column puts an NIP in a date cell).

`employee_id` = the first 16 hex digits of HMAC-SHA256(salt, normalised NIP). The same NIP and
salt always give the same id, so one person's spells in several units stay linked; without the
salt the id cannot be turned back into the NIP by trying every plausible number.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd


def pseudonym(value: str, salt: str) -> str:
    """Salted pseudonym of one normalised NIP: 16 hex digits."""
    mac = _keyed(salt).copy()  # the salt's HMAC state, keyed once (350,000 NIPs nationally)
    mac.update(value.encode("utf-8"))
    return mac.hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _keyed(salt: str) -> hmac.HMAC:
    return hmac.new(salt.encode("utf-8"), digestmod=hashlib.sha256)


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    """`pseudonym` per unique value; missing stays missing."""
    codes, uniques = pd.factorize(values)
    table = np.array([*(pseudonym(str(value), salt) for value in uniques.tolist()), None],
                     dtype=object)
    return pd.Series(table[codes], index=values.index, dtype="string")


# --- masking personal data wherever it stands ------------------------------------------------

ID_LENGTHS = (18, 16)
"""Digits of an NIP / NI PPPK (18) and of an NIK, the population number (16)."""
_GAP = r"[\s._/\-\u2010-\u2015\u2212]{0,3}"
_ID_NUMBER = re.compile("|".join([
    *(rf"(?<![0-9])[0-9](?:{_GAP}[0-9]){{{n - 1}}}(?![0-9])" for n in ID_LENGTHS),
    r"(?<![0-9.,])[0-9][.,][0-9]{7,}[eE]\+?1[5-7](?![0-9])"]))
"""18 or 16 digits, groups joined by up to three separators: white space of any kind (a
non-breaking space copied from a web page or PDF, a double space), dots, hyphens, dashes,
underscores, slashes, in any mix ('19860601 - 201012 - 1 - 004', '19860601_201012_1_004'; the
NIP rules read all of these but the slash), not inside a longer number:
'19860601 201012 1 004', '3201.0123.4567.0001'; the 18 first, left to right. Two dates written
as a range ('01-01-2023 - 30-06-2023': groups of 2, 2, 4 or 4, 2, 2 digits twice) are no
identifier. Also a number of 16 to 18 digits in scientific notation with eight or
more significant digits, as a spreadsheet keeps an NIP typed as a number ('1.98507122010011e+17',
which gives away the first 15 digits)."""
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MAX_NAME_WORDS = 8
LIST_SEPARATOR = " | "
"""How the units table joins the names a unit was written under: each is a cell of its own."""


def mask(text: str) -> str:
    """Personal data hidden, enough kept to find the row: an identifier (8 characters or more,
    at least half of them digits) keeps its first four and last three characters
    ('1986***********004'), anything else its first character ('B***********')."""
    if len(text) >= 8 and sum(ch.isdigit() for ch in text) >= len(text) // 2:
        return text[:4] + "*" * (len(text) - 7) + text[-3:]
    return text[:1] + "*" * max(len(text) - 1, 3)


def mask_digits(text: str) -> str:
    """Every NIP- or NIK-shaped number in `text` masked (18 or 16 digits, with or without
    separators between groups, or such a number in scientific notation; a lone
    group of another length, a 20-digit number, is no identifier); the rest unchanged."""
    if len(text) < 12:  # the shortest text `_ID_NUMBER` can match: '1.2345678e17'
        return text
    return _ID_NUMBER.sub(_masked, text)


_DATE_RANGE_GROUPS = ([2, 2, 4] * 2, [4, 2, 2] * 2)


def _masked(match: re.Match[str]) -> str:
    found = match.group(0)
    if [len(group) for group in re.findall("[0-9]+", found)] in _DATE_RANGE_GROUPS:
        return found
    return mask(found)


def name_key(name: object) -> str:
    """A name as lower-case words joined by single spaces ('Dr. Budi  SANTOSO' -> 'dr budi
    santoso')."""
    return " ".join(_WORD.findall(str(name).lower()))


TITLES = frozenset({"prof", "dr", "drs", "dra", "drg", "ir", "h", "hj", "kh", "ns", "apt"})
"""Titles written before a name, as rosters write them ('Drs. H. Bambang Susilo'); academic
degrees follow a comma ('Bambang Susilo, S.Pd., M.Si')."""


def bare_name(name: object) -> str:
    """`name_key` of the name without the titles before it and the degrees after its first
    comma ('Drs. H. BAMBANG SUSILO, M.Si' -> 'bambang susilo'), as other texts write it."""
    words = name_key(str(name).split(",", 1)[0]).split(" ")
    while len(words) > 1 and words[0] in TITLES:
        words = words[1:]
    return " ".join(words)


class Scrubber:
    """Masks personal data in any text written out: NIP- and NIK-shaped numbers anywhere, and
    the names of the roster's employees (`names`). A cell that *is* a roster name is masked
    whole; a name of two or more words is also masked where it stands inside a longer text
    (word by word, case and punctuation aside). A one-word name is masked only as a whole
    cell, since it is often an ordinary word of a unit's name too. A name written with titles
    and degrees is masked with them and without them (`bare_name`).

    Unit keys (`unit_id`, `unit_key`) keep their shape and stay unique: a key segment holding
    an identifier or a name (a name of two or more words anywhere in it) becomes 'personal-'
    plus a salted pseudonym of it."""

    def __init__(self, names: Iterable[str] = (), salt: str = "") -> None:
        names = list(names)
        keys = {*map(name_key, names), *map(bare_name, names)}
        self.whole = {k for k in keys if len(k) - k.count(" ") >= 3}  # 3+ letters
        self.inner = {k for k in self.whole if " " in k}
        self._first = {k.split(" ", 1)[0] for k in self.inner}
        self._longest = max((k.count(" ") + 1 for k in self.inner), default=0)
        self.squashed = {k.replace(" ", "") for k in self.whole}
        self.squashed_inner = {k.replace(" ", "") for k in self.inner}
        self._squashed_lengths = sorted({len(k) for k in self.squashed_inner})
        self.salt = salt
        self._texts: dict[str, str] = {}
        self._keys: dict[str, str] = {}

    def text(self, value: str) -> str:
        """`value` with identifiers and roster names masked."""
        if value in self._texts:
            return self._texts[value]
        if LIST_SEPARATOR in value:  # a list of names as one cell ('names_seen')
            out = LIST_SEPARATOR.join(self.text(part) for part in value.split(LIST_SEPARATOR))
        else:
            out = mask_digits(value)
            if self.whole and name_key(out) in self.whole:
                out = mask(out.strip())
            elif self.inner:
                out = self._inner_names(out)
        return self._texts.setdefault(value, out)

    def _inner_names(self, text: str) -> str:
        # (lower-case word, start, end) of `text`, lowered word by word: a letter's lower case
        # may be longer ('İ' -> 'i̇'), so positions in text.lower() are not positions in text
        words = [(part, found.start(), found.end()) for found in _WORD.finditer(text)
                 for part in _WORD.findall(found.group(0).lower())]
        texts = [word for word, _, _ in words]
        if not self._first.intersection(texts):
            return text
        out: list[str] = []
        last, i, longest = 0, 0, min(MAX_NAME_WORDS, self._longest)
        while i < len(words):
            ends = range(min(len(words), i + longest) - 1, i, -1) if texts[i] in self._first else ()
            hit = next((j for j in ends if " ".join(texts[i:j + 1]) in self.inner), None)
            if hit is None:
                i += 1
            else:  # words i to hit are a name
                start, end = words[i][1], words[hit][2]
                out += [text[last:start], mask(text[start:end])]
                last, i = end, hit + 1
        return "".join([*out, text[last:]])

    def unit_key(self, value: str) -> str:
        """A unit key ('32.01/unmatched/budisantoso') with any personal segment pseudonymised
        ('32.01/unmatched/personal-3f9a0c21de')."""
        if value in self._keys:
            return self._keys[value]
        parts = value.split("/")
        for i, part in enumerate(parts):
            unmatched_name = i > 0 and parts[i - 1] == "unmatched" and part in self.squashed
            if mask_digits(part) != part or self._holds_name(part) or unmatched_name:
                parts[i] = "personal-" + pseudonym(part, self.salt)[:10]
        return self._keys.setdefault(value, "/".join(parts))

    def _holds_name(self, segment: str) -> bool:
        """Whether a key segment holds a roster name of two or more words anywhere: a key
        squashes the words of a unit's name ('Puskesmas Sewon Rina Kartika Sari' ->
        'sewonrinakartikasari'), so the words a name starts and ends at are not known."""
        return any(segment[i:i + n] in self.squashed_inner for n in self._squashed_lengths
                   for i in range(len(segment) - n + 1))

    def table(self, table: pd.DataFrame) -> pd.DataFrame:
        """Every text column of `table` scrubbed per distinct value (`unit_id`, `unit_key` as
        unit keys), but `employee_id` (a pseudonym); dtypes kept."""
        out = {}
        for column, values in table.items():
            if column == "employee_id" or not (isinstance(values.dtype, pd.StringDtype)
                                               or values.dtype == object):
                continue
            codes, uniques = pd.factorize(values)
            func = self.unit_key if column in ("unit_id", "unit_key") else self.text
            cells = [str(u) for u in uniques.tolist()]
            done = [func(cell) for cell in cells]
            if done != cells:
                out[column] = pd.Series(np.array([*done, None], dtype=object)[codes],
                                        index=values.index).astype(values.dtype)
        return table.assign(**out) if out else table

    def anything(self, value: Any) -> Any:
        """Strings inside dicts and lists (keys too) scrubbed, e.g. the cleaning summary. Keys
        that are one once masked are told apart (' (2)', ...): two files named after two people
        keep a record each."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                masked = new = self.anything(key)
                for n in itertools.count(2):
                    if new not in out:
                        break
                    new = f"{masked} ({n})"
                out[new] = self.anything(item)
            return out
        if isinstance(value, list | tuple):
            return type(value)(self.anything(v) for v in value)
        return value
