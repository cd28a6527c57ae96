"""The recurrent network: the hand-unrolled loop gives PyTorch's own output, truncation keeps
gradients to the last steps, and each initialisation shapes W_hh as documented."""

from __future__ import annotations

import pytest
import torch

from app.nets.rnn import CELLS, RecurrentConfig, RecurrentNet, count_params


def _net(cell: str, **kw) -> RecurrentNet:
    torch.manual_seed(0)
    return RecurrentNet(RecurrentConfig(cell, 3, 5, kw.pop("layers", 2), 4, **kw))


@pytest.mark.parametrize("cell", CELLS)
def test_unroll_gives_the_modules_output(cell: str) -> None:
    net = _net(cell)
    x = torch.randn(4, 9, 3)
    out, trace = net.unroll(x)
    torch.testing.assert_close(out, net(x), atol=1e-6, rtol=1e-5)
    assert len(trace.hidden) == 2 and len(trace.hidden[1]) == 9
    assert trace.hidden[1][-1].shape == (4, 5)
    assert count_params(net.config) == sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("cell", ["lstm", "rnn_tanh"])
def test_truncation_keeps_gradients_to_the_last_steps(cell: str) -> None:
    net = _net(cell)
    x = torch.randn(2, 8, 3, requires_grad=True)
    full = net(x)
    torch.testing.assert_close(net(x, tbptt=3), full)
    net(x, tbptt=3).sum().backward()
    reached = x.grad.abs().sum(dim=(0, 2))
    assert (reached[:5] == 0).all() and (reached[5:] > 0).all()
    x.grad = None
    out, _ = net.unroll(x, tbptt=3)
    out.sum().backward()
    assert (x.grad.abs().sum(dim=(0, 2))[:5] == 0).all()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_relu"])
def test_inits_shape_each_gate_block(cell: str) -> None:
    blocks = {"lstm": 4, "gru": 3}.get(cell, 1)
    eye = torch.eye(5)
    w = _net(cell, init="identity", init_scale=0.5, layers=1).rnn.weight_hh_l0.detach()
    for block in w.view(blocks, 5, 5):
        torch.testing.assert_close(block, 0.5 * eye)
    w = _net(cell, init="orthogonal", init_scale=2.0, layers=1).rnn.weight_hh_l0.detach()
    for block in w.view(blocks, 5, 5):
        torch.testing.assert_close(block @ block.T, 4.0 * eye, atol=1e-5, rtol=1e-5)
    default = _net(cell, init="default", init_scale=3.0, layers=1).rnn.weight_hh_l0.detach()
    assert default.abs().max() <= 1 / 5**0.5  # PyTorch's U(−1/√H, 1/√H), scale ignored


def test_lstm_forget_gate_starts_open() -> None:
    net = _net("lstm")
    for k in range(2):
        ih, hh = getattr(net.rnn, f"bias_ih_l{k}"), getattr(net.rnn, f"bias_hh_l{k}")
        assert ((ih + hh)[5:10] == 1.0).all()  # rows H…2H: the forget gate
