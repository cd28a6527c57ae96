"""Two-dimensional classification sets: two moons, circles, XOR, spirals, gaussian blobs.

Each maker returns points ``x`` (N, 2) float32 in roughly [-1.5, 1.5]² and labels ``y`` (N,)
in {0, 1}, half of each class, drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np

DATASETS = ("moons", "circles", "xor", "spirals", "blobs")
FEATURES = ("x", "y", "x2", "y2", "xy", "sinx", "siny")


def _halves(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, centred on the origin."""
    n0, n1 = _halves(n)
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([upper, lower]) - np.array([0.5, 0.25])
    return x, np.concatenate([np.zeros(n0), np.ones(n1)])


def circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 1 inside a ring of class 0."""
    n0, n1 = _halves(n)
    r0 = rng.uniform(0.7, 1.2, n0)
    r1 = rng.uniform(0.0, 0.5, n1)
    t = rng.uniform(0.0, 2 * np.pi, n)
    r = np.concatenate([r0, r1])
    x = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    return x, np.concatenate([np.zeros(n0), np.ones(n1)])


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in the four quadrants; class 1 where x and y share a sign."""
    n0, n1 = _halves(n)
    size = rng.uniform(0.05, 1.25, (n, 2))  # keep a small margin around the axes
    sx = rng.choice([-1.0, 1.0], n)
    sy = np.concatenate([-sx[:n0], sx[n0:]])  # class 0: opposite signs, class 1: the same
    x = size * np.stack([sx, sy], axis=1)
    return x, np.concatenate([np.zeros(n0), np.ones(n1)])


def spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns each."""
    n0, n1 = _halves(n)
    out = []
    for count, phase in ((n0, 0.0), (n1, np.pi)):
        s = rng.uniform(0.0, 1.0, count)
        t = 1.75 * 2 * np.pi * s + phase
        r = 1.3 * s + 0.05
        out.append(np.stack([r * np.cos(t), r * np.sin(t)], axis=1))
    return np.concatenate(out), np.concatenate([np.zeros(n0), np.ones(n1)])


def blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two gaussian clusters."""
    n0, n1 = _halves(n)
    a = rng.normal(0.0, 0.3, (n0, 2)) + np.array([-0.6, -0.6])
    b = rng.normal(0.0, 0.3, (n1, 2)) + np.array([0.6, 0.6])
    return np.concatenate([a, b]), np.concatenate([np.zeros(n0), np.ones(n1)])


_MAKERS = {"moons": moons, "circles": circles, "xor": xor, "spirals": spirals, "blobs": blobs}
# Noise is given relative to each set's own scale: the gap between the spirals' arms is
# about a third of the moons' radius, so the same `noise` must blur both alike.
NOISE_SCALE = {"moons": 1.0, "circles": 0.5, "xor": 0.5, "spirals": 0.3, "blobs": 1.0}


def make(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Make ``n`` shuffled points of dataset ``name``.

    Each coordinate gets gaussian noise of std ``noise × NOISE_SCALE[name]``.
    """
    if name not in _MAKERS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")
    rng = np.random.default_rng(seed)
    x, y = _MAKERS[name](n, noise, rng)
    x = x + rng.normal(0.0, noise * NOISE_SCALE[name], x.shape)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order].astype(np.int64)


def split(
    x: np.ndarray, y: np.ndarray, train_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first ``train_fraction`` of the (already shuffled) points train, the rest test."""
    n_train = min(len(x) - 1, max(1, round(len(x) * train_fraction)))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def features(points: np.ndarray, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """The network's input columns for ``points`` (N, 2): any of x, y, x², y², xy, sin x, sin y."""
    x, y = points[:, 0], points[:, 1]
    columns = {
        "x": x,
        "y": y,
        "x2": x * x,
        "y2": y * y,
        "xy": x * y,
        "sinx": np.sin(x),
        "siny": np.sin(y),
    }
    return np.stack([columns[name] for name in names], axis=1).astype(np.float32)
