"""A light protocol-v1 client: reads only the JSON header of binary messages.

Latency of a frame = ``time.monotonic()`` when the client's event loop gets the message −
the header's ``time`` (the worker's ``time.monotonic()`` when it encoded the frame). On
Linux both read the same system-wide CLOCK_MONOTONIC, so the difference is meaningful
across processes on one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect

LAB = "two-moons"


class ClientError(Exception):
    """The server refused or dropped the run (error, queued, closed)."""


def header(message: bytes) -> dict[str, Any]:
    """The JSON header of an LWF1 message, without touching its arrays."""
    (length,) = struct.unpack_from("<I", message, 4)
    return json.loads(message[8 : 8 + length])


class Client:
    """One websocket = one run; counts frames, their sizes and latencies since ``reset()``."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.hello: dict[str, Any] | None = None
        self.status: dict[str, Any] | None = None
        self.errors: list[dict[str, Any]] = []
        self.frames_total = 0
        self.closed: str | None = None
        self._tick = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self.reset()

    @classmethod
    async def open(
        cls, ws_url: str, params: dict[str, Any] | None = None, lab: str = LAB
    ) -> Client:
        """Connect (no compression, as browsers are told by the server) and start reading."""
        url = f"{ws_url}/ws/labs/{lab}"
        if params:
            url += "?params=" + quote(json.dumps(params))
        ws = await connect(
            url, compression=None, max_size=None, ping_interval=None, open_timeout=30
        )
        client = cls(ws)
        client._reader = asyncio.create_task(client._read())
        return client

    def reset(self) -> None:
        """Start a new measuring window."""
        self.window_start = time.monotonic()
        self.arrivals: list[float] = []
        self.latencies: list[float] = []
        self.sizes: list[int] = []

    def window(self) -> dict[str, Any]:
        """Frames, rate, longest gap, latencies (s) and sizes (bytes) since ``reset()``.

        The rate is (frames − 1) / (last arrival − first arrival): exact for a steady stream,
        where frames / window would be off by up to one frame (±7 % over 1.5 s at 10 fps).
        A stream that stopped early is not spared: the span then runs to the window's end,
        less one mean period.
        """
        end = time.monotonic()
        arrivals = self.arrivals
        if len(arrivals) >= 2:
            period = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)
            span = max(arrivals[-1] - arrivals[0], end - arrivals[0] - period)
            fps = (len(arrivals) - 1) / span
            edges = [self.window_start, *arrivals, end]
            gap = max(b - a for a, b in itertools.pairwise(edges))
        else:
            fps = len(arrivals) / (end - self.window_start)
            gap = end - self.window_start
        return {
            "elapsed_s": end - self.window_start,
            "frames": len(arrivals),
            "fps": fps,
            "max_gap_s": gap,
            "latencies": list(self.latencies),
            "sizes": list(self.sizes),
        }

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                now = time.monotonic()
                if isinstance(message, bytes):
                    head = header(message)
                    if head["type"] == "frame":
                        self.frames_total += 1
                        self.arrivals.append(now)
                        self.latencies.append(now - head["time"])
                        self.sizes.append(len(message))
                else:
                    data = json.loads(message)
                    kind = data.get("type")
                    if kind == "hello":
                        self.hello = data
                    elif kind == "status":
                        self.status = data
                    elif kind == "error":
                        self.errors.append(data)
                self._tick.set()
        except Exception as exc:  # the connection failed: record why, wake the waiters
            self.closed = f"{type(exc).__name__}: {exc}"
        else:
            self.closed = f"closed ({self.ws.close_code} {self.ws.close_reason})"
        self._tick.set()

    async def wait_for(self, what: str, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait until ``predicate()`` holds; ClientError on an error, a close or the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self._tick.clear()
            if predicate():
                return
            if self.errors:
                raise ClientError(f"waiting for {what}: server error {self.errors[-1]}")
            if self.closed:
                raise ClientError(f"waiting for {what}: {self.closed}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ClientError(f"waiting for {what}: no answer in {timeout:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), remaining)

    async def send(self, op: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"op": op, **fields}))

    async def ready(self, timeout: float = 30.0) -> None:
        """Wait for the hello and for the run to be built (status paused or running)."""

        def built() -> bool:
            return self.status is not None and self.status.get("state") in ("paused", "running")

        await self.wait_for("the run to be built", built, timeout)

    async def configure(self, params: dict[str, Any], timeout: float = 30.0) -> None:
        """Apply params and wait for the status that carries them."""
        await self.send("configure", params=params)

        def applied() -> bool:
            current = (self.status or {}).get("params") or {}
            return all(current.get(k) == v for k, v in params.items())

        await self.wait_for("configure", applied, timeout)

    async def play(self, timeout: float = 30.0) -> None:
        """Start training and wait for the first frame that follows."""
        seen = self.frames_total
        await self.send("play")
        await self.wait_for("the first frame", lambda: self.frames_total > seen, timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
