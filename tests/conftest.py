"""Shared fixtures: the real data root (tests that need it skip without it, unless
VAE_REQUIRE_DATA=1 as in CI, where a missing data directory is a failure) and tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from vae.core.config import VAEConfig
from vae.core.model import VAE
from vae.data.datasets import data_root

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("VAE_WARM_UP", "0")  # AppTest runs load only what they use (ui.serve.warm); servers started by tests inherit it

MODELS_DIR = REPO / "models"


def with_ctrl_c() -> None:
    """preexec_fn for a child that a test interrupts with SIGINT: Ctrl-C's default action, even when
    this test run was started in the background (a shell gives background jobs SIGINT ignored, which
    their children inherit, and Python then installs no KeyboardInterrupt handler)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def needs(*names: str):
    """Skip marker for tests that need shipped models with their atlases (all ship on main;
    test_zoo checks that none is missing)."""
    missing = [n for n in names if not (MODELS_DIR / n / "atlas.safetensors").exists()]
    return pytest.mark.skipif(bool(missing), reason=f"models not built yet (no atlas): {missing}")


def _need(path: Path, what: str) -> None:
    if not path.exists():
        if os.environ.get("VAE_REQUIRE_DATA") == "1":
            pytest.fail(f"{what} not found at {path} (VAE_REQUIRE_DATA=1)")
        pytest.skip(f"{what} not found at {path}; set VAE_DATA_DIR")


@pytest.fixture(scope="session")
def real_root() -> Path:
    root = data_root()
    _need(root / "mnist" / "t10k-images-idx3-ubyte.gz", "MNIST")
    return root


@pytest.fixture(scope="session")
def celeba_root() -> Path:
    root = data_root()
    _need(root / "celeba" / "list_attr_celeba.txt", "CelebA")
    return root


@pytest.fixture
def fresh_caches():
    """For tests that point the app at other folders: nothing cached from the real ones, before or after."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def tiny_mnist() -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(dataset="mnist", latent_dim=3, channels=[4, 8])).eval()


@pytest.fixture
def tiny_celeba() -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(dataset="celeba", latent_dim=5, channels=[4, 8, 8], likelihood="gaussian")).eval()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests are grouped by kind in folders; the folder gives the marker (`-m "not browser"`: the fast suite)."""
    for item in items:
        kind = Path(str(item.fspath)).parent.name
        if kind in ("app", "browser"):
            item.add_marker(getattr(pytest.mark, kind))
