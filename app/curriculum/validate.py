"""Everything ``layerwise curriculum check`` verifies beyond the files' shape.

References (concepts, lessons, labs, their params and metrics, generators), prerequisite
cycles, each lesson's mix of checks, and every generator against its independent solver
over many seeds. ``validate`` returns the problems found; an empty list means all is well.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable
from typing import Any

from app.curriculum.conditions import assign
from app.curriculum.generators import GENERATORS, Generator
from app.curriculum.loader import Curriculum
from app.curriculum.schema import ChoiceCheck, GeneratedCheck, LabCheck, Lesson

MIN_CHECKS = 4
# A generator's answer and its solver's must agree this closely (they compute the same number).
AGREE_REL, AGREE_ABS = 1e-6, 1e-9

LabParams = Callable[[dict[str, Any]], None]


def cycles(needs: dict[str, list[str]]) -> list[list[str]]:
    """Each prerequisite cycle once, as the path that closes it: [a, b, c, a]."""
    found: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in needs.get(node, []):
            if nxt not in needs:
                continue
            if state.get(nxt) == 1:
                loop = [*path[path.index(nxt) :], nxt]
                if frozenset(loop) not in seen_cycles:
                    seen_cycles.add(frozenset(loop))
                    found.append(loop)
            elif state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in needs:
        if node not in state:
            visit(node, [])
    return found


def challenge_config(lesson: Lesson, check: LabCheck) -> dict[str, Any]:
    """The params a challenge's run starts from: the lesson's preset (same lab), the check's
    preset, and every param the requirement fixes to one value."""
    config = {**(lesson.preset if lesson.lab == check.require.lab else {}), **check.preset}
    for name, condition in check.require.params.items():
        if not isinstance(condition, dict):
            config = assign(config, name, condition) or config
    return config


def _params_problem(lab_params: LabParams, params: dict[str, Any]) -> str | None:
    try:
        lab_params(params)
    except Exception as exc:  # a lab's own refusal, whatever its type, is the message
        return str(exc).replace("\n", " ")
    return None


def _candidates(name: str, condition: Any, presets: list[dict[str, Any]]) -> list[Any]:
    """Values a param condition admits, to try on the lab's Params."""
    if not isinstance(condition, dict):
        return [condition]
    values = [condition[k] for k in ("min", "max") if k in condition]
    values += list(condition.get("in", []))
    if "len_min" in condition or "len_max" in condition:
        example = next((p[name] for p in presets if isinstance(p.get(name), list)), None)
        if example:
            n = condition.get("len_min", condition.get("len_max", 1)) or 1
            values.append([example[i % len(example)] for i in range(n)])
    return values


def _lab_check(
    where: str,
    check: LabCheck,
    lesson: Lesson,
    lab_params: dict[str, LabParams],
    lab_metrics: dict[str, set[str]] | None,
) -> list[str]:
    lab = check.require.lab
    if lab not in lab_params:
        return [f"{where}: check {check.id!r} requires unknown lab {lab!r}"]
    problems = []
    validate_lab = lab_params[lab]
    if check.preset:
        problem = _params_problem(validate_lab, check.preset)
        if problem:
            problems.append(f"{where}: check {check.id!r}: preset rejected by {lab}: {problem}")
    presets = [check.preset, lesson.preset if lesson.lab == lab else {}]
    # each admitted value is tried within the run's starting params, as a learner would set it
    context = {**presets[1], **check.preset}
    # a refused preset is reported on its own; the values are then not tried against it
    params_to_try = {} if _params_problem(validate_lab, context) else check.require.params
    for name, condition in params_to_try.items():
        for value in _candidates(name, condition, presets):
            params = assign(context, name, value)
            if params is None:
                continue  # an index into a list the presets do not set: nothing to try
            problem = _params_problem(validate_lab, params)
            if problem:
                problems.append(
                    f"{where}: check {check.id!r}: require.params.{name} = {value!r} "
                    f"rejected by {lab}: {problem}"
                )
    known = (lab_metrics or {}).get(lab)
    if known is not None:
        for name in check.require.metrics:
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in known):
                problems.append(
                    f"{where}: check {check.id!r}: unknown metric {name!r} for lab {lab!r} "
                    f"(known: {', '.join(sorted(known))})"
                )
    return problems


