"""The deep lab's controls and their budget: every field typed and bounded, and every cost
estimated from the params alone, before any tensor is allocated."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.labs.base import MAX_SECONDS_PER_REQUEST, LabError, refuse_over_budget
from app.nets.deep_mlp import DeepMLPConfig, count

Activation = Literal["relu", "tanh", "gelu", "sigmoid", "linear"]
Init = Literal["xavier_uniform", "xavier_normal", "he_normal", "he_uniform", "normal", "orthogonal"]
Norm = Literal["none", "batch", "layer", "group", "rms"]

INPUTS = {"spirals": 2, "digits": 64}
CLASSES = {"spirals": 2, "digits": 10}
N_SPIRALS = 1000  # points, half of them train
N_DIGITS_TRAIN = 1000
TRAIN_EVAL = 256  # training examples a frame evaluates (the first ones)
N_TEST = {"spirals": N_SPIRALS // 2, "digits": 360}
PROBE_BATCH = 128  # the first training examples: the batch the signal probes use

# Cost model, one torch thread (measured in bench/steptime.py, then rounded down to be safe):
# a step costs STEP_OVERHEAD_S, LAYER_S per hidden block, and its multiply-adds at
# MACS_PER_SECOND.
MACS_PER_SECOND = 1e10
LAYER_S = 1.2e-4
STEP_OVERHEAD_S = 5e-4  # per step whatever the size: loss, optimiser, batch indexing
SVD_S = 3e-10  # per width³ of one layer's singular values
PROBE_LAYER_S = 8e-4  # per block: the probes' Python and autograd overhead (measured)
MAX_BUSY = 1.0  # training may keep one core busy for at most this share of each second
PROBE_SHARE = 0.5  # probes are spread over frames so that they take at most this share
MAX_STEPS_PER_SECOND = 1000
MAX_ACTIVATION_BYTES = 128 * 2**20  # what one step keeps for its backward pass
SAVED_BYTES = 16  # per unit and example: Linear, norm and activation outputs, float32
MAX_FRAME_BYTES = 512 * 1024
# The depth × width sweep (app/labs/deep_sweep.py): its grid and its share of each request.
SWEEP_DEPTHS = (1, 2, 4, 8)
SWEEP_WIDTHS = (8, 32, 128)
SWEEP_SLICE_S = 0.05  # estimated training seconds of the sweep per request


class ModelOverrides(BaseModel):
    """Config B of compare mode: the model params in which it differs from A (null: same)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    depth: int | None = Field(None, ge=1, le=64, title="Depth (B)")
    width: int | None = Field(None, ge=4, le=256, title="Width (B)")
    activation: Activation | None = Field(None, title="Activation (B)")
    init: Init | None = Field(None, title="Initialisation (B)")
    init_std: float | None = Field(None, ge=1e-3, le=2.0, title="Init σ (B)")
    norm: Norm | None = Field(None, title="Normalisation (B)")
    residual: bool | None = Field(None, title="Residual (B)")


class DeepParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: Literal["spirals", "digits"] = Field(
        "spirals", title="Dataset", description="Two spirals (2 inputs) or 8 × 8 digits (64)"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="Seed", description="Data, init and batches")
    depth: int = Field(16, ge=1, le=64, title="Depth", description="Hidden layers")
    width: int = Field(64, ge=4, le=256, title="Width", description="Units per hidden layer")
    activation: Activation = Field("relu", title="Activation", description="After each norm")
    init: Init = Field("he_normal", title="Initialisation", description="How weights start")
    init_std: float = Field(
        0.05, ge=1e-3, le=2.0, title="Init σ", description="Std of the 'normal' initialisation"
    )
    norm: Norm = Field("none", title="Normalisation", description="Between Linear and activation")
    residual: bool = Field(False, title="Residual", description="Add each layer's input back")
    optimizer: Literal["sgd", "momentum", "adam"] = Field("adam", title="Optimiser")
    learning_rate: float = Field(0.003, gt=0.0, le=10.0, title="Learning rate")
    batch_size: int = Field(64, ge=1, le=500, title="Batch size", description="Examples per step")
    compare: bool = Field(
        False, title="Compare with B", description="Train config B beside A on the same batches"
    )
    b: ModelOverrides = Field(
        default_factory=lambda: ModelOverrides(residual=True, norm="batch"),
        title="Config B",
        description="Where B differs from A",
    )
    sweep: bool = Field(
        False, title="Depth × width sweep", description="Train 12 small configs alongside"
    )
    fps: int = Field(10, ge=1, le=30, title="Frame rate", description="Frames a second at most")
    steps_per_frame: int = Field(2, ge=1, le=100, title="Speed", description="Steps per frame")

    def config(self, which: str = "a") -> DeepMLPConfig:
        """The network of config A, or of B (A with the overrides)."""
        fields = {
            "depth": self.depth,
            "width": self.width,
            "activation": self.activation,
            "init": self.init,
            "init_std": self.init_std,
            "norm": self.norm,
            "residual": self.residual,
        }
        if which == "b":
            fields.update({k: v for k, v in self.b.model_dump().items() if v is not None})
        return DeepMLPConfig(INPUTS[self.dataset], CLASSES[self.dataset], **fields)

    def configs(self) -> dict[str, DeepMLPConfig]:
        """The networks this run trains: {"a": …} and, in compare mode, "b"."""
        return {"a": self.config("a"), **({"b": self.config("b")} if self.compare else {})}


