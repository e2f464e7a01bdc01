"""A lecture hall: simulated students (benchmarks/protocol_client.py) through nginx to N replicas.

    python -m benchmarks.lecture_hall --replicas 2 --sessions 200 --interactions 20 --ramp-s 30
    python -m benchmarks.lecture_hall --replicas 2 --sessions 40 --interactions 10 --kill-one-at 25

Each student first replays the HTTP fetches Chromium makes to open its scene (recorded once per scene,
`--no-assets` to skip), opens the scene by its deep link (protocol_client.SCENES: generate,
interpolation, the PCA map's clicks, the z2 map and manifold, the lesson, the face composer's breed),
then makes `--interactions` widget changes with a think time between them (uniform 0.5..1.5 x
`--think-s`), each one a rerun waited for until `script_finished`. Sessions are opened over `--ramp-s`
seconds. At the end, `--extra-sessions` more tabs open on warm caches to measure memory per session.

`--kill-one-at S`: S seconds after the first student starts, replica 0 is SIGKILLed (supervisord
restarts it; the hall is `scripts/serve_replicas.sh`, run by harness.nginx.lecture_hall). Its students'
websockets drop; each reopens its scene through nginx (same affinity cookie, the URL it had, which
holds every widget value: nginx sends it to a replica that is alive) and carries on. Reported for
them: seconds without an answer (from the request that got none, and from the kill, to the reopened
scene's `script_finished`), interactions lost (a button press in flight, or a value the reopened scene
does not show) and whether the scene came back (every URL parameter it had). Errors: an exception
element, a timeout (`--timeout-s`), a drop without a kill, a scene that could not be reopened.

The report is printed and written to logs/lecture_hall_<replicas>r_<sessions>s_<interactions>i[_kill].txt
(or `--log`). Exit status 0 only with zero errors and every affected session back within 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import platform
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load_test import cpu_seconds
from benchmarks.protocol_client import SCENES, NoAnswer, Session, SessionLost, percentile, random_move, record_page_assets
from harness.browser import rss_kib
from harness.nginx import lecture_hall

REPO = Path(__file__).resolve().parent.parent
OPEN_AT_ONCE = 10  # extra tabs for the memory measure open this many at a time
BACK_WITHIN_S = 10.0  # the bar for a student whose replica died
CLICK_TIMEOUT_MS = 15_000  # a real tab's click lost with its replica: the tab reloads meanwhile, and clicks again


@dataclass
class Loss:
    """One dropped websocket and what the student saw of it."""

    seen_at: float  # time.time() when the request got no answer
    answered_at: float  # when the reopened scene finished its run
    reconnects: int  # connection attempts until one answered
    interaction_lost: bool
    restored: bool  # every URL parameter of the scene is back


@dataclass
class Student:
    index: int
    scene: str
    latencies: list[float] = field(default_factory=list)
    by_key: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)
    done: int = 0
    replicas: list[str] = field(default_factory=list)  # the replica each (re)opened connection reached
    session: Session | None = None  # kept open until every student is done (memory per open session)


async def reopen(session: Session, budget_s: float) -> int:
    """Reopen the session's scene until an answer comes (or budget_s passes): number of attempts."""
    deadline = time.monotonic() + budget_s
    attempts = 0
    while True:
        attempts += 1
        try:
            await session.open()
            return attempts
        except NoAnswer:
            raise
        except SessionLost:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def same_value(shown: object, sent: object) -> bool:
    """Whether the reopened scene shows the value the lost interaction sent (numbers up to rounding)."""
    if isinstance(shown, (int, float)) and isinstance(sent, (int, float)) and not isinstance(shown, bool):
        return abs(float(shown) - float(sent)) <= 1e-9
    return shown == sent


def label_of(key: str) -> str:
    """The row of the report an interaction counts in (numbered widgets and map clicks grouped)."""
    if key.startswith("live_map_"):
        return "map click"
    return re.sub(r"_\d+$", "_*", key) if key.startswith("cmp_sel_") else key


def params(query: str) -> set[str]:
    """A query string's name=value pairs."""
    return set(filter(None, query.split("&")))


