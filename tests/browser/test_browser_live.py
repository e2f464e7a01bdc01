"""Live decoding in the browser (ui/components/live.py, frontend/src), in headless Chromium:
the browser's decoder agrees with the server's (≤ 2/255 per pixel on 20 random codes per model
kind), a slider drag draws new pictures while the mouse moves and sends nothing to the server
until the release, and without WebAssembly the page decodes on the server as before.

Skipped without the browser runtime (scripts/install_runtime.sh) unless VAE_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import random
import re
import time

import numpy as np
import pytest

from harness.browser import EXCEPTION, REPO, require_browser

pytestmark = pytest.mark.browser

require_browser(live_runtime=True)


from playwright.sync_api import expect  # noqa: E402

from harness.browser import (  # noqa: E402
    IMAGE,
    arm_new_image,
    first_src,
    map_box,
    map_empty_spots,
    map_group_of,
    map_isolated_point,
    map_ranges,
    map_spot_at,
    map_units_per_px,
    new_page,
    rerun,
    wait_for_app,
    wait_new_image,
)
from vae.core.checkpoint import load_model  # noqa: E402

REPLAY_MODEL_DIR = REPO / "models" / "mnist-dense-z2"
from vae.core.latent import decode  # noqa: E402

TIMEOUT_MS = 60_000
KINDS = ["mnist-z2", "mnist-z16", "celeba-z64"]
SLIDER = '[class*="st-key-sl_z_"] input[type="range"]'
THUMB = '[class*="st-key-sl_z_"] [data-testid="stSliderThumbValue"]'  # inside the thumb
TRACK = '[class*="st-key-sl_z_"] [role="group"] > div'
DECODED = ".st-key-sl_decoded img"


def live_page(browser, url: str, sent: list | None = None):
    """A new session on `url`, once the page has run and the in-browser decoder is ready; the
    websocket frames the page sends are appended to `sent`."""
    page = new_page(browser)
    page.set_default_timeout(TIMEOUT_MS)
    if sent is not None:
        page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(url)
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__vaeLive.status") == "ready", page.evaluate("() => window.__vaeLive.error")
    return page


def sliders_page(browser, url: str, model: str):
    dataset = "celeba" if model.startswith("celeba") else "mnist"
    return live_page(browser, f"{url}/latent_sliders?dataset={dataset}&model={model}")


def drag_slider(page, key: str, to: float, code_of, sent: list, atol: float) -> tuple[int, float, np.ndarray]:
    """Drag slider `key` from mid-track to fraction `to` of it in 20 moves (holding the button), wait
    (up to TIMEOUT_MS) until the browser has drawn the slider's value (the last code drawn is
    code_of(value) within atol), and return what it drew meanwhile: (pictures drawn since the press,
    the slider's value, the last code drawn); then release and wait for the server's rerun. Nothing
    may reach the server before the release (`sent`: the page's websocket frames, see live_page)."""
    page.locator(f".st-key-{key}").scroll_into_view_if_needed()
    track = page.locator(f'.st-key-{key} [role="group"] > div').first.bounding_box()
    y = track["y"] + track["height"] / 2
    frames_before = page.evaluate("() => window.__vaeLive.frames")
    page.mouse.move(track["x"] + track["width"] / 2, y)
    page.mouse.down()
    sent.clear()
    for i in range(1, 21):
        page.mouse.move(track["x"] + track["width"] * (0.5 + (to - 0.5) * i / 20), y)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:  # the decoder may still be on an earlier value: poll until it has caught up
        value = float(page.locator(f".st-key-{key} input[type=range]").input_value())
        code = np.asarray(page.evaluate("() => window.__vaeLive.lastCode"), np.float32)
        if np.allclose(code, code_of(value), atol=atol) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(50)
    drawn = page.evaluate("() => window.__vaeLive.frames") - frames_before
    assert not sent, f"{len(sent)} websocket frames sent during the drag"
    with rerun(page, TIMEOUT_MS):
        page.mouse.up()
    return drawn, value, code


@pytest.mark.parametrize("model", KINDS)
def test_browser_and_server_decodes_agree(chromium, server, model):
    page = sliders_page(chromium, server, model)
    net = load_model(REPO / "models" / model)
    shape = list(net.config.image_shape)
    codes = np.random.default_rng(1).standard_normal((20, net.config.latent_dim)).astype(np.float32) * 1.5
    url = page.evaluate("() => [...window.__vaeLive.nets.keys()][0]")
    pixels = page.evaluate("([u, c, s]) => window.__vaeLive.decodeCodes(u, c, s)", [url, codes.tolist(), shape])
    server = decode(net, codes)  # (20, H, W, C) uint8
    for got, want in zip(pixels, server):
        rgba = np.asarray(got, np.int16).reshape(shape[1], shape[2], 4)
        diff = np.abs(rgba[..., : want.shape[2]] - want.astype(np.int16)).max()
        assert diff <= 2, diff
    page.context.close()


def test_a_drag_is_drawn_while_the_mouse_moves_and_sent_on_release(chromium, server):
    page = sliders_page(chromium, server, "mnist-z16")
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(time.perf_counter())))
    page.reload()  # the listener sees the page's websocket from its start
    wait_for_app(page, TIMEOUT_MS)
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status === 'ready'", timeout=TIMEOUT_MS)
    track = page.locator(TRACK).first.bounding_box()
    x, y = track["x"] + track["width"] / 2, track["y"] + track["height"] / 2  # the thumb starts at 0, mid-track
    slider = page.locator(SLIDER).first
    frames_before = page.evaluate("() => window.__vaeLive.frames")
    page.mouse.move(x, y)
    page.mouse.down()
    sent.clear()
    steps, moved = 40, 0
    for i in range(1, steps + 1):  # across the track and back
        value, frames = slider.input_value(), page.evaluate("() => window.__vaeLive.frames")
        page.mouse.move(track["x"] + track["width"] * (0.1 + 0.8 * abs(2 * i / steps - 1)), y)
        if slider.input_value() != value:  # a new value: the browser draws it before the next move
            moved += 1
            page.wait_for_function("n => window.__vaeLive.frames > n", arg=frames, timeout=TIMEOUT_MS)
    drawn = page.evaluate("() => window.__vaeLive.frames") - frames_before
    during = len(sent)
    before_release = first_src(page, DECODED)
    page.mouse.up()
    assert during == 0, f"{during} websocket frames sent during the drag"
    assert moved >= 10 and drawn >= moved, f"{drawn} pictures drawn for {moved} slider values while dragging"
    # the release reruns the page: the server's picture of the released code
    page.wait_for_function("([s, b]) => document.querySelector(s).src !== b", arg=[DECODED, before_release])
    assert len(sent) >= 1
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
    assert "sl_z=" in page.url  # the released code is in the link, as before
    page.context.close()


