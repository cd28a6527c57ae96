"""The deep MLP: initial weight variances against their formulas, the forward pass against a
hand-written one, and its parameter and multiply-add counts."""

from __future__ import annotations

import math

import pytest
import torch

from app.nets.deep_mlp import DeepMLP, DeepMLPConfig, count
from app.nets.norms import group_count
from tests.nets import deep_reference

WIDTH = 256


def weights(init: str, std: float = 0.05) -> list[torch.Tensor]:
    """The first (256 × 2) and a square (256 × 256) weight of a freshly drawn network."""
    torch.manual_seed(3)
    model = DeepMLP(DeepMLPConfig(n_inputs=2, depth=2, width=WIDTH, init=init, init_std=std))
    return [model.blocks[0].linear.weight.detach(), model.blocks[1].linear.weight.detach()]


# Expected variance of each entry for (fan_in, fan_out), and the distribution's kurtosis
# E[w⁴] / Var² (3 normal, 9/5 uniform), which sets how far a sample variance may stray.
FORMULAS = {
    "xavier_uniform": (lambda fi, fo: 2 / (fi + fo), 1.8),
    "xavier_normal": (lambda fi, fo: 2 / (fi + fo), 3.0),
    "he_normal": (lambda fi, fo: 2 / fi, 3.0),
    "he_uniform": (lambda fi, fo: 2 / fi, 1.8),
    "normal": (lambda fi, fo: 0.05**2, 3.0),
}


@pytest.mark.parametrize("init", sorted(FORMULAS))
def test_init_variance_matches_its_formula(init: str) -> None:
    variance, kurtosis = FORMULAS[init]
    for w in weights(init):
        fan_out, fan_in = w.shape
        n = w.numel()
        expected = variance(fan_in, fan_out)
        sample = float((w.double() ** 2).mean())  # the mean is 0 by construction
        # the standard error of a mean of n squares is Var · sqrt((kurtosis − 1) / n)
        tolerance = 5 * expected * math.sqrt((kurtosis - 1) / n)
        assert abs(sample - expected) < tolerance, (init, w.shape, sample, expected)
        assert abs(float(w.double().mean())) < 5 * math.sqrt(expected / n)


@pytest.mark.parametrize(("init", "bound"), [("xavier_uniform", 6 / 258), ("he_uniform", 6 / 2)])
def test_uniform_inits_stay_within_their_bound(init: str, bound: float) -> None:
    first, _ = weights(init)  # fan_in 2, fan_out 256: bound sqrt(6 / (fi + fo)) or sqrt(6 / fi)
    assert float(first.abs().max()) <= math.sqrt(bound) + 1e-6


def test_orthogonal_init_has_orthonormal_rows_or_columns() -> None:
    first, square = weights("orthogonal")
    eye = torch.eye(WIDTH, dtype=torch.float64)
    torch.testing.assert_close(square.double() @ square.double().T, eye, atol=1e-5, rtol=0)
    # 256 × 2: its two columns are orthonormal
    torch.testing.assert_close(
        first.double().T @ first.double(), torch.eye(2).double(), atol=1e-5, rtol=0
    )


def test_biases_start_at_zero() -> None:
    model = DeepMLP(DeepMLPConfig(depth=3, width=8))
    assert all(float(linear.bias.detach().abs().max()) == 0 for linear in model.linears())


@pytest.mark.parametrize(
    ("norm", "residual", "activation"),
    [
        ("none", False, "relu"),
        ("none", True, "tanh"),
        ("batch", True, "gelu"),
        ("layer", False, "sigmoid"),
        ("group", True, "relu"),
        ("rms", True, "linear"),
    ],
)
def test_forward_matches_a_hand_written_forward(norm: str, residual: bool, activation: str) -> None:
    config = DeepMLPConfig(
        n_inputs=3,
        n_classes=4,
        depth=4,
        width=12,
        activation=activation,
        norm=norm,
        residual=residual,
    )
    torch.manual_seed(0)
    model = DeepMLP(config)
    if norm == "batch":  # move the running statistics away from (0, 1) first
        model.train()(torch.randn(64, 3) * 2 + 1)
    model.eval()
    x = torch.randn(10, 3)
    expected = deep_reference.forward(config, model.state_dict(), x, group_count(12))
    torch.testing.assert_close(model(x).double(), expected[-1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("norm", ["none", "batch", "rms"])
def test_count_matches_the_built_network(norm: str) -> None:
    config = DeepMLPConfig(n_inputs=64, n_classes=10, depth=5, width=20, norm=norm)
    params, macs = count(config)
    assert params == sum(p.numel() for p in DeepMLP(config).parameters())
    assert macs == 64 * 20 + 4 * 20 * 20 + 20 * 10


def test_repr_names_the_shape() -> None:
    model = DeepMLP(DeepMLPConfig(depth=3, width=8, residual=True))
    assert repr(model) == "DeepMLP(2→3×8→2, relu, he_normal, norm=none, residual)"
