"""AppTest: the "Your own input" page on the real shipped models — an uploaded MNIST test digit is encoded,
reconstructed, scored and placed on the map (PCA exactly, t-SNE fast then refined); bad files give an
error and the page keeps working; a drawing (through the canvas test hook) lands on the map; CelebA
takes uploads only.

Uploads go through AppTest's own `at.file_uploader(key=...).set_value((name, bytes, mime))`; the canvas
cannot be drawn on in AppTest, so a drawn RGBA array goes in `st.session_state[CANVAS_HOOK]`."""

import io
import json
import math

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.apptest_media import arr, chart, download_bytes, image_with_caption, media_bytes, open_page, pixels, record_media  # noqa: F401
from tests.conftest import MODELS_DIR, needs
from ui.components.input_widgets import CANVAS_HOOK
from ui.components.widgets import image_row_captions
from ui.shell.handoff import LatentCode
from vae import load_model
from vae.analysis.placement import encode_image, neg_elbo_percentile, place, refine_tsne
from vae.artifacts.atlas import load_atlas
from vae.data.datasets import load_mnist
from vae.data.inputs import canvas_to_digit

pytestmark = pytest.mark.usefixtures("record_media")
MNIST, CELEBA = "mnist-z16", "celeba-z64"
PAGE = "your_input.py"


def png(image: np.ndarray, **save) -> bytes:
    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, format="PNG", **save)
    return buf.getvalue()


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def star(at, name: str, projection: str) -> tuple[np.ndarray, list[dict]]:
    """(x, y) of the user's point on the map and the map's test-point traces."""
    traces = chart(at, f"yi_map_{name}_{projection}")["data"]
    *points, you = traces
    assert you["marker"]["symbol"] == "star" and you["name"] in ("your digit", "your face", "votre chiffre", "votre visage")
    return np.array([arr(you["x"])[0], arr(you["y"])[0]]), points


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def upload(at, name: str, data: bytes, mime: str = "image/png", key: str = "yi_upload_mnist"):
    at.file_uploader(key=key).set_value((name, data, mime)).run()
    assert not at.exception, at.exception
    return at


def downloads(at) -> dict[str, bytes]:
    return {b.key: download_bytes(b) for b in at.get("download_button")}


@pytest.fixture(scope="module")
def mnist(real_root):
    images, labels = load_mnist("test", real_root)
    return load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST), images, labels


