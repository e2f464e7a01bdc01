"""AppTest: the interpolation page on the real shipped models."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.apptest_media import grid_cells, media_bytes, open_page, pixels, record_media  # noqa: F401
from tests.conftest import MODELS_DIR, needs
from ui.shell.handoff import LatentCode
from vae import load_model
from vae.analysis.explore_ops import display_scale
from vae.artifacts.atlas import load_atlas
from vae.core.latent import decode, lerp, path_at, prior_samples, slerp

pytestmark = pytest.mark.usefixtures("record_media")
NAME = "mnist-z16"


def strip_url(at) -> str:
    return next(u for e in at.get("image") for u, c in zip(e.value, e.captions) if c.startswith("Latent path") and c.endswith("every step"))


def strip_frames(at, steps: int, side: int = 28) -> np.ndarray:
    """The decoded latent strip cut back into frames."""
    url = strip_url(at)
    ncols = min(steps, 16)
    cells = grid_cells(pixels(url), steps, ncols, side, display_scale(side, ncols))
    return cells if cells.ndim == 4 else cells[..., None]


@needs(NAME)
def test_widgets_and_strip_endpoints_are_the_endpoint_decodes():
    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME)
    for key in ("ip_a_src", "ip_b_src", "ip_method"):
        assert at.segmented_control(key=key)
    assert at.slider(key="ip_steps").value == 10
    at.number_input(key="ip_a_index").set_value(3)
    at.segmented_control(key="ip_b_src").set_value("random").run()
    at.number_input(key="ip_b_seed").set_value(7)
    at.slider(key="ip_steps").set_value(6).run()
    assert not at.exception
    z_a, z_b = atlas.mean[3], prior_samples(16, 1, 7)[0]
    frames = strip_frames(at, 6)
    assert len(frames) == 6
    assert np.array_equal(frames[0], decode(model, z_a)[0])
    assert np.array_equal(frames[-1], decode(model, z_b)[0])
    assert np.array_equal(frames, decode(model, slerp(z_a, z_b, 6)))
    assert {d.key for d in at.get("download_button")} == {"ip_gif", "ip_png", "pal_png", "pal_analogy_png"}
    gifs = [u for e in at.get("image") for u in e.value if u.startswith("data:image/gif")]
    assert len(gifs) == 2  # latent path and pixel cross-fade
    assert Image.open(io.BytesIO(media_bytes(gifs[0]))).n_frames == 2 * 6 - 2  # forward then back


@needs(NAME)
def test_lerp_and_slerp_share_endpoints_but_differ_in_the_middle():
    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME, query={"ip_a_index": "0", "ip_b_index": "1", "ip_steps": "7"})
    at.segmented_control(key="ip_method").set_value("lerp").run()
    linear = strip_frames(at, 7)
    at.segmented_control(key="ip_method").set_value("slerp").run()
    spherical = strip_frames(at, 7)
    assert np.array_equal(linear[0], spherical[0]) and np.array_equal(linear[-1], spherical[-1])
    assert not np.array_equal(linear[3], spherical[3])
    assert np.array_equal(linear, decode(model, lerp(atlas.mean[0], atlas.mean[1], 7)))


@needs(NAME)
def test_steps_setting_changes_the_strip_length():
    at = open_page("interpolation.py", NAME)
    widths = {}
    for steps in (2, 5, 12):
        at.slider(key="ip_steps").set_value(steps).run()
        widths[steps] = pixels(strip_url(at)).shape[1]
    scale = display_scale(28, 12)
    assert widths[12] == (12 * 30 - 2) * scale
    assert widths[2] < widths[5] < widths[12]


@needs(NAME)
def test_map_endpoint_only_for_the_same_model():
    model = load_model(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME)
    at.segmented_control(key="ip_a_src").set_value("map").run()
    assert at.warning and "latent map" in at.warning[0].value  # nothing clicked yet
    at.session_state["handoff_last_code"] = LatentCode("mnist-z2", (0.5, 0.5))
    at.run()
    assert "mnist-z2" in at.warning[0].value and not [u for e in at.get("image") for u in e.value if u.endswith(".gif")]
    code = np.linspace(-1, 1, 16).astype(np.float32)
    at.session_state["handoff_last_code"] = LatentCode(NAME, tuple(code.tolist()))
    at.run()
    assert not at.exception and not at.warning
    assert np.array_equal(strip_frames(at, 10)[0], decode(model, code)[0])


@needs(NAME)
def test_map_endpoint_of_a_clicked_test_point_names_that_image():
    atlas = load_atlas(MODELS_DIR / NAME)
    row = 5
    at = open_page("interpolation.py", NAME)
    at.segmented_control(key="ip_a_src").set_value("map").run()
    at.session_state["handoff_last_code"] = LatentCode(NAME, tuple(atlas.mean[row].tolist()), index=row)
    at.run()
    assert not at.exception
    caption = f"Test image #{int(atlas.test_index[row])}"
    assert any(c.value.startswith(caption) and c.value.endswith("last clicked on the latent map") for c in at.caption)


@needs(NAME)
def test_deep_link_seeds_widgets_and_garbage_falls_back():
    at = open_page(
        "interpolation.py",
        NAME,
        query={"ip_a_src": "random", "ip_a_seed": "11", "ip_b_index": "42", "ip_steps": "5", "ip_method": "lerp"},
    )
    assert at.segmented_control(key="ip_a_src").value == "random" and at.number_input(key="ip_a_seed").value == 11
    assert at.number_input(key="ip_b_index").value == 42
    assert at.slider(key="ip_steps").value == 5 and at.segmented_control(key="ip_method").value == "lerp"
    at = open_page(
        "interpolation.py",
        NAME,
        query={"ip_a_src": "nope", "ip_b_index": "99999999", "ip_steps": "1", "ip_method": "cubic", "ip_fade": "?"},
    )
    assert at.segmented_control(key="ip_a_src").value == "test" and at.number_input(key="ip_b_index").value == 1
    assert at.slider(key="ip_steps").value == 10 and at.segmented_control(key="ip_method").value == "slerp"
    assert all(w.value == "decoded" for w in at.get("segmented_control") if w.key == "ip_fade")  # shown only with the data
    assert "between the decoded endpoints" in " ".join(c for e in at.get("image") for c in e.captions)


@needs("celeba-z64")
def test_colour_model_and_original_cross_fade():
    model, atlas = load_model(MODELS_DIR / "celeba-z64"), load_atlas(MODELS_DIR / "celeba-z64")
    at = open_page("interpolation.py", "celeba-z64", dataset="celeba", query={"ip_steps": "4"})
    frames = strip_frames(at, 4, side=64)
    assert frames.shape == (4, 64, 64, 3)
    assert np.array_equal(frames[0], decode(model, atlas.mean[0])[0])
    if any(w.key == "ip_fade" for w in at.get("segmented_control")):  # only with the data directory
        at.segmented_control(key="ip_fade").set_value("original").run()
        assert not at.exception


@needs(NAME)
def test_pixel_cross_fade_between_originals():
    at = open_page("interpolation.py", NAME, query={"ip_steps": "5"})
    fades = [u for e in at.get("image") for u, c in zip(e.value, e.captions) if c.startswith("Pixel cross-fade between")]
    if not any(w.key == "ip_fade" for w in at.get("segmented_control")):
        pytest.skip("the MNIST test images are not in the data directory")
    from vae.data.datasets import data_root, load_mnist

    images, _ = load_mnist("test", data_root())
    at.segmented_control(key="ip_fade").set_value("original").run()
    fade_url = next(u for e in at.get("image") for u, c in zip(e.value, e.captions) if c.startswith("Pixel cross-fade between"))
    assert fade_url != fades[0]
    cells = grid_cells(pixels(fade_url), 5, 5, 28, display_scale(28, 5))
    assert np.array_equal(cells[0], images[0]) and np.array_equal(cells[-1], images[1])
    middle = (images[0].astype(float) + images[1]) / 2
    assert np.abs(cells[2] - middle).max() <= 1


@needs(NAME)
def test_without_the_data_directory_endpoints_are_decoded_codes(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME, query={"ip_steps": "3"})
    assert any("data directory" in i.value for i in at.info)
    assert not any(w.key == "ip_fade" for w in at.get("segmented_control"))  # no originals to cross-fade
    assert "Original" not in [c for e in at.get("image") for c in e.captions]
    assert np.array_equal(strip_frames(at, 3), decode(model, slerp(atlas.mean[0], atlas.mean[1], 3)))


@needs(NAME)
def test_the_scrubber_shows_the_point_that_far_along_the_path():
    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME, query={"ip_a_index": "2", "ip_b_index": "5", "ip_method": "lerp", "ip_t": "0.25"})
    assert at.slider(key="ip_t").value == 0.25

    def scrubbed() -> np.ndarray:
        url = next(u for e in at.get("image") for u, c in zip(e.value, e.captions) if c.startswith("Decoded at t ="))
        return pixels(url)[::6, ::6][:28, :28]  # enlarged 6× (168 px) by nearest neighbour

    expected = decode(model, path_at(atlas.mean[2], atlas.mean[5], [0.25], "lerp"))[0][..., 0]
    assert np.array_equal(scrubbed(), expected)
    at.slider(key="ip_t").set_value(1.0).run()
    assert np.array_equal(scrubbed(), decode(model, atlas.mean[5])[0][..., 0])  # t = 1 is endpoint B
    np.testing.assert_allclose(path_at(atlas.mean[2], atlas.mean[5], [0.0, 1.0], "slerp"), atlas.mean[[2, 5]], atol=1e-6)


def caption_url(at, start: str) -> tuple[str, str]:
    """(url, caption) of the page's one image whose caption starts with `start`."""
    found = [(u, c) for e in at.get("image") for u, c in zip(e.value, e.captions) if c.startswith(start)]
    assert len(found) == 1, [c for e in at.get("image") for c in e.captions]
    return found[0]


