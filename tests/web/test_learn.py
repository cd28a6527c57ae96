"""The learner's pages and API in-process: gating, attempts, variants, ownership, roles."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from app.curriculum.generators import generate
from app.db.progress import Attempt, IssuedVariant, Mastery
from tests.web.learn_fixtures import LearnApp, issued_seed, make_learn_app, seed_keys

ROLES = ("learner", "instructor", "admin")
PAGES = ("/map", "/lessons/composition", "/progress", "/review")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> LearnApp:
    """The app on the small curriculum with a frozen clock (each test signs up its own users)."""
    return make_learn_app(tmp_path_factory.mktemp("learn"))


def _answer_generated(client, lesson: str = "composition", check: str = "c3") -> dict:
    shown = client.get(f"/api/lessons/{lesson}/checks/{check}").json()
    # The expected values come from the generator's own solver path, seeded as issued (the
    # seed read from the server's database: the browser never gets it).
    seed = issued_seed(client.app.state.sessionmaker, shown["variant"])
    answer = generate("relu-forward" if check == "c3" else "softmax", seed).answer
    body = {"variant": shown["variant"], "response": {"values": answer}}
    return client.post(f"/api/lessons/{lesson}/checks/{check}/attempts", json=body).json()


def test_map_anonymous_invites_to_sign_up(site) -> None:
    page = site.client().get("/map")
    assert page.status_code == 200
    assert "/signup?next=/map" in page.text
    states = dict(re.findall(r'<tr data-concept="([a-z-]+)" data-state="([a-z_]+)"', page.text))
    assert states == {"composition": "open", "softmax-ce": "locked", "initialization": "locked"}


def test_lesson_renders_markdown_without_html(site) -> None:
    page = site.client().get("/lessons/composition")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&quot;never&quot;)&lt;/script&gt;" in page.text
    assert 'alert("never")</script>' not in page.text
    assert '<span class="math inline">f = f_2 \\circ f_1</span>' in page.text
    assert 'id="lab" data-lab-id="two-moons"' in page.text  # the shared lab frame
    assert page.text.index('class="lesson-body') < page.text.index('id="lab"')
    assert page.text.index('id="lab"') < page.text.index('class="lesson-checks"')
    assert [m for m in re.findall(r'data-check="(\w+)"', page.text)] == ["c1", "c2", "c3", "c4"]


def test_locked_lesson_says_why_and_what_to_do(site) -> None:
    page = site.client("ada@example.org").get("/lessons/softmax")
    assert page.status_code == 403
    assert "This lesson is locked" in page.text
    assert '<a href="/lessons/composition">Composition and depth</a>' in page.text
    assert "lesson-checks" not in page.text
    api = site.client("bob@example.org").get("/api/lessons/softmax/checks/s1")
    assert api.status_code == 403
    assert "first reach familiar on Composition and depth" in api.json()["detail"]


def test_unknown_lesson_and_check_are_404(site) -> None:
    client = site.client("ada@example.org")
    assert client.get("/lessons/nope").status_code == 404
    assert client.get("/api/lessons/composition/checks/zz").status_code == 404
    post = client.post("/api/lessons/nope/checks/c1/attempts", json={"response": {"choice": 1}})
    assert post.status_code == 404


def test_check_never_shows_its_answer(site) -> None:
    client = site.client("ada@example.org")
    choice = client.get("/api/lessons/composition/checks/c1").json()
    assert "answer" not in choice and "explanation" not in choice
    assert choice["choices"][1] == "An affine map followed by a nonlinearity"
    numeric = client.get("/api/lessons/composition/checks/c2").json()
    assert "answer" not in numeric and numeric["fields"][0]["name"] == "value"
    generated = client.get("/api/lessons/composition/checks/c3").json()
    assert "answer" not in generated and isinstance(generated["variant"], int)
    lab = client.get("/api/lessons/composition/checks/c4").json()
    assert lab["lab"] == "two-moons" and "require" not in lab


def test_attempts_raise_level_and_unlock_next_concepts(site) -> None:
    client = site.client("ada@example.org")
    wrong = client.post(
        "/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 0}}
    ).json()
    assert (wrong["score"], wrong["correct"], wrong["level"]) == (
        0.0,
        False,
        {"composition": "attempted"},
    )
    assert "solution_html" in wrong and "phi" in wrong["solution"]
    client.post("/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}})
    client.post("/api/lessons/composition/checks/c2/attempts", json={"response": {"value": 3.0}})
    result = _answer_generated(client)
    assert result["correct"] and result["level"] == {"composition": "familiar"}  # 3 of 4
    assert [u["id"] for u in result["unlocked"]] == ["softmax-ce", "initialization"]
    assert client.get("/lessons/softmax").status_code == 200
    page = client.get("/map").text
    assert 'data-concept="softmax-ce" data-state="open"' in page
    assert 'data-concept="composition" data-state="in_progress"' in page


def test_generated_variant_is_answered_once_and_only_by_its_learner(site) -> None:
    ada = site.client("ada@example.org")
    bob = site.client("bob@example.org")
    shown = ada.get("/api/lessons/composition/checks/c3").json()
    answer = generate(
        "relu-forward", issued_seed(site.app.state.sessionmaker, shown["variant"])
    ).answer
    body = {"variant": shown["variant"], "response": {"values": answer}}
    stolen = bob.post("/api/lessons/composition/checks/c3/attempts", json=body)
    assert stolen.status_code == 409
    assert ada.post("/api/lessons/composition/checks/c3/attempts", json=body).json()["correct"]
    with site.app.state.sessionmaker() as db:  # taken at the app's clock, not the wall clock
        assert db.get(IssuedVariant, shown["variant"]).answered_at == site.clock()
    again = ada.post("/api/lessons/composition/checks/c3/attempts", json=body)
    assert again.status_code == 409 and "answered already" in again.json()["detail"]
    unseeded = ada.post(
        "/api/lessons/composition/checks/c3/attempts", json={"response": {"values": answer}}
    )
    assert unseeded.status_code == 422 and "variant" in unseeded.json()["detail"]


def test_generated_variants_are_fresh_each_time(site) -> None:
    client = site.client("ada@example.org")
    variants = [
        client.get("/api/lessons/composition/checks/c3").json()["variant"] for _ in range(5)
    ]
    assert len(set(variants)) == 5
    seeds = {issued_seed(site.app.state.sessionmaker, v) for v in variants}
    assert len(seeds) == 5


def test_checks_never_send_the_seed(site) -> None:
    """The generators are public: a seed in the browser would give a variant's answer away."""
    for client in (site.client("ada@example.org"), site.client()):
        for check in ("c1", "c2", "c3", "c4"):
            response = client.get(f"/api/lessons/composition/checks/{check}")
            assert response.status_code == 200
            assert seed_keys(response.json()) == [], check
            assert '"seed"' not in response.text
    assert "data-seed" not in site.client("ada@example.org").get("/lessons/composition").text


