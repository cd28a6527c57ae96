"""Receptive fields of a convolutional stack: theoretical (by recurrence) and effective.

Theoretical field, layer by layer from the input (size 1, jump 1, start 0), as in Araujo,
Norris & Sim (2019), "Computing receptive fields of convolutional neural networks", Distill:

    k_eff  = d·(k − 1) + 1
    size_l = size_{l−1} + (k_eff − 1)·jump_{l−1}
    jump_l = jump_{l−1}·s
    start_l = start_{l−1} + ((k_eff − 1)/2 − p)·jump_{l−1}

where start is the input coordinate of the centre of output unit 0 (unit i's is start + i·jump).

Effective field (Luo, Li, Urtasun & Zemel 2016, "Understanding the effective receptive field
in deep convolutional neural networks"): |∂ unit / ∂ input| averaged over a batch of images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn


class Window(Protocol):
    """Anything with the geometry of a k×k window (a layer spec)."""

    kernel: int
    stride: int
    padding: int
    dilation: int


def theoretical(layers: Sequence[Window]) -> list[dict[str, Any]]:
    """``{size, jump, start}`` after each layer, by the recurrence of the module docstring."""
    size, jump, start = 1, 1, 0.0
    out = []
    for layer in layers:
        k_eff = layer.dilation * (layer.kernel - 1) + 1
        start = start + ((k_eff - 1) / 2 - layer.padding) * jump
        size = size + (k_eff - 1) * jump
        jump = jump * layer.stride
        out.append({"size": size, "jump": jump, "start": start})
    return out


def box(field: dict[str, Any], y: int, x: int, height: int, width: int) -> list[int]:
    """``[y0, x0, y1, x1]``: inclusive input pixels seen by unit (y, x), clipped to the image."""
    half = (field["size"] - 1) / 2
    cy, cx = field["start"] + y * field["jump"], field["start"] + x * field["jump"]
    # centre − half is a whole number: start − (size − 1)/2 = −Σ p_l·jump_{l−1}.
    y0, x0 = round(cy - half), round(cx - half)
    y1, x1 = round(cy + half), round(cx + half)
    return [max(0, y0), max(0, x0), min(height - 1, y1), min(width - 1, x1)]


def effective(
    blocks: Sequence[nn.Module], images: torch.Tensor, layer: int, channel: int, y: int, x: int
) -> np.ndarray:
    """Mean over the batch of |∂ h_layer[channel, y, x] / ∂ image|, shape (H, W).

    ``blocks`` run in eval mode (BatchNorm uses its running statistics, so images do not mix);
    only the input receives a gradient, the parameters' ``.grad`` stay as they were.
    """
    modes = [block.training for block in blocks]
    for block in blocks:
        block.eval()
    try:
        with torch.enable_grad():
            inputs = images.detach().clone().requires_grad_(True)  # (N, 1, H, W)
            h = inputs
            for block in blocks[: layer + 1]:
                h = block(h)  # (N, C_l, H_l, W_l)
            # Images are independent in eval mode: the gradient of the sum is each one's own.
            unit = h[:, channel, y, x].sum()
            (grad,) = torch.autograd.grad(unit, inputs)
    finally:
        for block, mode in zip(blocks, modes):
            block.train(mode)
    return grad.abs().mean(dim=0)[0].cpu().numpy().astype(np.float32)  # (N, 1, H, W) → (H, W)
