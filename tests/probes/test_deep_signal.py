"""The forward/backward signal probe against a hand-written forward pass and plain autograd
on a copy of the model; BatchNorm's running statistics and the model's .grad untouched."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from app.nets.deep_mlp import DeepMLP, DeepMLPConfig
from app.probes.signal import batch_statistics, histogram, measure, update_ratios
from tests.nets import deep_reference


def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(5)
    return torch.randn(40, 3, generator=g), torch.randint(0, 2, (40,), generator=g)


def test_signal_matches_a_hand_forward_and_plain_autograd() -> None:
    config = DeepMLPConfig(n_inputs=3, depth=4, width=9, activation="tanh", residual=True)
    torch.manual_seed(1)
    model = DeepMLP(config)
    x, y = data()
    s = measure(model.blocks, model.head, model.linears(), x, y, bins=10)

    outs = deep_reference.forward(config, model.state_dict(), x)
    hidden = outs[:-1]
    torch.testing.assert_close(s.act_mean.double(), torch.stack([h.mean() for h in hidden]))
    torch.testing.assert_close(s.act_std.double(), torch.stack([h.std() for h in hidden]))
    assert s.act_hist.shape == (4, 10)
    assert s.act_hist.sum(1).tolist() == [40 * 9] * 4
    for h, (lo, hi) in zip(hidden, s.act_range.tolist()):
        assert abs(lo - float(h.min())) < 1e-5 and abs(hi - float(h.max())) < 1e-5

    twin = copy.deepcopy(model)
    loss = F.cross_entropy(twin(x), y)
    loss.backward()
    expected = [float(torch.linalg.vector_norm(lin.weight.grad)) for lin in twin.linears()]
    torch.testing.assert_close(s.weight_grad_norm, torch.tensor(expected), rtol=1e-4, atol=1e-7)
    assert abs(s.loss - float(loss.detach())) < 1e-6
    assert all(p.grad is None for p in model.parameters())  # the probe left .grad alone


def test_activation_gradients_match_autograd_through_the_hand_forward() -> None:
    config = DeepMLPConfig(n_inputs=3, depth=3, width=6, norm="layer")
    model = DeepMLP(config)
    x, y = data()
    s = measure(model.blocks, model.head, model.linears(), x, y)
    state = {k: v.detach() for k, v in model.state_dict().items()}
    # every layer's output keeps its gradient: its .grad is ∂L/∂h_l after the backward pass
    leaves = []
    h = x.double().requires_grad_(True)
    for index in range(3):
        h = deep_reference.block(config, state, index, h)
        h.retain_grad()
        leaves.append(h)
    logits = h @ state["head.weight"].double().T + state["head.bias"].double()
    F.cross_entropy(logits, y).backward()
    grads = [leaf.grad for leaf in leaves]
    expected = torch.tensor([float(torch.linalg.vector_norm(g)) for g in grads])
    torch.testing.assert_close(s.act_grad_norm, expected.float(), rtol=1e-4, atol=1e-7)


def test_batch_statistics_normalise_by_the_batch_and_keep_running_stats() -> None:
    model = DeepMLP(DeepMLPConfig(n_inputs=3, depth=2, width=8, norm="batch")).eval()
    norm = model.blocks[0].norm
    before = (norm.running_mean.clone(), norm.running_var.clone(), norm.momentum)
    batches = int(norm.num_batches_tracked)
    x, _ = data()
    with batch_statistics(model):
        z = model.blocks[0].linear(x)
        out = norm(z)
        assert norm.training
    torch.testing.assert_close(out.mean(0), norm.bias.detach(), atol=1e-5, rtol=0)
    # by hand: each unit standardised by this batch's mean and biased variance (γ = 1, β = 0)
    z = z.detach().double()
    standard = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + norm.eps)
    torch.testing.assert_close(out.detach().double(), standard, rtol=1e-4, atol=1e-5)
    assert torch.equal(norm.running_mean, before[0]) and torch.equal(norm.running_var, before[1])
    assert norm.momentum == before[2] and not norm.training
    assert int(norm.num_batches_tracked) == batches


def test_histogram_of_a_constant_puts_everything_in_the_middle() -> None:
    counts, edges = histogram(torch.full((3, 4), 2.0), 6)
    assert counts.tolist() == [0, 0, 0, 12, 0, 0] and edges.tolist() == [2.0, 2.0]


def test_update_ratios_are_relative_changes() -> None:
    before = [torch.tensor([3.0, 4.0]), torch.zeros(2)]
    after = [torch.tensor([3.0, 4.5]), torch.ones(2)]
    assert update_ratios(before, after) == [0.1, 0.0]
