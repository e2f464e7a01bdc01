"""A derived atlas is refused when stale (made from other weights, or scored under another likelihood
convention) or when it lacks the metadata that says so, each time with the command that rebuilds it."""

import re
import shutil

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from tests.conftest import MODELS_DIR, needs
from vae.artifacts.atlas import ATLAS_FILE, load_atlas
from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError
from vae.core.model import RECON_CONVENTIONS


def _copy(name, tmp_path):
    folder = tmp_path / name
    shutil.copytree(MODELS_DIR / name, folder)
    return folder


def _resave_atlas(folder, **metadata_changes):
    path = folder / ATLAS_FILE
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata() or {})
    tensors = load_file(str(path))
    for key, value in metadata_changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    save_file(tensors, str(path), metadata=meta)


@needs("mnist-z16")
def test_atlas_of_other_weights_is_refused(tmp_path):
    folder = _copy("mnist-z16", tmp_path)
    assert load_atlas(folder).weights_sha256
    weights = load_file(str(folder / WEIGHTS_FILE))
    name = next(iter(weights))
    weights[name] = weights[name] + torch.ones_like(weights[name]) * 0.01  # a "retrain"
    save_file(weights, str(folder / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="other weights.*vae-explorer atlas"):
        load_atlas(folder)


@needs("celeba-z64")
def test_atlas_scored_under_another_likelihood_convention_is_refused(tmp_path):
    folder = _copy("celeba-z64", tmp_path)
    assert load_atlas(folder).recon_nats.mean() > 0  # the shipped atlas is current
    with safe_open(str(folder / ATLAS_FILE), framework="pt") as f:
        assert f.metadata()["recon_convention"] == RECON_CONVENTIONS["gaussian"]
    _resave_atlas(folder, recon_convention="gaussian-density-per-1/255")  # a density per 1/255 bin, not the discretised one
    with pytest.raises(
        CheckpointError,
        match=f"likelihood convention 'gaussian-density-per-1/255'.*rebuild it with `vae-explorer atlas {re.escape(str(folder))}`",
    ):
        load_atlas(folder)


@needs("celeba-z64", "mnist-z16")
@pytest.mark.parametrize("name", ["celeba-z64", "mnist-z16"])
@pytest.mark.parametrize("key", ["recon_convention", "weights_sha256", "umap"])
def test_atlas_without_its_convention_or_weights_hash_is_refused(tmp_path, name, key):
    folder = _copy(name, tmp_path)
    _resave_atlas(folder, **{key: None})
    message = rf"{re.escape(str(folder / ATLAS_FILE))}: not in the atlas layout this code reads \(missing metadata \['{key}'\]\); rebuild it with `vae-explorer atlas {re.escape(str(folder))}`"
    with pytest.raises(CheckpointError, match=message):
        load_atlas(folder)
