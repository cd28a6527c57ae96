"""Every normalisation layer against its formula written out by hand, in float64."""

from __future__ import annotations

import pytest
import torch

from app.nets.norms import EPS, RMSNorm, group_count, make_norm, norm_params


def randomise(module: torch.nn.Module, seed: int = 1) -> None:
    """Give the affine parameters values other than 1 and 0, so that they are tested too."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))


def batch(n: int = 32, width: int = 12) -> torch.Tensor:
    return torch.randn(n, width, generator=torch.Generator().manual_seed(0)) * 3 + 1


def test_layer_norm_standardises_each_example_over_its_units() -> None:
    x = batch()
    norm = make_norm("layer", 12)
    randomise(norm)
    g, b = norm.weight.detach().double(), norm.bias.detach().double()
    xd = x.double()
    mean = xd.sum(1, keepdim=True) / 12
    var = ((xd - mean) ** 2).sum(1, keepdim=True) / 12
    expected = (xd - mean) / torch.sqrt(var + EPS) * g + b
    torch.testing.assert_close(norm(x).double(), expected, rtol=1e-5, atol=1e-5)


def test_batch_norm_standardises_each_unit_over_the_batch_and_tracks_running_stats() -> None:
    x = batch()
    norm = make_norm("batch", 12)
    randomise(norm)
    g, b = norm.weight.detach().double(), norm.bias.detach().double()
    xd = x.double()
    mean = xd.sum(0) / 32
    var = ((xd - mean) ** 2).sum(0) / 32
    expected = (xd - mean) / torch.sqrt(var + EPS) * g + b
    torch.testing.assert_close(norm.train()(x).double(), expected, rtol=1e-5, atol=1e-5)
    # running stats: 0.9 · old + 0.1 · batch (the unbiased variance), from mean 0 and var 1
    torch.testing.assert_close(norm.running_mean.double(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    unbiased = var * 32 / 31
    torch.testing.assert_close(
        norm.running_var.double(), 0.9 + 0.1 * unbiased, rtol=1e-5, atol=1e-6
    )
    # eval mode: the running statistics instead of the batch's
    rm, rv = norm.running_mean.double(), norm.running_var.double()
    frozen = (xd - rm) / torch.sqrt(rv + EPS) * g + b
    torch.testing.assert_close(norm.eval()(x).double(), frozen, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("width", [12, 64])
def test_group_norm_standardises_each_group_of_units(width: int) -> None:
    x = batch(width=width)
    norm = make_norm("group", width)
    randomise(norm)
    groups = group_count(width)
    g, b = norm.weight.detach().double(), norm.bias.detach().double()
    xg = x.double().reshape(32, groups, width // groups)  # (N, G, C/G)
    mean = xg.mean(2, keepdim=True)
    var = ((xg - mean) ** 2).mean(2, keepdim=True)
    expected = ((xg - mean) / torch.sqrt(var + EPS)).reshape(32, width) * g + b
    torch.testing.assert_close(norm(x).double(), expected, rtol=1e-5, atol=1e-5)


def test_rms_norm_divides_by_the_root_mean_square() -> None:
    x = batch()
    norm = make_norm("rms", 12)
    assert isinstance(norm, RMSNorm)
    randomise(norm)
    g = norm.weight.detach().double()
    xd = x.double()
    rms = torch.sqrt((xd**2).sum(1, keepdim=True) / 12 + EPS)
    torch.testing.assert_close(norm(x).double(), xd / rms * g, rtol=1e-5, atol=1e-5)
    # no centring: a constant row keeps its sign and comes out as ±g
    row = torch.full((1, 12), -5.0)
    torch.testing.assert_close(norm(row)[0].double(), -g, rtol=1e-5, atol=1e-5)


def test_none_is_the_identity() -> None:
    x = batch()
    assert torch.equal(make_norm("none", 12)(x), x)


@pytest.mark.parametrize(("width", "groups"), [(4, 1), (7, 1), (12, 3), (13, 1), (64, 8), (256, 8)])
def test_group_count_keeps_at_least_four_units_a_group(width: int, groups: int) -> None:
    assert group_count(width) == groups


@pytest.mark.parametrize("kind", ["none", "batch", "layer", "group", "rms"])
def test_norm_params_counts_the_built_layers_parameters(kind: str) -> None:
    built = sum(p.numel() for p in make_norm(kind, 24).parameters())
    assert norm_params(kind, 24) == built


def test_unknown_norm_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown norm 'weight'"):
        make_norm("weight", 8)
