"""Load and soak test: many headless Chromium sessions at once against one dashboard server on 127.0.0.1.

    python benchmarks/load_test.py --sessions 20 --interactions 50 --timeout-s 900 --out results.json
    python benchmarks/load_test.py --soak 2000 --out soak.json

Load (default): `--sessions` browser contexts (each its own Streamlit session), spread over `--browsers`
Chromium processes and driven from one asyncio loop (async Playwright), all at once after a short
ramp. Each does `--interactions` interactions, `--per-page` on a page before moving to the next:
  map          latent map of mnist-z16 in PCA, opened by a deep link (?dataset=mnist&model=mnist-z16
               &projection=pca, a fresh page load); clicks on empty spots of the map
  sliders      latent sliders (sidebar link): focus one of the 4 most informative sliders, ArrowRight/Left
  interpolation  (sidebar link): the steps slider one step, or the other method (lerp/slerp)
  generate     (sidebar link): the "Next" seed button, or a new seed typed into the seed box
Latency = from the input (mousedown/keydown, measured in the page) until an image that was not on the
page before has loaded. Errors: an exception box, a timeout, a crashed page, an uncaught page error, a
console error (failed loopback requests included) — but not the blocked external resources (fonts: the
browser resolves no host but the loopback) nor Streamlit's own 404 probes of <page>/_stcore/health and
host-config when a page URL is opened directly.

Soak (`--soak N`): N interactions in all by `--soak-sessions` concurrent lanes, each running sessions of
`--interactions` interactions one after another (a new browser context each time; the old one is closed),
sampling the server's resident memory (VmRSS of the server and its children) every `--rss-every` (100) interactions;
growth = end against the sample after the warm-up (`--warmup`, 200 interactions).

Bounded: at most `--timeout-s` seconds (then it stops and reports what it has); the server and the
browsers are stopped at the end, on error or on Ctrl-C/SIGTERM too. Exit status 0 only with zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlparse

from harness.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    EXCEPTION,
    INPUT_CLOCK,
    LOOPBACK_ONLY,
    MAP_BOX,
    MAP_HIT,
    MAP_POINTS,
    MAP_READY,
    print_report,
    rss_kib,
    streamlit_server,
    summary,
)

REPO = Path(__file__).resolve().parent.parent

MODEL, DATASET = "mnist-z16", "mnist"
QUERY = f"?dataset={DATASET}&model={MODEL}"
KINDS = ["map", "sliders", "interpolation", "generate"]
STEMS = {"map": "latent_map", "sliders": "latent_sliders", "interpolation": "interpolation", "generate": "generate"}
READY = {  # an element only that page has, once its run drew it
    "map": None,  # the map: harness.browser.MAP_READY (drawn in the browser, or by plotly)
    "sliders": '[class*="st-key-sl_z_"] input[type="range"]',
    "interpolation": '.st-key-ip_steps input[type="range"]',
    "generate": ".st-key-gen_next button",
}
IMAGES = '[data-testid="stMain"] img'
EXTRA_ARGS = (
    LOOPBACK_ONLY,
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
)

# Same test as harness.browser.wait_for_app: the run finished, the main block exists, no skeleton left.
APP_IDLE = """() => document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
             && document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"]')
             && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')"""
# A variant of harness.browser's new-image watcher: done at the first loaded image whose src was not on
# the page when armed (whichever image changes: the decoded one, the strip, the sample grid).
WATCH_ANY_NEW_IMAGE = """(selector) => {
  if (window.__ltWatch) window.__ltWatch();
  const before = new Set([...document.querySelectorAll(selector)].map(i => i.src));
  window.__ltDone = null;
  const check = () => {
    if (window.__ltDone) return;
    for (const img of document.querySelectorAll(selector)) {
      if (img.src && !before.has(img.src) && img.complete && img.naturalWidth > 0) {
        window.__ltDone = performance.now(); window.__ltWatch(); return;
      }
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  document.addEventListener('load', check, true);
  const timer = setInterval(check, 10);
  window.__ltWatch = () => { observer.disconnect(); document.removeEventListener('load', check, true); clearInterval(timer); window.__ltWatch = null; };
}"""


