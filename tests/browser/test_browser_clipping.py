"""Nothing cut off on a 1280×720 projector: every page and every lesson step (in presenter mode every
sub-step), in French and in English,
in presenter mode and normally, shows every button, label, select value, tab, table header and cell,
metric, maths block and code line whole (harness/clipping.py: no ellipsis, no hidden or scrolled
overflow), and raises no exception; in presenter mode every lesson sub-step fits the 720-px screen.

(AppTest has no layout: only a browser can tell whether a text fits its box.)
"""

from __future__ import annotations

import pytest

from harness.browser import EXCEPTION, REPO, require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import new_page, wait_for_app  # noqa: E402
from harness.clipping import clipped_on, content_bottom, settle, url_of, views  # noqa: E402

for _name in ("mnist-z16", "mnist-z2", "celeba-z64"):
    if not (REPO / "models" / _name / "atlas.safetensors").exists():
        pytest.skip(f"model not built yet: {_name}", allow_module_level=True)


@pytest.mark.parametrize(
    "lang, presenter", [("fr", True), ("fr", False), ("en", True), ("en", False)], ids=["fr-presenter", "fr", "en-presenter", "en"]
)
def test_no_text_is_clipped_at_1280x720(chromium, server, lang, presenter):
    """Pages are opened by their links; the lesson's steps and sub-steps are walked with the Next button,
    as a presenter does (a rerun, not a page load: the sweep stays a few minutes)."""
    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    found: dict[str, list] = {}
    heading = page.locator('[data-testid="stMain"] h2').first

    def check(where: str) -> None:
        settle(page)  # fonts, KaTeX and images
        assert page.locator(EXCEPTION).count() == 0, (where, page.locator(EXCEPTION).first.inner_text())
        hits = clipped_on(page)
        if presenter and where.startswith("/lesson") and content_bottom(page) > 720:  # a sub-step is one screen
            hits.append({"what": "screen", "text": f"{content_bottom(page):.0f} px tall", "scroll_px": 0, "client_px": 720})
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
