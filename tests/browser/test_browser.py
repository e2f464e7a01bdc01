"""End to end in headless Chromium against a real dashboard server (`vae-explorer serve` on loopback).

A map click decodes the clicked location or shows the clicked test image, a latent slider changes the
decoded image, the interpolation page draws its strip and animations, and every page opened by a cold
deep link (the first request after a server start) renders with its sidebar.

Skipped when Chromium or Playwright is missing, unless VAE_REQUIRE_BROWSER=1 (then that is a failure).
Run: .venv/bin/python -m pytest -q -m browser tests/test_browser.py
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from pathlib import Path

import pytest

from harness.browser import EXCEPTION, IMAGE, REPO, require_browser

pytestmark = pytest.mark.browser


require_browser()

from playwright.sync_api import expect  # noqa: E402

from harness.browser import (  # noqa: E402
    arm_new_image,
    hover_then_click,
    images_loaded,
    map_box,
    map_empty_spots,
    map_group_of,
    map_isolated_point,
    map_ranges,
    map_spot_at,
    map_units_per_px,
    new_page,
    rerun,
    streamlit_servers,
    wait_for_app,
    wait_new_image,
)
from ui.app import PAGES  # noqa: E402

MODEL = "mnist-z16"
QUERY = f"?dataset=mnist&model={MODEL}"
if not (REPO / "models" / MODEL / "atlas.safetensors").exists():
    pytest.skip(f"model not built yet: {MODEL}", allow_module_level=True)

# page (url path) -> key of its title in the catalogue
TITLES = {
    "home": "home.title",
    "latent_map": "map.title",
    "latent_sliders": "sliders.title",
    "interpolation": "interp.title",
    "generate": "gen.title",
    "kl_vs_recon": "kr.title",
    "compare_models": "compare.title",
}
PAGE_STEMS = [Path(file).stem for file, _, _ in PAGES]
TIMEOUT_MS = 60_000
COLD_TIMEOUT_MS = 180_000  # a dozen servers starting at once on two cores


def pca_coords():
    from vae.artifacts.atlas import load_atlas

    return load_atlas(REPO / "models" / MODEL).pca_coords


def english() -> dict[str, str]:
    texts = {}
    for path in sorted((REPO / "assets" / "i18n" / "en").glob("*.json")):
        texts |= json.loads(path.read_text())
    return texts


EN = english()


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()


# ---- the home page and the latent map ------------------------------------------------------------------


def test_home_page_shows_the_zoo(tab, server):
    open_page(tab, server + "/")
    expect(tab.locator('[data-testid="stMain"] h1').first).to_have_text(EN["home.title"])
    expect(tab.locator('[data-testid="stSidebarNav"] a')).to_have_count(
        len([s for s in PAGE_STEMS if (REPO / "pages" / f"{s}.py").exists()])
    )
    expect(tab.locator('[data-testid="stDataFrame"]').first).to_be_visible()


def test_map_click_on_empty_space_decodes_that_location(tab, server):
    open_page(tab, f"{server}/latent_map{QUERY}&projection=pca")
    map_box(tab)
    expect(tab.get_by_text(EN["map.click_hint"])).to_be_visible()
    assert tab.locator(IMAGE).count() == 0  # nothing decoded before a click
    for x, y in map_empty_spots(tab, pca_coords(), random.Random(1)):  # map units, chosen the same on every machine
        spot = map_spot_at(tab, x, y, margin_px=15)
        if spot is not None:
            break
    arm_new_image(tab)
    hover_then_click(tab, *spot)
    wait_new_image(tab)
    expect(tab.get_by_text(EN["map.nearest_distance"])).to_be_visible()
    wait_for_app(tab)
    assert len(images_loaded(tab)) == 1
    # the decoded location is the clicked one (on the plotly map, up to its click grid's spacing: 110 points a side)
    caption = tab.get_by_text(re.compile(r"^Decoded at \(")).inner_text()
    decoded = [float(v) for v in re.findall(r"-?\d+\.\d+", caption)[:2]]
    ranges, pixel = map_ranges(tab), map_units_per_px(tab)
    for axis, clicked in enumerate((x, y)):
        cell = abs(ranges[axis][1] - ranges[axis][0]) / 109
        assert abs(decoded[axis] - clicked) <= 1.5 * cell + pixel + 0.01, (decoded, (x, y), cell)
    assert "x=" in tab.url and "y=" in tab.url  # the click is in the deep link


def test_map_click_on_a_point_shows_its_details(tab, server):
    open_page(tab, f"{server}/latent_map{QUERY}&projection=pca")
    index, x, y = map_isolated_point(tab, pca_coords())
    trace_name = map_group_of(tab, index) or ""
    arm_new_image(tab)
    hover_then_click(tab, x, y)
    if tab.evaluate("() => !!window.__vaeMap"):  # the browser map says which point it took
        assert tab.evaluate("() => window.__vaeMap.lastClick.index") == index
    wait_new_image(tab)
    details = tab.locator('[data-testid="stMarkdownContainer"] p').filter(has_text=re.compile(r"^Test image #\d+"))
    expect(details).to_be_visible()
    wait_for_app(tab)
    assert len(images_loaded(tab)) >= 2  # original (with the data), reconstruction
    assert len(images_loaded(tab, ".vae-image-row img")) == 8  # the 8 nearest neighbours
    if trace_name.isdigit():  # coloured by digit label (data present): the details name the same digit
        assert f"label {trace_name} " in details.inner_text(), (trace_name, details.inner_text())
    assert re.search(rf"[?&]point={index}(&|$)", tab.url), (index, tab.url)


# ---- latent sliders and interpolation ----------------------------------------------------------------------


def test_latent_slider_changes_the_decoded_image(tab, server):
    open_page(tab, f"{server}/latent_sliders{QUERY}")
    slider = tab.locator('[class*="st-key-sl_z_"] input[type="range"]').first  # the most informative dimension
    top = float(slider.get_attribute("max"))
    assert float(slider.input_value()) < top
    before = arm_new_image(tab)
    assert before is not None
    slider.focus()
    tab.keyboard.press("End")
    _, after = wait_new_image(tab)
    assert after != before
    assert float(slider.input_value()) == pytest.approx(top)
    wait_for_app(tab)
    assert tab.locator(EXCEPTION).count() == 0
    assert "sl_z=" in tab.url  # the code is in the deep link


def heading_pattern(template: str) -> re.Pattern:
    """A catalogue template as a regex: {n} captures a number, other fields match anything."""
    pattern = re.escape(template).replace(r"\{n\}", r"(\d+)")
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", ".*?", pattern) + "$")


def test_interpolation_draws_the_strip_and_the_animations(tab, server):
    open_page(tab, f"{server}/interpolation{QUERY}")
    heading = tab.locator('[data-testid="stHeading"]').filter(has_text=heading_pattern(EN["interp.strip"]))

    def strip_and_gifs():
        images = images_loaded(tab)
        gifs = [i["src"] for i in images if i["src"].startswith("data:image/gif")]  # ui.components.widgets.inline
        strip = max(images, key=lambda i: i["width"])["src"]  # the widest picture is the strip of steps
        return strip, gifs

    expect(heading).to_be_visible()
    strip, gifs = strip_and_gifs()
    assert len(gifs) == 2  # latent path and pixel cross-fade
    steps = tab.locator('.st-key-ip_steps input[type="range"]')
    most = int(float(steps.get_attribute("max")))
    assert int(heading_pattern(EN["interp.strip"]).match(heading.inner_text()).group(1)) == int(float(steps.input_value())) < most
    steps.focus()
    with rerun(tab):
        tab.keyboard.press("End")
    expect(heading).to_have_text(heading_pattern(EN["interp.strip"].replace("{n}", str(most))))
    strip_more, gifs_more = strip_and_gifs()
    assert strip_more != strip and len(gifs_more) == 2 and set(gifs_more) != set(gifs)
    assert f"ip_steps={most}" in tab.url

    method = tab.locator(".st-key-ip_method [role=radio][aria-checked=false]").first  # the other path
    name = method.inner_text()
    with rerun(tab):
        method.click()
    expect(tab.locator(".st-key-ip_method [role=radio][aria-checked=true]")).to_have_text(name)
    assert strip_and_gifs()[0] != strip_more  # the other path decodes to other images


# ---- cold deep links: one fresh server per page, all started together -------------------------------------


class TestColdDeepLinks:
    @pytest.fixture(scope="class")
    def cold_pages(self, chromium):
        """One server per page, each page opened as its server's very first request, all in parallel.

        Plain `streamlit run` (no zoo warm-up): the cold-link path (ui.app.ensure_entry) is the same,
        and a dozen warm-ups at once would load the whole zoo a dozen times."""
        stems = [s for s in PAGE_STEMS if (REPO / "pages" / f"{s}.py").exists()]
        with contextlib.ExitStack() as stack:
            servers = dict(zip(stems, stack.enter_context(streamlit_servers(len(stems), timeout=90, warm_up=False))))
            pages = {}
            for stem, (url, proc) in servers.items():
                pg = new_page(chromium)
                pg.set_default_timeout(COLD_TIMEOUT_MS)  # goto and every wait: the servers start together
                stack.callback(pg.context.close)
                pg.goto(f"{url}/{'' if stem == 'home' else stem}{QUERY}")
                pages[stem] = pg, proc
            yield pages

    @pytest.mark.parametrize("stem", PAGE_STEMS)
    def test_page_renders_with_its_sidebar(self, cold_pages, stem):
        if stem not in cold_pages:
            pytest.skip(f"pages/{stem}.py not written yet")
        page, server_process = cold_pages[stem]
        wait_for_app(page, COLD_TIMEOUT_MS)
        assert page.locator(EXCEPTION).count() == 0, f"exception on a cold /{stem}; server log:\n{server_process.output_tail()}"
        assert page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]').count() == 0
        title = page.locator('[data-testid="stMain"] h1').first
        if stem in TITLES:
            expect(title).to_have_text(EN[TITLES[stem]])
        else:  # a page this file does not know yet: at least not the home page the router falls back to
            expect(title).not_to_have_text(EN["home.title"])
            assert title.inner_text().strip()
        assert page.url.split("?")[0].rstrip("/").endswith("" if stem == "home" else f"/{stem}"), page.url
        expect(page.locator('[data-testid="stSidebarNav"] a')).to_have_count(len(cold_pages))
        expect(page.locator('[data-testid="stSidebar"] .st-key-dataset')).to_be_visible()
        expect(page.locator('[data-testid="stSidebar"] .st-key-model input')).to_have_value(re.compile(rf"^{MODEL}\b"))
