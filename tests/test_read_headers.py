"""Header recognition: alias tables and matching headers to canonical names (read.headers)."""

from __future__ import annotations

from p3k_study.read.headers import (
    ALIASES,
    FALLBACK_ALIASES,
    REQUIRED,
    canonical_names,
    header_key,
    missing_required,
)


def canonicalise(columns: list[str], kind: str) -> tuple[list[object], dict[str, str]]:
    """`canonical_names` with the alias table and fallback aliases of a table kind."""
    return canonical_names(columns, ALIASES[kind], fallback=FALLBACK_ALIASES.get(kind, ()))


def test_header_key():
    assert header_key("Kab./Kota") == header_key("kab_kota") == header_key("KAB - KOTA")
    assert header_key("TMT Pengangkatan") == "tmtpengangkatan"


def test_canonicalise_pegawai_headers():
    columns = ["NIP/NI PPPK", "Nama Pegawai", "Unit Kerja", "OPD", "Status Kepegawaian",
               "TMT_Pengangkatan", "Kab./Kota", "Catatan", "_row"]
    renamed, mapping = canonical_names(columns, ALIASES["pegawai"])
    assert renamed == ["nip", "nama", "unit_kerja", "OPD", "status", "tmt",
                                     "nama_pemda", "Catatan", "_row"]
    assert mapping["Kab./Kota"] == "nama_pemda" and "OPD" not in mapping
    assert missing_required(renamed, "pegawai") == []  # type: ignore[arg-type]


def test_canonical_name_wins_and_clashing_names_are_moved():
    renamed, mapping = canonical_names(["Unit", "unit_kerja", "NIP", "nip"], ALIASES["pegawai"])
    assert mapping == {"unit_kerja": "unit_kerja", "NIP": "nip"}
    assert renamed == ["Unit", "unit_kerja", "nip", "nip (unused)"]


def test_skm_elements_by_name_not_position():
    named = ["Unit Layanan", "Tanggal", "U1", "Persyaratan", "U8 Sarana",
             "U9 Penanganan Pengaduan", "Waktu Penyelesaian"]
    renamed, mapping = canonicalise(named, "skm")
    assert mapping["Persyaratan"] == "persyaratan" and "U1" not in mapping
    assert mapping["U8 Sarana"] == "sarana"
    assert mapping["U9 Penanganan Pengaduan"] == "pengaduan"
    assert mapping["Tanggal"] == "tanggal_survei"
    elements = [f"U{i}" for i in range(1, 10)]
    bare = ["unit", "periode", *elements, "Kode Daerah"]
    renamed, mapping = canonicalise(bare, "skm")
    assert mapping["U8"] == "pengaduan" and mapping["U9"] == "sarana"
    assert missing_required(renamed, "skm") == []  # type: ignore[arg-type]


def test_missing_required_names_alternatives():
    assert missing_required(["nip", "unit_kerja", "status"], "pegawai") == [
        "kode_pemda or nama_pemda", "tmt",
    ]
    assert "periode or tanggal_survei" in missing_required(["unit_layanan"], "skm")


def test_alias_tables_are_unambiguous():
    assert set(ALIASES) == set(REQUIRED) == {"pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja"}
    for kind, table in ALIASES.items():
        owner: dict[str, str] = {}
        for canonical, names in table.items():
            keys = [header_key(name) for name in [canonical, *names]]
            assert len(set(keys)) == len(keys), (kind, canonical)  # no alias listed twice
            for name in [canonical, *names]:
                key = header_key(name)
                assert owner.setdefault(key, canonical) == canonical, (kind, name)
        for need in REQUIRED[kind]:
            for column in (need,) if isinstance(need, str) else need:
                assert column in table, (kind, column)
    assert FALLBACK_ALIASES["skm"] <= {header_key(a) for a in ALIASES["skm"]["persyaratan"]} | {
        f"u{i}" for i in range(1, 10)
    }


def test_precedence_holds_in_a_sheet_wider_than_ten_thousand_columns():
    """The canonical name outranks an alias wherever the columns stand (the rank was once
    folded into `rank * 10_000 + position`, which let position win past 10,000 columns)."""
    filler = [f"c{i}" for i in range(10_000)]
    _, mapping = canonical_names(["OPD", *filler, "unit_kerja"], ALIASES["pegawai"])
    assert mapping["unit_kerja"] == "unit_kerja" and "OPD" not in mapping
