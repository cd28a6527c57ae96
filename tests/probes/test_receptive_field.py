"""Receptive fields: the recurrence against hand-worked tables, the effective field against
plain autograd of a hand-written functional forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.nets.cnn import CNN, CNNConfig, LayerSpec
from app.probes.receptive_field import box, effective, theoretical


def conv(k: int = 3, s: int = 1, p: int = 0, d: int = 1) -> LayerSpec:
    return LayerSpec("conv", k, s, p, d, 4)


def pool(k: int = 2, s: int = 2, p: int = 0) -> LayerSpec:
    return LayerSpec("maxpool", k, s, p, 1, 4)


# (stack, [(size, jump, start) after each layer]) worked by hand.
TABLES = [
    # Three 3×3 convolutions see 7 × 7 (Simonyan & Zisserman 2015).
    ([conv(), conv(), conv()], [(3, 1, 1.0), (5, 1, 2.0), (7, 1, 3.0)]),
    ([conv(p=1), conv(p=1), conv(p=1)], [(3, 1, 0.0), (5, 1, 0.0), (7, 1, 0.0)]),
    # Dilations 1, 2, 4: 3, then 3 + 4, then 7 + 8 = 15 (Yu & Koltun 2016).
    ([conv(d=1), conv(d=2), conv(d=4)], [(3, 1, 1.0), (7, 1, 3.0), (15, 1, 7.0)]),
    # The lab's default: conv 3 p1, pool 2/2, conv 3 p1, pool 2/2.
    (
        [conv(p=1), pool(), conv(p=1), pool()],
        [(3, 1, 0.0), (4, 2, 0.5), (8, 2, 0.5), (10, 4, 1.5)],
    ),
    # Strided 5×5, then 3×3: 5, then 5 + 2·2 = 9 with jump 2.
    ([conv(k=5, s=2, p=2), conv(k=3, p=1)], [(5, 2, 0.0), (9, 2, 0.0)]),
    # 1×1 changes nothing but the jump of a stride 3.
    ([conv(k=1, s=3), conv(k=3)], [(1, 3, 0.0), (7, 3, 3.0)]),
    # Pool 3/2 padded 1, then dilated 3×3 d3 (k_eff 7): 3, then 3 + 6·2 = 15.
    ([pool(3, 2, 1), conv(d=3, p=1)], [(3, 2, 0.0), (15, 2, 4.0)]),
]


@pytest.mark.parametrize(("stack", "table"), TABLES)
def test_theoretical_equals_hand_table(stack: list[LayerSpec], table: list[tuple]) -> None:
    got = [(f["size"], f["jump"], f["start"]) for f in theoretical(stack)]
    assert got == table


def test_box_clips_to_image() -> None:
    field = {"size": 7, "jump": 1, "start": 3.0}  # three unpadded 3×3: unit i sees i … i + 6
    assert box(field, 0, 2, 16, 16) == [0, 2, 6, 8]
    padded = {"size": 10, "jump": 4, "start": 1.5}  # the default stack's last layer
    assert box(padded, 0, 0, 16, 16) == [0, 0, 6, 6]  # −3 … 6, clipped
    assert box(padded, 3, 1, 16, 16) == [9, 1, 15, 10]  # centres 13.5 and 5.5: 9 … 18, 1 … 10


STACKS = [
    ([conv(p=1), pool(), conv(p=1), pool()], False),
    ([LayerSpec("separable", 3, 1, 1, 2, 6), LayerSpec("avgpool", 3, 2, 1, 1, 6)], True),
    ([LayerSpec("bottleneck", 3, 2, 1, 1, 8), conv(k=5, p=2)], True),
]


def _functional_unit(
    model: CNN, x: torch.Tensor, layer: int, channel: int, y: int, x_: int
) -> torch.Tensor:
    """The unit's value per image, by F.conv2d / batch_norm / relu / pools on the weights."""
    h = x
    for index, (spec, block) in enumerate(zip(model.config.layers, model.blocks)):
        if index > layer:
            break
        if spec.kind == "maxpool":
            h = F.max_pool2d(h, spec.kernel, spec.stride, spec.padding, spec.dilation)
            continue
        if spec.kind == "avgpool":
            h = F.avg_pool2d(h, spec.kernel, spec.stride, spec.padding)
            continue
        for name, module in block.named_children():
            if isinstance(module, torch.nn.Conv2d):
                w = module.weight.detach().double()
                b = None if module.bias is None else module.bias.detach().double()
                h = F.conv2d(h, w, b, module.stride, module.padding, module.dilation, module.groups)
            elif isinstance(module, torch.nn.BatchNorm2d):
                h = F.batch_norm(
                    h,
                    module.running_mean.double(),
                    module.running_var.double(),
                    module.weight.detach().double(),
                    module.bias.detach().double(),
                    training=False,
                    eps=module.eps,
                )
            else:
                assert name.endswith("relu")
                h = F.relu(h)
    return h[:, channel, y, x_]


def _trained(stack: list[LayerSpec], batchnorm: bool) -> CNN:
    torch.manual_seed(1)
    model = CNN(CNNConfig(stack, batchnorm, image_size=16))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):  # move BatchNorm's running statistics and leave gradients behind
        loss = model(torch.rand(8, 1, 16, 16)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


@pytest.mark.parametrize(("stack", "batchnorm"), STACKS)
def test_effective_equals_functional_autograd(stack: list[LayerSpec], batchnorm: bool) -> None:
    model = _trained(stack, batchnorm)
    grads_before = {n: p.grad.clone() for n, p in model.named_parameters()}
    images = torch.rand(5, 1, 16, 16)
    layer = len(stack) - 1
    shapes = [m.shape for m in model.feature_maps(images)]
    y, x = shapes[layer][2] // 2, shapes[layer][3] - 1
    erf = effective(list(model.blocks), images, layer, 1, y, x)
    assert model.training  # the mode it had
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, grads_before[n], rtol=0, atol=0)

    inputs = images.double().requires_grad_(True)
    unit = _functional_unit(model, inputs, layer, 1, y, x)
    expected = torch.stack(
        [torch.autograd.grad(unit[i], inputs, retain_graph=True)[0][i, 0] for i in range(5)]
    )  # (5, H, W), one image at a time
    assert erf.shape == (16, 16)
    assert erf.dtype == np.float32
    np.testing.assert_allclose(erf, expected.abs().mean(0).numpy(), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(("stack", "batchnorm"), STACKS)
def test_effective_zero_outside_theoretical_box(stack: list[LayerSpec], batchnorm: bool) -> None:
    model = _trained(stack, batchnorm)
    images = torch.rand(8, 1, 16, 16) + 0.1
    for layer in range(len(stack)):
        _, _, h, w = model.feature_maps(images)[layer].shape
        field = theoretical(stack)[layer]
        for y, x in [(0, 0), (h // 2, w - 1), (h - 1, w // 3)]:
            erf = effective(list(model.blocks), images, layer, 0, y, x)
            y0, x0, y1, x1 = box(field, y, x, 16, 16)
            outside = erf.copy()
            outside[y0 : y1 + 1, x0 : x1 + 1] = 0
            assert outside.max() == 0.0, (layer, y, x)
            assert erf.sum() >= 0
