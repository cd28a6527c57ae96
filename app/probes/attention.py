"""Read-only looks inside a transformer: attention maps, one head step by step, positional
encodings, per-layer norms, and softmax computed naively and by log-sum-exp.

The network keeps its own attention traces when asked (``Transformer.run(trace=True)``), so
nothing here needs a hook. The softmax demonstration works in float32 on purpose: that is
where exp overflows (above about 88.7), as it would on the device that trains the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from app.nets.transformer import Pass, Transformer


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).contiguous().numpy().copy()


@torch.no_grad()
def trace_example(model: Transformer, tokens: np.ndarray) -> Pass:
    """A traced forward pass of one example ((L,) tokens), in eval mode."""
    model.eval()
    device = model.head.weight.device
    return model.run(torch.as_tensor(tokens, dtype=torch.long, device=device)[None], trace=True)


def attention_maps(run: Pass) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per layer, (nh, L, L) attention weights and the scores QKᵀ/√d_head before the softmax."""
    weights = [_numpy(t.weights[0]) for t in run.traces]
    scores = [_numpy(t.scores[0]) for t in run.traces]
    return weights, scores


def head_steps(model: Transformer, run: Pass, layer: int, head: int) -> dict[str, np.ndarray]:
    """One head of one layer on the traced example, step by step.

    ``q``, ``k``, ``v`` (L, d_head); ``scores`` (L, L) before the mask; ``weights`` (L, L);
    ``mixed`` = weights · V (L, d_head); ``output`` (L, d_model): this head's share of the
    layer's output, mixed · W_o[:, head's columns]ᵀ (the output bias belongs to no head).
    """
    trace = run.traces[layer]
    d_head = model.config.d_head
    columns = slice(head * d_head, (head + 1) * d_head)
    w_o = model.blocks[layer].attn.o.weight[:, columns]  # (d, d_head)
    mixed = trace.mixed[0, head]  # (L, d_head)
    return {
        "q": _numpy(trace.q[0, head]),
        "k": _numpy(trace.k[0, head]),
        "v": _numpy(trace.v[0, head]),
        "scores": _numpy(trace.scores[0, head]),
        "weights": _numpy(trace.weights[0, head]),
        "mixed": _numpy(mixed),
        "output": _numpy(mixed @ w_o.T),
    }


def position_similarity(pe: np.ndarray) -> np.ndarray:
    """(L, L) cosine similarity between the positional encodings of every two positions
    (0 where an encoding is all zeros)."""
    pe = pe.astype(np.float64)
    norms = np.linalg.norm(pe, axis=1)
    unit = pe / np.where(norms > 0, norms, 1.0)[:, None]
    return (unit @ unit.T).astype(np.float32)


def layer_norms(model: Transformer) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Names, weight norms and gradient norms of each layer's parameters taken together
    (the Frobenius norm of all of them; a gradient not yet computed counts 0)."""
    names, weights, grads = [], [], []
    for name, params in model.layer_groups():
        names.append(name)
        weights.append(float(torch.sqrt(sum((p.detach() ** 2).sum() for p in params))))
        squares = [(p.grad.detach() ** 2).sum() for p in params if p.grad is not None]
        grads.append(float(torch.sqrt(sum(squares))) if squares else 0.0)
    return names, np.array(weights, dtype=np.float32), np.array(grads, dtype=np.float32)


@dataclass
class SoftmaxDemo:
    """Softmax of scaled logits ``z``, naively and by log-sum-exp, all in float32."""

    logits: np.ndarray  # z = scale · logits, (C,)
    exp: np.ndarray  # naive exp(z): inf once z > 88.7
    naive: np.ndarray  # exp(z) / Σ exp(z): NaN where inf / inf
    lse: np.ndarray  # exp(z − m − log Σ exp(z − m)), m = max z
    naive_loss: float  # −log naive[target] (NaN or inf when it broke)
    lse_loss: float  # log Σ exp(z − m) + m − z[target]

    @property
    def naive_ok(self) -> bool:
        """Every naive probability is a finite number."""
        return bool(np.isfinite(self.naive).all())

    @property
    def lse_ok(self) -> bool:
        """Every log-sum-exp probability is a finite number."""
        return bool(np.isfinite(self.lse).all())


def softmax_demo(logits: np.ndarray, scale: float, target: int) -> SoftmaxDemo:
    """Both softmax forms of ``scale · logits`` in float32, and the cross-entropy of ``target``."""
    z = (np.asarray(logits, dtype=np.float32) * np.float32(scale)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exp = np.exp(z)  # float32: overflows to inf above ~88.7
        naive = (exp / exp.sum(dtype=np.float32)).astype(np.float32)
        naive_loss = float(-np.log(naive[target]))
    m = z.max()
    shifted = np.exp(z - m)  # every entry in (0, 1]: nothing overflows
    log_sum = np.float32(np.log(shifted.sum(dtype=np.float32)))
    lse = np.exp(z - m - log_sum).astype(np.float32)
    lse_loss = float(log_sum + m - z[target])
    return SoftmaxDemo(z, exp.astype(np.float32), naive, lse, naive_loss, lse_loss)
