"""The simulator: determinism, the raw-file contract, and a truth that matches the files."""

from __future__ import annotations

import functools
import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p3k_study.reference import match_unit
from p3k_study.reference.regions import load_regions, region_resolver
from p3k_study.simulate import (
    EFFECT_COLUMNS,
    REGION_TRUTH_COLUMNS,
    REJECT_COLUMNS,
    TRUTH_PANEL_COLUMNS,
    SimulationSummary,
    default_truth_dir,
    messy,
    simulate,
    world,
)
from p3k_study.simulate.pemda import Pemda

DEMO_SEED = 20240901
COMMITTED_DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo"
UNIT_HEADERS = set(messy.ROSTER_HEADERS["unit_kerja"]) | set(messy.SKM_HEADERS["unit_layanan"])
CODE_HEADERS = set(messy.REGION_HEADERS["kode_pemda"])
NAME_HEADERS = set(messy.REGION_HEADERS["nama_pemda"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    """The demo dataset, generated once for this module (as data/raw/demo is made)."""
    root = tmp_path_factory.mktemp("sim")
    return simulate(root / "raw" / "demo", seed=DEMO_SEED, scale="demo")


@functools.cache
def read_raw(path: Path) -> dict[str, pd.DataFrame]:
    """Read a raw file as strings, per sheet ('' for CSV): a minimal reader for the tests."""
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False,
                             engine="openpyxl")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    header = text.split("\n", 1)[0]
    sep = max((";", "\t", ","), key=header.count)
    return {"": pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)}


def raw_files(summary: SimulationSummary) -> list[Path]:
    kinds = ("pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja")
    return sorted(p for kind in kinds if (summary.raw_dir / kind).is_dir()
                  for p in (summary.raw_dir / kind).iterdir())


def test_default_truth_dir() -> None:
    assert default_truth_dir(Path("data/raw/demo")) == Path("data/truth/demo")
    assert default_truth_dir(Path("/tmp/x/out")) == Path("/tmp/x/out-truth")


def test_checksums_match_files(demo: SimulationSummary) -> None:
    lines = (demo.raw_dir / "SHA256SUMS").read_text().splitlines()
    paths = [line.split("  ", 1)[1] for line in lines]
    assert paths == sorted(paths)
    assert "README.md" in paths
    for line in lines:
        digest, rel = line.split("  ", 1)
        assert hashlib.sha256((demo.raw_dir / rel).read_bytes()).hexdigest() == digest, rel
    readme = (demo.raw_dir / "README.md").read_text()
    assert "SYNTHETIC" in readme and str(DEMO_SEED) in readme


@pytest.mark.skipif(not (COMMITTED_DEMO / "SHA256SUMS").exists(), reason="no committed demo")
def test_same_seed_gives_the_committed_demo_byte_for_byte(demo: SimulationSummary) -> None:
    assert (demo.raw_dir / "SHA256SUMS").read_text() == (COMMITTED_DEMO / "SHA256SUMS").read_text()


def test_some_skm_files_are_written_as_google_forms_exports_them(demo: SimulationSummary) -> None:
    """So that prepare_truth checks the question headers, word answers and month-first
    timestamps against the simulator's truth."""
    forms = [sheet for path in (demo.raw_dir / "skm").iterdir()
             for sheet in read_raw(path).values() if "Timestamp" in sheet.columns]
    assert forms
    for sheet in forms:
        assert set(sheet.columns) >= set(messy.FORMS_QUESTIONS) and "No" not in sheet.columns
        answers = {a for options in messy.FORMS_ANSWERS for a in options}
        assert sheet[messy.FORMS_QUESTIONS[0]].isin(answers).mean() > 0.9


def test_dataset_json_says_synthetic_with_the_reference_date(demo: SimulationSummary) -> None:
    import json

    info = json.loads((demo.raw_dir / "dataset.json").read_text())
    params = json.loads((demo.truth_dir / "parameters.json").read_text())
    assert info["synthetic"] is True
    assert info["reference_date"] == params["extraction_date"][:10]


def test_every_kind_of_file_is_written(demo: SimulationSummary) -> None:
    kinds = {p.relative_to(demo.raw_dir).parts[0] for p in raw_files(demo)}
    assert kinds == {"pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja"}
    assert demo.n_count_rows > 0
    truth = pd.read_csv(demo.truth_dir / "truth_kinerja.csv")
    assert truth["nilai_sakip"].between(0, 100).all()
    shares = truth.filter(like="skp_").dropna()
    assert len(shares) and np.allclose(shares.sum(axis=1), 100)


