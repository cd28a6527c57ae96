"""The attention lab: streamed attention, scores, head steps and logits recomputed from the
snapshot by a NumPy forward pass written here; training, params, refusals and the budget."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.data.token_tasks import TokenTask
from app.labs.attention import AttentionLab
from app.labs.base import LabError
from tests.labs import attention_reference as ref


@pytest.fixture(autouse=True)
def one_thread():
    """The server's workers run one thread each; so do these tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _lab(**params) -> AttentionLab:
    return AttentionLab(AttentionLab.validate(params))


METRICS = {
    "loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "test_seq_acc",
    "naive_softmax_ok",
    "lse_softmax_ok",
    "max_logit",
}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"causal": True, "norm": "post", "pos_encoding": "learned", "heads": 4},
        {"norm": "none", "residual": False, "mlp": 0, "pos_encoding": "none", "layers": 1},
        {"task": "brackets", "seq_len": 4, "layers": 3, "heads": 1, "d_model": 12, "mlp": 5},
        {"task": "sort", "vocab": 3, "causal": True, "head_layer": 1, "head": 1, "example": 7},
    ],
)
def test_attention_rows_sum_to_one_and_match_a_recomputation(params: dict) -> None:
    lab = _lab(**params)
    lab.step(3)
    frame = lab.frame()
    p = lab.params.model_dump()
    tokens = TokenTask(p["task"], p["seq_len"], p["vocab"]).test_set()[0][p["example"]]
    assert frame.arrays["tokens"].tolist() == tokens.tolist()
    expected = ref.forward(lab.snapshot(), p, tokens)
    length = 2 * p["seq_len"]
    for layer in range(p["layers"]):
        weights = frame.arrays[f"attention/{layer}"]
        assert weights.shape == (p["heads"], length, length)
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
        np.testing.assert_allclose(weights, expected["weights"][layer], atol=2e-5)
        np.testing.assert_allclose(frame.arrays[f"scores/{layer}"], expected["scores"][layer],
                                   rtol=1e-4, atol=1e-4)  # fmt: skip
        if p["causal"]:
            rows, cols = np.triu_indices(length, 1)
            assert not weights[:, rows, cols].any()
    np.testing.assert_allclose(frame.arrays["logits"], expected["logits"], rtol=1e-4, atol=1e-4)
    probs = frame.arrays["probs"]
    np.testing.assert_allclose(probs, ref.softmax(expected["logits"]), atol=1e-5)
    assert frame.arrays["predicted"].tolist() == expected["logits"].argmax(-1).tolist()
    # the chosen head, step by step
    layer, head = p["head_layer"], p["head"]
    for name in ("q", "k", "v", "mixed"):
        np.testing.assert_allclose(frame.arrays[f"head/{name}"], expected[name][layer][head],
                                   rtol=1e-4, atol=1e-4)  # fmt: skip
    np.testing.assert_allclose(frame.arrays["head/weights"], expected["weights"][layer][head],
                               atol=2e-5)  # fmt: skip
    w_o = lab.snapshot()[f"blocks.{layer}.attn.o.weight"].astype(np.float64)
    dh = p["d_model"] // p["heads"]
    share = expected["mixed"][layer][head] @ w_o[:, head * dh : (head + 1) * dh].T
    np.testing.assert_allclose(frame.arrays["head/output"], share, rtol=1e-4, atol=1e-4)
    assert set(frame.metrics) >= METRICS
    assert set(frame.metrics) == set(AttentionLab.metrics)


def test_positional_encoding_and_its_similarity_by_hand() -> None:
    frame = _lab(seq_len=4, d_model=8, heads=2).frame()
    pe = ref.sinusoidal(8, 8)
    np.testing.assert_allclose(frame.arrays["positional"], pe, atol=1e-6)
    unit = pe / np.linalg.norm(pe, axis=1, keepdims=True)
    np.testing.assert_allclose(frame.arrays["positional_similarity"], unit @ unit.T, atol=1e-5)
    assert frame.arrays["positional_similarity"].diagonal() == pytest.approx(1.0, abs=1e-5)
    none = _lab(pos_encoding="none").frame()
    assert not none.arrays["positional"].any()
    learned = _lab(pos_encoding="learned")
    np.testing.assert_array_equal(learned.frame().arrays["positional"], learned.snapshot()["pos"])


def test_reverse_trains_to_high_test_accuracy() -> None:
    lab = _lab(seed=1)
    first = lab.frame().metrics
    assert first["batch_loss"] is None and first["test_acc"] < 0.5
    lab.step(150)
    after = lab.frame().metrics
    assert after["loss"] < first["loss"]
    assert after["test_acc"] > 0.9
    assert 0.0 <= after["test_seq_acc"] <= after["test_acc"]
    # the scalars against a recount from the streamed example
    frame = lab.frame()
    assert frame.metrics["example_right"] == bool(
        (frame.arrays["predicted"] == frame.arrays["target"]).all()
    )


