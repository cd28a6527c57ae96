"""Fixtures of the curriculum tests: the small fixture curriculum, copied where it is changed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "good"


@pytest.fixture
def good_copy(tmp_path: Path) -> Path:
    """A writable copy of the good fixture curriculum."""
    root = tmp_path / "curriculum"
    shutil.copytree(GOOD, root)
    return root


@pytest.fixture
def edit(good_copy: Path) -> Callable[[str, str, str], Path]:
    """Replace text once in a file of the copied curriculum; returns the curriculum's root."""

    def change(relative: str, old: str, new: str) -> Path:
        path = good_copy / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))
        return good_copy

    return change
