"""scikit-learn's 8 × 8 handwritten digits (1,797 images, UCI), scaled to [0, 1].

The split is the same for every run: a permutation drawn once from seed ``SPLIT_SEED`` puts
the last ``N_TEST`` images in the test set, so a test index names the same image whatever the
run's seed (the seed orders the training batches and draws the initial weights instead).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

N_TEST = 360
SPLIT_SEED = 0
MAX_TRAIN = 1797 - N_TEST  # 1,437


@lru_cache(maxsize=1)
def load() -> tuple[np.ndarray, np.ndarray]:
    """All images (1797, 8, 8) float32 in [0, 1] and labels (1797,) int64, in sklearn's order."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # pixel values 0–16 → [0, 1]
    images.setflags(write=False)
    labels = digits.target.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def split(n_train: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels): the first ``n_train`` of the
    shuffled non-test images train; the last ``N_TEST`` of the shuffle test."""
    if not 1 <= n_train <= MAX_TRAIN:
        raise ValueError(f"n_train must be 1–{MAX_TRAIN}, not {n_train}")
    images, labels = load()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    train, test = order[:n_train], order[len(images) - N_TEST :]
    return images[train], labels[train], images[test], labels[test]
