"""The transfer lab: the labelled budget, the pretrained body and the frozen layers, metrics
from the snapshot, and checkpoints: a run resumed from one continues bit for bit as the
uninterrupted run does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.data import digits
from app.labs import checkpoints
from app.labs.base import LabError
from app.labs.transfer import TransferLab, pretrained
from app.labs.transfer_params import TransferParams


def _lab(**params) -> TransferLab:
    return TransferLab(TransferLab.validate(params))


@pytest.fixture
def store(tmp_path: Path):
    """Checkpoints go to a fresh directory for the test, and are switched off after it."""
    checkpoints.configure(tmp_path / "checkpoints")
    yield tmp_path / "checkpoints"
    checkpoints.configure(None)


def test_labelled_budget_is_per_class_from_digits_five_to_nine() -> None:
    lab = _lab(mode="scratch", labels=3)
    assert lab.y_train.tolist().count(0) == 3 and len(lab.y_train) == 15
    x_pool, y_pool, _, y_test = digits.split(digits.MAX_TRAIN)
    # by hand: walk the pool in order, keeping the first three images of each digit 5–9
    kept: list[int] = []
    for i, label in enumerate(y_pool.tolist()):
        if label >= 5 and sum(y_pool[j] == label for j in kept) < 3:
            kept.append(i)
    assert lab.y_train.tolist() == [int(y_pool[i]) - 5 for i in kept]
    np.testing.assert_array_equal(lab.x_train[:, 0].numpy(), x_pool[kept].astype(np.float32))
    assert len(lab.y_test) == int((y_test >= 5).sum())
    assert sorted(set(lab.y_train.tolist())) == [0, 1, 2, 3, 4]  # digits 5–9, labelled 0–4
    m = lab.frame().metrics
    assert m["labels_used"] == 15 and m["scratch_test_acc"] is None
    pre = _lab(mode="pretrain")
    assert len(pre.y_train) == int((y_pool < 5).sum())


@pytest.mark.parametrize(
    ("freeze", "trainable"),
    [
        ("head", 32 * 2 * 2 * 5 + 5),  # the head only
        ("partial", 32 * 16 * 9 + 32 + 32 * 4 * 5 + 5),  # + the second convolution
        ("none", 16 * 9 + 16 + 32 * 16 * 9 + 32 + 32 * 4 * 5 + 5),
    ],
)
def test_freezing_leaves_the_counted_params_trainable(freeze: str, trainable: int) -> None:
    lab = _lab(mode="finetune", freeze=freeze, pretrain_steps=20)
    body = pretrained(0, 20)
    before = lab.snapshot()
    for name, value in body.items():
        if name.startswith("blocks."):
            np.testing.assert_array_equal(before[f"finetune/{name}"], value.numpy())
    assert lab.frame().metrics["trainable_params"] == trainable
    lab.step(5)
    after = lab.snapshot()
    moved = {k for k in after if not np.array_equal(after[k], before[k])}
    expected = {"head": {"head"}, "partial": {"head", "blocks.2"}, "none": {"head", "blocks"}}
    for key in after:
        inside = any(key.split("/", 1)[1].startswith(p) for p in expected[freeze])
        assert (key in moved) == inside, key


def test_compare_trains_both_from_one_head_and_one_batch_order() -> None:
    lab = _lab(mode="compare", pretrain_steps=20, labels=2, seed=3)
    start = lab.snapshot()
    np.testing.assert_array_equal(start["finetune/head.weight"], start["scratch/head.weight"])
    lab.step(7)
    m = lab.frame().metrics
    state = lab.snapshot()
    for name, prefix in (("finetune", ""), ("scratch", "scratch_")):
        w = {k.split("/", 1)[1]: torch.tensor(v) for k, v in state.items() if k.startswith(name)}
        h = F.max_pool2d(F.relu(F.conv2d(lab.x_test, w["blocks.0.conv.weight"],
                                         w["blocks.0.conv.bias"], padding=1)), 2)  # fmt: skip
        h = F.max_pool2d(F.relu(F.conv2d(h, w["blocks.2.conv.weight"], w["blocks.2.conv.bias"],
                                         padding=1)), 2)  # fmt: skip
        logits = h.flatten(1) @ w["head.weight"].T + w["head.bias"]  # (N, 32·2·2) → (N, 5)
        acc = float((logits.argmax(1) == lab.y_test).float().mean())
        assert m[f"{prefix}test_acc"] == pytest.approx(acc)
    assert m["scratch_test_acc"] is not None


def test_resumed_run_continues_exactly_as_the_uninterrupted_one(store: Path) -> None:
    params = dict(mode="compare", freeze="partial", labels=4, pretrain_steps=30, seed=7)
    straight = _lab(**params)
    straight.step(40)

    first = _lab(**params)
    first.step(15)
    saved = first.probe("checkpoint", {}).metrics["saved"]
    assert (store / "transfer" / saved).is_file()
    first.step(9)  # wander off, then come back
    second = _lab(**params, fps=5)  # pacing params do not change the configuration
    listed = second.probe("checkpoints", {}).extra["checkpoints"]
    assert [c["step"] for c in listed] == [15]
    second.probe("resume", {"name": saved})
    assert second.step_count == 15
    second.step(25)
    assert second.step_count == 40
    a, b = straight.snapshot(), second.snapshot()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert straight.frame().metrics == second.frame().metrics | {"checkpoint": None}


def test_checkpoint_every_saves_on_schedule(store: Path) -> None:
    lab = _lab(mode="scratch", labels=2, checkpoint_every=10)
    lab.step(35)
    steps = [c["step"] for c in lab.probe("checkpoints", {}).extra["checkpoints"]]
    assert steps == [10, 20, 30]
    assert lab.frame().metrics["checkpoint"].endswith("0000030.pt")


def test_checkpoints_of_other_settings_and_bad_names_are_refused(store: Path) -> None:
    lab = _lab(mode="scratch", labels=2)
    saved = lab.probe("checkpoint", {}).metrics["saved"]
    other = _lab(mode="scratch", labels=3)
    for name in (saved, "../../etc/passwd", 7, "transfer-0123456789ab-0000001.pt"):
        with pytest.raises(LabError) as info:
            other.probe("resume", {"name": name})
        assert info.value.code == "bad_probe"


def test_checkpoints_need_a_directory() -> None:
    checkpoints.configure(None)
    lab = _lab(mode="scratch", labels=1, checkpoint_every=1)
    lab.step(2)  # periodic saves are skipped, not an error
    with pytest.raises(LabError) as info:
        lab.probe("checkpoint", {})
    assert info.value.code == "not_supported"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"mode": "distill"}, "mode"),
        ({"freeze": "all"}, "freeze"),
        ({"labels": 0}, "labels"),
        ({"labels": 500}, "labels"),
        ({"checkpoint_every": -1}, "checkpoint_every"),
        ({"pretrain_steps": 5000}, "pretrain_steps"),
    ],
)
def test_bad_params_are_refused_by_name(params: dict, param: str) -> None:
    with pytest.raises(LabError) as info:
        TransferLab.validate(params)
    assert info.value.code == "invalid_params"
    assert param in [d["param"] for d in info.value.detail]


def test_over_budget_is_refused_before_building() -> None:
    with pytest.raises(LabError) as info:
        TransferLab.validate({"fps": 60, "steps_per_frame": 100})
    assert info.value.code == "over_budget"
    with pytest.raises(LabError):
        TransferLab.check_steps(TransferParams(), 100_000)
