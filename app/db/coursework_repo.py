"""Assignments and extensions: create, edit, delete, list, and a learner's across classes.

Keyword-only functions on a caller's session; they flush but never commit, so a route's
change and its audit record land together. Each change returns a ``Change`` that the route
writes to the audit log (app.auth.accounts.audit: auth sits above db, so the log is written
there). Bad input raises CourseworkError naming the form field at fault. Times are
aware UTC datetimes (the routes turn the class's wall time into UTC with app.web.classtime).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.classes import TARGET_LEVELS, Assignment, AssignmentExtension, Class, Membership
from app.db.models import User
from app.db.progress import Mastery

MAX_TITLE = 120
MAX_REASON = 200


class CourseworkError(ValueError):
    """A change an assignment cannot take; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Change:
    """What an instructor changed, as the audit log records it (target: the assignment)."""

    action: str  # assignment.create|edit|delete, extension.grant|change|withdraw
    assignment_id: int
    detail: dict[str, Any]


@dataclass(frozen=True)
class Learner:
    """One learner of a class, as the assignment page lists them."""

    user_id: int
    name: str
    email: str


@dataclass(frozen=True)
class LearnerAssignment:
    """One assignment as one learner sees it: its class, their extension and due date."""

    assignment: Assignment
    klass: Class
    extension: AssignmentExtension | None
    due_at: datetime  # the extension's when there is one


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _checked(
    curriculum: Any,
    *,
    title: str,
    lesson_ids: Iterable[str],
    concept_ids: Iterable[str],
    required_level: str,
    opens_at: datetime | None,
    due_at: datetime,
) -> dict[str, Any]:
    """The assignment's fields, validated (CourseworkError names the first bad one)."""
    title = " ".join((title or "").split())
    if not title:
        raise CourseworkError("title", "give the assignment a title")
    if len(title) > MAX_TITLE:
        raise CourseworkError("title", f"a title has at most {MAX_TITLE} characters")
    lessons = list(dict.fromkeys(lesson_ids))
    concepts = list(dict.fromkeys(concept_ids))
    for lesson_id in lessons:
        if lesson_id not in curriculum.lessons:
            raise CourseworkError("lessons", f"unknown lesson {lesson_id!r}")
    for concept_id in concepts:
        if concept_id not in curriculum.concepts:
            raise CourseworkError("concepts", f"unknown concept {concept_id!r}")
    if not lessons and not concepts:
        raise CourseworkError("lessons", "pick at least one lesson or concept")
    if required_level not in TARGET_LEVELS:
        raise CourseworkError(
            "level", f"unknown level {required_level!r}; one of {', '.join(TARGET_LEVELS)}"
        )
    for name, moment in (("opens", opens_at), ("due", due_at)):
        if moment is not None and moment.tzinfo is None:
            raise CourseworkError(name, "a date must carry its time zone")
    if opens_at is not None and due_at <= opens_at:
        raise CourseworkError("due", "the due date must come after the open date")
    return {
        "title": title,
        "lesson_ids": lessons,
        "concept_ids": concepts,
        "required_level": required_level,
        "opens_at": opens_at,
        "due_at": due_at,
    }


def _detail(assignment: Assignment) -> dict[str, Any]:
    return {
        "title": assignment.title,
        "lessons": list(assignment.lesson_ids),
        "concepts": list(assignment.concept_ids),
        "level": assignment.required_level,
        "opens_at": _iso(assignment.opens_at),
        "due_at": _iso(assignment.due_at),
    }


def create_assignment(
    db: Session, *, curriculum: Any, class_id: int, actor_id: int, now: datetime, **fields: Any
) -> Change:
    """A new assignment of the class (fields: title, lesson_ids, concept_ids, required_level,
    opens_at, due_at); the change's ``assignment_id`` is the new assignment's."""
    assignment = Assignment(
        class_id=class_id, created_by=actor_id, created_at=now, **_checked(curriculum, **fields)
    )
    db.add(assignment)
    db.flush()
    return Change("assignment.create", assignment.id, _detail(assignment))


def edit_assignment(
    db: Session, *, curriculum: Any, assignment: Assignment, **fields: Any
) -> Change:
    """Change every field of an assignment at once (the edit form sends them all)."""
    before = _detail(assignment)
    for key, value in _checked(curriculum, **fields).items():
        setattr(assignment, key, value)
    db.flush()
    after = _detail(assignment)
    changed = {
        key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]
    }
    return Change("assignment.edit", assignment.id, changed)


def delete_assignment(db: Session, *, assignment: Assignment) -> Change:
    """Delete an assignment and its extensions (deleted here too, whatever the database)."""
    change = Change(
        "assignment.delete", assignment.id, _detail(assignment) | {"class_id": assignment.class_id}
    )
    db.execute(
        delete(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment.id)
    )
    db.delete(assignment)
    db.flush()
    return change


def get_assignment(db: Session, *, class_id: int, assignment_id: int) -> Assignment | None:
    """The class's assignment ``assignment_id``, or None (another class's is None too)."""
    assignment = db.get(Assignment, assignment_id)
    return assignment if assignment is not None and assignment.class_id == class_id else None


