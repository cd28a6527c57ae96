"""The upsampling lab: a convolutional autoencoder rebuilds the digits, and its decoder's
up-sampler (transposed convolution or resize-then-convolve) leaves its mark on the output.

Frame arrays (see docs/protocol.md, "Lab `upsampling`"): ``input`` and ``output`` (16, 16),
test image ``example`` and its reconstruction; ``checkerboard`` (16, 16), the decoder's output
for a constant code, centred on its mean and scaled to [−1, 1]; ``overlap`` (16, 16), the
last up-sampling layer's taps per output pixel; ``feature_maps/0`` (C, 8, 8), the first
up-sampling layer's output; ``weight_norm`` / ``grad_norm`` per weight tensor.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel

from app.data import digits
from app.labs import upsampling_params
from app.labs.base import Lab, Output, state_arrays, state_file, to_numpy, train_minibatches
from app.labs.cnn import make_optimizer, retune, tensor_norms
from app.labs.cnn import upsample as resize_images
from app.labs.sampling import EpochSampler
from app.labs.upsampling_params import TRAIN_EVAL, UpsamplingParams
from app.nets.autoencoder import (
    CODE_SIDE,
    RESIZE_KERNEL,
    SIDE,
    STRIDE,
    Autoencoder,
    describe,
    transposed_geometry,
)
from app.probes.upsampling import resize_overlap, transposed_overlap


def images(x: np.ndarray) -> torch.Tensor:
    """(N, 8, 8) digits in [0, 1] → (N, 1, 16, 16), bilinear like the cnn lab, NCHW."""
    return resize_images(x, SIDE).contiguous()


def overlap(p: UpsamplingParams) -> np.ndarray:
    """(16, 16) float32: taps of the last up-sampling layer on each output pixel."""
    if p.upsample == "transposed":
        padding, output_padding = transposed_geometry(p.kernel)
        return transposed_overlap(SIDE // 2, p.kernel, STRIDE, padding, output_padding)
    return resize_overlap(SIDE, RESIZE_KERNEL)


class UpsamplingLab(Lab):
    """Train an autoencoder on the digits; stream reconstructions and the up-sampler's artefact."""

    id = "upsampling"
    title = "Up-sampling: transposed convolution vs resize-then-convolve"
    summary = "Watch a decoder paint checkerboards, and see why resizing first avoids them."
    Params = UpsamplingParams
    curves: ClassVar[tuple[str, ...]] = ("loss",)  # it reconstructs; nothing is classified
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
        }
    )

    def __init__(self, params: UpsamplingParams, device: torch.device | None = None) -> None:
        super().__init__(params, device)
        self.rebuild()

    @classmethod
    def budget(cls, params: BaseModel) -> None:
        upsampling_params.budget(params)  # type: ignore[arg-type]

    @classmethod
    def check_steps(cls, params: BaseModel, n: int) -> None:
        upsampling_params.check_steps(params, n)  # type: ignore[arg-type]

    @classmethod
    def meta(cls, params: BaseModel) -> dict[str, Any]:
        p: UpsamplingParams = params  # type: ignore[assignment]
        meta = describe(p.config())
        if p.upsample == "transposed":
            padding, output_padding = transposed_geometry(p.kernel)
            last = {"kernel": p.kernel, "stride": STRIDE, "padding": padding}
            last["output_padding"] = output_padding
        else:
            last = {"kernel": RESIZE_KERNEL, "stride": 1, "padding": RESIZE_KERNEL // 2}
            last["output_padding"] = 0
        return {
            **meta,
            "input": [1, SIDE, SIDE],
            "code": [p.bottleneck, CODE_SIDE, CODE_SIDE],
            "upsample": p.upsample,
            "last_layer": last,
            "weights": [name for name, _ in cls._weight_names(p)],
        }

    @staticmethod
    def _weight_names(p: UpsamplingParams) -> list[tuple[str, None]]:
        up = ["decoder.0.weight", "decoder.2.weight"]
        if p.upsample == "resize_conv":
            up = ["decoder.0.1.weight", "decoder.2.1.weight"]
        return [(n, None) for n in ["encoder.0.weight", "encoder.2.weight", *up]]

    def rebuild(self) -> None:
        p: UpsamplingParams = self.params  # type: ignore[assignment]
        x_train, _, x_test, self.test_labels = digits.split(p.n_train)
        self.test_originals = x_test  # (360, 8, 8)
        self.x_train, self.x_test = images(x_train).to(self.device), images(x_test).to(self.device)
        self.x_eval = self.x_train[: min(TRAIN_EVAL, len(x_train))]
        self.batches = EpochSampler(len(self.x_train), p.seed, self.device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(p.seed)
            self.model = Autoencoder(p.config())
        self.model.to(self.device)
        self.optimizer = make_optimizer(self.model, p)  # type: ignore[arg-type]
        self.step_count = 0
        self.last_loss = float("nan")
        self._evaluated: tuple[int, dict[str, float]] | None = None

    def apply_live(self, changed: set[str]) -> None:
        self.optimizer = retune(self.optimizer, self.model, self.params, changed)  # type: ignore[arg-type]

    def step(self, n: int) -> None:
        loss = train_minibatches(
            self.model,
            self.optimizer,
            self.batches,
            self.params.batch_size,
            n,
            lambda b: F.mse_loss(self.model(self.x_train[b]), self.x_train[b]),
        )
        self.step_count += n
        if loss is not None:
            self.last_loss = loss

    @torch.no_grad()
    def _evaluate(self) -> dict[str, float]:
        """Mean squared reconstruction error on the train sample and the test set (per step)."""
        if self._evaluated is not None and self._evaluated[0] == self.step_count:
            return self._evaluated[1]
        model = self.model.eval()
        metrics = {
            "loss": float(F.mse_loss(model(self.x_eval), self.x_eval)),
            "test_loss": float(F.mse_loss(model(self.x_test), self.x_test)),
        }
        self._evaluated = (self.step_count, metrics)
        return metrics

    @torch.no_grad()
    def checkerboard(self) -> np.ndarray:
        """(16, 16): the decoder's pre-sigmoid output for an all-ones code, centred on its mean
        and scaled to [−1, 1], so uneven overlap shows as a pattern around 0."""
        p: UpsamplingParams = self.params  # type: ignore[assignment]
        code = torch.ones(1, p.bottleneck, CODE_SIDE, CODE_SIDE, device=self.device)
        flat = self.model.eval().decode_logits(code)[0, 0]  # (16, 16)
        centred = flat - flat.mean()
        scale = float(centred.abs().max())
        # an exactly flat output stays 0 rather than dividing by 0
        return to_numpy(centred / scale if scale > 1e-12 else centred)

    @torch.no_grad()
    def frame(self) -> Output:
        p: UpsamplingParams = self.params  # type: ignore[assignment]
        model = self.model.eval()
        x = self.x_test[p.example : p.example + 1]  # (1, 1, 16, 16)
        maps = model.decoder_maps(model.encoder(x))
        arrays: dict[str, np.ndarray] = {
            "input": to_numpy(x[0, 0]),
            "output": to_numpy(torch.sigmoid(maps[-1])[0, 0]),
            "checkerboard": self.checkerboard(),
            "overlap": overlap(p),
            "feature_maps/0": to_numpy(maps[0][0]),  # (C, 8, 8)
        }
        tensors = [w for _, w in model.weight_tensors()]
        arrays["weight_norm"] = np.array(tensor_norms(tensors), dtype=np.float32)
        arrays["grad_norm"] = np.array(tensor_norms([w.grad for w in tensors]), dtype=np.float32)
        metrics = {
            **self._evaluate(),
            "batch_loss": None if self.step_count == 0 else self.last_loss,
            "epoch": self.batches.samples_seen / len(self.x_train),
            "label": int(self.test_labels[p.example]),
        }
        pictures = {"feature_maps/0"} if p.precision == "uint8" else set()
        return Output(self.step_count, metrics, arrays, pictures)

    def dataset(self) -> Output:
        return Output(
            self.step_count,
            {"n_train": len(self.x_train), "n_test": len(self.x_test)},
            {
                "test/images": self.test_originals.astype(np.float32),
                "test/labels": self.test_labels.astype(np.int32),
            },
            {"test/images"},
        )

    def snapshot(self) -> dict[str, np.ndarray]:
        return state_arrays(self.model.state_dict())

    def export_weights(self) -> bytes:
        return state_file(self.model.state_dict())
