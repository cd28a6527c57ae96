"""The digits: scaled pixels, and one fixed split whatever the run's seed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from app.data import digits


def test_load_scales_pixels_to_unit_range() -> None:
    images, labels = digits.load()
    raw = load_digits()
    assert images.shape == (1797, 8, 8)
    assert images.dtype == np.float32
    np.testing.assert_allclose(images, raw.images / 16.0, atol=1e-7)
    assert images.min() == 0.0
    assert images.max() == 1.0
    np.testing.assert_array_equal(labels, raw.target)


def test_split_test_set_is_last_360_of_fixed_shuffle() -> None:
    x_train, y_train, x_test, y_test = digits.split(1000)
    images, labels = digits.load()
    order = np.random.default_rng(0).permutation(1797)
    np.testing.assert_array_equal(x_test, images[order[-360:]])
    np.testing.assert_array_equal(y_test, labels[order[-360:]])
    np.testing.assert_array_equal(x_train, images[order[:1000]])
    np.testing.assert_array_equal(y_train, labels[order[:1000]])
    assert not set(order[:1437]) & set(order[-360:])


def test_split_test_set_same_for_any_n_train() -> None:
    small = digits.split(50)
    full = digits.split(1437)
    np.testing.assert_array_equal(small[2], full[2])
    np.testing.assert_array_equal(small[0], full[0][:50])
    assert len(full[0]) + len(full[2]) == 1797


@pytest.mark.parametrize("n_train", [0, 1438])
def test_split_refuses_out_of_range(n_train: int) -> None:
    with pytest.raises(ValueError):
        digits.split(n_train)
