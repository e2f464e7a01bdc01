"""Clipped text on a page, found in a real browser: the views a lecture shows (every page, every lesson
step) and an in-page probe that lists each piece of text cut off on the right (an ellipsis, hidden or
scrolled overflow) in buttons, labels, select values, tabs, tables, metrics, maths and code.

    python -m harness.clipping --lang fr --presenter --width 1280 --height 720

prints what is clipped on every view, and in presenter mode each lesson sub-step taller than the
screen (used by tests/browser/test_browser_clipping.py and to find the cases); exit status 1 when
something is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

# Each view: (URL path, query). The face pages need a CelebA model; the lesson is swept step by step,
# and in presenter mode sub-step by sub-step (each is one projector screen).
PAGES: list[tuple[str, str]] = [
    ("latent_map", "dataset=mnist&model=mnist-z16"),
    ("latent_sliders", "dataset=mnist&model=mnist-z16"),
    ("interpolation", "dataset=mnist&model=mnist-z16"),
    ("generate", "dataset=celeba&model=celeba-z64"),
    ("your_input", "dataset=mnist&model=mnist-z16"),
    ("kl_vs_recon", "dataset=mnist&model=mnist-z16"),
    ("compare_models", "dataset=mnist&model=mnist-z16"),
    ("face_editor", "dataset=celeba&model=celeba-z64"),
    ("composer", "dataset=celeba&model=celeba-z64"),
    ("anomalies", "dataset=mnist&model=mnist-z16"),
]


def lesson_views(presenter: bool) -> list[tuple[str, str]]:
    from ui.lesson import STEPS

    return [
        ("lesson", f"step={k}" + (f"&part={p}" if p > 1 else ""))
        for k, module in enumerate(STEPS, start=1)
        for p in range(1, (getattr(module, "PARTS", 1) if presenter else 1) + 1)
    ]


def views(presenter: bool) -> list[tuple[str, str]]:
    return [("", ""), *lesson_views(presenter), *PAGES]


# Elements whose text a reader must see whole, and inside them any box that cuts its content: an
# ellipsis, overflow hidden/clip, or a scroll box (maths and code scrolled sideways are cut on a
# projector). Boxes of at most 2 px are screen-reader text (an icon's name), not shown text. Returns [{what, text, scroll_px, client_px}] for the visible ones whose content is
# wider than the box by more than a pixel.
CLIPPED_JS = """() => {
  const CANDIDATES = [
    ['button', 'button'], ['label', '[data-testid="stWidgetLabel"]'], ['select value', '[data-baseweb="select"]'],
    ['tab', '[data-baseweb="tab"]'], ['table header', 'th'], ['table cell', 'td'],
    ['maths', '.katex-display'], ['maths', '.katex'], ['code', 'pre'], ['metric', '[data-testid="stMetric"]'],
    ['heading', 'h1, h2, h3, h4'], ['caption', '[data-testid="stCaptionContainer"]'],
    ['expander', '[data-testid="stExpander"] summary'], ['popover', '[data-testid="stPopoverButton"]'],
    ['nav', '[data-testid="stSidebarNav"] a'], ['radio', '[data-testid="stRadio"] label'],
  ];
  const shown = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 2 && r.height > 2 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const cuts = el => {
    const s = getComputedStyle(el);
    return s.textOverflow === 'ellipsis' || ['hidden', 'clip', 'auto', 'scroll'].includes(s.overflowX);
  };
  const out = [], seen = new Set();
  for (const [what, selector] of CANDIDATES) {
    for (const root of document.querySelectorAll(selector)) {
      if (!shown(root) || root.closest('[data-testid="stSidebar"][aria-expanded="false"]')) continue;
      for (const el of [root, ...root.querySelectorAll('*')]) {
        if (seen.has(el) || !shown(el) || !cuts(el) || el.closest('.katex-mathml')) continue;  // MathML: for screen readers
        if (el.scrollWidth <= el.clientWidth + 1) continue;
        const text = (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ');
        if (!text) continue;
        seen.add(el);
        out.push({what, text: text.slice(0, 80), scroll_px: el.scrollWidth, client_px: el.clientWidth});
      }
    }
  }
  return out;
}"""


# Any shown text, whatever element holds it (a toggle's label, text in a flex row, a caption): each text
# node's laid-out boxes (a Range) against every ancestor that cuts its overflow sideways (hidden, clip,
# auto, scroll) and against the window's right edge. What CLIPPED_JS's list of elements misses: text
# that overflows a box without that box being the one that cuts it (a flex item that does not shrink
# inside a column that hides its overflow). SVG (Plotly draws and clips its own text), MathML and
# collapsed sidebars are left out; a cutting box of at most 2 px is screen-reader text.
TEXT_CUT_JS = r"""() => {
  // Every piece of shown text, as laid out (a Range over each text node), against every box around it
  // that cuts what overflows it (overflow hidden, clip, auto or scroll) and against the window's right edge.
  const root = document.querySelector('[data-testid="stApp"]') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const out = [];
  const seen = new Set();
  const cutters = new Map();
  const cutBoxes = (el) => {
    if (cutters.has(el)) return cutters.get(el);
    const boxes = [];
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (['hidden', 'clip', 'auto', 'scroll'].includes(s.overflowX)) boxes.push(a);
    }
    cutters.set(el, boxes);
    return boxes;
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || seen.has(el)) continue;
    if (el.closest('svg, .katex-mathml, script, style, [data-testid="stSidebar"][aria-expanded="false"], [aria-hidden="true"]')) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const side = el.closest('[data-testid="stSidebar"]');
    if (side && side.getBoundingClientRect().right <= 1) continue;  // a sidebar slid out of the screen
    const range = document.createRange();
    range.selectNodeContents(node);
    let right = -Infinity, left = Infinity;
    for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) { right = Math.max(right, r.right); left = Math.min(left, r.left); }
    if (right === -Infinity) continue;
    let limit = window.innerWidth, by = 'window';
    for (const box of cutBoxes(el)) {
      const b = box.getBoundingClientRect();
      if (b.width <= 2 || b.height <= 2) { limit = -Infinity; break; }  // screen-reader text
      const edge = b.left + box.clientLeft + box.clientWidth;
      if (edge < limit) { limit = edge; by = box.getAttribute('data-testid') || box.tagName.toLowerCase(); }
    }
    if (limit === -Infinity || right <= limit + 1) continue;
    seen.add(el);
    out.push({ what: `text cut by ${by}`, text: text.replace(/\s+/g, ' ').slice(0, 80), scroll_px: Math.round(right - left), client_px: Math.round(limit - left) });
  }
  return out;
}"""


# The bottom of the page's content in px from the top of the page (the main block's last element):
# what must stay within the screen's height for a projector screen to need no scrolling.
CONTENT_BOTTOM_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  let bottom = 0;
  for (const el of block.querySelectorAll('[data-testid="stElementContainer"], [data-testid="stVerticalBlockBorderWrapper"]')) {
    const r = el.getBoundingClientRect();
    if (r.height > 0) bottom = Math.max(bottom, r.bottom);
  }
  return bottom + (main ? main.scrollTop : 0) + (document.scrollingElement ? document.scrollingElement.scrollTop : 0);
}"""