def test_generated_score_is_the_share_of_fields_right(site) -> None:
    client = site.client("ada@example.org")
    shown = client.get("/api/lessons/composition/checks/c3").json()
    seed = issued_seed(site.app.state.sessionmaker, shown["variant"])
    answer = dict(generate("relu-forward", seed).answer)
    answer["p"] = answer["p"] + 0.5  # one of two fields wrong
    body = {"variant": shown["variant"], "response": {"values": answer}}
    result = client.post("/api/lessons/composition/checks/c3/attempts", json=body).json()
    assert math.isclose(result["score"], 0.5) and not result["correct"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"response": {"choice": 7}}, "not one of"),
        ({"response": {"pick": 1}}, "has no 'choice'"),
        ({"response": {"choice": 1}, "extra": 1}, "extra"),
        ({"response": "one"}, "valid dictionary"),
    ],
)
def test_malformed_attempt_is_refused_and_not_recorded(site, body, message) -> None:
    client = site.client("ada@example.org")
    answer = client.post("/api/lessons/composition/checks/c1/attempts", json=body)
    assert answer.status_code == 422
    assert message in str(answer.json()["detail"])
    with site.app.state.sessionmaker() as db:
        assert db.query(Attempt).filter_by(user_id=client.user_id).count() == 0


def test_attempt_needs_an_account(site) -> None:
    answer = site.client().post(
        "/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}}
    )
    assert answer.status_code == 401


