"""Helpers for AppTest page tests that look at the pictures a page shows.

AppTest keeps media in a throw-away in-memory store per run; `record_media` (a fixture) swaps in
one that also keeps every file's bytes, so a test can read an st.image back as pixels.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit.testing.v1.app_test as app_test_module
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

MEDIA: dict[str, bytes] = {}
DEFERRED: dict[str, object] = {}  # file id -> the data callable of a download button (built on click)


class RecordingStorage(MemoryMediaFileStorage):
    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
        MEDIA[file_id] = self._files_by_id[file_id].content
        return file_id


@pytest.fixture
def record_media(monkeypatch):
    add_deferred = MediaFileManager.add_deferred

    def recording_add_deferred(self, data_callable, *args, **kwargs):
        file_id = add_deferred(self, data_callable, *args, **kwargs)
        DEFERRED[file_id] = data_callable
        return file_id

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)
    monkeypatch.setattr(MediaFileManager, "add_deferred", recording_add_deferred)
    yield MEDIA
    MEDIA.clear()
    DEFERRED.clear()


def launch(page: str | None = None, query: dict | None = None, **state) -> AppTest:
    """The one AppTest launcher: the app with `state` in st.session_state and `query` as the first
    request's URL parameters, then switched to pages/<page> (when given); no exception on the way."""
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=90)
    at.query_params.update(query or {})
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}")
        at.run()
    assert not at.exception, at.exception
    return at


def open_page(page: str, model: str, dataset: str = "mnist", query: dict | None = None) -> AppTest:
    """The app on pages/<page> with `model` picked; `query` are URL parameters of the first request."""
    return launch(page, query, dataset=dataset, model=model)


def image_urls(at: AppTest) -> list[str]:
    return [url for element in at.get("image") for url in element.value]


def media_bytes(url: str) -> bytes:
    """The bytes behind an st.image URL: a data: URL (ui.components.widgets.inline) or a recorded media file."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        assert header.endswith(";base64"), header
        return base64.b64decode(payload)
    return MEDIA[Path(url).stem]


def download_bytes(button) -> bytes:
    """What a download button gives the user: its data built on click (a callable), else its media file."""
    proto = button.proto
    if proto.HasField("deferred_file_id"):
        data = DEFERRED[proto.deferred_file_id]()
        return data.encode() if isinstance(data, str) else bytes(data)
    return media_bytes(proto.url)


def pixels(url: str) -> np.ndarray:
    """The image at a data: or media URL as a uint8 array (H, W) or (H, W, C)."""
    return np.asarray(Image.open(io.BytesIO(media_bytes(url))))


def chart(at: AppTest, key: str) -> dict:
    """The plotly spec of the page's one chart whose element id ends with `key`."""
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return json.loads(found[0].proto.spec)


def arr(value) -> np.ndarray:
    """A plotly data array: a plain list, or a typed array {"dtype", "bdata"[, "shape"]}."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape([int(s) for s in str(value["shape"]).split(",")]) if "shape" in value else out
    return np.asarray(value)


def image_with_caption(at: AppTest, caption: str) -> str:
    for element in at.get("image"):
        for url, text in zip(element.value, element.captions):
            if text == caption:
                return url
    raise AssertionError(f"no image captioned {caption!r}")


def grid_cells(image: np.ndarray, n: int, ncols: int, side: int, scale: int, pad: int = 2) -> np.ndarray:
    """Cut the n cells back out of vae.data.images.grid(·, ncols, pad) enlarged `scale`×; (n, side, side[, C])."""
    cells = []
    for i in range(n):
        r, c = divmod(i, ncols)
        y, x = r * (side + pad) * scale, c * (side + pad) * scale
        cells.append(image[y : y + side * scale : scale, x : x + side * scale : scale])
    return np.stack(cells)


def zoo_with_a_broken_folder(tmp_path, names: tuple[str, ...]) -> list[str]:
    """Copies of the shipped models `names` (those built) beside "mnist-broken", whose config.json has
    an unknown key, in tmp_path; returns the names copied."""
    import json
    import shutil

    from tests.conftest import MODELS_DIR

    copies = [n for n in names if (MODELS_DIR / n / "atlas.safetensors").exists()]
    for name in copies:
        shutil.copytree(MODELS_DIR / name, tmp_path / name)
    (tmp_path / "mnist-broken").mkdir()
    config = {
        "schema_version": 3,
        "dataset": "mnist",
        "latent_dim": 4,
        "beta": 1.0,
        "channels": [8],
        "likelihood": "bernoulli",
        "colour": "red",
    }
    (tmp_path / "mnist-broken" / "config.json").write_text(json.dumps(config))
    return copies
