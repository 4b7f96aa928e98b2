"""Print a report's HTML page to an A4 PDF with headless Chromium (Debian's `chromium`).

The page's own print CSS (html.PRINT_CSS) sets the paper: A4, 15 mm margins, figures and
tables within the width. Chromium runs with a fresh profile and every background service off:
without network access it would otherwise wait on connections that never come.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from p3k_study.reports.files import _file_mode

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-extensions",
                  "--disable-dev-shm-usage", "--no-pdf-header-footer")
PRINT_TIMEOUT = 180  # seconds for one page
NOT_INSTALLED = ("PDF: Chromium is not installed, so only HTML reports were written "
                 "(Debian/Ubuntu: apt-get install chromium)")


class PdfError(RuntimeError):
    """Chromium was found but did not print the page."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _last_message(stderr: str) -> str:
    """The last line Chromium wrote that is not noise about the missing D-Bus."""
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and "dbus" not in line.lower()]
    return lines[-1][-300:] if lines else "no message"


def print_pdf(page: Path, out: Path, chromium: str, timeout: float = PRINT_TIMEOUT) -> Path:
    """Print the HTML file `page` to `out` (written atomically: a temporary file, then
    os.replace). Raises PdfError when Chromium fails, hangs or writes no PDF."""
    page, out = Path(page).resolve(), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="p3k-chromium-")
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={tmp}", page.as_uri()]
    try:
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       text=True, errors="replace",
                                       start_new_session=True)  # its own group: killed as one
        except OSError as exc:
            raise PdfError(f"cannot start Chromium ({chromium}): {exc.strerror or exc}") \
                from None
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfError(f"Chromium did not print {page.name} within {timeout:.0f} s") \
                from None
        with open(tmp, "rb") as fh:
            magic = fh.read(5)
        if process.returncode != 0 or magic != b"%PDF-":
            raise PdfError(f"Chromium could not print {page.name} (exit {process.returncode}): "
                           f"{_last_message(stderr)}")
        os.chmod(tmp, _file_mode())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(profile, ignore_errors=True)
    return out
