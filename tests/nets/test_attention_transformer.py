"""The hand-written transformer: shapes, the causal mask, softmax rows, norm and residual
arrangements, and sinusoidal encodings against the formula."""

from __future__ import annotations

import math

import pytest
import torch

from app.nets.transformer import Transformer, TransformerConfig, sinusoidal


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as a worker runs: these models are too small for more."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _config(**overrides) -> TransformerConfig:
    return TransformerConfig(**{"n_tokens": 5, "n_classes": 4, "length": 8, "answer_from": 4,
                                **overrides})  # fmt: skip


def test_logits_cover_the_answer_slots() -> None:
    torch.manual_seed(0)
    model = Transformer(_config())
    tokens = torch.randint(0, 5, (3, 8))
    run = model.run(tokens, trace=True)
    assert run.logits.shape == (3, 4, 4)
    assert len(run.traces) == 2
    trace = run.traces[0]
    assert trace.weights.shape == (3, 2, 8, 8) and trace.q.shape == (3, 2, 8, 16)
    torch.testing.assert_close(trace.weights.sum(-1), torch.ones(3, 2, 8))
    assert model.run(tokens).traces == []


def test_causal_mask_hides_later_tokens() -> None:
    torch.manual_seed(0)
    model = Transformer(_config(causal=True, layers=1))
    tokens = torch.randint(0, 5, (1, 8))
    weights = model.run(tokens, trace=True).traces[0].weights[0]
    assert (weights.triu(1) == 0).all()
    # changing the last token changes nothing before it
    changed = tokens.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 5
    before, after = model(tokens), model(changed)
    torch.testing.assert_close(before[:, :-1], after[:, :-1])


def test_without_positions_a_non_causal_layer_cannot_tell_slots_apart() -> None:
    torch.manual_seed(0)
    model = Transformer(_config(pos_encoding="none"))
    tokens = torch.tensor([[0, 1, 2, 3, 4, 4, 4, 4]])
    logits = model(tokens)[0]
    # the answer slots hold the same blank and see the same set of tokens: same logits
    torch.testing.assert_close(logits, logits[:1].expand(4, -1))


@pytest.mark.parametrize("norm", ["pre", "post", "none"])
@pytest.mark.parametrize("residual", [True, False])
def test_every_arrangement_runs_and_learns_a_little(norm: str, residual: bool) -> None:
    torch.manual_seed(0)
    model = Transformer(_config(norm=norm, residual=residual, mlp=0 if norm == "none" else 8))
    tokens = torch.randint(0, 4, (16, 8))
    targets = tokens[:, :4]
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(20):
        loss = torch.nn.functional.cross_entropy(model(tokens).flatten(0, 1), targets.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    assert isinstance(model.norm, torch.nn.LayerNorm) == (norm == "pre")


def test_sinusoidal_matches_the_formula() -> None:
    pe = sinusoidal(6, 8)
    for t in range(6):
        for i in range(4):
            angle = t / 10000 ** (2 * i / 8)
            assert pe[t, 2 * i] == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[t, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-6)


def test_heads_must_divide_d_model() -> None:
    with pytest.raises(ValueError, match="divisible"):
        _config(d_model=30, heads=4)
