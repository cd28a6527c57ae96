"""The runtime of one server process: worker pool, admission and the registry of runs."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from pydantic import BaseModel

from app.config import Settings
from app.labs.base import Lab
from app.labs.device import resolve_device
from app.live.admission import Admission, Ticket
from app.live.pool import WorkerPool
from app.live.worker import Message
from app.protocol.codec import decode

if TYPE_CHECKING:
    from app.live.session import Session


@dataclass(eq=False)
class Run:
    """One live model: its lab, params, place in a worker and the socket that owns it."""

    id: str
    lab: type[Lab]
    params: BaseModel
    ticket: Ticket | None = None
    worker: int | None = None
    playing: bool = False
    step: int = 0
    session: Session | None = None
    last_active: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    drop_timer: asyncio.TimerHandle | None = None
    # The signed-in user who opened the run (None: anonymous); lab challenges credit only them.
    owner_id: int | None = None
    # The newest frame the worker encoded and the params in force when it passed: what lab
    # challenges are checked against (never the browser's word). Read only when asked.
    _latest: tuple[bytes, BaseModel] | None = field(default=None, repr=False)

    @property
    def built(self) -> bool:
        """Whether the model exists in a worker."""
        return self.worker is not None

    def observe(self, frame: bytes) -> None:
        """Remember an LWF1 frame and the params now (no parsing: this runs for every frame)."""
        self._latest = (frame, self.params)

    @property
    def latest(self) -> dict[str, Any] | None:
        """The newest frame's lab, params in force, step and metrics."""
        if self._latest is None:
            return None
        message, params = self._latest
        frame = decode(message)
        return {
            "lab": self.lab.id,
            "params": params.model_dump(mode="json"),
            "step": int(frame.step),
            "metrics": dict(frame.metrics or {}),
        }


class Runtime:
    """Owns the worker pool and every run of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = WorkerPool(settings.workers, settings.data_dir / "checkpoints")
        self.admission = Admission(settings.max_active_runs, settings.max_queued_runs)
        self.runs: dict[str, Run] = {}
        self.ready = False
        self._background: set[asyncio.Task] = set()
        self.device = torch.device("cpu")  # where labs train, resolved by start()

    async def start(self) -> None:
        """Resolve the device setting (a DeviceError that says what to do when it cannot be
        honoured: the server then refuses to start), start the worker processes on it; the
        app is ready once they answer."""
        self.device = resolve_device(self.settings.device)
        self.pool.device = self.device.type
        await self.pool.start()
        self.ready = True

    async def stop(self) -> None:
        """Drop every run and stop the workers."""
        self.ready = False
        for run in list(self.runs.values()):
            if run.session is not None:
                run.session.closing = True
        self.runs.clear()
        await self.pool.stop()

    def new_run(self, lab: type[Lab], params: BaseModel, owner_id: int | None = None) -> Run:
        """Register a run (not yet built) under a fresh, unguessable id."""
        run = Run(id=secrets.token_urlsafe(12), lab=lab, params=params, owner_id=owner_id)
        self.runs[run.id] = run
        return run

    async def build(self, run: Run) -> list[Message]:
        """Place an admitted run on a worker and build its model."""
        index = self.pool.place()
        run.worker = index
        try:
            return await self.pool.call(index, "build", run.id, run.lab.id, run.params.model_dump())
        except BaseException:
            run.worker = None
            self.pool.release(index)
            if self.ready:
                self._spawn_forget(index, run.id)
            raise

    def detach(self, run: Run) -> None:
        """The run's socket closed: keep the model for a grace period, then drop it."""
        run.session = None
        run.playing = False
        grace = self.settings.detached_grace_s
        if not run.built or grace <= 0:
            self.drop(run)
            return
        loop = asyncio.get_running_loop()
        run.drop_timer = loop.call_later(grace, self.drop, run)

    def attach(self, run_id: str, lab: type[Lab]) -> Run | None:
        """Take over a detached run of ``lab`` (a reloaded page), or None."""
        run = self.runs.get(run_id)
        if run is None or run.session is not None or run.lab is not lab or not run.built:
            return None
        if run.drop_timer is not None:
            run.drop_timer.cancel()
            run.drop_timer = None
        run.last_active = time.monotonic()
        return run

    def drop(self, run: Run) -> None:
        """Free the run's model, worker place and admission place."""
        if run.drop_timer is not None:
            run.drop_timer.cancel()
            run.drop_timer = None
        self.runs.pop(run.id, None)
        if run.ticket is not None:
            self.admission.release(run.ticket)
            run.ticket = None
        if run.worker is not None:
            index, run.worker = run.worker, None
            self.pool.release(index)
            if self.ready:
                self._spawn_forget(index, run.id)

    def _spawn_forget(self, index: int, run_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._forget(index, run_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _forget(self, index: int, run_id: str) -> None:
        with contextlib.suppress(Exception):
            await self.pool.call(index, "drop", run_id)

    def counts(self) -> dict[str, Any]:
        """Active, queued and detached runs, and the device labs train on ("cpu" or "cuda"),
        for /healthz and the benchmarks."""
        return {
            "active": self.admission.active,
            "queued": len(self.admission.queue),
            "runs": len(self.runs),
            "detached": sum(1 for r in self.runs.values() if r.session is None),
            "device": self.device.type,
        }
