"""Classes and who is in them: settings, join codes, members, staff, invitations, CSV rosters.

Keyword-only functions on a caller's session; they flush but never commit, so a route's whole
change (an imported roster included) lands in one transaction or not at all. Every change an
instructor makes is written to the audit log. Bad input raises RosterError naming the field.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.classes import GATE_LEVELS, STAFF_ROLES, Class, ClassInvite, Membership
from app.db.models import EMAIL, TEACHING_ROLES, User, audit

# Join codes: no 0/O, 1/I/L, so a code read aloud or copied from a board cannot be misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_CLASS_NAME = 120
MAX_ROSTER_LINES = 2000

# The email shape app.auth.accounts accepts, and the longest display name (users' column).
MAX_NAME = 80


class RosterError(ValueError):
    """A change the roster cannot take; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Member:
    """One row of a class's roster."""

    user_id: int
    name: str
    email: str
    role: str
    joined: datetime


@dataclass(frozen=True)
class ClassSummary:
    """A class as listed for one user: their role in it and how many learners it has."""

    klass: Class
    role: str
    learners: int
    instructors: list[str] = field(default_factory=list)


# -- settings -----------------------------------------------------------------------------


def normal_class_name(name: str) -> str:
    """A class name trimmed to 1–120 printable characters, or RosterError."""
    name = " ".join(name.split())
    if not name:
        raise RosterError("name", "give the class a name, such as 'Deep learning, spring term'")
    if len(name) > MAX_CLASS_NAME or not name.isprintable():
        raise RosterError("name", f"the name may have at most {MAX_CLASS_NAME} characters")
    return name


def check_timezone(zone: str) -> str:
    """An IANA time zone name (Europe/Paris, UTC) that zoneinfo knows, or RosterError."""
    zone = zone.strip()
    try:
        if not zone or len(zone) > 64:
            raise ValueError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise RosterError(
            "timezone", f"unknown time zone {zone!r}: use an IANA name such as Europe/Paris"
        ) from None
    return zone


def check_gate(level: str) -> str:
    """One of GATE_LEVELS, or RosterError."""
    if level not in GATE_LEVELS:
        raise RosterError("required_level", f"the gate must be one of {', '.join(GATE_LEVELS)}")
    return level


def new_join_code(db: Session) -> str:
    """A fresh join code, unused by any class (drawn with ``secrets``)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.scalar(select(func.count()).where(Class.join_code == code)) == 0:
            return code


def normal_code(code: str) -> str:
    """A typed join code as stored: upper-case, without spaces or dashes."""
    return "".join(code.split()).replace("-", "").upper()


def create_class(
    db: Session,
    *,
    name: str,
    creator: User,
    timezone: str = "UTC",
    required_level: str = "familiar",
    now: datetime,
) -> Class:
    """A new class with a fresh join code; its creator becomes its instructor."""
    klass = Class(
        name=normal_class_name(name),
        timezone=check_timezone(timezone),
        required_level=check_gate(required_level),
        join_code=new_join_code(db),
        join_enabled=True,
        created_by=creator.id,
        created_at=now,
    )
    db.add(klass)
    db.flush()
    db.add(
        Membership(
            class_id=klass.id,
            user_id=creator.id,
            role="instructor",
            added_by=creator.id,
            created_at=now,
        )
    )
    audit(db, creator.id, "class.create", "class", klass.id, {"name": klass.name}, now=now)
    db.flush()
    return klass


def update_settings(
    db: Session,
    *,
    klass: Class,
    actor_id: int,
    name: str,
    timezone: str,
    required_level: str,
    now: datetime,
) -> list[str]:
    """Rename the class, change its time zone and gate; the audit actions of what changed."""
    values = {
        "name": normal_class_name(name),
        "timezone": check_timezone(timezone),
        "required_level": check_gate(required_level),
    }
    actions = {"name": "class.rename", "timezone": "class.timezone", "required_level": "class.gate"}
    done = []
    for key, value in values.items():
        old = getattr(klass, key)
        if old != value:
            setattr(klass, key, value)
            audit(
                db, actor_id, actions[key], "class", klass.id, {"from": old, "to": value}, now=now
            )
            done.append(actions[key])
    db.flush()
    return done


def set_archived(
    db: Session, *, klass: Class, archived: bool, actor_id: int, now: datetime
) -> None:
    """Archive the class (it leaves the active list and refuses its code) or bring it back."""
    if archived == (klass.archived_at is not None):
        return
    klass.archived_at = now if archived else None
    action = "class.archive" if archived else "class.unarchive"
    audit(db, actor_id, action, "class", klass.id, now=now)
    db.flush()


def reset_join_code(db: Session, *, klass: Class, actor_id: int, now: datetime) -> str:
    """Replace the join code: the old one stops working at once."""
    klass.join_code = new_join_code(db)
    audit(db, actor_id, "class.join_code.reset", "class", klass.id, now=now)
    db.flush()
    return klass.join_code


def set_joining(db: Session, *, klass: Class, enabled: bool, actor_id: int, now: datetime) -> None:
    """Let learners join with the code, or refuse it while keeping it."""
    if klass.join_enabled == enabled:
        return
    klass.join_enabled = enabled
    action = "class.join_code.enable" if enabled else "class.join_code.disable"
    audit(db, actor_id, action, "class", klass.id, now=now)
    db.flush()


# -- reading ------------------------------------------------------------------------------


def _learner_counts(db: Session, class_ids: list[int]) -> dict[int, int]:
    rows = db.execute(
        select(Membership.class_id, func.count())
        .where(Membership.class_id.in_(class_ids), Membership.role == "learner")
        .group_by(Membership.class_id)
    )
    return {class_id: count for class_id, count in rows}


def instructor_names(db: Session, class_ids: list[int]) -> dict[int, list[str]]:
    """Per class, its instructors' display names (alphabetical)."""
    rows = db.execute(
        select(Membership.class_id, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.class_id.in_(class_ids), Membership.role == "instructor")
        .order_by(User.display_name)
    )
    names: dict[int, list[str]] = {}
    for class_id, name in rows:
        names.setdefault(class_id, []).append(name)
    return names


