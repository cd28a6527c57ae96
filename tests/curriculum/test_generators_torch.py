"""Generators against PyTorch itself: the same numbers put through torch's own layers,
optimisers and autograd give the generator's answers."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from app.curriculum.generators import GENERATORS

SEEDS = range(6)


def variant(name: str, seed: int) -> tuple[dict, dict]:
    v = GENERATORS[name].make(seed)
    return v.params, v.answer


def t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_forward_matches_torch(seed: int) -> None:
    p, answer = variant("relu-forward", seed)
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        net[0].weight.copy_(t(p["w1"]))
        net[0].bias.copy_(t(p["b1"]))
        net[2].weight.copy_(t([p["w2"]]))
        net[2].bias.copy_(t([p["b2"]]))
        s = net(t(p["x"]))
    assert answer["s"] == pytest.approx(float(s))
    assert answer["p"] == pytest.approx(float(torch.sigmoid(s)))


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_family_matches_torch(seed: int) -> None:
    p, answer = variant("softmax", seed)
    probs = torch.softmax(t(p["z"]), dim=0)
    assert [answer[f"p{k}"] for k in (1, 2, 3)] == pytest.approx(probs.tolist())
    p, answer = variant("cross-entropy", seed)
    loss = F.cross_entropy(t([p["z"]]), torch.tensor([p["label"] - 1]))
    assert answer["loss"] == pytest.approx(float(loss))
    p, answer = variant("logsumexp", seed)
    assert answer["lse"] == pytest.approx(float(torch.logsumexp(t(p["z"]), dim=0)))
    assert math.isinf(float(torch.exp(torch.tensor(p["z"], dtype=torch.float32)).sum()))


@pytest.mark.parametrize("seed", SEEDS)
def test_norm_output_matches_torch(seed: int) -> None:
    p, answer = variant("norm-output", seed)
    x, i, j = t(p["x"]), p["row"], p["col"]
    eps = 1e-12  # torch needs ε > 0; this one moves nothing at 3 decimals
    bn = F.batch_norm(x, None, None, training=True, eps=eps)
    ln = F.layer_norm(x, (3,), eps=eps)
    rms = F.rms_norm(x, (3,), eps=eps)
    assert answer["bn"] == pytest.approx(float(bn[i, j]), abs=1e-9)
    assert answer["ln"] == pytest.approx(float(ln[i, j]), abs=1e-9)
    assert answer["rms"] == pytest.approx(float(rms[i, j]), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_chains_match_autograd(seed: int) -> None:
    p, answer = variant("jacobian-chain", seed)
    x = t(float(p["x"])).requires_grad_()
    h = x
    for _ in range(p["layers"]):
        h = p["a"] * h
    h.backward()
    assert answer["h"] == pytest.approx(float(h.detach()))
    assert answer["grad"] == pytest.approx(float(x.grad))
    p, answer = variant("residual-jacobian", seed)
    h = t(p["h"]).requires_grad_()
    block = p["a"] * h**2 + p["c"] * h
    (d_plain,) = torch.autograd.grad(block, h)
    (d_res,) = torch.autograd.grad(h + p["a"] * h**2 + p["c"] * h, h)
    assert answer["d_plain"] == pytest.approx(float(d_plain), abs=1e-12)
    assert answer["d_res"] == pytest.approx(float(d_res))


@pytest.mark.parametrize("seed", SEEDS)
def test_residual_stack_matches_autograd(seed: int) -> None:
    p, answer = variant("residual-stack", seed)
    for key, slope, shortcut in (
        ("plain", p["small"], False),
        ("residual", p["small"], True),
        ("large", p["large"], True),
    ):
        h0 = t(0.3).requires_grad_()
        h = h0
        for _ in range(p["layers"]):
            branch = slope * h  # a block F whose derivative is the drawn slope
            h = h + branch if shortcut else branch
        h.backward()
        assert answer[key] == pytest.approx(math.log10(abs(float(h0.grad))), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_adam_step_matches_torch(seed: int) -> None:
    p, answer = variant("adam-step", seed)
    theta = nn.Parameter(t([p["theta"]]))
    opt = torch.optim.Adam([theta], lr=p["lr"], betas=(0.9, 0.999), eps=1e-8)
    for g in p["grads"]:
        theta.grad = t([g])
        opt.step()
    state = opt.state[theta]
    assert answer["m"] == pytest.approx(float(state["exp_avg"]))
    assert answer["v"] == pytest.approx(float(state["exp_avg_sq"]))
    assert answer["theta"] == pytest.approx(float(theta.detach()))


@pytest.mark.parametrize("seed", SEEDS)
def test_momentum_steps_match_torch(seed: int) -> None:
    p, answer = variant("momentum-steps", seed)
    theta = nn.Parameter(t([float(p["theta"])]))
    opt = torch.optim.SGD([theta], lr=p["lr"], momentum=p["mu"])
    for _ in range(p["steps"]):
        opt.zero_grad()
        (p["a"] * theta**2 / 2).sum().backward()
        opt.step()
    assert answer["theta"] == pytest.approx(float(theta.detach()))
    assert answer["v"] == pytest.approx(float(opt.state[theta]["momentum_buffer"]))


@pytest.mark.parametrize("seed", SEEDS)
def test_regularisers_match_torch(seed: int) -> None:
    p, answer = variant("label-smoothing", seed)
    k, eps = p["classes"], p["eps"]
    target = torch.full((k,), answer["off"], dtype=torch.float64)
    target[0] = answer["on"]
    assert float(target.sum()) == pytest.approx(1.0)
    # torch's label-smoothed loss at logits equal to the target's log is the smallest loss
    loss = F.cross_entropy(target.log()[None], torch.tensor([0]), label_smoothing=eps)
    assert answer["min_loss"] == pytest.approx(float(loss))
    p, answer = variant("dropout-scaling", seed)
    torch.manual_seed(seed)
    kept = F.dropout(torch.ones(2000, dtype=torch.float64), p=p["p"], training=True)
    assert answer["scale"] == pytest.approx(float(kept[kept > 0][0]))


@pytest.mark.parametrize("seed", SEEDS)
def test_clip_gradient_matches_torch(seed: int) -> None:
    p, answer = variant("clip-gradient", seed)
    w = nn.Parameter(torch.zeros(3, dtype=torch.float64))
    w.grad = t(p["g"])
    norm = nn.utils.clip_grad_norm_([w], p["threshold"])
    assert answer["norm"] == pytest.approx(float(norm))
    assert answer["by_norm"] == pytest.approx(float(w.grad[p["index"]]), rel=1e-5)
    w.grad = t(p["g"])
    nn.utils.clip_grad_value_([w], p["threshold"])
    assert answer["by_value"] == float(w.grad[p["index"]])


@pytest.mark.parametrize("seed", SEEDS)
def test_conv_counts_match_torch(seed: int) -> None:
    p, answer = variant("conv-output-shape", seed)
    conv = nn.Conv2d(1, p["channels"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    out = conv(torch.zeros(1, 1, p["size"], p["size"]))
    assert out.shape == (1, p["channels"], answer["side"], answer["side"])
    assert answer["values"] == out.numel()

    p, answer = variant("dense-vs-conv-params", seed)
    dense = nn.Linear(p["size"] ** 2 * p["channels"], p["units"], bias=False)
    conv = nn.Conv2d(p["channels"], p["kernels"], p["kernel"], bias=False)
    assert (answer["dense"], answer["conv"]) == (dense.weight.numel(), conv.weight.numel())

    p, answer = variant("separable-params", seed)
    ci, co, k = p["c_in"], p["c_out"], p["kernel"]
    plain = nn.Conv2d(ci, co, k, bias=False)
    separable = nn.Sequential(
        nn.Conv2d(ci, ci, k, groups=ci, bias=False), nn.Conv2d(ci, co, 1, bias=False)
    )
    assert answer["plain"] == sum(w.numel() for w in plain.parameters())
    assert answer["separable"] == sum(w.numel() for w in separable.parameters())

    p, answer = variant("mlp-params", seed)
    widths = p["widths"]
    mlp = nn.Sequential(*(nn.Linear(a, b) for a, b in itertools.pairwise(widths)))
    assert answer["params"] == sum(w.numel() for w in mlp.parameters())


@pytest.mark.parametrize("seed", SEEDS)
def test_spectrogram_shape_matches_torch_stft(seed: int) -> None:
    p, answer = variant("spectrogram-params", seed)
    clip = torch.zeros(round(p["seconds"] * p["rate"]))
    window = torch.hann_window(p["window"])
    spec = torch.stft(clip, p["window"], p["hop"], window=window, center=False, return_complex=True)
    assert spec.shape == (answer["bins"], answer["frames"])


def field_by_autograd(layers: list[nn.Module], size: int = 96) -> int:
    """Width of the input region that reaches the last layer's centre unit (all-positive
    weights, so nothing cancels)."""
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        y = layer(y)
    centre = y.shape[-1] // 2
    y[0, 0, centre, centre].backward()
    touched = (x.grad[0, 0].abs().sum(dim=0) > 0).nonzero()
    return int(touched.max() - touched.min() + 1)


def ones_conv(kernel: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    conv = nn.Conv2d(1, 1, kernel, stride, dilation=dilation, bias=False).double()
    nn.init.ones_(conv.weight)
    return conv


@pytest.mark.parametrize("seed", SEEDS)
def test_receptive_fields_match_autograd(seed: int) -> None:
    p, answer = variant("receptive-field", seed)
    layers = [
        nn.AvgPool2d(2, 2) if spec["kind"] == "pool" else ones_conv(spec["kernel"], spec["stride"])
        for spec in p["layers"]
    ]
    assert answer["field"] == field_by_autograd(layers)
    p, answer = variant("dilated-field", seed)
    assert answer["field"] == field_by_autograd([ones_conv(3, 1, d) for d in p["dilations"]])
    conv = nn.Conv2d(p["channels"], p["channels"], 3, bias=False)
    assert answer["weights"] == len(p["dilations"]) * conv.weight.numel()


@pytest.mark.parametrize("seed", SEEDS)
def test_recurrent_steps_match_torch(seed: int) -> None:
    p, answer = variant("rnn-unroll", seed)
    cell = nn.RNNCell(1, 1).double()
    with torch.no_grad():
        cell.weight_ih.fill_(p["w_x"])
        cell.weight_hh.fill_(p["w_h"])
        cell.bias_ih.fill_(p["b"])
        cell.bias_hh.zero_()
        h = torch.zeros(1, 1, dtype=torch.float64)
        for step, x in enumerate(p["x"], start=1):
            h = cell(t([[x]]), h)
            assert answer[f"h{step}"] == pytest.approx(float(h))

    p, answer = variant("lstm-step", seed)
    cell = nn.LSTMCell(1, 1).double()
    gates = ("i", "f", "g", "o")  # torch's order of the stacked gate weights
    with torch.no_grad():
        cell.weight_ih.copy_(t([[p["w_x"][g]] for g in gates]))
        cell.weight_hh.copy_(t([[p["w_h"][g]] for g in gates]))
        cell.bias_ih.copy_(t([p["b"][g] for g in gates]))
        cell.bias_hh.zero_()
        h, c = cell(t([[p["x"]]]), (t([[p["h"]]]), t([[p["c"]]])))
    assert answer["h"] == pytest.approx(float(h))
    assert answer["c"] == pytest.approx(float(c))

    p, answer = variant("gru-step", seed)
    cell = nn.GRUCell(1, 1).double()
    gates = ("r", "z", "n")
    with torch.no_grad():
        cell.weight_ih.copy_(t([[p["w_x"][g]] for g in gates]))
        cell.weight_hh.copy_(t([[p["w_h"][g]] for g in gates]))
        cell.bias_ih.copy_(t([p["b"][g] for g in gates]))
        cell.bias_hh.zero_()
        h = cell(t([[p["x"]]]), t([[p["h"]]]))
    assert answer["h"] == pytest.approx(float(h))


@pytest.mark.parametrize("seed", SEEDS)
def test_bptt_gradient_matches_autograd(seed: int) -> None:
    p, answer = variant("bptt-gradient", seed)
    w = t(p["w"]).requires_grad_()
    h0 = t(p["h0"]).requires_grad_()
    h = h0
    for x in p["x"]:
        h = torch.tanh(w * h + p["u"] * x)
    h.backward()
    assert answer["h"] == pytest.approx(float(h.detach()))
    assert answer["dh0"] == pytest.approx(float(h0.grad))
    assert answer["dw"] == pytest.approx(float(w.grad))


@pytest.mark.parametrize("seed", SEEDS)
def test_attention_matches_torch(seed: int) -> None:
    p, answer = variant("attention-by-hand", seed)
    q, k, v = t([[p["q"]]]), t([p["k"]]), t([p["v"]])
    out = F.scaled_dot_product_attention(q, k, v)[0, 0]
    weights = torch.softmax(q[0] @ k[0].T / math.sqrt(2), dim=-1)[0]
    assert [answer[f"a{j + 1}"] for j in range(len(p["k"]))] == pytest.approx(weights.tolist())
    assert [answer["o1"], answer["o2"]] == pytest.approx(out.tolist())


@pytest.mark.parametrize("seed", SEEDS)
def test_transformer_counts_match_torch(seed: int) -> None:
    p, answer = variant("sinusoidal-encoding", seed)
    d = p["d"]
    position = torch.arange(64, dtype=torch.float64)[:, None]
    div = torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float64) / d)
    table = torch.zeros(64, d, dtype=torch.float64)
    table[:, 0::2], table[:, 1::2] = torch.sin(position / div), torch.cos(position / div)
    assert answer["sin"] == pytest.approx(float(table[p["pos"], 2 * p["i"]]))
    assert answer["cos"] == pytest.approx(float(table[p["pos"], 2 * p["i"] + 1]))

    p, answer = variant("block-params", seed)
    block = nn.TransformerEncoderLayer(p["d"], p["heads"], p["ff"], batch_first=True)
    count = {name: w.numel() for name, w in block.named_parameters()}
    assert answer["attn"] == sum(n for k, n in count.items() if k.startswith("self_attn"))
    assert answer["mlp"] == sum(n for k, n in count.items() if k.startswith("linear"))
    assert answer["norms"] == sum(n for k, n in count.items() if k.startswith("norm"))
    assert answer["total"] == sum(count.values())

    p, answer = variant("frozen-params", seed)
    widths = p["widths"]
    net = nn.Sequential(*(nn.Linear(a, b) for a, b in itertools.pairwise(widths)))
    for keep, key in ((1, "head"), (2, "partial"), (len(net), "none")):
        for i, layer in enumerate(net):
            layer.requires_grad_(i >= len(net) - keep)
        assert answer[key] == sum(w.numel() for w in net.parameters() if w.requires_grad)