def test_without_webassembly_the_server_decodes(chromium, server):
    page = new_page(chromium)
    page.context.add_init_script("delete window.WebAssembly")  # a browser without it (Chromium's --noexpose_wasm is ignored here)
    try:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{server}/latent_sliders?dataset=mnist&model=mnist-z16")
        wait_for_app(page, TIMEOUT_MS)
        page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status === 'server'", timeout=TIMEOUT_MS)
        before = arm_new_image(page, DECODED)
        thumb = page.locator(SLIDER).first
        thumb.focus()
        page.keyboard.press("End")
        _, after = wait_new_image(page)
        assert after != before and page.evaluate("() => window.__vaeLive.frames") == 0
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


def test_face_attribute_drag_adds_the_directions_in_the_browser(chromium, server):
    from vae.artifacts.atlas import load_atlas
    from vae.artifacts.attributes import load_directions

    atlas = load_atlas(REPO / "models" / "celeba-z64")
    dirs = load_directions(REPO / "models" / "celeba-z64")
    sent = []
    page = live_page(chromium, f"{server}/face_editor?dataset=celeba&model=celeba-z64&fe_attrs=Smiling&fe_source=test&fe_index=3", sent)
    drawn, amount, code = drag_slider(page, "fe_amt_Smiling", 0.9, lambda a: dirs.apply(atlas.mean[3], {"Smiling": a}), sent, 1e-4)
    assert drawn >= 2 and amount > 0.5  # drawn while the mouse moved, and nothing sent (drag_slider)
    np.testing.assert_allclose(code, dirs.apply(atlas.mean[3], {"Smiling": amount}), atol=1e-4)
    assert page.locator(EXCEPTION).count() == 0
    # drawn by the decoder the face pages use (the one that identifies best: vae.analysis.witness.default_decoder)
    from vae.analysis.witness import default_decoder, load_record
    from vae.core.latent import decode
    from vae.training.gan import load_adversarial

    folder = REPO / "models" / "celeba-z64"
    decoder = default_decoder(folder, load_record(folder))
    model = load_adversarial(folder)[0] if decoder == "adversarial" else load_model(folder)
    drawn_pixels = np.array(page.evaluate("() => Array.from(window.__vaeLive.lastPixels)"), np.int16).reshape(64, 64, 4)[..., :3]
    expected = decode(model, np.asarray(page.evaluate("() => window.__vaeLive.lastCode"), np.float32))[0].astype(np.int16)
    assert np.abs(drawn_pixels - expected).max() <= 2
    page.context.close()


