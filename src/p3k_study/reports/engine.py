"""The papermill engine of the report batch: papermill's nbclient engine, saving less often.

papermill's own engine writes the whole notebook at the start, before and after every cell and
at the end: about 36 writes of a notebook that grows to ~250 KB (figures included) for each
report, 0.17 s of a batch worker's time per national report. This engine writes nothing while
the notebook runs: `papermill.execute_notebook` still writes it once at the end, or once with
the error on top when a cell fails, and the engine writes what had run when the kernel died or
a cell timed out (the notebook the batch keeps as report-failed.ipynb).

The cell papermill injects with the parameters gets a fixed id before execution (papermill
gives it a random one), so the executed notebook is written with its final ids and two renders
give identical HTML without reading and writing the notebook again.
"""

from __future__ import annotations

from typing import Any

from papermill.engines import NBClientEngine, papermill_engines
from papermill.iorw import write_ipynb

ENGINE_NAME = "p3k-report"
INJECTED_TAG = "injected-parameters"


def stable_cell_ids(notebook: Any) -> None:
    """Give papermill's injected cell a fixed id, so reruns produce identical HTML."""
    for cell in notebook.cells:
        if INJECTED_TAG in cell.get("metadata", {}).get("tags", []):
            cell["id"] = INJECTED_TAG


class ReportEngine(NBClientEngine):
    """nbclient execution as papermill does it, without a save at every cell."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                         **kwargs: Any) -> Any:
        stable_cell_ids(nb)
        try:  # nbclient fills `nb` in place, so it holds whatever ran if this raises
            return super().execute_notebook(nb, kernel_name, output_path=None, **kwargs)
        except BaseException:
            if output_path:
                write_ipynb(nb, output_path)
            raise


papermill_engines.register(ENGINE_NAME, ReportEngine)
