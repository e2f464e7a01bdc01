"""Architectures (vae.core.architectures): one module each, chosen by config.architecture through one registry.
Each builds the same named parts, so a model of each round-trips through its folder and every shipped model
still loads."""

import dataclasses

import pytest
import torch
from safetensors import safe_open

from tests.conftest import MODELS_DIR
from tests.import_graph import import_graph, project_modules
from vae import VAE, VAEConfig, VAEOutput, load_model, save_model
from vae.core.architectures import BUILDERS
from vae.core.config import ARCHITECTURES

# A small model of each architecture; conv with a hidden layer and residual blocks, so every part of it is built.
SMALL = {
    "conv": {"dataset": "celeba", "latent_dim": 3, "channels": [4, 8], "hidden": 16, "res_blocks": 1, "likelihood": "gaussian"},
    "dense": {"dataset": "mnist", "latent_dim": 2, "channels": [], "hidden": 32},
}
PARTS = {"encoder", "to_posterior", "from_latent", "decoder", "log_sigma"}  # the state-dict prefixes of every model


def test_the_registry_holds_every_architecture_a_config_may_name():
    assert sorted(BUILDERS) == sorted(ARCHITECTURES) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_each_architecture_round_trips_through_its_model_folder(name, tmp_path):
    torch.manual_seed(0)
    model = VAE(VAEConfig(architecture=name, **SMALL[name])).eval()
    assert {key.split(".")[0] for key in model.state_dict()} <= PARTS
    save_model(model, tmp_path / name)
    loaded = load_model(tmp_path / name)
    assert loaded.config == model.config and list(loaded.state_dict()) == list(model.state_dict())
    # storage is float16: the reference is the same model with its weights rounded the same way
    model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    c, h, w = model.config.image_shape
    x, z = torch.rand(4, c, h, w), torch.randn(4, model.config.latent_dim)
    with torch.inference_mode():
        for a, b in ((loaded.encode(x).mean, model.encode(x).mean), (loaded.encode(x).logvar, model.encode(x).logvar)):
            assert torch.equal(a, b)
        assert torch.equal(loaded.decode(z), model.decode(z))
        ours, theirs = (m(x, generator=torch.Generator().manual_seed(1)) for m in (loaded, model))
    for field in dataclasses.fields(VAEOutput):
        assert torch.equal(getattr(ours, field.name), getattr(theirs, field.name)), field.name


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_same_seed_builds_the_same_weights(name):
    config = VAEConfig(architecture=name, **SMALL[name])
    built = []
    for _ in range(2):
        torch.manual_seed(7)
        built.append(VAE(config).state_dict())
    assert list(built[0]) == list(built[1]) and all(torch.equal(built[0][k], built[1][k]) for k in built[0])


@pytest.mark.skipif(not any(MODELS_DIR.glob("*/model.safetensors")), reason="no shipped models")
def test_every_shipped_model_holds_exactly_the_parts_its_architecture_builds():
    for weights in sorted(MODELS_DIR.glob("*/model.safetensors")):
        config = VAEConfig.load(weights.parent / "config.json")
        with safe_open(str(weights), "pt") as stored:
            shapes = {key: tuple(stored.get_slice(key).get_shape()) for key in stored.keys()}
        built = {key: tuple(v.shape) for key, v in VAE(config).state_dict().items()}
        assert shapes == built, weights.parent.name
    assert load_model(weights.parent).config == config


def test_architectures_import_only_the_config():
    graph = import_graph(project_modules())
    for module, targets in graph.items():
        if module.startswith("vae.core.architectures"):
            outside = {t for t in targets if t.startswith(("vae", "ui")) and not t.startswith("vae.core.architectures")}
            assert outside <= {"vae.core.config"}, module
