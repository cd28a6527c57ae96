"""Conditions of lab challenges, evaluated on the server's own run state.

A condition on one value is a literal (the value must equal it) or a dict of operators:
``{min: x, max: y}`` (inclusive, either optional), ``{in: [...]}`` (one of),
``{len_min: n, len_max: n}`` (a list's length). A missing or null value fails every
condition. Param names may be dotted paths into nested params (``b.depth``, ``layers.0.kernel``).
"""

from __future__ import annotations

import copy
import math
from typing import Any

from app.curriculum.schema import Requirement

MISSING = object()

# What the learner reads for a metric's code name.
METRIC_NAMES = {
    "loss": "training loss",
    "test_loss": "test loss",
    "train_acc": "training accuracy",
    "test_acc": "test accuracy",
    "test_seq_acc": "whole-sequence test accuracy",
    "test_mse": "test mean squared error",
    "grad_ratio": "gradient-norm ratio",
    "act_std_ratio": "activation std ratio (last / first)",
    "gap": "generalisation gap",
    "step": "the step count",
}


def show(value: Any) -> str:
    """A value as the learner reads it: numbers to 4 significant figures, strings quoted."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def lookup(values: dict[str, Any], path: str) -> Any:
    """``values[path]``, following dots into dicts and lists; MISSING when absent."""
    current: Any = values
    if path in values:
        return values[path]
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def assign(values: dict[str, Any], path: str, value: Any) -> dict[str, Any] | None:
    """A copy of ``values`` with ``path`` (dotted, as in ``lookup``) set to ``value``; nested
    dicts are made as needed, but a list index must already exist (None when it does not)."""
    result = copy.deepcopy(values)
    parts = path.split(".")
    if path in values or len(parts) == 1:
        result[path] = value
        return result
    node: Any = result
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return None
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    if any(p.isdigit() for p in parts[depth + 1 :]):
                        return None
                    node[part] = {}
                node = node[part]
        else:
            return None
    return result


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def describe(condition: Any) -> str:
    """What a condition asks, e.g. 'at least 0.95', 'at most 2 entries', 'one of …'."""
    if not isinstance(condition, dict):
        return f"equal to {show(condition)}"
    parts = []
    if "min" in condition and "max" in condition:
        parts.append(f"between {show(condition['min'])} and {show(condition['max'])}")
    elif "min" in condition:
        parts.append(f"at least {show(condition['min'])}")
    elif "max" in condition:
        parts.append(f"at most {show(condition['max'])}")
    if "in" in condition:
        parts.append("one of " + ", ".join(show(v) for v in condition["in"]))
    if "len_min" in condition and "len_max" in condition:
        parts.append(f"{condition['len_min']} to {condition['len_max']} entries")
    elif "len_min" in condition:
        parts.append(f"at least {condition['len_min']} entries")
    elif "len_max" in condition:
        parts.append(f"at most {condition['len_max']} entries")
    return " and ".join(parts)


def holds(condition: Any, value: Any) -> bool:
    """Whether ``value`` meets ``condition`` (a missing or null value never does)."""
    if value is MISSING or value is None:
        return False
    if not isinstance(condition, dict):
        if isinstance(condition, bool) or isinstance(value, bool):
            return value is condition
        if _number(condition) is not None and _number(value) is not None:
            return math.isclose(float(value), float(condition), rel_tol=1e-9, abs_tol=1e-12)
        return bool(value == condition)
    if "min" in condition or "max" in condition:
        number = _number(value)
        if number is None or not math.isfinite(number):
            return False
        if "min" in condition and number < condition["min"]:
            return False
        if "max" in condition and number > condition["max"]:
            return False
    if "in" in condition and not any(holds(option, value) for option in condition["in"]):
        return False
    if "len_min" in condition or "len_max" in condition:
        if not isinstance(value, list | tuple | str):
            return False
        if "len_min" in condition and len(value) < condition["len_min"]:
            return False
        if "len_max" in condition and len(value) > condition["len_max"]:
            return False
    return True


def _found(name: str, value: Any, condition: Any, absent: str = "is not measured yet") -> str:
    if value is MISSING or value is None:
        return f"{name} {absent}"
    lengths = isinstance(condition, dict) and ("len_min" in condition or "len_max" in condition)
    if lengths and isinstance(value, list | tuple | str):
        return f"{name} has {len(value)} entries"
    return f"{name} is {show(value)}"


def unmet(require: Requirement, run_state: dict[str, Any]) -> list[str]:
    """Every condition the run does not meet, each with the run's actual value; [] passes."""
    lab = run_state.get("lab")
    if lab != require.lab:
        return [f"this run is of the {show(lab)} lab; the challenge needs {show(require.lab)}"]
    found = []
    params = run_state.get("params") or {}
    for name, condition in require.params.items():
        value = lookup(params, name)
        if not holds(condition, value):
            found.append(
                f"{_found(name, value, condition, 'is not set in this run')}; "
                f"needs {describe(condition)}"
            )
    metrics = run_state.get("metrics") or {}
    for name, condition in require.metrics.items():
        value = metrics.get(name, MISSING)
        label = METRIC_NAMES.get(name, name)
        if not holds(condition, value):
            found.append(f"{_found(label, value, condition)}; needs {describe(condition)}")
    if require.step is not None:
        value = run_state.get("step", MISSING)
        if not holds(require.step, value):
            found.append(
                f"{_found('the step count', value, require.step)}; needs {describe(require.step)}"
            )
    return found


def requirement_text(require: Requirement) -> list[str]:
    """The requirement as lines the page can show before the attempt."""
    lines = [f"lab: {require.lab}"]
    lines += [f"{name}: {describe(c)}" for name, c in require.params.items()]
    lines += [
        f"{METRIC_NAMES.get(name, name)}: {describe(c)}" for name, c in require.metrics.items()
    ]
    if require.step is not None:
        lines.append(f"step: {describe(require.step)}")
    return lines
