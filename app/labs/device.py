"""Which torch device the labs train on, from the ``device`` setting (LAYERWISE_DEVICE).

Models and their data live on that device for the whole run; random initialisation and data
generation stay on CPU generators (then move), so a CPU and a GPU run start from the same
weights and data. Everything a lab hands out (frames, snapshots, exports, checkpoints) is
brought back to the CPU.
"""

from __future__ import annotations

import torch

from app.labs.base import LabError

SETTINGS = ("cpu", "cuda", "auto")


class DeviceError(LabError):
    """The device setting cannot be honoured on this machine."""

    def __init__(self, message: str) -> None:
        super().__init__("no_device", message)


def resolve_device(setting: str) -> torch.device:
    """The device for ``setting``: ``cpu``; ``cuda`` (a visible GPU is required); or ``auto``
    (cuda when a GPU is visible, else cpu). Raises DeviceError with what to do otherwise."""
    if setting == "cpu":
        return torch.device("cpu")
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if setting == "cuda":
        if not torch.cuda.is_available():
            built = torch.version.cuda
            why = (
                f"this torch build (CUDA {built}) sees no GPU"
                if built
                else f"this torch build ({torch.__version__}) has no CUDA support"
            )
            raise DeviceError(
                f"LAYERWISE_DEVICE=cuda but {why}; install a CUDA build of torch and make a "
                "GPU visible (driver, CUDA_VISIBLE_DEVICES, --gpus for Docker), or set "
                "LAYERWISE_DEVICE=cpu or LAYERWISE_DEVICE=auto"
            )
        return torch.device("cuda")
    raise DeviceError(
        f"LAYERWISE_DEVICE={setting!r} is not a device; use one of {', '.join(SETTINGS)}"
    )


def exact_float32() -> None:
    """Make float32 matrix products and convolutions on a GPU exact float32 (IEEE), not
    TF32: cuDNN convolutions default to TF32, which rounds inputs to 10 mantissa bits. These
    models are small enough that TF32 saves nothing, and a learner's run should give the same
    numbers on a GPU as on a CPU, within float32 rounding."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    if hasattr(matmul, "fp32_precision") and hasattr(conv, "fp32_precision"):
        matmul.fp32_precision = "ieee"
        conv.fp32_precision = "ieee"
        rnn = getattr(torch.backends.cudnn, "rnn", None)
        if rnn is not None and hasattr(rnn, "fp32_precision"):
            rnn.fp32_precision = "ieee"
    else:  # torch before 2.9
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def synchronize(device: torch.device) -> None:
    """Wait until the device has finished its queued work (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
