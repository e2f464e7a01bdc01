"""A click on the latent map until its details panel is on screen, timed inside the page, with a bare
Streamlit round trip measured in the same run as the reference.

(a) the reference: a bare Streamlit app (a button and a counter, nothing else), from the pointer
    going down on the button to the frame that shows the new count;
(b) the map: clicks at random spots of the browser-drawn map (uniform over its plotting area: a test
    point or empty space, wherever the spot falls; a spot that the legend or the hover inset covers
    is drawn again), from the pointer going down (performance.now in a capture-phase listener) to the
    first animation frame at which the server's run for the click has finished and every picture of the
    details panel (`.st-key-map_details`: original, reconstruction, neighbours, or the decoded location)
    has loaded.

    python -m benchmarks.map_click [--model mnist-z16] [--projection pca] [--clicks 40] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from harness.browser import (
    _start,
    _stop,
    _wait_healthy,
    launch_chromium,
    map_box,
    map_spot,
    new_page,
    print_report,
    streamlit_server,
    summary,
    wait_for_app,
)

PANEL = ".st-key-map_details"
# performance.now() of the last pointerdown, and of the websocket's traffic after it: the first frame sent (the
# click's message), the first message received and the last one received.
POINTER_CLOCK = """
window.__clickDown = null; window.__wire = {};
addEventListener('pointerdown', () => { window.__clickDown = performance.now(); window.__wire = {}; }, true);
addEventListener('pointerup', () => { window.__wire.up = performance.now(); }, true);
(() => {
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { const w = window.__wire; if (w.sent) { w.first = w.first || performance.now(); w.last = performance.now(); } });
    }
    send(data) { const w = window.__wire; if (window.__clickDown !== null && !w.sent) w.sent = performance.now(); return super.send(data); }
  };
})();
"""

# Resolves with ms from the last pointerdown to the first animation frame at which `ready()` holds
# (polled on every frame), or null after `limit` ms.
_UNTIL_FRAME = """([ready, limit]) => new Promise(resolve => {
  const test = new Function('return (' + ready + ')()');
  const start = performance.now();
  const frame = (now) => {
    if (test()) return resolve(now - window.__clickDown);
    if (performance.now() - start > limit) return resolve(null);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})"""

# The details panel shows the click: the server finished a run after it, and every picture in the
# panel is a new one that has loaded.
_PANEL_READY = """() => {
  if (window.__vaeRuns <= window.__runsBefore) return false;
  const imgs = [...document.querySelectorAll('PANEL img')];
  if (!imgs.length || imgs[0].src === window.__panelBefore) return false;
  return imgs.every(i => i.complete && i.naturalWidth > 0);
}""".replace("PANEL", PANEL)

BARE_APP = textwrap.dedent(
    """
    import streamlit as st
    st.session_state.setdefault("n", 0)
    if st.button("go", key="go"):
        st.session_state["n"] += 1
    st.markdown(f"count {st.session_state['n']}")
    """
)


def bare_round_trips(browser, n: int) -> list[float]:
    """(a): pointer down on a bare Streamlit button → the frame showing the new count, n times."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bare.py"
        script.write_text(BARE_APP)
        url, proc = _start_script(script)
        try:
            page = new_page(browser)
            page.context.add_init_script(POINTER_CLOCK)
            page.goto(url)
            wait_for_app(page)
            times = []
            for i in range(1, n + 1):
                ready = f"() => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"] p')].some(p => p.textContent === 'count {i}')"
                page.locator(".st-key-go button").click()
                ms = page.evaluate(_UNTIL_FRAME, [ready, 10_000])
                if ms is not None:
                    times.append(ms)
                wait_for_app(page)
            page.context.close()
            return times
        finally:
            _stop([proc])


def _start_script(script: Path):
    """A Streamlit server running `script` alone."""
    url, proc = _start(None, warm_up=False, script=script)
    _wait_healthy(url, proc, deadline=time.time() + 60)
    return url, proc


