"""Kernels forked from a warm worker: a fresh kernel per report without paying its imports.

A batch worker imports once what every report kernel imports (pandas, seaborn, pyfixest, the
report code, ipykernel), and never runs report code itself. For each region it forks a child
that becomes an IPython kernel (`IPKernelApp`) listening on a new connection file; papermill
drives it through `ForkedKernel`, which plays nbclient's kernel manager. Each kernel therefore
starts from the same pristine, already-imported state and dies after its report: nothing leaks
from one report to the next, and the imports (several seconds per kernel) are paid once per
worker instead of once per report.

Only for single-threaded worker processes on Linux (`fork_available`); elsewhere the batch
starts ordinary kernels.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
import time
import traceback
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient

WARM_MODULES = (  # what a report kernel imports, at start or on first use
    "p3k_study.reports.content", "p3k_study.reports.analysis", "p3k_study.reference.units",
    "ipykernel.kernelapp", "IPython.display", "matplotlib_inline.backend_inline",
    "pyarrow.parquet", "pyarrow.dataset", "PIL.PngImagePlugin", "narwhals",
    # imported by every kernel as it starts (the debugger alone: 0.12 s a kernel) or renders
    "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.completerlib",
    "IPython.core.debugger", "IPython.core.logger", "IPython.core.oinspect",
    "IPython.extensions.storemagic", "IPython.utils.wildcard", "tornado.locks",
    "tornado.queues", "tornado.platform.asyncio", "zmq.utils.garbage",
    "narwhals.stable.v1", "narwhals._pandas_like.dataframe", "narwhals._pandas_like.namespace",
    "narwhals._interchange.dataframe", "pandas.io.formats.html", "pandas.core.methods.to_dict",
)
# What the worker itself uses to run a report and export it. Importing nbformat imports jsonschema,
# whose format checkers import rfc3987_syntax if it is installed (jupyterlab -> jupyter-events ->
# jsonschema[format-nongpl] installs it), and rfc3987_syntax builds 39 Lark parsers at import: 1.3
# s CPU at load 2 (5.2 s the first time after boot; 2.7 s in issue 13), in every process that
# imports nbformat. No switch turns it off (jsonschema 4.26, rfc3987-syntax 1.1.0, the newest on
# the index), and nbformat, nbclient, papermill and nbconvert never check formats. The import is
# not blocked: the kernels are forks of the worker and would inherit a jsonschema without its IRI
# checker, for whatever a report's code validates. Instead a worker pays it once, here, while the
# main process estimates the national headline (render_reports starts the workers first).
DRIVER_MODULES = (
    "papermill", "p3k_study.reports.engine", "nbconvert", "jupyter_core.paths",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
STOP_GRACE = 5.0  # seconds a kernel gets to exit on SIGTERM before SIGKILL
STOP_POLL = 0.005  # seconds between checks that it has: it exits within a few milliseconds

# Arguments of every report kernel, forked or started by papermill. The report's figures use
# matplotlib's constrained layout, so they fit their canvas already; the inline backend's
# default bbox_inches="tight" would draw each figure once more to measure it and add a 0.1 in
# margin (811x411 px instead of 800x400): 0.69 -> 0.56 s CPU for a national report's figures.
# Their log shows errors only: ipykernel 7 warns at every start that its (local, loopback) TCP
# connection is not encrypted, a line per report on the user's terminal.
KERNEL_ARGUMENTS = ("--InlineBackend.print_figure_kwargs={'bbox_inches': None}",
                    "--IPKernelApp.log_level=ERROR")


def fork_available() -> bool:
    """True where forking a kernel from a worker is supported (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def warm_worker(environment: dict[str, str]) -> None:
    """Process-pool initializer: set the kernels' environment, then take the warm state of
    `warm_up` once per process (`reports/warm.py` runs it when imported; in a worker forked
    from the batch's fork server, which imported it, this costs nothing)."""
    import importlib

    os.environ.update(environment)
    importlib.import_module("p3k_study.reports.warm")


def warm_up(environment: dict[str, str]) -> None:
    """Import the kernels' modules and what the worker needs to run and export a report.

    The matplotlib backend is set before matplotlib is imported, as ipykernel does for a
    kernel it starts itself, so figures come out byte for byte the same.
    """
    import importlib

    os.environ.update(environment)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in WARM_MODULES:
        with contextlib.redirect_stderr(io.StringIO()):  # debugpy's note on frozen modules
            importlib.import_module(name)
    import PIL.Image

    PIL.Image.preinit()  # the image plugins matplotlib's first PNG would load in each kernel
    for name in DRIVER_MODULES:
        importlib.import_module(name)
    import nbformat

    from p3k_study.reports.html import notebook_body

    notebook_body(nbformat.v4.new_notebook())  # compiles the exporter's templates


def _kernel_child(connection_file: str, cwd: str, parent: int) -> None:  # pragma: no cover
    """Body of the forked child: become a kernel on `connection_file`; never returns."""
    code = 1
    try:
        os.chdir(cwd)
        asyncio.set_event_loop(asyncio.new_event_loop())  # never the parent's loop or selector
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", connection_file, f"--IPKernelApp.parent_handle={parent}",
                        "--HistoryManager.enabled=False", *KERNEL_ARGUMENTS])
        _inline_figures(app.shell)
        app.start()
        code = 0
    except BaseException:  # report anything, then leave without cleanup
        traceback.print_exc()
    finally:
        os._exit(code)


