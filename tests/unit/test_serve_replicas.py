"""The lecture hall through its one command, `bash scripts/serve_replicas.sh 2 PORT`: a killed
replica comes back under supervisord while the other and nginx carry on; Ctrl-C leaves nothing behind;
nginx is the only door (the app's upload limit, per-client limits, XSRF kept, nothing but the app's
paths); a tab stays with the replica that holds its session across a failover and the restart after it. One
hall for the whole file; its last test stops it with SIGINT."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import os
import random
import re
import signal
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import websockets

from benchmarks.protocol_client import SCENES, Session, random_move
from harness.browser import IMAGE, REPO, arm_new_image, browser_missing, launch_chromium, new_page, wait_for_app, wait_new_image
from harness.editions import readable_by_nginx, shaped_edition
from harness.nginx import ensure_nginx, lecture_hall, process_alive
from tests.unit.test_serve_editions import IMMUTABLE

pytestmark = pytest.mark.slow
PROBE = "VAE_HALL_PROBE"  # set for the script; the replicas must see it
GENERATE = ("generate", "dataset=mnist&model=mnist-z16&gen_seed=3")
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    reason = ensure_nginx()
    if reason:
        pytest.skip(reason)
    editions = tmp_path_factory.mktemp("editions")
    shaped_edition(editions / "demo")
    readable_by_nginx(editions)
    with lecture_hall(2, env={PROBE: "from-the-caller", "EDITIONS_DIR": str(editions)}) as hall:
        yield hall


def request(url: str, method: str = "GET", path: str = "/", headers: dict | None = None, body: bytes | None = None):
    """(status, headers, body) of one request; an HTTP error status is an answer, not an exception."""
    host = url.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**(headers or {}), **({"Content-Length": str(len(body))} if body is not None else {})}.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body is not None:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # nginx may answer (413) before it reads the body
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def multipart(name: str, data: bytes) -> tuple[str, bytes]:
    """(content type, body) of a one-file multipart form, as the frontend's upload sends it."""
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\nContent-Type: image/png\r\n\r\n'
    return f"multipart/form-data; boundary={boundary}", head.encode() + data + f"\r\n--{boundary}--\r\n".encode()


def pinned(headers) -> str | None:
    """The vae_replica cookie an answer sets (the replica nginx pins the browser to), or None."""
    values = [c.split(";")[0].split("=", 1)[1] for c in headers.get_all("Set-Cookie") or [] if c.startswith("vae_replica=")]
    return values[-1] if values else None


