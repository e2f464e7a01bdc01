"""Model folders: safetensors round trip, strict config, clear refusals of broken checkpoints."""

import dataclasses
import json
import pickle

import pytest
import torch

import vae.core.config
from tests.card_samples import sample_card
from tests.conftest import MODELS_DIR
from vae import CheckpointError, VAEConfig, load_card, load_model, save_model
from vae.core.checkpoint import atomic_folder, write_json
from vae.core.config import CONFIG_SCHEMA_VERSION, ConfigError
from vae.core.schema import added_in


def test_save_load_round_trip_gives_identical_outputs(tiny_mnist, tmp_path):
    card = sample_card(latent_dim=3, parameter_count=tiny_mnist.num_parameters())
    save_model(tiny_mnist, tmp_path / "m", card=card)
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
    assert load_card(tmp_path / "m") == card
    assert json.loads((tmp_path / "m" / "card.json").read_text()) == card.to_dict()
    assert json.loads((tmp_path / "m" / "config.json").read_text())["schema_version"] == CONFIG_SCHEMA_VERSION


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


@pytest.mark.parametrize("key", ["beta", "architecture", "schema_version"])
def test_missing_config_key_is_refused(saved, key):
    cfg = json.loads((saved / "config.json").read_text())
    del cfg[key]
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=rf"missing config key\(s\) \['{key}'\]"):
        load_model(saved)


def test_newer_config_version_is_refused(saved):
    cfg = json.loads((saved / "config.json").read_text())
    cfg["schema_version"] = CONFIG_SCHEMA_VERSION + 1
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=f"config schema_version {CONFIG_SCHEMA_VERSION + 1} is newer than this code reads"):
        load_model(saved)


@pytest.mark.parametrize("folder", sorted(p.parent for p in MODELS_DIR.glob("*/config.json")), ids=lambda p: p.name)
def test_shipped_configs_are_at_the_current_version_as_the_writer_writes_them(folder, tmp_path):
    config = VAEConfig.load(folder / "config.json")
    assert json.loads((folder / "config.json").read_text())["schema_version"] == CONFIG_SCHEMA_VERSION
    write_json(tmp_path / "config.json", config.to_dict())
    assert (tmp_path / "config.json").read_bytes() == (folder / "config.json").read_bytes()


@dataclasses.dataclass
class ConfigWithDropout(VAEConfig):
    """VAEConfig as it would be once a field is added in schema version 4."""

    dropout: float = added_in(4, 0.0)


def test_a_field_added_later_reads_as_its_default_from_older_configs(monkeypatch):
    monkeypatch.setattr(vae.core.config, "CONFIG_SCHEMA_VERSION", 4)
    v3 = json.loads((MODELS_DIR / "mnist-z2" / "config.json").read_text())
    assert v3["schema_version"] == 3 and ConfigWithDropout.from_dict(v3).dropout == 0.0
    assert ConfigWithDropout.from_dict({**v3, "schema_version": 4, "dropout": 0.1}).dropout == 0.1
    with pytest.raises(ConfigError, match=r"missing config key\(s\) \['dropout'\]"):  # a version-4 file must have it
        ConfigWithDropout.from_dict({**v3, "schema_version": 4})
    with pytest.raises(ConfigError, match=r"missing config key\(s\) \['architecture'\]"):  # every other key is required
        ConfigWithDropout.from_dict({k: v for k, v in v3.items() if k != "architecture"})
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) \['dropuot'\]"):
        ConfigWithDropout.from_dict({**v3, "dropuot": 0.1})


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
