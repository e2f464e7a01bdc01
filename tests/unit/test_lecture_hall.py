"""A short lecture hall: 2 replicas behind nginx, 20 simulated students, one replica killed
mid-run. The students of the other replica see no error; every student of the killed one answers
again within 10 s through nginx, with its scene (page and URL parameters) restored. The hall is
scripts/serve_replicas.sh (harness.nginx.lecture_hall), so supervisord restarts the killed replica."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tomllib

import pytest

from benchmarks import lecture_hall as bench
from harness.browser import REPO
from harness.nginx import RENDER, TEMPLATE, ensure_nginx, lecture_hall, nginx_binary

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nginx_ready() -> None:
    reason = ensure_nginx()
    if reason:
        pytest.skip(reason)


def test_template_renders_every_placeholder(tmp_path, nginx_ready) -> None:
    """deploy/render_nginx_conf.sh fills each of the template's placeholders (envsubst leaves a name it
    is not given as it is), nginx's own $variables survive, each replica gets its own upstream block (it
    first, the others as backups) and a route from the vae_replica cookie, a host name is written as the
    address nginx reports in $upstream_addr, the upload limit is config.toml's, every page in pages/ is a
    proxied path, the student editions are served from EDITIONS_DIR, and nginx accepts the file."""
    addresses = ["127.0.0.1:9001", "10.0.0.7:8501", "localhost:9002"]
    env = {k: v for k, v in os.environ.items() if k != "EDITIONS_DIR"}
    shell = subprocess.run(["bash", str(RENDER), "8080", str(tmp_path), *addresses], capture_output=True, text=True, check=True, env=env)
    conf = shell.stdout
    placeholders = set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text()))
    assert placeholders == {
        "LISTEN_PORT",
        "UPSTREAM_SERVERS",
        "REPLICA_UPSTREAMS",
        "REPLICA_ROUTES",
        "RUN_DIR",
        "MAX_UPLOAD_MB",
        "APP_PAGES",
        "EDITIONS_DIR",
    }
    assert "${" not in conf
    assert "server 10.0.0.7:8501 max_fails=1 fail_timeout=10s;" in conf and "listen 8080;" in conf
    assert "hash $vae_affinity consistent;" in conf and "$cookie_vae_affinity" in conf
    resolved = ["127.0.0.1:9001", "10.0.0.7:8501", "127.0.0.1:9002"]
    blocks = dict(re.findall(r"upstream (replica_\d+) \{([^}]*)\}", conf))
    routes = dict(re.findall(r'"([\d.:]+)" (replica_\d+);', conf))
    assert sorted(routes) == sorted(resolved) and sorted(routes.values()) == sorted(blocks)
    for address, block in routes.items():
        servers = re.findall(r"server ([\d.:]+) max_fails=1 fail_timeout=10s( backup)?;", blocks[block])
        assert servers[0] == (address, "") and sorted(servers[1:]) == sorted((a, " backup") for a in resolved if a != address)
    assert conf.count("proxy_pass http://$vae_upstream;") == 4 and "proxy_pass http://dashboard" not in conf
    upload_mb = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert f"client_max_body_size {upload_mb}m;" in conf
    pages = re.search(r"location ~ \^/\(\(([\w|]+)\)/\?\)\?\$", conf).group(1).split("|")
    assert sorted(pages) == sorted(p.stem for p in (REPO / "pages").glob("*.py"))
    assert f"alias {REPO / 'editions'}/;" in conf  # EDITIONS_DIR's default: the repository's editions/
    (tmp_path / "nginx.conf").write_text(conf)
    checked = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    twice = subprocess.run(["bash", str(RENDER), "8080", str(tmp_path), "127.0.0.1:9001", "127.0.0.1:9001"], capture_output=True, text=True)
    assert twice.returncode != 0 and "twice" in twice.stderr


def test_replica_killed_mid_run(nginx_ready) -> None:
    args = bench.parser().parse_args(
        "--replicas 2 --sessions 20 --interactions 4 --think-s 1 --ramp-s 2 --kill-one-at 6 --extra-sessions 4".split()
    )
    with lecture_hall(args.replicas) as hall:
        students, killed_at, *_ = asyncio.run(bench.run_hall(hall.url, args, hall))
        error_log = hall.error_log()
    assert killed_at is not None
    affected = [s for s in students if s.losses]
    unaffected = [s for s in students if not s.losses]
    placed = [s.replicas for s in students]
    assert affected, f"the killed replica held no session: {placed}\nnginx error log:\n{error_log}"
    assert unaffected, "every session lost its replica: affinity did not keep half on the survivor"
    for s in unaffected:
        assert s.errors == [] and s.done == args.interactions, (s.index, s.scene, s.errors)
    for s in affected:
        assert s.errors == [], (s.index, s.scene, s.errors)
        for loss in s.losses:
            assert loss.answered_at - loss.seen_at <= bench.BACK_WITHIN_S, (s.index, s.scene, loss)
            assert loss.restored, (s.index, s.scene, loss)
