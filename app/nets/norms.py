"""Normalisation layers for a stack of (N, C) hidden vectors, chosen by name.

- ``batch``: BatchNorm (Ioffe & Szegedy, 2015) — each unit standardised over the batch.
- ``layer``: LayerNorm (Ba, Kiros & Hinton, 2016) — each example standardised over its units.
- ``group``: GroupNorm (Wu & He, 2018) — each example standardised within groups of units.
- ``rms``: RMSNorm (Zhang & Sennrich, 2019) — each example divided by its root mean square,
  without centring; written out here so that the formula is on the page.
"""

from __future__ import annotations

import torch
from torch import nn

NORMS = ("none", "batch", "layer", "group", "rms")
EPS = 1e-5
GROUP_SIZE = 4  # the fewest units a group may hold: fewer make a group's std meaningless
MAX_GROUPS = 8


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x²) + eps) · g, the mean taken over each example's units."""

    def __init__(self, width: int, eps: float = EPS) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (N, 1)
        return x / rms * self.weight

    def __repr__(self) -> str:
        return f"RMSNorm({self.weight.shape[0]}, eps={self.eps})"


def group_count(width: int) -> int:
    """Groups of a GroupNorm over ``width`` units: the most (up to 8) that divide the width
    into groups of at least GROUP_SIZE units; 1 group (LayerNorm) when none does."""
    fits = [g for g in range(1, MAX_GROUPS + 1) if width % g == 0 and width // g >= GROUP_SIZE]
    return max(fits, default=1)


def make_norm(kind: str, width: int) -> nn.Module:
    """The normalisation layer ``kind`` (one of NORMS) over ``width`` units."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm1d(width, eps=EPS)
    if kind == "layer":
        return nn.LayerNorm(width, eps=EPS)
    if kind == "group":
        return nn.GroupNorm(group_count(width), width, eps=EPS)
    if kind == "rms":
        return RMSNorm(width)
    raise ValueError(f"unknown norm {kind!r}; expected one of {NORMS}")


def norm_params(kind: str, width: int) -> int:
    """Trainable parameters of ``make_norm(kind, width)``, counted without building it."""
    return {"none": 0, "rms": width}.get(kind, 2 * width)
