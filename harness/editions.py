"""Student-edition folders for tests and benchmarks served by nginx: an edition-shaped folder (index.html +
assets/ with content-hashed names, as `vae-explorer share` writes), and the permissions nginx's workers need."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np


def hashed(folder: Path, stem: str, suffix: str, content: bytes) -> str:
    """Write content under a name that carries its hash, as the exporter names its assets; the name."""
    name = f"{stem}-{hashlib.sha256(content).hexdigest()[:10]}{suffix}"
    (folder / name).write_bytes(content)
    return name


def shaped_edition(folder: Path) -> dict[str, str]:
    """An edition-shaped folder: index.html + assets/ (a module, WebAssembly, float32 and float16 codes, JSON, a PNG, a
    JPEG, and a sub-folder as a runtime's). Returns {asset path under assets/: the MIME type nginx must send}."""
    assets = folder / "assets"
    assets.mkdir(parents=True)
    rng = np.random.default_rng(0)
    module = b"".join(f"export const layer{i} = (x) => x * {i} + 1;\n".encode() for i in range(400))
    wasm = b"\0asm\x01\0\0\0" + bytes(20000)
    codes = rng.normal(size=(2000, 2)).astype("<f4").tobytes()
    manifest = b'{"model": "mnist-z16", "image_shape": [1, 28, 28], "points": 2000}' * 20
    png = b"\x89PNG\r\n\x1a\n" + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    names = {
        hashed(assets, "edition", ".mjs", module): "text/javascript",
        hashed(assets, "ort", ".wasm", wasm): "application/wasm",
        hashed(assets, "codes", ".f32", codes): "application/octet-stream",
        hashed(assets, "codes", ".f16", np.round(rng.normal(size=(2000, 16)), 2).astype("<f2").tobytes()): "application/octet-stream",
        hashed(assets, "payload", ".json", manifest): "application/json",
        hashed(assets, "digits", ".png", png): "image/png",
        hashed(assets, "faces", ".jpg", b"\xff\xd8\xff\xe0" + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()): "image/jpeg",
    }
    engine = assets / f"engine-{hashlib.sha256(wasm[::-1]).hexdigest()[:10]}"  # a runtime's folder, its own files inside
    engine.mkdir()
    (engine / "backend.wasm").write_bytes(wasm[::-1])
    names[f"{engine.name}/backend.wasm"] = "application/wasm"
    script = next(n for n in names if n.endswith(".mjs"))
    page = f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mnist-z16</title></head><body><main id="app"></main><script type="module" src="assets/{script}"></script>{"<p>explanation</p>" * 100}</body></html>'
    (folder / "index.html").write_text(page)
    return names


def readable_by_nginx(root: Path) -> None:
    """nginx's workers run as nobody when the tests run as root: the folder, its files and every folder on
    its path readable by others (pytest's temporary folders are 0700)."""
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    parent = root.parent
    while parent != parent.parent:
        if parent.stat().st_mode & 0o005 != 0o005:
            os.chmod(parent, parent.stat().st_mode | 0o005)
        parent = parent.parent
