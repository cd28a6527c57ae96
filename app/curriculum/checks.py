"""Show a check to the learner and grade a response.

``present`` gives the browser what it needs to ask (never the answer); ``grade`` scores a
response: a choice must be exact, a number within the check's tolerance, a generated
exercise field by field (the score is the share of fields right), and a lab challenge is
judged from ``run_state``, which the server builds from its own run, never from the browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.curriculum.conditions import requirement_text, unmet
from app.curriculum.generators import generate
from app.curriculum.generators.base import Variant, num
from app.curriculum.schema import ChoiceCheck, GeneratedCheck, LabCheck, NumericCheck

AnyCheck = ChoiceCheck | NumericCheck | GeneratedCheck | LabCheck


class CheckError(ValueError):
    """A response (or a call) that cannot be graded; the message names the problem."""


@dataclass(frozen=True)
class Grade:
    """The result of one attempt."""

    score: float  # in [0, 1]
    correct: bool
    feedback: str
    solution: str  # Markdown: the worked solution, shown after the attempt
    expected: dict[str, Any] | None


def variant(check: GeneratedCheck, seed: int | None) -> Variant:
    """The generated check's variant for ``seed``."""
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int):
        raise CheckError(f"check {check.id!r} is generated: it needs an integer seed")
    try:
        return generate(check.generator, seed)
    except ValueError as exc:
        raise CheckError(f"check {check.id!r}: {exc}") from None


def present(check: AnyCheck, seed: int | None = None) -> dict[str, Any]:
    """The check as JSON for the browser: what to ask and how to answer, not the answer.

    A generated check shows its variant's prompt and fields but never ``seed``: the generators
    are public, so the seed would give the answer away. The server keeps the seed it issued and
    the browser names the variant by its id.
    """
    shown: dict[str, Any] = {"id": check.id, "kind": check.kind}
    if isinstance(check, ChoiceCheck):
        shown.update(prompt=check.prompt, choices=list(check.choices))
    elif isinstance(check, NumericCheck):
        shown.update(
            prompt=check.prompt, fields=[{"name": "value", "label": "", "unit": check.unit}]
        )
    elif isinstance(check, GeneratedCheck):
        v = variant(check, seed)
        shown.update(
            prompt=v.prompt,
            fields=[{"name": f.name, "label": f.label, "unit": f.unit} for f in v.fields],
        )
    else:
        shown.update(
            prompt=check.prompt,
            lab=check.require.lab,
            preset=dict(check.preset),
            requirement=requirement_text(check.require),
        )
    return shown


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CheckError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise CheckError(f"{what} must be a finite number, not {value!r}")
    return float(value)


def _response(response: Any, key: str) -> Any:
    if not isinstance(response, dict):
        raise CheckError(f"the response must be an object with {key!r}, not {response!r}")
    if key not in response:
        raise CheckError(f"the response has no {key!r}")
    extra = sorted(set(response) - {key})
    if extra:
        raise CheckError(f"the response has unexpected keys {extra}")
    return response[key]


def _grade_choice(check: ChoiceCheck, response: Any) -> Grade:
    choice = _response(response, "choice")
    if isinstance(choice, bool) or not isinstance(choice, int):
        raise CheckError(f"choice must be a whole number, not {choice!r}")
    if not 0 <= choice < len(check.choices):
        raise CheckError(f"choice {choice} is not one of 0–{len(check.choices) - 1}")
    right = choice == check.answer
    feedback = "Right." if right else f"Not quite: the answer is choice {check.answer + 1}."
    return Grade(float(right), right, feedback, check.explanation, {"choice": check.answer})


def _grade_numeric(check: NumericCheck, response: Any) -> Grade:
    value = _number(_response(response, "value"), "value")
    right = abs(value - check.answer) <= check.tolerance + 1e-12
    unit = f" {check.unit}" if check.unit else ""
    feedback = (
        "Right."
        if right
        else f"Not quite: {num(value, 6)}{unit} is off; the answer is {num(check.answer, 6)}"
        f"{unit} (within {num(check.tolerance, 6)})."
    )
    return Grade(float(right), right, feedback, check.explanation, {"value": check.answer})


def _grade_generated(check: GeneratedCheck, seed: int | None, response: Any) -> Grade:
    v = variant(check, seed)
    values = _response(response, "values")
    if not isinstance(values, dict):
        raise CheckError(f"values must be an object of numbers by field, not {values!r}")
    names = [f.name for f in v.fields]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise CheckError(f"values has unknown field(s) {unknown}; expected {names}")
    missing = [n for n in names if n not in values]
    if missing:
        raise CheckError(f"values is missing field(s) {missing}")
    wrong = []
    for f in v.fields:
        given = _number(values[f.name], f"values.{f.name}")
        if abs(given - v.answer[f.name]) > v.tolerance[f.name] + 1e-12:
            wrong.append(f.label)
    score = (len(names) - len(wrong)) / len(names)
    feedback = "All right." if not wrong else "Not quite: check " + ", ".join(wrong) + "."
    return Grade(score, not wrong, feedback, v.solution, {"values": dict(v.answer)})


def _grade_lab(check: LabCheck, run_state: dict[str, Any] | None) -> Grade:
    if not isinstance(run_state, dict):
        raise CheckError(
            f"check {check.id!r} is a lab challenge: it is graded from the server's run, "
            "and there is no run to grade"
        )
    problems = unmet(check.require, run_state)
    if problems:
        feedback = "Not yet: " + "; ".join(problems) + "."
    else:
        feedback = "Challenge met by the run at step " + str(run_state.get("step")) + "."
    return Grade(float(not problems), not problems, feedback, check.explanation, None)


def grade(
    check: AnyCheck,
    seed: int | None,
    response: Any,
    run_state: dict[str, Any] | None = None,
) -> Grade:
    """Score ``response`` to ``check`` (``seed`` picks a generated check's variant)."""
    if isinstance(check, ChoiceCheck):
        return _grade_choice(check, response)
    if isinstance(check, NumericCheck):
        return _grade_numeric(check, response)
    if isinstance(check, GeneratedCheck):
        return _grade_generated(check, seed, response)
    if isinstance(check, LabCheck):
        return _grade_lab(check, run_state)
    raise CheckError(f"cannot grade {type(check).__name__}")
