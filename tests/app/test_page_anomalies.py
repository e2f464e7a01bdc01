"""AppTest: the anomalies page on the real shipped models — rankings, the close-up with its error map,
the outliers on the latent map, the CSV, uploads (good, bad, blank, saturating), the score's ink bias
explained, and a missing data directory.

Uploads go through AppTest's own `at.file_uploader(key="an_upload").set_value((name, bytes, mime))`."""

import csv
import io

import numpy as np
import pytest
from PIL import Image

from tests.apptest_media import arr, chart, download_bytes, image_with_caption, media_bytes, open_page, pixels, record_media  # noqa: F401
from tests.conftest import MODELS_DIR, needs
from vae import load_model
from vae.analysis.anomaly import error_map, image_scores, ink_correlation, percentile, rank, reconstruction_errors
from vae.artifacts.atlas import load_atlas
from vae.core.latent import decode
from vae.data.datasets import load_celeba, load_mnist

pytestmark = pytest.mark.usefixtures("record_media")
MNIST, CELEBA = "mnist-z16", "celeba-z64"


def captions(at) -> list[str]:
    return [c for element in at.get("image") for c in element.captions]


def metric(at, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def csv_rows(at) -> list[dict]:
    button = at.get("download_button")[0]
    assert button.key == "an_csv"
    return list(csv.DictReader(io.StringIO(download_bytes(button).decode())))


def png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def upload(at, name: str, data: bytes, mime: str = "image/png"):
    at.file_uploader(key="an_upload").set_value((name, data, mime)).run()
    assert not at.exception, at.exception
    return at


@needs(MNIST)
def test_mnist_ranking_closeup_map_and_csv(real_root):
    model, atlas = load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST)
    images, labels = load_mnist("test", real_root)
    at = open_page("anomalies.py", MNIST)
    order = rank(atlas.neg_elbo_nats)
    top, bottom = order[:12], order[::-1][:12]

    def cell(pos, r):
        return f"{pos}. #{atlas.test_index[r]} · {labels[atlas.test_index[r]]} · {atlas.neg_elbo_nats[r]:.1f} nats"

    shown = captions(at)
    assert shown[:24] == [cell(i + 1, r) for i, r in enumerate(top)] + [cell(i + 1, r) for i, r in enumerate(bottom)]
    assert np.array_equal(pixels(image_with_caption(at, shown[0]))[::4, ::4], images[atlas.test_index[top[0]]])  # the original
    # the close-up: the most unusual image first, its error map |x − x̂| and its scores
    row = at.selectbox(key="an_pick").value
    assert row == top[0]
    recon = decode(model, atlas.mean[row])[0]
    z = arr(chart(at, f"an_err_{MNIST}_{row}")["data"][0]["z"])
    np.testing.assert_allclose(z, error_map(images[atlas.test_index[row]], recon), atol=1e-9)
    assert metric(at, "Score (−ELBO)") == f"{atlas.neg_elbo_nats[row]:.1f} nats"
    assert metric(at, "Percentile") == "99.9 %"  # the top score: above 9,999 of 10,000
    assert metric(at, "KL") == f"{atlas.kl_nats[row]:.1f} nats"
    at.selectbox(key="an_pick").set_value(int(bottom[0])).run()
    assert not at.exception and at.query_params["an_pick"] == str(bottom[0])
    assert metric(at, "Percentile") == "0.0 %" and metric(at, "Score (−ELBO)") == f"{atlas.neg_elbo_nats[bottom[0]]:.1f} nats"
    assert arr(chart(at, f"an_err_{MNIST}_{bottom[0]}")["data"][0]["z"]).mean() < z.mean()
    # the latent map: everything in grey, the 12 most unusual in red, labelled with their digit
    grey, red = chart(at, f"an_map_{MNIST}_pca")["data"]
    assert len(arr(grey["x"])) == len(atlas.test_index)
    np.testing.assert_allclose(np.stack([arr(red["x"]), arr(red["y"])], 1), atlas.pca_coords[top], rtol=1e-6)
    assert red["text"] == [str(labels[atlas.test_index[r]]) for r in top] and red["marker"]["color"] == "#d62728"
    # the CSV: the whole test set in ranking order
    rows = csv_rows(at)
    assert len(rows) == len(atlas.test_index) and list(rows[0])[:6] == [
        "rank",
        "test_index",
        "label",
        "neg_elbo_nats",
        "recon_nats",
        "kl_nats",
    ]
    assert [int(r["test_index"]) for r in rows[:12]] == atlas.test_index[top].tolist()
    assert np.all(np.diff([float(r["neg_elbo_nats"]) for r in rows]) <= 1e-3)


