"""AppTest: the face attribute editor and the face composer on the real celeba-z64 model —
the pictures shown are checked against vae.artifacts.attributes / vae.analysis.composer + the decoder, pixel for pixel.

Uploads go through AppTest's own `at.file_uploader(key=...).set_value((name, bytes, mime))`."""

import io
import json
import re
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.apptest_media import download_bytes, image_urls, image_with_caption, media_bytes, open_page, pixels, record_media  # noqa: F401
from tests.conftest import MODELS_DIR
from ui.shell.handoff import ComposerStart
from vae import load_model
from vae.analysis.composer import PRODUCT_SEARCH, Composer
from vae.analysis.witness import default_decoder, load_record
from vae.artifacts.atlas import load_atlas
from vae.artifacts.attributes import DEFAULT_ATTRIBUTES, DIRECTIONS_FILE, load_directions
from vae.artifacts.density import load_density
from vae.core.latent import decode, encode, prior_samples
from vae.data.inputs import load_user_image
from vae.training.gan import load_adversarial

pytestmark = pytest.mark.usefixtures("record_media")
NAME = "celeba-z64"


def needs(*names: str):
    """The models' atlases, and celeba-z64's attribute directions (vae-explorer attributes models/celeba-z64)."""
    missing_dirs = not (MODELS_DIR / NAME / DIRECTIONS_FILE).exists()
    return pytest.mark.skipif(
        missing_dirs or any(not (MODELS_DIR / n / "atlas.safetensors").exists() for n in names),
        reason=f"models or {NAME}'s attribute directions not built yet: {names}",
    )


def drawing_model(decoder: str | None = None):
    """The model with the decoder the face pages draw with: by default the one that identifies best
    (vae.analysis.witness.default_decoder, by the model's witness record); the encoder is the same."""
    folder = MODELS_DIR / NAME
    decoder = decoder or default_decoder(folder, load_record(folder))
    return load_adversarial(folder)[0] if decoder == "adversarial" else load_model(folder)


@pytest.fixture(scope="module")
def real():
    return drawing_model(), load_atlas(MODELS_DIR / NAME), load_directions(MODELS_DIR / NAME)


def png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def pair(model, edited: np.ndarray, base: np.ndarray) -> np.ndarray:
    """What the editor decodes, in its one batch: (edited, base). (Conv results vary slightly with the batch size.)"""
    return decode(model, np.stack([edited, base]))


def shown(at, caption: str, factor: int) -> np.ndarray:
    """An enlarged (nearest-neighbour) image of the page, back at model resolution."""
    return pixels(image_with_caption(at, caption))[::factor, ::factor]


# ---- face editor ----------------------------------------------------------------------------------------
@needs(NAME)
def test_face_pages_draw_with_the_decoder_that_identifies_best_and_offer_the_other(real):
    model, atlas, _ = real
    folder = MODELS_DIR / NAME
    best = default_decoder(folder, load_record(folder))
    other = "plain" if best == "adversarial" else "adversarial"
    base = atlas.mean[0]
    at = open_page("face_editor.py", NAME, "celeba")
    assert at.get("button_group")[0].value in (best, [best])  # the segmented control, set to the measured best
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, base, base)[0])
    at.get("button_group")[0].set_value(other).run()
    assert not at.exception
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(drawing_model(other), base, base)[0])
    assert not np.array_equal(pair(drawing_model(other), base, base)[0], pair(model, base, base)[0])
    if load_record(folder):
        assert any("simulated witnesses" in c.value and "lineup" in c.value for c in at.caption)
    co = open_page("composer.py", NAME, "celeba")
    assert co.get("button_group")[0].value in (best, [best])
    assert any("Spread of the faces on show" in c.value for c in co.caption)


