"""Privacy and safety of a whole run: no NIP or name in any output; data strings escaped; small
cells suppressed; file names from region codes stay inside the output folder.

One run of the tiny dataset (`_tiny_run.py`) with the report of one pemda rendered (the pemda
with the unit named `<script>alert(1)</script>` and fewer than five staff), plus a region code
that tries to climb out of the reports folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _tiny_run import SCRIPT_REGION, SCRIPT_UNIT, write_tiny_raw

from p3k_study.pipeline import run
from p3k_study.reports.content import esc, unit_display_name

HOSTILE_REGION = "../../escaped"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("privacy")
    outputs = root / "outputs"  # processed and reports, alone in one folder
    secrets = write_tiny_raw(root / "raw")
    result = run(raw=root / "raw", processed=outputs / "processed",
                 reports=outputs / "reports", regions=[SCRIPT_REGION, HOSTILE_REGION], jobs=1,
                 progress=False)
    return {"root": root, "outputs": outputs, "secrets": secrets, "result": result}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _report_html(rendered: dict[str, object]) -> str:
    reports = rendered["outputs"] / "reports"  # type: ignore[operator]
    pages = [p for p in _files(reports) if p.suffix == ".html" and p.name != "index.html"]
    assert pages, "no region report was rendered"
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def test_the_region_report_was_rendered(rendered: dict[str, object]) -> None:
    result = rendered["result"]
    assert SCRIPT_REGION not in result.failed_regions  # type: ignore[attr-defined]
    kinds = {p.suffix for p in _files(rendered["outputs"] / "reports")}  # type: ignore[operator]
    assert {".html", ".ipynb"} <= kinds


def test_no_nip_or_name_in_any_processed_or_report_file(rendered: dict[str, object]) -> None:
    secrets = rendered["secrets"]
    nips: list[str] = secrets["nips"]  # type: ignore[index]
    names: list[str] = secrets["names"]  # type: ignore[index]
    assert len(nips) > 50 and len(names) == len(nips)
    needles = [n.encode() for n in nips] + [n.encode() for n in names]
    needles += [f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}".encode() for n in nips]  # written form
    files = _files(rendered["outputs"])  # type: ignore[arg-type]
    assert len(files) > 10
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, (path.name, needle[:4])


def test_a_script_unit_name_is_shown_as_text(rendered: dict[str, object]) -> None:
    html = _report_html(rendered)
    assert esc(unit_display_name(SCRIPT_UNIT)) in html  # as text: &lt;Script&gt;Alert(1)...
    assert SCRIPT_UNIT not in html
    index = (rendered["outputs"] / "reports" / "index.html").read_text(  # type: ignore[operator]
        encoding="utf-8")
    assert SCRIPT_UNIT not in index


def test_units_with_fewer_than_k_staff_are_suppressed(rendered: dict[str, object]) -> None:
    """The script unit has 2 staff: its count shows as '<5', never as '2'."""
    html = _report_html(rendered)
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S)
            if esc(unit_display_name(SCRIPT_UNIT)) in r]
    assert rows, "the small unit is not listed"
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", rows[0],
                                                                  flags=re.S)]
    assert "&lt;5" in cells and "2" not in cells


def test_file_names_from_region_codes_stay_inside_the_output_folder(
    rendered: dict[str, object],
) -> None:
    root: Path = rendered["root"]  # type: ignore[assignment]
    outputs: Path = rendered["outputs"]  # type: ignore[assignment]
    inside = {p.resolve() for p in _files(outputs)}
    everything = {p.resolve() for p in _files(root)}
    raw = {p.resolve() for p in _files(root / "raw")}
    assert everything - raw == inside, sorted(map(str, everything - raw - inside))
    assert not (root / "escaped").exists() and not (root.parent / "escaped").exists()
    assert HOSTILE_REGION in rendered["result"].failed_regions  # type: ignore[attr-defined]
