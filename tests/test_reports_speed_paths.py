"""The batch's fast paths give the same reports as the plain ones.

- the papermill engine (reports/engine.py) writes the notebook once, yet keeps what ran when a
  report's process dies, and gives the injected parameters cell a fixed id; its outputs are
  those a kernel would send;
- one nbconvert exporter per process gives the same HTML as a new exporter per report;
- report processes, forked or spawned, print figures at their own size (no tight bbox).
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
    from p3k_study.reports.batch import KERNEL_NAME, _report_environment

    writes: list[str] = []
    for module in (papermill.execute, papermill.engines, engine):
        original = module.write_ipynb

        def counted(nb, path, original=original):
            writes.append(path)
            return original(nb, path)

        monkeypatch.setattr(module, "write_ipynb", counted)
    source, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    with _report_environment():
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
import base64, json, struct, sys, threading
from pathlib import Path
import nbformat, papermill
from p3k_study.reports import engine, process
from p3k_study.reports.batch import KERNEL_NAME, _report_environment

process.warm_worker({})
work = Path(sys.argv[1])
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
    "import matplotlib_inline.backend_inline\\nfrom matplotlib.figure import Figure\\n"
    "fig = Figure(figsize=(4, 2), dpi=100, layout='constrained')\\n"
    "fig.subplots().plot([1, 2])\\nfig",
    "import matplotlib.pyplot as plt\\nplt.figure(figsize=(3, 2), dpi=100, layout='constrained')\\n"
    "plt.plot([1, 2]);",
    "from matplotlib_inline.backend_inline import InlineBackend\\n"
    "print(InlineBackend.instance().print_figure_kwargs)",
    "import os, sys\\nprint(os.getpid(), 'p3k_study.reports.content' in sys.modules)",
)])
notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                   "display_name": "Python 3"}
nbformat.write(notebook, work / "in.ipynb")

def seen_in(done):
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
with _report_environment():
    for how in ("forked", "spawned"):
        if how == "spawned":  # another thread: this process may not fork
            threading.Thread(target=threading.Event().wait, daemon=True).start()
        seen[how] = [process.forks_here(), *seen_in(papermill.execute_notebook(
            str(work / "in.ipynb"), str(work / f"{how}.ipynb"), kernel_name=KERNEL_NAME,
            engine_name=engine.ENGINE_NAME, progress_bar=False))]
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_report_processes_print_figures_at_their_own_size_forked_or_spawned(tmp_path):
    """Constrained-layout figures are not re-measured (bbox_inches=None): a 4x2 in figure at 100
    dpi is 400x200 px, a returned figure and a pyplot one alike. A process forked from a warm
    worker starts with the report's modules imported; where this process may not fork (another
    thread runs), the report's process is spawned, starts cold and shows the same figures."""
    import json
    import os
    import subprocess
    import sys

    from p3k_study.reports import process

    if not process.fork_available():
        pytest.skip("report processes are forked on Linux only")
    done = subprocess.run([sys.executable, "-c", FIGURES_CHECK, str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    figures = [[400, 200], [300, 200], "{'bbox_inches': None}"]
    forked_pid, forked_warm = seen["forked"].pop().split()
    spawned_pid, spawned_warm = seen["spawned"].pop().split()
    assert seen["forked"] == [True, *figures] and seen["spawned"] == [False, *figures]
    assert (forked_warm, spawned_warm) == ("True", "False")
    assert forked_pid != spawned_pid


@pytest.mark.slow
def test_report_process_outputs_are_what_a_kernel_sends(tmp_path, monkeypatch):
    """Streams in order and merged per run of text, displays, a cell's value as an
    execute_result with its execution count, and a failing cell's traceback as an error."""
    notebook = tiny_notebook(
        "import sys\nprint('a'); print('b', file=sys.stderr); print('c')",
        "from IPython.display import HTML, display\ndisplay(HTML('<b>x</b>'))\nx + 40",
        "raise ValueError('no region')", "print('never')")
    failed, _, out = run_engine(tmp_path, notebook, monkeypatch)
    cells = nbformat.read(out, as_version=4).cells
    code = [c for c in cells if c.cell_type == "code"]
    streams = [(o.name, o.text) for o in code[-4].outputs]
    assert streams == [("stdout", "a\n"), ("stderr", "b\n"), ("stdout", "c\n")]
    shown, value = code[-3].outputs
    assert shown.output_type == "display_data" and shown.data["text/html"] == "<b>x</b>"
    assert (value.output_type, value.data["text/plain"]) == ("execute_result", "42")
    assert value.execution_count == code[-3].execution_count
    [error] = code[-2].outputs
    assert (error.output_type, error.ename, error.evalue) == ("error", "ValueError", "no region")
    assert any("no region" in line for line in error.traceback)
    assert code[-1].outputs == [] and code[-1].execution_count is None
    assert failed.ename == "ValueError"


def _parent_and_warm() -> tuple[int, bool]:
    import os
    import sys

    return os.getppid(), "nbconvert" in sys.modules and "p3k_study.reports.content" in sys.modules


@pytest.mark.slow
def test_batch_workers_are_forked_from_one_warm_fork_server_that_is_stopped_after():
    """Where report processes are forked, the workers come from one fork server that imported
    what they need (paid once, not once per worker); closing the workers stops and reaps that
    server, so nothing stays behind holding the imports and its CPU time is counted."""
    import os
    from multiprocessing import forkserver

    from p3k_study.reports import batch, process

    if not process.fork_available():
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


def test_the_batch_module_leaves_the_report_modules_to_the_workers_fork_server():
    """`render_reports` starts the fork server before it imports the report's modules (the
    estimators, matplotlib: seconds of CPU), so both imports run side by side; importing the
    batch module must not pull them in."""
    import subprocess
    import sys

    check = ("import sys, p3k_study.reports.batch\n"
             "print(sorted(m for m in ('p3k_study.reports.content', 'p3k_study.estimate',"
             " 'matplotlib', 'papermill') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"