@pytest.mark.parametrize("pppk", [False, True])
def test_fake_nips_are_valid_and_of_the_kind_asked(tmp_path: Path, pppk: bool) -> None:
    import datetime as dt

    from p3k_study.parse import normalise_nip

    region = load_regions().set_index("kode_pemda").loc["75.04"].copy()
    region["kode_pemda"] = "75.04"
    pemda = Pemda(region, 7, "demo", world.ModelParameters(), tmp_path, {}, seq_offset=0)
    make = pemda._fake_nip(np.random.default_rng(3))
    tmt_years = np.random.default_rng(4).integers(1980, 2026, 500)  # the row's own TMT
    nips = pd.Series([make({"_tmt_year": year}, pppk) for year in tmt_years])
    parsed = normalise_nip(nips, reference_date=dt.date(2026, 1, 15))
    assert pd.Series(parsed.reason).isna().all(), pd.Series(parsed.reason).dropna().unique()
    assert (parsed.kind == ("PPPK" if pppk else "PNS")).all()
    birth = nips.str[:4].astype(int)
    assert (nips.str[8:12].astype(int) - birth >= world.MIN_APPOINTMENT_AGE).all()
    assert (tmt_years - birth >= 20).all()  # so the row is not rejected for its TMT


def _one_pemda(out: Path, seed: int) -> dict[str, bytes]:
    region = load_regions().set_index("kode_pemda").loc["75.04"].copy()
    region["kode_pemda"] = "75.04"
    for kind in ("pegawai", "jumlah_pegawai", "skm", "ikm", "kinerja"):
        (out / kind).mkdir(parents=True)
    Pemda(region, seed, "demo", world.ModelParameters(), out, {}, seq_offset=0).run()
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.*"))}


def test_same_seed_identical_other_seed_differs(tmp_path: Path) -> None:
    first = _one_pemda(tmp_path / "a", 11)
    again = _one_pemda(tmp_path / "b", 11)
    other = _one_pemda(tmp_path / "c", 12)
    assert first == again
    assert first != other


def test_truth_files_have_documented_columns(demo: SimulationSummary) -> None:
    truth = demo.truth_dir
    panel = pd.read_parquet(truth / "truth_panel.parquet")
    assert list(panel.columns) == list(TRUTH_PANEL_COLUMNS)
    assert list(pd.read_csv(truth / "truth_effects.csv").columns) == list(EFFECT_COLUMNS)
    assert list(pd.read_csv(truth / "injected_rejects.csv").columns) == list(REJECT_COLUMNS)
    assert {"unit_id", "unit_name", "unit_key"} <= set(pd.read_csv(truth / "unmatched_units.csv"))
    assert (truth / "parameters.json").exists() and (truth / "unit_names.csv").exists()
    assert panel["unit_id"].nunique() * 14 == len(panel)
    assert 900 <= demo.n_units <= 1100 and 28 <= demo.n_regions <= 34
    assert panel["period"].iloc[:14].tolist()[0] == "2019-S1"
    ikm = panel["ikm"].dropna()
    assert ikm.between(25, 100).all()
    # Staff identities and the cohort definition hold in the truth itself.
    parts = panel[["n_pns", "n_p3k", "n_p3k_part_time", "n_other"]].sum(axis=1)
    assert (panel["n_staff"] == parts).all()
    first_hire = panel[panel["p3k_hires"] > 0].groupby("unit_id")["period_index"].min()
    cohort = panel.drop_duplicates("unit_id").set_index("unit_id")["cohort"]
    assert (cohort[cohort > 0].sort_index() == first_hire.sort_index()).all()
    assert (panel.loc[panel["period"] < "2025-S2", "n_p3k_part_time"] == 0).all()


def test_effects_match_the_panel(demo: SimulationSummary) -> None:
    panel = pd.read_parquet(demo.truth_dir / "truth_panel.parquet")
    effects = pd.read_csv(demo.truth_dir / "truth_effects.csv")
    treated = panel[panel["cohort"] > 0]
    mean = treated.groupby(["cohort", "period_index"])["att_true"].mean().rename("panel")
    joined = effects.set_index(["cohort", "period_index"]).join(mean)
    assert np.allclose(joined["att_true"], joined["panel"])
    assert (effects.loc[effects["event_time"] < 0, "att_true"] == 0).all()
    post = effects[effects["event_time"] >= 0]
    assert (post["att_true"] > 0).all()
    # Earlier cohorts have larger effects at the same event time; effects grow with time.
    at0 = post[post["event_time"] == 0].sort_values("cohort")["att_true"].to_numpy()
    assert (np.diff(at0) < 0).all()
    # IKM from answers is close to its expectation on average.
    gap = (panel["ikm"] - panel["ikm_expected"]).dropna()
    assert abs(gap.mean()) < 0.5


