"""The attention lab's controls and their budget: every field typed and bounded, the fields
that depend on each other checked together, and the cost checked before any tensor exists."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.data.token_tasks import N_TEST, Task, TokenTask
from app.labs.base import LabError, refuse_long_request, refuse_over_budget
from app.nets.transformer import Norm, PosEncoding, TransformerConfig

# One core's speed, measured with bench/steptime.py's settings (one torch thread): a training
# step's small matrix products run near 5 GMAC/s, a frame's one large evaluation batch near
# 10, and every block costs about 1.2 ms a step in dispatch (forward, backward, Adam).
MACS_PER_SECOND = 5e9
EVAL_MACS_PER_SECOND = 1e10
OVERHEAD_S = 1.2e-3  # per block (and the embedding and head together) per step or frame
MAX_CORE_SHARE = 1.0  # seconds of one core a run may use per second
MAX_ACTIVATIONS = 2**21  # batch × tokens read × d_model × layers, per training step
MAX_FRAME_BYTES = 512 * 1024
MAX_STEPS_PER_SECOND = 2000
TRAIN_EVAL = 128  # train examples a frame evaluates (a fixed sample: the first ones)


class AttentionParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    task: Task = Field("reverse", description="What the answer slots must hold")
    seq_len: int = Field(6, ge=2, le=16, description="Input tokens (even for brackets)")
    vocab: int = Field(8, ge=2, le=32, description="Distinct symbols (brackets use two)")
    layers: int = Field(2, ge=1, le=4, description="Transformer blocks")
    heads: int = Field(2, ge=1, le=4, description="Attention heads per block")
    d_model: int = Field(32, ge=8, le=64, description="Width of every token's vector")
    mlp: int = Field(64, ge=0, le=256, description="Hidden width of each block's MLP (0: none)")
    pos_encoding: PosEncoding = Field("sinusoidal", description="How positions are told apart")
    causal: bool = Field(False, description="Each token attends only to itself and earlier ones")
    norm: Norm = Field("pre", description="LayerNorm before or after each sublayer, or none")
    residual: bool = Field(True, description="Add each sublayer's input to its output")
    optimizer: Literal["sgd", "momentum", "adam"] = Field("adam", description="Update rule")
    learning_rate: float = Field(0.003, gt=0.0, le=10.0, description="Step size")
    momentum: float = Field(0.9, ge=0.0, le=0.99, description="Momentum (momentum optimiser)")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty (optimiser's)")
    batch_size: int = Field(32, ge=1, le=512, description="Sequences per training step")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of data, init and batches")
    example: int = Field(0, ge=0, le=N_TEST - 1, description="Test sequence shown")
    head_layer: int = Field(0, ge=0, le=3, description="Layer of the head shown step by step")
    head: int = Field(0, ge=0, le=3, description="Head shown step by step")
    position: int = Field(0, ge=0, le=15, description="Answer slot of the softmax demo")
    logit_scale: float = Field(
        1.0, ge=1.0, le=1000.0, description="Factor on the softmax demo's logits"
    )
    fps: int = Field(10, ge=1, le=60, description="Frames sent per second at most")
    steps_per_frame: int = Field(2, ge=1, le=200, description="Training steps between frames")

    def token_task(self) -> TokenTask:
        """The data's task (fields already checked together)."""
        return TokenTask(self.task, self.seq_len, self.vocab)

    def config(self) -> TransformerConfig:
        """The network's config."""
        task = self.token_task()
        return TransformerConfig(
            n_tokens=task.n_tokens,
            n_classes=task.n_classes,
            length=task.length,
            answer_from=self.seq_len,
            layers=self.layers,
            heads=self.heads,
            d_model=self.d_model,
            mlp=self.mlp,
            pos_encoding=self.pos_encoding,
            causal=self.causal,
            norm=self.norm,
            residual=self.residual,
        )


# A choice that names a count (head_layer < layers …) follows that count down when the count
# changes and the choice was not sent with it.
FOLLOWERS = {"head_layer": "layers", "head": "heads", "position": "seq_len"}


def follow(params: dict[str, Any], base: BaseModel | None) -> dict[str, Any]:
    """``params`` with the choices that a new count would leave out of range moved inside."""
    if base is None:
        return params
    out = dict(params)
    for choice, count in FOLLOWERS.items():
        new = params.get(count)
        if choice not in params and isinstance(new, int) and not isinstance(new, bool) and new > 0:
            out[choice] = min(getattr(base, choice), new - 1)
    return out


