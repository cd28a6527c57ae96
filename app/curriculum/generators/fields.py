"""Receptive fields of convolution stacks, with and without dilation."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from app.curriculum.generators.base import WHOLE, Field, Generator, Variant, register


def _layers_table(layers: list[dict[str, int]], keys: list[str]) -> str:
    head = "| layer | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys) + "\n"
    rows = "".join(
        f"| {i + 1} | " + " | ".join(str(layer[k]) for k in keys) + " |\n"
        for i, layer in enumerate(layers)
    )
    return head + rows


def _field_by_intervals(layers: list[dict[str, int]]) -> tuple[int, int]:
    """Receptive field and jump by walking one output unit's input interval back to the
    input: through a layer, positions [lo, hi] come from [lo·s, hi·s + d(k−1)]."""
    lo, hi = 0, 0
    for layer in reversed(layers):
        lo, hi = (
            lo * layer["stride"],
            hi * layer["stride"] + layer.get("dilation", 1) * (layer["kernel"] - 1),
        )
    return hi - lo + 1, int(np.prod([layer["stride"] for layer in layers]))


@register
class ReceptiveField(Generator):
    """Theoretical receptive field (and jump) of a stack of convolutions and pools."""

    name = "receptive-field"
    title = "Receptive field of a stack"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        layers = []
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.3:
                layers.append({"kind": "pool", "kernel": 2, "stride": 2})
            else:
                layers.append(
                    {
                        "kind": "conv",
                        "kernel": rng.choice([1, 3, 3, 5]),
                        "stride": rng.choice([1, 1, 2]),
                    }
                )
        return {"layers": layers}

    def render(self, p: dict[str, Any]) -> Variant:
        layers = p["layers"]
        field, jump = 1, 1
        lines = []
        for i, layer in enumerate(layers, start=1):
            k, s = layer["kernel"], layer["stride"]
            field += (k - 1) * jump
            lines.append(
                f"{i}. {layer['kind']} $k={k}, s={s}$: $r = r + ({k}-1)\\cdot{jump} = "
                f"{field}$, then $j = {jump}\\cdot{s} = {jump * s}$.\n"
            )
            jump *= s
        prompt = (
            "A stack of layers (no dilation) is applied in this order:\n\n"
            + _layers_table(layers, ["kind", "kernel", "stride"])
            + "\nHow many input pixels along one side does one unit of the last layer see "
            "(its theoretical receptive field), and how many input pixels apart are two "
            "neighbouring units of the last layer (its jump)?"
        )
        solution = (
            "Walk up the stack keeping the field $r$ (start 1) and the jump $j$ (start 1): "
            "a layer adds $(k-1)\\,j$ to $r$, then multiplies $j$ by its stride.\n\n"
            + "".join(lines)
            + f"\nReceptive field {field}, jump {jump}. Strides early in the stack make later "
            "kernels grow the field faster.\n"
        )
        answer = {"field": float(field), "jump": float(jump)}
        fields = [Field("field", "receptive field", "pixels"), Field("jump", "jump", "pixels")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        field, jump = _field_by_intervals(p["layers"])
        return {"field": float(field), "jump": float(jump)}


@register
class DilatedField(Generator):
    """A stack of dilated 3×3 convolutions: field and weights, against a plain stack."""

    name = "dilated-field"
    title = "Dilation: a wider field for the same weights"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        depth = rng.randint(2, 4)
        dilations = sorted(rng.choice([1, 2, 3, 4]) for _ in range(depth))
        if dilations[-1] == 1:
            dilations[-1] = 2
        return {"dilations": dilations, "channels": rng.choice([8, 16, 32])}

    def render(self, p: dict[str, Any]) -> Variant:
        dilations, c = p["dilations"], p["channels"]
        field = 1
        for d in dilations:
            field += 2 * d
        per_layer = 9 * c * c
        weights = per_layer * len(dilations)
        plain_layers = (field - 1) // 2
        plain = per_layer * plain_layers
        prompt = (
            f"{len(dilations)} convolutions of $3 \\times 3$, stride 1, {c} channels in and out, "
            f"are stacked with dilations {', '.join(str(d) for d in dilations)}. Ignoring biases, "
            "give the stack's receptive field, its number of weights, and the weights of a stack "
            "of undilated $3 \\times 3$ convolutions (same channels) with the same field."
        )
        steps = " + ".join(f"2\\cdot{d}" for d in dilations)
        solution = (
            f"1. Each dilated $3\\times3$ layer adds $d(k-1) = 2d$: field "
            f"$1 + {steps} = {field}$.\n"
            f"2. Each layer has $3\\cdot3\\cdot{c}\\cdot{c} = {per_layer}$ weights, whatever its "
            f"dilation: ${len(dilations)} \\cdot {per_layer} = {weights}$.\n"
            f"3. Undilated layers add 2 each, so the same field needs $({field}-1)/2 = "
            f"{plain_layers}$ layers: ${plain_layers} \\cdot {per_layer} = {plain}$ weights.\n"
        )
        answer = {"field": float(field), "weights": float(weights), "plain": float(plain)}
        fields = [
            Field("field", "receptive field", "pixels"),
            Field("weights", "weights"),
            Field("plain", "weights of the plain stack"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        layers = [{"kernel": 3, "stride": 1, "dilation": d} for d in p["dilations"]]
        field, _ = _field_by_intervals(layers)
        shape = np.array([3, 3, p["channels"], p["channels"]])
        return {
            "field": float(field),
            "weights": float(len(layers) * shape.prod()),
            "plain": float((field - 1) // 2 * shape.prod()),
        }