@needs(MNIST)
def test_switching_the_ranking(real_root):
    model, atlas = load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST)
    images, _ = load_mnist("test", real_root)
    at = open_page("anomalies.py", MNIST, query={"an_rank": "kl", "an_n": "7"})  # a deep link
    assert at.segmented_control(key="an_rank").value == "kl" and at.slider(key="an_n").value == 6
    top_kl = rank(atlas.kl_nats)[:6]
    assert [c.split(" · ")[0] for c in captions(at)[:6]] == [f"{i + 1}. #{atlas.test_index[r]}" for i, r in enumerate(top_kl)]
    assert captions(at)[0].endswith(f"{atlas.kl_nats[top_kl[0]]:.1f} nats")

    at.segmented_control(key="an_rank").set_value("mse").run()
    assert not at.exception and at.query_params["an_rank"] == "mse"
    shown = captions(at)[:6]
    rows = [int(c.split(" · ")[0].split("#")[1]) for c in shown]
    values = [float(c.split(" · ")[-1]) for c in shown]
    assert values == sorted(values, reverse=True) and rows != atlas.test_index[top_kl].tolist()
    mse, _ = reconstruction_errors(model, images[rows])
    assert [f"{v:.4f}" for v in mse] == [c.split(" · ")[-1] for c in shown]
    csv_mse = [float(r["mse_per_pixel"]) for r in csv_rows(at)]  # the MSE column, computed, in ranking order
    assert csv_mse[0] == pytest.approx(mse[0], rel=1e-4) and np.all(np.diff(csv_mse) <= 1e-9)
    assert at.selectbox(key="an_pick").value == rows[0]


@needs(CELEBA)
def test_celeba_page_and_an_upload_of_a_test_face_gets_the_atlas_score(celeba_root):
    atlas = load_atlas(MODELS_DIR / CELEBA)
    at = open_page("anomalies.py", CELEBA, dataset="celeba")
    top = rank(atlas.neg_elbo_nats)[:12]
    assert captions(at)[:12] == [f"{i + 1}. #{atlas.test_index[r]} · {atlas.neg_elbo_nats[r]:.1f} nats" for i, r in enumerate(top)]
    assert not [c for c in at.get("plotly_chart") if "an_map" in c.proto.id]  # the latent map is for MNIST
    # test image 0, uploaded: same pixels (64×64 in, 64×64 out) and the same noise row as in the atlas
    images, _, _ = load_celeba("test", celeba_root)
    assert atlas.test_index[0] == 0
    upload(at, "face.png", png(images[0]))
    assert metric(at, "−ELBO of your image") == f"{atlas.neg_elbo_nats[0]:.1f} nats"
    pct = percentile(atlas.neg_elbo_nats[0], atlas.neg_elbo_nats)
    assert metric(at, "Percentile among the test set") == f"{np.floor(pct * 10) / 10:.1f} %" and 0 < pct < 100
    assert np.array_equal(pixels(image_with_caption(at, "What the model sees"))[::3, ::3], images[0])  # enlarged 3×


@needs(MNIST)
def test_an_upload_of_a_test_digit_is_scored_like_the_atlas(real_root):
    model, atlas = load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST)
    images, _ = load_mnist("test", real_root)
    at = open_page("anomalies.py", MNIST)
    # test digit 1 comes back pixel for pixel from the MNIST-style preparation (no resampling needed, none done)
    upload(at, "digit.png", png(images[1]))
    seen = pixels(image_with_caption(at, "What the model sees"))[::8, ::8]
    assert np.array_equal(seen, images[1])
    assert [m.value for m in at.metric if m.label == "KL"][-1] == f"{atlas.kl_nats[1]:.1f} nats"  # KL: no sampling, equal
    ours = image_scores(model, images[1:2])["neg_elbo_nats"][0]
    shown = metric(at, "−ELBO of your image")
    assert shown == f"{ours:.1f} nats"
    # one posterior sample from the fixed seed: the atlas drew image 1's noise from row 1, the upload from row 0
    assert float(shown.split()[0]) == pytest.approx(atlas.neg_elbo_nats[1], rel=0.05)
    pct = percentile(ours, atlas.neg_elbo_nats)
    assert metric(at, "Percentile among the test set") == f"{np.floor(pct * 10) / 10:.1f} %"


@needs(MNIST)
@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.png", b"", "empty"),
        ("notes.txt", b"just some text, not an image\n", "not an image"),
        ("cut.png", None, "truncated"),
        ("dot.png", None, "1×1"),
    ],
)
def test_bad_uploads_show_an_error_and_the_page_keeps_working(real_root, name, data, reason):
    if name == "cut.png":
        whole = png(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
        data = whole[: len(whole) // 2]
    if name == "dot.png":
        data = png(np.zeros((1, 1), np.uint8))
    at = open_page("anomalies.py", MNIST)
    before = captions(at)[:24]
    upload(at, name, data, "text/plain" if name.endswith(".txt") else "image/png")
    assert len(at.error) == 1 and at.error[0].value.startswith("This file cannot be used:")
    assert reason in at.error[0].value
    assert captions(at)[:24] == before and not [m for m in at.metric if m.label == "−ELBO of your image"]
    at.segmented_control(key="an_rank").set_value("kl").run()  # still usable
    assert not at.exception and captions(at)[:24] != before


@needs(MNIST)
def test_without_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))  # test_set() is keyed by the data root
    model, atlas = load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST)
    at = open_page("anomalies.py", MNIST)
    assert any("not in the data directory" in i.value for i in at.info)
    assert any("reconstructions (decoded posterior means)" in c.value for c in at.caption)
    top = rank(atlas.neg_elbo_nats)[:12]
    assert captions(at)[:12] == [f"{i + 1}. #{atlas.test_index[r]} · {atlas.neg_elbo_nats[r]:.1f} nats" for i, r in enumerate(top)]
    assert np.array_equal(pixels(image_with_caption(at, captions(at)[0]))[::4, ::4], decode(model, atlas.mean[top[0]])[0, ..., 0])
    assert list(csv_rows(at)[0]) == ["rank", "test_index", "neg_elbo_nats", "recon_nats", "kl_nats"]
    at.segmented_control(key="an_rank").set_value("mse").run()
    assert not at.exception
    assert any("needs the test images" in i.value for i in at.info)
    assert not captions(at) and not at.get("download_button")
    assert at.file_uploader(key="an_upload")  # uploads still work without the data


