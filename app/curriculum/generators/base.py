"""What every exercise generator is: draw numbers from a seed, write the exercise, solve it.

``draw`` picks small, hand-computable numbers from a seeded ``random.Random``; ``render``
computes the answer step by step (plain scalar arithmetic, the way a learner would) and
writes the prompt and the worked solution; ``solve`` computes the same answer by another
road (NumPy arrays, a closed form, an interval walk, finite differences) so that
``layerwise curriculum check`` can compare the two over many seeds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Field:
    """One number the learner types: its key, its label (Markdown) and its unit."""

    name: str
    label: str
    unit: str = ""


@dataclass(frozen=True)
class Variant:
    """One seeded exercise: what the learner sees, and what the server keeps to grade it."""

    prompt: str
    fields: list[Field]
    answer: dict[str, float]
    tolerance: dict[str, float]
    solution: str
    params: dict[str, Any] = field(default_factory=dict)


class Generator:
    """An exercise family; subclasses set ``name`` and implement draw, render and solve."""

    name: ClassVar[str]
    title: ClassVar[str]

    def draw(self, rng: random.Random) -> dict[str, Any]:
        """The exercise's numbers (JSON-serialisable)."""
        raise NotImplementedError

    def render(self, params: dict[str, Any]) -> Variant:
        """The exercise, its answer (computed step by step) and its worked solution."""
        raise NotImplementedError

    def solve(self, params: dict[str, Any]) -> dict[str, float]:
        """The answer by an independent computation."""
        raise NotImplementedError

    def make(self, seed: int) -> Variant:
        """The variant for ``seed``: the same seed always gives the same exercise."""
        return self.render(self.draw(random.Random(seed)))


GENERATORS: dict[str, Generator] = {}


def register(cls: type[Generator]) -> type[Generator]:
    """Class decorator: add one instance of the generator to GENERATORS by its name."""
    if cls.name in GENERATORS:
        raise ValueError(f"two generators are named {cls.name!r}")
    GENERATORS[cls.name] = cls()
    return cls


def num(x: float, places: int = 4) -> str:
    """A number for a prompt: whole numbers without a point, others with at most ``places``
    decimals and no trailing zeros."""
    if float(x).is_integer():
        return str(int(x))
    text = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(x: float, places: int = 3) -> str:
    """A computed value rounded to ``places`` decimals for a worked solution."""
    text = f"{x:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def paren(x: float, places: int = 4) -> str:
    """A number in parentheses when negative, so products read right: 2·(−1)."""
    text = num(x, places)
    return f"({text})" if x < 0 else text


def vector(values: list[float], places: int = 4) -> str:
    """A column vector in LaTeX."""
    return r"\begin{bmatrix}" + r"\\ ".join(num(v, places) for v in values) + r"\end{bmatrix}"


def matrix(rows: list[list[float]], places: int = 4) -> str:
    """A matrix in LaTeX."""
    body = r"\\ ".join(" & ".join(num(v, places) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def decimal(rng: random.Random, lo: float, hi: float, places: int = 1) -> float:
    """A number in [lo, hi] with ``places`` decimals."""
    scale = 10**places
    return rng.randint(round(lo * scale), round(hi * scale)) / scale


WHOLE = 0.5  # a count must be exact: anything within half a unit of it


def relative(x: float, share: float = 0.006, floor: float = 1e-9) -> float:
    """An absolute tolerance that is ``share`` of the answer's size: an answer rounded to 3
    significant figures is off by at most 0.5%."""
    return max(abs(x) * share, floor)


def sigmoid(z: float) -> float:
    """The logistic function 1 / (1 + e^−z)."""
    return 1.0 / (1.0 + math.exp(-z))


def sig(x: float) -> str:
    """A value to 4 significant figures (scientific notation when very large or small)."""
    if x != 0 and not 1e-3 <= abs(x) < 1e5:
        mantissa, exponent = f"{x:.3e}".split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return f"{x:.4g}"
