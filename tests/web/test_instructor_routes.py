"""Every instructor route, found by walking the app's routes, against every kind of visitor.

Nobody lists the routes by hand here: a route added later under /classes or /api/classes is
swept too. Anonymous visitors are sent to log in, learners get 403, an instructor of another
class gets 404 (a class that is not yours looks like one that does not exist), an assistant
may look but change nothing except unlocking a lesson, and the class's instructor and an
admin reach every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute

from app.db.classes import Assignment, Class, ClassInvite, Membership
from tests.web.learn_fixtures import LearnApp, make_learn_app

INSTRUCTOR_PREFIXES = ("/classes", "/api/classes")
ASSISTANT_MAY_POST = ("/classes/{class_id}/learners/{user_id}/unlock",)
FORM = {"content-type": "application/x-www-form-urlencoded"}


def walk(routes: list) -> Iterator[APIRoute]:
    """Every endpoint route, through included routers (however FastAPI nests them)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from walk(nested.routes)
        elif isinstance(route, APIRoute):
            yield route


@pytest.fixture(scope="module")
def cast(tmp_path_factory) -> dict:
    site: LearnApp = make_learn_app(tmp_path_factory.mktemp("sweep"))
    people = {
        "owner": site.client("owner@example.org", "instructor"),
        "assistant": site.client("assistant@example.org", "instructor"),
        "stranger": site.client("stranger@example.org", "instructor"),
        "learner": site.client("learner@example.org"),
        "admin": site.client("admin@example.org", "admin"),
        "anonymous": site.client(),
    }
    for client in people.values():
        client.follow_redirects = False
    when = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    with site.app.state.sessionmaker() as db:
        mine = Class(name="Owner's private class", timezone="Europe/Berlin", join_code="MINE2345")
        theirs = Class(name="Stranger's class", timezone="UTC", join_code="THRS2345")
        db.add_all([mine, theirs])
        db.flush()
        db.add_all(
            [
                Membership(class_id=mine.id, user_id=people["owner"].user_id, role="instructor"),
                Membership(class_id=mine.id, user_id=people["assistant"].user_id, role="assistant"),
                Membership(class_id=mine.id, user_id=people["learner"].user_id, role="learner"),
                Membership(
                    class_id=theirs.id, user_id=people["stranger"].user_id, role="instructor"
                ),
            ]
        )
        invite = ClassInvite(class_id=mine.id, email="later@example.org")
        work = Assignment(
            class_id=mine.id, title="First steps", lesson_ids=["composition"], due_at=when
        )
        db.add_all([invite, work])
        db.commit()
        ids = {
            "class_id": mine.id,
            "user_id": people["learner"].user_id,
            "invite_id": invite.id,
            "assignment_id": work.id,
            "lesson_id": "composition",
        }
    routes = []
    for route in walk(site.app.routes):
        if route.path.startswith(INSTRUCTOR_PREFIXES):
            for method in sorted(route.methods - {"HEAD"}):
                routes.append((method, route.path))
    return {"site": site, "people": people, "ids": ids, "routes": routes}


def request(client, method: str, template: str, ids: dict):
    path = template.format(**ids)
    if method == "GET":
        answer = client.get(path)
        # A lesson preview puts its lab preset in the address first, as a lesson does.
        if answer.status_code == 303 and answer.headers["location"].startswith(f"{path}?"):
            answer = client.get(answer.headers["location"])
        return answer
    return client.request(method, path, content=b"", headers=FORM)


def test_the_sweep_finds_every_kind_of_instructor_route(cast) -> None:
    paths = {path for _, path in cast["routes"]}
    # The roster, assignments and dashboard each contribute; a broken walk would find none.
    for expected in (
        "/classes",
        "/classes/{class_id}",
        "/classes/{class_id}/roster/import",
        "/classes/{class_id}/assignments/{assignment_id}/extensions",
        "/classes/{class_id}/dashboard",
        "/classes/{class_id}/grades.csv",
        "/classes/{class_id}/learners/{user_id}/unlock",
        "/api/classes/{class_id}/dashboard",
    ):
        assert expected in paths
    assert len(cast["routes"]) >= 30


def test_anonymous_visitors_are_sent_to_log_in(cast) -> None:
    client = cast["people"]["anonymous"]
    for method, path in cast["routes"]:
        answer = request(client, method, path, cast["ids"])
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login"), (method, path)


def test_learners_never_reach_instructor_routes(cast) -> None:
    client = cast["people"]["learner"]  # a learner of the very class in the paths
    for method, path in cast["routes"]:
        answer = request(client, method, path, cast["ids"])
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert "Owner's private class" not in answer.text


def test_an_instructor_never_sees_another_instructors_class(cast) -> None:
    client = cast["people"]["stranger"]
    for method, path in cast["routes"]:
        answer = request(client, method, path, cast["ids"])
        if "{class_id}" in path:
            assert answer.status_code == 404, (method, path, answer.status_code)
        assert "Owner's private class" not in answer.text, (method, path)
        assert "MINE2345" not in answer.text, (method, path)


def test_an_assistant_may_look_but_only_unlock(cast) -> None:
    client = cast["people"]["assistant"]
    for method, path in cast["routes"]:
        answer = request(client, method, path, cast["ids"])
        if method == "GET":
            assert answer.status_code == 200, (method, path, answer.status_code)
        elif path in ASSISTANT_MAY_POST:
            assert answer.status_code not in (401, 403, 404), (method, path)
        elif path != "/classes":  # creating a class of one's own is any instructor's right
            assert answer.status_code == 403, (method, path, answer.status_code)


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_the_instructor_and_an_admin_reach_every_page(cast, who: str) -> None:
    client = cast["people"][who]
    for method, path in cast["routes"]:
        if method != "GET":
            continue
        answer = request(client, method, path, cast["ids"])
        assert answer.status_code == 200, (who, path, answer.status_code, answer.text[:200])


def test_a_learner_of_another_class_is_not_found_in_the_paths(cast) -> None:
    site, ids = cast["site"], dict(cast["ids"])
    outsider = site.client("outsider@example.org")  # in no class of the owner's
    ids["user_id"] = outsider.user_id
    owner = cast["people"]["owner"]
    for path in (
        "/classes/{class_id}/learners/{user_id}",
        "/classes/{class_id}/learners/{user_id}/unlock",
    ):
        method = "GET" if path.endswith("}") else "POST"
        answer = request(owner, method, path, ids)
        assert answer.status_code == 404, (path, answer.status_code)
