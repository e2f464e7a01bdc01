"""AppTest: the latent map's "Chosen axes" (ui.views.axes) on real models and real data."""

import numpy as np

from tests.apptest_media import arr, chart
from tests.apptest_media import launch as app
from tests.conftest import MODELS_DIR, needs
from ui.views.map_view import MapClick


@needs("mnist-z16")
def test_the_digits_on_their_lda_axes_and_a_click_decodes_the_plane(monkeypatch, real_root):
    """The plotly map (VAE_LIVE=0) draws every test code at its coordinates on the first two LDA axes;
    a click on empty space decodes base + x·u + y·v, moved by the third direction's slider."""
    from vae.analysis.axes import direction, lda_directions, plane_map
    from vae.artifacts.atlas import load_atlas
    from vae.data.datasets import load_split

    monkeypatch.setenv("VAE_LIVE", "0")
    at = app("latent_map.py", {"projection": "axes", "ax_w": "z2", "ax_s": "1.5"}, dataset="mnist", model="mnist-z16")
    assert at.selectbox(key="ax_x").value == "lda1" and at.selectbox(key="ax_y").value == "lda2"
    atlas = load_atlas(MODELS_DIR / "mnist-z16")
    lda = lda_directions(atlas.mean, load_split("mnist", "test")[1][atlas.test_index])
    plane = plane_map(atlas.mean, ("lda1", "lda2"), direction("lda1", 16, lda=lda), direction("lda2", 16, lda=lda))
    traces = chart(at, "map_chart_mnist-z16_axes:lda1|lda2_label")["data"]
    drawn = np.concatenate([np.stack([arr(tr["x"]), arr(tr["y"])], 1) for tr in traces if tr.get("name", "").isdigit()])
    assert len(drawn) == len(atlas.mean)
    np.testing.assert_allclose(np.sort(drawn, 0), np.sort(plane.coords, 0), atol=1e-4)
    at.session_state["map_click"] = MapClick("mnist-z16", plane.projection, 1.0, -2.0, None)
    at.run()
    assert not at.exception
    assert any("plane of your two directions" in m.value for m in at.markdown)
    from ui.shell.handoff import _LAST_CODE

    left = at.session_state[_LAST_CODE]  # the code the click decoded, left for the Interpolation page
    expected = plane.code((1.0, -2.0)) + 1.5 * direction("z2", 16)
    np.testing.assert_allclose(left.code, expected, atol=1e-4)


@needs("mnist-z16")
def test_two_equal_axes_are_refused_with_the_reason_and_keep_the_picks():
    at = app("latent_map.py", {"projection": "axes", "ax_x": "z3", "ax_y": "z3"}, dataset="mnist", model="mnist-z16")
    assert not at.exception
    assert any("point the same way" in w.value for w in at.warning)
    assert at.selectbox(key="ax_x").value == "z3" and at.selectbox(key="ax_y").value == "z3"
    at.selectbox(key="ax_y").set_value("z5").run()
    assert not at.exception and not at.warning


@needs("celeba-z64")
def test_on_faces_the_image_classifier_says_how_clean_each_attribute_axis_is():
    at = app("latent_map.py", {"projection": "axes"}, dataset="celeba", model="celeba-z64")
    assert (at.selectbox(key="ax_x").value, at.selectbox(key="ax_y").value) == ("attr:Smiling", "attr:Male")
    smiling = chart(at, "axes_clean_0")
    male = chart(at, "axes_clean_1")
    own = {tr["name"]: arr(tr["y"]) for tr in smiling["data"]}["Smiling"]
    assert own[-1] - own[0] > 0.3  # the Smiling axis makes faces smile, by a classifier that never saw a code
    own = {tr["name"]: arr(tr["y"]) for tr in male["data"]}["Male"]
    assert own[-1] - own[0] > 0.3
    assert len(smiling["data"]) == 4  # its own attribute and the three most dragged along
    assert any("Along Smiling" in c.value for c in at.caption)
