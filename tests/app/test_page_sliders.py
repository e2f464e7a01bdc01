"""AppTest: the latent sliders page on the real shipped models."""

import re

import numpy as np
import pytest

from tests.apptest_media import image_with_caption, open_page, pixels, record_media  # noqa: F401
from tests.conftest import MODELS_DIR, needs
from ui.shell.i18n import catalogue
from vae import load_card, load_model
from vae.analysis.explore_ops import display_scale, format_code, labelled_grid, snap_code, traversal_values
from vae.artifacts.atlas import load_atlas
from vae.core.latent import active_mask, decode, prior_samples, traversal_codes, unit_activity

pytestmark = pytest.mark.usefixtures("record_media")
NAME = "mnist-z16"


def sliders(at, name=NAME, latent_dim=16) -> np.ndarray:
    return np.array([at.slider(key=f"sl_z_{name}_{d}").value for d in range(latent_dim)])


def shown_decode(at) -> np.ndarray:
    """The large decoded image, shrunk back to model resolution (it is enlarged 10× nearest)."""
    return pixels(image_with_caption(at, "Decoded image"))[::10, ::10]


@needs(NAME)
def test_sliders_ordered_by_kl_with_stable_keys():
    at = open_page("latent_sliders.py", NAME)
    kl = load_card(MODELS_DIR / NAME).kl_per_dim_nats
    keys = [s.key for s in at.slider if s.key.startswith("sl_z_")]
    assert keys == [f"sl_z_{NAME}_{d}" for d in np.argsort(-np.asarray(kl), kind="stable")]
    top = int(np.argmax(kl))
    assert at.slider(key=f"sl_z_{NAME}_{top}").label == f"z{top + 1} · {kl[top]:.2f} nats"
    assert all(s.min == -3.0 and s.max == 3.0 and s.value == 0.0 for s in at.slider if s.key.startswith("sl_z_"))
    for key in ("sl_from_mean", "sl_from_random", "sl_from_test", "sl_randomise", "sl_reset"):
        assert at.button(key=key)
    assert at.number_input(key="sl_seed").value == 0 and at.number_input(key="sl_index").value == 0
    assert at.get("download_button")[0].proto.id and at.get("download_button")[0].key == "sl_png"


@needs(NAME)
def test_moving_a_slider_changes_the_decoded_image():
    model = load_model(MODELS_DIR / NAME)
    at = open_page("latent_sliders.py", NAME)
    before = shown_decode(at)
    assert np.array_equal(before, decode(model, np.zeros(16))[0, ..., 0])
    at.slider(key=f"sl_z_{NAME}_3").set_value(2.5).run()
    assert not at.exception
    after = shown_decode(at)
    code = np.zeros(16, np.float32)
    code[3] = 2.5
    assert not np.array_equal(before, after)
    assert np.array_equal(after, decode(model, code)[0, ..., 0])
    assert at.query_params["sl_z"] == format_code(code)


@needs(NAME)
def test_start_buttons_set_the_sliders():
    atlas = load_atlas(MODELS_DIR / NAME)
    at = open_page("latent_sliders.py", NAME)
    at.number_input(key="sl_index").set_value(5)
    at.button(key="sl_from_test").click().run()
    assert not at.exception
    np.testing.assert_allclose(sliders(at), snap_code(atlas.mean[5]), atol=1e-6)
    assert np.abs(sliders(at)).max() > 0.1
    assert any("#5" in c.value for c in at.caption)  # "started from test image #5"

    at.slider(key=f"sl_z_{NAME}_0").set_value(-2.0).run()
    at.button(key="sl_reset").click().run()  # back to the start point: test image 5
    np.testing.assert_allclose(sliders(at), snap_code(atlas.mean[5]), atol=1e-6)

    at.number_input(key="sl_seed").set_value(7)
    at.button(key="sl_from_random").click().run()
    np.testing.assert_allclose(sliders(at), snap_code(prior_samples(16, 1, 7)[0]), atol=1e-6)

    at.button(key="sl_from_mean").click().run()
    assert np.all(sliders(at) == 0)

    at.button(key="sl_randomise").click().run()
    seed = at.number_input(key="sl_seed").value
    np.testing.assert_allclose(sliders(at), snap_code(prior_samples(16, 1, seed)[0]), atol=1e-6)


@needs(NAME)
def test_deep_link_reopens_the_same_image_and_garbage_falls_back():
    model = load_model(MODELS_DIR / NAME)
    code = snap_code(prior_samples(16, 1, 3)[0])
    at = open_page("latent_sliders.py", NAME, query={"sl_z": format_code(code), "sl_index": "12", "sl_rows": "3"})
    np.testing.assert_allclose(sliders(at), code, atol=1e-6)
    assert at.number_input(key="sl_index").value == 12 and at.number_input(key="sl_rows").value == 3
    assert np.array_equal(shown_decode(at), decode(model, code)[0, ..., 0])

    for bad in ("1,2,3", "x" * 30, ",".join(["9"] * 16), ",".join(["nan"] * 16)):
        at = open_page("latent_sliders.py", NAME, query={"sl_z": bad, "sl_index": "-4", "sl_seed": "1e99"})
        assert np.all(sliders(at) == 0), bad
        assert at.number_input(key="sl_index").value == 0 and at.number_input(key="sl_seed").value == 0


