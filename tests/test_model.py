"""The VAE's maths against torch.distributions, and the public API's shapes and ranges."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae.evaluate import iw_bound
from vae.model import DiagonalGaussian


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


def test_gaussian_recon_is_per_8bit_value_density(tiny_celeba):
    x = torch.rand(2, 3, 64, 64)
    logits = torch.randn(2, 3, 64, 64)
    sigma = tiny_celeba.log_sigma.exp()
    nll_unit = -Normal(torch.sigmoid(logits), sigma).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(tiny_celeba.recon_nats(x, logits), nll_unit + 3 * 64 * 64 * math.log(255), rtol=1e-5, atol=1e-2)


def test_loss_is_recon_plus_beta_kl(tiny_mnist):
    tiny_mnist.config.beta = 4.0
    out = tiny_mnist(torch.rand(5, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out["loss"], out["recon_nats"] + 4.0 * out["kl_nats"])
    torch.testing.assert_close(out["neg_elbo_nats"], out["recon_nats"] + out["kl_nats"])


def test_iw_bound_is_tighter_than_elbo(tiny_mnist):
    x = torch.rand(3, 1, 28, 28).round()
    with torch.inference_mode():
        elbos = torch.stack([tiny_mnist(x, torch.Generator().manual_seed(s))["neg_elbo_nats"] for s in range(200)]).mean(0)
    bound = torch.from_numpy(iw_bound(tiny_mnist, x, k=200)).float()
    assert torch.all(bound <= elbos + 1e-3)
