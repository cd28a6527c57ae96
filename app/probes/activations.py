"""Capture the outputs of chosen submodules during one forward pass."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def capture_outputs(modules: Sequence[nn.Module]) -> Iterator[list[torch.Tensor | None]]:
    """Within the block, ``outputs[i]`` holds the latest output of ``modules[i]`` (detached).

    The hooks are removed when the block ends, even if it raises.
    """
    outputs: list[torch.Tensor | None] = [None] * len(modules)
    handles = []

    def keep(index: int):
        def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            outputs[index] = output.detach()

        return hook

    try:
        for i, module in enumerate(modules):
            handles.append(module.register_forward_hook(keep(i)))
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
