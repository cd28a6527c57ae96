"""The regularization lab: weight decay's two modes against Adam's first step by hand, label
smoothing by hand, dropout and stochastic depth masks, early stopping with restore-best
against an uninterrupted run, params and their refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.labs.base import LabError
from app.labs.regularization import RegularizationLab, training_loss
from app.labs.regularization_params import EVAL_EVERY, RegularizationParams
from app.labs.sampling import EpochSampler
from app.nets.residual_mlp import ResidualMLP, ResidualMLPConfig


def _lab(**params) -> RegularizationLab:
    return RegularizationLab(RegularizationLab.validate(params))


def forward(w: dict[str, torch.Tensor], x: torch.Tensor, blocks: int, scale=None) -> torch.Tensor:
    """The residual MLP by hand: relu(stem), h += c_l·relu(W_l h + b_l), head."""
    h = torch.relu(x @ w["stem.weight"].T + w["stem.bias"])
    for i in range(blocks):
        c = 1.0 if scale is None else scale[i]
        h = h + c * torch.relu(h @ w[f"blocks.{i}.weight"].T + w[f"blocks.{i}.bias"])
    return h @ w["head.weight"].T + w["head.bias"]


@pytest.mark.parametrize("mode", ["l2", "decoupled"])
def test_first_step_of_each_weight_decay_mode_by_hand(mode: str) -> None:
    lr, lam = 0.003, 0.05
    lab = _lab(train_size=64, batch_size=16, width=32, blocks=1, weight_decay=lam,
               decay_mode=mode, learning_rate=lr, seed=4)  # fmt: skip
    before = {k: torch.tensor(v, requires_grad=True) for k, v in lab.snapshot().items()}
    x, y = lab.data["train"]
    batch = EpochSampler(64, 4).next(16)
    loss = F.cross_entropy(forward(before, x[batch].reshape(16, 64), 1), y[batch])
    if mode == "l2":
        loss = loss + 0.5 * lam * sum((w**2).sum() for w in before.values())
    loss.backward()
    lab.step(1)
    after = lab.snapshot()
    for name, w in before.items():
        g, theta = w.grad.numpy(), w.detach().numpy()
        # Adam's first step: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε)
        expected = theta - lr * g / (np.abs(g) + 1e-8)
        if mode == "decoupled":
            expected = expected - lr * lam * theta
        clear = np.abs(g) > 1e-5  # where |g| ≫ ε the step is lr·sign(g), robust to rounding
        np.testing.assert_allclose(after[name][clear], expected[clear], atol=1e-6, err_msg=name)
        assert np.abs(after[name] - expected).max() <= 2 * lr


def test_label_smoothing_loss_by_hand() -> None:
    torch.manual_seed(0)
    logits, y = torch.randn(7, 10), torch.randint(0, 10, (7,))
    p = RegularizationParams(label_smoothing=0.2)
    got = float(training_loss(torch.nn.Linear(1, 1), logits, y, p))
    log_p = torch.log_softmax(logits.double(), 1).numpy()
    ce = -log_p[np.arange(7), y.numpy()].mean()
    uniform = -log_p.mean(axis=1).mean()
    assert got == pytest.approx(0.8 * ce + 0.2 * uniform, rel=1e-5)


def test_dropout_zeroes_a_share_and_scales_the_rest() -> None:
    net = ResidualMLP(ResidualMLPConfig(64, 100, 1, 10, dropout=0.3))
    net.generator = torch.Generator().manual_seed(0)
    h = torch.ones(200, 100)
    out = net.train()._dropout(h)
    values = np.unique(out.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    assert float((out == 0).float().mean()) == pytest.approx(0.3, abs=0.02)
    assert torch.equal(net.eval()._dropout(h), h)


def test_stochastic_depth_drops_whole_blocks_per_example() -> None:
    torch.manual_seed(1)
    net = ResidualMLP(ResidualMLPConfig(64, 24, 2, 10, stochastic_depth=0.8))
    assert net.drop_rates == pytest.approx([0.4, 0.8])
    net.generator = torch.Generator().manual_seed(3)
    x = torch.rand(64, 64)
    out = net.train()(x).detach()
    w = {k: v.detach() for k, v in net.state_dict().items()}
    kept = [1 / 0.6, 1 / 0.2]
    combos = {(a, b): forward(w, x, 2, [a * kept[0], b * kept[1]]) for a in (0, 1) for b in (0, 1)}
    seen = set()
    for n in range(64):
        match = [c for c, ref in combos.items() if torch.allclose(out[n], ref[n], atol=1e-5)]
        assert match, n
        seen.add(match[0])
    assert len(seen) >= 3  # both blocks are sometimes kept, sometimes dropped
    np.testing.assert_allclose(net.eval()(x).detach(), forward(w, x, 2), atol=1e-5)


def test_metrics_are_the_clean_evaluation_of_the_snapshot() -> None:
    lab = _lab(train_size=80, width=32, blocks=1, dropout=0.5, augment_noise=0.2)
    lab.step(EVAL_EVERY * 3)
    m = lab.frame().metrics
    w = {k: torch.tensor(v) for k, v in lab.snapshot().items()}
    for name, key in (("train", "loss"), ("test", "test_loss"), ("val", "val_loss")):
        x, y = lab.data[name]
        logits = forward(w, x.reshape(len(x), 64), 1)
        assert m[key] == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-4)
        acc = float((logits.argmax(1) == y).float().mean())
        assert m[f"{name}_acc"] == pytest.approx(acc)
    assert m["gap"] == pytest.approx(m["train_acc"] - m["test_acc"])
    assert m["eval_step"] == 30 and m["stopped"] is False
    assert lab.frame().arrays["augmented"].shape == (8, 8, 8)


def test_early_stopping_restores_the_best_weights_exactly() -> None:
    params = dict(train_size=60, width=48, blocks=1, learning_rate=0.01, batch_size=20, seed=2)
    lab = _lab(**params, early_stopping=True, patience=3, restore_best=True)
    lab.step(3000)
    m = lab.frame().metrics
    assert m["stopped"] is True and m["restored"] is True
    history = lab.frame().arrays
    steps, val = history["history/step"], history["history/val_loss"]
    best = int(steps[int(np.argmin(val))])
    assert m["best_step"] == best
    assert lab.step_count == best + 3 * EVAL_EVERY  # three evaluations without a gain
    lab.step(50)
    assert lab.step_count == best + 3 * EVAL_EVERY  # stopped: no more steps
    # the same run, uninterrupted, up to the best step: the same weights, bit for bit
    again = _lab(**params)
    again.step(best)
    for name, value in again.snapshot().items():
        np.testing.assert_array_equal(lab.snapshot()[name], value, err_msg=name)
    assert m["test_acc"] == m["best_test_acc"]
    assert again.frame().metrics["test_acc"] == m["best_test_acc"]


def test_early_stopping_without_restore_keeps_the_last_weights() -> None:
    lab = _lab(train_size=60, width=48, blocks=1, learning_rate=0.01, batch_size=20, seed=2,
               early_stopping=True, patience=3, restore_best=False)  # fmt: skip
    lab.step(3000)
    m = lab.frame().metrics
    assert m["stopped"] is True and m["restored"] is False
    assert m["eval_step"] == lab.step_count > m["best_step"]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"dropout": 0.95}, "dropout"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"decay_mode": "l1"}, "decay_mode"),
        ({"label_smoothing": 0.8}, "label_smoothing"),
        ({"augment_shift": 3}, "augment_shift"),
        ({"augment_rotate": 45.0}, "augment_rotate"),
        ({"augment_noise": 1.0}, "augment_noise"),
        ({"train_size": 5000}, "train_size"),
        ({"patience": 0}, "patience"),
        ({"stochastic_depth": 1.0}, "stochastic_depth"),
        ({"early_stopping": "yes"}, "early_stopping"),
    ],
)
def test_bad_params_are_refused_by_name(params: dict, param: str) -> None:
    with pytest.raises(LabError) as info:
        RegularizationLab.validate(params)
    assert info.value.code == "invalid_params"
    assert param in [d["param"] for d in info.value.detail]


def test_over_budget_is_refused_before_building() -> None:
    with pytest.raises(LabError) as info:
        RegularizationLab.validate(
            {"width": 256, "blocks": 4, "batch_size": 256, "fps": 60, "steps_per_frame": 50}
        )
    assert info.value.code == "over_budget"
    assert "batch_size" in info.value.detail["params"]
    with pytest.raises(LabError):
        RegularizationLab.check_steps(RegularizationParams(), 100_000)
