"""How much of the screen a page's figures use, found in a real browser: every figure's drawn box (a
Plotly chart's plotting areas with their ticks and axis titles, not its legend or colour bar; a picture; a row of
pictures; the live map's plot; a Vega-Lite chart) and the width its sub-step leaves free for it.

The free width of a figure is the width of its nearest column whose row also holds other blocks (text,
controls, or another figure beside it), else the width of the page's content. The presenter's rule
(issue "The French lecture, polished for the back of the room"): each sub-step's largest figure spans
at least FREE_SHARE of its free width.

    python -m harness.figure_size --lang fr --width 1280 --height 720

prints every lesson sub-step's largest figure against its free width (presenter mode); exit status 1
when one is under the rule.
"""

from __future__ import annotations

import argparse
import sys

FREE_SHARE = 0.6

# [{kind, width, height, free, side}] for every visible figure of the main area, in page pixels: free is the
# width of its column when the column's row holds other blocks, else the content's width; side whether
# another figure shares its row (drawn beside it).
FIGURES_JS = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const cs = getComputedStyle(main);
  const content = main.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const visible = (r) => r.width > 1 && r.height > 1;
  const union = (rects) => rects.filter(visible).reduce((u, r) => u
    ? {left: Math.min(u.left, r.left), right: Math.max(u.right, r.right), top: Math.min(u.top, r.top), bottom: Math.max(u.bottom, r.bottom)}
    : {left: r.left, right: r.right, top: r.top, bottom: r.bottom}, null);
  const found = [];
  const add = (kind, el, box) => { if (box && box.right - box.left > 1) found.push({kind, el, ...box}); };
  const within = '[data-testid="stMain"] ';
  for (const gd of document.querySelectorAll(within + '.js-plotly-plot')) {
    const parts = gd.querySelectorAll('.nsewdrag, .xtick text, .ytick text, .g-xtitle, .g-ytitle, .pielayer, .polarlayer');
    const box = union([...parts].map(p => p.getBoundingClientRect()));
    // how much of the plotting area the legend covers (a legend belongs beside or above the data, not on it)
    const area = union([...gd.querySelectorAll('.nsewdrag')].map(p => p.getBoundingClientRect()));
    const legend = gd.querySelector('.legend');
    if (box && area && legend) {
      const l = legend.getBoundingClientRect();
      const w = Math.max(0, Math.min(l.right, area.right) - Math.max(l.left, area.left));
      const h = Math.max(0, Math.min(l.bottom, area.bottom) - Math.max(l.top, area.top));
      box.legendOver = Math.round(w * h);
    }
    add('plot', gd, box);
  }
  for (const img of document.querySelectorAll(within + '[data-testid="stImage"] img')) add('picture', img, union([img.getBoundingClientRect()]));
  for (const row of document.querySelectorAll(within + '.vae-image-row')) add('pictures', row, union([...row.querySelectorAll('img')].map(i => i.getBoundingClientRect())));
  for (const plot of document.querySelectorAll(within + '.vae-map-plot')) add('map', plot, union([plot.getBoundingClientRect()]));
  for (const chart of document.querySelectorAll(within + '[data-testid="stVegaLiteChart"]')) add('chart', chart, union([...chart.querySelectorAll('canvas, svg')].map(c => c.getBoundingClientRect())));
  // a figure inside another (a picture in a live component) counts once, as the outer one
  const figures = found.filter(f => !found.some(g => g !== f && g.el.contains(f.el)));
  const columnOf = (el) => {  // the nearest column holding el whose row holds other blocks
    for (let e = el.parentElement; e && e !== main; e = e.parentElement) {
      if (e.getAttribute('data-testid') === 'stColumn' && e.parentElement && e.parentElement.children.length > 1) return e;
    }
    return null;
  };
  return figures.map(f => {
    const column = columnOf(f.el);
    const row = column && column.parentElement;
    const side = !!row && figures.some(g => g !== f && row.contains(g.el) && !column.contains(g.el));
    return {kind: f.kind, legendOver: f.legendOver || 0, width: Math.round(f.right - f.left), height: Math.round(f.bottom - f.top),
            free: Math.round(column ? column.getBoundingClientRect().width : content), side};
  });
}"""


def figures_on(page) -> list[dict]:
    """The page's figures as drawn now (FIGURES_JS)."""
    return page.evaluate(FIGURES_JS)


def under_rule(figures: list[dict], share: float = FREE_SHARE) -> dict | None:
    """The largest figure (by drawn area) when it spans less than `share` of its free width, else None (also
    when there is no figure)."""
    if not figures:
        return None
    largest = max(figures, key=lambda f: f["width"] * f["height"])
    return largest if largest["width"] < share * largest["free"] else None


def legend_findings(page) -> list[dict]:
    """A plot whose legend covers part of its plotting area (the data under it is hidden), as harness.clipping.sweep's
    `more` findings."""
    return [
        {"what": "legend over data", "text": f"{f['legendOver']} px² of a {f['width']}-px plot", "scroll_px": 0, "client_px": 0}
        for f in figures_on(page)
        if f["legendOver"] > 0
    ]


def presenter_findings(page) -> list[dict]:
    """legend_findings, and on a lesson sub-step its largest figure under the rule, as harness.clipping.sweep's `more`
    findings (for the presenter sweep at 1280×720, the lecture's screen)."""
    figures = figures_on(page)
    found = legend_findings(page)
    small = under_rule(figures) if "/lesson" in page.url else None
    if small is not None:
        text = f"largest figure ({small['kind']}) {small['width']} px of {small['free']} px free"
        found.append({"what": "small figure", "text": text, "scroll_px": small["width"], "client_px": small["free"]})
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", choices=["fr", "en"], default="fr")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, streamlit_server, wait_for_app
    from harness.clipping import lesson_views, settle, url_of

    bad = 0
    with streamlit_server() as (server, _), sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(viewport={"width": args.width, "height": args.height}).new_page()
        page.set_default_timeout(90_000)
        for path, query in lesson_views(True):
            page.goto(url_of(server, path, query, args.lang, True))
            wait_for_app(page)
            settle(page)
            figures = figures_on(page)
            for f in figures:
                if f["legendOver"]:
                    print(f"{query}: a legend covers {f['legendOver']} px² of a {f['kind']}'s plotting area")
            if not figures:
                print(f"{query}: no figure")
                continue
            largest = max(figures, key=lambda f: f["width"] * f["height"])
            small = under_rule(figures)
            bad += small is not None
            print(
                f"{query}: {largest['kind']} {largest['width']}×{largest['height']} px, free {largest['free']} px "
                f"({100 * largest['width'] / largest['free']:.0f} %){' beside another' if largest['side'] else ''}"
                f"{'  UNDER' if small else ''}",
                flush=True,
            )
        browser.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