@needs(MNIST)
@pytest.mark.parametrize(
    "fill, invert, seen_value",
    [(0, "auto", 0), (255, "auto", 0), (255, "keep", 255)],  # auto reads an all-white page as blank paper
)
def test_blank_uploads_are_scored_beyond_every_test_image(real_root, fill, invert, seen_value):
    """An all-black or all-white upload is scored (not refused as "no digit"): beyond every test image."""
    model, atlas = load_model(MODELS_DIR / MNIST), load_atlas(MODELS_DIR / MNIST)
    at = open_page("anomalies.py", MNIST)
    at.radio(key="an_invert").set_value(invert)
    upload(at, "blank.png", png(np.full((200, 150), fill, np.uint8)))
    assert not at.error, [e.value for e in at.error]
    seen = pixels(image_with_caption(at, "What the model sees"))[::8, ::8]
    assert seen.shape == (28, 28) and np.all(seen == seen_value)
    blank = np.full((28, 28), seen_value, np.uint8)
    elbo = image_scores(model, blank[None])["neg_elbo_nats"][0]
    largest = float(atlas.neg_elbo_nats.max())
    assert elbo > largest  # a blank page is the clearest anomaly
    assert metric(at, "−ELBO of your image") == f"> {largest:.1f} nats"  # bounded: not thousands of nats
    assert metric(at, "Percentile among the test set") == "100.0 %"
    verdict = f"Your image is beyond every test image (largest test value: {largest:.1f} nats): more unusual than all of them (by −ELBO)."
    assert verdict in [m.value for m in at.markdown]
    assert f"−ELBO: beyond every test image (largest test value: {largest:.1f} nats)." in at.warning[0].value


@needs(MNIST)
def test_the_page_explains_what_the_score_measures_and_its_ink_bias(real_root):
    atlas = load_atlas(MODELS_DIR / MNIST)
    images, _ = load_mnist("test", real_root)
    at = open_page("anomalies.py", MNIST)
    text = " ".join(m.value for m in at.markdown)
    assert "not how much the image looks like a digit" in text and "Bernoulli on grey levels" in text
    r = ink_correlation(images[atlas.test_index], atlas.neg_elbo_nats)
    assert r > 0.4 and f"correlate at r = {r:.2f}." in text
    at.session_state["lang"] = "fr"
    at.run()
    assert not at.exception and f"sont corrélés à r = {r:.2f}.".replace(f"{r:.2f}", f"{r:.2f}".replace(".", ",")) in " ".join(
        m.value for m in at.markdown
    )


@needs("mnist-z2")
def test_a_saturating_upload_says_the_encoder_hit_its_clamp(real_root):
    """On mnist-z2 a white page drives log σ² to the clamp and KL to ~5·10⁸ nats: shown bounded, clamp named."""
    model, atlas = load_model(MODELS_DIR / "mnist-z2"), load_atlas(MODELS_DIR / "mnist-z2")
    assert image_scores(model, np.full((1, 28, 28), 255, np.uint8))["kl_nats"][0] > 1e8  # the raw figure, not what the page shows
    at = open_page("anomalies.py", "mnist-z2")
    at.radio(key="an_invert").set_value("keep")
    upload(at, "white.png", png(np.full((280, 280), 255, np.uint8)))
    upload_kl = [m.value for m in at.metric if m.label == "KL"][-1]  # the upload's, after the close-up's
    assert upload_kl == f"> {float(atlas.kl_nats.max()):.1f} nats"
    assert metric(at, "−ELBO of your image") == f"> {float(atlas.neg_elbo_nats.max()):.1f} nats"
    warning = at.warning[0].value
    assert f"KL: beyond every test image (largest test value: {float(atlas.kl_nats.max()):.1f} nats)." in warning
    assert "The encoder's log-variance hit its clamp (20) on 2 of 2 dimensions" in warning
    assert not any("e+" in m.value or len(m.value) > 20 for m in at.metric)  # no absurd number anywhere
