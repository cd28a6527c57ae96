"""Grade export as CSV: the whole class, or one assignment in detail.

A spreadsheet runs a cell that starts with = + - or @ as a formula, so every such cell is
sent with a leading apostrophe (OWASP's advice on CSV injection): a learner's display name
or an assignment's title stays text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.db import insights
from app.db.classes import Assignment
from app.web import classtime
from app.web.auth_deps import DbDep, now
from app.web.class_access import Staff, class_for
from app.web.class_report import build_report
from app.web.coursework import assignment_concepts
from app.web.learn_state import get_curriculum

router = APIRouter()

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One CSV cell as text; text a spreadsheet would run as a formula is neutralised."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def number(value: float) -> str:
    """A fraction or score as plain decimal text (at most 4 decimals)."""
    return str(round(value, 4))


def csv_response(rows: Iterable[list[object]], filename: str) -> Response:
    """The rows as a CSV attachment named ``filename``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def slug(text: str, fallback: str) -> str:
    """``text`` reduced to a safe file-name part (ASCII letters, digits, dashes)."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40].strip("-")
    return cleaned or fallback


def iso_utc(when: datetime) -> str:
    """An aware time as ISO 8601 in UTC with a Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(when: datetime, tz_name: str) -> str:
    """An aware time as ISO 8601 in the class's zone, with its offset."""
    try:
        tz = classtime.zone(tz_name)
    except ValueError:
        tz = UTC
    return when.astimezone(tz).isoformat(timespec="seconds")


@router.get("/classes/{class_id}/grades.csv")
def class_grades(request: Request, class_id: int, db: DbDep, user: Staff) -> Response:
    """One row per learner: name, email, the level per concept, status and fraction per
    assignment."""
    klass = class_for(db, class_id, user).klass
    curriculum = get_curriculum(request)
    report = build_report(db, curriculum, klass, now(request))
    concepts = list(curriculum.concepts.values())
    header: list[object] = ["name", "email"]
    header += [f"{c.title}: level" for c in concepts]
    for a in report.assignments:
        header += [f"{a.title}: status", f"{a.title}: fraction"]
    rows: list[list[object]] = [header]
    for learner in report.learners:
        row: list[object] = [learner.display_name, learner.email]
        row += [report.level(learner.id, c.id) for c in concepts]
        for a in report.assignments:
            status = report.status[(a.id, learner.id)]
            row += [status.state, number(status.fraction)]
        rows.append(row)
    return csv_response(rows, f"{slug(klass.name, 'class')}-grades.csv")


@router.get("/classes/{class_id}/assignments/{assignment_id}/grades.csv")
def assignment_grades(
    request: Request, class_id: int, assignment_id: int, db: DbDep, user: Staff
) -> Response:
    """One row per learner on one assignment: due date (extension applied), status, counts,
    level and score per concept, minutes spent on its lessons."""
    klass = class_for(db, class_id, user).klass
    assignment = db.get(Assignment, assignment_id)
    if assignment is None or assignment.class_id != klass.id:
        raise HTTPException(404, f"no assignment {assignment_id} in {klass.name!r}")
    curriculum = get_curriculum(request)
    report = build_report(db, curriculum, klass, now(request))
    concept_ids = assignment_concepts(curriculum, assignment)
    lessons = set(assignment.lesson_ids or [])
    for concept_id in assignment.concept_ids or []:
        if concept_id in curriculum.concepts:
            lessons.update(curriculum.concepts[concept_id].lessons)
    times = insights.time_table(db, user_ids=[u.id for u in report.learners])
    titles = {c: curriculum.concepts[c].title for c in concept_ids}
    header: list[object] = ["name", "email", "due (UTC)", f"due ({klass.timezone})"]
    header += ["status", "done", "total", "fraction"]
    for concept_id in concept_ids:
        header += [f"{titles[concept_id]}: level", f"{titles[concept_id]}: score"]
    header.append("minutes")
    rows: list[list[object]] = [header]
    for learner in report.learners:
        key = (assignment.id, learner.id)
        due, status = report.due[key], report.status[key]
        row: list[object] = [learner.display_name, learner.email]
        row += [iso_utc(due), iso_local(due, klass.timezone)]
        row += [status.state, status.done, status.total, number(status.fraction)]
        for concept_id in concept_ids:
            row += [
                report.level(learner.id, concept_id),
                number(report.score(learner.id, concept_id)),
            ]
        seconds = sum(s for lid, s in times[learner.id].items() if lid in lessons)
        row.append(str(round(seconds / 60, 1)))
        rows.append(row)
    name = f"{slug(klass.name, 'class')}-{slug(assignment.title, str(assignment.id))}-grades.csv"
    return csv_response(rows, name)
