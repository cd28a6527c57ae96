"""Exercise generators by name: ``generate(name, seed)`` gives a fresh variant per seed.

Each module registers its generators in GENERATORS when imported; importing this package
imports them all.
"""

from __future__ import annotations

from app.curriculum.generators import (  # noqa: F401  (importing registers them)
    blocks,
    counting,
    deepnets,
    fields,
    forward,
    sequences,
    training,
    transformers,
)
from app.curriculum.generators.base import GENERATORS, Field, Generator, Variant

__all__ = ["GENERATORS", "Field", "Generator", "Variant", "generate"]


def generate(name: str, seed: int) -> Variant:
    """The variant of generator ``name`` for ``seed``; ValueError for an unknown name."""
    generator = GENERATORS.get(name)
    if generator is None:
        raise ValueError(f"unknown generator {name!r}")
    return generator.make(seed)
