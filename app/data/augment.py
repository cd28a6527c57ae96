"""Random changes to 8 × 8 digit images that keep their label: shifts, small rotations, noise.

One affine map per image moves it: a rotation by an angle drawn uniformly from
[−max_degrees, max_degrees] about the image centre, then a shift by whole pixels drawn from
{−max_shift, …, max_shift} in x and in y. Pixels are read back by bilinear interpolation with
zeros outside (``grid_sample``; a pure whole-pixel shift lands exactly on pixel centres, so it
moves the image without blurring it). Gaussian noise of standard deviation ``noise`` is added
last and the result clipped to [0, 1]. Every draw comes from the given generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """Largest shift (pixels), largest rotation (degrees), noise standard deviation."""

    max_shift: int = 0
    max_degrees: float = 0.0
    noise: float = 0.0

    @property
    def active(self) -> bool:
        return self.max_shift > 0 or self.max_degrees > 0 or self.noise > 0


def affine(images: torch.Tensor, shifts: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """(N, H, W) images rotated by ``degrees`` (N,) and shifted by ``shifts`` (N, 2) = (dx, dy)
    pixels: output pixel p shows input pixel R⁻¹(p − c − s) + c (c: the centre)."""
    n, h, w = images.shape
    angle = degrees * (math.pi / 180)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output to input in normalised coordinates, one pixel = 2/W (or 2/H)
    tx = -2 * shifts[:, 0] / w
    ty = -2 * shifts[:, 1] / h
    theta = torch.stack(
        [
            torch.stack([cos, sin, cos * tx + sin * ty], dim=1),
            torch.stack([-sin, cos, -sin * tx + cos * ty], dim=1),
        ],
        dim=1,
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)  # (N, H, W, 2)
    moved = F.grid_sample(
        images[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )  # (N, 1, H, W)
    return moved[:, 0]


def draw(
    images: torch.Tensor, augment: Augment, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Augmented copies of (N, H, W) images, with the shifts (N, 2) and angles (N,) drawn."""
    n = len(images)
    s = augment.max_shift
    shifts = torch.randint(-s, s + 1, (n, 2), generator=generator).to(images.dtype)
    degrees = (torch.rand(n, generator=generator) * 2 - 1) * augment.max_degrees
    out = images
    if s > 0 or augment.max_degrees > 0:
        out = affine(images, shifts, degrees.to(images.dtype))
    if augment.noise > 0:
        noise = torch.randn(images.shape, generator=generator) * augment.noise
        out = (out + noise).clamp(0.0, 1.0)
    return out, shifts, degrees