def health(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def test_replicas_get_the_callers_environment(hall) -> None:
    environ = Path(f"/proc/{hall.pid(0)}/environ").read_bytes().split(b"\0")
    assert f"{PROBE}=from-the-caller".encode() in environ


def test_only_the_apps_paths_are_proxied(hall) -> None:
    for path in ["/etc/passwd", "/random/path", "/.git/config", "/dashboard.py", "/pages/generate.py", "/_stcorex/health", "/latent_mapx"]:
        status, headers, _ = request(hall.url, path=path)
        assert status == 404 and not headers.get("X-Replica") and pinned(headers) is None, (path, status, dict(headers))
    static_file = next(p for p in sorted((REPO / "static").rglob("*")) if p.is_file())
    app_paths = ["/", "/latent_map", "/generate", "/_stcore/health", "/_stcore/host-config", "/favicon.png"]
    for path in [*app_paths, "/app/static/" + static_file.relative_to(REPO / "static").as_posix()]:
        status, headers, _ = request(hall.url, path=path, headers={"Cookie": "vae_affinity=paths"})
        assert status == 200 and headers.get("X-Replica") and pinned(headers) == headers["X-Replica"], (path, status)


def test_editions_are_served_beside_the_dashboard_without_a_replica(hall) -> None:
    """With replicas behind it, nginx still serves /editions/NAME/ itself: no replica is asked (no
    X-Replica), no cookie is set, the asset's own cache header, and no limit of the dashboard's applies
    (600 requests without a cookie, past the 500 a browser without one may send)."""
    status, headers, _ = request(hall.url, path="/editions/demo/")
    assert status == 200 and headers["Cache-Control"] == "no-cache" and not headers.get("X-Replica")
    assert headers.get_all("Set-Cookie") is None
    asset = re.search(rb'src="(assets/[^"]+)"', _)
    assert asset is not None
    conn = http.client.HTTPConnection(hall.url.removeprefix("http://"), timeout=30)
    try:
        for _i in range(600):
            conn.request("GET", "/editions/demo/" + asset.group(1).decode())
            response = conn.getresponse()
            response.read()
            assert response.status == 200 and response.getheader("Cache-Control") == IMMUTABLE, response.status
            assert response.getheader("X-Replica") is None and response.getheader("Set-Cookie") is None
    finally:
        conn.close()


def test_chromium_gets_everything_it_needs_through_nginx(hall) -> None:
    """A real page load of four pages: a request Chromium makes that nginx answers itself (no X-Replica)
    is one a replica refuses as well (404), and the frontend's /static/ files come back 200."""
    reason = browser_missing()
    if reason:
        (pytest.fail if os.environ.get("VAE_REQUIRE_BROWSER") == "1" else pytest.skip)(reason)
    from playwright.sync_api import sync_playwright

    seen: list[tuple[int, str, bool]] = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = new_page(browser)
            page.set_default_timeout(120_000)
            page.on("response", lambda r: seen.append((r.status, r.url, bool(r.headers.get("x-replica")))))
            for name in ["latent_map", "generate", "your_input", "interpolation"]:
                page.goto(f"{hall.url}/{name}?dataset=mnist&model=mnist-z16")
                wait_for_app(page, timeout_ms=120_000)
        finally:
            browser.close()
    ours = [(status, url, replica) for status, url, replica in seen if url.startswith(hall.url)]
    # The frontend probes whether the page's path is a base URL path (/latent_map/_stcore/health, ...)
    # and expects a 404 there: nginx may only refuse what a replica itself would refuse.
    refused = {url.removeprefix(hall.url) for status, url, replica in ours if not replica}
    answered_by_replica = {path: request(hall.replica_urls[1], path=path)[0] for path in refused}
    assert all(status == 404 for status in answered_by_replica.values()), answered_by_replica
    assert all(status == 200 for status, url, replica in ours if replica and "/static/" in url)
    assert any("/static/" in url and status == 200 for status, url, _ in ours)
    assert {url.removeprefix(hall.url).split("?")[0] for _, url, _ in ours} >= {"/latent_map", "/generate"}


def test_an_unknown_replica_cookie_is_served_and_pinned(hall) -> None:
    """A vae_replica cookie naming a replica nginx does not know (one that was removed, or garbage) is
    served like a browser without it (the hash on vae_affinity) and its answer pins a replica that exists;
    a known one is routed to its replica."""
    replicas = [url.removeprefix("http://") for url in hall.replica_urls]
    hashed = request(hall.url, path="/_stcore/health", headers={"Cookie": "vae_affinity=unknown"})[1]["X-Replica"]
    for cookies in ["vae_affinity=unknown; vae_replica=10.255.0.1:8501", "vae_affinity=unknown; vae_replica=garbage", "vae_replica=x"]:
        status, headers, _ = request(hall.url, path="/_stcore/host-config", headers={"Cookie": cookies})
        assert status == 200 and headers["X-Replica"] in replicas and pinned(headers) == headers["X-Replica"], (cookies, dict(headers))
        if "vae_affinity" in cookies:
            assert headers["X-Replica"] == hashed
    for replica in replicas:
        status, headers, _ = request(hall.url, path="/_stcore/health", headers={"Cookie": f"vae_affinity=unknown; vae_replica={replica}"})
        assert status == 200 and headers["X-Replica"] == replica and pinned(headers) == replica


def cookie(page, name: str) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == name), None)


