"""The VAE's maths against torch.distributions, and the public API's shapes and ranges."""

import dataclasses
import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae.core.evaluate import iw_bound
from vae.core.model import DiagonalGaussian, VAEOutput, bernoulli_floor_nats, bits_per_dim, discretized_gaussian_nats


def test_kl_matches_torch_distributions():
    torch.manual_seed(1)
    mean, logvar = torch.randn(7, 5), torch.randn(7, 5)
    posterior = DiagonalGaussian(mean, logvar)
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(posterior.kl(), expected)
    assert posterior.kl().shape == (7,)
    # KL is zero exactly at the prior
    assert DiagonalGaussian(torch.zeros(2, 3), torch.zeros(2, 3)).kl().abs().max() == 0


def test_log_prob_matches_torch_distributions():
    mean, logvar = torch.randn(4, 6), torch.randn(4, 6)
    z = torch.randn(4, 6)
    expected = Normal(mean, torch.exp(0.5 * logvar)).log_prob(z).sum(1)
    torch.testing.assert_close(DiagonalGaussian(mean, logvar).log_prob(z), expected)


def test_sample_is_reparameterised_and_seeded():
    mean = torch.tensor([[1.0, -2.0]]).repeat(20000, 1)
    logvar = torch.log(torch.tensor([[0.25, 4.0]])).repeat(20000, 1)
    posterior = DiagonalGaussian(mean, logvar)
    z = posterior.sample(torch.Generator().manual_seed(3))
    torch.testing.assert_close(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.05, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([0.5, 2.0]), atol=0.05, rtol=0)
    again = posterior.sample(torch.Generator().manual_seed(3))
    assert torch.equal(z, again)
    assert torch.equal(posterior.mode(), mean)
    # gradients flow through the sample to μ and log σ²
    m = torch.zeros(3, 2, requires_grad=True)
    lv = torch.zeros(3, 2, requires_grad=True)
    DiagonalGaussian(m, lv).sample(torch.Generator().manual_seed(0)).sum().backward()
    assert m.grad is not None and torch.all(m.grad == 1)
    assert lv.grad is not None and lv.grad.abs().sum() > 0


@pytest.mark.parametrize("fixture,shape", [("tiny_mnist", (1, 28, 28)), ("tiny_celeba", (3, 64, 64))])
def test_encode_decode_shapes_and_range(fixture, shape, request):
    model = request.getfixturevalue(fixture)
    x = torch.rand(3, *shape)
    posterior = model.encode(x)
    d = model.config.latent_dim
    assert posterior.mean.shape == (3, d) and posterior.logvar.shape == (3, d)
    assert posterior.kl().shape == (3,)
    images = model.decode(posterior.sample())
    assert images.shape == (3, *shape)
    assert images.min() >= 0 and images.max() <= 1


def test_bernoulli_recon_is_bce_summed_over_pixels(tiny_mnist):
    x = torch.rand(2, 1, 28, 28)
    logits = torch.randn(2, 1, 28, 28)
    expected = -Bernoulli(logits=logits, validate_args=False).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(tiny_mnist.recon_nats(x, logits), expected)