@needs(NAME)
def test_a_palette_decodes_the_grid_between_its_corners_and_three_corners_make_the_analogy():
    from vae.analysis.analogy import analogy, palette

    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME)
    for key, row in (("pal_tl", 7), ("pal_tr", 21), ("pal_bl", 42), ("pal_br", 99)):
        at.number_input(key=key).set_value(row)
    at.slider(key="pal_size").set_value(4).run()
    assert not at.exception
    url, caption = caption_url(at, "4 × 4 decoded codes")
    scale = display_scale(28, 4, target=96, max_width=720)
    cells = grid_cells(pixels(url), 16, 4, 28, scale)
    expected = decode(model, palette(atlas.mean[[7, 21, 42, 99]], 4))[..., 0]
    assert np.abs(cells.astype(int) - expected.astype(int)).max() <= 1  # every cell, corners included
    assert f"#{atlas.test_index[7]}" in caption and f"#{atlas.test_index[99]}" in caption
    assert [d.label for d in at.get("download_button")][-2:] == ["Download the palette (PNG)", "Download the analogy (PNG)"]

    at.segmented_control(key="pal_corners").set_value("3").run()  # the J-diagram: the fourth corner is the analogy
    assert not at.exception and "pal_br" not in [n.key for n in at.number_input]  # three corners picked
    url, caption = caption_url(at, "4 × 4 decoded codes")
    assert "analogy" in caption
    corner = grid_cells(pixels(url), 16, 4, 28, scale)[15]
    answer = decode(model, analogy(atlas.mean[7], atlas.mean[21], atlas.mean[42]))[0, ..., 0]
    assert np.abs(corner.astype(int) - answer.astype(int)).max() <= 1


@needs(NAME)
def test_an_analogy_shows_its_decoded_answer_and_the_nearest_real_test_image_in_french():
    from vae.analysis.analogy import analogy, nearest_other

    model, atlas = load_model(MODELS_DIR / NAME), load_atlas(MODELS_DIR / NAME)
    at = open_page("interpolation.py", NAME, query={"lang": "fr", "pal_a": "3", "pal_b": "8", "pal_c": "15"})
    assert not at.exception
    assert at.number_input(key="pal_a").value == 3  # the scene from the URL
    answer = analogy(atlas.mean[3], atlas.mean[8], atlas.mean[15])
    near, distance = nearest_other(atlas.mean, answer, exclude=(3, 8, 15))
    url, caption = caption_url(at, "A #")
    assert f"plus proche de D, #{atlas.test_index[near]}" in caption and f"{distance:.2f}".replace(".", ",") in caption
    side, scale = 28, display_scale(28, 5, target=112, max_width=720)
    cells = grid_cells(pixels(url), 5, 5, side, scale, pad=6)
    assert np.abs(cells[3].astype(int) - decode(model, answer)[0, ..., 0].astype(int)).max() <= 1  # D, decoded
    assert at.get("subheader")[-1].value == "Analogie : A est à B ce que C est à ?"
