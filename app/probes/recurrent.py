"""Looks inside a recurrent network through time: ‖∂L/∂h_t‖ at every step (the vanishing or
exploding gradient), and the hidden states and gate values of one sequence.

Gradients are asked of autograd for the hidden states alone (``torch.autograd.grad``), so the
parameters' ``.grad`` from the last training step stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from app.nets.rnn import RecurrentNet

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class ThroughTime:
    """``grad_time`` (layers, T): ‖∂L/∂h_t‖ (Frobenius over batch and units, 0 where the
    truncation cuts the path); ``hidden`` per layer (H, T) and ``gates`` by name (H, T) of the
    shown sequence (top layer); ``output`` the shown sequence's output row."""

    grad_time: np.ndarray
    hidden: list[np.ndarray]
    gates: dict[str, np.ndarray]
    output: np.ndarray


def _numpy(value: torch.Tensor) -> np.ndarray:
    return value.detach().to("cpu", torch.float32).contiguous().numpy().copy()


def through_time(
    model: RecurrentNet,
    x: torch.Tensor,
    y: torch.Tensor,
    shown: torch.Tensor,
    loss_fn: LossFn,
    tbptt: int = 0,
) -> ThroughTime:
    """Unroll ``x`` (B, T, D) with the shown sequence (T, D) appended as one more row; the
    loss of the B rows alone is differentiated with respect to every hidden state."""
    batch = torch.cat([x, shown[None]])  # (B + 1, T, D): the shown row adds nothing to L
    with torch.enable_grad():
        out, trace = model.unroll(batch, tbptt)
        loss = loss_fn(out[: len(x)], y)
        states = [h for layer in trace.hidden for h in layer]
        grads = torch.autograd.grad(loss, states, allow_unused=True)
    steps = batch.shape[1]
    norms = [0.0 if g is None else float(torch.linalg.vector_norm(g[: len(x)])) for g in grads]
    grad_time = np.array(norms, dtype=np.float32).reshape(len(trace.hidden), steps)
    hidden = [_numpy(torch.stack(layer, dim=1)[-1].t()) for layer in trace.hidden]  # (H, T)
    gates = {name: _numpy(torch.stack(v, dim=1)[-1].t()) for name, v in trace.gates.items()}
    return ThroughTime(grad_time, hidden, gates, _numpy(out[-1]))


def gradient_ratio(grad_time: np.ndarray) -> float | None:
    """‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ of the top layer (None when the last is 0 or not finite)."""
    first, last = float(grad_time[-1, 0]), float(grad_time[-1, -1])
    if not np.isfinite(last) or last == 0.0 or not np.isfinite(first):
        return None
    return first / last
