"""The 2-D datasets: balance, seeding, geometry, feature columns and the train/test split."""

from __future__ import annotations

import numpy as np
import pytest

from app.data.toy2d import DATASETS, FEATURES, features, make, split


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("n", [20, 401])
def test_make_dataset_balanced(name: str, n: int) -> None:
    x, y = make(name, n, 0.1, seed=3)
    assert x.shape == (n, 2)
    assert x.dtype == np.float32
    assert y.shape == (n,)
    assert set(np.unique(y)) == {0, 1}
    assert (y == 0).sum() == n - n // 2
    assert (y == 1).sum() == n // 2
    assert np.isfinite(x).all()
    assert np.abs(x).max() < 3.0


@pytest.mark.parametrize("name", DATASETS)
def test_make_dataset_deterministic_per_seed(name: str) -> None:
    x1, y1 = make(name, 200, 0.2, seed=11)
    x2, y2 = make(name, 200, 0.2, seed=11)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, _ = make(name, 200, 0.2, seed=12)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name", DATASETS)
def test_make_dataset_shuffled(name: str) -> None:
    _, y = make(name, 400, 0.0, seed=0)
    # Not all of one class first: the two halves each hold both classes.
    assert 0 < y[:200].sum() < 200


def test_make_moons_without_noise_on_arcs() -> None:
    x, y = make("moons", 500, 0.0, seed=5)
    x = x.astype(np.float64)
    upper, lower = x[y == 0], x[y == 1]
    # Class 0: the upper half of the unit circle around (0, 0), shifted by (-0.5, -0.25).
    centre0 = np.array([-0.5, -0.25])
    np.testing.assert_allclose(np.linalg.norm(upper - centre0, axis=1), 1.0, atol=1e-6)
    assert (upper[:, 1] >= centre0[1] - 1e-6).all()
    # Class 1: the lower half of the unit circle around (1, 0.5), shifted the same way.
    centre1 = np.array([0.5, 0.25])
    np.testing.assert_allclose(np.linalg.norm(lower - centre1, axis=1), 1.0, atol=1e-6)
    assert (lower[:, 1] <= centre1[1] + 1e-6).all()
    # Both arcs are covered from end to end (angles span most of [0, π]).
    angles = np.arctan2(upper[:, 1] - centre0[1], upper[:, 0] - centre0[0])
    assert angles.min() < 0.1
    assert angles.max() > np.pi - 0.1


def test_make_moons_noise_spreads_points() -> None:
    x, y = make("moons", 2000, 0.2, seed=5)
    centre0 = np.array([-0.5, -0.25])
    radii = np.linalg.norm(x[y == 0] - centre0, axis=1)
    spread = np.abs(radii - 1.0)
    assert 0.05 < spread.mean() < 0.4


def test_make_circles_radii_by_class() -> None:
    x, y = make("circles", 400, 0.0, seed=1)
    r = np.linalg.norm(x, axis=1)
    assert (r[y == 1] <= 0.5 + 1e-6).all()
    assert ((r[y == 0] >= 0.7 - 1e-6) & (r[y == 0] <= 1.2 + 1e-6)).all()


def test_make_xor_labels_by_quadrant() -> None:
    x, y = make("xor", 400, 0.0, seed=2)
    same_sign = x[:, 0] * x[:, 1] > 0
    np.testing.assert_array_equal(y, same_sign.astype(np.int64))
    assert np.abs(x).min() >= 0.05 - 1e-6


def test_make_unknown_dataset_refused() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        make("swiss-roll", 10, 0.0, seed=0)


def test_features_columns_by_hand() -> None:
    points = np.array([[0.5, -1.0], [2.0, 3.0], [-1.5, 0.25]], dtype=np.float32)
    table = features(points, list(FEATURES))
    assert table.shape == (3, 7)
    assert table.dtype == np.float32
    for row, (x, y) in enumerate(points.astype(np.float64)):
        expected = [x, y, x * x, y * y, x * y, np.sin(x), np.sin(y)]
        np.testing.assert_allclose(table[row], expected, rtol=1e-6)


def test_features_order_follows_names() -> None:
    points = np.array([[0.3, 0.7]], dtype=np.float32)
    table = features(points, ["siny", "xy", "x"])
    np.testing.assert_allclose(table[0], [np.sin(0.7), 0.3 * 0.7, 0.3], rtol=1e-6)


@pytest.mark.parametrize(
    ("n", "fraction", "n_train"),
    [(400, 0.5, 200), (20, 0.1, 2), (2000, 0.9, 1800), (101, 0.5, 50), (3, 0.1, 1), (3, 0.9, 2)],
)
def test_split_sizes(n: int, fraction: float, n_train: int) -> None:
    x, y = make("moons", n, 0.1, seed=0)
    x_train, y_train, x_test, y_test = split(x, y, fraction)
    assert len(x_train) == len(y_train) == n_train
    assert len(x_test) == len(y_test) == n - n_train
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y)


@pytest.mark.parametrize(("name", "scale"), [("moons", 1.0), ("spirals", 0.3), ("xor", 0.5)])
def test_make_noise_relative_to_dataset_scale(name: str, scale: float) -> None:
    clean, _ = make(name, 4000, 0.0, seed=11)
    noisy, _ = make(name, 4000, 0.2, seed=11)  # same draws for the points, then the noise
    deviation = (noisy - clean).ravel()
    # 8000 draws: the sample std is within a few percent of the true 0.2 × scale.
    assert deviation.std() == pytest.approx(0.2 * scale, rel=0.05)
