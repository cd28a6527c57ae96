"""The two-moons lab: a real PyTorch MLP learns a 2-D classification set while you watch.

Frame arrays (see docs/protocol.md): ``boundary`` (n_y, n_x) = P(class 1) on the hello's
grid; ``neurons/<k>`` (units, m, m) = hidden layer k's post-activation values on an m × m
grid over the same extents; ``weights/<k>`` (out, in) = the k-th Linear layer's weights;
``weight_norm`` and ``grad_norm`` (layers,) per Linear layer.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.data.toy2d import features
from app.labs.base import (
    Lab,
    LabError,
    Output,
    refuse_long_request,
    refuse_over_budget,
    state_arrays,
    state_file,
)
from app.labs.classifier import Classifier, ClassifierConfig, make_optimizer
from app.probes.activations import capture_outputs
from app.probes.gradients import grad_norms, weight_norms
from app.probes.grid import grid_points

EXTENT = (-2.0, 2.0)
MAX_MACS_PER_SECOND = 1e9
MAX_FRAME_BYTES = 512 * 1024
MAX_STEPS_PER_SECOND = 2000
STEP_OVERHEAD_S = 5e-4  # per step, measured: Python and op-dispatch costs dominate tiny nets
MACS_PER_SECOND = 1e9  # one core, single thread, a conservative figure
Feature = Literal["x", "y", "x2", "y2", "xy", "sinx", "siny"]


class TwoMoonsParams(BaseModel):
    """Every control of the lab: a typed, bounded field that round-trips through JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: Literal["moons", "circles", "xor", "spirals", "blobs"] = Field(
        "moons", description="Which 2-D set to classify"
    )
    noise: float = Field(
        0.2,
        ge=0.0,
        le=0.5,
        description="Gaussian noise on each point (std, relative to the set's scale)",
    )
    n_samples: int = Field(400, ge=20, le=2000, description="Points in train + test")
    train_fraction: float = Field(0.5, ge=0.1, le=0.9, description="Share of points used to train")
    features: Annotated[list[Feature], Field(min_length=1, max_length=7)] = Field(
        default_factory=lambda: ["x", "y"], description="Input columns computed from (x, y)"
    )
    hidden: Annotated[list[Annotated[int, Field(ge=1, le=16)]], Field(max_length=6)] = Field(
        default_factory=lambda: [4, 4], description="Units in each hidden layer (0–6 layers)"
    )
    activation: Literal["relu", "tanh", "sigmoid", "linear"] = Field(
        "relu", description="Non-linearity after each hidden layer"
    )
    output: Literal["sigmoid", "softmax"] = Field(
        "sigmoid", description="One logit + sigmoid, or two logits + softmax"
    )
    init: Literal["xavier", "he"] = Field("xavier", description="Weight initialisation")
    optimizer: Literal["sgd", "momentum", "adam"] = Field("adam", description="Update rule")
    learning_rate: float = Field(0.01, gt=0.0, le=10.0, description="Step size")
    momentum: float = Field(0.9, ge=0.0, le=0.99, description="Momentum (momentum optimiser)")
    l2: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty on weights")
    batch_size: int = Field(16, ge=1, le=1000, description="Points per training step")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of data, init and batches")
    fps: int = Field(20, ge=1, le=60, description="Frames sent per second at most")
    steps_per_frame: int = Field(5, ge=1, le=200, description="Training steps between frames")
    grid_n: int = Field(100, ge=10, le=200, description="Boundary grid points per axis")
    neuron_grid: int = Field(32, ge=8, le=64, description="Neuron thumbnail points per axis")
    precision: Literal["uint8", "float32"] = Field(
        "uint8", description="uint8 (quantised, small frames) or float32 (exact) pictures"
    )

    @field_validator("features")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("features must not repeat")
        return value


def _n_params(p: TwoMoonsParams) -> int:
    widths = [len(p.features), *p.hidden, 1 if p.output == "sigmoid" else 2]
    return sum(a * b + b for a, b in itertools.pairwise(widths))


