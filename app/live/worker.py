"""A worker process: owns many runs' models and answers requests about them one at a time.

Requests arrive on a pipe as ``(request_id, command, run_id, args)``; every answer is
``(request_id, ok, payload)``. Binary payloads are already LWF1-encoded here, so the
server process only forwards bytes. Nothing a request does can end the loop.
"""

from __future__ import annotations

import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import torch

from app.labs import checkpoints
from app.labs.base import Lab, LabError, Output
from app.labs.device import exact_float32
from app.labs.registry import LABS
from app.protocol.codec import Array, encode, quantize

# (kind, LWF1 bytes): "frame" goes to the latest-frame slot, the others are never dropped.
Message = tuple[str, bytes]


def encode_output(kind: str, output: Output, **extra: Any) -> bytes:
    """Encode a lab Output as one binary message, quantising the arrays it allows."""
    arrays = []
    for name, data in output.arrays.items():
        if name in output.quantize:
            q = quantize(data)
            arrays.append(Array(name, q.data, q.scale))
        else:
            arrays.append(Array(name, data))
    header = {**output.extra, **extra}
    return encode(kind, output.step, time.monotonic(), arrays, output.metrics, **header)


class Worker:
    """The runs of one process and the commands that act on them; every model is built on
    ``device`` (the CPU unless told otherwise)."""

    def __init__(self, device: torch.device | None = None) -> None:
        self.runs: dict[str, Lab] = {}
        self.device = torch.device("cpu") if device is None else device

    def build(self, run_id: str, lab_id: str, params: dict[str, Any]) -> list[Message]:
        lab_cls = LABS[lab_id]
        lab = lab_cls(lab_cls.validate(params), self.device)  # type: ignore[call-arg]
        self.runs[run_id] = lab
        return self._fresh(lab)

    def _fresh(self, lab: Lab) -> list[Message]:
        out = []
        data = lab.dataset()
        if data is not None:
            out.append(("dataset", encode_output("dataset", data)))
        out.append(("frame", encode_output("frame", lab.frame())))
        return out

    def current(self, run_id: str) -> list[Message]:
        """The data and a frame of the run as it is (for a socket that takes it over)."""
        return self._fresh(self.runs[run_id])

    def advance(self, run_id: str, n: int) -> list[Message]:
        lab = self.runs[run_id]
        lab.step(n)
        return [("frame", encode_output("frame", lab.frame()))]

    def configure(self, run_id: str, params: dict[str, Any]) -> list[Message]:
        lab = self.runs[run_id]
        rebuilt = lab.configure(type(lab).validate(params))
        return self._fresh(lab) if rebuilt else [("frame", encode_output("frame", lab.frame()))]

    def reset(self, run_id: str, params: dict[str, Any]) -> list[Message]:
        lab = self.runs[run_id]
        lab.params = type(lab).validate(params)
        lab.rebuild()
        return self._fresh(lab)

    def snapshot(self, run_id: str) -> list[Message]:
        lab = self.runs[run_id]
        arrays = [Array(k, v) for k, v in lab.snapshot().items()]
        return [("snapshot", encode("snapshot", lab.step_count, time.monotonic(), arrays))]

    def probe(self, run_id: str, name: str, args: dict[str, Any]) -> list[Message]:
        lab = self.runs[run_id]
        return [("probe", encode_output("probe", lab.probe(name, args), name=name))]

    def weights(self, run_id: str) -> bytes:
        return self.runs[run_id].export_weights()

    def drop(self, run_id: str) -> None:
        self.runs.pop(run_id, None)

    def ping(self) -> str:
        return "pong"

    def where(self) -> dict[str, Any]:
        """The device this worker builds on, its runs, and on a GPU the bytes its tensors hold."""
        info: dict[str, Any] = {"device": self.device.type, "runs": len(self.runs)}
        if self.device.type == "cuda":
            info["memory_allocated"] = torch.cuda.memory_allocated(self.device)
        return info


def serve(conn: Connection, checkpoint_dir: Path | None = None, device: str = "cpu") -> None:
    """The worker process's main loop (the target of multiprocessing.Process); ``device`` is
    the one the runtime resolved at start ("cpu" or "cuda")."""
    torch.set_num_threads(1)  # tiny models: a second thread only adds contention
    torch.set_num_interop_threads(1)
    checkpoints.configure(checkpoint_dir)
    if device == "cuda":
        exact_float32()
    worker = Worker(torch.device(device))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        request_id, command, args = request
        try:
            payload = getattr(worker, command)(*args)
            conn.send((request_id, True, payload))
        except LabError as exc:
            conn.send((request_id, False, (exc.code, exc.message, exc.detail)))
        except KeyError as exc:
            conn.send((request_id, False, ("no_run", f"no such run {exc}", None)))
        except Exception as exc:
            detail = traceback.format_exc(limit=5)
            conn.send((request_id, False, ("internal", f"{type(exc).__name__}: {exc}", detail)))
