"""Live decoding in the browser: while a latent slider is dragged, the browser decodes the code on
every animation frame (onnxruntime-web running the model's ONNX decoder, made by vae.export) and
draws it over the server's picture; the server answers the release, as before.

What travels: the runtime (static/ort/, from the pinned npm package onnxruntime-web, installed by
scripts/setup.sh: 74 KB of JavaScript and the WebAssembly binary, 3.7 MB gzipped, inflated in the
browser) and the model's decoder (static/onnx/<model>/<sha12>/decoder.onnx, half-precision weights,
0.3–2.3 MB), both through Streamlit's static file serving, cached by the browser (the weights' hash
is in the path). Without them (a checkout set up without npm, an export that failed), or in a
browser without WebAssembly, the page is exactly the server path. The JavaScript is
assets/live/live_decoder.js.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import streamlit as st

from ui.resources import Loaded, ModelKey, model_key
from vae.checkpoint import CheckpointError
from vae.export import DEFAULT_ROOT, export_model

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
RUNTIME_DIR = STATIC / "ort"
RUNTIME_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm.gz")
JS = (ROOT / "assets" / "live" / "live_decoder.js").read_text()

_component = st.components.v2.component("vae_live_decoder", js=JS)


def static_url(path: Path) -> str:
    """The URL Streamlit's static serving gives a file under static/ (respecting server.baseUrlPath)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + "/app/static/" + path.relative_to(STATIC).as_posix()


def key_class(key: str) -> str:
    """The part after "st-key-" of the CSS class Streamlit gives an element with this key."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def runtime_installed() -> bool:
    return all((RUNTIME_DIR / f).exists() for f in RUNTIME_FILES)


@st.cache_resource(show_spinner=False, max_entries=64)
def decoder_file(key: ModelKey) -> Path | None:
    """The model's ONNX decoder, exported on first use (a few seconds, once per weights); None when
    the export fails (logged; the page keeps the server path)."""
    try:
        return export_model(Path(key.models_path) / key.name, DEFAULT_ROOT).decoder
    except (CheckpointError, OSError, ImportError, RuntimeError) as err:
        logging.getLogger(__name__).warning("no live decoding for %s: %s", key.name, err)
        return None


def live_sliders(
    sel: Loaded,
    code: np.ndarray,
    sliders: list[tuple[str, int]],
    target: str,
    directions: list[tuple[str, np.ndarray]] = (),
    path: tuple[str, np.ndarray, np.ndarray, str] | None = None,
) -> None:
    """Decode in the browser while sliders are dragged, drawing over the image inside
    st.container(key=target). The code drawn is `code` with each latent slider's value in its
    dimension (`sliders`: [(widget key, dimension)]) plus value · vector for each direction slider
    (`directions`: [(widget key, (D,) vector)]); or, with `path` (widget key, a, b, method), the
    point that fraction of the way from a to b (vae.latent.path_at). Nothing when the runtime or the export is missing:
    the server path alone."""
    if not runtime_installed() or not st.get_option("server.enableStaticServing"):
        return
    decoder = decoder_file(model_key(sel.name))
    if decoder is None:
        return
    _component(
        key=f"live_{target}",
        data={
            "runtime": static_url(RUNTIME_DIR),
            "decoder": static_url(decoder),
            "model": sel.name,
            "image_shape": list(sel.model.config.image_shape),
            "code": [float(v) for v in code],
            "sliders": [[key_class(k), int(d)] for k, d in sliders],
            "directions": [[key_class(k), [float(v) for v in vector]] for k, vector in directions],
            "path": None if path is None else [key_class(path[0]), [float(v) for v in path[1]], [float(v) for v in path[2]], path[3]],
            "target": key_class(target),
        },
        height="content",
    )
