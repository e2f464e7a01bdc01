"""Student editions behind nginx: `bash scripts/serve_replicas.sh 0 PORT` with EDITIONS_DIR, nginx serving
the exported folders alone at /editions/NAME/. Hashed assets are cached for a year (immutable), index.html is
revalidated (no-cache + ETag, 304), text, JSON, WebAssembly and binary arrays travel gzipped and come back
byte for byte, each file has its MIME type, nothing outside the editions is served and no cookie is set.

The folder here has an edition's shape (index.html + assets/ with content-hashed names) and typical
contents; what is checked is nginx's side. The real export opened in Chromium through nginx is
tests/browser/test_browser_edition_nginx.py."""

from __future__ import annotations

import gzip
import http.client
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from harness.editions import readable_by_nginx, shaped_edition
from harness.nginx import RENDER, SCRIPT, ensure_nginx, lecture_hall, nginx_binary

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("editions")
    shaped_edition(root / "demo")
    readable_by_nginx(root)
    return root


@pytest.fixture(scope="module")
def hall(editions):
    reason = ensure_nginx()
    if reason:
        pytest.skip(reason)
    with lecture_hall(0, env={"EDITIONS_DIR": str(editions)}) as hall:
        yield hall


def get(url: str, path: str, headers: dict | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """(status, headers, body as sent on the wire) of one GET, with no Accept-Encoding unless given."""
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_assets_are_immutable_gzipped_and_typed(hall, editions) -> None:
    folder = editions / "demo"
    files = sorted(a for a in (folder / "assets").rglob("*") if a.is_file() and a.suffix != ".gz")  # .gz: the script's copies
    assert any(a.parent != folder / "assets" for a in files)  # a sub-folder's too
    for asset in files:
        path = f"/editions/demo/assets/{asset.relative_to(folder / 'assets').as_posix()}"
        expected = {
            ".mjs": "text/javascript",
            ".wasm": "application/wasm",
            ".f32": "application/octet-stream",
            ".f16": "application/octet-stream",
        }
        expected |= {".json": "application/json", ".png": "image/png", ".jpg": "image/jpeg"}
        status, headers, body = get(hall.url, path, {"Accept-Encoding": "gzip, deflate, br"})
        assert status == 200 and headers["Cache-Control"] == IMMUTABLE, (path, status, dict(headers))
        assert headers["Content-Type"] == expected[asset.suffix], (path, headers["Content-Type"])
        assert headers.get("Set-Cookie") is None and headers.get("X-Replica") is None
        if asset.suffix in (".png", ".jpg"):  # already compressed: sent as it is
            assert headers.get("Content-Encoding") is None and body == asset.read_bytes()
        else:
            assert headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"], (path, dict(headers))
            assert gzip.decompress(body) == asset.read_bytes() and len(body) < asset.stat().st_size
        status, headers, body = get(hall.url, path)  # a client that takes no gzip gets the bytes themselves
        assert status == 200 and headers.get("Content-Encoding") is None and body == asset.read_bytes()


def test_the_script_compresses_the_assets_once(hall, editions) -> None:
    """serve_replicas.sh writes NAME.gz (gzip -9) beside each compressible asset before nginx starts, and
    nginx sends it as it is (a Content-Length: no compression per request); not for a PNG (already
    compressed), nor for index.html (it may change under the same name)."""
    assets = editions / "demo" / "assets"
    for asset in sorted(a for a in assets.rglob("*") if a.is_file()):
        if asset.suffix == ".gz" or asset.name.startswith("big-"):  # big-: test_a_precompressed_file_is_sent_as_it_is's
            continue
        packed = asset.with_name(asset.name + ".gz")
        if asset.suffix in (".png", ".jpg"):
            assert not packed.exists()
            continue
        assert packed.exists() and gzip.decompress(packed.read_bytes()) == asset.read_bytes(), asset.name
        path = f"/editions/demo/assets/{asset.relative_to(assets).as_posix()}"
        status, headers, body = get(hall.url, path, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip" and body == packed.read_bytes()
        assert headers["Content-Length"] == str(packed.stat().st_size)
    assert not (editions / "demo" / "index.html.gz").exists()


def test_index_is_revalidated_with_its_etag(hall, editions) -> None:
    """index.html may change (a new export under the same name): no-cache, an ETag, 304 while it is the
    same, 200 with a new ETag once it changed; /editions/demo redirects to the folder with a relative URL."""
    index = editions / "demo" / "index.html"
    status, headers, body = get(hall.url, "/editions/demo/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"] == "text/html" and headers["Cache-Control"] == "no-cache"
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == index.read_bytes()
    etag = headers["ETag"]
    for path in ["/editions/demo/", "/editions/demo/index.html"]:
        status, headers, body = get(hall.url, path, {"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert status == 304 and body == b"" and headers["Cache-Control"] == "no-cache", (path, status)
    status, headers, _ = get(hall.url, "/editions/demo")
    assert status == 301 and headers["Location"] == "/editions/demo/"
    before = index.read_bytes()
    try:
        index.write_bytes(before.replace(b"explanation", b"explication"))
        os.utime(index, (index.stat().st_atime, index.stat().st_mtime + 5))
        status, headers, body = get(hall.url, "/editions/demo/", {"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag and b"explication" in gzip.decompress(body)
    finally:
        index.write_bytes(before)


def test_a_precompressed_file_is_sent_as_it_is(hall, editions) -> None:
    """gzip_static: NAME.gz beside NAME is sent to a client that takes gzip (the exporter may compress at
    level 9 once instead of nginx at level 6 per request)."""
    asset = editions / "demo" / "assets" / "big-0123456789.f32"
    raw = np.arange(50000, dtype="<f4").tobytes()
    asset.write_bytes(raw)
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    asset.with_name(asset.name + ".gz").write_bytes(packed)
    for path in (asset, asset.with_name(asset.name + ".gz")):
        os.chmod(path, 0o644)
    status, headers, body = get(hall.url, f"/editions/demo/assets/{asset.name}", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and body == packed
    assert headers["Cache-Control"] == IMMUTABLE and headers["Content-Type"] == "application/octet-stream"


def test_nothing_but_the_editions_is_served(hall) -> None:
    """No replica: the dashboard's paths, the editions' folder listing and paths that climb out get nginx's
    own refusal, and no answer sets a cookie."""
    for path in [
        "/",
        "/_stcore/health",
        "/latent_map",
        "/editions/",
        "/editions/nothing/",
        "/editions/../etc/passwd",
        "/editions/demo/../../etc/passwd",
        "/editions/demo/%2e%2e/%2e%2e/etc/passwd",
    ]:
        conn = http.client.HTTPConnection(hall.url.removeprefix("http://"), timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status in (403, 404, 400) and response.getheader("Set-Cookie") is None, (path, response.status)


def test_editions_only_configuration(tmp_path) -> None:
    """Rendered without any replica: no upstream and no proxy_pass (nginx refuses an upstream without
    servers), the editions' folder made absolute, and nginx accepts the file; a path nginx would misread
    is refused."""
    env = {**os.environ, "EDITIONS_DIR": "some/editions/"}
    done = subprocess.run(["bash", str(RENDER), "8080", str(tmp_path)], capture_output=True, text=True, env=env, check=True)
    conf = done.stdout
    assert "proxy_pass" not in conf and "upstream dashboard" not in conf and "${" not in conf
    assert f"alias {RENDER.parent.parent / 'some' / 'editions'}/;" in conf
    (tmp_path / "nginx.conf").write_text(conf)
    binary = nginx_binary()
    if binary:
        checked = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    bad = subprocess.run(
        ["bash", str(RENDER), "8080", str(tmp_path)], capture_output=True, text=True, env={**env, "EDITIONS_DIR": "/srv/my editions;"}
    )
    assert bad.returncode == 2 and "EDITIONS_DIR" in bad.stderr


def test_the_script_refuses_a_missing_editions_folder(tmp_path) -> None:
    env = {**os.environ, "EDITIONS_DIR": str(tmp_path / "absent")}
    done = subprocess.run(["bash", str(SCRIPT), "0", "18999"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and "is not a folder" in done.stderr
