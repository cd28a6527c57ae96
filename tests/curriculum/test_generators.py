"""Exercise generators: each agrees with its own solver over many seeds, varies with the seed,
and reproduces hand-computed answers (the card's worked examples among them)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from app.curriculum.checks import grade
from app.curriculum.generators import GENERATORS, generate
from app.curriculum.loader import CHECK_ADAPTER
from app.curriculum.validate import check_generator

REQUIRED = {
    "relu-forward",
    "softmax",
    "cross-entropy",
    "logsumexp",
    "variance-propagation",
    "init-variance",
    "jacobian-chain",
    "gradient-decay",
    "norm-output",
    "residual-jacobian",
    "residual-stack",
    "adam-step",
    "momentum-steps",
    "label-smoothing",
    "dropout-scaling",
    "mlp-params",
    "conv-output-shape",
    "dense-vs-conv-params",
    "receptive-field",
    "dilated-field",
    "separable-params",
    "rnn-unroll",
    "bptt-gradient",
    "clip-gradient",
    "lstm-step",
    "gru-step",
    "attention-by-hand",
    "sinusoidal-encoding",
    "block-params",
    "frozen-params",
}
NAMES = sorted(GENERATORS)


def test_every_listed_generator_exists() -> None:
    assert REQUIRED - set(GENERATORS) == set()


@pytest.mark.parametrize("name", NAMES)
def test_generator_agrees_with_solver(name: str) -> None:
    assert check_generator(GENERATORS[name], 300) == []


@pytest.mark.parametrize("name", NAMES)
def test_generator_varies_and_repeats(name: str) -> None:
    variants = [generate(name, seed) for seed in range(40)]
    assert len({v.prompt for v in variants}) >= 10
    assert len({json.dumps(v.answer, sort_keys=True) for v in variants}) >= 5
    again = generate(name, 5)
    assert (again.prompt, again.answer) == (variants[5].prompt, variants[5].answer)


@pytest.mark.parametrize("name", NAMES)
def test_generator_variant_is_complete(name: str) -> None:
    v = generate(name, 1)
    assert v.prompt.strip() and v.solution.strip()
    assert [f.name for f in v.fields] == list(v.answer) == list(v.tolerance)
    assert all(f.label for f in v.fields)
    assert all(t > 0 for t in v.tolerance.values())
    json.dumps(v.params)  # the server may store them


def answers(name: str, params: dict[str, Any]) -> dict[str, float]:
    """The generator's own answer and its solver's, which must agree, for given numbers."""
    generator = GENERATORS[name]
    ours = generator.render(params).answer
    theirs = generator.solve(params)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], rel=1e-9, abs=1e-12)
    return ours


def test_relu_forward_card_example_one() -> None:
    params = {
        "x": [1, -2],
        "w1": [[1, 1], [-1, 2], [0, -1]],
        "b1": [0, 1, -1],
        "w2": [2, -1, 1],
        "b2": 0,
    }
    got = answers("relu-forward", params)
    assert got["s"] == 1
    assert got["p"] == pytest.approx(0.731, abs=5e-4)


def test_gradient_decay_card_practice_one() -> None:
    assert answers("gradient-decay", {"factor": 0.9, "layers": 10})["scale"] == pytest.approx(
        0.3487, abs=1e-4
    )


def test_dense_vs_conv_card_example_three() -> None:
    got = answers(
        "dense-vs-conv-params",
        {"size": 32, "channels": 3, "units": 100, "kernels": 64, "kernel": 3},
    )
    assert (got["dense"], got["conv"]) == (307_200, 1_728)
    assert got["ratio"] == pytest.approx(177.8, abs=0.05)


def test_jacobian_chain_card_example_two() -> None:
    got = answers("jacobian-chain", {"a": 0.5, "layers": 3, "x": 2})
    assert got == {"h": 0.25, "grad": 0.125}


@pytest.mark.parametrize(
    ("params", "side"),
    [
        ({"size": 32, "kernel": 3, "stride": 1, "padding": 1, "dilation": 1}, 32),
        ({"size": 28, "kernel": 5, "stride": 2, "padding": 0, "dilation": 1}, 12),
        ({"size": 16, "kernel": 3, "stride": 1, "padding": 0, "dilation": 2}, 12),
        ({"size": 7, "kernel": 7, "stride": 3, "padding": 0, "dilation": 1}, 1),
    ],
)
def test_conv_output_shape_by_hand(params: dict[str, int], side: int) -> None:
    got = answers("conv-output-shape", {**params, "channels": 8})
    assert got == {"side": side, "values": 8 * side * side}


def test_receptive_field_by_hand() -> None:
    conv = {"kind": "conv", "kernel": 3}
    assert answers("receptive-field", {"layers": [{**conv, "stride": 1}] * 2}) == {
        "field": 5,
        "jump": 1,
    }
    strided = [{**conv, "stride": 2}, {**conv, "stride": 1}]
    assert answers("receptive-field", {"layers": strided}) == {"field": 7, "jump": 2}
    pooled = [
        {**conv, "stride": 1},
        {"kind": "pool", "kernel": 2, "stride": 2},
        {**conv, "stride": 1},
    ]
    assert answers("receptive-field", {"layers": pooled}) == {"field": 8, "jump": 2}


def test_counts_by_hand() -> None:
    assert answers("mlp-params", {"widths": [2, 4, 4, 1]}) == {"params": 37, "macs": 28}
    assert answers("dilated-field", {"dilations": [1, 2, 4], "channels": 8}) == {
        "field": 15,
        "weights": 1728,
        "plain": 4032,
    }
    got = answers("separable-params", {"c_in": 32, "c_out": 64, "kernel": 3})
    assert (got["plain"], got["separable"]) == (18_432, 2_336)


def test_spectrogram_by_hand() -> None:
    got = answers(
        "spectrogram-params",
        {"seconds": 1, "rate": 16000, "window": 400, "hop": 160, "channels": 32},
    )
    assert got == {"frames": 98, "bins": 201, "dense": 98 * 201 * 32, "conv": 288}


def test_init_and_variance_by_hand() -> None:
    got = answers("init-variance", {"fan_in": 100, "fan_out": 300})
    assert got["xavier"] == pytest.approx(0.005)
    assert got["he"] == pytest.approx(0.02)
    assert got["he_std"] == pytest.approx(math.sqrt(0.02))
    got = answers("variance-propagation", {"n": 100, "sigma_w": 0.1, "var_h": 2, "layers": 5})
    assert got["var_z"] == pytest.approx(2.0)
    assert got["var_L"] == pytest.approx(2.0)
    # a gain n·σ_w² of 1 hides the depth; 100 · 0.2² = 4 shows it: 2 · 4⁵ = 2048
    got = answers("variance-propagation", {"n": 100, "sigma_w": 0.2, "var_h": 2, "layers": 5})
    assert got["var_z"] == pytest.approx(8.0)
    assert got["var_L"] == pytest.approx(2048.0)


def test_training_by_hand() -> None:
    got = answers("label-smoothing", {"classes": 4, "eps": 0.1})
    assert (got["on"], got["off"]) == (pytest.approx(0.925), pytest.approx(0.025))
    assert got["min_loss"] == pytest.approx(-(0.925 * math.log(0.925) + 0.075 * math.log(0.025)))
    got = answers("clip-gradient", {"g": [3, 4, 0], "threshold": 1, "index": 0})
    assert got == {"norm": 5, "by_norm": pytest.approx(0.6), "by_value": 1}
    got = answers(
        "dropout-scaling", {"p": 0.5, "h": [1, 2, 3, 4, 5], "mask": [1, 0, 1, 0, 0], "unit": 2}
    )
    assert got == {"scale": 2, "y": 6, "total": 8}
    # momentum: θ=1, a=1, η=0.1, μ=0.9: v1 = 1, θ1 = 0.9; v2 = 0.9 + 0.9 = 1.8, θ2 = 0.72
    got = answers("momentum-steps", {"a": 1, "lr": 0.1, "mu": 0.9, "theta": 1, "steps": 2})
    assert got == {"v": pytest.approx(1.8), "theta": pytest.approx(0.72)}
    # Adam's first step moves by the learning rate; with equal gradients so does the second
    got = answers("adam-step", {"theta": 1.0, "grads": [0.5, 0.5], "lr": 0.1})
    assert got["m"] == pytest.approx(0.095)
    assert got["v"] == pytest.approx(0.999 * 0.00025 + 0.001 * 0.25)
    assert got["theta"] == pytest.approx(0.8, abs=1e-6)


def test_norm_output_by_hand() -> None:
    got = answers("norm-output", {"x": [[1, 2, 3], [3, 2, 1], [2, 2, 2]], "row": 0, "col": 0})
    assert got["bn"] == pytest.approx(-1 / math.sqrt(2 / 3))
    assert got["ln"] == pytest.approx(-1 / math.sqrt(2 / 3))
    assert got["rms"] == pytest.approx(1 / math.sqrt(14 / 3))


def test_residual_jacobian_by_hand() -> None:
    got = answers("residual-jacobian", {"a": 0.5, "c": -0.5, "h": 0.5, "layers": 10})
    assert got["d_plain"] == pytest.approx(0.0, abs=1e-9)
    assert got["d_res"] == pytest.approx(1.0)
    assert got["g_res"] == pytest.approx(1.0)
    # F'(0.5) = 2·0.1·0.5 + 0.2 = 0.3: ten blocks give 0.3¹⁰ plain and 1.3¹⁰ with the skip
    got = answers("residual-jacobian", {"a": 0.1, "c": 0.2, "h": 0.5, "layers": 10})
    assert (got["d_plain"], got["d_res"]) == (pytest.approx(0.3), pytest.approx(1.3))
    assert got["g_plain"] == pytest.approx(5.9049e-6)
    assert got["g_res"] == pytest.approx(13.7858491849)


def test_residual_stack_by_hand() -> None:
    # the card's 48 blocks: F' = 0.1 gives 0.1^48 plain, 1.1^48 ≈ 97.0 with the shortcut
    got = answers("residual-stack", {"layers": 48, "small": 0.1, "large": 0.5})
    assert got["plain"] == pytest.approx(-48.0)
    assert got["residual"] == pytest.approx(math.log10(97.0172), abs=1e-5)
    assert got["large"] == pytest.approx(48 * math.log10(1.5))
    got = answers("residual-stack", {"layers": 30, "small": -0.05, "large": 0.3})
    assert got["plain"] == pytest.approx(30 * math.log10(0.05))
    assert 10 ** got["residual"] == pytest.approx(0.95**30)


# How the prompt asks for each answer to be rounded, where it asks for more than one way.
ROUNDING = {
    "adam-step": {"m": ("sig", 3), "v": ("sig", 3), "theta": ("dec", 4)},
    "label-smoothing": {"on": ("dec", 4), "off": ("dec", 4), "min_loss": ("dec", 3)},
    "dense-vs-conv-params": {"dense": ("dec", 0), "conv": ("dec", 0), "ratio": ("dec", 1)},
    "separable-params": {"plain": ("dec", 0), "separable": ("dec", 0), "ratio": ("dec", 1)},
}


def rounded(value: float, how: tuple[str, int]) -> float:
    kind, digits = how
    if kind == "sig" and value != 0:
        digits = digits - 1 - math.floor(math.log10(abs(value)))
    return round(value, digits)


@pytest.mark.parametrize("name", NAMES)
def test_answer_rounded_as_asked_is_graded_right(name: str) -> None:
    check = CHECK_ADAPTER.validate_python({"id": "g", "kind": "generated", "generator": name})
    for seed in range(100):
        v = generate(name, seed)
        if "significant figures" in v.prompt:
            default = ("sig", 3)
        elif match := re.search(r"(\d) decimals?", v.prompt):
            default = ("dec", int(match.group(1)))
        else:
            default = ("dec", 0)  # counts
        how = ROUNDING.get(name, {})
        values = {k: rounded(x, how.get(k, default)) for k, x in v.answer.items()}
        result = grade(check, seed, {"values": values})
        assert result.correct, (seed, v.prompt, values, v.answer)