def test_a_tab_stays_with_the_replica_that_holds_its_session(hall) -> None:
    """The vae_replica cookie follows a failover. 12 simulated tabs (benchmarks.protocol_client, each its own
    vae_affinity) and one Chromium tab on the Generate page: the same cookie reaches the same replica and the
    tabs spread over both. The Chromium tab's replica A is SIGKILLed and held down: its tabs land on B, the
    answer pins them there (Chromium keeps the Set-Cookie of the health probes and of the websocket handshake,
    101), and once A runs again (health answers, a new pid) every request of theirs still reaches B, which
    holds their sessions: HTTP, a new websocket, and the Chromium tab's /media download (no 404), while B's
    own tabs never moved."""
    reason = browser_missing()
    if reason:
        (pytest.fail if os.environ.get("VAE_REQUIRE_BROWSER") == "1" else pytest.skip)(reason)
    from playwright.sync_api import sync_playwright

    replicas = [url.removeprefix("http://") for url in hall.replica_urls]
    tabs = [Session(hall.url, *GENERATE, affinity=f"tab{i}") for i in range(12)]

    async def opened(sessions: list[Session]) -> None:  # at once: all handshakes within one moment
        await asyncio.gather(*(s.open() for s in sessions))
        await asyncio.gather(*(s.close() for s in sessions))

    def open_all(sessions: list[Session]) -> None:  # in a thread of its own: Playwright's sync API runs a loop in this one
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, opened(sessions)).result()

    open_all(tabs)
    first = [s.replica for s in tabs]
    assert set(first) == set(replicas) and [s.pinned for s in tabs] == first
    open_all(tabs)  # now with the pin
    assert [s.replica for s in tabs] == first
    by_hash = [request(hall.url, path="/_stcore/health", headers={"Cookie": f"vae_affinity={s.affinity}"})[1]["X-Replica"] for s in tabs]
    assert by_hash == first  # without the pin: the same replica again (the hash on vae_affinity)

    answers: list[tuple[str, int, str, str]] = []  # what the Chromium tab got from nginx: (kind, status, X-Replica, path)

    def seen(kind: str, response: dict) -> None:
        if response["url"].replace("ws://", "http://", 1).startswith(hall.url) and not response.get("fromDiskCache"):
            headers = {k.lower(): v for k, v in response["headers"].items()}
            answers.append((kind, response["status"], headers.get("x-replica", ""), response["url"].split("/", 3)[-1]))

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            # The websocket handshake's Set-Cookie alone: nginx's own 404 pins nothing, the 101 does.
            probe = new_page(browser)
            probe.goto(hall.url + "/no-such-page")
            assert cookie(probe, "vae_affinity") and cookie(probe, "vae_replica") is None
            url = hall.url.replace("http://", "ws://") + "/_stcore/stream"
            probe.evaluate(
                "u => new Promise((ok, no) => { const w = new WebSocket(u, 'streamlit'); w.onopen = () => { w.close(); ok() }; w.onerror = no })",
                url,
            )
            assert cookie(probe, "vae_replica") in replicas
            probe.context.close()

            page = new_page(browser)
            page.set_default_timeout(TIMEOUT_MS)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.on("Network.responseReceived", lambda e: seen("http", e["response"]))
            cdp.on("Network.webSocketHandshakeResponseReceived", lambda e: seen("ws", {"url": url, **e["response"]}))
            page.goto(f"{hall.url}/{GENERATE[0]}?{GENERATE[1]}")
            wait_for_app(page, TIMEOUT_MS)
            home = [a for a in answers if a[0] == "ws"][-1][2]
            assert cookie(page, "vae_replica") == home
            killed = replicas.index(home)
            survivor = replicas[1 - killed]
            moved = [s for s in tabs if s.replica == home]
            stayed = [s for s in tabs if s.replica == survivor]
            page.evaluate("() => { window.__sameDocument = true }")  # gone when ui.components.reconnect reloads the page
            mark = len(answers)

            old_pid = hall.pid(killed)
            hall.kill(killed)
            hall.supervisorctl("stop", f"replica{killed + 1}")  # held down until its tabs moved: no race with the restart
            open_all(tabs)
            for s in moved:
                assert s.replica.split(", ")[-1] == survivor and s.pinned == survivor, (s.affinity, s.replica)
            for s in stayed:
                assert s.replica == survivor and s.pinned == survivor, (s.affinity, s.replica)  # never moved
            assert all(s.exceptions == [] and s.value("gen_seed") == 3 for s in tabs)
            page.wait_for_function("() => !window.__sameDocument", timeout=TIMEOUT_MS)
            wait_for_app(page, TIMEOUT_MS)
            assert [a[2] for a in answers[mark:] if a[0] == "ws"][-1] == survivor and cookie(page, "vae_replica") == survivor

            hall.supervisorctl("start", f"replica{killed + 1}")
            deadline = time.monotonic() + 120
            while not (health(hall.replica_urls[killed]) and hall.pid(killed) not in (0, old_pid)):
                assert time.monotonic() < deadline, hall.supervisorctl("status")
                time.sleep(0.5)

            for s in tabs:  # every request of theirs reaches the survivor, which holds their sessions
                for path in ["/_stcore/health", "/_stcore/host-config", "/favicon.png"]:
                    status, headers, _ = request(hall.url, path=path, headers={"Cookie": s.cookie_header()})
                    assert status == 200 and headers["X-Replica"] == survivor and pinned(headers) == survivor, (s.affinity, path)
            open_all(tabs)
            assert all(s.replica == survivor and s.exceptions == [] for s in tabs), [s.replica for s in tabs]

            mark = len(answers)
            with page.expect_download() as download:
                page.locator('[class*="st-key-gen_png_"] button').first.click()
            assert download.value.failure() is None and "/media/" in download.value.url
            before = arm_new_image(page, IMAGE)
            page.locator(".st-key-gen_next button").first.click()
            assert wait_new_image(page, TIMEOUT_MS)[1] != before
        finally:
            browser.close()
    after = answers[mark:]
    media = [a for a in after if a[3].startswith("media/")]
    assert media and all(status == 200 and replica == survivor for _, status, replica, _ in media), media
    assert all(replica == survivor for _, _, replica, _ in after if replica), after


