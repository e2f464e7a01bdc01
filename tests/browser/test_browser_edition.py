"""The student edition in Chromium (issue 25, item 4): exported by `vae-explorer share`'s function into a temporary
folder, served by `python -m http.server` (a static host, no Python of ours), and used as a student would: the map
decodes under the pointer (each move drawn, the pixels those of the model within 2/255), a latent slider and the
scrubber between two pinned spots follow the drag, a drawn digit lands on the map as a star where the server would
place it, the faces on CelebA, FR/EN; then the network is cut and decoding goes on. A phone variant sends real touch
events (CDP Input.dispatchTouchEvent) at 390×844. Every request goes to the static server, and no websocket opens.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.browser import REPO, require_browser

pytestmark = pytest.mark.browser

require_browser(models=("mnist-z16", "celeba-z64"))

from harness.browser import new_page, static_server  # noqa: E402
from ui.components import edition  # noqa: E402
from ui.shell.i18n import say  # noqa: E402

if not edition.BUNDLE.is_file():
    pytest.skip("no edition bundle (bash scripts/build_frontend.sh needs npm)", allow_module_level=True)

TIMEOUT_MS = 60_000
PHONE = {"width": 390, "height": 844, "mobile": True, "touch": True, "scale": 2}


@pytest.fixture(scope="module")
def mnist_url(tmp_path_factory):
    folder = edition.export_edition("mnist-z16", tmp_path_factory.mktemp("ed") / "mnist", "fr").parent
    with static_server(folder) as url:
        yield url


@pytest.fixture(scope="module")
def celeba_url(tmp_path_factory):
    folder = edition.export_edition("celeba-z64", tmp_path_factory.mktemp("ed") / "celeba", "en").parent
    with static_server(folder) as url:
        yield url


@pytest.fixture(scope="module")
def mnist():
    from vae.artifacts.atlas import load_atlas
    from vae.core.checkpoint import load_model

    return load_model(REPO / "models" / "mnist-z16"), load_atlas(REPO / "models" / "mnist-z16")


def open_edition(chromium, url: str, requests: list, **size):
    """The edition in a fresh context, once its first picture is drawn; every request's URL goes to `requests`."""
    page = new_page(chromium, **(size or {"width": 1280, "height": 900}))
    page.set_default_timeout(TIMEOUT_MS)
    page.on("request", lambda r: requests.append(r.url))
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.goto(url)
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.firstPictureMs !== undefined && window.__vaeMap?.ready()")
    assert page.evaluate("() => window.__vaeLive.status") == "ready", page.evaluate("() => window.__vaeLive.error")
    return page


def frames(page) -> int:
    return page.evaluate("() => window.__vaeLive.frames")


def map_box(page) -> dict:
    page.evaluate("() => window.__vaeEdition.show('map')")
    return page.evaluate(
        "() => { const r = window.__vaeMap.plot.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height}; }"
    )


def hover_each(page, points) -> None:
    """Move the mouse to each point, each move decoded before the next one."""
    for x, y in points:
        before = frames(page)
        page.mouse.move(x, y)
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)


def decoded(model, code) -> np.ndarray:
    """The model's picture of `code`, RGBA bytes as the page draws them (rounded, opaque)."""
    with torch.no_grad():
        x = model.decode(torch.tensor(np.asarray(code, np.float32))[None])[0].clamp(0, 1).numpy()  # (C, H, W)
    grey = np.round(x * 255)
    rgb = np.repeat(grey, 3, 0) if grey.shape[0] == 1 else grey
    return np.concatenate([rgb, np.full((1, *rgb.shape[1:]), 255)]).transpose(1, 2, 0).reshape(-1)


def last_pixels(page) -> np.ndarray:
    return np.asarray(page.evaluate("() => Array.from(window.__vaeLive.lastPixels)"), np.float64)


def only_static(requests: list, url: str) -> None:
    """Every request went to the export's host (blob: URLs are made in the page: the nets' worker and tfjs
    imported there, engine/worker.js)."""
    others = [r for r in requests if not r.startswith(url) and not r.startswith("blob:")]
    assert others == [], others


