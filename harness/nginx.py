"""A lecture hall for tests and benchmarks: the one command a teacher runs, `bash scripts/serve_replicas.sh
N PORT` (N replicas under supervisord behind nginx), started as a subprocess on free ports.

`lecture_hall` picks a base port with N+1 free consecutive ports, starts the script, reads its run folder
from the first line it prints, waits until nginx answers /_stcore/health (with 0 replicas, nginx serving
the student editions of EDITIONS_DIR alone: any answer) and yields a `Hall`. At the end
it stops the script with SIGINT (Ctrl-C) and checks that supervisord, every replica and nginx are gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from harness.browser import REPO

SCRIPT = REPO / "scripts" / "serve_replicas.sh"
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
RENDER = REPO / "deploy" / "render_nginx_conf.sh"


def nginx_binary() -> str | None:
    """The nginx executable ($NGINX, else on PATH or in /usr/sbin), or None."""
    for candidate in (os.environ.get("NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def ensure_nginx() -> str | None:
    """Why a lecture hall cannot run here (nginx, supervisord, envsubst or curl missing), or None; as
    root, installs the missing Debian packages first."""
    needed = {"nginx": "nginx", "supervisord": "supervisor", "envsubst": "gettext-base", "curl": "curl"}

    def missing() -> list[str]:
        found = {"nginx": nginx_binary()} | {name: shutil.which(name) for name in needed if name != "nginx"}
        return [package for name, package in needed.items() if not found[name]]

    if missing() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing()], env=env, capture_output=True, timeout=600)
    if missing():
        return f"not installed and not installable here (apt-get install needs root): {' '.join(missing())}"
    return None


def free_port_block(count: int, start: int = 20000, stop: int = 60000) -> int:
    """A base port B such that B .. B+count-1 are all free on 127.0.0.1 (checked by binding each)."""
    base = start + (os.getpid() * 37) % (stop - start - count)  # spread concurrent test runs apart
    for _ in range(2000):
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
                return base
            except OSError:
                base = start + (base + count + 1 - start) % (stop - start - count)
    raise RuntimeError(f"no {count} free consecutive ports between {start} and {stop}")


def process_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a SIGKILLed child before its parent reaped it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """A process's direct children, from /proc."""
    with contextlib.suppress(OSError):
        return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    return []


