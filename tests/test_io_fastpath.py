"""The pyarrow CSV fast path (`io._read_csv_fast`) gives exactly the RawSheet of the Python path.

Both paths run on every CSV of the demo data, of the broken-input corpus (tests/test_bad_inputs.py)
and on generated small CSV texts; tests/test_io.py checks every CSV it reads the same way (its
autouse fixture uses `checked_fast_path`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import p3k_study.io as io
from p3k_study.errors import UnreadableFile

DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo"


def assert_same_sheet(fast: io.RawSheet, slow: io.RawSheet) -> None:
    """Every field equal; the frames equal in names, order, dtypes, values and missing cells."""
    for name in ("source_file", "sheet", "header_row", "first_data_row", "encoding",
                 "separator", "dropped", "fallback_rows", "reason"):
        assert getattr(fast, name) == getattr(slow, name), name
    pd.testing.assert_frame_equal(fast.frame, slow.frame, check_exact=True)


@contextmanager
def checked_fast_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """While active, every sheet the fast path returns is compared with the Python path's;
    yields the list of files the fast path read."""
    original = io._read_csv_fast
    used: list[str] = []

    def both(path: Path, lines: list[str], encoding: str, separator: str) -> io.RawSheet | None:
        fast = original(path, lines, encoding, separator)
        if fast is not None:
            assert_same_sheet(fast, io._read_csv_python(path, lines, encoding, separator, set()))
            used.append(str(path))
        return fast

    with monkeypatch.context() as patch:
        patch.setattr(io, "_read_csv_fast", both)
        yield used


def outcome(path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch
            ) -> io.RawSheet | str:
    """`read_table`'s sheet, or the reason of its UnreadableFile, with or without the fast path."""
    with monkeypatch.context() as patch:
        patch.setattr(io, "FAST_CSV", fast)
        try:
            return io.read_table(path)[0]
        except UnreadableFile as error:
            return error.reason


def compare_paths(path: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both paths on one file give the same outcome; True if the fast path read it."""
    with checked_fast_path(monkeypatch) as used:
        fast = outcome(path, fast=True, monkeypatch=monkeypatch)
    slow = outcome(path, fast=False, monkeypatch=monkeypatch)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
    else:
        assert_same_sheet(fast, slow)
    return bool(used)


def csv_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in io.CSV_SUFFIXES)


def test_demo_csv_files_read_the_same_by_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    files = csv_files(DEMO)
    assert len(files) >= 20
    fast = [compare_paths(path, monkeypatch) for path in files]
    assert sum(fast) >= len(files) // 2  # the fast path is really exercised


def _bad_cases() -> list[object]:
    """The corpus cases without their pytest marks (an xfail concerns cleaning, not reading)."""
    import test_bad_inputs

    return [pytest.param(test_bad_inputs._case(item), id=name)
            for item, name in zip(test_bad_inputs.CASES, test_bad_inputs.NAMES, strict=True)]


@pytest.mark.parametrize("case", _bad_cases())
def test_broken_input_corpus_reads_the_same_by_both_paths(
    case: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import test_bad_inputs

    test_bad_inputs.write_base(tmp_path)
    case.make(tmp_path)  # type: ignore[attr-defined]
    for path in csv_files(tmp_path):
        compare_paths(path, monkeypatch)


def test_the_fast_path_is_taken_for_plain_files_and_not_for_doubtful_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes('DAFTAR\n\nnip;"nama";unit\r\n1;"A;B";x\n\n2;"x""y";\n'.encode("cp1252"))
    assert compare_paths(plain, monkeypatch)
    for name, text in [("stray.csv", 'a;b\n1;"x\n2;y\n'), ("multi.csv", 'a;b\n1;"x\ny"\n'),
                       ("ragged.csv", "a;b\n1\n2;3\n"), ("mid.csv", 'a;b\n1;x"y\n'),
                       ("cr.csv", "a;b\r1;2\r"), ("vt.csv", "a;b\n1;x\x0by\n")]:
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
        assert not compare_paths(tmp_path / name, monkeypatch), name


CELLS = st.sampled_from(["", " ", "a", "NIP", "nama", "x y", "1,5", "é", "Müller", '"q"',
                         '"a;b"', '"a,b"', '"a""b"', '""', 'a"b', '"', "  pad ", "\t", "|"])


@st.composite
def csv_texts(draw: st.DrawFn) -> tuple[str, str]:
    separator = draw(st.sampled_from([";", ",", "\t", "|"]))
    width = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(["nip", "nama", "unit", "", "nama "]),
                           min_size=width, max_size=width))
    lines = [separator.join(header)]
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "header", "ragged"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", separator * (width - 1)])))
        elif kind == "header":
            lines.append(separator.join(header))
        else:
            size = width if kind == "row" else draw(st.integers(1, width + 1))
            lines.append(separator.join(draw(st.lists(CELLS, min_size=size, max_size=size))))
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["DAFTAR PEGAWAI 2023", "", "Judul" + separator])))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text, encoding


def _compare_generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       case: tuple[str, str]) -> None:
    text, encoding = case
    path = tmp_path / "gen.csv"
    path.write_bytes(text.encode(encoding))
    event("fast path" if compare_paths(path, monkeypatch) else "Python path")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(csv_texts())
def test_generated_csv_texts_read_the_same_by_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: tuple[str, str]
) -> None:
    _compare_generated(tmp_path, monkeypatch, case)


REGULAR_CELLS = st.sampled_from(["", " ", "a", "NIP", "nama", "1,5", "é", "Müller", '"q"',
                                 '"a;b"', '"a,b"', '"a""b"', '""', '"a\tb"', '"x|y"', "  pad "])


@st.composite
def regular_csv_texts(draw: st.DrawFn) -> tuple[str, str]:
    """Texts the fast path should take: same field count on every line, quotes around whole
    cells; blank lines, repeated headers, title lines, empty columns and BOMs still vary."""
    separator = draw(st.sampled_from([";", ",", "\t", "|"]))
    width = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(["nip", "nama", "unit", "", "Nama  Unit", '"no"']),
                           min_size=width, max_size=width))
    if all(h == "" for h in header):
        header[0] = "nip"
    lines = [separator.join(header)]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["row", "row", "row", "row", "blank", "header"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", separator * (width - 1)])))
        elif kind == "header":
            lines.append(separator.join(header))
        else:
            lines.append(separator.join(draw(st.lists(REGULAR_CELLS, min_size=width,
                                                      max_size=width))))
    if draw(st.booleans()):
        lines[0:0] = draw(st.sampled_from([["JUDUL"], ["", "DAFTAR PEGAWAI"], [""]]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    return text, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(regular_csv_texts())
def test_regular_generated_csv_texts_read_the_same_by_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: tuple[str, str]
) -> None:
    _compare_generated(tmp_path, monkeypatch, case)
