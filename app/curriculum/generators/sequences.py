"""Recurrent networks by hand: unrolling, gradients through time, LSTM and GRU steps."""

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
    sigmoid,
)


def _weight(rng: random.Random, lo: float = -1.0, hi: float = 1.0) -> float:
    """A one-decimal weight other than 0."""
    while True:
        w = decimal(rng, lo, hi)
        if w != 0:
            return w


def _np_tanh(z: float) -> float:
    """tanh by its exponential form, (e^{2z} − 1)/(e^{2z} + 1), in NumPy."""
    e = np.exp(2 * z)
    return float((e - 1) / (e + 1))


@register
class RnnUnroll(Generator):
    """Three steps of a scalar tanh RNN."""

    name = "rnn-unroll"
    title = "Unrolling a recurrent network"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "w_h": _weight(rng),
            "w_x": _weight(rng),
            "b": decimal(rng, -0.5, 0.5),
            "x": [rng.choice([-2, -1, 1, 2]) for _ in range(3)],
        }

    def render(self, p: dict[str, Any]) -> Variant:
        wh, wx, b, xs = p["w_h"], p["w_x"], p["b"], p["x"]
        h = 0.0
        hs = []
        lines = []
        for t, x in enumerate(xs, start=1):
            z = wh * h + wx * x + b
            lines.append(
                f"{t}. $z_{t} = {num(wh)}\\cdot{paren(round(h, 4))} + "
                f"{paren(wx)}\\cdot{paren(x)} + {paren(b)} = {fixed(z, 4)}$, "
                f"$h_{t} = \\tanh({fixed(z, 4)}) = {fixed(math.tanh(z), 4)}$.\n"
            )
            h = math.tanh(z)
            hs.append(h)
        prompt = (
            "A recurrent network with one hidden unit updates "
            "$h_t = \\tanh(w_h h_{t-1} + w_x x_t + b)$ with "
            f"$w_h = {num(wh)}$, $w_x = {num(wx)}$, $b = {num(b)}$ and $h_0 = 0$. The inputs are "
            f"$x_1, x_2, x_3 = {', '.join(num(x) for x in xs)}$. Give $h_1$, $h_2$ and $h_3$ "
            "(3 decimals)."
        )
        solution = (
            "The same weights serve every step; only the state and the input change.\n\n"
            + "".join(lines)
            + "\n$h_3$ carries a trace of every earlier input through the recurrence.\n"
        )
        answer = {f"h{t}": v for t, v in enumerate(hs, start=1)}
        fields = [Field(f"h{t}", f"$h_{t}$") for t in (1, 2, 3)]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        h = 0.0
        out = {}
        for t, x in enumerate(p["x"], start=1):
            h = _np_tanh(p["w_h"] * h + p["w_x"] * x + p["b"])
            out[f"h{t}"] = h
        return out


