"""Residual blocks and normalisation layers by hand."""

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
    sig,
)


def _signed(x: float) -> str:
    """A logarithm for a product in a worked solution, in parentheses when negative."""
    text = fixed(x, 5)
    return f"({text})" if x < 0 else text


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
class ResidualStack(Generator):
    """The card's hard practice problem with numbers: a deep stack of blocks with and without
    the shortcut, measured in orders of magnitude of the gradient."""

    name = "residual-stack"
    title = "Removing the shortcuts from a deep stack"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        small = decimal(rng, 0.01, 0.1, 2)
        return {
            "layers": rng.randint(24, 64),
            "small": small if rng.random() < 0.7 else -small,
            "large": decimal(rng, 0.3, 0.9, 1),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        depth, g, big = p["layers"], p["small"], p["large"]
        log_g = math.log10(abs(g))
        log_res = math.log10(1 + g)
        log_big = math.log10(1 + big)
        plain, res, large = depth * log_g, depth * log_res, depth * log_big
        prompt = (
            f"Take a stack of {depth} Transformer blocks and follow one direction through it, "
            "so that each block's Jacobian acts as a single number. Each block's own function "
            f"$F$ has derivative $F'(h) = {num(g)}$ along it, as after a small initialisation. "
            "Give each gradient's size as a power of ten, $\\log_{10}$ of "
            "$|\\partial h^{L}/\\partial h^{0}|$, to 2 decimals (round only at the end):\n\n"
            "1. with the residual connections removed, $h^{\\ell+1} = F(h^\\ell)$;\n"
            "2. with them, $h^{\\ell+1} = h^\\ell + F(h^\\ell)$;\n"
            f"3. with them, but blocks whose derivative has grown to $F'(h) = {num(big)}$."
        )
        solution = (
            f"1. Plain, each factor is $|F'| = {num(abs(g))}$: "
            f"${depth} \\cdot \\log_{{10}} {num(abs(g))} = {depth} \\cdot {_signed(log_g)} "
            f"\\approx {fixed(plain, 2)}$. The gradient that reaches the first block is about "
            f"${sig(10**plain)}$ times the last one's: it has vanished.\n"
            f"2. The shortcut adds the identity, so each factor is "
            f"$1 + {paren(g)} = {num(1 + g)}$: "
            f"${depth} \\cdot \\log_{{10}} {num(1 + g)} = {depth} \\cdot {_signed(log_res)} "
            f"\\approx {fixed(res, 2)}$: a total factor of ${sig(10**res)}$, against "
            f"${sig(10**plain)}$ without the shortcut.\n"
            f"3. With $1 + {num(big)} = {num(1 + big)}$ per block: "
            f"${depth} \\cdot \\log_{{10}} {num(1 + big)} = {depth} \\cdot {fixed(log_big, 5)} "
            f"\\approx {fixed(large, 2)}$: the shortcut alone does not stop the gradient "
            "from growing.\n\n"
            "Without the shortcut the product of Jacobians has to stay near 1 by itself, and "
            f"over {depth} blocks any factor away from 1 compounds geometrically. With it, the "
            "factor stays near 1 as long as each block changes its input little; normalisation, "
            "a scaled-down initialisation of each block's output, a warm-up and clipping are "
            "ways to keep it so.\n"
        )
        answer = {"plain": plain, "residual": res, "large": large}
        fields = [
            Field("plain", "$\\log_{10}$ gradient, no shortcuts"),
            Field("residual", "$\\log_{10}$ gradient, with shortcuts"),
            Field("large", f"$\\log_{{10}}$ gradient, shortcuts and $F' = {num(big)}$"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.02), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        # multiply the per-block factors out, then take the logarithm of the product
        factors = np.array([p["small"], 1 + p["small"], 1 + p["large"]])
        products = np.prod(np.tile(factors, (p["layers"], 1)), axis=0)
        plain, res, large = np.log10(np.abs(products))
        return {"plain": float(plain), "residual": float(res), "large": float(large)}


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