@needs(NAME)
def test_editor_sliders_move_the_face_along_the_directions(real):
    model, atlas, dirs = real
    at = open_page("face_editor.py", NAME, "celeba")
    assert [s.key for s in at.slider] == [f"fe_amt_{a}" for a in DEFAULT_ATTRIBUTES]
    assert all(s.value == 0.0 and s.min == -2.0 and s.max == 2.0 for s in at.slider)
    notes = [c.value for c in at.caption]
    assert any("High cheekbones" in n and "Mouth slightly open" in n for n in notes)  # the bias check beside "Smiling"
    base = atlas.mean[0]
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, base, base)[0])
    assert {d.key for d in at.get("download_button")} == {"fe_png", "fe_json"}

    at.slider(key="fe_amt_Smiling").set_value(1.5).run()
    at.slider(key="fe_amt_Eyeglasses").set_value(-0.5).run()
    assert not at.exception
    edited = dirs.apply(base, {"Smiling": 1.5, "Eyeglasses": -0.5})
    after = shown(at, "Edited face", 4)
    np.testing.assert_array_equal(after, pair(model, edited, base)[0])
    np.testing.assert_array_equal(shown(at, "Before (decoded)", 2), pair(model, edited, base)[1])  # the unedited decode stays
    assert at.query_params["fe_amt"] == "Smiling:1.5,Eyeglasses:-0.5"
    assert any(f"Smiling: {dirs.score(base, 'Smiling'):.0%} → {dirs.score(edited, 'Smiling'):.0%}" in m.value for m in at.markdown)
    assert dirs.score(edited, "Smiling", probability=False) > dirs.score(base, "Smiling", probability=False) + 1
    exported = np.asarray(Image.open(io.BytesIO(download_bytes(at.get("download_button")[0]))))
    np.testing.assert_array_equal(exported[::4, ::4], after)  # the PNG is the edited face, 256 px
    code = json.loads(download_bytes(at.get("download_button")[1]))
    np.testing.assert_allclose(code["code"], edited, atol=1e-5)
    assert code["edits"] == {"Smiling": 1.5, "Eyeglasses": -0.5}

    at.button(key="fe_reset").click().run()
    assert all(s.value == 0.0 for s in at.slider)
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, base, base)[0])


@needs(NAME)
def test_editor_deep_link_and_sources(real):
    model, atlas, dirs = real
    at = open_page("face_editor.py", NAME, "celeba", {"fe_attrs": "Male,Bald", "fe_amt": "Male:-1", "fe_source": "prior", "fe_seed": "5"})
    assert [s.key for s in at.slider if s.key.startswith("fe_amt_")] == ["fe_amt_Male", "fe_amt_Bald"]
    assert at.slider(key="fe_amt_Male").value == -1.0
    base = prior_samples(64, 1, 5, 0.8)[0]
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, dirs.apply(base, {"Male": -1.0}), base)[0])
    at.number_input(key="fe_seed").set_value(6).run()
    at.query_params["fe_seed"] = "6"  # what the browser's URL now says (AppTest does not run the binding's front end)
    at.segmented_control(key="fe_source").set_value("test").run()
    at.segmented_control(key="fe_source").set_value("prior").run()
    assert at.number_input(key="fe_seed").value == 6  # kept while another source was shown
    at.segmented_control(key="fe_source").set_value("composer").run()  # no composer face yet: a note, no crash
    assert not at.exception and any("composer" in i.value for i in at.info)
    code = np.linspace(-1, 1, 64).astype(np.float32)
    at.session_state["handoff_composer_face"] = ComposerStart(NAME, tuple(code.tolist()))
    at.run()
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, dirs.apply(code, {"Male": -1.0}), code)[0])


