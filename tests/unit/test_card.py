"""vae.core.card: every shipped card.json reads into a ModelCard and is exactly what the writer writes;
unknown keys, missing keys (the version included), wrong types and newer versions are refused by name."""

import dataclasses
import json

import pytest

from tests.card_samples import sample_card
from tests.conftest import MODELS_DIR
from vae import CheckpointError, load_card
from vae.core.card import CARD_SCHEMA_VERSION, CardError, EpochRecord, ModelCard, TestMetrics

SHIPPED_CARDS = sorted(MODELS_DIR.glob("*/card.json"))


@pytest.mark.parametrize("path", SHIPPED_CARDS, ids=lambda p: p.parent.name)
def test_shipped_card_is_what_the_writer_writes(path, tmp_path):
    card = load_card(path.parent)
    assert isinstance(card, ModelCard) and isinstance(card.test, TestMetrics)
    assert all(isinstance(row, EpochRecord) for row in card.history) and card.name == path.parent.name
    assert card.schema_version == CARD_SCHEMA_VERSION == json.loads(path.read_text())["schema_version"]
    card.save(tmp_path / "card.json")
    assert (tmp_path / "card.json").read_bytes() == path.read_bytes()
    assert load_card(tmp_path) == card


def test_shipped_cards_are_all_there():
    assert len(SHIPPED_CARDS) == 19  # 13 convolutional models and the course's dense β family (β = 0 … 8)


def test_values_that_do_not_apply_are_none_and_left_out_of_the_file():
    card = sample_card(test=dataclasses.replace(sample_card().test, iw_bound_nats=None, iw_samples=None, iw_images=None))
    assert card.likelihood_sigma is None and card.test.iw_bound_nats is None
    data = card.to_dict()
    assert "likelihood_sigma" not in data and "iw_bound_nats" not in data["test"] and "iw_samples" not in data["test"]
    assert ModelCard.from_dict(data) == card


def test_values_that_may_not_apply_may_be_left_out_and_read_as_none(tmp_path):
    """The Bernoulli floor (Gaussian decoders have none) and the −ELBO of the IW images (no IW bound)."""
    data = sample_card().to_dict()
    del data["test"]["recon_floor_nats"], data["test"]["iw_images_neg_elbo_nats"]
    (tmp_path / "card.json").write_text(json.dumps(data))
    card = load_card(tmp_path)
    assert card.test.recon_floor_nats is None and card.test.iw_images_neg_elbo_nats is None
    assert card.kl_per_dim_nats == sample_card().kl_per_dim_nats


def test_a_folder_without_a_card_has_none(tmp_path):
    assert load_card(tmp_path) is None


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda d: d.update(latent_dims=3), "unknown card key(s) ['latent_dims']"),
        (lambda d: d["test"].update(elbo=1.0), "(test): unknown test key(s) ['elbo']"),
        (lambda d: d["history"][1].update(lr=0.1), "(history row 2): unknown history key(s) ['lr']"),
        (lambda d: d.pop("test"), "missing card key(s) ['test']"),
        (lambda d: d.pop("unit_activity"), "missing card key(s) ['unit_activity']"),
        (lambda d: d.pop("schema_version"), "missing card key(s) ['schema_version']"),
        (lambda d: d["test"].pop("kl_nats"), "(test): missing test key(s) ['kl_nats']"),
        (lambda d: d.update(latent_dim="16"), "latent_dim must be an integer, got '16'"),
        (lambda d: d.update(beta=True), "beta must be a number, got True"),
        (lambda d: d.update(kl_per_dim_nats=[0.1, None]), "kl_per_dim_nats must be a list of numbers, got [0.1, None]"),
        (lambda d: d.update(history={}), "history must be a list of EpochRecord objects"),
        (lambda d: d.update(test=[]), "(test): expected a JSON object, got list"),
        (lambda d: d.update(schema_version=CARD_SCHEMA_VERSION + 1), f"schema_version {CARD_SCHEMA_VERSION + 1} is newer than"),
        (lambda d: d.update(schema_version="1"), "schema_version must be a positive integer"),
    ],
)
def test_bad_cards_are_refused_naming_the_file_and_the_key(tmp_path, change, named):
    data = sample_card().to_dict()
    change(data)
    path = tmp_path / "card.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError) as err:
        load_card(tmp_path)
    assert str(err.value).startswith(str(path)) and named in str(err.value), str(err.value)


@pytest.mark.parametrize("text", ["", "{", "[]", "null", "\xff"])
def test_a_card_that_is_not_a_json_object_is_refused(tmp_path, text):
    (tmp_path / "card.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(CheckpointError, match="card.json"):
        load_card(tmp_path)


def test_cards_built_in_code_are_type_checked_too():
    with pytest.raises(CardError, match="epochs must be an integer"):
        sample_card(epochs=2.5)
    with pytest.raises(CardError, match="test must be TestMetrics"):
        sample_card(test={"kl_nats": 1.0})


def test_evaluate_write_card_replaces_the_metrics_and_keeps_the_rest(tiny_mnist, tmp_path, real_root, capsys):
    """vae-explorer evaluate --write-card: fresh test metrics and per-dimension figures, the card's IW
    bound kept (none is computed without --iw-samples), every other field as it was."""
    from vae import load_model, save_model
    from vae.core.evaluate import card_sections, evaluate, main
    from vae.data.datasets import load_split, to_tensor

    old = sample_card(latent_dim=3, name="tiny")
    folder = save_model(tiny_mnist, tmp_path / "tiny", card=old)
    assert main([str(folder), "--write-card"]) == 0
    fresh = evaluate(load_model(folder), to_tensor(load_split("mnist", "test")[0]), iw_images=old.test.iw_images)
    test, per_dim = card_sections(fresh)
    kept = {"iw_bound_nats": old.test.iw_bound_nats, "iw_samples": old.test.iw_samples, "iw_images": old.test.iw_images}
    assert load_card(folder) == dataclasses.replace(old, test=dataclasses.replace(test, **kept), **per_dim)
    assert json.loads(capsys.readouterr().out)["neg_elbo_nats"] == test.neg_elbo_nats