class TwoMoons(Lab):
    """Train an MLP on a 2-D set; stream its decision boundary and every neuron's picture."""

    id = "two-moons"
    title = "Two moons: a network learns to separate"
    summary = "Watch an MLP bend its decision boundary, neuron by neuron, as it trains."
    Params = TwoMoonsParams
    live_params: ClassVar[frozenset[str]] = frozenset(
        {
            "fps",
            "steps_per_frame",
            "grid_n",
            "neuron_grid",
            "precision",
            "learning_rate",
            "momentum",
            "l2",
            "batch_size",
            "optimizer",
        }
    )

    def __init__(self, params: TwoMoonsParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        p: TwoMoonsParams = params  # type: ignore[assignment]
        n_params = _n_params(p)
        steps_per_s = p.fps * p.steps_per_frame
        step_macs = 3 * n_params * min(p.batch_size, p.n_samples)
        frame_macs = n_params * (p.grid_n**2 + p.neuron_grid**2 + p.n_samples)
        macs_per_s = steps_per_s * step_macs + p.fps * frame_macs
        itemsize = 1 if p.precision == "uint8" else 4
        frame_bytes = itemsize * (p.grid_n**2 + sum(p.hidden) * p.neuron_grid**2) + 4 * n_params
        refuse_over_budget(
            [
                (
                    steps_per_s > MAX_STEPS_PER_SECOND,
                    f"fps × steps_per_frame = {steps_per_s} steps/s > {MAX_STEPS_PER_SECOND}",
                    ["fps", "steps_per_frame"],
                ),
                (
                    macs_per_s > MAX_MACS_PER_SECOND,
                    f"{macs_per_s:.3g} multiply-adds/s > {MAX_MACS_PER_SECOND:.0e}",
                    ["fps", "steps_per_frame", "batch_size", "hidden", "grid_n", "neuron_grid"],
                ),
                (
                    frame_bytes > MAX_FRAME_BYTES,
                    f"{frame_bytes} bytes a frame > {MAX_FRAME_BYTES}",
                    ["grid_n", "neuron_grid", "hidden", "precision"],
                ),
            ],
            {"steps_per_s": steps_per_s, "macs_per_s": macs_per_s, "frame_bytes": frame_bytes},
        )

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        p: TwoMoonsParams = params  # type: ignore[assignment]
        per_step = STEP_OVERHEAD_S + 3 * _n_params(p) * min(p.batch_size, p.n_samples) / (
            MACS_PER_SECOND
        )
        refuse_long_request(n, per_step, ["batch_size", "hidden"])

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: TwoMoonsParams = params  # type: ignore[assignment]
        return {
            "grid": {"x": [*EXTENT, p.grid_n], "y": [*EXTENT, p.grid_n]},
            "neuron_grid": {"x": [*EXTENT, p.neuron_grid], "y": [*EXTENT, p.neuron_grid]},
            "layers": [len(p.features), *p.hidden, 1 if p.output == "sigmoid" else 2],
            "features": list(p.features),
        }

    def _config(self) -> ClassifierConfig:
        fields = ClassifierConfig.__dataclass_fields__
        return ClassifierConfig(
            **{k: v for k, v in self.params.model_dump().items() if k in fields}
        )

    def rebuild(self) -> None:
        self.run = Classifier(self._config(), self.device)
        self.step_count = 0
        self._grids: dict[tuple[int, tuple[str, ...]], torch.Tensor] = {}

    def _grid_inputs(self, n: int) -> torch.Tensor:
        """The network's inputs at the n × n grid over EXTENT (cached: it never changes)."""
        key = (n, tuple(self.params.features))
        if key not in self._grids:
            points = grid_points((*EXTENT, n), (*EXTENT, n))
            inputs = torch.from_numpy(features(points, self.params.features))
            self._grids[key] = inputs.to(self.device)
        return self._grids[key]

    def apply_live(self, changed: set[str]) -> None:
        self.run.config = self._config()
        if {"optimizer", "learning_rate", "momentum"} & changed:
            if "optimizer" in changed:
                self.run.optimizer = make_optimizer(self.run.model, self.run.config)
            else:
                for group in self.run.optimizer.param_groups:
                    group["lr"] = self.params.learning_rate
                    if "momentum" in group and self.params.optimizer == "momentum":
                        group["momentum"] = self.params.momentum

    def step(self, n: int) -> None:
        self.run.step(n)
        self.step_count = self.run.steps

    @torch.no_grad()
    def frame(self) -> Output:
        p: TwoMoonsParams = self.params  # type: ignore[assignment]
        model = self.run.model.eval()
        arrays: dict[str, np.ndarray] = {}
        boundary = model.prob_class1(self._grid_inputs(p.grid_n))
        arrays["boundary"] = boundary.cpu().numpy().reshape(p.grid_n, p.grid_n)  # (n_y, n_x)
        m = p.neuron_grid
        with capture_outputs(list(model.act)) as outputs:
            model(self._grid_inputs(m))
        for k, h in enumerate(outputs):
            assert h is not None
            # (N, units) → (units, m, m)
            arrays[f"neurons/{k}"] = h.T.reshape(-1, m, m).cpu().numpy()
        linears = model.linears()
        for k, layer in enumerate(linears):
            arrays[f"weights/{k}"] = layer.weight.detach().cpu().numpy()  # (out, in)
        arrays["weight_norm"] = np.array(weight_norms(linears), dtype=np.float32)
        arrays["grad_norm"] = np.array(grad_norms(linears), dtype=np.float32)
        train_loss, train_acc = self.run.evaluate(self.run.x_train, self.run.y_train)
        test_loss, test_acc = self.run.evaluate(self.run.x_test, self.run.y_test)
        metrics = {
            "loss": train_loss,
            "train_acc": train_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "batch_loss": None if self.run.steps == 0 else self.run.last_loss,
            "epoch": self.run.batches.samples_seen / len(self.run.x_train),
        }
        picture = {"boundary", *(f"neurons/{k}" for k in range(len(p.hidden)))}
        return Output(
            self.step_count,
            metrics,
            {k: v.astype(np.float32, copy=False) for k, v in arrays.items()},
            picture if p.precision == "uint8" else set(),
        )

    def dataset(self) -> Output:
        run = self.run
        return Output(
            self.step_count,
            {"n_train": len(run.x_train), "n_test": len(run.x_test)},
            {
                "train/x": run.train_points.astype(np.float32),
                "train/y": run.y_train.cpu().numpy().astype(np.int32),
                "test/x": run.test_points.astype(np.float32),
                "test/y": run.y_test.cpu().numpy().astype(np.int32),
            },
        )

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self.run.model.state_dict())

    @torch.no_grad()
    def probe(self, name: str, args: dict[str, Any]) -> Output:
        if name != "predict":
            raise LabError("unknown_probe", f"unknown probe {name!r}; two-moons has 'predict'")
        points = args.get("points")
        try:
            xy = np.asarray(points, dtype=np.float32)
        except (TypeError, ValueError):
            xy = np.empty(0)
        if xy.ndim != 2 or xy.shape[1:] != (2,) or not 1 <= len(xy) <= 4096:
            raise LabError(
                "bad_probe", "probe 'predict' needs args.points: 1–4096 [x, y] pairs of numbers"
            )
        if not np.isfinite(xy).all():
            raise LabError("bad_probe", "probe 'predict': points must be finite numbers")
        inputs = torch.from_numpy(features(xy, self.params.features)).to(self.device)
        p = self.run.model.eval().prob_class1(inputs)
        return Output(self.step_count, {}, {"p": p.cpu().numpy().astype(np.float32)})

    def export_weights(self) -> bytes:
        return state_file(self.run.model.state_dict())

    @classmethod
    def export_script(cls, params: BaseModel) -> str:
        from app.labs.script_export import classifier_script

        return classifier_script(params.model_dump())
