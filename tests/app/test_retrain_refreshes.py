"""One cache-key scheme (ui.shell.resources.ModelKey): after a model is retrained in place (new weights,
card and atlas in the same folder), every page shows the new model, not a cached figure of the old."""

import numpy as np
import pytest
import torch

from tests.apptest_media import arr, chart, image_with_caption, launch, pixels, record_media  # noqa: F401
from tests.card_samples import sample_card
from ui.components import live
from ui.shell import resources
from vae.artifacts.atlas import build_atlas, load_atlas
from vae.core.checkpoint import save_model
from vae.core.config import VAEConfig
from vae.core.latent import decode, prior_samples
from vae.core.model import VAE

pytestmark = pytest.mark.usefixtures("record_media")
N_TEST = 300  # a small atlas: t-SNE of the whole test split would take minutes


def _train(folder, seed: int, kl: float) -> VAE:
    """A "trained" tiny model: random weights from `seed`, a card whose test KL is `kl`, its atlas."""
    torch.manual_seed(seed)
    model = VAE(VAEConfig(dataset="mnist", latent_dim=3, channels=[4, 8])).eval()
    save_model(model, folder, card=sample_card(latent_dim=3, kl=kl, name=folder.name))
    build_atlas(folder, tsne_jobs=1, verbose=False)
    return model


def _pages() -> tuple:
    """What the pages show for the model "tiny": Generate's sample, the sliders' image, the map's
    points (PCA: the plotly map's, VAE_LIVE=0, and the file the browser map fetches) and the Compare
    table's KL."""
    state = {"dataset": "mnist", "model": "tiny"}
    generated = pixels(image_with_caption(launch("generate.py", {"gen_n": "1"}, **state), "1 samples · seed 0 · T = 1.00"))
    sliders = pixels(image_with_caption(launch("latent_sliders.py", None, **state), "Decoded image"))
    spec = chart(launch("latent_map.py", {"projection": "pca", "colour": "none"}, **state), "map_chart_tiny_pca_none")
    points = np.concatenate([arr(tr["x"]) for tr in spec["data"][1:]])  # trace 0: the invisible click grid
    table = launch("compare_models.py", None, **state).dataframe[0].value
    browser = None
    if live.runtime_installed():
        coords_file, _ = live.map_arrays(resources.model_key("tiny"), "pca")
        browser = np.sort(np.frombuffer(coords_file.read_bytes(), "<f4").reshape(-1, 2)[:, 0])
    return generated, sliders, np.sort(points), float(table.loc[table["Model"] == "tiny", "KL (nats)"].item()), browser


def test_a_retrained_model_shows_up_on_every_page(real_root, tmp_path, monkeypatch, fresh_caches):
    import vae.artifacts.atlas
    from vae.data.datasets import load_split

    images, labels = load_split("mnist", "test")
    monkeypatch.setattr(vae.artifacts.atlas, "load_split", lambda dataset, split: (images[:N_TEST], labels[:N_TEST]))
    monkeypatch.setenv("VAE_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("VAE_LIVE", "0")  # the map page draws the plotly map (the browser map's file is checked too)
    folder = tmp_path / "tiny"
    old = _train(folder, seed=0, kl=11.0)
    before = _pages()
    new = _train(folder, seed=1, kl=22.0)  # retrained in place: same folder, same file names
    after = _pages()

    prior = prior_samples(3, 1, 0)
    assert not np.array_equal(decode(old, prior), decode(new, prior))
    # Generate and the sliders decode with the new weights: the shown image is the new model's decode, enlarged
    for shown_before, shown_after in (before[0], after[0]), (before[1], after[1]):
        assert not np.array_equal(shown_before, shown_after)
    scale = after[0].shape[0] // 28
    shown = after[0][::scale, ::scale][:28, :28].astype(int)
    np.testing.assert_allclose(shown, decode(new, prior)[0, ..., 0].astype(int), atol=1, rtol=0)  # up to float rounding
    assert np.abs(shown - decode(old, prior)[0, ..., 0].astype(int)).max() > 1
    # the map's points are the new atlas's PCA coordinates; Compare reads the new card
    np.testing.assert_allclose(after[2], np.sort(load_atlas(folder).pca_coords[:, 0]), rtol=1e-6)
    assert not np.allclose(before[2], after[2])
    assert (before[3], after[3]) == (11.0, 22.0)
    if after[4] is not None:  # the browser map fetches the new atlas's coordinates, under a new name
        np.testing.assert_allclose(after[4], np.sort(load_atlas(folder).pca_coords[:, 0]), rtol=1e-6)
        assert not np.allclose(before[4], after[4])