@register
class BpttGradient(Generator):
    """∂h_T/∂h_0 and ∂h_T/∂w of a scalar tanh RNN over three steps."""

    name = "bptt-gradient"
    title = "Backpropagation through time"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "w": decimal(rng, 0.5, 1.5),
            "u": _weight(rng),
            "h0": decimal(rng, -0.5, 0.5),
            "x": [rng.choice([-1, 1]) for _ in range(3)],
        }

    def render(self, p: dict[str, Any]) -> Variant:
        w, u, xs = p["w"], p["u"], p["x"]
        hs = [p["h0"]]
        for x in xs:
            hs.append(math.tanh(w * hs[-1] + u * x))
        # backward: δ = ∂h_T/∂h_t, from t = T down to 0
        delta, dw = 1.0, 0.0
        lines = []
        for t in range(len(xs), 0, -1):
            slope = 1 - hs[t] ** 2
            dw += delta * slope * hs[t - 1]
            lines.append(
                f"- step {t}: $1 - h_{t}^2 = {fixed(slope, 4)}$; adds "
                f"${fixed(delta, 4)}\\cdot{fixed(slope, 4)}\\cdot{paren(round(hs[t - 1], 4))}$ "
                f"to $\\partial h_3/\\partial w$; $\\delta_{t - 1} = {fixed(delta, 4)}\\cdot"
                f"{fixed(slope, 4)}\\cdot{num(w)} = {fixed(delta * slope * w, 4)}$.\n"
            )
            delta *= slope * w
        prompt = (
            "A scalar recurrent network computes $h_t = \\tanh(w\\,h_{t-1} + u\\,x_t)$ with "
            f"$w = {num(w)}$, $u = {num(u)}$, $h_0 = {num(p['h0'])}$ and inputs "
            f"$x_1, x_2, x_3 = {', '.join(num(x) for x in xs)}$. Give $h_3$, "
            "$\\partial h_3/\\partial h_0$ and $\\partial h_3/\\partial w$ (3 decimals; $w$ is "
            "shared by all three steps)."
        )
        solution = (
            "1. Forward: "
            + ", ".join(f"$h_{t} = {fixed(h, 4)}$" for t, h in enumerate(hs[1:], start=1))
            + ".\n"
            "2. Backward, with $\\delta_t = \\partial h_3/\\partial h_t$ starting at "
            "$\\delta_3 = 1$: each step multiplies by $w(1 - h_t^2)$, and each step's use of "
            "$w$ adds $\\delta_t (1 - h_t^2) h_{t-1}$ to the weight's gradient.\n"
            + "".join(lines)
            + f"3. $\\partial h_3/\\partial h_0 = \\delta_0 \\approx {fixed(delta)}$ and "
            f"$\\partial h_3/\\partial w \\approx {fixed(dw)}$. Over long sequences the product "
            "of factors $w(1-h_t^2)$ shrinks or grows geometrically.\n"
        )
        answer = {"h": hs[-1], "dh0": delta, "dw": dw}
        fields = [
            Field("h", "$h_3$"),
            Field("dh0", "$\\partial h_3/\\partial h_0$"),
            Field("dw", "$\\partial h_3/\\partial w$"),
        ]
        tolerance = {k: max(relative(v), 0.002) for k, v in answer.items()}
        return Variant(prompt, fields, answer, tolerance, solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        # forward-mode derivatives carried along with the state (no backward pass)
        w, u = p["w"], p["u"]
        h, dh_dh0, dh_dw = p["h0"], 1.0, 0.0
        for x in p["x"]:
            new = _np_tanh(w * h + u * x)
            slope = 1 - new * new
            dh_dh0 = slope * w * dh_dh0
            dh_dw = slope * (h + w * dh_dw)
            h = new
        return {"h": h, "dh0": dh_dh0, "dw": dh_dw}


GATES = ("i", "f", "g", "o")


@register
class LstmStep(Generator):
    """One step of an LSTM with a single unit."""

    name = "lstm-step"
    title = "One LSTM step"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "w_x": {g: decimal(rng, -1.0, 1.0) for g in GATES},
            "w_h": {g: decimal(rng, -1.0, 1.0) for g in GATES},
            "b": {g: decimal(rng, -0.5, 0.5) for g in GATES},
            "x": rng.choice([-1, 1, 2]),
            "h": decimal(rng, -0.8, 0.8),
            "c": decimal(rng, -1.0, 1.0),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        x, h, c = p["x"], p["h"], p["c"]
        z = {g: p["w_x"][g] * x + p["w_h"][g] * h + p["b"][g] for g in GATES}
        i, f, o = sigmoid(z["i"]), sigmoid(z["f"]), sigmoid(z["o"])
        cand = math.tanh(z["g"])
        c_new = f * c + i * cand
        h_new = o * math.tanh(c_new)
        table = "| gate | $w_x$ | $w_h$ | $b$ |\n|---|---|---|---|\n" + "".join(
            f"| {name} | {num(p['w_x'][g])} | {num(p['w_h'][g])} | {num(p['b'][g])} |\n"
            for g, name in zip(GATES, ("input $i$", "forget $f$", "candidate $g$", "output $o$"))
        )
        prompt = (
            "An LSTM with one unit has these weights:\n\n"
            + table
            + f"\nwith $x_t = {num(x)}$, $h_{{t-1}} = {num(h)}$, $c_{{t-1}} = {num(c)}$. "
            "Gates $i, f, o = \\sigma(w_x x_t + w_h h_{t-1} + b)$, candidate "
            "$g = \\tanh(w_x x_t + w_h h_{t-1} + b)$, then $c_t = f c_{t-1} + i g$ and "
            "$h_t = o \\tanh(c_t)$. Give $c_t$ and $h_t$ (3 decimals)."
        )
        solution = (
            "1. Pre-activations: " + ", ".join(f"$z_{g} = {fixed(z[g], 4)}$" for g in GATES) + ".\n"
            f"2. Gates: $i = \\sigma({fixed(z['i'], 4)}) = {fixed(i, 4)}$, "
            f"$f = {fixed(f, 4)}$, $o = {fixed(o, 4)}$; candidate $g = \\tanh({fixed(z['g'], 4)})"
            f" = {fixed(cand, 4)}$.\n"
            f"3. Cell: $c_t = {fixed(f, 4)}\\cdot{paren(c)} + {fixed(i, 4)}\\cdot"
            f"{paren(round(cand, 4))} = {fixed(c_new)}$.\n"
            f"4. Output: $h_t = {fixed(o, 4)}\\cdot\\tanh({fixed(c_new, 4)}) = {fixed(h_new)}$. "
            "The cell is updated by addition, which lets gradients pass through many steps.\n"
        )
        answer = {"c": c_new, "h": h_new}
        fields = [Field("c", "$c_t$"), Field("h", "$h_t$")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        weights = np.array([[p["w_x"][g], p["w_h"][g], p["b"][g]] for g in GATES])  # (4, 3)
        z = weights @ np.array([p["x"], p["h"], 1.0])  # (4,)
        i, f, g, o = (
            1 / (1 + np.exp(-z[0])),
            1 / (1 + np.exp(-z[1])),
            np.tanh(z[2]),
            1 / (1 + np.exp(-z[3])),
        )
        c = f * p["c"] + i * g
        return {"c": float(c), "h": float(o * np.tanh(c))}


GRU_GATES = ("r", "z", "n")


@register
class GruStep(Generator):
    """One step of a GRU with a single unit (PyTorch's convention)."""

    name = "gru-step"
    title = "One GRU step"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {
            "w_x": {g: decimal(rng, -1.0, 1.0) for g in GRU_GATES},
            "w_h": {g: decimal(rng, -1.0, 1.0) for g in GRU_GATES},
            "b": {g: decimal(rng, -0.5, 0.5) for g in GRU_GATES},
            "x": rng.choice([-1, 1, 2]),
            "h": decimal(rng, -0.8, 0.8),
        }

    def render(self, p: dict[str, Any]) -> Variant:
        wx, wh, b, x, h = p["w_x"], p["w_h"], p["b"], p["x"], p["h"]
        r = sigmoid(wx["r"] * x + wh["r"] * h + b["r"])
        z = sigmoid(wx["z"] * x + wh["z"] * h + b["z"])
        n = math.tanh(wx["n"] * x + r * (wh["n"] * h) + b["n"])
        h_new = (1 - z) * n + z * h
        table = "| | $w_x$ | $w_h$ | $b$ |\n|---|---|---|---|\n" + "".join(
            f"| {name} | {num(wx[g])} | {num(wh[g])} | {num(b[g])} |\n"
            for g, name in zip(GRU_GATES, ("reset $r$", "update $z$", "candidate $n$"))
        )
        prompt = (
            "A GRU with one unit has these weights:\n\n"
            + table
            + f"\nwith $x_t = {num(x)}$ and $h_{{t-1}} = {num(h)}$. It computes "
            "$r = \\sigma(w_x^r x_t + w_h^r h_{t-1} + b^r)$, "
            "$z = \\sigma(w_x^z x_t + w_h^z h_{t-1} + b^z)$, "
            "$n = \\tanh(w_x^n x_t + r\\,(w_h^n h_{t-1}) + b^n)$ and "
            "$h_t = (1 - z)\\,n + z\\,h_{t-1}$. Give $r$, $z$, $n$ and $h_t$ (3 decimals)."
        )
        solution = (
            f"1. $r = \\sigma({num(wx['r'])}\\cdot{paren(x)} + {paren(wh['r'])}\\cdot{paren(h)} + "
            f"{paren(b['r'])}) = {fixed(r, 4)}$.\n"
            f"2. $z = \\sigma({num(wx['z'])}\\cdot{paren(x)} + {paren(wh['z'])}\\cdot{paren(h)} + "
            f"{paren(b['z'])}) = {fixed(z, 4)}$.\n"
            f"3. $n = \\tanh({num(wx['n'])}\\cdot{paren(x)} + {fixed(r, 4)}\\cdot"
            f"({num(wh['n'])}\\cdot{paren(h)}) + {paren(b['n'])}) = {fixed(n, 4)}$.\n"
            f"4. $h_t = (1 - {fixed(z, 4)})\\cdot{paren(round(n, 4))} + {fixed(z, 4)}\\cdot"
            f"{paren(h)} = {fixed(h_new)}$. When $z$ is near 1 the state is copied forward "
            "untouched.\n"
        )
        answer = {"r": r, "z": z, "n": n, "h": h_new}
        fields = [Field("r", "$r$"), Field("z", "$z$"), Field("n", "$n$"), Field("h", "$h_t$")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        wx = np.array([p["w_x"][g] for g in GRU_GATES])
        wh = np.array([p["w_h"][g] for g in GRU_GATES])
        b = np.array([p["b"][g] for g in GRU_GATES])
        from_x, from_h = wx * p["x"] + b, wh * p["h"]  # (3,) each
        r, z = 1 / (1 + np.exp(-(from_x[:2] + from_h[:2])))
        n = np.tanh(from_x[2] + r * from_h[2])
        return {"r": float(r), "z": float(z), "n": float(n), "h": float(n + z * (p["h"] - n))}
