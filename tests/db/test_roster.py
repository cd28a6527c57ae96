"""Classes and rosters on SQLite and PostgreSQL: codes, members, staff, invitations, CSV import."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import roster
from app.db.classes import Class, ClassInvite, Membership
from app.db.models import AuditLog, User
from app.db.roster import CODE_ALPHABET, RosterError
from app.db.roster_import import import_roster, parse_roster

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _user(db: Session, email: str, role: str = "learner") -> User:
    user = User(email=email, display_name=email.split("@")[0], password_hash="x", role=role)
    db.add(user)
    db.flush()
    return user


def _class(db: Session, teacher: User, name: str = "Deep learning") -> Class:
    return roster.create_class(db, name=name, creator=teacher, timezone="Europe/Paris", now=T0)


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def _roles(db: Session, klass: Class) -> dict[str, str]:
    return {m.email: m.role for m in roster.roster(db, class_id=klass.id)}


def test_create_class_makes_creator_instructor_with_fresh_code(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    klass = _class(db_session, teacher)
    other = _class(db_session, teacher, "Second")
    db_session.commit()
    assert len(klass.join_code) == 8 and set(klass.join_code) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert klass.join_code != other.join_code
    assert (klass.timezone, klass.required_level, klass.join_enabled) == (
        "Europe/Paris",
        "familiar",
        True,
    )
    assert _roles(db_session, klass) == {"t@school.org": "instructor"}
    assert _actions(db_session) == ["class.create", "class.create"]


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"name": "  "}, "name", "give the class a name"),
        ({"name": "x" * 121}, "name", "at most 120"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"timezone": "../etc/passwd"}, "timezone", "unknown time zone"),
        ({"required_level": "mastered"}, "required_level", "familiar, proficient"),
    ],
)
def test_create_class_bad_input_refused(
    db_session: Session, kwargs: dict, field: str, words: str
) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    args = {"name": "Deep learning", "timezone": "UTC", "required_level": "familiar", **kwargs}
    with pytest.raises(RosterError) as caught:
        roster.create_class(db_session, creator=teacher, now=T0, **args)
    assert caught.value.field == field and words in caught.value.message


def test_update_settings_audits_each_change(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    klass = _class(db_session, teacher)
    done = roster.update_settings(
        db_session,
        klass=klass,
        actor_id=teacher.id,
        name="Deep learning II",
        timezone="Europe/Paris",
        required_level="proficient",
        now=T0,
    )
    assert done == ["class.rename", "class.gate"]
    assert (klass.name, klass.required_level) == ("Deep learning II", "proficient")
    rename = db_session.scalar(select(AuditLog).where(AuditLog.action == "class.rename"))
    assert rename.detail == {"from": "Deep learning", "to": "Deep learning II"}


def test_reset_join_code_makes_old_code_fail(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    ada = _user(db_session, "ada@school.org")
    klass = _class(db_session, teacher)
    old = klass.join_code
    new = roster.reset_join_code(db_session, klass=klass, actor_id=teacher.id, now=T0)
    assert new != old and klass.join_code == new
    with pytest.raises(RosterError, match=f"no class has the code {old}"):
        roster.join_by_code(db_session, user=ada, code=old, now=T0)
    # Typed in lower case with a space, the new code works.
    typed = f"{new[:4].lower()} {new[4:]}"
    assert roster.join_by_code(db_session, user=ada, code=typed, now=T0) == (klass, True)
    assert "class.join_code.reset" in _actions(db_session)


def test_join_refused_when_disabled_or_archived(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    ada = _user(db_session, "ada@school.org")
    klass = _class(db_session, teacher)
    roster.set_joining(db_session, klass=klass, enabled=False, actor_id=teacher.id, now=T0)
    with pytest.raises(RosterError, match="joining Deep learning by code is switched off"):
        roster.join_by_code(db_session, user=ada, code=klass.join_code, now=T0)
    roster.set_joining(db_session, klass=klass, enabled=True, actor_id=teacher.id, now=T0)
    roster.set_archived(db_session, klass=klass, archived=True, actor_id=teacher.id, now=T0)
    with pytest.raises(RosterError, match="Deep learning is archived"):
        roster.join_by_code(db_session, user=ada, code=klass.join_code, now=T0)
    assert _roles(db_session, klass) == {"t@school.org": "instructor"}
    assert _actions(db_session)[1:] == [
        "class.join_code.disable",
        "class.join_code.enable",
        "class.archive",
    ]


def test_join_twice_is_a_notice_and_staff_cannot_join(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    ada = _user(db_session, "ada@school.org")
    klass = _class(db_session, teacher)
    assert roster.join_by_code(db_session, user=ada, code=klass.join_code, now=T0)[1] is True
    assert roster.join_by_code(db_session, user=ada, code=klass.join_code, now=T0)[1] is False
    with pytest.raises(RosterError, match="you are on the staff of Deep learning"):
        roster.join_by_code(db_session, user=teacher, code=klass.join_code, now=T0)
    with pytest.raises(RosterError, match="type the class code"):
        roster.join_by_code(db_session, user=ada, code="  ", now=T0)
    assert _roles(db_session, klass)["ada@school.org"] == "learner"


def test_last_instructor_cannot_be_removed(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    _user(db_session, "co@school.org", "instructor")
    klass = _class(db_session, teacher)
    with pytest.raises(RosterError, match="a class needs an instructor"):
        roster.remove_member(db_session, klass=klass, user_id=teacher.id, actor_id=1, now=T0)
    co = roster.add_staff(
        db_session,
        klass=klass,
        email="CO@school.org",
        role="instructor",
        actor_id=teacher.id,
        now=T0,
    )
    roster.remove_member(db_session, klass=klass, user_id=teacher.id, actor_id=co.id, now=T0)
    assert _roles(db_session, klass) == {"co@school.org": "instructor"}
    with pytest.raises(RosterError, match=r"co@school\.org is the class's only instructor"):
        roster.add_staff(
            db_session, klass=klass, email="co@school.org", role="assistant", actor_id=1, now=T0
        )


def test_add_staff_needs_an_instructor_account(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    ada = _user(db_session, "ada@school.org")
    _user(db_session, "ta@school.org", "instructor")
    klass = _class(db_session, teacher)

    def add(email: str, role: str = "assistant") -> None:
        roster.add_staff(
            db_session, klass=klass, email=email, role=role, actor_id=teacher.id, now=T0
        )

    with pytest.raises(RosterError, match=r"no account for nobody@school\.org"):
        add("nobody@school.org")
    with pytest.raises(RosterError, match=r"learner account.*layerwise set-role"):
        add("ada@school.org")
    with pytest.raises(RosterError, match="staff are assistant or instructor"):
        add("ta@school.org", "owner")
    add("ta@school.org")
    with pytest.raises(RosterError, match="already an assistant"):
        add("ta@school.org")
    ada.role = "instructor"  # promoted by an operator: the learner becomes staff
    roster.join_by_code(db_session, user=ada, code=klass.join_code, now=T0)
    add("ada@school.org", "instructor")
    assert _roles(db_session, klass) == {
        "t@school.org": "instructor",
        "ada@school.org": "instructor",
        "ta@school.org": "assistant",
    }


def test_staff_classes_lists_only_yours(db_session: Session) -> None:
    one = _user(db_session, "one@school.org", "instructor")
    two = _user(db_session, "two@school.org", "instructor")
    admin = _user(db_session, "root@school.org", "admin")
    a, b = _class(db_session, one, "B class"), _class(db_session, one, "A class")
    c = _class(db_session, two, "Other")
    roster.set_archived(db_session, klass=b, archived=True, actor_id=one.id, now=T0)
    ada = _user(db_session, "ada@school.org")
    roster.join_by_code(db_session, user=ada, code=a.join_code, now=T0)
    mine = roster.staff_classes(db_session, user=one)
    assert [(s.klass.id, s.role, s.learners) for s in mine] == [
        (a.id, "instructor", 1),
        (b.id, "instructor", 0),
    ]
    assert {s.klass.id for s in roster.staff_classes(db_session, user=admin)} == {
        a.id,
        b.id,
        c.id,
    }
    learning = roster.learner_classes(db_session, user_id=ada.id)
    assert [(s.klass.id, s.instructors) for s in learning] == [(a.id, ["one"])]


def test_claim_invites_makes_learners_and_deletes_them(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    a, b = _class(db_session, teacher, "A"), _class(db_session, teacher, "B")
    import_roster(db_session, klass=a, text="new@school.org,New", actor_id=teacher.id, now=T0)
    import_roster(db_session, klass=b, text="NEW@school.org", actor_id=teacher.id, now=T0)
    assert len(roster.invites(db_session, class_id=a.id)) == 1
    new = _user(db_session, "new@school.org")
    joined = roster.claim_invites(db_session, user=new, now=T0)
    assert {k.id for k in joined} == {a.id, b.id}
    assert db_session.scalars(select(ClassInvite)).all() == []
    assert _roles(db_session, a)["new@school.org"] == "learner"
    assert roster.claim_invites(db_session, user=new, now=T0) == []


def test_cancel_invite_only_in_its_class(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    a, b = _class(db_session, teacher, "A"), _class(db_session, teacher, "B")
    import_roster(db_session, klass=a, text="new@school.org", actor_id=teacher.id, now=T0)
    (invite,) = roster.invites(db_session, class_id=a.id)
    with pytest.raises(RosterError, match=f"no invitation {invite.id} in this class"):
        roster.cancel_invite(db_session, klass=b, invite_id=invite.id, actor_id=1, now=T0)
    roster.cancel_invite(db_session, klass=a, invite_id=invite.id, actor_id=1, now=T0)
    assert roster.invites(db_session, class_id=a.id) == []


ROSTER = """\
Name;Email
Ada Lovelace;ada@school.org
Bob;bob@school.org

