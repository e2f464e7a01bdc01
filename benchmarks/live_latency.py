"""Live decoding in the browser (ui/components/live.py), measured in headless Chromium against the dashboard
on 127.0.0.1, per model:

(a) runtime ready: from navigation start (a fresh browser context: cold HTTP cache) until the
    in-browser decoder is ready (the model's decoder net loaded by the browser engine), and
    from the moment the page's script run has finished;
(b) slider drag: a 2-second mouse drag of the most informative latent slider (moves sent back to
    back, faster than a 60 Hz mouse, back and forth across the track): pictures the browser decoded and drew per second, the
    decode time of each, and the websocket frames the browser sent during the drag (the server
    hears only the release);
(c) map hover: a 2-second sweep of the pointer over the map (moves sent back to back, each to a
    random spot near the last, as a hand moves), per model and projection: pictures decoded and drawn per
    second, pointer event → picture drawn, and websocket frames sent during the sweep;
(d) the reference in the same run: the server path, a keyboard change of a slider (End/Home) until
    the server's new picture has loaded, as benchmarks/browser_latency.py (c) measures it; and
    with WebAssembly removed from the page, how many pictures a drag shows before the release.

    python benchmarks/live_latency.py [--models mnist-z2 mnist-z16 celeba-z64] [--drag-s 2] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from harness.browser import (
    arm_new_image,
    launch_chromium,
    new_page,
    print_report,
    streamlit_server,
    summary,
    wait_for_app,
    wait_new_image,
)

REPO = Path(__file__).resolve().parent.parent
TRACK = '[class*="st-key-sl_z_"] [role="group"] > div'
SLIDER = '[class*="st-key-sl_z_"] input[type="range"]'
DECODED = ".st-key-sl_decoded img"


def open_sliders(browser, url: str, model: str, no_wasm: bool = False):
    dataset = json.loads((REPO / "models" / model / "config.json").read_text())["dataset"]
    page = new_page(browser)
    if no_wasm:
        page.context.add_init_script("delete window.WebAssembly")
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
    page.goto(f"{url}/latent_sliders?dataset={dataset}&model={model}")
    wait_for_app(page, 120_000)
    run_done = page.evaluate("() => performance.now()")
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=120_000, polling=10)
    ready = page.evaluate("() => performance.now()")
    return (
        page,
        sent,
        {"ready_ms": ready, "after_run_ms": max(0.0, ready - run_done), "status": page.evaluate("() => window.__vaeLive.status")},
    )


def drag(page, sent: list[float], seconds: float) -> dict:
    track = page.locator(TRACK).first.bounding_box()
    y = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + track["width"] / 2, y)
    page.mouse.down()
    frames0 = page.evaluate("() => window.__vaeLive.frames")
    page.evaluate("() => { window.__vaeLive.decodeMs.length = 0 }")
    sent.clear()
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < seconds:
        phase = (time.perf_counter() - t0) / seconds
        page.mouse.move(track["x"] + track["width"] * (0.1 + 0.8 * abs(2 * ((2 * phase) % 1) - 1)), y)
        i += 1  # moves back to back, as fast as Playwright sends them (faster than a 60 Hz mouse)
    elapsed = time.perf_counter() - t0
    frames = page.evaluate("() => window.__vaeLive.frames") - frames0
    decode_ms = page.evaluate("() => window.__vaeLive.decodeMs.slice()")
    during = len(sent)
    page.mouse.up()
    wait_for_app(page, 120_000)
    return {
        "moves": i,
        "seconds": elapsed,
        "pictures": frames,
        "fps": frames / elapsed,
        "decode_ms": summary(decode_ms),
        "sent_during": during,
    }


def hover_sweep(browser, url: str, model: str, projection: str, seconds: float, seed: int) -> dict:
    import random

    from harness.browser import map_box

    dataset = json.loads((REPO / "models" / model / "config.json").read_text())["dataset"]
    page = new_page(browser)
    sent: list[float] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.perf_counter())))
    page.goto(f"{url}/latent_map?dataset={dataset}&model={model}&projection={projection}")
    wait_for_app(page, 120_000)
    box = map_box(page, 120_000)
    page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=120_000, polling=10)
    if page.evaluate("() => window.__vaeLive.status") != "ready":
        page.context.close()
        return {"error": page.evaluate("() => window.__vaeLive.error")}
    rng = random.Random(seed)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    frames0 = page.evaluate("() => { window.__vaeLive.hoverMs = []; return window.__vaeLive.frames }")
    sent.clear()
    t0 = time.perf_counter()
    moves = 0
    while time.perf_counter() - t0 < seconds:
        x = min(box["x"] + box["width"] - 2, max(box["x"] + 2, x + rng.uniform(-25, 25)))
        y = min(box["y"] + box["height"] - 2, max(box["y"] + 2, y + rng.uniform(-25, 25)))
        page.mouse.move(x, y)
        moves += 1  # back to back, as fast as Playwright sends them
    elapsed = time.perf_counter() - t0
    page.wait_for_timeout(100)
    frames = page.evaluate("() => window.__vaeLive.frames") - frames0
    hover_ms = page.evaluate("() => window.__vaeLive.hoverMs.slice()")
    decode_ms = page.evaluate("() => window.__vaeLive.decodeMs.slice(-200)")
    page.context.close()
    return {
        "moves": moves,
        "seconds": elapsed,
        "pictures": frames,
        "fps": frames / elapsed,
        "hover_ms": summary(hover_ms),
        "decode_ms": summary(decode_ms),
        "sent_during": len(sent),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def crowd(browser, url: str, pid: int, sessions: int, seconds: float) -> dict:
    """`sessions` pages on the mnist-z16 PCA map, all hovering in turn for `seconds`: the server's
    CPU meanwhile, against the same server idle for as long (the reference)."""
    import random

    from harness.browser import map_box

    pages, boxes = [], []
    for _ in range(sessions):  # one at a time: 30 pages loading at once starve this machine's browsers
        page = new_page(browser)
        page.goto(f"{url}/latent_map?dataset=mnist&model=mnist-z16&projection=pca")
        wait_for_app(page, 180_000)
        boxes.append(map_box(page, 180_000))
        page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=180_000)
        pages.append(page)
    ready = sum(page.evaluate("() => window.__vaeLive.status") == "ready" for page in pages)
    time.sleep(2)
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    idle = (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)
    rng = random.Random(0)
    frames0 = sum(page.evaluate("() => window.__vaeLive.frames") for page in pages)
    c0, t0 = cpu_seconds(pid), time.perf_counter()
    moves = 0
    while time.perf_counter() - t0 < seconds:
        for page, box in zip(pages, boxes):
            page.mouse.move(box["x"] + rng.uniform(2, box["width"] - 2), box["y"] + rng.uniform(2, box["height"] - 2))
            moves += 1
    busy = (cpu_seconds(pid) - c0) / (time.perf_counter() - t0)
    frames = sum(page.evaluate("() => window.__vaeLive.frames") for page in pages) - frames0
    for page in pages:
        page.context.close()
    return {"sessions": sessions, "ready": ready, "moves": moves, "pictures": frames, "server_cpu_hovering": busy, "server_cpu_idle": idle}


def server_changes(page, n: int) -> dict:
    samples = []
    slider = page.locator(SLIDER).first
    for i in range(n):
        arm_new_image(page, DECODED)
        slider.focus()
        page.keyboard.press("End" if i % 2 == 0 else "Home")
        ms, _ = wait_new_image(page, 30_000)
        samples.append(ms)
        wait_for_app(page, 60_000)
    return summary(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=["mnist-z2", "mnist-z16", "celeba-z64"])
    parser.add_argument("--drag-s", type=float, default=2.0, help="seconds of dragging (and of hovering) per model (default 2)")
    parser.add_argument(
        "--maps", nargs="*", default=["mnist-z2:raw", "mnist-z16:pca", "mnist-z16:tsne", "celeba-z64:pca"], help="model:projection to hover"
    )
    parser.add_argument("--server-changes", type=int, default=10, help="keyboard slider changes for the server reference (default 10)")
    parser.add_argument("--crowd", type=int, default=0, help="also: this many sessions hovering the map at once (server CPU)")
    parser.add_argument("--out", type=Path, help="also write every figure here (JSON)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict = {"machine": {"cpus": os.cpu_count(), "load_start": [round(x, 2) for x in os.getloadavg()]}, "models": {}}
    with sync_playwright() as p, streamlit_server(timeout=120) as (url, proc):
        browser = launch_chromium(p)
        try:
            for model in args.models:
                page, sent, ready = open_sliders(browser, url, model)
                r = {"ready": ready}
                if ready["status"] == "ready":
                    r["drag"] = drag(page, sent, args.drag_s)
                r["server_change_ms"] = server_changes(page, args.server_changes)
                page.context.close()
                page, sent, _ = open_sliders(browser, url, model, no_wasm=True)
                r["no_wasm_drag"] = drag_without_runtime(page, sent, args.drag_s)
                page.context.close()
                results["models"][model] = r
                print(f"{model}: done", flush=True)
            results["hover"] = {}
            for i, spec in enumerate(args.maps):
                model, projection = spec.split(":")
                results["hover"][spec] = hover_sweep(browser, url, model, projection, args.drag_s, i)
                print(f"{spec}: hovered", flush=True)
            if args.crowd:
                results["crowd"] = crowd(browser, url, proc.pid, args.crowd, 10.0)
        finally:
            browser.close()
    results["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    rows = []
    for model, r in results["models"].items():
        rows.append(
            (
                f"{model}: runtime ready after navigation start",
                f"{r['ready']['ready_ms']:,.0f} ms ({r['ready']['after_run_ms']:,.0f} ms after the script run ended)",
            )
        )
        if "drag" in r:
            d = r["drag"]
            rows.append(
                (
                    f"{model}: drag, pictures drawn per second",
                    f"{d['fps']:.0f} ({d['pictures']} in {d['seconds']:.1f} s, {d['moves']} mouse moves)",
                )
            )
            rows.append(
                (
                    f"{model}: decode in the browser p50 / p95",
                    f"{d['decode_ms'].get('p50', float('nan')):.1f} / {d['decode_ms'].get('p95', float('nan')):.1f} ms",
                )
            )
            rows.append((f"{model}: websocket frames sent during the drag", f"{d['sent_during']}"))
        s = r["server_change_ms"]
        rows.append(
            (f"{model}: reference, server path: slider key → picture p50 / p95", f"{s['p50']:.0f} / {s['p95']:.0f} ms (n = {s['n']})")
        )
        rows.append((f"{model}: reference, no WebAssembly: pictures during a drag", f"{r['no_wasm_drag']['pictures_during']}"))
    for spec, h in results.get("hover", {}).items():
        if "error" in h:
            rows.append((f"{spec}: hover", f"no live decoding: {h['error']}"))
            continue
        rows.append(
            (
                f"{spec}: hover sweep, pictures drawn per second",
                f"{h['fps']:.0f} ({h['pictures']} in {h['seconds']:.1f} s, {h['moves']} pointer moves)",
            )
        )
        rows.append((f"{spec}: pointer event → picture drawn p50 / p95", f"{h['hover_ms']['p50']:.1f} / {h['hover_ms']['p95']:.1f} ms"))
        rows.append((f"{spec}: websocket frames sent while hovering", f"{h['sent_during']}"))
    if "crowd" in results:
        c = results["crowd"]
        rows.append(
            (
                f"{c['sessions']} sessions hovering the map at once ({c['ready']} live)",
                f"server CPU {100 * c['server_cpu_hovering']:.1f} % of one core ({c['moves']} pointer moves, "
                f"{c['pictures']} pictures drawn in the browsers); idle server {100 * c['server_cpu_idle']:.1f} %",
            )
        )
    print_report(rows, results["machine"])
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


def drag_without_runtime(page, sent: list[float], seconds: float) -> dict:
    """The same drag where the page has no runtime: the server's picture changes only after the release."""
    track = page.locator(TRACK).first.bounding_box()
    y = track["y"] + track["height"] / 2
    before = page.evaluate("s => document.querySelector(s).src", DECODED)
    page.mouse.move(track["x"] + track["width"] / 2, y)
    page.mouse.down()
    changes = 0
    t0 = time.perf_counter()
    last = before
    while time.perf_counter() - t0 < seconds:
        page.mouse.move(track["x"] + track["width"] * (0.1 + 0.8 * ((time.perf_counter() - t0) / seconds)), y)
        page.wait_for_timeout(16)
        src = page.evaluate("s => document.querySelector(s).src", DECODED)
        changes += src != last
        last = src
    page.mouse.up()
    wait_for_app(page, 120_000)
    return {"pictures_during": changes, "sent_during": len(sent)}


if __name__ == "__main__":
    raise SystemExit(main())
