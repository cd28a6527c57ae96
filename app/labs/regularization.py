"""The regularization lab: a residual MLP overfits a small set of digits, and dropout, weight
decay, label smoothing, data augmentation, stochastic depth and early stopping hold it back.

The data: ``train_size`` training digits, a validation set of N_VAL other digits (never
trained on; early stopping watches its loss) and the usual 360 test digits. Every EVAL_EVERY
steps the model is evaluated on all three, clean (evaluation mode, no augmentation, plain
cross-entropy); these evaluations make the history and drive early stopping. With
``early_stopping`` training stops once ``patience`` evaluations in a row have not lowered the
best validation loss; with ``restore_best`` the weights of the best evaluation come back.

Weight decay: ``l2`` adds λ/2·Σθ² to the loss that Adam minimises (its gradient λθ then goes
through Adam's per-parameter scaling); ``decoupled`` is AdamW, which shrinks θ by lr·λ·θ apart
from Adam's step (Loshchilov & Hutter 2019). Label smoothing trains on targets
(1 − ε)·one-hot + ε/10 (Szegedy et al. 2016).

Frame arrays (see docs/protocol.md, "Lab `regularization`"): ``history/*`` (the evaluations),
``augmented`` (8, 8, 8), the first 8 training images as the current augmentation draws them.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel

from app.data import augment, digits
from app.labs import regularization_params
from app.labs.base import Lab, Output, state_arrays, state_file
from app.labs.cnn import tensor_norms
from app.labs.regularization_params import (
    EVAL_EVERY,
    HISTORY_POINTS,
    N_VAL,
    RegularizationParams,
)
from app.labs.sampling import EpochSampler
from app.nets.residual_mlp import ResidualMLP, ResidualMLPConfig

HISTORY_KEYS = ("loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")
SHOWN = 8  # training images shown augmented


def split(train_size: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Train, validation and test images (N, 8, 8) with labels; the validation images are
    the last N_VAL of the non-test pool, so they never overlap the training ones."""
    x_pool, y_pool, x_test, y_test = digits.split(digits.MAX_TRAIN)
    pairs = {
        "train": (x_pool[:train_size], y_pool[:train_size]),
        "val": (x_pool[-N_VAL:], y_pool[-N_VAL:]),
        "test": (x_test, y_test),
    }
    return {
        k: (torch.from_numpy(x.copy()), torch.from_numpy(y.copy())) for k, (x, y) in pairs.items()
    }


def training_loss(
    model: torch.nn.Module, logits: torch.Tensor, y: torch.Tensor, p: RegularizationParams
) -> torch.Tensor:
    """Cross-entropy with label smoothing, plus λ/2·Σθ² over every parameter in ``l2`` mode."""
    loss = F.cross_entropy(logits, y, label_smoothing=p.label_smoothing)
    if p.decay_mode == "l2" and p.weight_decay > 0:
        penalty = sum(w.pow(2).sum() for w in model.parameters())
        loss = loss + 0.5 * p.weight_decay * penalty
    return loss


def make_optimizer(model: torch.nn.Module, p: RegularizationParams) -> torch.optim.Optimizer:
    """Adam (L2 in the loss, or none) or AdamW (decoupled decay)."""
    if p.decay_mode == "decoupled":
        return torch.optim.AdamW(
            model.parameters(), lr=p.learning_rate, weight_decay=p.weight_decay
        )
    return torch.optim.Adam(model.parameters(), lr=p.learning_rate)


