"""Simulated students: sessions that speak Streamlit's own websocket protocol, no browser.

A session opens `/_stcore/stream` (through nginx or straight at a replica), sends the BackMsg the
Streamlit frontend sends first (`rerun_script` with the page's url path and query string), reads
ForwardMsgs until `script_finished`, and keeps what a browser would keep: the widgets seen (id, type,
fragment), the query string the app wrote back (`page_info_changed`) and every exception element.
A widget change is one more `rerun_script` carrying the widget states, in the fragment the widget
lives in. Hundreds of sessions fit in one asyncio loop, where Chromium fits about 20 on this machine.

    python -m benchmarks.protocol_client http://127.0.0.1:8501 --sessions 5 --interactions 6

Protobuf messages are those shipped in the `streamlit` package (BackMsg, ForwardMsg, ClientState,
WidgetStates), so the client follows the installed server's protocol version.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fnmatch
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field

import websockets
from streamlit import config as streamlit_config
from streamlit.components.v2.bidi_component.main import _make_trigger_id as trigger_id
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

MAX_CACHED_MESSAGE_AGE = int(streamlit_config.get_option("global.maxCachedMessageAge"))
AFFINITY_COOKIE = "vae_affinity"  # the browser's id: nginx's per-client limits, and its hash without REPLICA_COOKIE
REPLICA_COOKIE = "vae_replica"  # the replica that last answered: nginx routes by it (deploy/nginx.conf.template)
FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


class SessionLost(Exception):
    """The websocket closed or could not be opened: the replica behind it is gone."""


class NoAnswer(SessionLost):
    """The websocket stayed open but no `script_finished` came within the timeout."""


@dataclass
class Widget:
    """A widget as the frontend knows it: element id (`$$ID-<hash>-<key>`), element type, fragment."""

    id: str
    kind: str  # the Element oneof: "slider", "number_input", "button", ...
    fragment_id: str
    proto: object  # the element's own message (min/max/default/...)


@dataclass
class Run:
    """One script run as seen from the client: seconds from the BackMsg to `script_finished`."""

    seconds: float
    status: int
    exceptions: list[str]


@dataclass
class Scene:
    """Everything that names what a student looks at: the page's url path and its query string."""

    page: str
    query: str


