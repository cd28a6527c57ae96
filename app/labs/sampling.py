"""Minibatches that walk a fresh seeded shuffle of the training set every epoch."""

from __future__ import annotations

import torch


class EpochSampler:
    """Indices of successive minibatches; a new shuffle starts when the current one runs out.

    ``samples_seen`` counts every index handed out, so the epoch count stays exact when the
    batch size changes during a run.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.empty(0, dtype=torch.long)
        self.cursor = 0
        self.samples_seen = 0

    def next(self, batch_size: int) -> torch.Tensor:
        """The next ``min(batch_size, n)`` indices."""
        size = min(batch_size, self.n)
        if self.cursor + size > len(self.order):
            self.order = torch.randperm(self.n, generator=self.generator)
            self.cursor = 0
        batch = self.order[self.cursor : self.cursor + size]
        self.cursor += size
        self.samples_seen += size
        return batch
