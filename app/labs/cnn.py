"""The cnn lab: a small convolutional network learns the 8 × 8 digits while you watch.

Frame arrays (see docs/protocol.md, "Lab `cnn`"): ``input`` (H, W), ``probs`` (10,),
``feature_maps/<l>`` (C, H_l, W_l), ``kernels`` (the first layer's spatial kernels),
``confusion`` (10, 10) on the test set, ``weight_norm`` / ``grad_norm`` per weight tensor.
The train metrics are measured on a fixed sample (the first TRAIN_EVAL train images) so that a
frame stays cheap; the test metrics and the confusion matrix on the whole test set.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel

from app.data import digits
from app.labs import cnn_params, cnn_stack
from app.labs.base import (
    Lab,
    LabError,
    Output,
    state_arrays,
    state_file,
    to_numpy,
    train_minibatches,
)
from app.labs.cnn_params import TRAIN_EVAL, CnnParams
from app.labs.sampling import EpochSampler
from app.nets.cnn import CNN, CNNConfig, spatial_conv
from app.probes import receptive_field

ERF_IMAGES = 32  # the first test images: the same batch for every receptive-field probe
# Pooling runs several times faster on channels-last tensors on the CPU (measured: 2×2 max
# pooling of 360 × 8 × 16 × 16 values, 7.5 ms NCHW vs 1.6 ms NHWC, one thread).
LAYOUT = torch.channels_last


def upsample(images: np.ndarray, size: int) -> torch.Tensor:
    """(N, 8, 8) images in [0, 1] → (N, 1, size, size), bilinear (half-pixel centres)."""
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))[:, None]  # (N, 1, 8, 8)
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x.contiguous(memory_format=LAYOUT)


def make_optimizer(model: CNN, p: CnnParams) -> torch.optim.Optimizer:
    """SGD, SGD with momentum, or Adam; weight decay is the optimiser's L2 term."""
    if p.optimizer == "adam":
        return torch.optim.Adam(
            model.parameters(), lr=p.learning_rate, weight_decay=p.weight_decay, fused=True
        )
    momentum = p.momentum if p.optimizer == "momentum" else 0.0
    return torch.optim.SGD(
        model.parameters(),
        lr=p.learning_rate,
        momentum=momentum,
        weight_decay=p.weight_decay,
        fused=True,
    )


def retune(
    optimizer: torch.optim.Optimizer, model: torch.nn.Module, p: CnnParams, changed: set[str]
) -> torch.optim.Optimizer:
    """The optimiser after a live change of training params (a new one if its kind changed)."""
    if "optimizer" in changed:
        return make_optimizer(model, p)  # type: ignore[arg-type]
    for group in optimizer.param_groups:
        group["lr"] = p.learning_rate
        group["weight_decay"] = p.weight_decay
        if "momentum" in group and p.optimizer == "momentum":
            group["momentum"] = p.momentum
    return optimizer