def test_the_interpolation_scrubber_follows_the_drag_in_the_browser(chromium, server):
    from vae.artifacts.atlas import load_atlas
    from vae.core.latent import path_at

    atlas = load_atlas(REPO / "models" / "mnist-z16")
    sent = []
    page = live_page(chromium, f"{server}/interpolation?dataset=mnist&model=mnist-z16&ip_a_index=2&ip_b_index=5", sent)  # slerp
    drawn, where, code = drag_slider(  # below the strip: scrolled into view
        page, "ip_t", 0.1, lambda t: path_at(atlas.mean[2], atlas.mean[5], [t], "slerp")[0], sent, 1e-5
    )
    assert drawn >= 2 and where < 0.3  # drawn while the mouse moved, and nothing sent (drag_slider)
    np.testing.assert_allclose(code, path_at(atlas.mean[2], atlas.mean[5], [where], "slerp")[0], atol=1e-5)
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


@pytest.mark.parametrize(
    ("model", "projection"),
    [("mnist-z2", "raw"), ("mnist-z16", "pca"), ("mnist-z16", "tsne"), ("mnist-z16", "umap"), ("mnist-z16", "axes")],
)
def test_hovering_the_map_decodes_under_the_pointer(chromium, server, model, projection):
    """The preview equals the server's decode of the same location (raw: z; PCA: the exact inverse;
    t-SNE and UMAP: the nearest code, the server's blend, which the inset names; chosen axes, here the
    digits' first two LDA axes with the slider 1.5 along z2: the plane's code), and the honesty cue is
    the server's; hovering sends nothing.

    The spots are chosen in map units, the same on every machine, and none lies within 5 % (or two
    pixels) of the "far from the data" threshold, where a pixel's difference would flip the cue."""
    from vae.artifacts.atlas import FAR_SPACINGS, code_at, load_atlas

    page = new_page(chromium)
    page.set_default_timeout(TIMEOUT_MS)
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    extra = "&ax_w=z2&ax_s=1.5" if projection == "axes" else ""
    page.goto(f"{server}/latent_map?dataset=mnist&model={model}&projection={projection}{extra}")
    wait_for_app(page, TIMEOUT_MS)
    map_box(page)
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status === 'ready'", timeout=TIMEOUT_MS)
    net, atlas = load_model(REPO / "models" / model), load_atlas(REPO / "models" / model)
    offset = None
    if projection == "axes":  # the same plane, made here from the model, its atlas and the test labels
        from vae.analysis.axes import direction, lda_directions, plane_map
        from vae.data.datasets import load_split

        lda = lda_directions(atlas.mean, load_split("mnist", "test")[1][atlas.test_index])
        plane = plane_map(atlas.mean, ("lda1", "lda2"), direction("lda1", 16, lda=lda), direction("lda2", 16, lda=lda))
        atlas.add_plane(plane)
        projection, offset = plane.projection, 1.5 * direction("z2", 16)
    pixel = map_units_per_px(page)

    def clear_of_the_threshold(x: float, y: float) -> bool:
        spot = code_at(atlas, projection, (x, y), 1, blend=True, offset=offset)
        for spacings, spacing in ((spot.map_spacings, spot.map_spacing), (spot.latent_spacings, spot.latent_spacing)):
            # a pixel moves a distance by at most a pixel (raw, PCA: the code moves with the point)
            if spacings is not None and abs(spacings - FAR_SPACINGS) < max(0.05 * FAR_SPACINGS, 2 * pixel / spacing):
                return False
        return True

    sent.clear()
    hovered = 0
    for x, y in map_empty_spots(page, atlas.coords(projection), random.Random(5), keep=clear_of_the_threshold):
        spot = map_spot_at(page, x, y)  # page pixels as the map is laid out here, right before the move
        if spot is None:
            continue
        before = page.evaluate("() => window.__vaeLive.frames")
        page.mouse.move(*spot)
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
        hover = page.evaluate("() => window.__vaeLive.lastHover")
        assert abs(hover["x"] - x) <= 1.01 * pixel and abs(hover["y"] - y) <= 1.01 * pixel, (hover, (x, y), pixel)
        location = code_at(atlas, projection, (hover["x"], hover["y"]), 1, blend=True, offset=offset)
        np.testing.assert_allclose(page.evaluate("() => window.__vaeLive.lastCode"), location.code, atol=2e-3)
        if projection in ("tsne", "umap"):  # the inset says the picture is the blend, not an inverse
            expect(page.locator(".vae-hover-latent").first).to_have_text("blend of the 1 nearest test codes")
        rgba = np.asarray(page.evaluate("() => Array.from(window.__vaeLive.lastPixels)"), np.int16).reshape(28, 28, 4)
        assert np.abs(rgba[..., 0] - decode(net, location.code)[0][..., 0].astype(np.int16)).max() <= 2
        assert hover["mapSpacings"] == pytest.approx(location.map_spacings, rel=1e-3)
        assert hover["far"] == location.far_from_data
        hovered += 1
        if hovered == 4:
            break
    assert not sent, f"{len(sent)} websocket frames sent while hovering"
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def tied_groups(coords: np.ndarray) -> list[tuple[float, list[int]]]:
    """Groups of test points that share one map position exactly (the atlas stores float16 values),
    with each group's distance to the nearest other point, most isolated first."""
    from scipy.spatial import cKDTree

    groups: dict[tuple[float, float], list[int]] = {}
    for i, (x, y) in enumerate(np.asarray(coords, np.float64)):
        groups.setdefault((x, y), []).append(i)
    tree = cKDTree(np.asarray(coords, np.float64))
    out = []
    for spot, members in groups.items():
        if len(members) > 1:
            gap = tree.query(spot, k=len(members) + 1)[0][-1]
            out.append((float(gap), members))
    return sorted(out, reverse=True)


