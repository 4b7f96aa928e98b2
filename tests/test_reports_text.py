"""Number formatting, translations, safe file names and atomic writes (fast, no notebooks)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from p3k_study.reports.files import atomic_write_text, inside, safe_slug
from p3k_study.reports.text import PHRASES, fmt_int, fmt_number, fmt_pct, fmt_signed, t


@pytest.mark.parametrize(("value", "lang", "decimals", "expected"), [
    (1234.5, "id", 1, "1.234,5"),
    (1234.5, "en", 1, "1,234.5"),
    (1234567.891, "id", 2, "1.234.567,89"),
    (1234567.891, "en", 2, "1,234,567.89"),
    (-0.04, "id", 1, "0,0"),
    (-12.34, "en", 1, "-12.3"),
    (0, "id", 0, "0"),
    (None, "id", 1, "–"),
    (math.nan, "en", 1, "–"),
])
def test_fmt_number(value, lang, decimals, expected):
    assert fmt_number(value, lang, decimals) == expected


def test_fmt_int_pct_signed():
    assert fmt_int(12345, "id") == "12.345"
    assert fmt_int(12345, "en") == "12,345"
    assert fmt_pct(0.125, "id") == "12,5%"
    assert fmt_pct(0.125, "en") == "12.5%"
    assert fmt_signed(2.0, "id", 2) == "+2,00"
    assert fmt_signed(-2.0, "en", 2) == "-2.00"
    assert fmt_signed(math.nan, "en") == "–"


def test_every_phrase_has_both_languages_with_the_same_placeholders():
    import string

    for key, phrase in PHRASES.items():
        assert set(phrase) == {"id", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(phrase[lang]) if f}
                  for lang in ("id", "en")]
        assert fields[0] == fields[1], key


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        t("title", "fr", name="x")


@pytest.mark.parametrize(("parts", "expected"), [
    (("32.01", "Kabupaten Bogor"), "32.01-kabupaten-bogor"),
    (("11.71", "../../etc"), "11.71-etc"),
    (("../../etc",), "etc"),
    (("..",), "region"),
    (("",), "region"),
    (("/abs/path",), "abs-path"),
    ((".hidden",), "hidden"),
    (("a\\..\\b",), "a-b"),
    (("Kota Bandung <script>",), "kota-bandung-script"),
])
def test_safe_slug(parts, expected):
    slug = safe_slug(*parts)
    assert slug == expected
    assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert not slug.startswith((".", "-"))


def test_inside_refuses_to_leave_the_folder(tmp_path: Path):
    assert inside(tmp_path, "a") == (tmp_path / "a").resolve()
    for bad in ("..", "../x", "/etc", "", "."):
        with pytest.raises(ValueError):
            inside(tmp_path, bad)


def test_atomic_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "report.html"
    atomic_write_text(target, "old complete")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_atomic_write_gives_the_usual_permissions(tmp_path: Path):
    import os
    import stat

    from p3k_study.reports.files import atomic_write_text

    old = os.umask(0o022)
    try:
        written = atomic_write_text(tmp_path / "report.html", "<p>ok</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644  # readable when published


def test_figures_get_their_section_heading_as_alt_text():
    import nbformat

    from p3k_study.reports.html import notebook_body

    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
           "AAAABJRU5ErkJggg==")
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<h2>Tren IKM &amp; P3K</h2>"}),
        nbformat.v4.new_output("display_data", data={"image/png": png}),
    ])
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert 'alt="Tren IKM &amp; P3K: figure"' in notebook_body(notebook, "Kab. X", "en")
    assert 'alt="Tren IKM &amp; P3K: gambar"' in notebook_body(notebook, "Kab. X", "id")
    assert "alt" not in notebook.cells[0].outputs[1].get("metadata", {})  # input untouched


def test_svg_figures_get_alt_text_too():
    """nbconvert's basic template writes an SVG figure as an <img> without alt."""
    import nbformat

    from p3k_study.reports.html import notebook_body

    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<h2>Adopsi P3K</h2>"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": svg,
                                                     "text/plain": "<Figure>"}),
    ])
    body = notebook_body(nbformat.v4.new_notebook(cells=[cell]), "Kab. X", "id")
    assert '<img alt="Adopsi P3K: gambar" src="data:image/svg+xml;base64,' in body
    assert "<svg" not in body  # embedded as an image, not inline markup
