"""What a user waits for, measured in headless Chromium against a dashboard server on 127.0.0.1.

    python benchmarks/browser_latency.py [--clicks 60] [--sliders 30] [--out results.json]

(a) first render of the latent map on a fresh server: navigation start (page.goto, right after
    /_stcore/health answers) until the map's points are drawn (by the browser map, or a canvas in .js-plotly-plot);
    the same for a new session on the now warm server;
(b) map click -> decoded image: clicks alternate between empty spots and random spots of the
    mnist map (PCA); from the mouse press (after a 300 ms hover, which Plotly needs) until the
    first image's new src is in the DOM and loaded (complete, naturalWidth > 0);
(c) latent slider -> decoded image: a keyboard change of a slider (End/Home, cycling through the
    sliders) until the decoded image's src changes and the new image has loaded;
(d) resident memory (VmRSS of the server and its children) after opening every page with every
    model of the zoo that has an atlas (deep links ?dataset=..&model=..).

Times are measured in the page (performance.now()), so Playwright's round trips are not counted.
Run it on a quiet machine: the figures are only meaningful without training jobs in the background.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import sys
import time
from pathlib import Path

from harness.browser import (
    EXCEPTION,
    LOOPBACK_ONLY,
    arm_new_image,
    hover_then_click,
    launch_chromium,
    map_box,
    map_empty_spot,
    map_spot,
    new_page,
    print_report,
    rss_kib,
    streamlit_server,
    summary,
    wait_for_app,
    wait_new_image,
)

REPO = Path(__file__).resolve().parent.parent

# Set by an init script: performance.now() (ms since navigation start) when a canvas first appears in the plot.
CANVAS_CLOCK = """
window.__vaeCanvas = null;
new MutationObserver((_, observer) => {
  if (document.querySelector('.js-plotly-plot canvas')) { window.__vaeCanvas = performance.now(); observer.disconnect(); }
}).observe(document, {subtree: true, childList: true});
"""
SLIDERS = '[class*="st-key-sl_z_"] input[type="range"]'
STEP_TIMEOUT_MS = 30_000


class OutOfTime(Exception):
    pass


def zoo_models() -> list[tuple[str, str]]:
    """(dataset, name) of every model folder with an atlas that the zoo reports usable."""
    from vae.analysis.zoo import scan

    return [(e.dataset, e.name) for e in scan() if e.available and (e.path / "atlas.safetensors").exists()]


def page_stems() -> list[str]:
    from ui.app import PAGES

    return [Path(file).stem for file, _, _ in PAGES if (REPO / "pages" / file).exists()]


def first_map_render(browser, url: str, query: str) -> tuple[dict, object]:
    page = new_page(browser)
    page.context.add_init_script(CANVAS_CLOCK)
    t0 = time.perf_counter()
    page.goto(f"{url}/latent_map{query}")
    map_box(page, 120_000)
    canvas_ms = page.evaluate("() => (window.__vaeMap && window.__vaeMap.firstDrawnAt) || window.__vaeCanvas")
    wait_for_app(page, 120_000)
    result = {"points_drawn_ms": canvas_ms, "run_finished_s": time.perf_counter() - t0}
    if page.evaluate("() => !!window.__vaeMap"):  # the browser map: when its hover decoder is ready
        page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'", timeout=120_000, polling=10)
        result["decoder_ready_after_map_ms"] = page.evaluate("() => performance.now()") - canvas_ms
        result["decoder_status"] = page.evaluate("() => window.__vaeLive.status")
    return result, page


def map_clicks(page, n: int, rng: random.Random, deadline: float) -> dict:
    samples, failures = {"empty": [], "random": []}, []
    for i in range(n):
        if time.time() > deadline:
            raise OutOfTime
        kind = "empty" if i % 2 == 0 else "random"
        if kind == "empty":
            x, y = map_empty_spot(page, rng)
        else:
            spot = None
            while spot is None:  # skip spots the legend covers
                spot = map_spot(page, rng.uniform(0.02, 0.98), rng.uniform(0.02, 0.98))
            x, y = spot
        arm_new_image(page)
        hover_then_click(page, x, y)
        try:
            ms, _ = wait_new_image(page, STEP_TIMEOUT_MS)
            samples[kind].append(ms)
        except Exception as e:  # a click that showed no new image (e.g. it unselected the selected point)
            failures.append(f"click {i} ({kind}): {type(e).__name__}")
        wait_for_app(page, 120_000)
    return {
        "all_ms": summary(samples["empty"] + samples["random"]),
        "empty_ms": summary(samples["empty"]),
        "random_ms": summary(samples["random"]),
        "samples_ms": samples,
        "failures": failures,
    }


def slider_changes(browser, url: str, query: str, n: int, deadline: float) -> dict:
    page = new_page(browser)
    page.goto(f"{url}/latent_sliders{query}")
    wait_for_app(page, 120_000)
    sliders = page.locator(SLIDERS)
    count = sliders.count()
    if count == 0:
        return {"error": "no latent slider found (selector " + SLIDERS + ")"}
    samples, failures = [], []
    for i in range(n):
        if time.time() > deadline:
            raise OutOfTime
        slider = sliders.nth(i % count)
        slider.scroll_into_view_if_needed()
        key = "End" if float(slider.input_value()) < 1.0 else "Home"  # a big move: the image surely changes
        arm_new_image(page)
        slider.focus()
        page.keyboard.press(key)
        try:
            ms, _ = wait_new_image(page, STEP_TIMEOUT_MS)
            samples.append(ms)
        except Exception as e:
            failures.append(f"change {i}: {type(e).__name__}")
        wait_for_app(page, 120_000)
    page.context.close()
    return {"ms": summary(samples), "samples_ms": samples, "failures": failures, "sliders_used": count}


def last_error(log: str) -> str:
    """The last line of the last traceback in a server log tail ('' if none)."""
    lines = [line for line in log.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    if not starts:
        return ""
    tail = [line for line in lines[starts[-1] :] if line and not line.startswith(" ")]
    return tail[-1][:200] if tail else ""


def memory_tour(browser, url: str, proc, deadline: float) -> dict:
    page = new_page(browser)
    page.set_default_timeout(120_000)
    visits, errors = [], []
    t0 = time.perf_counter()
    for dataset, name in zoo_models():
        for stem in page_stems():
            if time.time() > deadline:
                raise OutOfTime
            page.goto(f"{url}/{'' if stem == 'home' else stem}?dataset={dataset}&model={name}")
            try:
                wait_for_app(page, 120_000)
                if page.locator(EXCEPTION).count():
                    errors.append(f"{stem} with {name}: {last_error(proc.output_tail()) or 'exception box'}")
            except Exception as e:
                errors.append(f"{stem} with {name}: {type(e).__name__}")
            visits.append(f"{stem}:{name}")
    page.context.close()
    return {
        "rss_mib": rss_kib(proc.pid) / 1024,
        "visits": len(visits),
        "models": len(zoo_models()),
        "pages": len(page_stems()),
        "seconds": time.perf_counter() - t0,
        "errors": errors,
    }


def fmt(value, unit: str, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f} {unit}"


def report(r: dict) -> None:
    rows = [("server start → /_stcore/health", fmt(r.get("server_start_s"), "s", 2))]
    if "first_map" in r:
        rows += [
            ("(a) first map render, fresh server: points drawn", fmt(r["first_map"]["points_drawn_ms"], "ms")),
            ("    ... script run finished", fmt(r["first_map"]["run_finished_s"], "s", 2)),
            ("    map render, warm server, new session", fmt(r.get("warm_map", {}).get("points_drawn_ms"), "ms")),
        ]
        if "decoder_ready_after_map_ms" in r["first_map"]:
            rows.append(("    hover decoder ready after the points (cold cache)", fmt(r["first_map"]["decoder_ready_after_map_ms"], "ms")))
    for label, key in (("(b) map click → image", "clicks"), ("(c) slider → image", "sliders")):
        part = r.get(key)
        if not part:
            continue
        s = part.get("all_ms") or part.get("ms") or {}
        if s.get("n"):
            rows.append((f"{label}  p50 / p95 / max", f"{s['p50']:,.0f} / {s['p95']:,.0f} / {s['max']:,.0f} ms  (n = {s['n']})"))
        if key == "clicks":
            for kind in ("empty", "random"):
                k = part[f"{kind}_ms"]
                if k.get("n"):
                    rows.append((f"    {kind} spots  p50 / p95", f"{k['p50']:,.0f} / {k['p95']:,.0f} ms  (n = {k['n']})"))
        if part.get("failures"):
            rows.append(("    no new image", f"{len(part['failures'])}"))
    if "rss_after_map_mib" in r:
        rows.append(("RSS after the first map", fmt(r["rss_after_map_mib"], "MiB")))
    if "memory" in r:
        m = r["memory"]
        rows.append((f"(d) RSS after {m['pages']} pages × {m['models']} models", fmt(m["rss_mib"], "MiB")))
        rows.append(("    tour duration", fmt(m["seconds"], "s", 1)))
        if m["errors"]:
            rows.append(("    pages that failed", f"{len(m['errors'])}: {'; '.join(m['errors'][:5])}"))
    print_report(rows, r["machine"], incomplete=r.get("incomplete"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=60, help="map clicks, alternating empty and random spots (default 60)")
    parser.add_argument("--sliders", type=int, default=30, help="slider changes (default 30)")
    parser.add_argument("--model", default="mnist-z16", help="model of the map and slider figures (default mnist-z16)")
    parser.add_argument("--skip-memory", action="store_true", help="skip (d), the tour of every page with every model")
    parser.add_argument("--plain", action="store_true", help="plain `streamlit run dashboard.py` instead of the launcher with warm-up")
    parser.add_argument("--timeout", type=float, default=1800, help="global limit in seconds (default 1800)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write every figure and sample here (JSON)")
    args = parser.parse_args()
    if not 1 <= args.clicks <= 1000 or not 1 <= args.sliders <= 1000:
        parser.error("--clicks and --sliders must be between 1 and 1000")
    if not (REPO / "models" / args.model / "atlas.safetensors").exists():
        parser.error(f"model {args.model} has no atlas in models/")

    from playwright.sync_api import sync_playwright

    dataset = json.loads((REPO / "models" / args.model / "config.json").read_text())["dataset"]
    query = f"?dataset={dataset}&model={args.model}&projection=pca"
    deadline = time.time() + args.timeout
    results: dict = {
        "launcher": "streamlit run" if args.plain else "python -m ui.serve.launcher",
        "model": args.model,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_start": [round(x, 2) for x in os.getloadavg()]},
        "args": {k: str(v) for k, v in vars(args).items()},
    }

    def out_of_time(*_):
        raise OutOfTime

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(args.timeout) + 60)  # hard stop, should a step hang past its own timeouts
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, (LOOPBACK_ONLY,))
            try:
                t0 = time.perf_counter()
                with streamlit_server(timeout=120, warm_up=not args.plain) as (url, proc):
                    results["server_start_s"] = time.perf_counter() - t0
                    print(f"server up at {url} in {results['server_start_s']:.2f} s", flush=True)
                    results["first_map"], page = first_map_render(browser, url, query)
                    print(f"(a) first map: points drawn after {results['first_map']['points_drawn_ms']:.0f} ms", flush=True)
                    if "decoder_ready_after_map_ms" in results["first_map"]:
                        print(
                            f"    hover decoder ready {results['first_map']['decoder_ready_after_map_ms']:.0f} ms after the points",
                            flush=True,
                        )
                    results["rss_after_map_mib"] = rss_kib(proc.pid) / 1024
                    results["warm_map"], warm = first_map_render(browser, url, query)
                    warm.context.close()
                    results["clicks"] = map_clicks(page, args.clicks, random.Random(args.seed), deadline)
                    page.context.close()
                    print(f"(b) {args.clicks} clicks: p50 {results['clicks']['all_ms'].get('p50', float('nan')):.0f} ms", flush=True)
                    results["sliders"] = slider_changes(browser, url, query, args.sliders, deadline)
                    print(
                        f"(c) {args.sliders} slider changes: p50 {results['sliders'].get('ms', {}).get('p50', float('nan')):.0f} ms",
                        flush=True,
                    )
                    if not args.skip_memory:
                        results["memory"] = memory_tour(browser, url, proc, deadline)
            finally:
                browser.close()
    except OutOfTime:
        results["incomplete"] = f"global timeout of {args.timeout:.0f} s reached"
    finally:
        signal.alarm(0)
    results["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    report(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
        print(f"written to {args.out}")
    return 1 if results.get("incomplete") else 0


if __name__ == "__main__":
    sys.exit(main())