def test_region_truth_is_the_mean_true_effect_on_the_imputable_unit_periods(
        demo: SimulationSummary) -> None:
    """truth_regions.csv: per pemda, the true value of the regional headline estimand, checked
    here from its definition; the committed demo truth is the same file."""
    from p3k_study.estimate.imputation import imputable_observations
    from p3k_study.reports.analysis import MIN_COMPARISON

    regions = pd.read_csv(demo.truth_dir / "truth_regions.csv", dtype={"region": str})
    assert list(regions.columns) == list(REGION_TRUTH_COLUMNS)
    panel = pd.read_parquet(demo.truth_dir / "truth_panel.parquet")
    assert sorted(regions["region"]) == sorted(panel["kode_pemda"].unique())
    row = regions.iloc[3]
    part = panel[panel["kode_pemda"] == row["region"]]
    mask = imputable_observations(part, "ikm", "unit_id", "period_index", "cohort",
                                  min_comparison=MIN_COMPARISON)
    treated = (part["cohort"] > 0) & (part["period_index"] >= part["cohort"])
    assert mask.sum() == row["n_obs"] and (treated | ~mask).all()
    assert row["att_true"] == pytest.approx(part.loc[mask, "att_true"].mean())
    assert (regions["att_true"] > 0).all()
    assert (regions["n_obs"] <= regions["n_obs_all_treated"]).all()
    committed = COMMITTED_DEMO.parents[1] / "truth" / "demo" / "truth_regions.csv"
    assert committed.read_bytes() == (demo.truth_dir / "truth_regions.csv").read_bytes()


def test_never_treated_share_small_and_cohorts_staggered(demo: SimulationSummary) -> None:
    units = pd.read_parquet(demo.truth_dir / "truth_panel.parquet").drop_duplicates("unit_id")
    assert 0.05 <= (units["cohort"] == 0).mean() <= 0.10
    sizes = units.loc[units["cohort"] > 0, "cohort"].value_counts()
    assert (sizes >= 10).sum() >= 4


def test_demo_size_fits_the_repository(demo: SimulationSummary) -> None:
    total = sum(p.stat().st_size for p in demo.raw_dir.rglob("*") if p.is_file())
    assert total == demo.raw_bytes
    assert total <= 12 * 1024 * 1024


def test_unit_names_map_to_their_truth_unit(demo: SimulationSummary) -> None:
    names = pd.read_csv(demo.truth_dir / "unit_names.csv", dtype=str)
    keys = names["unit_id"].str.split("/", n=1).str[1]
    mapped = names["unit_name"].map(lambda n: match_unit(n).unit_key)
    assert (mapped == keys).all(), names[mapped != keys]
    unmatched = pd.read_csv(demo.truth_dir / "unmatched_units.csv", dtype=str)
    assert len(unmatched) >= 3
    assert unmatched["unit_name"].map(lambda n: not match_unit(n).matched).all()
    # Some units are renamed over time: more written names than units.
    per_unit = names[names["table"] == "skm"].groupby("unit_id")["unit_name"].nunique()
    assert (per_unit > 1).sum() >= 10


def _rejected(demo: SimulationSummary) -> pd.DataFrame:
    rejects = pd.read_csv(demo.truth_dir / "injected_rejects.csv", dtype=str,
                          keep_default_na=False)
    rejects["row"] = rejects["row"].astype(int)
    return rejects


