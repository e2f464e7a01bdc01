"""AppTest: the app shell (navigation, sidebar picker) and the latent map page on real models."""

import ast
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_media import launch as app
from tests.apptest_media import record_media  # noqa: F401 (a fixture)
from tests.conftest import MODELS_DIR, REPO, needs
from ui.views.map_view import MapClick


def test_vae_package_never_imports_streamlit():
    code = (
        "import importlib, pkgutil, sys, vae\n"
        "names = [i.name for i in pkgutil.walk_packages(vae.__path__, 'vae.') if not i.name.endswith('__main__')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), 'streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    count, imported = out.stdout.split()
    assert int(count) > 30 and imported == "False"  # every module of every subpackage, and no streamlit


def test_home_lists_the_zoo():
    at = app()
    assert at.title[0].value == "VAE Latent Explorer"
    table = at.dataframe[0].value
    assert len(table) >= 1 and "mnist-z16" in set(table.iloc[:, 0]) | {"mnist-z16"}


@needs("mnist-z16")
def test_map_page_pca_click_on_empty_space_decodes_inverse(monkeypatch):
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    assert at.segmented_control(key="projection").value == "pca"
    # no click yet: a hint, no decoded image
    assert len(at.get("image")) == 0
    at.session_state["map_click"] = MapClick("mnist-z16", "pca", 0.5, -0.25, None)
    at.run()
    assert not at.exception
    images = at.get("image")
    assert len(images) == 1
    assert any("PCA" in m.value or "ACP" in m.value for m in at.markdown)


def neighbours(at) -> list[str]:
    """The captions of the page's image rows (widgets.image_row)."""
    from ui.components.widgets import image_row_captions

    return [c for element in at.get("html") for c in image_row_captions(element.proto.body)]


@needs("mnist-z16")
def test_a_click_on_the_umap_map_decodes_by_umaps_inverse_with_the_browsers_blend_beside():
    """Empty space on the UMAP map: the big picture is the decode of umap-learn's inverse_transform
    (with the honesty cue's latent distance), the small one the browser's blend there; the
    expander gives the map's parameters as the atlas records them."""
    import numpy as np

    from tests.apptest_media import image_urls, pixels
    from vae.artifacts.atlas import code_at, load_atlas
    from vae.core.checkpoint import load_model
    from vae.core.latent import decode

    atlas, net = load_atlas(MODELS_DIR / "mnist-z16"), load_model(MODELS_DIR / "mnist-z16")
    x, y = (float(v) for v in atlas.umap_coords[40] + np.float32(0.35))
    at = app("latent_map.py", {"projection": "umap", "tsne_k": "3"}, dataset="mnist", model="mnist-z16")
    assert at.segmented_control(key="projection").value == "umap" and at.number_input(key="tsne_k").value == 3
    at.session_state["map_click"] = MapClick("mnist-z16", "umap", x, y, None)
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "inverse_transform" in text and "n_neighbors = 15" in text and "min_dist = 0.1" in text
    inverse, blend = code_at(atlas, "umap", (x, y)), code_at(atlas, "umap", (x, y), 3, blend=True)
    assert inverse.method == "umap_inverse" and inverse.latent_distance is not None and blend.method == "umap_blend"
    assert not np.allclose(inverse.code, blend.code, atol=1e-3)  # two methods, two pictures
    shown = [pixels(url) for url in image_urls(at)]
    for location in (inverse, blend):
        expected = decode(net, location.code)[0]
        assert any(_same_picture(s, expected) for s in shown), location.method
    assert any("3 nearest test points on the UMAP map" in c.value for c in at.caption)


def _same_picture(shown, decoded) -> bool:
    """An enlarged picture on the page (nearest-neighbour upscaling) is the decoder's output."""
    import numpy as np
    from PIL import Image

    small = np.asarray(Image.fromarray(shown).resize(decoded.shape[1::-1], Image.NEAREST))
    small = small[..., :1] if small.ndim == 3 and decoded.shape[-1] == 1 else small
    return np.abs(small.astype(int).reshape(decoded.shape) - decoded.astype(int)).max() <= 1


@needs("mnist-z16")
def test_map_page_point_click_shows_original_details_and_neighbours():
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    at.session_state["map_click"] = MapClick("mnist-z16", "pca", 0.0, 0.0, 7)
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "#7" in text and "nats" in text
    # original + reconstruction, then the 8 neighbours in one row
    assert len(at.get("image")) == 2
    assert len(neighbours(at)) == 8


@needs("mnist-z16")
def test_switching_projection_and_model_works():
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    at.segmented_control(key="projection").set_value("tsne").run()
    assert not at.exception
    assert at.number_input(key="tsne_k").value == 1
    assert "raw" not in at.segmented_control(key="projection").options


def test_every_listed_page_exists_and_has_the_entry_guard():
    from ui.app import PAGES

    for file, _, _ in PAGES:
        text = (REPO / "pages" / file).read_text()
        body = ast.parse(text).body[1:]  # after the docstring
        code = [node for node in body if not isinstance(node, ast.Import | ast.ImportFrom)]
        first = code[0]  # the first statement after the imports: nothing runs before the guard
        assert ast.unparse(first) == "ensure_entry()", f"{file}: {ast.unparse(first)}"
        assert all(node.lineno < first.lineno for node in body if isinstance(node, ast.Import | ast.ImportFrom)), file
        assert "noqa" not in text, file


@needs("mnist-z16")
def test_map_without_data_directory_still_works(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "no-data-here"))
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    assert any("data" in i.value for i in at.info)  # the note on how to get the data
    assert at.selectbox(key="colour").value == "none"
    at.session_state["map_click"] = MapClick("mnist-z16", "pca", 0.0, 0.0, 3)
    at.run()
    assert not at.exception
    # no original without data: reconstruction + 8 decoded neighbours
    assert len(at.get("image")) == 1 and len(neighbours(at)) == 8


