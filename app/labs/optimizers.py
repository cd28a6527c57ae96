"""The optimizers lab: SGD, momentum, Nesterov, RMSProp, Adam and AdamW race on a 2-D loss
surface and on a small network, with one learning-rate schedule for them all.

Each chosen optimiser is the real ``torch.optim`` class: on the surface it moves a
2-parameter float64 tensor (x, y) down f; on the network it trains its own copy of one
initial MLP on the same two-moons minibatches. A point that leaves |x|, |y| ≤ ESCAPE (or
turns non-finite) is stopped where it was and marked escaped.

Frame arrays (see docs/protocol.md, "Lab `optimizers`"): ``path/<id>`` (K, 2), the point's
path, thinned to at most PATH_POINTS + 1 points; ``effective_step/<id>`` (P,) for Adam and
AdamW, the step lr·m̂/(√v̂ + ε) of each network parameter at the last update (Kingma & Ba
2015; Loshchilov & Hutter 2019 for AdamW's decoupled decay).
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel

from app.data import surfaces, toy2d
from app.labs import optimizers_params
from app.labs.base import Lab, Output, finite_or_none, state_file, to_numpy
from app.labs.classifier import loss_from_logits
from app.labs.optimizers_params import (
    NET_HIDDEN,
    NET_POINTS,
    NET_TRAIN,
    OptimizersParams,
    lr_factor,
)
from app.labs.sampling import EpochSampler
from app.nets.mlp import MLP, MLPConfig

ESCAPE = 100.0  # a point beyond this |x| or |y| has left the surface for good
PATH_POINTS = 512  # points kept per path; the path is thinned by half when it outgrows them
ADAM_KINDS = ("adam", "adamw")


def make_optimizer(kind: str, params: Any, p: OptimizersParams) -> torch.optim.Optimizer:
    """The torch.optim optimiser ``kind`` over ``params`` with the lab's hyperparameters."""
    lr = p.lr(kind)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=p.momentum, nesterov=kind == "nesterov")
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=p.rms_alpha, eps=p.eps)
    betas = (p.beta1, p.beta2)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=p.eps)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=p.eps, weight_decay=p.adamw_decay)
    raise ValueError(f"unknown optimiser {kind!r}")


def effective_steps(optimizer: torch.optim.Optimizer) -> np.ndarray:
    """Adam's last step per parameter, lr·m̂/(√v̂ + ε), flattened in parameter order.

    m̂ = m / (1 − β1^t) and v̂ = v / (1 − β2^t) are the bias-corrected moment estimates;
    zeros before the first step.
    """
    parts = []
    for group in optimizer.param_groups:
        beta1, beta2 = group["betas"]
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            if "exp_avg" not in state:
                parts.append(np.zeros(param.numel()))
                continue
            t = float(state["step"])
            m_hat = state["exp_avg"].double() / (1 - beta1**t)
            v_hat = state["exp_avg_sq"].double() / (1 - beta2**t)
            step = group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
            parts.append(step.flatten().cpu().numpy())
    return np.concatenate(parts).astype(np.float32)


class Trace:
    """A path's points, every ``every``-th step; halved when it outgrows PATH_POINTS."""

    def __init__(self, start: tuple[float, float]) -> None:
        self.points: list[tuple[float, float]] = [start]
        self.every = 1

    def add(self, step: int, point: tuple[float, float]) -> None:
        if step % self.every:
            return
        self.points.append(point)
        if len(self.points) > PATH_POINTS:
            self.points = self.points[::2]
            self.every *= 2


