"""A class from start to finish in Chromium: an instructor creates it, a learner joins with
its code, the instructor assigns a lesson, the learner completes it, and the instructor's
dashboard shows it. Two browser contexts, so each person has their own session cookie.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from app.auth.accounts import create_user
from app.config import Settings
from app.curriculum.loader import load_curriculum
from app.db.base import utcnow
from app.db.engine import make_sessionmaker
from tests.conftest import Server, start_server, stop_server
from tests.dbtools import engine_for
from tests.web.conftest import watch
from tests.web.test_browser_learn import PASSWORD, answer, shown_checks, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.server]
CURRICULUM = load_curriculum()
LESSON = "composition"
CLASS_NAME = "Deep learning, spring term"
INSTRUCTOR = "teacher@example.org"


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on the repository's curriculum, with one instructor account made by an
    operator (sign-up only ever makes learners)."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('school-db')) / 'layerwise.db'}"
    server = start_server(database_url=url, argon2_memory_kib="1024", workers="1")
    server.database_url = url
    settings = Settings(argon2_memory_kib=1024, argon2_time_cost=1)
    with engine_for(url) as engine, make_sessionmaker(engine)() as db:
        create_user(
            db,
            settings,
            email=INSTRUCTOR,
            password=PASSWORD,
            display_name="Ms Ada",
            role="instructor",
        )
        db.commit()
    yield server
    stop_server(server)


def test_class_from_creation_to_dashboard(school: Server, browser: Browser) -> None:
    problems: list[str] = []
    teacher = watch(browser.new_context().new_page(), problems)
    learner = watch(browser.new_context().new_page(), problems)

    # The instructor logs in and creates the class; the roster shows its join code.
    teacher.goto(f"{school.url}/login?next=/classes")
    teacher.fill("input[name=email]", INSTRUCTOR)
    teacher.fill("input[name=password]", PASSWORD)
    teacher.click("form[action='/login'] button[type=submit]")
    expect(teacher).to_have_url(re.compile(r"/classes$"))
    teacher.fill("#create-class input[name=name]", CLASS_NAME)
    teacher.fill("#create-class input[name=timezone]", "Europe/Berlin")
    teacher.click("#create-class button[type=submit]")
    expect(teacher).to_have_url(re.compile(r"/classes/\d+$"))
    class_url = teacher.url
    code = teacher.locator("#join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", code), code

    # The learner signs up and joins with the code.
    sign_up(learner, school, "lea@example.org", "/join")
    expect(learner).to_have_url(re.compile(r"/join$"))
    learner.fill("input[name=code]", code.lower())  # typed as it was heard
    learner.click("form[action='/join'] button[type=submit]")
    expect(learner).to_have_url(re.compile(r"/assignments"))
    expect(learner.locator("#joined")).to_have_text(f"You joined {CLASS_NAME}.")
    teacher.reload()
    expect(teacher.locator("main")).to_contain_text("Lea")

    # The instructor assigns the first lesson, due in a week (entered in Berlin time).
    due = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    teacher.goto(f"{class_url}/assignments")
    form = teacher.locator("form.asg-form")
    form.locator("input[name=title]").fill("Week 1: composition")
    form.locator(f"input[name=lessons][value={LESSON}]").check()
    form.locator("select[name=level]").select_option("familiar")
    form.locator("input[name=due]").fill(due)
    form.locator("button[type=submit]").click()
    expect(teacher.locator("main")).to_contain_text("Week 1: composition")

    # The learner sees it, open, and completes the lesson's checks (familiar needs 70 %).
    learner.goto(f"{school.url}/assignments")
    item = learner.locator(".asg-item").filter(has_text="Week 1: composition")
    expect(item).to_have_attribute("data-state", "open")
    shown = shown_checks(learner, LESSON)
    learner.goto(f"{school.url}/lessons/{LESSON}")
    for check in CURRICULUM.lessons[LESSON].checks:
        if check.kind == "lab":
            continue
        card = learner.locator(f"#check-{check.id}")
        expect(card.locator(".prompt")).to_be_visible()
        answer(card, school, LESSON, check.id, shown.get(check.id, {}))
        card.get_by_role("button", name="Submit").click()
        expect(card.locator(".verdict")).to_have_attribute("data-correct", "true")
    expect(learner.locator(f"[data-level-of={LESSON}]")).to_have_text("familiar")
    learner.goto(f"{school.url}/assignments")
    expect(item).to_have_attribute("data-state", "done")

    # The dashboard shows it: the heatmap is drawn, the table says familiar, 1 of 1 done.
    teacher.goto(f"{class_url}/dashboard")
    expect(teacher.locator(".main-svg").first).to_be_attached()
    row = teacher.locator("table tr").filter(has_text=re.compile(r"^\s*Lea\b")).first
    expect(row).to_contain_text("familiar")
    expect(teacher.locator("main")).to_contain_text("Week 1: composition")
    expect(teacher.locator("main")).to_contain_text(re.compile(r"\b1\s*(of|/)\s*1\b"))
    assert problems == []