@needs("mnist-z16")
def test_broken_model_folders_are_flagged_and_others_keep_working(monkeypatch, tmp_path):
    import json
    import pickle
    import shutil

    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR / "mnist-z16", models / "mnist-z16")
    bad_config = models / "mnist-typo"
    shutil.copytree(MODELS_DIR / "mnist-z16", bad_config)
    cfg = json.loads((bad_config / "config.json").read_text())
    cfg["latentdim"] = 3
    (bad_config / "config.json").write_text(json.dumps(cfg))
    pickled = models / "mnist-pickle"
    shutil.copytree(MODELS_DIR / "mnist-z16", pickled)
    (pickled / "model.safetensors").write_bytes(pickle.dumps({"evil": 1}))
    (models / "empty").mkdir()
    monkeypatch.setenv("VAE_MODELS_DIR", str(models))

    nan_weights = models / "mnist-nan"  # a valid file whose tensors hold NaN: only loading finds it
    shutil.copytree(MODELS_DIR / "mnist-z16", nan_weights)
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(nan_weights / "model.safetensors"))
    tensors["decoder.1.weight"][0] = float("nan")
    save_file(tensors, str(nan_weights / "model.safetensors"))

    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    assert [o.split()[0] for o in at.selectbox(key="model").options] == ["mnist-nan", "mnist-z16"]
    expander_text = " ".join(c.value for c in at.sidebar.caption)
    for name, reason in (
        ("mnist-typo", "latentdim"),
        ("mnist-pickle", "not a valid safetensors file"),
        ("empty", "config.json is missing"),
    ):
        assert name in expander_text and reason in expander_text
    at.selectbox(key="model").set_value("mnist-nan").run()
    assert not at.exception
    assert any("NaN" in e.value for e in at.error)
    at.selectbox(key="model").set_value("mnist-z16").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Latent map"


def test_deep_link_garbage_falls_back_with_notice():
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60)
    at.query_params["dataset"] = "cifar"
    at.query_params["model"] = "x" * 500
    at.query_params["lang"] = "de"
    at.run()
    assert not at.exception
    assert at.radio(key="dataset").value == "mnist" and at.session_state["lang"] == "en"
    assert any("dataset" in t.value and "lang" in t.value for t in at.toast)


