"""Classes for their staff: the list, creating one, the Roster tab, CSV import.

Every route under ``/classes`` and ``/api/classes`` goes through ``class_access``: a learner
account gets 403, a class that is not yours 404, and an assistant 403 on what only its
instructors may change. Changes answer a 303 back to the Roster tab with a notice, or the
tab again with the error beside its field. Learners join at ``/join`` with a class's code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.db import roster
from app.db.classes import GATE_LEVELS, STAFF_ROLES
from app.db.roster import RosterError
from app.db.roster_import import ImportReport, import_roster
from app.web.accounts import FormDep, read_form
from app.web.auth_deps import DbDep, now
from app.web.class_access import ClassAccess, Staff, class_for
from app.web.pages import templates

router = APIRouter()
MAX_UPLOAD_BYTES = 512 * 1024
NOTICES = {
    "settings": "The class settings were saved.",
    "archive": "The class is archived: its code is refused until you bring it back.",
    "unarchive": "The class is active again.",
    "reset": "A new join code was made; the old one no longer works.",
    "disable": "Joining by code is off. The code is kept for when you switch it back on.",
    "enable": "Joining by code is on.",
    "remove": "They were taken out of the class.",
    "staff": "The staff member was added.",
    "cancel": "The invitation was cancelled.",
}


@cache
def time_zones() -> list[str]:
    """Every IANA time zone name zoneinfo knows, sorted (the create form's suggestions)."""
    return sorted(available_timezones())


def _class_json(summary: roster.ClassSummary) -> dict[str, Any]:
    k = summary.klass
    return {
        "id": k.id,
        "name": k.name,
        "timezone": k.timezone,
        "required_level": k.required_level,
        "role": summary.role,
        "learners": summary.learners,
        "join_code": k.join_code,
        "join_enabled": k.join_enabled,
        "archived": k.archived_at is not None,
    }


# -- the class list -----------------------------------------------------------------------


def list_page(
    request: Request,
    db: Session,
    user: Staff,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    """Your classes (active, then archived) and the form that creates one."""
    classes = roster.staff_classes(db, user=user)
    default_zone = (
        max(classes, key=lambda s: s.klass.created_at).klass.timezone if classes else "UTC"
    )
    context = {
        "active": [s for s in classes if s.klass.archived_at is None],
        "archived": [s for s in classes if s.klass.archived_at is not None],
        "zones": time_zones(),
        "gate_levels": GATE_LEVELS,
        "errors": errors or {},
        "form": form or {"timezone": default_zone, "required_level": "familiar"},
        "guess_zone": not classes and not form,
    }
    return templates.TemplateResponse(request, "classes/list.html", context, status_code=status)


@router.get("/classes", response_class=HTMLResponse)
def class_list(request: Request, user: Staff, db: DbDep) -> HTMLResponse:
    """The classes you teach or assist, and a form to create one."""
    return list_page(request, db, user)


@router.post("/classes")
def class_create(request: Request, user: Staff, form: FormDep, db: DbDep) -> Response:
    """Create a class (you become its instructor) and open its Roster tab."""
    try:
        klass = roster.create_class(
            db,
            name=form.get("name", ""),
            creator=user,
            timezone=form.get("timezone", "UTC"),
            required_level=form.get("required_level", "familiar"),
            now=now(request),
        )
    except RosterError as exc:
        db.rollback()
        return list_page(request, db, user, status=400, errors={exc.field: exc.message}, form=form)
    db.commit()
    return RedirectResponse(f"/classes/{klass.id}", status_code=303)


@router.get("/api/classes")
def api_classes(user: Staff, db: DbDep) -> dict[str, Any]:
    """Your classes as JSON: role, learner count, join code, state."""
    return {"classes": [_class_json(s) for s in roster.staff_classes(db, user=user)]}


# -- one class's Roster tab ---------------------------------------------------------------


def roster_page(
    request: Request,
    db: Session,
    access: ClassAccess,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    report: ImportReport | None = None,
) -> HTMLResponse:
    """The Roster tab: settings, join code, members, staff, invitations, CSV import."""
    klass = access.klass
    members = roster.roster(db, class_id=klass.id)
    code = klass.join_code or ""
    context = {
        "klass": klass,
        "tab": "roster",
        "access": access,
        "can_edit": access.is_instructor,
        "staff": [m for m in members if m.role in STAFF_ROLES],
        "learners": [m for m in members if m.role == "learner"],
        "invites": roster.invites(db, class_id=klass.id),
        "join_url": f"{str(request.base_url).rstrip('/')}/join?code={quote(code)}",
        "zones": time_zones(),
        "gate_levels": GATE_LEVELS,
        "staff_roles": STAFF_ROLES,
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "errors": errors or {},
        "form": form or {},
        "report": report,
        "instructors": sum(m.role == "instructor" for m in members),
    }
    return templates.TemplateResponse(request, "classes/roster.html", context, status_code=status)


@router.get("/classes/{class_id}", response_class=HTMLResponse)
def class_roster(request: Request, class_id: int, user: Staff, db: DbDep) -> HTMLResponse:
    """One class's Roster tab (read-only for its assistants)."""
    return roster_page(request, db, class_for(db, class_id, user))


@router.get("/api/classes/{class_id}/roster")
def api_roster(class_id: int, user: Staff, db: DbDep) -> dict[str, Any]:
    """One class's members and pending invitations as JSON."""
    access = class_for(db, class_id, user)
    members = roster.roster(db, class_id=class_id)
    return {
        "class": _class_json(
            roster.ClassSummary(
                access.klass, access.role, sum(m.role == "learner" for m in members)
            )
        ),
        "members": [
            {
                "user_id": m.user_id,
                "name": m.name,
                "email": m.email,
                "role": m.role,
                "joined": m.joined.isoformat(),
            }
            for m in members
        ],
        "invites": [
            {
                "id": i.id,
                "email": i.email,
                "name": i.display_name,
                "created": i.created_at.isoformat(),
            }
            for i in roster.invites(db, class_id=class_id)
        ],
    }


Change = Callable[[ClassAccess, datetime], object]


def change(
    request: Request, db: Session, class_id: int, user: Staff, done: str, act: Change
) -> Response:
    """Run one instructor-only change: commit and go back with a notice, or show the error."""
    access = class_for(db, class_id, user, need="instructor")
    try:
        act(access, now(request))
    except RosterError as exc:
        db.rollback()
        return roster_page(request, db, access, status=400, errors={exc.field: exc.message})
    db.commit()
    return RedirectResponse(f"/classes/{class_id}?done={done}", status_code=303)


@router.post("/classes/{class_id}/settings")
def class_settings(
    request: Request, class_id: int, user: Staff, form: FormDep, db: DbDep
) -> Response:
    """Rename the class, change its time zone or its gate level."""
    access = class_for(db, class_id, user, need="instructor")
    try:
        roster.update_settings(
            db,
            klass=access.klass,
            actor_id=user.id,
            name=form.get("name", ""),
            timezone=form.get("timezone", ""),
            required_level=form.get("required_level", ""),
            now=now(request),
        )
    except RosterError as exc:
        db.rollback()
        errors = {exc.field: exc.message}
        return roster_page(request, db, access, status=400, errors=errors, form=form)
    db.commit()
    return RedirectResponse(f"/classes/{class_id}?done=settings", status_code=303)


@router.post("/classes/{class_id}/archive")
def class_archive(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """Archive the class: it moves to the end of the list and its code is refused."""
    return change(
        request,
        db,
        class_id,
        user,
        "archive",
        lambda a, t: roster.set_archived(db, klass=a.klass, archived=True, actor_id=user.id, now=t),
    )


@router.post("/classes/{class_id}/unarchive")
def class_unarchive(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """Bring an archived class back."""
    return change(
        request,
        db,
        class_id,
        user,
        "unarchive",
        lambda a, t: roster.set_archived(
            db, klass=a.klass, archived=False, actor_id=user.id, now=t
        ),
    )


@router.post("/classes/{class_id}/join-code/reset")
def join_code_reset(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """Make a new join code; the old one stops working."""
    return change(
        request,
        db,
        class_id,
        user,
        "reset",
        lambda a, t: roster.reset_join_code(db, klass=a.klass, actor_id=user.id, now=t),
    )


@router.post("/classes/{class_id}/join-code/disable")
def join_code_disable(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """Refuse the join code (kept for later)."""
    return change(
        request,
        db,
        class_id,
        user,
        "disable",
        lambda a, t: roster.set_joining(db, klass=a.klass, enabled=False, actor_id=user.id, now=t),
    )


@router.post("/classes/{class_id}/join-code/enable")
def join_code_enable(request: Request, class_id: int, user: Staff, db: DbDep) -> Response:
    """Accept the join code again."""
    return change(
        request,
        db,
        class_id,
        user,
        "enable",
        lambda a, t: roster.set_joining(db, klass=a.klass, enabled=True, actor_id=user.id, now=t),
    )


@router.post("/classes/{class_id}/members/{user_id}/remove")
def member_remove(
    request: Request, class_id: int, user_id: int, user: Staff, db: DbDep
) -> Response:
    """Take a learner or staff member out of the class (never its last instructor)."""
    return change(
        request,
        db,
        class_id,
        user,
        "remove",
        lambda a, t: roster.remove_member(
            db, klass=a.klass, user_id=user_id, actor_id=user.id, now=t
        ),
    )


@router.post("/classes/{class_id}/staff")
def staff_add(request: Request, class_id: int, user: Staff, form: FormDep, db: DbDep) -> Response:
    """Add an instructor or assistant by the email of their (instructor) account."""
    access = class_for(db, class_id, user, need="instructor")
    try:
        roster.add_staff(
            db,
            klass=access.klass,
            email=form.get("email", ""),
            role=form.get("role", "assistant"),
            actor_id=user.id,
            now=now(request),
        )
    except RosterError as exc:
        db.rollback()
        errors = {f"staff_{exc.field}": exc.message}
        return roster_page(request, db, access, status=400, errors=errors, form=form)
    db.commit()
    return RedirectResponse(f"/classes/{class_id}?done=staff", status_code=303)


@router.post("/classes/{class_id}/invites/{invite_id}/cancel")
def invite_cancel(
    request: Request, class_id: int, invite_id: int, user: Staff, db: DbDep
) -> Response:
    """Cancel a pending invitation."""
    return change(
        request,
        db,
        class_id,
        user,
        "cancel",
        lambda a, t: roster.cancel_invite(
            db, klass=a.klass, invite_id=invite_id, actor_id=user.id, now=t
        ),
    )


# -- CSV import ---------------------------------------------------------------------------


async def read_roster_upload(request: Request) -> str | RosterError:
    """The roster's text from an uploaded file (multipart) or the pasted field, or the
    reason it cannot be read (returned, so the route can show it on the page)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        return (await read_form(request)).get("text", "")
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        pasted = form.get("text")
        data = b""
        if upload is not None and not isinstance(upload, str):
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return RosterError("roster", f"the file is over {MAX_UPLOAD_BYTES // 1024} KiB")
    if not data:
        return pasted if isinstance(pasted, str) else ""
    if b"\x00" in data:
        return RosterError("roster", "the file is not text: export the roster as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return RosterError("roster", "the file is not UTF-8 text: save it as 'CSV UTF-8'")


RosterUpload = Annotated[str | RosterError, Depends(read_roster_upload)]


@router.post("/classes/{class_id}/roster/import", response_class=HTMLResponse)
def roster_import(
    request: Request, class_id: int, user: Staff, upload: RosterUpload, db: DbDep
) -> HTMLResponse:
    """Add a CSV roster's accounts as learners and invite the rest; one transaction."""
    access = class_for(db, class_id, user, need="instructor")
    try:
        if isinstance(upload, RosterError):
            raise upload
        report = import_roster(
            db, klass=access.klass, text=upload, actor_id=user.id, now=now(request)
        )
    except RosterError as exc:
        db.rollback()
        return roster_page(request, db, access, status=400, errors={exc.field: exc.message})
    db.commit()
    return roster_page(request, db, access, report=report)