def staff_classes(db: Session, *, user: User) -> list[ClassSummary]:
    """The classes ``user`` teaches or assists (every class for an admin), active first."""
    if user.role == "admin":
        rows = [(k, "instructor") for k in db.scalars(select(Class))]
    else:
        rows = list(
            db.execute(
                select(Class, Membership.role)
                .join(Membership, Membership.class_id == Class.id)
                .where(Membership.user_id == user.id, Membership.role.in_(STAFF_ROLES))
            )
        )
    counts = _learner_counts(db, [k.id for k, _ in rows])
    summaries = [ClassSummary(k, role, counts.get(k.id, 0)) for k, role in rows]
    return sorted(
        summaries, key=lambda s: (s.klass.archived_at is not None, s.klass.name, s.klass.id)
    )


def learner_classes(db: Session, *, user_id: int) -> list[ClassSummary]:
    """The classes ``user_id`` is a learner in, with their instructors' names."""
    classes = list(
        db.scalars(
            select(Class)
            .join(Membership, Membership.class_id == Class.id)
            .where(Membership.user_id == user_id, Membership.role == "learner")
            .order_by(Class.name, Class.id)
        )
    )
    names = instructor_names(db, [k.id for k in classes])
    return [ClassSummary(k, "learner", 0, names.get(k.id, [])) for k in classes]


def roster(db: Session, *, class_id: int) -> list[Member]:
    """Everyone in the class: instructors, then assistants, then learners, each by name."""
    order = {"instructor": 0, "assistant": 1, "learner": 2}
    rows = db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.class_id == class_id)
    )
    members = [Member(u.id, u.display_name, u.email, m.role, m.created_at) for m, u in rows]
    return sorted(members, key=lambda m: (order[m.role], m.name.lower(), m.email))


def invites(db: Session, *, class_id: int) -> list[ClassInvite]:
    """The class's pending invitations, oldest first."""
    return list(
        db.scalars(
            select(ClassInvite)
            .where(ClassInvite.class_id == class_id)
            .order_by(ClassInvite.created_at, ClassInvite.id)
        )
    )


# -- members ------------------------------------------------------------------------------


def membership(db: Session, *, class_id: int, user_id: int) -> Membership | None:
    """The user's membership of the class, or None."""
    return db.get(Membership, (class_id, user_id))


def _instructor_count(db: Session, class_id: int) -> int:
    return (
        db.scalar(
            select(func.count()).where(
                Membership.class_id == class_id, Membership.role == "instructor"
            )
        )
        or 0
    )


def add_member(
    db: Session, *, klass: Class, user: User, role: str, actor_id: int | None, now: datetime
) -> Membership:
    """Put ``user`` in the class with ``role`` (a new membership; the caller checked none)."""
    row = Membership(
        class_id=klass.id, user_id=user.id, role=role, added_by=actor_id, created_at=now
    )
    db.add(row)
    db.flush()
    return row


def remove_member(db: Session, *, klass: Class, user_id: int, actor_id: int, now: datetime) -> None:
    """Take someone out of the class; the last instructor cannot be removed."""
    row = membership(db, class_id=klass.id, user_id=user_id)
    if row is None:
        raise RosterError("member", f"user {user_id} is not in this class")
    if row.role == "instructor" and _instructor_count(db, klass.id) <= 1:
        raise RosterError(
            "member", "a class needs an instructor: add another one before removing the last"
        )
    detail = {"user_id": user_id, "role": row.role}
    db.delete(row)
    audit(db, actor_id, "class.member.remove", "class", klass.id, detail, now=now)
    db.flush()


