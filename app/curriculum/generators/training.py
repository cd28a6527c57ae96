"""Training by hand: Adam and momentum steps, label smoothing, dropout, gradient clipping."""

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
    num,
    paren,
    register,
    relative,
)

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@register
class AdamStep(Generator):
    """Two Adam steps on one scalar weight from given gradients."""

    name = "adam-step"
    title = "Adam by hand"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        grads = [rng.choice([-1, 1]) * decimal(rng, 0.2, 2.0) for _ in range(2)]
        return {"theta": decimal(rng, -2.0, 2.0), "grads": grads, "lr": rng.choice([0.1, 0.01])}

    def render(self, p: dict[str, Any]) -> Variant:
        theta, lr = p["theta"], p["lr"]
        m = v = 0.0
        lines = []
        for t, g in enumerate(p["grads"], start=1):
            m = BETA1 * m + (1 - BETA1) * g
            v = BETA2 * v + (1 - BETA2) * g * g
            m_hat = m / (1 - BETA1**t)
            v_hat = v / (1 - BETA2**t)
            step = lr * m_hat / (math.sqrt(v_hat) + EPS)
            theta -= step
            lines.append(
                f"{t}. $g_{t} = {num(g)}$: $m_{t} = {fixed(m, 5)}$, $v_{t} = {fixed(v, 6)}$; "
                f"$\\hat m_{t} = m_{t}/(1-0.9^{t}) = {fixed(m_hat, 5)}$, "
                f"$\\hat v_{t} = v_{t}/(1-0.999^{t}) = {fixed(v_hat, 5)}$; the step is "
                f"${num(lr)} \\cdot {paren(round(m_hat, 4))}/\\sqrt{{{fixed(v_hat, 4)}}} "
                f"= {fixed(step, 5)}$"
                f", so $\\theta_{t} = {fixed(theta, 5)}$.\n"
            )
        prompt = (
            f"Adam ($\\beta_1 = 0.9$, $\\beta_2 = 0.999$, $\\epsilon = 10^{{-8}}$, learning rate "
            f"{num(lr)}) updates one weight $\\theta_0 = {num(p['theta'])}$, starting from "
            f"$m_0 = v_0 = 0$. The gradients of the first two steps are "
            f"$g_1 = {num(p['grads'][0])}$ and $g_2 = {num(p['grads'][1])}$. After step 2, give "
            "$m_2$, $v_2$ (3 significant figures) and $\\theta_2$ (4 decimals)."
        )
        solution = (
            "Each step: $m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t$, "
            "$v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2$, bias-corrected "
            "$\\hat m_t = m_t/(1-\\beta_1^t)$, $\\hat v_t = v_t/(1-\\beta_2^t)$, then "
            "$\\theta_t = \\theta_{t-1} - \\eta\\,\\hat m_t/(\\sqrt{\\hat v_t} + \\epsilon)$.\n\n"
            + "".join(lines)
            + "\nThe first step always moves by about the learning rate, whatever the "
            "gradient's size: Adam's steps are scaled per weight.\n"
        )
        answer = {"m": m, "v": v, "theta": theta}
        fields = [Field("m", "$m_2$"), Field("v", "$v_2$"), Field("theta", "$\\theta_2$")]
        tolerance = {"m": relative(m), "v": relative(v), "theta": 2e-4}
        return Variant(prompt, fields, answer, tolerance, solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        g = np.array(p["grads"], float)
        theta = p["theta"]
        m = v = 0.0
        for t in range(1, len(g) + 1):
            # closed forms of the running averages after t steps
            m = float((1 - BETA1) * np.dot(BETA1 ** np.arange(t - 1, -1, -1), g[:t]))
            v = float((1 - BETA2) * np.dot(BETA2 ** np.arange(t - 1, -1, -1), g[:t] ** 2))
            theta -= p["lr"] * (m / (1 - BETA1**t)) / (np.sqrt(v / (1 - BETA2**t)) + EPS)
        return {"m": m, "v": v, "theta": float(theta)}


@register
class MomentumSteps(Generator):
    """SGD with momentum for k steps on f(θ) = a θ² / 2."""

    name = "momentum-steps"
    title = "Momentum by hand"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "a": rng.choice([1, 2, 4]),
            "lr": rng.choice([0.05, 0.1, 0.2]),
            "mu": rng.choice([0.5, 0.8, 0.9]),
            "theta": rng.choice([-2, -1, 1, 2, 3]),
            "steps": rng.choice([2, 3]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        a, lr, mu, theta, k = p["a"], p["lr"], p["mu"], p["theta"], p["steps"]
        v = 0.0
        lines = []
        for t in range(1, k + 1):
            before = theta
            g = a * theta
            v = mu * v + g
            theta = theta - lr * v
            lines.append(
                f"{t}. $g = {num(a)} \\cdot {paren(before, 5)} = {fixed(g, 4)}$, "
                f"$v_{t} = {fixed(v, 4)}$, $\\theta_{t} = {fixed(theta, 4)}$.\n"
            )
        prompt = (
            f"Minimise $f(\\theta) = \\tfrac{{{num(a)}}}{{2}}\\theta^2$ (gradient "
            f"${num(a) if a != 1 else ''}\\theta$) from $\\theta_0 = {num(p['theta'])}$ with "
            "SGD and momentum, "
            f"learning rate $\\eta = {num(lr)}$ and momentum $\\mu = {num(mu)}$, written as "
            "$v_t = \\mu v_{t-1} + \\nabla f(\\theta_{t-1})$, "
            "$\\theta_t = \\theta_{t-1} - \\eta v_t$, with $v_0 = 0$. "
            f"Give $v_{k}$ and $\\theta_{k}$ (3 decimals)."
        )
        solution = "".join(lines) + (
            "\nThe velocity keeps part of every past gradient, so the steps grow while the "
            "gradients agree.\n"
        )
        answer = {"v": v, "theta": theta}
        fields = [Field("v", f"$v_{k}$"), Field("theta", f"$\\theta_{k}$")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        a, lr, mu = p["a"], p["lr"], p["mu"]
        # the state (θ, v) evolves linearly: v' = μv + aθ, θ' = θ − η v'
        step = np.array([[1 - lr * a, -lr * mu], [a, mu]])
        theta, v = np.linalg.matrix_power(step, p["steps"]) @ np.array([p["theta"], 0.0])
        return {"v": float(v), "theta": float(theta)}


@register
class LabelSmoothing(Generator):
    """Label-smoothed targets, and the smallest cross-entropy they allow."""

    name = "label-smoothing"
    title = "Label smoothing"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "classes": rng.choice([3, 4, 5, 10]),
            "eps": rng.choice([0.05, 0.1, 0.15, 0.2, 0.3]),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        k, eps = p["classes"], p["eps"]
        off = eps / k
        on = 1 - eps + off
        floor = -(on * math.log(on) + (k - 1) * off * math.log(off))
        prompt = (
            f"A {k}-class classifier is trained with label smoothing $\\varepsilon = {num(eps)}$: "
            "the target is $(1 - \\varepsilon)$ times the one-hot label plus $\\varepsilon/K$ "
            "on every class. Give the target for the true class and for each other class "
            "(4 decimals), and the smallest cross-entropy any prediction can reach against "
            "this target (natural log, 3 decimals)."
        )
        solution = (
            f"1. Other classes: $\\varepsilon/K = {num(eps)}/{k} = {fixed(off, 4)}$.\n"
            f"2. True class: $1 - {num(eps)} + {fixed(off, 4)} = {fixed(on, 4)}$.\n"
            "3. Cross-entropy is smallest when the prediction equals the target; it is then the "
            f"target's entropy: $-({fixed(on, 4)}\\log {fixed(on, 4)} + {k - 1} \\cdot "
            f"{fixed(off, 4)}\\log {fixed(off, 4)}) \\approx {fixed(floor)}$. The loss never "
            "pushes logits to infinity.\n"
        )
        answer = {"on": on, "off": off, "min_loss": floor}
        fields = [
            Field("on", "true class"),
            Field("off", "each other class"),
            Field("min_loss", "smallest loss"),
        ]
        return Variant(
            prompt, fields, answer, {"on": 1e-4, "off": 1e-4, "min_loss": 0.002}, solution, p
        )

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        k, eps = p["classes"], p["eps"]
        target = (1 - eps) * np.eye(k)[0] + eps / k
        return {
            "on": float(target[0]),
            "off": float(target[1]),
            "min_loss": float(-(target * np.log(target)).sum()),
        }


@register
class DropoutScaling(Generator):
    """Inverted dropout: the scale of kept units and the output for one mask."""

    name = "dropout-scaling"
    title = "Inverted dropout"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        while True:
            mask = [rng.randint(0, 1) for _ in range(5)]
            if 0 < sum(mask) < 5:
                break
        h = [decimal(rng, 0.5, 4.0) for _ in range(5)]
        unit = rng.choice([i for i in range(5) if mask[i]])
        return {"p": rng.choice([0.1, 0.2, 0.25, 0.5]), "h": h, "mask": mask, "unit": unit}

    def render(self, p: dict[str, Any]) -> Variant:
        drop, h, mask, unit = p["p"], p["h"], p["mask"], p["unit"]
        scale = 1 / (1 - drop)
        y = [h[i] * scale if mask[i] else 0.0 for i in range(5)]
        total = sum(y)
        prompt = (
            f"During training, inverted dropout drops each unit with probability $p = {num(drop)}$ "
            "and scales the kept ones so that the expected output is unchanged. The layer's "
            f"activations are $({', '.join(num(v) for v in h)})$ and this step's mask keeps "
            f"units {', '.join(str(i + 1) for i in range(5) if mask[i])}. Give the scale factor, "
            f"unit {unit + 1}'s output and the sum of all five outputs (3 decimals)."
        )
        solution = (
            f"1. Scale: $1/(1 - {num(drop)}) = {fixed(scale, 4)}$.\n"
            f"2. Unit {unit + 1}: ${num(h[unit])} \\cdot {fixed(scale, 4)} = {fixed(y[unit])}$.\n"
            f"3. Dropped units give 0; the sum is ${' + '.join(fixed(v) for v in y)} = "
            f"{fixed(total)}$.\n\nOn average over masks each unit keeps its value "
            "($(1-p) \\cdot h/(1-p) = h$), so at test time the layer runs unchanged.\n"
        )
        answer = {"scale": scale, "y": y[unit], "total": total}
        fields = [
            Field("scale", "scale"),
            Field("y", f"unit {unit + 1}'s output"),
            Field("total", "sum of outputs"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        keep = np.array(p["mask"], float)
        y = np.array(p["h"]) * keep / (1 - p["p"])
        return {
            "scale": float(np.divide(1.0, 1 - p["p"])),
            "y": float(y[p["unit"]]),
            "total": float(y.sum()),
        }


@register
class ClipGradient(Generator):
    """Clip a gradient vector by its norm and by value."""

    name = "clip-gradient"
    title = "Gradient clipping"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        while True:
            g = [rng.randint(-6, 6) for _ in range(3)]
            threshold = rng.choice([1, 2, 3, 5])
            if math.sqrt(sum(v * v for v in g)) > threshold and any(abs(v) > threshold for v in g):
                break
        return {"g": g, "threshold": threshold, "index": rng.randrange(3)}

    def render(self, p: dict[str, Any]) -> Variant:
        g, c, k = p["g"], p["threshold"], p["index"]
        norm = math.sqrt(sum(v * v for v in g))
        by_norm = g[k] * c / norm
        by_value = max(-c, min(c, g[k]))
        prompt = (
            f"A gradient is $\\mathbf{{g}} = ({', '.join(num(v) for v in g)})$ and the clipping "
            f"threshold is {c}. Give $\\lVert\\mathbf{{g}}\\rVert$, then component {k + 1} of "
            f"$\\mathbf{{g}}$ after clipping by norm (rescale to norm {c} if larger) and after "
            f"clipping by value (each component into $[-{c}, {c}]$). 3 decimals."
        )
        squares = " + ".join(f"{paren(v)}^2" for v in g)
        solution = (
            f"1. $\\lVert\\mathbf{{g}}\\rVert = \\sqrt{{{squares}}} = "
            f"\\sqrt{{{sum(v * v for v in g)}}} \\approx {fixed(norm)}$.\n"
            f"2. By norm: every component is multiplied by ${c}/{fixed(norm)}$, so component "
            f"{k + 1} becomes ${paren(g[k])} \\cdot {c}/{fixed(norm)} \\approx {fixed(by_norm)}$; "
            "the direction is kept.\n"
            f"3. By value: ${num(g[k])}$ clamped into $[-{c}, {c}]$ is ${num(by_value)}$; large "
            "components are cut, so the direction can change.\n"
        )
        answer = {"norm": norm, "by_norm": by_norm, "by_value": float(by_value)}
        fields = [
            Field("norm", "$\\lVert\\mathbf{g}\\rVert$"),
            Field("by_norm", f"component {k + 1}, by norm"),
            Field("by_value", f"component {k + 1}, by value"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        g = np.array(p["g"], float)
        norm = float(np.linalg.norm(g))
        clipped = g * min(1.0, p["threshold"] / norm)
        value = np.clip(g, -p["threshold"], p["threshold"])
        return {
            "norm": norm,
            "by_norm": float(clipped[p["index"]]),
            "by_value": float(value[p["index"]]),
        }