@pytest.mark.parametrize(
    "k, mean, sigma",
    [(0, 0.02, 0.05), (0, 0.6, 0.08), (255, 0.97, 0.05), (255, 0.3, 0.1), (128, 0.5, 0.085), (37, 0.9, 0.01), (200, 0.784, 0.0025)],
)
def test_discretized_gaussian_equals_numerical_integration(k, mean, sigma):
    """−log P(pixel = k) against a direct numerical integration of the Gaussian density over the
    pixel's bin, edge bins (k = 0, 255) open to ∓∞, in 40-digit arithmetic so far tails count too."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = mpmath.mpf(k) / 255
    lo = -mpmath.inf if k == 0 else x - mpmath.mpf(1) / 510
    hi = mpmath.inf if k == 255 else x + mpmath.mpf(1) / 510
    mu, s = mpmath.mpf(mean), mpmath.mpf(sigma)
    density = lambda v: mpmath.exp(-(((v - mu) / s) ** 2) / 2) / (s * mpmath.sqrt(2 * mpmath.pi))  # noqa: E731
    points = [lo] + [p for p in (mu - 8 * s, mu, mu + 8 * s) if lo < p < hi] + [hi]  # split where the peak is
    expected = float(-mpmath.log(mpmath.quad(density, points)))
    as64 = {"dtype": torch.float64}
    got = discretized_gaussian_nats(torch.tensor(k / 255, **as64), torch.tensor(mean, **as64), torch.tensor(math.log(sigma), **as64))
    assert float(got) == pytest.approx(expected, rel=1e-8, abs=1e-9)  # torch's log_ndtr: ~5e-9 relative in far tails
    got32 = discretized_gaussian_nats(torch.tensor(k / 255), torch.tensor(mean), torch.tensor(math.log(sigma)))
    assert float(got32) == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_discretized_gaussian_is_a_normalised_distribution_over_256_values():
    values = torch.arange(256, dtype=torch.float64) / 255
    for mean, sigma in ((0.5, 0.1), (0.0, 0.05), (1.0, 0.3), (0.31, 0.0025)):
        nats = discretized_gaussian_nats(
            values, torch.tensor(mean, dtype=torch.float64), torch.tensor(math.log(sigma), dtype=torch.float64)
        )
        assert float(torch.exp(-nats).sum()) == pytest.approx(1.0, abs=1e-9)


def test_gaussian_recon_is_the_discretized_likelihood_summed_over_pixels(tiny_celeba):
    x = torch.randint(0, 256, (2, 3, 64, 64)).float() / 255
    x[0, 0, :4] = 0.0  # edge values take the open edge bins
    x[1, 2, -4:] = 1.0
    logits = torch.randn(2, 3, 64, 64)
    log_sigma = tiny_celeba.log_sigma
    expected = discretized_gaussian_nats(x, torch.sigmoid(logits), log_sigma).flatten(1).sum(1)
    torch.testing.assert_close(tiny_celeba.recon_nats(x, logits), expected)
    # an edge bin holds more mass than the density at its centre × 1/255 (a density is not a bin's probability)
    edge = discretized_gaussian_nats(torch.tensor(0.0), torch.tensor(0.03), torch.tensor(math.log(0.05)))
    centre_density = -Normal(0.03, 0.05).log_prob(torch.tensor(0.0)) + math.log(255)
    assert float(edge) < float(centre_density) - 0.5


def test_bits_per_dim_and_bernoulli_floor():
    assert bits_per_dim(12288 * math.log(2) * 6.5, 12288) == pytest.approx(6.5)
    x = torch.tensor([[0.0, 1.0, 0.5, 0.25]])
    floor = bernoulli_floor_nats(x)
    assert float(floor) == pytest.approx(math.log(2) - 0.25 * math.log(0.25) - 0.75 * math.log(0.75))
    logits = torch.logit(x.clamp(1e-7, 1 - 1e-7))  # a perfect decoder still pays the floor
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    assert float(bce) == pytest.approx(float(floor), abs=1e-5)


def test_loss_is_recon_plus_beta_kl(tiny_mnist):
    tiny_mnist.config.beta = 4.0
    out = tiny_mnist(torch.rand(5, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out.loss, out.recon_nats + 4.0 * out.kl_nats)
    torch.testing.assert_close(out.neg_elbo_nats, out.recon_nats + out.kl_nats)


@pytest.mark.parametrize("fixture,shape", [("tiny_mnist", (1, 28, 28)), ("tiny_celeba", (3, 64, 64))])
def test_forward_returns_the_typed_output_with_its_documented_shapes(fixture, shape, request):
    model = request.getfixturevalue(fixture)
    out = model(torch.rand(3, *shape), generator=torch.Generator().manual_seed(0))
    assert isinstance(out, VAEOutput)
    assert [f.name for f in dataclasses.fields(out)] == ["recon_nats", "kl_nats", "loss", "neg_elbo_nats", "x_mean", "kl_per_dim"]
    for per_image in (out.recon_nats, out.kl_nats, out.loss, out.neg_elbo_nats):
        assert per_image.shape == (3,)  # nats per image
    assert out.x_mean.shape == (3, *shape) and 0 <= out.x_mean.min() and out.x_mean.max() <= 1
    assert out.kl_per_dim.shape == (3, model.config.latent_dim) and (out.kl_per_dim >= 0).all()
    torch.testing.assert_close(out.kl_per_dim.sum(1), out.kl_nats)
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.loss = out.recon_nats


def test_iw_bound_is_tighter_than_elbo(tiny_mnist):
    x = torch.rand(3, 1, 28, 28).round()
    with torch.inference_mode():
        elbos = torch.stack([tiny_mnist(x, torch.Generator().manual_seed(s)).neg_elbo_nats for s in range(200)]).mean(0)
    bound = torch.from_numpy(iw_bound(tiny_mnist, x, k=200)).float()
    assert torch.all(bound <= elbos + 1e-3)
