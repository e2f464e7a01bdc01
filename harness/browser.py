"""Helpers for end-to-end tests and benchmarks: a Streamlit server on a free loopback port,
and headless Debian Chromium driven by Playwright, plus the in-page probes they share
(wait for a script run to finish, click the latent map, time a new image)."""

from __future__ import annotations

import collections
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the repository root (harness/ sits beside dashboard.py)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'
EXCEPTION = '[data-testid="stException"]'


def browser_missing() -> str | None:
    """Why end-to-end tests cannot run here (no Chromium, no Playwright), or None."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (set CHROMIUM=...)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (python) is not installed"
    return None


def require_browser(*, live_runtime: bool = False, models: tuple[str, ...] = ()) -> None:
    """At module level of a browser test file: skip it without a browser (with live_runtime, also without the
    in-browser decoder: scripts/install_runtime.sh and the front-end bundle), or fail with VAE_REQUIRE_BROWSER=1;
    skip it while one of `models` has no atlas yet (a model being rebuilt)."""
    import pytest

    unbuilt = [name for name in models if not (REPO / "models" / name / "atlas.safetensors").exists()]
    if unbuilt:
        pytest.skip(f"model not built yet: {', '.join(unbuilt)}", allow_module_level=True)
    reason = browser_missing()
    if not reason and live_runtime:
        from ui.components.live import runtime_installed  # loads torch: only the files that decode in the browser

        reason = None if runtime_installed() else "browser runtime missing (scripts/install_runtime.sh)"
    if reason:
        if os.environ.get("VAE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (VAE_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict | None, warm_up: bool, script: Path | None = None) -> tuple[str, subprocess.Popen]:
    """A server on a free loopback port: the dashboard (warmed up by ui.serve.launcher, or plain), or `script` alone."""
    port = free_port()
    entry = ["-m", "ui.serve.launcher"] if warm_up and script is None else ["-m", "streamlit", "run", str(script or REPO / "dashboard.py")]
    cmd = [sys.executable, *entry, "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tail: collections.deque[str] = collections.deque(maxlen=200)
    lock = threading.Lock()

    def drain() -> None:  # a full pipe would block the server
        for line in proc.stdout:
            with lock:
                tail.append(line.decode(errors="replace"))

    def output_tail() -> str:
        with lock:
            return "".join(tail)[-4000:]

    proc.drain = threading.Thread(target=drain, daemon=True)
    proc.drain.start()
    proc.output_tail = output_tail
    return f"http://127.0.0.1:{port}", proc


def _wait_healthy(url: str, proc: subprocess.Popen, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.drain.join(1)
                raise RuntimeError(f"streamlit did not start: {proc.output_tail()}") from None
            time.sleep(0.2)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:  # all at once: each takes about a second to shut down
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def streamlit_servers(n: int, env: dict | None = None, timeout: float = 60.0, warm_up: bool = True):
    """Start n dashboard servers at once, each on 127.0.0.1:<free port>; yield [(base url, process)].

    warm_up=True runs them as the launcher does (`vae-explorer serve`: loads the zoo in the background);
    False runs plain `streamlit run dashboard.py`. Each server's output is drained by a thread and its
    tail kept for error messages: `process.output_tail()`."""
    servers = []
    try:
        for _ in range(n):
            servers.append(_start(env, warm_up))
        deadline = time.time() + timeout
        for url, proc in servers:
            _wait_healthy(url, proc, deadline)
        yield servers
    finally:
        _stop([proc for _, proc in servers])


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, timeout: float = 60.0, warm_up: bool = True):
    """Start the dashboard on 127.0.0.1:<free port>; yield (base url, process). See streamlit_servers."""
    with streamlit_servers(1, env, timeout, warm_up) as servers:
        yield servers[0]


# Chromium flag: resolve no host name but the loopback, so a run never waits on (or reaches) the network.
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


@contextlib.contextmanager
def app_in_chromium(width: int = 1400, height: int = 1000, timeout_ms: int = 60_000, env: dict | None = None):
    """A dashboard server and one headless Chromium page on it: yields (base url, page)."""
    from playwright.sync_api import sync_playwright

    with streamlit_server(env) as (url, _), sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = new_page(browser, width, height)
            page.set_default_timeout(timeout_ms)
            yield url, page
        finally:
            browser.close()


def launch_chromium(playwright, extra_args: tuple[str, ...] = ()):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True)


def rss_kib(pid: int) -> int:
    """Resident memory (VmRSS, KiB) of a process and all its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{p}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script run finished and the main block exists.

    Streamlit marks the app root with data-test-script-state ('initial', 'running', 'notRunning', ...);
    widgets whose code is still loading show as skeletons for a moment after the run. After a widget
    change or a click this can return before the rerun has even started (the page shows 'running'
    only once the server reports back): use `rerun` there."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
                 && document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"]')
                 && !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')""",
        timeout=timeout_ms,
    )


