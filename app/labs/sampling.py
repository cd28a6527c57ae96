"""Minibatches that walk a fresh seeded shuffle of the training set every epoch."""

from __future__ import annotations

import torch


class EpochSampler:
    """Indices of successive minibatches; a new shuffle starts when the current one runs out.

    ``samples_seen`` counts every index handed out, so the epoch count stays exact when the
    batch size changes during a run. Each shuffle is drawn on the CPU generator (the same on
    any machine); with ``device`` it is moved there once per epoch and the indices come back
    on that device, so a training step copies nothing to it.
    """

    def __init__(self, n: int, seed: int, device: torch.device | None = None) -> None:
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.empty(0, dtype=torch.long)
        self.cursor = 0
        self.samples_seen = 0
        self.device = device
        self._placed: tuple[torch.Tensor, torch.Tensor] | None = None  # (order, on device)

    def next(self, batch_size: int) -> torch.Tensor:
        """The next ``min(batch_size, n)`` indices."""
        size = min(batch_size, self.n)
        if self.cursor + size > len(self.order):
            self.order = torch.randperm(self.n, generator=self.generator)
            self.cursor = 0
        order = self.order
        if self.device is not None:
            if self._placed is None or self._placed[0] is not self.order:
                self._placed = (self.order, self.order.to(self.device))
            order = self._placed[1]
        batch = order[self.cursor : self.cursor + size]
        self.cursor += size
        self.samples_seen += size
        return batch
