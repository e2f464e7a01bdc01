"""A small, complete model card for tests that need one without training a model."""

from __future__ import annotations

import dataclasses

from vae.core.card import EpochRecord, ModelCard, TestMetrics

# epoch: train recon, train KL, test recon, test KL, test −ELBO (nats)
HISTORY = {1: (120.0, 5.0, 100.0, 6.0, 106.0), 2: (100.0, 7.0, 95.0, 8.0, 103.0)}


def sample_card(latent_dim: int = 4, kl: float = 10.0, recon: float = 90.0, **changes) -> ModelCard:
    """A card of an MNIST model with test KL `kl` and reconstruction `recon` (nats); `changes` replace fields."""
    test = TestMetrics(
        recon_nats=recon,
        kl_nats=kl,
        neg_elbo_nats=kl + recon,
        mse_per_pixel=0.01,
        psnr_db=20.0,
        num_images=10000,
        recon_floor_nats=40.0,
        iw_images_neg_elbo_nats=kl + recon + 1,
        iw_bound_nats=kl + recon - 3,
        iw_samples=500,
        iw_images=1000,
    )
    card = ModelCard(
        name="sample",
        dataset="mnist",
        latent_dim=latent_dim,
        beta=1.0,
        likelihood="bernoulli",
        epochs=2,
        batch_size=128,
        lr=0.002,
        seed=0,
        device="cpu",
        host="x86_64",
        torch="2.0",
        training_seconds=90.0,
        parameter_count=1234,
        train_images=60000,
        test=test,
        kl_per_dim_nats=[0.5, 3.0, 0.01, 1.0, 0.2, 0.1][:latent_dim],
        unit_activity=[0.5, 0.9, 0.001, 0.7, 0.3, 0.2][:latent_dim],
        active_units=latent_dim - 1,
        history=[EpochRecord(epoch, *values, seconds=45.0) for epoch, values in HISTORY.items()],
    )
    return dataclasses.replace(card, **changes)
