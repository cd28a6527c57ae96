"""The recurrent lab against independent references: ‖∂L/∂h_t‖ by plain autograd through cells
written out in tests/labs/rnn_reference.py from the snapshot weights, the gates and hidden
states of the shown sequence from the same cells, clipping against torch.nn.utils, and the
scores against PyTorch's own nn.LSTM / nn.GRU / nn.RNN loaded with the snapshot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.data import sequences
from app.labs.base import LabError
from app.labs.rnn import RnnLab
from app.labs.rnn_params import GRAD_PROBE, TRAIN_EVAL
from tests.labs import rnn_reference


@pytest.fixture(autouse=True)
def one_thread():
    """The server's workers run one thread each; so do these tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _lab(**params) -> RnnLab:
    return RnnLab(RnnLab.validate(params))


def _weights(lab: RnnLab, grad: bool = False) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v).requires_grad_(grad) for k, v in lab.snapshot().items()}


def _loss(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if task == "adding":
        return ((out[:, 0] - y) ** 2).mean()
    return F.cross_entropy(out, y)


CASES = [
    {"cell": "lstm", "task": "adding"},
    {"cell": "gru", "task": "copy", "layers": 2},
    {"cell": "rnn_tanh", "task": "parity", "init": "orthogonal", "init_scale": 1.2},
    {"cell": "rnn_relu", "task": "brackets", "init": "identity", "seq_len": 9},
    {"cell": "lstm", "task": "copy", "layers": 2, "tbptt": 4},
    {"cell": "gru", "task": "adding", "tbptt": 3, "init": "scaled", "init_scale": 0.5},
]


@pytest.mark.parametrize("params", CASES)
def test_grad_time_is_plain_autograd_on_snapshot(params: dict) -> None:
    p = {"seq_len": 8, "hidden": 6, "example": 5, **params}
    lab = _lab(**p)
    lab.step(3)
    frame = lab.frame()
    task, steps, layers = p["task"], p["seq_len"], p.get("layers", 1)
    x, y = sequences.make(task, TRAIN_EVAL, steps, 0)
    x, y = torch.from_numpy(x[:GRAD_PROBE]), torch.from_numpy(y[:GRAD_PROBE])
    w = _weights(lab, grad=True)
    out, hs, _ = rnn_reference.run(w, p["cell"], layers, x, p.get("tbptt", 0))
    states = [h for layer in hs for h in layer]
    live = [h for h in states if h.requires_grad]
    grads = iter(torch.autograd.grad(_loss(task, out, y), live))
    expected = [float(next(grads).norm()) if h.requires_grad else 0.0 for h in states]
    expected = np.array(expected).reshape(layers, steps)
    np.testing.assert_allclose(frame.arrays["grad_time"], expected, rtol=1e-4, atol=1e-9)
    if p.get("tbptt"):
        assert (frame.arrays["grad_time"][:, : steps - p["tbptt"]] == 0).all()
        assert frame.metrics["grad_ratio"] == 0.0
    else:
        ratio = expected[-1, 0] / expected[-1, -1]
        assert frame.metrics["grad_ratio"] == pytest.approx(ratio, rel=1e-4)


@pytest.mark.parametrize(
    ("cell", "gates"),
    [
        ("lstm", ["input", "forget", "candidate", "output"]),
        ("gru", ["reset", "update", "candidate"]),
        ("rnn_tanh", []),
    ],
)
def test_gates_and_hidden_match_hand_written_cell(cell: str, gates: list[str]) -> None:
    lab = _lab(cell=cell, task="copy", seq_len=7, hidden=5, layers=2, example=11)
    lab.step(4)
    frame = lab.frame()
    x_test, y_test = sequences.fixed_test_set("copy", 7)
    shown = torch.from_numpy(x_test[11:12])
    with torch.no_grad():
        out, hs, expected = rnn_reference.run(_weights(lab), cell, 2, shown)
    assert sorted(k for k in frame.arrays if k.startswith("gates/")) == sorted(
        f"gates/{g}" for g in gates
    )
    for name in gates:
        values = torch.stack(expected[name], dim=-1)[0].numpy()  # (H, T)
        np.testing.assert_allclose(frame.arrays[f"gates/{name}"], values, atol=1e-6)
    for k in range(2):
        values = torch.stack(hs[k], dim=-1)[0].numpy()
        np.testing.assert_allclose(frame.arrays[f"hidden/{k}"], values, atol=1e-6)
    np.testing.assert_allclose(frame.arrays["input"], x_test[11])
    assert frame.metrics["prediction"] == float(out[0].argmax())
    assert frame.metrics["target"] == float(y_test[11])


def _torch_model(lab: RnnLab, cell: str, layers: int, hidden: int, size: int, out: int):
    """PyTorch's own recurrent module and a Linear head, loaded with the snapshot."""
    if cell == "lstm":
        rnn = torch.nn.LSTM(size, hidden, layers, batch_first=True)
    elif cell == "gru":
        rnn = torch.nn.GRU(size, hidden, layers, batch_first=True)
    else:
        rnn = torch.nn.RNN(size, hidden, layers, nonlinearity=cell[4:], batch_first=True)
    head = torch.nn.Linear(hidden, out)
    w = _weights(lab)
    rnn.load_state_dict({k[4:]: v for k, v in w.items() if k.startswith("rnn.")})
    head.load_state_dict({k[5:]: v for k, v in w.items() if k.startswith("head.")})
    return rnn, head


@pytest.mark.parametrize(
    ("clip", "threshold", "cell"),
    [
        ("norm", 0.05, "lstm"),
        ("value", 0.01, "gru"),
        ("off", 1.0, "rnn_tanh"),
        ("norm", 50.0, "lstm"),
    ],
)
def test_clipping_matches_torch_utils(clip: str, threshold: float, cell: str) -> None:
    params = {"cell": cell, "task": "parity", "seq_len": 6, "hidden": 5, "batch_size": 16}
    lab = _lab(**params, clip=clip, clip_threshold=threshold, optimizer="sgd", learning_rate=0.5)
    lab.step(2)
    before = _weights(lab)
    rnn, head = _torch_model(lab, cell, 1, 5, 2, 2)
    lab.step(1)
    x, y = lab.last_batch
    out, _ = rnn(x)
    F.cross_entropy(head(out[:, -1]), y).backward()
    params_ = [*rnn.parameters(), *head.parameters()]
    total = float(torch.nn.utils.get_total_norm([q.grad for q in params_]))
    if clip == "norm":
        torch.nn.utils.clip_grad_norm_(params_, threshold)
    elif clip == "value":
        torch.nn.utils.clip_grad_value_(params_, threshold)
    after = float(torch.nn.utils.get_total_norm([q.grad for q in params_]))
    frame = lab.frame()
    assert frame.metrics["grad_norm_pre_clip"] == pytest.approx(total, rel=1e-4)
    assert frame.metrics["grad_norm_post_clip"] == pytest.approx(after, rel=1e-4)
    assert frame.arrays["clip_norms"][-1].tolist() == pytest.approx([3, total, after], rel=1e-4)
    if clip == "norm" and threshold < total:
        assert after == pytest.approx(threshold, rel=1e-4)
    grads = dict(rnn.named_parameters()) | {f"h.{k}": v for k, v in head.named_parameters()}
    now = _weights(lab)
    for name, value in before.items():
        key = name[4:] if name.startswith("rnn.") else "h." + name[5:]
        step = -0.5 * grads[key].grad
        np.testing.assert_allclose((now[name] - value).numpy(), step.numpy(), atol=2e-6)


@pytest.mark.parametrize("task", ["adding", "copy"])
def test_scores_match_pytorch_modules(task: str) -> None:
    lab = _lab(task=task, seq_len=12, hidden=8, layers=2, cell="gru", example=3)
    lab.step(5)
    frame = lab.frame()
    info = sequences.INFO[task]
    rnn, head = _torch_model(lab, "gru", 2, 8, info.input_size, info.output_size)
    x, y = (torch.from_numpy(a) for a in sequences.fixed_test_set(task, 12))
    with torch.no_grad():
        out = head(rnn(x)[0][:, -1])
    assert frame.metrics["test_loss"] == pytest.approx(float(_loss(task, out, y)), rel=1e-5)
    if task == "adding":
        right = ((out[:, 0] - y).abs() < 0.04).float().mean()
        assert frame.metrics["test_mse"] == frame.metrics["test_loss"]
        assert frame.metrics["prediction"] == pytest.approx(float(out[3, 0]), abs=1e-6)
    else:
        right = (out.argmax(1) == y).float().mean()
        assert frame.metrics["test_mse"] is None
    assert frame.metrics["test_acc"] == pytest.approx(float(right))


def test_compare_trains_three_cells_on_the_same_batches() -> None:
    shared = {"task": "parity", "seq_len": 6, "hidden": 6, "seed": 4, "fps": 1}
    both = _lab(**shared, compare=True, cell="rnn_relu")
    both.step(3)
    frame = both.frame()
    for cell, name in [("rnn_relu", "rnn"), ("lstm", "lstm"), ("gru", "gru")]:
        alone = _lab(**shared, cell=cell)
        alone.step(3)
        single = alone.frame()
        assert frame.metrics[f"{name}_loss"] == pytest.approx(single.metrics["loss"], rel=1e-6)
        for metric in ("test_acc", "test_mse", "grad_ratio", "grad_norm_pre_clip"):
            assert frame.metrics[f"{name}_{metric}"] == single.metrics[metric]
        np.testing.assert_allclose(frame.arrays[f"{name}/grad_time"], single.arrays["grad_time"])
        assert f"{name}/hidden/0" in frame.arrays
    assert frame.metrics["loss"] == frame.metrics["rnn_loss"]  # the chosen cell leads
    assert "lstm/gates/forget" in frame.arrays and "gru/gates/reset" in frame.arrays
    assert "grad_time" not in frame.arrays
    assert set(both.snapshot()) >= {"lstm.rnn.weight_hh_l0", "gru.head.weight"}


def test_diverged_is_sticky_until_rebuilt() -> None:
    lab = _lab(
        cell="rnn_relu",
        init="identity",
        init_scale=4.0,
        clip="off",
        optimizer="sgd",
        learning_rate=10.0,
        task="adding",
        seq_len=20,
        hidden=16,
    )
    assert lab.frame().metrics["diverged"] is False
    lab.step(5)
    assert lab.frame().metrics["diverged"] is True
    lab.configure(RnnLab.validate({"init_scale": 0.5}, lab.params))
    assert lab.frame().metrics["diverged"] is False


def test_lstm_learns_the_adding_task() -> None:
    lab = _lab(task="adding", seq_len=10, hidden=16, learning_rate=0.02)
    first = lab.frame().metrics["test_mse"]
    lab.step(300)
    assert lab.frame().metrics["test_mse"] < first / 4


def test_live_params_keep_the_model_and_others_rebuild() -> None:
    lab = _lab(seq_len=6, hidden=4)
    lab.step(2)
    assert lab.configure(RnnLab.validate({"clip": "value", "tbptt": 3}, lab.params)) is False
    assert lab.step_count == 2
    assert (lab.frame().arrays["grad_time"][:, :3] == 0).all()
    assert lab.configure(RnnLab.validate({"cell": "gru"}, lab.params)) is True
    assert lab.step_count == 0


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"seq_len": 4}, "seq_len"),
        ({"seq_len": 201}, "seq_len"),
        ({"hidden": 129}, "hidden"),
        ({"layers": 3}, "layers"),
        ({"cell": "transformer"}, "cell"),
        ({"clip_threshold": 0.0}, "clip_threshold"),
        ({"init": "zeros"}, "init"),
        ({"task": "sort"}, "task"),
        ({"tbptt": -1}, "tbptt"),
        ({"batch_size": 0}, "batch_size"),
        ({"example": 256}, "example"),
        ({"colour": 1}, "colour"),
    ],
)
def test_invalid_params_are_refused_by_name(params: dict, name: str) -> None:
    with pytest.raises(LabError) as refused:
        RnnLab.validate(params)
    assert refused.value.code == "invalid_params"
    assert [d["param"] for d in refused.value.detail] == [name]