def content_bottom(page) -> float:
    return page.evaluate(CONTENT_BOTTOM_JS)


def url_of(server: str, path: str, query: str, lang: str, presenter: bool) -> str:
    params = "&".join(p for p in (query, f"lang={lang}", "presenter=1" if presenter else "") if p)
    return f"{server}/{path}?{params}"


# Resolves once the page has nothing left to lay out: its fonts loaded, every image complete (KaTeX's
# fonts and the figures change the width of what is measured), then two animation frames (a layout
# and a paint after the last change). A state the page reaches, not a guess at how long it takes.
SETTLED_JS = """async () => {
  await document.fonts.ready;
  const pending = [...document.images].filter(i => !i.complete && i.loading !== 'lazy');  // a lazy one off screen never loads
  await Promise.all(pending.map(i => new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def settle(page) -> None:
    """Wait until fonts and images have loaded and the page has been laid out with them (SETTLED_JS)."""
    page.evaluate(SETTLED_JS)


def clipped_on(page) -> list[dict]:
    """Clipped text by both probes (CLIPPED_JS's elements, TEXT_CUT_JS's text nodes), each text once."""
    hits = page.evaluate(CLIPPED_JS)
    texts = {h["text"] for h in hits}
    return hits + [h for h in page.evaluate(TEXT_CUT_JS) if not any(h["text"] in t or t in h["text"] for t in texts)]


def sweep(page, server: str, lang: str, presenter: bool, height: int, more: Callable[[Any], list[dict]] | None = None) -> dict[str, list]:
    """What a lecture would see cut, per view: every lesson step (in presenter mode every sub-step, walked
    with the Next button as a presenter does: a rerun, not a page load), then every page by its link.
    Per view: clipped texts (clipped_on), an exception, a presenter sub-step taller than `height`, and
    what `more(page)` finds (the French sweeps: numbers written the English way, harness/numbers.py).
    {view: [findings]}."""
    from harness.browser import EXCEPTION, wait_for_app

    found: dict[str, list] = {}
    heading = page.locator('[data-testid="stMain"] h2').first

    def check(where: str) -> None:
        settle(page)  # fonts, KaTeX and images
        hits = clipped_on(page)
        if page.locator(EXCEPTION).count():
            hits.append({"what": "exception", "text": page.locator(EXCEPTION).first.inner_text()[:200], "scroll_px": 0, "client_px": 0})
        if more is not None:
            hits += more(page)
        if presenter and where.startswith("/lesson") and content_bottom(page) > height:  # a sub-step is one screen
            hits.append({"what": "screen", "text": f"{content_bottom(page):.0f} px tall", "scroll_px": 0, "client_px": height})
        if hits:
            found[where] = hits

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
    return found


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from harness.browser import EXCEPTION, launch_chromium, streamlit_server, wait_for_app

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lang", choices=["en", "fr"], default="fr")
    p.add_argument("--presenter", action="store_true")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--only", default="", help="sweep only the views whose path contains this")
    p.add_argument("--server", default="", help="an already running dashboard (default: start one)")
    args = p.parse_args(argv)
    found = 0

    def sweep(server: str) -> None:
        nonlocal found
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            context = browser.new_context(viewport={"width": args.width, "height": args.height})
            page = context.new_page()
            page.set_default_timeout(60_000)
            for path, query in views(args.presenter):
                if args.only and args.only not in f"{path}?{query}":
                    continue
                page.goto(url_of(server, path, query, args.lang, args.presenter))
                wait_for_app(page)
                settle(page)  # fonts, KaTeX and images
                errors = page.locator(EXCEPTION).count()
                hits = clipped_on(page)
                tall = path == "lesson" and args.presenter and content_bottom(page) > args.height
                found += len(hits) + errors + tall
                extra = (f", {errors} EXCEPTIONS" if errors else "") + (f", {content_bottom(page):.0f} px tall" if tall else "")
                print(f"/{path}?{query}: {len(hits)} clipped{extra}", flush=True)
                for h in hits:
                    print(f"    {h['what']}: {h['text']!r} ({h['scroll_px']} > {h['client_px']} px)", flush=True)
            browser.close()

    if args.server:
        sweep(args.server)
    else:
        with streamlit_server() as (server, _):
            sweep(server)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
