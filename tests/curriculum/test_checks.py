"""Presenting and grading checks: answers never leak; malformed responses are named."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from app.curriculum.checks import CheckError, grade, present
from app.curriculum.generators import generate
from app.curriculum.loader import CHECK_ADAPTER

CHOICE = CHECK_ADAPTER.validate_python(
    {
        "id": "c1",
        "kind": "choice",
        "prompt": "Pick",
        "choices": ["a", "b", "c"],
        "answer": 2,
        "explanation": "c is right because …",
    }
)
NUMERIC = CHECK_ADAPTER.validate_python(
    {
        "id": "c2",
        "kind": "numeric",
        "prompt": "0.9^10?",
        "answer": 0.349,
        "tolerance": 0.001,
        "unit": "",
        "explanation": "0.9^10 ≈ 0.3487",
    }
)
GENERATED = CHECK_ADAPTER.validate_python({"id": "c3", "kind": "generated", "generator": "softmax"})
LAB = CHECK_ADAPTER.validate_python(
    {
        "id": "c4",
        "kind": "lab",
        "prompt": "Reach 95%",
        "preset": {"hidden": [4, 4]},
        "require": {
            "lab": "two-moons",
            "params": {"hidden": {"len_max": 2}},
            "metrics": {"test_acc": {"min": 0.95}},
        },
        "explanation": "Two layers suffice.",
    }
)


def test_present_choice_hides_answer() -> None:
    shown = present(CHOICE, None)
    assert shown == {"id": "c1", "kind": "choice", "prompt": "Pick", "choices": ["a", "b", "c"]}


def test_present_numeric_hides_answer() -> None:
    shown = present(NUMERIC, None)
    assert shown["fields"] == [{"name": "value", "label": "", "unit": ""}]
    assert "0.349" not in json.dumps(shown) and "answer" not in shown


def test_present_generated_shows_the_seeded_variant_without_answers() -> None:
    shown = present(GENERATED, 7)
    v = generate("softmax", 7)
    assert shown["prompt"] == v.prompt
    assert [f["name"] for f in shown["fields"]] == ["p1", "p2", "p3"]
    assert set(shown) == {"id", "kind", "prompt", "fields"}  # never the seed: it gives the answer
    text = json.dumps(shown)
    assert "answer" not in text and "solution" not in text
    assert all(f"{x:.3f}" not in text for x in v.answer.values())
    assert present(GENERATED, 8)["prompt"] != shown["prompt"]


def test_present_lab_shows_requirement() -> None:
    shown = present(LAB, None)
    assert shown["lab"] == "two-moons"
    assert shown["preset"] == {"hidden": [4, 4]}
    assert "test accuracy: at least 0.95" in shown["requirement"]
    assert "explanation" not in shown


def test_grade_choice() -> None:
    right = grade(CHOICE, None, {"choice": 2})
    assert (right.score, right.correct, right.expected) == (1.0, True, {"choice": 2})
    assert right.solution == "c is right because …"
    wrong = grade(CHOICE, None, {"choice": 0})
    assert (wrong.score, wrong.correct) == (0.0, False)
    assert "choice 3" in wrong.feedback


@pytest.mark.parametrize(
    ("value", "correct"),
    [(0.349, True), (0.3495, True), (0.3486, True), (0.347, False), (0.351, False), (1, False)],
)
def test_grade_numeric_within_tolerance(value: float, correct: bool) -> None:
    result = grade(NUMERIC, None, {"value": value})
    assert result.correct is correct
    assert result.score == float(correct)
    assert result.expected == {"value": 0.349}


def test_grade_generated_scores_share_of_fields() -> None:
    v = generate("softmax", 3)
    # independent of the generator: softmax of its logits computed here
    z = v.params["z"]
    total = sum(math.exp(x) for x in z)
    probs = [math.exp(x) / total for x in z]
    all_right = grade(GENERATED, 3, {"values": {"p1": probs[0], "p2": probs[1], "p3": probs[2]}})
    assert (all_right.score, all_right.correct) == (1.0, True)
    assert all_right.solution == v.solution
    rounded = {f"p{k + 1}": round(p, 3) for k, p in enumerate(probs)}
    assert grade(GENERATED, 3, {"values": rounded}).correct
    two_right = grade(GENERATED, 3, {"values": {**rounded, "p3": rounded["p3"] + 0.05}})
    assert two_right.score == pytest.approx(2 / 3)
    assert not two_right.correct
    assert "$p_3$" in two_right.feedback


def test_grade_generated_uses_the_seed() -> None:
    v = generate("softmax", 11)
    assert generate("softmax", 12).answer != v.answer
    assert grade(GENERATED, 11, {"values": v.answer}).correct
    assert not grade(GENERATED, 12, {"values": v.answer}).correct


def test_grade_lab_from_run_state() -> None:
    state = {
        "lab": "two-moons",
        "params": {"hidden": [4, 4]},
        "step": 800,
        "metrics": {"test_acc": 0.96},
    }
    passed = grade(LAB, None, {}, state)
    assert (passed.score, passed.correct) == (1.0, True)
    failed = grade(LAB, None, {}, {**state, "metrics": {"test_acc": 0.91}})
    assert (failed.score, failed.correct) == (0.0, False)
    assert "test accuracy is 0.91; needs at least 0.95" in failed.feedback
    assert failed.solution == "Two layers suffice."


@pytest.mark.parametrize(
    ("check", "seed", "response", "run_state", "message"),
    [
        (CHOICE, None, {"choice": 3}, None, "choice 3 is not one of 0–2"),
        (CHOICE, None, {"choice": "1"}, None, "choice must be a whole number"),
        (CHOICE, None, {"choice": True}, None, "choice must be a whole number"),
        (CHOICE, None, {}, None, "the response has no 'choice'"),
        (CHOICE, None, [1], None, "the response must be an object"),
        (CHOICE, None, {"choice": 1, "extra": 2}, None, "unexpected keys ['extra']"),
        (NUMERIC, None, {"value": "0.349"}, None, "value must be a number"),
        (NUMERIC, None, {"value": float("nan")}, None, "value must be a finite number"),
        (NUMERIC, None, {"values": 1}, None, "the response has no 'value'"),
        (GENERATED, None, {"values": {}}, None, "needs an integer seed"),
        (GENERATED, 1, {"values": [1, 2, 3]}, None, "values must be an object"),
        (GENERATED, 1, {"values": {"p1": 0.1, "p2": 0.2}}, None, "missing field(s) ['p3']"),
        (
            GENERATED,
            1,
            {"values": {"p1": 0.1, "p2": 0.2, "p3": 0.7, "p4": 0}},
            None,
            "unknown field(s) ['p4']",
        ),
        (
            GENERATED,
            1,
            {"values": {"p1": 0.1, "p2": None, "p3": 0.7}},
            None,
            "values.p2 must be a number",
        ),
        (LAB, None, {}, None, "there is no run to grade"),
    ],
)
def test_grade_malformed_response_names_problem(
    check: Any, seed: int | None, response: Any, run_state: Any, message: str
) -> None:
    with pytest.raises(CheckError) as caught:
        grade(check, seed, response, run_state)
    assert message in str(caught.value)


def test_unknown_generator_is_a_check_error() -> None:
    check = CHECK_ADAPTER.validate_python({"id": "x", "kind": "generated", "generator": "nope"})
    with pytest.raises(CheckError, match="unknown generator 'nope'"):
        present(check, 1)
