"""Overlap counts of an up-sampling layer against ones scattered by conv_transpose2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.probes.upsampling import resize_overlap, taps_1d, transposed_overlap


def scattered(n_in: int, kernel: int, stride: int, padding: int, output_padding: int) -> np.ndarray:
    """Brute force: every input pixel 1, an all-ones kernel; each output sums its taps."""
    ones = torch.ones(1, 1, n_in, n_in, dtype=torch.float64)
    weight = torch.ones(1, 1, kernel, kernel, dtype=torch.float64)
    out = F.conv_transpose2d(
        ones, weight, stride=stride, padding=padding, output_padding=output_padding
    )
    return out[0, 0].numpy()


@pytest.mark.parametrize(
    ("n_in", "kernel", "stride", "padding", "output_padding"),
    [
        (8, 2, 2, 0, 0),
        (8, 3, 2, 1, 1),
        (8, 4, 2, 1, 0),
        (8, 5, 2, 2, 1),
        (4, 3, 2, 0, 0),
        (5, 5, 3, 1, 2),
        (6, 4, 1, 0, 0),
    ],
)
def test_counts_match_scattered_ones(
    n_in: int, kernel: int, stride: int, padding: int, output_padding: int
) -> None:
    counts = transposed_overlap(n_in, kernel, stride, padding, output_padding)
    np.testing.assert_array_equal(counts, scattered(n_in, kernel, stride, padding, output_padding))


def test_hand_count_in_one_dimension() -> None:
    # k=3, s=2, p=1, n=3: o = 2i − 1 + j; o0 ← (i0, j1); o1 ← (i0, j2), (i1, j0); o2 ← (i1, j1) …
    assert taps_1d(3, 3, 2, 1, 1).tolist() == [1, 2, 1, 2, 1, 1]


def test_kernel_4_stride_2_is_uniform_inside_and_kernel_3_is_not() -> None:
    even = transposed_overlap(8, 4, 2, 1, 0)[1:-1, 1:-1]
    assert np.unique(even).tolist() == [4.0]
    odd = transposed_overlap(8, 3, 2, 1, 1)[1:-2, 1:-2]
    assert np.unique(odd).tolist() == [1.0, 2.0, 4.0]  # the checkerboard of overlaps


def test_resize_conv_is_uniform() -> None:
    counts = resize_overlap(16, 3)
    assert counts.shape == (16, 16) and counts.dtype == np.float32
    assert np.unique(counts).tolist() == [9.0]
