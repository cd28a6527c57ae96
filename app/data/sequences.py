"""Generated sequence tasks whose answer depends on inputs far back in the sequence.

Each task makes ``(x, y)`` from a seeded NumPy generator: ``x`` float32 (N, T, input_size),
one answer per sequence, read after the last step.

- ``adding``: two channels, a value in U(0, 1) and a marker; exactly two steps are marked, one
  in each half; the answer is the sum of the two marked values (regression, y float32 (N,))
  (Hochreiter & Schmidhuber 1997, experiment 4).
- ``copy``: recall at a distance: a one-hot symbol of an alphabet of 8 at the first step,
  then T − 1 blanks (a ninth channel); the answer is that first symbol (y int64 class).
- ``parity``: one-hot bits; the answer is 1 when the sequence holds an odd number of ones.
- ``brackets``: one-hot "(", ")" and a blank; every sequence has as many "(" as ")" (a blank
  first when T is odd), half of them balanced (no prefix closes more than it opens): the answer
  is 1 for balanced ones. Counting alone cannot tell them apart.

The training batches come from the run's seed; the test set is the same for every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TASKS = ("adding", "copy", "parity", "brackets")
SYMBOLS = 8  # the copy task's alphabet
N_TEST = 256
TEST_SEED = 20_241_127  # the fixed test set's seed (never a run's)
TOLERANCE = 0.04  # an adding answer within this of the target counts as right


@dataclass(frozen=True)
class TaskInfo:
    """How a task's sequences look and how its answer is scored."""

    input_size: int
    output_size: int  # 1 for the regression task, else the number of classes
    regression: bool
    channels: tuple[str, ...]  # names of the input channels


INFO: dict[str, TaskInfo] = {
    "adding": TaskInfo(2, 1, True, ("value", "marker")),
    "copy": TaskInfo(
        SYMBOLS + 1, SYMBOLS, False, (*(f"symbol {k}" for k in range(SYMBOLS)), "blank")
    ),
    "parity": TaskInfo(2, 2, False, ("0", "1")),
    "brackets": TaskInfo(3, 2, False, ("(", ")", "blank")),
}


def _one_hot(tokens: np.ndarray, size: int) -> np.ndarray:
    return np.eye(size, dtype=np.float32)[tokens]  # (N, T) → (N, T, size)


def adding(rng: np.random.Generator, n: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and markers (N, T, 2); the sum of the two marked values (N,)."""
    values = rng.random((n, steps), dtype=np.float32)
    half = steps // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, steps, n)
    markers = np.zeros((n, steps), dtype=np.float32)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), target.astype(np.float32)


def copy(rng: np.random.Generator, n: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """A symbol, then blanks (N, T, 9); the symbol (N,)."""
    tokens = np.full((n, steps), SYMBOLS)  # the blank
    tokens[:, 0] = rng.integers(0, SYMBOLS, n)
    return _one_hot(tokens, SYMBOLS + 1), tokens[:, 0].astype(np.int64)


def parity(rng: np.random.Generator, n: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Random bits (N, T, 2); their sum modulo 2 (N,)."""
    bits = rng.integers(0, 2, (n, steps))
    return _one_hot(bits, 2), (bits.sum(axis=1) % 2).astype(np.int64)


def balanced(tokens: np.ndarray) -> np.ndarray:
    """(N,) bool: no prefix of a row closes (1) more than it opened (0); blanks (2) skipped."""
    height = np.cumsum(np.where(tokens == 0, 1, np.where(tokens == 1, -1, 0)), axis=1)
    return (height >= 0).all(axis=1) & (height[:, -1] == 0)


def _dyck(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """(N, length) balanced rows: open at height 0, close when the rest must close, else a coin."""
    tokens = np.zeros((n, length), dtype=np.int64)
    height = np.zeros(n, dtype=np.int64)
    for t in range(length):
        left = length - t
        coin = rng.random(n) < 0.5
        close = np.where(height == 0, False, np.where(height >= left, True, coin))
        tokens[:, t] = close.astype(np.int64)
        height += np.where(close, -1, 1)
    return tokens


def _unbalanced(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """(N, length) rows with equal counts of "(" and ")" that are not balanced."""
    base = np.repeat(np.array([0, 1]), length // 2)
    rows = rng.permuted(np.tile(base, (n, 1)), axis=1)
    bad = balanced(rows)
    # a balanced row reversed starts with ")" and so is unbalanced, with the same counts
    rows[bad] = rows[bad, ::-1]
    return rows


def brackets(rng: np.random.Generator, n: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Brackets and a leading blank for odd T (N, T, 3); 1 for balanced rows (N,)."""
    length = steps - steps % 2
    label = rng.random(n) < 0.5
    tokens = np.where(label[:, None], _dyck(rng, n, length), _unbalanced(rng, n, length))
    if steps % 2:
        tokens = np.concatenate([np.full((n, 1), 2), tokens], axis=1)
    return _one_hot(tokens, 3), label.astype(np.int64)


MAKERS = {"adding": adding, "copy": copy, "parity": parity, "brackets": brackets}


def make(task: str, n: int, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of ``steps`` steps of ``task`` from ``seed``."""
    if task not in MAKERS:
        raise ValueError(f"unknown task {task!r}; one of {', '.join(TASKS)}")
    if steps < 2 or n < 1:
        raise ValueError(f"need at least one sequence of 2 steps, got n={n}, steps={steps}")
    return MAKERS[task](np.random.default_rng(seed), n, steps)


def fixed_test_set(task: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test set of ``task`` at length ``steps``: the same for every run."""
    return make(task, N_TEST, steps, TEST_SEED)


class Stream:
    """Fresh training batches, one call at a time, from a generator of their own: seeded by
    ``(seed, 1)``, so they never repeat the sample that ``make(…, seed)`` draws."""

    def __init__(self, task: str, steps: int, seed: int) -> None:
        if task not in MAKERS:
            raise ValueError(f"unknown task {task!r}; one of {', '.join(TASKS)}")
        self.task, self.steps = task, steps
        self.rng = np.random.default_rng([seed, 1])
        self.samples_seen = 0

    def next(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` sequences."""
        self.samples_seen += n
        return MAKERS[self.task](self.rng, n, self.steps)
