"""A deep fully connected network: x → block_1 → … → block_L → head.

Each block is h ↦ act(norm(W h + b)), with an optional identity shortcut
h ↦ h + act(norm(W h + b)) where the block keeps the width (every block but the first).
Initialisations: Glorot & Bengio (2010) "xavier" (Var W = 2 / (fan_in + fan_out)), He et al.
(2015) "he" (Var W = 2 / fan_in), a plain normal N(0, σ²), and Saxe et al. (2014)
"orthogonal" (W Wᵀ = I or WᵀW = I). Biases start at zero. Residual blocks: He et al. (2016).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from app.nets.norms import make_norm, norm_params

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}
INITS = ("xavier_uniform", "xavier_normal", "he_normal", "he_uniform", "normal", "orthogonal")


@dataclass(frozen=True)
class DeepMLPConfig:
    """Shape of the network and how it starts."""

    n_inputs: int = 2
    n_classes: int = 2
    depth: int = 16  # hidden blocks
    width: int = 64  # units in every hidden block
    activation: str = "relu"
    init: str = "he_normal"
    init_std: float = 0.05  # σ of the "normal" initialisation
    norm: str = "none"
    residual: bool = False


def initialise(weight: torch.Tensor, init: str, std: float) -> None:
    """Draw ``weight`` (out, in) in place from the named scheme."""
    if init == "xavier_uniform":
        nn.init.xavier_uniform_(weight)
    elif init == "xavier_normal":
        nn.init.xavier_normal_(weight)
    elif init == "he_normal":
        nn.init.kaiming_normal_(weight, nonlinearity="relu")
    elif init == "he_uniform":
        nn.init.kaiming_uniform_(weight, nonlinearity="relu")
    elif init == "normal":
        nn.init.normal_(weight, 0.0, std)
    elif init == "orthogonal":
        nn.init.orthogonal_(weight)
    else:
        raise ValueError(f"unknown init {init!r}; expected one of {INITS}")


class Block(nn.Module):
    """One hidden layer: Linear → norm → activation, plus the input when ``residual``."""

    def __init__(self, n_in: int, width: int, config: DeepMLPConfig) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, width)
        self.norm = make_norm(config.norm, width)
        self.act = ACTIVATIONS[config.activation]()
        self.residual = config.residual and n_in == width

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.act(self.norm(self.linear(h)))  # (N, width)
        return h + out if self.residual else out


class DeepMLP(nn.Module):
    """``depth`` blocks of ``width`` units and a linear head of ``n_classes`` logits."""

    def __init__(self, config: DeepMLPConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.n_inputs] + [config.width] * config.depth
        self.blocks = nn.ModuleList(
            Block(widths[i], widths[i + 1], config) for i in range(config.depth)
        )
        self.head = nn.Linear(config.width, config.n_classes)
        for linear in self.linears():
            initialise(linear.weight, config.init, config.init_std)
            nn.init.zeros_(linear.bias)

    def linears(self) -> list[nn.Linear]:
        """Every Linear layer from input to output (the blocks', then the head)."""
        return [*(block.linear for block in self.blocks), self.head]  # type: ignore[misc]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x  # (N, n_inputs)
        for block in self.blocks:
            h = block(h)  # (N, width)
        return self.head(h)  # (N, n_classes)

    def __repr__(self) -> str:
        c = self.config
        shortcut = ", residual" if c.residual else ""
        return (
            f"DeepMLP({c.n_inputs}→{c.depth}×{c.width}→{c.n_classes}, {c.activation}, "
            f"{c.init}, norm={c.norm}{shortcut})"
        )


def count(config: DeepMLPConfig) -> tuple[int, int]:
    """(trainable parameters, multiply-adds per example) of the network, without building it."""
    widths = [config.n_inputs] + [config.width] * config.depth + [config.n_classes]
    macs = sum(a * b for a, b in itertools.pairwise(widths))
    params = macs + sum(widths[1:]) + config.depth * norm_params(config.norm, config.width)
    return params, macs
