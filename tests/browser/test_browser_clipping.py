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
from harness.clipping import clipped_on, content_bottom, url_of, views  # noqa: E402

for _name in ("mnist-z16", "mnist-z2", "celeba-z64"):
    if not (REPO / "models" / _name / "atlas.safetensors").exists():
        pytest.skip(f"model not built yet: {_name}", allow_module_level=True)


@pytest.mark.parametrize(
    "lang, presenter", [("fr", True), ("fr", False), ("en", True), ("en", False)], ids=["fr-presenter", "fr", "en-presenter", "en"]
)
def test_no_text_is_clipped_at_1280x720(chromium, server, lang, presenter):
    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    found: dict[str, list] = {}
    try:
        for path, query in views(presenter):
            page.goto(url_of(server, path, query, lang, presenter))
            wait_for_app(page)
            page.wait_for_timeout(500)  # fonts, KaTeX and images settle
            assert page.locator(EXCEPTION).count() == 0, (path, query, page.locator(EXCEPTION).first.inner_text())
            hits = clipped_on(page)
            if presenter and path == "lesson" and content_bottom(page) > 720:  # a sub-step is one screen
                hits.append({"what": "screen", "text": f"{content_bottom(page):.0f} px tall", "scroll_px": 0, "client_px": 720})
            if hits:
                found[f"/{path}?{query}"] = hits
    finally:
        page.context.close()
    assert not found, found
