"""The student edition's budgets (issue 25, item 4), measured in headless Chromium on an export served by
`python -m http.server` and by nginx (`scripts/serve_replicas.sh 0`, /editions/NAME/), under a phone on a
lecture-hall Wi-Fi: DevTools' Network.emulateNetworkConditions (10 Mbit/s down, 5 Mbit/s up, 100 ms round
trip), Emulation.setCPUThrottlingRate 4 and the cache disabled. Per model and server:

- bytes transferred: the sum of Network.loadingFinished's encodedDataLength (what came over the wire, headers
  included) from navigation until the first picture, then until the network was quiet for 1 s;
- first decoded picture: window.__vaeLive.firstPictureMs (performance.now() at the edition's first decoded
  picture: ms after navigation began);
- decoded pictures per second while the pointer moves across the map (desktop, 1400×1000, mouse) and while a
  finger drags (390×844 is_mobile + has_touch, real touches: Input.dispatchTouchEvent), timed in the page: the
  pictures drawn between the first and the last pointermove over the time between them. Beside it: the moves
  per second that reached the page (DevTools sends the next input only once the throttled page took the last
  one, so this bounds the figure), pictures per move, and the median decode time, whose inverse is the move
  rate the decoder alone could follow.

Each beside its budget: ≤ 3 MB transferred for an MNIST scene, ≤ 6 MB for a CelebA one, the first picture
≤ 4 s, ≥ 30 pictures/s. Reference in the same run, under the same throttling: the dashboard's map page
(`latent_map?model=NAME`, one replica) for the same model: bytes transferred (HTTP and websocket frames
received) and the first decoded picture, the pointer held over the map from the moment it is drawn.

    python -m benchmarks.edition_budget                       # mnist-z16 and celeba-z64
    python -m benchmarks.edition_budget --models mnist-z2 --move-s 3

Written to logs/edition_budget.txt (or `--log`). Exit status 0 only when every edition figure is within its
budget. Timed figures never go in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.edition_load import export_edition
from harness.browser import MAP_BOX, MAP_READY, free_port, launch_chromium, new_page, streamlit_server
from harness.editions import readable_by_nginx
from harness.nginx import lecture_hall

REPO = Path(__file__).resolve().parent.parent
DOWN_BPS, UP_BPS, LATENCY_MS, CPU_SLOWDOWN = 10e6, 5e6, 100, 4
BUDGET_MB = {"mnist": 3.0, "celeba": 6.0}
FIRST_PICTURE_BUDGET_S = 4.0
FPS_BUDGET = 30.0
TIMEOUT_MS = 180_000
EDITION_MAP = ".ed-map-host"

# Before any page script: each pointermove's time and the pictures drawn by then, and the moment the first
# picture was drawn (for the dashboard, whose probe has no firstPictureMs).
PAGE_CLOCK = """
window.__vaeMoves = [];
addEventListener('pointermove', (e) => {
  window.__vaeMoves.push([performance.now(), e.pointerType, window.__vaeLive ? window.__vaeLive.frames : 0]);
}, true);
(function watch() {
  if (window.__vaeLive && window.__vaeLive.frames > 0) { window.__vaeFirstFrameMs = performance.now(); return; }
  requestAnimationFrame(watch);
})();
"""


def dataset_of(model: str) -> str:
    config = json.loads((REPO / "models" / model / "config.json").read_text())
    return str(config["dataset"])


class Wire:
    """Bytes received by one page, from DevTools' Network domain: HTTP (encodedDataLength of each finished
    request) and websocket frames; and the moment the last request finished."""

    def __init__(self, cdp) -> None:
        self.http_bytes = 0
        self.ws_bytes = 0
        self.requests = 0
        self.in_flight: set[str] = set()
        self.last_change = time.monotonic()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.on("Network.webSocketFrameReceived", self._frame)

    def _sent(self, event: dict) -> None:
        self.in_flight.add(event["requestId"])
        self.last_change = time.monotonic()

    def _finished(self, event: dict) -> None:
        self.in_flight.discard(event["requestId"])
        self.http_bytes += int(event["encodedDataLength"])
        self.requests += 1
        self.last_change = time.monotonic()

    def _failed(self, event: dict) -> None:
        self.in_flight.discard(event["requestId"])
        self.last_change = time.monotonic()

    def _frame(self, event: dict) -> None:
        self.ws_bytes += len(event["response"]["payloadData"])

    def wait_quiet(self, page, quiet_s: float = 1.0, timeout_s: float = 60.0) -> None:
        """Until no request is in flight and none started or finished for `quiet_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            page.wait_for_timeout(200)  # lets Playwright deliver the DevTools events
            if not self.in_flight and time.monotonic() - self.last_change >= quiet_s:
                return


def throttled_page(browser, *, phone: bool):
    """A page with the telemetry on, its DevTools session throttled as a phone on a busy Wi-Fi, cache off."""
    page = new_page(browser, 390, 844, mobile=True, touch=True, scale=2) if phone else new_page(browser)
    page.context.add_init_script(PAGE_CLOCK)
    page.set_default_timeout(TIMEOUT_MS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    conditions = {"offline": False, "latency": LATENCY_MS, "downloadThroughput": DOWN_BPS / 8, "uploadThroughput": UP_BPS / 8}
    cdp.send("Network.emulateNetworkConditions", conditions)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return page, cdp


def sweep(page, cdp, box: dict, seconds: float, touch: bool) -> int:
    """The pointer (a mouse, or one finger) back and forth across the middle of `box` for `seconds`; the
    number of moves sent."""
    y = box["y"] + box["height"] / 2
    at = lambda s: box["x"] + box["width"] * (0.5 + 0.4 * math.sin(2 * math.pi * s))  # noqa: E731
    t0, moves = time.perf_counter(), 0
    if touch:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": at(0), "y": y, "id": 0}]})
    else:
        page.mouse.move(at(0), y)
    while time.perf_counter() - t0 < seconds:
        x = at((time.perf_counter() - t0) / seconds)
        if touch:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y, "id": 0}]})
        else:
            page.mouse.move(x, y)
        moves += 1
    if touch:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    return moves


def pictures_per_s(page, kind: str) -> dict:
    """Pictures drawn per second between the first and the last pointermove of `kind` the page received."""
    marks = [(t, frames) for t, k, frames in page.evaluate("() => window.__vaeMoves") if k == kind]
    if len(marks) < 2:
        return {"fps": 0.0, "moves": len(marks), "moves_per_s": 0.0}
    (t0, f0), (t1, f1) = marks[0], marks[-1]
    span_s = (t1 - t0) / 1000
    fps = (f1 - f0) / span_s if span_s > 0 else 0.0
    return {"fps": fps, "moves": len(marks), "frames": f1 - f0, "moves_per_s": (len(marks) - 1) / span_s if span_s > 0 else 0.0}


# ms per picture of the page's decoder (a worker's where it has one), 40 codes one after another, unthrottled
UNTHROTTLED_DECODE_JS = """async () => {
  const live = window.__vaeLive;
  const [url, loading] = [...live.nets.entries()].find(([u]) => u.includes('decoder'));
  const net = await loading;
  const codes = Array.from({length: 45}, (_, i) => Array.from({length: net.inputSize}, (_, j) => Math.sin(i + 0.7 * j)));
  await live.decodeCodes(url, codes.slice(0, 5), net.outputShape.slice(-3));
  const t = performance.now();
  await live.decodeCodes(url, codes.slice(5), net.outputShape.slice(-3));
  return (performance.now() - t) / 40;
}"""


def visit_edition(browser, url: str, *, phone: bool, move_s: float) -> dict:
    """One first visit of an edition: bytes until the network is quiet after the first picture, the first
    picture's time, then pictures per second under the pointer or finger."""
    page, cdp = throttled_page(browser, phone=phone)
    wire = Wire(cdp)
    try:
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.__vaeLive && (window.__vaeLive.firstPictureMs !== undefined || window.__vaeLive.error)")
        live = page.evaluate(
            "() => ({first: window.__vaeLive.firstPictureMs, error: window.__vaeLive.error, status: window.__vaeLive.status})"
        )
        if live["error"]:
            return {"error": live["error"]}
        wire.wait_quiet(page)
        host = page.locator(EDITION_MAP).first
        host.scroll_into_view_if_needed()
        box = host.bounding_box()
        page.evaluate("() => { window.__vaeMoves.length = 0; }")
        frames_before = page.evaluate("() => window.__vaeLive.frames")
        moves = sweep(page, cdp, box, move_s, touch=phone)
        drawn = page.evaluate("() => window.__vaeLive.frames") - frames_before
        decode_ms = page.evaluate(f"() => window.__vaeLive.decodeMs.slice(-{drawn})") if drawn else []  # the sweep's (the list keeps 500)
        # The nets run in a worker, which DevTools' CPU throttling slows less than the page's thread (about 2×
        # where the page is 4×): the decode time without throttling, ×4, is what a phone 4× slower in every
        # thread would take.
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        unthrottled_ms = page.evaluate(UNTHROTTLED_DECODE_JS)
        return {
            "bytes": wire.http_bytes,
            "requests": wire.requests,
            "first_s": live["first"] / 1000,
            "sent": moves,
            "decode_ms": decode_ms,
            "unthrottled_decode_ms": unthrottled_ms,
            **pictures_per_s(page, "touch" if phone else "mouse"),
        }
    finally:
        page.context.close()


def visit_dashboard(browser, url: str, model: str) -> dict:
    """The dashboard's map page for `model` under the same throttling: the pointer held over the map (moving
    a little) from the moment the map is drawn, until the first picture decoded in the browser."""
    page, cdp = throttled_page(browser, phone=False)
    wire = Wire(cdp)
    try:
        page.goto(f"{url}/latent_map?dataset={dataset_of(model)}&model={model}", wait_until="commit")
        page.wait_for_function(MAP_READY)
        box = page.evaluate(MAP_BOX)
        deadline, step = time.monotonic() + TIMEOUT_MS / 1000, 0
        while not page.evaluate("() => window.__vaeFirstFrameMs !== undefined"):
            if time.monotonic() > deadline:
                return {"error": "no picture decoded in the browser"}
            step += 1
            page.mouse.move(box["x"] + box["width"] * (0.45 + 0.1 * (step % 2)), box["y"] + box["height"] / 2)
            page.wait_for_timeout(50)
        first_ms = page.evaluate("() => window.__vaeFirstFrameMs")
        wire.wait_quiet(page)
        return {"bytes": wire.http_bytes, "ws_bytes": wire.ws_bytes, "requests": wire.requests, "first_s": first_ms / 1000}
    finally:
        page.context.close()


@contextlib.contextmanager
def http_server(folder: Path):
    """`python -m http.server` on a free loopback port serving `folder`; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("python -m http.server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def verdict(value: float, budget: float, at_most: bool) -> str:
    ok = value <= budget if at_most else value >= budget
    return "within" if ok else "OVER" if at_most else "UNDER"


def edition_lines(model: str, server: str, desktop: dict, phone: dict) -> tuple[list[str], bool]:
    """A model's figures on one server, each beside its budget; and whether all are within."""
    if "error" in desktop or "error" in phone:
        return [f"{model} via {server}: ERROR {desktop.get('error') or phone.get('error')}"], False
    budget_mb = BUDGET_MB[dataset_of(model)]
    checks = [
        (
            f"transferred (desktop visit) {desktop['bytes'] / 1e6:.2f} MB in {desktop['requests']} requests",
            desktop["bytes"] / 1e6,
            budget_mb,
            True,
            f"≤ {budget_mb:g} MB",
        ),
        (
            f"transferred (phone visit)   {phone['bytes'] / 1e6:.2f} MB in {phone['requests']} requests",
            phone["bytes"] / 1e6,
            budget_mb,
            True,
            f"≤ {budget_mb:g} MB",
        ),
        (
            f"first picture (desktop)     {desktop['first_s']:.2f} s",
            desktop["first_s"],
            FIRST_PICTURE_BUDGET_S,
            True,
            f"≤ {FIRST_PICTURE_BUDGET_S:g} s",
        ),
        (
            f"first picture (phone)       {phone['first_s']:.2f} s",
            phone["first_s"],
            FIRST_PICTURE_BUDGET_S,
            True,
            f"≤ {FIRST_PICTURE_BUDGET_S:g} s",
        ),
        (
            f"pictures/s, mouse moving    {desktop['fps']:.1f} ({desktop['moves']} moves received)",
            desktop["fps"],
            FPS_BUDGET,
            False,
            f"≥ {FPS_BUDGET:g}/s",
        ),
        (
            f"pictures/s, finger dragging {phone['fps']:.1f} ({phone['moves']} moves received)",
            phone["fps"],
            FPS_BUDGET,
            False,
            f"≥ {FPS_BUDGET:g}/s",
        ),
    ]
    lines = [f"{model} via {server}:"]
    ok = True
    for text, value, budget, at_most, shown in checks:
        word = verdict(value, budget, at_most)
        ok &= word == "within"
        lines.append(f"  {text:<62} budget {shown:<9} {word}")
    for name, seen in [("mouse", desktop), ("finger", phone)]:
        decode = sorted(seen["decode_ms"])
        if not decode:
            lines.append(f"    {name}: {seen['moves_per_s']:.1f} moves/s reached the page; no picture timed")
            continue
        median = decode[len(decode) // 2]
        lines.append(
            f"    {name}: {seen['moves_per_s']:.1f} moves/s reached the page, {seen['fps'] / max(seen['moves_per_s'], 1e-9):.2f} pictures per move; "
            f"decode p50 {median:.1f} ms ({len(decode)} pictures): the decoder alone keeps up with {1000 / median:.0f} moves/s"
        )
        phone_ms = CPU_SLOWDOWN * seen["unthrottled_decode_ms"]
        lines.append(
            f"    {name}: decode {seen['unthrottled_decode_ms']:.1f} ms unthrottled; a CPU 4× slower in every thread (the worker's too): "
            f"{phone_ms:.1f} ms, the decoder alone keeps up with {1000 / phone_ms:.0f} pictures/s"
        )
    return lines, ok


def measure_editions(browser, root: Path, models: list[str], move_s: float) -> tuple[list[str], bool]:
    """Every model's edition through python -m http.server and through nginx."""
    lines, ok = [], True
    with http_server(root) as plain, lecture_hall(0, env={"EDITIONS_DIR": str(root)}) as hall:
        for model in models:
            for server, url in [("python -m http.server", f"{plain}/{model}/"), ("nginx", f"{hall.url}/editions/{model}/")]:
                desktop = visit_edition(browser, url, phone=False, move_s=move_s)
                phone = visit_edition(browser, url, phone=True, move_s=move_s)
                more, within = edition_lines(model, server, desktop, phone)
                lines += more
                ok &= within
    return lines, ok


def measure_dashboard(browser, models: list[str]) -> list[str]:
    lines = []
    with streamlit_server() as (url, _):
        for model in models:
            seen = visit_dashboard(browser, url, model)
            if "error" in seen:
                lines.append(f"reference, the dashboard's map page, {model}: ERROR {seen['error']}")
                continue
            lines += [
                f"reference, the dashboard's map page (latent_map, {model}, desktop, one replica):",
                f"  transferred {seen['bytes'] / 1e6:.2f} MB in {seen['requests']} requests + {seen['ws_bytes'] / 1e6:.2f} MB of websocket frames",
                f"  first picture decoded in the browser {seen['first_s']:.2f} s after navigation (the pointer over the map as soon as it is drawn)",
            ]
    return lines


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["mnist-z16", "celeba-z64"])
    p.add_argument("--lang", default="fr", choices=["fr", "en"])
    p.add_argument("--move-s", type=float, default=3.0, help="seconds the pointer or finger moves over the map")
    p.add_argument("--no-reference", action="store_true", help="skip the dashboard's map page")
    p.add_argument("--log", default=str(REPO / "logs" / "edition_budget.txt"))
    return p


def main() -> None:
    args = parser().parse_args()
    missing = [m for m in args.models if not (REPO / "models" / m / "config.json").exists()]
    if missing:
        raise SystemExit(f"no such model under models/: {', '.join(missing)}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="edition-budget-") as tmp:
        root = Path(tmp) / "editions"
        for model in args.models:
            export_edition(model, args.lang, root / model)
        readable_by_nginx(root)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            version = browser.version
            try:
                lines, ok = measure_editions(browser, root, args.models, args.move_s)
                reference = [] if args.no_reference else measure_dashboard(browser, args.models)
            finally:
                browser.close()
    head = [
        f"edition_budget: Chromium {version}, CPU slowed {CPU_SLOWDOWN}x, network {DOWN_BPS / 1e6:g} Mbit/s down, "
        f"{UP_BPS / 1e6:g} Mbit/s up, {LATENCY_MS} ms round trip, cache disabled; a first visit per figure",
        f"  {platform.node()}, {len(os.sched_getaffinity(0))} CPUs (load average {os.getloadavg()[0]:.1f}: other jobs share them), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"pointer moving {args.move_s:g} s; desktop 1400x1000 mouse, phone 390x844 touch",
        "",
    ]
    text = "\n".join([*head, *lines, "", *reference])
    print(text)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    Path(args.log).write_text(text + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
