"""Nothing cut off on a projector: at 1280×720 every page and every lesson step (in presenter mode every
sub-step), in French and in English, in presenter mode and normally, and in French presenter mode at
1920×1080 too, shows every button, label, select value, tab, table header and cell, metric, maths block
and code line whole (harness/clipping.py: no ellipsis, no hidden or scrolled overflow), and any other
shown text (a toggle's label, a segmented control's option) inside every box that cuts it and the
window; it raises no exception; in presenter mode every lesson sub-step fits the screen's height. On the
French screens, no number is written the English way (harness/numbers.py: figures' ticks, slider values,
metrics, captions).

The sweep is harness.clipping.sweep (pages by their links, the lesson's steps and sub-steps walked with
the Next button as a presenter does). English: test_browser_clipping_en.py.

(AppTest has no layout: only a browser can tell whether a text fits its box.)
"""

from __future__ import annotations

import pytest

from harness.browser import REPO, require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import new_page  # noqa: E402
from harness.clipping import clipped_on, sweep  # noqa: E402
from harness.numbers import english_number_findings  # noqa: E402

for _name in ("mnist-z16", "mnist-z2", "celeba-z64"):
    if not (REPO / "models" / _name / "atlas.safetensors").exists():
        pytest.skip(f"model not built yet: {_name}", allow_module_level=True)


# French here; English in test_browser_clipping_en.py (a file each: the two sweeps run on two workers)
@pytest.mark.parametrize(
    "presenter, width, height",
    [(True, 1280, 720), (False, 1280, 720), (True, 1920, 1080)],
    ids=["presenter", "normal", "presenter-1920x1080"],
)
def test_nothing_is_cut_on_a_french_projector(chromium, server, presenter, width, height):
    page = new_page(chromium, width, height)
    page.set_default_timeout(60_000)
    try:
        found = sweep(page, server, "fr", presenter, height, more=english_number_findings)  # and no English number
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
