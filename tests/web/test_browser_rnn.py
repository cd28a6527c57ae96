"""The recurrent lab page in Chromium: the LSTM trains and its gate maps are redrawn, a vanilla
RNN shows no gates, and compare mode draws all three cells."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

GATES = "document.getElementById('rnn-gates-canvas').toDataURL()"


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page (an LSTM by default), showing its first frame; fails on console errors."""
    page = watched_page
    page.goto("/labs/rnn")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator("#rnn-gates-canvas")).to_have_attribute("data-gates", "4")
    return page


def test_lstm_plays_and_the_gate_maps_update(lab: Page) -> None:
    expect(lab.locator("[data-param=cell] select")).to_have_value("lstm")
    expect(lab.locator("#rnn-gates-canvas")).to_have_attribute("data-step", "0")
    before = lab.evaluate(GATES)
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    lab.wait_for_function(
        "() => Number(document.getElementById('rnn-gates-canvas').dataset.step) >= 12"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    lab.wait_for_function(f"before => {GATES} !== before", arg=before)
    expect(lab.locator("#rnn-ratio")).not_to_have_text("—")
    details = lab.locator("#fig-gates details.alt")
    details.locator("summary").click()
    expect(details.locator("table tbody th").first).to_have_text("lstm input unit 0")


def test_vanilla_rnn_has_no_gates_and_compare_shows_three_cells(lab: Page) -> None:
    lab.locator("[data-param=cell] select").select_option("rnn_tanh")
    expect(lab.locator("#rnn-gates-canvas")).to_have_attribute("data-gates", "0")
    expect(lab.locator("#rnn-gates-note")).to_contain_text("no gates")
    lab.locator("[data-param=compare] input").check()
    expect(lab.locator("#rnn-gates-canvas")).to_have_attribute("data-gates", "7")
    expect(lab.locator("#fig-cells")).to_have_attribute("data-compare", "")
    lab.click("#example-next")
    expect(lab.locator("#example-input")).to_have_value("1")
    details = lab.locator("#fig-cells details.alt")
    details.locator("summary").click()
    expect(details.locator("table tbody tr")).to_have_count(3)
