"""A non-editable install works: the wheel carries the report templates and the reference data,
and `p3k-study reports` run from an empty folder by a venv holding only that wheel renders.

The wheel is built offline (`pip wheel --no-deps --no-build-isolation` with the setuptools of
the dev extra) from a copy of the sources, so no build/ folder appears in the checkout. The
fresh venv gets the wheel with --no-deps and borrows this environment's installed packages
through a .pth line (a plain path: the editable install's own .pth there is not run) and
nbconvert's templates through a symlink, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.version import Version

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "p3k_study"
TEMPLATE = "p3k_study/reports/templates/region-report.ipynb"


def run(*command: object, cwd: Path | None = None, timeout: float = 300,
        stderr: bool = False) -> str:
    """Run a command without PYTHONPATH (which would put another p3k_study first); its stdout
    (and, with `stderr`, then its stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + (done.stderr if stderr else "")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if Version(metadata.version("setuptools")) < Version("77"):
        pytest.fail("building the wheel offline needs setuptools>=77 in this environment: "
                    "pip install -c requirements.lock -e '.[dev]'")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "-w", work / "dist", ".", cwd=source)
    [built] = (work / "dist").glob("p3k_study-*.whl")
    return built


def test_wheel_carries_templates_and_reference_data(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        template = archive.read(TEMPLATE)
    expected = {f"p3k_study/{p.relative_to(PACKAGE).as_posix()}"
                for p in (PACKAGE / "reference" / "data").glob("*.csv")}
    expected |= {TEMPLATE, "p3k_study/reports/templates/index.html.j2", "p3k_study/py.typed"}
    assert len(expected) >= 6 and expected <= names, sorted(expected - names)
    assert template == (PACKAGE / "reports" / "templates" / "region-report.ipynb").read_bytes()
    assert json.loads(template)["nbformat"] == 4  # the notebook itself, not a symlink's text
    assert not any(name.startswith(("tests/", "notebooks/", "data/")) for name in names)


def test_notebooks_folder_links_to_the_one_template():
    link = ROOT / "notebooks" / "region-report.ipynb"
    assert link.is_symlink() and not Path(link.readlink()).is_absolute()
    assert link.resolve() == (PACKAGE / "reports" / "templates" / "region-report.ipynb")


def test_installed_wheel_renders_a_report_from_an_empty_folder(wheel, processed_dir, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
                   .strip())
    borrowed = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "borrowed-packages.pth").write_text("".join(f"{p}\n" for p in sorted(borrowed)))
    shared = venv / "share" / "jupyter"  # data files of the borrowed packages (nbconvert's
    shared.mkdir(parents=True)           # templates), as their own install would place them
    (shared / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel)

    where = run(python, "-c", "import p3k_study.reports.batch as b; print(b.__file__); "
                "print(b.default_template())").split()
    assert all(Path(p).is_relative_to(purelib) for p in where), where  # not the checkout's

    empty = tmp_path / "empty"
    empty.mkdir()
    out = run(venv / "bin" / "p3k-study", "reports", "--processed", processed_dir,
              "--out", "reports", "--regions", "32.01", "--jobs", "1", "--quiet", cwd=empty,
              stderr=True)
    assert "1 rendered, 0 unchanged, 0 failed" in out
    assert "WARNING" not in out, out
    [folder] = [p for p in (empty / "reports").iterdir() if p.is_dir()]
    assert (folder / "report.html").is_file() and (empty / "reports" / "index.html").is_file()
    assert json.loads((folder / "region_summary.json").read_text())["region"] == "32.01"
    assert sorted(p.name for p in empty.iterdir()) == ["reports"]
