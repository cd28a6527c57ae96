"""An instructor in Chromium opens a class's dashboard and sees the mastery heatmap drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.auth.accounts import create_user
from app.config import Settings
from app.db.classes import Class, Membership
from app.db.engine import make_sessionmaker, upgrade
from tests.conftest import Server, start_server, stop_server
from tests.dbtools import engine_for, write_level

pytestmark = [pytest.mark.browser, pytest.mark.server]
PASSWORD = "a long enough secret"


@pytest.fixture(scope="module")
def class_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server whose database holds an instructor, a class and two learners' levels."""
    root = Path(tmp_path_factory.mktemp("dashboard-db"))
    url = f"sqlite:///{root / 'layerwise.db'}"
    upgrade(url)
    settings = Settings(data_dir=root, argon2_memory_kib=1024, argon2_time_cost=1)
    with engine_for(url) as engine, make_sessionmaker(engine)() as db:
        teacher = create_user(
            db, settings, email="teach@example.org", password=PASSWORD, role="instructor"
        )
        ada = create_user(db, settings, email="ada@example.org", password=PASSWORD)
        zoe = create_user(db, settings, email="zoe@example.org", password=PASSWORD)
        klass = Class(name="Deep 101")
        db.add(klass)
        db.flush()
        db.add(Membership(class_id=klass.id, user_id=teacher.id, role="instructor"))
        for learner in (ada, zoe):
            db.add(Membership(class_id=klass.id, user_id=learner.id, role="learner"))
        for learner, level, score in ((ada, "proficient", 1.0), (zoe, "attempted", 0.3)):
            write_level(db, learner.id, "composition", level, score)
        db.commit()
        class_id = klass.id
    server = start_server(database_url=url, argon2_memory_kib="1024", workers="1")
    server.class_id = class_id
    yield server
    stop_server(server)


def test_dashboard_draws_heatmap(class_server: Server, watched_page: Page) -> None:
    page = watched_page
    page.goto(f"{class_server.url}/login?next=/classes/{class_server.class_id}/dashboard")
    page.fill("input[name=email]", "teach@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(f"{class_server.url}/classes/{class_server.class_id}/dashboard")
    heatmap = page.locator("#heatmap")
    expect(heatmap.locator(".main-svg").first).to_be_attached()
    # One row per learner on the y axis, named.
    expect(heatmap.locator(".ytick text")).to_have_text(["ada", "zoe"])
    # The key's swatches take the scale's colours: lightest first, darkest last.
    first = page.locator(".level-key .swatch").first
    expect(first).to_have_css("background-color", "rgb(247, 247, 247)")
    expect(page.locator("#heatmap-table tbody tr")).to_have_count(2)


def test_lesson_reports_time_in_view_when_hidden(class_server: Server, watched_page: Page) -> None:
    page = watched_page
    page.goto(f"{class_server.url}/login?next=/lessons/composition")
    page.fill("input[name=email]", "zoe@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("#lesson")).to_have_attribute("data-lesson-id", "composition")
    page.wait_for_load_state("load")  # the modules run once the page is parsed
    page.wait_for_timeout(1500)  # at least one whole second in view
    with page.expect_response(lambda r: r.url.endswith("/api/lessons/composition/time")) as got:
        page.evaluate(
            """() => {
                Object.defineProperty(document, "visibilityState", {
                    value: "hidden", configurable: true,
                });
                document.dispatchEvent(new Event("visibilitychange"));
            }"""
        )
    response = got.value
    sent = response.request.post_data_json["seconds"]
    assert 1 <= sent <= 60
    assert response.request.headers["content-type"] == "application/json"
    assert response.json() == {"lesson": "composition", "counted": True, "seconds": sent}
