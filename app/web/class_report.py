"""A class at a glance: levels per learner and concept, assignment completion, who is stuck.

Joins the read-only queries of app.db.insights to the curriculum (which lessons teach which
concept) and to app.web.coursework (where a learner stands on an assignment). The dashboard
page, its JSON and the grade export all read one Report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.curriculum import mastery
from app.curriculum.loader import Curriculum
from app.db import insights
from app.db.classes import Assignment, Class
from app.db.models import User
from app.web.coursework import Status, effective_due, learner_status

# Who is stuck: many recent low-scoring attempts on a concept below familiar, or silence
# while an assignment waits.
STUCK_WINDOW = timedelta(days=7)
STUCK_ATTEMPTS = 5
STUCK_MEAN = 0.5


@dataclass
class Report:
    """A class's learners, their levels and their standing on every assignment."""

    klass: Class
    learners: list[User]
    levels: dict[int, dict[str, tuple[str, float]]]  # user → concept → (level, score)
    assignments: list[Assignment]
    due: dict[tuple[int, int], datetime]  # (assignment, user) → due date, extension applied
    extended: set[tuple[int, int]]  # (assignment, user) pairs with an extension
    status: dict[tuple[int, int], Status]  # (assignment, user) → status

    def level(self, user_id: int, concept_id: str) -> str:
        """The learner's level on a concept ('not_started' without a row)."""
        return self.levels[user_id].get(concept_id, ("not_started", 0.0))[0]

    def score(self, user_id: int, concept_id: str) -> float:
        """The learner's score on a concept (0 without a row)."""
        return self.levels[user_id].get(concept_id, ("not_started", 0.0))[1]


def build_report(db: Session, curriculum: Curriculum, klass: Class, now: datetime) -> Report:
    """Read everything the dashboard and the grade export show about ``klass`` at ``now``."""
    learners = insights.class_learners(db, class_id=klass.id)
    levels = insights.mastery_table(db, user_ids=[u.id for u in learners])
    assignments = insights.class_assignments(db, class_id=klass.id)
    extensions = insights.class_extensions(db, class_id=klass.id)
    due: dict[tuple[int, int], datetime] = {}
    status: dict[tuple[int, int], Status] = {}
    for assignment in assignments:
        for learner in learners:
            key = (assignment.id, learner.id)
            due[key] = effective_due(assignment, extensions.get(key))
            plain = {c: level for c, (level, _) in levels[learner.id].items()}
            status[key] = learner_status(curriculum, assignment, plain, due[key], now)
    return Report(klass, learners, levels, assignments, due, set(extensions), status)


def heatmap(curriculum: Curriculum, report: Report) -> dict[str, Any]:
    """The learners × concepts grid as the page draws it: concepts in curriculum order,
    ``z`` the level's rank (0 not started … 4 mastered)."""
    concepts = list(curriculum.concepts.values())
    return {
        "class": report.klass.id,
        "levels": list(mastery.LEVELS),
        "concepts": [{"id": c.id, "title": c.title} for c in concepts],
        "learners": [
            {
                "id": u.id,
                "name": u.display_name,
                "url": f"/classes/{report.klass.id}/learners/{u.id}",
            }
            for u in report.learners
        ],
        "z": [[mastery.rank(report.level(u.id, c.id)) for c in concepts] for u in report.learners],
        "level": [[report.level(u.id, c.id) for c in concepts] for u in report.learners],
        "score": [[round(report.score(u.id, c.id), 4) for c in concepts] for u in report.learners],
    }


def completion(report: Report) -> list[dict[str, Any]]:
    """Per assignment: how many learners are done and how many are overdue."""
    rows = []
    for assignment in report.assignments:
        states = [report.status[(assignment.id, u.id)].state for u in report.learners]
        rows.append(
            {
                "assignment": assignment,
                "done": states.count("done"),
                "learners": len(states),
                "overdue": states.count("overdue"),
            }
        )
    return rows


def stuck(
    db: Session,
    curriculum: Curriculum,
    report: Report,
    overall: dict[int, insights.AttemptStats],
    now: datetime,
) -> list[dict]:
    """Learners who look stuck, each with the reasons (in words) and the numbers behind them.

    ``overall`` is ``insights.attempt_stats`` of the report's learners (the dashboard has read
    it already for its table).
    """
    ids = [u.id for u in report.learners]
    recent = insights.by_lesson(
        insights.lesson_attempt_stats(db, user_ids=ids, since=now - STUCK_WINDOW)
    )
    joined = insights.joined_at(db, class_id=report.klass.id)
    found = []
    for learner in report.learners:
        reasons = []
        lessons = recent.get(learner.id, {})
        for concept in curriculum.concepts.values():
            if mastery.at_least(report.level(learner.id, concept.id), "familiar"):
                continue
            stats = [lessons[lid] for lid in concept.lessons if lid in lessons]
            count = sum(s.count for s in stats)
            if count < STUCK_ATTEMPTS:
                continue
            mean = sum(s.mean_score * s.count for s in stats) / count
            if mean < STUCK_MEAN:
                level = report.level(learner.id, concept.id).replace("_", " ")
                reasons.append(
                    f"{count} attempts on {concept.title} in the last 7 days, "
                    f"mean score {mean:.2f}, still {level}"
                )
        last = overall[learner.id].last_at
        waiting = [
            a.title
            for a in report.assignments
            if _silent_on(report.status[(a.id, learner.id)].state, a, last, joined, learner, now)
        ]
        if waiting:
            quiet = "no attempt yet" if last is None else f"no attempt for {(now - last).days} days"
            reasons.append(f"{quiet} while {_names(waiting)} not done")
        if reasons:
            found.append({"learner": learner, "reasons": reasons})
    return found


def _silent_on(
    state: str,
    assignment: Assignment,
    last: datetime | None,
    joined: dict[int, datetime],
    learner: User,
    now: datetime,
) -> bool:
    """Whether a learner's silence counts against this assignment.

    An overdue one counts when they have not tried anything for STUCK_WINDOW (or ever). An
    open one counts only once STUCK_WINDOW has passed since the latest of their last attempt,
    their joining the class and the assignment's opening: a learner who joined yesterday, or
    an assignment set this morning, is not a sign of anyone being stuck.
    """
    if state == "overdue":
        return last is None or now - last >= STUCK_WINDOW
    if state != "open":
        return False
    start = assignment.opens_at or assignment.created_at
    since = max(t for t in (last, joined.get(learner.id), start) if t is not None)
    return now - since >= STUCK_WINDOW


def _names(titles: list[str]) -> str:
    """Titles as a phrase with its verb: "A is", "A and B are", "A, B and C are"."""
    if len(titles) == 1:
        return f"{titles[0]} is"
    return f"{', '.join(titles[:-1])} and {titles[-1]} are"
