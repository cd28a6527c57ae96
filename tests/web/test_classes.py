"""Class pages, their JSON and /join in-process: who may do what, codes, staff, CSV import."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.accounts import create_user
from app.db.classes import ClassInvite, Membership
from app.db.models import AuditLog, User
from tests.web.learn_fixtures import LearnApp, make_learn_app

PASSWORD = "correct horse 42"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> LearnApp:
    """The app with a frozen clock; each test makes its own users and classes."""
    return make_learn_app(tmp_path_factory.mktemp("classes"))


def _client(site: LearnApp, email: str | None = None, role: str = "learner"):
    client = site.client(email, role)
    client.follow_redirects = False
    return client


def _new_class(client, name: str = "Deep learning") -> tuple[int, str]:
    made = client.post("/classes", data={"name": name, "timezone": "UTC"})
    assert made.status_code == 303, made.text
    class_id = int(made.headers["location"].rsplit("/", 1)[1])
    return class_id, _code(client, class_id)


def _code(client, class_id: int) -> str:
    page = client.get(f"/classes/{class_id}")
    return re.search(r'id="join-code">([A-Z0-9]+)<', page.text).group(1)


def _actions(site: LearnApp, class_id: int) -> list[str]:
    with site.app.state.sessionmaker() as db:
        rows = db.scalars(
            select(AuditLog.action)
            .where(AuditLog.target_type == "class", AuditLog.target_id == str(class_id))
            .order_by(AuditLog.id)
        )
        return list(rows)


def _role_in(site: LearnApp, class_id: int, user_id: int) -> str | None:
    with site.app.state.sessionmaker() as db:
        row = db.get(Membership, (class_id, user_id))
        return row.role if row else None


@pytest.fixture
def crew(site: LearnApp) -> dict:
    """A class with its owner, an assistant, a learner in it and an unrelated instructor."""
    owner = _client(site, "owner@school.org", "instructor")
    class_id, code = _new_class(owner)
    assistant = _client(site, "ta@school.org", "instructor")
    added = owner.post(
        f"/classes/{class_id}/staff", data={"email": _email(site, assistant), "role": "assistant"}
    )
    assert added.status_code == 303, added.text
    learner = _client(site, "lea@school.org")
    assert learner.post("/join", data={"code": code}).status_code == 303
    other = _client(site, "other@school.org", "instructor")
    return {
        "id": class_id,
        "code": code,
        "owner": owner,
        "assistant": assistant,
        "learner": learner,
        "other": other,
    }


def _email(site: LearnApp, client) -> str:
    with site.app.state.sessionmaker() as db:
        return db.get(User, client.user_id).email


# Every staff route: (method, path, whether only instructors may use it).
ROUTES = [
    ("GET", "/classes", False),
    ("POST", "/classes", False),
    ("GET", "/api/classes", False),
    ("GET", "/classes/{id}", False),
    ("GET", "/api/classes/{id}/roster", False),
    ("POST", "/classes/{id}/settings", True),
    ("POST", "/classes/{id}/archive", True),
    ("POST", "/classes/{id}/unarchive", True),
    ("POST", "/classes/{id}/join-code/reset", True),
    ("POST", "/classes/{id}/join-code/disable", True),
    ("POST", "/classes/{id}/join-code/enable", True),
    ("POST", "/classes/{id}/members/1/remove", True),
    ("POST", "/classes/{id}/staff", True),
    ("POST", "/classes/{id}/invites/1/cancel", True),
    ("POST", "/classes/{id}/roster/import", True),
]
CLASS_ROUTES = [r for r in ROUTES if "{id}" in r[1]]


def _call(client, method: str, path: str, class_id: int):
    url = path.format(id=class_id)
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"name": "x", "text": "a@school.org"})


def test_routes_anonymous_go_to_login(site, crew) -> None:
    anonymous = _client(site)
    for method, path, _ in ROUTES:
        answer = _call(anonymous, method, path, crew["id"])
        if path.startswith("/api/"):
            assert answer.status_code == 401, path
        else:
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/login"), path
    page = anonymous.get(f"/join?code={crew['code']}")
    assert page.headers["location"] == f"/login?next=/join%3Fcode%3D{crew['code']}"
    assert anonymous.post("/join", data={"code": crew["code"]}).headers["location"] == "/login"


def test_routes_learner_forbidden(site, crew) -> None:
    for method, path, _ in ROUTES:
        assert _call(crew["learner"], method, path, crew["id"]).status_code == 403, path


def test_routes_other_instructor_not_found(site, crew) -> None:
    for method, path, _ in CLASS_ROUTES:
        answer = _call(crew["other"], method, path, crew["id"])
        assert answer.status_code == 404, path
        assert f"no class {crew['id']} among yours" in answer.text
    assert crew["id"] not in [c["id"] for c in crew["other"].get("/api/classes").json()["classes"]]


def test_assistant_reads_but_changes_nothing(site, crew) -> None:
    for method, path, instructors_only in CLASS_ROUTES:
        answer = _call(crew["assistant"], method, path, crew["id"])
        assert answer.status_code == (403 if instructors_only else 200), path
    page = crew["assistant"].get(f"/classes/{crew['id']}")
    assert "You assist this class" in page.text
    assert crew["code"] in page.text
    assert "/settings" not in page.text and "/roster/import" not in page.text
    assert "/remove" not in page.text
    assert _actions(site, crew["id"]) == ["class.create", "class.staff.add", "class.join"]


def test_create_class_opens_roster_tab(site) -> None:
    owner = _client(site, "t@school.org", "instructor")
    made = owner.post(
        "/classes",
        data={
            "name": " Deep   learning ",
            "timezone": "Europe/Paris",
            "required_level": "proficient",
        },
    )
    assert made.status_code == 303
    class_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = owner.get(f"/classes/{class_id}")
    assert page.status_code == 200
    assert '<link rel="stylesheet" href="/static/css/classes.css">' in page.text
    assert f'href="/classes/{class_id}" aria-current="page">Roster' in page.text
    code = _code(owner, class_id)
    assert f"http://testserver/join?code={code}" in page.text
    listed = owner.get("/api/classes").json()["classes"]
    assert [
        (c["id"], c["name"], c["timezone"], c["required_level"], c["learners"]) for c in listed
    ] == [(class_id, "Deep learning", "Europe/Paris", "proficient", 0)]
    assert _actions(site, class_id) == ["class.create"]


def test_create_class_bad_input_shown_beside_field(site) -> None:
    owner = _client(site, "t@school.org", "instructor")
    page = owner.post("/classes", data={"name": "Algebra", "timezone": "Europe/Atlantis"})
    assert page.status_code == 400
    assert 'id="e-timezone"' in page.text
    assert "Unknown time zone &#39;Europe/Atlantis&#39;" in page.text
    assert 'value="Algebra"' in page.text  # what was typed is kept
    assert owner.get("/api/classes").json()["classes"] == []


def test_settings_rename_and_gate(site, crew) -> None:
    owner, class_id = crew["owner"], crew["id"]
    form = {
        "name": "Deep learning II",
        "timezone": "America/New_York",
        "required_level": "proficient",
    }
    done = owner.post(f"/classes/{class_id}/settings", data=form)
    assert done.headers["location"] == f"/classes/{class_id}?done=settings"
    page = owner.get(done.headers["location"])
    assert "The class settings were saved." in page.text and "Deep learning II" in page.text
    bad = owner.post(f"/classes/{class_id}/settings", data={**form, "required_level": "mastered"})
    assert bad.status_code == 400 and "The gate must be one of familiar, proficient." in bad.text
    assert _actions(site, class_id)[-3:] == ["class.rename", "class.timezone", "class.gate"]


def test_join_code_reset_makes_old_code_fail(site, crew) -> None:
    owner, class_id, old = crew["owner"], crew["id"], crew["code"]
    done = owner.post(f"/classes/{class_id}/join-code/reset")
    assert done.headers["location"] == f"/classes/{class_id}?done=reset"
    new = _code(owner, class_id)
    assert new != old
    newcomer = _client(site, "new@school.org")
    refused = newcomer.post("/join", data={"code": old})
    assert refused.status_code == 400
    assert f"No class has the code {old}" in refused.text
    joined = newcomer.post("/join", data={"code": new.lower()})
    assert joined.headers["location"] == f"/assignments?joined={class_id}"
    assert _role_in(site, class_id, newcomer.user_id) == "learner"
    assert "class.join_code.reset" in _actions(site, class_id)


def test_disabled_code_refused_with_its_message(site, crew) -> None:
    owner, class_id = crew["owner"], crew["id"]
    owner.post(f"/classes/{class_id}/join-code/disable")
    assert "Turn joining on" in owner.get(f"/classes/{class_id}").text
    newcomer = _client(site, "new@school.org")
    refused = newcomer.post("/join", data={"code": crew["code"]})
    assert refused.status_code == 400
    assert "Joining Deep learning by code is switched off; ask your instructor." in refused.text
    owner.post(f"/classes/{class_id}/join-code/enable")
    assert newcomer.post("/join", data={"code": crew["code"]}).status_code == 303
    assert _actions(site, class_id)[-3:] == [
        "class.join_code.disable",
        "class.join_code.enable",
        "class.join",
    ]


def test_join_page_lists_classes_and_already_member_notice(site, crew) -> None:
    learner = crew["learner"]
    page = learner.get(f"/join?code={crew['code'].lower()}")
    assert f'value="{crew["code"]}"' in page.text
    assert "Deep learning" in page.text and "taught by owner-" in page.text
    again = learner.post("/join", data={"code": crew["code"]})
    assert again.status_code == 200 and "You are already in Deep learning." in again.text
    staff = crew["owner"].post("/join", data={"code": crew["code"]})
    assert staff.status_code == 400 and "You are on the staff of Deep learning" in staff.text


def test_learner_leaves_a_class(site, crew) -> None:
    learner, class_id = crew["learner"], crew["id"]
    left = learner.post(f"/join/leave/{class_id}")
    assert left.headers["location"] == f"/join?left={class_id}"
    assert "You left Deep learning." in learner.get(left.headers["location"]).text
    assert _role_in(site, class_id, learner.user_id) is None
    assert learner.post(f"/join/leave/{class_id}").status_code == 404
    # Only a class one has left is named: another id shows no name.
    other = _client(site, "other@school.org")
    assert "Deep learning" not in other.get(f"/join?left={class_id}").text


def test_archive_moves_class_and_refuses_code(site, crew) -> None:
    owner, class_id = crew["owner"], crew["id"]
    assert owner.post(f"/classes/{class_id}/archive").status_code == 303
    listing = owner.get("/classes").text
    assert listing.index("Archived") < listing.index(f'data-class="{class_id}"')
    refused = _client(site, "new@school.org").post("/join", data={"code": crew["code"]})
    assert "Deep learning is archived and takes no new learners." in refused.text
    owner.post(f"/classes/{class_id}/unarchive")
    assert "Archived" not in owner.get("/classes").text
    assert _actions(site, class_id)[-2:] == ["class.archive", "class.unarchive"]


def test_remove_member_but_never_the_last_instructor(site, crew) -> None:
    owner, class_id = crew["owner"], crew["id"]
    done = owner.post(f"/classes/{class_id}/members/{crew['learner'].user_id}/remove")
    assert done.headers["location"] == f"/classes/{class_id}?done=remove"
    assert _role_in(site, class_id, crew["learner"].user_id) is None
    last = owner.post(f"/classes/{class_id}/members/{owner.user_id}/remove")
    assert last.status_code == 400
    assert "A class needs an instructor: add another one before removing the last." in last.text
    assert _role_in(site, class_id, owner.user_id) == "instructor"
    assert "class.member.remove" in _actions(site, class_id)


def test_staff_by_email_needs_an_instructor_account(site, crew) -> None:
    owner, class_id = crew["owner"], crew["id"]
    learner_email = _email(site, crew["learner"])
    refused = owner.post(
        f"/classes/{class_id}/staff", data={"email": learner_email, "role": "instructor"}
    )
    assert refused.status_code == 400 and 'id="e-staff_email"' in refused.text
    assert "has a learner account" in refused.text and "layerwise set-role" in refused.text
    unknown = owner.post(f"/classes/{class_id}/staff", data={"email": "nobody@school.org"})
    assert "No account for nobody@school.org" in unknown.text
    other_email = _email(site, crew["other"])
    added = owner.post(
        f"/classes/{class_id}/staff", data={"email": other_email, "role": "instructor"}
    )
    assert added.status_code == 303
    assert crew["other"].get(f"/classes/{class_id}").status_code == 200
    assert owner.post(f"/classes/{class_id}/members/{owner.user_id}/remove").status_code == 303


def test_csv_import_upload_reports_every_line(site, crew) -> None:
    owner, class_id = crew["owner"], crew["id"]
    known = _client(site, "known@school.org")
    body = (
        f"email,name\n{_email(site, known)},Known\nnew@school.org,New Person\nnot-an-email\n"
        f"NEW@school.org\n{_email(site, crew['assistant'])}\n{_email(site, crew['learner'])}\n"
    ).encode()
    page = owner.post(
        f"/classes/{class_id}/roster/import", files={"file": ("roster.csv", body, "text/csv")}
    )
    assert page.status_code == 200
    rows = re.findall(
        r'data-line="(\d+)" data-outcome="(\w+)">\s*<td>\d+</td><td>[^<]*</td>\s*<td>[^<]*</td>\s*'
        r"<td>([^<]*)</td>",
        page.text,
    )
    assert rows == [
        ("2", "added", ""),
        ("3", "invited", "no account yet: joins on sign-up"),
        ("4", "refused", "not an email address"),
        ("5", "refused", "duplicate of line 3"),
        ("6", "refused", "staff account: already teaches this class"),
        ("7", "already", "already a learner"),
    ]
    assert "1 added · 1 invited · 1 already there · 3 refused" in page.text
    assert _role_in(site, class_id, known.user_id) == "learner"
    assert 'data-invite="' in page.text and "New Person" in page.text
    assert _actions(site, class_id)[-1] == "class.roster.import"


def test_csv_import_pasted_text(site, crew) -> None:
    page = crew["owner"].post(
        f"/classes/{crew['id']}/roster/import", data={"text": "a@school.org;A\nb@school.org;B"}
    )
    assert page.status_code == 200 and "0 added · 2 invited" in page.text
    roster = crew["owner"].get(f"/api/classes/{crew['id']}/roster").json()
    assert [(i["email"], i["name"]) for i in roster["invites"]] == [
        ("a@school.org", "A"),
        ("b@school.org", "B"),
    ]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("ok@school.org\n".encode("utf-16"), "The file is not text"),
        ("caf\xe9@school.org\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"ok@school.org\n" * 2001, "The roster has 2001 lines; at most 2000"),
        (b"", "The roster is empty"),
    ],
)
def test_csv_import_unreadable_applies_nothing(site, crew, body: bytes, words: str) -> None:
    page = crew["owner"].post(
        f"/classes/{crew['id']}/roster/import", files={"file": ("roster.csv", body, "text/csv")}
    )
    assert page.status_code == 400 and words in page.text
    with site.app.state.sessionmaker() as db:
        assert db.scalars(select(ClassInvite).where(ClassInvite.class_id == crew["id"])).all() == []
    assert "class.roster.import" not in _actions(site, crew["id"])


def test_invite_claimed_at_signup(site, crew) -> None:
    crew["owner"].post(f"/classes/{crew['id']}/roster/import", data={"text": "fresh@school.org"})
    browser = _client(site)
    form = {
        "email": "Fresh@school.org",
        "display_name": "Fresh",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    assert browser.post("/signup", data=form).status_code == 303
    page = browser.get("/join")
    assert f'data-class="{crew["id"]}"' in page.text
    roster = crew["owner"].get(f"/api/classes/{crew['id']}/roster").json()
    assert "fresh@school.org" in [m["email"] for m in roster["members"] if m["role"] == "learner"]
    assert roster["invites"] == []
    assert _actions(site, crew["id"])[-1] == "class.invite.claim"


def test_invite_cancel(site, crew) -> None:
    owner = crew["owner"]
    owner.post(f"/classes/{crew['id']}/roster/import", data={"text": "gone@school.org"})
    (invite,) = owner.get(f"/api/classes/{crew['id']}/roster").json()["invites"]
    done = owner.post(f"/classes/{crew['id']}/invites/{invite['id']}/cancel")
    assert done.headers["location"] == f"/classes/{crew['id']}?done=cancel"
    assert owner.get(f"/api/classes/{crew['id']}/roster").json()["invites"] == []
    missing = owner.post(f"/classes/{crew['id']}/invites/{invite['id']}/cancel")
    assert (
        missing.status_code == 400 and f"No invitation {invite['id']} in this class" in missing.text
    )


def test_instructor_with_several_classes_sees_only_those(site, crew) -> None:
    mine = _client(site, "many@school.org", "instructor")
    ids = [_new_class(mine, name)[0] for name in ("Zeta", "Alpha", "Mu")]
    listed = mine.get("/api/classes").json()["classes"]
    assert [c["name"] for c in listed] == ["Alpha", "Mu", "Zeta"]
    assert sorted(c["id"] for c in listed) == sorted(ids)
    page = mine.get("/classes").text
    assert set(map(int, re.findall(r'data-class="(\d+)"', page))) == set(ids)
    assert crew["id"] not in ids


def test_invite_claimed_at_login(site, crew) -> None:
    crew["owner"].post(f"/classes/{crew['id']}/roster/import", data={"text": "cli@school.org"})
    with site.app.state.sessionmaker() as db:  # an account made by `layerwise create-user`
        user = create_user(db, site.settings, email="cli@school.org", password=PASSWORD)
        db.commit()
        user_id = user.id
    browser = _client(site)
    login = browser.post("/login", data={"email": "cli@school.org", "password": PASSWORD})
    assert login.status_code == 303
    assert _role_in(site, crew["id"], user_id) == "learner"
    assert crew["owner"].get(f"/api/classes/{crew['id']}/roster").json()["invites"] == []
