"""Open the index page and one report in headless Chromium: no console errors, images load;
print one report to PDF (`render_reports(pdf=True)`): A4 pages, the region's name in its text,
and the PDF treated as an output by the resume logic.

Uses the chromium binary directly (--screenshot, --dump-dom, console logging to stderr), so no
browser driver is needed. Without chromium the tests skip, except in CI (env CI set) where a
missing browser is a failure.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from p3k_study.reports import render_reports
from p3k_study.reports.batch import FINGERPRINT, REPORT_HTML, REPORT_PDF

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--enable-logging=stderr", "--v=0"]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    return found


def run_chromium(binary: str, page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    """Console messages and failed loads that chromium logged for the page."""
    return [line for line in stderr.splitlines()
            if ("CONSOLE" in line and "ERROR" in line.upper())
            or "Uncaught" in line or "net::ERR_" in line]


def check_page(binary: str, page: Path, tmp: Path, min_images: int) -> str:
    """Dump the DOM, check console and images, and take a screenshot; returns the DOM."""
    dumped = run_chromium(binary, page, tmp, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert not console_errors(dumped.stderr), console_errors(dumped.stderr)
    dom = dumped.stdout
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', dom)
    assert len(sources) >= min_images
    for src in sources:  # report figures are SVG, the index page's forest plot PNG
        assert src.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,")), src[:60]
        try:
            data = base64.b64decode(src.split(",", 1)[1], validate=True)
        except binascii.Error as exc:  # pragma: no cover - the assertion message matters
            pytest.fail(f"invalid base64 in an <img>: {exc}")
        magic = PNG_MAGIC if src.startswith("data:image/png") else b"<?xml"
        assert data.startswith(magic) and len(data) > 1000
    shot = tmp / f"{page.parent.name}-{page.stem}.png"
    taken = run_chromium(binary, page, tmp, f"--screenshot={shot}", "--window-size=1280,2000")
    assert taken.returncode == 0 and shot.read_bytes().startswith(PNG_MAGIC), taken.stderr[-2000:]
    assert not console_errors(taken.stderr), console_errors(taken.stderr)
    return dom


def test_index_page_in_chromium(batch_run, chromium, tmp_path):
    dom = check_page(chromium, batch_run.out / "index.html", tmp_path, min_images=1)
    assert "32.01-kabupaten-bogor/report.html" in dom


def test_report_in_chromium(batch_run, chromium, tmp_path):
    folder = batch_run.out / batch_run.by_region()["32.01"].slug
    dom = check_page(chromium, folder / "report.html", tmp_path, min_images=3)
    # the unit named <script>alert(1)</script> is shown as text (in any letter case), never run
    assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt;", dom, flags=re.I)
    assert "DATA SINTETIS" in dom


def test_console_errors_are_detected(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('boom');"
                    "undefinedFunction();</script></body></html>")
    result = run_chromium(chromium, page, tmp_path, "--dump-dom")
    assert console_errors(result.stderr)


# ---------------------------------------------------------------- report.pdf

A4_POINTS = (595.3, 841.9)  # 210 x 297 mm


@pytest.fixture(scope="module")
def pdf_run(batch_run, processed_dir, chromium, tmp_path_factory):
    """32.01 rendered again with pdf=True over a copy of the session's batch (made without
    PDFs, with the same parameters): the missing PDF alone must make it render again."""
    out = tmp_path_factory.mktemp("pdf") / "reports"
    shutil.copytree(batch_run.out, out)
    result = render_reports(processed_dir, out, regions=["32.01"], jobs=1,
                            parameters={"synthetic": True}, progress=False, pdf=True)
    return result


def test_report_pdf_is_a4_and_holds_the_report(pdf_run):
    import pypdf

    [outcome] = pdf_run.outcomes
    assert outcome.status == "rendered", outcome.error  # the stored fingerprint had no PDF
    assert pdf_run.notes == []
    pdf = pdf_run.out / outcome.slug / REPORT_PDF
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(pdf)
    assert 0 < len(reader.pages) < 30
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_POINTS, abs=1.5)
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    words = " ".join(text.split())
    assert "Kabupaten Bogor" in words and "DATA SINTETIS" in words
    assert "<script>alert(1)" in words.replace(" ", "").lower()  # the hostile unit, as text
    assert f'href="{outcome.slug}/{REPORT_PDF}"' in (pdf_run.out / "index.html").read_text()


def test_pdf_is_an_output_for_resume(pdf_run, processed_dir, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(pdf_run.out, out)
    folder = out / pdf_run.outcomes[0].slug
    pdf = folder / REPORT_PDF
    before = pdf.stat().st_mtime_ns
    kwargs = dict(regions=["32.01"], jobs=1, parameters={"synthetic": True}, progress=False)

    assert render_reports(processed_dir, out, pdf=True, **kwargs).outcomes[0].status == "skipped"
    plain = render_reports(processed_dir, out, **kwargs)  # a PDF already there does no harm
    assert plain.outcomes[0].status == "skipped" and plain.outcomes[0].pdf
    assert pdf.stat().st_mtime_ns == before
    assert 'report.pdf"' in (out / "index.html").read_text()

    pdf.unlink()
    again = render_reports(processed_dir, out, pdf=True, **kwargs)
    assert again.outcomes[0].status == "rendered"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert (folder / FINGERPRINT).stat().st_mtime_ns >= pdf.stat().st_mtime_ns
    assert (folder / REPORT_HTML).is_file()
    assert not list(folder.glob(".*.tmp")) and not list(folder.glob(".partial-*"))
