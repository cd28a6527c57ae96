"""Digit augmentation: whole-pixel shifts and rotations against a hand-written numpy
resampler, noise statistics, and the identity when nothing is asked."""

from __future__ import annotations

import math

import numpy as np
import torch

from app.data import augment, digits


def _bilinear(image: np.ndarray, x: float, y: float) -> float:
    """image sampled at pixel-index coordinates (x, y), zeros outside."""
    x0, y0 = math.floor(x), math.floor(y)
    total = 0.0
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            weight = (1 - abs(x - xi)) * (1 - abs(y - yi))
            if 0 <= xi < image.shape[1] and 0 <= yi < image.shape[0]:
                total += weight * image[yi, xi]
    return total


def reference(image: np.ndarray, dx: float, dy: float, degrees: float) -> np.ndarray:
    """Output pixel p shows input R⁻¹(p − c − s) + c, c the centre (4, 4), by hand."""
    a = math.radians(degrees)
    out = np.zeros_like(image)
    for i in range(8):
        for j in range(8):
            u, v = j + 0.5 - 4 - dx, i + 0.5 - 4 - dy
            x_in = math.cos(a) * u + math.sin(a) * v + 4
            y_in = -math.sin(a) * u + math.cos(a) * v + 4
            out[i, j] = _bilinear(image, x_in - 0.5, y_in - 0.5)
    return out


def _images(n: int) -> torch.Tensor:
    x, _, _, _ = digits.split(n)
    return torch.from_numpy(x.copy())


def test_whole_pixel_shifts_move_without_blur() -> None:
    images = _images(16)
    g = torch.Generator().manual_seed(5)
    out, shifts, degrees = augment.draw(images, augment.Augment(max_shift=2), g)
    assert float(degrees.abs().max()) == 0.0
    assert set(shifts.flatten().tolist()) <= {-2.0, -1.0, 0.0, 1.0, 2.0}
    for k in range(16):
        dx, dy = int(shifts[k, 0]), int(shifts[k, 1])
        expected = np.zeros((8, 8), dtype=np.float32)
        src = images[k].numpy()
        for i in range(8):
            for j in range(8):
                if 0 <= i - dy < 8 and 0 <= j - dx < 8:
                    expected[i, j] = src[i - dy, j - dx]
        np.testing.assert_allclose(out[k].numpy(), expected, atol=1e-6)


def test_rotations_match_a_hand_resampler() -> None:
    images = _images(6)
    g = torch.Generator().manual_seed(1)
    out, shifts, degrees = augment.draw(images, augment.Augment(1, 25.0, 0.0), g)
    assert float(degrees.abs().max()) <= 25.0 and float(degrees.abs().max()) > 1.0
    for k in range(6):
        expected = reference(
            images[k].double().numpy(), float(shifts[k, 0]), float(shifts[k, 1]), float(degrees[k])
        )
        np.testing.assert_allclose(out[k].numpy(), expected, atol=1e-5)


def test_noise_is_added_then_clipped() -> None:
    images = torch.full((200, 8, 8), 0.5)
    g = torch.Generator().manual_seed(2)
    out, _, _ = augment.draw(images, augment.Augment(noise=0.1), g)
    delta = (out - images).numpy()
    assert abs(delta.mean()) < 0.005 and abs(delta.std() - 0.1) < 0.005
    out, _, _ = augment.draw(images, augment.Augment(noise=0.5), g)
    assert float(out.min()) == 0.0 and float(out.max()) == 1.0


def test_nothing_asked_leaves_images_alone() -> None:
    images = _images(4)
    a = augment.Augment()
    assert not a.active
    out, _, _ = augment.draw(images, a, torch.Generator().manual_seed(0))
    assert torch.equal(out, images)
