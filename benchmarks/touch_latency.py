"""Touch on the browser map and on the sliders, measured in headless Chromium as a phone (390×844,
is_mobile, has_touch, device scale 2) against the dashboard on 127.0.0.1: a one-finger drag (real
touch events through the DevTools protocol, Input.dispatchTouchEvent, sent back to back for
`--drag-s` seconds) back and forth across a map, per model and projection, and along a slider's
track from its thumb, per page and slider (`--sliders`: a latent slider, a face attribute's, the
interpolation scrubber):

- pictures decoded and drawn per second while the finger moves, timed inside the page: the page
  notes performance.now() and window.__vaeLive.frames at each touch pointermove, and the figure is
  the frames drawn between the first and the last move over the time between them;
- touch moves per second the page received, pointer event → picture drawn (p50 / p95, the map's
  hover only), and the websocket frames sent during the drag (0: a drag costs the server nothing).

The issue's target: ≥ 30 pictures per second while the finger moves.

    python benchmarks/touch_latency.py [--maps mnist-z16:pca mnist-z2:raw] [--sliders latent face scrubber]
        [--drag-s 2] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

from harness.browser import launch_chromium, map_box, new_page, print_report, streamlit_server, summary, wait_for_app

# Installed before any page script: each touch pointermove's time and the pictures drawn by then.
MOVE_CLOCK = """
window.__vaeTouch = [];
addEventListener('pointermove', (e) => {
  if (e.pointerType === 'touch') window.__vaeTouch.push([performance.now(), window.__vaeLive ? window.__vaeLive.frames : 0]);
}, true);
"""


def drag_figures(marks: list, moves: int, sent_during: int, hover_ms: list) -> dict:
    """One drag's figures from the page's marks [(performance.now() of a touch move, pictures drawn so far)]."""
    (t_first, f_first), (t_last, f_last) = marks[0], marks[-1]
    span_s = (t_last - t_first) / 1000
    return {
        "moves_sent": moves,
        "moves_received": len(marks),
        "span_s": span_s,
        "frames": f_last - f_first,
        "fps": (f_last - f_first) / span_s if span_s > 0 else 0.0,
        "moves_per_s": (len(marks) - 1) / span_s if span_s > 0 else 0.0,
        "hover_ms": summary(hover_ms),
        "sent_during": sent_during,
    }


def touch_drag(browser, url: str, model: str, projection: str, seconds: float) -> dict:
    page = new_page(browser, 390, 844, mobile=True, touch=True, scale=2)
    page.context.add_init_script(MOVE_CLOCK)
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
    page.goto(f"{url}/latent_map?dataset=mnist&model={model}&projection={projection}")
    wait_for_app(page, 120_000)
    map_box(page, 120_000)
    page.evaluate("() => window.__vaeMap.plot.scrollIntoView({block: 'center'})")
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=120_000)
    if page.evaluate("() => window.__vaeLive.status") != "ready":
        page.context.close()
        return {"error": "no live decoding"}
    box = map_box(page)
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, *points: tuple[float, float]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

    y = box["y"] + box["height"] / 2
    at = lambda phase: box["x"] + box["width"] * (0.1 + 0.8 * abs(2 * ((2 * phase) % 1) - 1))  # noqa: E731
    page.evaluate("() => { window.__vaeTouch.length = 0; window.__vaeLive.hoverMs = []; }")
    sent.clear()
    touch("touchStart", (at(0), y))
    t0 = time.perf_counter()
    moves = 0
    while time.perf_counter() - t0 < seconds:
        touch("touchMove", (at((time.perf_counter() - t0) / seconds), y))
        moves += 1
    touch("touchEnd")
    sent_during = len(sent)
    marks = page.evaluate("() => window.__vaeTouch.slice()")
    hover_ms = page.evaluate("() => window.__vaeLive.hoverMs.slice()")
    page.context.close()
    return drag_figures(marks, moves, sent_during, hover_ms)


# The sliders dragged with --sliders: page URL and the slider's key ("sl_z_": the first latent slider).
SLIDERS = {
    "latent": ("/latent_sliders?dataset=mnist&model=mnist-z16", "sl_z_"),
    "face": ("/face_editor?dataset=celeba&model=celeba-z64&fe_attrs=Smiling&fe_source=test&fe_index=3", "fe_amt_Smiling"),
    "scrubber": ("/interpolation?dataset=mnist&model=mnist-z16&ip_a_index=2&ip_b_index=5", "ip_t"),
}


def touch_slider(browser, url: str, name: str, seconds: float) -> dict:
    """A finger put on a slider's thumb and moved along its track, back and forth, for `seconds`."""
    path, key = SLIDERS[name]
    page = new_page(browser, 390, 844, mobile=True, touch=True, scale=2)
    page.context.add_init_script(MOVE_CLOCK)
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
    page.goto(url + path)
    wait_for_app(page, 120_000)
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=120_000)
    if page.evaluate("() => window.__vaeLive.status") != "ready":
        page.context.close()
        return {"error": "no live decoding"}
    holder = page.locator(f'[class*="st-key-{key}"]').first
    holder.scroll_into_view_if_needed()
    track = holder.locator('[role="group"] > div').first.bounding_box()
    thumb = holder.locator('[data-testid="stSliderThumbValue"]').first.locator("..").bounding_box()  # the thumb
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, *points: tuple[float, float]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

    x0, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    span = track["width"] * 0.4  # the finger swings ±40 % of the track about the thumb's start, clamped to the track
    left, right = track["x"] + 2, track["x"] + track["width"] - 2
    at = lambda s: min(right, max(left, x0 + span * math.sin(2 * math.pi * s)))  # noqa: E731
    page.evaluate("() => { window.__vaeTouch.length = 0; }")
    sent.clear()
    touch("touchStart", (x0, y))
    t0 = time.perf_counter()
    moves = 0
    while time.perf_counter() - t0 < seconds:
        touch("touchMove", (at((time.perf_counter() - t0) / seconds), y))
        moves += 1
    sent_during = len(sent)
    touch("touchEnd")
    marks = page.evaluate("() => window.__vaeTouch.slice()")
    page.context.close()
    return drag_figures(marks, moves, sent_during, [])


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maps", nargs="*", default=["mnist-z16:pca"], help="model:projection to drag a finger over")
    parser.add_argument("--sliders", nargs="*", default=list(SLIDERS), choices=list(SLIDERS), help="sliders to drag a finger along")
    parser.add_argument("--drag-s", type=float, default=2.0, help="seconds of dragging per map (default 2)")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    machine = {"cpus": os.cpu_count(), "load_start": f"{os.getloadavg()[0]:.2f}"}
    results = {}
    with streamlit_server() as (url, _), sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            for spec in args.maps:
                model, projection = spec.split(":")
                results[spec] = touch_drag(browser, url, model, projection, args.drag_s)
            for name in args.sliders:
                results[f"{name} slider"] = touch_slider(browser, url, name, args.drag_s)
        finally:
            browser.close()
    machine["load_end"] = f"{os.getloadavg()[0]:.2f}"
    rows = []
    for spec, r in results.items():
        if "error" in r:
            rows.append((f"{spec}: one-finger drag", r["error"]))
            continue
        rows.append((f"{spec}: one-finger drag, pictures drawn per second", f"{r['fps']:.1f} ({r['frames']} in {r['span_s']:.2f} s)"))
        rows.append(
            (f"{spec}: touch moves received per second", f"{r['moves_per_s']:.1f} ({r['moves_received']} of {r['moves_sent']} sent)")
        )
        if r["hover_ms"]["n"]:
            rows.append((f"{spec}: touch event → picture drawn p50 / p95", f"{r['hover_ms']['p50']:.1f} / {r['hover_ms']['p95']:.1f} ms"))
        rows.append((f"{spec}: websocket frames sent during the drag", f"{r['sent_during']}"))
    print_report(rows, machine, head="Touch on the browser map and sliders (390×844 phone, headless Chromium)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"results": results, "machine": machine}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
