"""The recurrent lab: a vanilla RNN, an LSTM or a GRU learns a generated sequence task while
the gradient through time, the hidden state and the gates are streamed; in compare mode the
three cells train side by side on the same batches from the same seed.

Frame arrays (see docs/protocol.md, "Lab `rnn`"), each prefixed ``<model>/`` in compare mode:
``grad_time`` (layers, T) ‖∂L/∂h_t‖; ``hidden/<l>`` (H, T) and ``gates/<gate>`` (H, T) of the
shown test sequence; ``clip_norms`` (k, 3) step, norm before and after clipping of the last
steps; ``weight_norm`` / ``grad_norm`` per weight tensor. Unprefixed: ``input`` (T, D).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel

from app.data import sequences
from app.labs import rnn_params
from app.labs.base import Lab, Output, finite_or_none, state_arrays, state_file
from app.labs.cnn import make_optimizer, retune, tensor_norms
from app.labs.rnn_params import CLIP_HISTORY, GRAD_PROBE, TRAIN_EVAL, RnnParams, model_name
from app.nets.rnn import GATES, RecurrentNet, count_params
from app.probes.recurrent import ThroughTime, gradient_ratio, through_time

DIVERGED_LOSS = 1e3  # a training loss above this counts as exploded
CLIP_SENT = 64  # per-step clipping norms a frame repeats (a dropped frame loses none)
METRICS = ("loss", "train_acc", "test_loss", "test_acc", "test_mse")
PER_MODEL = (*METRICS, "grad_ratio", "grad_norm_pre_clip", "grad_norm_post_clip", "diverged")


@dataclass
class Member:
    """One trained model of the run with its optimiser and its history."""

    cell: str
    model: RecurrentNet
    optimizer: torch.optim.Optimizer
    clip_norms: deque[tuple[int, float, float]] = field(
        default_factory=lambda: deque(maxlen=CLIP_HISTORY)
    )
    diverged: bool = False
    # (step, loss, norm before, norm after) of steps not yet read back from the device.
    pending: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = field(
        default_factory=list
    )

    def settle(self) -> float | None:
        """Read the pending steps back (one transfer), record their clip norms and whether
        the run diverged; return the last step's loss (None when nothing was pending)."""
        if not self.pending:
            return None
        values = torch.stack([torch.stack(p[1:]) for p in self.pending]).tolist()
        for (step, _, _, _), (value, pre, post) in zip(self.pending, values, strict=True):
            if not (math.isfinite(value) and math.isfinite(pre)) or value > DIVERGED_LOSS:
                self.diverged = True
            self.clip_norms.append((step, pre, post))
        self.pending.clear()
        return values[-1][0]


