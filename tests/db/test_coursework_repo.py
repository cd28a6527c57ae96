"""Assignments and extensions on SQLite and PostgreSQL: validation, changes, a learner's view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.curriculum.loader import Curriculum, load_curriculum
from app.db import coursework_repo as repo
from app.db.classes import Assignment, AssignmentExtension, Class, Membership
from app.db.coursework_repo import CourseworkError
from app.db.models import User
from app.db.progress import Mastery
from tests.web.learn_fixtures import write_curriculum

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=7)


@pytest.fixture
def curriculum(tmp_path: Path) -> Curriculum:
    """The three-concept test curriculum."""
    return load_curriculum(write_curriculum(tmp_path / "curriculum"))


def _user(db: Session, email: str, role: str = "learner") -> User:
    user = User(email=email, display_name=email.split("@")[0], password_hash="x", role=role)
    db.add(user)
    db.flush()
    return user


def _class(db: Session, name: str, members: dict[User, str], **extra) -> Class:
    klass = Class(name=name, timezone="Europe/Berlin", **extra)
    db.add(klass)
    db.flush()
    for user, role in members.items():
        db.add(Membership(class_id=klass.id, user_id=user.id, role=role))
    db.flush()
    return klass


def _fields(**change) -> dict:
    fields = {
        "title": "Week 1",
        "lesson_ids": ["composition"],
        "concept_ids": [],
        "required_level": "familiar",
        "opens_at": T0,
        "due_at": DUE,
    }
    return fields | change


def _make(db: Session, curriculum: Curriculum, klass: Class, actor: User, **change) -> Assignment:
    made = repo.create_assignment(
        db, curriculum=curriculum, class_id=klass.id, actor_id=actor.id, now=T0, **_fields(**change)
    )
    return db.get(Assignment, made.assignment_id)


def test_create_edit_delete_assignment(db_session: Session, curriculum: Curriculum) -> None:
    db = db_session
    teacher = _user(db, "teach@example.org", "instructor")
    klass = _class(db, "A", {teacher: "instructor"})
    made = repo.create_assignment(
        db,
        curriculum=curriculum,
        class_id=klass.id,
        actor_id=teacher.id,
        now=T0,
        **_fields(title="  Week   1 ", concept_ids=["softmax-ce", "softmax-ce"]),
    )
    assert made.action == "assignment.create" and made.detail["title"] == "Week 1"
    db.commit()
    db.expunge_all()
    row = db.get(Assignment, made.assignment_id)
    assert (row.title, row.lesson_ids, row.concept_ids) == (
        "Week 1",
        ["composition"],
        ["softmax-ce"],
    )
    assert (row.opens_at, row.due_at, row.created_by) == (T0, DUE, teacher.id)
    edit = repo.edit_assignment(
        db,
        curriculum=curriculum,
        assignment=row,
        **_fields(
            title="Week 2",
            lesson_ids=[],
            concept_ids=["initialization"],
            opens_at=None,
            required_level="proficient",
        ),
    )
    db.commit()
    db.expunge_all()
    row = db.get(Assignment, made.assignment_id)
    assert (row.title, row.lesson_ids, row.concept_ids) == ("Week 2", [], ["initialization"])
    assert (row.required_level, row.opens_at) == ("proficient", None)
    assert edit.action == "assignment.edit"
    assert edit.detail["title"] == {"from": "Week 1", "to": "Week 2"}
    assert edit.detail["opens_at"] == {"from": T0.isoformat(), "to": None}
    assert "due_at" not in edit.detail
    assert [a.id for a in repo.class_assignments(db, class_id=klass.id)] == [row.id]
    gone = repo.delete_assignment(db, assignment=row)
    db.commit()
    assert (gone.action, gone.assignment_id, gone.detail["class_id"]) == (
        "assignment.delete",
        made.assignment_id,
        klass.id,
    )
    assert db.get(Assignment, made.assignment_id) is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "  "}, "title", "give the assignment a title"),
        ({"title": "x" * 121}, "title", "at most 120"),
        ({"lesson_ids": ["nope"]}, "lessons", "unknown lesson 'nope'"),
        ({"concept_ids": ["gone"]}, "concepts", "unknown concept 'gone'"),
        ({"lesson_ids": []}, "lessons", "at least one lesson or concept"),
        ({"required_level": "expert"}, "level", "unknown level 'expert'"),
        ({"due_at": T0}, "due", "after the open date"),
        ({"due_at": T0 - timedelta(days=1)}, "due", "after the open date"),
        ({"due_at": datetime(2026, 3, 9)}, "due", "time zone"),
    ],
)
def test_bad_assignment_is_named(
    db_session: Session, curriculum: Curriculum, change: dict, field: str, message: str
) -> None:
    teacher = _user(db_session, "teach@example.org", "instructor")
    klass = _class(db_session, "A", {teacher: "instructor"})
    with pytest.raises(CourseworkError, match=message) as err:
        repo.create_assignment(
            db_session,
            curriculum=curriculum,
            class_id=klass.id,
            actor_id=teacher.id,
            now=T0,
            **_fields(**change),
        )
    assert err.value.field == field
    assert db_session.scalars(select(Assignment)).all() == []


def test_extensions_grant_change_withdraw(db_session: Session, curriculum: Curriculum) -> None:
    db = db_session
    teacher = _user(db, "teach@example.org", "instructor")
    ada, helper, outsider = (_user(db, f"{n}@example.org") for n in ("ada", "help", "out"))
    klass = _class(db, "A", {teacher: "instructor", ada: "learner", helper: "assistant"})
    work = _make(db, curriculum, klass, teacher)
    for user in (helper, outsider):
        with pytest.raises(CourseworkError, match="not a learner of this class") as err:
            repo.grant_extension(
                db,
                assignment=work,
                user_id=user.id,
                due_at=DUE + timedelta(days=1),
                actor_id=teacher.id,
                now=T0,
            )
        assert err.value.field == "user_id"
    with pytest.raises(CourseworkError, match="after the assignment's due date"):
        repo.grant_extension(
            db, assignment=work, user_id=ada.id, due_at=DUE, actor_id=teacher.id, now=T0
        )
    first = repo.grant_extension(
        db,
        assignment=work,
        user_id=ada.id,
        due_at=DUE + timedelta(days=1),
        actor_id=teacher.id,
        now=T0,
        reason="  ill ",
    )
    again = repo.grant_extension(
        db,
        assignment=work,
        user_id=ada.id,
        due_at=DUE + timedelta(days=3),
        actor_id=teacher.id,
        now=T0,
    )
    assert (first.action, first.detail["reason"], first.detail["from"]) == (
        "extension.grant",
        "ill",
        None,
    )
    assert (again.action, again.detail["from"]) == (
        "extension.change",
        (DUE + timedelta(days=1)).isoformat(),
    )
    db.commit()
    db.expunge_all()
    extensions = repo.extensions_of(db, assignment_id=work.id)
    assert list(extensions) == [ada.id]
    assert (extensions[ada.id].due_at, extensions[ada.id].reason) == (DUE + timedelta(days=3), None)
    work = db.get(Assignment, work.id)
    assert extensions[ada.id].by_user_id == teacher.id
    taken = repo.withdraw_extension(db, assignment=work, user_id=ada.id)
    assert (taken.action, taken.detail["user_id"]) == ("extension.withdraw", ada.id)
    assert repo.withdraw_extension(db, assignment=work, user_id=ada.id) is None
    db.commit()
    assert db.scalars(select(AssignmentExtension)).all() == []


def test_deleting_an_assignment_takes_its_extensions(
    db_session: Session, curriculum: Curriculum
) -> None:
    db = db_session
    teacher, ada = _user(db, "t@example.org", "instructor"), _user(db, "ada@example.org")
    klass = _class(db, "A", {teacher: "instructor", ada: "learner"})
    work = _make(db, curriculum, klass, teacher)
    repo.grant_extension(
        db,
        assignment=work,
        user_id=ada.id,
        due_at=DUE + timedelta(days=1),
        actor_id=teacher.id,
        now=T0,
    )
    db.commit()
    repo.delete_assignment(db, assignment=work)
    db.commit()
    assert db.scalars(select(AssignmentExtension)).all() == []


def test_learner_assignments_across_classes(db_session: Session, curriculum: Curriculum) -> None:
    db = db_session
    teacher = _user(db, "t@example.org", "instructor")
    ada, bob = _user(db, "ada@example.org"), _user(db, "bob@example.org")
    a = _class(db, "A", {teacher: "instructor", ada: "learner", bob: "learner"})
    b = _class(db, "B", {ada: "learner"})
    old = _class(db, "Old", {ada: "learner"}, archived_at=T0)
    taught = _class(db, "Taught", {ada: "assistant"})
    made = {}
    for klass, days in ((a, 7), (b, 3), (old, 1), (taught, 2)):
        made[klass.name] = _make(
            db, curriculum, klass, teacher, title=klass.name, due_at=T0 + timedelta(days=days)
        )
    later = T0 + timedelta(days=9)
    repo.grant_extension(
        db, assignment=made["A"], user_id=ada.id, due_at=later, actor_id=teacher.id, now=T0
    )
    db.commit()
    rows = repo.learner_assignments(db, user_id=ada.id)
    assert [(r.klass.name, r.assignment.title) for r in rows] == [("B", "B"), ("A", "A")]
    assert [r.due_at for r in rows] == [T0 + timedelta(days=3), later]
    assert rows[1].extension is not None and rows[0].extension is None
    bobs = repo.learner_assignments(db, user_id=bob.id)
    assert [(r.assignment.title, r.due_at, r.extension) for r in bobs] == [("A", DUE, None)]
    assert repo.learner_assignments(db, user_id=teacher.id) == []
    assert [c.name for c in repo.learner_classes(db, user_id=ada.id)] == ["A", "B"]
    learners = repo.class_learners(db, class_id=a.id)
    assert [(x.user_id, x.name) for x in learners] == [(ada.id, "ada"), (bob.id, "bob")]


def test_levels_by_learner(db_session: Session) -> None:
    db = db_session
    ada, bob = _user(db, "ada@example.org"), _user(db, "bob@example.org")
    for user, concept, level in ((ada, "composition", "familiar"), (ada, "softmax-ce", "mastered")):
        db.add(Mastery(user_id=user.id, concept_id=concept, level=level, updated_at=T0))
    db.commit()
    assert repo.levels_by_learner(db, user_ids=[ada.id, bob.id]) == {
        ada.id: {"composition": "familiar", "softmax-ce": "mastered"},
        bob.id: {},
    }
    assert repo.levels_by_learner(db, user_ids=[]) == {}
