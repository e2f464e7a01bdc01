"""Widgets bound to the URL by Streamlit's own binding (ui.shell.state.bound), in a real browser: the URL
follows every change without a server round trip of ours, a default value leaves the URL, the link
reopens the same scene, values survive a page switch, and a bad link value or a 1/0 boolean is handled.

(AppTest cannot show this: the binding writes the URL in the browser.)
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from harness.browser import EXCEPTION, REPO, require_browser

pytestmark = pytest.mark.browser

require_browser()

from playwright.sync_api import expect  # noqa: E402

from harness.browser import rerun, wait_for_app  # noqa: E402

EXPECT_MS = 30_000  # a busy 2-core machine: a rerun can take seconds

MODEL = "mnist-z16"
QUERY = f"?dataset=mnist&model={MODEL}"
TIMEOUT_MS = 60_000
if not (REPO / "models" / MODEL / "atlas.safetensors").exists():
    pytest.skip(f"model not built yet: {MODEL}", allow_module_level=True)


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def number(page, key: str):
    return page.locator(f".st-key-{key} input")


def opened(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()


def type_number(page, key: str, value: int) -> None:
    box = number(page, key)
    box.fill(str(value))
    with rerun(page, TIMEOUT_MS):
        box.press("Enter")


def test_bound_widgets_write_the_url_and_the_link_reopens_the_scene(tab, server):
    opened(tab, f"{server}/generate{QUERY}&gen_seed=5&gen_n=4")
    expect(number(tab, "gen_seed")).to_have_value("5")
    expect(number(tab, "gen_n")).to_have_value("4")
    caption = tab.get_by_text(re.compile(r"seed 5"))
    expect(caption.first).to_be_visible()
    with rerun(tab, TIMEOUT_MS):
        tab.locator(".st-key-gen_next button").first.click()  # the "next seed" button sets the bound widget's state
    expect(number(tab, "gen_seed")).to_have_value("6")
    tab.wait_for_url(re.compile(r"gen_seed=6"))
    type_number(tab, "gen_n", 9)
    tab.wait_for_url(re.compile(r"gen_n=9"))
    type_number(tab, "gen_n", 16)  # back to the default: the parameter leaves the URL
    tab.wait_for_function("() => !location.search.includes('gen_n=')")
    link = tab.url
    assert query(tab)["gen_seed"] == "6" and query(tab)["model"] == MODEL
    opened(tab, link)  # the link reopens the same scene in a new session
    expect(number(tab, "gen_seed")).to_have_value("6")
    expect(number(tab, "gen_n")).to_have_value("16")


def test_values_survive_a_page_switch(tab, server):
    opened(tab, f"{server}/generate{QUERY}")
    type_number(tab, "gen_seed", 41)
    tab.wait_for_url(re.compile(r"gen_seed=41"))
    with rerun(tab, TIMEOUT_MS):
        tab.locator('[data-testid="stSidebarNav"] a[href$="/latent_map"]').click()
    tab.wait_for_url(re.compile(r"/latent_map"))
    assert "gen_seed" not in query(tab)  # another page's parameter is not in this page's link
    with rerun(tab, TIMEOUT_MS):
        tab.locator('[data-testid="stSidebarNav"] a[href$="/generate"]').click()
    tab.wait_for_url(re.compile(r"/generate"))
    expect(number(tab, "gen_seed")).to_have_value("41")


def test_bad_link_values_and_1_0_booleans(tab, server):
    opened(tab, f"{server}/generate{QUERY}&gen_n=inf&gen_seed=-3&presenter=1")
    expect(tab.get_by_text(re.compile(r"gen_n, gen_seed|gen_seed, gen_n"))).to_be_visible()  # the notice names both
    expect(number(tab, "gen_n")).to_have_value("16")
    expect(number(tab, "gen_seed")).to_have_value("0")
    tab.wait_for_url(re.compile(r"presenter=true"))  # a 1/0 boolean in a link opens presenter mode
    assert "gen_n" not in query(tab) and "gen_seed" not in query(tab)


def test_presenter_mode_keeps_a_page_menu_the_language_and_the_exit_within_reach(chromium, server):
    """At 1280×720 in French, presenter mode (no header, no sidebar opener): the bar's page menu
    changes page and stays in presenter mode, its language button switches, its exit leaves."""
    from harness.browser import new_page

    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{server}/lesson?presenter=1&lang=fr&step=2")
        wait_for_app(page)
        assert not page.locator('header[data-testid="stHeader"]').is_visible()
        page.locator(".st-key-presenter_bar button").first.click()
        page.get_by_test_id("stPopoverBody").get_by_role("link", name="Carte latente").click()
        page.wait_for_url(re.compile(r"/latent_map\?.*presenter=true"))
        wait_for_app(page)
        expect(page.locator(".st-key-presenter_bar")).to_be_visible(timeout=EXPECT_MS)
        page.locator(".st-key-presenter_lang button").first.click()
        expect(page.get_by_role("heading", name="Latent map")).to_be_visible(timeout=EXPECT_MS)
        page.locator(".st-key-presenter_exit button").first.click()
        expect(page.locator(".st-key-presenter_bar")).to_have_count(0, timeout=EXPECT_MS)
        expect(page.locator('header[data-testid="stHeader"]')).to_be_visible(timeout=EXPECT_MS)
        expect(page).not_to_have_url(re.compile("presenter"), timeout=EXPECT_MS)
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


# The clicker's key handler (assets/clicker/lesson_keys.js) is installed when its component first runs,
# which may come after the app reports it is idle: wait for it, and for the step it read, before a key.
KEYS_READY = "() => window.__vaeKeys && window.__vaeKeys.installed && window.__vaeKeys.data !== null"


def test_clicker_keys_step_the_lesson_from_anywhere_and_each_step_opens_at_its_top(chromium, server):
    """1280×720, French, presenter mode (each step in sub-steps of one screen): PageDown after a slider
    was dragged, after a number input was typed in, after the step selector was used; arrows, Space
    and "."; then normally (whole steps, taller than the screen): a new step opens at its top."""
    from harness.browser import new_page

    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    heading = page.locator('[data-testid="stMain"] h2').first

    def step() -> int:
        return int(re.match(r"\d+", heading.inner_text()).group())

    def key(name: str, expected: int, part: int | None = None) -> None:
        page.keyboard.press(name)
        where = rf"^{expected}\..*\({part}/\d\)$" if part else rf"^{expected}\."
        expect(heading).to_have_text(re.compile(where), timeout=EXPECT_MS)
        wait_for_app(page)

    try:
        page.goto(f"{server}/lesson?presenter=1&lang=fr&step=5")
        wait_for_app(page)
        page.wait_for_function(KEYS_READY)  # a key pressed before the handler is on the page would only scroll
        assert step() == 5 and heading.inner_text().endswith("(1/3)")
        slider = page.locator('[data-testid="stMain"] input[type="range"]').first
        box = page.locator('[data-testid="stMain"] [data-testid="stSlider"] [role="group"] > div').first.bounding_box()  # the track
        low, high, value = (float(slider.get_attribute(a)) for a in ("min", "max", "value"))
        to = 0.15 if (value - low) / (high - low) > 0.5 else 0.85  # well away from the thumb: the value changes
        with rerun(page):
            page.mouse.click(box["x"] + box["width"] * to, box["y"] + box["height"] / 2)  # μ dragged: focus stays on it
        assert float(slider.input_value()) != value
        key("PageDown", 5, 2)  # the clicker, not the slider
        key("ArrowLeft", 5, 1)
        key(" ", 5, 2)
        key(".", 5, 3)
        number = page.locator('[data-testid="stMain"] input[type="number"]').first
        number.fill("12")
        key("PageDown", 6, 1)  # after typing in a number input
        key("PageUp", 5, 3)  # back: the previous step's last sub-step
        key("ArrowDown", 6, 1)
        page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').first.click()
        page.get_by_role("option").nth(2).click()  # step 3, from its first sub-step
        expect(heading).to_have_text(re.compile(r"^3\..*\(1/2\)$"), timeout=EXPECT_MS)
        wait_for_app(page)
        key("PageDown", 3, 2)  # after the step selector
        assert page.locator(EXCEPTION).count() == 0

        page.goto(f"{server}/lesson?lang=fr&step=3")  # normally: the whole step, taller than the screen
        wait_for_app(page)
        page.wait_for_function(KEYS_READY)
        scrolled = "() => Math.max(document.querySelector('[data-testid=\"stMain\"]').scrollTop, document.scrollingElement.scrollTop)"
        page.evaluate(  # read down the step (whichever box scrolls the page), then step on
            "() => { for (const el of [document.querySelector('[data-testid=\"stMain\"]'), document.scrollingElement]) el.scrollTop += 2000; }"
        )
        page.wait_for_function(f"() => ({scrolled})() > 200")
        key("PageDown", 4)
        page.wait_for_function(f"() => ({scrolled})() === 0")  # the new step opens at its top
        assert heading.is_visible()
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


def test_a_link_to_an_unknown_page_answers_in_the_readers_language(chromium, server):
    """Streamlit's own answer is an English "Page not found" dialog; ours is a notice in French over the
    home page, with no dialog."""
    from harness.browser import new_page

    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{server}/lessonn?lang=fr&presenter=1")
        wait_for_app(page)
        expect(page.get_by_test_id("stToast")).to_contain_text("Il n'y a pas de page « lessonn » : voici l'accueil.", timeout=EXPECT_MS)
        expect(page.get_by_role("heading", name="VAE Latent Explorer")).to_be_visible(timeout=EXPECT_MS)
        dialogs = page.get_by_role("dialog")
        assert dialogs.count() == 0, dialogs.all_inner_texts()
        assert page.locator(EXCEPTION).count() == 0
        assert "Page not found" not in page.locator("body").inner_text()
    finally:
        page.context.close()
