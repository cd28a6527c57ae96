"""Arithmetic of a layer stack, from its specs alone: shapes, parameters, multiply-adds, names.

Multiply-adds count the convolutions' and the head's multiplications for one image (biases,
BatchNorm, ReLU and pooling are not counted: they are a few operations per value, not per
weight). Parameters count weights, biases (convolutions without BatchNorm) and BatchNorm's
scale and shift (its running statistics are buffers, not parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from app.nets.cnn import CONVOLUTIONS, POOLS, LayerSpec, bottleneck_width, out_channels
from app.probes.receptive_field import theoretical


def out_side(side: int, spec: LayerSpec) -> int:
    """Output side of a k×k window with stride, padding and dilation (floor, as PyTorch)."""
    k_eff = spec.dilation * (spec.kernel - 1) + 1
    return (side + 2 * spec.padding - k_eff) // spec.stride + 1


def shapes(layers: Sequence[LayerSpec], image_size: int) -> list[tuple[int, int, int]]:
    """[C, H, W] after each layer (a side below 1 is kept as is, for the caller to refuse)."""
    out, c, side = [], 1, image_size
    for spec in layers:
        c, side = out_channels(spec, c), out_side(side, spec)
        out.append((c, side, side))
        if side < 1:
            break
    return out


def first_too_small(layers: Sequence[LayerSpec], image_size: int) -> int | None:
    """Index of the first layer whose feature map is smaller than 1 × 1, or None."""
    for index, (_, side, _) in enumerate(shapes(layers, image_size)):
        if side < 1:
            return index
    return None


def _units(spec: LayerSpec, c_in: int) -> list[tuple[int, int, int, bool]]:
    """(in channels, out channels, kernel, at the input's resolution) of each convolution."""
    k, c = spec.kernel, spec.channels
    if spec.kind == "conv":
        return [(c_in, c, k, False)]
    if spec.kind == "separable":
        return [(1, c_in, k, False), (c_in, c, 1, False)]  # depthwise: one input map per output
    if spec.kind == "bottleneck":
        m = bottleneck_width(c)
        return [(c_in, m, 1, True), (m, m, k, False), (m, c, 1, False)]
    return []


def weights(spec: LayerSpec, c_in: int) -> int:
    """Convolution weights of a layer (no biases, no BatchNorm)."""
    return sum(a * b * k * k for a, b, k, _ in _units(spec, c_in))


def params(spec: LayerSpec, c_in: int, batchnorm: bool) -> int:
    """Trainable parameters: weights, plus a bias or BatchNorm's scale and shift per output."""
    per_channel = 2 if batchnorm else 1
    return weights(spec, c_in) + sum(per_channel * b for _, b, _, _ in _units(spec, c_in))


def macs(spec: LayerSpec, c_in: int, in_side: int, side: int) -> int:
    """Multiply-adds of a layer for one image (a bottleneck's first 1×1 runs before the
    stride, at the input's resolution)."""
    total = 0
    for a, b, k, at_input in _units(spec, c_in):
        s = in_side if at_input else side
        total += a * b * k * k * s * s
    return total


def head(channels: int, side: int, kind: str, n_classes: int = 10) -> dict[str, int]:
    """Parameters and multiply-adds of the linear classifier on the last feature maps."""
    features = channels if kind == "global_avg" else channels * side * side
    return {"params": features * n_classes + n_classes, "macs": features * n_classes}


def name(spec: LayerSpec) -> str:
    """What the learner reads, e.g. "conv 3×3 ×8", "maxpool 2×2 /2", "conv 3×3 ×8 d2"."""
    text = f"{spec.kind} {spec.kernel}×{spec.kernel}"
    if spec.kind not in POOLS:
        text += f" ×{spec.channels}"
    if spec.stride > 1:
        text += f" /{spec.stride}"
    if spec.dilation > 1:
        text += f" d{spec.dilation}"
    return text


def weight_names(layers: Sequence[LayerSpec]) -> list[str]:
    """state_dict names of every convolution's weight and the head's, as app.nets.cnn names
    them."""
    parts = {"conv": ["conv"], "separable": ["depthwise", "pointwise"]}
    parts["bottleneck"] = ["reduce", "conv", "expand"]
    names = [f"blocks.{i}.{p}.weight" for i, s in enumerate(layers) for p in parts.get(s.kind, [])]
    return [*names, "head.weight"]


def dense_vs_conv(in_values: int, out_values: int, conv_weights: int) -> dict[str, Any]:
    """Weights of a dense layer from ``in_values`` to ``out_values`` against a convolution's."""
    ratio = in_values * out_values / conv_weights if conv_weights else None
    return {"dense": in_values * out_values, "conv": conv_weights, "ratio": ratio}


def variants(layers: Sequence[LayerSpec]) -> list[dict[str, Any]]:
    """The theoretical field's size per layer for the stack and three variants of it."""
    no_dilation = [replace(s, dilation=1) for s in layers]
    dilated = [replace(s, dilation=2) if s.kind in CONVOLUTIONS else s for s in layers]
    strided = [replace(s, kind="conv", dilation=1) if s.kind in POOLS else s for s in layers]
    return [
        {"name": label, "rf": [f["size"] for f in theoretical(stack)]}
        for label, stack in (
            ("as configured", layers),
            ("no dilation", no_dilation),
            ("dilation 2", dilated),
            ("strided", strided),
        )
    ]


def describe(
    layers: Sequence[LayerSpec], batchnorm: bool, head_kind: str, image_size: int
) -> dict[str, Any]:
    """The lab's `meta` minus what is not arithmetic: per-layer shapes, counts and fields."""
    rows, c, side = [], 1, image_size
    fields = theoretical(layers)
    for spec, field, (c_out, s_out, _) in zip(layers, fields, shapes(layers, image_size)):
        rows.append(
            {
                "name": name(spec),
                "kind": spec.kind,
                "out_shape": [c_out, s_out, s_out],
                "params": params(spec, c, batchnorm),
                "macs": macs(spec, c, side, s_out),
                "rf": field,
            }
        )
        c, side = c_out, s_out
    top = head(c, side, head_kind)
    first = rows[0]["out_shape"]
    return {
        "input": [1, image_size, image_size],
        "classes": [str(d) for d in range(10)],
        "layers": rows,
        "head": top,
        "total_params": sum(r["params"] for r in rows) + top["params"],
        "total_macs": sum(r["macs"] for r in rows) + top["macs"],
        "compare": variants(layers),
        "dense": {
            # The concept card's example: a 32 × 32 × 3 image, 100 dense units vs 64 3×3 kernels.
            "card": dense_vs_conv(32 * 32 * 3, 100, weights(LayerSpec("conv", 3, 1, 1, 1, 64), 3)),
            "input": dense_vs_conv(
                image_size * image_size, first[0] * first[1] * first[2], weights(layers[0], 1)
            ),
        },
        "weights": weight_names(layers),
    }
