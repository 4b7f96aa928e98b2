"""prepare(): outputs, reconciliation, privacy, determinism, whole-file errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from _raw_helpers import (
    NAMES,
    NIP_PNS_1,
    NIP_PNS_2,
    NIP_PPPK_1,
    NIP_PPPK_2,
    NIP_PPPK_3,
    ROSTER_HEADER,
    roster_rows,
    write_csv,
    write_dataset,
)

from p3k_study.config import Config
from p3k_study.errors import DataError
from p3k_study.prepare import format_summary, prepare
from p3k_study.schemas import PANEL

CONFIG = Config(salt="test-salt", reference_date=dt.date(2025, 1, 15))
OUTPUTS = ["staff.parquet", "ikm_unit.parquet", "units.parquet", "panel.parquet", "panel.csv",
           "rejects.parquet", "rejects.csv", "cleaning_summary.json"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("prep")
    raw = write_dataset(root / "raw")
    bad = [
        ["32.01", "", "1,98606E+17", NAMES[0], "Dinkes", "PNS", "2010-12-01", ""],
        ["32.01", "", NIP_PPPK_1, "Joko Widodo Susilo", "Dinkes", "PNS", "2022-03-01", ""],
        roster_rows()[0],
    ]
    write_csv(raw / "pegawai" / "roster_2.csv", ROSTER_HEADER, bad)
    result = prepare(raw, root / "out", config=CONFIG)
    return raw, root / "out", result


def test_writes_every_output(prepared) -> None:
    _, out, _ = prepared
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    panel = pd.read_parquet(out / "panel.parquet")
    assert list(panel.columns) == list(PANEL.columns)


def test_reconciliation_holds_for_every_file(prepared) -> None:
    _, out, _ = prepared
    summary = json.loads((out / "cleaning_summary.json").read_text())
    assert len(summary["files"]) == 4
    for name, record in summary["files"].items():
        assert record["rows_in"] == record["rows_clean"] + record["rows_rejected"], name
        for sheet in record["sheets"]:
            assert sheet["rows_in"] == sheet["rows_clean"] + sheet["rows_rejected"]
    t = summary["totals"]
    assert t["rows_in"] == t["rows_clean"] + t["rows_rejected"]
    assert summary["files"]["pegawai/roster_2.csv"]["rows_rejected"] == 3
    rejects = pd.read_csv(out / "rejects.csv", dtype={"kode_pemda": str})
    assert len(rejects) == t["rows_rejected"]
    cross = rejects[rejects["source_file"] == "pegawai/roster_2.csv"]
    assert "duplicate of row 2 in pegawai/roster.csv" in cross["reason"].iloc[-1]
    assert rejects["kode_pemda"].eq("32.01").all()


def test_no_nip_or_name_in_any_output(prepared) -> None:
    _, out, _ = prepared
    secrets = [NIP_PNS_1, NIP_PNS_1.replace(" ", ""), NIP_PNS_2, NIP_PPPK_1, NIP_PPPK_2,
               NIP_PPPK_3, "1,98606E+17", *NAMES, "Joko Widodo Susilo"]
    for path in out.iterdir():
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path.name, secret)


def test_output_is_deterministic(prepared, tmp_path: Path) -> None:
    raw, out, _ = prepared
    prepare(raw, tmp_path / "again", config=CONFIG)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_format_summary_is_a_readable_table(prepared) -> None:
    _, _, result = prepared
    text = format_summary(result.summary)
    assert "pegawai/roster.csv" in text and "total" in text and "Panel:" in text


def test_a_summary_of_many_files_shows_the_worst_and_a_row_per_kind(prepared) -> None:
    _, _, result = prepared
    files = result.summary["files"]
    worst = max(files, key=lambda name: files[name]["rows_rejected"] / files[name]["rows_in"])
    lines = format_summary(result.summary, max_files=1).splitlines()
    assert lines[2].startswith(worst + " ")
    assert lines[3] == f"... {len(files) - 1} more files (above: the largest shares of rows " \
        "rejected; every file: cleaning_summary.json)"
    kinds = [line.split(")")[0] + ")" for line in lines if re.match(r"\w+ \(\d+ files?\)", line)]
    assert kinds == ["pegawai (2 files)", "skm (1 file)", "ikm (1 file)"]


def test_the_summary_names_the_ikm_disagreement_it_used(prepared) -> None:
    _, _, result = prepared
    assert result.summary["ikm"]["disagreement_points"] == CONFIG.ikm_disagreement
    summary = {**result.summary, "ikm": {**result.summary["ikm"], "published_disagrees": 2,
                                         "disagreement_points": 1.5}}
    assert "2 unit-periods where answers and the published value differ by more than 1.5;" \
        in format_summary(summary)


def test_the_printed_summary_lists_the_statuses_counted_as_other_staff(prepared) -> None:
    _, _, result = prepared
    files = {name: {**record, "notes": {}} for name, record in result.summary["files"].items()}
    first, second = list(files)[:2]
    files[first]["notes"] = {"status_other:honorer": 5, "status_other:(not a known status)": 1}
    files[second]["notes"] = {"status_other:honorer": 2, "excel_error_set_missing:nama": 1}
    text = format_summary({**result.summary, "files": files})
    assert ("Staff counted as other (status neither PNS nor PPPK): honorer 7, "
            "(not a known status) 1 (") in text
    assert "counted as other" not in format_summary({**result.summary, "files": {}})


def test_missing_required_column_stops_with_one_message(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_csv(raw / "pegawai" / "r.csv", ["kode_pemda", "nip", "unit_kerja", "status"],
              [["32.01", NIP_PNS_2, "Dinkes", "PNS"]])
    with pytest.raises(DataError) as info:
        prepare(raw, tmp_path / "out", config=CONFIG)
    message = str(info.value)
    assert "pegawai/r.csv" in message and "tmt" in message and "\n" not in message


def test_no_two_folder_aliases_are_one_name() -> None:
    from p3k_study.prepare.files import FOLDER_KINDS, KINDS
    from p3k_study.read.headers import vocabulary

    assert len(FOLDER_KINDS) == len(KINDS) + sum(map(len, vocabulary()["folder"].values()))


def test_no_staff_folder_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "raw" / "skm").mkdir(parents=True)
    with pytest.raises(DataError, match="no staff files"):
        prepare(tmp_path / "raw", tmp_path / "out", config=CONFIG)


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys) -> None:
    from p3k_study.cli import main

    raw = tmp_path / "raw"
    write_csv(raw / "pegawai" / "r.csv", ["nip"], [[NIP_PNS_2]])
    code = main(["prepare", "--raw", str(raw), "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if not line.startswith("warning: ")]  # e.g. the demo salt
    assert len(errors) == 1 and "r.csv" in errors[0]
    assert all(len(line.split("\n")) == 1 for line in lines)


def test_reference_date_and_salt_from_environment() -> None:
    config = Config.from_env({"P3K_STUDY_SALT": "s", "P3K_STUDY_REFERENCE_DATE": "2024-06-30"})
    assert config.salt == "s" and config.reference_date == dt.date(2024, 6, 30)
    assert Config.from_env({}).uses_demo_salt


def test_outcome_files_and_dataset_json(tmp_path: Path) -> None:
    raw = write_dataset(tmp_path / "raw")
    write_csv(raw / "kinerja" / "sakip.csv",
              ["kode_pemda", "unit_kerja", "tahun", "nilai_sakip", "predikat_sakip"],
              [["32.01", "Dinas Kesehatan", "2023", "81,5", "A"],
               ["32.01", "Dinas Kesehatan", "2023", "81,5", "A"],
               ["32.01", "Dinas Pendidikan", "2024", "", ""]])
    (raw / "dataset.json").write_text('{"reference_date": "2025-01-15", "synthetic": true}')
    result = prepare(raw, tmp_path / "out", config=Config(salt="test-salt"))
    assert result.summary["reference_date_source"] == "dataset.json:reference_date"
    assert result.summary["reference_date"] == "2025-01-15"
    kinerja = pd.read_parquet(tmp_path / "out" / "kinerja.parquet")
    assert kinerja[["unit_id", "year", "predikat_sakip"]].values.tolist() == [
        ["32.01/health", 2023, "A"]]
    record = result.summary["files"]["kinerja/sakip.csv"]
    assert (record["rows_in"], record["rows_clean"], record["rows_rejected"]) == (3, 1, 2)


def test_prepare_reads_dataset_json_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    raw = write_dataset(tmp_path / "raw")
    (raw / "dataset.json").write_text('{"reference_date": "2025-01-15", "synthetic": true}')
    reads: list[str] = []
    read_text = Path.read_text

    def counted(path: Path, *args: object, **kwargs: object) -> str:
        reads.append(path.name)
        return read_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", counted)
    result = prepare(raw, tmp_path / "out")
    assert reads.count("dataset.json") == 1
    assert result.summary["synthetic"] is True and not result.summary["warnings"]


def test_an_unreadable_file_cleaned_in_a_worker_process_arrives_as_raised(tmp_path: Path
                                                                          ) -> None:
    """With enough files, groups are read in two worker processes: the user error one raises
    reaches the caller as itself (class, path, reason), not as a status the parent re-raises."""
    from p3k_study.errors import UnreadableFile
    from p3k_study.prepare import intake

    raw = tmp_path / "raw"
    for i in range(intake.PARALLEL_MIN_FILES):
        write_csv(raw / "pegawai" / f"r{i:02d}.csv", ROSTER_HEADER, roster_rows()[i % 5:])
    (raw / "pegawai" / "broken.xlsx").write_text("not a workbook")
    with pytest.raises(UnreadableFile) as caught:
        list(intake.clean_kinds(raw, CONFIG, dt.date(2025, 1, 15), jobs=2, group_bytes=1))
    assert caught.value.path == str(raw / "pegawai" / "broken.xlsx")
    assert caught.value.reason and str(caught.value).startswith(caught.value.path)


def _recipe() -> str:
    """The indented code of `p3k_study.prepare`'s docstring."""
    import textwrap

    import p3k_study.prepare

    lines = p3k_study.prepare.__doc__.splitlines()  # type: ignore[union-attr]
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    end = next(i for i in range(start, len(lines))
               if lines[i].strip() and not lines[i].startswith("    "))
    return textwrap.dedent("\n".join(lines[start:end]))


def test_the_recipe_in_the_docstring_runs_and_gives_the_tables_of_prepare(
        prepared, monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps one at a time (the module docstring, run as written) give the panel, units
    and IKM that `prepare` writes."""
    raw, out, _ = prepared
    code = _recipe()
    assert "ikm_unit_table(" in code and "compute_ikm" not in code
    monkeypatch.setenv("P3K_STUDY_SALT", CONFIG.salt)  # the recipe reads the settings
    monkeypatch.setenv("P3K_STUDY_REFERENCE_DATE", CONFIG.reference_date.isoformat())
    names: dict[str, object] = {"raw": raw}
    exec(compile(code, "recipe", "exec"), names)
    for name in ("ikm_unit", "units", "panel"):
        written = pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(names[name].reset_index(drop=True), written,  # type: ignore[attr-defined]
                                      check_dtype=False, obj=name)
