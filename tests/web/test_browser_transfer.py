"""The transfer lab page in Chromium: it plays, the side-by-side curves grow, a checkpoint is
saved and resumed from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page with a short pretraining, showing its first frame; fails on console errors."""
    page = watched_page
    page.goto('/labs/transfer?params={"pretrain_steps":20}')
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator("#transfer-acc-plot")).to_have_attribute("data-points", "1")
    return page


def step_count(page: Page) -> int:
    return int(page.locator("#step-count").inner_text().replace(",", ""))


def test_play_grows_both_curves_and_a_checkpoint_resumes(lab: Page) -> None:
    expect(lab.locator("#trainable")).to_have_text("645")
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    lab.wait_for_function(
        "() => Number(document.getElementById('transfer-acc-plot').dataset.points) >= 5"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(lab.locator("#transfer-acc-plot .scatterlayer .trace")).to_have_count(2)
    saved_at = step_count(lab)
    lab.click("#checkpoint-save")
    expect(lab.locator("#checkpoint-list li")).to_have_count(1)
    lab.click("#step")
    lab.wait_for_function(
        f"() => Number(document.getElementById('step-count').textContent) > {saved_at}"
    )
    lab.locator("#checkpoint-list button").first.click()
    expect(lab.locator("#fig-checkpoints")).to_have_attribute("data-resumed", str(saved_at))
    expect(lab.locator("#step-count")).to_have_text(str(saved_at))
