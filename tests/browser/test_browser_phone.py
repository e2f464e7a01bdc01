"""Every page on a phone (390×844, Chromium's mobile emulation with touch), in French and in English: the page never
scrolls sideways, and no text, button, picture or canvas of the page reaches past the screen's edges — a segmented
control's options wrap onto a second row instead of scrolling out of sight (ui/app.py's phone CSS). Code blocks,
tables and displayed maths scroll inside their own box by design and are not counted.

On the six pages a student holds a phone for (map, sliders, interpolation, generate, your own input, face
attributes), the first screen shows the picture and the control that moves it, both whole, once the page has
settled; the page's introduction is folded away there, and shown plain on a wide screen (ui/app.py's PHONE_CSS)."""

from __future__ import annotations

import pytest

from harness.browser import EXCEPTION, require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import map_box, new_page, wait_for_app  # noqa: E402
from harness.clipping import settle  # noqa: E402
from ui.app import PAGES  # noqa: E402

PHONE = {"width": 390, "height": 844}
OUTSIDE = """() => {
  const w = window.innerWidth, found = [];
  for (const el of document.querySelectorAll('[data-testid="stMain"] :is(p, h1, h2, h3, label, button, img, canvas)')) {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === "hidden" || s.opacity === "0") continue;
    if (el.closest('[data-testid="stCode"], [data-testid="stDataFrame"], [data-testid="stTable"], .katex-display')) continue;
    if (r.right > w + 1 || r.left < -1) found.push(`${el.tagName} ${Math.round(r.left)}..${Math.round(r.right)}: ${(el.textContent || "").trim().slice(0, 40)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: w, outside: found};
}"""


# page: (the picture, the control that moves it), found by the keys the pages give them; MAP: the latent map's
# plotting area (harness.browser.map_box), the map being its own control.
MAP = "map"
FIRST_SCREEN = {
    "latent_map.py": (".st-key-map_picture", MAP),
    "latent_sliders.py": (".st-key-sl_decoded img", '[class*="st-key-sl_z_"]'),  # the first slider: the most informative dimension
    "interpolation.py": (".st-key-ip_scrubbed img", ".st-key-ip_t"),  # the scrubber and its picture
    "generate.py": (".st-key-gen_samples_prior img", ".st-key-gen_next"),  # the samples and the next-seed button
    "your_input.py": (".st-key-yi_canvas", ".st-key-yi_canvas"),  # the drawing canvas is both
    "face_editor.py": (".st-key-fe_edited img", '[class*="st-key-fe_amt_"]'),  # the edited face and its first slider
}
# Whether the introduction is folded: (the plain caption shown, the folded one shown)
INTRO = """() => ['intro_wideonly', 'intro_phoneonly'].map(k => {
  const el = document.querySelector(`[data-testid="stMain"] .st-key-${k}`);
  return !!el && el.getClientRects().length > 0 && el.getBoundingClientRect().height > 0;
})"""


def off_first_screen(tab, file: str) -> list[str]:
    """What of the page's picture and control is not whole on the first screen (0 ≤ top, bottom ≤ its height),
    and whether its introduction is shown plain instead of folded; [] when all is well."""
    settle(tab)  # fonts and images: what moves the boxes
    problems = []
    for what, selector in zip(("picture", "control"), FIRST_SCREEN[file]):
        if selector == MAP:
            box = map_box(tab)  # once the map has drawn its points
        else:
            element = tab.locator(f'[data-testid="stMain"] {selector}').first
            box = element.bounding_box() if element.count() else None  # the script run is over (wait_for_app)
        if box is None:
            problems.append(f"{what} {selector}: not shown")
            continue
        if box["y"] < 0 or box["y"] + box["height"] > PHONE["height"] + 0.5:
            problems.append(f"{what} {selector}: {box['y']:.0f}..{box['y'] + box['height']:.0f} px")
    if tab.evaluate(INTRO) != [False, True]:
        problems.append(f"introduction (plain shown, folded shown): {tab.evaluate(INTRO)}")
    return problems


