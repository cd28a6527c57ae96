"""One websocket's conversation with its run: hello, admission, controls, pacing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Protocol

from app.labs.base import LabError
from app.live.admission import Busy
from app.live.outbox import Outbox, Overflow, Socket
from app.live.pool import WorkerError
from app.live.runtime import Run, Runtime
from app.live.worker import Message
from app.protocol.messages import (
    Configure,
    Pause,
    Play,
    Probe,
    ProtocolError,
    Reset,
    Snapshot,
    Step,
    error,
    hello,
    parse_client_message,
    status,
)

IDLE_CHECK_S = 5.0


class Connection(Socket, Protocol):
    """A websocket as the session sees it."""

    async def receive(self) -> dict[str, Any]: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Closed(Exception):
    """The session must end (the socket closed or the run was released)."""


class Session:
    """Serves one websocket until it closes; the run is detached, never leaked, at the end."""

    def __init__(self, runtime: Runtime, socket: Connection, run: Run, reattached: bool) -> None:
        self.runtime = runtime
        self.socket = socket
        self.run = run
        self.reattached = reattached
        self.outbox = Outbox()
        self.driver: asyncio.Task | None = None
        self.closing = False
        run.session = self

    # -- lifecycle -------------------------------------------------------------------------

    async def serve(self, notices: list[dict[str, Any]] | None = None) -> None:
        """Say hello, get admitted, then answer messages until the socket closes."""
        pump = asyncio.create_task(self._pump())
        tasks = [pump, asyncio.create_task(self._watch_idle())]
        try:
            self.outbox.put(self._hello())
            for notice in notices or []:
                self.outbox.put(notice)
            if self.reattached:
                await self._resume()
            else:
                try:
                    self.run.ticket = self.runtime.admission.request(self._queued)
                except Busy as exc:
                    self.outbox.put(
                        error("server_busy", f"the server is full, try again soon ({exc})")
                    )
                    await self._flush()
                    await self.socket.close(1013, "server busy")
                    return
                tasks.append(asyncio.create_task(self._start()))
            await self._receive_loop(pump)
        except Closed:
            pass
        finally:
            self._stop_driver()
            for task in tasks:
                task.cancel()
            if self.run.session is self:
                self.runtime.detach(self.run)

    async def _pump(self) -> None:
        """Drain the outbox; a client that lets it overflow is disconnected (1008)."""
        try:
            await self.outbox.pump(self.socket)
        except Overflow:
            with contextlib.suppress(RuntimeError):
                await self.socket.close(1008, "client is not reading its messages")

    def _hello(self) -> dict[str, Any]:
        lab = self.run.lab
        meta = lab.meta(self.run.params)
        return hello(
            lab=lab.id,
            title=lab.title,
            run=self.run.id,
            params=self.run.params.model_dump(),
            schema=lab.Params.model_json_schema(),
            grid=meta.get("grid"),
            meta=meta,
        )

    def _queued(self, position: int) -> None:
        self.outbox.put(status("queued", position=position))

    async def _start(self) -> None:
        assert self.run.ticket is not None
        await self.run.ticket.admitted.wait()
        async with self.run.lock:
            try:
                messages = await self.runtime.build(self.run)
            except (WorkerError, LabError) as exc:
                self.outbox.put(error(exc.code, exc.message, exc.detail))
                return
        self.run.last_active = time.monotonic()  # time spent queued or building is not idle
        self._deliver(messages)
        self._status()
        if self.run.playing:
            self._start_driver()

    async def _resume(self) -> None:
        async with self.run.lock:
            messages = await self._call("current")
        self._deliver(messages)
        self._status()

    async def _flush(self) -> None:
        for _ in range(50):
            if self.outbox.empty:
                return
            await asyncio.sleep(0.01)

    async def _lost(self, exc: WorkerError) -> None:
        """The process running the model stopped: say so, free the run, close the socket."""
        self.run.playing = False
        self.outbox.put(error(exc.code, exc.message, exc.detail))
        self.runtime.drop(self.run)
        await self._flush()
        with contextlib.suppress(RuntimeError):  # the client may have closed meanwhile
            await self.socket.close(1011, "worker lost")

    async def _watch_idle(self) -> None:
        limit = self.runtime.settings.paused_idle_s
        while True:
            await asyncio.sleep(min(IDLE_CHECK_S, limit))
            idle = time.monotonic() - self.run.last_active
            busy = self.run.lock.locked()  # building or stepping: not idle
            if self.run.built and not self.run.playing and not busy and idle >= limit:
                self.outbox.put(
                    status("released", reason=f"paused for {idle / 60:.0f} minutes; reload")
                )
                await asyncio.sleep(0.1)
                self.runtime.drop(self.run)
                await self.socket.close(1000, "idle run released")
                return

    # -- messages --------------------------------------------------------------------------

    async def _receive_loop(self, pump: asyncio.Task) -> None:
        limit = self.runtime.settings.max_message_bytes
        while True:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect" or pump.done():
                return
            self.run.last_active = time.monotonic()
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            try:
                await self._handle(parse_client_message(raw, limit))
            except ProtocolError as exc:
                self.outbox.put(exc.to_message())
            except LabError as exc:
                self.outbox.put(error(exc.code, exc.message, exc.detail))
            except WorkerError as exc:
                if exc.code == "worker_lost":
                    await self._lost(exc)
                    raise Closed from None
                self.outbox.put(error(exc.code, exc.message, exc.detail))

    async def _handle(self, msg: Any) -> None:
        run = self.run
        if isinstance(msg, Play):
            run.playing = True
            if run.built:
                self._start_driver()
            self._status()
        elif isinstance(msg, Pause):
            run.playing = False
            async with run.lock:
                self._stop_driver()
            self._status()
        elif isinstance(msg, Configure):
            run.params = run.lab.validate(msg.params, base=run.params)
            if run.built:
                async with run.lock:
                    self._deliver(await self._call("configure", run.params.model_dump()))
            self._status()
        elif isinstance(msg, Reset):
            if msg.seed is not None:
                run.params = run.lab.validate({"seed": msg.seed}, base=run.params)
            if run.built:
                async with run.lock:
                    self._deliver(await self._call("reset", run.params.model_dump()))
            self._status()
        else:
            await self._handle_read(msg)

    async def _handle_read(self, msg: Step | Snapshot | Probe) -> None:
        run = self.run
        if not run.built:
            raise ProtocolError("not_ready", f"'{msg.op}' needs a running model; wait for status")
        if isinstance(msg, Step):
            if run.playing:
                raise ProtocolError("running", "'step' works while paused; send 'pause' first")
            run.lab.check_steps(run.params, msg.n)
            async with run.lock:
                self._deliver(await self._call("advance", msg.n))
        elif isinstance(msg, Snapshot):
            async with run.lock:
                self._deliver(await self._call("snapshot"))
        else:
            async with run.lock:
                self._deliver(await self._call("probe", msg.name, msg.args))

    async def _call(self, command: str, *args: Any) -> list[Message]:
        assert self.run.worker is not None
        return await self.runtime.pool.call(self.run.worker, command, self.run.id, *args)

    def _deliver(self, messages: list[Message]) -> None:
        """Frames go to the latest-frame slot; datasets, snapshots and probes are ordered."""
        for kind, message in messages:
            if kind == "frame":
                self.run.observe(message)
                self.outbox.put_frame(message)
            else:
                self.outbox.put(message)

    def _status(self) -> None:
        run = self.run
        if not run.built:
            position = 1 + (
                self.runtime.admission.queue.index(run.ticket)
                if run.ticket in self.runtime.admission.queue
                else 0
            )
            self.outbox.put(status("queued", position=position, params=run.params.model_dump()))
            return
        state = "running" if run.playing else "paused"
        meta = run.lab.meta(run.params)
        self.outbox.put(
            status(
                state,
                run=run.id,
                params=run.params.model_dump(),
                grid=meta.get("grid"),
                meta=meta,
            )
        )

    # -- pacing ----------------------------------------------------------------------------

    def _start_driver(self) -> None:
        if self.driver is None or self.driver.done():
            self.driver = asyncio.create_task(self._drive())

    def _stop_driver(self) -> None:
        if self.driver is not None:
            self.driver.cancel()
            self.driver = None

    async def _drive(self) -> None:
        """While playing: steps_per_frame steps and one frame every 1/fps seconds.

        Frames are due on a fixed schedule, so a late wake-up is made up by the next wait
        (but never by a burst of more than one catch-up frame).
        """
        run = self.run
        due = time.monotonic()
        while run.playing and not self.closing:
            async with run.lock:
                if not run.playing:
                    return
                try:
                    frames = await self._call("advance", run.params.steps_per_frame)  # type: ignore[attr-defined]
                except WorkerError as exc:
                    run.playing = False
                    if exc.code == "worker_lost":
                        await self._lost(exc)
                        return
                    self.outbox.put(error(exc.code, exc.message, exc.detail))
                    self._status()
                    return
            self._deliver(frames)
            run.last_active = time.monotonic()
            period = 1.0 / run.params.fps  # type: ignore[attr-defined]
            now = time.monotonic()
            due = max(due + period, now - period)
            await asyncio.sleep(max(0.0, due - now))
