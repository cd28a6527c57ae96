"""A small protocol-v1 client for the websocket tests: JSON text and decoded LWF1 binaries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from app.protocol.codec import Frame, decode

Message = dict[str, Any] | Frame
TIMEOUT = 20.0


def kind(message: Message) -> str:
    """'hello', 'status:paused', 'error:running', 'frame', 'dataset', 'snapshot', 'probe'."""
    if isinstance(message, Frame):
        return message.type
    if message["type"] == "status":
        return f"status:{message['state']}"
    if message["type"] == "error":
        return f"error:{message['code']}"
    return message["type"]


class Client:
    """One websocket to a lab, with helpers that wait for a kind of message."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[Message] = []

    async def send(self, op: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"op": op, **fields}))

    async def recv(self, timeout: float = TIMEOUT) -> Message:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        message = decode(raw) if isinstance(raw, bytes) else json.loads(raw)
        self.seen.append(message)
        return message

    async def expect(
        self, wanted: str | Callable[[Message], bool], timeout: float = TIMEOUT
    ) -> tuple[Message, list[Message]]:
        """The first message of kind ``wanted`` (or matching it) and those skipped before it."""
        match = wanted if callable(wanted) else (lambda m: kind(m) == wanted)
        skipped: list[Message] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.recv(max(0.01, deadline - loop.time()))
            if match(message):
                return message, skipped
            skipped.append(message)

    async def kinds(self, count: int, timeout: float = TIMEOUT) -> list[Message]:
        """The next ``count`` messages."""
        return [await self.recv(timeout) for _ in range(count)]

    async def quiet(self, seconds: float) -> list[Message]:
        """Everything that arrives within ``seconds``."""
        got: list[Message] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                got.append(await self.recv(left))
            except TimeoutError:
                break
        return got

    async def ready(self) -> tuple[dict[str, Any], Frame]:
        """Read hello … status paused of a fresh run; return hello and the step-0 frame."""
        hello = await self.recv()
        assert kind(hello) == "hello", hello
        frame, _ = await self.expect("frame")
        await self.expect("status:paused")
        return hello, frame  # type: ignore[return-value]

    async def step(self, n: int = 1) -> Frame:
        await self.send("step", n=n)
        frame, skipped = await self.expect("frame")
        assert not [m for m in skipped if kind(m).startswith("error")], skipped
        return frame  # type: ignore[return-value]

    async def close(self) -> None:
        await self.ws.close()


def run(scenario: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
    """Run one async scenario to the end, never longer than ``timeout``.

    In a thread of its own, so that it gets a fresh event loop whatever the test session
    holds (Playwright's sync API keeps a loop on the main thread once a browser test ran).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(scenario, timeout)).result()


def open_client(ws_url: str, lab: str = "two-moons", query: str = "", **kwargs: Any):
    """An async context manager: the websocket to ``lab`` (no compression), as a Client."""
    url = f"{ws_url}/ws/labs/{lab}" + (f"?{query}" if query else "")
    return _Connected(connect(url, compression=None, open_timeout=TIMEOUT, **kwargs))


class _Connected:
    def __init__(self, connecting: Any) -> None:
        self.connecting = connecting

    async def __aenter__(self) -> Client:
        return Client(await self.connecting.__aenter__())

    async def __aexit__(self, *exc: object) -> None:
        await self.connecting.__aexit__(*exc)