def page_url(server: str, file: str, lang: str, model: str | None = None) -> str:
    name = file.removesuffix(".py")
    model = model or ("celeba-z64" if name in ("face_editor", "composer") else "mnist-z16")
    return f"{server}/{'' if name == 'home' else name}?dataset={model.split('-')[0]}&model={model}&lang={lang}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_page_reaches_past_a_phone_screen(chromium, server, lang):
    """Every page: nothing sideways; the six pages of FIRST_SCREEN: their picture and control on the first screen."""
    tab = new_page(chromium, PHONE["width"], PHONE["height"], mobile=True, touch=True, scale=2)
    try:
        found, below = {}, {}
        # every page, and the map of a 2-D model as well (its raw projection, and the decoded manifold 720 px wide)
        for file, model in [(file, None) for file, _, _ in PAGES] + [("latent_map.py", "mnist-z2")]:
            tab.goto(page_url(server, file, lang, model))
            wait_for_app(tab)
            tab.wait_for_load_state("load")
            assert tab.locator(EXCEPTION).count() == 0, file
            if file in FIRST_SCREEN and (problems := off_first_screen(tab, file)):
                below[f"{file} {model or ''}"] = problems
            measured = tab.evaluate(OUTSIDE)
            if measured["scrollWidth"] > measured["width"] or measured["outside"]:
                found[f"{file} {model or ''}"] = measured
        assert {"outside the screen": found, "not on the first screen": below} == {"outside the screen": {}, "not on the first screen": {}}
    finally:
        tab.context.close()


def test_a_wide_screen_keeps_the_plain_introduction(chromium, server):
    """The desktop layout stays: at 1280×800 the introduction is the plain caption, nothing folded."""
    tab = new_page(chromium, 1280, 800)
    try:
        for file in FIRST_SCREEN:
            tab.goto(page_url(server, file, "fr"))
            wait_for_app(tab)
            assert tab.evaluate(INTRO) == [True, False], file
    finally:
        tab.context.close()


def test_the_check_sees_a_control_that_reaches_past_the_screen(chromium, server):
    tab = new_page(chromium, PHONE["width"], PHONE["height"], mobile=True, touch=True, scale=2)
    try:
        tab.goto(page_url(server, "anomalies.py", "fr"))
        wait_for_app(tab)
        tab.add_style_tag(content='[data-testid="stButtonGroup"] > div { flex-wrap: nowrap !important; overflow-x: auto !important; }')
        assert tab.evaluate(OUTSIDE)["outside"]  # without the phone CSS, the ranking's options run off the screen
    finally:
        tab.context.close()


def test_the_check_sees_a_picture_below_the_first_screen(chromium, server):
    tab = new_page(chromium, PHONE["width"], PHONE["height"], mobile=True, touch=True, scale=2)
    try:
        tab.goto(page_url(server, "latent_sliders.py", "fr"))
        wait_for_app(tab)
        assert off_first_screen(tab, "latent_sliders.py") == []
        # without the phone CSS, the page is laid out as on a wide screen stacked: text and buttons, then the picture
        tab.evaluate("() => document.querySelectorAll('style').forEach(s => s.textContent.includes('phonefirst') && s.remove())")
        problems = off_first_screen(tab, "latent_sliders.py")
        assert [p.split(" ")[0] for p in problems] == ["picture", "control", "introduction"], problems
    finally:
        tab.context.close()


def test_a_drawn_digit_and_its_reconstruction_share_the_first_screen(chromium, server):
    """Your own input on a phone: a finger draws a 7 on the canvas (real touch events); once the page has run,
    the canvas and the digit as the model sees it and reconstructs it are all on the first screen."""
    tab = new_page(chromium, PHONE["width"], PHONE["height"], mobile=True, touch=True, scale=2)
    try:
        tab.goto(page_url(server, "your_input.py", "fr"))
        wait_for_app(tab)
        assert off_first_screen(tab, "your_input.py") == []
        box = tab.locator(".st-key-yi_canvas canvas.upper-canvas").bounding_box()
        cdp = tab.context.new_cdp_session(tab)
        stroke = [*[(80 + 8 * i, 60) for i in range(16)], *[(200 - 5 * i, 60 + 9 * i) for i in range(1, 19)]]  # a "7"
        for kind, (x, y) in zip(["touchStart"] + ["touchMove"] * (len(stroke) - 1), stroke):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y, "id": 0}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        pictures = tab.locator('[data-testid="stMain"] .st-key-yi_pictures_phonerow img')
        pictures.nth(1).wait_for(state="visible")  # the page ran with the drawing: prepared digit, reconstruction
        wait_for_app(tab)
        settle(tab)
        assert off_first_screen(tab, "your_input.py") == []
        for k in range(2):
            shown = pictures.nth(k).bounding_box()
            assert shown["y"] >= 0 and shown["y"] + shown["height"] <= PHONE["height"], (k, shown)
    finally:
        tab.context.close()