def map_clicks(browser, url: str, model: str, projection: str, n: int, rng: random.Random) -> dict:
    """(b): n clicks at random spots of the map → ms until the details panel shows each; and the spots' kinds."""
    dataset = "celeba" if model.startswith("celeba") else "mnist"
    page = new_page(browser, 1280, 900)
    page.context.add_init_script(POINTER_CLOCK)
    page.goto(f"{url}/latent_map?dataset={dataset}&model={model}&projection={projection}")
    wait_for_app(page, 120_000)
    map_box(page, 120_000)
    times, on_point, missed, phases = [], 0, 0, {}
    while len(times) + missed < n:
        spot = map_spot(page, rng.uniform(0.03, 0.97), rng.uniform(0.03, 0.97))
        if spot is None:
            continue
        page.evaluate(
            f"() => {{ window.__runsBefore = window.__vaeRuns; const i = document.querySelector('{PANEL} img'); window.__panelBefore = i ? i.src : null; }}"
        )
        page.mouse.click(*spot)
        ms = page.evaluate(_UNTIL_FRAME, [_PANEL_READY, 15_000])
        if ms is None:
            missed += 1
        else:
            times.append(ms)
            wire = page.evaluate(
                "() => { const w = window.__wire, d = window.__clickDown; return [w.up - d, window.__vaeMap.lastClick.at - d, w.sent - d, w.first - d, w.last - d]; }"
            )
            for name, value in zip(("up", "pinned", "sent", "first", "last"), wire):
                phases.setdefault(name, []).append(value)
            on_point += page.evaluate("() => window.__vaeMap.lastClick && window.__vaeMap.lastClick.index != null")
        wait_for_app(page)
        page.wait_for_timeout(rng.uniform(150, 400))  # a presenter's pause between clicks
    page.context.close()
    return {"times": times, "on_point": on_point, "missed": missed, "phases": {k: summary(v) for k, v in phases.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mnist-z16")
    parser.add_argument("--projection", default="pca")
    parser.add_argument("--clicks", type=int, default=40, help="map clicks per run (default 40)")
    parser.add_argument("--bare", type=int, default=20, help="bare Streamlit round trips per run (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="runs, each with its own reference (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not 1 <= args.clicks <= 1000 or not 1 <= args.runs <= 10:
        parser.error("--clicks must be 1..1000 and --runs 1..10")
    from playwright.sync_api import sync_playwright

    machine = {"cpus": os.cpu_count(), "load_start": [round(x, 2) for x in os.getloadavg()]}
    rows = []
    with sync_playwright() as p, streamlit_server(timeout=120) as (url, _):
        browser = launch_chromium(p)
        try:
            for run in range(1, args.runs + 1):
                bare = summary(bare_round_trips(browser, args.bare))
                clicks = map_clicks(browser, url, args.model, args.projection, args.clicks, random.Random(args.seed + run))
                c = summary(clicks["times"])
                rows.append(
                    (f"run {run}: bare Streamlit round trip p50 / p95", f"{bare['p50']:.0f} / {bare['p95']:.0f} ms (n = {bare['n']})")
                )
                rows.append(
                    (
                        f"run {run}: {args.model}:{args.projection} click → details panel p50 / p95",
                        f"{c['p50']:.0f} / {c['p95']:.0f} ms (n = {c['n']}, {clicks['on_point']} on a test point, {clicks['missed']} missed)",
                    )
                )
                ph = clicks["phases"]
                rows.append(
                    (
                        f"run {run}: pointer down → up / pinned / click sent / first answer / last answer (p50)",
                        " / ".join(f"{ph[k]['p50']:.0f}" for k in ("up", "pinned", "sent", "first", "last")) + " ms",
                    )
                )
                print(*rows[-3:], sep="\n", flush=True)
        finally:
            browser.close()
    machine["load_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(rows, machine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
