"""The learner's pages: the concept map, lessons, progress and the mixed review.

Anyone may look at the map and at lessons that have no prerequisites; progress needs an
account. A lesson page is its text, then the shared lab frame with the lesson's preset,
then its checks (asked and graded through learn_api.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.curriculum import mastery
from app.curriculum.render import render_markdown
from app.db import progress
from app.db.models import User
from app.labs.base import LabError
from app.labs.registry import LABS, describe
from app.web import learn_api, learn_review
from app.web.auth_deps import CurrentUser, DbDep, RequiredUser, now
from app.web.learn_state import Standing, concept_rows, get_curriculum, lesson_or_404, standing
from app.web.pages import templates

router = APIRouter()
router.include_router(learn_api.router)
router.include_router(learn_review.router)

# The map's geometry (SVG user units): concepts in columns by prerequisite depth.
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 150, 42, 34, 14, 12
STATE_NAMES = {
    "locked": "Locked",
    "open": "Open",
    "in_progress": "In progress",
    "review_due": "Review due",
    "mastered": "Mastered",
}


def _wrap(title: str, width: int = 19) -> list[str]:
    """A title in at most two lines of about ``width`` characters."""
    words, lines, line = title.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines[:2] if len(lines) <= 2 else [lines[0], " ".join(lines[1:])[: width - 1] + "…"]


def layout(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Place each concept in the column of its longest prerequisite chain; edges as curves."""
    depth: dict[str, int] = {}
    for row in rows:  # rows come in topological order
        depth[row["id"]] = 1 + max((depth.get(n, -1) for n in row["needs"]), default=-1)
    columns: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        columns[depth[row["id"]]].append(row)
    # Fewer crossings: order each column by the mean row of what its concepts need.
    rank: dict[str, float] = {}
    for col in sorted(columns):
        members = columns[col]
        if col > 0:
            members.sort(key=lambda r: sum(rank[n] for n in r["needs"]) / len(r["needs"]))
        rank.update({row["id"]: index for index, row in enumerate(members)})
    place: dict[str, tuple[float, float]] = {}
    nodes = []
    for col, members in sorted(columns.items()):
        for index, row in enumerate(members):
            x = PAD + col * (NODE_W + COL_GAP)
            y = PAD + index * (NODE_H + ROW_GAP)
            place[row["id"]] = (x, y)
            nodes.append({**row, "x": x, "y": y, "lines": _wrap(row["title"])})
    edges = []
    for row in rows:
        x2, y2 = place[row["id"]]
        for need in row["needs"]:
            if need not in place:
                continue
            x1, y1 = place[need]
            x1, y1, y2c = x1 + NODE_W, y1 + NODE_H / 2, y2 + NODE_H / 2
            mid = (x1 + x2) / 2
            edges.append(
                {
                    "d": f"M{x1},{y1} C{mid},{y1} {mid},{y2c} {x2},{y2c}",
                    "from": need,
                    "to": row["id"],
                }
            )
    width = PAD * 2 + (max(columns) + 1) * NODE_W + max(columns) * COL_GAP if columns else 0
    tallest = max((len(m) for m in columns.values()), default=0)
    height = PAD * 2 + tallest * NODE_H + max(tallest - 1, 0) * ROW_GAP
    return {
        "nodes": nodes,
        "edges": edges,
        "width": width,
        "height": height,
        "w": NODE_W,
        "h": NODE_H,
    }


@router.get("/map", response_class=HTMLResponse)
def concept_map(request: Request, db: DbDep, user: CurrentUser) -> HTMLResponse:
    """The 20 concepts as a prerequisite graph coloured by where the learner stands."""
    curriculum = get_curriculum(request)
    at = now(request)
    where = standing(request, db, user.id if user else None)
    rows = concept_rows(curriculum, where, at)
    ready = [r for r in rows if r["state"] == "open"]
    pool = set(mastery.review_pool(where.states, at))
    due = [r for r in rows if r["id"] in pool]
    # Locked concepts one step away: everything they still need has been started at least.
    started = {r["id"] for r in rows if r["level"] != "not_started"}
    soon = [r for r in rows if r["state"] == "locked" and set(r["missing"]) <= started]
    return templates.TemplateResponse(
        request,
        "learn/map.html",
        {
            "user": user,
            "rows": rows,
            "graph": layout(rows),
            "ready": ready,
            "due": due,
            "soon": soon,
            "titles": {r["id"]: r["title"] for r in rows},
            "state_names": STATE_NAMES,
        },
    )


