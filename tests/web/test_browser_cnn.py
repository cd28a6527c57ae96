"""The CNN lab page in Chromium: it trains, shows receptive fields, takes inputs and refuses."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_browser_lab import columns_at

pytestmark = [pytest.mark.browser, pytest.mark.server]

PROBS = "document.getElementById('probs-plot').data?.[0]?.y"
INPUT_PICTURE = "document.getElementById('input-canvas').toDataURL()"


@pytest.fixture
def cnn(watched_page: Page) -> Page:
    """The CNN lab page, loaded and showing its first frame; fails on any console error."""
    page = watched_page
    page.goto("/labs/cnn")
    expect(page.locator("#lab")).to_have_attribute("data-state", "paused")
    page.wait_for_function(f"() => ({PROBS})?.length === 10")
    return page


def step_count(page: Page) -> int:
    return int(page.locator("#step-count").inner_text().replace(",", ""))


def expected_box(page: Page, layer: int, y: int, x: int) -> list[int]:
    """The theoretical box of unit (y, x) of `layer`, from the page's receptive-field table."""
    row = page.locator(f".rf-table tr[data-layer='{layer}']")
    size, jump, start = (float(row.get_attribute(f"data-{k}") or "nan")
                         for k in ("size", "jump", "start"))  # fmt: skip
    side = int(page.locator("#input-canvas").get_attribute("data-side") or 0)
    half = (size - 1) / 2
    cy, cx = start + y * jump, start + x * jump
    return [max(0, round(cy - half)), max(0, round(cx - half)),
            min(side - 1, round(cy + half)), min(side - 1, round(cx + half))]  # fmt: skip


def chosen_unit(page: Page) -> tuple[int, int, int, int]:
    form = page.locator(".unit-form")
    layer = int(form.locator("[name=layer]").input_value())
    channel, y, x = (int(form.locator(f"[name={k}]").input_value()) for k in ("channel", "y", "x"))
    return layer, channel, y, x


def check_box_drawn(page: Page, layer: int, y: int, x: int) -> None:
    """The probe's box is the theoretical one, and the rectangle on the input matches it."""
    canvas = page.locator("#input-canvas")
    expect(canvas).to_have_attribute("data-erf", "shown")
    box = [int(v) for v in (canvas.get_attribute("data-box") or "").split(",")]
    assert box == expected_box(page, layer, y, x)
    cell = float(canvas.get_attribute("data-cell") or "nan")
    left, top, width, height = (
        float(v) for v in (canvas.get_attribute("data-rect") or "").split(",")
    )
    origin_x, origin_y = (float(v) for v in (canvas.get_attribute("data-origin") or "").split(","))
    y0, x0, y1, x1 = box
    assert left == pytest.approx(origin_x + x0 * cell)
    assert top == pytest.approx(origin_y + y0 * cell)
    assert width == pytest.approx((x1 - x0 + 1) * cell)
    assert height == pytest.approx((y1 - y0 + 1) * cell)


def test_play_trains_and_shows_test_accuracy(cnn: Page) -> None:
    assert step_count(cnn) == 0
    cnn.click("#play")
    expect(cnn.locator("#lab")).to_have_attribute("data-state", "running")
    cnn.wait_for_function(
        "() => Number(document.getElementById('step-count').textContent.replace(/,/g, '')) >= 10"
    )
    cnn.click("#play")
    expect(cnn.locator("#lab")).to_have_attribute("data-state", "paused")
    accuracy = cnn.evaluate("document.getElementById('accuracy-plot').data[1].y")
    assert accuracy and all(0 <= v <= 1 for v in accuracy if v is not None)
    assert accuracy[-1] is not None
    # The confusion matrix counts every test image once.
    counts = cnn.evaluate("document.getElementById('confusion-plot').data[0].z.flat()")
    assert sum(counts) == 360


def test_clicking_a_unit_draws_its_receptive_field(cnn: Page) -> None:
    cnn.locator("#maps-canvas").click(position={"x": 40, "y": 50})
    expect(cnn.locator(".rf-summary")).to_contain_text("sees input rows")
    layer, channel, y, x = chosen_unit(cnn)
    assert (layer, channel) == (0, 0)
    check_box_drawn(cnn, layer, y, x)

    # A deeper unit, chosen with the form (the keyboard's way): a larger box.
    form = cnn.locator(".unit-form")
    form.locator("[name=layer]").select_option("2")
    for name, value in (("channel", "1"), ("y", "2"), ("x", "3")):
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    expect(cnn.locator(".rf-summary")).to_contain_text("Layer 3, channel 1, unit (y 2, x 3) sees")
    check_box_drawn(cnn, 2, 2, 3)
    y0, x0, y1, x1 = [
        int(v) for v in (cnn.locator("#input-canvas").get_attribute("data-box") or "").split(",")
    ]
    assert y1 - y0 + 1 > 3 and x1 - x0 + 1 > 3  # deeper units see more than one 3×3 window


