"""The deep lab page in Chromium: per-layer pictures for config A, then compare mode with a
residual config B drawn beside it, and the sweep's progress."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

SMALL = quote(json.dumps({"depth": 6, "width": 16}))
PERCENT = re.compile(r"^\d+(\.\d)?%$")


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page at 6 × 16, loaded and showing its first frame; fails on console errors."""
    page = watched_page
    page.goto(f"/labs/deep?params={SMALL}")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator("#hist-canvas")).to_have_attribute("data-configs", "A")
    return page


def traces(page: Page, plot: str) -> list[str]:
    """The names of a Plotly chart's traces."""
    return page.evaluate(f"document.getElementById('{plot}').data.map((t) => t.name)")


def test_compare_mode_draws_b_beside_a(lab: Page) -> None:
    assert traces(lab, "signal-plot") == ["A: std", "A: |mean|"]
    expect(lab.locator("#deep-compare")).to_have_attribute("data-compare", "off")
    lab.locator("#b-form input[name=depth]").fill("99")
    lab.click("#b-apply")
    expect(lab.locator("#b-error")).to_contain_text("depth")
    expect(lab.locator("#deep-compare")).to_have_attribute("data-compare", "off")
    lab.locator("#b-form select[name=residual]").select_option("true")
    lab.locator("#b-form input[name=depth]").fill("10")
    lab.click("#b-apply")
    expect(lab.locator("#deep-compare")).to_have_attribute("data-compare", "on")
    expect(lab.locator("#hist-canvas")).to_have_attribute("data-configs", "AB")
    expect(lab.locator("#config-b")).to_contain_text("10 × 16")
    expect(lab.locator("#config-b")).to_contain_text("residual")
    assert traces(lab, "gradients-plot") == ["A: ‖∂L/∂W‖", "A: ‖∂L/∂h‖", "B: ‖∂L/∂W‖", "B: ‖∂L/∂h‖"]
    b_depth = lab.evaluate("document.getElementById('signal-plot').data[2].x.length")
    assert b_depth == 10
    lab.wait_for_function("() => decodeURIComponent(location.search).includes('compare')")
    lab.click("#play")
    lab.wait_for_function(
        "() => Number(document.getElementById('step-count').textContent.replace(/,/g, '')) >= 20"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    lab.wait_for_function("() => document.getElementById('race-plot').data?.[1]?.y.length > 1")
    b_cells = lab.locator("#ab-table td[data-config=b]")
    expect(b_cells.first).to_have_text(PERCENT)
    details = lab.locator("#fig-jacobian details.alt")
    details.locator("summary").click()
    expect(details.locator("tbody tr")).to_have_count(6 + 10)


def test_sweep_shows_progress_while_playing(lab: Page) -> None:
    lab.click("#sweep-toggle")
    expect(lab.locator("#sweep-toggle")).to_have_attribute("aria-pressed", "true")
    expect(lab.locator("#sweep-status")).to_contain_text("of 12 configurations")
    lab.click("#play")
    lab.wait_for_function("() => document.getElementById('sweep-progress').value > 0")
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
