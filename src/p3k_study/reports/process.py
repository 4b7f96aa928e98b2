"""The fresh process each report runs in: an IPython shell, not a Jupyter kernel.

A report is a notebook run top to bottom once, by a program, with nobody attached: a kernel's
messaging (ZeroMQ sockets, a JSON message per output and per state change, nbclient reading
them back, heartbeats) serves an interactive front end that is not there. `ReportProcess` runs
each code cell in a new process with IPython's `run_cell`, so magics, the display protocol and
the inline matplotlib backend behave as in a kernel, and sends each cell's outputs back through
a pipe as nbformat outputs (what ipykernel would have sent). `engine.ReportEngine` drives it
for papermill.

The process is forked from the calling one when that is safe (`forks_here`: Linux, one thread,
fixed string hashing; a batch worker, which imported the report's modules once in `warm_up`),
so it starts warm and costs a fork; otherwise it is a new Python that imports what it needs.
Either way nothing leaks from one report to the next, as with a kernel per report.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# The report's figures have a fixed layout (margins in inches, plots.py): the inline backend's
# default bbox_inches="tight" would draw each figure once more to measure it, then crop those
# margins and add 0.1 in (811x411 px instead of 800x400).
SHELL_CONFIG = {"InlineBackend": {"print_figure_kwargs": {"bbox_inches": None}},
                "HistoryManager": {"enabled": False}}

WARM_MODULES = (  # what a report imports, at start or on first use, and what runs it
    "p3k_study.reports.content", "p3k_study.reports.analysis", "p3k_study.reference.units",
    "IPython.core.interactiveshell", "IPython.display", "matplotlib_inline.backend_inline",
    "pyarrow.parquet", "pyarrow.dataset", "PIL.PngImagePlugin", "narwhals",
    "narwhals.stable.v1", "narwhals._pandas_like.dataframe", "narwhals._pandas_like.namespace",
    "narwhals._interchange.dataframe", "pandas.io.formats.html", "pandas.core.methods.to_dict",
    "IPython.core.completerlib", "IPython.core.logger", "IPython.extensions.storemagic",
    "p3k_study.reports.engine", "nbconvert",
)


def fork_available() -> bool:
    """True where processes are forked (Linux): the batch's fork server and its workers."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def forks_here() -> bool:
    """True where this process may fork a report's process: `fork_available` and no other
    thread (a fork copies only the calling thread; a lock another thread holds stays held), and
    string hashing fixed (PYTHONHASHSEED=0, as a batch worker has it: a fork keeps this
    process's hash seed, and some results vary in their last bits with it)."""
    return (fork_available() and threading.active_count() == 1
            and not sys.flags.hash_randomization)


def warm_up(environment: dict[str, str]) -> None:
    """Import what a report uses and what runs and exports it, once per worker process.

    The matplotlib backend is set before matplotlib is imported, as a kernel does, so figures
    come out byte for byte the same. Importing nbformat imports jsonschema, whose format
    checkers import rfc3987_syntax when it is installed (jupyterlab -> jupyter-events ->
    jsonschema[format-nongpl]); it builds 39 Lark parsers at import, 1.3-5 s CPU, and no switch
    turns that off: a worker pays it once, here.
    """
    import importlib

    os.environ.update(environment)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in WARM_MODULES:
        importlib.import_module(name)
    import PIL.Image

    PIL.Image.preinit()  # the image plugins matplotlib's first PNG would load in each report
    import nbformat

    from p3k_study.reports.html import notebook_body

    notebook_body(nbformat.v4.new_notebook())  # compiles the exporter's templates


def warm_worker(environment: dict[str, str]) -> None:
    """Process-pool initializer: the environment, then `warm_up` once per process
    (`reports/warm.py` runs it when imported; in a worker forked from the batch's fork server,
    which imported it, this costs nothing)."""
    import importlib

    os.environ.update(environment)
    importlib.import_module("p3k_study.reports.warm")


# ---------------------------------------------------------------- the report's process


class _Outputs:
    """The outputs of the cell being run, in order, as nbformat output dicts."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        if self.items and self.items[-1].get("name") == name:  # one output per run of text
            self.items[-1]["text"] += text
        else:
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, output_type: str, data: dict[str, Any], metadata: dict[str, Any],
             **extra: Any) -> None:
        self.items.append({"output_type": output_type, "data": _json_data(data),
                           "metadata": dict(metadata or {}), **extra})


def _json_data(data: dict[str, Any]) -> dict[str, Any]:
    """Mime data as a notebook stores it: bytes (PNG, JPEG) as base64 text, as ipykernel does."""
    return {mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for mime, value in data.items()}


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr of the report's process: text becomes stream outputs."""

    def __init__(self, outputs: _Outputs, name: str) -> None:
        self.outputs, self.name_ = outputs, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.outputs.stream(self.name_, text)
        return len(text)


