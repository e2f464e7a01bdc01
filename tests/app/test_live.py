"""The server side of live decoding (ui/components/live.py): the files the browser fetches hold what the server
uses, and the pages mount it only where it applies. The browser side: tests/browser/test_browser_live.py."""

from __future__ import annotations

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
        np.testing.assert_array_equal(np.fromfile(codes_file, "<f4").reshape(atlas.mean.shape), atlas.mean.astype(np.float32))
    assert live.static_url(coords_file).startswith("/app/static/onnx/mnist-z16/")


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
