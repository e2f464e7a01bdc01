"""vae.training.gan: the discriminator, and the adversarial decoder stored beside a model (round trip,
refusals). The fine-tuning itself runs on the real model in benchmarks (logs/gan_celeba-z64.txt)."""

import numpy as np
import pytest
import torch

from vae import CheckpointError, VAEConfig, load_model, save_model
from vae.core.latent import decode
from vae.core.model import VAE
from vae.training.gan import ADVERSARIAL_FILE, Discriminator, load_adversarial, save_adversarial


def test_the_discriminator_scores_each_image():
    scores = Discriminator()(torch.rand(5, 3, 64, 64))
    assert scores.shape == (5,) and torch.isfinite(scores).all()


def test_the_adversarial_decoder_round_trips_and_is_refused_when_stale(tmp_path):
    torch.manual_seed(0)
    folder = tmp_path / "tiny-celeba"
    save_model(VAE(VAEConfig(dataset="celeba", latent_dim=4, channels=[4, 8], likelihood="gaussian")).eval(), folder)
    with pytest.raises(CheckpointError, match="vae-explorer gan"):
        load_adversarial(folder)
    tuned = load_model(folder)
    with torch.no_grad():
        for p in tuned.decoder.parameters():
            p.add_(0.05 * torch.randn_like(p))  # "fine-tuned"
    report = {"plain": {"psnr_db": 20.0}, "adversarial": {"psnr_db": 19.5}, "history": [1, 2]}
    save_adversarial(tuned, folder, report)
    loaded, figures = load_adversarial(folder)
    z = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    assert np.abs(decode(loaded, z).astype(int) - decode(tuned, z).astype(int)).max() <= 1  # float16 storage
    assert not np.array_equal(decode(loaded, z), decode(load_model(folder), z))  # not the plain decoder
    assert figures == {"plain": {"psnr_db": 20.0}, "adversarial": {"psnr_db": 19.5}}
    weights = bytearray((folder / "model.safetensors").read_bytes())
    weights[-1] ^= 1  # the model is retrained: the stored decoder belongs to other weights
    (folder / "model.safetensors").write_bytes(bytes(weights))
    with pytest.raises(CheckpointError, match="other weights"):
        load_adversarial(folder)
    (folder / ADVERSARIAL_FILE).write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a valid"):
        load_adversarial(folder)


def test_the_feature_matching_term_adds_the_feature_distance_and_nothing_at_weight_zero():
    from vae.artifacts.quality import load_feature_net
    from vae.training.gan import _generator_loss

    net, _ = load_feature_net("celeba")
    net.eval()
    torch.manual_seed(0)
    x = torch.rand(4, 3, 64, 64)
    recon = (x + 0.1 * torch.randn_like(x)).clamp(0, 1)
    disc = Discriminator().eval()  # spectral norm's power iteration held still: the same scores each call
    base, mse, adversarial = _generator_loss(x, recon, recon, disc, 0.02, features=None, feature_weight=0.0)
    same, _, _ = _generator_loss(x, recon, recon, disc, 0.02, features=net, feature_weight=0.0)
    with_features, _, _ = _generator_loss(x, recon, recon, disc, 0.02, features=net, feature_weight=0.003)
    assert torch.allclose(base, mse + 0.02 * adversarial) and torch.equal(base, same)
    expected = 0.003 * torch.nn.functional.mse_loss(net.body(recon), net.body(x))
    assert torch.allclose(with_features - base, expected, rtol=1e-4) and float(expected.detach()) > 0
