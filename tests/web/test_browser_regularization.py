"""The regularization lab page in Chromium: it plays, the gap chart grows, augmentation is
shown, and early stopping marks where it stopped."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

AUGMENTED = "document.getElementById('augmented-canvas').toDataURL()"


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page, loaded and showing its first frame; fails on any console error."""
    page = watched_page
    page.goto("/labs/regularization")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator("#gap-plot")).to_have_attribute("data-points", "1")
    return page


def test_play_grows_the_gap_chart(lab: Page) -> None:
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    lab.wait_for_function("() => Number(document.getElementById('gap-plot').dataset.points) >= 5")
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(lab.locator("#gap-value")).to_contain_text("%")
    expect(lab.locator("#best-line")).to_contain_text("best validation loss at step")
    details = lab.locator("#fig-gap details.alt")
    details.locator("summary").click()
    expect(details.locator("table tbody tr").nth(4)).to_be_visible()


def test_noise_changes_the_pictured_images_and_early_stopping_stops(lab: Page) -> None:
    before = lab.evaluate(AUGMENTED)
    lab.locator("[data-param=augment_noise] input[type=number]").fill("0.3")
    lab.locator("[data-param=augment_noise] input[type=number]").dispatch_event("change")
    lab.wait_for_function(f"before => {AUGMENTED} !== before", arg=before)
    lab.locator("[data-param=early_stopping] input").check()
    expect(lab.locator("#stop-line")).to_have_text("training")
    lab.locator("[data-param=patience] input[type=number]").fill("1")
    lab.locator("[data-param=patience] input[type=number]").dispatch_event("change")
    lab.wait_for_function("() => decodeURIComponent(location.search).includes('patience')")
    lab.click("#play")
    expect(lab.locator("#fig-gap")).to_have_attribute("data-stopped", "true", timeout=60_000)
    expect(lab.locator("#stop-line")).to_contain_text("stopped at step")