def add_staff(
    db: Session, *, klass: Class, email: str, role: str, actor_id: int, now: datetime
) -> User:
    """Make the account with ``email`` an instructor or assistant of the class.

    The account must exist and be an instructor or admin account (``layerwise set-role``
    makes one). A learner of the class becomes staff; a staff member changes role.
    """
    if role not in STAFF_ROLES:
        raise RosterError("role", f"staff are {' or '.join(STAFF_ROLES)}, not {role!r}")
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise RosterError("email", "enter an email address such as ada@example.org")
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        raise RosterError(
            "email", f"no account for {email}: they sign up first, then you add them here"
        )
    if user.role not in TEACHING_ROLES:
        raise RosterError(
            "email",
            f"{email} has a learner account; an administrator must make it an instructor "
            "account (layerwise set-role) before it can teach or assist",
        )
    row = membership(db, class_id=klass.id, user_id=user.id)
    if row is not None and row.role == role:
        raise RosterError("email", f"{email} is already an {role} of this class")
    if row is not None and row.role == "instructor" and _instructor_count(db, klass.id) <= 1:
        raise RosterError("email", f"{email} is the class's only instructor")
    if row is None:
        add_member(db, klass=klass, user=user, role=role, actor_id=actor_id, now=now)
    else:
        row.role = role
    detail = {"user_id": user.id, "role": role}
    audit(db, actor_id, "class.staff.add", "class", klass.id, detail, now=now)
    db.flush()
    return user


def cancel_invite(
    db: Session, *, klass: Class, invite_id: int, actor_id: int, now: datetime
) -> None:
    """Delete one pending invitation of the class."""
    invite = db.get(ClassInvite, invite_id)
    if invite is None or invite.class_id != klass.id:
        raise RosterError("invite", f"no invitation {invite_id} in this class")
    db.delete(invite)
    detail = {"email": invite.email}
    audit(db, actor_id, "class.invite.cancel", "class", klass.id, detail, now=now)
    db.flush()


# -- learners -----------------------------------------------------------------------------


def join_by_code(db: Session, *, user: User, code: str, now: datetime) -> tuple[Class, bool]:
    """Join the class whose code this is, as a learner: (the class, whether newly joined).

    Already a learner: (class, False), not an error. Unknown, disabled or archived codes and
    the class's own staff are refused with RosterError.
    """
    code = normal_code(code)
    if not code:
        raise RosterError("code", "type the class code your instructor gave you")
    klass = db.scalar(select(Class).where(Class.join_code == code))
    if klass is None:
        raise RosterError(
            "code", f"no class has the code {code[:16]}: check it with your instructor"
        )
    if klass.archived_at is not None:
        raise RosterError("code", f"{klass.name} is archived and takes no new learners")
    if not klass.join_enabled:
        raise RosterError(
            "code", f"joining {klass.name} by code is switched off; ask your instructor"
        )
    row = membership(db, class_id=klass.id, user_id=user.id)
    if user.role == "admin" or (row is not None and row.role in STAFF_ROLES):
        raise RosterError(
            "code", f"you are on the staff of {klass.name}, so you cannot join it as a learner"
        )
    if row is not None:
        return klass, False
    add_member(db, klass=klass, user=user, role="learner", actor_id=user.id, now=now)
    audit(db, user.id, "class.join", "class", klass.id, now=now)
    db.flush()
    return klass, True


def leave_class(db: Session, *, user_id: int, class_id: int, now: datetime) -> Class:
    """A learner leaves a class they are in."""
    row = membership(db, class_id=class_id, user_id=user_id)
    klass = db.get(Class, class_id)
    if row is None or klass is None or row.role != "learner":
        raise RosterError("class", f"you are not a learner in class {class_id}")
    db.delete(row)
    audit(db, user_id, "class.leave", "class", class_id, now=now)
    db.flush()
    return klass


def claim_invites(db: Session, *, user: User, now: datetime) -> list[Class]:
    """Turn the invitations for ``user``'s email into memberships (as learner); delete them.

    Called at sign-up and at login. Classes the user is already in (or, for an admin, every
    class) keep their membership as it is.
    """
    found = list(db.scalars(select(ClassInvite).where(ClassInvite.email == user.email.lower())))
    joined = []
    for invite in found:
        klass = db.get(Class, invite.class_id)
        if (
            klass is not None
            and user.role != "admin"
            and membership(db, class_id=klass.id, user_id=user.id) is None
        ):
            add_member(
                db, klass=klass, user=user, role="learner", actor_id=invite.created_by, now=now
            )
            audit(db, user.id, "class.invite.claim", "class", klass.id, now=now)
            joined.append(klass)
    if found:
        db.execute(delete(ClassInvite).where(ClassInvite.id.in_([i.id for i in found])))
        db.flush()
    return joined
