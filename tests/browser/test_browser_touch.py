"""Touch on the browser map (frontend/src/map/map.js), in headless Chromium as a phone (390×844,
is_mobile, has_touch, device scale 2), with real touch events sent through the DevTools protocol
(Input.dispatchTouchEvent): one finger moving decodes under it as the mouse's hover does and sends
nothing to the server, a tap pins the spot (the server hears one click), and two fingers pinch-zoom
the map and decode nothing.

Skipped without the browser runtime (scripts/install_runtime.sh) unless VAE_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import json
import re

import pytest

from harness.browser import EXCEPTION, REPO, require_browser

pytestmark = pytest.mark.browser

require_browser(live_runtime=True)

from harness.browser import (  # noqa: E402
    arm_new_image,
    map_box,
    map_group_of,
    map_isolated_point,
    map_ranges,
    map_units_per_px,
    new_page,
    wait_for_app,
)

TIMEOUT_MS = 60_000
PHONE = {"width": 390, "height": 844, "mobile": True, "touch": True, "scale": 2}
MAP_URL = "/latent_map?dataset=mnist&model=mnist-z16&projection=pca"


def phone_map(browser, url: str, sent: list):
    """A phone's page on mnist-z16's PCA map, scrolled to the map, once the in-browser decoder is
    ready; the websocket frames the page sends are appended to `sent`. Returns (page, CDP session)."""
    page = new_page(browser, PHONE["width"], PHONE["height"], mobile=PHONE["mobile"], touch=PHONE["touch"], scale=PHONE["scale"])
    page.set_default_timeout(TIMEOUT_MS)
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(url + MAP_URL)
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
    map_box(page)
    page.evaluate("() => window.__vaeMap.plot.scrollIntoView({block: 'center'})")
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__vaeLive.status") == "ready", page.evaluate("() => window.__vaeLive.error")
    return page, page.context.new_cdp_session(page)


def touch(cdp, kind: str, *points: tuple[float, float]) -> None:
    """One touch event: kind touchStart, touchMove or touchEnd; `points` the fingers still down (page pixels)."""
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})


def frames(page) -> int:
    return page.evaluate("() => window.__vaeLive.frames")


def test_one_finger_decodes_under_it_and_sends_nothing(chromium, server):
    """Each move of one finger is decoded where the finger is (the hover's telemetry), the honesty
    cue shown; more moves draw more pictures; the map does not pan; nothing reaches the server."""
    sent: list = []
    page, cdp = phone_map(chromium, server, sent)
    box = map_box(page)
    pixel = map_units_per_px(page)
    ranges = map_ranges(page)
    y = box["y"] + 0.5 * box["height"]
    xs = [box["x"] + box["width"] * (0.15 + 0.7 * i / 60) for i in range(61)]
    sent.clear()
    start = frames(page)
    touch(cdp, "touchStart", (xs[0], y))
    for x in xs[1:11]:  # each move waited for: drawn under the finger
        before = frames(page)
        touch(cdp, "touchMove", (x, y))
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
        hover = page.evaluate("() => window.__vaeLive.lastHover")
        mx, my = page.evaluate("([x, y]) => window.__vaeMap.fromPixel(x, y)", [x - box["x"], y - box["y"]])
        assert abs(hover["x"] - mx) <= 1.01 * pixel and abs(hover["y"] - my) <= 1.01 * pixel, (hover, (mx, my), pixel)
        assert page.locator(".vae-live-hover").evaluate("e => e.style.display") == "flex"  # the inset and its cue
        assert page.locator(".vae-live-hover").evaluate("e => e.dataset.far") in ("0", "1")
    after_ten = frames(page)
    assert after_ten - start >= 10
    for x in xs[11:]:  # back to back, as a finger moves
        touch(cdp, "touchMove", (x, y))
    end = page.evaluate("([x, y]) => window.__vaeMap.fromPixel(x, y)", [xs[-1] - box["x"], y - box["y"]])
    page.wait_for_function(
        "([x, y, tol]) => { const h = window.__vaeLive.lastHover; return Math.abs(h.x - x) <= tol && Math.abs(h.y - y) <= tol; }",
        arg=[end[0], end[1], 1.01 * pixel],
    )
    assert frames(page) > after_ten  # the 50 further moves drew more pictures
    touch(cdp, "touchEnd")
    page.wait_for_timeout(300)  # (anything the release would send)
    assert map_ranges(page) == ranges  # one finger does not pan
    assert page.evaluate("() => window.__vaeMap.clicks") == 0  # a drag is no tap
    assert not sent, f"{len(sent)} websocket frames sent during the drag"
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_a_tap_pins_the_spot_and_reaches_python_once(chromium, server):
    """A tap on a test point pins it at once and sends one click; the server shows that point's details."""
    from vae.artifacts.atlas import load_atlas

    sent: list = []
    page, cdp = phone_map(chromium, server, sent)
    atlas = load_atlas(REPO / "models" / "mnist-z16")
    index, x, y = map_isolated_point(page, atlas.pca_coords)
    digit = map_group_of(page, index)
    arm_new_image(page)
    sent.clear()
    touch(cdp, "touchStart", (x, y))
    touch(cdp, "touchEnd")
    page.wait_for_function("() => window.__vaeMap.clicks === 1")
    click = page.evaluate("() => window.__vaeMap.lastClick")
    assert click["index"] == index
    page.wait_for_function("() => window.__vaeDone !== null", timeout=TIMEOUT_MS, polling=20)  # the server's picture
    wait_for_app(page, TIMEOUT_MS)
    details = page.locator('[data-testid="stMarkdownContainer"] p').filter(has_text=re.compile(r"^Test image #\d+")).first.inner_text()
    assert f"#{int(atlas.test_index[index])}" in details and f"label {digit}" in details
    assert f"point={index}" in page.url
    assert len(sent) == 1, f"{len(sent)} websocket frames sent for one tap"  # the click, once
    assert page.evaluate("() => window.__vaeMap.clicks") == 1 and page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_two_fingers_pinch_zoom_and_decode_nothing(chromium, server):
    """Two fingers moving apart zoom in about their midpoint (the camera, from telemetry); no picture
    is decoded, nothing is pinned, nothing reaches the server."""
    sent: list = []
    page, cdp = phone_map(chromium, server, sent)
    box = map_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = map_ranges(page)
    centre = page.evaluate("([x, y]) => window.__vaeMap.fromPixel(x, y)", [cx - box["x"], cy - box["y"]])
    sent.clear()
    start = frames(page)
    touch(cdp, "touchStart", (cx - 20, cy), (cx + 20, cy))
    for i in range(1, 11):
        touch(cdp, "touchMove", (cx - 20 - 4 * i, cy), (cx + 20 + 4 * i, cy))  # 40 px apart, then 120
    touch(cdp, "touchEnd")
    page.wait_for_function("r => JSON.stringify(window.__vaeMap.ranges()) !== r", arg=json.dumps(before))
    after = map_ranges(page)
    zoom = (before[0][1] - before[0][0]) / (after[0][1] - after[0][0])
    assert zoom == pytest.approx(3, rel=0.02)
    assert (before[1][1] - before[1][0]) / (after[1][1] - after[1][0]) == pytest.approx(3, rel=0.02)
    still = page.evaluate("([x, y]) => window.__vaeMap.fromPixel(x, y)", [cx - box["x"], cy - box["y"]])
    assert still == pytest.approx(centre, abs=2 * (after[0][1] - after[0][0]) / box["width"])  # about the midpoint
    page.wait_for_timeout(300)  # (a decode the pinch might have started)
    assert frames(page) == start  # a pinch decodes nothing
    assert page.evaluate("() => window.__vaeMap.clicks") == 0
    assert not sent, f"{len(sent)} websocket frames sent during the pinch"
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()