class CnnLab(Lab):
    """Train a CNN on the digits; stream its feature maps, kernels and confusion matrix."""

    id = "cnn"
    title = "Convolutions: a CNN reads digits"
    summary = "Stack convolutions and pools, watch the feature maps and receptive fields grow."
    Params = CnnParams
    live_params: ClassVar[frozenset[str]] = frozenset(
        {
            "example",
            "drawing",
            "fps",
            "steps_per_frame",
            "precision",
            "learning_rate",
            "momentum",
            "weight_decay",
            "batch_size",
            "optimizer",
        }
    )

    def __init__(self, params: CnnParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        cnn_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        cnn_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: CnnParams = params  # type: ignore[assignment]
        return cnn_stack.describe(p.specs(), p.batchnorm, p.head, p.image_size)

    def rebuild(self) -> None:
        p: CnnParams = self.params  # type: ignore[assignment]
        x_train, y_train, x_test, y_test = digits.split(p.n_train)
        self.test_originals = x_test  # (360, 8, 8)
        device = self.device
        self.x_train = upsample(x_train, p.image_size).to(device)
        self.y_train = torch.from_numpy(y_train).to(device)
        self.x_test = upsample(x_test, p.image_size).to(device)
        self.y_test = torch.from_numpy(y_test).to(device)
        k = min(TRAIN_EVAL, len(x_train))
        self.x_eval = upsample(np.concatenate([x_test, x_train[:k]]), p.image_size).to(device)
        self.batches = EpochSampler(len(self.x_train), p.seed, device)
        config = CNNConfig(p.specs(), p.batchnorm, p.head, p.image_size)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(p.seed)
            self.model = CNN(config)
        self.model.to(device=device, memory_format=LAYOUT)
        self.optimizer = make_optimizer(self.model, p)
        self.step_count = 0
        self.last_loss = float("nan")
        self._evaluated: tuple[int, dict[str, Any], np.ndarray] | None = None

    def apply_live(self, changed: set[str]) -> None:
        self.optimizer = retune(self.optimizer, self.model, self.params, changed)  # type: ignore[arg-type]

    def step(self, n: int) -> None:
        loss = train_minibatches(
            self.model,
            self.optimizer,
            self.batches,
            self.params.batch_size,
            n,
            lambda b: F.cross_entropy(self.model(self.x_train[b]), self.y_train[b]),
        )
        self.step_count += n
        if loss is not None:
            self.last_loss = loss

    @torch.no_grad()
    def _evaluate(self) -> tuple[dict[str, Any], np.ndarray]:
        """Train/test loss and accuracy and the test confusion matrix (cached per step)."""
        if self._evaluated is not None and self._evaluated[0] == self.step_count:
            return self._evaluated[1], self._evaluated[2]
        model = self.model.eval()
        k = min(TRAIN_EVAL, len(self.x_train))
        logits = model(self.x_eval)  # (360 + k, 10): one pass costs less than two
        test_logits, train_logits = logits[: len(self.x_test)], logits[len(self.x_test) :]
        predicted = test_logits.argmax(dim=1)
        confusion = torch.zeros(10, 10, dtype=torch.int64, device=predicted.device)
        confusion.index_put_((self.y_test, predicted), torch.ones_like(predicted), accumulate=True)
        metrics = {
            "loss": float(F.cross_entropy(train_logits, self.y_train[:k])),
            "train_acc": float((train_logits.argmax(1) == self.y_train[:k]).float().mean()),
            "test_loss": float(F.cross_entropy(test_logits, self.y_test)),
            "test_acc": float((predicted == self.y_test).float().mean()),
        }
        table = confusion.cpu().numpy().astype(np.int32)
        self._evaluated = (self.step_count, metrics, table)
        return metrics, table

    def shown_input(self) -> torch.Tensor:
        """The pictured input (1, 1, H, W): the drawing if there is one, else test `example`."""
        p: CnnParams = self.params  # type: ignore[assignment]
        if p.drawing is not None:
            drawing = np.asarray(p.drawing, dtype=np.float32).reshape(1, 8, 8)
            return upsample(drawing, p.image_size).to(self.device)
        return self.x_test[p.example : p.example + 1]

    @torch.no_grad()
    def frame(self) -> Output:
        p: CnnParams = self.params  # type: ignore[assignment]
        model = self.model.eval()
        x = self.shown_input()
        maps = model.feature_maps(x)  # [(1, C_l, H_l, W_l)]
        probs = torch.softmax(model.classify(maps[-1]), dim=1)[0]  # (10,)
        arrays: dict[str, np.ndarray] = {
            "input": to_numpy(x[0, 0]),
            "probs": to_numpy(probs),
        }
        for index, h in enumerate(maps):
            arrays[f"feature_maps/{index}"] = to_numpy(h[0])  # (C_l, H_l, W_l)
        conv = spatial_conv(model.blocks[0])
        if conv is not None:
            arrays["kernels"] = to_numpy(conv.weight)  # (C_out, C_in per group, k, k)
        metrics, confusion = self._evaluate()
        arrays["confusion"] = confusion
        tensors = [w for _, w in model.weight_tensors()]
        arrays["weight_norm"] = np.array(tensor_norms(tensors), dtype=np.float32)
        arrays["grad_norm"] = np.array(tensor_norms([w.grad for w in tensors]), dtype=np.float32)
        metrics = {
            **metrics,
            "batch_loss": None if self.step_count == 0 else self.last_loss,
            "epoch": self.batches.samples_seen / len(self.x_train),
            "label": None if p.drawing is not None else int(self.y_test[p.example]),
            "predicted": int(probs.argmax()),
        }
        pictures = {f"feature_maps/{i}" for i in range(len(maps))}
        return Output(
            self.step_count, metrics, arrays, pictures if p.precision == "uint8" else set()
        )

    def dataset(self) -> Output:
        return Output(
            self.step_count,
            {"n_train": len(self.x_train), "n_test": len(self.x_test)},
            {
                "test/images": self.test_originals.astype(np.float32),
                "test/labels": self.y_test.cpu().numpy().astype(np.int32),
            },
            {"test/images"},
        )

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self.model.state_dict())

    def probe(self, name: str, args: dict[str, Any]) -> Output:
        if name == "receptive_field":
            return self._probe_receptive_field(args)
        if name == "predict":
            return self._probe_predict(args)
        raise LabError(
            "unknown_probe", f"unknown probe {name!r}; cnn has 'receptive_field' and 'predict'"
        )

    def _probe_receptive_field(self, args: dict[str, Any]) -> Output:
        p: CnnParams = self.params  # type: ignore[assignment]
        rows = self.meta(p)["layers"]
        index = _whole(args, "layer", len(rows))
        c, h, w = rows[index]["out_shape"]
        channel, y, x = _whole(args, "channel", c), _whole(args, "y", h), _whole(args, "x", w)
        images = self.x_test[:ERF_IMAGES]
        erf = receptive_field.effective(list(self.model.blocks), images, index, channel, y, x)
        fields = [row["rf"] for row in rows[: index + 1]]
        box = receptive_field.box(fields[-1], y, x, p.image_size, p.image_size)
        return Output(self.step_count, {}, {"erf": erf}, extra={"box": box, "rf": fields})

    @torch.no_grad()
    def _probe_predict(self, args: dict[str, Any]) -> Output:
        image = args.get("image") if isinstance(args, dict) else None
        ok = isinstance(image, list) and len(image) == 64
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in image)
        values = np.asarray(image if ok else [], dtype=np.float64)
        if not ok or not (
            np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
        ):
            raise LabError("bad_probe", "probe 'predict' needs args.image: 64 numbers in [0, 1]")
        x = upsample(values.reshape(1, 8, 8), self.params.image_size).to(self.device)
        probs = torch.softmax(self.model.eval()(x), dim=1)[0]
        return Output(
            self.step_count, {"predicted": int(probs.argmax())}, {"probs": to_numpy(probs)}
        )

    def export_weights(self) -> bytes:
        return state_file(self.model.state_dict())


def tensor_norms(tensors: list[torch.Tensor | None]) -> list[float]:
    """Frobenius norm of each tensor (0 for a missing gradient, before any step)."""
    return [0.0 if t is None else float(torch.linalg.vector_norm(t.detach())) for t in tensors]


def _whole(args: Any, key: str, bound: int) -> int:
    """``args[key]`` as an index in [0, bound), or LabError('bad_probe')."""
    value = args.get(key) if isinstance(args, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < bound:
        raise LabError(
            "bad_probe",
            f"probe 'receptive_field' needs args.{key}: a whole number from 0 to {bound - 1}",
            {"arg": key, "max": bound - 1},
        )
    return value
