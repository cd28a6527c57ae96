"""The instructor's dashboard in-process: access, heatmap, who is stuck, CSV, unlock, preview."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.db import progress
from app.db.classes import Assignment, AssignmentExtension, Class, LessonTime, Membership
from app.db.models import AuditLog, User
from tests.dbtools import write_level
from tests.web.learn_fixtures import LearnApp, make_learn_app

CONCEPTS = ["composition", "softmax-ce", "initialization"]  # the small curriculum's order


@pytest.fixture
def site(tmp_path) -> LearnApp:
    """The app on the small curriculum with a frozen clock, a database of its own per test."""
    return make_learn_app(tmp_path)


def _class(site: LearnApp, owner, *learners, name: str = "Deep 101", tz: str = "UTC") -> int:
    with site.app.state.sessionmaker() as db:
        klass = Class(name=name, timezone=tz)
        db.add(klass)
        db.flush()
        db.add(Membership(class_id=klass.id, user_id=owner.user_id, role="instructor"))
        joined = site.clock() - timedelta(days=30)  # everyone joined a month ago
        for learner in learners:
            db.add(
                Membership(
                    class_id=klass.id, user_id=learner.user_id, role="learner", created_at=joined
                )
            )
        db.commit()
        return klass.id


def _member(site: LearnApp, class_id: int, client, role: str) -> None:
    with site.app.state.sessionmaker() as db:
        db.add(Membership(class_id=class_id, user_id=client.user_id, role=role))
        db.commit()


def _name(site: LearnApp, client, name: str) -> None:
    with site.app.state.sessionmaker() as db:
        db.get(User, client.user_id).display_name = name
        db.commit()


def _level(site: LearnApp, client, concept: str, level: str, score: float) -> None:
    with site.app.state.sessionmaker() as db:
        write_level(db, client.user_id, concept, level, score, site.clock())
        db.commit()


def _attempts(site: LearnApp, client, lesson: str, scores: list[float], at: datetime) -> None:
    with site.app.state.sessionmaker() as db:
        for i, score in enumerate(scores):
            progress.record_attempt(
                db,
                user_id=client.user_id,
                lesson_id=lesson,
                check_id=f"x{i}",
                kind="choice",
                response={},
                score=score,
                correct=score == 1.0,
                now=at + timedelta(minutes=i),
            )
        db.commit()


def _assignment(site: LearnApp, class_id: int, title: str, due: datetime, **fields) -> int:
    with site.app.state.sessionmaker() as db:
        fields.setdefault("created_at", site.clock() - timedelta(days=10))
        row = Assignment(class_id=class_id, title=title, due_at=due, **fields)
        db.add(row)
        db.commit()
        return row.id


def _routes(class_id: int, learner_id: int, assignment_id: int) -> list[tuple[str, str]]:
    base = f"/classes/{class_id}"
    return [
        ("GET", f"{base}/dashboard"),
        ("GET", f"/api/classes/{class_id}/dashboard"),
        ("GET", f"{base}/learners/{learner_id}"),
        ("POST", f"{base}/learners/{learner_id}/unlock"),
        ("GET", f"{base}/grades.csv"),
        ("GET", f"{base}/assignments/{assignment_id}/grades.csv"),
        ("GET", f"{base}/preview/softmax"),
    ]


def _call(client, method: str, path: str):
    if method == "POST":
        return client.post(path, data={"lesson_id": "softmax"}, follow_redirects=False)
    return client.get(path, follow_redirects=False)


def test_every_route_needs_staff_of_the_class(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    stranger = site.client("stranger@example.org", role="instructor")
    learner = site.client("lea@example.org")
    class_id = _class(site, owner, learner)
    _class(site, stranger, name="Other")
    assignment = _assignment(site, class_id, "Week 1", site.clock(), lesson_ids=["composition"])
    for method, path in _routes(class_id, learner.user_id, assignment):
        anonymous = _call(site.client(), method, path)
        if path.startswith("/api/"):
            assert anonymous.status_code == 401, path
        else:
            assert anonymous.status_code == 303, path
            assert anonymous.headers["location"].startswith("/login"), path
        assert _call(learner, method, path).status_code == 403, path
        assert _call(stranger, method, path).status_code == 404, path
        assert _call(owner, method, path).status_code in (200, 303), path


def test_learner_of_another_class_in_path_is_404(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    mine, theirs = site.client("lea@example.org"), site.client("tom@example.org")
    class_id = _class(site, owner, mine)
    _class(site, site.client("other@example.org", role="instructor"), theirs, name="Other")
    assert owner.get(f"/classes/{class_id}/learners/{theirs.user_id}").status_code == 404
    assert owner.get(f"/classes/{class_id}/learners/{owner.user_id}").status_code == 404  # staff
    unlock = owner.post(
        f"/classes/{class_id}/learners/{theirs.user_id}/unlock", data={"lesson_id": "softmax"}
    )
    assert unlock.status_code == 404
    with site.app.state.sessionmaker() as db:
        assert progress.unlocked_lessons(db, user_id=theirs.user_id) == set()


def test_unknown_assignment_in_export_is_404(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    class_id = _class(site, owner)
    other = _class(site, site.client("o@example.org", role="instructor"), name="Other")
    foreign = _assignment(site, other, "Theirs", site.clock())
    assert owner.get(f"/classes/{class_id}/assignments/{foreign}/grades.csv").status_code == 404
    assert owner.get(f"/classes/{class_id}/assignments/999/grades.csv").status_code == 404


def test_assistant_sees_dashboard_and_admin_sees_any_class(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ta = site.client("ta@example.org", role="instructor")
    admin = site.client("root@example.org", role="admin")
    class_id = _class(site, owner)
    _member(site, class_id, ta, "assistant")
    assert ta.get(f"/classes/{class_id}/dashboard").status_code == 200
    assert admin.get(f"/classes/{class_id}/dashboard").status_code == 200


def test_heatmap_matches_mastery_rows(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    zoe, ada = site.client("zoe@example.org"), site.client("ada@example.org")
    _name(site, zoe, "Zoe")
    _name(site, ada, "Ada")
    class_id = _class(site, owner, zoe, ada)
    _level(site, ada, "composition", "proficient", 1.0)
    _level(site, ada, "initialization", "attempted", 0.25)
    _level(site, zoe, "composition", "familiar", 0.75)
    _level(site, zoe, "softmax-ce", "mastered", 1.0)
    expected = {
        "concepts": CONCEPTS,
        "learners": ["Ada", "Zoe"],  # by name
        "level": [
            ["proficient", "not_started", "attempted"],
            ["familiar", "mastered", "not_started"],
        ],
        "z": [[3, 0, 1], [2, 4, 0]],
        "score": [[1.0, 0.0, 0.25], [0.75, 1.0, 0.0]],
    }
    page = owner.get(f"/classes/{class_id}/dashboard")
    assert page.status_code == 200
    block = re.search(
        r'<script type="application/json" id="heatmap-data">(.*?)</script>', page.text, re.S
    )
    api = owner.get(f"/api/classes/{class_id}/dashboard").json()["heatmap"]
    for data in (json.loads(block.group(1)), api):
        assert [c["id"] for c in data["concepts"]] == expected["concepts"]
        assert [row["name"] for row in data["learners"]] == expected["learners"]
        assert [row["id"] for row in data["learners"]] == [ada.user_id, zoe.user_id]
        for key in ("level", "z", "score"):
            assert data[key] == expected[key], key
    # The text alternative holds the same numbers.
    cells = re.findall(r'<td data-level="([a-z_]+)">[^<]*· (\d+)%</td>', page.text)
    assert cells == [
        ("proficient", "100"),
        ("not_started", "0"),
        ("attempted", "25"),
        ("familiar", "75"),
        ("mastered", "100"),
        ("not_started", "0"),
    ]
    assert f'href="/classes/{class_id}/learners/{ada.user_id}"' in page.text


def test_stuck_learners_named_with_reasons(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    names = ["Struggling", "Few", "Familiar", "Silent", "Finished", "Old"]
    learners = {name: site.client(f"{name.lower()}@example.org") for name in names}
    for name, client in learners.items():
        _name(site, client, name)
    class_id = _class(site, owner, *learners.values())
    now = site.clock()
    _assignment(site, class_id, "Week 1", now + timedelta(days=2), lesson_ids=["composition"])
    for client in learners.values():  # everyone but Silent has done Week 1
        if client is not learners["Silent"]:
            _level(site, client, "composition", "familiar", 0.8)
    # Six low scores on softmax in the last week, concept still attempted: stuck.
    _level(site, learners["Struggling"], "softmax-ce", "attempted", 0.2)
    _attempts(
        site,
        learners["Struggling"],
        "softmax",
        [0.0, 0.5, 0.0, 0.5, 0.0, 0.4],
        now - timedelta(days=3),
    )
    # Four low scores only: not (yet) stuck.
    _attempts(site, learners["Few"], "softmax", [0.0] * 4, now - timedelta(days=1))
    # Low scores on a concept already familiar: not stuck.
    _level(site, learners["Familiar"], "softmax-ce", "familiar", 0.7)
    _attempts(site, learners["Familiar"], "softmax", [0.0] * 6, now - timedelta(days=1))
    # The same six low scores more than 7 days ago: not recent.
    _attempts(site, learners["Old"], "softmax", [0.0] * 6, now - timedelta(days=9))
    # Silent: last attempt 8 days ago and Week 1 (open) not done.
    _attempts(site, learners["Silent"], "composition", [0.5], now - timedelta(days=8))
    # Finished: no attempt for 8 days either, but nothing waits for them.
    _attempts(site, learners["Finished"], "composition", [1.0], now - timedelta(days=8))

    stuck = owner.get(f"/api/classes/{class_id}/dashboard").json()["stuck"]
    reasons = {row["name"]: row["reasons"] for row in stuck}
    assert set(reasons) == {"Struggling", "Silent"}
    # Mean of the six: (0 + 0.5 + 0 + 0.5 + 0 + 0.4) / 6 = 0.2333…
    assert reasons["Struggling"] == [
        "6 attempts on Softmax and cross-entropy in the last 7 days, mean score 0.23, "
        "still attempted"
    ]
    assert reasons["Silent"] == ["no attempt for 8 days while Week 1 is not done"]
    page = owner.get(f"/classes/{class_id}/dashboard").text
    assert f'<li data-learner="{learners["Silent"].user_id}">' in page
    # Week 1: five of six done, none overdue yet.
    row = re.search(r'<tr data-assignment="\d+">(.*?)</tr>', page, re.S).group(1)
    assert "<td>5 / 6</td>" in row and "<td>0</td>" in row


def test_stuck_with_overdue_assignment_and_no_attempt_at_all(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    newcomer = site.client("new@example.org")
    _name(site, newcomer, "New")
    class_id = _class(site, owner, newcomer)
    _assignment(
        site, class_id, "Late", site.clock() - timedelta(hours=1), lesson_ids=["composition"]
    )
    _assignment(
        site, class_id, "Next", site.clock() + timedelta(days=2), concept_ids=["softmax-ce"]
    )
    stuck = owner.get(f"/api/classes/{class_id}/dashboard").json()
    assert stuck["stuck"] == [
        {
            "learner": newcomer.user_id,
            "name": "New",
            "reasons": ["no attempt yet while Late and Next are not done"],
        }
    ]
    assert [row | {"assignment": 0} for row in stuck["completion"]] == [
        {"assignment": 0, "title": "Late", "done": 0, "learners": 1, "overdue": 1},
        {"assignment": 0, "title": "Next", "done": 0, "learners": 1, "overdue": 0},
    ]


def test_silence_counts_from_joining_and_from_the_assignment_opening(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    names = ["Veteran", "Newcomer", "Busy"]
    people = {name: site.client(f"{name.lower()}@example.org") for name in names}
    for name, client in people.items():
        _name(site, client, name)
    class_id = _class(site, owner, *people.values())  # all joined 30 days ago
    now = site.clock()
    with site.app.state.sessionmaker() as db:  # ... but Newcomer joined two days ago
        db.get(Membership, (class_id, people["Newcomer"].user_id)).created_at = now - timedelta(
            days=2
        )
        db.commit()
    # Set this morning: nobody has had a week to be silent on it yet.
    _assignment(
        site,
        class_id,
        "Fresh",
        now + timedelta(days=5),
        lesson_ids=["composition"],
        created_at=now - timedelta(hours=3),
    )
    stuck = owner.get(f"/api/classes/{class_id}/dashboard").json()["stuck"]
    assert stuck == []
    # Open for 8 days: the veteran (never tried) is stuck, the newcomer not yet.
    _assignment(
        site,
        class_id,
        "Older",
        now + timedelta(days=5),
        lesson_ids=["softmax"],
        created_at=now - timedelta(days=8),
    )
    # Overdue, but Busy tried yesterday: working on it, not stuck.
    _attempts(site, people["Busy"], "composition", [0.5], now - timedelta(days=1))
    _assignment(
        site,
        class_id,
        "Past",
        now - timedelta(days=1),
        lesson_ids=["initialization"],
        created_at=now - timedelta(days=3),
    )
    stuck = owner.get(f"/api/classes/{class_id}/dashboard").json()["stuck"]
    reasons = {row["name"]: row["reasons"] for row in stuck}
    assert reasons == {
        "Veteran": ["no attempt yet while Past and Older are not done"],  # by due date
        "Newcomer": ["no attempt yet while Past is not done"],
    }


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def test_class_grades_csv_cell_by_cell(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ada, evil = site.client("ada@example.org"), site.client("evil@example.org")
    _name(site, ada, "Ada")
    _name(site, evil, "=HYPERLINK(1)")
    class_id = _class(site, owner, ada, evil, name="Deep 101: spring")
    due = site.clock() + timedelta(days=1)
    _assignment(site, class_id, "Week 1", due, lesson_ids=["composition"])
    _assignment(
        site, class_id, "-Both", due + timedelta(days=1), concept_ids=["composition", "softmax-ce"]
    )
    _level(site, ada, "composition", "familiar", 0.75)
    _level(site, evil, "softmax-ce", "proficient", 1.0)

    response = owner.get(f"/classes/{class_id}/grades.csv")
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="deep-101-spring-grades.csv"'
    rows = _csv(response)
    assert rows[0] == [
        "name",
        "email",
        "Composition and depth: level",
        "Softmax and cross-entropy: level",
        "Initialisation: level",
        "Week 1: status",
        "Week 1: fraction",
        "'-Both: status",
        "'-Both: fraction",
    ]
    assert rows[1][0] == "'=HYPERLINK(1)"  # sorted by display name: '=' before 'A'
    assert rows[1][1:] == [
        _email(site, evil),
        "not_started",
        "proficient",
        "not_started",
        "open",
        "0.0",
        "open",
        "0.5",
    ]
    assert rows[2] == ["Ada", _email(site, ada), "familiar", "not_started", "not_started",
                       "done", "1.0", "open", "0.5"]  # fmt: skip
    assert len(rows) == 3


def _email(site: LearnApp, client) -> str:
    with site.app.state.sessionmaker() as db:
        return db.get(User, client.user_id).email


def test_assignment_grades_csv_with_extension_and_time(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ada, bob = site.client("ada@example.org"), site.client("bob@example.org")
    _name(site, ada, "Ada")
    _name(site, bob, "Bob")
    class_id = _class(site, owner, ada, bob, tz="Europe/Paris")
    due = datetime(2026, 3, 5, 22, 59, tzinfo=UTC)  # 23:59 in Paris (CET, +01:00)
    aid = _assignment(
        site, class_id, "Week 1", due, lesson_ids=["softmax"], concept_ids=["composition"]
    )
    with site.app.state.sessionmaker() as db:
        db.add(
            AssignmentExtension(
                assignment_id=aid,
                user_id=bob.user_id,
                due_at=datetime(2026, 3, 9, 11, 0, tzinfo=UTC),
            )
        )
        t = site.clock()
        for lesson, seconds in (("softmax", 150), ("composition", 60), ("initialization", 999)):
            db.add(LessonTime(user_id=bob.user_id, lesson_id=lesson, seconds=seconds,
                              first_seen_at=t, last_seen_at=t))  # fmt: skip
        db.commit()
    _level(site, bob, "softmax-ce", "familiar", 0.8)
    _level(site, bob, "composition", "attempted", 0.5)
    _level(site, ada, "softmax-ce", "proficient", 1.0)
    _level(site, ada, "composition", "mastered", 1.0)

    response = owner.get(f"/classes/{class_id}/assignments/{aid}/grades.csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="deep-101-week-1-grades.csv"'
    )
    rows = _csv(response)
    assert rows[0] == [
        "name", "email", "due (UTC)", "due (Europe/Paris)", "status", "done", "total",
        "fraction", "Softmax and cross-entropy: level", "Softmax and cross-entropy: score",
        "Composition and depth: level", "Composition and depth: score", "minutes",
    ]  # fmt: skip
    assert rows[1] == [
        "Ada", _email(site, ada), "2026-03-05T22:59:00Z", "2026-03-05T23:59:00+01:00",
        "done", "2", "2", "1.0", "proficient", "1.0", "mastered", "1.0", "0.0",
    ]  # fmt: skip
    # Bob's extension moves his date; 150 s + 60 s on the assignment's lessons = 3.5 minutes.
    assert rows[2] == [
        "Bob", _email(site, bob), "2026-03-09T11:00:00Z", "2026-03-09T12:00:00+01:00",
        "open", "1", "2", "0.5", "familiar", "0.8", "attempted", "0.5", "3.5",
    ]  # fmt: skip


def test_unlock_opens_the_lesson_for_that_learner_only(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ada, bob = site.client("ada@example.org"), site.client("bob@example.org")
    class_id = _class(site, owner, ada, bob)
    assert ada.get("/lessons/softmax").status_code == 403
    page = owner.get(f"/classes/{class_id}/learners/{ada.user_id}")
    assert '<option value="softmax">' in page.text  # offered: locked for Ada

    done = owner.post(
        f"/classes/{class_id}/learners/{ada.user_id}/unlock",
        data={"lesson_id": "softmax"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/classes/{class_id}/learners/{ada.user_id}#unlocks"
    assert ada.get("/lessons/softmax").status_code == 200
    assert bob.get("/lessons/softmax").status_code == 403
    assert ada.get("/lessons/initialization").status_code == 403
    with site.app.state.sessionmaker() as db:
        rows = db.scalars(select(AuditLog).where(AuditLog.action == "lesson.unlock")).all()
        assert [(r.actor_id, r.target_type, r.target_id, r.detail) for r in rows] == [
            (owner.user_id, "user", str(ada.user_id), {"class": class_id, "lesson": "softmax"})
        ]
        assert progress.unlocked_lessons(db, user_id=ada.user_id) == {"softmax"}
    page = owner.get(f"/classes/{class_id}/learners/{ada.user_id}")
    assert '<li data-lesson="softmax">Softmax and cross-entropy' in page.text


def test_unlock_unknown_or_missing_lesson_is_named(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ada = site.client("ada@example.org")
    class_id = _class(site, owner, ada)
    path = f"/classes/{class_id}/learners/{ada.user_id}/unlock"
    unknown = owner.post(path, data={"lesson_id": "nope"})
    assert unknown.status_code == 422
    assert "There is no lesson &#39;nope&#39;" in unknown.text
    empty = owner.post(path, data={"lesson_id": ""})
    assert empty.status_code == 422 and "Pick the lesson to unlock." in empty.text
    with site.app.state.sessionmaker() as db:
        assert progress.unlocked_lessons(db, user_id=ada.user_id) == set()
        assert db.scalars(select(AuditLog).where(AuditLog.action == "lesson.unlock")).all() == []


def test_assistant_may_unlock(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ta, ada = site.client("ta@example.org", role="instructor"), site.client("ada@example.org")
    class_id = _class(site, owner, ada)
    _member(site, class_id, ta, "assistant")
    path = f"/classes/{class_id}/learners/{ada.user_id}/unlock"
    assert (
        ta.post(path, data={"lesson_id": "initialization"}, follow_redirects=False).status_code
        == 303
    )
    assert ada.get("/lessons/initialization").status_code == 200


def test_learner_page_shows_records(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ada = site.client("ada@example.org")
    class_id = _class(site, owner, ada, tz="Europe/Paris")
    aid = _assignment(site, class_id, "Week 1", datetime(2026, 3, 5, 22, 59, tzinfo=UTC),
                      lesson_ids=["composition"])  # fmt: skip
    with site.app.state.sessionmaker() as db:
        db.add(AssignmentExtension(assignment_id=aid, user_id=ada.user_id,
                                   due_at=datetime(2026, 3, 9, 11, 0, tzinfo=UTC)))  # fmt: skip
        db.add(LessonTime(user_id=ada.user_id, lesson_id="composition", seconds=270,
                          first_seen_at=site.clock(), last_seen_at=site.clock()))  # fmt: skip
        db.commit()
    _attempts(site, ada, "composition", [0.5], site.clock() - timedelta(hours=1))
    page = owner.get(f"/classes/{class_id}/learners/{ada.user_id}").text
    assert 'data-state="open"' in page
    assert "Mon 9 Mar 2026, 12:00 CET" in page and "extended" in page
    assert '<tr data-lesson="composition">' in page and "<td>4.5</td>" in page
    assert re.search(r'<tr data-attempt="\d+">', page)


def test_preview_renders_locked_lesson_with_banner(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    class_id = _class(site, owner)
    learner = site.client("learner@example.org")
    assert learner.get("/api/lessons/softmax/checks/s1").status_code == 403  # locked for them
    page = owner.get(f"/classes/{class_id}/preview/softmax")
    assert page.status_code == 200
    assert 'class="preview-banner"' in page.text
    assert "recorded under your own account" in page.text
    assert [m for m in re.findall(r'data-check="(\w+)"', page.text)] == ["s1", "s2"]
    assert "activity.js" not in page.text  # a preview's time is not a learner's
    # The checks answer the instructor, as a learner's would; nothing was unlocked to do it.
    assert owner.get("/api/lessons/softmax/checks/s1").status_code == 200
    with site.app.state.sessionmaker() as db:
        assert progress.unlocked_lessons(db, user_id=owner.user_id) == set()


def test_preview_keeps_the_lab_preset_in_its_own_address(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    class_id = _class(site, owner)
    first = owner.get(f"/classes/{class_id}/preview/composition", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"/classes/{class_id}/preview/composition?params=")
    page = owner.get(first.headers["location"])
    assert page.status_code == 200
    assert 'id="lab" data-lab-id="two-moons"' in page.text
    assert page.text.index('class="lesson-body') < page.text.index('id="lab"')
    assert page.text.index('id="lab"') < page.text.index('class="lesson-checks"')


def test_lesson_page_includes_activity_for_signed_in_learners(site) -> None:
    signed_in = site.client("ada@example.org").get("/lessons/composition", follow_redirects=True)
    assert '<script type="module" src="/static/js/learn/activity.js">' in signed_in.text
    anonymous = site.client().get("/lessons/composition", follow_redirects=True)
    assert "activity.js" not in anonymous.text  # reports need an account
    locked = site.client("bob@example.org").get("/lessons/softmax")
    assert "activity.js" not in locked.text


def test_learner_summary_counts_attempts_labs_and_time(site) -> None:
    owner = site.client("owner@example.org", role="instructor")
    ada = site.client("ada@example.org")
    class_id = _class(site, owner, ada)
    at = site.clock() - timedelta(days=1)
    _attempts(site, ada, "composition", [1.0, 0.5, 0.0, 0.5], at)  # mean 0.5
    with site.app.state.sessionmaker() as db:
        for check, correct in (("c4", False), ("c4", True), ("c4", True), ("c5", False)):
            progress.record_attempt(db, user_id=ada.user_id, lesson_id="composition",
                                    check_id=check, kind="lab", response={},
                                    score=float(correct), correct=correct, now=at)  # fmt: skip
        for lesson, seconds in (("composition", 200), ("softmax", 100)):
            db.add(LessonTime(user_id=ada.user_id, lesson_id=lesson, seconds=seconds,
                              first_seen_at=at, last_seen_at=at))  # fmt: skip
        db.commit()
    page = owner.get(f"/classes/{class_id}/dashboard").text
    row = re.search(
        rf'<tr data-learner="{ada.user_id}">(.*?)</tr>', page.split('id="learners"')[1], re.S
    )
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    # 8 attempts, mean (1 + 0.5 + 0 + 0.5 + 0 + 1 + 1 + 0) / 8 = 0.5; one lab challenge (c4)
    # passed; 300 s = 5.0 minutes.
    assert cells == ["8", "50%", "Sun 1 Mar 2026, 09:03 UTC", "1", "5.0"]
