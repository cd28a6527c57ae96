"""How long an instructor waits for a big class's pages: `python -m bench.dashboard`.

Fills a fresh SQLite database (the embedded default) with one class of N learners, each with
a random level on a random number of the 20 concepts and 30 attempts spread over the last
17 days, and 6 assignments of 3 lessons each. It then times each instructor page in-process
(best of 3, after one warm-up) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.auth.accounts import create_user
from app.auth.sessions import COOKIE_NAME, create_session
from app.config import Settings
from app.curriculum.loader import load_curriculum
from app.db.base import utcnow
from app.db.classes import Assignment, Class, Membership
from app.db.engine import database_url, upgrade
from app.db.models import User
from app.db.progress import Attempt, Mastery
from app.main import create_app

with warnings.catch_warnings():  # starlette asks for httpx2; the httpx it finds works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

LEVELS = ("attempted", "familiar", "proficient", "mastered")
ATTEMPTS_EACH = 30
ASSIGNMENTS = 6


@dataclass
class Timing:
    """One page: its path with the ids replaced by names, best time and size."""

    page: str
    ms: float
    kib: float


def fill(app, settings: Settings, learners: int, seed: int) -> tuple[str, dict[str, int]]:
    """The class and its learners' records; the owner's session token and the ids."""
    curriculum = load_curriculum(settings.curriculum_dir)
    concepts, lessons = list(curriculum.concepts), list(curriculum.lessons)
    rng = random.Random(seed)
    now = utcnow()
    with app.state.sessionmaker() as db:
        owner = create_user(
            db,
            settings,
            email="owner@example.org",
            password="a long enough secret",
            role="instructor",
        )
        token = create_session(db, owner, settings, now=now)
        klass = Class(name="A big class", timezone="Europe/Berlin")
        db.add(klass)
        db.flush()
        db.add(Membership(class_id=klass.id, user_id=owner.id, role="instructor"))
        for i in range(learners):
            user = User(
                email=f"learner{i}@example.org",
                display_name=f"Learner {i}",
                password_hash="-",
                role="learner",
            )
            db.add(user)
            db.flush()
            db.add(Membership(class_id=klass.id, user_id=user.id, role="learner"))
            for concept in concepts[: rng.randint(0, len(concepts))]:
                level, score = rng.choice(LEVELS), rng.random()
                db.add(Mastery(user_id=user.id, concept_id=concept, level=level, score=score))
            for _ in range(ATTEMPTS_EACH):
                db.add(
                    Attempt(
                        user_id=user.id,
                        lesson_id=rng.choice(lessons),
                        check_id="c1",
                        kind="choice",
                        response={},
                        score=rng.random(),
                        correct=False,
                        created_at=now - timedelta(hours=rng.randint(0, 400)),
                    )
                )
        for a in range(ASSIGNMENTS):
            db.add(
                Assignment(
                    class_id=klass.id,
                    title=f"Week {a + 1}",
                    lesson_ids=lessons[3 * a : 3 * a + 3],
                    due_at=now + timedelta(days=a - 2),
                    created_at=now - timedelta(days=10),
                )
            )
        db.commit()
        first = db.query(Assignment).filter_by(class_id=klass.id).first()
        ids = {"class": klass.id, "assignment": first.id, "learner": user.id}
    return token, ids


PAGES = (
    "/classes/{class}",
    "/classes/{class}/assignments",
    "/classes/{class}/assignments/{assignment}",
    "/classes/{class}/dashboard",
    "/api/classes/{class}/dashboard",
    "/classes/{class}/learners/{learner}",
    "/classes/{class}/grades.csv",
    "/classes/{class}/assignments/{assignment}/grades.csv",
)


def main(argv: list[str] | None = None) -> list[Timing]:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--learners", type=int, default=300, help="learners in the class (300)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="layerwise-dashboard-"))
    settings = Settings(data_dir=root, argon2_memory_kib=1024, argon2_time_cost=1, workers=1)
    upgrade(database_url(settings))
    app = create_app(settings)
    token, ids = fill(app, settings, args.learners, args.seed)
    client = TestClient(app, base_url="http://testserver")
    client.cookies.set(COOKIE_NAME, token)
    timings = []
    for page in PAGES:
        path = page.format(**ids)
        client.get(path)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            answer = client.get(path)
            best = min(best, time.perf_counter() - start)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
        timings.append(Timing(page, best * 1000, len(answer.content) / 1024))
    app.state.engine.dispose()
    print(
        f"{args.learners} learners, {args.learners * ATTEMPTS_EACH} attempts, "
        f"{ASSIGNMENTS} assignments (SQLite, in-process, best of 3)\n"
    )
    print("| page | ms | kB |\n|---|---|---|")
    for t in timings:
        print(f"| `{t.page}` | {t.ms:.1f} | {t.kib:.1f} |")
    return timings


if __name__ == "__main__":
    main()
