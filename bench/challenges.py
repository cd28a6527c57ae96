"""Is each lab challenge met by just training from its starting settings, and how fast?

For every ``kind: lab`` check of the curriculum: build the lab at the challenge's starting
params (``challenge_config``), then step it the lab's ``steps_per_frame`` at a time, take a
frame and grade the run as the server would (lab, params, step, frame metrics). A run stops
when the challenge is met, when its ``require.step.max`` is passed, when the lab stops
stepping by itself (early stopping), or at a wall-clock cap. A challenge whose params
conditions do not hold at the start cannot be met by training alone: it is reported as
needing a change of settings, without training.

    python -m bench.challenges [--max-seconds S] [--only lesson,...]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from app.curriculum.checks import grade
from app.curriculum.conditions import holds, lookup
from app.curriculum.loader import load_curriculum
from app.curriculum.schema import LabCheck, Lesson
from app.curriculum.validate import challenge_config
from app.live.worker import Worker

NEEDS_CHANGE = "needs a change of settings"


@dataclass
class Result:
    lesson: str
    check: str
    lab: str
    met: bool
    steps: int
    seconds: float
    note: str  # why not met ("" when met)


def _run_state(lab_id: str, lab: Any, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "lab": lab_id,
        "params": lab.params.model_dump(mode="json"),
        "step": lab.step_count,
        "metrics": metrics,
    }


def _unmet_text(feedback: str) -> str:
    return feedback.removeprefix("Not yet: ").rstrip(".")


def run_challenge(lesson: Lesson, check: LabCheck, max_seconds: float) -> Result:
    """Train one challenge from its starting settings until met, past its step limit, or capped."""
    lab_id = check.require.lab
    config = challenge_config(lesson, check)
    worker = Worker()
    start = time.perf_counter()
    worker.build("bench", lab_id, config)
    lab = worker.runs["bench"]
    params = lab.params.model_dump(mode="json")
    off = [n for n, c in check.require.params.items() if not holds(c, lookup(params, n))]
    if off:
        note = f"{NEEDS_CHANGE} ({', '.join(off)} not as required at the start)"
        return Result(lesson.id, check.id, lab_id, False, 0, 0.0, note)
    step_max = check.require.step.get("max") if isinstance(check.require.step, dict) else None
    k = int(getattr(lab.params, "steps_per_frame", 1) or 1)
    metrics = dict(lab.frame().metrics)
    g = grade(check, None, {}, _run_state(lab_id, lab, metrics))
    why = ""
    while not g.correct:
        if step_max is not None and lab.step_count >= step_max:
            why = f"step limit {step_max} reached"
            break
        if time.perf_counter() - start > max_seconds:
            why = f"cap of {max_seconds:g} s reached"
            break
        before = lab.step_count
        lab.step(k)
        metrics = dict(lab.frame().metrics)
        g = grade(check, None, {}, _run_state(lab_id, lab, metrics))
        if not g.correct and lab.step_count == before:
            why = "the run stopped stepping"
            break
    seconds = time.perf_counter() - start
    note = "" if g.correct else f"{why}: {_unmet_text(g.feedback)}"
    worker.drop("bench")
    return Result(lesson.id, check.id, lab_id, g.correct, lab.step_count, seconds, note)


def challenges(only: list[str] | None = None) -> list[tuple[Lesson, LabCheck]]:
    """Every lab challenge of the curriculum (of the lessons in ``only``, when given)."""
    curriculum = load_curriculum()
    found = []
    for lesson in curriculum.lessons.values():
        if only and lesson.id not in only:
            continue
        found += [(lesson, c) for c in lesson.checks if isinstance(c, LabCheck)]
    return found


def table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| lesson | check | lab | met | steps | seconds | unmet condition |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.lesson} | {r.check} | {r.lab} | {'yes' if r.met else 'no'} | {r.steps} "
            f"| {r.seconds:.1f} | {r.note.replace('|', '/')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.challenges", description=__doc__)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="cap per challenge")
    parser.add_argument("--only", default="", help="comma-separated lesson ids")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    only = [s for s in args.only.split(",") if s] or None
    results = []
    for lesson, check in challenges(only):
        r = run_challenge(lesson, check, args.max_seconds)
        print(
            f"{r.lesson} {r.check}: {'met' if r.met else 'not met'} at step {r.steps} "
            f"in {r.seconds:.1f} s {r.note}",
            flush=True,
        )
        results.append(r)
    print(table(results), flush=True)
    return results


if __name__ == "__main__":
    main()
