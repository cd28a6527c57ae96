"""Attention and transformers by hand, and what freezing layers saves when fine-tuning."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import numpy as np

from app.curriculum.generators.base import (
    WHOLE,
    Field,
    Generator,
    Variant,
    fixed,
    matrix,
    num,
    paren,
    register,
)


@register
class AttentionByHand(Generator):
    """Scaled dot-product attention of one query over 2–3 tokens (d = 2)."""

    name = "attention-by-hand"
    title = "Attention by hand"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        tokens = rng.choice([2, 3])
        return {
            "q": [rng.randint(-2, 2) for _ in range(2)],
            "k": [[rng.randint(-2, 2) for _ in range(2)] for _ in range(tokens)],
            "v": [[rng.randint(-2, 3) for _ in range(2)] for _ in range(tokens)],
        }

    def render(self, p: dict[str, Any]) -> Variant:
        q, keys, values = p["q"], p["k"], p["v"]
        n = len(keys)
        scale = math.sqrt(2)
        scores = [(q[0] * k[0] + q[1] * k[1]) / scale for k in keys]
        exps = [math.exp(s) for s in scores]
        weights = [e / sum(exps) for e in exps]
        out = [sum(weights[j] * values[j][c] for j in range(n)) for c in range(2)]
        prompt = (
            f"A query $\\mathbf{{q}} = ({num(q[0])}, {num(q[1])})$ attends over {n} tokens whose "
            f"keys are the rows of $K = {matrix(keys)}$ and values the rows of "
            f"$V = {matrix(values)}$ ($d = 2$). With weights "
            "$\\mathrm{softmax}(\\mathbf{q}K^\\top/\\sqrt{d})$, give each token's weight and "
            "the output $\\mathbf{o} = \\sum_j a_j \\mathbf{v}_j$ (3 decimals)."
        )
        dots = ", ".join(
            f"$({paren(q[0])}\\cdot{paren(k[0])} + {paren(q[1])}\\cdot{paren(k[1])})/\\sqrt{2} = "
            f"{fixed(s, 4)}$"
            for k, s in zip(keys, scores)
        )
        solution = (
            f"1. Scaled scores: {dots}.\n"
            "2. Softmax: "
            + ", ".join(f"$a_{j + 1} = {fixed(w)}$" for j, w in enumerate(weights))
            + ".\n"
            "3. Output, one coordinate at a time: "
            + ", ".join(
                f"$o_{c + 1} = "
                + " + ".join(f"{fixed(weights[j])}\\cdot{paren(values[j][c])}" for j in range(n))
                + f" = {fixed(out[c])}$"
                for c in range(2)
            )
            + ". The keys most aligned with the query contribute most of their values.\n"
        )
        answer = {f"a{j + 1}": w for j, w in enumerate(weights)}
        answer.update(o1=out[0], o2=out[1])
        fields = [Field(f"a{j + 1}", f"$a_{j + 1}$") for j in range(n)]
        fields += [Field("o1", "$o_1$"), Field("o2", "$o_2$")]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        q, keys, values = (np.array(p[x], float) for x in ("q", "k", "v"))
        scores = keys @ q / np.sqrt(q.size)  # (T,)
        weights = np.exp(scores - np.logaddexp.reduce(scores))
        out = weights @ values  # (2,)
        answer = {f"a{j + 1}": float(w) for j, w in enumerate(weights)}
        answer.update(o1=float(out[0]), o2=float(out[1]))
        return answer


@register
class SinusoidalEncoding(Generator):
    """Two entries of the sinusoidal positional encoding."""

    name = "sinusoidal-encoding"
    title = "Sinusoidal positional encoding"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        d = rng.choice([4, 8, 16, 64, 128, 512])
        return {"pos": rng.randint(1, 50), "d": d, "i": rng.randint(0, min(3, d // 2 - 1))}

    def render(self, p: dict[str, Any]) -> Variant:
        pos, d, i = p["pos"], p["d"], p["i"]
        wavelength_factor = 10000 ** (2 * i / d)
        angle = pos / wavelength_factor
        pe_sin, pe_cos = math.sin(angle), math.cos(angle)
        prompt = (
            f"A transformer with $d_{{model}} = {d}$ adds the sinusoidal encoding "
            "$PE_{(pos, 2i)} = \\sin(pos/10000^{2i/d})$, "
            "$PE_{(pos, 2i+1)} = \\cos(pos/10000^{2i/d})$ to its embeddings. For position "
            f"$pos = {pos}$ give the entries $2i = {2 * i}$ and $2i+1 = {2 * i + 1}$ "
            "(angles in radians, 3 decimals)."
        )
        solution = (
            f"1. $10000^{{{2 * i}/{d}}} = {fixed(wavelength_factor, 4)}$, so the angle is "
            f"${pos}/{fixed(wavelength_factor, 4)} = {fixed(angle, 4)}$ rad.\n"
            f"2. $\\sin({fixed(angle, 4)}) = {fixed(pe_sin)}$ and "
            f"$\\cos({fixed(angle, 4)}) = {fixed(pe_cos)}$.\n\n"
            "Early pairs turn fast with position, later ones slowly; together they give each "
            "position a distinct pattern, and a fixed offset is a rotation of each pair.\n"
        )
        answer = {"sin": pe_sin, "cos": pe_cos}
        fields = [
            Field("sin", f"$PE_{{({pos},{2 * i})}}$"),
            Field("cos", f"$PE_{{({pos},{2 * i + 1})}}$"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, 0.002), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        d = p["d"]
        rates = np.exp(-np.log(10000.0) * np.arange(0, d, 2) / d)  # (d/2,)
        row = np.empty(d)
        row[0::2] = np.sin(p["pos"] * rates)
        row[1::2] = np.cos(p["pos"] * rates)
        return {"sin": float(row[2 * p["i"]]), "cos": float(row[2 * p["i"] + 1])}


@register
class BlockParams(Generator):
    """Parameters of one transformer encoder block."""

    name = "block-params"
    title = "Parameters of a transformer block"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        d = rng.choice([32, 64, 128, 256, 512, 768])
        heads = rng.choice([h for h in (1, 2, 4, 8, 12) if d % h == 0])
        return {"d": d, "heads": heads, "ff": d * rng.choice([2, 4])}

    def render(self, p: dict[str, Any]) -> Variant:
        d, heads, ff = p["d"], p["heads"], p["ff"]
        attn = 4 * (d * d + d)
        mlp = d * ff + ff + ff * d + d
        norms = 2 * (2 * d)
        total = attn + mlp + norms
        prompt = (
            f"A transformer block has width $d = {d}$, {heads} attention heads, an MLP "
            f"$d \\to {ff} \\to d$, and two LayerNorms; every linear map has a bias. How many "
            "parameters are in its attention (queries, keys, values and the output "
            "projection), its MLP, its norms, and in all?"
        )
        solution = (
            f"1. Attention: four $d \\times d$ maps with biases, $4({d}^2 + {d}) = {attn}$. "
            f"Splitting into {heads} heads of width {d // heads} cuts the same matrices into "
            "pieces, so the count does not depend on the number of heads.\n"
            f"2. MLP: ${d}\\cdot{ff} + {ff} + {ff}\\cdot{d} + {d} = {mlp}$.\n"
            f"3. Norms: a scale and a shift of size {d} each, twice: {norms}.\n"
            f"4. Total: {total}. The MLP usually holds most of them.\n"
        )
        answer = {
            "attn": float(attn),
            "mlp": float(mlp),
            "norms": float(norms),
            "total": float(total),
        }
        fields = [
            Field("attn", "attention"),
            Field("mlp", "MLP"),
            Field("norms", "norms"),
            Field("total", "total"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        d, ff = p["d"], p["ff"]
        # the tensors of PyTorch's TransformerEncoderLayer, by shape
        shapes = {
            "attn": [(3 * d, d), (3 * d,), (d, d), (d,)],
            "mlp": [(ff, d), (ff,), (d, ff), (d,)],
            "norms": [(d,), (d,), (d,), (d,)],
        }
        counts = {k: float(sum(np.prod(s) for s in v)) for k, v in shapes.items()}
        return {**counts, "total": sum(counts.values())}


@register
class FrozenParams(Generator):
    """Trainable parameters when fine-tuning with the head, the top part or nothing frozen."""

    name = "frozen-params"
    title = "What freezing saves"

    def draw(self, rng: random.Random) -> dict[str, Any]:
        hidden = [rng.choice([32, 64, 128, 256]) for _ in range(3)]
        return {"widths": [rng.choice([64, 256, 784]), *hidden, rng.choice([2, 5, 10])]}

    def render(self, p: dict[str, Any]) -> Variant:
        widths = p["widths"]
        layers = [a * b + b for a, b in itertools.pairwise(widths)]
        head = layers[-1]
        partial = layers[-1] + layers[-2]
        full = sum(layers)
        chain = " \\to ".join(str(w) for w in widths)
        prompt = (
            f"A pretrained network has fully connected layers ${chain}$ (weights and biases). "
            "To fine-tune it on a new task you may train only the head (the last layer), "
            "the last two layers, or everything. How many parameters are trainable in each case?"
        )
        solution = (
            "Per layer ($a \\cdot b + b$): "
            + ", ".join(
                f"${a}\\cdot{b} + {b} = {n}$"
                for (a, b), n in zip(itertools.pairwise(widths), layers)
            )
            + f".\n\n- Head only: {head}.\n- Last two layers: ${layers[-2]} + {head} = "
            f"{partial}$.\n- Everything: {full}.\n\nWith few labels, training fewer parameters "
            "keeps the pretrained features and overfits less.\n"
        )
        answer = {"head": float(head), "partial": float(partial), "none": float(full)}
        fields = [
            Field("head", "head only"),
            Field("partial", "last two layers"),
            Field("none", "nothing frozen"),
        ]
        return Variant(prompt, fields, answer, dict.fromkeys(answer, WHOLE), solution, p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        w = np.array(p["widths"])
        per_layer = w[:-1] * w[1:] + w[1:]
        totals = np.cumsum(per_layer[::-1])  # trainable counts, unfreezing from the top
        return {"head": float(totals[0]), "partial": float(totals[1]), "none": float(totals[-1])}
