"""Open the index page and one report in headless Chromium: no console errors, images load.

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
    for src in sources:
        assert src.startswith("data:image/png;base64,"), src[:60]
        try:
            data = base64.b64decode(src.split(",", 1)[1], validate=True)
        except binascii.Error as exc:  # pragma: no cover - the assertion message matters
            pytest.fail(f"invalid base64 in an <img>: {exc}")
        assert data.startswith(PNG_MAGIC) and len(data) > 1000
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
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text, never run
    assert "DATA SINTETIS" in dom


def test_console_errors_are_detected(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('boom');"
                    "undefinedFunction();</script></body></html>")
    result = run_chromium(chromium, page, tmp_path, "--dump-dom")
    assert console_errors(result.stderr)