async def run_student(url: str, log: Student, args: argparse.Namespace, assets: dict[str, list[str]] | None = None) -> Student:
    """One student's session, recorded into `log` as it goes (so a run stopped at its budget keeps it)."""
    page, query, keys = SCENES[log.scene]
    index = log.index
    rng = random.Random(index)
    await asyncio.sleep(args.ramp_s * index / max(1, args.sessions))
    session = log.session = Session(url, page, query, args.timeout_s)
    try:
        if assets:
            await session.fetch_assets(assets[log.scene])  # the browser's first page load; cached afterwards
        await reopen(session, budget_s=30)
        log.replicas.append(session.replica)
        for _ in range(args.interactions):
            await asyncio.sleep(args.think_s * rng.uniform(0.5, 1.5))
            key, value = random_move(session, keys, rng)
            sent = time.time()
            try:
                run = await session.set(key, value)
            except NoAnswer as e:
                log.errors.append(f"{key}={value}: {e}")
                return log
            except SessionLost:
                url_before = params(session.scene.query)  # the URL when the answer failed (the change in flight included)
                attempts = await reopen(session, budget_s=60)
                log.replicas.append(session.replica)
                lost = session.widgets[key].kind in ("button", "bidi_component") or not same_value(session.value(key), value)
                restored = {p for p in url_before if p.split("=", 1)[0] != key} <= params(session.scene.query)
                log.losses.append(Loss(sent, time.time(), attempts, lost, restored))
                log.done += 0 if lost else 1
                continue
            log.latencies.append(run.seconds)
            log.by_key.setdefault(label_of(key), []).append(run.seconds)
            log.errors += [f"{key}={value}: {e}" for e in run.exceptions]
            log.done += 1
    except (SessionLost, KeyError) as e:
        log.errors.append(repr(e))
    return log


async def memory_per_session(url: str, hall, students: list[Student], scenes: list[str], args: argparse.Namespace) -> list[str]:
    """Memory an open session holds: with the run's sessions still open and the caches warm (every
    scene's pictures made), `--extra-sessions` more tabs open the same scenes and stay open; the
    replicas' resident memory grows by what the sessions hold (their state, widgets, message queues),
    divided by the tabs each replica got. → report lines."""
    alive = [(u, pid) for u, pid in zip(hall.replica_urls, hall.replica_pids()) if pid]  # a killed replica restarted counts
    before = {u: rss_kib(pid) for u, pid in alive}
    extra = [Session(url, *SCENES[scenes[i % len(scenes)]][:2], args.timeout_s) for i in range(args.extra_sessions)]
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def open_one(session: Session):
        async with gate:
            return await session.open()

    opened = await asyncio.gather(*(open_one(s) for s in extra), return_exceptions=True)
    await asyncio.sleep(2.0)
    after = {u: rss_kib(pid) for u, pid in alive}
    placed = collections.Counter(s.replica for s, r in zip(extra, opened) if not isinstance(r, BaseException))
    await asyncio.gather(*(s.close() for s in extra))
    lines = []
    for u, _ in alive:
        n = placed.get(u.split("//", 1)[1], 0)
        if n:
            lines.append(
                f"{u}: +{(after[u] - before[u]) / 1024:.1f} MiB for {n} more open sessions = {(after[u] - before[u]) / 1024 / n:.2f} MiB each"
            )
    failed = sum(isinstance(r, BaseException) for r in opened)
    if failed:
        lines.append(
            f"({failed} of the {len(extra)} extra tabs could not open: {next(r for r in opened if isinstance(r, BaseException))!r})"
        )
    return lines or ["memory per session: not measured (no extra session opened)"]