def test_upload_over_the_apps_limit_stops_at_nginx(hall) -> None:
    """6 MB against maxUploadSize = 5: nginx answers 413 itself (no X-Replica: no replica was asked)."""
    content_type, body = multipart("big.png", os.urandom(6 * 1024 * 1024))
    headers = {"Content-Type": content_type, "Cookie": "vae_affinity=big"}
    status, answer, _ = request(hall.url, "PUT", "/_stcore/upload_file/some-session/some-file", headers, body)
    assert status == 413 and not answer.get("X-Replica")


def test_uploads_keep_xsrf_protection_behind_nginx(hall) -> None:
    """With the _streamlit_xsrf cookie and its X-Xsrftoken header an upload into a live session is
    stored (a small file and a 4 MB one); without the header the app itself refuses it (403)."""
    cookie = "xsrf-" + uuid.uuid4().hex
    session = Session(hall.url, "your_input", "dataset=mnist&model=mnist-z16", affinity=cookie)

    async def open_session() -> None:
        await session.open()

    asyncio.run(open_session())
    assert session.session_id
    _, answer, _ = request(hall.url, path="/_stcore/health", headers={"Cookie": f"vae_affinity={cookie}"})
    token = next(c.split(";")[0].split("=", 1)[1] for c in answer.get_all("Set-Cookie") if c.startswith("_streamlit_xsrf="))
    cookies = f"vae_affinity={cookie}; _streamlit_xsrf={token}"
    for i, size in enumerate([1000, 4 * 1024 * 1024]):
        content_type, body = multipart("digit.png", os.urandom(size))
        path = f"/_stcore/upload_file/{session.session_id}/file{i}"
        status, answer, _ = request(hall.url, "PUT", path, {"Content-Type": content_type, "Cookie": cookies, "X-Xsrftoken": token}, body)
        assert status == 204 and answer.get("X-Replica"), (size, status)
    content_type, body = multipart("digit.png", os.urandom(1000))
    path = f"/_stcore/upload_file/{session.session_id}/file9"
    status, answer, _ = request(hall.url, "PUT", path, {"Content-Type": content_type, "Cookie": cookies}, body)
    assert status == 403 and answer.get("X-Replica")


