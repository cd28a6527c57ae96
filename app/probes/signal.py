"""The forward and the backward signal of a stack of layers, measured on one probe batch.

Forward: the mean, standard deviation and histogram of every hidden layer's output. Backward:
the norm of the loss gradient with respect to every hidden layer's output and every weight
matrix. Gradients come from ``torch.autograd.grad``, so the model's own ``.grad`` (which the
optimiser reads) is never touched. Update ratios compare weights before and after a step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@contextmanager
def batch_statistics(model: nn.Module) -> Iterator[None]:
    """Within the block every BatchNorm normalises by the batch at hand (as in training) but
    leaves its running statistics as they were; modes and momenta are restored after."""
    saved = []
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            tracked = module.num_batches_tracked
            count = None if tracked is None else tracked.clone()
            saved.append((module, module.training, module.momentum, count))
            module.train()
            module.momentum = 0.0  # running = (1 − 0)·running + 0·batch: unchanged
    try:
        yield
    finally:
        for module, training, momentum, count in saved:
            module.train(training)
            module.momentum = momentum
            if count is not None:
                module.num_batches_tracked.copy_(count)  # the batch counter too


@dataclass
class Signal:
    """Per hidden layer l: output mean/std, histogram counts over [lo_l, hi_l], and the
    gradient norm at its output; per Linear layer (hidden ones, then the head): ‖∂L/∂W‖."""

    act_mean: torch.Tensor  # (L,)
    act_std: torch.Tensor  # (L,)
    act_hist: torch.Tensor  # (L, bins)
    act_range: torch.Tensor  # (L, 2)
    act_grad_norm: torch.Tensor  # (L,)
    weight_grad_norm: torch.Tensor  # (L + 1,)
    loss: float


def histogram(h: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts of the values of ``h`` in ``bins`` equal bins over [min, max], and [min, max]."""
    values = h.detach().reshape(-1)
    lo, hi = float(values.min()), float(values.max())
    if not (torch.isfinite(values).all() and hi > lo):
        counts = torch.zeros(bins, device=values.device)
        counts[bins // 2] = float(values.numel())
        return counts, torch.tensor([lo, hi], device=values.device)
    counts = torch.histc(values, bins=bins, min=lo, max=hi)
    return counts, torch.tensor([lo, hi], device=values.device)


def measure(
    blocks: Sequence[nn.Module],
    head: nn.Module,
    linears: Sequence[nn.Linear],
    x: torch.Tensor,
    y: torch.Tensor,
    bins: int = 24,
) -> Signal:
    """One forward and one backward pass of ``x`` (N, n_in) with labels ``y`` (N,)."""
    outputs = []
    h = x
    for block in blocks:
        h = block(h)  # (N, width)
        outputs.append(h)
    loss = F.cross_entropy(head(h), y)
    weights = [linear.weight for linear in linears]
    grads = torch.autograd.grad(loss, [*outputs, *weights], allow_unused=True)
    n = len(outputs)
    norms = [0.0 if g is None else float(torch.linalg.vector_norm(g)) for g in grads]
    hists, ranges = zip(*(histogram(o, bins) for o in outputs))
    return Signal(
        act_mean=torch.tensor([float(o.detach().mean()) for o in outputs]),
        act_std=torch.tensor([float(o.detach().std()) for o in outputs]),
        act_hist=torch.stack(hists),
        act_range=torch.stack(ranges),
        act_grad_norm=torch.tensor(norms[:n]),
        weight_grad_norm=torch.tensor(norms[n:]),
        loss=float(loss.detach()),
    )


def update_ratios(before: Sequence[torch.Tensor], after: Sequence[torch.Tensor]) -> list[float]:
    """‖W_after − W_before‖ / ‖W_before‖ for each weight (0 where the weight was 0)."""
    out = []
    for b, a in zip(before, after):
        norm = float(torch.linalg.vector_norm(b))
        out.append(float(torch.linalg.vector_norm(a.detach() - b)) / norm if norm > 0 else 0.0)
    return out