class BrowserTabs(threading.Thread):
    """`--browsers` real Chromium tabs among the simulated students (each its own context, so its own
    affinity cookie): each opens Generate (benchmarks.replica_kill_browser.PAGE) and clicks its "Next"
    seed button in turn, about every --think-s seconds, until the students are done. Timed in the page
    (harness.browser's input clock): click → new image. A tab on the killed replica reloads itself
    (ui.components.reconnect); for those: seconds from the kill to the first click answered after it."""

    def __init__(self, hall, n: int, think_s: float, timeout_s: float) -> None:
        super().__init__(daemon=True)
        self.hall, self.url, self.n, self.think_s, self.timeout_ms = hall, hall.url, n, think_s, timeout_s * 1000
        self.done = threading.Event()
        self.ready = threading.Event()
        self.latencies_ms: list[float] = []
        self.replicas: list[str] = []  # X-Replica of each tab's page load
        self.answered: list[list[tuple[float, float]]] = []  # (time.time() of the click, of its answer), per tab
        self.errors: list[str] = []

    def run(self) -> None:
        from playwright.sync_api import sync_playwright

        from benchmarks.replica_kill_browser import CLOCK, PAGE, click_next
        from harness.browser import launch_chromium, new_page, wait_for_app

        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                pages = []
                per_replica = -(-self.n // len(self.hall.replica_urls))  # the tabs spread evenly, not by the hash's luck
                for cookie, _ in self.hall.split_cookies(per_replica, "browser")[: self.n]:
                    page = new_page(browser)
                    page.set_default_timeout(self.timeout_ms)
                    page.context.add_cookies([{"name": "vae_affinity", "value": cookie, "url": self.url}])
                    page.context.add_init_script(CLOCK)
                    response = page.goto(self.url + PAGE)
                    self.replicas.append(response.headers.get("x-replica", "?"))
                    wait_for_app(page, self.timeout_ms)
                    pages.append(page)
                    self.answered.append([])
                self.ready.set()
                rng = random.Random(7)
                while not self.done.is_set():
                    for i, page in enumerate(pages):
                        if self.done.wait(rng.uniform(0.5, 1.5) * self.think_s / self.n):
                            break
                        try:
                            wait_for_app(page, self.timeout_ms)  # a reloaded tab: its scene first
                            clicked = time.time()
                            self.latencies_ms.append(click_next(page, CLICK_TIMEOUT_MS))
                            self.answered[i].append((clicked, time.time()))
                        except Exception as e:  # a click lost with a dying replica: the tab reloads, try again
                            self.errors.append(f"tab {i} ({self.replicas[i]}): {type(e).__name__}: {str(e)[:120]}")
                browser.close()
        except Exception as e:
            self.errors.append(f"browser tabs: {type(e).__name__}: {e}")
        finally:
            self.ready.set()

    @staticmethod
    def back_after(answered: list[tuple[float, float]], killed_at: float) -> float:
        """Seconds from the kill to the answer of the tab's first click made after it (inf: none answered).
        A tab clicks about every --think-s seconds, so this is coarse; benchmarks/replica_kill_browser.py
        times the way back itself."""
        after = [done for clicked, done in answered if clicked > killed_at]
        return after[0] - killed_at if after else float("inf")

    def report(self, killed_at: float | None, killed_replica: str | None) -> list[str]:
        lat = sorted(self.latencies_ms)
        lines = [
            f"real Chromium tabs among the students: {self.n} on Generate, clicks answered {len(lat)}, "
            f"click → image p50 {percentile(lat, 0.5):.0f} ms, p95 {percentile(lat, 0.95):.0f} ms",
            "  tabs per replica: " + ", ".join(f"{r}: {n}" for r, n in sorted(collections.Counter(self.replicas).items())),
        ]
        if killed_at is not None:
            back = [self.back_after(answered, killed_at) for r, answered in zip(self.replicas, self.answered) if r == killed_replica]
            lines.append(
                f"  tabs on the killed replica: {len(back)}, every one answering again: {all(b < float('inf') for b in back)}; "
                f"kill → first click answered: " + ", ".join(f"{b:.1f} s" for b in back)
            )
        lines.append(f"  clicks lost or failed: {len(self.errors)}")
        lines += [f"    {e}" for e in self.errors[:10]]
        return lines


async def run_hall(
    url: str, args: argparse.Namespace, hall, assets: dict | None = None
) -> tuple[list[Student], float | None, float, float, list[str]]:
    scenes = args.scenes.split(",")
    t0 = time.time()
    killed_at: float | None = None

    async def killer() -> None:
        nonlocal killed_at
        await asyncio.sleep(args.kill_one_at)
        killed_at = hall.kill(0)

    async def progress() -> None:
        while True:
            await asyncio.sleep(args.progress_s)
            lat = [x for st in students for x in st.latencies]
            print(f"  {time.time() - t0:6.0f} s: {len(lat)} answers, p50 {percentile(lat, 0.5):.2f} s, "
                  f"p95 {percentile(lat, 0.95):.2f} s, errors {sum(len(st.errors) for st in students)}", flush=True)  # fmt: skip

    students = [Student(i, scenes[i % len(scenes)]) for i in range(args.sessions)]
    kill_task = asyncio.create_task(killer()) if args.kill_one_at is not None else None
    progress_task = asyncio.create_task(progress())
    tasks = [asyncio.create_task(run_student(url, st, args, assets)) for st in students]
    _, pending = await asyncio.wait(tasks, timeout=args.budget_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for st, task in zip(students, tasks):
        if task in pending:
            st.errors.append(f"unfinished after the run's budget ({args.budget_s:.0f} s): {st.done} of {args.interactions} done")
    progress_task.cancel()
    t1 = time.time()
    memory = await memory_per_session(url, hall, students, scenes, args)
    await asyncio.gather(*(st.session.close() for st in students if st.session is not None))
    if kill_task is not None and not kill_task.done():
        kill_task.cancel()  # the students were done before the kill time: reported as no kill
    return students, killed_at, t0, t1, memory


def report(
    students: list[Student], args: argparse.Namespace, killed_at: float | None, t0: float, t1: float, rss: list[str]
) -> tuple[str, bool]:
    lat = [s for st in students for s in st.latencies]
    affected = [st for st in students if st.losses]
    unaffected = [st for st in students if not st.losses]
    errors = [f"student {st.index} ({st.scene}): {e}" for st in students for e in st.errors]
    lines = [
        f"lecture hall: {args.replicas} replicas behind nginx, {args.sessions} sessions x {args.interactions} interactions",
        f"think time {args.think_s} s (0.5..1.5x), ramp {args.ramp_s} s, timeout {args.timeout_s} s, scenes {args.scenes}",
        f"machine: {platform.node()}, {os.cpu_count()} CPUs; wall {t1 - t0:.1f} s",
        f"interactions answered: {len(lat)} of {args.sessions * args.interactions}",
        f"per interaction (BackMsg -> script_finished): p50 {percentile(lat, 0.5):.3f} s, p95 {percentile(lat, 0.95):.3f} s, max {max(lat, default=float('nan')):.3f} s",
    ]
    by_key: dict[str, list[float]] = {}
    for st in students:
        for k, v in st.by_key.items():
            by_key.setdefault(k, []).extend(v)
    for k, v in sorted(by_key.items()):
        lines.append(f"  {k:<12} n={len(v):5d}  p50 {percentile(v, 0.5):.3f} s  p95 {percentile(v, 0.95):.3f} s")
    first = collections.Counter(st.replicas[0] if st.replicas else "none" for st in students)
    lines.append("sessions per replica at the start (nginx X-Replica): " + ", ".join(f"{r}: {n}" for r, n in sorted(first.items())))
    lines.append(f"errors: {len(errors)} (in sessions without a replica loss: {sum(len(st.errors) for st in unaffected)})")
    kinds = collections.Counter(
        "no answer"
        if "no answer" in e
        else "unfinished at the budget"
        if "unfinished" in e
        else "lost connection"
        if "SessionLost" in e
        else "other"
        for e in errors
    )
    if kinds:
        lines.append("  by kind: " + ", ".join(f"{k}: {n}" for k, n in kinds.most_common()))
    lines += [f"  {e}" for e in errors[:30]]
    ok = not errors
    if killed_at is not None:
        losses = [loss for st in affected for loss in st.losses]
        gaps = [loss.answered_at - loss.seen_at for loss in losses]
        since_kill = [loss.answered_at - killed_at for loss in losses]
        restored = sum(loss.restored for loss in losses)
        lost = sum(loss.interaction_lost for loss in losses)
        back = all(g <= BACK_WITHIN_S for g in gaps)
        ok = ok and back and restored == len(losses)
        lines += [
            f"replica 0 killed at {killed_at - t0:.1f} s: {len(affected)} sessions affected, {len(unaffected)} not",
            f"  seconds without an answer (request sent -> reopened scene answered): p50 {percentile(gaps, 0.5):.2f}, max {max(gaps, default=float('nan')):.2f}",
            f"  seconds from the kill to the answer: p50 {percentile(since_kill, 0.5):.2f}, max {max(since_kill, default=float('nan')):.2f}",
            f"  reconnect attempts: max {max((loss.reconnects for loss in losses), default=0)}",
            f"  scenes restored: {restored} of {len(losses)}; interactions lost: {lost} (button presses in flight count as lost)",
            f"  every affected session back within {BACK_WITHIN_S:.0f} s: {back}",
        ]
    elif args.kill_one_at is not None:
        lines.append(f"no replica killed: the run ended before {args.kill_one_at} s")
        ok = False
    lines += rss
    lines.append(f"verdict: {'PASS' if ok else 'FAIL'}")
    return "\n".join(lines), ok


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--interactions", type=int, default=20)
    ap.add_argument("--think-s", type=float, default=3.0, help="mean seconds a student looks before the next touch")
    ap.add_argument("--ramp-s", type=float, default=10.0)
    ap.add_argument("--timeout-s", type=float, default=30.0)
    ap.add_argument("--kill-one-at", type=float, default=None, help="seconds after the start: SIGKILL replica 0")
    ap.add_argument("--scenes", default=",".join(SCENES))
    ap.add_argument("--budget-s", type=float, default=600.0, help="stop the run (and report what it has) after this long")
    ap.add_argument("--progress-s", type=float, default=15.0, help="print a progress line this often")
    ap.add_argument("--log", type=Path, default=None)
    ap.add_argument("--extra-sessions", type=int, default=40, help="tabs opened at the end to measure memory per session")
    ap.add_argument("--browsers", type=int, default=0, help="real Chromium tabs among the students (Generate, Next clicks)")
    ap.add_argument("--no-assets", action="store_true", help="do not replay the browser's HTTP fetches of a page load")
    return ap


def main() -> None:
    args = parser().parse_args()
    kill = "_kill" if args.kill_one_at is not None else ""
    log_path = args.log or REPO / "logs" / f"lecture_hall_{args.replicas}r_{args.sessions}s_{args.interactions}i{kill}.txt"

    with lecture_hall(args.replicas) as hall:
        assets = None
        if not args.no_assets:  # what Chromium fetches to open each scene, replayed by each student once
            assets = {name: record_page_assets(hall.url, *SCENES[name][:2]) for name in set(args.scenes.split(","))}
            print("page load replayed per student: " + ", ".join(f"{k} {len(v)} requests" for k, v in sorted(assets.items())), flush=True)
        tabs = None
        if args.browsers:
            tabs = BrowserTabs(hall, args.browsers, args.think_s, args.timeout_s)
            tabs.start()
            tabs.ready.wait()
        pids = hall.replica_pids()
        rss_before = [rss_kib(pid) for pid in pids]
        cpu_before = [cpu_seconds(pid) for pid in pids]
        students, killed_at, t0, t1, memory = asyncio.run(run_hall(hall.url, args, hall, assets))
        if tabs is not None:
            tabs.done.set()
            tabs.join(120)
        same = [pid == now for pid, now in zip(pids, hall.replica_pids())]  # a killed replica runs again under a new pid
        cpu_after = [cpu_seconds(pid) if ok else float("nan") for pid, ok in zip(pids, same)]
        rss_after = [rss_kib(pid) if ok else 0 for pid, ok in zip(pids, same)]
    rss = [
        "replica RSS (MiB) before -> after the run: "
        + ", ".join(f"{b / 1024:.0f} -> {a / 1024:.0f}" for b, a in zip(rss_before, rss_after)),
        "memory per open session (tabs opened on warm caches, resident memory growth):",
        *[f"  {line}" for line in memory],
        "replica CPU seconds during the run: "
        + ", ".join(f"{a - b:.0f}" for b, a in zip(cpu_before, cpu_after))
        + f" (wall {t1 - t0:.0f} s)",
        f"page load replayed (Chromium's HTTP fetches): {'no' if assets is None else 'yes'}",
    ]
    if tabs is not None:
        killed = hall.replica_urls[0].removeprefix("http://") if killed_at is not None else None
        rss += tabs.report(killed_at, killed)
    text, ok = report(students, args, killed_at, t0, t1, rss)
    if tabs is not None and killed_at is not None:
        ok = ok and all(tabs.back_after(a, killed_at) < float("inf") for r, a in zip(tabs.replicas, tabs.answered) if r == killed)
    print(text)
    log_path.parent.mkdir(exist_ok=True)
    log_path.write_text(text + "\n")
    print(f"log: {log_path}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