def flood(url: str, cookie: str, limit: int = 20000) -> tuple[int, int]:
    """Requests as fast as one keep-alive connection allows until nginx says 429: (sent, status)."""
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    try:
        for sent in range(1, limit + 1):
            conn.request("GET", "/_stcore/health", headers={"Cookie": f"vae_affinity={cookie}"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                return sent, response.status
        return limit, 200
    finally:
        conn.close()


def test_one_abusive_client_does_not_starve_the_class(hall) -> None:
    """From the same address (127.0.0.1, like a class behind one NAT): a client opening 100 websockets
    with one cookie gets at most 8 and 429 for the rest, a client flooding requests gets 429, and 8
    students with their own cookies open their scene and change a widget meanwhile without an error."""
    page, query, keys = SCENES["generate"]
    students = [Session(hall.url, page, query, affinity=f"student-{i}-{uuid.uuid4().hex}") for i in range(8)]

    async def abuse_and_study() -> tuple[list, list]:
        for s in students:
            await s.open()
        url = hall.url.replace("http://", "ws://") + "/_stcore/stream"
        headers = {"Cookie": "vae_affinity=abuser"}

        async def one() -> object:
            try:
                return await websockets.connect(url, subprotocols=["streamlit"], additional_headers=headers, open_timeout=60)
            except websockets.InvalidStatus as e:
                return e.response.status_code

        opened = await asyncio.gather(*(one() for _ in range(100)))
        flooding = asyncio.create_task(asyncio.to_thread(flood, hall.url, "flooder"))
        rng = random.Random(0)
        moves = []
        for s in students:
            await s.open()  # a fresh websocket while the abuser holds its eight
            moves.append(await s.set(*random_move(s, keys, rng)))
        flooded = await flooding
        for ws in opened:
            if not isinstance(ws, int):
                await ws.close()
        for s in students:
            await s.close()
        return opened, [flooded, *moves]

    opened, (flooded, *moves) = asyncio.run(abuse_and_study())
    refused = [o for o in opened if isinstance(o, int)]
    assert len(opened) - len(refused) <= 8 and set(refused) == {429}, refused
    assert flooded[1] == 429, flooded
    assert all(run.exceptions == [] for run in moves) and all(s.exceptions == [] for s in students)


def test_a_killed_replica_comes_back_and_nothing_else_stops(hall) -> None:
    """SIGKILL replica 1: supervisord starts it again (its health answers before a generous deadline);
    replica 2, nginx and supervisord keep their processes, and both the survivor and nginx answer every
    probe during the gap."""
    pids_before = hall.replica_pids()
    nginx_before, supervisor_before = hall.program_pid("nginx"), int((hall.run_dir / "supervisord.pid").read_text())
    failures: list[str] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            for url in (hall.replica_urls[1], hall.url):
                if not health(url):
                    failures.append(url)
            time.sleep(0.2)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        hall.kill(0)
        deadline = time.monotonic() + 120
        while not (health(hall.replica_urls[0]) and hall.pid(0) not in (0, pids_before[0])):
            assert time.monotonic() < deadline, hall.supervisorctl("status")
            time.sleep(0.5)
    finally:
        stop.set()
        prober.join()
    assert failures == []
    assert hall.pid(1) == pids_before[1] and hall.program_pid("nginx") == nginx_before
    assert int((hall.run_dir / "supervisord.pid").read_text()) == supervisor_before
    assert "replica1 (terminated by SIGKILL; not expected)" in (hall.run_dir / "supervisord.log").read_text()


def test_ctrl_c_stops_everything(hall) -> None:
    """SIGINT to the script: supervisord, both replicas, nginx's master and workers are gone, and so is
    the run folder."""
    running = hall.processes()
    assert len(running) >= 5 and all(process_alive(p) for p in running)  # supervisord, 2 replicas, nginx + a worker
    left = hall.stop(signal.SIGINT)
    assert left == [] and not hall.run_dir.exists()
    assert hall.script.returncode == 130
