"""Data-parallel training: torchrun with 2 CPU processes (gloo) on a tiny configuration over real
MNIST trains the same model as one process with the same global batch."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO
from vae import load_card, load_model

TINY = ["--dataset", "mnist", "--latent-dim", "2", "--channels", "4", "8", "--batch-size", "64", "--train-limit", "512",
        "--test-limit", "128", "--iw-samples", "4", "--iw-images", "4", "--epochs", "2", "--threads", "1"]  # fmt: skip
TORCHRUN = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")


@pytest.mark.skipif(TORCHRUN is None, reason="torchrun not installed")
def test_two_processes_hold_identical_weights_and_match_one_process(real_root, tmp_path):
    env = {**os.environ, "VAE_DATA_DIR": str(real_root), "OMP_NUM_THREADS": "1"}
    single, double = tmp_path / "one", tmp_path / "two"
    cli = os.path.join(os.path.dirname(sys.executable), "vae-explorer")  # the two documented forms: the console script,
    one = subprocess.run([cli, "train", *TINY, "--out", str(single)], cwd=REPO, env=env, capture_output=True, text=True)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run(
        [TORCHRUN, "--standalone", "--nproc_per_node=2", "-m", "vae.training", *TINY, "--out", str(double)],  # and torchrun's module
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert two.returncode == 0, two.stderr[-3000:]
    assert "2 processes: identical weights on every rank" in two.stderr  # every rank's checksum, compared
    a, b = load_card(single), load_card(double)
    assert b.device.startswith("2 × ") and b.batch_size == a.batch_size == 64
    for ra, rb in zip(a.history, b.history, strict=True):  # the same global batches, the same steps
        assert rb.train_recon_nats == pytest.approx(ra.train_recon_nats, rel=1e-3)
        assert rb.test_neg_elbo_nats == pytest.approx(ra.test_neg_elbo_nats, rel=1e-3)
    wa, wb = load_model(single).state_dict(), load_model(double).state_dict()
    assert max(float((wa[k] - wb[k]).abs().max()) for k in wa) < 5e-3  # float16 weights, summed gradients in another order
