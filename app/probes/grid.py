"""Evaluate a model over a rectangular grid of 2-D points."""

from __future__ import annotations

import numpy as np


def grid_points(x_range: tuple[float, float, int], y_range: tuple[float, float, int]) -> np.ndarray:
    """Points (n_y * n_x, 2) of the grid, row i at y_i, column j at x_j (linspace, inclusive)."""
    xs = np.linspace(x_range[0], x_range[1], x_range[2], dtype=np.float64)
    ys = np.linspace(y_range[0], y_range[1], y_range[2], dtype=np.float64)
    gx, gy = np.meshgrid(xs, ys)  # (n_y, n_x) each
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
