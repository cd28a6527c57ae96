"""How many kernel taps of an up-sampling layer land on each output pixel, counted exactly."""

from __future__ import annotations

import numpy as np


def taps_1d(n_in: int, kernel: int, stride: int, padding: int, output_padding: int) -> np.ndarray:
    """Per output position of a 1-D transposed convolution: how many (input, tap) pairs write it.

    Input i writes output o = i·stride − padding + j with tap j (0 ≤ j < kernel)."""
    n_out = (n_in - 1) * stride - 2 * padding + kernel + output_padding
    counts = np.zeros(n_out, dtype=np.int64)
    for o in range(n_out):
        for j in range(kernel):
            q, r = divmod(o + padding - j, stride)
            if r == 0 and 0 <= q < n_in:
                counts[o] += 1
    return counts


def transposed_overlap(
    n_in: int, kernel: int, stride: int, padding: int, output_padding: int
) -> np.ndarray:
    """(n_out, n_out) float32: taps of a square k×k transposed convolution on each output pixel.

    The 2-D kernel is separable in its footprint, so the count is the product of the 1-D ones."""
    counts = taps_1d(n_in, kernel, stride, padding, output_padding)
    return np.outer(counts, counts).astype(np.float32)


def resize_overlap(n_out: int, kernel: int) -> np.ndarray:
    """(n_out, n_out) float32: a stride-1 k×k convolution reads a full window at every pixel
    (zero padding included), so every output pixel gets k² taps."""
    return np.full((n_out, n_out), float(kernel * kernel), dtype=np.float32)
