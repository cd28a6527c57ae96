"""The recurrent lab's controls and their budget: every field typed and bounded, and sequence
length × batch × hidden units checked before any tensor is allocated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.data.sequences import INFO, N_TEST
from app.labs.base import refuse_long_request, refuse_over_budget
from app.nets.rnn import GATES, RecurrentConfig, count_params, n_gates

MAX_SEQ_LEN = 200
# Values one training step keeps per sequence, step and unit (all models, all layers): about
# 2 · 10⁶, some 50 MB of activations and their gradients at most.
MAX_ACTIVATIONS = 2 * 1024 * 1024
MAX_LOAD = 1.0  # estimated seconds of one core's work per second of a playing run
MAX_FRAME_BYTES = 1024 * 1024
MACS_PER_SECOND = 5e9  # the recurrent matrix products on one core (LSTM, B = H = 128)
# Per layer and time step, on one core of a busy 2-core machine: the fixed cost of PyTorch's
# recurrent kernels (a training step's forward and backward; an evaluation's forward) and of
# the hand-unrolled loop (forward and backward) a frame runs to see through time.
STEP_CELL_S = 1.5e-4
EVAL_CELL_S = 1.5e-4
UNROLL_CELL_S = 6e-4
STEP_OVERHEAD_S = 1e-3
TRAIN_EVAL = 64  # training sequences a frame evaluates (a fixed sample, made at build)
GRAD_PROBE = 32  # of those, the ones whose loss gives ∂L/∂h_t in a frame
CLIP_HISTORY = 256  # per-step clipping norms a frame carries at most
MODELS = ("rnn", "lstm", "gru")


class RnnParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    task: Literal["adding", "copy", "parity", "brackets"] = Field(
        "adding", title="Task", description="What the network must answer after the last step"
    )
    seq_len: int = Field(
        30, ge=5, le=MAX_SEQ_LEN, title="Sequence length", description="Time steps per sequence"
    )
    cell: Literal["rnn_tanh", "rnn_relu", "lstm", "gru"] = Field(
        "lstm", title="Cell", description="Vanilla RNN (tanh or ReLU), LSTM or GRU"
    )
    hidden: int = Field(32, ge=4, le=128, title="Hidden units", description="Units per layer")
    layers: int = Field(1, ge=1, le=2, title="Layers", description="Stacked recurrent layers")
    tbptt: int = Field(
        0,
        ge=0,
        le=MAX_SEQ_LEN,
        title="Truncated BPTT",
        description="Steps the gradient flows back (0 or ≥ sequence length: all)",
    )
    clip: Literal["off", "norm", "value"] = Field(
        "norm", title="Gradient clipping", description="Off, by global norm, or by value"
    )
    clip_threshold: float = Field(
        1.0, gt=0.0, le=100.0, title="Clip threshold", description="Largest norm or |value|"
    )
    init: Literal["default", "orthogonal", "identity", "scaled"] = Field(
        "default", title="Recurrent init", description="Initialisation of W_hh"
    )
    init_scale: float = Field(
        1.0, gt=0.0, le=4.0, title="Init scale", description="Multiplies W_hh (not default)"
    )
    forget_bias: float = Field(
        3.0,
        ge=-5.0,
        le=5.0,
        title="LSTM forget bias",
        description="Forget gate's starting bias: high keeps memory from the start",
    )
    compare: bool = Field(
        False, title="Compare cells", description="Train RNN, LSTM and GRU side by side"
    )
    optimizer: Literal["sgd", "momentum", "adam"] = Field("adam", description="Update rule")
    learning_rate: float = Field(0.01, gt=0.0, le=10.0, description="Step size")
    momentum: float = Field(0.9, ge=0.0, le=0.99, description="Momentum (momentum optimiser)")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty (optimiser's)")
    batch_size: int = Field(32, ge=1, le=256, description="Sequences per training step")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of init and batches")
    example: int = Field(0, ge=0, le=N_TEST - 1, description="Test sequence shown")
    fps: int = Field(5, ge=1, le=60, description="Frames sent per second at most")
    steps_per_frame: int = Field(4, ge=1, le=200, description="Training steps between frames")
    precision: Literal["uint8", "float32"] = Field(
        "uint8", description="uint8 (quantised, small frames) or float32 (exact) pictures"
    )

    def truncation(self) -> int:
        """Steps the gradient flows back: ``tbptt``, or 0 (all) when it covers the sequence."""
        return self.tbptt if 0 < self.tbptt < self.seq_len else 0

    def cells(self) -> dict[str, str]:
        """The models this run trains, by name: one, or rnn, lstm and gru when comparing."""
        vanilla = "rnn_relu" if self.cell == "rnn_relu" else "rnn_tanh"
        if self.compare:
            return {"rnn": vanilla, "lstm": "lstm", "gru": "gru"}
        return {model_name(self.cell): self.cell}

    def config(self, cell: str) -> RecurrentConfig:
        """The network's config for ``cell``."""
        info = INFO[self.task]
        return RecurrentConfig(
            cell,
            info.input_size,
            self.hidden,
            self.layers,
            info.output_size,
            self.init,
            self.init_scale,
            self.forget_bias,
        )


