"""Model folders: safetensors round trip, strict config, clear refusals of broken checkpoints."""

import json
import pickle

import pytest
import torch

from vae import CheckpointError, VAEConfig, load_model, save_model
from vae.checkpoint import atomic_folder


def test_save_load_round_trip_gives_identical_outputs(tiny_mnist, tmp_path):
    save_model(tiny_mnist, tmp_path / "m", card={"dataset": "mnist"})
    loaded = load_model(tmp_path / "m")
    assert not loaded.training and next(loaded.parameters()).dtype == torch.float32
    assert loaded.config == tiny_mnist.config
    # storage is float16: the reference is the same model with its weights rounded the same way
    tiny_mnist.load_state_dict({k: v.half().float() for k, v in tiny_mnist.state_dict().items()})
    x = torch.rand(4, 1, 28, 28)
    z = torch.randn(4, 3)
    with torch.inference_mode():
        assert torch.equal(loaded.encode(x).mean, tiny_mnist.encode(x).mean)
        assert torch.equal(loaded.decode(z), tiny_mnist.decode(z))
    assert json.loads((tmp_path / "m" / "card.json").read_text()) == {"dataset": "mnist"}


def test_gaussian_sigma_survives_round_trip(tiny_celeba, tmp_path):
    save_model(tiny_celeba, tmp_path / "c")
    assert load_model(tmp_path / "c").log_sigma.item() == pytest.approx(tiny_celeba.log_sigma.item(), abs=1e-3)


@pytest.fixture
def saved(tiny_mnist, tmp_path):
    return save_model(tiny_mnist, tmp_path / "m")


def test_unknown_config_key_is_refused(saved):
    cfg = json.loads((saved / "config.json").read_text())
    cfg["latent_dims"] = 3
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="unknown config key.*latent_dims"):
        load_model(saved)


def test_missing_config_key_is_refused(saved):
    cfg = json.loads((saved / "config.json").read_text())
    del cfg["beta"]
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="missing config key.*beta"):
        load_model(saved)


def test_bad_config_value_is_refused(saved):
    cfg = json.loads((saved / "config.json").read_text())
    cfg["dataset"] = "cifar"
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="dataset must be one of"):
        load_model(saved)


def test_mismatched_shapes_are_refused(saved):
    cfg = json.loads((saved / "config.json").read_text())
    cfg["latent_dim"] = 4
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="has shape"):
        load_model(saved)


def test_pickle_renamed_to_safetensors_is_refused(saved):
    (saved / "model.safetensors").write_bytes(pickle.dumps({"w": [1, 2, 3]}))
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_model(saved)


def test_truncated_weights_are_refused(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_model(saved)


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load_model(tmp_path / "empty")


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        VAEConfig(latent_dim=0)
    with pytest.raises(ValueError):
        VAEConfig(likelihood="poisson")


def test_atomic_folder_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError):
        with atomic_folder(target) as tmp:
            (tmp / "config.json").write_text("{}")
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_atomic_folder_replaces_existing_whole(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_folder(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
