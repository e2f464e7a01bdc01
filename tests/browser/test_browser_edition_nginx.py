"""The student edition served by nginx (`scripts/serve_replicas.sh 0 PORT`, EDITIONS_DIR): a real export of
mnist-z16 (`vae-explorer share`) opened in Chromium at /editions/mnist-z16/ decodes under the pointer, every
file comes from nginx with the cache rule of its kind and gzip where it pays, a second visit asks nginx for
index.html only (304) and takes every asset from the browser's cache, and with the network cut the map
keeps decoding. No replica runs: nothing but nginx answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.browser import REPO, require_browser

pytestmark = pytest.mark.browser

require_browser(models=("mnist-z16",))

from harness.browser import new_page  # noqa: E402
from harness.editions import readable_by_nginx  # noqa: E402
from harness.nginx import ensure_nginx, lecture_hall  # noqa: E402

MODEL = "mnist-z16"
TIMEOUT_MS = 60_000
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def edition_url(tmp_path_factory):
    reason = ensure_nginx()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("editions")
    cli = Path(sys.executable).parent / "vae-explorer"
    done = subprocess.run([str(cli), "share", "--model", MODEL, "--out", str(root / MODEL)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    readable_by_nginx(root)
    with lecture_hall(0, env={"EDITIONS_DIR": str(root)}) as hall:
        yield f"{hall.url}/editions/{MODEL}/", root / MODEL


def map_moves(page, frames_from: int, timeout_ms: int = TIMEOUT_MS) -> int:
    """Move the mouse across the edition's map until a new picture is drawn; the frames drawn by then."""
    host = page.locator(".ed-map-host").first
    host.scroll_into_view_if_needed()
    box = host.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, box
    y = box["y"] + box["height"] / 2
    for i in range(60):
        page.mouse.move(box["x"] + box["width"] * (0.2 + 0.6 * (i % 12) / 11), y + (i % 3) * 4)
        page.wait_for_timeout(30)
        if page.evaluate("() => window.__vaeLive.frames") > frames_from:
            break
    page.wait_for_function(f"() => window.__vaeLive.frames > {frames_from}", timeout=timeout_ms)
    return page.evaluate("() => window.__vaeLive.frames")


def test_an_edition_through_nginx_decodes_caches_and_survives_the_network_cut(chromium, edition_url) -> None:
    url, folder = edition_url
    page = new_page(chromium, 1400, 1000)
    page.set_default_timeout(TIMEOUT_MS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen: list[dict] = []  # every response that came over the network
    cached: list[str] = []  # requests the memory cache answered (no responseReceived for those)
    cdp.on("Network.responseReceived", lambda e: seen.append({**e["response"], "requestId": e["requestId"]}))
    cdp.on("Network.requestServedFromCache", lambda e: cached.append(e["requestId"]))
    wire: dict[str, int] = {}  # status as it came over the wire (responseReceived shows a revalidated 304 as 200)
    cdp.on("Network.responseReceivedExtraInfo", lambda e: wire.__setitem__(e["requestId"], e["statusCode"]))
    try:
        page.goto(url)
        page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status !== 'loading'")
        assert page.evaluate("() => window.__vaeLive.status") == "ready", page.evaluate("() => window.__vaeLive.error")
        frames = map_moves(page, page.evaluate("() => window.__vaeLive.frames"))
        first = [r for r in seen if r["url"].startswith(url)]
        assets = [r for r in first if "/assets/" in r["url"]]
        index = [r for r in first if r["url"] == url]
        assert index and index[0]["status"] == 200 and index[0]["headers"].get("Cache-Control") == "no-cache"
        on_disk = {p.relative_to(folder).as_posix() for p in (folder / "assets").rglob("*") if p.is_file()}
        assert assets and {r["url"].removeprefix(url) for r in assets} <= on_disk
        for r in assets:
            headers = {k.lower(): v for k, v in r["headers"].items()}
            assert r["status"] == 200 and headers.get("cache-control") == IMMUTABLE, (r["url"], r["status"], headers)
            assert "x-replica" not in headers and "set-cookie" not in headers
            if r["url"].endswith((".mjs", ".js", ".json", ".wasm", ".bin", ".f32", ".f16")):
                assert headers.get("content-encoding") == "gzip", (r["url"], headers)

        seen.clear()
        page.goto(url)  # a second visit: index.html revalidated, the immutable assets from the cache
        page.wait_for_function("() => window.__vaeLive && window.__vaeLive.status === 'ready'")
        again = [r for r in seen if r["url"].startswith(url)]
        assert [wire.get(r["requestId"]) for r in again if r["url"] == url] == [304], [(r["url"], wire.get(r["requestId"])) for r in again]
        assets_again = [r for r in again if "/assets/" in r["url"]]
        assert assets_again, "the second visit loaded no asset"
        from_network = [
            r["url"] for r in assets_again if r["requestId"] in wire or not (r.get("fromDiskCache") or r["requestId"] in cached)
        ]
        assert from_network == [], from_network

        page.context.set_offline(True)  # the lecture hall's Wi-Fi drops: the page has all it needs
        frames = page.evaluate("() => window.__vaeLive.frames")
        assert map_moves(page, frames) > frames
    finally:
        page.context.close()