def clip_gradients(
    params: list[torch.nn.Parameter], how: str, threshold: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clip the gradients in place (``off``, ``norm`` or ``value``); global norm before, after
    (0-d tensors on the parameters' device: read them when needed, not every step)."""
    grads = [q.grad for q in params if q.grad is not None]
    before = torch.nn.utils.get_total_norm(grads)
    if how == "norm":
        torch.nn.utils.clip_grad_norm_(params, threshold)
    elif how == "value":
        torch.nn.utils.clip_grad_value_(params, threshold)
    else:
        return before, before
    return before, torch.nn.utils.get_total_norm(grads)


def weight_names(layers: int) -> list[str]:
    """The weight tensors of ``weight_norm`` / ``grad_norm``: state_dict names, input first."""
    recurrent = [f"rnn.weight_{n}_l{k}" for k in range(layers) for n in ("ih", "hh")]
    return [*recurrent, "head.weight"]


class RnnLab(Lab):
    """Train recurrent networks on sequence tasks; stream what happens through time."""

    id = "rnn"
    title = "Recurrent networks: RNN, LSTM and GRU through time"
    summary = "Watch gradients fade or explode over time steps, and gates decide what to keep."
    Params = RnnParams
    live_params: ClassVar[frozenset[str]] = frozenset(
        {
            "example",
            "fps",
            "steps_per_frame",
            "precision",
            "learning_rate",
            "momentum",
            "weight_decay",
            "batch_size",
            "optimizer",
            "clip",
            "clip_threshold",
            "tbptt",
        }
    )

    def __init__(self, params: RnnParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        rnn_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        rnn_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: RnnParams = params  # type: ignore[assignment]
        info = sequences.INFO[p.task]
        cells = p.cells()
        return {
            "task": p.task,
            "channels": list(info.channels),
            "regression": info.regression,
            "output_size": info.output_size,
            "tolerance": sequences.TOLERANCE if info.regression else None,
            "seq_len": p.seq_len,
            "truncation": p.truncation(),
            "layers": p.layers,
            "hidden": p.hidden,
            "n_test": sequences.N_TEST,
            "compare": p.compare,
            "models": list(cells),
            "primary": model_name(p.cell),
            "cells": cells,
            "gates": {m: list(GATES[c]) for m, c in cells.items()},
            "n_params": {m: count_params(p.config(c)) for m, c in cells.items()},
            "weights": weight_names(p.layers),
        }

    def rebuild(self) -> None:
        p: RnnParams = self.params  # type: ignore[assignment]
        self.info = sequences.INFO[p.task]
        x_eval, y_eval = sequences.make(p.task, TRAIN_EVAL, p.seq_len, p.seed)
        x_test, y_test = sequences.fixed_test_set(p.task, p.seq_len)
        self.x_eval, self.y_eval = self._tensors(x_eval, y_eval)
        self.x_test, self.y_test = self._tensors(x_test, y_test)
        self.stream = sequences.Stream(p.task, p.seq_len, p.seed)
        self.members: dict[str, Member] = {}
        for name, cell in p.cells().items():
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(p.seed)  # the same seed for every cell
                model = RecurrentNet(p.config(cell))
            model.to(self.device)
            optimizer = make_optimizer(model, p)  # type: ignore[arg-type]
            self.members[name] = Member(cell, model, optimizer)
        self.step_count = 0
        self.last_loss = float("nan")
        self.last_batch: tuple[torch.Tensor, torch.Tensor] | None = None
        self._cache: dict[str, tuple[int, Any]] = {}

    def _tensors(self, *arrays: np.ndarray) -> tuple[torch.Tensor, ...]:
        """NumPy arrays as tensors on the lab's device."""
        return tuple(torch.from_numpy(a).to(self.device) for a in arrays)

    def apply_live(self, changed: set[str]) -> None:
        for member in self.members.values():
            member.optimizer = retune(member.optimizer, member.model, self.params, changed)  # type: ignore[arg-type]
        self._cache.clear()  # a new truncation changes the gradient through time

    def loss_fn(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error for the adding task, cross-entropy for the others."""
        if self.info.regression:
            return F.mse_loss(out[:, 0], y)
        return F.cross_entropy(out, y)

    def step(self, n: int) -> None:
        p: RnnParams = self.params  # type: ignore[assignment]
        for _ in range(n):
            x, y = self._tensors(*self.stream.next(p.batch_size))
            self.step_count += 1
            for member in self.members.values():
                loss = self.loss_fn(member.model(x, p.truncation()), y)
                member.optimizer.zero_grad(set_to_none=False)
                loss.backward()
                params = list(member.model.parameters())
                pre, post = clip_gradients(params, p.clip, p.clip_threshold)
                member.optimizer.step()
                member.pending.append((self.step_count, loss.detach(), pre, post))
            self.last_batch = (x, y)
        for name, member in self.members.items():
            value = member.settle()  # one read-back per request, not three per step
            if value is not None and name == model_name(p.cell):
                self.last_loss = value
        self._cache.clear()

    def _cached(self, key: str, make: Any) -> Any:
        hit = self._cache.get(key)
        if hit is None or hit[0] != self.step_count:
            hit = (self.step_count, make())
            self._cache[key] = hit
        return hit[1]

    def _scores(self, out: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """(loss, accuracy): within the tolerance for the adding task, argmax otherwise."""
        loss = float(self.loss_fn(out, y))
        if self.info.regression:
            right = (out[:, 0] - y).abs() < sequences.TOLERANCE
        else:
            right = out.argmax(dim=1) == y
        return loss, float(right.float().mean())

    @torch.no_grad()
    def evaluate(self, name: str) -> dict[str, Any]:
        """Loss and accuracy of model ``name`` on the train sample and the test set."""
        model = self.members[name].model
        loss, train_acc = self._scores(model(self.x_eval), self.y_eval)
        test_loss, test_acc = self._scores(model(self.x_test), self.y_test)
        mse = test_loss if self.info.regression else None
        return {
            "loss": loss,
            "train_acc": train_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "test_mse": mse,
        }

    def look(self, name: str) -> ThroughTime:
        """∂L/∂h_t over the first GRAD_PROBE train-sample sequences, and the shown sequence."""
        p: RnnParams = self.params  # type: ignore[assignment]
        x, y = self.x_eval[:GRAD_PROBE], self.y_eval[:GRAD_PROBE]
        shown = self.x_test[p.example]
        model = self.members[name].model
        return through_time(model, x, y, shown, self.loss_fn, p.truncation())

    def _model_frame(self, name: str, prefix: str) -> tuple[dict[str, Any], dict, set[str]]:
        p: RnnParams = self.params  # type: ignore[assignment]
        member = self.members[name]
        metrics = dict(self._cached(f"eval/{name}", lambda: self.evaluate(name)))
        seen = self._cached(f"look/{name}/{p.example}", lambda: self.look(name))
        last = member.clip_norms[-1] if member.clip_norms else (0, math.nan, math.nan)
        metrics |= {
            "grad_ratio": gradient_ratio(seen.grad_time),
            "grad_norm_pre_clip": finite_or_none(last[1]),
            "grad_norm_post_clip": finite_or_none(last[2]),
            "diverged": member.diverged,
            "prediction": self._prediction(seen.output),
        }
        pictures = {f"hidden/{k}": h for k, h in enumerate(seen.hidden)}
        pictures |= {f"gates/{g}": v for g, v in seen.gates.items()}
        named_params = dict(member.model.named_parameters())
        tensors = [named_params[k] for k in weight_names(p.layers)]
        recent = list(member.clip_norms)[-CLIP_SENT:]
        arrays = {
            "grad_time": seen.grad_time,
            **pictures,
            "clip_norms": np.array(recent, dtype=np.float32).reshape(len(recent), 3),
            "weight_norm": np.array(tensor_norms(tensors), dtype=np.float32),
            "grad_norm": np.array(tensor_norms([w.grad for w in tensors]), dtype=np.float32),
        }
        quantize = set(pictures) if p.precision == "uint8" else set()
        named = {f"{prefix}{k}": v for k, v in arrays.items()}
        return metrics, named, {f"{prefix}{k}" for k in quantize}

    def _prediction(self, output: np.ndarray) -> float:
        """The shown sequence's answer: the regression output, or the most likely class."""
        return float(output[0]) if self.info.regression else float(np.argmax(output))

    def frame(self) -> Output:
        p: RnnParams = self.params  # type: ignore[assignment]
        primary = model_name(p.cell)
        target = self.y_test[p.example]
        metrics: dict[str, Any] = {
            "batch_loss": None if self.step_count == 0 else self.last_loss,
            "samples": self.stream.samples_seen,
            "target": float(target),
        }
        arrays: dict[str, np.ndarray] = {"input": self.x_test[p.example].cpu().numpy().copy()}
        quantize: set[str] = set()
        for name in self.members:
            prefix = f"{name}/" if p.compare else ""
            own, named, pictures = self._model_frame(name, prefix)
            arrays |= named
            quantize |= pictures
            if name == primary:
                metrics |= own
            if p.compare:
                metrics |= {f"{name}_{k}": v for k, v in own.items()}
        return Output(self.step_count, metrics, arrays, quantize)

    def dataset(self) -> Output:
        return Output(
            self.step_count,
            {"n_test": len(self.y_test), "seq_len": self.params.seq_len},  # type: ignore[attr-defined]
            {"test/targets": self.y_test.cpu().numpy().astype(np.float32)},
        )

    def state(self) -> dict[str, torch.Tensor]:
        """Every parameter; in compare mode prefixed ``<model>.``."""
        if not self.params.compare:  # type: ignore[attr-defined]
            (member,) = self.members.values()
            return member.model.state_dict()
        return {
            f"{name}.{k}": v
            for name, member in self.members.items()
            for k, v in member.model.state_dict().items()
        }

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self.state())

    def export_weights(self) -> bytes:
        return state_file(self.state())
