"""AppTest: Compare models → Two maps, linked (ui.views.linked_maps), on the shipped models (the plotly
maps, VAE_LIVE=0; tests/browser/test_browser_linked_maps.py brushes the browser-drawn ones)."""

import numpy as np
import pytest

from tests.apptest_media import arr, chart
from tests.apptest_media import launch as app
from tests.conftest import MODELS_DIR, needs


@needs("mnist-z32", "mnist-z8")
def test_a_brushed_box_from_the_url_rings_the_same_test_images_on_both_aligned_maps(monkeypatch):
    from vae.analysis.linked import box, inside, kl_per_dimension, knn_overlap, neighbour_sets, procrustes, spread
    from vae.artifacts.atlas import load_atlas

    monkeypatch.setenv("VAE_LIVE", "0")
    query = {"cmp_part": "linked", "cmp_a": "mnist-z32", "cmp_b": "mnist-z8", "cmp_proj": "pca", "cmp_brush": "a|-1,0.5;1,0.5;1,2;-1,2"}
    at = app("compare_models.py", query, dataset="mnist")
    assert not at.exception
    a, b = load_atlas(MODELS_DIR / "mnist-z32"), load_atlas(MODELS_DIR / "mnist-z8")
    rows = inside(box(-1, 0.5, 1, 2), a.pca_coords)
    assert 50 < len(rows) < 5000
    fit = procrustes(a.pca_coords, b.pca_coords)
    ringed = {slot: next(tr for tr in linked_chart(at, slot)["data"] if "customdata" in tr) for slot in ("a", "b")}
    np.testing.assert_array_equal(arr(ringed["a"]["customdata"]), rows)
    np.testing.assert_array_equal(arr(ringed["b"]["customdata"]), rows)  # the same test images on the second map
    np.testing.assert_allclose(np.stack([arr(ringed["b"]["x"]), arr(ringed["b"]["y"])], 1), fit.apply(b.pca_coords)[rows], atol=1e-4)
    metrics = {m.label: m.value for m in at.metric}
    nn_a, nn_b = neighbour_sets(a.mean), neighbour_sets(b.mean)
    assert metrics["Shared neighbours (k = 10)"] == f"{knn_overlap(nn_a, nn_b):.0%}"
    assert metrics["Alignment error"] == f"{fit.error:.0%}"
    assert metrics[f"…of the {len(rows)} brushed"] == f"{knn_overlap(nn_a, nn_b, rows):.0%}"
    assert metrics["Hull area, left → right"] == f"{spread(a.pca_coords, rows):.1%} → {spread(fit.apply(b.pca_coords), rows):.1%}"
    kl = chart(at, "linked_kl_mnist-z8")["data"][0]
    np.testing.assert_allclose(arr(kl["y"]), np.sort(kl_per_dimension(b.mean, b.logvar))[::-1], rtol=1e-6)
    assert "cmp_brush" in at.query_params


def linked_chart(at, slot: str) -> dict:
    """The plotly spec of map `slot` ("a" or "b")."""
    import json

    found = [c for c in at.get("plotly_chart") if f"linked_chart_{slot}_" in c.proto.id]
    assert len(found) == 1
    return json.loads(found[0].proto.spec)


@needs("mnist-z32", "mnist-z8")
@pytest.mark.parametrize("brush", ["c|0,0;1,0;1,1", "a|0,0;1,1;2,2", "a|zero"])
def test_a_bad_brush_in_the_url_gets_a_notice_and_the_maps_still_show(monkeypatch, brush):
    monkeypatch.setenv("VAE_LIVE", "0")
    at = app("compare_models.py", {"cmp_part": "linked", "cmp_brush": brush}, dataset="mnist")
    assert not at.exception
    assert any("cmp_brush" in toast.value for toast in at.toast)
    assert len([c for c in at.get("plotly_chart") if "linked_chart" in c.proto.id]) == 2
    assert not any(tr.get("customdata") for slot in ("a", "b") for tr in linked_chart(at, slot)["data"])  # nothing ringed


@needs("mnist-z32")
def test_the_same_model_twice_is_refused_with_a_reason(monkeypatch):
    monkeypatch.setenv("VAE_LIVE", "0")
    at = app("compare_models.py", {"cmp_part": "linked", "cmp_a": "mnist-z32", "cmp_b": "mnist-z32"}, dataset="mnist")
    assert not at.exception and any("two different models" in w.value for w in at.warning)
