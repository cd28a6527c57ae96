"""The optimizers lab page in Chromium: it plays, the paths grow over the contours, the
network's losses and Adam's steps are drawn, and a new surface redraws the picture."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page, loaded and showing its first frame; fails on any console error."""
    page = watched_page
    page.goto("/labs/optimizers")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator("#paths-plot")).to_have_attribute("data-step", "0")
    return page


def test_play_grows_the_paths_and_the_loss_lines(lab: Page) -> None:
    assert lab.locator("#paths-plot").get_attribute("data-points") == "3"
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    lab.wait_for_function(
        "() => Number(document.getElementById('paths-plot').dataset.points) >= 60"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(lab.locator("#standings-body tr")).to_have_count(3)
    expect(lab.locator("#standings-body tr").first.locator("th")).to_have_text("SGD")
    # the network's loss chart sits in the curves column, one line per optimiser
    expect(lab.locator(".lab-curves #netloss-plot .scatterlayer .trace")).to_have_count(3)
    lab.wait_for_function("() => Number(document.getElementById('steps-plot').dataset.count) > 0")


def test_saddle_has_no_minimum(lab: Page) -> None:
    lab.locator("[data-param=surface] select").select_option("saddle")
    expect(lab.locator("#surface-formula")).to_contain_text("x² − y²")
    expect(lab.locator("#min-dist")).to_contain_text("no minimum")
    details = lab.locator("#fig-paths details.alt")
    details.locator("summary").click()
    expect(details.locator("table tbody tr")).to_have_count(3)
    expect(details.locator("table tbody tr").first).to_contain_text("no minimum")
