"""The cnn lab's controls and their budget: every field typed and bounded, checked before any
tensor is allocated."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.data.digits import MAX_TRAIN, N_TEST
from app.labs import cnn_stack
from app.labs.base import LabError, refuse_long_request, refuse_over_budget
from app.nets.cnn import LayerSpec, default_layers

MAX_MACS_PER_SECOND = 2e9  # convolutions run near 2–3 GMAC/s on one core (bench/steptime.py)
MACS_PER_SECOND = 2e9
MAX_FRAME_BYTES = 512 * 1024
MAX_STEPS_PER_SECOND = 2000
MAX_PARAMS_X_BATCH = 5e7
STEP_OVERHEAD_S = 1.5e-3  # per step, measured: dispatch of a few conv/BN/ReLU ops and Adam
TRAIN_EVAL = 128  # train images a frame evaluates (a fixed sample: the first ones)


class LayerParams(BaseModel):
    """One layer of the stack: a convolution block or a pool, and its k×k window."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["conv", "separable", "bottleneck", "maxpool", "avgpool"] = "conv"
    kernel: int = Field(3, ge=1, le=7, description="Window side k")
    stride: int = Field(1, ge=1, le=3, description="Step between windows")
    padding: int = Field(0, ge=0, le=3, description="Zeros around the input (≤ kernel ÷ 2)")
    dilation: int = Field(1, ge=1, le=4, description="Gap between window taps")
    channels: int = Field(8, ge=1, le=32, description="Output feature maps (pools keep theirs)")

    # Field validators (not one model validator) so that a refusal names the field itself,
    # e.g. "layers.2.padding"; kind and kernel are declared, so validated, before these.
    @field_validator("padding")
    @classmethod
    def _padding_fits_kernel(cls, padding: int, info: ValidationInfo) -> int:
        kernel = info.data.get("kernel")
        if kernel is not None and padding > kernel // 2:
            raise ValueError(f"padding {padding} > kernel ÷ 2 = {kernel // 2}")
        return padding

    @field_validator("dilation")
    @classmethod
    def _avgpool_undilated(cls, dilation: int, info: ValidationInfo) -> int:
        if info.data.get("kind") == "avgpool" and dilation != 1:
            raise ValueError("avgpool needs dilation 1")
        return dilation

    def spec(self) -> LayerSpec:
        """The network's frozen spec of this layer."""
        return LayerSpec(**self.model_dump())


def _default_layers() -> list[LayerParams]:
    return [LayerParams(**vars(spec)) for spec in default_layers()]


Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class CnnParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    image_size: Literal[8, 16] = Field(16, description="Input side in pixels (8: the originals)")
    n_train: int = Field(1000, ge=50, le=MAX_TRAIN, description="Training images")
    layers: Annotated[list[LayerParams], Field(min_length=1, max_length=8)] = Field(
        default_factory=_default_layers, description="The stack, input to head"
    )
    batchnorm: bool = Field(True, description="BatchNorm after every convolution")
    head: Literal["global_avg", "flatten"] = Field(
        "global_avg", description="How the last feature maps reach the 10-way classifier"
    )
    optimizer: Literal["sgd", "momentum", "adam"] = Field("adam", description="Update rule")
    learning_rate: float = Field(0.01, gt=0.0, le=10.0, description="Step size")
    momentum: float = Field(0.9, ge=0.0, le=0.99, description="Momentum (momentum optimiser)")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty (optimiser's)")
    batch_size: int = Field(32, ge=1, le=1000, description="Images per training step")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of init and batches")
    example: int = Field(0, ge=0, le=N_TEST - 1, description="Test image shown as input")
    drawing: Annotated[list[Unit], Field(min_length=64, max_length=64)] | None = Field(
        None, description="An 8 × 8 drawing (row-major, 0–1) shown instead of the example"
    )
    fps: int = Field(10, ge=1, le=60, description="Frames sent per second at most")
    steps_per_frame: int = Field(2, ge=1, le=200, description="Training steps between frames")
    precision: Literal["uint8", "float32"] = Field(
        "uint8", description="uint8 (quantised, small frames) or float32 (exact) pictures"
    )

    def specs(self) -> list[LayerSpec]:
        """The stack as the network's specs."""
        return [layer.spec() for layer in self.layers]


def check_shapes(p: CnnParams) -> None:
    """Refuse a stack whose feature map shrinks below 1 × 1, naming the layer."""
    bad = cnn_stack.first_too_small(p.specs(), p.image_size)
    if bad is not None:
        _, side, _ = cnn_stack.shapes(p.specs(), p.image_size)[bad]
        msg = f"the feature map shrinks to {side}×{side} here: lower its kernel, stride or dilation"
        raise LabError(
            "invalid_params",
            f"invalid params — layers.{bad}: {msg}",
            [{"param": f"layers.{bad}", "msg": msg}],
        )


def costs(p: CnnParams) -> dict[str, Any]:
    """Parameters, multiply-adds per second and frame bytes of a (shape-checked) params set."""
    meta = cnn_stack.describe(p.specs(), p.batchnorm, p.head, p.image_size)
    per_image = meta["total_macs"]
    batch = min(p.batch_size, p.n_train)
    steps_per_s = p.fps * p.steps_per_frame
    frame_images = N_TEST + min(TRAIN_EVAL, p.n_train) + 1
    values = sum(c * h * w for c, h, w in (r["out_shape"] for r in meta["layers"]))
    itemsize = 1 if p.precision == "uint8" else 4
    frame_bytes = itemsize * values + 4 * (p.image_size**2 + 10 + 100 + meta["total_params"])
    return {
        "n_params": meta["total_params"],
        "steps_per_s": steps_per_s,
        "step_macs": 3 * per_image * batch,  # forward, and backward twice as much
        "macs_per_s": steps_per_s * 3 * per_image * batch + p.fps * per_image * frame_images,
        "frame_bytes": frame_bytes,
    }


def budget(p: CnnParams) -> None:
    """Raise LabError('over_budget') naming the params to lower; allocate nothing."""
    check_shapes(p)
    cost = costs(p)
    refuse_over_budget(
        [
            (
                cost["steps_per_s"] > MAX_STEPS_PER_SECOND,
                f"fps × steps_per_frame = {cost['steps_per_s']} steps/s",
                ["fps", "steps_per_frame"],
            ),
            (
                cost["macs_per_s"] > MAX_MACS_PER_SECOND,
                f"{cost['macs_per_s']:.3g} multiply-adds/s > {MAX_MACS_PER_SECOND:.0e}",
                ["fps", "steps_per_frame", "batch_size", "layers", "image_size"],
            ),
            (
                cost["n_params"] * p.batch_size > MAX_PARAMS_X_BATCH,
                f"parameters × batch = {cost['n_params'] * p.batch_size:.3g}",
                ["layers", "batch_size"],
            ),
            (
                cost["frame_bytes"] > MAX_FRAME_BYTES,
                f"{cost['frame_bytes']} bytes a frame > {MAX_FRAME_BYTES}",
                ["layers", "precision"],
            ),
        ],
        cost,
    )


def check_steps(p: CnnParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    per_step = STEP_OVERHEAD_S + costs(p)["step_macs"] / MACS_PER_SECOND
    refuse_long_request(n, per_step, ["batch_size", "layers"])