class RegularizationLab(Lab):
    """Overfit a small digits set on purpose; watch each regulariser close the gap."""

    id = "regularization"
    title = "Regularisation: closing the generalisation gap"
    summary = "Dropout, weight decay, label smoothing, augmentation and early stopping at work."
    Params = RegularizationParams

    def __init__(self, params: RegularizationParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        regularization_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        regularization_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: RegularizationParams = params  # type: ignore[assignment]
        return {
            "n_train": p.train_size,
            "n_val": N_VAL,
            "n_test": digits.N_TEST,
            "eval_every": EVAL_EVERY,
            "n_params": regularization_params.costs(p)["n_params"],
            "weights": [
                "stem.weight",
                *(f"blocks.{i}.weight" for i in range(p.blocks)),
                "head.weight",
            ],
        }

    def rebuild(self) -> None:
        p: RegularizationParams = self.params  # type: ignore[assignment]
        cpu = split(p.train_size)
        # Augmentation draws on the CPU generator from the CPU images; the rest is on device.
        self.train_images = cpu["train"][0]
        self.data = {k: (x.to(self.device), y.to(self.device)) for k, (x, y) in cpu.items()}
        self.batches = EpochSampler(p.train_size, p.seed, self.device)
        self.generator = torch.Generator().manual_seed(p.seed + 1)  # dropout, augmentation
        config = ResidualMLPConfig(64, p.width, p.blocks, 10, p.dropout, p.stochastic_depth)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(p.seed)
            self.model = ResidualMLP(config)
        self.model.to(self.device)
        self.model.generator = self.generator
        self.optimizer = make_optimizer(self.model, p)
        self.augment = p.augmentation()
        self.step_count = 0
        self.last_loss: float | None = None
        self.history: dict[str, list[float]] = {k: [] for k in ("step", *HISTORY_KEYS)}
        self.history_every = 1  # evaluations per kept history point (doubles when thinned)
        self.best: dict[str, Any] = {"val_loss": float("inf"), "step": None, "test_acc": None}
        self.best_state: dict[str, torch.Tensor] | None = None
        self.waited = 0
        self.stopped = False
        self.restored = False
        self._evaluate_and_watch()

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Clean loss and accuracy on the train, validation and test sets."""
        model = self.model.eval()
        out: dict[str, float] = {}
        for name, key in (("train", ""), ("val", "val_"), ("test", "test_")):
            x, y = self.data[name]
            logits = model(x.reshape(len(x), 64))
            out[f"{key}loss" if key else "loss"] = float(F.cross_entropy(logits, y))
            out[f"{name}_acc"] = float((logits.argmax(1) == y).float().mean())
        return out

    def _evaluate_and_watch(self) -> None:
        """One scheduled evaluation: record it, track the best, maybe stop early."""
        p: RegularizationParams = self.params  # type: ignore[assignment]
        metrics = self.evaluate()
        self.latest = (self.step_count, metrics)
        self._record(metrics)
        if metrics["val_loss"] < self.best["val_loss"]:
            self.best = {"val_loss": metrics["val_loss"], "step": self.step_count,
                         "test_acc": metrics["test_acc"]}  # fmt: skip
            self.best_state = copy.deepcopy(self.model.state_dict())
            self.waited = 0
        else:
            self.waited += 1
        if p.early_stopping and self.waited >= p.patience:
            self.stopped = True
            if p.restore_best and self.best_state is not None:
                self.model.load_state_dict(self.best_state)
                self.restored = True
                self.latest = (self.step_count, self.evaluate())

    def _record(self, metrics: dict[str, float]) -> None:
        evaluation = self.step_count // EVAL_EVERY
        if evaluation % self.history_every:
            return
        self.history["step"].append(self.step_count)
        for key in HISTORY_KEYS:
            self.history[key].append(metrics[key])
        if len(self.history["step"]) > HISTORY_POINTS:
            self.history = {k: v[::2] for k, v in self.history.items()}
            self.history_every *= 2

    def step(self, n: int) -> None:
        p: RegularizationParams = self.params  # type: ignore[assignment]
        last = None
        for _ in range(n):
            if self.stopped:
                break
            self.model.train()
            x, y = self.data["train"]
            batch = self.batches.next(p.batch_size)
            if self.augment.active:
                originals = self.train_images[batch.cpu()]
                images, _, _ = augment.draw(originals, self.augment, self.generator)
                images = images.to(self.device)
            else:
                images = x[batch]
            logits = self.model(images.reshape(len(images), 64))
            loss = training_loss(self.model, logits, y[batch], p)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.step_count += 1
            last = loss.detach()
            if self.step_count % EVAL_EVERY == 0:
                self.last_loss = float(last)
                self._evaluate_and_watch()
        if last is not None:
            self.last_loss = float(last)

    def frame(self) -> Output:
        p: RegularizationParams = self.params  # type: ignore[assignment]
        measured_at, m = self.latest
        metrics: dict[str, Any] = {
            **m,
            "gap": m["train_acc"] - m["test_acc"],
            "best_test_acc": self.best["test_acc"],
            "best_step": self.best["step"],
            "best_val_loss": self.best["val_loss"],
            "stopped": self.stopped,
            "restored": self.restored,
            "eval_step": measured_at,
            "batch_loss": self.last_loss,
            "epoch": self.batches.samples_seen / p.train_size,
        }
        arrays: dict[str, np.ndarray] = {
            "history/step": np.array(self.history["step"], dtype=np.int32),
            **{f"history/{k}": np.array(self.history[k], dtype=np.float32) for k in HISTORY_KEYS},
            "augmented": self.shown_augmented(),
        }
        weights = [w for name, w in self.model.named_parameters() if name.endswith("weight")]
        arrays["weight_norm"] = np.array(tensor_norms(weights), dtype=np.float32)
        arrays["grad_norm"] = np.array(tensor_norms([w.grad for w in weights]), dtype=np.float32)
        return Output(self.step_count, metrics, arrays)

    def shown_augmented(self) -> np.ndarray:
        """(8, 8, 8): the first training images as the augmentation might draw them now
        (its own generator, seeded by seed and step, so training's draws stay untouched)."""
        images = self.train_images[:SHOWN]
        if not self.augment.active:
            return images.numpy().astype(np.float32)
        shown = torch.Generator().manual_seed(self.params.seed * 1_000_003 + self.step_count)
        out, _, _ = augment.draw(images, self.augment, shown)
        return out.numpy().astype(np.float32)

    def dataset(self) -> Output:
        x, y = self.data["train"]
        return Output(
            self.step_count,
            {"n_train": len(x), "n_val": N_VAL, "n_test": digits.N_TEST},
            {"train/labels": y[:SHOWN].cpu().numpy().astype(np.int32)},
        )

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self.model.state_dict())

    def export_weights(self) -> bytes:
        return state_file(self.model.state_dict())
