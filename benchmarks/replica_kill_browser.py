"""Time to come back after a replica is killed, in real browsers: two replicas behind nginx
(harness.nginx.lecture_hall, supervisord restarts a killed one), `--tabs` headless Chromium tabs (each its
own browser context, so its own affinity cookie) on the Generate page, half on each replica by their
cookies; one replica is SIGKILLed (replica 0, 1, 0, ...), `--kills` times, each in a fresh hall.

    python -m benchmarks.replica_kill_browser --kills 3

For each tab of the killed replica, timed in the page (performance.timeOrigin + performance.now(), the
machine's clock, so comparable with the kill's time.time(); an init script keeps the times across the
page's reload in sessionStorage):
- close → back: from its websocket's close to the reloaded page's first finished run with its image
  drawn (ui.components.reconnect reloads a tab that a new server session got);
- click → image: Generate's "Next" clicked once it is back, to the new image loaded;
- kill → answered: kill → back, plus click → image: when a click at that moment would have been answered.
The other replica's tabs are clicked right after each kill, and must answer without a reload. The figures
(median, max, n) are printed and written to logs/replica_kill_browser.txt (or `--log`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from pathlib import Path

from harness.browser import IMAGE, REPO, arm_new_image, launch_chromium, new_page, wait_for_app, wait_new_image
from harness.nginx import lecture_hall

PAGE = "/generate?dataset=mnist&model=mnist-z16&gen_seed=3"
TIMEOUT_MS = 60_000

# Before any page script: the epoch (ms) of the stream websocket's close, and of the first moment after
# each page load that a run has finished with the first image loaded, in sessionStorage (a reload keeps it).
CLOCK = (
    """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      if (String(url).includes('/_stcore/stream')) this.addEventListener('close', () => sessionStorage.setItem('vaeClosed', String(now())));
    }
  };
  sessionStorage.removeItem('vaeReady');
  const timer = setInterval(() => {
    const app = document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
    const img = document.querySelector('"""
    + IMAGE.replace("'", "\\'")
    + """');
    if (app && img && img.complete && img.naturalWidth > 0) { sessionStorage.setItem('vaeReady', String(now())); clearInterval(timer); }
  }, 10);
})();
"""
)


def click_next(page, timeout_ms: float = TIMEOUT_MS) -> float:
    """Generate's "Next": ms from the click to the new image loaded."""
    arm_new_image(page)
    page.locator(".st-key-gen_next button").first.click(timeout=timeout_ms)
    ms, _ = wait_new_image(page, timeout_ms)
    return ms


def one_kill(hall, pages: list, index: int, log: list[str]) -> dict[str, list[float]]:
    replicas = [u.removeprefix("http://") for u in hall.replica_urls]
    on = []
    for page in pages:
        response = page.goto(hall.url + PAGE)
        on.append(response.headers.get("x-replica"))
    for page in pages:
        wait_for_app(page, TIMEOUT_MS)
        page.evaluate("() => { window.__sameDocument = true; sessionStorage.removeItem('vaeClosed') }")
    killed = replicas[index]
    kill_ms = hall.kill(index) * 1000
    figures: dict[str, list[float]] = {"close_to_back": [], "click_to_image": [], "kill_to_answered": [], "survivor_click": []}
    for page, replica in zip(pages, on):
        if replica != killed:
            figures["survivor_click"].append(click_next(page))
    for page, replica in zip(pages, on):
        if replica != killed:
            assert page.evaluate("() => window.__sameDocument === true"), "a survivor's tab reloaded"
            continue
        page.wait_for_function("() => !window.__sameDocument && sessionStorage.getItem('vaeReady')", timeout=TIMEOUT_MS)
        closed, ready = (float(page.evaluate(f"() => sessionStorage.getItem('{k}')")) for k in ("vaeClosed", "vaeReady"))
        click = click_next(page)
        figures["close_to_back"].append(ready - closed)
        figures["click_to_image"].append(click)
        figures["kill_to_answered"].append(ready - kill_ms + click)
        log.append(
            f"kill of {killed}: close→back {ready - closed:.0f} ms, click→image {click:.0f} ms, kill→answered {ready - kill_ms + click:.0f} ms"
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--tabs", type=int, default=8)
    parser.add_argument("--log", type=Path, default=REPO / "logs" / "replica_kill_browser.txt")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load_start = [round(x, 2) for x in os.getloadavg()]
    log: list[str] = []
    totals: dict[str, list[float]] = {}
    for k in range(args.kills):  # a fresh hall per kill: after a restart, nginx's routing of a tab's page
        # and of its websocket can differ for a while, and a tab's replica would be a guess
        with lecture_hall(2) as hall, sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                pages = []
                for cookie, _ in hall.split_cookies(args.tabs // 2, "bench"):
                    page = new_page(browser)
                    page.set_default_timeout(TIMEOUT_MS)
                    page.context.add_cookies([{"name": "vae_affinity", "value": cookie, "url": hall.url}])
                    page.context.add_init_script(CLOCK)
                    pages.append(page)
                for name, values in one_kill(hall, pages, k % 2, log).items():
                    totals.setdefault(name, []).extend(values)
            finally:
                browser.close()
    labels = {
        "close_to_back": "websocket close → page back (reloaded, image drawn)",
        "click_to_image": "then Next click → new image",
        "kill_to_answered": "kill → a click answered (back + click)",
        "survivor_click": "other replica's tabs: Next click → new image, right after the kill",
    }
    lines = [f"replica kill in Chromium: {args.kills} kills, {args.tabs} tabs (half on the killed replica), Generate page, {PAGE}"]
    for name, label in labels.items():
        v = totals.get(name, [])
        if v:
            lines.append(f"{label:<70} median {statistics.median(v):6.0f} ms  max {max(v):6.0f} ms  n {len(v)}")
    lines.append(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, load average {load_start} at start, "
                 f"{[round(x, 2) for x in os.getloadavg()]} at end")  # fmt: skip
    lines += ["", "per tab:", *log]
    text = "\n".join(lines) + "\n"
    print(text)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.log.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