def test_attempt_from_a_foreign_origin_is_refused(site) -> None:
    client = site.client("ada@example.org")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = client.post(
            "/api/lessons/composition/checks/c1/attempts",
            json={"response": {"choice": 1}},
            headers=headers,
        )
        assert answer.status_code == 403
    with site.app.state.sessionmaker() as db:
        assert db.query(Attempt).filter_by(user_id=client.user_id).count() == 0


@pytest.mark.parametrize("page", PAGES)
def test_pages_anonymous(site, page) -> None:
    answer = site.client().get(page, follow_redirects=False)
    if page in ("/progress", "/review"):
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={page}"
    elif page == "/lessons/composition":  # the lab preset goes into the address first
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/lessons/composition?params=")
        assert site.client().get(answer.headers["location"]).status_code == 200
    else:
        assert answer.status_code == 200


def test_lesson_preset_redirect_holds_only_what_differs_from_the_lab_defaults(site) -> None:
    answer = site.client().get("/lessons/composition", follow_redirects=False)
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    preset = json.loads(query["params"][0])
    # moons and noise 0.2 are the lab's defaults; the rest of the preset differs from them.
    assert preset == {
        "activation": "tanh",
        "hidden": [8, 8],
        "learning_rate": 0.03,
        "steps_per_frame": 20,
    }
    shared = site.client().get("/lessons/composition?params={}", follow_redirects=False)
    assert shared.status_code == 200  # an address that carries params is served as it is


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_pages_every_role(site, role, page) -> None:
    assert site.client(f"{role}@example.org", role=role).get(page).status_code == 200


