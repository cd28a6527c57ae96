"""Worker processes and the asyncio face the server uses to call them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing as mp
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.live import worker


class WorkerError(Exception):
    """A request a worker refused or could not answer (``code`` as in the protocol)."""

    def __init__(self, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class _Handle:
    """One worker process, its pipe, and the futures of its open requests."""

    def __init__(
        self, ctx: Any, index: int, checkpoint_dir: Path | None = None, device: str = "cpu"
    ) -> None:
        self.index = index
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=worker.serve,
            args=(child, checkpoint_dir, device),
            name=f"layerwise-worker-{index}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self.lock = threading.Lock()
        self.runs = 0
        self.reader = threading.Thread(
            target=self._read, name=f"worker-reader-{index}", daemon=True
        )
        self.reader.start()

    def _read(self) -> None:
        conn: Connection = self.conn
        while True:
            try:
                request_id, ok, payload = conn.recv()
            except (EOFError, OSError):
                break
            with self.lock:
                entry = self.pending.pop(request_id, None)
            if entry is not None:
                loop, future = entry
                loop.call_soon_threadsafe(_settle, future, ok, payload)
        with self.lock:
            pending, self.pending = self.pending, {}
        for loop, future in pending.values():
            payload = ("worker_lost", "the worker process running this model stopped", None)
            loop.call_soon_threadsafe(_settle, future, False, payload)


def _settle(future: asyncio.Future, ok: bool, payload: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(payload)
    else:
        future.set_exception(WorkerError(*payload))


class WorkerPool:
    """N worker processes (spawned, one torch thread each); runs are placed on the least busy."""

    def __init__(self, size: int, checkpoint_dir: Path | None = None, device: str = "cpu") -> None:
        self.size = size
        self.checkpoint_dir = checkpoint_dir  # where labs save checkpoints (None: nowhere)
        self.device = device  # where the workers build models: "cpu" or "cuda" (resolved)
        self._ctx = mp.get_context("spawn")
        self._ids = itertools.count()
        self._handles: list[_Handle] = []

    async def start(self) -> None:
        """Start the processes and wait until each answers."""
        self._handles = [
            _Handle(self._ctx, i, self.checkpoint_dir, self.device) for i in range(self.size)
        ]
        await asyncio.gather(*(self.call(i, "ping") for i in range(self.size)))

    def place(self) -> int:
        """The worker with the fewest runs; the caller owns one run there until release()."""
        handle = min(self._handles, key=lambda h: h.runs)
        if not handle.process.is_alive() or not handle.reader.is_alive():
            handle = self._restart(handle.index)
        handle.runs += 1
        return handle.index

    def release(self, index: int) -> None:
        """Forget one run placed on worker ``index``."""
        self._handles[index].runs = max(0, self._handles[index].runs - 1)

    def _restart(self, index: int) -> _Handle:
        handle = _Handle(self._ctx, index, self.checkpoint_dir, self.device)
        self._handles[index] = handle
        return handle

    async def call(self, index: int, command: str, *args: Any) -> Any:
        """Send one request to worker ``index`` and await its answer."""
        handle = self._handles[index]
        if not handle.reader.is_alive():
            raise WorkerError("worker_lost", "the worker process running this model stopped")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        request_id = next(self._ids)
        with handle.lock:
            handle.pending[request_id] = (loop, future)
        try:
            handle.conn.send((request_id, command, args))
        except (OSError, ValueError):
            with handle.lock:
                handle.pending.pop(request_id, None)
            raise WorkerError("worker_lost", "the worker process is not running") from None
        return await future

    async def stop(self) -> None:
        """Ask every worker to finish, then make sure it has."""
        for handle in self._handles:
            with contextlib.suppress(OSError, ValueError):
                handle.conn.send(None)
        for handle in self._handles:
            await asyncio.to_thread(handle.process.join, 5)
            if handle.process.is_alive():
                handle.process.kill()
            handle.conn.close()
        self._handles = []
