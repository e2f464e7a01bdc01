"""Models and atlases are shared read-only by every dashboard session: decoding and encoding from
many threads at once must give exactly what one thread gives, and leave the model untouched.

The dashboard serves each browser session from its own script thread, all with the same cached
model (ui.shell.resources.loaded), so these are the conditions the pages run under.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields

import numpy as np
import pytest
import torch

from tests.conftest import MODELS_DIR
from vae import load_model
from vae.core.latent import decode, encode, prior_samples

MODEL = "mnist-z16"
THREADS = 8
CALLS = 200  # per thread, each with its own input


def _need_model(name: str = MODEL) -> None:
    if not (MODELS_DIR / name / "atlas.safetensors").exists():
        pytest.skip(f"models/{name} (with its atlas) is not there yet")


@pytest.fixture(scope="module")
def model():
    _need_model()
    return load_model(MODELS_DIR / MODEL)


def _inputs(latent_dim: int) -> list[tuple[str, np.ndarray]]:
    """THREADS·CALLS distinct inputs: even calls decode 1–2 codes, odd calls encode 1–2 images."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(THREADS * CALLS):
        n = 1 + (i // 2) % 2
        if i % 2 == 0:
            out.append(("decode", prior_samples(latent_dim, n, seed=i)))  # (n, D) float32
        else:
            out.append(("encode", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)))  # (n, 28, 28) uint8
    return out


@torch.inference_mode()
def _run(model, kind: str, x: np.ndarray) -> tuple[torch.Tensor, ...]:
    """The float outputs (no uint8 rounding, so a difference cannot hide): decoded pixels in [0, 1],
    or the posterior's (μ, log σ²)."""
    if kind == "decode":
        return (model.decode(torch.from_numpy(x)),)
    posterior = model.encode(torch.from_numpy(x).unsqueeze(1).float().div(255.0))
    return posterior.mean, posterior.logvar


def test_concurrent_decode_encode_match_single_thread(model):
    params_before = {k: v.clone() for k, v in model.state_dict().items()}
    inputs = _inputs(model.config.latent_dim)
    expected = [_run(model, kind, x) for kind, x in inputs]  # one thread

    start = threading.Barrier(THREADS)

    def worker(t: int) -> list[tuple[int, tuple[torch.Tensor, ...]]]:
        start.wait()  # all threads decode/encode at the same time
        return [(i, _run(model, *inputs[i])) for i in range(t, len(inputs), THREADS)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for part in pool.map(worker, range(THREADS)) for r in part]

    assert sorted(i for i, _ in results) == list(range(len(inputs)))
    mismatched = [
        i for i, got in results if not all(torch.allclose(g, e, rtol=0, atol=1e-6) for g, e in zip(got, expected[i], strict=True))
    ]
    assert not mismatched, f"{len(mismatched)} of {len(inputs)} concurrent results differ from the single-threaded ones: {mismatched[:10]}"

    # The model is untouched: same tensors, no gradients, still in eval mode.
    after = model.state_dict()
    assert after.keys() == params_before.keys()
    changed = [k for k, v in params_before.items() if not torch.equal(v, after[k])]
    assert not changed, f"parameters changed by decoding: {changed}"
    assert all(not p.requires_grad for p in model.parameters())
    assert not model.training


def test_page_helpers_are_deterministic_across_threads(model):
    """vae.core.latent.decode/encode (what the pages call) give the same uint8 images and codes from 8 threads."""
    codes = prior_samples(model.config.latent_dim, 64, seed=1)  # (64, D)
    images = decode(model, codes)  # (64, 28, 28, 1) uint8
    expected_images = [decode(model, codes[i]) for i in range(64)]
    expected_codes = [encode(model, images[i : i + 1, ..., 0]) for i in range(64)]

    def work(i: int):
        return decode(model, codes[i]), encode(model, images[i : i + 1, ..., 0])

    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(work, [i % 64 for i in range(THREADS * 40)]))
    for j, (image, (mu, logvar)) in enumerate(got):
        i = j % 64
        np.testing.assert_array_equal(image, expected_images[i])
        np.testing.assert_allclose(mu, expected_codes[i][0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(logvar, expected_codes[i][1], rtol=0, atol=1e-6)


def test_resources_shared_and_read_only():
    """ui.shell.resources.loaded() gives every caller (here 8 threads at once, on a cold cache) the very
    same model and atlas, whose arrays cannot be written to."""
    _need_model()
    import streamlit as st

    from ui.shell import resources

    st.cache_resource.clear()  # cold: the threads race to load it
    start = threading.Barrier(THREADS)

    def get(_):
        start.wait()
        return resources.loaded(MODEL)

    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(get, range(THREADS)))
    first = got[0]
    assert first.error is None and first.model is not None and first.atlas is not None
    assert all(g is first for g in got), "loaded() returned different objects to concurrent callers"
    assert resources.loaded(MODEL) is first

    assert all(not p.requires_grad for p in first.model.parameters())
    assert not first.model.training
    atlas = first.atlas
    arrays = {f.name: getattr(atlas, f.name) for f in fields(atlas) if isinstance(getattr(atlas, f.name), np.ndarray)}
    arrays |= {f"pca.{k}": v for k, v in vars(atlas.pca).items() if isinstance(v, np.ndarray)}  # the fitted PCA's mean_, components_
    assert {"mean", "logvar", "test_index", "pca_coords", "pca.components_"} <= arrays.keys()
    writeable = [name for name, arr in arrays.items() if arr.flags.writeable]
    assert not writeable, f"atlas arrays shared by all sessions are writeable: {writeable}"
    with pytest.raises(ValueError):
        atlas.mean[0, 0] = 1.0


def test_test_set_read_only(real_root):
    """The test split is shared by every session too (ui.shell.resources.test_set): read-only arrays."""
    from ui.shell import resources

    data = resources.test_set("mnist")
    assert data is not None
    assert data is resources.test_set("mnist")
    writeable = [name for name in ("images", "labels") if getattr(data, name).flags.writeable]
    assert not writeable, f"test-set arrays shared by all sessions are writeable: {writeable}"
