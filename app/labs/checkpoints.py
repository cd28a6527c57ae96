"""Checkpoint files of a lab run: everything needed to continue it exactly as if it had never
stopped (weights, optimiser moments, the batch sampler's shuffle and generator, the step).

Files live under one root directory (the server's data directory's ``checkpoints/``), set once
per worker process by ``configure``; without it checkpoints are refused. A file is named
``<lab>-<params key>-<step>.pt``; the params key is a hash of the params that shape the run,
so a run resumes only a checkpoint of the same configuration. Files are read with
``torch.load(weights_only=True)``: tensors and plain containers, never arbitrary objects.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import torch

from app.labs.base import LabError
from app.labs.sampling import EpochSampler

KEEP = 20  # checkpoints kept per lab and configuration; older ones are deleted
NAME = re.compile(r"^[a-z-]+-[0-9a-f]{12}-(\d{7})\.pt$")

_root: Path | None = None


def configure(root: Path | None) -> None:
    """Set (or, with None, unset) the directory checkpoint files go to."""
    global _root
    _root = Path(root) if root is not None else None


def root() -> Path:
    """The checkpoint directory, or LabError('not_supported') when none is configured."""
    if _root is None:
        raise LabError("not_supported", "checkpoints are not enabled on this server")
    return _root


def enabled() -> bool:
    return _root is not None


def params_key(params: dict[str, Any]) -> str:
    """12 hex digits naming a configuration (the params that shape the run, sorted JSON)."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def sampler_state(sampler: EpochSampler) -> dict[str, Any]:
    """An epoch sampler's whole state: its shuffle, cursor, count and generator."""
    return {
        "order": sampler.order.clone(),
        "cursor": sampler.cursor,
        "samples_seen": sampler.samples_seen,
        "generator": sampler.generator.get_state(),
    }


def load_sampler(sampler: EpochSampler, state: dict[str, Any]) -> None:
    """Put a saved state back into ``sampler``."""
    sampler.order = state["order"].clone()
    sampler.cursor = int(state["cursor"])
    sampler.samples_seen = int(state["samples_seen"])
    sampler.generator.set_state(state["generator"])


def on_cpu(value: Any) -> Any:
    """``value`` with every tensor in it (nested dicts, lists, tuples) copied to the CPU, so a
    checkpoint loads on any machine; on the CPU the tensors are the same objects."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(on_cpu(v) for v in value)
    return value


def save(lab_id: str, key: str, step: int, state: dict[str, Any]) -> str:
    """Write ``state`` as this configuration's checkpoint at ``step``; return its name."""
    directory = root() / lab_id
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{lab_id}-{key}-{step:07d}.pt"
    partial = directory / f".{name}.partial"
    torch.save(on_cpu(state), partial)
    partial.replace(directory / name)  # a reader never sees half a file
    for old in listing(lab_id, key)[:-KEEP]:
        (directory / old["name"]).unlink(missing_ok=True)
    return name


def listing(lab_id: str, key: str) -> list[dict[str, Any]]:
    """This configuration's checkpoints, oldest first: ``{name, step}``."""
    directory = root() / lab_id
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob(f"{lab_id}-{key}-*.pt"):
        match = NAME.match(path.name)
        if match:
            found.append({"name": path.name, "step": int(match.group(1))})
    return sorted(found, key=lambda c: c["step"])


def load(lab_id: str, key: str, name: Any) -> dict[str, Any]:
    """The state saved as ``name``, which must be this configuration's checkpoint."""
    if not isinstance(name, str) or not NAME.match(name):
        raise LabError("bad_probe", "probe 'resume' needs args.name: a checkpoint's file name")
    if not name.startswith(f"{lab_id}-{key}-"):
        raise LabError(
            "bad_probe",
            f"checkpoint {name!r} was saved with other settings; set them back to resume it",
        )
    path = root() / lab_id / name
    if not path.is_file():
        raise LabError("bad_probe", f"no checkpoint {name!r}")
    return torch.load(path, map_location="cpu", weights_only=True)
