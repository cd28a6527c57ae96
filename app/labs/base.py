"""The narrow interface every lab implements, so any scheduler can drive it.

A lab is built from validated params on a device (``Lab(params, device)``, the CPU by
default), advanced with ``step(n)``, and read with ``frame()``, ``dataset()``,
``snapshot()`` and ``probe()``. Before anything is allocated the runtime calls
``budget(params)``, which raises LabError when the request would cost too much compute or
frame bytes.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ValidationError

# One `step` request may hold a worker this long (estimated), so other runs there keep pace.
MAX_SECONDS_PER_REQUEST = 2.0


class LabError(Exception):
    """A request a lab refuses; ``code`` names the kind, ``message`` says what to change."""

    def __init__(self, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def refuse_long_request(n: int, seconds_per_step: float, culprits: list[str]) -> None:
    """Raise LabError('over_budget') when ``n`` steps would hold a worker too long."""
    most = max(1, int(MAX_SECONDS_PER_REQUEST / seconds_per_step))
    if n > most:
        raise LabError(
            "over_budget",
            f"{n} steps at once would take about {n * seconds_per_step:.1f} s; with this "
            f"network and batch size one request may ask for at most {most} (press Play instead)",
            {"params": culprits, "n": n, "max_n": most},
        )


def refuse_over_budget(checks: list[tuple[bool, str, list[str]]], figures: dict[str, Any]) -> None:
    """Raise LabError('over_budget') for every ``(exceeded, what, params)`` check that failed.

    The message says what was exceeded and which params to lower; ``detail`` holds those
    params by name and the figures.
    """
    failed = [(what, params) for exceeded, what, params in checks if exceeded]
    if not failed:
        return
    named = list(dict.fromkeys(name for _, params in failed for name in params))
    raise LabError(
        "over_budget",
        "over the compute budget: "
        + "; ".join(what for what, _ in failed)
        + " — lower "
        + ", ".join(named),
        {**figures, "params": named},
    )


def finite_or_none(value: float) -> float | None:
    """A metric as frames carry it: the number, or None when it is NaN or infinite."""
    return value if np.isfinite(value) else None


def to_numpy(value: torch.Tensor) -> np.ndarray:
    """A float32, C-ordered NumPy copy of ``value`` on the CPU, detached from autograd."""
    return value.detach().to("cpu", torch.float32).contiguous().numpy().copy()


def state_arrays(state: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """A state_dict as float32 arrays (what ``snapshot`` returns)."""
    return {k: to_numpy(v) for k, v in state.items()}


def state_file(state: Mapping[str, torch.Tensor]) -> bytes:
    """A state_dict as a torch.save file (what ``export_weights`` returns): CPU tensors,
    C-ordered, so it loads on any machine."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in state.items()}, buffer)
    return buffer.getvalue()


def train_minibatches(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Any,
    batch_size: int,
    n: int,
    batch_loss: Callable[[torch.Tensor], torch.Tensor],
) -> float | None:
    """``n`` optimiser steps on successive minibatches of ``batches`` (an EpochSampler); the
    loss of each is ``batch_loss(indices)``. The last loss is read once, after the loop (so a
    GPU is not made to wait at every step); None when ``n`` is 0."""
    model.train()
    last = None
    for _ in range(n):
        loss = batch_loss(batches.next(batch_size))
        optimizer.zero_grad(set_to_none=False)
        loss.backward()
        optimizer.step()
        last = loss.detach()
    return None if last is None else float(last)


@dataclass
class Output:
    """What a lab hands the runtime: metrics, named arrays, which arrays may be quantised, and
    extra JSON header fields (e.g. a probe's geometry)."""

    step: int
    metrics: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    quantize: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)


class Lab(ABC):
    """One live model with its data, stepped by the runtime."""

    id: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    # The learning curves its frames carry (frame metrics loss/test_loss, train_acc/test_acc).
    curves: ClassVar[tuple[str, ...]] = ("loss", "accuracy")
    Params: ClassVar[type[BaseModel]]
    # Params that apply to a live run without rebuilding the model.
    live_params: ClassVar[frozenset[str]] = frozenset({"fps", "steps_per_frame"})

    def __init__(self, params: BaseModel, device: torch.device | None = None) -> None:
        self.params = params
        # Where the model and its data tensors live (the runtime's resolved device setting).
        self.device = torch.device("cpu") if device is None else device
        self.step_count = 0

    @classmethod
    def validate(cls, params: dict[str, Any], base: BaseModel | None = None) -> BaseModel:
        """Validate a full or partial params object (merged over ``base``) and its budget."""
        merged = {**(base.model_dump() if base is not None else {}), **params}
        try:
            validated = cls.Params.model_validate(merged)
        except ValidationError as exc:
            details = [
                {"param": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]}
                for e in exc.errors(include_url=False)
            ]
            reasons = "; ".join(f"{d['param'] or 'params'}: {d['msg']}" for d in details)
            raise LabError("invalid_params", f"invalid params — {reasons}", details) from None
        cls.budget(validated)
        return validated

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        """Raise LabError('over_budget') when ``params`` would cost too much; allocate nothing."""

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        """Raise LabError('over_budget') when one `step` request of ``n`` steps costs too much."""

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        """Lab metadata for `hello` (grid extents, layer names …), derived from params alone."""
        return {}

    def configure(self, params: BaseModel) -> bool:
        """Apply new params; rebuild (returning True) unless only live params changed."""
        # Compare dumps, not attributes: a nested model (a layer spec) equals only its dump.
        before = self.params.model_dump()
        changed = {k for k, v in params.model_dump().items() if before.get(k) != v}
        if changed <= self.live_params:
            self.params = params
            self.apply_live(changed)
            return False
        self.params = params
        self.rebuild()
        return True

    def apply_live(self, changed: set[str]) -> None:
        """Hook for live params that need more than being stored (e.g. a new learning rate)."""

    @abstractmethod
    def rebuild(self) -> None:
        """Make data and model afresh from ``self.params``; step back to 0."""

    @abstractmethod
    def step(self, n: int) -> None:
        """Train ``n`` steps."""

    @abstractmethod
    def frame(self) -> Output:
        """Everything the lab page draws at the current step."""

    def dataset(self) -> Output | None:
        """The data points, sent once after each build (None when the lab has none to show)."""
        return None

    @abstractmethod
    def snapshot(self) -> dict[str, np.ndarray]:
        """Every parameter of the model (state_dict names, float32) at the current step."""

    def probe(self, name: str, args: dict[str, Any]) -> Output:
        """Answer a named probe; unknown names are refused."""
        raise LabError("unknown_probe", f"lab {self.id!r} has no probe {name!r}")

    @abstractmethod
    def export_weights(self) -> bytes:
        """The model's state_dict as a torch.save file."""

    @classmethod
    def export_script(cls, params: BaseModel) -> str:
        """A standalone PyTorch script that reproduces this run's configuration and loop."""
        raise LabError("not_supported", f"lab {cls.id!r} has no script export")
