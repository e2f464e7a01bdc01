"""Everything heavy, loaded once per process and shared read-only by all sessions.

st.cache_resource returns the same object to every caller (no per-rerun copy, unlike
st.cache_data, which unpickles a fresh copy on every hit). Callers must not mutate what they get.

One cache-key scheme for everything derived from a model: a cached function takes a `ModelKey`
(folder, name and the size/mtime signature of the model's files) or, for what spans the zoo, a
`ZooKey` (folder and the signature of every model's files). A retrain, a rebuilt atlas or new
directions change the signature, so nothing cached goes stale.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from vae import VAE, CheckpointError, load_model
from vae.analysis.zoo import MODELS_DIR, ZooEntry, scan
from vae.artifacts.atlas import Atlas, load_atlas
from vae.artifacts.density import LearnedDensity, load_density
from vae.core.card import ModelCard
from vae.data.datasets import DataError, data_root, load_celeba, load_mnist
from vae.training.gan import load_adversarial

# One thread per decode: the server runs many small decodes from many sessions at once, and
# intra-op threads then wait on each other (10–25× slower decodes on a busy 2-core machine).
torch.set_num_threads(1)


def models_dir() -> Path:
    return Path(os.environ.get("VAE_MODELS_DIR", MODELS_DIR))


MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "card.json",
    "atlas.safetensors",
    "directions.safetensors",
    "density.safetensors",
    "sample_quality.json",
    "adversarial_decoder.safetensors",
    "witness.json",
)


def _signature(folder: Path) -> tuple:
    """One (model name, digest) pair per model folder: a cache key that changes when a model is added,
    retrained, its atlas built or a file damaged. The digest covers (file, size, mtime) of the files that
    define the model: a few stat calls per rerun, and a short key for the caches to hash."""
    out: list[tuple[str, str]] = []
    try:
        for d in sorted(os.scandir(folder), key=lambda e: e.name):
            if d.is_dir() and not d.name.startswith("."):
                files: list[tuple[str, int | None, int | None]] = []
                for f in MODEL_FILES:
                    try:
                        st_ = os.stat(os.path.join(d.path, f))
                        files.append((f, st_.st_size, st_.st_mtime_ns))
                    except OSError:
                        files.append((f, None, None))
                out.append((d.name, hashlib.blake2b(repr(files).encode(), digest_size=12).hexdigest()))
    except OSError:
        pass
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=4)
def zoo_entries(models_path: str, signature: tuple) -> list[ZooEntry]:
    return scan(models_path)


def zoo_at(models_path: str) -> list[ZooEntry]:
    return zoo_entries(models_path, _signature(Path(models_path)))


def zoo() -> list[ZooEntry]:
    return zoo_at(str(models_dir()))


@dataclass(frozen=True)
class ZooKey:
    """The cache key of anything derived from the whole zoo (hashable, changes with any model's files)."""

    models_path: str
    signature: tuple


@dataclass(frozen=True)
class ModelKey:
    """The cache key of anything derived from one model (hashable, changes with its files)."""

    models_path: str
    name: str
    signature: tuple


def zoo_key() -> ZooKey:
    path = str(models_dir())
    return ZooKey(path, _signature(Path(path)))


def model_key(name: str, models_path: str | None = None) -> ModelKey:
    path = models_path or str(models_dir())
    return ModelKey(path, name, tuple(s for s in _signature(Path(path)) if s[0] == name))


def zoo_of(key: ZooKey) -> list[ZooEntry]:
    return zoo_entries(key.models_path, key.signature)


def loaded_of(key: ModelKey) -> Loaded:
    return load(key.models_path, key.name, key.signature)


def ready_of(key: ModelKey) -> Ready:
    """The model and atlas of `key`, for what is derived from a model a page has checked (app.current()):
    raises CheckpointError with the reason when they did not load."""
    result = loaded_of(key)
    ready = result.ready()
    if ready is None:
        raise CheckpointError(result.error or f"{key.name}: not loaded")
    return ready


def model_of(key: ModelKey) -> VAE:
    """The model of `key`, whether or not its atlas loads: raises CheckpointError with the reason when
    its weights do not load."""
    result = loaded_of(key)
    if result.model is None:
        raise CheckpointError(result.error or f"{key.name}: not loaded")
    return result.model


def card_of(key: ModelKey) -> ModelCard | None:
    """The model's card as the zoo read it (None when the folder has none)."""
    entry = next((e for e in zoo_at(key.models_path) if e.name == key.name), None)
    return entry.card if entry else None


@st.cache_resource(show_spinner=False, max_entries=64)
def learned_density(key: ModelKey) -> LearnedDensity | str:
    """The model's learned latent density (vae.artifacts.density), or why there is none (missing, stale:
    with the command that fits it). Loaded once per file version (its mtime is in the key)."""
    try:
        return load_density(Path(key.models_path) / key.name)
    except CheckpointError as err:
        return str(err)


def density_of(key: ModelKey) -> LearnedDensity | None:
    found = learned_density(key)
    return None if isinstance(found, str) else found


@st.cache_resource(show_spinner=False, max_entries=8)
def adversarial_of(key: ModelKey) -> tuple[VAE, dict] | str:
    """The model with its adversarially fine-tuned decoder and the figures measured when it was made
    (vae.training.gan), or why there is none."""
    try:
        return load_adversarial(Path(key.models_path) / key.name)
    except CheckpointError as err:
        return str(err)


@dataclass(frozen=True)
class Ready:
    """A model with its atlas, both loaded: what a page works on once app.current() has checked it."""

    name: str
    model: VAE
    atlas: Atlas


@dataclass
class Loaded:
    """A loaded model and its atlas, or the reason they could not be loaded. The model alone is kept when
    only its atlas failed (a model comparison still reconstructs with it)."""

    name: str
    model: VAE | None
    atlas: Atlas | None
    error: str | None

    def ready(self) -> Ready | None:
        """The model and atlas together, or None when either did not load (`error` says why)."""
        if self.model is None or self.atlas is None:
            return None
        return Ready(self.name, self.model, self.atlas)


@st.cache_resource(show_spinner=False, max_entries=32)
def load(models_path: str, name: str, signature: tuple = ()) -> Loaded:
    path = Path(models_path) / name
    try:
        model = load_model(path)
    except CheckpointError as err:
        return Loaded(name, None, None, str(err))
    try:
        atlas = load_atlas(path)
    except CheckpointError as err:
        return Loaded(name, model, None, str(err))
    pca_arrays = [v for v in vars(atlas.pca).values() if isinstance(v, np.ndarray)]
    for arr in (
        atlas.test_index,
        atlas.mean,
        atlas.logvar,
        atlas.recon_nats,
        atlas.kl_nats,
        atlas.pca_coords,
        atlas.tsne_coords,
        atlas.umap_coords,
        *pca_arrays,
    ):
        arr.setflags(write=False)  # shared across sessions: read-only
    return Loaded(name, model, atlas, None)


def loaded_at(models_path: str, name: str) -> Loaded:
    """The model and atlas of a zoo entry, loaded once (again only if its files change)."""
    return loaded_of(model_key(name, models_path))


def loaded(name: str) -> Loaded:
    return loaded_at(str(models_dir()), name)


@dataclass
class TestSet:
    """The dataset's test split, joined at run time from the data directory (never shipped)."""

    images: np.ndarray  # uint8 (N, H, W) or (N, H, W, 3)
    labels: np.ndarray | None  # MNIST digits
    attributes: np.ndarray | None  # CelebA (N, 40) 0/1
    attribute_names: list[str]
    image_ids: list[str]


@st.cache_resource(show_spinner=False)
def _test_set(dataset: str, root: str) -> TestSet | str:
    try:
        if dataset == "mnist":
            images, labels = load_mnist("test", Path(root))
            result = TestSet(images, labels, None, [], [])
        else:
            images, index, rows = load_celeba("test", Path(root))
            result = TestSet(images, None, index.attributes[rows], index.attribute_names, [index.image_ids[r] for r in rows])
    except DataError as err:
        return str(err)
    for arr in (result.images, result.labels, result.attributes):
        if arr is not None:
            arr.setflags(write=False)  # shared across sessions: read-only
    return result


def test_set(dataset: str) -> TestSet | None:
    """The test split, or None when the data directory does not have it."""
    result = _test_set(dataset, str(data_root()))
    return result if isinstance(result, TestSet) else None


def test_set_error(dataset: str) -> str | None:
    result = _test_set(dataset, str(data_root()))
    return result if isinstance(result, str) else None
