"""Nothing cut off on a projector: at 1280×720 every page and every lesson step (in presenter mode every
sub-step), in French and in English, in presenter mode and normally, and in French presenter mode at
1920×1080 too, shows every button, label, select value, tab, table header and cell, metric, maths block
and code line whole (harness/clipping.py: no ellipsis, no hidden or scrolled overflow), and any other
shown text (a toggle's label, a segmented control's option) inside every box that cuts it and the
window; it raises no exception; in presenter mode every lesson sub-step fits the screen's height. On the
French screens, no number is written the English way (harness/numbers.py: figures' ticks, slider values,
metrics, captions).

(AppTest has no layout: only a browser can tell whether a text fits its box.)
"""

from __future__ import annotations

import pytest

from harness.browser import EXCEPTION, REPO, require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import new_page, wait_for_app  # noqa: E402
from harness.clipping import clipped_on, content_bottom, settle, url_of, views  # noqa: E402
from harness.numbers import english_numbers_on  # noqa: E402

for _name in ("mnist-z16", "mnist-z2", "celeba-z64"):
    if not (REPO / "models" / _name / "atlas.safetensors").exists():
        pytest.skip(f"model not built yet: {_name}", allow_module_level=True)


@pytest.mark.parametrize(
    "lang, presenter, width, height",
    [("fr", True, 1280, 720), ("fr", False, 1280, 720), ("en", True, 1280, 720), ("en", False, 1280, 720), ("fr", True, 1920, 1080)],
    ids=["fr-presenter", "fr", "en-presenter", "en", "fr-presenter-1920x1080"],
)
def test_no_text_is_clipped_on_a_projector(chromium, server, lang, presenter, width, height):
    """Pages are opened by their links; the lesson's steps and sub-steps are walked with the Next button,
    as a presenter does (a rerun, not a page load: the sweep stays a few minutes)."""
    page = new_page(chromium, width, height)
    page.set_default_timeout(60_000)
    found: dict[str, list] = {}
    heading = page.locator('[data-testid="stMain"] h2').first

    def check(where: str) -> None:
        settle(page)  # fonts, KaTeX and images
        assert page.locator(EXCEPTION).count() == 0, (where, page.locator(EXCEPTION).first.inner_text())
        hits = clipped_on(page)
        if lang == "fr":  # every number a French screen shows is written the French way (harness/numbers.py)
            hits += [{"what": "English number", "text": text, "scroll_px": 0, "client_px": 0} for text in english_numbers_on(page)]
        if presenter and where.startswith("/lesson") and content_bottom(page) > height:  # a sub-step is one screen
            hits.append({"what": "screen", "text": f"{content_bottom(page):.0f} px tall", "scroll_px": 0, "client_px": height})
        if hits:
            found[where] = hits

    try:
        lesson = [query for path, query in views(presenter) if path == "lesson"]
        page.goto(url_of(server, "lesson", lesson[0], lang, presenter))
        wait_for_app(page)
        for k, query in enumerate(lesson):
            if k:
                before = heading.inner_text()
                page.locator(".st-key-lesson_next button").first.click()
                page.wait_for_function("([el, text]) => el.innerText !== text", arg=[heading.element_handle(), before])
                wait_for_app(page)
            check(f"/lesson?{query}")
        for path, query in views(presenter):
            if path != "lesson":
                page.goto(url_of(server, path, query, lang, presenter))
                wait_for_app(page)
                check(f"/{path}?{query}")
    finally:
        page.context.close()
    assert not found, found


def test_the_probe_finds_text_cut_by_a_box_around_it_or_by_the_window(chromium):
    """harness/clipping.py's probe on a page made for it: what the lecture showed (a label that does not
    wrap running out of its column past the window's edge, a segmented control's option outside its scroll
    box) is found; the same text with room, a collapsed panel and screen-reader text are not."""
    page = new_page(chromium, 400, 300)
    page.set_content(
        """<div data-testid="stApp" style="font: 16px sans-serif">
        <div style="display:flex"><div style="width:250px"></div>
          <div style="width:150px"><p id="toggle" style="white-space:nowrap">Montrer où tombent des tirages de N(0, I)</p></div></div>
        <div style="width:200px; overflow-x:auto"><div style="display:flex">
          <button style="flex:none; width:150px">une seule, pour les VAE</button><button style="flex:none">une par carte</button></div></div>
        <div style="width:380px"><p>Assez de place pour ce texte</p></div>
        <div style="width:0; overflow:hidden"><p>un panneau replié</p></div>
        <span style="position:absolute; width:1px; height:1px; overflow:hidden; white-space:nowrap">texte pour lecteur d'écran</span>
        </div>"""
    )
    found = {hit["text"]: hit["what"] for hit in clipped_on(page)}
    assert found.keys() == {"Montrer où tombent des tirages de N(0, I)", "une par carte"}, found
    assert found["Montrer où tombent des tirages de N(0, I)"] == "text cut by window" and found["une par carte"] == "text cut by div"
    page.context.close()
