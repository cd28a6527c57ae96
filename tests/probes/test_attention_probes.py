"""Attention probes: softmax naive and by log-sum-exp (float64 by hand), position similarity,
a head's share of the layer output."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from app.nets.transformer import Transformer, TransformerConfig
from app.probes.attention import (
    attention_maps,
    head_steps,
    position_similarity,
    softmax_demo,
    trace_example,
)


def test_softmax_demo_at_scale_one_equals_a_hand_softmax() -> None:
    demo = softmax_demo(np.array([1.0, 2.0, 3.0], dtype=np.float32), 1.0, target=2)
    e = [math.exp(v) for v in (1.0, 2.0, 3.0)]
    expected = [v / sum(e) for v in e]
    assert demo.naive == pytest.approx(expected, rel=1e-6)
    assert demo.lse == pytest.approx(expected, rel=1e-6)
    assert demo.naive_ok and demo.lse_ok
    assert demo.lse_loss == pytest.approx(-math.log(expected[2]), rel=1e-6)


def test_naive_softmax_overflows_in_float32_and_log_sum_exp_does_not() -> None:
    demo = softmax_demo(np.array([0.1, 0.2, 0.05], dtype=np.float32), 1000.0, target=0)
    assert demo.logits.dtype == np.float32 and demo.logits.max() == pytest.approx(200.0)
    # e^100 and e^200 exceed float32's largest number (3.4e38, e^88.7); e^50 does not
    assert np.isinf(demo.exp).tolist() == [True, True, False]
    assert np.isnan(demo.naive[:2]).all() and demo.naive[2] == 0.0 and not demo.naive_ok
    z = np.array([100.0, 200.0, 50.0])
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert demo.lse_ok
    np.testing.assert_allclose(demo.lse, expected, atol=1e-7)
    assert demo.lse_loss == pytest.approx(100.0, rel=1e-5)  # −log softmax(z)[0] ≈ 200 − 100


def test_position_similarity_by_hand() -> None:
    pe = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    s = position_similarity(pe)
    assert s[0, 1] == pytest.approx(1 / math.sqrt(2), rel=1e-6)
    assert s[0, 0] == pytest.approx(1.0) and s[2].tolist() == [0.0, 0.0, 0.0]


def test_head_shares_add_up_to_the_layer_output() -> None:
    torch.manual_seed(0)
    config = TransformerConfig(n_tokens=5, n_classes=4, length=8, answer_from=4, heads=4)
    model = Transformer(config)
    tokens = np.array([0, 1, 2, 3, 4, 4, 4, 4])
    run = trace_example(model, tokens)
    weights, scores = attention_maps(run)
    assert len(weights) == 2 and weights[0].shape == (4, 8, 8)
    total = sum(head_steps(model, run, 1, h)["output"] for h in range(4))
    bias = model.blocks[1].attn.o.bias.detach().numpy()
    np.testing.assert_allclose(total + bias, run.traces[1].out[0].numpy(), atol=1e-5)
    steps = head_steps(model, run, 0, 2)
    manual = steps["q"] @ steps["k"].T / math.sqrt(8)
    np.testing.assert_allclose(steps["scores"], manual, atol=1e-5)
    np.testing.assert_allclose(steps["scores"], scores[0][2], atol=1e-6)