def _shell(outputs: _Outputs) -> Any:
    """An IPython shell whose displays, results and tracebacks become `outputs`."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import activate_matplotlib
    from matplotlib_inline.backend_inline import configure_inline_support
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                    *args: Any, **kwargs: Any) -> None:
            outputs.rich("display_data", data, metadata or {})

        def clear_output(self, wait: bool = False) -> None:
            outputs.items.clear()

    class ResultHook(DisplayHook):
        """A cell's last value as an execute_result, as ipykernel's display hook sends it."""

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict[str, Any],
                              md_dict: dict[str, Any] | None = None) -> None:
            outputs.rich("execute_result", format_dict, md_dict or {},
                         execution_count=self.prompt_count)

        def finish_displayhook(self) -> None:
            sys.stdout.flush()

    class ReportShell(InteractiveShell):
        display_pub_class = Publisher
        displayhook_class = ResultHook

        def _showtraceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
            outputs.items.append({"output_type": "error", "ename": etype.__name__,
                                  "evalue": str(evalue), "traceback": list(stb)})

    shell = ReportShell.instance(config=Config(SHELL_CONFIG))
    activate_matplotlib(INLINE_BACKEND)  # what `%matplotlib inline` does in a kernel
    configure_inline_support(shell, INLINE_BACKEND)
    return shell


def _run_cells(connection: Connection, sources: list[str]) -> None:  # pragma: no cover
    """Body of the report's process: run `sources` in order in one shell; send (execution
    count, outputs, failed) per cell, and stop after the first cell that fails."""
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    outputs = _Outputs()
    sys.stdout, sys.stderr = _Stream(outputs, "stdout"), _Stream(outputs, "stderr")
    shell = _shell(outputs)
    for source in sources:
        outputs.items = []
        result = shell.run_cell(source, store_history=True)
        connection.send((result.execution_count, outputs.items, not result.success))
        if not result.success:
            break
    connection.close()


class ReportProcess:
    """The fresh process one report runs in: forked from this one where `forks_here`, else a
    new Python (`python -m p3k_study.reports.process`). It sends each cell's outputs through a
    pipe of its own; its stdout and stderr are this process's."""

    def __init__(self, sources: list[str], cwd: str | None, timeout: float | None) -> None:
        self.timeout = timeout
        self.pid: int | None = None
        self.popen: subprocess.Popen[bytes] | None = None
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        if forks_here():
            self.pid = os.fork()
            if self.pid == 0:  # pragma: no cover - the child
                code = 1
                try:
                    os.close(read_end)
                    if cwd:
                        os.chdir(cwd)
                    _run_cells(Connection(write_end, readable=False), sources)
                    code = 0
                except BaseException:  # report anything, then leave without clean-up
                    traceback.print_exc(file=sys.__stderr__)
                finally:
                    os._exit(code)
        else:  # a new interpreter (multiprocessing may not start one from a daemonic process,
            self.popen = subprocess.Popen(  # such as a Dask worker)
                [sys.executable, "-m", "p3k_study.reports.process", str(write_end)],
                stdin=subprocess.PIPE, cwd=cwd, pass_fds=(write_end,))
            assert self.popen.stdin is not None
            with self.popen.stdin:
                pickle.dump(sources, self.popen.stdin)
        os.close(write_end)
        self.connection = Connection(read_end, writable=False)

    def result(self, source: str) -> tuple[int, list[dict[str, Any]], bool]:
        """The next cell's (execution count, outputs, failed), waiting at most `timeout`."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        if not self.connection.poll(self.timeout):
            raise CellTimeoutError(f"A cell timed out after {self.timeout:.0f} seconds:\n"
                                   f"{source[:200]}")
        try:
            return self.connection.recv()
        except EOFError:
            raise DeadKernelError(f"The report's process died (exit status {self._reap()}) "
                                  f"while running:\n{source[:200]}") from None

    def _reap(self, timeout: float | None = None) -> int | None:
        """Wait for the process to end (at most `timeout` s); its exit status, or None."""
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                return self.popen.wait(timeout)
            return None
        if self.pid is None:
            return None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            done, status = os.waitpid(self.pid, 0 if deadline is None else os.WNOHANG)
            if done:
                self.pid = None
                return os.waitstatus_to_exitcode(status)
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(0.005)

    def close(self) -> None:
        """End the process if it still runs (it exits once its cells have run), and reap it."""
        self.connection.close()
        if self._reap(timeout=5) is None:
            if self.popen is not None:
                self.popen.kill()
            elif self.pid is not None:
                os.kill(self.pid, signal.SIGKILL)
            self._reap()


if __name__ == "__main__":  # a report's process, started by ReportProcess: sources on stdin
    _run_cells(Connection(int(sys.argv[1]), readable=False), pickle.load(sys.stdin.buffer))
