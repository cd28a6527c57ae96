"""A learner in Chromium on the real curriculum: signs up, works through the first lesson,
meets its lab challenge from the server's own run, sees the map open up, and takes a review.

The test knows the answers the way a teacher does: from the curriculum files (choice and
numeric checks) and from the exercise generators, given the seed the server issued (read from
the server's database by variant id: the browser itself never receives a seed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from app.auth.accounts import find_user
from app.curriculum.generators import generate
from app.curriculum.loader import load_curriculum
from app.curriculum.mastery import ConceptState, assess
from app.db.base import utcnow
from app.db.engine import make_engine, make_sessionmaker
from app.db.progress import save_mastery
from tests.conftest import Server, start_server, stop_server
from tests.web.learn_fixtures import issued_seed, seed_keys

pytestmark = [pytest.mark.browser, pytest.mark.server]
PASSWORD = "a long enough secret"
CURRICULUM = load_curriculum()
FIRST = "composition"


@pytest.fixture(scope="module")
def learn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on the repository's curriculum, its database where the test can reach it."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('learn-db')) / 'layerwise.db'}"
    server = start_server(database_url=url, argon2_memory_kib="1024", workers="1")
    server.database_url = url
    yield server
    stop_server(server)


def sign_up(page: Page, server: Server, email: str, target: str) -> None:
    page.goto(f"{server.url}/signup?next={target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Lea")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.click("form[action='/signup'] button[type=submit]")


def answer(card: Locator, server: Server, lesson_id: str, check_id: str, shown: dict) -> None:
    """Fill a choice, numeric or generated check's card with the right answer."""
    check = next(c for c in CURRICULUM.lessons[lesson_id].checks if c.id == check_id)
    if check.kind == "choice":
        card.locator("input[type=radio]").nth(check.answer).check()
    elif check.kind == "numeric":
        card.locator("input[data-field=value]").fill(repr(check.answer))
    else:
        assert seed_keys(shown) == [], "the browser must never receive a seed"
        seed = issued_seed(server.database_url, shown["variant"])
        for name, value in generate(check.generator, seed).answer.items():
            card.locator(f"input[data-field={name}]").fill(repr(value))


def shown_checks(page: Page, lesson_id: str) -> dict[str, dict]:
    """Check id → the check as the server sent it to ``page`` (filled in as the page loads)."""
    shown: dict[str, dict] = {}

    def remember(response) -> None:
        match = re.search(rf"/api/lessons/{lesson_id}/checks/([\w-]+)$", response.url)
        if match and response.request.method == "GET" and response.ok:
            shown[match.group(1)] = response.json()

    page.on("response", remember)
    return shown


def test_learner_completes_first_lesson_and_unlocks_next(
    learn_server: Server, watched_page: Page
) -> None:
    page = watched_page
    lesson = CURRICULUM.lessons[FIRST]
    shown = shown_checks(page, FIRST)
    sign_up(page, learn_server, "learner@example.org", f"/lessons/{FIRST}")
    # The lesson's lab preset travels in the address, as a shared lab link does.
    expect(page).to_have_url(re.compile(rf"/lessons/{FIRST}(\?params=.*)?$"))
    expect(page.locator(".learn-head h1")).to_have_text(lesson.title)
    expect(page.locator(".lesson-body .katex").first).to_be_visible()  # KaTeX, served locally

    lab_checks = []
    for check in lesson.checks:
        card = page.locator(f"#check-{check.id}")
        if check.kind == "lab":
            lab_checks.append(check)
            continue
        expect(card.locator(".prompt")).to_be_visible()
        expect(card).not_to_contain_text("null")  # no absent piece printed as text
        answer(card, learn_server, FIRST, check.id, shown.get(check.id, {}))
        card.get_by_role("button", name="Submit").click()
        expect(card.locator(".verdict")).to_have_attribute("data-correct", "true")
        expect(card.locator(".solution")).to_contain_text("Worked solution")
        expect(card).not_to_contain_text("null")
    assert lab_checks, "the first lesson has a lab challenge"

    for check in lab_checks:
        card = page.locator(f"#check-{check.id}")
        expect(card.locator(".prompt")).to_be_visible()
        if card.locator(".load-preset").count():
            card.locator(".load-preset").click()  # reloads the page with the challenge's params
            card = page.locator(f"#check-{check.id}")
        expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
        page.click("#play")
        met = False
        for _ in range(40):
            page.wait_for_timeout(1500)
            card.get_by_role("button", name="Check my run").click()
            expect(card.locator(".verdict")).to_be_visible()
            page.wait_for_function(
                "id => !document.querySelector(`#check-${id} button`).disabled", arg=check.id
            )
            if card.locator(".verdict").get_attribute("data-correct") == "true":
                met = True
                break
        assert met, card.locator(".verdict").inner_text()
        page.click("#play")  # pause
    expect(page.locator(f"[data-level-of={FIRST}]")).to_have_text("proficient")

    page.goto(f"{learn_server.url}/map")
    expect(page.locator(f".node[data-concept={FIRST}]")).to_have_attribute(
        "data-state", "in_progress"
    )
    following = [c.id for c in CURRICULUM.concepts.values() if c.needs == [FIRST]]
    assert following
    for concept_id in following:
        node = page.locator(f".node[data-concept={concept_id}]")
        expect(node).to_have_attribute("data-state", "open")
    nxt = CURRICULUM.concepts[following[0]]
    page.click(f"[data-ready={nxt.id}]")
    expect(page.locator(".learn-head h1")).to_have_text(CURRICULUM.lessons[nxt.lessons[0]].title)
    expect(page.locator(".lesson-check .prompt").first).to_be_visible()


def test_due_review_in_the_browser(learn_server: Server, watched_page: Page) -> None:
    page = watched_page
    sign_up(page, learn_server, "reviewer@example.org", "/progress")
    expect(page.locator(".learn-head h1")).to_have_text("Your progress")
    # Days later, as FSRS scheduled it: written straight into the server's database.
    engine = make_engine(learn_server.database_url)
    with make_sessionmaker(engine)() as db:
        user = find_user(db, "reviewer@example.org")
        familiar = assess(ConceptState(), 0.75, True, utcnow() - timedelta(days=3))
        save_mastery(
            db,
            user_id=user.id,
            concept_id=FIRST,
            level=familiar.level,
            score=familiar.score,
            proficient_at=None,
            mastered_at=None,
            review_card=familiar.card,
            due_at=familiar.due_at,
        )
        db.commit()
    engine.dispose()
    page.goto(f"{learn_server.url}/map")
    expect(page.locator(f".node[data-concept={FIRST}]")).to_have_attribute(
        "data-state", "review_due"
    )

    with page.expect_response(lambda r: r.url.endswith("/api/review")) as drawn:
        page.click("text=Start a mixed review")
    issued = drawn.value.json()
    assert seed_keys(issued) == []
    items = page.locator("#review .lesson-check")
    expect(items).to_have_count(len(issued["items"]))
    assert issued["items"]
    for item in issued["items"]:
        card = page.locator(f"#review [data-variant='{item['variant']}']")
        answer(card, learn_server, item["lesson"], item["id"], item)
    page.click("text=Submit the review")
    expect(page.locator("#review-result h2")).to_have_text("Review score 100%")
    expect(page.locator(f"#review-result [data-concept={FIRST}]")).to_contain_text("passed")
    expect(page.locator("#review .verdict[data-correct=true]")).to_have_count(len(issued["items"]))
