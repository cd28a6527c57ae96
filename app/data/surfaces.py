"""Two-dimensional loss surfaces on which an optimiser's path can be drawn.

Each surface is a function f(x, y) written with tensor operations, so it takes torch tensors
(autograd works through it) and NumPy arrays (for the contour grid) alike.

- ``rosenbrock``: f = [(1 − x)² + 100 (y − x²)²] / 100, Rosenbrock's curved valley
  (Rosenbrock 1960), scaled by 1/100 so that one learning rate suits it and a small network;
  its minimum is (1, 1).
- ``saddle``: f = (x² − y²) / 2, a saddle point at the origin and no minimum.
- ``bowl``: f = (x² + 16 y²) / 2, an ill-conditioned quadratic (condition number 16) whose
  minimum is the origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SURFACES = ("rosenbrock", "saddle", "bowl")
# Every surface is drawn over the same window, so a start point suits them all.
X_RANGE = (-2.0, 2.0)
Y_RANGE = (-2.0, 3.0)
BOWL_CONDITION = 16.0


@dataclass(frozen=True)
class Surface:
    """A named function of two variables, its window and its minimum (None for a saddle)."""

    name: str
    formula: str
    minimum: tuple[float, float] | None

    def __call__(self, x: Any, y: Any) -> Any:
        """f(x, y) for scalars, NumPy arrays or torch tensors."""
        if self.name == "rosenbrock":
            return ((1 - x) ** 2 + 100 * (y - x**2) ** 2) / 100
        if self.name == "saddle":
            return (x**2 - y**2) / 2
        return (x**2 + BOWL_CONDITION * y**2) / 2

    def distance(self, x: float, y: float) -> float | None:
        """Euclidean distance from (x, y) to the minimum; None when there is none."""
        if self.minimum is None:
            return None
        return float(np.hypot(x - self.minimum[0], y - self.minimum[1]))

    def grid(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs (n,), ys (n,), values (n, n) float64, row i at ys[i]) over the window."""
        xs = np.linspace(*X_RANGE, n)
        ys = np.linspace(*Y_RANGE, n)
        gx, gy = np.meshgrid(xs, ys)  # (n, n) each, rows follow y
        return xs, ys, self(gx, gy)


_ALL = {
    "rosenbrock": Surface("rosenbrock", "[(1 − x)² + 100 (y − x²)²] / 100", (1.0, 1.0)),
    "saddle": Surface("saddle", "(x² − y²) / 2", None),
    "bowl": Surface("bowl", "(x² + 16 y²) / 2", (0.0, 0.0)),
}


def get(name: str) -> Surface:
    """The surface called ``name``."""
    if name not in _ALL:
        raise ValueError(f"unknown surface {name!r}; expected one of {SURFACES}")
    return _ALL[name]