def test_norms_per_layer_by_hand() -> None:
    lab = _lab(layers=2)
    lab.step(1)
    frame = lab.frame()
    groups = {"embedding": ["embed."], "layer 1": ["blocks.0."], "layer 2": ["blocks.1."]}
    groups["head"] = ["norm.", "head."]
    names = lab.meta(lab.params)["weights"]
    assert names == list(groups)
    params = dict(lab.model.named_parameters())
    for k, name in enumerate(names):
        chosen = [v for n, v in params.items() if any(n.startswith(s) for s in groups[name])]
        weight = np.sqrt(sum(float((v.detach().double() ** 2).sum()) for v in chosen))
        grad = np.sqrt(sum(float((v.grad.double() ** 2).sum()) for v in chosen))
        assert frame.arrays["weight_norm"][k] == pytest.approx(weight, rel=1e-5)
        assert frame.arrays["grad_norm"][k] == pytest.approx(grad, rel=1e-5)


def test_softmax_demo_overflows_naively_at_large_scale() -> None:
    lab = _lab()
    lab.step(30)
    calm = lab.frame()
    assert calm.metrics["naive_softmax_ok"] is True and calm.metrics["lse_softmax_ok"] is True
    np.testing.assert_allclose(calm.arrays["softmax/naive"], calm.arrays["softmax/lse"], atol=1e-6)
    hot_params = AttentionLab.validate({"logit_scale": 1000.0, "position": 2}, lab.params)
    assert lab.configure(hot_params) is False
    hot = lab.frame()
    z = hot.arrays["logits"][2].astype(np.float64) * 1000.0
    np.testing.assert_allclose(hot.arrays["softmax/logits"], z, rtol=1e-6)
    assert hot.metrics["max_logit"] == pytest.approx(z.max(), rel=1e-6)
    assert z.max() > 89  # exp overflows float32 here
    assert hot.metrics["naive_softmax_ok"] is False
    assert np.isinf(hot.arrays["softmax/exp"]).any()
    assert hot.metrics["lse_softmax_ok"] is True
    np.testing.assert_allclose(hot.arrays["softmax/lse"], ref.softmax(z), atol=1e-6)


def test_choosing_a_head_is_live_and_follows_a_smaller_model() -> None:
    lab = _lab(layers=3, heads=4)
    lab.step(2)
    p = AttentionLab.validate({"head_layer": 2, "head": 3, "example": 5}, lab.params)
    assert lab.configure(p) is False and lab.step_count == 2
    assert lab.frame().arrays["tokens"].tolist() == lab.x_test[5].tolist()
    smaller = AttentionLab.validate({"layers": 2, "heads": 2}, lab.params)
    assert (smaller.head_layer, smaller.head) == (1, 1)
    assert AttentionLab.validate({"seq_len": 3}, smaller).position == 0


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"d_model": 30, "heads": 4}, {"d_model", "heads"}),
        ({"task": "brackets", "seq_len": 5}, {"seq_len"}),
        ({"layers": 2, "head_layer": 2}, {"head_layer"}),
        ({"heads": 2, "head": 3}, {"head"}),
        ({"seq_len": 4, "position": 4}, {"position"}),
        ({"logit_scale": 0.5}, {"logit_scale"}),
        ({"logit_scale": 1001.0}, {"logit_scale"}),
        ({"layers": 5}, {"layers"}),
        ({"d_model": 65}, {"d_model"}),
        ({"task": "shuffle"}, {"task"}),
        ({"pos_encoding": "rotary"}, {"pos_encoding"}),
        ({"seq_len": 17}, {"seq_len"}),
    ],
)
def test_bad_params_are_refused_by_name(params: dict, named: set[str]) -> None:
    with pytest.raises(LabError) as caught:
        AttentionLab.validate(params)
    assert caught.value.code == "invalid_params"
    assert {d["param"] for d in caught.value.detail} == named
    assert all(name in caught.value.message for name in named)


def test_over_budget_is_refused_before_anything_is_built(monkeypatch) -> None:
    def no_build(*args, **kwargs):
        raise AssertionError("a model was built")

    monkeypatch.setattr("app.labs.attention.Transformer", no_build)
    big = {"batch_size": 512, "seq_len": 16, "d_model": 64, "layers": 4}
    with pytest.raises(LabError) as caught:
        AttentionLab.validate(big)
    assert caught.value.code == "over_budget"
    assert {"batch_size", "seq_len", "d_model"} <= set(caught.value.detail["params"])
    assert caught.value.detail["activations"] == 512 * 32 * 64 * 4
    fast = {"layers": 4, "d_model": 64, "mlp": 256, "seq_len": 16, "fps": 60}
    with pytest.raises(LabError, match="computing per second"):
        AttentionLab.validate(fast)


def test_a_long_step_request_is_refused() -> None:
    p = AttentionLab.validate({})
    AttentionLab.check_steps(p, 50)
    with pytest.raises(LabError) as caught:
        AttentionLab.check_steps(p, 100_000)
    assert caught.value.code == "over_budget"


def test_snapshot_and_weights_round_trip() -> None:
    lab = _lab(pos_encoding="learned")
    snap = lab.snapshot()
    assert "pos" in snap and snap["embed.weight"].dtype == np.float32
    import io

    state = torch.load(io.BytesIO(lab.export_weights()), weights_only=True)
    assert set(state) == set(snap)
    assert "pos" not in _lab().snapshot()  # sinusoidal encodings are computed, not learned