@needs(MNIST)
def test_an_uploaded_test_digit_is_reconstructed_scored_and_placed(mnist):
    model, atlas, images, labels = mnist
    at = open_page(PAGE, MNIST, query={"yi_source": "upload"})
    assert at.segmented_control(key="yi_source").value == "upload" and at.radio(key="yi_invert").value == "auto"
    assert [i.value for i in at.info] == ["Upload an image: its encoding appears here."] and not at.metric
    upload(at, "digit.png", png(images[1]))
    user = encode_image(model, images[1])
    # what the model sees: test digit 1 comes back pixel for pixel from the MNIST-style preparation (enlarged 8×)
    assert np.array_equal(pixels(image_with_caption(at, "What the model sees"))[::8, ::8], images[1])
    assert np.array_equal(pixels(image_with_caption(at, "Reconstruction (decoded μ)"))[::8, ::8], user.reconstruction[..., 0])
    pct = neg_elbo_percentile(user.neg_elbo_nats, atlas)
    assert metric(at, "−ELBO") == f"{user.neg_elbo_nats:.1f} nats"
    terms = (
        f"= {user.recon_nats:.1f} nats of reconstruction, −log p(x|z) for one z ~ q(z|x), + {user.kl_nats:.1f} nats of KL(q(z|x) ‖ p(z))"
    )
    assert terms in [c.value for c in at.caption]
    assert metric(at, "Percentile") == f"{math.floor(pct * 10) / 10:.1f} %" and 0 < pct < 100
    assert user.kl_nats == pytest.approx(atlas.kl_nats[1], rel=1e-3)  # the atlas's own estimate for this digit
    verdict = f"−ELBO {user.neg_elbo_nats:.1f} nats: more atypical than {math.floor(pct)} % of test digits."
    assert verdict in [m.value for m in at.markdown]
    # μ ± σ per dimension
    code = chart(at, "yi_mu_sigma")["data"][0]
    np.testing.assert_allclose(arr(code["y"]), user.mean, rtol=1e-6)
    np.testing.assert_allclose(arr(code["error_y"]["array"]), user.std, rtol=1e-6)
    # the map: the test set coloured by digit, the star at μ's exact PCA projection
    xy, points = star(at, MNIST, "pca")
    assert [p["name"] for p in points] == [str(d) for d in range(10)] and sum(len(arr(p["x"])) for p in points) == len(atlas.mean)
    np.testing.assert_allclose(xy, place(atlas, user.mean, "pca"), rtol=1e-6)
    assert np.linalg.norm(xy - atlas.pca_coords[1]) < 0.05  # where the same digit sits in the atlas
    assert f":material/star: Your point at ({xy[0]:.2f}, {xy[1]:.2f})" in " ".join(c.value for c in at.caption)
    # the code is kept for the interpolation page, and exported
    last = at.session_state["handoff_last_code"]
    assert last.model == MNIST and np.allclose(last.code, user.mean) and last.source == "your_input"
    files = downloads(at)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(files["yi_dl_input"]))), images[1])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(files["yi_dl_recon"]))), user.reconstruction[..., 0])
    record = json.loads(files["yi_dl_code"])
    assert (
        record["model"] == MNIST and np.allclose(record["mu"], user.mean, atol=1e-6) and np.allclose(record["sigma"], user.std, atol=1e-6)
    )

    # t-SNE: placed among its nearest neighbours at once, then refined by openTSNE on request
    at.segmented_control(key="yi_proj").set_value("tsne").run()
    assert not at.exception and at.query_params["yi_proj"] == "tsne"
    fast, _ = star(at, MNIST, "tsne")
    np.testing.assert_allclose(fast, place(atlas, user.mean, "tsne"), rtol=1e-6)
    assert any("nearest test codes" in c.value for c in at.caption)
    at.button(key="yi_refine").click().run()
    assert not at.exception
    refined, _ = star(at, MNIST, "tsne")
    np.testing.assert_allclose(refined, refine_tsne(atlas.tsne(), user.mean), atol=0.5)
    assert not np.allclose(refined, fast) and not at.button  # refined: the button is gone
    assert any("openTSNE's out-of-sample optimisation" in c.value for c in at.caption)


@needs(MNIST)
def test_the_inversion_choice(mnist):
    """Dark ink on light paper: auto-detected (the same digit as the white-on-black original); 'don't invert' sees something else."""
    _, _, images, _ = mnist
    at = open_page(PAGE, MNIST, query={"yi_source": "upload", "yi_invert": "keep"})
    assert at.radio(key="yi_invert").value == "keep"
    upload(at, "paper.png", png(255 - images[1]))
    kept = pixels(image_with_caption(at, "What the model sees"))[::8, ::8]
    assert not np.array_equal(kept, images[1])
    at.radio(key="yi_invert").set_value("auto").run()
    assert not at.exception and at.query_params["yi_invert"] == "auto"
    assert np.array_equal(pixels(image_with_caption(at, "What the model sees"))[::8, ::8], images[1])