# ---- in-page probes ---------------------------------------------------------------------------------
# Installed before any page script (new_page): the live component (frontend/src/runtime.js) puts its
# telemetry on window (window.__vaeLive, window.__vaeMap) only where the page asks for it.
TELEMETRY = "window.__vaeTelemetry = true;\n"

# Installed before any page script (context.add_init_script): window.__vaeInput is the
# performance.now() of the last mousedown/keydown (capture phase, so before any widget sees it).
INPUT_CLOCK = """
window.__vaeInput = null;
addEventListener('mousedown', () => { window.__vaeInput = performance.now(); }, true);
addEventListener('keydown', () => { window.__vaeInput = performance.now(); }, true);
"""

# Installed before any page script (new_page): window.__vaeRuns counts the script runs the server
# reported finished, from Streamlit's own websocket: each message is one ForwardMsg (protobuf), and a
# top-level field 6 (script_finished) ends a run. Read from the wire rather than from the app root's
# data-test-script-state, because a short run can go from 'notRunning' through 'running' and back
# within one React commit and leave no trace in the page. A run cut short by a rerun
# (FINISHED_EARLY_FOR_RERUN = 2) is not counted: the next one is.
RUN_COUNTER = """
window.__vaeRuns = 0;
(() => {
  const Socket = window.WebSocket;
  if (!Socket) return;
  const finished = (bytes) => {  // the script_finished status of a ForwardMsg, or null
    let i = 0;
    const varint = () => { let v = 0, scale = 1; for (;;) { const c = bytes[i++]; v += (c & 127) * scale; scale *= 128; if (c < 128 || i >= bytes.length) return v; } };
    while (i < bytes.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { const v = varint(); if (field === 6) return v; }
      else if (wire === 2) { const length = varint(); i += length; }  // (not i += varint(): that adds to the old i)
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return null;
    }
    return null;
  };
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      if (!String(args[0]).includes('/_stcore/stream')) return;
      this.addEventListener('message', (e) => {
        if (!(e.data instanceof ArrayBuffer)) return;
        const status = finished(new Uint8Array(e.data));
        if (status !== null && status !== 2) window.__vaeRuns += 1;
      });
    }
  };
})();
"""


def run_count(page) -> int:
    """How many script runs of this page the server has finished so far (RUN_COUNTER)."""
    return page.evaluate("() => window.__vaeRuns")


def wait_for_rerun(page, before: int, timeout_ms: int = 60_000) -> None:
    """Wait until a run after the first `before` (run_count) has finished and the page shows it: the
    server's message received, Streamlit done with what came before it (two animation frames), and
    the app idle (wait_for_app)."""
    page.wait_for_function("n => window.__vaeRuns > n", arg=before, timeout=timeout_ms, polling=20)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    wait_for_app(page, timeout_ms)


@contextlib.contextmanager
def rerun(page, timeout_ms: int = 60_000):
    """`with rerun(page): <a widget change or a click>` returns once the rerun it causes has finished
    and the page shows it."""
    before = run_count(page)
    yield
    wait_for_rerun(page, before, timeout_ms)


# Arms a watcher: window.__vaeDone becomes {t, src} at the first moment the first element matching
# `selector` is an image with a src other than `before` that has finished loading.
_WATCH_NEW_IMAGE = """([selector, before]) => {
  if (window.__vaeWatch) window.__vaeWatch();
  window.__vaeDone = null;
  const check = () => {
    if (window.__vaeDone) return;
    const img = document.querySelector(selector);
    if (img && img.src && img.src !== before && img.complete && img.naturalWidth > 0) {
      window.__vaeDone = {t: performance.now(), src: img.src};
      window.__vaeWatch();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  document.addEventListener('load', check, true);
  const timer = setInterval(check, 10);
  window.__vaeWatch = () => { observer.disconnect(); document.removeEventListener('load', check, true); clearInterval(timer); window.__vaeWatch = null; };
  check();
}"""


def first_src(page, selector: str = IMAGE) -> str | None:
    return page.evaluate("s => { const i = document.querySelector(s); return i ? i.src : null }", selector)


def arm_new_image(page, selector: str = IMAGE) -> str | None:
    """Start watching for a new, loaded first image under `selector`; returns the current src."""
    before = first_src(page, selector)
    page.evaluate(_WATCH_NEW_IMAGE, [selector, before])
    return before


def wait_new_image(page, timeout_ms: int = 30_000) -> tuple[float, str]:
    """After arm_new_image and an input: (ms from the last mousedown/keydown to the new image loaded, its src)."""
    page.wait_for_function("() => window.__vaeDone !== null", timeout=timeout_ms, polling=20)
    done = page.evaluate("() => ({t: window.__vaeDone.t, input: window.__vaeInput, src: window.__vaeDone.src})")
    return done["t"] - done["input"], done["src"]


