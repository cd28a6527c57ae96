"""The attention lab page in Chromium: a head is clicked and its map is taken apart; it trains;
a large logit scale breaks the naive softmax but not the log-sum-exp one; refusals show."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

HEADS = "#att-heads .att-head-button"


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The attention lab page, loaded and showing its first frame; fails on any console error."""
    page = watched_page
    page.goto("/labs/attention")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(page.locator(HEADS)).to_have_count(4)  # 2 layers × 2 heads
    expect(page.locator("#head-canvas")).to_have_attribute("data-shown", "0,0")
    return page


def step_count(page: Page) -> int:
    return int(page.locator("#step-count").inner_text().replace(",", ""))


def test_clicking_a_head_shows_its_map_step_by_step(lab: Page) -> None:
    first = lab.locator(f"{HEADS}[data-layer='0'][data-head='0']")
    chosen = lab.locator(f"{HEADS}[data-layer='1'][data-head='1']")
    expect(first).to_have_attribute("aria-pressed", "true")
    chosen.click()
    expect(chosen).to_have_attribute("aria-pressed", "true")
    expect(first).to_have_attribute("aria-pressed", "false")
    expect(lab.locator("#head-canvas")).to_have_attribute("data-shown", "1,1")
    expect(lab.locator("#head-name")).to_have_text("layer 2, head 2")
    lab.wait_for_function("() => decodeURIComponent(location.search).includes('head_layer')")
    # its numbers: the softmax weights of that head, every row summing to 1
    details = lab.locator("#fig-head details.alt")
    details.locator("summary").click()
    expect(details.locator("caption")).to_contain_text("Layer 2, head 2")
    rows = details.locator("tbody tr")
    expect(rows).to_have_count(12)
    for k in range(12):
        cells = rows.nth(k).locator("td").all_inner_texts()
        assert sum(float(c) for c in cells if c != "masked") == pytest.approx(1.0, abs=0.01)
    assert step_count(lab) == 0  # choosing a head does not rebuild the model
    # the keyboard moves the choice: left to head 1 of layer 2, up to head 1 of layer 1
    chosen.press("ArrowLeft")
    expect(lab.locator("#head-canvas")).to_have_attribute("data-shown", "1,0")
    lab.locator(f"{HEADS}[data-layer='1'][data-head='0']").press("ArrowUp")
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(lab.locator("#head-canvas")).to_have_attribute("data-shown", "0,0")


def test_play_trains_and_the_answer_comes_right(lab: Page) -> None:
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    lab.wait_for_function(
        "() => Number(document.getElementById('step-count').textContent.replace(/,/g, '')) >= 30"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    accuracy = lab.evaluate("document.getElementById('accuracy-plot').data[1].y")
    assert accuracy and accuracy[-1] is not None and 0 <= accuracy[-1] <= 1
    expect(lab.locator("#att-sequence .att-row")).to_have_count(3)


def test_a_large_logit_scale_breaks_only_the_naive_softmax(lab: Page) -> None:
    lab.click("#play")  # a little training spreads the logits beyond ±0.09
    lab.wait_for_function(
        "() => Number(document.getElementById('step-count').textContent.replace(/,/g, '')) >= 20"
    )
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    expect(lab.locator("#naive-verdict")).to_have_attribute("data-ok", "true")
    lab.locator("#logit-scale").fill("1000")  # the slider's end: ×1000
    expect(lab.locator("#logit-scale-value")).to_have_text("×1000")
    lab.wait_for_function("() => decodeURIComponent(location.search).includes('logit_scale')")
    # whether exp overflows depends on the logits: find a slot whose largest logit is positive
    for slot in range(6):
        lab.locator("#softmax-position").select_option(str(slot))
        expect(lab.locator("#softmax-position")).to_have_value(str(slot))
        if lab.locator("#naive-verdict").get_attribute("data-ok") == "false":
            break
    expect(lab.locator("#naive-verdict")).to_have_attribute("data-ok", "false")
    expect(lab.locator("#lse-verdict")).to_have_attribute("data-ok", "true")
    expect(lab.locator("#softmax-table td.broken").first).to_be_visible()


def test_a_width_the_heads_do_not_divide_is_refused(lab: Page) -> None:
    lab.goto("/labs/attention?params=" + quote('{"heads":4}'))
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    control = lab.locator("[data-param=d_model] input[type=number]")
    control.fill("30")
    control.press("Enter")
    expect(lab.locator("#messages")).to_contain_text("not divisible")
