"""Depth against width: a small grid of configurations trained a slice at a time.

Each configuration keeps the run's activation, initialisation, normalisation, shortcut,
optimiser, learning rate and batch size, and changes only depth and width. It trains
SWEEP_STEPS steps on the run's data (its own seeded batches), then is scored on the test set.
``advance`` trains for about SLICE_S seconds (estimated) and returns, so one request never
holds a worker long; the lab calls it once per ``step`` request while the sweep is on.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from app.labs.deep_params import SWEEP_DEPTHS as DEPTHS
from app.labs.deep_params import SWEEP_SLICE_S as SLICE_S
from app.labs.deep_params import SWEEP_WIDTHS as WIDTHS
from app.labs.deep_params import step_seconds
from app.labs.deep_run import DeepData, Trainee
from app.labs.sampling import EpochSampler
from app.nets.deep_mlp import DeepMLPConfig, count

SWEEP_STEPS = 300
COLUMNS = ("depth", "width", "n_params", "macs", "test_acc", "loss")


class Sweep:
    """The grid DEPTHS × WIDTHS around ``base``, trained one configuration after another."""

    def __init__(
        self, base: DeepMLPConfig, data: DeepData, seed: int, optimizer: str, lr: float, batch: int
    ) -> None:
        self.configs = [dataclasses.replace(base, depth=d, width=w) for d in DEPTHS for w in WIDTHS]
        self.data, self.seed, self.optimizer, self.lr = data, seed, optimizer, lr
        self.batch = batch
        self.results = np.full((len(self.configs), len(COLUMNS)), np.nan, dtype=np.float32)
        for row, config in zip(self.results, self.configs):
            row[:4] = [config.depth, config.width, *count(config)]
        self.done = 0
        self.current: Trainee | None = None
        self.steps = 0

    @property
    def total(self) -> int:
        return len(self.configs)

    @property
    def finished(self) -> bool:
        return self.done == self.total

    def advance(self) -> None:
        """Train the configuration in hand for about SLICE_S seconds; score it when done."""
        if self.finished:
            return
        config = self.configs[self.done]
        if self.current is None:
            device = self.data.x_train.device
            self.current = Trainee(config, self.seed, self.optimizer, self.lr, device)
            self.batches = EpochSampler(len(self.data.x_train), self.seed, device)
            self.steps = 0
        n = max(1, int(SLICE_S / step_seconds(config, self.batch)))
        for _ in range(min(n, SWEEP_STEPS - self.steps)):
            index = self.batches.next(self.batch)
            self.current.step(self.data.x_train[index], self.data.y_train[index])
            self.steps += 1
        if self.steps >= SWEEP_STEPS:
            metrics = self.current.evaluate(self.data)
            self.results[self.done, 4] = metrics["test_acc"]
            self.results[self.done, 5] = metrics["loss"] if metrics["loss"] is not None else np.nan
            self.done += 1
            self.current = None

    def progress(self) -> float:
        """Share of the sweep's steps done, 0–1."""
        return (self.done * SWEEP_STEPS + (self.steps if self.current else 0)) / (
            self.total * SWEEP_STEPS
        )
