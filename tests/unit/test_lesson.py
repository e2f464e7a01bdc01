"""Unit tests of vae/analysis/lesson.py: the maths the lesson page shows (densities, KL, reparameterization
gradients) against independent computations — numerical integration, torch.distributions, autograd
on the shipped models."""

import dataclasses
import math
import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from tests.card_samples import sample_card
from tests.conftest import MODELS_DIR, REPO
from vae import DiagonalGaussian, VAEConfig, load_card, load_model
from vae.analysis.lesson import (
    anomaly_pair,
    fraction_within,
    history_columns,
    kl_numeric,
    kl_posterior_prior,
    kl_prior_posterior,
    mass_within_radius,
    normal2d_pdf,
    normal_pdf,
    posterior_samples,
    reparameterize_with_grad,
    training_command,
)
from vae.core import defaults

CASES = [(0.0, 1.0), (1.0, 0.5), (-2.5, 0.05), (0.3, 3.0), (3.0, 1.0), (-1.2, 1.7)]
BRIEF_COMMAND = "vae-explorer train --dataset mnist --latent-dim 2 --hidden 512 --epochs 40 --out models/mnist-z2"


def shipped(name: str):
    return pytest.mark.skipif(not (MODELS_DIR / name / "atlas.safetensors").exists(), reason=f"model not built yet: {name}")


@pytest.mark.parametrize("mu, sigma", CASES)
def test_closed_form_kl_equals_numerical_integral_and_torch(mu, sigma):
    closed = float(kl_posterior_prior(mu, sigma))
    assert closed == pytest.approx(kl_numeric(mu, sigma), abs=1e-6)
    reference = kl_divergence(Normal(torch.tensor(mu, dtype=torch.float64), sigma), Normal(0.0, 1.0)).item()
    assert closed == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("mu, sigma", CASES)
def test_the_reverse_kl_matches_torch_and_differs_from_the_vae_direction(mu, sigma):
    reverse = float(kl_prior_posterior(mu, sigma))
    reference = kl_divergence(Normal(0.0, 1.0), Normal(torch.tensor(mu, dtype=torch.float64), sigma)).item()
    assert reverse == pytest.approx(reference, abs=1e-12)
    if (mu, sigma) != (0.0, 1.0) and sigma != 1.0:  # equal σ: both are μ²/2, the one symmetric case
        assert abs(reverse - float(kl_posterior_prior(mu, sigma))) > 1e-3


def test_kl_is_zero_only_at_the_prior_and_grows_away_from_it():
    assert kl_posterior_prior(0.0, 1.0) == 0.0
    assert all(kl_posterior_prior(mu, sigma) > 0 for mu, sigma in CASES if (mu, sigma) != (0.0, 1.0))
    assert kl_posterior_prior(2.0, 1.0) > kl_posterior_prior(1.0, 1.0)  # further away
    assert kl_posterior_prior(0.0, 0.1) > kl_posterior_prior(0.0, 0.5)  # narrower: a more precise code costs more


def test_kl_per_dimension_sums_to_the_model_posterior_kl():
    gen = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(3, 8, generator=gen), torch.randn(3, 8, generator=gen)
    posterior = DiagonalGaussian(mean, logvar)
    ours = kl_posterior_prior(mean.numpy(), posterior.std.numpy()).sum(1)
    np.testing.assert_allclose(ours, posterior.kl().numpy(), rtol=1e-5)


@pytest.mark.parametrize("mu, sigma", CASES)
def test_normal_pdf_integrates_to_one_and_peaks_at_mu(mu, sigma):
    z = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 20001)
    density = normal_pdf(z, mu, sigma)
    assert np.trapezoid(density, z) == pytest.approx(1.0, abs=1e-9)
    assert z[density.argmax()] == pytest.approx(mu, abs=2 * (z[1] - z[0]))
    np.testing.assert_allclose(
        density, Normal(torch.tensor(mu, dtype=torch.float64), sigma).log_prob(torch.tensor(z)).exp().numpy(), rtol=1e-9
    )


def test_normal2d_pdf_is_the_product_and_integrates_to_one():
    axis = np.linspace(-14, 14, 1601)  # beyond 7σ of both coordinates
    gx, gy = np.meshgrid(axis, axis)
    grid = np.stack([gx, gy], -1)
    density = normal2d_pdf(grid, (0.5, -1.0), (0.7, 1.8))
    assert density.shape == gx.shape
    assert np.trapezoid(np.trapezoid(density, axis, axis=1), axis) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(density, normal_pdf(gx, 0.5, 0.7) * normal_pdf(gy, -1.0, 1.8))