def test_hovering_a_spot_with_tied_points_decodes_the_lowest_index(chromium, server):
    """Where several test points sit at exactly the same t-SNE position, the browser and Python break
    the tie the same way (vae.core.latent.nearest_codes: equal distances in index order): the hover decodes
    the lowest index's code, as code_at does."""
    from vae.artifacts.atlas import code_at, load_atlas
    from vae.core.latent import squared_distances

    atlas = load_atlas(REPO / "models" / "mnist-z16")
    groups = tied_groups(atlas.tsne_coords)
    assert groups, "the shipped mnist-z16 t-SNE map has points at identical positions"
    page = live_page(chromium, f"{server}/latent_map?dataset=mnist&model=mnist-z16&projection=tsne")
    box = map_box(page)
    units_per_px = page.evaluate("() => { const [[x0, x1]] = window.__vaeMap.ranges(); return Math.abs(x1 - x0); }") / box["width"]
    tried = 0
    for gap, members in groups:
        if gap / units_per_px < 6:  # the pointer lands within a pixel of the group: keep others 6 px away
            break
        if np.abs(atlas.mean[members] - atlas.mean[members[0]]).max() < 0.05:
            continue  # (nearly) the same codes: the wrong tie rule would pass too
        px, py = page.evaluate("([x, y]) => window.__vaeMap.toPixel(x, y)", [float(v) for v in atlas.tsne_coords[members[0]]])
        x, y = box["x"] + px + 0.5, box["y"] + py + 0.5
        if not (0 < px < box["width"] and 0 < py < box["height"]) or not page.evaluate("([x, y]) => window.__vaeMap.hit(x, y)", [x, y]):
            continue  # off the view, or under the legend
        tried += 1
        before = page.evaluate("() => window.__vaeLive.frames")
        page.mouse.move(x, y)
        page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
        hover = page.evaluate("() => window.__vaeLive.lastHover")
        d2 = squared_distances(atlas.tsne_coords, (hover["x"], hover["y"]))
        assert len(set(d2[members])) == 1 and d2.min() == d2[members[0]]  # the pointer is on a real tie
        location = code_at(atlas, "tsne", (hover["x"], hover["y"]), 1)
        assert location.neighbours[0] == min(members)
        np.testing.assert_allclose(page.evaluate("() => window.__vaeLive.lastCode"), atlas.mean[min(members)], atol=2e-3)
        np.testing.assert_allclose(location.code, atlas.mean[min(members)])
        if tried == 2:
            break
    assert tried, "no tied group of points on the visible map"
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_faces_mode_draws_the_test_faces_on_a_celeba_map(chromium, server):
    """The CelebA map's points drawn as their faces (a sprite sheet of the originals, joined from the
    data directory at run time); the map under them still answers hovers."""
    page = live_page(chromium, f"{server}/latent_map?dataset=celeba&model=celeba-z64&projection=pca&faces=true")
    n = len(load_model_atlas("celeba-z64").mean)
    page.wait_for_function("n => (window.__vaeLive.facesDrawn || 0) >= 0.9 * n", arg=n)
    box = map_box(page)
    before = page.evaluate("() => window.__vaeLive.frames")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)  # hovering through the faces
    opaque = page.evaluate(  # opaque pixels of the plotting area (faces; the grid lines are faint, the axes outside)
        """() => { const m = window.__vaeMap, c = m.plot.getRootNode().querySelector('canvas.vae-map-overlay');
                   const s = c.width / c.clientWidth, r = m.plot.getBoundingClientRect(), o = c.getBoundingClientRect();
                   const d = c.getContext('2d').getImageData((r.left - o.left) * s, (r.top - o.top) * s, r.width * s, r.height * s).data;
                   let k = 0; for (let i = 3; i < d.length; i += 4) k += d[i] > 200; return k / (d.length / 4); }"""
    )
    assert opaque > 0.05, opaque  # a good part of the plot is covered with faces
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def load_model_atlas(model: str):
    from vae.artifacts.atlas import load_atlas

    return load_atlas(REPO / "models" / model)


