"""Jacobian spectra against torch.autograd.functional.jacobian of a hand-written forward pass
built from the model's snapshot, and torch.linalg.svdvals."""

from __future__ import annotations

import pytest
import torch
from torch.autograd.functional import jacobian

from app.nets.deep_mlp import DeepMLP, DeepMLPConfig
from app.nets.norms import group_count
from app.probes.jacobian import layer_jacobians, spectra
from tests.nets import deep_reference


def trained(config: DeepMLPConfig) -> DeepMLP:
    """A model a few Adam steps away from its init (BatchNorm's statistics moved), in eval."""
    torch.manual_seed(0)
    model = DeepMLP(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.randn(64, config.n_inputs)
    y = torch.randint(0, config.n_classes, (64,))
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


CONFIGS = [
    DeepMLPConfig(n_inputs=3, depth=4, width=10, activation="tanh"),
    DeepMLPConfig(n_inputs=3, depth=4, width=12, norm="batch", residual=True),
    DeepMLPConfig(n_inputs=5, depth=3, width=12, norm="group", activation="gelu"),
    DeepMLPConfig(n_inputs=2, depth=5, width=8, norm="rms", residual=True, activation="sigmoid"),
    DeepMLPConfig(n_inputs=4, depth=3, width=6, norm="layer", init="orthogonal"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.norm}-{c.residual}")
def test_layer_jacobians_match_autograd_on_the_snapshot(config: DeepMLPConfig) -> None:
    model = trained(config)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.randn(config.n_inputs, generator=torch.Generator().manual_seed(7))
    groups = group_count(config.width)
    found = layer_jacobians(model.blocks, x)

    h = x.double()
    expected = []
    for index in range(config.depth):

        def layer(v: torch.Tensor, index: int = index) -> torch.Tensor:
            return deep_reference.block(config, state, index, v[None], groups)[0]

        expected.append(jacobian(layer, h))  # (width, n_in) in float64
        h = layer(h)
    assert [j.shape for j in found] == [e.shape for e in expected]
    for j, e in zip(found, expected):
        torch.testing.assert_close(j.double(), e, rtol=1e-4, atol=1e-5)

    # singular values of each layer and of each running product, largest first
    got = spectra(found)
    for values, e in zip(got.layers, expected):
        torch.testing.assert_close(values.double(), torch.linalg.svdvals(e), rtol=1e-4, atol=1e-5)
    product = expected[0]
    for values, e in zip(got.chain, expected):
        product = e @ product if e is not expected[0] else product
        torch.testing.assert_close(
            values.double(), torch.linalg.svdvals(product), rtol=1e-4, atol=1e-5
        )
    end_to_end = jacobian(
        lambda v: deep_reference.forward(config, state, v[None], groups)[-2][0], x.double()
    )
    torch.testing.assert_close(
        got.product.double(), torch.linalg.svdvals(end_to_end), rtol=1e-4, atol=1e-5
    )


def test_linear_layers_jacobian_is_the_weight_matrix() -> None:
    config = DeepMLPConfig(n_inputs=3, depth=2, width=5, activation="linear")
    model = DeepMLP(config).eval()
    found = layer_jacobians(model.blocks, torch.randn(3))
    torch.testing.assert_close(found[0], model.blocks[0].linear.weight.detach())
    torch.testing.assert_close(found[1], model.blocks[1].linear.weight.detach())


def test_jacobians_leave_no_gradient_behind() -> None:
    model = DeepMLP(DeepMLPConfig(depth=3, width=6)).eval()
    layer_jacobians(model.blocks, torch.randn(2))
    assert all(p.grad is None for p in model.parameters())


def test_a_diverged_layer_gets_nan_singular_values_and_the_others_theirs() -> None:
    good = torch.tensor([[3.0, 0.0], [0.0, 2.0]])
    bad = torch.tensor([[float("inf"), 0.0], [0.0, 1.0]])
    got = spectra([good, bad, good])
    assert got.layers[0].tolist() == [3.0, 2.0] and got.layers[2].tolist() == [3.0, 2.0]
    assert torch.isnan(got.layers[1]).all() and torch.isnan(got.product).all()
