"""UMAP maps (vae.artifacts.projection.UMAPMap) on real atlases: the map is what umap-learn makes of
the stored codes with the recorded parameters, and its inverse is umap-learn's own inverse_transform."""

import numpy as np
import pytest

from tests.conftest import MODELS_DIR, needs
from vae.artifacts.atlas import UMAP_PARAMS, code_at, load_atlas
from vae.artifacts.projection import UMAPMap


@needs("mnist-z16")
def test_the_rebuilt_map_inverts_exactly_as_umap_learns_own_inverse_transform():
    """A map fitted here, and the same map rebuilt from its codes and coordinates alone (what the
    atlas stores): the rebuilt map's inverse equals umap-learn's inverse_transform on the fitted
    model, bit for bit, at spots on points, between them and off the map."""
    codes = load_atlas(MODELS_DIR / "mnist-z16").mean[:600]
    fitted = UMAPMap(n_neighbors=15, min_dist=0.1, random_state=0)
    coords = fitted.fit_transform(codes)
    rebuilt = UMAPMap.from_arrays(codes, coords, 15, 0.1, 0)
    spots = np.vstack([coords[[3, 250]], coords[[10, 11]].mean(0, keepdims=True), coords[:1] + 0.4]).astype(np.float32)
    ours = rebuilt.inverse_transform(spots)
    np.testing.assert_array_equal(ours, fitted.model.inverse_transform(spots))
    np.testing.assert_array_equal(rebuilt.inverse_transform(spots), ours)  # the kept triangulation changes nothing
    assert ours.shape == (4, 16)


@needs("celeba-z32")
def test_the_stored_map_is_umap_of_the_stored_codes_with_the_recorded_parameters():
    atlas = load_atlas(MODELS_DIR / "celeba-z32")
    assert atlas.umap_params == UMAP_PARAMS == {"n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean", "random_state": 0}
    refit = UMAPMap(**{k: v for k, v in UMAP_PARAMS.items() if k != "metric"}).fit_transform(atlas.mean)
    np.testing.assert_allclose(refit, atlas.umap_coords, atol=0.01)  # float16 storage: 0.008 at most on this map
    params = atlas.projection_parameters()
    assert params["umap"] == UMAP_PARAMS and set(params) == {"pca", "tsne", "umap"}


@needs("mnist-z16")
def test_decoding_a_umap_spot_inverts_near_the_codes_there_and_says_how_far_it_is():
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    i = 1234
    on_point = code_at(atlas, "umap", tuple(atlas.umap_coords[i]))
    assert on_point.method == "umap_inverse" and on_point.map_distance == pytest.approx(0, abs=1e-6)
    # the made-up code lies among the codes of the point's map neighbours, not far from the data
    assert on_point.latent_spacings < 3 and not on_point.far_from_data
    neighbours = atlas.map_tree("umap").query(atlas.umap_coords[i], k=15)[1]
    assert np.linalg.norm(on_point.code - atlas.mean[i]) < np.linalg.norm(atlas.mean[neighbours] - atlas.mean[i], axis=1).max()
    off = atlas.umap_coords.max(0) + 5.0  # beyond the map's corner
    far = code_at(atlas, "umap", tuple(off))
    assert far.far_from_data and far.map_spacings > 3
    blend = code_at(atlas, "umap", tuple(off), 4, blend=True)
    assert blend.method == "umap_blend" and blend.latent_distance is None and len(blend.neighbours) == 4
