"""Touch in headless Chromium as a phone (390×844, is_mobile, has_touch, device scale 2), with real
touch events sent through the DevTools protocol (Input.dispatchTouchEvent).

On the browser map (frontend/src/map/map.js): one finger moving decodes under it as the mouse's hover
does and sends nothing to the server, a tap pins the spot (the server hears one click), and two
fingers pinch-zoom the map and decode nothing.

On the sliders (frontend/src/sliders.js): a finger dragging a latent slider's thumb, a face
attribute's or the interpolation scrubber's is followed live (a new picture for each new value),
nothing reaches the server until the finger lifts, and the lift reruns the page once.

On the drawing canvas (frontend/src/drawing.js): a one-finger stroke draws, and the digit is encoded
after the stroke and lands on the map as a mouse stroke does.

Skipped without the browser runtime (scripts/install_runtime.sh) unless VAE_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import json
import re
import time

import numpy as np
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
    rerun,
    wait_for_app,
)

TIMEOUT_MS = 60_000
PHONE = {"width": 390, "height": 844, "mobile": True, "touch": True, "scale": 2}
MAP_URL = "/latent_map?dataset=mnist&model=mnist-z16&projection=pca"


def phone_page(browser, url: str, sent: list):
    """A phone's page on `url` once it has run and the in-browser decoder is ready; the websocket
    frames the page sends are appended to `sent`. Returns (page, CDP session)."""
    page = new_page(browser, PHONE["width"], PHONE["height"], mobile=PHONE["mobile"], touch=PHONE["touch"], scale=PHONE["scale"])
    page.set_default_timeout(TIMEOUT_MS)
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(url)
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__vaeLive.status") == "ready", page.evaluate("() => window.__vaeLive.error")
    return page, page.context.new_cdp_session(page)


def phone_map(browser, url: str, sent: list):
    """phone_page on mnist-z16's PCA map, scrolled to the map."""
    page, cdp = phone_page(browser, url + MAP_URL, sent)
    map_box(page)
    page.evaluate("() => window.__vaeMap.plot.scrollIntoView({block: 'center'})")
    return page, cdp


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


def finger_on_slider(page, cdp, key: str, to: float, sent: list, steps: int = 20) -> tuple[int, int]:
    """Put one finger on slider `key`'s thumb and move it in `steps` moves to fraction `to` of the track,
    each move waited for: a move that changes the slider's value is drawn before the next one.
    Returns (moves that changed the value: all of them, pictures drawn since the finger went down), the finger
    still down. Nothing may reach the server meanwhile (`sent`, see phone_page)."""
    page.locator(f".st-key-{key}").scroll_into_view_if_needed()
    track = page.locator(f'.st-key-{key} [role="group"] > div').first.bounding_box()
    thumb = page.locator(f'.st-key-{key} [data-testid="stSliderThumbValue"]').first.locator("..").bounding_box()  # the thumb
    x0, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    x1 = track["x"] + track["width"] * to
    slider = page.locator(f".st-key-{key} input[type=range]")
    scroll = page.evaluate("() => [scrollX, scrollY]")
    sent.clear()
    start = frames(page)
    touch(cdp, "touchStart", (x0, y))
    moved = 0
    for i in range(1, steps + 1):  # each move longer than the slider's step: a new value each time
        value, before = slider.input_value(), frames(page)
        touch(cdp, "touchMove", (x0 + (x1 - x0) * i / steps, y))
        page.wait_for_function("([s, v]) => document.querySelector(s).value !== v", arg=[f".st-key-{key} input[type=range]", value])
        moved += 1
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)  # drawn before the next move
    assert page.evaluate("() => [scrollX, scrollY]") == scroll  # the finger moved the thumb, not the page
    assert not sent, f"{len(sent)} websocket frames sent during the drag"
    return moved, frames(page) - start


def caught_up(page, key: str, drawn) -> tuple[float, np.ndarray]:
    """Wait until drawn(the slider's value, the last code drawn) holds (the decoder may still be on
    an earlier value): (value, code)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        value = float(page.locator(f".st-key-{key} input[type=range]").input_value())
        code = np.asarray(page.evaluate("() => window.__vaeLive.lastCode"), np.float32)
        if drawn(value, code) or time.monotonic() > deadline:
            return value, code
        page.wait_for_timeout(50)


def lift(page, cdp, sent: list) -> None:
    """Lift the finger: the page reruns once, with the slider's value sent."""
    with rerun(page, TIMEOUT_MS):
        touch(cdp, "touchEnd")
    assert len(sent) >= 1
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0


def test_a_finger_on_a_latent_slider_is_followed_live_and_sent_on_lift(chromium, server):
    """A finger dragging a latent slider's thumb: a new picture for each new value while it moves,
    nothing sent; lifting it reruns the page with the released value (in the link, as the mouse's)."""
    sent: list = []
    page, cdp = phone_page(chromium, server + "/latent_sliders?dataset=mnist&model=mnist-z16", sent)
    key = page.locator('[class*="st-key-sl_z_"]').first.evaluate("e => [...e.classList].find(c => c.startsWith('st-key-')).slice(7)")
    before = page.evaluate("s => document.querySelector(s).src", ".st-key-sl_decoded img")
    moved, drawn = finger_on_slider(page, cdp, key, 0.9, sent)
    assert moved == 20 and drawn >= moved, f"{drawn} pictures drawn for {moved} slider values while the finger moved"
    dim = int(key.rsplit("_", 1)[1])
    value, code = caught_up(page, key, lambda v, c: abs(float(c[dim]) - v) <= 1e-6)
    assert float(code[dim]) == pytest.approx(value, abs=1e-6) and value > 0
    lift(page, cdp, sent)
    page.wait_for_function("([s, b]) => document.querySelector(s).src !== b", arg=[".st-key-sl_decoded img", before])
    assert "sl_z=" in page.url  # the released code is in the link
    page.context.close()