class Stop(Exception):
    """Out of time (or interrupted): end every session and report what was measured."""


def process_cpu_clock(pid: int) -> int:
    """The clock id of another process's CPU time (Linux MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED),
    what clock_getcpuclockid(3) returns): read with time.clock_gettime, to the nanosecond."""
    return ((~pid) << 3) | 2


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, s) used so far by a process and its descendants: each process's CPU
    clock (nanoseconds, threads that have ended included), /proc's 10-ms ticks where it cannot be read."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            try:
                total += time.clock_gettime(process_cpu_clock(p))
            except OSError:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
            todo += [int(c) for task in Path(f"/proc/{p}/task").iterdir() for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return total


class Run:
    """What every session reports to: latencies, errors, counts, the server's memory."""

    def __init__(self, url: str, server_pid: int, args: argparse.Namespace):
        self.url, self.pid, self.args = url, server_pid, args
        self.deadline = time.monotonic() + args.timeout_s
        self.latency: dict[str, list[float]] = {k: [] for k in KINDS}
        self.page_loads: dict[str, list[float]] = {"deep link": [], "sidebar link": []}
        self.errors: list[dict] = []
        self.ignored: dict[str, int] = {"external resource blocked": 0, "streamlit <page>/_stcore probe": 0}
        self.attempted = 0  # interactions started (soak: claimed)
        self.done = 0  # interactions finished, with or without error
        self.rss_curve: list[tuple[int, float]] = [(0, rss_kib(server_pid) / 1024)]
        self.cpu_start = self.cpu_end = cpu_seconds(server_pid)
        self.crashed: set = set()  # pages that crashed: replaced by a new one
        self.t_first: float | None = None
        self.t_last: float | None = None

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise Stop

    def error(self, kind: str, session: int, where: str, detail: str) -> None:
        self.errors.append({"kind": kind, "session": session, "where": where, "detail": detail[:400], "t_s": round(self.elapsed(), 1)})
        print(f"  ! session {session} {where}: {kind}: {detail[:160]}", flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - (self.t_first or time.monotonic())

    def finished_one(self) -> None:
        self.done += 1
        self.t_last = time.monotonic()
        if self.done % self.args.rss_every == 0:
            self.rss_curve.append((self.done, rss_kib(self.pid) / 1024))
            print(
                f"  {self.done} interactions, {self.elapsed():.0f} s, server RSS {self.rss_curve[-1][1]:.0f} MiB, {len(self.errors)} errors",
                flush=True,
            )

    def watch(self, page, session: int) -> None:
        """Record page crashes, uncaught page errors and console errors of this page."""
        page.on("crash", lambda _: (self.crashed.add(page), self.error("crash", session, urlparse(page.url).path, "page crashed")))
        page.on("pageerror", lambda exc: self.error("page error", session, urlparse(page.url).path, str(exc)))
        page.on("console", lambda msg: self._console(msg, session))

    def _console(self, msg, session: int) -> None:
        if msg.type != "error":
            return
        where = urlparse(msg.location.get("url") or "")
        if where.hostname not in (None, "127.0.0.1", "localhost") or "ERR_NAME_NOT_RESOLVED" in msg.text:
            self.ignored["external resource blocked"] += 1
        elif where.path.endswith(("/_stcore/health", "/_stcore/host-config")) and where.path.count("/") > 2 and "404" in msg.text:
            self.ignored["streamlit <page>/_stcore probe"] += 1  # the frontend guesses the base path
        else:
            self.error("console error", session, msg.location.get("url") or "", msg.text)


# ---- one session ---------------------------------------------------------------------------------
async def app_idle(page, timeout_ms: int) -> None:
    await page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    await page.wait_for_function(APP_IDLE, timeout=timeout_ms, polling=50)


async def open_page(run: Run, page, kind: str, deep_link: bool) -> None:
    timeout_ms = int(run.args.page_timeout_s * 1000)
    t0 = time.perf_counter()
    if deep_link:
        extra = "&projection=pca" if kind == "map" else ""
        await page.goto(f"{run.url}/{STEMS[kind]}{QUERY}{extra}", timeout=timeout_ms)
    else:
        await page.click(f'[data-testid="stSidebarNav"] a[href$="/{STEMS[kind]}"]', timeout=timeout_ms)
    if READY[kind] is None:
        await page.wait_for_function(MAP_READY, timeout=timeout_ms)
    else:
        await page.wait_for_selector(READY[kind], timeout=timeout_ms)
    await app_idle(page, timeout_ms)
    run.page_loads["deep link" if deep_link else "sidebar link"].append((time.perf_counter() - t0) * 1000)


async def click_map(page, rng: random.Random, memo: dict) -> None:
    """Hover then click an empty spot of the map (no test point within 15 px, 60 px from the last click)."""
    box = await page.evaluate(MAP_BOX)
    points = await page.evaluate(MAP_POINTS)
    last = memo.get("last_click", (-1e9, -1e9))
    for _ in range(300):
        px, py = rng.uniform(0.03, 0.97) * box["width"], rng.uniform(0.03, 0.97) * box["height"]
        x, y = box["x"] + px, box["y"] + py
        if (x - last[0]) ** 2 + (y - last[1]) ** 2 < 60**2 or any((qx - px) ** 2 + (qy - py) ** 2 < 15**2 for qx, qy in points):
            continue
        if await page.evaluate(MAP_HIT, [x, y]):  # not under the legend
            break
    else:
        raise RuntimeError("no empty spot found on the map")
    memo["last_click"] = (x, y)
    await page.mouse.move(x - 3, y - 3)
    await page.mouse.move(x, y, steps=3)
    await page.wait_for_timeout(300)  # Plotly reports a click only on what it hovered first
    await page.mouse.click(x, y)


async def move_slider(page, selector: str, key: str) -> None:
    slider = page.locator(selector)
    await slider.focus()
    await page.keyboard.press(key)


async def interact(page, kind: str, k: int, rng: random.Random, memo: dict) -> None:
    """The k-th interaction on this visit of page `kind`."""
    if kind == "map":
        await click_map(page, rng, memo)
    elif kind == "sliders":  # the 4 most informative dimensions, a step right then back left
        await move_slider(
            page, f'[class*="st-key-sl_z_"] input[type="range"] >> nth={k % 4}', "ArrowRight" if (k // 4) % 2 == 0 else "ArrowLeft"
        )
    elif kind == "interpolation" and k % 2 == 0:
        await move_slider(page, '.st-key-ip_steps input[type="range"]', "ArrowRight" if (k // 2) % 2 == 0 else "ArrowLeft")
    elif kind == "interpolation":
        await page.click('.st-key-ip_method button[aria-checked="false"]')
    elif k % 2 == 0:
        await page.click(".st-key-gen_next button")
    else:
        await page.fill(".st-key-gen_seed input", str(rng.randrange(1, 2**31 - 1)))
        await page.press(".st-key-gen_seed input", "Enter")


async def session(run: Run, browser, sid: int, length: int, take) -> None:
    """One browser context = one Streamlit session: `length` interactions (fewer if `take()` says stop)."""
    args = run.args
    rng, memo = random.Random(args.seed * 1000 + sid), {}
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        await context.add_init_script(INPUT_CLOCK)
        page = await context.new_page()
        run.watch(page, sid)
        count, visit, fresh, failed_opens = 0, 0, True, 0
        while count < length:
            kind = KINDS[(sid + visit) % len(KINDS)]
            visit += 1
            run.check_time()
            try:
                await open_page(run, page, kind, deep_link=fresh or kind == "map")
            except Exception as e:  # noqa: BLE001 — whatever went wrong is reported, then the next page
                run.error(_kind(e), sid, f"open {kind}", _text(e))
                page, fresh, failed_opens = await _recover(run, context, page, sid), True, failed_opens + 1
                if failed_opens == 3:
                    run.error("session gave up", sid, f"open {kind}", "3 page loads in a row failed")
                    return
                continue
            fresh, failed_opens = False, 0
            for k in range(args.per_page):
                if count >= length or not take():
                    return
                count += 1
                run.check_time()
                ok = await _one(run, page, sid, kind, k, rng, memo)
                run.finished_one()
                if not ok:
                    page, fresh = await _recover(run, context, page, sid), True
                    break
    finally:
        await context.close()


async def _one(run: Run, page, sid: int, kind: str, k: int, rng: random.Random, memo: dict) -> bool:
    """One interaction, timed; False after an error (the page is then reloaded)."""
    step_ms = int(run.args.step_timeout_s * 1000)
    where = f"{kind} #{k}"
    try:
        await page.evaluate(WATCH_ANY_NEW_IMAGE, IMAGES)
        await interact(page, kind, k, rng, memo)
        try:
            await page.wait_for_function("() => window.__ltDone !== null", timeout=step_ms, polling=20)
        except Exception as e:  # noqa: BLE001
            run.error("no new image", sid, where, f"none within {run.args.step_timeout_s:g} s ({type(e).__name__})")
            return False
        done, clicked = await page.evaluate("() => [window.__ltDone, window.__vaeInput]")
        run.latency[kind].append(done - clicked)
        await app_idle(page, step_ms)
        if await page.locator(EXCEPTION).count():
            run.error("exception", sid, where, await page.locator(EXCEPTION).first.inner_text())
            return False
        return True
    except Exception as e:  # noqa: BLE001
        run.error(_kind(e), sid, where, _text(e))
        return False


async def _recover(run: Run, context, page, sid: int):
    """After an error: a new page if this one is gone or crashed (the next visit is a deep link anyway)."""
    if page.is_closed() or page in run.crashed:
        if not page.is_closed():
            await page.close()
        page = await context.new_page()
        run.watch(page, sid)
    return page


def _kind(e: Exception) -> str:
    name = type(e).__name__
    return "timeout" if "Timeout" in name else f"failure ({name})"


def _text(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


# ---- the two modes -------------------------------------------------------------------------------
async def drive(run: Run) -> None:
    from playwright.async_api import async_playwright

    args = run.args
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cleanly: close the browsers, then the server
        loop.add_signal_handler(sig, task.cancel)
    async with async_playwright() as p:
        launch = p.chromium.launch
        browsers = [
            await launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *EXTRA_ARGS], headless=True) for _ in range(browser_count(args))
        ]
        run.t_first = time.monotonic()
        try:
            if args.soak:
                await soak(run, browsers)
            else:
                await load(run, browsers)
        finally:
            for b in browsers:
                await b.close()


def browser_count(args: argparse.Namespace) -> int:
    return min(args.browsers, args.soak_sessions if args.soak else args.sessions)


async def load(run: Run, browsers: list) -> None:
    args = run.args

    async def one(sid: int) -> None:
        await asyncio.sleep(args.ramp_s * sid / max(1, args.sessions))  # staggered starts
        await session(run, browsers[sid % len(browsers)], sid, args.interactions, take)

    def take() -> bool:
        run.attempted += 1
        return True

    await _gather([one(sid) for sid in range(args.sessions)], run)


async def soak(run: Run, browsers: list) -> None:
    args = run.args

    def take() -> bool:
        if run.attempted >= args.soak:
            return False
        run.attempted += 1
        return True

    async def lane(lane_id: int) -> None:
        await asyncio.sleep(args.ramp_s * lane_id / max(1, args.soak_sessions))
        sid = lane_id
        while run.attempted < args.soak:
            await session(run, browsers[lane_id % len(browsers)], sid, args.interactions, take)
            sid += args.soak_sessions

    await _gather([lane(i) for i in range(args.soak_sessions)], run)


async def _gather(jobs: list, run: Run) -> None:
    results = await asyncio.gather(*jobs, return_exceptions=True)
    stops = [r for r in results if isinstance(r, Stop)]
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, Stop):
            run.error(f"session failure ({type(r).__name__})", -1, "session", _text(r))
    if stops:
        raise Stop


# ---- report --------------------------------------------------------------------------------------
def results_of(run: Run, started: dict) -> dict:
    args = run.args
    wall = (run.t_last - run.t_first) if run.t_last and run.t_first else None
    all_ms = [ms for kind in KINDS for ms in run.latency[kind]]
    out = {
        "mode": "soak" if args.soak else "load",
        **started,
        "interactions": {"planned": args.soak or args.sessions * args.interactions, "done": run.done},
        "wall_s": wall,
        "interactions_per_s": run.done / wall if wall else None,
        "errors": {"total": len(run.errors), "by_kind": _count(e["kind"] for e in run.errors), "list": run.errors},
        "ignored_console": run.ignored,
        "latency_ms": {"all": summary(all_ms), **{k: summary(v) for k, v in run.latency.items()}},
        "page_load_ms": {k: summary(v) for k, v in run.page_loads.items()},
        "rss_mib_curve": run.rss_curve,
        "server_cpu_s": run.cpu_end - run.cpu_start,  # from server start; 2 cores = 2 CPU-s per s
        "samples_ms": run.latency,
    }
    if args.soak:
        warm = next((mib for n, mib in run.rss_curve if n >= args.warmup), None)
        end = run.rss_curve[-1][1]
        out["rss_mib"] = {"warm": warm, "end": end, "growth_pct": 100 * (end - warm) / warm if warm else None, "warmup": args.warmup}
    return out


def _count(items) -> dict:
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def report(r: dict) -> None:
    def lat(s: dict) -> str:
        return f"{s['p50']:,.0f} / {s['p95']:,.0f} / {s['max']:,.0f} ms  (n = {s['n']})" if s.get("n") else "—"

    a = r["args"]
    head = (
        f"SOAK: {a['soak']} interactions, {a['soak_sessions']} sessions at a time, {a['interactions']} interactions per session"
        if r["mode"] == "soak"
        else f"LOAD: {a['sessions']} concurrent sessions × {a['interactions']} interactions ({a['per_page']} per page visit)"
    )
    rows = [
        (
            "sessions driven by",
            f"async Playwright, {browser_count(argparse.Namespace(**a))} Chromium processes, one browser context per session",
        ),
        ("interactions done", f"{r['interactions']['done']} of {r['interactions']['planned']}"),
        ("wall time (first start → last done)", f"{r['wall_s']:,.1f} s" if r["wall_s"] else "—"),
        ("throughput", f"{r['interactions_per_s']:.2f} interactions/s" if r["interactions_per_s"] else "—"),
        ("ERRORS", f"{r['errors']['total']}  {r['errors']['by_kind'] or ''}"),
        ("input → new image  p50 / p95 / max", lat(r["latency_ms"]["all"])),
        *[(f"    {k}", lat(r["latency_ms"][k])) for k in KINDS],
        *[(f"page load by {k}  p50 / p95 / max", lat(v)) for k, v in r["page_load_ms"].items()],
        ("ignored console errors", ", ".join(f"{k}: {v}" for k, v in r["ignored_console"].items())),
    ]
    curve = r["rss_mib_curve"]
    rows.append(("server RSS start → end", f"{curve[0][1]:,.0f} → {curve[-1][1]:,.0f} MiB"))
    if r["wall_s"]:
        rows.append(
            (
                "server CPU time (share of wall time)",
                f"{r['server_cpu_s']:,.1f} s ({100 * r['server_cpu_s'] / r['wall_s']:.0f} % of one core)",
            )
        )
    if r["mode"] == "soak":
        m = r["rss_mib"]
        growth = f"{m['growth_pct']:+.1f} %" if m["growth_pct"] is not None else "—"
        rows.append(
            (f"server RSS growth after warm-up ({m['warmup']})", f"{m['warm'] or 0:,.0f} → {m['end']:,.0f} MiB = {growth} (goal < 10 %)")
        )
        rows.append(("RSS curve (interactions: MiB)", "  ".join(f"{n}: {mib:.0f}" for n, mib in curve)))
    print_report(rows, r["machine"], head, f"; models: {', '.join(r['models'])}", r.get("incomplete"))
    for e in r["errors"]["list"][:10]:
        print(f"  - [{e['t_s']} s] session {e['session']} {e['where']}: {e['kind']}: {e['detail'][:150]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (load mode; default 20)")
    parser.add_argument("--interactions", type=int, default=50, help="interactions per session (default 50)")
    parser.add_argument("--per-page", type=int, default=10, help="interactions per page visit (default 10)")
    parser.add_argument("--browsers", type=int, default=4, help="Chromium processes the sessions are spread over (default 4)")
    parser.add_argument("--soak", type=int, default=0, help="soak mode: this many interactions in all (e.g. 2000)")
    parser.add_argument("--soak-sessions", type=int, default=2, help="soak: sessions at a time (default 2)")
    parser.add_argument("--warmup", type=int, default=200, help="soak: interactions before the baseline RSS sample (default 200)")
    parser.add_argument("--rss-every", type=int, default=100, help="sample the server's RSS every this many interactions (default 100)")
    parser.add_argument("--ramp-s", type=float, default=10.0, help="session starts are spread over this many seconds (default 10)")
    parser.add_argument("--step-timeout-s", type=float, default=60.0, help="longest wait for one interaction's image (default 60)")
    parser.add_argument("--page-timeout-s", type=float, default=180.0, help="longest wait for a page to render (default 180)")
    parser.add_argument("--timeout-s", type=float, help="the whole run stops after this (default 900; soak: 3600)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write every figure and sample here (JSON)")
    args = parser.parse_args()
    args.timeout_s = args.timeout_s or (3600.0 if args.soak else 900.0)
    if not 1 <= args.sessions <= 64 or not 1 <= args.interactions <= 1000 or not 0 <= args.soak <= 20_000:
        parser.error("--sessions 1..64, --interactions 1..1000, --soak 0..20000")
    if not 1 <= args.browsers <= 16 or not 1 <= args.soak_sessions <= 16 or args.per_page < 1 or not 10 <= args.timeout_s <= 7200:
        parser.error("--browsers 1..16, --soak-sessions 1..16, --per-page ≥ 1, --timeout-s 10..7200")
    if not (REPO / "models" / MODEL / "atlas.safetensors").exists():
        parser.error(f"models/{MODEL} has no atlas")
    if args.soak and args.warmup >= args.soak:
        args.warmup = max(args.rss_every, (args.soak // 2) // args.rss_every * args.rss_every)  # short trial runs: half-way
        print(f"note: --warmup lowered to {args.warmup} for a soak of {args.soak}")
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium not found at {CHROMIUM} (set CHROMIUM=...)")

    def stop(signum, _frame):  # outside the event loop (it has its own handlers): leave through the finally clauses
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    started = {
        "args": vars(args) | {"out": str(args.out) if args.out else None},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_start": [round(x, 2) for x in os.getloadavg()]},
        "models": sorted(p.parent.name for p in (REPO / "models").glob("*/atlas.safetensors")),
    }
    incomplete = None
    t0 = time.perf_counter()
    with streamlit_server(timeout=180) as (url, proc):  # stopped on leaving, whatever happens
        print(f"server up at {url} in {time.perf_counter() - t0:.1f} s (python -m ui.serve.launcher, pid {proc.pid})", flush=True)
        run = Run(url, proc.pid, args)
        try:
            asyncio.run(asyncio.wait_for(drive(run), args.timeout_s + 120))
        except Stop:
            incomplete = f"time limit of {args.timeout_s:.0f} s reached"
        except TimeoutError:
            incomplete = "hard time limit reached (a step hung past its own timeout)"
        except (KeyboardInterrupt, asyncio.CancelledError):
            incomplete = "interrupted"
        except Exception as e:  # noqa: BLE001 — e.g. Chromium would not start: report what there is, then stop the server
            traceback.print_exc()
            incomplete = f"failed: {type(e).__name__}: {_text(e)}"
        if run.rss_curve[-1][0] != run.done:
            run.rss_curve.append((run.done, rss_kib(proc.pid) / 1024))
        run.cpu_end = cpu_seconds(proc.pid)
        server_log = proc.output_tail()
    r = results_of(run, started)
    r["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    r["incomplete"] = incomplete
    r["server_log_tail"] = server_log[-3000:]
    report(r)
    if "Traceback" in server_log:
        print("the server log has a traceback; see server_log_tail in the JSON")
    if args.out:
        args.out.write_text(json.dumps(r, indent=2))
        print(f"written to {args.out}")
    return 0 if not r["errors"]["total"] and not incomplete else 1


if __name__ == "__main__":
    sys.exit(main())
