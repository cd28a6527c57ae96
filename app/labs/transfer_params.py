"""The transfer lab's controls and their budget: every field typed and bounded, checked before
any tensor is allocated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.labs.base import refuse_long_request, refuse_over_budget

STEP_S = 3e-3  # per model and step of the small CNN on 8 × 8 digits (measured 1–3 ms)
FRAME_S = 5e-3  # per model and frame: its evaluation on the test and labelled images (measured)
MAX_CPU_SHARE = 0.5  # of one core
MAX_BUILD_S = 2.0  # pretraining at build time may take about this long at most
PRETRAIN_BATCH = 32
PRETRAIN_LR = 0.01
# Params that only pace or save the run: they change no number of it.
PACING = ("fps", "steps_per_frame", "checkpoint_every")


class TransferParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mode: Literal["pretrain", "finetune", "scratch", "compare"] = Field(
        "compare", title="Mode", description="Pretrain on 0–4, or learn 5–9 (fine-tune, scratch)"
    )
    freeze: Literal["head", "partial", "none"] = Field(
        "head", title="Trainable", description="Fine-tuning trains the head, more, or all"
    )
    labels: int = Field(
        5, ge=1, le=50, title="Labels per class", description="Labelled images of each of 5–9"
    )
    pretrain_steps: int = Field(
        300, ge=10, le=500, title="Pretraining", description="Steps on digits 0–4 before 5–9"
    )
    learning_rate: float = Field(
        0.01, gt=0.0, le=0.1, title="Learning rate", description="Adam's step size"
    )
    batch_size: int = Field(16, ge=1, le=64, title="Batch size", description="Images per step")
    checkpoint_every: int = Field(
        0, ge=0, le=10000, title="Checkpoint every", description="Steps between saves (0: off)"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1, title="Seed", description="Init and batches")
    fps: int = Field(10, ge=1, le=60, title="Frame rate", description="Frames a second at most")
    steps_per_frame: int = Field(
        2, ge=1, le=200, title="Speed", description="Training steps between frames"
    )

    def shaping(self) -> dict[str, Any]:
        """The params that decide the run's numbers (a checkpoint resumes only these)."""
        return {k: v for k, v in self.model_dump().items() if k not in PACING}


def costs(p: TransferParams) -> dict[str, Any]:
    """Seconds of compute per step, per second, and for pretraining at build time."""
    models = 2 if p.mode == "compare" else 1
    steps_per_s = p.fps * p.steps_per_frame
    pretrained = p.mode in ("finetune", "compare")
    return {
        "step_s": models * STEP_S,
        "steps_per_s": steps_per_s,
        "cpu_share": steps_per_s * models * STEP_S + p.fps * models * FRAME_S,
        "build_s": p.pretrain_steps * STEP_S if pretrained else 0.0,
    }


def budget(p: TransferParams) -> None:
    """Raise LabError('over_budget') naming the params to lower; allocate nothing."""
    cost = costs(p)
    refuse_over_budget(
        [
            (
                cost["cpu_share"] > MAX_CPU_SHARE,
                f"about {cost['cpu_share']:.2f} s of compute each second > {MAX_CPU_SHARE}",
                ["fps", "steps_per_frame", "mode"],
            ),
            (
                cost["build_s"] > MAX_BUILD_S,
                f"pretraining would take about {cost['build_s']:.1f} s",
                ["pretrain_steps"],
            ),
        ],
        cost,
    )


def check_steps(p: TransferParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    refuse_long_request(n, costs(p)["step_s"], ["mode"])