def _inline_figures(shell: Any) -> None:  # pragma: no cover - runs in the forked kernel
    """What importing the inline backend does in a kernel that started on its own.

    The worker imported the backend before any shell existed, so its import-time set-up (the
    shell's InlineBackend with the kernel's configuration, pyplot figures shown after each
    cell) is done here, once the kernel has a shell. (A kernel started on its own does it when
    a cell first imports the backend: for a report, in `content.setup_notebook`.)"""
    from IPython.core.pylabtools import activate_matplotlib
    from matplotlib_inline.backend_inline import configure_inline_support

    activate_matplotlib(INLINE_BACKEND)
    configure_inline_support(shell, INLINE_BACKEND)


class ForkedKernelClient(AsyncKernelClient):
    """A client that asks the forked process, not the heartbeat, whether its kernel lives.

    A client without a KernelManager parent judges by heartbeats, and a kernel still starting
    on a busy machine misses them: "Kernel died before replying to kernel_info".
    """

    kernel: ForkedKernel | None = None

    async def _async_is_alive(self) -> bool:
        return self.kernel is not None and self.kernel.is_alive()

    is_alive = _async_is_alive

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        """Ready when the kernel has answered a kernel_info request and IOPub carried that
        request's idle status.

        jupyter_client's own wait then listens to IOPub until it has been silent for 0.2 s,
        and checks IOPub with another 0.2 s wait: 0.2-0.4 s of every report. Here IOPub is
        known to be connected once it carries the idle status; nbclient reads only the
        messages of its own requests after that. As in jupyter_client, a request is sent
        every second until one is answered, and any answer counts (a kernel slow to start
        answers the first requests late: waiting for the newest one's answer never ends).
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if (reply is not None and reply["msg_type"] == "kernel_info_reply"
                    and await self._idle_after(reply["parent_header"].get("msg_id"),
                                               time.monotonic() + 1)):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready

    async def _idle_after(self, request: str | None, until: float) -> bool:
        """Read IOPub until the idle status of `request` (True) or until `until` (False: IOPub
        is not connected yet, and messages published before it was are lost)."""
        while (left := until - time.monotonic()) > 0:
            try:
                message = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if (message["msg_type"] == "status"
                    and message["parent_header"].get("msg_id") == request
                    and message["content"].get("execution_state") == "idle"):
                return True
        return False


class ForkedKernel:
    """A kernel forked from this process, with the kernel-manager methods nbclient calls."""

    def __init__(self, cwd: Path, runtime_dir: Path, tables: str | None = None) -> None:
        self.cwd = Path(cwd)
        self.tables = tables  # a processed folder whose tables the kernel gets preloaded
        self.connection_file = Path(runtime_dir) / f"kernel-{uuid.uuid4().hex}.json"
        self.pid: int | None = None
        self.kernel_id = self.connection_file.stem
        self._clients: list[Any] = []
        self._context: Any = None
        self._status: int | None = None

    # -- lifecycle
    def start(self) -> ForkedKernel:
        """Read the processed tables (once per worker), write the connection file, fork."""
        from jupyter_client.connect import write_connection_file

        if self.tables:
            from p3k_study.reports.preload import preload

            with contextlib.suppress(Exception):  # then the kernel reads them, and says why not
                preload(self.tables)
        self.connection_file.parent.mkdir(parents=True, exist_ok=True)
        write_connection_file(str(self.connection_file), ip="127.0.0.1", transport="tcp",
                              key=uuid.uuid4().hex.encode())
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            _kernel_child(str(self.connection_file), str(self.cwd), parent)
        self.pid = pid
        return self

    def shutdown(self) -> None:
        """Stop the clients' channels, end the kernel (SIGTERM, then SIGKILL), reap it."""
        for client in self._clients:
            with contextlib.suppress(Exception):  # best effort: the kernel is going anyway
                client.stop_channels()
        self._clients.clear()
        if self._context is not None:  # joins zmq's I/O thread: the worker is single-threaded
            self._context.destroy(linger=0)  # again before it forks the next kernel
            self._context = None
        if self.pid is not None and self.is_alive():
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE
            while self.is_alive() and time.monotonic() < deadline:
                time.sleep(STOP_POLL)
            if self.is_alive():
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        self.connection_file.unlink(missing_ok=True)

    def __enter__(self) -> ForkedKernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- what nbclient uses of a kernel manager
    @property
    def has_kernel(self) -> bool:
        return self.pid is not None

    def is_alive(self) -> bool:
        """True while the forked kernel runs (reaps it once it has exited)."""
        if self.pid is None or self._status is not None:
            return False
        done, status = os.waitpid(self.pid, os.WNOHANG)
        if done == 0:
            return True
        self._status = status
        return False

    def interrupt_kernel(self) -> None:
        if self.is_alive():
            os.kill(self.pid, signal.SIGINT)  # type: ignore[arg-type]

    def client(self) -> ForkedKernelClient:
        """An asynchronous client connected to the kernel (its channels stop at shutdown)."""
        import zmq.asyncio

        if self._context is None:
            self._context = zmq.asyncio.Context()
        client = ForkedKernelClient(connection_file=str(self.connection_file),
                                    context=self._context)
        client.kernel = self
        client.load_connection_file()
        self._clients.append(client)
        return client

    def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        """nbclient's clean-up after a failed start: the same as `shutdown`."""
        self.shutdown()

    def cleanup_resources(self, restart: bool = False) -> None:
        self.connection_file.unlink(missing_ok=True)
