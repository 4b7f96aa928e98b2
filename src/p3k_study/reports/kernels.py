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
import os
import signal
import sys
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient

WARM_MODULES = (  # what a report kernel imports, at start or on first use
    "p3k_study.reports.content", "p3k_study.reports.analysis", "p3k_study.reference.units",
    "ipykernel.kernelapp", "IPython.display", "matplotlib_inline.backend_inline",
    "pyarrow.parquet", "pyarrow.dataset", "PIL.PngImagePlugin", "narwhals",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
STOP_GRACE = 5.0  # seconds a kernel gets to exit on SIGTERM before SIGKILL


def fork_available() -> bool:
    """True where forking a kernel from a worker is supported (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def warm_worker(environment: dict[str, str]) -> None:
    """Process-pool initializer: set the kernels' environment, then import their modules.

    The matplotlib backend is set before matplotlib is imported, as ipykernel does for a
    kernel it starts itself, so figures come out byte for byte the same.
    """
    import importlib

    os.environ.update(environment)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    for name in WARM_MODULES:
        importlib.import_module(name)


def _kernel_child(connection_file: str, cwd: str, parent: int) -> None:  # pragma: no cover
    """Body of the forked child: become a kernel on `connection_file`; never returns."""
    code = 1
    try:
        os.chdir(cwd)
        asyncio.set_event_loop(asyncio.new_event_loop())  # never the parent's loop or selector
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", connection_file, f"--IPKernelApp.parent_handle={parent}",
                        "--HistoryManager.enabled=False",
                        "--IPKernelApp.log_level=ERROR"])  # not the TCP-transport warning
        app.start()
        code = 0
    except BaseException:  # report anything, then leave without cleanup
        traceback.print_exc()
    finally:
        os._exit(code)


class ForkedKernelClient(AsyncKernelClient):
    """A client that asks the forked process, not the heartbeat, whether its kernel lives.

    A client without a KernelManager parent judges by heartbeats, and a kernel still starting
    on a busy machine misses them: "Kernel died before replying to kernel_info".
    """

    kernel: ForkedKernel | None = None

    async def _async_is_alive(self) -> bool:
        return self.kernel is not None and self.kernel.is_alive()

    is_alive = _async_is_alive


class ForkedKernel:
    """A kernel forked from this process, with the kernel-manager methods nbclient calls."""

    def __init__(self, cwd: Path, runtime_dir: Path) -> None:
        self.cwd = Path(cwd)
        self.connection_file = Path(runtime_dir) / f"kernel-{uuid.uuid4().hex}.json"
        self.pid: int | None = None
        self.kernel_id = self.connection_file.stem
        self._clients: list[Any] = []
        self._context: Any = None
        self._status: int | None = None

    # -- lifecycle
    def start(self) -> ForkedKernel:
        """Write the connection file and fork the kernel."""
        from jupyter_client.connect import write_connection_file

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
                time.sleep(0.05)
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
