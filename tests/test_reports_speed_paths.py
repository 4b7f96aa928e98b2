"""The batch's fast paths give the same reports as the plain ones.

- the papermill engine (reports/engine.py) writes the notebook once, yet keeps what ran when a
  kernel dies, and gives the injected parameters cell a fixed id;
- one nbconvert exporter per process gives the same HTML as a new exporter per report;
- report kernels, forked or not, print figures at their own size (no tight bbox).
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from p3k_study.reports import html


def tiny_notebook(*sources: str) -> nbformat.NotebookNode:
    cells = [new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
             *(new_code_cell(source) for source in sources)]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    return notebook


def run_engine(tmp_path, notebook, monkeypatch):
    """papermill with the batch's engine; returns (executed notebook or exception, writes)."""
    import papermill
    import papermill.engines
    import papermill.execute

    from p3k_study.reports import engine
    from p3k_study.reports.batch import KERNEL_NAME, _kernel_environment

    writes: list[str] = []
    for module in (papermill.execute, papermill.engines, engine):
        original = module.write_ipynb

        def counted(nb, path, original=original):
            writes.append(path)
            return original(nb, path)

        monkeypatch.setattr(module, "write_ipynb", counted)
    source, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    with _kernel_environment():
        try:
            result = papermill.execute_notebook(
                str(source), str(out), parameters={"x": 2}, engine_name=engine.ENGINE_NAME,
                kernel_name=KERNEL_NAME, progress_bar=False, cwd=str(tmp_path))
        except Exception as exc:
            result = exc
    return result, writes, out


@pytest.mark.slow
def test_engine_writes_the_notebook_once_with_a_stable_injected_id(tmp_path, monkeypatch):
    result, writes, out = run_engine(tmp_path, tiny_notebook("print(x * 21)"), monkeypatch)
    assert writes == [str(out)]  # papermill's final write only, none per cell
    on_disk = nbformat.read(out, as_version=4)
    injected = [c for c in on_disk.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert [c.id for c in injected] == ["injected-parameters"]
    assert on_disk.cells[-1].outputs[0]["text"] == "42\n"
    assert result.cells[-1].outputs == on_disk.cells[-1].outputs  # what the batch exports


@pytest.mark.slow
def test_engine_keeps_what_ran_when_a_cell_fails_or_the_kernel_dies(tmp_path, monkeypatch):
    from papermill.exceptions import PapermillExecutionError

    failed, writes, out = run_engine(tmp_path, tiny_notebook("print('before')", "1 / 0"),
                                     monkeypatch)
    assert isinstance(failed, PapermillExecutionError) and failed.ename == "ZeroDivisionError"
    assert writes == [str(out)]
    assert "before" in out.read_text()

    died, writes, out = run_engine(tmp_path, tiny_notebook("print('ran')", "import os\nos._exit(3)",
                                                           "print('never')"), monkeypatch)
    assert isinstance(died, Exception) and not isinstance(died, PapermillExecutionError)
    assert writes == [str(out)]  # written by the engine as the kernel died
    text = out.read_text()
    assert "ran" in text and "never\\n" not in text


def report_like_notebook(heading: str, lang_note: str) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[new_markdown_cell("a note"), new_code_cell("report()")])
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
           "RU5ErkJggg==")
    notebook.cells[1].outputs = [
        new_output("display_data", data={"text/html": f"<h2>{heading}</h2><p>{lang_note}</p>"}),
        new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        new_output("stream", name="stdout", text="print & <escape>\n"),
    ]
    notebook.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return notebook


def test_one_exporter_per_process_gives_the_same_html_as_a_new_one():
    from nbconvert import HTMLExporter

    def fresh(notebook, title, lang):
        exporter = HTMLExporter(template_name="basic", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True,
                                exclude_markdown=True)
        return exporter.from_notebook_node(html.describe_figures(notebook, title, lang))[0]

    first = report_like_notebook("Tren IKM", "satu")
    second = report_like_notebook("Staff & P3K", "two")
    expected = [fresh(first, "Kab. A", "id"), fresh(second, "Kab. B", "en")]
    for _ in range(2):  # in both orders, after each other
        assert [html.notebook_body(first, "Kab. A", "id"),
                html.notebook_body(second, "Kab. B", "en")] == expected
        assert html.notebook_body(second, "Kab. B", "en") == expected[1]
    assert html._exporter() is html._exporter()
    assert "a note" not in expected[0] and 'alt="Tren IKM: gambar"' in expected[0]


def test_preloaded_tables_are_taken_once_and_only_while_the_files_are_unchanged(
        processed_dir, tmp_path, monkeypatch):
    import shutil

    import pandas as pd

    from p3k_study.reports import preload
    from p3k_study.reports.content import load_processed

    monkeypatch.setattr(preload, "_held", {})
    folder = tmp_path / "processed"
    shutil.copytree(processed_dir, folder)
    assert preload.take(folder) is None  # nothing preloaded: read the files
    fresh = load_processed(str(folder))
    preload.preload(folder)
    taken = preload.take(str(folder))
    assert taken is not None and taken.folder == fresh.folder
    pd.testing.assert_frame_equal(taken.panel, fresh.panel)
    pd.testing.assert_frame_equal(taken.rejects, fresh.rejects)
    assert (taken.cleaning_summary, taken.panel_sha256) == (fresh.cleaning_summary,
                                                            fresh.panel_sha256)
    assert preload.take(folder) is None  # once: a second load in the same kernel reads again
    preload.preload(folder)
    held = preload._held[folder.resolve()][1]
    assert load_processed(str(folder)) is held  # what a batch kernel's report does
    assert load_processed(folder) is not fresh

    preload.preload(folder)
    assert preload.take(tmp_path / "elsewhere") is None
    preload.preload(folder)
    summary = folder / "cleaning_summary.json"
    summary.write_text(summary.read_text().replace("{", '{"changed": 1, ', 1))
    assert preload.take(folder) is None  # a file changed since the worker read it


