"""Per-layer weight and gradient norms (Frobenius) of Linear-like layers."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def weight_norms(layers: Sequence[nn.Module]) -> list[float]:
    """‖W_l‖_F for each layer's weight."""
    return [float(torch.linalg.vector_norm(layer.weight.detach())) for layer in layers]


def grad_norms(layers: Sequence[nn.Module]) -> list[float]:
    """‖∂L/∂W_l‖_F for each layer's weight from the last backward pass (0 before any)."""
    out = []
    for layer in layers:
        grad = layer.weight.grad
        out.append(0.0 if grad is None else float(torch.linalg.vector_norm(grad.detach())))
    return out