class Racer:
    """One optimiser: its point on the surface and, optionally, its copy of the network."""

    def __init__(self, kind: str, p: OptimizersParams, net: MLP | None, schedule: Any) -> None:
        self.kind = kind
        self.point = torch.tensor([p.start_x, p.start_y], dtype=torch.float64, requires_grad=True)
        self.optimizer = make_optimizer(kind, [self.point], p)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self.trace = Trace((p.start_x, p.start_y))
        self.escaped = False
        self.net = net
        self.net_optimizer = make_optimizer(kind, net.parameters(), p) if net else None
        self.net_scheduler = (
            torch.optim.lr_scheduler.LambdaLR(self.net_optimizer, schedule)
            if self.net_optimizer
            else None
        )

    def step_surface(self, surface: surfaces.Surface, step: int) -> None:
        """One update of the point down ``surface`` (none once it has escaped)."""
        if not self.escaped:
            before = self.point.detach().clone()
            self.optimizer.zero_grad()
            surface(self.point[0], self.point[1]).backward()
            self.optimizer.step()
            now = self.point.detach()
            if not bool(torch.isfinite(now).all()) or float(now.abs().max()) > ESCAPE:
                with torch.no_grad():
                    self.point.copy_(before)
                self.escaped = True
            # an escaped point's schedule stops too (its learning rate no longer matters)
            self.scheduler.step()
        x, y = self.point.detach().tolist()
        self.trace.add(step, (x, y))

    def step_net(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One update of this optimiser's network on the minibatch (x, y)."""
        assert self.net is not None and self.net_optimizer is not None
        self.net_optimizer.zero_grad()
        loss_from_logits(self.net(x), y).backward()
        self.net_optimizer.step()
        self.net_scheduler.step()  # type: ignore[union-attr]


class OptimizersLab(Lab):
    """Race optimisers on a 2-D surface and on a small network; stream paths and losses."""

    id = "optimizers"
    title = "Optimisers: SGD, momentum, RMSProp, Adam"
    summary = "Race update rules down a loss surface and a real network, schedules included."
    Params = OptimizersParams
    curves: ClassVar[tuple[str, ...]] = ("loss",)  # its losses are per optimiser, drawn apart

    def __init__(self, params: OptimizersParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        optimizers_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        optimizers_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: OptimizersParams = params  # type: ignore[assignment]
        surface = surfaces.get(p.surface)
        widths = [2, *NET_HIDDEN, 1]
        n_net = sum(a * b + b for a, b in itertools.pairwise(widths))
        return {
            "surface": p.surface,
            "formula": surface.formula,
            "minimum": list(surface.minimum) if surface.minimum else None,
            "x_range": list(surfaces.X_RANGE),
            "y_range": list(surfaces.Y_RANGE),
            "optimizers": list(p.optimizers),
            "network": p.network,
            "net_widths": widths,
            "net_params": n_net,
        }

    def rebuild(self) -> None:
        p: OptimizersParams = self.params  # type: ignore[assignment]
        self.surface = surfaces.get(p.surface)
        points, labels = toy2d.make("moons", NET_POINTS, 0.2, p.seed)
        x_train, y_train, x_test, y_test = toy2d.split(points, labels, NET_TRAIN / NET_POINTS)
        # The network and its data live on the lab's device; each surface point (two numbers)
        # stays on the CPU, where one tiny update costs less than a device round trip.
        self.x_train = torch.from_numpy(x_train).to(self.device)
        self.y_train = torch.from_numpy(y_train).to(self.device)
        self.x_test = torch.from_numpy(x_test).to(self.device)
        self.y_test = torch.from_numpy(y_test).to(self.device)
        self.batches = EpochSampler(len(self.x_train), p.seed, self.device)
        net = None
        if p.network:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(p.seed)
                net = MLP(MLPConfig(2, list(NET_HIDDEN), "tanh", 1, "xavier"))
            net.to(self.device)

        def schedule(step: int) -> float:
            return lr_factor(self.params, step)  # type: ignore[arg-type]

        self.racers = {
            kind: Racer(kind, p, copy.deepcopy(net) if net else None, schedule)
            for kind in p.optimizers
        }
        self.step_count = 0
        self._evaluated: tuple[int, dict[str, Any]] | None = None

    @property
    def paths(self) -> dict[str, np.ndarray]:
        """Every optimiser's recorded path (K, 2) float64."""
        return {k: np.array(r.trace.points, dtype=np.float64) for k, r in self.racers.items()}

    def step(self, n: int) -> None:
        for _ in range(n):
            self.step_count += 1
            batch = self.batches.next(self.params.batch_size) if self.params.network else None
            for racer in self.racers.values():
                racer.step_surface(self.surface, self.step_count)
                if batch is not None:
                    racer.step_net(self.x_train[batch], self.y_train[batch])
        self._evaluated = None

    @torch.no_grad()
    def _net_metrics(self) -> dict[str, Any]:
        """Each network's loss on the whole training set and accuracy on the test set."""
        if self._evaluated is not None and self._evaluated[0] == self.step_count:
            return self._evaluated[1]
        metrics: dict[str, Any] = {}
        for kind, racer in self.racers.items():
            if racer.net is None:
                continue
            loss = float(loss_from_logits(racer.net(self.x_train), self.y_train))
            predicted = (racer.net(self.x_test)[:, 0] > 0).long()
            metrics[f"net_loss_{kind}"] = finite_or_none(loss)
            metrics[f"net_acc_{kind}"] = float((predicted == self.y_test).float().mean())
        self._evaluated = (self.step_count, metrics)
        return metrics

    def frame(self) -> Output:
        p: OptimizersParams = self.params  # type: ignore[assignment]
        metrics: dict[str, Any] = {"lr_factor": lr_factor(p, self.step_count)}
        arrays: dict[str, np.ndarray] = {}
        distances = []
        for kind, racer in self.racers.items():
            x, y = racer.point.detach().tolist()
            points = racer.trace.points
            if points[-1] != (x, y):
                points = [*points, (x, y)]
            arrays[f"path/{kind}"] = np.array(points, dtype=np.float32)  # (K, 2)
            distance = self.surface.distance(x, y)
            metrics[f"x_{kind}"], metrics[f"y_{kind}"] = x, y
            metrics[f"value_{kind}"] = finite_or_none(float(self.surface(x, y)))
            metrics[f"dist_{kind}"] = distance
            metrics[f"escaped_{kind}"] = racer.escaped
            metrics[f"lr_{kind}"] = racer.optimizer.param_groups[0]["lr"]
            if distance is not None:
                distances.append(distance)
            if racer.net_optimizer is not None and kind in ADAM_KINDS:
                arrays[f"effective_step/{kind}"] = effective_steps(racer.net_optimizer)
        metrics["min_dist"] = min(distances) if distances else None
        metrics.update(self._net_metrics())
        return Output(self.step_count, metrics, arrays)

    def dataset(self) -> Output:
        xs, ys, values = self.surface.grid(self.params.grid_n)
        return Output(
            self.step_count,
            {"n_train": len(self.x_train), "n_test": len(self.x_test)},
            {
                "surface": values.astype(np.float32),  # (grid_n, grid_n), row i at y[i]
                "surface/x": xs.astype(np.float32),
                "surface/y": ys.astype(np.float32),
            },
        )

    def snapshot(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for kind, racer in self.racers.items():
            out[f"{kind}/point"] = to_numpy(racer.point)
            if racer.net is not None:
                for name, value in racer.net.state_dict().items():
                    out[f"{kind}/{name}"] = to_numpy(value)
        return out

    def export_weights(self) -> bytes:
        return state_file({k: torch.from_numpy(v) for k, v in self.snapshot().items()})
