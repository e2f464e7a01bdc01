"""Does the protocol client cost the server what a browser costs it? The same scenario twice against
one dashboard server on 127.0.0.1: once by headless Chromium (the load test's interactions,
benchmarks/load_test.py), once by a simulated session (benchmarks/protocol_client.py).

    python -m benchmarks.client_fidelity --interactions 30

Scenes (the load test's): generate (the "Next" button, a seed typed in), interpolation (the steps
slider one step, the other method), latent map in PCA (a click on an empty spot of the browser map).
One session at a time, one interaction at a time: after each, the client waits for the answer (the
browser: a new image loaded and the app idle; the simulated session: `script_finished`) and 0.2 s
more, so what the answer makes the server do afterwards (the browser's fetches) is counted. Measured:
the server's CPU seconds (user + system of the process and its children, /proc) per interaction, and
per page load (the simulated session replays the HTTP fetches Chromium made to open the page:
record_page_assets), less the server's idle rate over the interaction's wall time (measured in the same
session before its first interaction). The protocol client is a fair stand-in where its cost per interaction is within
`--tolerance` of the browser's; the report prints both and the ratio, and the verdict.

Log: logs/client_fidelity.txt (or `--log`). Exit status 0 when every scene is within tolerance.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import time
from pathlib import Path

from playwright.async_api import async_playwright

from benchmarks.load_test import EXTRA_ARGS, IMAGES, QUERY, READY, STEMS, WATCH_ANY_NEW_IMAGE, app_idle, cpu_seconds, interact
from benchmarks.protocol_client import Session, map_click, record_page_assets
from harness.browser import CHROMIUM, CHROMIUM_ARGS, INPUT_CLOCK, MAP_READY, streamlit_server

REPO = Path(__file__).resolve().parent.parent
SCENES = ("generate", "interpolation", "map")
SETTLE_S = 0.2  # after an answer: what it makes the server do next (fetches) is counted
IDLE_S = 6.0  # the server's idle CPU rate is measured this long in each session


async def idle_rate(pid: int, seconds: float = IDLE_S) -> float:
    """The server's CPU seconds per second with the session open and nobody touching it (its timers,
    the websocket): subtracted from each interaction over the interaction's wall time, since the
    browser's interactions take longer (a hover before a click, the idle checks) than the client's."""
    c0 = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - c0) / seconds


def query_of(kind: str) -> str:
    return QUERY.lstrip("?") + ("&projection=pca" if kind == "map" else "")


async def browser_scene(url: str, pid: int, kind: str, n: int, seed: int) -> tuple[float, list[float]]:
    """Chromium: (server CPU s of the page load, server CPU s of each interaction)."""
    rng, memo, costs = random.Random(seed), {}, []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *EXTRA_ARGS], headless=True)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
            await context.add_init_script(INPUT_CLOCK)
            page = await context.new_page()
            c0 = cpu_seconds(pid)
            await page.goto(f"{url}/{STEMS[kind]}?{query_of(kind)}", timeout=60_000)
            if READY[kind] is None:
                await page.wait_for_function(MAP_READY, timeout=60_000)
            else:
                await page.wait_for_selector(READY[kind], timeout=60_000)
            await app_idle(page, 60_000)
            await asyncio.sleep(1.0)  # the page's own fetches (components, the map's arrays) are part of the load
            load = cpu_seconds(pid) - c0
            idle = await idle_rate(pid)
            for k in range(n):
                await page.evaluate(WATCH_ANY_NEW_IMAGE, IMAGES)
                c0, t0 = cpu_seconds(pid), time.perf_counter()
                await interact(page, kind, k, rng, memo)
                await page.wait_for_function("() => window.__ltDone !== null", timeout=30_000, polling=20)
                await app_idle(page, 30_000)
                await asyncio.sleep(SETTLE_S)
                costs.append(cpu_seconds(pid) - c0 - idle * (time.perf_counter() - t0))
        finally:
            await browser.close()
    return load, costs


async def protocol_scene(url: str, pid: int, kind: str, n: int, seed: int, assets: list[str] = ()) -> tuple[float, list[float]]:
    """The simulated session, the same moves: (server CPU s of the page load, of each interaction).
    `assets`: the HTTP fetches of the browser's page load (record_page_assets), replayed first."""
    rng, costs = random.Random(seed), []
    session = Session(url, STEMS[kind], query_of(kind))
    c0 = cpu_seconds(pid)
    await session.fetch_assets(list(assets))
    await session.open()
    await asyncio.sleep(1.0)
    load = cpu_seconds(pid) - c0
    idle = await idle_rate(pid)
    try:
        for k in range(n):
            key, value = move(session, kind, k, rng)
            c0, t0 = cpu_seconds(pid), time.perf_counter()
            run = await session.set(key, value)
            if run.exceptions:
                raise RuntimeError(f"{kind} #{k}: {run.exceptions}")
            await asyncio.sleep(SETTLE_S)
            costs.append(cpu_seconds(pid) - c0 - idle * (time.perf_counter() - t0))
    finally:
        await session.close()
    return load, costs


