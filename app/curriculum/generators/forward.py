"""Forward passes by hand: a 2-layer ReLU net, softmax, cross-entropy, log-sum-exp."""

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
    sigmoid,
    vector,
)


@register
class ReluForward(Generator):
    """A 2-layer ReLU network's logit and probability for one input (whole-number weights)."""

    name = "relu-forward"
    title = "Forward pass of a 2-layer ReLU network"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        while True:
            x = [rng.randint(-2, 2) for _ in range(2)]
            w1 = [[rng.randint(-2, 2) for _ in range(2)] for _ in range(3)]
            b1 = [rng.randint(-1, 1) for _ in range(3)]
            z = [w1[i][0] * x[0] + w1[i][1] * x[1] + b1[i] for i in range(3)]
            # the point of the exercise: some units pass their input, some are cut at 0
            if any(v > 0 for v in z) and any(v < 0 for v in z) and x != [0, 0]:
                break
        w2 = [rng.choice([-2, -1, 1, 2]) for _ in range(3)]
        return {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": rng.randint(-1, 1)}

    def render(self, p: dict[str, Any]) -> Variant:
        x, w1, b1, w2, b2 = p["x"], p["w1"], p["b1"], p["w2"], p["b2"]
        z = [w1[i][0] * x[0] + w1[i][1] * x[1] + b1[i] for i in range(3)]
        h = [max(0, v) for v in z]
        s = sum(w2[i] * h[i] for i in range(3)) + b2
        prob = sigmoid(s)
        prompt = (
            f"A network takes $\\mathbf{{x}} = {vector(x)}$ and computes "
            "$\\mathbf{h} = \\mathrm{ReLU}(W^1\\mathbf{x} + \\mathbf{b}^1)$, then the logit "
            "$s = \\mathbf{w}^2 \\cdot \\mathbf{h} + b^2$ and $\\hat{y} = \\sigma(s)$, with\n\n"
            f"$$W^1 = {matrix(w1)},\\quad \\mathbf{{b}}^1 = {vector(b1)},\\quad "
            f"\\mathbf{{w}}^2 = {vector(w2)},\\quad b^2 = {num(b2)}.$$\n\n"
            "Give the logit $s$ and the probability $\\hat{y}$ (3 decimals)."
        )
        rows = [
            f"{paren(w1[i][0])}\\cdot{paren(x[0])} + {paren(w1[i][1])}\\cdot{paren(x[1])} "
            f"+ {paren(b1[i])} = {num(z[i])}"
            for i in range(3)
        ]
        products = " + ".join(f"{paren(w2[i])}\\cdot{num(h[i])}" for i in range(3))
        solution = (
            "1. Pre-activations, one row of $W^1$ at a time:\n"
            + "".join(f"   - $z_{i + 1} = {row}$\n" for i, row in enumerate(rows))
            + f"2. ReLU keeps the positive ones: $\\mathbf{{h}} = {vector(h)}$.\n"
            f"3. Logit: $s = {products} + {paren(b2)} = {num(s)}$.\n"
            f"4. Probability: $\\hat{{y}} = 1/(1 + e^{{{-s}}}) \\approx {fixed(prob)}$.\n"
        )
        return Variant(
            prompt,
            [Field("s", "logit $s$"), Field("p", "probability $\\hat{y}$")],
            {"s": float(s), "p": prob},
            {"s": 0.001, "p": 0.002},
            solution,
            p,
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        h = np.maximum(np.array(p["w1"], float) @ np.array(p["x"], float) + p["b1"], 0.0)
        s = float(np.dot(p["w2"], h) + p["b2"])
        return {"s": s, "p": float(np.exp(-np.logaddexp(0.0, -s)))}


def _softmax_np(z: list[float]) -> np.ndarray:
    logits = np.array(z, float)
    return np.exp(logits - np.logaddexp.reduce(logits))


def _logits(rng: random.Random) -> list[float]:
    while True:
        z = [decimal(rng, -2.0, 3.0) for _ in range(3)]
        if len(set(z)) == 3:
            return z


@register
class Softmax(Generator):
    """Softmax of three logits."""

    name = "softmax"
    title = "Softmax of three logits"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {"z": _logits(rng)}

    def render(self, p: dict[str, Any]) -> Variant:
        z = p["z"]
        e = [math.exp(v) for v in z]
        total = sum(e)
        probs = [v / total for v in e]
        prompt = (
            f"A classifier outputs the logits $\\mathbf{{z}} = ({', '.join(num(v) for v in z)})$. "
            "Compute $\\mathrm{softmax}(\\mathbf{z})_k = e^{z_k} / \\sum_j e^{z_j}$ for "
            "$k = 1, 2, 3$ (3 decimals)."
        )
        solution = (
            "1. Exponentiate: "
            + ", ".join(f"$e^{{{num(v)}}} \\approx {fixed(x, 4)}$" for v, x in zip(z, e))
            + ".\n"
            f"2. Sum: ${' + '.join(fixed(x, 4) for x in e)} \\approx {fixed(total, 4)}$.\n"
            "3. Divide each by the sum: "
            + ", ".join(f"$p_{k + 1} \\approx {fixed(q)}$" for k, q in enumerate(probs))
            + ". They add up to 1, and the largest logit gets the largest share.\n"
        )
        fields = [Field(f"p{k}", f"$p_{k}$") for k in (1, 2, 3)]
        answer = {f"p{k + 1}": q for k, q in enumerate(probs)}
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        return {f"p{k + 1}": float(q) for k, q in enumerate(_softmax_np(p["z"]))}


@register
class CrossEntropy(Generator):
    """Cross-entropy loss of three logits for a given label."""

    name = "cross-entropy"
    title = "Cross-entropy from logits"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {"z": _logits(rng), "label": rng.randint(1, 3)}

    def render(self, p: dict[str, Any]) -> Variant:
        z, y = p["z"], p["label"]
        e = [math.exp(v) for v in z]
        q = e[y - 1] / sum(e)
        loss = -math.log(q)
        prompt = (
            f"The logits are $\\mathbf{{z}} = ({', '.join(num(v) for v in z)})$ and the true "
            f"class is {y}. Compute the cross-entropy loss "
            "$\\mathrm{CE} = -\\log \\mathrm{softmax}(\\mathbf{z})_y$ (natural log, 3 decimals)."
        )
        solution = (
            "1. Exponentiate: "
            + ", ".join(f"$e^{{{num(v)}}} \\approx {fixed(x, 4)}$" for v, x in zip(z, e))
            + f"; their sum is $\\approx {fixed(sum(e), 4)}$.\n"
            f"2. The true class's probability: ${fixed(e[y - 1], 4)} / {fixed(sum(e), 4)} "
            f"\\approx {fixed(q, 4)}$.\n"
            f"3. $\\mathrm{{CE}} = -\\log {fixed(q, 4)} \\approx {fixed(loss)}$. "
            "The loss is small only when the true class's logit stands above the others.\n"
        )
        return Variant(
            prompt, [Field("loss", "loss")], {"loss": loss}, {"loss": 0.002}, solution, p
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        z = np.array(p["z"], float)
        return {"loss": float(np.logaddexp.reduce(z) - z[p["label"] - 1])}


@register
class LogSumExp(Generator):
    """log Σ e^{z_k} of logits so large that e^{z_k} overflows, by the shifted form."""

    name = "logsumexp"
    title = "Log-sum-exp of large logits"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        base = rng.choice([100, 200, 500, 800, 1000, 1200])
        offsets = rng.sample(range(-4, 1), 3)
        return {"z": [base + o for o in offsets]}

    def render(self, p: dict[str, Any]) -> Variant:
        z = p["z"]
        m = max(z)
        shifted = [math.exp(v - m) for v in z]
        value = m + math.log(sum(shifted))
        prompt = (
            f"Compute $\\log \\sum_k e^{{z_k}}$ for the logits $\\mathbf{{z}} = "
            f"({', '.join(num(v) for v in z)})$ (3 decimals). In float32, $e^{{{num(max(z))}}}$ "
            "overflows to infinity, so use the stable form."
        )
        solution = (
            f"1. Take out the largest logit $m = {num(m)}$: "
            f"$\\log \\sum_k e^{{z_k}} = m + \\log \\sum_k e^{{z_k - m}}$.\n"
            "2. The shifted exponents are "
            + ", ".join(f"$e^{{{num(v - m)}}} \\approx {fixed(s, 4)}$" for v, s in zip(z, shifted))
            + f"; their sum is $\\approx {fixed(sum(shifted), 4)}$, with no overflow.\n"
            f"3. ${num(m)} + \\log {fixed(sum(shifted), 4)} \\approx {fixed(value)}$.\n"
        )
        return Variant(
            prompt,
            [Field("lse", "$\\log\\sum e^{z_k}$")],
            {"lse": value},
            {"lse": 0.002},
            solution,
            p,
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        return {"lse": float(np.logaddexp.reduce(np.array(p["z"], float)))}