Cy;not-an-email
Dee;dee@school.org
Ada again;ADA@school.org
Tess;t@school.org
Eve;eve@school.org
;
Lea;lea@school.org
"""


def test_import_roster_outcomes_with_line_numbers(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    klass = _class(db_session, teacher)
    ada, _ = _user(db_session, "ada@school.org"), _user(db_session, "bob@school.org")
    lea = _user(db_session, "lea@school.org")
    roster.join_by_code(db_session, user=lea, code=klass.join_code, now=T0)
    import_roster(db_session, klass=klass, text="eve@school.org", actor_id=teacher.id, now=T0)
    report = import_roster(db_session, klass=klass, text=ROSTER, actor_id=teacher.id, now=T0)
    got = [(line.number, line.outcome, line.reason) for line in report.lines]
    assert got == [
        (2, "added", ""),
        (3, "added", ""),
        (5, "refused", "not an email address"),
        (6, "invited", "no account yet: joins on sign-up"),
        (7, "refused", "duplicate of line 2"),
        (8, "refused", "staff account: already teaches this class"),
        (9, "already", "already invited"),
        (11, "already", "already a learner"),
    ]
    assert report.counts() == {"added": 2, "invited": 1, "already": 2, "refused": 3}
    assert _roles(db_session, klass)[ada.email] == "learner"
    dee = db_session.scalar(select(ClassInvite).where(ClassInvite.email == "dee@school.org"))
    assert dee.display_name == "Dee"
    entry = db_session.scalars(
        select(AuditLog).where(AuditLog.action == "class.roster.import")
    ).all()[-1]
    assert entry.detail == report.counts()


def test_parse_roster_without_header_and_commas() -> None:
    lines = parse_roster('\ufeffada@school.org, "Lovelace, Ada"\r\nBob Ray,bob@school.org\n')
    assert [(x.number, x.email, x.name) for x in lines] == [
        (1, "ada@school.org", "Lovelace, Ada"),
        (2, "Bob Ray", "bob@school.org"),  # the email column is the first line's
    ]
    names_first = parse_roster("Bob Ray,bob@school.org\nAda,ada@school.org")
    assert [x.email for x in names_first] == ["bob@school.org", "ada@school.org"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the roster is empty"),
        ("\n \n", "the roster is empty"),
        ("a@school.org\n" * 2001, "2001 lines; at most 2000"),
        ('ok@school.org\n"bad@school.org"x,Name\n', "line 2 cannot be read"),
    ],
)
def test_unreadable_roster_applies_nothing(db_session: Session, text: str, words: str) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    _user(db_session, "ok@school.org")
    klass = _class(db_session, teacher)
    with pytest.raises(RosterError, match=words):
        import_roster(db_session, klass=klass, text=text, actor_id=teacher.id, now=T0)
    assert db_session.scalar(select(Membership).where(Membership.role == "learner")) is None
    assert roster.invites(db_session, class_id=klass.id) == []
    assert "class.roster.import" not in _actions(db_session)


def test_import_into_archived_class_refused(db_session: Session) -> None:
    teacher = _user(db_session, "t@school.org", "instructor")
    klass = _class(db_session, teacher)
    roster.set_archived(db_session, klass=klass, archived=True, actor_id=teacher.id, now=T0)
    with pytest.raises(RosterError, match="unarchive it"):
        import_roster(db_session, klass=klass, text="a@school.org", actor_id=1, now=T0)