def check_fields(p: AttentionParams) -> None:
    """Refuse fields that do not fit together, naming each of them."""
    problems = []
    if p.d_model % p.heads:
        msg = f"d_model {p.d_model} is not divisible by heads {p.heads}"
        problems += [{"param": "d_model", "msg": msg}, {"param": "heads", "msg": msg}]
    if p.task == "brackets" and p.seq_len % 2:
        problems.append(
            {"param": "seq_len", "msg": f"brackets need an even seq_len, not {p.seq_len}"}
        )
    for choice, count in FOLLOWERS.items():
        if getattr(p, choice) >= getattr(p, count):
            msg = f"{choice} {getattr(p, choice)} must be below {count} ({getattr(p, count)})"
            problems.append({"param": choice, "msg": msg})
    if problems:
        reasons = "; ".join(dict.fromkeys(f"{d['param']}: {d['msg']}" for d in problems))
        raise LabError("invalid_params", f"invalid params — {reasons}", problems)


def costs(p: AttentionParams) -> dict[str, Any]:
    """Parameters, activations, estimated seconds of computing and frame bytes of a params set."""
    task = p.token_task()
    length, d, t, c = task.length, p.d_model, p.seq_len, task.n_classes
    # per token and block: Q, K, V, O projections, scores and mixing over L keys, the MLP
    per_token = 4 * d * d + 2 * length * d + 2 * d * p.mlp
    per_example = length * p.layers * per_token + t * d * c
    norms = 2 * d * (2 * p.layers + 1) if p.norm != "none" else 0
    n_params = (
        task.n_tokens * d
        + (length * d if p.pos_encoding == "learned" else 0)
        + p.layers * (4 * (d * d + d) + (2 * d * p.mlp + p.mlp + d if p.mlp else 0))
        + norms
        + d * c
        + c
    )
    steps_per_s = p.fps * p.steps_per_frame
    frame_examples = N_TEST + TRAIN_EVAL + 1
    maps = 2 * p.layers * p.heads * length * length
    frame_bytes = 4 * (maps + 2 * length * length + 4 * length * d + 2 * t * c + 4 * c)
    step_macs = 3 * per_example * p.batch_size  # forward, and backward twice as much
    frame_macs = per_example * frame_examples
    overhead = OVERHEAD_S * (p.layers + 1)
    step_s = overhead + step_macs / MACS_PER_SECOND
    frame_s = overhead + frame_macs / EVAL_MACS_PER_SECOND
    return {
        "n_params": n_params,
        "activations": p.batch_size * length * d * p.layers,
        "steps_per_s": steps_per_s,
        "step_macs": step_macs,
        "step_s": step_s,
        "core_share": steps_per_s * step_s + p.fps * frame_s,
        "frame_bytes": frame_bytes,
    }


def budget(p: AttentionParams) -> None:
    """Raise LabError naming the params to change; allocate nothing."""
    check_fields(p)
    cost = costs(p)
    refuse_over_budget(
        [
            (
                cost["activations"] > MAX_ACTIVATIONS,
                f"batch × 2·seq_len × d_model × layers = {cost['activations']:,} values "
                f"> {MAX_ACTIVATIONS:,}",
                ["batch_size", "seq_len", "d_model", "layers"],
            ),
            (
                cost["steps_per_s"] > MAX_STEPS_PER_SECOND,
                f"fps × steps_per_frame = {cost['steps_per_s']} steps/s",
                ["fps", "steps_per_frame"],
            ),
            (
                cost["core_share"] > MAX_CORE_SHARE,
                f"about {cost['core_share']:.2g} s of computing per second > {MAX_CORE_SHARE:g}",
                ["fps", "steps_per_frame", "batch_size", "seq_len", "d_model", "layers", "mlp"],
            ),
            (
                cost["frame_bytes"] > MAX_FRAME_BYTES,
                f"{cost['frame_bytes']} bytes a frame > {MAX_FRAME_BYTES}",
                ["layers", "heads", "seq_len"],
            ),
        ],
        cost,
    )


def check_steps(p: AttentionParams, n: int) -> None:
    """Refuse one `step` request that would hold a worker longer than about 2 s."""
    refuse_long_request(n, costs(p)["step_s"], ["batch_size", "seq_len", "d_model", "layers"])