def test_picking_a_test_image_changes_the_input(cnn: Page) -> None:
    before = cnn.evaluate(INPUT_PICTURE)
    thumb = cnn.locator(".picker-grid .thumb[data-index='5']")
    thumb.click()
    expect(thumb).to_have_attribute("aria-pressed", "true")
    expect(cnn.locator("#input-source")).to_have_text("test image 5")
    cnn.wait_for_function(f"before => {INPUT_PICTURE} !== before", arg=before)
    expect(cnn.locator("#truth")).to_contain_text("true digit")


def test_drawing_updates_the_prediction(cnn: Page) -> None:
    before = cnn.evaluate(PROBS)
    pad = cnn.locator("#pad canvas")
    box = pad.bounding_box()
    assert box
    cnn.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15)
    cnn.mouse.down()
    for k in range(1, 9):
        cnn.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (0.15 + 0.09 * k))
    cnn.mouse.up()
    expect(cnn.locator("#input-source")).to_have_text("your drawing")
    expect(cnn.locator("#truth")).to_contain_text("a drawing")
    cnn.wait_for_function(f"before => JSON.stringify({PROBS}) !== JSON.stringify(before)",
                          arg=before)  # fmt: skip
    assert cnn.evaluate(f"{PROBS}.reduce((a, b) => a + b, 0)") == pytest.approx(1, abs=1e-3)


def test_refused_layer_edit_shows_inline_at_its_row(cnn: Page) -> None:
    stack = cnn.locator("[data-param=layers]")
    first = stack.locator("li[data-layer='0']")
    expect(first.locator("select")).to_have_value("conv")
    padding = first.locator("input[aria-label='Layer 1 padding']")
    padding.fill("3")
    padding.press("Enter")
    error = first.locator(".control-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("padding")
    expect(padding).to_have_attribute("aria-invalid", "true")
    expect(stack.locator("li[data-layer='1'] .control-error")).to_be_hidden()
    padding.fill("1")
    padding.press("Enter")
    expect(error).to_be_hidden()


def test_layer_stack_adds_moves_and_removes_layers(cnn: Page) -> None:
    stack = cnn.locator("[data-param=layers]")
    rows = stack.locator("li.stack-row")
    expect(rows).to_have_count(4)
    stack.get_by_role("button", name="Remove layer 4").click()
    expect(rows).to_have_count(3)
    expect(cnn.locator(".rf-table tbody tr")).to_have_count(3)  # the server rebuilt: 3 layers
    stack.get_by_role("button", name="Move layer 2 up").click()
    expect(rows.nth(0).locator("select")).to_have_value("maxpool")
    expect(cnn.locator(".rf-table tbody tr").first).to_contain_text("maxpool")
    stack.get_by_role("button", name="Add a layer at the end").click()
    expect(rows).to_have_count(4)
    expect(cnn.locator(".rf-table tbody tr")).to_have_count(4)
    assert "layers" in cnn.url  # the share link holds the edited stack


def test_cnn_columns_fit_a_laptop_and_a_tablet(cnn: Page) -> None:
    laptop = columns_at(cnn, 1366, 768)
    controls, stage, curves = laptop["controls"], laptop["stage"], laptop["curves"]
    assert controls["x"] + controls["width"] <= stage["x"]
    assert stage["x"] + stage["width"] <= curves["x"] <= 1366 - curves["width"]
    assert laptop["scrollWidth"] <= 1366
    tablet = columns_at(cnn, 820, 1180)
    assert tablet["stage"]["y"] + tablet["stage"]["height"] <= tablet["curves"]["y"]
    assert tablet["scrollWidth"] <= 820


def test_keyboard_moves_the_chosen_unit(cnn: Page) -> None:
    maps = cnn.locator("#maps-canvas")
    maps.focus()
    cnn.keyboard.press("ArrowRight")
    expect(cnn.locator(".rf-summary")).to_contain_text("Layer 1, channel 0, unit (y 0, x 1) sees")
    cnn.keyboard.press("]")
    cnn.keyboard.press("PageDown")
    cnn.keyboard.press("PageDown")
    expect(cnn.locator(".rf-summary")).to_contain_text("Layer 3, channel 1, unit (y 0, x 1) sees")
    check_box_drawn(cnn, 2, 0, 1)
    expect(cnn.locator("#lab")).to_have_attribute("data-state", "paused")  # no key reached play