FIGURES_CHECK = """
import base64, json, struct, sys
from pathlib import Path
import nbformat, papermill
from p3k_study.reports.batch import KERNEL_NAME, _kernel_environment
from p3k_study.reports.kernels import KERNEL_ARGUMENTS, ForkedKernel, warm_worker

warm_worker({})
work = Path(sys.argv[1])
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
    "import matplotlib_inline.backend_inline\\nfrom matplotlib.figure import Figure\\n"
    "fig = Figure(figsize=(4, 2), dpi=100, layout='constrained')\\n"
    "fig.subplots().plot([1, 2])\\nfig",
    "import matplotlib.pyplot as plt\\nplt.figure(figsize=(3, 2), dpi=100, layout='constrained')\\n"
    "plt.plot([1, 2]);",
    "from matplotlib_inline.backend_inline import InlineBackend\\n"
    "print(InlineBackend.instance().print_figure_kwargs)",
)])
notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                   "display_name": "Python 3"}
nbformat.write(notebook, work / "in.ipynb")

def shapes(done):
    out = []
    for cell in done.cells:
        for output in cell.outputs:
            if "image/png" in output.get("data", {}):
                png = base64.b64decode(output["data"]["image/png"])
                out.append(list(struct.unpack(">II", png[16:24])))
            elif output.get("name") == "stdout":
                out.append(output["text"].strip())
    return out

seen = {}
with _kernel_environment():
    kernel = ForkedKernel(work, work / "runtime")
    with kernel:
        seen["forked"] = shapes(papermill.execute_notebook(
            str(work / "in.ipynb"), str(work / "forked.ipynb"), kernel_name=KERNEL_NAME,
            progress_bar=False, km=kernel))
    seen["started"] = shapes(papermill.execute_notebook(
        str(work / "in.ipynb"), str(work / "started.ipynb"), kernel_name=KERNEL_NAME,
        progress_bar=False, extra_arguments=list(KERNEL_ARGUMENTS)))
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_report_kernels_print_figures_at_their_own_size_forked_or_not(tmp_path):
    """Constrained-layout figures are not re-measured (bbox_inches=None): a 4x2 in figure at 100
    dpi is 400x200 px. Forked kernels show pyplot figures like kernels started on their own."""
    import json
    import subprocess
    import sys

    from p3k_study.reports import kernels

    if not kernels.fork_available():
        pytest.skip("kernels are forked on Linux only")
    done = subprocess.run([sys.executable, "-c", FIGURES_CHECK, str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["forked"] == seen["started"] == [[400, 200], [300, 200],
                                                 "{'bbox_inches': None}"]


def test_forked_kernel_client_is_ready_when_a_slow_kernel_answers_late():
    """A kernel still starting answers kernel_info requests seconds late: the client takes any
    answer and the IOPub idle status of the request it answers (waiting for the newest
    request's answer never ended once the kernel lagged: 'Kernel didn't respond in 60 s')."""
    import asyncio
    from queue import Empty

    from p3k_study.reports.kernels import ForkedKernelClient

    class Kernel:
        def is_alive(self) -> bool:
            return True

    class Channel:
        def __init__(self) -> None:
            self.messages: list[dict] = []

        async def get_msg(self, timeout: float | None = None) -> dict:
            if not self.messages:
                await asyncio.sleep(min(timeout or 0, 0.01))
                raise Empty
            return self.messages.pop(0)

    shell, iopub = Channel(), Channel()
    sent: list[str] = []

    def kernel_info() -> str:
        sent.append(f"request-{len(sent)}")
        if len(sent) >= 3:  # the kernel is up: it answers the oldest request not answered yet
            answered = sent[len(sent) - 3]
            parent = {"msg_id": answered}
            shell.messages.append({"msg_type": "kernel_info_reply", "parent_header": parent,
                                   "content": {"protocol_version": "5.3"}})
            iopub.messages += [
                {"msg_type": "status", "parent_header": parent,
                 "content": {"execution_state": state}} for state in ("busy", "idle")]
        return sent[-1]

    client = ForkedKernelClient()
    client.kernel = Kernel()  # type: ignore[assignment]
    client._shell_channel, client._iopub_channel = shell, iopub
    client.kernel_info = kernel_info  # type: ignore[method-assign]
    asyncio.run(asyncio.wait_for(client.wait_for_ready(timeout=30), timeout=30))
    assert 3 <= len(sent) < 10


def _parent_and_warm() -> tuple[int, bool]:
    import os
    import sys

    return os.getppid(), "nbconvert" in sys.modules and "p3k_study.reports.content" in sys.modules


@pytest.mark.slow
def test_batch_workers_are_forked_from_one_warm_fork_server_that_is_stopped_after():
    """With forked kernels, the workers come from one fork server that imported what they
    need (paid once, not once per worker); closing the workers stops and reaps that server,
    so nothing stays behind holding the imports and its CPU time is counted."""
    import os
    from multiprocessing import forkserver

    from p3k_study.reports import batch, kernels

    if not kernels.fork_available():
        pytest.skip("workers are forked on Linux only")
    workers = batch._Workers(2)
    try:
        workers._starting.join()
        server = forkserver._forkserver._forkserver_pid
        seen = {workers.pool.submit(_parent_and_warm).result(timeout=300) for _ in range(4)}
    finally:
        workers.close()
    assert server is not None and server != os.getpid()
    assert seen == {(server, True)}
    assert forkserver._forkserver._forkserver_pid is None
