"""The server side of live decoding (ui/components/live.py): the files the browser fetches hold what the server
uses, and the pages mount it only where it applies. The browser side: tests/browser/test_browser_live.py."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from tests.apptest_media import open_page
from tests.conftest import MODELS_DIR, needs
from ui.components import live
from ui.shell import resources
from vae.artifacts.atlas import load_atlas


@needs("mnist-z16")
def test_map_arrays_are_the_atlas_coordinates_and_codes():
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    for projection in ("pca", "tsne"):
        coords_file, codes_file = live.map_arrays(resources.model_key("mnist-z16"), projection)
        coords = np.fromfile(coords_file, "<f4").reshape(-1, 2)
        np.testing.assert_allclose(coords, atlas.coords(projection), rtol=1e-6, atol=1e-6)
        # float16, the atlas's own precision: the same values exactly, in half the bytes
        assert codes_file.suffix == ".f16"
        codes = np.fromfile(codes_file, "<f2").reshape(atlas.mean.shape).astype(np.float32)
        np.testing.assert_array_equal(codes, atlas.mean.astype(np.float32))
    assert live.static_url(coords_file).startswith("/app/static/net/mnist-z16/")


@needs("celeba-z64")
def test_face_sprites_are_the_test_faces_in_atlas_order(celeba_root):
    path, source = live.face_sprites(resources.model_key("celeba-z64"))
    assert source == "originals"  # joined from the data directory at run time
    sheet = np.asarray(Image.open(path), np.float64)
    atlas, data = load_atlas(MODELS_DIR / "celeba-z64"), resources.test_set("celeba")
    per_row = int(np.ceil(np.sqrt(len(atlas.mean))))
    assert sheet.shape == (per_row * live.FACE_SIDE, per_row * live.FACE_SIDE, 3)
    for i in (0, 1, per_row + 3, len(atlas.mean) - 1):
        r, c = divmod(i, per_row)
        cell = sheet[r * 32 : (r + 1) * 32, c * 32 : (c + 1) * 32]
        face = data.images[atlas.test_index[i]].reshape(32, 2, 32, 2, 3).mean((1, 3))
        assert np.abs(cell - face).mean() < 8  # JPEG at quality 85
        other = data.images[atlas.test_index[(i + 7) % len(atlas.mean)]].reshape(32, 2, 32, 2, 3).mean((1, 3))
        assert np.abs(cell - other).mean() > 15  # and not some other face


@needs("celeba-z64", "mnist-z16")
@pytest.mark.skipif(not live.runtime_installed(), reason="browser runtime missing (scripts/install_runtime.sh)")
def test_the_faces_switch_is_offered_on_celeba_maps_only():
    at = open_page("latent_map.py", "celeba-z64", "celeba")
    assert at.toggle(key="faces").value is False
    assert all(t.key != "faces" for t in open_page("latent_map.py", "mnist-z16", "mnist").toggle)


def _js_typedefs() -> dict[str, set[str]]:
    """frontend/src/types.js's object typedefs: {name: property names}."""
    text = (live.ROOT / "frontend" / "src" / "types.js").read_text()
    blocks = re.findall(r"@typedef \{object\} (\w+)(.*?)\*/", text, flags=re.S)
    return {name: set(re.findall(r"@property \{.*?\} \[?(\w+)", body)) for name, body in blocks}


def test_the_payload_is_one_contract_in_python_and_javascript():
    """ui.components.live's TypedDicts and the JSDoc typedefs of frontend/src/types.js name the same keys."""
    js = _js_typedefs()
    common = set(live.Common.__annotations__)
    pairs = {
        "Common": common,
        "SlidersFields": set(live.SlidersPayload.__annotations__) - common,
        "DrawPayload": set(live.DrawPayload.__annotations__),
        "MapPayload": set(live.MapPayload.__annotations__),
        "MapTexts": set(live.MapTexts.__annotations__),
        "MapStyle": set(live.MapStyle.__annotations__),
    }
    for name, keys in pairs.items():
        assert js[name] == keys, name
    digit = (live.ROOT / "frontend" / "src" / "digit.js").read_text()
    assert set(re.findall(r"@property \{.*?\} (\w+)", digit)) == set(live.DigitConstants.__annotations__)
    assert set(live.DrawingPayload.__annotations__) - common == {"draw"}
    assert set(live.LatentMapPayload.__annotations__) - common == {"map"}


def test_constants_cross_in_the_payload_and_are_not_typed_again_in_javascript():
    """vae.data.inputs' and ui.components.figures' constants are sent, and the front end holds no copy."""
    from ui.components import figures
    from vae.data import inputs

    assert live.DIGIT_CONSTANTS["grid_spans"] == list(inputs.GRID_SPANS)
    assert live.DIGIT_CONSTANTS["mnist_core"] == inputs.MNIST_CORE
    assert live.MAP_STYLE == {"point_px": figures.POINT_PX, "pin_px": figures.PIN_PX, "opacity": figures.OPACITY}
    sources = "\n".join(p.read_text() for p in (live.ROOT / "frontend" / "src").rglob("*.js"))
    assert "0.984" not in sources and "-0.25" not in sources  # MNIST_CORE, GRID_SPANS' values
    assert not re.search(r"\b(DIGIT_SIDE|DIGIT_BOX|GRID_SPANS|GRID_PHASES|MNIST_CORE|MIN_CONTRAST|POINT_PX|PIN_PX|OPACITY)\s*=", sources)


@needs("mnist-z16")
def test_without_the_bundle_the_pages_use_the_server_path(monkeypatch, tmp_path):
    """A checkout set up without npm has no static/live/live.mjs: live decoding is off, never an error,
    and the map page draws the server's plotly map."""
    monkeypatch.setattr(live, "BUNDLE", tmp_path / "live.mjs")
    assert not live.runtime_installed() and not live.enabled()
    at = open_page("latent_map.py", "mnist-z16", "mnist")
    assert not at.exception
    assert at.get("plotly_chart")
    sliders = open_page("latent_sliders.py", "mnist-z16", "mnist")
    assert not sliders.exception
