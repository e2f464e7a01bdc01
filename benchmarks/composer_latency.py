"""How long a witness waits for a new generation in the face composer.

    python benchmarks/composer_latency.py [--model celeba-z64] [--rounds 40] [--browser 15] [--threads 1] [--out results.json]

(a) in process: breed 16 new codes from 2 random picks (vae.analysis.composer) and decode them in one
    batch (vae.core.latent.decode), then PNG-encode the 16 faces the way st.image does; p50 / p95 / max
    of each part and of the total, over --rounds rounds (also with an attribute constraint);
(b) with --browser N > 0: in headless Chromium against a dashboard server on 127.0.0.1, tick two
    faces, then time from the mouse press on "Breed next generation" until the generation counter
    has changed and every face of the grid shows a new, loaded image (performance.now() in the page).

Run it on a quiet machine: with training jobs in the background the figures are not meaningful.
--threads N sets torch's intra-op threads (in process) and OMP_NUM_THREADS (the server); on a busy
machine, more than one thread per decode can be many times slower (threads wait for each other).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from vae import load_model
from vae.analysis.composer import Composer
from vae.artifacts.attributes import load_directions
from vae.core.latent import decode
from vae.data.images import png_bytes

REPO = Path(__file__).resolve().parent.parent

GRID = '[data-testid="stMain"] [class*="st-key-composer_grid"] [data-testid="stImage"] img'
STATUS = '[class*="st-key-composer_status"]'
# Arms a watcher: window.__coDone = performance.now() once the status text differs from `before` and
# every grid image has a src not in `old` and has loaded.
WATCH_GRID = """([grid, status, before, old]) => {
  window.__coDone = null;
  const oldSet = new Set(old);
  const check = () => {
    if (window.__coDone) return;
    const s = document.querySelector(status);
    const imgs = [...document.querySelectorAll(grid)];
    if (s && s.innerText !== before && imgs.length === old.length
        && imgs.every(i => i.src && !oldSet.has(i.src) && i.complete && i.naturalWidth > 0)) {
      window.__coDone = performance.now(); clearInterval(timer); observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const timer = setInterval(check, 5);
}"""


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def in_process(model_dir: Path, rounds: int, population: int, constraint: str | None) -> dict[str, dict[str, float]]:
    model = load_model(model_dir)
    directions = load_directions(model_dir) if constraint else None
    composer = Composer(model.config.latent_dim, population, seed=0)
    rng = np.random.default_rng(0)
    decode(model, composer.current)  # warm-up
    parts: dict[str, list[float]] = {"breed": [], "decode": [], "png": [], "total": []}
    for _ in range(rounds):
        picks = rng.choice(population, 2, replace=False).tolist()
        t0 = time.perf_counter()
        codes = composer.breed(picks, {constraint: 1.0} if constraint else None, directions)
        t1 = time.perf_counter()
        faces = decode(model, codes)
        t2 = time.perf_counter()
        for face in faces:
            png_bytes(face)
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
            parts[key].append(1000 * value)
    return {k: summary(v) for k, v in parts.items()}


def in_browser(model: str, rounds: int, population: int, threads: int | None) -> dict:
    from playwright.sync_api import sync_playwright

    from harness.browser import EXCEPTION, INPUT_CLOCK, LOOPBACK_ONLY, images_loaded, launch_chromium, streamlit_server, wait_for_app

    samples, failures = [], 0
    env = {"OMP_NUM_THREADS": str(threads)} if threads else None
    with streamlit_server(env) as (url, _), sync_playwright() as p:
        browser = launch_chromium(p, (LOOPBACK_ONLY,))
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="en-US")
            context.add_init_script(INPUT_CLOCK)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{url}/composer?dataset=celeba&model={model}&co_seed=0&co_pop={population}")
            wait_for_app(page)
            rng = np.random.default_rng(1)
            for _ in range(rounds):
                for i in rng.choice(population, 2, replace=False):
                    page.locator(f".st-key-cmp_sel_{i} label").click()
                    page.wait_for_function(f"() => document.querySelector('.st-key-cmp_sel_{i} input').checked")
                    wait_for_app(page)
                old = [i["src"] for i in images_loaded(page, GRID)]
                before = page.locator(STATUS).inner_text()
                page.evaluate(WATCH_GRID, [GRID, STATUS, before, old])
                page.locator(".st-key-composer_breed button").click()
                try:
                    page.wait_for_function("() => window.__coDone !== null", timeout=30_000, polling=10)
                    samples.append(page.evaluate("() => window.__coDone - window.__vaeInput"))
                except Exception:  # noqa: BLE001 - a round without a new grid counts as a failure
                    failures += 1
                wait_for_app(page)
                if page.locator(EXCEPTION).count():
                    raise RuntimeError(page.locator(EXCEPTION).first.inner_text())
        finally:
            browser.close()
    return {"click_to_new_grid": summary(samples) if samples else None, "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="celeba-z64")
    parser.add_argument("--rounds", type=int, default=40, help="in-process rounds (at least 30 for the reported percentiles)")
    parser.add_argument("--population", type=int, default=16)
    parser.add_argument("--constraint", default="Male", help="attribute for the constrained run ('' to skip)")
    parser.add_argument("--browser", type=int, default=0, help="browser rounds (0: skip the browser measurement)")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = REPO / "models" / args.model
    results = {
        "model": args.model,
        "population": args.population,
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, {platform.python_version()}",
        "in_process": in_process(model_dir, args.rounds, args.population, None),
    }
    if args.constraint:
        results["in_process_constrained"] = in_process(model_dir, args.rounds, args.population, args.constraint)
    print(results["machine"])
    for name in ("in_process", "in_process_constrained"):
        if name in results:
            print(f"{name} ({args.population} faces, {args.rounds} rounds):")
            for part, s in results[name].items():
                print(f"  {part:7s} p50 {s['p50_ms']:7.1f} ms   p95 {s['p95_ms']:7.1f} ms   max {s['max_ms']:7.1f} ms")
    if args.browser:
        results["browser"] = in_browser(args.model, args.browser, args.population, args.threads)
        s = results["browser"]["click_to_new_grid"]
        if s:
            print(
                f"browser click → new grid ({s['n']} rounds): p50 {s['p50_ms']:.0f} ms   p95 {s['p95_ms']:.0f} ms   max {s['max_ms']:.0f} ms"
            )
        print(f"browser failures: {results['browser']['failures']}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
