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
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

AFFINITY_COOKIE = "vae_affinity"  # nginx hashes on it (deploy/nginx.conf.template)
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
        self.affinity = affinity or uuid.uuid4().hex  # one cookie per tab: nginx keeps the tab on one replica
        self.widgets: dict[str, Widget] = {}  # user key -> widget
        self.values: dict[str, WidgetState] = {}  # widget id -> last value sent (triggers are not kept)
        self.bound: dict[str, str | None] = {}  # URL parameter -> text, for widgets bound to the URL (None: default)
        self.ws = None
        self.session_id = ""
        self.replica = ""  # nginx's X-Replica answer header: the replica this connection reached
        self.exceptions: list[str] = []

    # -- connection ------------------------------------------------------------------------------
    async def open(self) -> Run:
        """Connect and run the scene's page with its query string: a fresh page load (also after a
        lost connection: the same affinity cookie, and everything a student sees is in the URL)."""
        await self.close()
        url = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/_stcore/stream"
        try:
            self.ws = await websockets.connect(
                url,
                subprotocols=["streamlit"],
                additional_headers={"Cookie": f"{AFFINITY_COOKIE}={self.affinity}"},
                max_size=None,
                ping_interval=None,  # Streamlit's frontend sends no pings either; a busy server must not look dead
                open_timeout=self.timeout_s,
                close_timeout=2,
                compression=None,
            )
        except (TimeoutError, OSError, websockets.WebSocketException) as e:
            raise SessionLost(f"connect: {e!r}") from e
        self.replica = self.ws.response.headers.get("X-Replica", "")
        self.widgets.clear()
        self.values.clear()
        self.bound.clear()  # a fresh page load: the URL (self.scene.query) holds them now
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
        else:
            raise ValueError(f"{key}: {widget.kind} widgets are not simulated")
        client_state = ClientState(fragment_id=widget.fragment_id)
        client_state.widget_states.widgets.extend(v for i, v in self.values.items() if i != widget.id)
        client_state.widget_states.widgets.append(state)
        if widget.kind != "button":
            self.values[widget.id] = state
            if getattr(widget.proto, "query_param_key", ""):  # the frontend writes a bound widget into the URL
                self._write_query(widget.proto.query_param_key, value, self._default(widget))
        return await self._run(client_state)

    def value(self, key: str) -> float | int | bool | None:
        """The value the server last drew widget `key` with (its value if set, else its default)."""
        widget = self.widgets[key]
        p = widget.proto
        if widget.kind == "button":
            return None
        raw = p.value if getattr(p, "set_value", False) else p.default
        return raw[0] if widget.kind == "slider" else raw

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
        client_state.page_name = self.scene.page
        client_state.context_info.timezone = "UTC"
        client_state.context_info.locale = "en-US"
        client_state.context_info.url = f"{self.base_url}/{self.scene.page}?{self.scene.query}"
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
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
            elif kind == "delta":
                self._see_delta(msg.delta, exceptions)
            elif kind == "page_info_changed":
                self.scene.query = self._with_bound(msg.page_info_changed.query_string)
            elif kind == "page_not_found":
                exceptions.append(f"page not found: {self.scene.page}")
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # superseded by a rerun the app asked for itself
                run = Run(time.perf_counter() - started, msg.script_finished, exceptions)
                if msg.script_finished not in FINISHED:
                    exceptions.append(f"script finished with status {msg.script_finished}")
                self.exceptions += exceptions
                return run

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


# -- a scripted student -------------------------------------------------------------------------
# Each scene: a deep link and the widget moves a student makes there (user key, how to pick a value).
SCENES: dict[str, tuple[str, str, list[str]]] = {
    "generate": ("generate", "dataset=mnist&model=mnist-z16", ["gen_seed", "gen_next", "gen_temp"]),
    "interpolation": ("interpolation", "dataset=mnist&model=mnist-z16", ["ip_steps", "ip_t"]),
    "latent_map": ("latent_map", "dataset=mnist&model=mnist-dense-z2", ["manifold_n", "manifold_r"]),
    "lesson": ("lesson", "step=3", ["lesson_next"]),
}


def random_move(session: Session, keys: list[str], rng: random.Random) -> tuple[str, float | None]:
    """A widget change a student could make among `keys` present on the page: (key, value)."""
    present = [k for k in keys if k in session.widgets]
    if not present:
        raise KeyError(f"none of {keys} on {session.scene.page} (widgets: {sorted(session.widgets)})")
    key = rng.choice(present)
    if session.widgets[key].kind == "button":
        return key, None
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