def test_prior_mass_within_circles():
    np.testing.assert_allclose(mass_within_radius(np.array([1.0, 2.0, 3.0])), [0.3935, 0.8647, 0.9889], atol=1e-4)
    np.testing.assert_allclose(mass_within_radius(np.array([0.5, 1.0, 2.5]), dim=2), 1 - np.exp(-0.5 * np.array([0.5, 1.0, 2.5]) ** 2))
    samples = torch.randn(200_000, 5, generator=torch.Generator().manual_seed(1)).numpy()
    for r in (1.0, 2.0, 3.0):
        assert fraction_within(samples, r) == pytest.approx(float(mass_within_radius(r, dim=5)), abs=4e-3)
    assert fraction_within(np.array([[0.0, 0.5], [3.0, 4.0]]), 1.0) == 0.5


def test_posterior_samples_follow_q_and_match_the_model_sampler():
    mu, logvar = np.array([1.0, -2.0, 0.0], np.float32), np.log(np.array([0.5, 0.1, 2.0], np.float32) ** 2)
    first = posterior_samples(mu, logvar, 1, seed=7)[0]
    model_sample = DiagonalGaussian(torch.tensor(mu)[None], torch.tensor(logvar)[None]).sample(torch.Generator().manual_seed(7))[0]
    np.testing.assert_allclose(first, model_sample.numpy(), rtol=1e-6)
    many = posterior_samples(mu, logvar, 50_000, seed=0)
    np.testing.assert_allclose(many.mean(0), mu, atol=0.03)
    np.testing.assert_allclose(many.std(0), [0.5, 0.1, 2.0], rtol=0.02)
    assert np.array_equal(posterior_samples(mu, logvar, 4, seed=3), posterior_samples(mu, logvar, 4, seed=3))


def _check_gradients(model, x, seed):
    r = reparameterize_with_grad(model, x, seed)
    d = model.config.latent_dim
    eps = torch.randn((1, d), generator=torch.Generator().manual_seed(seed))[0].numpy()
    np.testing.assert_array_equal(r["eps"], eps)
    np.testing.assert_array_equal(r["dz_dmu"], np.ones(d, np.float32))  # ∂z/∂μ = 1
    np.testing.assert_array_equal(r["dz_dsigma"], r["eps"])  # ∂z/∂σ = ε
    np.testing.assert_array_equal(r["jacobian_mu"], np.eye(d, dtype=np.float32))  # each zᵢ depends on its own μᵢ only
    np.testing.assert_array_equal(r["jacobian_sigma"], np.diag(r["eps"]))
    np.testing.assert_allclose(r["sigma_eps"], r["sigma"] * r["eps"], rtol=1e-6)
    np.testing.assert_allclose(r["z"], r["mu"] + r["sigma"] * r["eps"], rtol=1e-6, atol=1e-7)
    assert r["encoder_grad_norm"] > 0 and math.isfinite(r["encoder_grad_norm"])  # the gradient reaches the encoder
    return r


def test_reparameterization_gradients_on_a_tiny_model(tiny_mnist):
    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    r = _check_gradients(tiny_mnist, x, seed=5)
    with torch.inference_mode():
        posterior = tiny_mnist.encode(x)
        sample = posterior.sample(torch.Generator().manual_seed(5))[0].numpy()
    np.testing.assert_allclose(r["z"], sample, rtol=1e-6)  # the same z the model's own sampler draws
    np.testing.assert_allclose(r["mu"], posterior.mean[0].numpy(), rtol=1e-6)
    assert all(p.grad is None for p in tiny_mnist.parameters())  # worked on a copy: nothing accumulated


@pytest.mark.parametrize("name", ["mnist-z2", "mnist-z16"])
def test_reparameterization_gradients_on_the_shipped_model(name, real_root):
    if not (MODELS_DIR / name / "model.safetensors").exists():
        pytest.skip(f"model not built yet: {name}")
    from vae.data.datasets import load_mnist

    model = load_model(MODELS_DIR / name)
    images, _ = load_mnist("test", real_root)
    before = [p.clone() for p in model.parameters()]
    r = _check_gradients(model, images[3], seed=11)
    assert r["mu"].shape == (model.config.latent_dim,)
    assert 0 < r["loss_nats"] < 1000
    assert all(not p.requires_grad and p.grad is None for p in model.parameters())  # the shared model stays frozen
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_anomaly_pair_picks_the_maximum_and_the_median():
    scores = np.array([90.0, 300.0, 100.0, 95.0, 110.0])
    assert anomaly_pair(scores) == (1, 2)


