"""clean_kinds: reading and cleaning groups of files in parallel gives the same tables as
cleaning every file of a kind at once (duplicates are checked across all groups; parts cross
the process pipe with text as Categoricals)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from _raw_helpers import ROSTER_HEADER, roster_rows, write_csv

from p3k_study.config import Config
from p3k_study.prepare import intake as prep

DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo"
CONFIG = Config(salt="test-salt", reference_date=dt.date(2025, 1, 15))


def _at_once(raw: Path, config: Config) -> dict[str, prep.Cleaned]:
    return _grouped(raw, config, jobs=1)  # serially: one group per kind


def _grouped(raw: Path, config: Config, **options: object) -> dict[str, prep.Cleaned]:
    return {done.kind: done for done in prep.clean_kinds(raw, config, config.reference_date,
                                                          **options)}  # type: ignore[arg-type]


def _assert_same(a: dict[str, prep.Cleaned], b: dict[str, prep.Cleaned]) -> None:
    for kind in prep.KINDS:
        pd.testing.assert_frame_equal(a[kind].table, b[kind].table, obj=f"{kind} table")
        pd.testing.assert_frame_equal(a[kind].rejects, b[kind].rejects, obj=f"{kind} rejects")
        assert a[kind].files == b[kind].files, kind


@pytest.mark.skipif(not DEMO.is_dir(), reason="demo data not present")
def test_one_file_per_group_in_two_processes_equals_all_at_once(monkeypatch) -> None:
    monkeypatch.setattr(prep, "PARALLEL_MIN_FILES", 1)
    grouped = _grouped(DEMO, CONFIG, jobs=2, group_bytes=1)
    at_once = _at_once(DEMO, CONFIG)
    assert sum(len(c.rejects) for c in at_once.values()) > 900  # the demo's injected rows
    _assert_same(grouped, at_once)


SKM_HEADER = ["kode_pemda", "nama_pemda", "unit_layanan", "periode", "No",
              *[f"U{i}" for i in range(1, 10)]]


def _answers(number: int) -> list[str]:
    return ["32.01", "Kab. Bogor", "Dinas Kesehatan", "Semester I 2024", str(number),
            *["3"] * 9]


def test_duplicates_across_groups_name_the_first_row_of_all(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_csv(raw / "pegawai" / "a.csv", ROSTER_HEADER, roster_rows())
    write_csv(raw / "skm" / "a.csv", SKM_HEADER, [_answers(1), _answers(2)])
    write_csv(raw / "skm" / "b.csv", SKM_HEADER, [_answers(1), _answers(2)])  # a.csv again
    write_csv(raw / "skm" / "c.csv", SKM_HEADER, [_answers(2), _answers(2), _answers(3)])
    for group_bytes in (None, 1):
        done = _grouped(raw, CONFIG, jobs=1, group_bytes=group_bytes)["skm"]
        assert done.table["source_file"].tolist() == ["skm/a.csv"] * 2 + ["skm/c.csv"] * 2
        assert done.table["row"].tolist() == [2, 3, 2, 4]
        assert done.rejects["reason"].tolist() == [
            "duplicate of row 2 in skm/a.csv", "duplicate of row 3 in skm/a.csv",
            "duplicate of row 2"]


def test_number_locale_is_decided_per_file(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    header = ["kode_pemda", "unit_kerja", "periode", "jumlah_pns", "jumlah_pppk"]
    for name, kode, written in (("id.csv", "32.01", ["1.234", "2.500,5"]),
                                ("en.csv", "32.02", ["1,234", "2,500.5"])):
        write_csv(raw / "jumlah_pegawai" / name, header,
                  [[kode, unit, "Semester I 2024", value, "7"]
                   for unit, value in zip(("Dinas Kesehatan", "Dinas Pendidikan"), written,
                                           strict=True)])
    for group_bytes in (None, 1):
        done = _grouped(raw, CONFIG, jobs=1, group_bytes=group_bytes)["jumlah_pegawai"]
        # '1.234' and '1,234' follow their own file's locale ('2.500,5' / '2,500.5'), which a
        # locale decided over both files (a mix) would reject as ambiguous
        assert done.table["n_pns"].tolist() == [1234, 1234]
        assert done.rejects["reason"].tolist() == ["count is not a whole number"] * 2


def test_parts_with_categorical_or_plain_text_join_to_the_same_text_columns() -> None:
    from p3k_study.clean.common import EXACT, SAME, Duplicates, Part, finish, same_rows
    from p3k_study.clean.ledger import empty_rejects

    def part(names: list[str | None], file: str, extra: bool) -> Part:
        table = pd.DataFrame({"kode_pemda": pd.array(["32.01"] * len(names), dtype="string"),
                              "unit_name": pd.array(names, dtype="string"),
                              "source_file": pd.array([file] * len(names), dtype="string"),
                              "sheet": pd.array([None] * len(names), dtype="string"),
                              "row": range(2, 2 + len(names))})
        read = pd.DataFrame({"unit": pd.Categorical(names)})
        if extra:  # a column only this file has: missing in the other one
            read["_x_catatan"] = pd.Categorical([None] * len(names))
        same = dict(zip(SAME, same_rows(read), strict=True))
        return Part(table.assign(**same, **{EXACT: True}), empty_rejects(), {file: {}},
                    Duplicates())

    parts = [part(["Dinas A", None, "Dinas B"], "a.csv", True),
             part(["Dinas B", "Dinas C"], "b.csv", False)]
    empty = parts[0].table.iloc[:0, :5]
    plain_table, plain_rejects, *_ = finish(parts, empty)
    text = ["kode_pemda", "unit_name", "source_file", "sheet"]  # as `part_of` makes them
    categorical = [replace(p, table=p.table.astype(dict.fromkeys(text, "category"))) for p in parts]
    coded_table, coded_rejects, *_ = finish(categorical, empty)
    pd.testing.assert_frame_equal(coded_table, plain_table)
    pd.testing.assert_frame_equal(coded_rejects, plain_rejects)
    assert list(plain_table.columns) == list(empty.columns)
    assert plain_table["unit_name"].tolist() == ["Dinas A", pd.NA, "Dinas B", "Dinas C"]
    assert plain_rejects["reason"].tolist() == ["duplicate of row 4 in a.csv"]


def test_same_rows_tells_equal_cells_in_other_columns_apart() -> None:
    from p3k_study.clean.common import same_rows

    read = pd.DataFrame({"a": pd.Categorical(["x", "y", "x", None]),
                         "b": pd.Categorical(["y", "x", "y", None])})
    first, second = same_rows(read)
    assert first[0] == first[2] and second[0] == second[2]  # equal rows
    assert first[0] != first[1] and second[0] != second[1]  # the same cells, columns swapped
    assert first[3] == second[3] == 0  # every cell missing: as a sheet without the columns


def test_text_in_several_arrow_chunks_joins_as_categorical_or_as_text() -> None:
    from p3k_study.clean.common import EXACT, SAME, Duplicates, Part, finish
    from p3k_study.clean.ledger import empty_rejects

    chunks = pd.array(pa.chunked_array([["a", None], ["b", "a"]]), dtype="string")
    table = pd.DataFrame({"unit_name": chunks, "row": [2, 3, 4, 5],
                          "source_file": pd.array(["a.csv"] * 4, dtype="string"),
                          "sheet": pd.array([None] * 4, dtype="string"),
                          "kode_pemda": pd.array(["32.01"] * 4, dtype="string"),
                          SAME[0]: range(4), SAME[1]: range(4), EXACT: False})
    empty = table.iloc[:0, :2]
    as_text = finish([Part(table, empty_rejects(), {}, Duplicates())], empty)[0]
    coded = table.astype({"unit_name": "category"})  # as `part_of` makes text
    assert coded["unit_name"].cat.codes.tolist() == [0, -1, 1, 0]
    as_codes = finish([Part(coded, empty_rejects(), {}, Duplicates())], empty)[0]
    pd.testing.assert_frame_equal(as_codes, as_text)
    assert as_text["unit_name"].tolist() == ["a", pd.NA, "b", "a"]
