"""A small convolutional autoencoder for 16 × 16 one-channel images, with a choice of up-sampler.

Encoder: two stride-2 3×3 convolutions (16 → 8 → 4), ReLU between; the code is (bottleneck,
4, 4). Decoder: two ×2 up-sampling layers (4 → 8 → 16), ReLU between, a sigmoid at the end.
Each up-sampling layer is either a transposed convolution (kernel k, stride 2) or a resize
(nearest or bilinear ×2) followed by a 3×3 convolution. A kernel that the stride does not
divide overlaps unevenly and leaves checkerboard artefacts (Odena, Dumoulin & Olah 2016,
"Deconvolution and Checkerboard Artifacts", Distill); resize-then-convolve does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

SIDE = 16  # input side in pixels
CODE_SIDE = 4  # after two stride-2 convolutions
STRIDE = 2
RESIZE_KERNEL = 3


@dataclass(frozen=True)
class AutoencoderConfig:
    """The autoencoder's shape: up-sampler, its kernel or resize mode, widths."""

    upsample: str = "transposed"  # "transposed" or "resize_conv"
    kernel: int = 3  # the transposed convolutions' kernel side
    resize_mode: str = "nearest"  # "nearest" or "bilinear" (resize_conv)
    channels: int = 8
    bottleneck: int = 4


def transposed_geometry(kernel: int) -> tuple[int, int]:
    """(padding, output_padding) that make a stride-2 transposed convolution double the side.

    Output side = (n − 1)·2 − 2p + k + op = 2n exactly when k + op = 2 + 2p."""
    padding = (kernel - 1) // 2
    return padding, 2 + 2 * padding - kernel


def up_layer(config: AutoencoderConfig, c_in: int, c_out: int) -> nn.Module:
    """One ×2 up-sampling layer from ``c_in`` to ``c_out`` channels."""
    if config.upsample == "transposed":
        padding, output_padding = transposed_geometry(config.kernel)
        return nn.ConvTranspose2d(
            c_in, c_out, config.kernel, STRIDE, padding, output_padding=output_padding
        )
    align = False if config.resize_mode == "bilinear" else None
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode=config.resize_mode, align_corners=align),
        nn.Conv2d(c_in, c_out, RESIZE_KERNEL, padding=RESIZE_KERNEL // 2),
    )


class Autoencoder(nn.Module):
    """(N, 1, 16, 16) images → (N, bottleneck, 4, 4) code → (N, 1, 16, 16) in (0, 1)."""

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = config
        c, b = config.channels, config.bottleneck
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, STRIDE, 1), nn.ReLU(), nn.Conv2d(c, b, 3, STRIDE, 1)
        )
        self.decoder = nn.Sequential(up_layer(config, b, c), nn.ReLU(), up_layer(config, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(self.encoder(x)))

    def decode_logits(self, code: torch.Tensor) -> torch.Tensor:
        """The decoder's output before its sigmoid, (N, 1, 16, 16)."""
        return self.decoder(code)

    def decoder_maps(self, code: torch.Tensor) -> list[torch.Tensor]:
        """Each up-sampling layer's output for ``code``: [(N, C, 8, 8), (N, 1, 16, 16)]."""
        hidden = self.decoder[1](self.decoder[0](code))
        return [hidden, self.decoder[2](hidden)]

    def weight_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """Every convolution's weight, encoder first, by state_dict name."""
        return [(n, p) for n, p in self.named_parameters() if n.endswith("weight")]


def describe(config: AutoencoderConfig) -> dict:
    """Layers with their output shapes and parameter counts, from the config alone."""
    c, b, k = config.channels, config.bottleneck, config.kernel
    half = SIDE // 2
    encoder = [
        {"name": f"conv 3×3 /2 ×{c}", "out_shape": [c, half, half], "params": 9 * c + c},
        {
            "name": f"conv 3×3 /2 ×{b} (code)",
            "out_shape": [b, CODE_SIDE, CODE_SIDE],
            "params": 9 * c * b + b,
        },
    ]
    if config.upsample == "transposed":
        kind, taps = f"transposed conv {k}×{k} ×2", k * k
    else:
        kind, taps = f"{config.resize_mode} ×2 → conv 3×3", RESIZE_KERNEL**2
    decoder = [
        {"name": f"{kind} → {c}", "out_shape": [c, half, half], "params": taps * b * c + c},
        {"name": f"{kind} → 1", "out_shape": [1, SIDE, SIDE], "params": taps * c + 1},
    ]
    total = sum(layer["params"] for layer in encoder + decoder)
    return {"encoder": encoder, "decoder": decoder, "total_params": total}
