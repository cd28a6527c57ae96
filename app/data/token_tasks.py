"""Generated token tasks for a tiny transformer: copy, reverse, sort, find the matching bracket.

Each example is ``2·T`` tokens: ``T`` input tokens, then ``T`` answer slots that all hold the
blank token. The network reads the whole row and must write the answer into the slots, so a
causal mask never hides the input from the answer (every slot comes after it) and nothing of
the answer is ever shown to the network.

- ``copy``: the answer is the input; ``reverse``: the input backwards; ``sort``: the input in
  ascending order. Input tokens are symbols ``0 … vocab − 1``; the blank is ``vocab``; the
  answer's classes are the ``vocab`` symbols.
- ``brackets``: the input is a balanced string of ``(`` (token 0) and ``)`` (token 1), the
  blank is 2; the answer at slot ``i`` is the position (``0 … T − 1``) of the bracket that
  matches bracket ``i``, so there are ``T`` classes.

Every set is drawn from its own seeded NumPy generator; the test set's seed is fixed, so it
is the same for every run of a task, length and vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Literal

import numpy as np

Task = Literal["copy", "reverse", "sort", "brackets"]
TASKS: tuple[Task, ...] = ("copy", "reverse", "sort", "brackets")
TEST_SEED = 20_240_611  # the fixed test set's own seed, apart from any run's seed
N_TEST = 256
OPEN, CLOSE = 0, 1


@dataclass(frozen=True)
class TokenTask:
    """One task's shape: which task, the input length ``seq_len`` and the symbol count."""

    task: Task
    seq_len: int
    vocab: int

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        if self.seq_len < 1:
            raise ValueError(f"seq_len must be at least 1, not {self.seq_len}")
        if self.task == "brackets" and self.seq_len % 2:
            raise ValueError(f"brackets need an even seq_len, not {self.seq_len}")
        if self.task != "brackets" and self.vocab < 2:
            raise ValueError(f"vocab must be at least 2, not {self.vocab}")

    @property
    def symbols(self) -> int:
        """Distinct input symbols (2 for brackets)."""
        return 2 if self.task == "brackets" else self.vocab

    @property
    def blank(self) -> int:
        """The token that fills the answer slots."""
        return self.symbols

    @property
    def n_tokens(self) -> int:
        """Rows of the embedding table: the symbols and the blank."""
        return self.symbols + 1

    @property
    def n_classes(self) -> int:
        """Classes of an answer slot: symbols, or bracket positions."""
        return self.seq_len if self.task == "brackets" else self.vocab

    @property
    def length(self) -> int:
        """Tokens the network reads: input and answer slots."""
        return 2 * self.seq_len

    def answer(self, inputs: np.ndarray) -> np.ndarray:
        """(N, T) answers of (N, T) inputs."""
        if self.task == "copy":
            return inputs.copy()
        if self.task == "reverse":
            return inputs[:, ::-1].copy()
        if self.task == "sort":
            return np.sort(inputs, axis=1)
        return np.stack([matching(row) for row in inputs])

    def draw_inputs(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(N, T) random inputs: uniform symbols, or uniformly random balanced strings."""
        if self.task == "brackets":
            return np.stack([balanced(rng, self.seq_len) for _ in range(n)])
        return rng.integers(0, self.vocab, size=(n, self.seq_len))

    def make(self, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` examples from ``seed``: tokens (N, 2T) int64 and targets (N, T) int64."""
        rng = np.random.default_rng(seed)
        inputs = self.draw_inputs(rng, n).astype(np.int64)
        blanks = np.full_like(inputs, self.blank)
        return np.concatenate([inputs, blanks], axis=1), self.answer(inputs).astype(np.int64)

    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        """The fixed test set: N_TEST examples from TEST_SEED."""
        return self.make(TEST_SEED, N_TEST)

    def token_names(self) -> list[str]:
        """What each token id shows as: its symbol, a bracket, or ``_`` for the blank."""
        names = ["(", ")"] if self.task == "brackets" else [str(s) for s in range(self.vocab)]
        return [*names, "_"]


def balanced(rng: np.random.Generator, length: int) -> np.ndarray:
    """A balanced bracket string of even ``length``, uniform over all of them.

    Walks left to right; an opening bracket is chosen with the probability that it leaves a
    completion, weighted by how many completions each choice leaves (ballot numbers).
    """
    out = np.empty(length, dtype=np.int64)
    depth = 0
    for i in range(length):
        left = length - i - 1
        up = _completions(left, depth + 1)
        down = _completions(left, depth - 1) if depth > 0 else 0
        is_open = rng.random() * (up + down) < up
        out[i] = OPEN if is_open else CLOSE
        depth += 1 if is_open else -1
    return out


def _completions(steps: int, depth: int) -> int:
    """Ways to walk ``steps`` ±1 steps from ``depth`` to 0 without going below 0."""
    if depth < 0 or depth > steps or (steps - depth) % 2:
        return 0
    ups = (steps - depth) // 2
    # ballot numbers: C(steps, ups) − C(steps, ups − 1)
    return comb(steps, ups) - (comb(steps, ups - 1) if ups > 0 else 0)


def matching(row: np.ndarray) -> np.ndarray:
    """(T,) the position of the bracket that matches each bracket of a balanced ``row``."""
    match = np.empty(len(row), dtype=np.int64)
    stack: list[int] = []
    for i, token in enumerate(row):
        if token == OPEN:
            stack.append(i)
        else:
            j = stack.pop()
            match[i], match[j] = j, i
    return match