def bad_file(kind: str, digit: np.ndarray) -> tuple[str, bytes, str]:
    if kind == "empty":
        return "empty.png", b"", "image/png"
    if kind == "text":
        return "notes.txt", b"just some text, not an image\n", "text/plain"
    if kind == "truncated":
        whole = png(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
        return "cut.png", whole[: len(whole) // 2], "image/png"
    if kind == "tiny":
        return "dot.png", png(np.zeros((1, 1), np.uint8)), "image/png"
    if kind == "animated":
        frames = [Image.fromarray(digit), Image.fromarray(255 - digit)]
        return "anim.png", png(frames[0], save_all=True, append_images=frames[1:], duration=100), "image/png"
    if kind == "bomb":
        return "huge.png", png(Image.new("L", (5000, 5000))), "image/png"
    raise ValueError(kind)


@needs(MNIST)
@pytest.mark.parametrize(
    "kind, reason",
    [
        ("empty", "empty"),
        ("text", "not an image"),
        ("truncated", "truncated"),
        ("tiny", "1×1"),
        ("animated", "Animated"),
        ("bomb", "5000×5000"),
    ],
)
def test_bad_uploads_show_an_error_and_the_page_keeps_working(mnist, kind, reason):
    _, _, images, _ = mnist
    at = open_page(PAGE, MNIST, query={"yi_source": "upload"})
    upload(at, *bad_file(kind, images[1]))
    assert len(at.error) == 1 and at.error[0].value.startswith("This file cannot be used:"), [e.value for e in at.error]
    assert reason in at.error[0].value
    assert not at.metric and not at.get("plotly_chart")
    upload(at, "digit.png", png(images[2]))  # a good file afterwards: the page works
    assert not at.error and len(at.metric) == 2 and star(at, MNIST, "pca")


@needs(MNIST)
def test_odd_but_valid_images_work(mnist):
    """CMYK JPEG, 16-bit greyscale PNG, palette PNG and a large photo-like RGBA PNG are all converted."""
    model, _, images, _ = mnist
    digit = images[3]
    at = open_page(PAGE, MNIST, query={"yi_source": "upload"})
    paper = Image.new("L", (900, 700), 255)  # dark ink on light "paper", enlarged 25×
    paper.paste(Image.fromarray(255 - digit).resize((700, 700), Image.BICUBIC), (120, 0))
    big = np.asarray(paper.convert("RGBA"))
    files = [
        ("cmyk.jpg", jpeg(Image.fromarray(digit).convert("CMYK")), "image/jpeg"),
        ("deep.png", png(Image.fromarray(digit.astype(np.uint16) * 257)), "image/png"),
        ("palette.png", png(Image.fromarray(digit).convert("P")), "image/png"),
        ("photo.png", png(big), "image/png"),
    ]
    for name, data, mime in files:
        upload(at, name, data, mime)
        assert not at.error, (name, [e.value for e in at.error])
        assert len(at.metric) == 2, name
        seen = pixels(image_with_caption(at, "What the model sees"))[::8, ::8]
        assert np.corrcoef(seen.ravel(), digit.ravel().astype(float))[0, 1] > 0.8, name  # still the same digit


def stroke(side: int = 280) -> np.ndarray:
    """A canvas drawing as the component returns it: RGBA, a white '1' on black."""
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[50:230, 130:150, :3] = 255
    return rgba


@needs(MNIST)
def test_a_drawing_lands_on_the_map(mnist):
    model, atlas, _, labels = mnist
    at = open_page(PAGE, MNIST)
    assert at.segmented_control(key="yi_source").value == "draw"
    assert [i.value for i in at.info] == ["Draw a digit on the canvas: its encoding appears here."]
    at.session_state[CANVAS_HOOK] = np.zeros((280, 280, 4), np.uint8)  # an empty canvas
    at.run()
    assert not at.exception and not at.error and not at.metric
    assert [i.value for i in at.info] == ["The canvas is empty: draw a digit first."]

    at.session_state[CANVAS_HOOK] = stroke()
    at.run()
    assert not at.exception and len(at.metric) == 2
    digit = canvas_to_digit(stroke())
    assert np.array_equal(pixels(image_with_caption(at, "What the model sees"))[::8, ::8], digit)
    user = encode_image(model, digit)
    xy, _ = star(at, MNIST, "pca")
    np.testing.assert_allclose(xy, place(atlas, user.mean, "pca"), rtol=1e-6)
    assert np.allclose(at.session_state["handoff_last_code"].code, user.mean)
    neighbours = [c for element in at.get("html") for c in image_row_captions(element.proto.body)]
    assert len(neighbours) == 8 and sum(c.startswith("1 · ") for c in neighbours) >= 6  # a bar reads as a 1

    at.session_state["lang"] = "fr"
    at.run()
    assert not at.exception and at.title[0].value == "Votre propre image"
    assert any(m.value.endswith("% des chiffres de test.") and "plus atypique que" in m.value for m in at.markdown)
    assert star(at, MNIST, "pca")[0] == pytest.approx(xy)


@needs(CELEBA)
def test_celeba_takes_an_upload_and_places_the_face():
    model, atlas = load_model(MODELS_DIR / CELEBA), load_atlas(MODELS_DIR / CELEBA)
    at = open_page(PAGE, CELEBA, dataset="celeba")
    assert not [w for w in at.segmented_control if w.key == "yi_source"] and not [
        r for r in at.radio if r.key == "yi_invert"
    ]  # upload only
    assert [f.key for f in at.file_uploader] == ["yi_upload_celeba"]
    yy, xx = np.mgrid[0:218, 0:178]
    portrait = np.stack([xx * 255 // 177, yy * 255 // 217, np.full_like(xx, 128)], -1).astype(np.uint8)  # a 178×218 CelebA-sized picture
    upload(at, "portrait.jpg", jpeg(Image.fromarray(portrait)), "image/jpeg", key="yi_upload_celeba")
    assert not at.error and len(at.metric) == 2
    seen = pixels(image_with_caption(at, "What the model sees"))
    assert seen.shape[2] == 3 and seen.shape[0] == seen.shape[1]
    face = seen[::3, ::3]  # 64×64, enlarged 3×
    user = encode_image(model, face)
    xy, points = star(at, CELEBA, "pca")
    np.testing.assert_allclose(xy, place(atlas, user.mean, "pca"), rtol=1e-4, atol=1e-4)
    assert len(points) == 1 and len(arr(points[0]["x"])) == len(atlas.mean)
    assert user.neg_elbo_nats > 1000 and metric(at, "−ELBO") == f"{user.neg_elbo_nats:.0f} nats"  # Gaussian pixels: whole nats
    pct = math.floor(neg_elbo_percentile(user.neg_elbo_nats, atlas))
    assert f"−ELBO {user.neg_elbo_nats:.0f} nats: more atypical than {pct} % of test faces." in [m.value for m in at.markdown]


@needs(MNIST)
def test_the_code_is_an_endpoint_for_the_interpolation_page(mnist):
    model, _, images, _ = mnist
    at = open_page(PAGE, MNIST, query={"yi_source": "upload"})
    upload(at, "digit.png", png(images[1]))  # prepared back to itself, pixel for pixel
    user = encode_image(model, images[1])
    assert at.session_state["handoff_last_code"] == LatentCode(MNIST, tuple(user.mean.tolist()), None, "your_input")
    at.session_state["ip_a_src"] = "map"
    at.switch_page("pages/interpolation.py")
    at.run()
    assert not at.exception
    assert "Your own drawing or upload (page “Your own input”)" in [c.value for c in at.caption]
    endpoint_a = pixels(image_with_caption(at, "Decoded"))  # the first "Decoded" picture: endpoint A, our μ decoded
    scale = endpoint_a.shape[0] // 28
    assert np.array_equal(endpoint_a[::scale, ::scale], user.reconstruction[..., 0])


@needs("mnist-z2")
def test_a_two_dimensional_model_places_the_digit_at_mu_itself(real_root):
    from vae.data.datasets import load_mnist

    images, _ = load_mnist("test", real_root)
    model = load_model(MODELS_DIR / "mnist-z2")
    at = open_page(PAGE, "mnist-z2", query={"yi_source": "upload"})
    upload(at, "digit.png", png(images[1]))
    assert at.segmented_control(key="yi_proj").value == "raw"
    xy, _ = star(at, "mnist-z2", "raw")
    np.testing.assert_allclose(xy, encode_image(model, images[1]).mean, rtol=1e-6)


@needs(MNIST)
def test_without_the_canvas_package_digits_are_uploaded(monkeypatch, mnist):
    import ui.components.input_widgets

    _, _, images, _ = mnist
    monkeypatch.setattr(ui.components.input_widgets, "canvas_available", lambda: False)
    at = open_page(PAGE, MNIST, query={"yi_source": "draw"})
    assert not [w for w in at.segmented_control if w.key == "yi_source"]
    assert any("streamlit-drawable-canvas" in c.value for c in at.caption)
    upload(at, "digit.png", png(images[1]))
    assert len(at.metric) == 2 and star(at, MNIST, "pca")


@needs("mnist-z2")
def test_a_saturating_upload_is_shown_beyond_every_test_image_with_the_clamp_named(real_root):
    """A checkerboard drives mnist-z2's log σ² to its clamp (20) and its KL to ~5·10⁸ nats;
    the page shows the largest test values instead and says why; a real digit gets no such note."""
    atlas = load_atlas(MODELS_DIR / "mnist-z2")
    at = open_page(PAGE, "mnist-z2", query={"yi_source": "upload"})
    checker = ((np.indices((280, 280)) // 20).sum(0) % 2 * 255).astype(np.uint8)
    upload(at, "checker.png", png(checker))
    largest = {k: float(getattr(atlas, k).max()) for k in ("neg_elbo_nats", "recon_nats", "kl_nats")}
    assert metric(at, "−ELBO") == f"> {largest['neg_elbo_nats']:.1f} nats" and metric(at, "Percentile") == "100.0 %"
    terms = f"= > {largest['recon_nats']:.1f} nats of reconstruction, −log p(x|z) for one z ~ q(z|x), + > {largest['kl_nats']:.1f} nats of KL(q(z|x) ‖ p(z))"
    assert terms in [c.value for c in at.caption]
    verdict = (
        f"−ELBO beyond every test image (largest test value: {largest['neg_elbo_nats']:.1f} nats): more atypical than all test digits."
    )
    assert verdict in [m.value for m in at.markdown]
    warning = at.warning[0].value
    assert f"KL: beyond every test image (largest test value: {largest['kl_nats']:.1f} nats)." in warning
    assert "The encoder's log-variance hit its clamp (20) on 2 of 2 dimensions: the input is far outside what it was trained on" in warning
    images, _ = load_mnist("test", real_root)
    upload(at, "digit.png", png(images[atlas.test_index[0]]))
    assert not at.warning and not metric(at, "−ELBO").startswith(">")


def test_upload_errors_and_the_empty_canvas_speak_french():
    """The reasons vae/data/inputs.py gives are translated (its English stays the command line's)."""

    def script():
        import io

        import numpy as np
        import streamlit as st
        from PIL import Image

        from ui.components.input_widgets import prepare_upload
        from vae.data.inputs import InputImageError, canvas_to_digit

        st.session_state["lang"] = st.query_params.get("lang", "en")
        buffer = io.BytesIO()
        Image.fromarray(np.zeros((1, 1), np.uint8)).save(buffer, format="PNG")
        st.error(prepare_upload(buffer.getvalue(), "mnist")[1])
        try:
            canvas_to_digit(np.zeros((280, 280, 4), np.uint8))
        except InputImageError as err:
            from ui.shell.i18n import error_text

            st.info(error_text(err))

    for lang, tiny, empty in [
        ("fr", "L'image ne fait que 1×1 pixels ; il en faut au moins 8×8.", "La zone de dessin est vide : dessinez d'abord un chiffre."),
        ("en", "The image is only 1×1 pixels; at least 8×8 are needed.", "The canvas is empty: draw a digit first."),
    ]:
        at = AppTest.from_function(script, default_timeout=30)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception and [e.value for e in at.error] == [tiny] and [i.value for i in at.info] == [empty]
