"""The device setting: resolution, the runtime's refusal to start without the GPU it was told
to use, and labs built on an explicit CPU device behaving exactly like the default."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from app.config import Settings
from app.labs import checkpoints
from app.labs.base import Output, to_numpy
from app.labs.device import DeviceError, exact_float32, resolve_device
from app.labs.registry import LABS
from app.labs.sampling import EpochSampler
from app.live.runtime import Runtime
from app.live.worker import Worker
from bench.server import start

HAS_GPU = torch.cuda.is_available()


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine on which torch sees no GPU, whatever this one has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_cpu_is_the_cpu() -> None:
    assert resolve_device("cpu") == torch.device("cpu")


def test_auto_without_a_gpu_is_the_cpu(no_gpu: None) -> None:
    assert resolve_device("auto") == torch.device("cpu")


def test_auto_with_a_gpu_is_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_cuda_without_a_gpu_says_what_to_do(no_gpu: None) -> None:
    with pytest.raises(DeviceError) as caught:
        resolve_device("cuda")
    message = caught.value.message
    assert message.startswith("LAYERWISE_DEVICE=cuda but this torch build")
    assert "make a GPU visible" in message
    assert "LAYERWISE_DEVICE=cpu" in message and "LAYERWISE_DEVICE=auto" in message
    assert caught.value.code == "no_device"
    assert str(caught.value) == message


def test_an_unknown_setting_is_named() -> None:
    with pytest.raises(DeviceError, match=r"LAYERWISE_DEVICE='tpu' is not a device; use one of"):
        resolve_device("tpu")


def test_exact_float32_turns_tf32_off() -> None:
    settings = [torch.backends.cuda.matmul, torch.backends.cudnn.conv, torch.backends.cudnn.rnn]
    before = [s.fp32_precision for s in settings]
    try:
        for s in settings:
            s.fp32_precision = "tf32"
        exact_float32()
        assert [s.fp32_precision for s in settings] == ["ieee"] * 3
    finally:
        for s, value in zip(settings, before, strict=True):
            s.fp32_precision = value


def test_the_runtime_refuses_to_start_before_any_worker(no_gpu: None, tmp_path: Path) -> None:
    runtime = Runtime(Settings(device="cuda", workers=1, data_dir=tmp_path))
    with pytest.raises(DeviceError, match="LAYERWISE_DEVICE=cuda"):
        asyncio.run(runtime.start())
    assert not runtime.ready
    assert runtime.pool._handles == []  # no worker process was started


def test_the_runtime_starts_its_workers_on_the_cpu(tmp_path: Path) -> None:
    async def scenario() -> tuple[str, str, dict]:
        runtime = Runtime(Settings(device="cpu", workers=1, data_dir=tmp_path))
        await runtime.start()
        try:
            return runtime.device.type, runtime.pool.device, runtime.counts()
        finally:
            await runtime.stop()

    device, pool_device, counts = asyncio.run(scenario())
    assert (device, pool_device, counts["device"]) == ("cpu", "cpu", "cpu")


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU: the server would start")
def test_the_server_process_refuses_to_start_with_the_message() -> None:
    with pytest.raises(RuntimeError) as caught:
        start({"device": "cuda", "workers": "1"}, timeout_s=60)
    text = str(caught.value)
    assert "the server exited with" in text
    assert "LAYERWISE_DEVICE=cuda but this torch build" in text


def test_to_numpy_is_a_float32_c_ordered_copy_on_the_cpu() -> None:
    base = torch.arange(12, dtype=torch.float64).reshape(3, 4).requires_grad_(True)
    view = base.T  # (4, 3), not contiguous, tracked by autograd
    out = to_numpy(view)
    assert out.dtype == np.float32 and out.flags["C_CONTIGUOUS"] and out.shape == (4, 3)
    assert out.tolist() == [[float(4 * j + i) for j in range(3)] for i in range(4)]
    out[0, 0] = -1.0
    assert float(base[0, 0].detach()) == 0.0  # a copy, never a view of the tensor


def test_checkpoint_state_is_kept_whole_on_the_cpu() -> None:
    weight = torch.ones(2, 3, requires_grad=True)
    state = {"models": {"w": weight}, "steps": [torch.tensor(3)], "pair": (1, "a"), "loss": 0.5}
    saved = checkpoints.on_cpu(state)
    assert saved["models"]["w"].device.type == "cpu"
    assert not saved["models"]["w"].requires_grad
    assert torch.equal(saved["models"]["w"], weight.detach())
    assert saved["steps"][0].item() == 3 and saved["pair"] == (1, "a") and saved["loss"] == 0.5


def test_a_sampler_on_a_device_hands_out_the_same_indices() -> None:
    plain, placed = EpochSampler(10, 3), EpochSampler(10, 3, torch.device("cpu"))
    for size in (4, 4, 4, 7, 3):  # crosses two reshuffles
        assert plain.next(size).tolist() == placed.next(size).tolist()
    resumed = EpochSampler(10, 99, torch.device("cpu"))
    resumed.next(5)  # an order of its own, placed; the loaded state must replace it
    checkpoints.load_sampler(resumed, checkpoints.sampler_state(plain))
    for size in (4, 6, 5):
        assert plain.next(size).tolist() == resumed.next(size).tolist()


def test_a_worker_builds_on_its_device() -> None:
    worker = Worker(torch.device("cpu"))
    messages = worker.build("r", "two-moons", {})
    assert [kind for kind, _ in messages] == ["dataset", "frame"]
    assert worker.runs["r"].device == torch.device("cpu")
    assert Worker().device == torch.device("cpu")


def _same(a: Output, b: Output) -> None:
    """Two outputs equal to the bit: step, metrics (NaN equal to NaN), arrays, quantised set."""
    assert a.step == b.step and a.quantize == b.quantize and a.extra == b.extra
    assert a.metrics.keys() == b.metrics.keys()
    for key, value in a.metrics.items():
        other = b.metrics[key]
        if isinstance(value, float) and math.isnan(value):
            assert isinstance(other, float) and math.isnan(other), key
        else:
            assert value == other, key
    assert a.arrays.keys() == b.arrays.keys()
    for key, value in a.arrays.items():
        assert value.dtype == b.arrays[key].dtype, key
        np.testing.assert_array_equal(value, b.arrays[key], err_msg=key)


# Defaults, but a short pretraining (the default's 300 steps cost seconds, twice).
PARAMS = {"transfer": {"pretrain_steps": 20}}


@pytest.mark.parametrize("lab_id", sorted(LABS))
def test_an_explicit_cpu_device_builds_the_same_lab(lab_id: str) -> None:
    lab_cls = LABS[lab_id]
    params = lab_cls.validate(PARAMS.get(lab_id, {}))
    default = lab_cls(params)
    explicit = lab_cls(params, device=torch.device("cpu"))  # type: ignore[call-arg]
    assert default.device == explicit.device == torch.device("cpu")
    _same(default.frame(), explicit.frame())
    default.step(2)
    explicit.step(2)
    _same(default.frame(), explicit.frame())
    snapshot_a, snapshot_b = default.snapshot(), explicit.snapshot()
    assert snapshot_a.keys() == snapshot_b.keys()
    for key, value in snapshot_a.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, snapshot_b[key], err_msg=key)
