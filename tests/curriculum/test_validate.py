"""validate(): every problem it must report, each named with its file and what is wrong."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.curriculum.generators import GENERATORS, Field, Generator, Variant
from app.curriculum.loader import CurriculumError, load_curriculum
from app.curriculum.schema import LabCheck
from app.curriculum.validate import (
    challenge_config,
    check_generator,
    cycles,
    validate,
)
from app.labs.cnn import CnnLab
from app.labs.two_moons import TwoMoons
from tests.curriculum.conftest import GOOD

Edit = Callable[[str, str, str], Path]


def validator(lab: Any) -> Callable[[dict[str, Any]], None]:
    """What the CLI builds: the lab's params merged over its defaults, budget included."""
    return lambda params: lab.validate(params, lab.Params())


LAB_PARAMS = {lab.id: validator(lab) for lab in (TwoMoons, CnnLab)}
METRICS = {"two-moons": {"loss", "train_acc", "test_loss", "test_acc"}, "cnn": {"test_*"}}
SEEDS = 20


def problems_of(root: Path, metrics: dict[str, set[str]] | None = None) -> list[str]:
    """The loader's problems with ``root``, or else validate()'s."""
    try:
        curriculum = load_curriculum(root)
    except CurriculumError as exc:
        return list(exc.problems)
    return validate(curriculum, LAB_PARAMS, metrics, seeds=SEEDS)


def test_validate_good_fixture() -> None:
    assert validate(load_curriculum(GOOD), LAB_PARAMS, METRICS, seeds=SEEDS) == []


def test_cycles_named() -> None:
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c", "a"]]
    assert cycles({"a": ["a"]}) == [["a", "a"]]
    assert cycles({"a": [], "b": ["a"], "c": ["a", "b"]}) == []


LESSON = "lessons/composition.md"


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        # schema: file and field
        (
            LESSON,
            "minutes: 10",
            "minutes: 0",
            "lessons/composition.md: minutes: Input should be greater than or equal to 1",
        ),
        # an unknown lab, for the lesson and for a challenge
        (
            LESSON,
            "lab: two-moons\n",
            "lab: three-moons\n",
            "lessons/composition.md: unknown lab 'three-moons'",
        ),
        (
            LESSON,
            "  lab: two-moons\n",
            "  lab: moons-lab\n",
            "lessons/composition.md: check 'moons' requires unknown lab 'moons-lab'",
        ),
        # presets and required params the lab refuses
        (
            LESSON,
            "noise: 0.2, hidden",
            "noise: 0.9, hidden",
            "lessons/composition.md: preset rejected by two-moons: invalid params — noise",
        ),
        (
            LESSON,
            "preset: {dataset: moons, hidden: [4, 4]}",
            "preset: {hidden: [4, 40]}",
            "lessons/composition.md: check 'moons': preset rejected by two-moons",
        ),
        (
            LESSON,
            "params: {dataset: moons,",
            "params: {dataset: moon,",
            "check 'moons': require.params.dataset = 'moon' rejected by two-moons",
        ),
        (
            LESSON,
            "noise: {min: 0.2}",
            "noise: {min: 0.2}, depth: 3",
            "check 'moons': require.params.depth = 3 rejected by two-moons",
        ),
        (
            LESSON,
            "noise: {min: 0.2}",
            "noise: {min: 0.2, max: 0.8}",
            "check 'moons': require.params.noise = 0.8 rejected by two-moons",
        ),
        (
            LESSON,
            "hidden: {len_max: 2}",
            "hidden: {len_max: 9}",
            "check 'moons': require.params.hidden = [4, 4, 4, 4, 4, 4, 4, 4, 4] rejected",
        ),
        # a challenge on a metric the lab does not report
        (
            LESSON,
            "metrics: {test_acc: {min: 0.95}}",
            "metrics: {test_accuracy: {min: 0.95}}",
            "check 'moons': unknown metric 'test_accuracy' for lab 'two-moons'",
        ),
        # an unknown generator
        (
            LESSON,
            "generator: relu-forward",
            "generator: relu-backward",
            "check 'forward': unknown generator 'relu-backward'",
        ),
        # the same check id twice
        (
            LESSON,
            "id: count",
            "id: order",
            "lessons/composition.md: check id 'order' is used twice",
        ),
        # a choice answer that indexes nothing
        (
            LESSON,
            "answer: 0\n",
            "answer: 2\n",
            "check 'order': answer 2 is not an index into its 2 choices",
        ),
        (
            LESSON,
            "answer: 0\n",
            "answer: -1\n",
            "check 'order': answer -1 is not an index into its 2 choices",
        ),
        # too few checks, no generated check
        (
            "lessons/softmax-ce.md",
            "~~~check\nid: loss\nkind: generated\ngenerator: cross-entropy\n~~~",
            "",
            "lessons/softmax-ce.md: 3 checks; at least 4 needed",
        ),
        (
            "lessons/cnn-architecture.md",
            "kind: generated\ngenerator: logsumexp",
            "kind: numeric\nprompt: x\nanswer: 1\ntolerance: 0\nexplanation: y",
            "lessons/cnn-architecture.md: no generated check",
        ),
        # a lab without a challenge
        (
            "lessons/softmax-ce.md",
            "lab: null",
            "lab: two-moons",
            "lessons/softmax-ce.md: has the two-moons lab but no lab challenge",
        ),
        (
            "lessons/softmax-ce.md",
            "lab: null",
            "lab: null\npreset: {noise: 0.1}",
            "lessons/softmax-ce.md: a preset without a lab",
        ),
        # concepts: no lesson, unknown lesson, unknown prerequisite, a cycle
        (
            "concepts.yaml",
            "lessons: [softmax-ce]",
            "lessons: []",
            "concepts.yaml: concept 'softmax-ce': has no lesson",
        ),
        (
            "concepts.yaml",
            "lessons: [softmax-ce]",
            "lessons: [softmax-ce, logits]",
            "concepts.yaml: concept 'softmax-ce': unknown lesson 'logits'",
        ),
        (
            "concepts.yaml",
            "needs: [composition]",
            "needs: [composition, calculus]",
            "concepts.yaml: concept 'softmax-ce': needs unknown concept 'calculus'",
        ),
        (
            "concepts.yaml",
            "needs: []",
            "needs: [cnn-architecture]",
            "concepts.yaml: prerequisite cycle composition → cnn-architecture → composition",
        ),
        # a lesson that names an unknown concept, or one whose concept does not list it
        (
            "lessons/softmax-ce.md",
            "concepts: [softmax-ce]",
            "concepts: [softmax-ce, logits]",
            "lessons/softmax-ce.md: unknown concept 'logits'",
        ),
        (
            "lessons/softmax-ce.md",
            "concepts: [softmax-ce]",
            "concepts: [softmax-ce, composition]",
            "lessons/softmax-ce.md: teaches 'composition', but concepts.yaml does not list",
        ),
        (
            "lessons/softmax-ce.md",
            "concepts: [softmax-ce]",
            "concepts: [composition]",
            "concepts.yaml: concept 'softmax-ce': lists lesson 'softmax-ce', whose front matter",
        ),
    ],
)
def test_validate_reports(edit: Edit, relative: str, old: str, new: str, expected: str) -> None:
    found = problems_of(edit(relative, old, new), METRICS)
    assert any(expected in problem for problem in found), found