def move(session: Session, kind: str, k: int, rng: random.Random) -> tuple[str, object]:
    """load_test.interact's k-th move on page `kind`, as a widget change."""
    if kind == "generate":
        return ("gen_next", None) if k % 2 == 0 else ("gen_seed", rng.randrange(1, 2**31 - 1))
    if kind == "interpolation" and k % 2 == 0:
        return "ip_steps", float(session.value("ip_steps")) + (1 if (k // 2) % 2 == 0 else -1)
    if kind == "interpolation":
        return "ip_method", next(o for o in session.options("ip_method") if o != session.value("ip_method"))
    key = next(k for k in session.widgets if k.startswith("live_map_"))
    return key, map_click(session, key, rng)


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


async def measure(url: str, pid: int, args: argparse.Namespace) -> list[dict]:
    rows = []
    for kind in args.scenes.split(","):  # warm the server's caches first (models, atlases, exports)
        await protocol_scene(url, pid, kind, 4, seed=99)
        await browser_scene(url, pid, kind, 2, seed=99)
    assets = {kind: await asyncio.to_thread(record_page_assets, url, STEMS[kind], query_of(kind)) for kind in args.scenes.split(",")}
    for kind in args.scenes.split(","):
        by: dict[str, list[float]] = {"browser": [], "protocol": []}
        loads: dict[str, list[float]] = {"browser": [], "protocol": []}
        for r in range(args.rounds):  # alternate, so a drift of the machine's load hits both alike
            for client in ("browser", "protocol"):
                if client == "browser":
                    load, costs = await browser_scene(url, pid, kind, args.interactions, seed=r)
                else:
                    load, costs = await protocol_scene(url, pid, kind, args.interactions, seed=r, assets=assets[kind])
                loads[client].append(load)
                by[client] += costs
                print(f"  {kind:<13} round {r + 1} {client:<8}: load {load:.3f} s, {mean(costs) * 1000:.1f} ms CPU/interaction", flush=True)
                if args.verbose:
                    print("    " + " ".join(f"{c * 1000:.0f}" for c in costs), flush=True)
        ratio = mean(by["protocol"]) / mean(by["browser"])
        rows.append(
            {
                "scene": kind,
                "browser_ms": mean(by["browser"]) * 1000,
                "protocol_ms": mean(by["protocol"]) * 1000,
                "ratio": ratio,
                "browser_load_s": mean(loads["browser"]),
                "protocol_load_s": mean(loads["protocol"]),
                "n": len(by["browser"]),
                "ok": abs(ratio - 1) <= args.tolerance,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interactions", type=int, default=30, help="per scene, per round, per client")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--scenes", default=",".join(SCENES))
    ap.add_argument("--tolerance", type=float, default=0.25, help="|protocol / browser - 1| allowed per scene")
    ap.add_argument("--log", type=Path, default=REPO / "logs" / "client_fidelity.txt")
    ap.add_argument("--verbose", action="store_true", help="print every interaction's cost")
    args = ap.parse_args()
    t0 = time.time()
    with streamlit_server() as (url, proc):
        rows = asyncio.run(measure(url, proc.pid, args))
    lines = [
        "server CPU per interaction: headless Chromium vs the protocol client, same scenario, one session at a time",
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}; "
        f"{args.rounds} rounds x {args.interactions} interactions per scene and client; wall {time.time() - t0:.0f} s",
        f"{'scene':<14}{'browser ms':>11}{'protocol ms':>12}{'ratio':>7}{'  page load CPU s (browser / protocol)':<40}",
    ]
    for r in rows:
        lines.append(
            f"{r['scene']:<14}{r['browser_ms']:>11.1f}{r['protocol_ms']:>12.1f}{r['ratio']:>7.2f}"
            f"  {r['browser_load_s']:.2f} / {r['protocol_load_s']:.2f}{'' if r['ok'] else '   OUT OF TOLERANCE'}"
        )
    ok = all(r["ok"] for r in rows)
    lines.append(f"verdict: {'PASS' if ok else 'FAIL'} (tolerance ±{args.tolerance:.0%} per scene)")
    text = "\n".join(lines)
    print(text)
    args.log.parent.mkdir(exist_ok=True)
    args.log.write_text(text + "\n")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