def test_a_map_click_pins_at_once_and_reaches_python_once(chromium, server):
    """The browser map: a click on a test point pins it before the server answers and sends one
    message; the server shows that point's details. Panning and zooming send nothing."""
    sent = []
    page = live_page(chromium, f"{server}/latent_map?dataset=mnist&model=mnist-z16&projection=pca", sent)
    box = map_box(page)
    assert sent  # the page's own run
    sent.clear()
    before = map_ranges(page)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)  # zoom in around the pointer
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 40, steps=6)  # pan
    page.mouse.up()
    page.wait_for_function("r => JSON.stringify(window.__vaeMap.ranges()) !== r", arg=__import__("json").dumps(before))
    after = map_ranges(page)
    assert after[0][1] - after[0][0] < 0.9 * (before[0][1] - before[0][0])  # zoomed in
    assert not sent, f"{len(sent)} websocket frames sent while zooming and panning"
    assert page.evaluate("() => window.__vaeMap.clicks") == 0  # a drag is not a click
    from vae.artifacts.atlas import load_atlas

    atlas = load_atlas(REPO / "models" / "mnist-z16")
    index, x, y = map_isolated_point(page, atlas.pca_coords)
    digit = map_group_of(page, index)
    arm_new_image(page)
    page.mouse.click(x, y)
    click = page.evaluate("() => window.__vaeMap.lastClick")
    assert click["index"] == index
    wait_new_image(page)
    wait_for_app(page, TIMEOUT_MS)
    details = page.locator('[data-testid="stMarkdownContainer"] p').filter(has_text=re.compile(r"^Test image #\d+")).first.inner_text()
    assert f"#{int(atlas.test_index[click['index']])}" in details and f"label {digit}" in details
    assert f"point={click['index']}" in page.url
    assert len(sent) == 1 and page.locator(EXCEPTION).count() == 0  # the click, once
    page.context.close()