def preset_query(lab: Any, preset: dict[str, Any]) -> str | None:
    """``?params=…`` holding the preset's values that differ from the lab's defaults."""
    try:
        params = lab.validate(preset).model_dump(mode="json")
    except LabError:
        return None
    defaults = lab.Params().model_dump(mode="json")
    changed = {k: v for k, v in params.items() if k in preset and v != defaults.get(k)}
    if not changed:
        return None
    return "?" + urlencode({"params": json.dumps(changed, separators=(",", ":"), sort_keys=True)})


def _next_lesson(curriculum: Any, lesson_id: str) -> Any:
    """The lesson after this one in the curriculum's order (concepts in prerequisite order)."""
    order = [
        lid for c in curriculum.concepts.values() for lid in c.lessons if lid in curriculum.lessons
    ]
    following = order[order.index(lesson_id) + 1 :] if lesson_id in order else []
    return curriculum.lessons[following[0]] if following else None


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(request: Request, lesson_id: str, db: DbDep, user: CurrentUser) -> Response:
    """A lesson: its text, the lab with the lesson's preset, its checks (or why it is locked)."""
    curriculum = get_curriculum(request)
    lesson = lesson_or_404(curriculum, lesson_id)
    where = standing(request, db, user.id if user else None)
    missing = where.missing_for_lesson(curriculum, lesson.id)
    return render_lesson(request, db, user, lesson, where, missing, path=f"/lessons/{lesson.id}")


def render_lesson(
    request: Request,
    db: Session,
    user: User | None,
    lesson: Any,
    where: Standing,
    missing: list[str],
    *,
    path: str,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The lesson page for ``user`` (locked when ``missing`` names prerequisites).

    ``path`` is the page's own address, where the lab's preset is added to the query;
    ``extra`` goes into the template's context (the instructor's preview banner).
    """
    curriculum = get_curriculum(request)
    lab = LABS.get(lesson.lab) if lesson.lab else None
    if not missing and lab is not None and "params" not in request.query_params:
        query = preset_query(lab, dict(lesson.preset))
        if query:  # the lab frame reads its start params from the address, like a shared link
            return RedirectResponse(f"{path}{query}", status_code=303)
    context = {
        "user": user,
        "lesson": lesson,
        "concepts": [curriculum.concepts[c] for c in lesson.concepts if c in curriculum.concepts],
        "missing": [curriculum.concepts[c] for c in missing],
        "required": where.required,
        "next_lesson": _next_lesson(curriculum, lesson.id),
        "levels": where.levels,
        "body_html": render_markdown(lesson.body),
        "lab": describe(lab) if lab is not None and not missing else None,
        "checks": lesson.checks,
        "challenge_queries": {
            c.id: preset_query(LABS[c.require.lab], dict(c.preset))
            for c in lesson.checks
            if c.kind == "lab" and c.preset and c.require.lab in LABS
        },
    }
    if user is not None:
        best = progress.best_scores(db, user_id=user.id)
        context["best"] = {check: score for (lid, check), score in best.items() if lid == lesson.id}
    else:
        context["best"] = {}
    context.update(extra or {})
    status = 403 if missing else 200
    return templates.TemplateResponse(request, "learn/lesson.html", context, status_code=status)


@router.get("/progress", response_class=HTMLResponse)
def progress_page(request: Request, db: DbDep, user: RequiredUser) -> HTMLResponse:
    """Your own levels, scores, reviews due and latest attempts."""
    curriculum = get_curriculum(request)
    at = now(request)
    where = standing(request, db, user.id)
    rows = concept_rows(curriculum, where, at)
    attempts = progress.list_attempts(db, user_id=user.id, limit=50)
    lesson_titles = {lesson.id: lesson.title for lesson in curriculum.lessons.values()}
    counts = defaultdict(int)
    for row in rows:
        counts[row["level"]] += 1
    return templates.TemplateResponse(
        request,
        "learn/progress.html",
        {
            "user": user,
            "rows": rows,
            "attempts": attempts,
            "lesson_titles": lesson_titles,
            "counts": [(level, counts[level]) for level in mastery.LEVELS],
            "due": mastery.review_pool(where.states, at),
            "titles": {r["id"]: r["title"] for r in rows},
            "state_names": STATE_NAMES,
        },
    )


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, user: RequiredUser) -> HTMLResponse:
    """The mixed review: items drawn by the page from /api/review."""
    return templates.TemplateResponse(request, "learn/review.html", {"user": user})