@dataclass
class Hall:
    """What `lecture_hall` started: the public URL (nginx), the replicas behind it, and the script."""

    url: str  # nginx: http://127.0.0.1:PORT
    replica_urls: list[str]  # http://127.0.0.1:PORT+1 .. PORT+N
    run_dir: Path  # the script's run folder: supervisord.conf, logs, the control socket
    script: subprocess.Popen
    output: Path  # what the script printed (supervisord's log lines go to run_dir/supervisord.log)
    killed: list[int] = field(default_factory=list)

    def supervisorctl(self, *args: str) -> str:
        """supervisorctl against this hall's supervisord: its output (`status`, `pid replica1`, ...)."""
        done = subprocess.run(
            ["supervisorctl", "-c", str(self.run_dir / "supervisord.conf"), *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def program_pid(self, name: str) -> int:
        """The current process id of a supervisord program ("replica1", "nginx"); 0 while it is not running."""
        out = self.supervisorctl("pid", name).strip()
        return int(out) if out.isdigit() else 0

    def pid(self, index: int) -> int:
        """The current process id of replica `index` (0-based); 0 while it is not running."""
        return self.program_pid(f"replica{index + 1}")

    def replica_pids(self) -> list[int]:
        return [self.pid(i) for i in range(len(self.replica_urls))]

    def replica_for(self, cookie: str) -> str:
        """The replica ("127.0.0.1:PORT") nginx sends a browser with this affinity cookie (and no
        `vae_replica` yet) to: its X-Replica answer header."""
        request = urllib.request.Request(f"{self.url}/_stcore/health", headers={"Cookie": f"vae_affinity={cookie}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["X-Replica"]

    def split_cookies(self, per_replica: int, prefix: str = "tab") -> list[tuple[str, str]]:
        """Affinity cookie values that nginx sends `per_replica` to each replica: [(cookie, replica)],
        replica by replica, so a test or benchmark never depends on the luck of the hash."""
        chosen: dict[str, list[str]] = {u.removeprefix("http://"): [] for u in self.replica_urls}
        for i in range(1000):
            cookie = f"{prefix}-{i}"
            replica = self.replica_for(cookie)
            if len(chosen[replica]) < per_replica:
                chosen[replica].append(cookie)
            if all(len(c) == per_replica for c in chosen.values()):
                return [(c, r) for r, cookies in chosen.items() for c in cookies]
        raise RuntimeError(f"no cookie split found: {chosen}")

    def kill(self, index: int) -> float:
        """SIGKILL replica `index`'s current process (a crash, not a shutdown: no goodbye to its websockets;
        supervisord restarts it); waits until it is gone and returns time.time() of the kill."""
        pid = self.pid(index)
        if not pid:
            raise RuntimeError(f"replica {index} is not running: {self.supervisorctl('status')}")
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        deadline = time.monotonic() + 30
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.killed.append(index)
        return killed_at

    def error_log(self) -> str:
        """The tail of nginx's error log."""
        path = self.run_dir / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def replica_log(self, index: int) -> str:
        path = self.run_dir / f"replica{index + 1}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def processes(self) -> list[int]:
        """Every process the hall runs: supervisord, the replicas, nginx's master and its workers."""
        supervisor = int((self.run_dir / "supervisord.pid").read_text())
        nginx = self.program_pid("nginx")
        return [supervisor, *filter(None, self.replica_pids()), *([nginx, *children(nginx)] if nginx else [])]

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> list[int]:
        """Stop the script as Ctrl-C does (or with `sig`); returns the processes that are still alive
        afterwards (none, when all is well). Safe to call twice."""
        if self.script.poll() is not None:
            return []
        try:
            before = self.processes()
        except (OSError, ValueError):
            before = []
        self.script.send_signal(sig)
        try:
            self.script.wait(timeout)
        except subprocess.TimeoutExpired:  # the script hung: stop what it started, then the script
            for pid in before:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            self.script.kill()
            self.script.wait(10)
        deadline = time.monotonic() + 15
        while any(process_alive(p) for p in before) and time.monotonic() < deadline:
            time.sleep(0.1)
        return [p for p in before if process_alive(p)]


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at `url`, whatever the status (nginx's 404 included)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextlib.contextmanager
def lecture_hall(replicas: int, env: dict | None = None, timeout: float = 180.0):
    """Run `bash scripts/serve_replicas.sh replicas PORT` on free ports with `env` added to this
    environment (the replicas inherit it; EDITIONS_DIR there is the student editions' folder); yield a Hall
    once nginx answers (/_stcore/health through it; with 0 replicas, nginx serving the editions alone, any
    answer). Stopped with SIGINT at the end; raises if a replica, nginx or supervisord outlives it, or the
    run folder is left behind."""
    reason = ensure_nginx()
    if reason:
        raise RuntimeError(reason)
    port = free_port_block(replicas + 1)
    output = Path(tempfile.mkstemp(prefix="vae-hall-", suffix=".out")[1])
    with output.open("wb") as out:
        script = subprocess.Popen(
            ["bash", str(SCRIPT), str(replicas), str(port)],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C at the test's terminal reaches pytest, which stops the hall itself
            # Ctrl-C's default action in the script, so that its trap can be set: a shell ignores SIGINT in
            # its background jobs (a benchmark started with &), which their children inherit, and bash
            # cannot trap a signal that was ignored when it started.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{port}"
        while not (_get_ok(f"{url}/_stcore/health") if replicas else _answers(f"{url}/editions/")):
            if script.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the lecture hall did not start:\n{output.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        run_dir = Path(output.read_text().splitlines()[0].removeprefix("run folder: "))
    except BaseException:
        if script.poll() is None:
            script.send_signal(signal.SIGINT)
            script.wait(60)
        output.unlink(missing_ok=True)
        raise
    hall = Hall(url, [f"http://127.0.0.1:{port + i}" for i in range(1, replicas + 1)], run_dir, script, output)
    try:
        yield hall
    finally:
        left = hall.stop()
        output.unlink(missing_ok=True)
    if left or run_dir.exists():  # only when the with-block itself raised nothing
        raise RuntimeError(f"the lecture hall left processes {left} or its run folder {run_dir} behind")
