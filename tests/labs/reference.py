"""An independent float64 numpy re-implementation of what the two-moons lab computes.

Written from docs/protocol.md and the formulas, not from the code under test, so tests can
check the lab's frames against it.
"""

from __future__ import annotations

import numpy as np

FEATURES = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "x2": lambda x, y: x**2,
    "y2": lambda x, y: y**2,
    "xy": lambda x, y: x * y,
    "sinx": lambda x, y: np.sin(x),
    "siny": lambda x, y: np.sin(y),
}
ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}


def grid(lo: float, hi: float, n: int) -> np.ndarray:
    """(n*n, 2) points; row i of the picture is y_i, column j is x_j (linspace, inclusive)."""
    xs = np.linspace(lo, hi, n)
    ys = np.linspace(lo, hi, n)
    return np.array([[x, y] for y in ys for x in xs])


def feature_table(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The network's input columns, computed from (x, y) by hand."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return np.stack([FEATURES[name](x, y) for name in names], axis=1)


def forward(
    state: dict[str, np.ndarray], inputs: np.ndarray, activation: str
) -> tuple[list[np.ndarray], np.ndarray]:
    """Hidden post-activations and output logits of the MLP stored in ``state``."""
    act = ACTIVATIONS[activation]
    h = inputs.astype(np.float64)
    hidden = []
    k = 0
    while f"hidden.{k}.weight" in state:
        w = state[f"hidden.{k}.weight"].astype(np.float64)
        b = state[f"hidden.{k}.bias"].astype(np.float64)
        h = act(h @ w.T + b)
        hidden.append(h)
        k += 1
    logits = h @ state["out.weight"].astype(np.float64).T + state["out.bias"].astype(np.float64)
    return hidden, logits


def prob_class1(logits: np.ndarray) -> np.ndarray:
    """Sigmoid of one logit, or the softmax's second entry of two."""
    if logits.shape[1] == 1:
        return 1.0 / (1.0 + np.exp(-logits[:, 0]))
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.exp(shifted[:, 1]) / np.exp(shifted).sum(axis=1)


def mean_loss(logits: np.ndarray, y: np.ndarray) -> float:
    """Binary cross-entropy (one logit) or cross-entropy (two logits), averaged."""
    if logits.shape[1] == 1:
        z = logits[:, 0]
        return float(np.mean(np.logaddexp(0.0, z) - y * z))
    log_norm = np.logaddexp(logits[:, 0], logits[:, 1])
    return float(np.mean(log_norm - logits[np.arange(len(y)), y.astype(int)]))


def predict(state: dict[str, np.ndarray], points: np.ndarray, names: list[str], act: str):
    """P(class 1) at each point."""
    return prob_class1(forward(state, feature_table(points, names), act)[1])
