"""A lecture hall for tests and benchmarks: N dashboard replicas on loopback ports behind nginx.

The nginx configuration is deploy/nginx.conf.template, rendered here with the same three names that
scripts/serve_replicas.sh gives envsubst (LISTEN_PORT, UPSTREAM_SERVERS, RUN_DIR). Replicas are
started like harness.browser's servers (`python -m ui.serve`, each on a free port, waited for on
/_stcore/health); nginx runs in the foreground as a child process, with its files in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from harness.browser import REPO, _start, _stop, _wait_healthy, free_port

TEMPLATE = REPO / "deploy" / "nginx.conf.template"
PLACEHOLDERS = ("LISTEN_PORT", "UPSTREAM_SERVERS", "RUN_DIR")


def nginx_binary() -> str | None:
    """The nginx executable ($NGINX, else on PATH or in /usr/sbin), or None."""
    for candidate in (os.environ.get("NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def ensure_nginx() -> str | None:
    """Why nginx cannot run here, or None; as root, installs the Debian package first if it is missing."""
    if nginx_binary() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, capture_output=True, timeout=600)
    if nginx_binary() is None:
        return "nginx is not installed and cannot be installed here (apt-get install nginx needs root)"
    return None


def upstream_servers(addresses: list[str], fail_timeout_s: int = 10) -> str:
    """The upstream block's server lines for HOST:PORT addresses (passive health checks: one failure
    takes a replica out for fail_timeout_s)."""
    return " ".join(f"server {a} max_fails=1 fail_timeout={fail_timeout_s}s;" for a in addresses)


def render(listen_port: int, addresses: list[str], run_dir: Path) -> str:
    """deploy/nginx.conf.template with its three placeholders filled (nginx's own $variables are kept)."""
    values = {"LISTEN_PORT": str(listen_port), "UPSTREAM_SERVERS": upstream_servers(addresses), "RUN_DIR": str(run_dir)}
    return Template(TEMPLATE.read_text()).safe_substitute(values)


@dataclass
class Hall:
    """What `lecture_hall` started: the public URL (nginx) and the replicas behind it."""

    url: str
    replicas: list[tuple[str, subprocess.Popen]]
    nginx: subprocess.Popen
    run_dir: Path
    killed: list[int] = field(default_factory=list)

    def kill(self, index: int) -> float:
        """SIGKILL replica `index` (a crash, not a shutdown: no goodbye to its websockets); returns time.time()."""
        proc = self.replicas[index][1]
        proc.kill()
        proc.wait(10)
        self.killed.append(index)
        return time.time()

    def error_log(self) -> str:
        path = self.run_dir / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _wait_url(url: str, proc: subprocess.Popen, deadline: float, why: str) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(why) from None
            time.sleep(0.1)


@contextlib.contextmanager
def lecture_hall(replicas: int, env: dict | None = None, timeout: float = 90.0):
    """Start `replicas` dashboard servers and nginx in front of them; yield a Hall. All stop at the end."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    servers: list[tuple[str, subprocess.Popen]] = []
    nginx = None
    run_dir = Path(tempfile.mkdtemp(prefix="vae-nginx-"))
    run_dir.chmod(0o755)  # nginx's workers run as nobody when the master is root
    try:
        for _ in range(replicas):
            servers.append(_start(env, warm_up=True))
        deadline = time.time() + timeout
        for url, proc in servers:
            _wait_healthy(url, proc, deadline)
        port = free_port()
        conf = run_dir / "nginx.conf"
        conf.write_text(render(port, [url.removeprefix("http://") for url, _ in servers], run_dir))
        nginx = subprocess.Popen([binary, "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"], stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_url(f"{url}/_stcore/health", nginx, time.time() + 20, "nginx did not start")
        except RuntimeError:
            nginx.kill()
            raise RuntimeError(f"nginx did not start: {nginx.stderr.read().decode(errors='replace')}") from None
        yield Hall(url, servers, nginx, run_dir)
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(5)
        _stop([proc for _, proc in servers if proc.poll() is None])
        shutil.rmtree(run_dir, ignore_errors=True)