def test_training_command_reproduces_the_course_command():
    config = VAEConfig(dataset="mnist", latent_dim=2, hidden=512)
    card = sample_card(epochs=40, batch_size=128, lr=0.002, seed=0)
    assert training_command(config, card, "mnist-z2") == BRIEF_COMMAND
    beta = training_command(VAEConfig(latent_dim=16, beta=0.5), sample_card(epochs=30, lr=0.001), "mnist-z16-beta0.5")
    assert beta == "vae-explorer train --dataset mnist --latent-dim 16 --beta 0.5 --epochs 30 --lr 0.001 --out models/mnist-z16-beta0.5"


@shipped("mnist-z2")
def test_training_command_of_the_shipped_z2_model():
    model = load_model(MODELS_DIR / "mnist-z2")
    assert training_command(model.config, load_card(MODELS_DIR / "mnist-z2"), "mnist-z2") == BRIEF_COMMAND


def _parsed(command: str):
    """The arguments vae.training.train's own parser reads from a command the lesson shows."""
    from vae.training.train import build_parser

    argv = shlex.split(command)
    assert argv[:2] == ["vae-explorer", "train"]
    return build_parser().parse_args(argv[2:])


def _trained_config(args):
    """The config vae.training.train builds from parsed arguments."""
    from vae.training.settings import TrainSettings, config_of

    return config_of(TrainSettings(**vars(args)))


def _shipped_runs() -> list[str]:
    return sorted(p.parent.name for p in MODELS_DIR.glob("*/card.json") if (p.parent / "config.json").exists())


RUNS = [
    (VAEConfig(dataset="mnist", latent_dim=2, hidden=512), sample_card(epochs=40, batch_size=128, lr=0.002, seed=0)),
    (VAEConfig(latent_dim=16, beta=0.5), sample_card(epochs=30, lr=0.001)),
    (VAEConfig(dataset="celeba", latent_dim=64, channels=[32, 64, 128, 256], likelihood="gaussian"), sample_card(batch_size=64, seed=3)),
    (VAEConfig(latent_dim=8, channels=[16, 32], likelihood="gaussian", beta=4.0), sample_card(epochs=5, lr=0.0005, seed=7)),
    (VAEConfig(dataset="celeba", latent_dim=32, channels=[32, 64, 128], likelihood="bernoulli"), None),  # no card.json
    (VAEConfig(latent_dim=2, architecture="dense", channels=[], hidden=128), sample_card(epochs=60)),  # the course's dense VAE
    (VAEConfig(latent_dim=2, architecture="dense", channels=[], hidden=128, beta=0.0), sample_card(epochs=60)),  # its autoencoder
]


@pytest.mark.parametrize("config, card", RUNS)
def test_training_command_is_read_back_by_the_training_parser_as_the_same_run(config, card):
    args = _parsed(training_command(config, card, "my-model"))
    assert _trained_config(args) == config  # what vae.training.train.train() builds from its arguments
    assert args.epochs == (card.epochs if card else defaults.DEFAULT_EPOCHS)
    expected = (card.batch_size, card.lr, card.seed) if card else (defaults.DEFAULT_BATCH_SIZE, defaults.DEFAULT_LR, defaults.DEFAULT_SEED)
    assert (args.batch_size, args.lr, args.seed) == expected
    assert str(args.out) == "models/my-model"


@pytest.mark.skipif(not _shipped_runs(), reason="no shipped models")
def test_training_command_of_every_shipped_model_rebuilds_its_config():
    for name in _shipped_runs():
        model_config = VAEConfig.load(MODELS_DIR / name / "config.json")
        card = load_card(MODELS_DIR / name)
        args = _parsed(training_command(model_config, card, name))
        assert _trained_config(args) == model_config, name
        assert args.epochs == card.epochs and str(args.out) == f"models/{name}", name


def test_training_defaults_are_those_of_the_training_cli():
    import vae.training.train as vt

    for dataset in ("mnist", "celeba"):
        args = vt.build_parser().parse_args(["--dataset", dataset, "--out", "x"])
        assert (args.epochs, args.batch_size, args.lr, args.seed) == (
            defaults.DEFAULT_EPOCHS,
            defaults.DEFAULT_BATCH_SIZE,
            defaults.DEFAULT_LR,
            defaults.DEFAULT_SEED,
        )
        assert args.channels is None and args.likelihood is None  # so the per-dataset defaults above apply


def test_the_lesson_does_not_import_the_training_loop():
    code = "import sys, vae.analysis.lesson; print(sorted(m for m in ('vae.training.train', 'streamlit') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_history_columns_are_the_cards_epochs():
    card = sample_card()
    cols = history_columns([dataclasses.asdict(row) for row in card.history])
    assert cols["epoch"] == [float(row.epoch) for row in card.history]
    assert cols["test_kl_nats"] == [row.test_kl_nats for row in card.history] and len(cols["epoch"]) > 1
    assert history_columns([])["epoch"] == []