@needs(NAME)
def test_traversal_grid_rows_follow_kl_and_the_setting():
    model = load_model(MODELS_DIR / NAME)
    kl = np.asarray(load_card(MODELS_DIR / NAME).kl_per_dim_nats)
    at = open_page("latent_sliders.py", NAME)
    at.slider(key=f"sl_z_{NAME}_0").set_value(1.0).run()
    at.number_input(key="sl_rows").set_value(4).run()
    assert not at.exception
    base = np.zeros(16, np.float32)
    base[0] = 1.0
    dims = [int(d) for d in np.argsort(-kl, kind="stable")[:4]]
    values = traversal_values(7)
    expected = labelled_grid(
        decode(model, traversal_codes(base, dims, values)),
        7,
        [f"z{d + 1} · {kl[d]:.2f} nats" for d in dims],
        [f"{v:+.1f}" for v in values],
        scale=display_scale(28, 9),
    )
    assert np.array_equal(pixels(at.get("image")[-1].value[0]), expected)
    assert at.get("download_button")[0].key == "sl_png"


@needs("mnist-z2")
def test_two_dimensional_model_has_two_sliders():
    kl = load_card(MODELS_DIR / "mnist-z2").kl_per_dim_nats
    at = open_page("latent_sliders.py", "mnist-z2")
    assert [s.key for s in at.slider if s.key.startswith("sl_z_")] == [
        f"sl_z_mnist-z2_{d}" for d in np.argsort(-np.asarray(kl), kind="stable")
    ]
    assert at.number_input(key="sl_rows").max == 2 and at.number_input(key="sl_rows").value == 2
    assert not more_dimensions(at)


def more_dimensions(at) -> list:
    """The page's expanders but the introduction's (folded there for phones: ui.components.widgets.intro)."""
    return [e for e in at.expander if e.label != catalogue("en")["common.about_page"]]


def _built(predicate) -> str | None:
    for path in sorted(MODELS_DIR.glob("*/atlas.safetensors")):
        if predicate(load_card(path.parent)):
            return path.parent.name
    return None


@pytest.mark.parametrize("kind", ["inactive", "large"])
def test_every_dimension_is_reachable_and_inactive_ones_are_marked(kind):
    if kind == "inactive":
        name = _built(lambda card: card.active_units < card.latent_dim)
    else:
        name = _built(lambda card: card.latent_dim > 16)
    if name is None:
        pytest.skip(f"no model with {'inactive dimensions' if kind == 'inactive' else 'latent_dim > 16'} built yet")
    card = load_card(MODELS_DIR / name)
    latent_dim, kl = card.latent_dim, card.kl_per_dim_nats
    at = open_page("latent_sliders.py", name, dataset=card.dataset)
    shown = [s.key for s in at.slider if s.key.startswith("sl_z_")]
    assert sorted(shown) == sorted(f"sl_z_{name}_{d}" for d in range(latent_dim))
    # one definition of "inactive": the card's active_units criterion, Var_x(μ_d) ≤ 0.01
    active = active_mask(card.unit_activity)
    assert int(active.sum()) == card.active_units
    assert active.tolist() == active_mask(unit_activity(load_atlas(MODELS_DIR / name).mean)).tolist()
    for d in range(latent_dim):
        slider = at.slider(key=f"sl_z_{name}_{d}")
        assert ("inactive" in slider.label) == (not active[d])
        if not active[d]:  # says how much an inactive dimension still moves the image
            assert "10 grey levels" in slider.help and re.search(r"changes \d+ pixel values", slider.help)
    if latent_dim > 16:  # the 16 most informative up front, the rest in an expander
        assert len(more_dimensions(at)) == 1 and len(more_dimensions(at)[0].slider) == latent_dim - 16
        hidden = int(np.argsort(-np.asarray(kl), kind="stable")[-1])
        at.slider(key=f"sl_z_{name}_{hidden}").set_value(3.0).run()
        assert not at.exception and at.query_params["sl_z"].split(",")[hidden] == "3"


@needs("celeba-z64")
def test_colour_model_decodes_in_colour():
    model, atlas = load_model(MODELS_DIR / "celeba-z64"), load_atlas(MODELS_DIR / "celeba-z64")
    at = open_page("latent_sliders.py", "celeba-z64", dataset="celeba", query={"sl_index": "2"})
    at.button(key="sl_from_test").click().run()
    assert not at.exception
    shown = pixels(image_with_caption(at, "Decoded image"))
    assert shown.shape == (256, 256, 3)  # 64 px enlarged 4×
    assert np.array_equal(shown[::4, ::4], decode(model, snap_code(atlas.mean[2]))[0])


@needs(NAME)
def test_without_the_data_directory_test_codes_still_work(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("latent_sliders.py", NAME, query={"sl_index": "9"})
    assert any("data directory" in i.value for i in at.info)
    at.button(key="sl_from_test").click().run()
    assert not at.exception
    assert [c for e in at.get("image") for c in e.captions if c == "Original"] == []
    assert np.array_equal(shown_decode(at), decode(model, snap_code(atlas.mean[9]))[0, ..., 0])
