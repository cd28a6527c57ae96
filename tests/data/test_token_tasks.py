"""The token tasks: answers worked out by hand, balanced brackets, seeds and the fixed test set."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from app.data.token_tasks import N_TEST, TokenTask, balanced, matching


def test_answers_of_copy_reverse_and_sort_by_hand() -> None:
    inputs = np.array([[3, 0, 2, 2], [1, 1, 0, 3]])
    assert TokenTask("copy", 4, 4).answer(inputs).tolist() == inputs.tolist()
    assert TokenTask("reverse", 4, 4).answer(inputs).tolist() == [[2, 2, 0, 3], [3, 0, 1, 1]]
    assert TokenTask("sort", 4, 4).answer(inputs).tolist() == [[0, 2, 2, 3], [0, 1, 1, 3]]


def test_matching_brackets_by_hand() -> None:
    # ( ( ) ( ) )   and   ( ) ( )
    assert matching(np.array([0, 0, 1, 0, 1, 1])).tolist() == [5, 2, 1, 4, 3, 0]
    assert matching(np.array([0, 1, 0, 1])).tolist() == [1, 0, 3, 2]


def test_rows_hold_the_input_then_blank_slots() -> None:
    task = TokenTask("reverse", 5, 7)
    tokens, targets = task.make(3, 10)
    assert tokens.shape == (10, 10) and targets.shape == (10, 5)
    assert (tokens[:, 5:] == 7).all() and (tokens[:, :5] < 7).all()
    assert (targets == tokens[:, 4::-1]).all()
    assert task.n_tokens == 8 and task.n_classes == 7 and task.token_names()[-1] == "_"


def test_brackets_are_balanced_and_uniform() -> None:
    task = TokenTask("brackets", 6, 2)
    tokens, targets = task.make(0, 2000)
    assert task.n_classes == 6 and task.blank == 2
    for row, answer in zip(tokens[:, :6], targets, strict=True):
        depth = np.cumsum(np.where(row == 0, 1, -1))
        assert depth.min() >= 0 and depth[-1] == 0
        assert (answer[answer] == np.arange(6)).all()  # matching is its own inverse
    counts = Counter(tuple(row) for row in tokens[:, :6])
    assert len(counts) == 5  # the five balanced strings of length 6 (Catalan number C3)
    assert min(counts.values()) > 300


def test_balanced_walk_is_seeded() -> None:
    a = [balanced(np.random.default_rng(9), 8).tolist() for _ in range(3)]
    b = [balanced(np.random.default_rng(9), 8).tolist() for _ in range(3)]
    assert a == b


def test_seeds_and_the_fixed_test_set() -> None:
    task = TokenTask("sort", 6, 8)
    assert (task.make(1, 50)[0] == task.make(1, 50)[0]).all()
    assert not (task.make(1, 50)[0] == task.make(2, 50)[0]).all()
    x_test, y_test = task.test_set()
    assert x_test.shape == (N_TEST, 12)
    again, _ = TokenTask("sort", 6, 8).test_set()
    assert (again == x_test).all() and (np.diff(y_test, axis=1) >= 0).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shuffle", 4, 4), "unknown task"),
        (("brackets", 5, 2), "even seq_len"),
        (("copy", 0, 4), "seq_len"),
        (("copy", 4, 1), "vocab"),
    ],
)
def test_bad_task_shapes_are_refused(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TokenTask(*args)
