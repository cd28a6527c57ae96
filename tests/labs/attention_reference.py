"""An independent float64 NumPy forward pass of the attention lab's transformer.

Written from docs/protocol.md and the formulas (Vaswani et al. 2017), not from the code under
test: it reads only state_dict weights, so tests can check the lab's streamed attention,
scores and logits against it.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-5  # LayerNorm's ε


def sinusoidal(length: int, d: int) -> np.ndarray:
    """PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d))."""
    pe = np.zeros((length, d))
    for t in range(length):
        for i in range(0, d, 2):
            angle = t / 10000 ** (i / d)
            pe[t, i] = np.sin(angle)
            if i + 1 < d:
                pe[t, i + 1] = np.cos(angle)
    return pe


def layer_norm(x: np.ndarray, gain: np.ndarray, shift: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gain + shift


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def forward(w: dict[str, np.ndarray], p: dict, tokens: np.ndarray) -> dict[str, list | np.ndarray]:
    """One example ((L,) tokens): per-layer weights and scores (nh, L, L), each layer's
    per-head q, k, v, mixed, and the answer logits (T, C)."""
    w = {k: np.asarray(v, dtype=np.float64) for k, v in w.items()}
    length, d, nh = len(tokens), p["d_model"], p["heads"]
    dh = d // nh

    def linear(x: np.ndarray, name: str) -> np.ndarray:
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    def norm(x: np.ndarray, name: str) -> np.ndarray:
        return layer_norm(x, w[f"{name}.weight"], w[f"{name}.bias"]) if p["norm"] != "none" else x

    x = w["embed.weight"][tokens]  # (L, d)
    if p["pos_encoding"] == "sinusoidal":
        x = x + sinusoidal(length, d)
    elif p["pos_encoding"] == "learned":
        x = x + w["pos"]
    out: dict[str, list] = {"weights": [], "scores": [], "q": [], "k": [], "v": [], "mixed": []}
    for layer in range(p["layers"]):
        b = f"blocks.{layer}"

        def attention(h: np.ndarray, b: str = b) -> np.ndarray:
            q_all = linear(h, f"{b}.attn.q")
            k_all = linear(h, f"{b}.attn.k")
            v_all = linear(h, f"{b}.attn.v")
            scores, weights, qs, ks, vs, mixes = [], [], [], [], [], []
            for j in range(nh):
                cols = slice(j * dh, (j + 1) * dh)
                q, k, v = q_all[:, cols], k_all[:, cols], v_all[:, cols]
                s = q @ k.T / np.sqrt(dh)
                masked = s.copy()
                if p["causal"]:
                    masked[np.triu_indices(length, 1)] = -np.inf
                a = softmax(masked)
                scores.append(s)
                weights.append(a)
                qs.append(q)
                ks.append(k)
                vs.append(v)
                mixes.append(a @ v)
            out["scores"].append(np.stack(scores))
            out["weights"].append(np.stack(weights))
            for key, value in (("q", qs), ("k", ks), ("v", vs), ("mixed", mixes)):
                out[key].append(np.stack(value))
            return linear(np.concatenate(mixes, axis=1), f"{b}.attn.o")

        def mlp(h: np.ndarray, b: str = b) -> np.ndarray:
            return linear(np.maximum(linear(h, f"{b}.mlp.0"), 0.0), f"{b}.mlp.2")

        sublayers = [(attention, f"{b}.norm1")] + ([(mlp, f"{b}.norm2")] if p["mlp"] else [])
        for f, norm_name in sublayers:
            keep = x if p["residual"] else 0.0
            if p["norm"] == "post":
                x = norm(keep + f(x), norm_name)
            else:
                x = keep + f(norm(x, norm_name))
    answer = x[p["seq_len"] :]
    if p["norm"] == "pre":
        answer = norm(answer, "norm")
    out["logits"] = linear(answer, "head")
    return out
