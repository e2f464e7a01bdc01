"""AppTest: the model comparison page on the real shipped models — metrics table from the cards,
the same test images reconstructed by every model, prior samples from one seed; a broken model
folder, a missing data directory, and the seed deep link."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_media import launch, zoo_with_a_broken_folder
from tests.conftest import MODELS_DIR, needs
from ui.components.zoo_figures import reconstructions
from ui.shell.resources import model_key, zoo_at
from vae.analysis.compare import dataset_entries, fixed_test_indices, reconstruct
from vae.core.card import ModelCard
from vae.core.checkpoint import load_model
from vae.data.datasets import data_root, load_mnist


def app(query: dict | None = None, **state) -> AppTest:
    return launch("compare_models.py", query, **state)


def image_rows(at: AppTest) -> list[tuple[str, str]]:
    """(caption, media url) of every image on the page, top to bottom."""
    return [(img.caption, img.url) for element in at.get("image") for img in element.proto.imgs]


def sections(at: AppTest, names: list[str]) -> tuple[list, list, list]:
    """Split the page's images into (originals, reconstruction rows, prior sample rows) by caption."""
    rows = image_rows(at)
    originals = [r for r in rows if r[0].startswith("Originals")]
    model_rows = [r for r in rows if r[0].split(" · ")[0] in names]
    half = len(originals) and len(model_rows) // 2
    return originals, model_rows[:half], model_rows[half:]


GROUPS = ("bound", "quality", "training")


def full_table(at: AppTest):
    """The metrics table with every column group's columns (the page shows one group at a time)."""
    import pandas as pd

    parts = []
    for group in GROUPS:
        at.segmented_control(key="cmp_group").set_value(group).run()
        assert not at.exception, at.exception
        parts.append(at.dataframe[0].value.set_index("Model"))
    merged = pd.concat(parts, axis=1)
    return merged.loc[:, ~merged.columns.duplicated()].reset_index()


def card_table(entries) -> dict[str, ModelCard | None]:
    return {e.name: e.card for e in entries}


@needs("mnist-z16")
def test_mnist_table_reconstructions_and_samples_one_row_per_model(real_root):
    at = app(dataset="mnist", model="mnist-z16")
    entries = dataset_entries(zoo_at(str(MODELS_DIR)), "mnist")
    available = [e.name for e in entries if e.available]
    table = full_table(at)
    assert table["Model"].tolist() == [e.name for e in entries]
    assert list(at.dataframe[0].value.columns)[:3] == ["Model", "z dim.", "β"]  # every group keeps them
    cards = card_table(entries)
    for _, row in table.iterrows():
        card = cards[row["Model"]]
        if card is None:
            continue
        test = card.test
        bound = ("KL (nats)", "−ELBO (nats)", "IW bound k=500, first 1,000 (nats)", "−ELBO, first 1,000 (nats)")
        if card.beta == 0:  # an autoencoder: its KL was never minimised, so no rate and no bound (vae.analysis.compare)
            assert row["Reconstruction (nats)"] == test.recon_nats and all(row[c] != row[c] for c in bound)  # NaN
        else:
            assert row["Reconstruction (nats)"] == test.recon_nats and row["KL (nats)"] == test.kl_nats
            assert row["−ELBO (nats)"] == test.neg_elbo_nats and row["IW bound k=500, first 1,000 (nats)"] == test.iw_bound_nats
            # the bound and the −ELBO it is compared with are taken on the same images
            assert test.iw_images == 1000 and row["−ELBO, first 1,000 (nats)"] == test.iw_images_neg_elbo_nats
        assert test.iw_bound_nats < test.iw_images_neg_elbo_nats
        assert row["PSNR (dB)"] == test.psnr_db and row["Active units"] == card.active_units
        assert row["Parameters"] == card.parameter_count and row["Epochs"] == card.epochs
        assert row["Training (min)"] == pytest.approx(card.training_seconds / 60)
        assert row["z dim."] == card.latent_dim and row["β"] == card.beta
    originals, recon, samples = sections(at, available)
    assert len(originals) == 1 and originals[0][0] == "Originals · 0 · 1 · 2 · 3 · 4 · 5 · 6 · 7"
    assert [c.split(" · ")[0] for c, _ in recon] == available
    assert [c.split(" · ")[0] for c, _ in samples] == available
    configs = {e.name: e.config for e in entries}
    assert [c for c, _ in recon] == [f"{n} · z = {configs[n].latent_dim} · β = {configs[n].beta:g}" for n in available]
    # what a row shows is the model's reconstruction of the digits 0–7 (first of each in the test split)
    images, labels = load_mnist("test", real_root)
    index = fixed_test_indices(labels, len(images))
    shown = reconstructions(model_key("mnist-z16", str(MODELS_DIR)), str(data_root()), "mnist", 0)
    assert np.array_equal(shown, reconstruct(load_model(MODELS_DIR / "mnist-z16"), images[index]))
    assert at.number_input(key="cmp_seed").value == 0


