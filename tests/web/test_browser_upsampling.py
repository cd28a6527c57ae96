"""The upsampling lab page in Chromium: it trains, redraws the reconstruction, picks a test
image, and shows an even overlap once the decoder resizes before convolving."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

PAIR = "document.getElementById('pair-canvas').toDataURL()"


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page, loaded and showing its first frame; fails on any console error."""
    page = watched_page
    page.goto("/labs/upsampling")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator("#overlap-canvas")).to_have_attribute("data-distinct", "3")
    return page


def step_count(page: Page) -> int:
    return int(page.locator("#step-count").inner_text().replace(",", ""))


def test_play_trains_and_the_reconstruction_changes(lab: Page) -> None:
    assert step_count(lab) == 0
    before = lab.evaluate(PAIR)
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    lab.wait_for_function(
        "() => Number(document.getElementById('step-count').textContent.replace(/,/g, '')) >= 40"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    assert step_count(lab) >= 40
    lab.wait_for_function(f"before => {PAIR} !== before", arg=before)


def test_next_image_and_resize_conv_make_the_overlap_uniform(lab: Page) -> None:
    lab.click("#example-next")
    expect(lab.locator("#example-input")).to_have_value("1")
    lab.wait_for_function("() => decodeURIComponent(location.search).includes('example')")
    lab.locator("[data-param=upsample] select").select_option("resize_conv")
    expect(lab.locator("#overlap-canvas")).to_have_attribute("data-distinct", "1")
    expect(lab.locator("#last-layer")).to_contain_text("resize")
    details = lab.locator("#fig-overlap details.alt")
    details.locator("summary").click()
    expect(details.locator("table td").first).to_have_text("9")
