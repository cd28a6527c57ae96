"""A fully connected residual network with dropout and stochastic depth, for flat images.

x → stem (Linear → ReLU) → blocks → dropout → head (Linear) → logits. Each block adds
dropout(ReLU(Linear(h))) to its input h. Dropout (Srivastava et al. 2014) zeroes each value
with probability p and scales the survivors by 1/(1 − p) while training ("inverted" dropout),
so nothing changes at evaluation. Stochastic depth (Huang et al. 2016, "Deep Networks with
Stochastic Depth") drops a whole block's residual for each example with probability p_l,
rising linearly to ``stochastic_depth`` at the last block, and scales kept residuals by
1/(1 − p_l) (the inverted form, as torchvision's ``StochasticDepth(mode="row")``).

The random masks come from ``generator`` when set, so that a run is reproducible whatever
else uses torch's global generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ResidualMLPConfig:
    """Input width, hidden width, number of residual blocks, classes, and the drop rates."""

    n_inputs: int = 64
    width: int = 128
    blocks: int = 2
    n_classes: int = 10
    dropout: float = 0.0
    stochastic_depth: float = 0.0


def block_drop_rates(blocks: int, last: float) -> list[float]:
    """p_l = l / L · last for blocks l = 1 … L (the linear decay rule of Huang et al.)."""
    return [last * (k + 1) / blocks for k in range(blocks)]


class ResidualMLP(nn.Module):
    """Flat image (N, n_inputs) → stem → residual blocks → head → logits (N, n_classes)."""

    def __init__(self, config: ResidualMLPConfig) -> None:
        super().__init__()
        self.config = config
        self.stem = nn.Linear(config.n_inputs, config.width)
        self.blocks = nn.ModuleList(
            nn.Linear(config.width, config.width) for _ in range(config.blocks)
        )
        self.head = nn.Linear(config.width, config.n_classes)
        self.drop_rates = block_drop_rates(config.blocks, config.stochastic_depth)
        self.generator: torch.Generator | None = None

    def _dropout(self, h: torch.Tensor) -> torch.Tensor:
        p = self.config.dropout
        if not self.training or p == 0.0:
            return h
        # Drawn on the CPU generator, then moved: the same masks on any device.
        keep = (torch.rand(h.shape, generator=self.generator) >= p).to(h.device)  # (N, width)
        return h * keep / (1 - p)

    def _survive(self, n: int, p: float) -> torch.Tensor | None:
        """(n, 1) per-example factor of a block's residual: 0 or 1/(1 − p); None if kept."""
        if not self.training or p == 0.0:
            return None
        keep = torch.rand(n, 1, generator=self.generator) >= p
        return keep.to(self.head.weight.device) / (1 - p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))  # (N, width)
        for linear, p in zip(self.blocks, self.drop_rates, strict=True):
            residual = self._dropout(torch.relu(linear(h)))
            factor = self._survive(len(h), p)
            h = h + (residual if factor is None else residual * factor)
        return self.head(self._dropout(h))

    def __repr__(self) -> str:
        c = self.config
        return (
            f"ResidualMLP({c.n_inputs} → {c.width} → {c.blocks} blocks → {c.n_classes}, "
            f"dropout {c.dropout}, stochastic depth {c.stochastic_depth})"
        )
