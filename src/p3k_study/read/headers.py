"""Header recognition: aliases and required columns per table kind (the tables of
docs/data-format.md), and matching a file's headers to canonical names.

`ALIASES[kind][canonical]` lists the accepted headers besides the canonical name itself: the
kind's rows of `reference/data/aliases.csv` (`vocabulary`; its other tables, every word list of
the intake, are described in `reference/data/README.md`). Matching (`canonical_names`) ignores
case, accents, spaces and punctuation, so 'Kab/Kota', 'KAB. KOTA' and 'kab_kota' are one alias.
`REQUIRED[kind]` lists required columns; a tuple means "one of these" (the region columns, and
SKM's periode / tanggal_survei). `FALLBACK_ALIASES[kind]` are headers used only when no column of
the table matched by name: a bare 'U1'..'U9' in an SKM file counts only if the file has no named
element columns (some survey apps swap U8 and U9).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache

from p3k_study.ikm import ELEMENTS
from p3k_study.reference.regions import data_csv, squash


@cache
def vocabulary() -> dict[str, dict[str, list[str]]]:
    """`reference/data/aliases.csv` as {table: {column: [alias, ...]}}, in the file's order (the
    rank of a header alias); a row whose table names several kinds ('skm|ikm') counts for
    each."""
    tables: dict[str, dict[str, list[str]]] = {}
    for names, column, alias in data_csv("aliases.csv").itertuples(index=False):
        for table in names.split("|"):
            tables.setdefault(table, {}).setdefault(column, []).append(alias)
    return tables


ROW_COLUMN = "_row"  # the row number of every table read (`read.sheet`), never a header
REGION: tuple[str, ...] = ("kode_pemda", "nama_pemda")

REQUIRED: dict[str, list[str | tuple[str, ...]]] = {
    "pegawai": [REGION, "nip", "unit_kerja", "status", "tmt"],
    "jumlah_pegawai": [REGION, "unit_kerja", "periode", "jumlah_pns", "jumlah_pppk"],
    "skm": [REGION, "unit_layanan", ("periode", "tanggal_survei"), *ELEMENTS],
    "ikm": [REGION, "unit_layanan", "periode", "ikm"],
    "kinerja": [REGION, "unit_kerja", "periode"],
}

ALIASES: dict[str, dict[str, list[str]]] = {kind: vocabulary()[kind] for kind in REQUIRED}

FALLBACK_ALIASES: dict[str, frozenset[str]] = {
    "skm": frozenset(f"u{i}" for i in range(1, 10)),
}


def missing_required(columns: Iterable[str], kind: str) -> list[str]:
    """Required columns of `kind` absent from canonical `columns`, as readable names
    ('kode_pemda or nama_pemda')."""
    present = set(columns)
    options = [(need,) if isinstance(need, str) else need for need in REQUIRED[kind]]
    return [" or ".join(names) for names in options if not present.intersection(names)]


header_key = squash
"""Matching key of a header: the key region names are matched by (`reference.regions.squash`)."""


def letters_key(name: str) -> str:
    """A folder or sheet name as matched against the 'folder' and 'sheet' rows of
    `vocabulary`: lower case, letters only ('01_Data-Pegawai 2024' -> 'datapegawai')."""
    return re.sub(r"[^a-z]", "", name.casefold())


_ELEMENT_PREFIX = re.compile(r"^u[1-9](?=[a-z])")


def canonical_names(
    columns: Sequence[object],
    aliases: Mapping[str, Sequence[str]],
    *,
    fallback: Collection[str] = (),
) -> tuple[list[object], dict[str, str]]:
    """Canonical names for a table's columns through `aliases` ({canonical: [alias, ...]}):
    (the new names, {original: canonical}).

    Matching ignores case, accents, spaces and punctuation. Precedence when several columns
    match one canonical name: the canonical name itself, then aliases in listed order, then a
    column whose name follows an element number ('U8 Sarana' is matched by 'sarana': the name
    wins over the number), then `fallback` aliases, which count only if no column matched by
    any other way to a canonical name that has fallback aliases. An unmatched column already
    named like a canonical target is renamed '<name> (unused)'. Later duplicates and unknown
    columns keep their names; `_row` is never matched."""
    fallback_keys = {header_key(a) for a in fallback}
    lookup: dict[str, tuple[str, int]] = {}  # header key -> (canonical, rank)
    for canonical, names in aliases.items():
        for rank, name in enumerate([canonical, *names]):
            lookup.setdefault(header_key(name), (canonical, rank))
    # the canonical names that have fallback aliases (an alias names one column only)
    fallback_targets = {lookup[key][0] for key in fallback_keys if key in lookup}
    candidates: dict[str, list[tuple[int, int, int, str]]] = {}
    matched_by_name = False
    for position, column in enumerate(columns):
        if column == ROW_COLUMN:
            continue
        key = header_key(column)
        tier, hit = 0, lookup.get(key)
        if hit is None and (prefix := _ELEMENT_PREFIX.match(key)):
            tier, hit = 1, lookup.get(key[prefix.end():])
        if hit is None:
            continue
        canonical, rank = hit
        if key in fallback_keys:
            tier = 2
        elif canonical in fallback_targets:
            matched_by_name = True
        candidates.setdefault(canonical, []).append((tier, rank, position, column))

    mapping: dict[str, str] = {}
    for canonical, options in candidates.items():
        usable = [o for o in options if o[0] < 2 or not matched_by_name]
        if usable:
            mapping[min(usable)[3]] = canonical
    taken = set(mapping.values())
    clashes = {c: f"{c} (unused)" for c in columns if c in taken and c not in mapping}
    renames = {**clashes, **mapping}
    return [renames.get(c, c) for c in columns], mapping  # type: ignore[call-overload]