@needs("mnist-z16")
def test_map_exports_csv_and_interactive_html():
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    assert len(at.get("download_button")) >= 2
    from ui.components import widgets
    from ui.shell.resources import model_key

    html = widgets.map_html(
        model_key("mnist-z16", str(MODELS_DIR)), "pca", "none", ("PC 1", "PC 2", "test images", "has", "lacks")
    ).decode()
    assert html.lower().startswith("<!doctype html>") and "Plotly.newPlot" in html and "PC 1" in html
    assert "<script src=" not in html and len(html) > 3_000_000  # plotly.js inlined: opens offline
    csv = widgets.atlas_csv(model_key("mnist-z16", str(MODELS_DIR))).decode().splitlines()
    assert csv[0].startswith("test_index,label,recon_nats,kl_nats,neg_elbo_nats,pca_1,pca_2,tsne_1,tsne_2,umap_1,umap_2,mu_0")
    assert len(csv) == 10_001


@needs("mnist-z16")
def test_the_samples_switch_draws_prior_and_learned_samples_over_the_map(monkeypatch):
    """Where new samples land over the encoded test set (PCA): 600 prior samples and 600 of the
    learned density, at their exact PCA coordinates (the plotly map, VAE_LIVE=0; the browser map
    draws the same ui.components.figures.sample_overlays, tests/browser/test_browser_live.py)."""
    import numpy as np

    from tests.apptest_media import arr, chart
    from vae.artifacts.atlas import load_atlas
    from vae.artifacts.density import DENSITY_FILE, load_density
    from vae.core.latent import prior_samples

    if not (MODELS_DIR / "mnist-z16" / DENSITY_FILE).exists():
        pytest.skip("no learned density fitted for mnist-z16")
    monkeypatch.setenv("VAE_LIVE", "0")
    at = app("latent_map.py", dataset="mnist", model="mnist-z16")
    at.toggle(key="samples").set_value(True).run()
    assert not at.exception
    traces = {tr.get("name"): tr for tr in chart(at, "map_chart_mnist-z16_pca_label")["data"]}
    pca = load_atlas(MODELS_DIR / "mnist-z16").pca
    for name, codes in (
        ("prior samples N(0, I)", prior_samples(16, 600, 1)),
        ("learned-density samples", load_density(MODELS_DIR / "mnist-z16").sample(600, 1)),
    ):
        expected = (codes - pca.mean_) @ pca.components_.T  # the PCA's definition, written out
        np.testing.assert_allclose(arr(traces[name]["x"]), expected[:, 0], atol=1e-4)
        np.testing.assert_allclose(arr(traces[name]["y"]), expected[:, 1], atol=1e-4)
    at.segmented_control(key="projection").set_value("tsne").run()
    assert all(t.key != "samples" for t in at.toggle)  # t-SNE has no map for new codes


@needs("mnist-z16")
@pytest.mark.usefixtures("record_media")
def test_share_with_students_gives_the_edition_of_the_shown_model_in_the_page_language():
    """The map page's "Share with students": a .zip of the student edition (ui.components.edition), built on
    click, in the page's language, cached per model, weights and language."""
    import io
    import json
    import zipfile

    from tests.apptest_media import download_bytes
    from ui.components.edition import BUNDLE

    if not BUNDLE.is_file():
        pytest.skip("no edition bundle (bash scripts/build_frontend.sh needs npm)")
    at = app("latent_map.py", dataset="mnist", model="mnist-z16", lang="fr")
    assert not at.exception
    button = next(b for b in at.get("download_button") if b.key == "map_share")
    assert button.proto.label == "Partager avec les étudiants (.zip)"
    data = download_bytes(button)
    archive = zipfile.ZipFile(io.BytesIO(data))
    scene = json.loads(archive.read(next(n for n in archive.namelist() if n.startswith("assets/scene-"))))
    assert (scene["model"], scene["lang"]) == ("mnist-z16", "fr")
    assert '<html lang="fr">' in archive.read("index.html").decode()
    from ui.components import edition
    from ui.shell.resources import model_key

    key = model_key("mnist-z16", str(MODELS_DIR))
    assert edition._zip_of(key, "fr") is edition._zip_of(key, "fr")  # built once per model, weights and language
