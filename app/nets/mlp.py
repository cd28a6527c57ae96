"""A fully connected network: f = f_L ∘ … ∘ f_1, each hidden f_l(h) = act(W_l h + b_l).

The output is one logit (read through a sigmoid) or two logits (read through a softmax).
Initialisation follows Glorot & Bengio (2010) for "xavier" and He et al. (2015) for "he".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


@dataclass
class MLPConfig:
    """Shape of the network: input width, hidden widths, activation, output head, init."""

    n_inputs: int = 2
    hidden: list[int] = field(default_factory=lambda: [4, 4])
    activation: str = "relu"
    n_outputs: int = 1  # 1: sigmoid of one logit; 2: softmax over two logits
    init: str = "xavier"


class MLP(nn.Module):
    """Input → hidden layers (Linear then activation) → output logits."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.n_inputs, *config.hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.act = nn.ModuleList(ACTIVATIONS[config.activation]() for _ in config.hidden)
        self.out = nn.Linear(widths[-1], config.n_outputs)
        for layer in self.linears():
            if config.init == "he":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def linears(self) -> list[nn.Linear]:
        """Every Linear layer from input to output."""
        return [*self.hidden, self.out]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x  # (N, n_inputs)
        for linear, act in zip(self.hidden, self.act):
            h = act(linear(h))  # (N, width_l)
        return self.out(h)  # (N, n_outputs)

    def prob_class1(self, x: torch.Tensor) -> torch.Tensor:
        """P(class 1 | x) for every row of x."""
        logits = self.forward(x)
        if self.config.n_outputs == 1:
            return torch.sigmoid(logits[:, 0])
        return torch.softmax(logits, dim=1)[:, 1]

    def __repr__(self) -> str:
        widths = "→".join(str(w) for w in [self.config.n_inputs, *self.config.hidden])
        return f"MLP({widths}→{self.config.n_outputs}, {self.config.activation})"
