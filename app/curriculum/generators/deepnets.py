"""Keeping deep nets trainable: variance through layers, initialisation and chains of
derivatives."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from app.curriculum.generators.base import (
    Field,
    Generator,
    Variant,
    decimal,
    num,
    paren,
    register,
    relative,
    sig,
)


@register
class VariancePropagation(Generator):
    """Var(z) ≈ n σ_w² σ_h² for one layer, and its compounding through L linear layers."""

    name = "variance-propagation"
    title = "Variance through a layer"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "n": rng.choice([64, 100, 128, 200, 256, 400, 512]),
            "sigma_w": decimal(rng, 0.04, 0.15, 2),
            "var_h": rng.choice([0.25, 0.5, 1, 2, 4]),
            "layers": rng.choice([5, 10, 20]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        n, sw, vh, depth = p["n"], p["sigma_w"], p["var_h"], p["layers"]
        gain = n * sw * sw
        var_z = gain * vh
        var_l = vh
        for _ in range(depth):
            var_l *= gain
        prompt = (
            f"A linear layer $z_j = \\sum_{{i=1}}^{{n}} W_{{ji}} h_i$ has fan-in $n = {n}$. "
            "Its weights are independent with mean 0 and standard deviation "
            f"$\\sigma_w = {num(sw)}$; "
            f"its inputs are independent with mean 0 and variance $\\sigma_h^2 = {num(vh)}$.\n\n"
            "1. Compute $\\mathrm{Var}(z_j)$.\n"
            f"2. Stack {depth} such layers (no activation, no bias, same $n$ and $\\sigma_w$). "
            "What is the variance after the last one?\n\n"
            "Give 3 significant figures."
        )
        solution = (
            "1. $\\mathrm{Var}(z_j) = n\\,\\sigma_w^2\\,\\sigma_h^2 = "
            f"{n} \\cdot {num(sw)}^2 \\cdot {num(vh)} = "
            f"{n} \\cdot {num(sw * sw, 6)} \\cdot {num(vh)} = {sig(var_z)}$.\n"
            f"2. Each layer multiplies the variance by $n\\sigma_w^2 = {sig(gain)}$, so after "
            f"{depth} layers it is ${num(vh)} \\cdot {sig(gain)}^{{{depth}}} "
            f"\\approx {sig(var_l)}$. "
            "Only $n\\sigma_w^2 = 1$, i.e. $\\sigma_w^2 = 1/n$, keeps it steady.\n"
        )
        answer = {"var_z": var_z, "var_L": var_l}
        fields = [
            Field("var_z", "$\\mathrm{Var}(z_j)$"),
            Field("var_L", f"variance after {depth} layers"),
        ]
        return Variant(
            prompt, fields, answer, {k: relative(v) for k, v in answer.items()}, solution, p
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        gain = p["n"] * np.square(p["sigma_w"])
        log_var = math.log(p["var_h"]) + p["layers"] * math.log(gain)
        return {"var_z": float(gain * p["var_h"]), "var_L": math.exp(log_var)}


@register
class InitVariance(Generator):
    """Xavier/Glorot and He/Kaiming weight variances for a layer's fan-in and fan-out."""

    name = "init-variance"
    title = "Xavier and He initialisation"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        sizes = [16, 32, 50, 64, 100, 128, 200, 256, 300, 400, 512]
        return {"fan_in": rng.choice(sizes), "fan_out": rng.choice(sizes)}

    def render(self, p: dict[str, Any]) -> Variant:
        fi, fo = p["fan_in"], p["fan_out"]
        xavier = 2 / (fi + fo)
        he = 2 / fi
        he_std = math.sqrt(he)
        prompt = (
            f"A dense layer maps {fi} inputs to {fo} outputs. Give (3 significant figures):\n\n"
            "1. the weight variance Xavier/Glorot initialisation uses, "
            "$2/(\\text{fan-in} + \\text{fan-out})$;\n"
            "2. the weight variance He/Kaiming initialisation uses for ReLU, $2/\\text{fan-in}$;\n"
            "3. the standard deviation He's normal initialisation draws from."
        )
        solution = (
            f"1. Xavier: $2/({fi} + {fo}) = 2/{fi + fo} \\approx {sig(xavier)}$.\n"
            f"2. He: $2/{fi} \\approx {sig(he)}$ (ReLU zeroes half the inputs, hence the 2).\n"
            f"3. $\\sqrt{{{sig(he)}}} \\approx {sig(he_std)}$.\n"
        )
        answer = {"xavier": xavier, "he": he, "he_std": he_std}
        fields = [
            Field("xavier", "Xavier variance"),
            Field("he", "He variance"),
            Field("he_std", "He standard deviation"),
        ]
        return Variant(
            prompt, fields, answer, {k: relative(v) for k, v in answer.items()}, solution, p
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        fans = np.array([p["fan_in"], p["fan_out"]], float)
        he = float(np.reciprocal(fans[0] / 2))
        return {"xavier": float(1 / fans.mean()), "he": he, "he_std": float(np.sqrt(he))}


@register
class JacobianChain(Generator):
    """The card's scalar chain: h^L = a^L x, so ∂h^L/∂x = a^L."""

    name = "jacobian-chain"
    title = "A chain of scalar layers"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        a = rng.choice([v for v in (0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 1.2, 1.3, 1.5)])
        return {"a": a, "layers": rng.randint(3, 12), "x": rng.choice([1, 2, 3, -1, -2])}

    def render(self, p: dict[str, Any]) -> Variant:
        a, depth, x = p["a"], p["layers"], p["x"]
        grad = 1.0
        for _ in range(depth):
            grad *= a
        h = grad * x
        prompt = (
            f"A network of {depth} scalar layers computes $h^0 = x$ and "
            f"$h^{{\\ell}} = a\\,h^{{\\ell-1}}$ with $a = {num(a)}$. For the input $x = {num(x)}$ "
            f"give the output $h^{{{depth}}}$ and the derivative "
            f"$\\partial h^{{{depth}}} / \\partial x$ (3 significant figures)."
        )
        trend = "shrinks towards 0 (vanishing)" if a < 1 else "grows without bound (exploding)"
        solution = (
            f"1. Unrolled, $h^{{{depth}}} = a^{{{depth}}} x$: each layer multiplies by $a$.\n"
            f"2. $a^{{{depth}}} = {num(a)}^{{{depth}}} \\approx {sig(grad)}$, so "
            f"$h^{{{depth}}} \\approx {sig(grad)} \\cdot {paren(x)} = {sig(h)}$.\n"
            f"3. The derivative is the product of the layers' derivatives: "
            f"$\\partial h^{{{depth}}}/\\partial x = a^{{{depth}}} \\approx {sig(grad)}$. "
            f"With more layers it {trend}.\n"
        )
        answer = {"h": h, "grad": grad}
        fields = [
            Field("h", f"$h^{{{depth}}}$"),
            Field("grad", f"$\\partial h^{{{depth}}}/\\partial x$"),
        ]
        return Variant(
            prompt, fields, answer, {k: relative(v) for k, v in answer.items()}, solution, p
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        grad = math.exp(p["layers"] * math.log(p["a"]))
        return {"h": grad * p["x"], "grad": grad}


@register
class GradientDecay(Generator):
    """The card's first practice problem: a per-layer factor compounded over L layers."""

    name = "gradient-decay"
    title = "Gradient scale through many layers"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        vanishing = rng.random() < 0.7
        factor = decimal(rng, 0.5, 0.98, 2) if vanishing else decimal(rng, 1.05, 1.5, 2)
        return {"factor": factor, "layers": rng.choice([5, 8, 10, 12, 16, 20, 24, 32, 48])}

    def render(self, p: dict[str, Any]) -> Variant:
        f, depth = p["factor"], p["layers"]
        scale = 1.0
        for _ in range(depth):
            scale *= f
        prompt = (
            f"Each of the {depth} layers of a network scales a backward gradient by about "
            f"{num(f)} (its Jacobian's typical gain). Roughly what fraction of the output's "
            "gradient size reaches the input? Give 3 significant figures."
        )
        verdict = (
            "the gradient vanishes: the first layers learn slowly"
            if f < 1
            else "the gradient explodes: updates to the first layers blow up"
        )
        solution = (
            f"The factors multiply: ${num(f)}^{{{depth}}} \\approx {sig(scale)}$. "
            f"So {verdict}. Residual connections, normalisation or a better initialisation "
            "bring the per-layer factor closer to 1.\n"
        )
        return Variant(
            prompt,
            [Field("scale", "gradient scale")],
            {"scale": scale},
            {"scale": relative(scale)},
            solution,
            p,
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        return {"scale": float(np.prod(np.full(p["layers"], p["factor"])))}
