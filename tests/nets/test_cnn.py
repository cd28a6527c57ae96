"""The CNN: shapes, parameter counts and weight names against hand counts and the stack maths."""

from __future__ import annotations

import pytest
import torch

from app.labs import cnn_stack
from app.nets.cnn import CNN, CNNConfig, LayerSpec, default_layers

STACKS = [
    default_layers(),
    [LayerSpec("separable", 3, 1, 1, 1, 12), LayerSpec("avgpool", 2, 2, 0, 1, 0)],
    [LayerSpec("bottleneck", 5, 2, 2, 1, 16), LayerSpec("conv", 3, 1, 0, 2, 6)],
    [LayerSpec("conv", 1, 3, 0, 1, 3), LayerSpec("maxpool", 3, 1, 1, 2, 0)],
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("head", ["global_avg", "flatten"])
def test_feature_maps_shapes_and_counts_match_stack(
    stack: list[LayerSpec], batchnorm: bool, head: str
) -> None:
    model = CNN(CNNConfig(stack, batchnorm, head, image_size=16))
    maps = model.feature_maps(torch.zeros(2, 1, 16, 16))
    assert [tuple(m.shape[1:]) for m in maps] == cnn_stack.shapes(stack, 16)
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 10)
    meta = cnn_stack.describe(stack, batchnorm, head, 16)
    for block, row in zip(model.blocks, meta["layers"]):
        assert sum(p.numel() for p in block.parameters()) == row["params"]
    assert sum(p.numel() for p in model.head.parameters()) == meta["head"]["params"]
    assert meta["total_params"] == sum(p.numel() for p in model.parameters())
    assert [n for n, _ in model.weight_tensors()] == meta["weights"]


def test_hand_counts_of_each_block() -> None:
    # conv 3×3, 1 → 8: 72 weights + 8 biases; 8·16·16 outputs × 9 multiply-adds.
    c = LayerSpec("conv", 3, 1, 1, 1, 8)
    assert cnn_stack.params(c, 1, False) == 80
    assert cnn_stack.params(c, 1, True) == 72 + 16
    assert cnn_stack.macs(c, 1, 16, 16) == 18_432
    # separable 3×3, 4 → 12: depthwise 4·9 + pointwise 4·12 = 84 weights, biases 4 + 12.
    s = LayerSpec("separable", 3, 1, 1, 1, 12)
    assert cnn_stack.params(s, 4, False) == 84 + 16
    assert cnn_stack.params(s, 4, True) == 84 + 32
    assert cnn_stack.macs(s, 4, 8, 8) == 36 * 64 + 48 * 64
    # bottleneck 3×3 /2, 8 → 16: width 4; 8·4 + 4·4·9 + 4·16 = 240 weights, biases 4+4+16;
    # the first 1×1 runs at the input's 8 × 8, the rest at 4 × 4.
    b = LayerSpec("bottleneck", 3, 2, 1, 1, 16)
    assert cnn_stack.params(b, 8, False) == 240 + 24
    assert cnn_stack.macs(b, 8, 8, 4) == 32 * 64 + 144 * 16 + 64 * 16
    # pools: nothing to learn, nothing multiplied
    assert cnn_stack.params(LayerSpec("maxpool", 2, 2, 0, 1, 0), 8, True) == 0
    assert cnn_stack.macs(LayerSpec("avgpool", 2, 2, 0, 1, 0), 8, 8, 4) == 0
    # heads: 16 averaged maps, or 16 · 4 · 4 flattened values, to 10 logits
    assert cnn_stack.head(16, 4, "global_avg") == {"params": 170, "macs": 160}
    assert cnn_stack.head(16, 4, "flatten") == {"params": 2570, "macs": 2560}


def test_batchnorm_drops_conv_bias() -> None:
    model = CNN(CNNConfig(default_layers(), batchnorm=True))
    names = set(model.state_dict())
    assert "blocks.0.conv.bias" not in names
    assert {"blocks.0.conv_bn.running_mean", "blocks.2.conv_bn.weight"} <= names
    assert "blocks.0.conv.bias" in CNN(CNNConfig(default_layers())).state_dict()


def test_stride_only_on_spatial_convolution() -> None:
    model = CNN(CNNConfig([LayerSpec("separable", 1, 2, 0, 1, 4)], image_size=8))
    assert model.blocks[0].depthwise.stride == (2, 2)
    assert model.blocks[0].pointwise.stride == (1, 1)
    assert model.feature_maps(torch.zeros(1, 1, 8, 8))[0].shape == (1, 4, 4, 4)
