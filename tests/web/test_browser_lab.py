"""The two-moons lab page in Chromium: it connects, trains, draws, refuses and shares."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server]

# The boundary's picture: the P(class 1) background image and the p = 0.5 line's path.
BOUNDARY = (
    "() => { const d = document.getElementById('boundary-plot');"
    " return [d.layout.images[0].source, d.layout.shapes[0].path]; }"
)
LOSS_POINTS = "document.getElementById('loss-plot').data[0].x.length"


@pytest.fixture
def lab(watched_page: Page) -> Page:
    """The lab page, loaded and showing its first frame; fails on any console error."""
    watched_page.goto("/labs/two-moons")
    wait_for_first_frame(watched_page)
    return watched_page


def wait_for_first_frame(page: Page) -> None:
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    page.wait_for_function("() => document.getElementById('boundary-plot').data?.length > 0")


def step_count(page: Page) -> int:
    return int(page.locator("#step-count").inner_text().replace(",", ""))


def settled_step_count(page: Page) -> int:
    """The step count once no frame has changed it for 300 ms (one may trail a pause)."""
    last = step_count(page)
    for _ in range(30):
        page.wait_for_timeout(300)
        now = step_count(page)
        if now == last:
            return now
        last = now
    raise AssertionError("the step count never settled")


def wait_for_steps(page: Page, at_least: int) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('step-count').textContent.replace(/,/g, '')) >= n",
        arg=at_least,
    )


def test_play_button_trains_and_redraws(lab: Page) -> None:
    assert step_count(lab) == 0
    before = lab.evaluate(BOUNDARY)
    before_points = lab.evaluate(LOSS_POINTS)
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    expect(lab.locator("#play-label")).to_have_text("Pause")
    wait_for_steps(lab, 60)
    lab.wait_for_function(f"n => {LOSS_POINTS} > n", arg=before_points + 5)
    expect(lab.locator("#rate")).not_to_have_text("—")
    lab.click("#play")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    after = lab.evaluate(BOUNDARY)
    assert after[0] != before[0]  # the probabilities changed
    assert after[1] != before[1]  # and so did the line where they cross 0.5
    assert lab.evaluate(LOSS_POINTS) > before_points
    norms = lab.evaluate("document.getElementById('norms-plot').data[0].y")
    assert len(norms) == 3 and all(v > 0 for v in norms)  # ‖∇W‖ of 3 layers after training


def test_keyboard_space_plays_and_pauses_dot_steps_r_resets(lab: Page) -> None:
    lab.keyboard.press("Space")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "running")
    wait_for_steps(lab, 20)
    lab.keyboard.press("Space")
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")
    paused_at = settled_step_count(lab)
    lab.keyboard.press(".")
    expect(lab.locator("#step-count")).to_have_text(f"{paused_at + 1:,}")
    lab.keyboard.press("r")
    expect(lab.locator("#step-count")).to_have_text("0")
    lab.wait_for_function(f"() => {LOSS_POINTS} === 1")  # the curves start over


def test_keys_do_nothing_while_typing_in_a_setting(lab: Page) -> None:
    box = lab.locator("[data-param=noise] input[type=number]")
    box.focus()
    lab.keyboard.press("Space")
    lab.keyboard.press("r")
    lab.wait_for_timeout(300)
    expect(lab.locator("#lab")).to_have_attribute("data-state", "paused")


def test_refused_settings_show_inline_next_to_their_control(lab: Page) -> None:
    speed = lab.locator("[data-param=steps_per_frame]")
    speed.locator("input[type=number]").fill("200")
    speed.locator("input[type=number]").press("Enter")
    error = speed.locator(".control-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("budget")
    expect(error).to_contain_text("Still using 5")
    expect(lab.locator("#messages .message.error")).to_contain_text("budget")

    rate = lab.locator("[data-param=learning_rate]")
    rate.locator("input[type=number]").fill("20")
    rate.locator("input[type=number]").press("Enter")
    expect(rate.locator(".control-error")).to_contain_text("less than or equal to 10")
    error_id = rate.locator(".control-error").get_attribute("id")
    described_by = rate.locator("input[type=number]").get_attribute("aria-describedby") or ""
    assert error_id in described_by.split()  # screen readers read the refusal with the box
    rate.locator("input[type=number]").fill("0.05")
    rate.locator("input[type=number]").press("Enter")
    expect(rate.locator(".control-error")).to_be_hidden()
    expect(speed.locator(".control-error")).to_be_visible()  # still refused, still shown


def test_share_url_restores_params(page: Page) -> None:
    shared = {"dataset": "circles", "hidden": [3], "learning_rate": 0.03,
              "features": ["x", "y", "x2"]}  # fmt: skip
    page.set_default_timeout(10_000)
    page.goto(f"/labs/two-moons?params={quote(json.dumps(shared))}")
    wait_for_first_frame(page)
    expect(page.locator("[data-param=dataset] select")).to_have_value("circles")
    expect(page.locator("[data-param=hidden] .layers li")).to_have_count(1)
    expect(page.locator("[data-param=hidden] .units")).to_have_text("3 units")
    expect(page.locator("[data-param=learning_rate] input[type=number]")).to_have_value("0.03")
    expect(page.locator("[data-param=features] input[value=x2]")).to_be_checked()
    # The server built what the link asked for: 3 inputs → 3 hidden units → 1 output.
    assert page.evaluate("document.getElementById('norms-plot').data[1].x") == ["W1", "W2"]

    page.locator("[data-param=dataset] select").select_option("xor")
    page.wait_for_function("() => location.search.includes('xor')")
    query = parse_qs(urlsplit(page.url).query)
    assert json.loads(query["params"][0]) == {**shared, "dataset": "xor"}


def test_exports_link_to_the_run(lab: Page) -> None:
    run = lab.locator("#lab").get_attribute("data-run")
    assert run
    weights = lab.locator("#download-weights")
    expect(weights).to_have_attribute("href", f"/api/runs/{run}/weights.pt")
    expect(weights).to_have_attribute("aria-disabled", "false")
    expect(lab.locator("#download-script")).to_have_attribute("href", f"/api/runs/{run}/script.py")
    response = lab.request.get(f"/api/runs/{run}/script.py")
    assert response.status == 200
    assert "torch" in response.text()


# The three columns' boxes, read in the page once layout has settled after a resize.
COLUMNS = """(width) => {
  if (window.innerWidth !== width) return null;
  const box = (s) => document.querySelector(s).getBoundingClientRect().toJSON();
  return {
    controls: box('.lab-controls'), stage: box('.lab-stage'), curves: box('.lab-curves'),
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


def columns_at(page: Page, width: int, height: int) -> dict:
    """Resize the viewport and return the columns' boxes once two reads agree."""
    page.set_viewport_size({"width": width, "height": height})
    previous = None
    for _ in range(50):
        page.wait_for_timeout(100)
        now = page.evaluate(COLUMNS, width)
        if now is not None and now == previous:
            return now
        previous = now
    raise AssertionError(f"layout did not settle at {width}×{height}: {previous}")


def test_columns_sit_side_by_side_on_a_laptop_and_stack_on_a_tablet(lab: Page) -> None:
    laptop = columns_at(lab, 1366, 768)
    controls, stage, curves = laptop["controls"], laptop["stage"], laptop["curves"]
    assert controls["x"] + controls["width"] <= stage["x"]
    assert stage["x"] + stage["width"] <= curves["x"]
    assert abs(controls["y"] - stage["y"]) < 2 and abs(curves["y"] - stage["y"]) < 2
    assert curves["x"] + curves["width"] <= 1366  # nothing runs off the side

    tablet = columns_at(lab, 820, 1180)
    controls, stage, curves = tablet["controls"], tablet["stage"], tablet["curves"]
    assert stage["y"] + stage["height"] <= curves["y"] <= controls["y"]
    assert tablet["scrollWidth"] <= 820
