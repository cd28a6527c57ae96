"""A hand-written forward pass of the deep MLP from a state dict, in float64, for the tests."""

from __future__ import annotations

import math

import torch

EPS = 1e-5
ACTS = {
    "relu": lambda z: z.clamp(min=0),
    "tanh": torch.tanh,
    "sigmoid": lambda z: 1 / (1 + torch.exp(-z)),
    "gelu": lambda z: 0.5 * z * (1 + torch.erf(z / math.sqrt(2))),
    "linear": lambda z: z,
}


def norm(kind: str, z: torch.Tensor, s: dict[str, torch.Tensor], key: str, groups: int):
    """Norm ``kind`` of rows z (N, C), BatchNorm with its running statistics (eval mode)."""
    if kind == "none":
        return z
    if kind == "batch":
        mean, var = s[f"{key}.running_mean"], s[f"{key}.running_var"]
        return (z - mean) / torch.sqrt(var + EPS) * s[f"{key}.weight"] + s[f"{key}.bias"]
    if kind == "rms":
        return z / torch.sqrt((z * z).mean(-1, keepdim=True) + EPS) * s[f"{key}.weight"]
    n, c = z.shape
    g = groups if kind == "group" else 1
    zg = z.reshape(n, g, c // g)
    mean = zg.mean(-1, keepdim=True)
    var = ((zg - mean) ** 2).mean(-1, keepdim=True)
    zn = ((zg - mean) / torch.sqrt(var + EPS)).reshape(n, c)
    return zn * s[f"{key}.weight"] + s[f"{key}.bias"]


def block(config, state: dict, index: int, h: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """Block ``index`` of a DeepMLP with ``config``, on rows h (N, n_in)."""
    s = {k: v.double() for k, v in state.items()}
    z = h @ s[f"blocks.{index}.linear.weight"].T + s[f"blocks.{index}.linear.bias"]
    out = ACTS[config.activation](norm(config.norm, z, s, f"blocks.{index}.norm", groups))
    keeps_width = h.shape[-1] == out.shape[-1]
    return h + out if config.residual and keeps_width else out


def forward(config, state: dict, x: torch.Tensor, groups: int = 1) -> list[torch.Tensor]:
    """Every hidden layer's output and then the logits."""
    h = x.double()
    outs = []
    for index in range(config.depth):
        h = block(config, state, index, h, groups)
        outs.append(h)
    outs.append(h @ state["head.weight"].double().T + state["head.bias"].double())
    return outs