@needs(NAME)
def test_editor_uploads_good_and_bad(real):
    model, atlas, dirs = real
    at = open_page("face_editor.py", NAME, "celeba", {"fe_source": "upload"})
    assert at.file_uploader(key="fe_upload") and not at.get("image")
    at.file_uploader(key="fe_upload").set_value(("face.png", b"this is not an image", "image/png")).run()
    assert not at.exception and at.error and "cannot be used" in at.error[0].value
    assert at.segmented_control(key="fe_source").value == "upload"  # the page still works
    photo = decode(model, atlas.mean[3])[0]
    data = png(photo)
    at.file_uploader(key="fe_upload").set_value(("face.png", data, "image/png")).run()
    assert not at.exception and not at.error
    prepared = load_user_image(data, "celeba")
    code = encode(model, np.array(prepared[None]))[0][0]
    np.testing.assert_array_equal(shown(at, "Photo", 2), prepared)
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, code, code)[0])


@needs(NAME)
def test_editor_face_seeds_the_composer_and_back(real):
    model, atlas, dirs = real
    at = open_page("face_editor.py", NAME, "celeba", {"fe_index": "9"})
    at.slider(key="fe_amt_Male").set_value(1.0).run()
    edited = dirs.apply(atlas.mean[9], {"Male": 1.0})
    at.button(key="fe_to_composer").click().run()
    assert not at.exception
    composer = at.session_state["composer_engine"]["composer"]
    assert composer.generation == 0 and len(at.checkbox) == 16  # the composer page is on show
    np.testing.assert_array_equal(composer.current[0], edited)
    np.testing.assert_array_equal(composer_face(at), edited)  # face 1 is the favourite
    at.switch_page("pages/composer.py")  # AppTest's next runs stay on the page it was told, whatever st.switch_page did
    at.checkbox(key="cmp_sel_4").check().run()
    np.testing.assert_array_equal(at.session_state["composer_engine"]["composer"].current, composer.current)  # not restarted again
    at.button(key="co_to_editor").click().run()  # opens the editor on the composer's favourite
    at.switch_page("pages/face_editor.py").run()
    assert not at.exception and at.segmented_control(key="fe_source").value == "composer"
    np.testing.assert_array_equal(shown(at, "Before (decoded)", 2), pair(model, composer.current[4], composer.current[4])[1])


@needs(NAME, "mnist-z16")
def test_editor_on_mnist_offers_the_switch():
    at = open_page("face_editor.py", "mnist-z16", "mnist")
    assert not at.slider and at.info
    at.button(key="fe_to_celeba").click().run()
    assert not at.exception
    assert at.session_state["dataset"] == "celeba" and at.session_state["model"] == NAME
    assert [s.key for s in at.slider] == [f"fe_amt_{a}" for a in DEFAULT_ATTRIBUTES]


# ---- composer -------------------------------------------------------------------------------------------
def grid(at, n: int) -> np.ndarray:
    """The population as shown: the first n images of the page (64 px each), (n, 64, 64, 3)."""
    return np.stack([pixels(url) for url in image_urls(at)[:n]])


