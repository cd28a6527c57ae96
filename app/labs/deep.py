"""The deep lab: how a signal survives many layers, forward and backward.

An MLP of up to 64 hidden layers learns the two spirals or the 8 × 8 digits. Each frame
carries, per hidden layer, the forward signal (activation mean, std, histogram), the backward
signal (gradient norms), the update-to-weight ratio of the last step, and the singular values
of every layer's Jacobian and of their product (see docs/protocol.md, "Lab `deep`").
Compare mode trains a config B beside A on the same seed and minibatches (metrics ``b_…``,
arrays ``b/…``); the sweep trains a depth × width grid a slice per request.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel

from app.labs import deep_params
from app.labs.base import Lab, Output, state_arrays, state_file
from app.labs.deep_params import PROBE_BATCH, DeepParams
from app.labs.deep_run import BINS, Trainee, load
from app.labs.deep_sweep import COLUMNS, SWEEP_STEPS, Sweep
from app.labs.sampling import EpochSampler
from app.nets.deep_mlp import count

# The metrics of one configuration; config B's carry the prefix "b_".
CONFIG_METRICS = (
    "loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "act_std_first",
    "act_std_last",
    "act_std_ratio",
    "grad_norm_first",
    "grad_norm_last",
    "grad_ratio",
    "batch_loss",
)
RUN_METRICS = ("epoch", "probe_step", "sweep_done", "sweep_total", "sweep_progress")


def _prefix(which: str) -> tuple[str, str]:
    """(metric prefix, array prefix) of config A ('', '') or B ('b_', 'b/')."""
    return ("", "") if which == "a" else ("b_", "b/")


class DeepLab(Lab):
    """Train one deep MLP (or two side by side); stream its signals and Jacobian spectra."""

    id = "deep"
    title = "Deep networks: the signal through many layers"
    summary = "Stack up to 64 layers and watch activations and gradients explode or vanish."
    Params = DeepParams
    # Every frame carries these metrics (the b_ ones in compare mode; lesson challenges may
    # name any of them).
    metrics: ClassVar[tuple[str, ...]] = (
        *CONFIG_METRICS,
        *RUN_METRICS,
        *(f"b_{name}" for name in CONFIG_METRICS),
    )
    live_params: ClassVar[frozenset[str]] = frozenset(
        {"fps", "steps_per_frame", "learning_rate", "optimizer", "batch_size", "sweep"}
    )

    def __init__(self, params: DeepParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        deep_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        deep_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: DeepParams = params  # type: ignore[assignment]
        configs = {}
        for which, config in p.configs().items():
            n_params, macs = count(config)
            configs[which] = {**vars(config), "n_params": n_params, "macs": macs}
        return {
            "configs": configs,
            "bins": BINS,
            "probe_batch": PROBE_BATCH,
            "probe_every": deep_params.probe_every(p),
            "jacobian_input": "the first training example",
            "sweep": {
                "depths": list(deep_params.SWEEP_DEPTHS),
                "widths": list(deep_params.SWEEP_WIDTHS),
                "steps": SWEEP_STEPS,
                "columns": list(COLUMNS),
            },
        }

    def rebuild(self) -> None:
        p: DeepParams = self.params  # type: ignore[assignment]
        self.data = load(p.dataset, p.seed).to(self.device)
        self.trainees = {
            which: Trainee(config, p.seed, p.optimizer, p.learning_rate, self.device)
            for which, config in p.configs().items()
        }
        self.batches = EpochSampler(len(self.data.x_train), p.seed, self.device)
        self.step_count = 0
        self.sweep = self._new_sweep() if p.sweep else None
        self._measured: tuple[int, dict[str, Any], dict[str, np.ndarray]] | None = None
        self._age = 0

    def _new_sweep(self) -> Sweep:
        p: DeepParams = self.params  # type: ignore[assignment]
        return Sweep(p.config(), self.data, p.seed, p.optimizer, p.learning_rate, p.batch_size)

    def apply_live(self, changed: set[str]) -> None:
        p: DeepParams = self.params  # type: ignore[assignment]
        for trainee in self.trainees.values():
            trainee.retune(p.optimizer, p.learning_rate, changed)
        if "sweep" in changed:
            self.sweep = self._new_sweep() if p.sweep else None

    def step(self, n: int) -> None:
        p: DeepParams = self.params  # type: ignore[assignment]
        for i in range(n):
            batch = self.batches.next(p.batch_size)
            x, y = self.data.x_train[batch], self.data.y_train[batch]
            for trainee in self.trainees.values():
                trainee.step(x, y, record=i == n - 1)
            self.step_count += 1
        if self.sweep is not None:
            self.sweep.advance()

    def _measure(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Every config's evaluation and probes, measured again only every probe_every frames
        (large networks spread their probes' cost over frames)."""
        every = deep_params.probe_every(self.params)  # type: ignore[arg-type]
        cached = self._measured
        if cached is not None and (cached[0] == self.step_count or self._age + 1 < every):
            self._age += 1
            return cached[1], cached[2]
        metrics: dict[str, Any] = {"probe_step": self.step_count}
        arrays: dict[str, np.ndarray] = {}
        for which, trainee in self.trainees.items():
            m, a = trainee.measure(self.data, with_jacobian=True)
            evaluated = trainee.evaluate(self.data)
            key, name = _prefix(which)
            metrics.update({key + k: v for k, v in {**evaluated, **m}.items()})
            arrays.update({name + k: v for k, v in a.items()})
        self._measured = (self.step_count, metrics, arrays)
        self._age = 0
        return metrics, arrays

    def frame(self) -> Output:
        measured, arrays = self._measure()
        metrics: dict[str, Any] = dict(measured)
        for which, trainee in self.trainees.items():
            key, _ = _prefix(which)
            loss = trainee.last_loss
            metrics[key + "batch_loss"] = loss if self.step_count and np.isfinite(loss) else None
        metrics["epoch"] = self.batches.samples_seen / len(self.data.x_train)
        arrays = dict(arrays)
        if self.sweep is None:
            metrics.update({"sweep_done": None, "sweep_total": None, "sweep_progress": None})
        else:
            metrics["sweep_done"] = self.sweep.done
            metrics["sweep_total"] = self.sweep.total
            metrics["sweep_progress"] = self.sweep.progress()
            arrays["sweep/results"] = self.sweep.results.copy()
        return Output(self.step_count, metrics, arrays)

    def dataset(self) -> Output:
        return Output(
            self.step_count,
            {"n_train": len(self.data.x_train), "n_test": len(self.data.x_test)},
            {"test/labels": self.data.y_test.cpu().numpy().astype(np.int32)},
        )

    def _state(self) -> dict[str, torch.Tensor]:
        state = {}
        for which, trainee in self.trainees.items():
            _, name = _prefix(which)
            state.update({name + k: v for k, v in trainee.model.state_dict().items()})
        return state

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self._state())

    @classmethod
    def export_script(cls, params: BaseModel) -> str:
        from app.labs.deep_script import deep_script

        p: DeepParams = params  # type: ignore[assignment]
        return deep_script(p.model_dump(), vars(p.config()))

    def export_weights(self) -> bytes:
        return state_file(self._state())