class Session:
    """One simulated browser tab. Not thread-safe; one coroutine drives it."""

    def __init__(self, base_url: str, page: str, query: str = "", timeout_s: float = 60.0, affinity: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.scene = Scene(page.strip("/"), query.lstrip("?"))
        self.timeout_s = timeout_s
        self.affinity = affinity or uuid.uuid4().hex  # one browser id per tab
        self.pinned = ""  # the vae_replica cookie nginx last set: the replica holding this tab's session
        self.widgets: dict[str, Widget] = {}  # user key -> widget
        self.values: dict[str, WidgetState] = {}  # widget id -> last value sent (triggers are not kept)
        self.bound: dict[str, str | None] = {}  # URL parameter -> text, for widgets bound to the URL (None: default)
        self.ws = None
        self.session_id = ""
        self.replica = ""  # nginx's X-Replica answer header: the replica this connection reached
        self.exceptions: list[str] = []
        self.page_hash = ""  # the page's script hash from the app's navigation message
        self.cache: dict[str, bytes] = {}  # the frontend's message cache (hash -> message) ...
        self.cache_age: dict[str, int] = {}  # ... and each entry's age in finished runs since it was last used

    # -- connection ------------------------------------------------------------------------------
    def cookie_header(self) -> str:
        """The Cookie header a browser would send: its id, and the replica nginx pinned it to (once it has)."""
        return f"{AFFINITY_COOKIE}={self.affinity}" + (f"; {REPLICA_COOKIE}={self.pinned}" if self.pinned else "")

    def keep_cookies(self, set_cookies: list[str]) -> None:
        """Keep the vae_replica of an answer's Set-Cookie headers, as a browser does (nginx moves it when the
        replica it named is gone and another one answers)."""
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].strip().partition("=")
            if name == REPLICA_COOKIE and value:
                self.pinned = value

    async def fetch_assets(self, paths: list[str], concurrency: int = 6) -> float:
        """What a browser fetches over HTTP to show the page the first time (the app's JavaScript and
        CSS, the components' files, the map's arrays, the ONNX decoder: recorded by record_page_assets),
        `concurrency` at a time like a browser's connections to one host. A browser keeps them in its
        cache, so a tab does this once, not on a reconnect. → seconds taken; SessionLost if the server
        cannot be reached."""
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError

        client = AsyncHTTPClient(max_clients=64)
        queue = list(paths)
        started = time.perf_counter()

        async def worker() -> None:
            while queue:
                path = queue.pop()
                headers = {"Cookie": self.cookie_header()}
                try:
                    response = await client.fetch(self.base_url + path, headers=headers, request_timeout=self.timeout_s, raise_error=True)
                    self.keep_cookies(response.headers.get_list("Set-Cookie"))
                except HTTPClientError as e:
                    if e.response is not None:
                        self.keep_cookies(e.response.headers.get_list("Set-Cookie"))
                    if e.code >= 500 or e.code == 599:
                        raise SessionLost(f"GET {path}: {e}") from e
                except OSError as e:
                    raise SessionLost(f"GET {path}: {e!r}") from e

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started

    async def open(self) -> Run:
        """Connect and run the scene's page with its query string: a fresh page load (also after a
        lost connection: the same cookies, and everything a student sees is in the URL)."""
        await self.close()
        url = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/_stcore/stream"
        try:
            self.ws = await websockets.connect(
                url,
                subprotocols=["streamlit"],
                additional_headers={"Cookie": self.cookie_header()},
                max_size=None,
                ping_interval=None,  # Streamlit's frontend sends no pings either; a busy server must not look dead
                open_timeout=self.timeout_s,
                close_timeout=2,
                compression=None,
            )
        except (TimeoutError, OSError, websockets.WebSocketException) as e:
            raise SessionLost(f"connect: {e!r}") from e
        self.replica = self.ws.response.headers.get("X-Replica", "")
        self.keep_cookies(self.ws.response.headers.get_all("Set-Cookie"))
        self.widgets.clear()
        self.values.clear()
        self.bound.clear()  # a fresh page load: the URL (self.scene.query) holds them now
        self.page_hash = ""  # ... and the URL's path names the page
        return await self._run(ClientState())

    async def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(websockets.WebSocketException, OSError, asyncio.TimeoutError):
                await ws.close()

    # -- interactions ----------------------------------------------------------------------------
    async def set(self, key: str, value: float | int | bool | None = None) -> Run:
        """Change the widget with user key `key` (a button is pressed: value ignored) and wait for the rerun."""
        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        if widget.kind == "button":
            state.trigger_value = True
        elif widget.kind == "slider":
            state.double_array_value.data.append(float(value))
        elif widget.kind == "number_input":
            if widget.proto.data_type == widget.proto.INT:
                state.int_value = int(value)
            else:
                state.double_value = float(value)
        elif widget.kind in ("checkbox", "toggle"):
            state.bool_value = bool(value)
        elif widget.kind in ("selectbox", "radio"):
            state.string_value = str(value)  # the option as shown (its formatted label), as the frontend sends it
        elif widget.kind == "button_group":  # segmented control / pills: the chosen options' labels
            state.string_array_value.data.append(str(value))
        elif widget.kind == "bidi_component":  # a click on the browser map (ui.components.live.latent_map): a trigger event
            state.id = trigger_id(widget.id, "events")
            state.json_trigger_value = json.dumps([{"event": "click", "value": value}])
        else:
            raise ValueError(f"{key}: {widget.kind} widgets are not simulated")
        client_state = ClientState(fragment_id=widget.fragment_id)
        client_state.widget_states.widgets.extend(v for i, v in self.values.items() if i != widget.id)
        client_state.widget_states.widgets.append(state)
        if widget.kind not in ("button", "bidi_component"):  # triggers are sent once, values every time
            self.values[widget.id] = state
            if getattr(widget.proto, "query_param_key", "") and widget.kind in ("slider", "number_input", "checkbox", "toggle"):
                # the frontend writes a bound widget into the URL (choice widgets here are written by the app)
                self._write_query(widget.proto.query_param_key, value, self._default(widget))
        return await self._run(client_state)

    def value(self, key: str) -> float | int | bool | None:
        """The value the server last drew widget `key` with (its value if set, else its default)."""
        widget = self.widgets[key]
        p = widget.proto
        if widget.kind == "button":
            return None
        if widget.id in self.values:  # what this tab last sent
            state = self.values[widget.id]
            kind = state.WhichOneof("value")
            raw = getattr(state, kind)
            return raw.data[0] if kind in ("double_array_value", "string_array_value") else raw
        if widget.kind in ("selectbox", "radio"):
            return p.options[p.default] if p.options and p.HasField("default") else None
        if widget.kind == "button_group":
            return p.options[p.default[0]].content if p.default else None
        if widget.kind == "bidi_component":
            return None
        raw = p.value if getattr(p, "set_value", False) else p.default
        return raw[0] if widget.kind == "slider" else raw

    def options(self, key: str) -> list[str]:
        """The options of a choice widget as shown (formatted labels)."""
        widget = self.widgets[key]
        if widget.kind == "button_group":
            return [o.content for o in widget.proto.options]
        return list(widget.proto.options)

    @staticmethod
    def _default(widget: Widget) -> float | int | bool:
        default = widget.proto.default
        return default[0] if widget.kind == "slider" else default

    def _write_query(self, name: str, value: float | int | bool, default: float | int | bool) -> None:
        """Like the frontend's query-param binding: name=value in the URL, dropped while at the default."""
        text = ("true" if value else "false") if isinstance(value, bool) else f"{value:.10g}"
        self.bound[name] = None if value == default else text
        self.scene.query = self._with_bound(self.scene.query)

    def _with_bound(self, query: str) -> str:
        """A query string from the server with the bound widgets' values as the frontend keeps them
        (the server's copy of the URL does not follow a bound widget: the browser writes those)."""
        pairs = [p for p in query.split("&") if p and p.split("=", 1)[0] not in self.bound]
        return "&".join(pairs + [f"{k}={v}" for k, v in self.bound.items() if v is not None])

    def numeric_range(self, key: str) -> tuple[float, float, float]:
        """(min, max, step) of a slider or number input."""
        p = self.widgets[key].proto
        return float(p.min), float(p.max), float(p.step or 1)

    # -- the protocol ----------------------------------------------------------------------------
    async def _run(self, client_state: ClientState) -> Run:
        client_state.query_string = self.scene.query
        if self.page_hash:  # after the first run the frontend names the page by its script hash, as the app told it
            client_state.page_script_hash = self.page_hash
        else:
            client_state.page_name = self.scene.page
        client_state.context_info.timezone = "UTC"
        client_state.context_info.locale = "en-US"
        client_state.context_info.url = f"{self.base_url}/{self.scene.page}?{self.scene.query}"
        client_state.cached_message_hashes.extend(self.cache)  # the server then sends references to these
        started = time.perf_counter()
        try:
            await self.ws.send(BackMsg(rerun_script=client_state).SerializeToString())
        except websockets.WebSocketException as e:
            raise SessionLost(f"send: {e!r}") from e
        exceptions: list[str] = []
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), self.timeout_s)
            except TimeoutError as e:
                raise NoAnswer(f"no answer within {self.timeout_s} s") from e
            except (websockets.WebSocketException, OSError) as e:
                raise SessionLost(f"recv: {e!r}") from e
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.WhichOneof("type") == "ref_hash":  # a large element this tab has already received
                if msg.ref_hash not in self.cache:
                    exceptions.append(f"reference to a message this tab never received: {msg.ref_hash}")
                    continue
                self.cache_age[msg.ref_hash] = 0
                msg.ParseFromString(self.cache[msg.ref_hash])
            elif msg.metadata.cacheable and msg.hash:
                self.cache[msg.hash] = raw
                self.cache_age[msg.hash] = 0
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
            elif kind == "delta":
                self._see_delta(msg.delta, exceptions)
            elif kind == "navigation":
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.scene.query = self._with_bound(msg.page_info_changed.query_string)
            elif kind == "page_not_found":
                exceptions.append(f"page not found: {self.scene.page}")
            elif kind == "script_finished":
                self._age_cache()
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # superseded by a rerun the app asked for itself
                run = Run(time.perf_counter() - started, msg.script_finished, exceptions)
                if msg.script_finished not in FINISHED:
                    exceptions.append(f"script finished with status {msg.script_finished}")
                self.exceptions += exceptions
                return run

    def _age_cache(self) -> None:
        """Like the frontend's ForwardMsgCache: after each finished run, entries not used for more than
        `global.maxCachedMessageAge` runs are dropped (the server then sends them in full again)."""
        for h in list(self.cache_age):
            self.cache_age[h] += 1
            if self.cache_age[h] > MAX_CACHED_MESSAGE_AGE:
                del self.cache_age[h], self.cache[h]

    def _see_delta(self, delta, exceptions: list[str]) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            e = element.exception
            exceptions.append(f"{e.type}: {e.message}")
            return
        proto = getattr(element, kind, None)
        widget_id = getattr(proto, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            key = widget_id.split("-", 2)[2] if widget_id.count("-") >= 2 else ""
            if key and key != "None":
                self.widgets[key] = Widget(widget_id, kind, delta.fragment_id, proto)
                if widget_id not in self.values or getattr(proto, "set_value", False):
                    # the frontend keeps a value for every widget it drew (its default, or the value the
                    # app set) and sends them all with each rerun, fragment runs included
                    shown = shown_state(self.widgets[key])
                    if shown is not None:
                        self.values[widget_id] = shown


def shown_state(widget: Widget) -> WidgetState | None:
    """The value the frontend holds for a widget it has just drawn (the app's value if it set one, else
    the default), as it sends it back; None for widgets without a value (buttons, uploads, components)."""
    p, kind = widget.proto, widget.kind
    state = WidgetState(id=widget.id)
    given = getattr(p, "set_value", False)
    if kind == "slider":
        state.double_array_value.data.extend(p.value if given else p.default)
    elif kind == "number_input":
        if not (given or p.HasField("default")):
            return None  # an empty box
        value = p.value if given else p.default
        if p.data_type == p.INT:
            state.int_value = int(value)
        else:
            state.double_value = float(value)
    elif kind in ("checkbox", "toggle"):
        state.bool_value = p.value if given else p.default
    elif kind in ("selectbox", "radio"):
        if given and p.HasField("raw_value"):
            state.string_value = p.raw_value
        elif p.HasField("default") and p.options:
            state.string_value = p.options[p.default]
        else:
            return None
    elif kind == "button_group":
        state.string_array_value.data.extend(list(p.raw_values) if given else [p.options[i].content for i in p.default])
    elif kind == "multiselect":
        state.string_array_value.data.extend(list(p.raw_values) if given else [p.options[i] for i in p.default])
    else:
        return None
    return state


# -- a scripted student -------------------------------------------------------------------------
# Each scene: a deep link and the widget moves a student makes there (user keys; "*" patterns match
# numbered widgets). What follows the hand (hovering the map, dragging a slider or the scrub) runs in
# the browser and sends nothing: the server sees the click, the release, the choice, the press.
SCENES: dict[str, tuple[str, str, list[str]]] = {
    "generate": ("generate", "dataset=mnist&model=mnist-z16", ["gen_seed", "gen_next", "gen_temp"]),
    "interpolation": ("interpolation", "dataset=mnist&model=mnist-z16", ["ip_steps", "ip_t", "ip_method"]),
    "latent_map": ("latent_map", "dataset=mnist&model=mnist-z16&projection=pca", ["live_map_*", "live_map_*", "projection"]),
    "manifold": ("latent_map", "dataset=mnist&model=mnist-dense-z2", ["manifold_n", "manifold_r", "live_map_*"]),
    "lesson": ("lesson", "step=3", ["lesson_next", "lesson_prev"]),
    "composer": ("composer", "dataset=celeba", ["cmp_sel_*", "cmp_sel_*", "composer_breed"]),
}


def map_click(session: Session, key: str, rng: random.Random) -> dict:
    """A click on a random spot of the browser map `key` (anywhere in its extent; no test point picked)."""
    (x0, x1), (y0, y1) = json.loads(session.widgets[key].proto.json)["map"]["extent"]
    return {"x": rng.uniform(x0, x1), "y": rng.uniform(y0, y1), "index": None}


def random_move(session: Session, keys: list[str], rng: random.Random) -> tuple[str, object]:
    """A widget change a student could make among `keys` present and enabled on the page: (key, value)."""
    present = [
        [k for k in session.widgets if fnmatch.fnmatchcase(k, pattern) and not getattr(session.widgets[k].proto, "disabled", False)]
        for pattern in keys
    ]
    present = [ks for ks in present if ks]
    if not present:
        raise KeyError(f"none of {keys} on {session.scene.page} (widgets: {sorted(session.widgets)})")
    key = rng.choice(rng.choice(present))
    kind = session.widgets[key].kind
    if kind == "button":
        return key, None
    if kind in ("checkbox", "toggle"):
        return key, not session.value(key)
    if kind in ("selectbox", "radio", "button_group"):
        others = [o for o in session.options(key) if o != session.value(key)]
        return key, rng.choice(others or session.options(key))
    if kind == "bidi_component":
        return key, map_click(session, key, rng)
    lo, hi, step = session.numeric_range(key)
    hi = min(hi, lo + 1000 * step)  # seeds: a few values are enough
    value = round(lo + step * rng.randrange(int(round((hi - lo) / step)) + 1), 10)
    return key, value


@dataclass
class StudentLog:
    scene: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def student(base_url: str, scene: str, interactions: int, seed: int, timeout_s: float = 60.0) -> StudentLog:
    """Open a scene and make `interactions` widget changes; every failure is recorded, none raised."""
    page, query, keys = SCENES[scene]
    log = StudentLog(scene)
    rng = random.Random(seed)
    session = Session(base_url, page, query, timeout_s)
    try:
        run = await session.open()
        log.errors += run.exceptions
        for _ in range(interactions):
            key, value = random_move(session, keys, rng)
            run = await session.set(key, value)
            log.latencies.append(run.seconds)
            log.errors += [f"{key}={value}: {e}" for e in run.exceptions]
    except (SessionLost, KeyError) as e:
        log.errors.append(repr(e))
    finally:
        await session.close()
    return log


def record_page_assets(base_url: str, page: str, query: str, settle_s: float = 1.0) -> list[str]:
    """The paths a headless Chromium fetches from the server over HTTP when it opens the page (until the
    app is idle and `settle_s` more): the page load a simulated tab replays (Session.fetch_assets)."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, wait_for_app

    origin = base_url.rstrip("/")
    paths: list[str] = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.on("request", lambda r: paths.append(r.url[len(origin) :]) if r.url.startswith(origin) and r.method == "GET" else None)
            tab.goto(f"{origin}/{page}?{query}", timeout=60_000)
            wait_for_app(tab)
            tab.wait_for_timeout(settle_s * 1000)
        finally:
            browser.close()
    return [path for path in paths if not path.startswith("/_stcore/stream")]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q * 100) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base_url")
    ap.add_argument("--sessions", type=int, default=5)
    ap.add_argument("--interactions", type=int, default=6)
    ap.add_argument("--scenes", default=",".join(SCENES))
    args = ap.parse_args()
    scenes = args.scenes.split(",")

    async def all_students() -> list[StudentLog]:
        return await asyncio.gather(
            *(student(args.base_url, scenes[i % len(scenes)], args.interactions, seed=i) for i in range(args.sessions))
        )

    started = time.perf_counter()
    logs = asyncio.run(all_students())
    latencies = [s for log in logs for s in log.latencies]
    errors = [e for log in logs for e in log.errors]
    print(f"{args.sessions} sessions x {args.interactions} interactions in {time.perf_counter() - started:.1f} s")
    print(f"per interaction: p50 {percentile(latencies, 0.5):.3f} s, p95 {percentile(latencies, 0.95):.3f} s, n={len(latencies)}")
    print(f"errors: {len(errors)}")
    for e in errors[:20]:
        print("  ", e)


if __name__ == "__main__":
    main()