def generation_label(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Generation"))


@needs(NAME)
def test_composer_breed_undo_and_exports(real):
    model, atlas, dirs = real
    at = open_page("composer.py", NAME, "celeba", {"co_seed": "11"})
    assert [c.key for c in at.checkbox] == [f"cmp_sel_{i}" for i in range(16)]
    density = load_density(MODELS_DIR / NAME)  # the first population comes from the learned density
    reference = Composer(64, 16, seed=11, sampler=density.sample, source="learned", search=PRODUCT_SEARCH)
    first = grid(at, 16)
    np.testing.assert_array_equal(first, decode(model, reference.current))  # one batch, the seeded population
    assert all(url.startswith("data:image/png;base64,") for url in image_urls(at))  # inline: no media fetches, no 404 race
    assert generation_label(at).startswith("**Generation 1**")
    assert at.button(key="composer_breed").disabled and at.button(key="composer_undo").disabled
    assert {d.key for d in at.get("download_button")} == {"co_png", "co_json", "co_record"}

    at.checkbox(key="cmp_sel_3").check().run()
    at.checkbox(key="cmp_sel_8").check().run()
    assert not at.button(key="composer_breed").disabled
    np.testing.assert_array_equal(composer_face(at), reference.current[3])  # the first pick
    at.button(key="composer_breed").click().run()
    assert not at.exception
    second = grid(at, 16)
    expected = reference.breed([3, 8])
    np.testing.assert_array_equal(second, decode(model, expected))  # reproducible from seed + picks
    assert (np.abs(second.astype(int) - first.astype(int)).reshape(16, -1).max(1) > 0).all()  # every face is new
    assert generation_label(at).startswith("**Generation 2**")
    assert not any(c.value for c in at.checkbox)  # picks cleared for the next round
    np.testing.assert_array_equal(composer_face(at), expected[0])  # the elite: the picks' mean
    saved = json.loads(download_bytes(next(d for d in at.get("download_button") if d.key == "co_json")))
    assert saved["session"]["breeds"] == [{"picks": [3, 8], "constraints": {}}] and saved["session"]["seed"] == 11
    assert saved["session"]["source"] == "learned"
    np.testing.assert_array_equal(Composer.replay(saved["session"], sampler=density.sample).current, expected)
    exported = np.asarray(Image.open(io.BytesIO(download_bytes(next(d for d in at.get("download_button") if d.key == "co_png")))))
    np.testing.assert_array_equal(exported[::4, ::4], decode(model, expected[:1])[0])
    with zipfile.ZipFile(io.BytesIO(download_bytes(next(d for d in at.get("download_button") if d.key == "co_record")))) as z:
        record = json.loads(z.read("session.json"))
        full = np.asarray(Image.open(io.BytesIO(z.read("composite.png"))))
    assert record["model"] == NAME and record["generation"] == 1 and record["decoder"] in ("plain", "adversarial")
    np.testing.assert_array_equal(Composer.replay(record["session"], sampler=density.sample).current, expected)
    np.testing.assert_array_equal(full, decode(model, expected[:1])[0])  # the composite at the decoder's own 64 × 64

    at.button(key="composer_undo").click().run()
    assert not at.exception
    np.testing.assert_array_equal(grid(at, 16), first)
    assert generation_label(at).startswith("**Generation 1**")
    assert [c.key for c in at.checkbox if c.value] == ["cmp_sel_3", "cmp_sel_8"]  # the undone picks, ready to change
    at.button(key="composer_restart").click().run()
    np.testing.assert_array_equal(grid(at, 16), first)
    assert not any(c.value for c in at.checkbox)


@needs(NAME)
def test_composer_population_constraints_and_photo(real):
    model, atlas, dirs = real
    at = open_page("composer.py", NAME, "celeba", {"co_pop": "9", "co_seed": "4"})
    assert len(at.checkbox) == 9
    at.multiselect(key="co_con_attrs").set_value(["Eyeglasses"]).run()
    assert at.select_slider(key="co_con_Eyeglasses").value == 1.0
    at.checkbox(key="cmp_sel_0").check().run()
    at.checkbox(key="cmp_sel_1").check().run()
    at.button(key="composer_breed").click().run()
    assert not at.exception
    population = at.session_state["composer_engine"]["composer"].current
    learned = load_density(MODELS_DIR / NAME).sample
    np.testing.assert_array_equal(
        population,
        Composer(64, 9, seed=4, sampler=learned, source="learned", search=PRODUCT_SEARCH).breed([0, 1], {"Eyeglasses": 1.0}, dirs),
    )
    assert (dirs.score(population, "Eyeglasses") > 0.5).all()
    # the same decode up to one grey level (float summation order differs between batches and thread counts)
    np.testing.assert_allclose(grid(at, 9).astype(int), decode(model, population).astype(int), atol=1, rtol=0)

    at.file_uploader(key="co_upload").set_value(("x.png", b"\x89PNG\r\n\x1a\n broken", "image/png")).run()
    assert not at.exception and at.error and "cannot be used" in at.error[0].value
    assert len(at.checkbox) == 9  # the grid still works
    photo = decode(model, atlas.mean[5])[0]
    at.file_uploader(key="co_upload").set_value(("me.png", png(photo), "image/png")).run()
    assert not at.error
    at.button(key="co_from_photo").click().run()
    composer = at.session_state["composer_engine"]["composer"]
    code = encode(model, np.array(load_user_image(png(photo), "celeba")[None]))[0][0]
    assert composer.generation == 0
    np.testing.assert_allclose(composer.current[0], code, atol=1e-6)
    assert generation_label(at).startswith("**Generation 1**")


@needs(NAME, "mnist-z16")
def test_composer_on_mnist_offers_the_switch():
    at = open_page("composer.py", "mnist-z16", "mnist")
    assert not at.checkbox
    at.button(key="co_to_celeba").click().run()
    assert not at.exception and len(at.checkbox) == 16


@needs(NAME)
def test_pages_without_directions_or_data(tmp_path, monkeypatch, real):
    """A CelebA model whose directions are not built yet, and no data directory: the editor says how
    to build them; the composer still breeds (without attribute constraints); uploads still work."""
    import shutil

    model, atlas, dirs = real
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR / NAME, models / NAME, ignore=shutil.ignore_patterns(DIRECTIONS_FILE))
    monkeypatch.setenv("VAE_MODELS_DIR", str(models))
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "no-data-here"))
    at = open_page("face_editor.py", NAME, "celeba")
    assert not at.slider and any("vae-explorer attributes" in w.value for w in at.warning)
    at = open_page("composer.py", NAME, "celeba")
    assert len(at.checkbox) == 16 and not at.multiselect and any("attribute directions" in c.value for c in at.caption)
    at.checkbox(key="cmp_sel_0").check().run()
    at.button(key="composer_breed").click().run()
    assert not at.exception and at.session_state["composer_engine"]["composer"].generation == 1
    # the directions appear (built meanwhile): the editor works, without the test photos
    shutil.copy(MODELS_DIR / NAME / DIRECTIONS_FILE, models / NAME / DIRECTIONS_FILE)
    at = open_page("face_editor.py", NAME, "celeba")
    assert [s.key for s in at.slider] == [f"fe_amt_{a}" for a in DEFAULT_ATTRIBUTES]
    assert any("VAE_DATA_DIR" in c.value for c in at.caption)
    with pytest.raises(AssertionError):
        image_with_caption(at, "Photo")
    np.testing.assert_array_equal(shown(at, "Edited face", 4), pair(model, atlas.mean[0], atlas.mean[0])[0])


