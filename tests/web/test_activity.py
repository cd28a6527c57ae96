"""Time spent on a lesson: reports add up, come at most every 20 s, and are bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.db.classes import LessonTime
from app.db.models import User
from app.web.activity import add_time
from tests.web.learn_fixtures import LearnApp, make_learn_app


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> LearnApp:
    """The app on the small curriculum with a frozen clock."""
    return make_learn_app(tmp_path_factory.mktemp("activity"))


def _row(site: LearnApp, user_id: int, lesson: str) -> LessonTime | None:
    with site.app.state.sessionmaker() as db:
        return db.get(LessonTime, (user_id, lesson))


def _report(client, seconds: object, lesson: str = "composition"):
    return client.post(f"/api/lessons/{lesson}/time", json={"seconds": seconds})


def test_report_time_adds_up(site) -> None:
    client = site.client("ada@example.org")
    start = site.clock()
    for _ in range(3):
        answer = _report(client, 30)
        assert answer.status_code == 200 and answer.json()["counted"] is True
        site.clock.at += timedelta(seconds=30)
    assert answer.json() == {"lesson": "composition", "counted": True, "seconds": 90}
    row = _row(site, client.user_id, "composition")
    assert row.seconds == 90
    assert row.first_seen_at == start
    assert row.last_seen_at == start + timedelta(seconds=60)  # the third report's time
    assert _row(site, client.user_id, "softmax") is None  # per lesson


def test_report_time_within_20_s_is_not_counted(site) -> None:
    client = site.client("bob@example.org")
    assert _report(client, 30).json()["seconds"] == 30
    site.clock.at += timedelta(seconds=19)
    assert _report(client, 30).json() == {"lesson": "composition", "counted": False, "seconds": 30}
    site.clock.at += timedelta(seconds=1)  # 20 s after the last counted report
    # Only the 20 s that passed count, however many seconds the report claims.
    assert _report(client, 60).json() == {"lesson": "composition", "counted": True, "seconds": 50}


def test_report_time_is_per_learner(site) -> None:
    ada, cid = site.client("ada@example.org"), site.client("cid@example.org")
    _report(ada, 12, "softmax")
    assert _report(cid, 7, "softmax").json()["counted"] is True  # another learner's clock
    assert _row(site, ada.user_id, "softmax").seconds == 12
    assert _row(site, cid.user_id, "softmax").seconds == 7


@pytest.mark.parametrize("seconds", [0, -5, 61, 3600, 1.5, "30", None, True])
def test_report_time_out_of_bounds_is_422(site, seconds) -> None:
    client = site.client("eve@example.org")
    answer = _report(client, seconds)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "seconds"]
    assert _row(site, client.user_id, "composition") is None


def test_report_time_needs_seconds_only(site) -> None:
    client = site.client("fay@example.org")
    missing = client.post("/api/lessons/composition/time", json={})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "seconds"]
    extra = client.post("/api/lessons/composition/time", json={"seconds": 5, "user": 1})
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "user"]


def test_report_time_unknown_lesson_is_404(site) -> None:
    answer = _report(site.client("gus@example.org"), 10, "nope")
    assert answer.status_code == 404
    assert "nope" in answer.json()["detail"]


def test_report_time_anonymous_is_401(site) -> None:
    assert _report(site.client(), 10).status_code == 401


def test_add_time_on_both_databases(db_session: Session) -> None:
    db = db_session
    user = User(email="ada@example.org", display_name="Ada", password_hash="x")
    db.add(user)
    db.commit()
    t0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)  # microseconds survive the round trip
    steps = [(0, 30, True), (10, 30, False), (25, 40, True), (45, 5, True), (46, 5, False)]
    for offset, seconds, counted in steps:
        at = t0 + timedelta(seconds=offset)
        assert (
            add_time(db, user_id=user.id, lesson_id="softmax", seconds=seconds, now=at) is counted
        )
        db.commit()
    db.expire_all()
    row = db.get(LessonTime, (user.id, "softmax"))
    # 30, then 25 of 40 (25 s since the last counted report), then 5 (20 s later).
    assert row.seconds == 60
    assert (row.first_seen_at, row.last_seen_at) == (t0, t0 + timedelta(seconds=45))
