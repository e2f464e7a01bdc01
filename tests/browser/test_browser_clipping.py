"""Nothing cut off on a projector: at 1280×720 every page and every lesson step (in presenter mode every
sub-step), in French and in English, in presenter mode and normally, and in French presenter mode at
1920×1080 too, shows every button, label, select value, tab, table header and cell, metric, maths block
and code line whole (harness/clipping.py: no ellipsis, no hidden or scrolled overflow), and any other
shown text (a toggle's label, a segmented control's option) inside every box that cuts it and the
window; it raises no exception; in presenter mode every lesson sub-step fits the screen's height. On the
French screens, no number is written the English way (harness/numbers.py: figures' ticks, slider values,
metrics, captions), and no legend covers a plot's data; in French presenter mode at 1280×720, each lesson
sub-step's largest figure spans at least 60 % of the width its sub-step leaves free (harness/figure_size.py).

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
from harness.figure_size import legend_findings, presenter_findings  # noqa: E402
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
    figures = presenter_findings if presenter and width == 1280 else legend_findings  # harness/figure_size.py

    def more(page) -> list[dict]:  # no English number, no legend over data, presenter figures that use their width
        return english_number_findings(page) + figures(page)

    page = new_page(chromium, width, height)
    page.set_default_timeout(60_000)
    try:
        found = sweep(page, server, "fr", presenter, height, more=more)
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


def test_the_figure_probe_finds_a_small_figure_and_a_legend_over_data(chromium):
    """harness/figure_size.py's probe on pages made for it: a picture using a third of the content's width
    is under the presenter's rule, the same picture in a column beside another is not; a legend drawn on a
    plot's data is found, one above it is not."""
    from harness.figure_size import figures_on, under_rule

    def page_with(body: str):
        page = new_page(chromium, 1100, 700)
        page.set_content(
            f'<div data-testid="stMain"><div data-testid="stMainBlockContainer" style="width:1000px; padding:0 50px">{body}</div></div>'
        )
        return page

    picture = '<div data-testid="stImage"><img style="display:block; width:{w}px; height:200px"></div>'
    page = page_with(picture.format(w=330))
    assert under_rule(figures_on(page))["width"] == 330  # 33 % of 1000 px
    page.context.close()
    column = '<div data-testid="stColumn" style="width:490px">' + picture.format(w=400) + "</div>"
    page = page_with(f'<div style="display:flex; gap:20px">{column}{column}</div>')
    assert [f["free"] for f in figures_on(page)] == [490, 490] and under_rule(figures_on(page)) is None  # two side by side
    page.context.close()
    plot = (
        '<div class="js-plotly-plot" style="position:relative; width:900px; height:400px"><svg width="900" height="400">'
        '<rect class="nsewdrag" x="50" y="{top}" width="800" height="300"></rect>'
        '<g class="legend"><rect x="60" y="10" width="300" height="60"></rect></g></svg></div>'
    )
    page = page_with(plot.format(top=40))
    assert figures_on(page)[0]["legendOver"] == 300 * 30  # the legend's lower half is on the data
    page.context.close()
    page = page_with(plot.format(top=80))
    assert figures_on(page)[0]["legendOver"] == 0
    page.context.close()