def new_page(browser, width: int = 1400, height: int = 1000, *, mobile: bool = False, touch: bool = False, scale: float = 1.0):
    """A page in a fresh English context with the input clock, the run counter and the live component's telemetry on.

    mobile, touch and scale: a phone's context (Playwright's is_mobile, has_touch, device_scale_factor)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="en-US", is_mobile=mobile, has_touch=touch, device_scale_factor=scale
    )
    context.add_init_script(TELEMETRY + INPUT_CLOCK + RUN_COUNTER)
    return context.new_page()


# The latent map, whichever draws it: the browser map (window.__vaeMap, frontend/src/map/)
# or, where that cannot run, the plotly map. Both as {plot: the element clicks land on, toPixel,
# fromPixel (plotting-area pixels <-> map units), pixels() (the test points: [px, py, group name]),
# ranges(), hit(clientX, clientY)}.
MAP_API = """(() => {
  const own = window.__vaeMap;
  if (own && own.plot && own.plot.isConnected && own.ready()) return own;
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd.querySelector('.nsewdrag canvas, canvas')) return null;
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, drag = gd.querySelector('.nsewdrag');
  return {
    plot: drag,
    toPixel: (x, y) => [xa.d2p(x), ya.d2p(y)],
    fromPixel: (px, py) => [xa.p2d(px), ya.p2d(py)],
    ranges: () => [xa.range, ya.range],
    pixels: () => {  // trace 0 is the invisible click grid
      const pts = [];
      for (let c = 1; c < gd._fullData.length; c++) {
        const d = gd._fullData[c];
        for (let i = 0; i < d.x.length; i++) pts.push([xa.d2p(d.x[i]), ya.d2p(d.y[i]), d.name]);
      }
      return pts;
    },
    hit: (x, y) => { const e = document.elementFromPoint(x, y); return !!e && e.classList.contains('nsewdrag'); },
  };
})()"""
# Page scripts shared with benchmarks/load_test.py (async Playwright).
MAP_READY = f"() => !!{MAP_API}"
MAP_POINTS = f"() => {MAP_API}.pixels().map(p => [p[0], p[1]])"  # the test points, plotting-area pixels
MAP_HIT = f"([x, y]) => {MAP_API}.hit(x, y)"  # whether page pixel [x, y] is on the map itself (not the legend)


MAP_BOX = f"() => {{ const r = {MAP_API}.plot.getBoundingClientRect(); return {{x: r.left, y: r.top, width: r.width, height: r.height}} }}"


def map_box(page, timeout_ms: int = 60_000) -> dict:
    """Bounding box (viewport pixels, as the mouse takes them) of the latent map's plotting area,
    once its points are drawn."""
    page.wait_for_function(MAP_READY, timeout=timeout_ms)
    return page.evaluate(MAP_BOX)


def map_units_per_px(page) -> float:
    """Map units per pixel of the latent map as drawn now (the same both ways: the map keeps its aspect)."""
    box = map_box(page)
    [x0, x1], _ = map_ranges(page)
    return abs(x1 - x0) / box["width"]


def map_spot_at(page, x: float, y: float, margin_px: float = 3.0) -> tuple[float, float] | None:
    """Page pixels of map location (x, y) (map units) as the map is drawn now, or None when it is off the
    view (or within margin_px of its edge) or covered (the legend, the hover inset). Call it right before
    the mouse goes there: the layout (plot size, view) is each machine's own."""
    box = map_box(page)
    px, py = page.evaluate(f"([x, y]) => {MAP_API}.toPixel(x, y)", [float(x), float(y)])
    if not (margin_px <= px <= box["width"] - margin_px and margin_px <= py <= box["height"] - margin_px):
        return None
    spot = box["x"] + px, box["y"] + py
    return spot if page.evaluate(MAP_HIT, list(spot)) else None


def map_empty_spots(page, coords, rng, min_gap_px: float = 15.0, keep=None, tries: int = 2000):
    """Map locations (map units) drawn by `rng` (random.Random) over the range of the test points'
    coordinates `coords` ((N, 2), the atlas's for the map's projection), each with no test point within
    min_gap_px pixels and `keep(x, y)` true; yields (x, y) lazily, so that each is turned into page
    pixels (map_spot_at, which may refuse it) right before use."""
    import numpy as np
    from scipy.spatial import cKDTree

    coords = np.asarray(coords, np.float64)
    tree = cKDTree(coords)
    (lo_x, lo_y), (hi_x, hi_y) = coords.min(0), coords.max(0)
    min_gap = min_gap_px * map_units_per_px(page)
    for _ in range(tries):
        x, y = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
        if tree.query((x, y))[0] < min_gap or (keep is not None and not keep(x, y)):
            continue
        yield x, y
    raise RuntimeError(f"no empty spot of the map found in {tries} tries")


