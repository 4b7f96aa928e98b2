"""Every notebook in notebooks/ runs top to bottom with papermill on the fixture processed folder.

The template is checked for the papermill contract too: a `parameters` cell, no outputs, thin
cells (no function definitions).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FIGURES = {"01-explore.ipynb": 4, "02-regression.ipynb": 1, "03-before-after.ipynb": 7,
           "region-report.ipynb": 3}
FORMATS = {"region-report.ipynb": "image/svg+xml"}  # the others: PNG
ANALYSIS = ["01-explore.ipynb", "02-regression.ipynb", "03-before-after.ipynb"]
ALL = [*ANALYSIS, "region-report.ipynb"]


@pytest.mark.parametrize("name", ALL)
def test_notebook_is_thin_and_committed_clean(name):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, name
        assert "def " not in cell.source and "class " not in cell.source, name
        limit = 16 if "parameters" in cell.metadata.get("tags", []) else 12
        assert len(cell.source.splitlines()) <= limit, (name, cell.source)
    assert notebook.metadata["kernelspec"]["name"] == "python3"


PARAMETERS = {"region-report.ipynb": {"region": "32.10", "lang": "en"}}


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_notebook_runs(name, processed_dir, tmp_path):
    executed = papermill.execute_notebook(
        str(NOTEBOOKS / name), str(tmp_path / name),
        parameters={"processed_dir": str(processed_dir), **PARAMETERS.get(name, {})},
        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    kind = FORMATS.get(name, "image/png")
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if kind in o.get("data", {})]
    assert len(images) >= FIGURES[name], f"figures must be embedded as {kind}"


@pytest.mark.slow
def test_region_report_template_runs_on_its_own(processed_dir, tmp_path):
    """The template by itself (no batch runner) writes its summary for the requested region."""
    import json

    papermill.execute_notebook(
        str(NOTEBOOKS / "region-report.ipynb"), str(tmp_path / "report.ipynb"),
        parameters={"processed_dir": str(processed_dir), "region": "32.01", "lang": "id"},
        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    summary = json.loads((tmp_path / "region_summary.json").read_text(encoding="utf-8"))
    assert summary["region"] == "32.01" and summary["lang"] == "id"
    assert summary["estimate"]["method"] == "imputation"
    assert summary["national"]["method"] == "imputation"  # estimated in the notebook itself