CNN = "lessons/cnn-architecture.md"
CNN_REQUIRE = "  params: {batchnorm: true}"
CNN_LAYERS = (
    "preset: {batchnorm: true}\n"
    "require:\n  lab: cnn\n  params: {batchnorm: true, layers.1.kernel: KERNEL}"
)


def test_validate_dotted_param_tried_within_the_preset(edit: Edit) -> None:
    layers = "preset: {image_size: 8, layers: [{kind: conv}, {kind: conv}]}"
    root = edit(CNN, "preset: {batchnorm: true}\n---", layers + "\n---")
    edit(CNN, "require:\n  lab: cnn\n" + CNN_REQUIRE, CNN_LAYERS.replace("KERNEL", "3"))
    assert problems_of(root) == []
    edit(CNN, "layers.1.kernel: 3", "layers.1.kernel: {min: 9}")
    found = problems_of(root)
    assert any("require.params.layers.1.kernel = 9 rejected by cnn" in p for p in found), found


def test_challenge_config_joins_presets_and_fixed_params() -> None:
    lesson = load_curriculum(GOOD).lessons["composition"]
    check = lesson.checks[3]
    assert isinstance(check, LabCheck)
    assert challenge_config(lesson, check) == {
        "dataset": "moons",
        "noise": 0.2,
        "hidden": [4, 4],
        "activation": "relu",
    }


def test_validate_three_concept_cycle_named(edit: Edit) -> None:
    edit("concepts.yaml", "needs: []", "needs: [cnn-architecture]")
    root = edit("concepts.yaml", "needs: [composition]", "needs: [cnn-architecture]")
    found = problems_of(root)
    cycle_lines = [p for p in found if "cycle" in p]
    assert len(cycle_lines) == 2, found
    assert any("cnn-architecture → softmax-ce → cnn-architecture" in p for p in cycle_lines)
    assert any("composition → cnn-architecture → composition" in p for p in cycle_lines)


def test_validate_without_metric_names_skips_that_check(edit: Edit) -> None:
    root = edit(LESSON, "metrics: {test_acc: {min: 0.95}}", "metrics: {made_up: {min: 0.95}}")
    assert problems_of(root, None) == []


class Broken(Generator):
    """A generator whose faults the tests choose."""

    name = "broken"
    title = "Broken"

    def __init__(self, fault: str) -> None:
        self.fault = fault

    def draw(self, rng: random.Random) -> dict[str, Any]:
        return {"a": rng.randint(1, 9)}

    def render(self, p: dict[str, Any]) -> Variant:
        if self.fault == "raises" and p["a"] == 5:
            raise ZeroDivisionError("division by zero")
        value = float("inf") if self.fault == "infinite" else p["a"] * 2.0
        prompt = "Double it." if self.fault == "constant" else f"Double {p['a']}."
        return Variant(prompt, [Field("y", "y")], {"y": value}, {"y": 0.1}, "Twice.", p)

    def solve(self, p: dict[str, Any]) -> dict[str, float]:
        return {"y": p["a"] * (2.5 if self.fault == "wrong" else 2.0)}


@pytest.fixture
def registered() -> Iterator[Callable[[str], None]]:
    """Register a Broken generator with a given fault for one test."""

    def add(fault: str) -> None:
        GENERATORS["broken"] = Broken(fault)

    yield add
    GENERATORS.pop("broken", None)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("wrong", "generator 'broken': seed 0: y = "),
        ("raises", "raises ZeroDivisionError: division by zero"),
        ("infinite", "y is not finite"),
        ("constant", "generator 'broken': the prompt is the same for all 20 seeds"),
    ],
)
def test_validate_reports_broken_generator(
    registered: Callable[[str], None], fault: str, expected: str
) -> None:
    registered(fault)
    found = validate(load_curriculum(GOOD), LAB_PARAMS, METRICS, seeds=SEEDS)
    assert any(expected in problem for problem in found), found
    assert check_generator(Broken("none"), SEEDS) == []
