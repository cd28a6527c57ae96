"""Counting: parameters and multiply-adds of MLPs and convolutions, output shapes."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np

from app.curriculum.generators.base import (
    WHOLE,
    Field,
    Generator,
    Variant,
    fixed,
    register,
    relative,
)


@register
class MlpParams(Generator):
    """Parameters and multiply-adds of a fully connected network."""

    name = "mlp-params"
    title = "Parameters and multiply-adds of an MLP"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        hidden = [rng.choice([4, 8, 16, 32, 64, 128]) for _ in range(rng.randint(1, 3))]
        return {"widths": [rng.choice([2, 4, 8, 16, 64, 784]), *hidden, rng.choice([1, 2, 10])]}

    def render(self, p: dict[str, Any]) -> Variant:
        widths = p["widths"]
        params = macs = 0
        lines = []
        for a, b in itertools.pairwise(widths):
            params += a * b + b
            macs += a * b
            lines.append(
                f"- ${a} \\to {b}$: ${a} \\cdot {b} + {b} = {a * b + b}$ parameters, "
                f"${a * b}$ multiply-adds.\n"
            )
        chain = " \\to ".join(str(w) for w in widths)
        prompt = (
            f"A fully connected network has layer widths ${chain}$ (input, hidden layers, output), "
            "each layer with weights and biases. How many parameters does it have, and how "
            "many multiply-adds does one example's forward pass take (count one per weight)?"
        )
        solution = (
            "A layer from $a$ to $b$ units has $a \\cdot b$ weights and $b$ biases, and does "
            "$a \\cdot b$ multiply-adds.\n\n"
            + "".join(lines)
            + f"\nIn all: {params} parameters and {macs} multiply-adds.\n"
        )
        answer = {"params": float(params), "macs": float(macs)}
        fields = [Field("params", "parameters"), Field("macs", "multiply-adds")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        w = np.array(p["widths"])
        macs = int(w[:-1] @ w[1:])
        return {"params": float(macs + w[1:].sum()), "macs": float(macs)}


def _out_side(h: int, k: int, s: int, pad: int, d: int) -> int:
    return (h + 2 * pad - d * (k - 1) - 1) // s + 1


@register
class ConvOutputShape(Generator):
    """Output side of a convolution from kernel, stride, padding and dilation."""

    name = "conv-output-shape"
    title = "Output shape of a convolution"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        while True:
            p = {
                "size": rng.randint(7, 32),
                "kernel": rng.choice([1, 3, 5, 7]),
                "stride": rng.choice([1, 2, 3]),
                "padding": rng.randint(0, 3),
                "dilation": rng.choice([1, 1, 2, 3]),
                "channels": rng.choice([4, 8, 16, 32]),
            }
            if p["dilation"] * (p["kernel"] - 1) + 1 <= p["size"] + 2 * p["padding"]:
                return p

    def render(self, p: dict[str, Any]) -> Variant:
        h, k, s, pad, d, c = (
            p[x] for x in ("size", "kernel", "stride", "padding", "dilation", "channels")
        )
        span = d * (k - 1) + 1
        side = _out_side(h, k, s, pad, d)
        prompt = (
            f"A convolution with {c} output channels, kernel ${k} \\times {k}$, stride {s}, "
            f"padding {pad} and dilation {d} reads a ${h} \\times {h}$ input. What is the side "
            "of its output, and how many numbers does the output hold?"
        )
        solution = (
            f"1. With dilation {d} the kernel spans $d(k-1)+1 = {d}\\cdot{k - 1}+1 = {span}$ "
            "pixels.\n"
            f"2. The padded input is ${h} + 2\\cdot{pad} = {h + 2 * pad}$ wide; the window fits "
            f"$\\lfloor({h + 2 * pad} - {span})/{s}\\rfloor + 1 = {side}$ times.\n"
            f"3. The output is ${c} \\times {side} \\times {side}$: {c * side * side} numbers.\n"
        )
        answer = {"side": float(side), "values": float(c * side * side)}
        fields = [Field("side", "output side"), Field("values", "numbers in the output")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        span = p["dilation"] * (p["kernel"] - 1)
        starts = range(0, p["size"] + 2 * p["padding"] - span, p["stride"])  # windows that fit
        return {"side": float(len(starts)), "values": float(p["channels"] * len(starts) ** 2)}


@register
class DenseVsConvParams(Generator):
    """The card's third worked example: a dense layer against a convolution on an image."""

    name = "dense-vs-conv-params"
    title = "Dense layer or convolution: parameters"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "size": rng.choice([16, 28, 32, 64]),
            "channels": rng.choice([1, 3]),
            "units": rng.choice([64, 100, 128, 256]),
            "kernels": rng.choice([16, 32, 64]),
            "kernel": rng.choice([3, 5]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        h, c, n, m, k = p["size"], p["channels"], p["units"], p["kernels"], p["kernel"]
        flat = h * h * c
        dense = flat * n
        per_kernel = k * k * c
        conv = per_kernel * m
        ratio = dense / conv
        prompt = (
            f"An image of ${h} \\times {h}$ pixels with {c} channel{'s' if c > 1 else ''} goes "
            f"either to a dense layer of {n} units or to a convolution with {m} kernels of "
            f"${k} \\times {k}$. Ignoring biases, how many weights does each have, and how many "
            "times more does the dense layer need (1 decimal)?"
        )
        solution = (
            f"1. Dense: the flattened input has ${h} \\cdot {h} \\cdot {c} = {flat}$ values, so "
            f"${flat} \\cdot {n} = {dense}$ weights.\n"
            f"2. Convolution: one kernel has ${k} \\cdot {k} \\cdot {c} = {per_kernel}$ weights, "
            f"shared over every position; ${per_kernel} \\cdot {m} = {conv}$ weights.\n"
            f"3. Ratio: ${dense}/{conv} \\approx {fixed(ratio, 1)}$. Locality and weight sharing "
            "buy that saving.\n"
        )
        answer = {"dense": float(dense), "conv": float(conv), "ratio": ratio}
        fields = [
            Field("dense", "dense weights"),
            Field("conv", "convolution weights"),
            Field("ratio", "ratio"),
        ]
        tolerance = {"dense": WHOLE, "conv": WHOLE, "ratio": max(0.05, relative(ratio))}
        return Variant(prompt, fields, answer, tolerance, solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        dense = np.prod([p["size"], p["size"], p["channels"], p["units"]])
        conv = np.prod([p["kernel"], p["kernel"], p["channels"], p["kernels"]])
        return {"dense": float(dense), "conv": float(conv), "ratio": float(dense / conv)}


@register
class SeparableParams(Generator):
    """A plain convolution against a depthwise-separable one."""

    name = "separable-params"
    title = "Depthwise-separable convolution"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "c_in": rng.choice([8, 16, 32, 64]),
            "c_out": rng.choice([16, 32, 64, 128]),
            "kernel": rng.choice([3, 5]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        ci, co, k = p["c_in"], p["c_out"], p["kernel"]
        plain = k * k * ci * co
        depthwise = k * k * ci
        pointwise = ci * co
        separable = depthwise + pointwise
        ratio = plain / separable
        prompt = (
            f"A ${k}\\times{k}$ convolution maps {ci} channels to {co}. Ignoring biases, how many "
            "weights does it have, how many does a depthwise-separable version have (one "
            f"${k}\\times{k}$ filter per input channel, then a $1\\times1$ convolution to {co} "
            "channels), and what is the ratio (1 decimal)?"
        )
        solution = (
            f"1. Plain: ${k}\\cdot{k}\\cdot{ci}\\cdot{co} = {plain}$.\n"
            f"2. Depthwise: ${k}\\cdot{k}\\cdot{ci} = {depthwise}$; pointwise: "
            f"${ci}\\cdot{co} = {pointwise}$; together {separable}.\n"
            f"3. Ratio ${plain}/{separable} \\approx {fixed(ratio, 1)}$; it approaches "
            f"$k^2 = {k * k}$ as the output channels grow.\n"
        )
        answer = {"plain": float(plain), "separable": float(separable), "ratio": ratio}
        fields = [
            Field("plain", "plain weights"),
            Field("separable", "separable weights"),
            Field("ratio", "ratio"),
        ]
        tolerance = {"plain": WHOLE, "separable": WHOLE, "ratio": max(0.05, relative(ratio))}
        return Variant(prompt, fields, answer, tolerance, solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        k, ci, co = p["kernel"], p["c_in"], p["c_out"]
        plain = np.prod([co, ci, k, k])
        separable = np.prod([ci, 1, k, k]) + np.prod([co, ci, 1, 1])
        return {
            "plain": float(plain),
            "separable": float(separable),
            "ratio": float(plain / separable),
        }


@register
class SpectrogramParams(Generator):
    """The card's audio practice problem with numbers: a spectrogram's shape, and a dense layer
    against a small convolution on it."""

    name = "spectrogram-params"
    title = "Audio as a picture: spectrogram and convolution"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        window = rng.choice([256, 400, 512])
        return {
            "seconds": rng.choice([0.5, 1, 2]),
            "rate": rng.choice([8000, 16000]),
            "window": window,
            "hop": rng.choice([h for h in (128, 160, 256) if h <= window]),
            "channels": rng.choice([16, 32, 64]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        seconds, rate, window, hop, c = (
            p[k] for k in ("seconds", "rate", "window", "hop", "channels")
        )
        samples = int(seconds * rate)
        frames = (samples - window) // hop + 1
        bins = window // 2 + 1
        dense = frames * bins * c
        conv = 3 * 3 * c
        prompt = (
            f"A clip of {seconds} s sampled at {rate} Hz becomes a spectrogram: windows of "
            f"{window} samples, moved {hop} samples at a time (no padding), each giving "
            f"$\\text{{window}}/2 + 1$ frequency bins. Give the number of time frames and of "
            f"bins; then, ignoring biases, the weights of a dense layer from the whole "
            f"spectrogram to {c} units and of a $3\\times3$ convolution with {c} output channels."
        )
        solution = (
            f"1. Samples: ${seconds} \\cdot {rate} = {samples}$. Frames: "
            f"$\\lfloor({samples} - {window})/{hop}\\rfloor + 1 = {frames}$.\n"
            f"2. Bins: ${window}/2 + 1 = {bins}$. The spectrogram is a ${frames} \\times {bins}$ "
            "picture of time against frequency.\n"
            f"3. Dense: ${frames} \\cdot {bins} \\cdot {c} = {dense}$ weights, one per pixel and "
            "unit, and none of them shared.\n"
            f"4. Convolution: $3 \\cdot 3 \\cdot {c} = {conv}$ weights, the same small detector "
            "slid along time and frequency: an onset or a harmonic looks alike wherever it "
            "occurs, which is the bias a CNN brings to audio.\n"
        )
        answer = {
            "frames": float(frames),
            "bins": float(bins),
            "dense": float(dense),
            "conv": float(conv),
        }
        fields = [
            Field("frames", "time frames"),
            Field("bins", "frequency bins"),
            Field("dense", "dense weights"),
            Field("conv", "convolution weights"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        samples = round(p["seconds"] * p["rate"])
        frames = len(range(0, samples - p["window"] + 1, p["hop"]))  # where a window starts
        bins = len(np.fft.rfftfreq(p["window"]))
        return {
            "frames": float(frames),
            "bins": float(bins),
            "dense": float(np.prod([frames, bins, p["channels"]])),
            "conv": float(np.prod([3, 3, 1, p["channels"]])),
        }
