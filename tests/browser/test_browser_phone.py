"""Every page on a phone (390×844, Chromium's mobile emulation with touch), in French and in English: the page never
scrolls sideways, and no text, button, picture or canvas of the page reaches past the screen's edges — a segmented
control's options wrap onto a second row instead of scrolling out of sight (ui/app.py's phone CSS). Code blocks,
tables and displayed maths scroll inside their own box by design and are not counted."""

from __future__ import annotations

import pytest

from harness.browser import EXCEPTION, require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import new_page, wait_for_app  # noqa: E402
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


def page_url(server: str, file: str, lang: str) -> str:
    name = file.removesuffix(".py")
    model = "celeba-z64" if name in ("face_editor", "composer") else "mnist-z16"
    return f"{server}/{'' if name == 'home' else name}?dataset={model.split('-')[0]}&model={model}&lang={lang}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_page_reaches_past_a_phone_screen(chromium, server, lang):
    tab = new_page(chromium, PHONE["width"], PHONE["height"], mobile=True, touch=True, scale=2)
    try:
        found = {}
        for file, _, _ in PAGES:
            tab.goto(page_url(server, file, lang))
            wait_for_app(tab)
            tab.wait_for_load_state("load")
            assert tab.locator(EXCEPTION).count() == 0, file
            measured = tab.evaluate(OUTSIDE)
            if measured["scrollWidth"] > measured["width"] or measured["outside"]:
                found[file] = measured
        assert found == {}
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