def test_without_webassembly_or_webgl_the_map_still_draws_and_the_server_decodes_clicks(chromium, server):
    page = new_page(chromium)
    page.context.add_init_script(
        "delete window.WebAssembly; const g = HTMLCanvasElement.prototype.getContext;"
        " HTMLCanvasElement.prototype.getContext = function (k, ...a) { return k.startsWith('webgl') ? null : g.call(this, k, ...a) }"
    )
    try:
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{server}/latent_map?dataset=mnist&model=mnist-z16&projection=pca")
        wait_for_app(page, TIMEOUT_MS)
        map_box(page)
        assert page.evaluate("() => window.__vaeMap.renderer") == "2d"
        page.wait_for_function("() => window.__vaeLive.status === 'server'", timeout=TIMEOUT_MS)
        for x, y in map_empty_spots(page, load_model_atlas("mnist-z16").pca_coords, random.Random(3)):
            spot = map_spot_at(page, x, y)
            if spot is not None:
                break
        arm_new_image(page)
        page.mouse.click(*spot)
        wait_new_image(page)
        assert page.locator(IMAGE).count() == 1 and page.evaluate("() => window.__vaeLive.frames") == 0
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


@pytest.mark.parametrize(
    "path",
    [
        "latent_map?dataset=mnist&model=mnist-z16&projection=tsne",
        "latent_map?dataset=celeba&model=celeba-z64&projection=pca&faces=true",
        "latent_sliders?dataset=celeba&model=celeba-z64",
        "interpolation?dataset=mnist&model=mnist-z16",
    ],
)
def test_live_pages_log_no_console_errors(chromium, server, path):
    """No uncaught exception and no console error on the pages with live decoding, while used (the
    404s of Streamlit's own /<page>/_stcore/ probes on a deep link are Streamlit's, not ours)."""
    page = new_page(chromium)
    page.set_default_timeout(TIMEOUT_MS)
    errors, failed = [], []
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{server}/{path}")
    wait_for_app(page, TIMEOUT_MS)
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=TIMEOUT_MS)
    assert page.evaluate("() => window.__vaeLive.status") == "ready", page.evaluate("() => window.__vaeLive.error")
    if path.startswith("latent_map"):
        box = map_box(page)
        for f in (0.2, 0.5, 0.8):
            page.mouse.move(box["x"] + f * box["width"], box["y"] + (1 - f) * box["height"], steps=4)
        atlas = load_model_atlas(re.search(r"model=([\w-]+)", path).group(1))
        for x, y in map_empty_spots(page, atlas.coords(re.search(r"projection=(\w+)", path).group(1)), random.Random(0)):
            spot = map_spot_at(page, x, y)  # a spot in map units: the click decodes there on every machine
            if spot is not None:
                break
        with rerun(page, TIMEOUT_MS):
            page.mouse.click(*spot)
    streamlits = [u for u in failed if "/_stcore/" in u]
    assert len(streamlits) == len(failed), failed  # every file of ours was found
    own = [e for e in errors if not e.startswith("Failed to load resource")]
    assert not own and len(errors) - len(own) <= len(streamlits), errors
    assert page.evaluate("() => window.__vaeLive.error") is None
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_the_browser_map_draws_where_prior_and_learned_samples_land(chromium, server):
    from vae.artifacts.density import DENSITY_FILE

    if not (REPO / "models" / "mnist-z16" / DENSITY_FILE).exists():
        pytest.skip("no learned density fitted for mnist-z16")
    page = live_page(chromium, f"{server}/latent_map?dataset=mnist&model=mnist-z16&projection=pca&samples=true")
    map_box(page)
    assert page.evaluate("() => window.__vaeMap.overlays()") == [["prior samples N(0, I)", 600], ["learned-density samples", 600]]
    legend = page.evaluate("() => window.__vaeMap.plot.getRootNode().querySelector('.vae-map-legend').textContent")
    assert "prior samples N(0, I)" in legend and "learned-density samples" in legend and "9" in legend
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_telemetry_stays_off_window_unless_the_page_asks(chromium, server):
    """Without window.__vaeTelemetry (new_page sets it), the browser map still draws and decodes a hover,
    and puts nothing on window: no __vaeLive, no __vaeMap."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{server}/latent_map?dataset=mnist&model=mnist-z16&projection=pca")
        wait_for_app(page, TIMEOUT_MS)
        events = page.locator(".vae-map-events")
        events.wait_for(state="visible")
        box = events.bounding_box()
        hover = page.locator(".vae-live-hover")
        for dx in range(0, 400, 8):  # until the runtime is ready, a move draws nothing; keep moving
            page.mouse.move(box["x"] + box["width"] / 3 + dx / 4, box["y"] + box["height"] / 2)
            page.wait_for_timeout(250)
            if hover.evaluate("e => e.style.display") == "flex":
                break
        assert hover.evaluate("e => e.style.display") == "flex"  # decoded in the browser
        assert page.evaluate("() => ['__vaeLive', '__vaeMap'].filter((k) => k in window)") == []
        assert page.locator(EXCEPTION).count() == 0
    finally:
        context.close()


def test_brushing_one_linked_map_rings_the_same_test_images_on_the_other_and_hover_decodes_each(chromium, server):
    """Compare models → Two maps, linked (mnist-z32, and mnist-z8 aligned onto it, PCA): a box dragged
    with the box brush on the left map rings, on the right map, the same test images at their aligned
    places; a lasso on the right map rings them on the left; hovering the right map decodes under
    mnist-z8 exactly as the server decodes that spot of the aligned map."""
    from vae.analysis.linked import aligned_map, inside
    from vae.artifacts.atlas import code_at, load_atlas

    page = new_page(chromium, 1400, 1100)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server}/compare_models?dataset=mnist&cmp_part=linked&cmp_a=mnist-z32&cmp_b=mnist-z8&cmp_proj=pca")
    wait_for_app(page, TIMEOUT_MS)
    ready = "s => window.__vaeMaps && window.__vaeMaps[s] && window.__vaeMaps[s].ready()"
    for slot in ("a", "b"):
        page.wait_for_function(ready, arg=slot, timeout=TIMEOUT_MS)
    a, b = load_atlas(REPO / "models" / "mnist-z32"), load_atlas(REPO / "models" / "mnist-z8")
    fit = aligned_map("pca", "mnist-z32", a.pca_coords, b.pca_coords, b.pca.mean_, b.pca.components_)
    coords = {"a": a.pca_coords, "b": fit.coords}

    def page_px(slot: str, x: float, y: float) -> tuple[float, float]:
        box = page.locator(f".st-key-linked_map_{slot} .vae-map-events").bounding_box()
        px, py = page.evaluate("([s, x, y]) => window.__vaeMaps[s].toPixel(x, y)", [slot, x, y])
        return box["x"] + px, box["y"] + py

    def rings(slot: str) -> np.ndarray:
        points = page.evaluate("s => window.__vaeMaps[s].overlayPoints()", slot)
        return np.asarray(points[-1], np.float64).reshape(-1, 2) if points else np.zeros((0, 2))

    def rows_of(slot: str, points: np.ndarray) -> np.ndarray:
        """The test images at these map positions (rounded to 1e-4 in the page)."""
        tree = __import__("scipy.spatial", fromlist=["cKDTree"]).cKDTree(coords[slot])
        dist, rows = tree.query(points)
        assert dist.max() < 2e-4
        return rows

    # a box on the left map
    page.locator(".st-key-linked_map_a button[data-brush=box]").click()
    corner0, corner1 = page_px("a", -1.0, 2.0), page_px("a", 1.0, 0.5)
    page.mouse.move(*corner0)
    page.mouse.down()
    page.mouse.move(*corner1, steps=6)
    page.mouse.up()
    page.wait_for_function("() => window.__vaeMaps.b.overlays().some(o => o[0].startsWith('brushed'))", timeout=TIMEOUT_MS)
    wait_for_app(page)
    left, right = rows_of("a", rings("a")), rows_of("b", rings("b"))
    assert len(left) > 50
    np.testing.assert_array_equal(np.sort(left), np.sort(right))  # the same test images on both maps
    inside_box = (
        (a.pca_coords[left, 0] > -1.05) & (a.pca_coords[left, 0] < 1.05) & (a.pca_coords[left, 1] > 0.45) & (a.pca_coords[left, 1] < 2.05)
    )
    assert inside_box.all()
    assert "cmp_brush=a" in page.url.replace("%7C", "|")

    # a lasso on the right map: a triangle around its centre
    page.locator(".st-key-linked_map_b button[data-brush=lasso]").click()
    centre = fit.coords.mean(0)
    path = [centre + np.array(d) for d in ([-0.6, -0.4], [0.6, -0.4], [0.0, 0.6], [-0.6, -0.4])]
    page.mouse.move(*page_px("b", *path[0]))
    page.mouse.down()
    for corner in path[1:]:
        page.mouse.move(*page_px("b", *corner), steps=5)
    page.mouse.up()
    page.wait_for_function("() => (new URL(location.href)).searchParams.get('cmp_brush')?.startsWith('b|')", timeout=TIMEOUT_MS)
    wait_for_app(page)
    polygon = [
        [float(v) for v in p.split(",")] for p in page.evaluate("() => new URL(location.href).searchParams.get('cmp_brush')")[2:].split(";")
    ]
    left, right = rows_of("a", rings("a")), rows_of("b", rings("b"))
    np.testing.assert_array_equal(np.sort(left), np.sort(right))
    assert set(right) <= set(inside(np.asarray(polygon), fit.coords)) | set(inside(np.asarray(polygon) * 1.001, fit.coords))

    # hover on the right map: mnist-z8's decoder at the aligned map's exact inverse
    b.add_plane(fit)
    net = load_model(REPO / "models" / "mnist-z8")
    spot = fit.coords.mean(0) + np.array([0.9, 0.9])
    before = page.evaluate("() => window.__vaeLive.frames")
    page.mouse.move(*page_px("b", *spot))
    page.wait_for_function("n => window.__vaeLive.frames > n", arg=before)
    hover = page.evaluate("() => window.__vaeLive.lastHover")
    location = code_at(b, fit.projection, (hover["x"], hover["y"]))
    np.testing.assert_allclose(page.evaluate("() => window.__vaeLive.lastCode"), location.code, atol=2e-3)
    rgba = np.asarray(page.evaluate("() => Array.from(window.__vaeLive.lastPixels)"), np.int16).reshape(28, 28, 4)
    assert np.abs(rgba[..., 0] - decode(net, location.code)[0][..., 0].astype(np.int16)).max() <= 2
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()


def test_the_training_replay_plays_steps_and_scrubs_in_the_browser_sending_nothing(chromium, server):
    """The course model's replay on the latent map page ("Watch it learn"): the frame drawn is the
    replay file's frame of the epoch shown; stepping, scrubbing with the keyboard and playing move it
    without a websocket frame sent."""
    from vae.training.replay import load_replay

    replay = load_replay(REPLAY_MODEL_DIR)
    page = new_page(chromium)
    page.set_default_timeout(TIMEOUT_MS)
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f)))
    page.goto(f"{server}/latent_map?dataset=mnist&model=mnist-dense-z2")
    wait_for_app(page, TIMEOUT_MS)
    page.get_by_text("Watch it learn").click()
    page.wait_for_function("() => window.__vaeReplay && window.__vaeReplay.drawn > 0")

    def shown() -> tuple[int, np.ndarray]:
        probe = page.evaluate("() => ({epoch: window.__vaeReplay.epoch, points: window.__vaeReplay.points})")
        return probe["epoch"], np.asarray(probe["points"], np.float32).reshape(-1, 2)

    epoch, points = shown()
    assert epoch == 1
    np.testing.assert_array_equal(points, replay.frames[0])
    sent.clear()
    page.locator(".vae-replay-forward").click()
    assert shown()[0] == 2
    page.locator(".vae-replay-scrub").focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    epoch, points = shown()
    assert epoch == 12
    np.testing.assert_array_equal(points, replay.frames[11])
    page.keyboard.press("End")
    assert shown()[0] == replay.epochs
    page.locator(".vae-replay-back").click()
    page.locator(".vae-replay-back").click()
    assert shown()[0] == replay.epochs - 2
    page.locator(".vae-replay-play").click()  # from the end: starts over
    page.wait_for_function("() => window.__vaeReplay.playing && window.__vaeReplay.epoch >= 4")
    page.locator(".vae-replay-play").click()
    epoch, points = shown()
    np.testing.assert_array_equal(points, replay.frames[epoch - 1])
    assert not sent, f"{len(sent)} websocket frames sent while the replay played"
    assert page.locator(EXCEPTION).count() == 0
    page.context.close()
