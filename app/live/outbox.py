"""One connection's outgoing messages: in order, with at most one frame waiting.

Control messages (hello, status, error) and ordered binaries (dataset, snapshot, probe) are
never dropped. A new frame replaces an unsent one, so a client that stops reading costs
one frame of memory, not a queue.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any, Protocol


class Socket(Protocol):
    """What the runtime needs of a websocket (Starlette's WebSocket fits)."""

    async def send_text(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...


class Overflow(Exception):
    """The client has stopped reading while sending requests that need answers.

    Raised by ``pump`` (never by ``put``, which may run inside someone else's call, e.g. a
    queue-position update), so the connection that owns the outbox is the one that ends.
    """


class Outbox:
    """An ordered queue with a latest-frame slot, drained by ``pump``."""

    def __init__(self, max_ordered: int = 256) -> None:
        self.max_ordered = max_ordered
        self._items: deque[str | bytes] = deque()
        self._frame: bytes | None = None
        self._wake = asyncio.Event()
        self._overflow = False
        self.frames_replaced = 0

    @property
    def empty(self) -> bool:
        """Whether everything queued has been handed to the socket."""
        return not self._items

    def put(self, message: dict[str, Any] | bytes) -> None:
        """Queue a message that must arrive (JSON object or ordered binary).

        Past ``max_ordered`` waiting messages the outbox is marked overflowed and ``pump``
        ends the connection.
        """
        if len(self._items) >= self.max_ordered:
            self._overflow = True
            self._wake.set()
            return
        self._items.append(
            message if isinstance(message, bytes) else json.dumps(message, allow_nan=False)
        )
        self._wake.set()

    def put_frame(self, frame: bytes) -> None:
        """Offer a frame; it replaces the waiting one, if any, and keeps the queue's order."""
        if self._frame is not None:
            # By identity: an ordered message with the same bytes must stay.
            for index, item in enumerate(self._items):
                if item is self._frame:
                    del self._items[index]
                    self.frames_replaced += 1
                    break
        self._frame = frame
        self._items.append(frame)
        self._wake.set()

    async def pump(self, socket: Socket) -> None:
        """Send everything, in order, for as long as the connection lives.

        Raises Overflow once the client has let too many messages pile up.
        """
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._overflow:
                raise Overflow(f"more than {self.max_ordered} messages wait for this client")
            while self._items:
                item = self._items.popleft()
                if item is self._frame:
                    self._frame = None
                if isinstance(item, bytes):
                    await socket.send_bytes(item)
                else:
                    await socket.send_text(item)
