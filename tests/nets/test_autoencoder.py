"""The autoencoder: shapes through encoder and decoder, parameter counts by hand."""

from __future__ import annotations

import pytest
import torch

from app.nets.autoencoder import Autoencoder, AutoencoderConfig, describe, transposed_geometry


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
def test_transposed_decoder_doubles_twice_for_every_kernel(kernel: int) -> None:
    model = Autoencoder(AutoencoderConfig("transposed", kernel, "nearest", 6, 3))
    x = torch.rand(5, 1, 16, 16)
    code = model.encoder(x)
    assert code.shape == (5, 3, 4, 4)
    hidden, last = model.decoder_maps(code)
    assert hidden.shape == (5, 6, 8, 8)
    assert last.shape == (5, 1, 16, 16)
    y = model(x).detach()
    assert y.shape == (5, 1, 16, 16)
    assert float(y.min()) > 0 and float(y.max()) < 1


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_resize_conv_decoder_shapes(mode: str) -> None:
    model = Autoencoder(AutoencoderConfig("resize_conv", 3, mode, 4, 2))
    hidden, last = model.decoder_maps(model.encoder(torch.rand(2, 1, 16, 16)))
    assert hidden.shape == (2, 4, 8, 8) and last.shape == (2, 1, 16, 16)


def test_geometry_by_hand() -> None:
    # (n − 1)·2 − 2p + k + op = 2n: k=2 → p 0, op 0; k=3 → 1, 1; k=4 → 1, 0; k=5 → 2, 1
    assert [transposed_geometry(k) for k in (2, 3, 4, 5)] == [(0, 0), (1, 1), (1, 0), (2, 1)]


def test_parameter_counts_by_hand() -> None:
    # C=8, B=4, k=3: encoder 1·8·9+8 = 80, 8·4·9+4 = 292; decoder 4·8·9+8 = 296, 8·1·9+1 = 73
    config = AutoencoderConfig("transposed", 3, "nearest", 8, 4)
    assert _count(Autoencoder(config)) == 80 + 292 + 296 + 73 == 741
    assert [row["params"] for row in describe(config)["decoder"]] == [296, 73]
    assert describe(config)["total_params"] == 741
    # k=4: decoder 4·8·16+8 = 520, 8·16+1 = 129
    wide = AutoencoderConfig("transposed", 4, "nearest", 8, 4)
    assert _count(Autoencoder(wide)) == 80 + 292 + 520 + 129
    # resize_conv: 3×3 convolutions after the resize, weights (out, in, 3, 3)
    resize = AutoencoderConfig("resize_conv", 5, "bilinear", 8, 4)
    assert _count(Autoencoder(resize)) == 80 + 292 + (8 * 4 * 9 + 8) + (8 * 9 + 1)
    assert describe(resize)["total_params"] == _count(Autoencoder(resize))


def test_describe_shapes_match_the_module() -> None:
    config = AutoencoderConfig("transposed", 5, "nearest", 12, 7)
    model = Autoencoder(config)
    code = model.encoder(torch.rand(1, 1, 16, 16))
    maps = model.decoder_maps(code)
    rows = describe(config)
    assert rows["encoder"][1]["out_shape"] == list(code.shape[1:])
    assert [r["out_shape"] for r in rows["decoder"]] == [list(m.shape[1:]) for m in maps]
