"""The transfer lab: a small CNN pretrained on digits 0–4 is fine-tuned on 5–9 from a few
labelled images, against the same network trained from scratch; runs are checkpointed and
resumed bit for bit.

Modes: ``pretrain`` trains the CNN on every 0–4 image of the training pool (tested on the 0–4
test images); ``finetune`` starts from the body pretrained for ``pretrain_steps`` (same seed)
with a fresh 5-way head and trains on ``labels`` images of each of 5–9; ``scratch`` trains a
fresh network on those; ``compare`` runs fine-tune and scratch side by side on the same
batches, from the same head initialisation. ``freeze``: ``head`` trains only the classifier,
``partial`` the last convolution too, ``none`` everything (Yosinski et al. 2014, "How
transferable are features in deep neural networks?").

Checkpoints (app/labs/checkpoints.py): the probe ``checkpoint`` saves now, ``checkpoints``
lists this configuration's saves, ``resume`` (args.name) loads one; with ``checkpoint_every``
a save is made every that many steps.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel

from app.data import digits
from app.labs import checkpoints, transfer_params
from app.labs.base import Lab, LabError, Output, state_arrays, state_file, to_numpy
from app.labs.cnn import tensor_norms, upsample
from app.labs.sampling import EpochSampler
from app.labs.transfer_params import PRETRAIN_BATCH, PRETRAIN_LR, TransferParams
from app.nets.cnn import CNN, CNNConfig, LayerSpec

HEAD = "flatten"  # 32 × 2 × 2 features reach the head: a frozen body still tells classes apart
LAYERS = [  # conv 3×3 ×16 → maxpool 2 → conv 3×3 ×32 → maxpool 2
    LayerSpec("conv", 3, 1, 1, 1, 16),
    LayerSpec("maxpool", 2, 2, 0, 1, 16),
    LayerSpec("conv", 3, 1, 1, 1, 32),
    LayerSpec("maxpool", 2, 2, 0, 1, 32),
]
TRAINABLE = {"head": ("head.",), "partial": ("head.", "blocks.2."), "none": ("",)}


def make_cnn(seed: int) -> CNN:
    """conv 3×3 ×16 → maxpool → conv 3×3 ×32 → maxpool → flatten → 5 logits (no BatchNorm)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CNN(CNNConfig(LAYERS, False, HEAD, 8, 5))


