"""The papermill engine of the report batch: each report runs in a fresh IPython process.

papermill parameterises the notebook, records the cells' times and status, and raises
`PapermillExecutionError` for a failing cell; this engine runs the code cells in a
`process.ReportProcess` (why not a kernel: see process.py).

papermill's own engine writes the whole notebook before and after every cell; this one writes
nothing while the notebook runs: `papermill.execute_notebook` writes it once at the end, or
once with the error on top when a cell fails, and the engine writes what had run when the
process died or a cell timed out (the notebook the batch keeps as report-failed.ipynb). The
cell papermill injects with the parameters gets a fixed id (papermill gives it a random one),
so two renders give identical HTML.
"""

from __future__ import annotations

from typing import Any

from papermill.engines import Engine, papermill_engines
from papermill.iorw import write_ipynb

from p3k_study.reports.process import ReportProcess

ENGINE_NAME = "p3k-report"
INJECTED_TAG = "injected-parameters"


def stable_cell_ids(notebook: Any) -> None:
    """Give papermill's injected cell a fixed id, so reruns produce identical HTML."""
    for cell in notebook.cells:
        if INJECTED_TAG in cell.get("metadata", {}).get("tags", []):
            cell["id"] = INJECTED_TAG


class ReportEngine(Engine):
    """Run a notebook's code cells in a fresh IPython process (see the module docstring)."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                         **kwargs: Any) -> Any:
        stable_cell_ids(nb)
        try:  # the engine fills `nb` in place, so it holds whatever ran if this raises
            return super().execute_notebook(nb, kernel_name, output_path=None, **kwargs)
        except BaseException:
            if output_path:
                write_ipynb(nb, output_path)
            raise

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, *,
                                 execution_timeout: float | None = None, cwd: str | None = None,
                                 **kwargs: Any) -> None:
        from nbformat import from_dict

        cells = [(i, cell) for i, cell in enumerate(nb_man.nb.cells)
                 if cell.cell_type == "code" and cell.source.strip()]
        process = ReportProcess([cell.source for _, cell in cells], cwd, execution_timeout)
        try:
            for index, cell in cells:
                nb_man.cell_start(cell, index)
                try:
                    count, outputs, failed = process.result(cell.source)
                    cell.execution_count = count
                    cell.outputs = [from_dict(output) for output in outputs]
                    if failed:
                        nb_man.cell_exception(cell, index)
                        break
                finally:
                    nb_man.cell_complete(cell, index)
        finally:
            process.close()


papermill_engines.register(ENGINE_NAME, ReportEngine)
