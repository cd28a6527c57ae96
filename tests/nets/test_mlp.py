"""The MLP: its forward pass against numpy from its own weights, its heads, its init, its repr."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from app.nets.mlp import MLP, MLPConfig

NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}


def numpy_forward(model: MLP, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Hidden activations and output logits, computed in float64 from the model's weights."""
    state = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    act = NUMPY_ACTIVATIONS[model.config.activation]
    h = x.astype(np.float64)
    hidden = []
    for k in range(len(model.config.hidden)):
        h = act(h @ state[f"hidden.{k}.weight"].T + state[f"hidden.{k}.bias"])
        hidden.append(h)
    return hidden, h @ state["out.weight"].T + state["out.bias"]


def _randomise(model: MLP, seed: int) -> None:
    """Non-zero biases too, so a forward pass that forgot them would show."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.8)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_forward_matches_numpy(activation: str, n_outputs: int) -> None:
    torch.manual_seed(0)
    model = MLP(MLPConfig(n_inputs=3, hidden=[5, 4, 6], activation=activation, n_outputs=n_outputs))
    _randomise(model, 1)
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    _, expected = numpy_forward(model, x)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).double().numpy()
    assert logits.shape == (50, n_outputs)
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)


def test_forward_without_hidden_layers_is_linear() -> None:
    model = MLP(MLPConfig(n_inputs=2, hidden=[], n_outputs=1))
    _randomise(model, 2)
    x = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype=np.float32)
    w = model.out.weight.detach().double().numpy()
    b = model.out.bias.detach().double().numpy()
    with torch.no_grad():
        out = model(torch.from_numpy(x)).double().numpy()
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-6)
    assert len(model.linears()) == 1


def test_prob_class1_sigmoid_head() -> None:
    model = MLP(MLPConfig(n_inputs=2, hidden=[3], activation="tanh", n_outputs=1))
    _randomise(model, 3)
    x = np.random.default_rng(1).normal(size=(20, 2)).astype(np.float32)
    _, z = numpy_forward(model, x)
    with torch.no_grad():
        p = model.prob_class1(torch.from_numpy(x)).double().numpy()
    assert p.shape == (20,)
    np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-z[:, 0])), rtol=1e-5)


def test_prob_class1_softmax_head() -> None:
    model = MLP(MLPConfig(n_inputs=2, hidden=[3], activation="relu", n_outputs=2))
    _randomise(model, 4)
    x = np.random.default_rng(2).normal(size=(20, 2)).astype(np.float32)
    _, z = numpy_forward(model, x)
    with torch.no_grad():
        p = model.prob_class1(torch.from_numpy(x)).double().numpy()
    assert p.shape == (20,)
    np.testing.assert_allclose(p, np.exp(z[:, 1]) / np.exp(z).sum(axis=1), rtol=1e-5)


def _check_mean_and_variance(weights: np.ndarray, variance: float, kurtosis: float) -> None:
    """Sample mean ≈ 0 and sample variance ≈ ``variance`` within 5 standard errors."""
    n = weights.size
    assert abs(weights.mean()) < 5 * math.sqrt(variance / n)
    # Var(sample variance) ≈ σ⁴ (κ − 1) / n, with κ the distribution's kurtosis.
    tolerance = 5 * variance * math.sqrt((kurtosis - 1) / n)
    assert abs(weights.var() - variance) < tolerance


def test_init_xavier_uniform_variance() -> None:
    torch.manual_seed(0)
    model = MLP(MLPConfig(n_inputs=300, hidden=[500, 400], n_outputs=1, init="xavier"))
    for layer in model.linears():
        fan_out, fan_in = layer.weight.shape
        w = layer.weight.detach().double().numpy()
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.95 * bound
        if w.size > 10_000:
            _check_mean_and_variance(w, 2.0 / (fan_in + fan_out), kurtosis=1.8)
        assert (layer.bias.detach() == 0).all()


def test_init_he_normal_variance() -> None:
    torch.manual_seed(0)
    model = MLP(MLPConfig(n_inputs=300, hidden=[500, 400], n_outputs=1, init="he"))
    for layer in model.linears():
        _fan_out, fan_in = layer.weight.shape
        w = layer.weight.detach().double().numpy()
        if w.size > 10_000:
            _check_mean_and_variance(w, 2.0 / fan_in, kurtosis=3.0)
        assert (layer.bias.detach() == 0).all()


def test_init_he_differs_from_xavier() -> None:
    # With fan_out ≫ fan_in, He's variance 2/fan_in is ~fan_out/fan_in times Xavier's.
    torch.manual_seed(0)
    he = MLP(MLPConfig(n_inputs=10, hidden=[1000], init="he")).hidden[0].weight.detach()
    torch.manual_seed(0)
    xavier = MLP(MLPConfig(n_inputs=10, hidden=[1000], init="xavier")).hidden[0].weight.detach()
    ratio = float(he.var() / xavier.var())
    assert 80 < ratio < 120  # (2/10) / (2/1010) = 101


def test_repr_names_widths() -> None:
    model = MLP(MLPConfig(n_inputs=2, hidden=[4, 3], activation="tanh", n_outputs=2))
    assert repr(model) == "MLP(2→4→3→2, tanh)"
    assert repr(MLP(MLPConfig(hidden=[]))) == "MLP(2→1, relu)"


def test_count_parameters() -> None:
    model = MLP(MLPConfig(n_inputs=2, hidden=[4, 4], n_outputs=1))
    assert sum(p.numel() for p in model.parameters()) == (2 * 4 + 4) + (4 * 4 + 4) + (4 + 1)
    assert list(model.state_dict()) == [
        "hidden.0.weight",
        "hidden.0.bias",
        "hidden.1.weight",
        "hidden.1.bias",
        "out.weight",
        "out.bias",
    ]
