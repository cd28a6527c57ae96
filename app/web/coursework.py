"""Coursework: what an assignment asks of a learner and where the learner stands on it.

An assignment names lessons and/or concepts and a level to reach by a due date. Its
concepts are those its lessons teach, then those it names itself; a learner is done when
every one of them is at the required level or further (app.curriculum.mastery's order).
Pure functions: no database, no clock of their own (``now`` is passed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.curriculum.mastery import CurriculumLike, rank

STATES: tuple[str, ...] = ("upcoming", "open", "done", "overdue")


class AssignmentLike(Protocol):
    """What this module reads of an assignment (app.db.classes.Assignment has it)."""

    id: int
    lesson_ids: list[str]
    concept_ids: list[str]
    required_level: str
    opens_at: datetime | None
    due_at: datetime


@dataclass(frozen=True)
class Status:
    """One learner on one assignment: its state and how many of its concepts are done."""

    state: str  # one of STATES
    done: int
    total: int
    fraction: float
    missing: list[str] = field(default_factory=list)  # concepts below the required level


def assignment_concepts(curriculum: CurriculumLike, assignment: AssignmentLike) -> list[str]:
    """The assignment's concepts: its lessons' concepts, then its own; no repeats.

    Ids the curriculum no longer knows are skipped (a lesson may have been renamed since).
    """
    found: list[str] = []
    lessons = curriculum.lessons
    for lesson_id in assignment.lesson_ids or []:
        lesson = lessons.get(lesson_id)
        for concept_id in lesson.concepts if lesson is not None else []:
            if concept_id in curriculum.concepts and concept_id not in found:
                found.append(concept_id)
    for concept_id in assignment.concept_ids or []:
        if concept_id in curriculum.concepts and concept_id not in found:
            found.append(concept_id)
    return found


def effective_due(assignment: AssignmentLike, extension: Any | None) -> datetime:
    """The learner's due date: the extension's when there is one.

    An extension only ever gives more time: if the assignment's own date was later moved
    past it, the assignment's date wins.
    """
    if extension is None:
        return assignment.due_at
    return max(assignment.due_at, extension.due_at)


def learner_status(
    curriculum: CurriculumLike,
    assignment: AssignmentLike,
    levels: dict[str, str],
    due_at: datetime,
    now: datetime,
) -> Status:
    """Where a learner with ``levels`` (concept id → level) stands on ``assignment`` at ``now``.

    ``done`` when every concept is at the required level or further (even before the
    assignment opens or after it is due); otherwise ``upcoming`` before it opens, ``overdue``
    after ``due_at`` (the learner's own, extension applied), ``open`` in between. An
    assignment none of whose concepts the curriculum still knows counts as done.
    """
    required = rank(assignment.required_level)
    concepts = assignment_concepts(curriculum, assignment)
    missing = [c for c in concepts if rank(levels.get(c, "not_started")) < required]
    total = len(concepts)
    done = total - len(missing)
    fraction = done / total if total else 1.0
    if not missing:
        state = "done"
    elif assignment.opens_at is not None and now < assignment.opens_at:
        state = "upcoming"
    elif now > due_at:
        state = "overdue"
    else:
        state = "open"
    return Status(state=state, done=done, total=total, fraction=fraction, missing=missing)


# -- what the pages list ----------------------------------------------------------------------

ORDER = {"overdue": 0, "open": 0, "upcoming": 1, "done": 2}  # the learner's list, top first


def lesson_groups(curriculum: CurriculumLike) -> list[tuple[Any, list[Any]]]:
    """(concept, its lessons) in curriculum order, each lesson under the first concept it teaches
    (the create form's lesson picker)."""
    placed: set[str] = set()
    groups = []
    for concept in curriculum.concepts.values():
        lessons = []
        for lesson_id in concept.lessons:
            if lesson_id in curriculum.lessons and lesson_id not in placed:
                placed.add(lesson_id)
                lessons.append(curriculum.lessons[lesson_id])
        if lessons:
            groups.append((concept, lessons))
    return groups


def lesson_links(curriculum: CurriculumLike, assignment: AssignmentLike) -> list[tuple[str, str]]:
    """(lesson id, title) of the lessons to open: the assignment's own, then those teaching its
    concepts; no repeats, unknown ids skipped."""
    ids = [i for i in assignment.lesson_ids or [] if i in curriculum.lessons]
    for concept_id in assignment.concept_ids or []:
        concept = curriculum.concepts.get(concept_id)
        ids += [i for i in concept.lessons if i in curriculum.lessons] if concept else []
    return [(i, curriculum.lessons[i].title) for i in dict.fromkeys(ids)]


def titles(curriculum: CurriculumLike, ids: list[str], kind: str) -> list[str]:
    """The titles of lessons (``kind='lessons'``) or concepts; an unknown id stands as itself."""
    table = curriculum.lessons if kind == "lessons" else curriculum.concepts
    return [table[i].title if i in table else i for i in ids]


def learner_order(status: Status, due_at: datetime) -> tuple[int, datetime]:
    """Sort key of the learner's list: open and overdue first, then upcoming, then done; each
    soonest due first."""
    return ORDER[status.state], due_at