def _lesson(
    where: str,
    lesson: Lesson,
    curriculum: Curriculum,
    lab_params: dict[str, LabParams],
    lab_metrics: dict[str, set[str]] | None,
) -> list[str]:
    problems = []
    for concept_id in lesson.concepts:
        concept = curriculum.concepts.get(concept_id)
        if concept is None:
            problems.append(f"{where}: unknown concept {concept_id!r}")
        elif lesson.id not in concept.lessons:
            problems.append(
                f"{where}: teaches {concept_id!r}, but concepts.yaml does not list "
                f"{lesson.id!r} among that concept's lessons"
            )
    if lesson.lab is None:
        if lesson.preset:
            problems.append(f"{where}: a preset without a lab")
    elif lesson.lab not in lab_params:
        problems.append(f"{where}: unknown lab {lesson.lab!r}")
    else:
        problem = _params_problem(lab_params[lesson.lab], lesson.preset)
        if problem:
            problems.append(f"{where}: preset rejected by {lesson.lab}: {problem}")
        if not any(isinstance(c, LabCheck) for c in lesson.checks):
            problems.append(f"{where}: has the {lesson.lab} lab but no lab challenge")
    if len(lesson.checks) < MIN_CHECKS:
        count = len(lesson.checks)
        problems.append(
            f"{where}: {count} check{'' if count == 1 else 's'}; at least {MIN_CHECKS} needed"
        )
    if not any(isinstance(c, GeneratedCheck) for c in lesson.checks):
        problems.append(f"{where}: no generated check")
    seen: set[str] = set()
    for check in lesson.checks:
        if check.id in seen:
            problems.append(f"{where}: check id {check.id!r} is used twice")
        seen.add(check.id)
        if isinstance(check, ChoiceCheck) and not 0 <= check.answer < len(check.choices):
            problems.append(
                f"{where}: check {check.id!r}: answer {check.answer} is not an index into "
                f"its {len(check.choices)} choices"
            )
        elif isinstance(check, GeneratedCheck) and check.generator not in GENERATORS:
            problems.append(f"{where}: check {check.id!r}: unknown generator {check.generator!r}")
        elif isinstance(check, LabCheck):
            problems.extend(_lab_check(where, check, lesson, lab_params, lab_metrics))
    return problems


def _agree(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=AGREE_REL, abs_tol=AGREE_ABS)


def check_generator(generator: Generator, seeds: int) -> list[str]:
    """Problems with one generator over seeds 0 … seeds−1 (at most one per kind of fault)."""
    name = generator.name
    prompts: set[str] = set()
    for seed in range(seeds):
        try:
            v = generator.make(seed)
            solved = generator.solve(v.params)
        except Exception as exc:  # any failure of a generator is a problem to report
            return [f"generator {name!r}: seed {seed} raises {type(exc).__name__}: {exc}"]
        prompts.add(v.prompt)
        names = [f.name for f in v.fields]
        if not names or set(names) != set(v.answer) or set(names) != set(v.tolerance):
            return [
                f"generator {name!r}: seed {seed}: fields {names}, answers "
                f"{sorted(v.answer)} and tolerances {sorted(v.tolerance)} differ"
            ]
        if set(solved) != set(names):
            return [
                f"generator {name!r}: seed {seed}: the solver answers {sorted(solved)}, "
                f"the fields are {names}"
            ]
        for key in names:
            ours, theirs = v.answer[key], solved[key]
            if not (math.isfinite(ours) and math.isfinite(theirs)):
                return [
                    f"generator {name!r}: seed {seed}: {key} is not finite "
                    f"({ours!r} vs solver {theirs!r})"
                ]
            if not v.tolerance[key] > 0:
                return [f"generator {name!r}: seed {seed}: tolerance of {key} is not positive"]
            if not _agree(ours, theirs):
                return [
                    f"generator {name!r}: seed {seed}: {key} = {ours!r} but the solver "
                    f"gives {theirs!r}"
                ]
    if seeds > 1 and len(prompts) < 2:
        return [f"generator {name!r}: the prompt is the same for all {seeds} seeds"]
    return []


def validate(
    curriculum: Curriculum,
    lab_params: dict[str, LabParams],
    lab_metrics: dict[str, set[str]] | None = None,
    seeds: int = 200,
) -> list[str]:
    """Every problem of a loaded curriculum; ``lab_params[lab](params)`` raises for params the
    lab refuses (merged over its defaults); ``lab_metrics[lab]`` holds its metric names
    (shell-style patterns allowed; a lab missing there is not checked)."""
    problems: list[str] = []
    for concept in curriculum.concepts.values():
        where = f"concepts.yaml: concept {concept.id!r}"
        problems += [
            f"{where}: needs unknown concept {n!r}"
            for n in concept.needs
            if n not in curriculum.concepts
        ]
        if not concept.lessons:
            problems.append(f"{where}: has no lesson")
        for lesson_id in concept.lessons:
            lesson = curriculum.lessons.get(lesson_id)
            if lesson is None:
                problems.append(f"{where}: unknown lesson {lesson_id!r}")
            elif concept.id not in lesson.concepts:
                problems.append(
                    f"{where}: lists lesson {lesson_id!r}, whose front matter does not name "
                    "this concept"
                )
    for loop in cycles({c.id: list(c.needs) for c in curriculum.concepts.values()}):
        problems.append("concepts.yaml: prerequisite cycle " + " → ".join(loop))
    for lesson in curriculum.lessons.values():
        where = curriculum.files.get(lesson.id, f"lessons/{lesson.id}.md")
        problems += _lesson(where, lesson, curriculum, lab_params, lab_metrics)
    for generator in GENERATORS.values():
        problems += check_generator(generator, seeds)
    return problems
