"""A learner in Chromium: signs up, works through the first lesson, and sees the map open up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from app.auth.accounts import find_user
from app.curriculum.generators import generate
from app.curriculum.mastery import ConceptState, assess
from app.db.base import utcnow
from app.db.engine import make_engine, make_sessionmaker
from app.db.progress import save_mastery
from tests.conftest import Server, start_server, stop_server
from tests.web.learn_fixtures import write_curriculum

pytestmark = [pytest.mark.browser, pytest.mark.server]
PASSWORD = "a long enough secret"


@pytest.fixture(scope="module")
def learn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on the small curriculum (composition → softmax-ce, initialization)."""
    root = write_curriculum(Path(tmp_path_factory.mktemp("curriculum")))
    server = start_server(
        curriculum_dir=str(root),
        database_url=f"sqlite:///{root / 'layerwise.db'}",
        argon2_memory_kib="1024",
        workers="1",
    )
    server.database_url = f"sqlite:///{root / 'layerwise.db'}"
    yield server
    stop_server(server)


def sign_up(page: Page, server: Server, email: str, target: str) -> None:
    page.goto(f"{server.url}/signup?next={target}")
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Lea")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.click("form[action='/signup'] button[type=submit]")


def test_learner_completes_first_lesson_and_unlocks_next(
    learn_server: Server, watched_page: Page
) -> None:
    page = watched_page
    variants: dict[str, dict] = {}

    def remember(response: Response) -> None:
        if (
            "/api/lessons/composition/checks/c3" in response.url
            and response.request.method == "GET"
        ):
            variants["c3"] = response.json()

    page.on("response", remember)
    sign_up(page, learn_server, "learner@example.org", "/lessons/composition")
    # The lesson's lab preset travels in the address, as a shared lab link does.
    expect(page).to_have_url(re.compile(r"/lessons/composition\?params=.*hidden"))
    expect(page.locator(".learn-head h1")).to_have_text("Composition and depth")
    expect(page.locator(".lesson-body .katex").first).to_be_visible()  # math typeset locally

    # A choice, answered wrong first: the worked solution appears after the attempt.
    c1 = page.locator("#check-c1")
    c1.get_by_label("A fixed lookup").check()
    c1.get_by_role("button", name="Submit").click()
    expect(c1.locator(".verdict")).to_have_attribute("data-correct", "false")
    expect(c1.locator(".solution")).to_contain_text("Worked solution")
    c1.get_by_label("An affine map followed by a nonlinearity").check()
    c1.get_by_role("button", name="Submit").click()
    expect(c1.locator(".verdict")).to_have_attribute("data-correct", "true")

    c2 = page.locator("#check-c2")
    c2.locator("input[data-field=value]").fill("3")
    c2.get_by_role("button", name="Submit").click()
    expect(c2.locator(".verdict")).to_have_attribute("data-correct", "true")

    # The generated exercise: its numbers are the server's; the test solves them itself.
    c3 = page.locator("#check-c3")
    expect(c3.locator("input[data-field=s]")).to_be_visible()
    answer = generate("relu-forward", variants["c3"]["seed"]).answer
    c3.locator("input[data-field=s]").fill(repr(answer["s"]))
    c3.locator("input[data-field=p]").fill(repr(answer["p"]))
    c3.get_by_role("button", name="Submit").click()
    expect(c3.locator(".verdict")).to_have_attribute("data-correct", "true")
    expect(page.locator("#unlocked")).to_contain_text("Softmax and cross-entropy")
    expect(page.locator("[data-level-of=composition]")).to_have_text("familiar")

    # The lab challenge: train the lesson's lab until the server's run meets it.
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    page.click("#play")
    c4 = page.locator("#check-c4")
    met = False
    for _ in range(40):
        page.wait_for_timeout(1500)
        c4.get_by_role("button", name="Check my run").click()
        verdict = c4.locator(".verdict")
        expect(verdict).to_be_visible()
        page.wait_for_function("() => !document.querySelector('#check-c4 button').disabled")
        if verdict.get_attribute("data-correct") == "true":
            met = True
            break
    assert met, c4.locator(".verdict").inner_text()
    expect(page.locator("[data-level-of=composition]")).to_have_text("proficient")
    page.click("#play")  # pause

    page.goto(f"{learn_server.url}/map")
    expect(page.locator(".node[data-concept=softmax-ce]")).to_have_attribute("data-state", "open")
    expect(page.locator(".node[data-concept=initialization]")).to_have_attribute(
        "data-state", "open"
    )
    expect(page.locator(".node[data-concept=composition]")).to_have_attribute(
        "data-state", "in_progress"
    )
    expect(page.locator("[data-ready=softmax-ce]")).to_be_visible()
    page.click("[data-ready=softmax-ce]")
    expect(page.locator(".learn-head h1")).to_have_text("Softmax and cross-entropy")
    expect(page.locator("#check-s1 .prompt")).to_contain_text("Softmax outputs sum to")


def test_due_review_in_the_browser(learn_server: Server, watched_page: Page) -> None:
    page = watched_page
    sign_up(page, learn_server, "reviewer@example.org", "/progress")
    expect(page.locator(".learn-head h1")).to_have_text("Your progress")
    # Two days later, as FSRS scheduled it: written straight into the server's database.
    engine = make_engine(learn_server.database_url)
    with make_sessionmaker(engine)() as db:
        user = find_user(db, "reviewer@example.org")
        familiar = assess(ConceptState(), 0.75, True, utcnow() - timedelta(days=3))
        save_mastery(
            db,
            user_id=user.id,
            concept_id="composition",
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
    expect(page.locator(".node[data-concept=composition]")).to_have_attribute(
        "data-state", "review_due"
    )
    expect(page.locator(".node[data-concept=softmax-ce]")).to_have_attribute("data-state", "open")

    with page.expect_response(lambda r: r.url.endswith("/api/review")) as drawn:
        page.click("text=Start a mixed review")
    issued = drawn.value.json()
    items = page.locator("#review .lesson-check")
    expect(items).to_have_count(2)
    for item in issued["items"]:
        card = page.locator(f"#review [data-variant='{item['variant']}']")
        if item["kind"] == "choice":
            card.locator("input[type=radio]").nth(1).check()
        elif item["kind"] == "numeric":
            card.locator("input[data-field=value]").fill("3")
        else:
            answer = generate("relu-forward", item["seed"]).answer
            for name, value in answer.items():
                card.locator(f"input[data-field={name}]").fill(repr(value))
    page.click("text=Submit the review")
    expect(page.locator("#review-result h2")).to_have_text("Review score 100%")
    expect(page.locator("#review-result [data-concept=composition]")).to_contain_text("passed")
    expect(page.locator("#review .verdict[data-correct=true]")).to_have_count(2)