def class_assignments(db: Session, *, class_id: int) -> list[Assignment]:
    """The class's assignments, soonest due first."""
    query = select(Assignment).where(Assignment.class_id == class_id)
    return list(db.scalars(query.order_by(Assignment.due_at, Assignment.id)))


def class_learners(db: Session, *, class_id: int) -> list[Learner]:
    """The class's learners (not its staff), by name."""
    rows = db.execute(
        select(User.id, User.display_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.class_id == class_id, Membership.role == "learner")
        .order_by(User.display_name, User.id)
    )
    return [Learner(user_id, name, email) for user_id, name, email in rows]


def levels_by_learner(db: Session, *, user_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """user id → (concept id → level) for every user given (one query)."""
    ids = list(user_ids)
    levels: dict[int, dict[str, str]] = {user_id: {} for user_id in ids}
    if ids:
        query = select(Mastery.user_id, Mastery.concept_id, Mastery.level)
        for user_id, concept_id, level in db.execute(query.where(Mastery.user_id.in_(ids))):
            levels[user_id][concept_id] = level
    return levels


def extensions_of(db: Session, *, assignment_id: int) -> dict[int, AssignmentExtension]:
    """user id → that learner's extension of the assignment."""
    query = select(AssignmentExtension).where(AssignmentExtension.assignment_id == assignment_id)
    return {extension.user_id: extension for extension in db.scalars(query)}


def grant_extension(
    db: Session,
    *,
    assignment: Assignment,
    user_id: int,
    due_at: datetime,
    actor_id: int,
    now: datetime,
    reason: str | None = None,
) -> Change:
    """Give a learner of the class a later due date, or change the one they have.

    ``actor_id`` is kept on the extension (who granted it); ``now`` is its creation time."""
    is_learner = db.scalar(
        select(Membership.user_id).where(
            Membership.class_id == assignment.class_id,
            Membership.user_id == user_id,
            Membership.role == "learner",
        )
    )
    if is_learner is None:
        raise CourseworkError("user_id", f"user {user_id} is not a learner of this class")
    if due_at.tzinfo is None:
        raise CourseworkError("due", "a date must carry its time zone")
    if due_at <= assignment.due_at:
        raise CourseworkError("due", "an extension must end after the assignment's due date")
    reason = " ".join((reason or "").split()) or None
    if reason is not None and len(reason) > MAX_REASON:
        raise CourseworkError("reason", f"a reason has at most {MAX_REASON} characters")
    extension = db.get(AssignmentExtension, (assignment.id, user_id))
    action = "extension.change" if extension is not None else "extension.grant"
    if extension is None:
        extension = AssignmentExtension(
            assignment_id=assignment.id, user_id=user_id, created_at=now
        )
        db.add(extension)
    before = _iso(extension.due_at) if action == "extension.change" else None
    extension.due_at = due_at
    extension.reason = reason
    extension.by_user_id = actor_id
    detail = {"user_id": user_id, "from": before, "to": _iso(due_at), "reason": reason}
    db.flush()
    return Change(action, assignment.id, detail)


def withdraw_extension(db: Session, *, assignment: Assignment, user_id: int) -> Change | None:
    """Take a learner's extension back; None when they had none."""
    extension = db.get(AssignmentExtension, (assignment.id, user_id))
    if extension is None:
        return None
    detail = {"user_id": user_id, "was": _iso(extension.due_at)}
    db.delete(extension)
    db.flush()
    return Change("extension.withdraw", assignment.id, detail)


def learner_classes(db: Session, *, user_id: int) -> list[Class]:
    """The non-archived classes the user is a learner of."""
    query = (
        select(Class)
        .join(Membership, Membership.class_id == Class.id)
        .where(Membership.user_id == user_id, Membership.role == "learner")
        .where(Class.archived_at.is_(None))
    )
    return list(db.scalars(query.order_by(Class.name, Class.id)))


def learner_assignments(db: Session, *, user_id: int) -> list[LearnerAssignment]:
    """Every assignment of the user's non-archived classes (as a learner), extensions applied."""
    classes = {klass.id: klass for klass in learner_classes(db, user_id=user_id)}
    if not classes:
        return []
    query = select(Assignment).where(Assignment.class_id.in_(list(classes)))
    assignments = list(db.scalars(query.order_by(Assignment.due_at, Assignment.id)))
    extensions: Mapping[int, AssignmentExtension] = {}
    if assignments:
        found = db.scalars(
            select(AssignmentExtension).where(
                AssignmentExtension.user_id == user_id,
                AssignmentExtension.assignment_id.in_([a.id for a in assignments]),
            )
        )
        extensions = {extension.assignment_id: extension for extension in found}
    rows = []
    for assignment in assignments:
        extension = extensions.get(assignment.id)
        due = max(assignment.due_at, extension.due_at) if extension else assignment.due_at
        rows.append(LearnerAssignment(assignment, classes[assignment.class_id], extension, due))
    return rows
