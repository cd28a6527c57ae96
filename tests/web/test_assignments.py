"""Assignment routes in-process: who may see and change them, bad input named, learners' view."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.db.classes import Assignment, AssignmentExtension, Class, Membership
from app.db.models import AuditLog
from app.db.progress import Mastery
from app.web.assignments import required_level
from tests.web.learn_fixtures import LearnApp, make_learn_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the app's frozen clock (a Monday)
NEW = {"title": "Week 1", "lessons": "composition", "level": "familiar", "due": "2026-03-08T23:59"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> LearnApp:
    """The app on the small curriculum with a frozen clock (each test makes its own class)."""
    return make_learn_app(tmp_path_factory.mktemp("assignments"))


class Cast:
    """A class of its own: owner, assistant, another instructor, two learners, an outsider."""

    def __init__(self, site: LearnApp, timezone: str = "Europe/Berlin", **extra) -> None:
        self.site = site
        self.owner = site.client("owner@example.org", "instructor")
        self.assistant = site.client("ta@example.org", "instructor")
        self.stranger = site.client("other@example.org", "instructor")
        self.ada = site.client("ada@example.org")
        self.bob = site.client("bob@example.org")
        self.outsider = site.client("out@example.org")
        self.class_id = make_class(
            site,
            {
                self.owner.user_id: "instructor",
                self.assistant.user_id: "assistant",
                self.ada.user_id: "learner",
                self.bob.user_id: "learner",
            },
            timezone=timezone,
            **extra,
        )
        self.base = f"/classes/{self.class_id}/assignments"

    def create(self, **change: str) -> int:
        """Make an assignment as the owner; its id."""
        answer = self.owner.post(self.base, data=NEW | change, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return int(answer.headers["location"].rsplit("/", 1)[1])


def make_class(site: LearnApp, members: dict[int, str], **fields) -> int:
    """Insert a class and its members directly; its id."""
    with site.app.state.sessionmaker() as db:
        klass = Class(name=fields.pop("name", "Deep learning 101"), **fields)
        db.add(klass)
        db.flush()
        for user_id, role in members.items():
            db.add(Membership(class_id=klass.id, user_id=user_id, role=role))
        db.commit()
        return klass.id


def set_level(site: LearnApp, user_id: int, concept: str, level: str) -> None:
    with site.app.state.sessionmaker() as db:
        db.merge(Mastery(user_id=user_id, concept_id=concept, level=level, updated_at=T0))
        db.commit()


def routes(cast: Cast, aid: int) -> list[tuple[str, str, dict]]:
    one = f"{cast.base}/{aid}"
    ext = {"user_id": str(cast.ada.user_id), "due": "2026-03-10T12:00"}
    return [
        ("GET", cast.base, {}),
        ("GET", one, {}),
        ("GET", f"/api/classes/{cast.class_id}/assignments", {}),
        ("POST", cast.base, NEW),
        ("POST", f"{one}/edit", NEW),
        ("POST", f"{one}/extensions", ext),
        ("POST", f"{one}/extensions/{cast.ada.user_id}/remove", {}),
        ("POST", f"{one}/delete", {}),
    ]


def call(client, method: str, path: str, data: dict):
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.post(path, data=data, follow_redirects=False)


def test_anonymous_learner_and_other_instructor_are_kept_out(site) -> None:
    cast = Cast(site)
    aid = cast.create()
    anonymous = site.client()
    for method, path, data in routes(cast, aid):
        answer = call(anonymous, method, path, data)
        expected = 401 if path.startswith("/api/") else 303
        assert answer.status_code == expected, (method, path)
        assert call(cast.ada, method, path, data).status_code == 403, (method, path)
        assert call(cast.stranger, method, path, data).status_code == 404, (method, path)
    with site.app.state.sessionmaker() as db:
        assert db.get(Assignment, aid) is not None


def test_assistant_may_look_but_not_change(site) -> None:
    cast = Cast(site)
    aid = cast.create()
    for method, path, data in routes(cast, aid):
        answer = call(cast.assistant, method, path, data)
        if method == "GET":
            assert answer.status_code == 200, path
        else:
            assert answer.status_code == 403, path
            assert "only the class's instructors" in answer.json()["detail"]
    page = cast.assistant.get(cast.base).text
    assert "New assignment" not in page and 'name="title"' not in page
    detail = cast.assistant.get(f"{cast.base}/{aid}").text
    assert "/extensions" not in detail and "/delete" not in detail


def test_owner_creates_and_the_list_shows_it_in_the_class_zone(site) -> None:
    cast = Cast(site)
    form = cast.owner.get(cast.base)
    assert form.status_code == 200
    assert 'type="datetime-local"' in form.text and "<strong>Europe/Berlin</strong>" in form.text
    # The lesson picker follows the curriculum's order.
    picked = re.findall(r'name="lessons" value="([a-z-]+)"', form.text)
    assert picked == ["composition", "softmax", "initialization"]
    aid = cast.create(opens="2026-03-02T08:00", concepts="initialization")
    set_level(site, cast.ada.user_id, "composition", "proficient")
    set_level(site, cast.ada.user_id, "initialization", "familiar")
    page = cast.owner.get(cast.base).text
    row = page[page.index(f'data-assignment="{aid}"') :]
    row = row[: row.index("</tr>")]
    assert "Week 1" in row and "Composition and depth, Initialisation" in row
    assert "Mon 2 Mar 2026, 08:00 CET" in row  # 07:00 UTC
    assert "Sun 8 Mar 2026, 23:59 CET" in row
    assert "1 of 2 learners done" in row
    with site.app.state.sessionmaker() as db:
        made = db.get(Assignment, aid)
        assert made.due_at == datetime(2026, 3, 8, 22, 59, tzinfo=UTC)
        assert made.opens_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
        assert (made.lesson_ids, made.concept_ids) == (["composition"], ["initialization"])
        log = db.scalar(
            select(AuditLog)
            .where(AuditLog.action == "assignment.create")
            .where(AuditLog.target_id == str(aid))
        )
        assert log.actor_id == cast.owner.user_id
    api = cast.owner.get(f"/api/classes/{cast.class_id}/assignments").json()
    assert api["timezone"] == "Europe/Berlin"
    assert api["assignments"] == [
        {
            "id": aid,
            "title": "Week 1",
            "lesson_ids": ["composition"],
            "concept_ids": ["initialization"],
            "lessons": ["Composition and depth"],
            "concepts": ["Initialisation"],
            "required_level": "familiar",
            "opens_at": "2026-03-02T07:00:00+00:00",
            "due_at": "2026-03-08T22:59:00+00:00",
            "done": 1,
            "learners": 2,
        }
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"lessons": "nope"}, "lessons", "unknown lesson &#39;nope&#39;"),
        ({"lessons": ""}, "lessons", "pick at least one lesson or concept"),
        ({"opens": "2026-03-09T10:00"}, "due", "the due date must come after the open date"),
        ({"due": "2026-03-29T02:30"}, "due", "2026-03-29 02:30 does not exist in Europe/Berlin"),
        ({"due": "soon"}, "due", "is not a date and time"),
        ({"level": "expert"}, "level", "unknown level &#39;expert&#39;"),
        ({"title": ""}, "title", "give the assignment a title"),
    ],
)
def test_bad_assignment_is_named_next_to_its_field(site, change, field, message) -> None:
    cast = Cast(site)
    answer = cast.owner.post(cast.base, data=NEW | change, follow_redirects=False)
    assert answer.status_code == 422
    assert re.search(rf'id="e-{field}" role="alert">[^<]*{re.escape(message)}', answer.text)
    with site.app.state.sessionmaker() as db:
        assert (
            db.scalars(select(Assignment).where(Assignment.class_id == cast.class_id)).all() == []
        )


def test_bad_class_zone_is_named(site) -> None:
    cast = Cast(site, timezone="Mars/Olympus")
    page = cast.owner.get(cast.base)
    assert page.status_code == 200 and "unknown time zone &#39;Mars/Olympus&#39;" in page.text
    answer = cast.owner.post(cast.base, data=NEW, follow_redirects=False)
    assert answer.status_code == 422
    assert re.search(r'id="e-due" role="alert">[^<]*unknown time zone', answer.text)


def test_nonexistent_local_time_suggests_the_hour_after(site) -> None:
    cast = Cast(site, timezone="America/New_York")
    answer = cast.owner.post(cast.base, data=NEW | {"due": "2026-03-08T02:30"})
    assert answer.status_code == 422
    assert "does not exist in America/New_York" in answer.text and "try 03:30" in answer.text


def test_owner_edits_and_deletes(site) -> None:
    cast = Cast(site)
    aid = cast.create()
    page = cast.owner.get(f"{cast.base}/{aid}")
    assert page.status_code == 200
    assert 'value="2026-03-08T23:59"' in page.text  # the edit form, in the class's wall time
    assert f'href="/classes/{cast.class_id}/preview/composition"' in page.text  # as a learner
    edit = NEW | {"title": "Week 1 (longer)", "due": "2026-03-09T23:59", "level": "proficient"}
    answer = cast.owner.post(f"{cast.base}/{aid}/edit", data=edit, follow_redirects=False)
    assert answer.status_code == 303
    bad = cast.owner.post(f"{cast.base}/{aid}/edit", data=edit | {"lessons": "zz"})
    assert bad.status_code == 422 and "unknown lesson" in bad.text
    assert 'value="zz"' not in bad.text  # only known lessons are offered again
    with site.app.state.sessionmaker() as db:
        row = db.get(Assignment, aid)
        assert (row.title, row.required_level) == ("Week 1 (longer)", "proficient")
        assert row.due_at == datetime(2026, 3, 9, 22, 59, tzinfo=UTC)
    other = Cast(site)
    assert cast.owner.get(f"{other.base}/{aid}").status_code == 404  # not their class
    assert other.owner.get(f"{other.base}/{aid}").status_code == 404  # not that class's
    gone = cast.owner.post(f"{cast.base}/{aid}/delete", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == cast.base
    assert cast.owner.get(f"{cast.base}/{aid}").status_code == 404
    with site.app.state.sessionmaker() as db:
        actions = db.scalars(
            select(AuditLog.action).where(AuditLog.target_id == str(aid)).order_by(AuditLog.id)
        ).all()
        assert actions[-3:] == ["assignment.create", "assignment.edit", "assignment.delete"]


def test_extension_is_granted_shown_to_that_learner_only_and_withdrawn(site) -> None:
    cast = Cast(site)
    aid = cast.create()
    url = f"{cast.base}/{aid}/extensions"
    bad = {"user_id": str(cast.outsider.user_id), "due": "2026-03-12T18:00"}
    answer = cast.owner.post(url, data=bad)
    assert answer.status_code == 422 and "is not a learner of this class" in answer.text
    early = cast.owner.post(url, data={"user_id": str(cast.ada.user_id), "due": "2026-03-08T12:00"})
    assert early.status_code == 422
    assert re.search(
        rf'id="ext-e-{cast.ada.user_id}" role="alert">[^<]*after the assignment', early.text
    )
    nonsense = cast.owner.post(url, data={"user_id": "x", "due": "2026-03-12T18:00"})
    assert nonsense.status_code == 422 and "user_id must be a learner" in nonsense.text
    good = {"user_id": str(cast.ada.user_id), "due": "2026-03-12T18:00", "reason": "ill <3 days>"}
    assert cast.owner.post(url, data=good, follow_redirects=False).status_code == 303
    detail = cast.owner.get(f"{cast.base}/{aid}").text
    ada_row = detail[detail.index(f'data-learner="{cast.ada.user_id}"') :]
    ada_row = ada_row[: ada_row.index("</tr>")]
    assert "Thu 12 Mar 2026, 18:00 CET" in ada_row and "extended" in ada_row
    assert 'value="2026-03-12T18:00"' in ada_row and "Withdraw" in ada_row
    assert "(ill &lt;3 days&gt;)" in ada_row  # the reason, shown escaped
    ada = cast.ada.get("/api/assignments").json()["assignments"]
    bob = cast.bob.get("/api/assignments").json()["assignments"]
    assert [(a["id"], a["extended"], a["due_at"]) for a in ada] == [
        (aid, True, "2026-03-12T17:00:00+00:00")
    ]
    assert [(a["id"], a["extended"], a["due_at"]) for a in bob] == [
        (aid, False, "2026-03-08T22:59:00+00:00")
    ]
    page = cast.ada.get("/assignments").text
    assert "Thu 12 Mar 2026, 18:00 CET" in page and "instead of Sun 8 Mar 2026, 23:59 CET" in page
    assert "extended" not in cast.bob.get("/assignments").text
    remove = f"{url}/{cast.ada.user_id}/remove"
    assert cast.owner.post(remove, follow_redirects=False).status_code == 303
    assert cast.owner.post(remove).status_code == 404
    with site.app.state.sessionmaker() as db:
        assert db.get(AssignmentExtension, (aid, cast.ada.user_id)) is None
        actions = db.scalars(
            select(AuditLog.action).where(AuditLog.target_id == str(aid)).order_by(AuditLog.id)
        ).all()
        assert actions[-2:] == ["extension.grant", "extension.withdraw"]


def test_learner_sees_only_their_classes_in_order(site) -> None:
    cast = Cast(site)
    ada = cast.ada.user_id
    done = cast.create(title="Done already", due="2026-03-05T12:00")
    upcoming = cast.create(
        title="Later", lessons="initialization", opens="2026-03-10T09:00", due="2026-03-20T09:00"
    )
    overdue = cast.create(
        title="Missed", lessons="softmax", opens="2026-02-20T09:00", due="2026-03-01T09:00"
    )
    open_ = cast.create(
        title="This week", lessons="softmax", concepts="composition", due="2026-03-04T12:00"
    )
    set_level(site, ada, "composition", "familiar")
    elsewhere = Cast(site)
    elsewhere.create(title="Not yours")
    archived = make_class(
        site, {ada: "learner", cast.owner.user_id: "instructor"}, archived_at=T0, name="Old"
    )
    cast.owner.post(f"/classes/{archived}/assignments", data=NEW | {"title": "Archived"})
    items = cast.ada.get("/api/assignments").json()["assignments"]
    assert [(i["id"], i["state"]) for i in items] == [
        (overdue, "overdue"),
        (open_, "open"),
        (upcoming, "upcoming"),
        (done, "done"),
    ]
    this_week = items[1]
    assert (this_week["done"], this_week["total"], this_week["fraction"]) == (1, 2, 0.5)
    assert this_week["missing"] == ["Softmax and cross-entropy"]
    assert [lesson["id"] for lesson in this_week["lessons"]] == ["softmax", "composition"]
    assert this_week["due_relative"] == "in 2 days"
    assert items[0]["due_relative"] == "1 day ago"
    page = cast.ada.get("/assignments")
    assert page.status_code == 200
    titles = re.findall(r"<h2>([^<]+)</h2>", page.text)
    assert titles == ["Missed", "This week", "Later", "Done already"]
    assert '<a href="/lessons/softmax">Softmax and cross-entropy</a>' in page.text
    assert '<progress max="2" value="1">' in page.text
    assert (
        'Opens <time datetime="2026-03-10T08:00:00+00:00">Tue 10 Mar 2026, 09:00 CET' in page.text
    )
    assert "Not yours" not in page.text and "Archived" not in page.text
    assert [i["title"] for i in elsewhere.ada.get("/api/assignments").json()["assignments"]] == [
        "Not yours"
    ]


def test_learner_without_classes_is_pointed_to_join(site) -> None:
    lone = site.client("lone@example.org")
    page = lone.get("/assignments")
    assert page.status_code == 200 and '<a href="/join">' in page.text
    assert lone.get("/api/assignments").json() == {"assignments": []}
    assert site.client().get("/assignments", follow_redirects=False).status_code == 303
    assert site.client().get("/api/assignments").status_code == 401


def test_a_class_asking_proficient_gates_its_learners(site) -> None:
    cast = Cast(site, required_level="proficient")
    for client in (cast.ada, cast.outsider):
        set_level(site, client.user_id, "composition", "familiar")
    # Outside any class, familiar opens what needs composition; in this class it does not.
    assert cast.outsider.get("/lessons/softmax").status_code == 200
    locked = cast.ada.get("/lessons/softmax")
    assert locked.status_code == 403 and "This lesson is locked" in locked.text
    set_level(site, cast.ada.user_id, "composition", "proficient")
    assert cast.ada.get("/lessons/softmax").status_code == 200
    # Staff membership and archived classes do not gate.
    make_class(site, {cast.outsider.user_id: "assistant"}, required_level="proficient", name="S")
    make_class(
        site,
        {cast.outsider.user_id: "learner"},
        required_level="proficient",
        archived_at=T0,
        name="Old",
    )
    assert cast.outsider.get("/lessons/softmax").status_code == 200


def test_required_level_is_the_strictest(site) -> None:
    lone = site.client("gate@example.org")
    with site.app.state.sessionmaker() as db:
        assert required_level(db, lone.user_id) == "familiar"
    make_class(site, {lone.user_id: "learner"}, required_level="familiar", name="F")
    make_class(site, {lone.user_id: "learner"}, required_level="proficient", name="P")
    with site.app.state.sessionmaker() as db:
        assert required_level(db, lone.user_id) == "proficient"


def test_the_joined_notice_names_only_a_class_of_ones_own(site) -> None:
    cast = Cast(site)
    mine = cast.ada.get(f"/assignments?joined={cast.class_id}").text
    assert 'id="joined"' in mine and "You joined" in mine
    other = make_class(site, {cast.stranger.user_id: "instructor"}, name="Somebody else's")
    theirs = cast.ada.get(f"/assignments?joined={other}").text
    assert 'id="joined"' not in theirs and "Somebody else" not in theirs
    assert cast.ada.get("/assignments?joined=x").status_code == 422
