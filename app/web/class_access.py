"""Who may see and change a class: the one gate every instructor route goes through.

Every route under ``/classes`` and ``/api/classes`` needs an instructor or admin account
(a learner gets 403). A route about one class then needs a staff membership of that class
(instructor, or assistant where the route allows it); anyone else gets 404, so a class that
is not yours looks the same as one that does not exist. Admins see every class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.classes import Class, Membership
from app.db.models import TEACHING_ROLES, User
from app.web.auth_deps import require_role

Staff = Annotated[User, Depends(require_role(*TEACHING_ROLES))]


@dataclass(frozen=True)
class ClassAccess:
    """A class and the signed-in staff member's role in it ('instructor' or 'assistant')."""

    klass: Class
    user: User
    role: str

    @property
    def is_instructor(self) -> bool:
        """Instructors (and admins) may change the class's settings, staff and assignments."""
        return self.role == "instructor"


def staff_role(db: Session, class_id: int, user: User) -> str | None:
    """The user's staff role in the class ('instructor', 'assistant'), or None."""
    if user.role == "admin":
        return "instructor"
    role = db.scalar(
        select(Membership.role).where(
            Membership.class_id == class_id, Membership.user_id == user.id
        )
    )
    return role if role in ("instructor", "assistant") else None


def class_for(db: Session, class_id: int, user: User, *, need: str = "assistant") -> ClassAccess:
    """The class if ``user`` is on its staff (``need='instructor'``: as an instructor).

    404 when the class does not exist or the user is not on its staff; 403 when an assistant
    asks for what only instructors may do.
    """
    klass = db.get(Class, class_id)
    role = staff_role(db, class_id, user) if klass is not None else None
    if klass is None or role is None:
        raise HTTPException(404, f"no class {class_id} among yours; see /classes")
    if need == "instructor" and role != "instructor":
        raise HTTPException(403, "only the class's instructors may do this (you assist it)")
    return ClassAccess(klass, user, role)