def test_raw_files_resolve_regions_and_units(demo: SimulationSummary) -> None:
    """Reading every raw file back: region columns resolve to the file's pemda and unit names
    to one of its truth units, except rows listed as injected rejects."""
    resolver = region_resolver()
    panel = pd.read_parquet(demo.truth_dir / "truth_panel.parquet")
    units = panel.groupby("kode_pemda")["unit_key"].agg(set)
    rejects = _rejected(demo)
    formats = set()
    for path in raw_files(demo):
        code = path.name.split("_", 1)[0]
        rel = path.relative_to(demo.raw_dir).as_posix()
        bad = rejects[rejects["file"] == rel]
        for sheet, frame in read_raw(path).items():
            formats.add(path.suffix)
            rows = np.arange(len(frame)) + 2
            bad_rows = set(bad.loc[bad["sheet"] == sheet, "row"])
            unknown = set(bad.loc[(bad["sheet"] == sheet) & (bad["kind"] == "unknown_region"),
                                  "row"])
            code_col = next((c for c in frame.columns if c in CODE_HEADERS), None)
            name_col = next((c for c in frame.columns if c in NAME_HEADERS), None)
            unit_col = next(c for c in frame.columns if c in UNIT_HEADERS)
            assert code_col or name_col, (rel, frame.columns)
            pairs = frame[[c for c in (code_col, name_col) if c]].drop_duplicates()
            for index, values in pairs.iterrows():
                match = resolver.resolve(values.get(code_col), values.get(name_col))
                if rows[index] in unknown:
                    assert match.kode_pemda is None, (rel, values)
                elif match.kode_pemda != code:
                    # every other row with this value must be a listed unknown region
                    same = (frame[pairs.columns] == values).all(axis=1).to_numpy()
                    assert set(rows[same]) <= unknown, (rel, values, match)
            good = ~np.isin(rows, list(bad_rows))
            written = frame.loc[good, unit_col].unique()
            keys = {match_unit(n).unit_key for n in written}
            assert keys <= units[code], (rel, keys - units[code])
    assert formats == {".csv", ".xlsx"}


def test_injected_rejects_are_where_the_ledger_says(demo: SimulationSummary) -> None:
    rejects = _rejected(demo)
    total_rows = demo.n_roster_rows + demo.n_count_rows + demo.n_answers + demo.n_ikm_rows
    assert 0.003 <= len(rejects) / total_rows <= 0.015
    expected = {"duplicate_row", "impossible_score", "ikm_out_of_range", "nip_scientific",
                "nip_trailing_000", "status_contradicts_nip", "unknown_region", "excel_error",
                "missing_required", "future_tmt"}
    assert set(rejects["kind"]) == expected
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    for rel, sheet, row, kind, _column, header, value in rejects.itertuples(index=False):
        frames.setdefault(rel, read_raw(demo.raw_dir / rel))
        frame = frames[rel][sheet]
        assert 2 <= row <= len(frame) + 1
        record = frame.iloc[row - 2]
        if kind == "duplicate_row":
            earlier = frame.iloc[: row - 2]
            assert (earlier == record).all(axis=1).any(), (rel, row)
            continue
        cell = str(record[header])
        if kind == "missing_required":
            assert cell == "", (rel, row, cell)
        elif kind == "impossible_score":
            assert cell in {"0", "5", "7"}
        elif kind == "excel_error" and rel.endswith(".xlsx"):
            assert _xlsx_cell(demo.raw_dir / rel, sheet, row, header) in messy.ERROR_CELLS
        elif kind == "excel_error":
            assert cell in messy.ERROR_CELLS
        elif kind in ("nip_scientific", "nip_trailing_000") and rel.endswith(".xlsx"):
            assert isinstance(_xlsx_cell(demo.raw_dir / rel, sheet, row, header), (int, float))
        elif kind == "nip_scientific":
            assert re.fullmatch(r"\d[.,]\d+E\+17", cell), cell
        elif kind == "nip_trailing_000":
            assert re.fullmatch(r"\d{15}000", cell), cell
        elif kind == "future_tmt" and re.fullmatch(r"\d{5}", value):  # Excel serial day
            day = pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(value))
            assert cell in (value, str(day)), (rel, sheet, row, cell, value)
            assert day.date() > messy.FUTURE_AFTER
        elif kind == "future_tmt":
            assert cell == value, (rel, sheet, row, cell, value)
        elif kind in ("ikm_out_of_range", "unknown_region", "status_contradicts_nip"):
            assert cell == value or cell.replace(",", ".") == value.replace(",", ".")


@functools.cache
def _xlsx_book(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet of a workbook, loaded once (openpyxl scans all sheets on each load)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    book.close()
    return sheets


def _xlsx_sheet(path: Path, sheet: str) -> tuple[list[object], list[tuple[object, ...]]]:
    rows = _xlsx_book(path)[sheet]
    return list(rows[0]), rows[1:]


def _xlsx_cell(path: Path, sheet: str, row: int, header: str) -> object:
    """A cell as openpyxl reads it: damaged NIPs are number cells, errors are error cells."""
    columns, rows = _xlsx_sheet(path, sheet)
    return rows[row - 2][columns.index(header)]


def test_xlsx_metadata_is_fixed(demo: SimulationSummary) -> None:
    import zipfile

    books = [p for p in raw_files(demo) if p.suffix == ".xlsx"]
    assert books
    with zipfile.ZipFile(books[0]) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert "2025-12-31T00:00:00Z" in core
        assert {i.date_time for i in archive.infolist()} == {(2025, 12, 31, 0, 0, 0)}
