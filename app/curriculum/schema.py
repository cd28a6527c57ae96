"""The shapes of curriculum files: concepts, lessons and their four kinds of check.

``curriculum/concepts.yaml`` lists the concepts; each ``curriculum/lessons/<id>.md`` holds a
lesson's front matter, its Markdown body and its fenced ``check`` blocks (docs in the loader).
Every model forbids unknown keys, so a typo is named rather than ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
# A condition on one value: a literal (equal), or a dict of operators (see conditions.py).
OPERATORS = frozenset({"min", "max", "in", "len_min", "len_max"})


def _check_condition(value: Any) -> Any:
    """A dict condition must use only the known operators, with the right types."""
    if not isinstance(value, dict):
        return value
    unknown = sorted(set(value) - OPERATORS)
    if unknown or not value:
        raise ValueError(
            f"unknown condition operator(s) {unknown}; use min, max, in, len_min or len_max"
            if unknown
            else "an empty condition; use min, max, in, len_min or len_max"
        )
    for key in ("min", "max"):
        if key in value and (
            isinstance(value[key], bool) or not isinstance(value[key], int | float)
        ):
            raise ValueError(f"{key} must be a number, not {value[key]!r}")
    for key in ("len_min", "len_max"):
        if key in value and (
            isinstance(value[key], bool) or not isinstance(value[key], int) or value[key] < 0
        ):
            raise ValueError(f"{key} must be a whole number ≥ 0, not {value[key]!r}")
    if "in" in value and (not isinstance(value["in"], list) or not value["in"]):
        raise ValueError("in must be a non-empty list")
    for low, high in (("min", "max"), ("len_min", "len_max")):
        if low in value and high in value and value[low] > value[high]:
            raise ValueError(f"{low} {value[low]} is above {high} {value[high]}: nothing meets it")
    return value


class Strict(BaseModel):
    """Unknown keys are errors; instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Concept(Strict):
    """One node of the concept map."""

    id: Id
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    needs: list[Id] = Field(default_factory=list)
    lessons: list[Id] = Field(default_factory=list)


class ConceptsFile(Strict):
    """``concepts.yaml``."""

    concepts: list[Concept] = Field(min_length=1)


class ChoiceCheck(Strict):
    """Pick one of several answers; ``answer`` indexes ``choices``."""

    id: Id
    kind: Literal["choice"]
    prompt: str = Field(min_length=1)
    choices: list[str] = Field(min_length=2)
    answer: int
    explanation: str = Field(min_length=1)


class NumericCheck(Strict):
    """Type a number; right within an absolute ``tolerance``."""

    id: Id
    kind: Literal["numeric"]
    prompt: str = Field(min_length=1)
    answer: float
    tolerance: float = Field(ge=0)
    unit: str = ""
    explanation: str = Field(min_length=1)


class GeneratedCheck(Strict):
    """A fresh variant of a named exercise generator on every attempt."""

    id: Id
    kind: Literal["generated"]
    generator: str = Field(min_length=1)


class Requirement(Strict):
    """What the server's own run of a lab must show for a lab challenge to pass."""

    lab: Id
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    step: Any = None

    @field_validator("params", "metrics")
    @classmethod
    def _conditions(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, condition in value.items():
            try:
                _check_condition(condition)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return value

    @field_validator("step")
    @classmethod
    def _step(cls, value: Any) -> Any:
        return _check_condition(value)


class LabCheck(Strict):
    """A challenge verified from the server's run of a lab, never from the browser's word."""

    id: Id
    kind: Literal["lab"]
    prompt: str = Field(min_length=1)
    preset: dict[str, Any] = Field(default_factory=dict)
    require: Requirement
    explanation: str = Field(min_length=1)


Check = Annotated[
    ChoiceCheck | NumericCheck | GeneratedCheck | LabCheck, Field(discriminator="kind")
]


class LessonMeta(Strict):
    """A lesson's front matter."""

    id: Id
    title: str = Field(min_length=1)
    concepts: list[Id] = Field(min_length=1)
    minutes: int = Field(ge=1, le=240)
    lab: Id | None = None
    preset: dict[str, Any] = Field(default_factory=dict)


class Lesson(LessonMeta):
    """A whole lesson: front matter, the Markdown body without its checks, the checks."""

    body: str
    checks: list[Check]
