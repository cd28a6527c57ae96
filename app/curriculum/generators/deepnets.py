"""Keeping deep nets trainable: variance through layers, initialisation, chains of
derivatives, residual blocks and normalisation layers."""

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
    fixed,
    matrix,
    num,
    paren,
    register,
    relative,
)


def sig(x: float) -> str:
    """A value to 4 significant figures (scientific notation when very large or small)."""
    if x != 0 and not 1e-3 <= abs(x) < 1e5:
        mantissa, exponent = f"{x:.3e}".split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return f"{x:.4g}"


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


def _quadratic(p: dict[str, Any], h: float) -> float:
    return p["a"] * h * h + p["c"] * h


@register
class ResidualJacobian(Generator):
    """A residual block h + F(h) has derivative 1 + F'(h); compounded over L blocks."""

    name = "residual-jacobian"
    title = "Why a skip connection keeps the gradient"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "a": rng.choice([-0.2, -0.15, -0.1, -0.05, 0.05, 0.1, 0.15, 0.2]),
            "c": decimal(rng, -0.3, 0.3),
            "h": decimal(rng, -1.0, 1.0),
            "layers": rng.choice([10, 20, 48]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        a, c, h, depth = p["a"], p["c"], p["h"], p["layers"]
        d_plain = 2 * a * h + c
        d_res = 1 + d_plain
        g_plain, g_res = 1.0, 1.0
        for _ in range(depth):
            g_plain *= d_plain
            g_res *= d_res
        prompt = (
            f"A block computes $F(h) = {num(a)}\\,h^2 + {paren(c)}\\,h$. At $h = {num(h)}$ give "
            "(3 significant figures):\n\n"
            "1. the derivative of the plain block $h \\mapsto F(h)$;\n"
            "2. the derivative of the residual block $h \\mapsto h + F(h)$;\n"
            f"3. and 4. the gradient factor through {depth} such blocks in a row, plain and "
            "residual, if every block had this same local derivative."
        )
        solution = (
            f"1. $F'(h) = 2 \\cdot {paren(a)} \\cdot {paren(h)} + {paren(c)} = {sig(d_plain)}$.\n"
            f"2. The skip adds the identity: $1 + F'(h) = {sig(d_res)}$.\n"
            f"3. Plain: $({sig(d_plain)})^{{{depth}}} \\approx {sig(g_plain)}$.\n"
            f"4. Residual: $({sig(d_res)})^{{{depth}}} \\approx {sig(g_res)}$.\n\n"
            "Without the skip the product collapses towards 0 whenever $|F'| < 1$. With it, "
            "each factor is $1 + F'$: the gradient keeps its size while the blocks' own "
            "derivatives are small, which is why residual branches start out small.\n"
        )
        answer = {"d_plain": d_plain, "d_res": d_res, "g_plain": g_plain, "g_res": g_res}
        fields = [
            Field("d_plain", "$F'(h)$"),
            Field("d_res", "$1 + F'(h)$"),
            Field("g_plain", f"plain, {depth} blocks"),
            Field("g_res", f"residual, {depth} blocks"),
        ]
        tolerance = {
            k: max(relative(v), 1e-4 if k.startswith("d") else 1e-9) for k, v in answer.items()
        }
        return Variant(prompt, fields, answer, tolerance, solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        step = 1e-4  # a central difference is exact for a quadratic, up to rounding
        d = (_quadratic(p, p["h"] + step) - _quadratic(p, p["h"] - step)) / (2 * step)
        powers = np.power(np.array([d, 1 + d]), p["layers"])
        return {
            "d_plain": d,
            "d_res": 1 + d,
            "g_plain": float(powers[0]),
            "g_res": float(powers[1]),
        }


@register
class NormOutput(Generator):
    """BatchNorm, LayerNorm and RMSNorm of one entry of a small batch (γ = 1, β = 0, ε = 0)."""

    name = "norm-output"
    title = "BatchNorm, LayerNorm and RMSNorm by hand"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        while True:
            x = [[rng.randint(-3, 4) for _ in range(3)] for _ in range(3)]
            i, j = rng.randrange(3), rng.randrange(3)
            column = [row[j] for row in x]
            if len(set(column)) > 1 and len(set(x[i])) > 1:
                return {"x": x, "row": i, "col": j}

    def render(self, p: dict[str, Any]) -> Variant:
        x, i, j = p["x"], p["row"], p["col"]
        value = x[i][j]
        column = [row[j] for row in x]
        mu_b = sum(column) / 3
        var_b = sum((v - mu_b) ** 2 for v in column) / 3
        bn = (value - mu_b) / math.sqrt(var_b)
        mu_l = sum(x[i]) / 3
        var_l = sum((v - mu_l) ** 2 for v in x[i]) / 3
        ln = (value - mu_l) / math.sqrt(var_l)
        ms = sum(v * v for v in x[i]) / 3
        rms = value / math.sqrt(ms)
        prompt = (
            "A batch of 3 examples (rows) with 3 features (columns) reaches a normalisation "
            f"layer:\n\n$$X = {matrix(x)}$$\n\n"
            f"Take the entry in row {i + 1}, column {j + 1} ($x = {num(value)}$). With "
            "$\\gamma = 1$, $\\beta = 0$, $\\epsilon = 0$ and variances divided by the count "
            "(not count − 1), what does it become under BatchNorm (statistics over the batch, "
            "per feature), LayerNorm (over the features, per example) and RMSNorm (divide by "
            "the root mean square of the example's features)? Give 3 decimals."
        )
        solution = (
            f"1. BatchNorm uses column {j + 1}, $({', '.join(num(v) for v in column)})$: mean "
            f"${fixed(mu_b)}$, variance ${fixed(var_b)}$, so "
            f"$({num(value)} - {fixed(mu_b)})/\\sqrt{{{fixed(var_b)}}} \\approx {fixed(bn)}$.\n"
            f"2. LayerNorm uses row {i + 1}, $({', '.join(num(v) for v in x[i])})$: mean "
            f"${fixed(mu_l)}$, variance ${fixed(var_l)}$, so "
            f"$({num(value)} - {fixed(mu_l)})/\\sqrt{{{fixed(var_l)}}} \\approx {fixed(ln)}$.\n"
            f"3. RMSNorm skips the mean: the row's mean square is ${fixed(ms)}$, so "
            f"${num(value)}/\\sqrt{{{fixed(ms)}}} \\approx {fixed(rms)}$.\n"
        )
        answer = {"bn": bn, "ln": ln, "rms": rms}
        fields = [Field("bn", "BatchNorm"), Field("ln", "LayerNorm"), Field("rms", "RMSNorm")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        x = np.array(p["x"], float)
        i, j = p["row"], p["col"]
        column, row = x[:, j], x[i]  # BatchNorm: over the batch; the others: over features
        bn = (column - column.mean()) / column.std()
        ln = (row - row.mean()) / row.std()
        rms = row / np.sqrt(np.mean(row**2))
        return {"bn": float(bn[i]), "ln": float(ln[j]), "rms": float(rms[j])}