def test_a_finger_on_a_face_attribute_slider_adds_the_direction_live(chromium, server):
    from vae.artifacts.atlas import load_atlas
    from vae.artifacts.attributes import load_directions

    atlas = load_atlas(REPO / "models" / "celeba-z64")
    dirs = load_directions(REPO / "models" / "celeba-z64")
    sent: list = []
    url = server + "/face_editor?dataset=celeba&model=celeba-z64&fe_attrs=Smiling&fe_source=test&fe_index=3"
    page, cdp = phone_page(chromium, url, sent)
    moved, drawn = finger_on_slider(page, cdp, "fe_amt_Smiling", 0.9, sent, steps=8)  # a step of 0.1
    assert moved == 8 and drawn >= moved
    amount, code = caught_up(page, "fe_amt_Smiling", lambda a, c: np.allclose(c, dirs.apply(atlas.mean[3], {"Smiling": a}), atol=1e-4))
    assert amount > 0.5
    np.testing.assert_allclose(code, dirs.apply(atlas.mean[3], {"Smiling": amount}), atol=1e-4)
    lift(page, cdp, sent)
    page.context.close()


def test_a_finger_on_the_interpolation_scrubber_is_followed_live(chromium, server):
    from vae.artifacts.atlas import load_atlas
    from vae.core.latent import path_at

    atlas = load_atlas(REPO / "models" / "mnist-z16")
    sent: list = []
    page, cdp = phone_page(chromium, server + "/interpolation?dataset=mnist&model=mnist-z16&ip_a_index=2&ip_b_index=5", sent)
    moved, drawn = finger_on_slider(page, cdp, "ip_t", 0.1, sent)
    assert moved == 20 and drawn >= moved
    where, code = caught_up(page, "ip_t", lambda t, c: np.allclose(c, path_at(atlas.mean[2], atlas.mean[5], [t], "slerp")[0], atol=1e-5))
    assert where < 0.3
    np.testing.assert_allclose(code, path_at(atlas.mean[2], atlas.mean[5], [where], "slerp")[0], atol=1e-5)
    lift(page, cdp, sent)
    assert "ip_t=" in page.url
    page.context.close()


def test_a_finger_draws_a_digit_encoded_after_the_stroke(chromium, server):
    """A one-finger stroke on the drawing canvas draws (ink on Fabric's canvas, the page not
    scrolled), the browser encodes it after the stroke (the telemetry's lastDraw: a 7), and the
    server's answer puts its star on the map, as after a mouse stroke."""
    sent: list = []
    page, cdp = phone_page(chromium, server + "/your_input?dataset=mnist&model=mnist-z16", sent)
    canvas = page.locator(".st-key-yi_canvas canvas.upper-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    scroll = page.evaluate("() => [scrollX, scrollY]")
    start = frames(page)
    stroke = [*[(80 + 8 * i, 60) for i in range(16)], *[(200 - 5 * i, 60 + 9 * i) for i in range(1, 19)]]  # a "7"
    touch(cdp, "touchStart", (x0 + stroke[0][0], y0 + stroke[0][1]))
    for px, py in stroke[1:]:
        touch(cdp, "touchMove", (x0 + px, y0 + py))
    assert page.evaluate("() => [scrollX, scrollY]") == scroll  # the finger draws, it does not scroll
    assert frames(page) == start  # encoded after the stroke, not during it
    touch(cdp, "touchEnd")
    page.wait_for_function("n => window.__vaeLive.frames > n && window.__vaeLive.lastDraw", arg=start)
    digit = np.asarray(page.evaluate("() => window.__vaeLive.lastDraw.digit")).reshape(28, 28)
    rows = (digit > 128).sum(1)
    assert rows.max() > 0 and rows[:10].max() > 2 * rows[18:].max()  # a 7: the bar on top
    wait_for_app(page, TIMEOUT_MS)
    assert len(sent) >= 1  # the stroke reached the server
    page.wait_for_function(
        """() => [...document.querySelectorAll('[class*="st-key-yi_map_"] .js-plotly-plot')].some(
             g => (g._fullData || []).some(d => d.marker && d.marker.symbol === 'star'))""",
        timeout=TIMEOUT_MS,
    )  # and the server's
    served = page.evaluate(
        """() => [...document.querySelectorAll('[class*="st-key-yi_map_"] .js-plotly-plot')].flatMap(g => g._fullData || [])
             .filter(d => d.marker && d.marker.symbol === 'star').map(d => [d.x[0], d.y[0]])[0]"""
    )
    np.testing.assert_allclose(page.evaluate("() => window.__vaeLive.lastDraw.xy"), served, atol=2e-3)  # the same place
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()
