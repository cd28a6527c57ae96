"""Read ``curriculum/``: ``concepts.yaml`` and every ``lessons/<id>.md``.

A lesson file starts with YAML front matter between ``---`` lines. Its Markdown body may hold
fenced blocks (``` or ~~~) whose info string is ``check``: each holds one check as YAML. The
loader takes them out of the body and keeps them, in order, as the lesson's checks.

A file that cannot be read as that shape raises CurriculumError naming the file and the
problem; references between files (labs, prerequisites, generators) are validate.py's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from app.curriculum.schema import Check, Concept, ConceptsFile, Lesson, LessonMeta

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "curriculum"
CHECK_ADAPTER: TypeAdapter[Check] = TypeAdapter(Check)
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")


class CurriculumError(ValueError):
    """The curriculum cannot be loaded; ``problems`` lists each one with its file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Curriculum:
    """Concepts in prerequisite (topological) order and lessons by id."""

    concepts: dict[str, Concept]
    lessons: dict[str, Lesson]
    root: Path | None = None
    files: dict[str, str] = field(default_factory=dict)  # lesson id → file name

    def lessons_for(self, concept_id: str) -> list[Lesson]:
        """The lessons that teach a concept, in the order concepts.yaml lists them."""
        concept = self.concepts[concept_id]
        return [self.lessons[i] for i in concept.lessons if i in self.lessons]


def _errors(exc: ValidationError, where: str) -> list[str]:
    """One line per pydantic error: the file, the field's path and the message."""
    lines = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(p) for p in error["loc"])
        lines.append(f"{where}: {path or 'top level'}: {error['msg']}")
    return lines


def _yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CurriculumError([f"{where}: not valid YAML: {exc}".replace("\n", " ")]) from None


def split_checks(body: str, where: str) -> tuple[str, list[str]]:
    """The body without its ``check`` fences, and each fence's YAML text in order."""
    lines = body.splitlines(keepends=True)
    kept: list[str] = []
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = FENCE.match(line)
        if match is None:
            kept.append(line)
            index += 1
            continue
        marker, info = match.group(1), match.group(2)
        close = re.compile(rf"^ {{0,3}}{marker[0]}{{{len(marker)},}}\s*$")
        end = next((j for j in range(index + 1, len(lines)) if close.match(lines[j])), None)
        if end is None:
            if info == "check":
                raise CurriculumError(
                    [
                        f"{where}: a check fence opened on line "
                        f"{index + 1} of the body is never closed"
                    ]
                )
            end = len(lines) - 1
        if info == "check":
            blocks.append("".join(lines[index + 1 : end]))
        else:
            kept.extend(lines[index : end + 1])
        index = end + 1
    return "".join(kept).strip() + "\n", blocks


def parse_lesson(text: str, where: str) -> Lesson:
    """A lesson from its file's text; ``where`` names the file in errors."""
    match = re.match(r"^---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|$)(.*)\Z", text, re.S | re.M)
    if match is None:
        raise CurriculumError([f"{where}: no front matter (a '---' line, YAML, a '---' line)"])
    meta = _yaml(match.group(1), where)
    if not isinstance(meta, dict):
        raise CurriculumError([f"{where}: the front matter must be a YAML mapping"])
    try:
        LessonMeta.model_validate(meta)
    except ValidationError as exc:
        raise CurriculumError(_errors(exc, where)) from None
    body, blocks = split_checks(match.group(2), where)
    checks: list[Any] = []
    problems: list[str] = []
    for number, block in enumerate(blocks, start=1):
        data = _yaml(block, f"{where}: check {number}")
        label = f"{where}: check {number}"
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            label = f"{where}: check {data['id']!r}"
        try:
            checks.append(CHECK_ADAPTER.validate_python(data))
        except ValidationError as exc:
            problems.extend(_errors(exc, label))
    if problems:
        raise CurriculumError(problems)
    return Lesson.model_validate({**meta, "body": body, "checks": checks})


def topological(concepts: list[Concept]) -> list[Concept]:
    """Concepts with every prerequisite first, ties kept in file order; a cycle's members
    (and what depends on them) follow in file order, for validate() to report."""
    known = {c.id for c in concepts}
    placed: list[Concept] = []
    done: set[str] = set()
    remaining = list(concepts)
    while remaining:
        ready = [c for c in remaining if all(n in done or n not in known for n in c.needs)]
        if not ready:
            placed.extend(remaining)
            break
        first = ready[0]
        placed.append(first)
        done.add(first.id)
        remaining.remove(first)
    return placed


def load_curriculum(root: Path | None = None) -> Curriculum:
    """Load ``root`` (default: the repository's ``curriculum/``); raise CurriculumError."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    concepts_file = root / "concepts.yaml"
    if not concepts_file.is_file():
        raise CurriculumError([f"{concepts_file}: missing"])
    data = _yaml(concepts_file.read_text(encoding="utf-8-sig"), "concepts.yaml")
    problems: list[str] = []
    try:
        concepts = ConceptsFile.model_validate(data).concepts
    except ValidationError as exc:
        problems.extend(_errors(exc, "concepts.yaml"))
        concepts = []
    seen: set[str] = set()
    for concept in concepts:
        if concept.id in seen:
            problems.append(f"concepts.yaml: concept {concept.id!r} is listed twice")
        seen.add(concept.id)
    lessons: dict[str, Lesson] = {}
    files: dict[str, str] = {}
    lesson_dir = root / "lessons"
    for path in sorted(lesson_dir.glob("*.md")) if lesson_dir.is_dir() else []:
        where = f"lessons/{path.name}"
        try:
            lesson = parse_lesson(path.read_text(encoding="utf-8-sig"), where)
        except CurriculumError as exc:
            problems.extend(exc.problems)
            continue
        if lesson.id != path.stem:
            problems.append(f"{where}: id {lesson.id!r} differs from the file name {path.stem!r}")
            continue
        lessons[lesson.id] = lesson
        files[lesson.id] = where
    if problems:
        raise CurriculumError(problems)
    ordered = topological(concepts)
    return Curriculum({c.id: c for c in ordered}, lessons, root, files)