def test_catalogues_have_every_key_the_pages_use_in_both_languages():
    root = MODELS_DIR.parent
    used = set()
    for f in ("pages/face_editor.py", "pages/composer.py", "ui/components/faces.py"):
        used |= set(re.findall(r'\bt\(\s*"((?:fe|co|faces)\.[a-z_.]+)"', (root / f).read_text()))
    used |= {f"co.level.{v:+.1f}" for v in (-1.0, -0.5, 0.0, 0.5, 1.0)} | {
        f"fe.source.{s}" for s in ("test", "prior", "upload", "composer")
    }
    for name in ("faces", "composer"):
        en = json.loads((root / "assets/i18n/en" / f"{name}.json").read_text())
        fr = json.loads((root / "assets/i18n/fr" / f"{name}.json").read_text())
        assert en.keys() == fr.keys(), en.keys() ^ fr.keys()
        assert sum(en[k] != fr[k] for k in en) > 0.9 * len(en)  # really translated, not copied
    catalogue = {}
    for name in ("faces", "composer"):
        catalogue |= json.loads((root / "assets/i18n/en" / f"{name}.json").read_text())
    assert used <= catalogue.keys(), used - catalogue.keys()
    assert len([k for k in catalogue if k.startswith("faces.attr.")]) == 40


def composer_face(at) -> np.ndarray:
    """The composer's current face as it leaves it for the face editor (ui.shell.handoff)."""
    return np.asarray(at.session_state["handoff_composer_face"].code, np.float32)
