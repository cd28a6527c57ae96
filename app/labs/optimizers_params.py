"""The optimizers lab's controls and their budget: every field typed and bounded, checked
before any tensor is allocated."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.data.surfaces import X_RANGE, Y_RANGE
from app.labs.base import refuse_long_request, refuse_over_budget

OptimizerId = Literal["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]

MAX_STEPS_PER_SECOND = 2000
MAX_CPU_SHARE = 0.5  # of one core: a run's training may take at most this much of it
PATH_STEP_S = 3e-4  # per optimiser and step on a 2-D surface (measured: 0.15–0.4 ms)
NET_FRAME_S = 1.5e-3  # per optimiser and frame: its network's train and test evaluation
NET_STEP_S = 1e-3  # per optimiser and step of the small network (measured: 0.4–0.9 ms)
NET_HIDDEN = (16, 16)  # the small network's hidden widths
NET_POINTS = 200  # two-moons points of the network part (160 train, 40 test)
NET_TRAIN = 160


def _lr(default: float, name: str) -> Any:
    return Field(default, gt=0.0, le=1.0, title=f"{name} rate", description=f"lr of {name}")


class OptimizersParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    surface: Literal["rosenbrock", "saddle", "bowl"] = Field(
        "rosenbrock", title="Loss surface", description="The 2-D function the paths run down"
    )
    start_x: float = Field(
        -1.5, ge=X_RANGE[0], le=X_RANGE[1], title="Start x", description="Where every path starts"
    )
    start_y: float = Field(
        2.0, ge=Y_RANGE[0], le=Y_RANGE[1], title="Start y", description="Where every path starts"
    )
    optimizers: Annotated[list[OptimizerId], Field(min_length=1, max_length=6)] = Field(
        default_factory=lambda: ["sgd", "momentum", "adam"],
        title="Optimisers",
        description="The update rules raced side by side",
    )
    lr_sgd: float = _lr(0.1, "SGD")
    lr_momentum: float = _lr(0.02, "Momentum")
    lr_nesterov: float = _lr(0.02, "Nesterov")
    lr_rmsprop: float = _lr(0.01, "RMSProp")
    lr_adam: float = _lr(0.05, "Adam")
    lr_adamw: float = _lr(0.05, "AdamW")
    momentum: float = Field(
        0.9,
        gt=0.0,
        le=0.99,
        title="Momentum β",
        description="Velocity kept per step (SGD variants)",
    )
    rms_alpha: float = Field(
        0.99, ge=0.5, le=0.9999, title="RMSProp α", description="Decay of RMSProp's mean of g²"
    )
    beta1: float = Field(
        0.9, ge=0.0, le=0.99, title="Adam β1", description="Decay of Adam's mean gradient m"
    )
    beta2: float = Field(
        0.999, ge=0.5, le=0.9999, title="Adam β2", description="Decay of Adam's mean of g², v"
    )
    eps: float = Field(
        1e-8, ge=1e-10, le=1.0, title="ε", description="Added to √v (RMSProp, Adam, AdamW)"
    )
    adamw_decay: float = Field(
        0.01, ge=0.0, le=1.0, title="AdamW decay λ", description="Decoupled weight decay"
    )
    schedule: Literal["constant", "step", "cosine", "warmup"] = Field(
        "constant", title="Learning-rate schedule", description="How every rate moves with steps"
    )
    schedule_steps: int = Field(
        200,
        ge=1,
        le=10000,
        title="Schedule period",
        description="Steps per drop, cosine or warm-up",
    )
    step_gamma: float = Field(
        0.5, ge=0.01, le=1.0, title="Drop factor γ", description="Each drop multiplies rates by γ"
    )
    network: bool = Field(
        True, title="Network too", description="Also train a small two-moons network per optimiser"
    )
    batch_size: int = Field(
        32, ge=1, le=NET_TRAIN, title="Batch size", description="Points per network step"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="Seed", description="Network data and init")
    grid_n: int = Field(80, ge=20, le=200, title="Contour grid", description="Points per axis")
    fps: int = Field(10, ge=1, le=60, title="Frame rate", description="Frames a second at most")
    steps_per_frame: int = Field(
        5, ge=1, le=200, title="Speed", description="Training steps between frames"
    )

    @field_validator("optimizers")
    @classmethod
    def _distinct(cls, chosen: list[str]) -> list[str]:
        if len(set(chosen)) != len(chosen):
            raise ValueError("each optimiser may be chosen once")
        return chosen

    def lr(self, kind: str) -> float:
        """The base learning rate of optimiser ``kind``."""
        return getattr(self, f"lr_{kind}")


def lr_factor(p: OptimizersParams, step: int) -> float:
    """The schedule's multiplier of every base learning rate at ``step`` (0-based).

    constant: 1; step: γ^⌊t / T⌋; cosine: (1 + cos(π min(t, T) / T)) / 2, then 0;
    warmup: min(1, (t + 1) / T), rising linearly over the first T steps.
    """
    t, period = step, p.schedule_steps
    if p.schedule == "step":
        return p.step_gamma ** (t // period)
    if p.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(t, period) / period))
    if p.schedule == "warmup":
        return min(1.0, (t + 1) / period)
    return 1.0


def costs(p: OptimizersParams) -> dict[str, Any]:
    """Seconds of compute per step and per second, and steps per second."""
    per_step = len(p.optimizers) * (PATH_STEP_S + (NET_STEP_S if p.network else 0.0))
    steps_per_s = p.fps * p.steps_per_frame
    return {
        "step_s": per_step,
        "steps_per_s": steps_per_s,
        "cpu_share": steps_per_s * per_step
        + p.fps * len(p.optimizers) * (NET_FRAME_S if p.network else 0.0),
        "frame_bytes": 4 * len(p.optimizers) * (2 * 513 + 400),
    }


def budget(p: OptimizersParams) -> None:
    """Raise LabError('over_budget') naming the params to lower; allocate nothing."""
    cost = costs(p)
    refuse_over_budget(
        [
            (
                cost["steps_per_s"] > MAX_STEPS_PER_SECOND,
                f"fps × steps_per_frame = {cost['steps_per_s']} steps/s",
                ["fps", "steps_per_frame"],
            ),
            (
                cost["cpu_share"] > MAX_CPU_SHARE,
                f"about {cost['cpu_share']:.2f} s of compute each second > {MAX_CPU_SHARE}",
                ["fps", "steps_per_frame", "optimizers", "network"],
            ),
        ],
        cost,
    )


def check_steps(p: OptimizersParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    refuse_long_request(n, costs(p)["step_s"], ["optimizers", "network"])