def test_over_budget_names_the_params_before_allocating(monkeypatch) -> None:
    monkeypatch.setattr("app.labs.rnn.RecurrentNet", None)  # building would fail loudly
    big = {"seq_len": 200, "batch_size": 256, "hidden": 128, "fps": 1, "steps_per_frame": 1}
    with pytest.raises(LabError) as refused:
        RnnLab.validate(big)
    assert refused.value.code == "over_budget"
    assert "seq_len" in refused.value.detail["params"]
    assert refused.value.detail["activations"] == 200 * 256 * 128
    with pytest.raises(LabError) as fast:
        RnnLab.validate({"seq_len": 200, "fps": 60, "steps_per_frame": 200})
    assert {"fps", "steps_per_frame"} <= set(fast.value.detail["params"])
    with pytest.raises(LabError) as many:
        RnnLab.check_steps(RnnLab.validate({"seq_len": 200, "fps": 1}), 10_000)
    assert many.value.code == "over_budget"


def test_forget_bias_sets_the_lstm_forget_rows() -> None:
    lab = _lab(forget_bias=-2.0, hidden=4, layers=2)
    w = lab.snapshot()
    for k in range(2):
        total = w[f"rnn.bias_ih_l{k}"] + w[f"rnn.bias_hh_l{k}"]
        np.testing.assert_array_equal(total[4:8], [-2.0] * 4)
        assert not np.allclose(total[:4], -2.0)
