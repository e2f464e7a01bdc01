"""End to end in headless Chromium: draw a digit on the "Your own input" page's canvas with the mouse and
see it encoded — the prepared input and its reconstruction appear, and the digit lands on the latent map
as a star (PCA, then t-SNE, then refined by openTSNE).

Skipped when Chromium or Playwright is missing, unless VAE_REQUIRE_BROWSER=1 (then that is a failure).
VAE_SCREENSHOT_DIR=<folder> keeps a screenshot of the page after the drawing.
Run: .venv/bin/python -m pytest -q -m browser tests/test_browser_input.py
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.browser import EXCEPTION, REPO, require_browser
from tests.apptest_media import media_bytes

pytestmark = pytest.mark.browser


require_browser(models=("mnist-z16",))

from playwright.sync_api import expect  # noqa: E402

from harness.browser import wait_for_app  # noqa: E402

MODEL = "mnist-z16"
EN = {}
for _path in sorted((REPO / "assets" / "i18n" / "en").glob("*.json")):
    EN |= json.loads(_path.read_text())
TIMEOUT_MS = 60_000
CANVAS = ".st-key-yi_canvas canvas.upper-canvas"  # Fabric.js draws on the upper of its two canvases
# The map's traces as plotly holds them in the page: [name, marker symbol, x, y] per trace.
MAP_TRACES = """() => [...document.querySelectorAll('[class*="st-key-yi_map_"] .js-plotly-plot')].flatMap(
    g => (g._fullData || []).map(d => [d.name, d.marker && d.marker.symbol, Array.from(d.x || []).slice(0, 1), Array.from(d.y || []).slice(0, 1)]))"""


def image_by_caption(page, caption: str) -> np.ndarray:
    """The pixels of the st.image captioned `caption`: its data: URL (ui.components.widgets.inline) decoded, or its
    media file fetched from the server as the browser would."""
    figure = page.locator('[data-testid="stImage"]').filter(has_text=caption)
    expect(figure).to_have_count(1)
    src = figure.locator("img").get_attribute("src")
    data = media_bytes(src) if src.startswith("data:") else page.request.get(src).body()
    return np.asarray(Image.open(io.BytesIO(data)))


def star(page) -> tuple[float, float] | None:
    for name, symbol, x, y in page.evaluate(MAP_TRACES):
        if symbol == "star" and name == EN["yi.map.you.mnist"]:
            return x[0], y[0]
    return None


def test_a_digit_drawn_with_the_mouse_lands_on_the_map(server, tab):
    tab.goto(f"{server}/your_input?dataset=mnist&model={MODEL}")
    wait_for_app(tab, 120_000)
    assert tab.locator(EXCEPTION).count() == 0
    expect(tab.locator('[data-testid="stAlertContentInfo"]').filter(has_text=EN["yi.hint.draw"])).to_be_visible()
    canvas = tab.locator(CANVAS)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert round(box["width"]) == round(box["height"]) == 280

    # a "7": a bar across the top, then a stroke down to the bottom left
    x0, y0 = box["x"], box["y"]
    tab.mouse.move(x0 + 80, y0 + 60)
    tab.mouse.down()
    for px, py in [*[(80 + 8 * i, 60) for i in range(1, 16)], *[(200 - 5 * i, 60 + 9 * i) for i in range(1, 19)]]:
        tab.mouse.move(x0 + px, y0 + py, steps=2)
    tab.mouse.up()

    placed = EN["yi.placed.pca"].split("(")[0].removeprefix(":material/star:").strip()  # "Your point at"
    caption = tab.locator('[data-testid="stCaptionContainer"]').filter(has_text=placed)
    expect(caption).to_contain_text(placed, timeout=TIMEOUT_MS)
    expect(caption.locator('[role="img"][aria-label="star icon"]')).to_have_css("font-family", '"Material Symbols Rounded"')
    wait_for_app(tab)
    assert tab.locator(EXCEPTION).count() == 0
    neighbours = tab.locator(".vae-image-row figcaption").all_inner_texts()  # widgets.image_row
    assert len(neighbours) == 8
    if all(c[0].isdigit() for c in neighbours):  # labelled (the data directory is there): among other 7s
        assert sum(c.startswith("7 · ") for c in neighbours) >= 5, neighbours
    if os.environ.get("VAE_SCREENSHOT_DIR"):
        tab.locator('[data-testid="stMain"]').screenshot(path=str(Path(os.environ["VAE_SCREENSHOT_DIR"]) / "your_input_drawn.png"))
    seen = image_by_caption(tab, EN["yi.prepared"])
    recon = image_by_caption(tab, EN["yi.reconstruction"])
    assert seen.shape[:2] == recon.shape[:2] == (224, 224)
    seen, recon = seen[::8, ::8].astype(float), recon[::8, ::8].astype(float)  # back to 28×28
    ink_width = (seen > 128).sum(1)  # per row
    assert ink_width[:10].max() > 2 * ink_width[18:].max()  # a 7: the long bar on top, the thin stroke below
    assert np.corrcoef(seen.ravel(), recon.ravel())[0, 1] > 0.5  # and the reconstruction looks like it
    tab.wait_for_function(f"() => ({MAP_TRACES})().some(t => t[1] === 'star')")
    xy = star(tab)
    assert xy is not None
    assert f"Your point at ({xy[0]:.2f}, {xy[1]:.2f})" in caption.inner_text()
    metrics = tab.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert len(metrics) == 2 and metrics[0].endswith("nats") and metrics[1].endswith("%")

    # t-SNE: placed at once among its neighbours, then refined by openTSNE
    tab.locator(".st-key-yi_proj button").filter(has_text=EN["map.proj.tsne"]).click()
    expect(caption).to_contain_text("nearest test codes", timeout=TIMEOUT_MS)
    wait_for_app(tab)
    fast = star(tab)
    assert fast is not None and fast != xy
    tab.get_by_role("button", name=EN["yi.refine"]).click()
    expect(caption).to_contain_text("openTSNE's out-of-sample optimisation", timeout=TIMEOUT_MS)
    wait_for_app(tab)
    refined = star(tab)
    assert refined is not None and refined != fast
    assert "yi_proj=tsne" in tab.url
    if os.environ.get("VAE_SCREENSHOT_DIR"):
        tab.locator('[class*="st-key-yi_map_"]').screenshot(
            path=str(Path(os.environ["VAE_SCREENSHOT_DIR"]) / "your_input_tsne_refined.png")
        )


@pytest.mark.parametrize("projection", ["pca", "tsne"])  # UMAP places a drawing as t-SNE does (one code path)
def test_the_browser_encodes_the_drawing_after_each_stroke_as_the_server_does(server, tab, projection):
    """The live path (ui.components.live.live_drawing): the browser's prepared digit and its place on the map
    (PCA exactly; t-SNE and UMAP by the 10 nearest codes) are the server's, for the same strokes."""
    from ui.components.live import runtime_installed

    if not runtime_installed():
        pytest.skip("browser runtime missing (scripts/install_runtime.sh)")
    tab.goto(f"{server}/your_input?dataset=mnist&model={MODEL}&yi_proj={projection}")
    wait_for_app(tab, 120_000)
    tab.wait_for_function("() => window.__vaeLive && window.__vaeLive.status === 'ready'", timeout=TIMEOUT_MS)
    canvas = tab.locator(CANVAS)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    tab.mouse.move(x0 + 140, y0 + 40)  # a "1" with a flag
    tab.mouse.down()
    for px, py in [*[(140 - 4 * i, 40 + 3 * i) for i in range(1, 8)], *[(112 + 4 * i, 61 - 3 * i) for i in range(1, 8)]]:
        tab.mouse.move(x0 + px, y0 + py, steps=2)
    for i in range(1, 21):
        tab.mouse.move(x0 + 140, y0 + 40 + 10 * i, steps=2)
    tab.mouse.up()
    tab.wait_for_function("() => window.__vaeLive.lastDraw", timeout=TIMEOUT_MS)
    live = tab.evaluate("() => window.__vaeLive.lastDraw")
    tab.wait_for_function(f"() => ({MAP_TRACES})().some(t => t[1] === 'star')", timeout=TIMEOUT_MS)
    wait_for_app(tab)
    served = image_by_caption(tab, EN["yi.prepared"])[::8, ::8]  # the server's prepared digit, back to 28×28
    digit = np.asarray(live["digit"], np.int16).reshape(28, 28)
    assert np.abs(digit - served.astype(np.int16)).max() <= 1
    assert live["projection"] == projection
    np.testing.assert_allclose(live["xy"], star(tab), atol=2e-3)
