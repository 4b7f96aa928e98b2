"""report.pdf without a working Chromium: a missing browser is a one-line note and HTML reports
as usual; a browser that fails or hangs fails that region (nothing half-written is left).

Chromium itself is stood in for by small shell scripts here; the real browser prints a report
in tests/test_reports_browser.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from p3k_study.reports import batch, render_reports
from p3k_study.reports.batch import FINGERPRINT, REPORT_HTML, REPORT_PDF
from p3k_study.reports.pdf import NOT_INSTALLED, PdfError, print_pdf


def fake_browser(folder: Path, body: str) -> str:
    """An executable shell script standing in for chromium; `$out` is the --print-to-pdf path."""
    script = folder / "fake-chromium"
    script.write_text("#!/bin/sh\n"
                      'for a in "$@"; do case "$a" in --print-to-pdf=*) out="${a#*=}";; esac; '
                      "done\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text("<!DOCTYPE html><html><body><h1>Kabupaten Bogor</h1></body></html>")
    return path


def test_print_pdf_moves_the_finished_file_into_place(page, tmp_path):
    browser = fake_browser(tmp_path, 'printf "%%PDF-1.4 fake" > "$out"')
    out = print_pdf(page, tmp_path / "out" / "report.pdf", browser)
    assert out.read_bytes() == b"%PDF-1.4 fake"
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.pdf"]


@pytest.mark.parametrize(("body", "message"), [
    ('echo "something broke" >&2; exit 3', "exit 3): something broke"),
    ('printf "<html>not a pdf" > "$out"', "exit 0"),
])
def test_print_pdf_refuses_a_failed_print(page, tmp_path, body, message):
    out = tmp_path / "out" / "report.pdf"
    with pytest.raises(PdfError, match=message.replace("(", r"\(").replace(")", r"\)")):
        print_pdf(page, out, fake_browser(tmp_path, body))
    assert list(out.parent.iterdir()) == []  # no report.pdf, no temporary file


def test_print_pdf_kills_a_hanging_browser(page, tmp_path):
    browser = fake_browser(tmp_path, "sleep 60 & sleep 60")  # a child process too
    started = time.monotonic()
    with pytest.raises(PdfError, match="within 1 s"):
        print_pdf(page, tmp_path / "report.pdf", browser, timeout=1)
    assert time.monotonic() - started < 20
    assert not (tmp_path / "report.pdf").exists()


def test_print_pdf_names_a_browser_that_cannot_start(page, tmp_path):
    with pytest.raises(PdfError, match="cannot start Chromium"):
        print_pdf(page, tmp_path / "report.pdf", str(tmp_path / "no-such-browser"))


@pytest.mark.slow
def test_without_chromium_reports_are_html_with_one_note(processed_dir, tmp_path, monkeypatch,
                                                         capsys):
    from p3k_study.cli import main

    monkeypatch.setattr(batch, "find_chromium", lambda: None)
    out = tmp_path / "reports"
    code = main(["reports", "--processed", str(processed_dir), "--out", str(out),
                 "--regions", "32.01", "--jobs", "1", "--quiet", "--pdf"])
    printed = capsys.readouterr()
    assert code == 0
    assert printed.out.count(NOT_INSTALLED) == 1 and "\n" not in NOT_INSTALLED
    assert "Traceback" not in printed.out + printed.err
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    assert (folder / REPORT_HTML).is_file() and (folder / FINGERPRINT).is_file()
    assert not (folder / REPORT_PDF).exists()
    assert "report.pdf" not in (out / "index.html").read_text()


@pytest.mark.slow
def test_a_failing_browser_fails_only_that_region(processed_dir, tmp_path, monkeypatch):
    browser = fake_browser(tmp_path, 'echo "GPU process crashed" >&2; exit 1')
    monkeypatch.setattr(batch, "find_chromium", lambda: browser)
    out = tmp_path / "reports"
    result = render_reports(processed_dir, out, regions=["32.01"], jobs=1, progress=False,
                            pdf=True)
    [failure] = result.failures
    assert failure.ename == "PdfError" and "GPU process crashed" in failure.error
    folder = out / failure.slug
    assert not (folder / REPORT_HTML).exists() and not (folder / FINGERPRINT).exists()
    assert not list(folder.glob(".partial-*")) and not list(folder.glob(".*.tmp"))
    assert os.listdir(folder) == ["report-failed.ipynb"]  # for debugging, as for any failure