def pool(first: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training pool and test images (N, 1, 8, 8) of digits first … first + 4, labels − first."""
    x_pool, y_pool, x_test, y_test = digits.split(digits.MAX_TRAIN)
    train, test = (y_pool >= first) & (y_pool < first + 5), (y_test >= first) & (y_test < first + 5)
    return (
        upsample(x_pool[train], 8).contiguous(),
        torch.from_numpy(y_pool[train] - first),
        upsample(x_test[test], 8).contiguous(),
        torch.from_numpy(y_test[test] - first),
    )


def labelled(x: torch.Tensor, y: torch.Tensor, per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``per_class`` images of each class of the pool (x, y), in pool order."""
    keep = torch.cat([torch.nonzero(y == c)[:per_class, 0] for c in range(5)]).sort().values
    return x[keep], y[keep]


@lru_cache(maxsize=4)
def pretrained(
    seed: int, steps: int, device: torch.device | None = None
) -> dict[str, torch.Tensor]:
    """The CNN's weights after ``steps`` Adam steps on digits 0–4, trained on ``device``
    (cached per process)."""
    device = torch.device("cpu") if device is None else device
    model = make_cnn(seed).to(device)
    x, y, _, _ = pool(0)
    x, y = x.to(device), y.to(device)
    batches = EpochSampler(len(x), seed, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=PRETRAIN_LR)
    for _ in range(steps):
        batch = batches.next(PRETRAIN_BATCH)
        loss = F.cross_entropy(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class TransferLab(Lab):
    """Pretrain on 0–4, fine-tune on 5–9 from few labels, against training from scratch."""

    id = "transfer"
    title = "Transfer learning and checkpoints"
    summary = "Reuse a network trained on digits 0–4 to learn 5–9 from a handful of labels."
    Params = TransferParams
    live_params: ClassVar[frozenset[str]] = frozenset(transfer_params.PACING)

    def __init__(self, params: TransferParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        transfer_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        transfer_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: TransferParams = params  # type: ignore[assignment]
        models = {"pretrain": ["model"], "finetune": ["finetune"], "scratch": ["scratch"]}
        return {
            "models": models.get(p.mode, ["finetune", "scratch"]),
            "classes": list(range(5)) if p.mode == "pretrain" else list(range(5, 10)),
            "key": checkpoints.params_key(p.shaping()),
            "weights": ["blocks.0.conv.weight", "blocks.2.conv.weight", "head.weight"],
        }

    def rebuild(self) -> None:
        p: TransferParams = self.params  # type: ignore[assignment]
        if p.mode == "pretrain":
            self.x_train, self.y_train, self.x_test, self.y_test = pool(0)
        else:
            x_pool, y_pool, self.x_test, self.y_test = pool(5)
            self.x_train, self.y_train = labelled(x_pool, y_pool, p.labels)
        self.x_train, self.y_train = self.x_train.to(self.device), self.y_train.to(self.device)
        self.x_test, self.y_test = self.x_test.to(self.device), self.y_test.to(self.device)
        meta = self.meta(p)
        self.models: dict[str, CNN] = {}
        for name in meta["models"]:
            model = make_cnn(p.seed if name == "model" else p.seed + 1).to(self.device)
            if name == "finetune":
                weights = pretrained(p.seed, p.pretrain_steps, self.device)
                body = {k: v for k, v in weights.items()
                        if k.startswith("blocks.")}  # fmt: skip
                model.load_state_dict(body, strict=False)
                for param_name, param in model.named_parameters():
                    param.requires_grad_(param_name.startswith(TRAINABLE[p.freeze]))
            self.models[name] = model
        self.optimizers = {
            name: torch.optim.Adam(
                [w for w in m.parameters() if w.requires_grad], lr=p.learning_rate
            )
            for name, m in self.models.items()
        }
        self.batches = EpochSampler(len(self.x_train), p.seed, self.device)
        self.key = meta["key"]
        self.step_count = 0
        self.last_loss: float | None = None
        self.saved: str | None = None
        self._evaluated: tuple[int, dict[str, Any]] | None = None

    @property
    def main(self) -> str:
        """The model the loss and accuracy metrics describe."""
        return next(iter(self.models))

    def step(self, n: int) -> None:
        p: TransferParams = self.params  # type: ignore[assignment]
        last = None
        for _ in range(n):
            batch = self.batches.next(p.batch_size)
            x, y = self.x_train[batch], self.y_train[batch]
            for name, model in self.models.items():
                loss = F.cross_entropy(model(x), y)
                self.optimizers[name].zero_grad()
                loss.backward()
                self.optimizers[name].step()
                if name == self.main:
                    last = loss.detach()
            self.step_count += 1
            every = p.checkpoint_every
            if every and self.step_count % every == 0 and checkpoints.enabled():
                self.last_loss = float(last) if last is not None else self.last_loss
                self.save()
        if last is not None:
            self.last_loss = float(last)
        self._evaluated = None

    @torch.no_grad()
    def _evaluate(self) -> dict[str, Any]:
        if self._evaluated is not None and self._evaluated[0] == self.step_count:
            return self._evaluated[1]
        out: dict[str, Any] = {}
        for name, model in self.models.items():
            prefix = "" if name == self.main else f"{name}_"
            train, test = model(self.x_train), model(self.x_test)
            out[f"{prefix}loss"] = float(F.cross_entropy(train, self.y_train))
            out[f"{prefix}train_acc"] = float((train.argmax(1) == self.y_train).float().mean())
            out[f"{prefix}test_loss"] = float(F.cross_entropy(test, self.y_test))
            out[f"{prefix}test_acc"] = float((test.argmax(1) == self.y_test).float().mean())
        self._evaluated = (self.step_count, out)
        return out

    def frame(self) -> Output:
        main = self.models[self.main]
        metrics: dict[str, Any] = {
            "scratch_test_acc": None,
            **self._evaluate(),
            "trainable_params": sum(w.numel() for w in main.parameters() if w.requires_grad),
            "labels_used": len(self.x_train),
            "batch_loss": self.last_loss,
            "epoch": self.batches.samples_seen / len(self.x_train),
            "checkpoint": self.saved,
            "checkpoints_enabled": checkpoints.enabled(),  # known in the worker, not the server
        }
        arrays = {
            f"kernels/{name}": to_numpy(m.blocks[0].conv.weight[:, 0])  # (16, 3, 3)
            for name, m in self.models.items()
        }
        tensors = [w for _, w in main.weight_tensors()]
        arrays["weight_norm"] = np.array(tensor_norms(tensors), dtype=np.float32)
        arrays["grad_norm"] = np.array(tensor_norms([w.grad for w in tensors]), dtype=np.float32)
        return Output(self.step_count, metrics, arrays)

    # -- checkpoints ---------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the run's future depends on."""
        return {
            "step": self.step_count,
            "params": self.params.shaping(),  # type: ignore[attr-defined]
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "sampler": checkpoints.sampler_state(self.batches),
            "last_loss": self.last_loss,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from a saved state of this configuration."""
        for name, model in self.models.items():
            model.load_state_dict(state["models"][name])
            self.optimizers[name].load_state_dict(state["optimizers"][name])
        checkpoints.load_sampler(self.batches, state["sampler"])
        self.step_count = int(state["step"])
        self.last_loss = state["last_loss"]
        self._evaluated = None

    def save(self) -> str:
        self.saved = checkpoints.save(self.id, self.key, self.step_count, self.state())
        return self.saved

    def probe(self, name: str, args: dict[str, Any]) -> Output:
        if name == "checkpoint":
            saved = self.save()
            return Output(self.step_count, {"saved": saved}, extra={"checkpoints": self._list()})
        if name == "checkpoints":
            return Output(self.step_count, {}, extra={"checkpoints": self._list()})
        if name == "resume":
            wanted = args.get("name") if isinstance(args, dict) else None
            self.load_state(checkpoints.load(self.id, self.key, wanted))
            now = self.frame()  # the resumed run's frame, so the page shows it at once
            return Output(
                self.step_count,
                {**now.metrics, "resumed": wanted},
                now.arrays,
                extra={"checkpoints": self._list()},
            )
        raise LabError(
            "unknown_probe",
            f"unknown probe {name!r}; transfer has 'checkpoint', 'checkpoints' and 'resume'",
        )

    def _list(self) -> list[dict[str, Any]]:
        return checkpoints.listing(self.id, self.key)

    def _state(self) -> dict[str, torch.Tensor]:
        return {
            f"{name}/{k}": v for name, m in self.models.items() for k, v in m.state_dict().items()
        }

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self._state())

    def export_weights(self) -> bytes:
        return state_file(self._state())
