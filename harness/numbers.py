"""Numbers written the English way on a French screen, found in a real browser: every shown text of the
page (HTML text, the figures' SVG text: ticks, legends, annotations, hover-free labels; slider values)
is read, and each decimal number written with a point ("1.50", "0.6") is reported. Code blocks (Python
is written with points in every language), model names ("mnist-z16-beta0.5") and version strings are not
numbers a reader reads as such and are left out.

    python -m harness.numbers [--presenter] [--only kl_vs_recon]

prints what it finds on every view of harness/clipping.py (used by tests/browser/test_browser_numbers.py);
exit status 1 when something is found.
"""

from __future__ import annotations

import argparse
import re
import sys

# The shown texts of the page: each text node that is laid out and visible (not in code, not in the
# MathML copy of a formula, not in a collapsed sidebar), and each SVG <text> of a figure.
SHOWN_TEXTS_JS = r"""() => {
  const out = [];
  const root = document.querySelector('[data-testid="stApp"]') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim(), el = node.parentElement;
    if (!text || !el) continue;
    if (el.closest('pre, code, .katex-mathml, script, style, [data-testid="stSidebar"][aria-expanded="false"]')) continue;
    if (el.closest('svg') && !el.closest('.js-plotly-plot')) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    out.push(text);
  }
  return out;
}"""

# A decimal number written with a point: digits, a point, digits, not inside a word or a name
# (beta0.5, v1.2, celeba-z64) and not an IP address or a version with two points.
ENGLISH_DECIMAL = re.compile(r"(?<![\w.\-])[−\-+]?\d+\.\d+(?![\w.])")


SECTION_NUMBER = re.compile(r"^\d+(\.\d+)+ · ")  # "8.1 · Chargement des données": a heading's number, not a decimal


def english_numbers(texts: list[str]) -> list[str]:
    """The shown texts that hold a decimal number written with a point, each once."""
    found: list[str] = []
    for text in texts:
        if ENGLISH_DECIMAL.search(SECTION_NUMBER.sub("", text)) and text not in found:
            found.append(text[:100])
    return found


def english_numbers_on(page) -> list[str]:
    return english_numbers(page.evaluate(SHOWN_TEXTS_JS))


def english_number_findings(page) -> list[dict]:
    """english_numbers_on as harness.clipping.sweep's findings (its `more`)."""
    return [{"what": "English number", "text": text, "scroll_px": 0, "client_px": 0} for text in english_numbers_on(page)]


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, streamlit_server, wait_for_app
    from harness.clipping import settle, url_of, views

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presenter", action="store_true")
    p.add_argument("--only", default="", help="only the views whose path contains this")
    args = p.parse_args(argv)
    found = 0
    with streamlit_server() as (server, _), sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.set_default_timeout(60_000)
        for path, query in views(args.presenter):
            if args.only and args.only not in f"{path}?{query}":
                continue
            page.goto(url_of(server, path, query, "fr", args.presenter))
            wait_for_app(page)
            settle(page)
            hits = english_numbers_on(page)
            found += len(hits)
            print(f"/{path}?{query}: {len(hits)}", flush=True)
            for hit in hits:
                print(f"    {hit!r}", flush=True)
        browser.close()
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
