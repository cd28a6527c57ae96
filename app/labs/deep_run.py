"""One configuration of the deep lab: its network, optimiser, training step and measurements.

Config A, config B (compare mode) and every configuration of the sweep are each a Trainee;
they share the data (a DeepData) and, within a run, the very same minibatches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from app.data import digits, toy2d
from app.labs.base import finite_or_none, to_numpy
from app.labs.deep_params import N_DIGITS_TRAIN, N_SPIRALS, PROBE_BATCH, TRAIN_EVAL
from app.nets.deep_mlp import DeepMLP, DeepMLPConfig
from app.probes import jacobian, signal

SPIRAL_NOISE = 0.15
BINS = 24  # activation histogram bins


@dataclass
class DeepData:
    """Standardised inputs (each feature: train mean 0, std 1) and labels."""

    x_train: torch.Tensor  # (N_train, n_inputs)
    y_train: torch.Tensor  # (N_train,)
    x_test: torch.Tensor
    y_test: torch.Tensor
    points_test: np.ndarray  # the test set as drawn (2-D points or flattened images)

    def to(self, device: torch.device) -> DeepData:
        """The same data with its tensors on ``device``."""
        return DeepData(
            self.x_train.to(device),
            self.y_train.to(device),
            self.x_test.to(device),
            self.y_test.to(device),
            self.points_test,
        )


def load(dataset: str, seed: int) -> DeepData:
    """The spirals (seeded) or the digits (a fixed split), standardised on the training set."""
    if dataset == "spirals":
        x, y = toy2d.make("spirals", N_SPIRALS, SPIRAL_NOISE, seed)
        x_train, y_train, x_test, y_test = toy2d.split(x, y, 0.5)
    else:
        x_train, y_train, x_test, y_test = digits.split(N_DIGITS_TRAIN)
        x_train = x_train.reshape(len(x_train), -1)  # (N, 8, 8) → (N, 64)
        x_test = x_test.reshape(len(x_test), -1)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 1e-3, std, 1.0)

    def scaled(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(((a - mean) / std).astype(np.float32))

    return DeepData(
        scaled(x_train),
        torch.from_numpy(y_train.astype(np.int64)),
        scaled(x_test),
        torch.from_numpy(y_test.astype(np.int64)),
        x_test.astype(np.float32),
    )


def make_optimizer(model: DeepMLP, kind: str, lr: float) -> torch.optim.Optimizer:
    """Adam, SGD, or SGD with momentum 0.9."""
    if kind == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    momentum = 0.9 if kind == "momentum" else 0.0
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, fused=True)


class Trainee:
    """A network of ``config``, seeded by ``seed`` (made on the CPU, then moved to
    ``device``), and its optimiser."""

    def __init__(
        self,
        config: DeepMLPConfig,
        seed: int,
        optimizer: str,
        lr: float,
        device: torch.device | None = None,
    ) -> None:
        self.config = config
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = DeepMLP(config)
        if device is not None:
            self.model.to(device)
        self.optimizer = make_optimizer(self.model, optimizer, lr)
        self._last_loss: torch.Tensor | None = None  # read only when a frame asks
        self.ratios = [0.0] * (config.depth + 1)

    @property
    def last_loss(self) -> float:
        """The last training step's minibatch loss (NaN before the first step)."""
        return float("nan") if self._last_loss is None else float(self._last_loss)

    def retune(self, optimizer: str, lr: float, changed: set[str]) -> None:
        """Apply a live change of optimiser or learning rate."""
        if "optimizer" in changed:
            self.optimizer = make_optimizer(self.model, optimizer, lr)
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self, x: torch.Tensor, y: torch.Tensor, record: bool = False) -> None:
        """One training step on (x, y); ``record``: keep each weight's update ratio."""
        self.model.train()
        before = [w.detach().clone() for w in self._weights()] if record else []
        loss = F.cross_entropy(self.model(x), y)
        self.optimizer.zero_grad(set_to_none=False)
        loss.backward()
        self.optimizer.step()
        self._last_loss = loss.detach()
        if record:
            self.ratios = signal.update_ratios(before, self._weights())

    def _weights(self) -> list[torch.Tensor]:
        return [linear.weight for linear in self.model.linears()]

    @torch.no_grad()
    def evaluate(self, data: DeepData) -> dict[str, float | None]:
        """Loss and accuracy on the first TRAIN_EVAL training examples and on the test set."""
        model = self.model.eval()
        k = min(TRAIN_EVAL, len(data.x_train))
        test = model(data.x_test)
        train = model(data.x_train[:k])
        return {
            "loss": finite_or_none(float(F.cross_entropy(train, data.y_train[:k]))),
            "train_acc": float((train.argmax(1) == data.y_train[:k]).float().mean()),
            "test_loss": finite_or_none(float(F.cross_entropy(test, data.y_test))),
            "test_acc": float((test.argmax(1) == data.y_test).float().mean()),
        }

    def measure(self, data: DeepData, with_jacobian: bool) -> tuple[dict[str, Any], dict]:
        """Metrics and arrays of the signal probes (and the Jacobians when asked)."""
        model = self.model
        x, y = data.x_train[:PROBE_BATCH], data.y_train[:PROBE_BATCH]
        with signal.batch_statistics(model):
            s = signal.measure(model.blocks, model.head, model.linears(), x, y, BINS)
        std, grads = s.act_std, s.weight_grad_norm
        metrics = {
            "act_std_first": finite_or_none(float(std[0])),
            "act_std_last": finite_or_none(float(std[-1])),
            "act_std_ratio": finite_or_none(float(std[-1] / std[0])) if std[0] > 0 else None,
            "grad_norm_first": finite_or_none(float(grads[0])),
            "grad_norm_last": finite_or_none(float(grads[-2])),
            "grad_ratio": finite_or_none(float(grads[0] / grads[-2])) if grads[-2] > 0 else None,
        }
        weights = [float(torch.linalg.vector_norm(w.detach())) for w in self._weights()]
        arrays = {
            "act_mean": to_numpy(s.act_mean),
            "act_std": to_numpy(s.act_std),
            "act_hist": to_numpy(s.act_hist),
            "act_range": to_numpy(s.act_range),
            "act_grad_norm": to_numpy(s.act_grad_norm),
            "grad_norm": to_numpy(s.weight_grad_norm),
            "weight_norm": np.array(weights, dtype=np.float32),
            "update_ratio": np.array(self.ratios, dtype=np.float32),
        }
        if with_jacobian:
            arrays.update(self.spectra(data))
        return metrics, arrays

    def spectra(self, data: DeepData) -> dict[str, np.ndarray]:
        """Singular values of every layer's Jacobian and of their running product, at the
        first training example, BatchNorm using its running statistics (eval mode)."""
        model = self.model.eval()
        found = jacobian.spectra(jacobian.layer_jacobians(model.blocks, data.x_train[0]))
        width = self.config.width
        layers = np.full((self.config.depth, width), np.nan, dtype=np.float32)  # (L, width)
        for index, values in enumerate(found.layers):
            layers[index, : len(values)] = to_numpy(values)
        return {
            "jacobian/layers": layers,
            "jacobian/chain": to_numpy(torch.stack(found.chain)),  # (L, min(width, n_in))
            "jacobian/product": to_numpy(found.product),
        }
