"""The student edition's figures (issue 25, item 4), per model: its weight (gzip, as a compressing static host
sends it: at load, and with what loads on demand: the encoder for Draw, the faces' sprite for Faces) beside its
budget (3 MB MNIST, 6 MB CelebA), the export's time, and with --browser, served by `python -m http.server` (no
gzip) to headless Chromium on this machine: the bytes transferred until the first picture, the first decoded
picture after navigation, and the pictures per second under a mouse moved back to back over the map for --drag-s
seconds, timed in the page (bounded by the moves Playwright delivers on a busy machine: decode_ms_p50, the
decode and draw of one picture, is the page's own limit). The issue's throttled
conditions (CPU 4× slower, 10 Mbit/s, 100 ms) and budgets are benchmarks/edition_budget.py's.

    python benchmarks/edition.py [--models mnist-z16 celeba-z64 ...] [--browser] [--drag-s 2] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from ui.components.edition import edition_size, export_edition
from ui.shell.resources import model_key, models_dir, ready_of


def browser_figures(folder: Path, drag_s: float) -> dict:
    """Bytes transferred, first picture (ms after navigation) and hover pictures per second, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, new_page, static_server

    with static_server(folder) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = new_page(browser, 1280, 900)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        received: list[float] = []
        cdp.on("Network.loadingFinished", lambda e: received.append(e["encodedDataLength"]))
        page.goto(url)
        page.wait_for_function(
            "() => window.__vaeLive && window.__vaeLive.firstPictureMs !== undefined && window.__vaeMap?.ready()", timeout=60_000
        )
        first_ms = page.evaluate("() => window.__vaeLive.firstPictureMs")
        transferred = sum(received)
        box = page.evaluate(
            "() => { const r = window.__vaeMap.plot.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height}; }"
        )
        start_frames, start = page.evaluate("() => [window.__vaeLive.frames, performance.now()]")
        t_end, i = time.monotonic() + drag_s, 0
        while time.monotonic() < t_end:
            i += 1
            x = box["x"] + box["width"] * (0.15 + 0.7 * ((i % 100) / 100 if (i // 100) % 2 == 0 else 1 - (i % 100) / 100))
            page.mouse.move(x, box["y"] + box["height"] * 0.5)
        end_frames, end = page.evaluate("() => [window.__vaeLive.frames, performance.now()]")
        hover_ms = sorted(page.evaluate("n => window.__vaeLive.decodeMs.slice(-n)", end_frames - start_frames))
        browser.close()
    return {
        "transferred_MB": round(transferred / 1e6, 2),
        "first_picture_ms": round(first_ms),
        "hover_pictures_per_s": round((end_frames - start_frames) / ((end - start) / 1000), 1),
        "moves": i,
        "decode_ms_p50": round(hover_ms[len(hover_ms) // 2], 1) if hover_ms else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=None, help="default: every model in models/")
    parser.add_argument("--browser", action="store_true", help="also time the first picture and the hover in Chromium")
    parser.add_argument("--drag-s", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    names = args.models or sorted(p.name for p in models_dir().iterdir() if (p / "atlas.safetensors").exists())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            t0 = time.perf_counter()
            folder = export_edition(name, Path(tmp) / name, "en").parent
            export_s = time.perf_counter() - t0
            dataset = ready_of(model_key(name)).model.config.dataset
            size = edition_size(folder, dataset)
            row = {
                "model": name,
                "at_load_MB": round(size.at_load_gzip_bytes / 1e6, 2),
                "visit_MB": round(size.visit_gzip_bytes / 1e6, 2),
                "all_MB": round(size.gzip_bytes / 1e6, 2),
                "budget_MB": size.budget_bytes / 1e6,
                "within": size.within_budget,
                "export_s": round(export_s, 1),
            }
            if args.browser:
                row |= browser_figures(folder, args.drag_s)
            rows.append(row)
            print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (1 min) at the end")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    return 0 if all(r["within"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
