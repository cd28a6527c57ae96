"""Probes: captured outputs, hooks always removed, weight/gradient norms, the evaluation grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from app.nets.mlp import MLP, MLPConfig
from app.probes.activations import capture_outputs
from app.probes.gradients import grad_norms, weight_norms
from app.probes.grid import grid_points


def _model() -> MLP:
    torch.manual_seed(0)
    return MLP(MLPConfig(n_inputs=2, hidden=[5, 3], activation="tanh", n_outputs=1))


def test_capture_outputs_equals_layer_outputs() -> None:
    model = _model()
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(1))
    with capture_outputs([*model.act, model.out]) as outputs:
        model(x)
    w0, b0 = model.hidden[0].weight.detach(), model.hidden[0].bias.detach()
    w1, b1 = model.hidden[1].weight.detach(), model.hidden[1].bias.detach()
    h0 = torch.tanh(x @ w0.T + b0)
    h1 = torch.tanh(h0 @ w1.T + b1)
    assert outputs[0] is not None and outputs[1] is not None and outputs[2] is not None
    torch.testing.assert_close(outputs[0], h0)
    torch.testing.assert_close(outputs[1], h1)
    torch.testing.assert_close(outputs[2], h1 @ model.out.weight.detach().T + model.out.bias)
    assert not outputs[0].requires_grad


def test_capture_outputs_keeps_latest_pass() -> None:
    model = _model()
    with capture_outputs([model.act[0]]) as outputs:
        model(torch.zeros(1, 2))
        model(torch.ones(4, 2))
    assert outputs[0] is not None
    assert outputs[0].shape == (4, 5)


def _hook_counts(model: nn.Module) -> list[int]:
    return [len(m._forward_hooks) for m in model.modules()]


def test_capture_outputs_removes_hooks() -> None:
    model = _model()
    with capture_outputs(list(model.modules())):
        assert sum(_hook_counts(model)) == len(list(model.modules()))
    assert sum(_hook_counts(model)) == 0


def test_capture_outputs_removes_hooks_on_exception() -> None:
    model = _model()
    with pytest.raises(RuntimeError, match="boom"), capture_outputs([*model.act, model.out]):
        model(torch.zeros(2, 2))
        raise RuntimeError("boom")
    assert sum(_hook_counts(model)) == 0
    assert all(not m._forward_hooks for m in [*model.act, model.out])


def test_capture_outputs_removes_hooks_when_forward_fails() -> None:
    model = _model()
    with pytest.raises(RuntimeError), capture_outputs(list(model.act)):
        model(torch.zeros(2, 3))  # wrong input width
    assert sum(_hook_counts(model)) == 0


def test_weight_norms_equal_numpy() -> None:
    model = _model()
    expected = [np.linalg.norm(layer.weight.detach().numpy()) for layer in model.linears()]
    np.testing.assert_allclose(weight_norms(model.linears()), expected, rtol=1e-6)


def test_grad_norms_zero_before_backward() -> None:
    assert grad_norms(_model().linears()) == [0.0, 0.0, 0.0]


def test_grad_norms_equal_plain_autograd() -> None:
    model = _model()
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(16, 2, generator=generator)
    y = (torch.rand(16, generator=generator) > 0.5).double()

    # The model's own backward pass fills .grad.
    loss = F.binary_cross_entropy_with_logits(model(x)[:, 0], y.float())
    loss.backward()
    probed = grad_norms(model.linears())

    # An independent pass: plain float64 tensors, a hand-written forward and loss.
    params = [
        p.detach().double().clone().requires_grad_(True)
        for layer in model.linears()
        for p in (layer.weight, layer.bias)
    ]
    w0, b0, w1, b1, w2, b2 = params
    h = torch.tanh(x.double() @ w0.T + b0)
    h = torch.tanh(h @ w1.T + b1)
    z = (h @ w2.T + b2)[:, 0]
    manual_loss = (torch.log1p(torch.exp(-z.abs())) + z.clamp(min=0) - y * z).mean()
    grads = torch.autograd.grad(manual_loss, [w0, w1, w2])
    expected = [float(torch.linalg.norm(g)) for g in grads]
    np.testing.assert_allclose(probed, expected, rtol=1e-5)
    assert all(value > 0 for value in probed)


def test_grid_points_rows_are_y_columns_are_x() -> None:
    points = grid_points((-1.0, 2.0, 4), (0.0, 1.0, 3))
    assert points.shape == (12, 2)
    assert points.dtype == np.float32
    table = points.reshape(3, 4, 2)  # (n_y, n_x, 2)
    xs = np.array([-1.0, 0.0, 1.0, 2.0])
    ys = np.array([0.0, 0.5, 1.0])
    for i in range(3):
        for j in range(4):
            assert table[i, j].tolist() == [xs[j], ys[i]]