def test_hover_slide_pin_scrub_draw_switch_language_then_offline(chromium, mnist_url, mnist):
    model, atlas = mnist
    requests: list = []
    page = open_edition(chromium, mnist_url, requests)
    assert page.locator('[data-tab="map"]').inner_text() == "Carte"  # exported with --lang fr
    box = map_box(page)

    # hover: every move decoded where the pointer is, the model's picture
    hover_each(page, [(box["x"] + box["width"] * (0.2 + 0.02 * i), box["y"] + box["height"] * 0.5) for i in range(20)])
    hover = page.evaluate("() => window.__vaeLive.lastHover")
    mx, my = page.evaluate("([x, y]) => window.__vaeMap.fromPixel(x, y)", [box["width"] * 0.58, box["height"] * 0.5])
    assert abs(hover["x"] - mx) < 0.02 and abs(hover["y"] - my) < 0.02
    code = atlas.pca.inverse_transform(np.array([[hover["x"], hover["y"]]]))[0]
    np.testing.assert_allclose(page.evaluate("() => window.__vaeLive.lastCode"), code, atol=1e-4)
    assert np.abs(last_pixels(page) - decoded(model, code)).max() <= 2  # the engine within 2/255 of torch
    assert page.locator(".vae-live-hover").evaluate("e => e.style.display") == "flex"

    # pin two spots (a click each): A and B
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7)
    page.wait_for_function("() => window.__vaeEdition.pins().length === 2")
    pins = page.evaluate("() => window.__vaeEdition.pins()")
    codes = [
        atlas.mean[p["index"]] if p["index"] is not None else atlas.pca.inverse_transform(np.array([[p["x"], p["y"]]]))[0] for p in pins
    ]

    # the scrubber between them: each move of the thumb decoded, at the point t of the way from A to B
    page.evaluate("() => window.__vaeEdition.show('path')")
    scrub = page.locator(".ed-scrub").bounding_box()
    y = scrub["y"] + scrub["height"] / 2
    page.mouse.move(scrub["x"] + scrub["width"] / 2, y)
    page.mouse.down()
    start = frames(page)
    for i in range(1, 11):
        before = frames(page)
        page.mouse.move(scrub["x"] + scrub["width"] * (0.5 - 0.04 * i), y)
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
    page.mouse.up()
    assert frames(page) - start >= 10
    page.wait_for_timeout(100)
    t = float(page.locator(".ed-scrub").input_value())
    assert t < 0.2
    np.testing.assert_allclose(page.evaluate("() => window.__vaeLive.lastCode"), (1 - t) * codes[0] + t * codes[1], atol=1e-4)

    # a latent slider: the most informative dimension follows the drag
    page.evaluate("() => window.__vaeEdition.show('sliders')")
    first = page.locator(".ed-sliders input[type=range]").first
    dim = int(first.get_attribute("data-dim"))
    assert dim == page.evaluate("() => window.__vaeEdition.scene.sliders.order[0]")
    bar = first.bounding_box()
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.mouse.down()
    for i in range(1, 9):
        before = frames(page)
        page.mouse.move(bar["x"] + bar["width"] * (0.5 + 0.05 * i), bar["y"] + bar["height"] / 2)
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
    page.mouse.up()
    page.wait_for_timeout(100)
    value = float(first.input_value())
    assert value > 1.5
    last = page.evaluate("() => window.__vaeLive.lastCode")
    assert last[dim] == pytest.approx(value, abs=1e-6) and sum(abs(v) for i, v in enumerate(last) if i != dim) == 0
    assert page.locator(".ed-sliders .ed-slider-name").first.inner_text().startswith(f"z{dim + 1} · ")
    assert page.locator(".ed-sliders .ed-slider-value").first.inner_text() == f"{value:.2f}".replace(".", ",")  # French

    # draw a one: it lands on the map as a star, where vae.analysis.placement puts its μ
    page.evaluate("() => window.__vaeEdition.show('draw')")
    page.locator('[data-tab="draw"]').click()
    canvas = page.locator(".ed-canvas").bounding_box()
    page.mouse.move(canvas["x"] + canvas["width"] * 0.5, canvas["y"] + canvas["height"] * 0.15)
    page.mouse.down()
    for i in range(1, 15):
        page.mouse.move(canvas["x"] + canvas["width"] * 0.5, canvas["y"] + canvas["height"] * (0.15 + 0.05 * i))
    page.mouse.up()
    page.wait_for_function("() => window.__vaeEdition.star() !== null")
    draw = page.evaluate("() => window.__vaeLive.lastDraw")
    digit = torch.tensor(np.asarray(draw["digit"], np.float32) / 255).reshape(1, 1, 28, 28)
    with torch.no_grad():
        mu = model.encode(digit).mean[0].numpy()
    np.testing.assert_allclose(draw["mean"], mu, atol=2e-3)  # the engine's encoder
    from vae.analysis.placement import place

    np.testing.assert_allclose(
        page.evaluate("() => window.__vaeEdition.star().xy"), place(atlas, np.asarray(draw["mean"]), "pca"), atol=1e-4
    )
    assert ["votre chiffre", 1] in page.evaluate("() => window.__vaeMap.overlays()")
    assert "Votre chiffre se pose en (" in page.locator(".ed-landed").inner_text()

    # FR → EN: every text switches, the map's too
    page.locator(".ed-lang").click()
    assert page.locator('[data-tab="map"]').inner_text() == "Map" and page.locator(".ed-lang").inner_text() == "Français"
    assert page.locator(".ed-sliders .ed-slider-value").first.inner_text() == f"{value:.2f}"  # rewritten in English
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert "Your digit lands at (" in page.locator(".ed-landed").inner_text()
    assert page.locator(".vae-map-hint").inner_text() == say("en", "edition.map_help") != say("fr", "edition.map_help")

    # the network cut: the map keeps decoding under the pointer
    only_static(requests, mnist_url)
    assert len(requests) == len(set(requests))  # each file fetched once (index.html preloads the scene and the decoder)
    assert any("/tfjs-" in r for r in requests) and any("/encoder-" in r for r in requests)
    page.context.set_offline(True)
    box = map_box(page)
    hover_each(page, [(box["x"] + box["width"] * (0.3 + 0.03 * i), box["y"] + box["height"] * 0.4) for i in range(10)])
    assert page.evaluate("() => window.__vaeLive.error") is None
    only_static(requests, mnist_url)
    page.context.close()


