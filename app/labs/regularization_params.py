"""The regularization lab's controls and their budget: every field typed and bounded, checked
before any tensor is allocated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.data.augment import Augment
from app.data.digits import MAX_TRAIN, N_TEST
from app.labs.base import refuse_long_request, refuse_over_budget

N_VAL = 200  # validation images: the last of the non-test pool, never trained on
MAX_TRAIN_SIZE = MAX_TRAIN - N_VAL  # 1,237
EVAL_EVERY = 10  # steps between the evaluations that early stopping and the history use
HISTORY_POINTS = 500  # evaluations kept; the history is thinned by halves beyond
MACS_PER_SECOND = 1e9  # small matrix products on one core, with Python overhead (measured)
EVAL_MACS_PER_SECOND = 5e9  # one large batch of every image (measured: 1–20 ms on a busy core)
STEP_OVERHEAD_S = 2e-3  # per step: dropout masks, Adam (measured 1–8 ms on a busy core)
AUGMENT_S = 1e-3  # per step with any augmentation (measured about 1 ms)
MAX_CPU_SHARE = 0.5  # of one core


class RegularizationParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    train_size: int = Field(
        100, ge=20, le=MAX_TRAIN_SIZE, title="Training images", description="Fewer overfit sooner"
    )
    augment_shift: int = Field(
        0, ge=0, le=2, title="Shift", description="Largest random shift of a training image"
    )
    augment_rotate: float = Field(
        0.0, ge=0.0, le=30.0, title="Rotation", description="Largest random rotation, degrees"
    )
    augment_noise: float = Field(
        0.0, ge=0.0, le=0.5, title="Noise", description="Std of pixel noise added when training"
    )
    width: int = Field(128, ge=16, le=256, title="Width", description="Units per hidden layer")
    blocks: int = Field(2, ge=1, le=4, title="Residual blocks", description="Hidden blocks")
    dropout: float = Field(
        0.0, ge=0.0, le=0.9, title="Dropout", description="Chance each hidden unit is zeroed"
    )
    stochastic_depth: float = Field(
        0.0, ge=0.0, le=0.9, title="Stochastic depth", description="Last block's chance to skip"
    )
    weight_decay: float = Field(
        0.0, ge=0.0, le=1.0, title="Weight decay λ", description="Pull of every weight to 0"
    )
    decay_mode: Literal["l2", "decoupled"] = Field(
        "l2", title="Decay mode", description="λ/2·‖θ‖² in the loss (Adam), or AdamW's"
    )
    label_smoothing: float = Field(
        0.0, ge=0.0, le=0.5, title="Label smoothing", description="Target share spread evenly"
    )
    early_stopping: bool = Field(
        False, title="Early stopping", description="Stop when validation loss stops improving"
    )
    patience: int = Field(
        10, ge=1, le=100, title="Patience", description="Checks (every 10 steps) without a gain"
    )
    restore_best: bool = Field(
        True, title="Restore best", description="On stopping, go back to the best weights"
    )
    learning_rate: float = Field(
        0.003, gt=0.0, le=0.1, title="Learning rate", description="Adam's step size"
    )
    batch_size: int = Field(32, ge=1, le=256, title="Batch size", description="Images per step")
    seed: int = Field(0, ge=0, le=2**31 - 1, title="Seed", description="Init, batches, noise")
    fps: int = Field(10, ge=1, le=60, title="Frame rate", description="Frames a second at most")
    steps_per_frame: int = Field(
        5, ge=1, le=200, title="Speed", description="Training steps between frames"
    )

    def augmentation(self) -> Augment:
        """The random changes drawn for each training image."""
        return Augment(self.augment_shift, self.augment_rotate, self.augment_noise)


def image_macs(p: RegularizationParams) -> int:
    """Multiply-adds of one image through the network."""
    return 64 * p.width + p.blocks * p.width * p.width + p.width * 10


def costs(p: RegularizationParams) -> dict[str, Any]:
    """Seconds of compute per step and per second (training, evaluations and frames)."""
    per_image = image_macs(p)
    batch = min(p.batch_size, p.train_size)
    step_s = STEP_OVERHEAD_S + 3 * per_image * batch / MACS_PER_SECOND
    if p.augmentation().active:
        step_s += AUGMENT_S
    eval_s = per_image * (p.train_size + N_VAL + N_TEST) / EVAL_MACS_PER_SECOND
    steps_per_s = p.fps * p.steps_per_frame
    cpu = steps_per_s * (step_s + eval_s / EVAL_EVERY)  # frames reuse the last evaluation
    return {
        "n_params": per_image + p.width * (p.blocks + 1) + 10,
        "step_s": step_s + eval_s / EVAL_EVERY,
        "steps_per_s": steps_per_s,
        "cpu_share": cpu,
    }


def budget(p: RegularizationParams) -> None:
    """Raise LabError('over_budget') naming the params to lower; allocate nothing."""
    cost = costs(p)
    refuse_over_budget(
        [
            (
                cost["cpu_share"] > MAX_CPU_SHARE,
                f"about {cost['cpu_share']:.2f} s of compute each second > {MAX_CPU_SHARE}",
                ["fps", "steps_per_frame", "batch_size", "width", "blocks", "train_size"],
            ),
        ],
        cost,
    )


def check_steps(p: RegularizationParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    refuse_long_request(n, costs(p)["step_s"], ["batch_size", "width", "blocks"])