def map_isolated_point(page, coords, margin_px: float = 20.0) -> tuple[int, float, float]:
    """(index, page pixels) of the test point farthest from its nearest other test point (map units,
    `coords`: the atlas's (N, 2) for the map's projection) among those on the visible map, so that a
    click there lands on that point and no other. A point with an exact twin (the atlas stores float16
    positions) has no gap and is never chosen."""
    import numpy as np
    from scipy.spatial import cKDTree

    coords = np.asarray(coords, np.float64)
    gaps = cKDTree(coords).query(coords, k=2)[0][:, 1]
    for index in np.argsort(-gaps, kind="stable")[:500]:
        spot = map_spot_at(page, *coords[index], margin_px=margin_px)
        if spot is not None:
            return int(index), *spot
    raise RuntimeError("no isolated test point on the visible map")


def map_group_of(page, index: int) -> str | None:
    """The group name (the digit when coloured by label) of test point `index` on the browser map;
    None on the plotly map, whose points carry no index."""
    return page.evaluate(f"i => {{ const p = {MAP_API}.pixels().find(p => p[3] === i); return p ? p[2] : null; }}", index)


def map_data_coords(page, x: float, y: float) -> tuple[float, float]:
    """Page pixels -> map units."""
    box = map_box(page)
    return tuple(page.evaluate(f"([px, py]) => {MAP_API}.fromPixel(px, py)", [x - box["x"], y - box["y"]]))


def map_ranges(page) -> list[list[float]]:
    """The map's visible ranges, [[x0, x1], [y0, y1]] in map units."""
    map_box(page)
    return page.evaluate(f"() => {MAP_API}.ranges()")


def hover_then_click(page, x: float, y: float, hover_ms: int = 300) -> None:
    """Plotly only reports a click on a data point it hovered first (the browser map needs no hover)."""
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=3)
    page.wait_for_timeout(hover_ms)
    page.mouse.click(x, y)


def map_spot(page, fx: float, fy: float) -> tuple[float, float] | None:
    """Page pixels of the spot at fractions (fx, fy) of the plotting area (0, 0 = top left), or None
    when something (the legend, the hover inset) covers it there."""
    box = map_box(page)
    x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
    hit = page.evaluate(MAP_HIT, [x, y])
    return (x, y) if hit else None


def map_empty_spot(page, rng, min_gap_px: float = 15.0, tries: int = 200) -> tuple[float, float]:
    """A random clickable spot of the map with no test point within min_gap_px pixels."""
    box = map_box(page)
    gaps = page.evaluate(MAP_POINTS)
    for _ in range(tries):
        fx, fy = rng.uniform(0.03, 0.97), rng.uniform(0.03, 0.97)
        px, py = fx * box["width"], fy * box["height"]
        if min((qx - px) ** 2 + (qy - py) ** 2 for qx, qy in gaps) < min_gap_px**2:
            continue
        spot = map_spot(page, fx, fy)
        if spot is not None:
            return spot
    raise RuntimeError("no empty spot found on the map")


def images_loaded(page, selector: str = IMAGE, timeout_ms: int = 30_000) -> list[dict]:
    """Every image under `selector` once all have loaded (each is scrolled into view first, since
    images below the fold may load lazily): [{src, width (natural px)}]."""
    images = page.locator(selector)
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        "s => [...document.querySelectorAll(s)].every(i => i.complete && i.naturalWidth > 0)", arg=selector, timeout=timeout_ms
    )
    return images.evaluate_all("l => l.map(i => ({src: i.src, width: i.naturalWidth}))")


def print_report(
    rows: list[tuple[str, str]], machine: dict, head: str | None = None, extra: str = "", incomplete: str | None = None
) -> None:
    """A benchmark's figures as aligned "what  figure" rows, then the machine line (CPUs, load average)."""
    width = max(len(a) for a, _ in rows)
    print(f"\n{head}\n{'=' * len(head)}" if head else "")
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    print(f"machine: {machine['cpus']} CPUs, load average {machine['load_start']} at start, {machine.get('load_end')} at end{extra}")
    if incomplete:
        print(f"INCOMPLETE: {incomplete}")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100])."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict:
    """n, p50, p95, max and mean of a benchmark's samples ({"n": 0} when there are none)."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": percentile(values, 95),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


@contextlib.contextmanager
def static_server(folder):
    """`python -m http.server` on a free loopback port serving `folder` (a static host, e.g. the student edition
    of ui.components.edition) → its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url, timeout=1).close()
                break
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
