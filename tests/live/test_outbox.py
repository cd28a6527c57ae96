"""The outbox of one connection: order kept, one frame at most waiting, bounded queue."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from app.live.outbox import Outbox, Overflow


class FakeSocket:
    """Records what is sent; ``gate`` holds every send until it is set (a slow reader)."""

    def __init__(self) -> None:
        self.sent: list[str | bytes] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def send_text(self, data: str) -> None:
        await self.gate.wait()
        self.sent.append(data)

    async def send_bytes(self, data: bytes) -> None:
        await self.gate.wait()
        self.sent.append(data)


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def _pumping(outbox: Outbox, socket: FakeSocket):
    task = asyncio.create_task(outbox.pump(socket))
    await _settle()
    return task


async def _stop(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def test_pump_keeps_order() -> None:
    async def scenario() -> list:
        outbox, socket = Outbox(), FakeSocket()
        socket.gate.clear()
        task = await _pumping(outbox, socket)
        outbox.put({"type": "hello"})
        outbox.put(b"dataset")
        outbox.put_frame(b"frame-1")
        outbox.put({"type": "status", "state": "paused"})
        outbox.put(b"snapshot")
        socket.gate.set()
        await _settle()
        await _stop(task)
        return socket.sent

    sent = asyncio.run(scenario())
    assert sent == [
        json.dumps({"type": "hello"}),
        b"dataset",
        b"frame-1",
        json.dumps({"type": "status", "state": "paused"}),
        b"snapshot",
    ]


def test_put_frame_replaces_unsent_frame() -> None:
    async def scenario() -> tuple[list, int]:
        outbox, socket = Outbox(), FakeSocket()
        socket.gate.clear()
        task = await _pumping(outbox, socket)
        outbox.put({"type": "status"})
        # The pump now holds the status in a blocked send; these frames wait.
        await _settle()
        for i in range(50):
            outbox.put_frame(f"frame-{i}".encode())
            assert sum(isinstance(item, bytes) for item in outbox._items) == 1
        socket.gate.set()
        await _settle()
        await _stop(task)
        return socket.sent, outbox.frames_replaced

    sent, replaced = asyncio.run(scenario())
    assert sent == [json.dumps({"type": "status"}), b"frame-49"]
    assert replaced == 49


def test_put_frame_never_drops_ordered_messages() -> None:
    async def scenario() -> list:
        outbox, socket = Outbox(), FakeSocket()
        socket.gate.clear()
        task = await _pumping(outbox, socket)
        outbox.put_frame(b"frame-0")
        await _settle()  # frame-0 is now in a blocked send
        outbox.put_frame(b"frame-1")
        outbox.put({"type": "error", "code": "running"})
        outbox.put_frame(b"frame-2")
        outbox.put(b"probe")
        outbox.put_frame(b"frame-3")
        socket.gate.set()
        await _settle()
        await _stop(task)
        return socket.sent

    sent = asyncio.run(scenario())
    assert sent == [
        b"frame-0",
        json.dumps({"type": "error", "code": "running"}),
        b"probe",
        b"frame-3",
    ]


def test_put_frame_after_send_queues_new_frame() -> None:
    async def scenario() -> list:
        outbox, socket = Outbox(), FakeSocket()
        task = await _pumping(outbox, socket)
        for i in range(3):
            outbox.put_frame(f"frame-{i}".encode())
            await _settle()
        await _stop(task)
        return socket.sent

    assert asyncio.run(scenario()) == [b"frame-0", b"frame-1", b"frame-2"]


def test_put_frame_equal_bytes_keeps_ordered_binary() -> None:
    """A frame whose bytes equal an ordered message's must not remove that message."""

    async def scenario() -> list:
        outbox, socket = Outbox(), FakeSocket()
        socket.gate.clear()
        task = await _pumping(outbox, socket)
        outbox.put({"type": "hello"})
        await _settle()
        outbox.put(bytes(bytearray(b"same")))  # e.g. a probe answer, byte-identical
        outbox.put(b"other")
        outbox.put_frame(bytes(bytearray(b"same")))
        outbox.put_frame(b"newer")
        socket.gate.set()
        await _settle()
        await _stop(task)
        return socket.sent

    sent = asyncio.run(scenario())
    assert sent == [json.dumps({"type": "hello"}), b"same", b"other", b"newer"]


def test_pump_ends_connection_beyond_max_ordered() -> None:
    async def scenario() -> None:
        outbox, socket = Outbox(max_ordered=3), FakeSocket()
        for i in range(3):
            outbox.put({"i": i})
        outbox.put({"i": 3})  # one too many: marked, not raised at the caller
        assert not outbox.empty
        with pytest.raises(Overflow):
            await asyncio.wait_for(outbox.pump(socket), timeout=5)
        assert socket.sent == []  # the connection ends; nothing half-sent

    asyncio.run(scenario())


def test_put_refuses_nan() -> None:
    with pytest.raises(ValueError):
        Outbox().put({"loss": float("nan")})


def test_pump_empties_outbox() -> None:
    async def scenario() -> bool:
        outbox, socket = Outbox(), FakeSocket()
        assert outbox.empty
        outbox.put({"type": "hello"})
        assert not outbox.empty
        task = await _pumping(outbox, socket)
        await _stop(task)
        return outbox.empty

    assert asyncio.run(scenario())
