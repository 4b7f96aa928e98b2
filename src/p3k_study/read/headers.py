"""Header recognition: aliases and required columns per table kind (the tables of
docs/data-format.md), and matching a file's headers to canonical names.

`ALIASES[kind][canonical]` lists the accepted headers besides the canonical name itself. Matching
(`canonical_names`) is case-insensitive and ignores accents, spaces and punctuation, so
'Kab/Kota', 'KAB. KOTA' and 'kab_kota' are one alias. `REQUIRED[kind]` lists required columns;
a tuple means "one of these" (the region columns, and SKM's periode / tanggal_survei).
`FALLBACK_ALIASES[kind]` are headers used only when no column of the table matched by name: a
bare 'U1'..'U9' in an SKM file counts only if the file has no named element columns (some survey
apps swap U8 and U9).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from p3k_study.read.sheet import ROW_COLUMN
from p3k_study.reference.regions import squash

REGION_ALIASES: dict[str, list[str]] = {
    "kode_pemda": [
        "kode wilayah", "kode kab/kota", "kode kabupaten/kota", "kode daerah", "region code",
        "kode kabupaten", "kode kota", "kode satker pemda", "kd pemda", "kd wilayah",
    ],
    "nama_pemda": [
        "pemda", "kabupaten/kota", "kab/kota", "nama daerah", "region", "regency/city",
        "nama kabupaten/kota", "nama kab/kota", "pemerintah daerah", "instansi daerah", "daerah",
        "nama wilayah", "wilayah", "kabupaten", "kota/kabupaten",
    ],
}

UNIT_KERJA = ["opd", "skpd", "perangkat daerah", "unit", "work unit", "unit organisasi",
              "satuan kerja", "satker", "nama opd", "nama skpd", "nama unit kerja", "instansi"]
UNIT_LAYANAN = ["unit kerja", "unit", "opd", "unit pelayanan", "nama unit layanan",
                "unit penyelenggara pelayanan", "skpd", "perangkat daerah", "service unit"]
PERIODE = ["period", "semester", "triwulan", "tahun", "periode survei", "periode laporan",
           "periode pengukuran", "year", "quarter"]

SKM_ELEMENTS: tuple[str, ...] = (
    "persyaratan", "prosedur", "waktu", "biaya", "produk",
    "kompetensi", "perilaku", "pengaduan", "sarana",
)

ALIASES: dict[str, dict[str, list[str]]] = {kind: {**REGION_ALIASES, **table} for kind, table in {
    "pegawai": {
        "nip": ["nip/ni pppk", "ni pppk", "nomor induk pegawai", "employee id", "nip baru",
                "nomor induk", "nip pegawai"],
        "nama": ["nama pegawai", "name", "employee name", "nama lengkap", "nama asn"],
        "unit_kerja": UNIT_KERJA,
        "status": ["status kepegawaian", "jenis pegawai", "employment status", "status pegawai",
                   "status asn", "jenis kepegawaian", "kedudukan"],
        "jenis_jabatan": ["jabatan", "jenis tenaga", "job type", "jenis formasi", "formasi"],
        "tmt": ["tmt pengangkatan", "tmt jabatan", "appointment date", "start date", "tmt cpns",
                "tmt pppk", "tmt kontrak", "tanggal mulai", "tmt mulai", "tmt awal"],
        "tanggal_berakhir": ["tmt selesai", "akhir kontrak", "akhir perjanjian kerja", "end date",
                             "tanggal selesai", "tmt berakhir", "tanggal akhir", "masa berakhir"],
    },
    "jumlah_pegawai": {
        "unit_kerja": UNIT_KERJA,
        "periode": PERIODE,
        "jumlah_pns": ["pns", "jml pns", "number of pns"],
        "jumlah_pppk": ["pppk", "p3k", "jumlah p3k", "jml pppk", "jml p3k", "pppk penuh waktu"],
        "jumlah_pppk_paruh_waktu": ["pppk paruh waktu", "p3k paruh waktu", "pppk pw",
                                    "jml pppk paruh waktu"],
        "jumlah_lainnya": ["non asn", "honorer", "lainnya", "jumlah non asn", "jumlah honorer",
                           "tenaga honorer", "non pns"],
        "pppk_baru": ["new pppk", "p3k baru", "jumlah pppk baru", "pengangkatan pppk"],
    },
    "skm": {
        "unit_layanan": UNIT_LAYANAN,
        "periode": ["periode survei", "period", "semester", "triwulan", "periode survey"],
        "tanggal_survei": ["tanggal", "tgl survei", "survey date", "tanggal survey", "tgl survey",
                           "tanggal pengisian", "waktu pengisian", "timestamp", "tgl"],
        "persyaratan": ["u1", "u1 persyaratan", "requirements", "persyaratan pelayanan"],
        "prosedur": ["u2", "sistem mekanisme dan prosedur", "procedure", "u2 prosedur",
                     "u2 sistem mekanisme dan prosedur"],
        "waktu": ["u3", "waktu penyelesaian", "time", "u3 waktu penyelesaian", "u3 waktu"],
        "biaya": ["u4", "biaya/tarif", "cost", "u4 biaya/tarif", "u4 biaya", "tarif"],
        "produk": ["u5", "produk spesifikasi jenis pelayanan", "product", "u5 produk",
                   "u5 produk spesifikasi jenis pelayanan", "produk layanan"],
        "kompetensi": ["u6", "kompetensi pelaksana", "competence", "u6 kompetensi pelaksana",
                       "u6 kompetensi"],
        "perilaku": ["u7", "perilaku pelaksana", "conduct", "u7 perilaku pelaksana",
                     "u7 perilaku"],
        "pengaduan": ["u8", "penanganan pengaduan saran dan masukan", "complaints",
                      "u8 penanganan pengaduan saran dan masukan", "penanganan pengaduan",
                      "u8 pengaduan"],
        "sarana": ["u9", "sarana dan prasarana", "facilities", "u9 sarana dan prasarana",
                   "u9 sarana"],
        "populasi": ["jumlah populasi", "population", "populasi pelayanan"],
    },
    "ikm": {
        "unit_layanan": UNIT_LAYANAN,
        "periode": ["periode survei", "period", "semester", "triwulan", "tahun", "year"],
        # the converted value (25-100) before the 1-4 index a recap often prints beside it
        "ikm": ["nilai ikm", "nilai konversi", "ikm konversi", "nilai ikm konversi",
                "nilai konversi ikm", "konversi", "indeks", "nilai", "ikm unit pelayanan",
                "nilai skm", "skm", "indeks kepuasan masyarakat", "nilai indeks", "nilai interval",
                "nrr tertimbang"],
        "jumlah_responden": ["responden", "respondents", "jml responden", "jumlah sampel",
                             "sampel"],
        "mutu": ["kategori", "mutu pelayanan", "category", "kinerja unit pelayanan", "predikat"],
        "regulasi": ["dasar hukum", "regulation", "peraturan"],
    },
    "kinerja": {
        "unit_kerja": UNIT_KERJA,
        "periode": PERIODE,
        "nilai_sakip": ["sakip", "skor sakip", "nilai akip", "nilai lkjip"],
        "predikat_sakip": ["kategori sakip", "predikat akip"],
        "skp_sangat_baik": ["sangat baik", "persen sangat baik"],
        "skp_baik": ["baik", "persen baik"],
        "skp_butuh_perbaikan": ["butuh perbaikan", "cukup", "persen butuh perbaikan"],
        "skp_kurang": ["kurang", "persen kurang", "misconduct"],
        "skp_sangat_kurang": ["sangat kurang", "persen sangat kurang"],
    },
}.items()}

REGION: tuple[str, ...] = ("kode_pemda", "nama_pemda")

REQUIRED: dict[str, list[str | tuple[str, ...]]] = {
    "pegawai": [REGION, "nip", "unit_kerja", "status", "tmt"],
    "jumlah_pegawai": [REGION, "unit_kerja", "periode", "jumlah_pns", "jumlah_pppk"],
    "skm": [REGION, "unit_layanan", ("periode", "tanggal_survei"), *SKM_ELEMENTS],
    "ikm": [REGION, "unit_layanan", "periode", "ikm"],
    "kinerja": [REGION, "unit_kerja", "periode"],
}

FALLBACK_ALIASES: dict[str, frozenset[str]] = {
    "skm": frozenset(f"u{i}" for i in range(1, 10)),
}


def missing_required(columns: Iterable[str], kind: str) -> list[str]:
    """Required columns of `kind` absent from canonical `columns`, as readable names
    ('kode_pemda or nama_pemda')."""
    present = set(columns)
    options = [(need,) if isinstance(need, str) else need for need in REQUIRED[kind]]
    return [" or ".join(names) for names in options if not present.intersection(names)]


def header_key(name: object) -> str:
    """Matching key of a header, the key region names are matched by (`reference.squash`):
    lower case, accents and every non-alphanumeric removed ('Kab./Kota' -> 'kabkota',
    'TMT_Pengangkatan' -> 'tmtpengangkatan')."""
    return squash(name)


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
    fallback_targets: set[str] = set()  # the canonical names that have fallback aliases
    for canonical, names in aliases.items():
        for rank, name in enumerate([canonical, *names]):
            lookup.setdefault(header_key(name), (canonical, rank))
            if header_key(name) in fallback_keys:
                fallback_targets.add(canonical)
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