def step_seconds(config: DeepMLPConfig, batch: int) -> float:
    """Estimated seconds of one training step (forward, backward twice, update)."""
    _, macs = count(config)
    return STEP_OVERHEAD_S + config.depth * LAYER_S + 3 * macs * batch / MACS_PER_SECOND


def probe_seconds(config: DeepMLPConfig, dataset: str) -> float:
    """Estimated seconds of one frame's probes: evaluation, the signal, the Jacobians."""
    _, macs = count(config)
    evaluated = TRAIN_EVAL + N_TEST[dataset] + 3 * PROBE_BATCH
    jacobian = config.depth * (SVD_S * config.width**3 + 3 * config.width**2 / MACS_PER_SECOND)
    return config.depth * PROBE_LAYER_S + macs * evaluated / MACS_PER_SECOND + jacobian


def probe_every(p: DeepParams) -> int:
    """Frames between two measurements of the probes (1 = every frame)."""
    seconds = sum(probe_seconds(c, p.dataset) for c in p.configs().values())
    return max(1, math.ceil(seconds * p.fps / PROBE_SHARE))


def frame_bytes(config: DeepMLPConfig, dataset: str, bins: int) -> int:
    """Bytes of one configuration's arrays in a frame (float32)."""
    rank = min(config.width, INPUTS[dataset])
    per_layer = 3 + bins + 2 + 1 + config.width + rank + 3  # signal, spectra, norms
    return 4 * (config.depth * per_layer + rank + 3)


def sweep_slice_seconds(p: DeepParams) -> float:
    """The most one request's share of the sweep can take: a slice, or one step of the
    sweep's largest configuration if that is longer."""
    largest = dataclasses.replace(p.config(), depth=max(SWEEP_DEPTHS), width=max(SWEEP_WIDTHS))
    return max(SWEEP_SLICE_S, step_seconds(largest, p.batch_size))


def costs(p: DeepParams, bins: int = 24) -> dict[str, Any]:
    """Parameters, busy seconds per second and frame bytes of a params set."""
    configs = p.configs()
    steps_per_s = p.fps * p.steps_per_frame
    step_s = sum(step_seconds(c, p.batch_size) for c in configs.values())
    sweep_s = sweep_slice_seconds(p) if p.sweep else 0.0
    return {
        "n_params": {k: count(c)[0] for k, c in configs.items()},
        "steps_per_s": steps_per_s,
        "step_s": step_s,
        "sweep_s": sweep_s,
        "busy": steps_per_s * step_s + p.fps * sweep_s,
        "activation_bytes": sum(
            c.depth * c.width * p.batch_size * SAVED_BYTES for c in configs.values()
        ),
        "probe_s": sum(probe_seconds(c, p.dataset) for c in configs.values()),
        "frame_bytes": sum(frame_bytes(c, p.dataset, bins) for c in configs.values()),
    }


def budget(p: DeepParams) -> None:
    """Raise LabError('over_budget') naming the params to lower; allocate nothing."""
    cost = costs(p)
    model = ["depth", "width", "b"] if p.compare else ["depth", "width"]
    refuse_over_budget(
        [
            (
                cost["steps_per_s"] > MAX_STEPS_PER_SECOND,
                f"fps × steps_per_frame = {cost['steps_per_s']} steps/s",
                ["fps", "steps_per_frame"],
            ),
            (
                cost["busy"] > MAX_BUSY,
                f"training would keep a core busy {cost['busy']:.2g} s every second",
                ["fps", "steps_per_frame", "batch_size", *model, *(["sweep"] if p.sweep else [])],
            ),
            (
                cost["activation_bytes"] > MAX_ACTIVATION_BYTES,
                f"a step would keep {cost['activation_bytes'] / 2**20:.0f} MiB of activations",
                [*model, "batch_size"],
            ),
            (
                cost["probe_s"] > MAX_SECONDS_PER_REQUEST / 2,
                f"one frame's probes would take about {cost['probe_s']:.1f} s",
                model,
            ),
            (
                cost["frame_bytes"] > MAX_FRAME_BYTES,
                f"{cost['frame_bytes']} bytes a frame > {MAX_FRAME_BYTES}",
                model,
            ),
        ],
        cost,
    )


def check_steps(p: DeepParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    cost = costs(p)
    spare = MAX_SECONDS_PER_REQUEST - cost["probe_s"] - cost["sweep_s"]
    most = max(1, int(spare / cost["step_s"]))
    if n > most:
        raise LabError(
            "over_budget",
            f"{n} steps at once would take about {n * cost['step_s']:.1f} s; with this "
            f"network and batch size one request may ask for at most {most} (press Play instead)",
            {"params": ["batch_size", "depth", "width"], "n": n, "max_n": most},
        )
