"""The generated sequence tasks: every answer recomputed here by a plain loop over the
inputs, seeds that repeat, and a test set that is the same for every run."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import sequences


def test_adding_answer_is_the_sum_of_the_two_marked_values() -> None:
    x, y = sequences.make("adding", 50, 11, 3)
    assert x.shape == (50, 11, 2) and x.dtype == np.float32 and y.dtype == np.float32
    for row, target in zip(x, y):
        marked = [t for t in range(11) if row[t, 1] == 1.0]
        assert len(marked) == 2 and marked[0] < 5 <= marked[1]
        assert target == pytest.approx(row[marked[0], 0] + row[marked[1], 0])


def test_copy_answer_is_the_first_symbol_then_blanks() -> None:
    x, y = sequences.make("copy", 40, 7, 1)
    assert x.shape == (40, 7, 9) and (x.sum(axis=2) == 1).all()
    assert [int(np.flatnonzero(row[0])[0]) for row in x] == y.tolist()
    assert (x[:, 1:, 8] == 1).all() and (y < 8).all() and len(set(y.tolist())) > 4


def test_parity_answer_counts_the_ones() -> None:
    x, y = sequences.make("parity", 40, 9, 2)
    for row, target in zip(x, y):
        ones = sum(1 for t in range(9) if row[t, 1] == 1.0)
        assert target == ones % 2


def _balanced(tokens: list[int]) -> bool:
    depth = 0
    for token in tokens:
        if token == 0:
            depth += 1
        elif token == 1:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@pytest.mark.parametrize("steps", [10, 11])
def test_brackets_half_balanced_with_equal_counts(steps: int) -> None:
    x, y = sequences.make("brackets", 400, steps, 5)
    tokens = x.argmax(axis=2)
    assert x.shape == (400, steps, 3)
    for row, label in zip(tokens.tolist(), y.tolist()):
        assert row.count(0) == row.count(1)
        assert _balanced(row) == bool(label)
        assert (row[0] == 2) == (steps % 2 == 1)
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("task", sequences.TASKS)
def test_seed_repeats_and_the_test_set_is_fixed(task: str) -> None:
    a, b = sequences.make(task, 8, 6, 7), sequences.make(task, 8, 6, 7)
    np.testing.assert_array_equal(a[0], b[0])
    x, y = sequences.fixed_test_set(task, 6)
    assert len(x) == len(y) == sequences.N_TEST
    np.testing.assert_array_equal(x, sequences.fixed_test_set(task, 6)[0])
    stream = sequences.Stream(task, 6, 7)
    first = stream.next(8)[0]
    assert not np.array_equal(first, stream.next(8)[0])
    assert stream.samples_seen == 16


def test_unknown_task_and_too_short_are_named() -> None:
    with pytest.raises(ValueError, match="sort"):
        sequences.make("sort", 4, 5, 0)
    with pytest.raises(ValueError, match="steps=1"):
        sequences.make("copy", 4, 1, 0)