@needs("mnist-z16")
def test_seed_changes_the_images_and_a_link_reopens_it(real_root):
    at = app(dataset="mnist", model="mnist-z16")
    names = [e.name for e in zoo_at(str(MODELS_DIR)) if e.available]
    before = sections(at, names)
    at.number_input(key="cmp_seed").set_value(3).run()
    assert not at.exception
    after = sections(at, names)
    assert after[0][0][1] != before[0][0][1] and after[0][0][0] != before[0][0][0]  # other originals, other labels
    assert [u for _, u in after[1]] != [u for _, u in before[1]]
    assert [u for _, u in after[2]] != [u for _, u in before[2]]
    # the deep link reopens the same seed; garbage falls back to 0
    assert app({"cmp_seed": "3"}, dataset="mnist").number_input(key="cmp_seed").value == 3
    assert app({"cmp_seed": "abc"}, dataset="mnist").number_input(key="cmp_seed").value == 0


@needs("mnist-z16")
def test_broken_model_folder_is_an_unavailable_row_and_the_others_work(tmp_path, monkeypatch, fresh_caches, real_root):
    copies = zoo_with_a_broken_folder(tmp_path, ("mnist-z2", "mnist-z16"))  # zoo order
    monkeypatch.setenv("VAE_MODELS_DIR", str(tmp_path))
    at = app(dataset="mnist", model="mnist-z16")
    table = full_table(at).set_index("Model")
    assert sorted(table.index) == sorted(copies + ["mnist-broken"])
    assert table.loc["mnist-broken", "Status"].startswith("unavailable") and "colour" in table.loc["mnist-broken", "Status"]
    assert all(table.loc[n, "Status"] == "ready" for n in copies)
    originals, recon, samples = sections(at, copies)
    assert len(originals) == 1 and [c.split(" · ")[0] for c, _ in recon] == copies == [c.split(" · ")[0] for c, _ in samples]
    warnings = [w.value for w in at.warning if "mnist-broken" in w.value]
    assert len(warnings) == 2 and all("colour" in w for w in warnings)  # reconstructions and samples


@needs("mnist-z16")
def test_without_the_data_directory_reconstructions_are_skipped_with_a_note(tmp_path, monkeypatch, fresh_caches):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "nodata"))
    at = app(dataset="mnist", model="mnist-z16", lang="fr")
    assert at.title[0].value == "Comparer les modèles"
    assert any("VAE_DATA_DIR" in i.value for i in at.info)
    names = [e.name for e in zoo_at(str(MODELS_DIR)) if e.available and e.dataset == "mnist"]
    captions = [c for c, _ in image_rows(at)]
    assert not any(c.startswith("Originaux") for c in captions)
    assert [c.split(" · ")[0] for c in captions] == names  # only the prior samples, one row per model
    assert len(at.dataframe[0].value) == len(dataset_entries(zoo_at(str(MODELS_DIR)), "mnist"))


@needs("celeba-z64")
def test_celeba_page(celeba_root):
    at = app(dataset="celeba", model="celeba-z64")
    entries = dataset_entries(zoo_at(str(MODELS_DIR)), "celeba")
    table = full_table(at)
    assert table["Model"].tolist() == [e.name for e in entries]
    assert "IW bound k=500, first 1,000 (nats)" not in table.columns
    assert (table["−ELBO (bits/dim)"] > 0).all()
    available = [e.name for e in entries if e.available]
    originals, recon, samples = sections(at, available)
    assert len(originals) == 1 and len(recon) == len(samples) == len(available)
