"""ui.components.widgets.inline (pictures sent as data: URLs) and the launcher's heap freeze (ui.serve.warm)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from tests.apptest_media import media_bytes
from tests.conftest import REPO, needs
from ui.components import widgets
from vae.data.images import gif_bytes, png_bytes


def decoded(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(media_bytes(url))))


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 1), (64, 64, 3), (5, 7, 4)])
def test_arrays_become_lossless_png_data_urls(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    url = widgets.inline(image)
    assert url.startswith("data:image/png;base64,")
    np.testing.assert_array_equal(decoded(url), image[..., 0] if shape[-1] == 1 else image)


def test_encoded_bytes_keep_their_type():
    frames = np.random.default_rng(1).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    gif = widgets.inline(gif_bytes(frames, scale=1))
    assert gif.startswith("data:image/gif;base64,") and Image.open(io.BytesIO(media_bytes(gif))).n_frames == 4  # bounce: 3 + 1
    buf = io.BytesIO()
    Image.fromarray(frames[0]).save(buf, format="JPEG")
    assert widgets.inline(buf.getvalue()).startswith("data:image/jpeg;base64,")
    png = png_bytes(frames[0], scale=2)
    assert media_bytes(widgets.inline(png)) == png


def test_pictures_over_the_cap_stay_bytes(monkeypatch):
    png = png_bytes(np.zeros((64, 64), np.uint8))
    monkeypatch.setattr(widgets, "INLINE_MAX_BYTES", len(png) - 1)
    assert widgets.inline(png) == png  # st.image serves it as a media file, as before
    monkeypatch.setattr(widgets, "INLINE_MAX_BYTES", len(png))
    assert widgets.inline(png).startswith("data:image/png")


@needs("mnist-z2")
def test_warm_up_leaves_little_for_the_collector_to_walk():
    """After the launcher's warm-up, the objects it loaded are frozen: Streamlit's post-run gc.collect(2)
    walks only what was made since (it walked ~280,000 objects, ~110 ms, before the freeze)."""
    script = (
        "import gc, json, time; from ui.serve import warm; warm.warm_up(); "
        "t = time.perf_counter(); gc.collect(2); ms = 1000 * (time.perf_counter() - t); "
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects()), 'ms': ms}))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["frozen"] > 100_000, result
    assert result["tracked"] < result["frozen"] / 20, result


def test_warm_up_starts_once_per_process(monkeypatch):
    """The launcher starts it before Streamlit; the app shell's call is then a no-op. Under a plain
    `streamlit run dashboard.py` the shell's first call starts it, unless VAE_WARM_UP=0."""
    from ui.serve import warm

    ran = threading.Event()
    monkeypatch.setattr(warm, "warm_up", ran.set)
    monkeypatch.setattr(warm, "_started", False)
    monkeypatch.setenv("VAE_WARM_UP", "0")
    assert not warm.start_once() and not warm._started  # the shell, switched off
    assert warm.start_once(launcher=True) and ran.wait(10)  # the launcher ignores the switch
    monkeypatch.setenv("VAE_WARM_UP", "1")
    assert not warm.start_once()  # already started in this process
    monkeypatch.setattr(warm, "_started", False)
    ran.clear()
    assert warm.start_once() and ran.wait(10)  # plain `streamlit run`: the shell starts it
    assert not warm.start_once() and not warm.start_once(launcher=True)
