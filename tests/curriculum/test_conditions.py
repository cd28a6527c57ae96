"""Conditions of lab challenges: each operator, missing values, and the learner's feedback."""

from __future__ import annotations

from typing import Any

import pytest

from app.curriculum.conditions import (
    MISSING,
    assign,
    describe,
    holds,
    lookup,
    requirement_text,
    unmet,
)
from app.curriculum.schema import Requirement


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        ("moons", "moons", True),
        ("moons", "spirals", False),
        (0.2, 0.2, True),
        (2, 2.0, True),
        (True, True, True),
        (True, 1, False),
        (1, True, False),
        ([4, 4], [4, 4], True),
        ({"min": 0.95}, 0.95, True),
        ({"min": 0.95}, 0.9499, False),
        ({"max": 5000}, 5000, True),
        ({"max": 5000}, 5001, False),
        ({"min": 0.5, "max": 2}, 1.0, True),
        ({"min": 0.5, "max": 2}, 2.5, False),
        ({"min": 0.5}, float("nan"), False),
        ({"min": 0.5}, "high", False),
        ({"in": ["lstm", "gru"]}, "gru", True),
        ({"in": ["lstm", "gru"]}, "rnn_tanh", False),
        ({"len_max": 2}, [4, 4], True),
        ({"len_max": 2}, [4, 4, 4], False),
        ({"len_min": 3}, [8, 8], False),
        ({"len_min": 1, "len_max": 3}, [8], True),
        ({"len_max": 2}, 3, False),
        ({"min": 0.9}, None, False),
        ({"min": 0.9}, MISSING, False),
        ("moons", None, False),
    ],
)
def test_holds(condition: Any, value: Any, expected: bool) -> None:
    assert holds(condition, value) is expected


def test_lookup_follows_dotted_paths() -> None:
    params = {"b": {"depth": 3}, "layers": [{"kernel": 5}], "hidden": [4, 4]}
    assert lookup(params, "b.depth") == 3
    assert lookup(params, "layers.0.kernel") == 5
    assert lookup(params, "hidden.1") == 4
    assert lookup(params, "layers.3.kernel") is MISSING
    assert lookup(params, "nothing") is MISSING


def test_assign_sets_dotted_paths_on_a_copy() -> None:
    params = {"layers": [{"kernel": 3}, {"kernel": 5}], "depth": 4}
    assert assign(params, "layers.1.kernel", 7) == {
        "layers": [{"kernel": 3}, {"kernel": 7}],
        "depth": 4,
    }
    assert params["layers"][1]["kernel"] == 5  # the original is untouched
    assert assign(params, "b.residual", False) == {**params, "b": {"residual": False}}
    assert assign(params, "depth", 8) == {**params, "depth": 8}
    assert assign(params, "layers.2.kernel", 3) is None  # no such layer to change
    assert assign({}, "layers.0.kernel", 3) is None


def test_describe() -> None:
    assert describe({"min": 0.95}) == "at least 0.95"
    assert describe({"max": 2}) == "at most 2"
    assert describe({"min": 1, "max": 2}) == "between 1 and 2"
    assert describe({"len_max": 2}) == "at most 2 entries"
    assert describe({"in": ["lstm", "gru"]}) == "one of 'lstm', 'gru'"
    assert describe("moons") == "equal to 'moons'"


REQUIRE = Requirement.model_validate(
    {
        "lab": "two-moons",
        "params": {"dataset": "moons", "noise": {"min": 0.2}, "hidden": {"len_max": 2}},
        "metrics": {"test_acc": {"min": 0.95}},
        "step": {"max": 5000},
    }
)


def run(**changes: Any) -> dict[str, Any]:
    state = {
        "lab": "two-moons",
        "params": {"dataset": "moons", "noise": 0.2, "hidden": [4, 4]},
        "step": 1200,
        "metrics": {"test_acc": 0.97, "loss": 0.1},
    }
    state.update(changes)
    return state


def test_unmet_passes_a_run_that_meets_everything() -> None:
    assert unmet(REQUIRE, run()) == []


def test_unmet_names_each_failure_with_the_actual_value() -> None:
    found = unmet(
        REQUIRE,
        run(
            params={"dataset": "moons", "noise": 0.1, "hidden": [4, 4, 4]},
            metrics={"test_acc": 0.91},
            step=6000,
        ),
    )
    assert found == [
        "noise is 0.1; needs at least 0.2",
        "hidden has 3 entries; needs at most 2 entries",
        "test accuracy is 0.91; needs at least 0.95",
        "the step count is 6000; needs at most 5000",
    ]


def test_unmet_missing_metric_fails() -> None:
    assert unmet(REQUIRE, run(metrics={"test_acc": None})) == [
        "test accuracy is not measured yet; needs at least 0.95"
    ]
    assert unmet(REQUIRE, run(metrics={})) == [
        "test accuracy is not measured yet; needs at least 0.95"
    ]


def test_unmet_missing_param_fails() -> None:
    assert unmet(REQUIRE, run(params={"dataset": "moons", "noise": 0.3})) == [
        "hidden is not set in this run; needs at most 2 entries"
    ]


def test_unmet_other_lab_fails() -> None:
    assert unmet(REQUIRE, run(lab="cnn")) == [
        "this run is of the 'cnn' lab; the challenge needs 'two-moons'"
    ]


def test_requirement_text() -> None:
    assert requirement_text(REQUIRE) == [
        "lab: two-moons",
        "dataset: equal to 'moons'",
        "noise: at least 0.2",
        "hidden: at most 2 entries",
        "test accuracy: at least 0.95",
        "step: at most 5000",
    ]
