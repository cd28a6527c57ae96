"""A small convolutional network built from a list of layer specs, for 1-channel images.

Blocks: ``conv`` (k×k convolution → [BatchNorm] → ReLU), ``separable`` (depthwise k×k, then
pointwise 1×1, each → [BatchNorm] → ReLU; Howard et al. 2017, MobileNets), ``bottleneck``
(1×1 down to max(1, C/4) → k×k → 1×1 up to C, each → [BatchNorm] → ReLU; He et al. 2016),
``maxpool`` and ``avgpool``. The head reaches 10 logits by global average pooling (Lin et al.
2014, Network in Network) or by flattening the last maps. Convolutions followed by BatchNorm
(Ioffe & Szegedy 2015) have no bias: BatchNorm's shift replaces it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import torch
from torch import nn

CONVOLUTIONS = ("conv", "separable", "bottleneck")
POOLS = ("maxpool", "avgpool")


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the stack: its kind and the geometry of its k×k (or pooling) window."""

    kind: str = "conv"
    kernel: int = 3
    stride: int = 1
    padding: int = 1
    dilation: int = 1
    channels: int = 8  # ignored by pools: they keep their input's channels


def default_layers() -> list[LayerSpec]:
    """conv 3×3 ×8 → maxpool 2 → conv 3×3 ×16 → maxpool 2."""
    return [
        LayerSpec("conv", 3, 1, 1, 1, 8),
        LayerSpec("maxpool", 2, 2, 0, 1, 8),
        LayerSpec("conv", 3, 1, 1, 1, 16),
        LayerSpec("maxpool", 2, 2, 0, 1, 16),
    ]


@dataclass
class CNNConfig:
    """The stack, BatchNorm or not, the head, the input side and the number of classes."""

    layers: list[LayerSpec] = field(default_factory=default_layers)
    batchnorm: bool = False
    head: str = "global_avg"  # or "flatten"
    image_size: int = 16
    n_classes: int = 10


def bottleneck_width(channels: int) -> int:
    """The width inside a bottleneck block: a quarter of its output channels, at least 1."""
    return max(1, channels // 4)


def out_channels(spec: LayerSpec, in_channels: int) -> int:
    """Channels a layer hands on: pools keep their input's, the rest make ``spec.channels``."""
    return in_channels if spec.kind in POOLS else spec.channels


def _unit(
    name: str, c_in: int, c_out: int, batchnorm: bool, spec: LayerSpec | None = None, groups=1
) -> list[tuple[str, nn.Module]]:
    """Convolution → [BatchNorm] → ReLU, named ``name``, ``name_bn``, ``name_relu``.

    With ``spec`` the convolution has its k×k window, stride, padding and dilation; without,
    it is a 1×1 convolution.
    """
    k, stride, padding, dilation = (
        (spec.kernel, spec.stride, spec.padding, spec.dilation) if spec else (1, 1, 0, 1)
    )
    conv = nn.Conv2d(c_in, c_out, k, stride, padding, dilation, groups=groups, bias=not batchnorm)
    parts: list[tuple[str, nn.Module]] = [(name, conv)]
    if batchnorm:
        parts.append((f"{name}_bn", nn.BatchNorm2d(c_out)))
    parts.append((f"{name}_relu", nn.ReLU()))
    return parts


def make_block(spec: LayerSpec, c_in: int, batchnorm: bool) -> nn.Sequential:
    """The modules of one layer spec, named so that state_dict keys say what they are."""
    c = spec.channels
    if spec.kind == "conv":
        parts = _unit("conv", c_in, c, batchnorm, spec)
    elif spec.kind == "separable":
        parts = _unit("depthwise", c_in, c_in, batchnorm, spec, groups=c_in)
        parts += _unit("pointwise", c_in, c, batchnorm)
    elif spec.kind == "bottleneck":
        m = bottleneck_width(c)
        # The stride, padding and dilation belong to the k×k convolution in the middle.
        parts = _unit("reduce", c_in, m, batchnorm)
        parts += _unit("conv", m, m, batchnorm, spec)
        parts += _unit("expand", m, c, batchnorm)
    elif spec.kind == "maxpool":
        pool = nn.MaxPool2d(spec.kernel, spec.stride, spec.padding, dilation=spec.dilation)
        parts = [("pool", pool)]
    elif spec.kind == "avgpool":
        parts = [("pool", nn.AvgPool2d(spec.kernel, spec.stride, spec.padding))]
    else:
        raise ValueError(f"unknown layer kind {spec.kind!r}")
    return nn.Sequential(OrderedDict(parts))


def spatial_conv(block: nn.Sequential) -> nn.Conv2d | None:
    """The block's k×k convolution (depthwise for separable, middle for bottleneck)."""
    for name in ("conv", "depthwise"):
        if name in block._modules:
            return block._modules[name]  # type: ignore[return-value]
    return None


class CNN(nn.Module):
    """Image (N, 1, H, W) → the stack of blocks → head → class logits (N, n_classes)."""

    def __init__(self, config: CNNConfig) -> None:
        super().__init__()
        self.config = config
        blocks, c, side = [], 1, config.image_size
        for spec in config.layers:
            blocks.append(make_block(spec, c, config.batchnorm))
            c = out_channels(spec, c)
            k_eff = spec.dilation * (spec.kernel - 1) + 1
            side = (side + 2 * spec.padding - k_eff) // spec.stride + 1
        self.blocks = nn.ModuleList(blocks)
        features = c if config.head == "global_avg" else c * side * side
        self.head = nn.Linear(features, config.n_classes)

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every block's output (N, C_l, H_l, W_l), input to head."""
        maps = []
        h = x  # (N, 1, H, W)
        for block in self.blocks:
            h = block(h)  # (N, C_l, H_l, W_l)
            maps.append(h)
        return maps

    def classify(self, h: torch.Tensor) -> torch.Tensor:
        """Logits (N, n_classes) from the last feature maps (N, C, H_L, W_L)."""
        if self.config.head == "global_avg":
            return self.head(h.mean(dim=(2, 3)))  # (N, C) → logits
        return self.head(h.flatten(1))  # (N, C·H_L·W_L) → logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x  # (N, 1, H, W)
        for block in self.blocks:
            h = block(h)  # (N, C_l, H_l, W_l)
        return self.classify(h)

    def weight_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """(state_dict name, weight) of every convolution and of the head, input to output."""
        return [
            (name, p)
            for name, p in self.named_parameters()
            if (name.endswith(".weight") and p.dim() == 4) or name == "head.weight"
        ]

    def __repr__(self) -> str:
        kinds = " → ".join(f"{s.kind}{s.kernel}" for s in self.config.layers)
        return f"CNN({kinds} → {self.config.head} → {self.config.n_classes})"
