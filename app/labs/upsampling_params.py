"""The upsampling lab's controls and their budget: every field typed and bounded, checked
before any tensor is allocated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.data.digits import MAX_TRAIN, N_TEST
from app.labs.base import refuse_long_request, refuse_over_budget
from app.nets.autoencoder import CODE_SIDE, RESIZE_KERNEL, SIDE, AutoencoderConfig, describe

MAX_MACS_PER_SECOND = 2e9
MACS_PER_SECOND = 2e9  # convolutions on one core (see cnn_params)
MAX_FRAME_BYTES = 512 * 1024
MAX_STEPS_PER_SECOND = 2000
STEP_OVERHEAD_S = 1.5e-3  # per step: dispatch of a few conv ops and Adam
TRAIN_EVAL = 128  # train images a frame evaluates (a fixed sample: the first ones)


class UpsamplingParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    upsample: Literal["transposed", "resize_conv"] = Field(
        "transposed", description="Transposed convolution, or resize then 3×3 convolution"
    )
    kernel: int = Field(3, ge=2, le=5, description="Transposed convolution's kernel side")
    resize_mode: Literal["nearest", "bilinear"] = Field(
        "nearest", description="How resize_conv doubles the side"
    )
    channels: int = Field(8, ge=2, le=32, description="Channels of the hidden feature maps")
    bottleneck: int = Field(4, ge=1, le=16, description="Channels of the 4 × 4 code")
    n_train: int = Field(1000, ge=50, le=MAX_TRAIN, description="Training images")
    optimizer: Literal["sgd", "momentum", "adam"] = Field("adam", description="Update rule")
    learning_rate: float = Field(0.01, gt=0.0, le=10.0, description="Step size")
    momentum: float = Field(0.9, ge=0.0, le=0.99, description="Momentum (momentum optimiser)")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty (optimiser's)")
    batch_size: int = Field(32, ge=1, le=1000, description="Images per training step")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of init and batches")
    example: int = Field(0, ge=0, le=N_TEST - 1, description="Test image reconstructed")
    fps: int = Field(10, ge=1, le=60, description="Frames sent per second at most")
    steps_per_frame: int = Field(2, ge=1, le=200, description="Training steps between frames")
    precision: Literal["uint8", "float32"] = Field(
        "uint8", description="uint8 (quantised, small frames) or float32 (exact) feature maps"
    )

    def config(self) -> AutoencoderConfig:
        """The network's config."""
        return AutoencoderConfig(
            self.upsample, self.kernel, self.resize_mode, self.channels, self.bottleneck
        )


def image_macs(p: UpsamplingParams) -> int:
    """Multiply-adds of one image through the autoencoder."""
    c, b, half = p.channels, p.bottleneck, SIDE // 2
    encoder = half * half * c * 9 + CODE_SIDE**2 * b * c * 9
    if p.upsample == "transposed":
        # each input value scatters k² taps to every output channel
        decoder = (CODE_SIDE**2 * b * c + half * half * c) * p.kernel**2
    else:
        decoder = (half * half * b * c + SIDE * SIDE * c) * RESIZE_KERNEL**2
    return encoder + decoder


def costs(p: UpsamplingParams) -> dict[str, Any]:
    """Parameters, multiply-adds per second and frame bytes of a params set."""
    per_image = image_macs(p)
    batch = min(p.batch_size, p.n_train)
    steps_per_s = p.fps * p.steps_per_frame
    frame_images = N_TEST + min(TRAIN_EVAL, p.n_train) + 2
    n_params = describe(p.config())["total_params"]
    itemsize = 1 if p.precision == "uint8" else 4
    frame_bytes = itemsize * (p.channels * 64 + SIDE * SIDE) + 4 * (4 * SIDE * SIDE + 16)
    return {
        "n_params": n_params,
        "steps_per_s": steps_per_s,
        "step_macs": 3 * per_image * batch,  # forward, and backward twice as much
        "macs_per_s": steps_per_s * 3 * per_image * batch + p.fps * per_image * frame_images,
        "frame_bytes": frame_bytes,
    }


def budget(p: UpsamplingParams) -> None:
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
                cost["macs_per_s"] > MAX_MACS_PER_SECOND,
                f"{cost['macs_per_s']:.3g} multiply-adds/s > {MAX_MACS_PER_SECOND:.0e}",
                ["fps", "steps_per_frame", "batch_size", "channels", "bottleneck"],
            ),
            (
                cost["frame_bytes"] > MAX_FRAME_BYTES,
                f"{cost['frame_bytes']} bytes a frame > {MAX_FRAME_BYTES}",
                ["channels", "precision"],
            ),
        ],
        cost,
    )


def check_steps(p: UpsamplingParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    per_step = STEP_OVERHEAD_S + costs(p)["step_macs"] / MACS_PER_SECOND
    refuse_long_request(n, per_step, ["batch_size", "channels"])