def model_name(cell: str) -> str:
    """rnn, lstm or gru: the name a cell's model goes by in compare mode."""
    return "rnn" if cell.startswith("rnn") else cell


def costs(p: RnnParams) -> dict[str, Any]:
    """Activations per step, estimated seconds per step and per frame, and frame bytes."""
    cells = p.cells()
    info = INFO[p.task]
    steps, h = p.seq_len, p.hidden
    cell_steps = steps * p.layers * len(cells)
    macs = 0  # forward multiply-adds per sequence, all models
    for cell in cells.values():
        g = n_gates(cell)
        macs += steps * sum(
            g * h * ((info.input_size if k == 0 else h) + h) for k in range(p.layers)
        )
    batch = p.batch_size
    step_s = (
        len(cells) * STEP_OVERHEAD_S
        + cell_steps * STEP_CELL_S
        + 3 * macs * batch / MACS_PER_SECOND  # forward, and backward twice as much
    )
    eval_n = TRAIN_EVAL + N_TEST
    frame_s = (
        cell_steps * (2 * EVAL_CELL_S + UNROLL_CELL_S)
        + macs * eval_n / MACS_PER_SECOND
        + 3 * macs * (GRAD_PROBE + 1) / MACS_PER_SECOND
    )
    itemsize = 1 if p.precision == "uint8" else 4
    pictures = sum(p.layers + len(GATES[c]) for c in cells.values()) * h * steps
    floats = steps * info.input_size + len(cells) * (p.layers * steps + 2 * CLIP_HISTORY + 64)
    return {
        "n_params": sum(count_params(p.config(c)) for c in cells.values()),
        "activations": steps * batch * h * p.layers * len(cells),
        "steps_per_s": p.fps * p.steps_per_frame,
        "step_s": step_s,
        "load": p.fps * (p.steps_per_frame * step_s + frame_s),
        "frame_bytes": itemsize * pictures + 4 * floats,
    }


def budget(p: RnnParams) -> None:
    """Raise LabError('over_budget') naming the params to lower; allocate nothing."""
    cost = costs(p)
    refuse_over_budget(
        [
            (
                cost["activations"] > MAX_ACTIVATIONS,
                f"sequence length × batch × hidden × layers × models = {cost['activations']:,} "
                f"values a step > {MAX_ACTIVATIONS:,}",
                ["seq_len", "batch_size", "hidden", "layers", "compare"],
            ),
            (
                cost["load"] > MAX_LOAD,
                f"about {cost['load']:.2g} s of work per second of play",
                ["fps", "steps_per_frame", "seq_len", "batch_size", "hidden", "layers"],
            ),
            (
                cost["frame_bytes"] > MAX_FRAME_BYTES,
                f"{cost['frame_bytes']:,} bytes a frame > {MAX_FRAME_BYTES:,}",
                ["precision", "hidden", "seq_len", "compare"],
            ),
        ],
        cost,
    )


def check_steps(p: RnnParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    refuse_long_request(n, costs(p)["step_s"], ["seq_len", "batch_size", "hidden", "layers"])