def touch(cdp, kind: str, *points: tuple[float, float]) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})


def test_a_phone_finger_decodes_on_the_map_taps_pins_and_moves_a_slider(chromium, mnist_url):
    requests: list = []
    page = open_edition(chromium, mnist_url + "?lang=en", requests, **PHONE)
    cdp = page.context.new_cdp_session(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no horizontal scroll
    assert page.locator('[data-tab="map"]').inner_text() == "Map"  # ?lang=en over the export's fr
    box = map_box(page)
    assert box["y"] + box["height"] * 0.6 < 844  # the map (with its picture inset) on the first screen

    # one finger moving: each move decoded under it
    y = box["y"] + box["height"] * 0.5
    touch(cdp, "touchStart", (box["x"] + box["width"] * 0.2, y))
    for i in range(1, 16):
        before = frames(page)
        touch(cdp, "touchMove", (box["x"] + box["width"] * (0.2 + 0.04 * i), y))
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
    touch(cdp, "touchEnd")
    assert page.evaluate("() => window.__vaeEdition.pins().length") == 0  # a drag is no tap

    # a tap pins
    touch(cdp, "touchStart", (box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3))
    touch(cdp, "touchEnd")
    page.wait_for_function("() => window.__vaeEdition.pins().length === 1")

    # the sliders' first screen: the picture and the first slider; a finger drags it, each move decoded
    page.locator('[data-tab="sliders"]').tap()
    picture = page.locator('[data-panel="sliders"] .ed-picture').bounding_box()
    first = page.locator(".ed-sliders input[type=range]").first
    bar = first.bounding_box()
    assert picture["y"] + picture["height"] <= 844 and bar["y"] + bar["height"] <= 844
    y = bar["y"] + bar["height"] / 2
    touch(cdp, "touchStart", (bar["x"] + bar["width"] / 2, y))
    moved = 0
    for i in range(1, 9):
        before = frames(page)
        touch(cdp, "touchMove", (bar["x"] + bar["width"] * (0.5 - 0.05 * i), y))
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
        moved += 1
    touch(cdp, "touchEnd")
    assert moved == 8 and float(first.input_value()) < -1.5
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    only_static(requests, mnist_url)
    page.context.close()


def test_celeba_faces_and_colour_pictures(chromium, celeba_url):
    requests: list = []
    page = open_edition(chromium, celeba_url, requests)
    assert page.locator('[data-tab="draw"]').count() == 0  # no drawing on faces
    assert page.evaluate("() => window.__vaeMap.facesDrawn") == 0
    sprite = [r for r in requests if "/faces-" in r]
    assert sprite == []  # the sprite waits for the Faces button
    page.locator(".ed-faces").click()
    page.wait_for_function("() => window.__vaeMap.facesDrawn > 100")
    box = map_box(page)
    hover_each(page, [(box["x"] + box["width"] * (0.3 + 0.05 * i), box["y"] + box["height"] * 0.5) for i in range(5)])
    pixels = last_pixels(page).reshape(64, 64, 4)
    assert pixels[..., 3].min() == 255 and np.abs(pixels[..., 0] - pixels[..., 2]).max() > 10  # colour, not grey
    only_static(requests, celeba_url)
    page.context.close()
