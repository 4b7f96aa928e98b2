"""Region and work-unit resolution against the name variants of shared/domain.md."""

from __future__ import annotations

import pytest

from p3k_study.reference import load_regions, match_unit
from p3k_study.reference.regions import region_resolver


def test_reference_has_38_provinces_and_514_kabupaten_kota() -> None:
    regions = load_regions()
    assert regions[["kode_provinsi", "nama_provinsi"]].drop_duplicates().shape[0] == 38
    assert len(regions) == 514
    assert (regions["jenis"] == "kabupaten").sum() == 416
    assert (regions["jenis"] == "kota").sum() == 98


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("KAB. BOGOR", "32.01"),
        ("Kabupaten Bogor", "32.01"),
        ("kota bogor", "32.71"),
        ("S I A K", "14.08"),
        ("Kota Adm. Jakarta Pusat", "31.71"),
        ("Kota Administrasi Jakarta Timur", "31.75"),
        ("Fak-Fak", "92.03"),
        ("Fakfak", "92.03"),
        ("Kab. Toli-Toli", "72.04"),
        ("Tolitoli", "72.04"),
        ("Pare-Pare", "73.72"),
        ("Pangkep", "73.10"),
        ("Kab. Pahuwato", "75.04"),
        ("Toba Samosir", "12.12"),
        ("Mamuju Utara", "76.01"),
        ("Maluku Tenggara Barat", "81.03"),
        ("Kab. Pontianak", "61.02"),  # renamed Mempawah
        ("Kota Pontianak", "61.71"),
        ("Banyu Asin", "16.07"),
        ("Gunung Kidul", "34.03"),
        ("Labuhan Batu", "12.10"),
    ],
)
def test_region_name_variants_resolve_to_the_kemendagri_code(written: str, code: str) -> None:
    assert region_resolver().from_name(written).kode_pemda == code


def test_bare_name_of_both_a_kabupaten_and_a_kota_is_ambiguous() -> None:
    match = region_resolver().from_name("Bogor")
    assert match.kode_pemda is None and "ambiguous" in match.reason


def test_unknown_region_name_gives_a_reason() -> None:
    match = region_resolver().from_name("Kab. Antah Berantah")
    assert match.kode_pemda is None and match.reason == "unknown kabupaten name"


@pytest.mark.parametrize(("written", "code"), [
    ("Kab. Bogor, Jawa Barat", "32.01"), ("Kota Bogor (Jabar)", "32.71"),
    ("Kab. Bantul - DIY", "34.02"), ("Kota Yogyakarta, Yogyakarta", "34.71"),
    ("Kabupaten Sorong Provinsi Papua Barat", "96.01"),  # its province before the 2022 split
    ("Kabupaten Sorong, Papua Barat Daya", "96.01"), ("Kab. Merauke / Prov. Papua", "93.01"),
    ("Kab. Toli-Toli", "72.04"),  # a hyphen in a name is no province after it
    ("Kab. Bintan, Kep. Riau", "21.01"), ("Kab. Bogor/Jawa Barat", "32.01"),
])
def test_a_name_followed_by_its_province(written: str, code: str) -> None:
    assert region_resolver().from_name(written).kode_pemda == code


def test_a_name_and_a_province_that_disagree_are_not_guessed_between() -> None:
    match = region_resolver().from_name("Kab. Bogor, Jawa Tengah")
    assert match.kode_pemda is None
    assert match.reason == "name and province disagree: Kabupaten Bogor is not in Jawa Tengah"
    assert region_resolver().from_name("Bogor, Jawa Barat").reason.startswith("ambiguous")


@pytest.mark.parametrize(
    ("written", "code"), [("3201", "32.01"), ("32.01", "32.01"), (" 3271 ", "32.71"),
                          ("32,01", "32.01"), ("32,1", "32.10"), ("32.1", "32.10"),
                          ("'32.01", "32.01"), ("\u201932.01", "32.01")]
)
def test_codes_with_or_without_dots(written: str, code: str) -> None:
    assert region_resolver().from_code(written).kode_pemda == code


@pytest.mark.parametrize(
    ("old", "new"), [("92.04", "96.02"), ("92.05", "96.03"), ("92.71", "96.71"), ("91.01", "93.01")]
)
def test_papua_split_maps_retired_codes_to_todays(old: str, new: str) -> None:
    match = region_resolver().from_code(old)
    assert match.kode_pemda == new and match.tallies == (f"region_code_mapped:{old}->{new}",)


def test_unknown_or_malformed_codes_are_refused() -> None:
    assert region_resolver().from_code("99.99").kode_pemda is None
    assert region_resolver().from_code("32").reason.startswith("not a kabupaten/kota code")
    for bad in ("32,001", "3,201", "32.", "32-01"):
        assert region_resolver().from_code(bad).kode_pemda is None, bad


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Dinas Pendidikan", "education"),
        ("Dinas Pendidikan dan Kebudayaan", "education"),
        ("DISDIKBUD", "education"),
        ("Dinkes", "health"),
        ("UPTD Puskesmas Cibinong", "primary_care/cibinong"),
        ("PKM Cibinong", "primary_care/cibinong"),
        ("RSUD Cibinong", "hospital/cibinong"),
        ("DPMPTSP, Tenaga Kerja dan Transmigrasi", "licensing"),
        ("Badan Kepegawaian dan Pengembangan SDM", "personnel"),
        ("BKD", "personnel"),
        ("Dinas Pemberdayaan Masyarakat dan Desa", "village"),
        ("DP3AP2KB", "women_family"),
        ("Sekretariat DPRD", "council_secretariat"),
        ("Setwan", "council_secretariat"),
        ("Sekretariat Daerah", "secretariat"),
        ("Satpol PP dan Damkar", "public_order"),
        ("Bapperida", "planning"),
    ],
)
def test_unit_names_map_to_a_stable_key(name: str, key: str) -> None:
    assert match_unit(name).unit_key == key


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("Badan Penelitian dan Pengembangan Daerah", "research"),
        ("BALITBANGDA", "research"),
        ("Badan Penelitian, Pengembangan dan Inovasi Daerah", "research"),
        ("Badan Riset dan Inovasi Daerah", "research"),
        ("BRIDA", "research"),
        # research merged into planning stays planning (domain.md: Bappeda, Bapperida)
        ("Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah", "planning"),
        ("Badan Perencanaan Pembangunan, Penelitian dan Pengembangan Daerah", "planning"),
        ("Bappelitbangda", "planning"),
    ],
)
def test_research_agency_names_map_to_research_unless_merged_into_planning(
        name: str, function: str) -> None:
    assert match_unit(name).function == function


def test_unmatched_unit_names_stay_their_own_unit_and_are_flagged() -> None:
    match = match_unit("Kantor Arsip dan Perpustakaan")
    assert not match.matched
    assert match.unit_key == "unmatched/kantorarsipdanperpustakaan"
