"""The map's honesty cue: a click far from the data says so on every projection,
a click on a test point says ~0 — on the real shipped atlases."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import MODELS_DIR, REPO, needs
from ui.views.map_view import MapClick
from vae.artifacts.atlas import FAR_SPACINGS, code_at, load_atlas


def _far_spot(coords: np.ndarray) -> tuple[float, float]:
    """A spot inside the map's bounding box but far from every point: the emptiest of a 60×60 grid."""
    from scipy.spatial import cKDTree

    lo, hi = coords.min(0), coords.max(0)
    grid = np.stack(np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60)), -1).reshape(-1, 2)
    dist, _ = cKDTree(coords).query(grid)
    return tuple(float(v) for v in grid[dist.argmax()])


@needs("mnist-z16")
@pytest.mark.parametrize("tsne_k", [1, 5])
def test_tsne_click_far_from_data_is_flagged_and_a_point_is_not(tsne_k):
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    coords = atlas.tsne_coords
    far = code_at(atlas, "tsne", _far_spot(coords), tsne_k)
    # no latent distance: the decoded code is a test code (k = 1) or a blend of them, so it would read ~0 here
    assert far.latent_distance is None
    assert far.map_distance > 10 * atlas.map_spacing("tsne") and far.far_from_data
    on_point = code_at(atlas, "tsne", tuple(coords[1234]), tsne_k)
    assert on_point.map_distance < 1e-5 and on_point.map_spacings < 1e-3 and not on_point.far_from_data


@needs("mnist-z16", "mnist-z2")
def test_pca_and_raw_cue_measures_map_and_latent_distance():
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    far = code_at(atlas, "pca", _far_spot(atlas.pca_coords))
    assert far.far_from_data and far.map_spacings > FAR_SPACINGS
    assert far.latent_distance == pytest.approx(float(np.linalg.norm(atlas.mean - far.code, axis=1).min()), rel=1e-4)
    z2 = load_atlas(MODELS_DIR / "mnist-z2")
    on_point = code_at(z2, "raw", tuple(z2.mean[42]))
    assert on_point.map_distance < 1e-6 and on_point.latent_distance < 1e-6 and not on_point.far_from_data
    outside = code_at(z2, "raw", (6.0, 6.0))  # 6σ out, far outside the aggregate posterior
    assert outside.far_from_data and outside.latent_spacings > FAR_SPACINGS


def test_spacings_are_median_nearest_neighbour_distances():
    rng = np.random.default_rng(0)
    from vae.artifacts.atlas import UMAP_PARAMS, Atlas
    from vae.artifacts.projection import LatentPCA

    codes = rng.normal(size=(300, 3)).astype(np.float32)
    coords = np.arange(300, dtype=np.float32)[:, None] * np.array([[2.0, 0.0]], np.float32)  # on a line, 2 apart
    z = np.zeros(300, np.float32)
    atlas = Atlas(np.arange(300), codes, codes * 0, z, z, coords, coords, LatentPCA(2).fit(codes), "", coords, UMAP_PARAMS)
    assert atlas.map_spacing("tsne") == pytest.approx(2.0)
    d = np.linalg.norm(codes[:, None] - codes[None], axis=2)
    np.fill_diagonal(d, np.inf)
    assert atlas.latent_spacing() == pytest.approx(float(np.median(d.min(1))), rel=1e-5)
    loc = code_at(atlas, "tsne", (3.0, 4.0))  # nearest points (2, 0) and (4, 0): √17
    assert loc.map_distance == pytest.approx(17**0.5, rel=1e-5) and loc.map_spacings == pytest.approx(17**0.5 / 2, rel=1e-5)


@needs("mnist-z16")
def test_map_page_warns_on_a_far_tsne_click_and_not_on_a_point():
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    x, y = _far_spot(atlas.tsne_coords)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.session_state["dataset"], at.session_state["model"] = "mnist", "mnist-z16"
    at.run()
    at.switch_page("pages/latent_map.py")
    at.session_state["projection"] = "tsne"
    at.session_state["map_click"] = MapClick("mnist-z16", "tsne", x, y, None)
    at.run()
    assert not at.exception, at.exception
    assert len(at.warning) == 1
    value = float(at.metric[0].value.split("×")[0])
    assert value > 10  # in neighbour spacings
    px, py = (float(v) for v in atlas.tsne_coords[99])
    at.session_state["map_click"] = MapClick("mnist-z16", "tsne", px, py, None)
    at.run()
    assert not at.exception and len(at.warning) == 0
    assert float(at.metric[0].value.split("×")[0]) == 0.0