@pytest.mark.parametrize("path", ["/api/progress", "/api/review", "/api/attempts/1"])
def test_api_anonymous_is_401(site, path) -> None:
    assert site.client().get(path).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_someone_elses_attempt_is_404_for_every_role(site, role) -> None:
    ada = site.client("ada@example.org")
    mine = ada.post(
        "/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}}
    ).json()["attempt"]
    assert ada.get(f"/api/attempts/{mine}").json()["response"] == {"choice": 1}
    other = site.client(f"{role}-other@example.org", role=role)
    assert other.get(f"/api/attempts/{mine}").status_code == 404
    assert other.get("/api/attempts/999999").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_progress_shows_only_your_own(site, role) -> None:
    ada = site.client("ada@example.org")
    ada.post("/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}})
    other = site.client(f"{role}-2@example.org", role=role)
    mine = other.get("/api/progress").json()
    assert mine["user"] == other.user_id and mine["attempts"] == []
    assert {c["id"]: c["level"] for c in mine["concepts"]}["composition"] == "not_started"
    page = other.get("/progress").text
    assert 'data-attempt="' not in page
    assert ada.get("/api/progress").json()["attempts"][0]["check"] == "c1"


def test_attempt_and_mastery_are_committed_before_the_answer(site) -> None:
    client = site.client("ada@example.org")
    answer = client.post(
        "/api/lessons/composition/checks/c2/attempts", json={"response": {"value": 3}}
    ).json()
    with site.app.state.sessionmaker() as db:  # a separate connection sees both
        attempt = db.get(Attempt, answer["attempt"])
        assert attempt is not None and attempt.score == 1.0 and attempt.user_id == client.user_id
        row = db.get(Mastery, (client.user_id, "composition"))
        assert row is not None and row.level == "attempted" and row.score == 0.25


def test_attempt_flow_on_sqlite_and_postgresql(tmp_path, db_url) -> None:
    own = make_learn_app(tmp_path, db_url=db_url)
    client = own.client("ada@example.org")
    client.post("/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}})
    client.post("/api/lessons/composition/checks/c2/attempts", json={"response": {"value": 3}})
    result = _answer_generated(client)
    assert result["level"] == {"composition": "familiar"}
    assert [u["id"] for u in result["unlocked"]] == ["softmax-ce", "initialization"]
    progress = client.get("/api/progress").json()
    assert [a["check"] for a in progress["attempts"]] == ["c3", "c2", "c1"]
    assert progress["concepts"][0]["due_at"] == "2026-03-04T09:00:00+00:00"
    own.app.state.engine.dispose()


def test_map_names_what_unlocks_next(site) -> None:
    client = site.client("ada@example.org")
    assert 'data-soon="' not in client.get("/map").text
    client.post("/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 0}})
    page = client.get("/map").text
    soon = re.findall(r'data-soon="([a-z-]+)"', page)
    assert soon == ["softmax-ce", "initialization"]
    assert "bring Composition and depth to familiar" in page


def test_lesson_page_shows_your_best_scores(site) -> None:
    client = site.client("ada@example.org")
    client.post("/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}})
    client.post("/api/lessons/composition/checks/c2/attempts", json={"response": {"value": 9}})
    page = client.get("/lessons/composition").text
    assert re.search(r'data-check="c1" data-kind="choice"\s+data-best="1.0"', page)
    assert re.search(r'data-check="c2" data-kind="numeric"\s+data-best="0.0"', page)
    assert not re.search(r'data-check="c3" data-kind="generated"\s+data-best', page)
    other = site.client("bob@example.org").get("/lessons/composition").text
    assert "data-best" not in other


def test_lesson_unlocked_for_one_learner_opens_for_them_only(site) -> None:
    from app.db import progress

    ada = site.client("ada@example.org")
    bob = site.client("bob@example.org")
    with site.app.state.sessionmaker() as db:
        progress.unlock_lesson(db, user_id=ada.user_id, lesson_id="softmax", by_user_id=None)
        db.commit()
    assert ada.get("/lessons/softmax").status_code == 200
    assert ada.get("/api/lessons/softmax/checks/s1").status_code == 200
    assert 'data-concept="softmax-ce" data-state="open"' in ada.get("/map").text
    assert bob.get("/lessons/softmax").status_code == 403


def test_map_invites_to_log_in_when_sign_up_is_closed(site) -> None:
    site.app.state.settings.signup_open = False
    try:
        page = site.client().get("/map").text
    finally:
        site.app.state.settings.signup_open = True
    assert "/signup" not in page.split('<main id="main"')[1].split("</main>")[0]
    assert "/login?next=/map" in page


@pytest.mark.parametrize("path", ["/map", "/lessons/composition?params={}", "/progress", "/review"])
def test_learner_pages_load_only_local_scripts_and_styles(site, path) -> None:
    client = site.client("ada@example.org")
    page = client.get(path).text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert all(body.strip() == "" for _, body in scripts)  # CSP: no inline script
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    for url in sources + sheets:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    if path != "/map" and path != "/progress":
        assert "/static/vendor/katex/katex.min.js" in sources
        assert "/static/js/learn/math.js" in sources


def test_katex_fonts_are_served_locally(site) -> None:
    client = site.client()
    css = client.get("/static/vendor/katex/katex.min.css").text
    fonts = sorted(set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css)))
    assert len(fonts) >= 10
    for font in fonts:
        assert client.get(f"/static/vendor/katex/{font}").status_code == 200, font


def test_a_class_may_require_proficient(tmp_path) -> None:
    own = make_learn_app(tmp_path)
    own.app.state.required_level = lambda db, user_id: "proficient"
    client = own.client("ada@example.org")
    client.post("/api/lessons/composition/checks/c1/attempts", json={"response": {"choice": 1}})
    client.post("/api/lessons/composition/checks/c2/attempts", json={"response": {"value": 3}})
    result = _answer_generated(client)
    assert result["level"] == {"composition": "familiar"} and result["unlocked"] == []
    page = client.get("/lessons/softmax")
    assert page.status_code == 403 and "<strong>proficient</strong>" in page.text
    api = client.get("/api/lessons/softmax/checks/s1")
    assert "first reach proficient on Composition and depth" in api.json()["detail"]
    own.app.state.engine.dispose()


def test_lesson_links_to_the_next_lesson(site) -> None:
    page = site.client().get("/lessons/composition?params={}").text
    assert 'data-next="softmax"' in page
    last = site.client("ada@example.org")
    with site.app.state.sessionmaker() as db:
        from app.db import progress

        progress.unlock_lesson(
            db, user_id=last.user_id, lesson_id="initialization", by_user_id=None
        )
        db.commit()
    assert "data-next=" not in last.get("/lessons/initialization").text
