"""vae.analysis.compare: rate–distortion points and table rows from cards, the fixed test images,
reconstructions, iso-ELBO lines, per-dimension KL; on toy entries and on the real shipped cards."""

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.card_samples import sample_card
from tests.conftest import MODELS_DIR
from vae.analysis.compare import (
    dataset_entries,
    fixed_test_indices,
    history_series,
    iso_elbo_levels,
    kl_per_dim,
    metrics_row,
    plot_box,
    rate_distortion,
    reconstruct,
    segment_in_box,
)
from vae.analysis.zoo import ZooEntry, scan
from vae.core.config import VAEConfig
from vae.core.latent import decode, unit_activity


def entry(name, dataset="mnist", latent_dim=4, beta=1.0, kl=10.0, recon=90.0, error=None, config=True):
    cfg = VAEConfig(dataset=dataset, latent_dim=latent_dim, beta=beta) if config else None
    card = sample_card(latent_dim, kl, recon, name=name, dataset=dataset, beta=beta, epochs=3)
    return ZooEntry(name, Path(name), cfg, card, error)


def test_rate_distortion_takes_available_models_of_the_dataset_from_their_cards():
    entries = [
        entry("a", kl=10, recon=90),
        entry("b", latent_dim=2, beta=4.0, kl=3, recon=120),
        entry("c", dataset="celeba", latent_dim=2),
        entry("broken", error="weights missing"),
        entry("unreadable", config=False, error="bad config"),
        ZooEntry("no-card", Path("no-card"), VAEConfig(), None),
    ]
    points = rate_distortion(entries, "mnist")
    assert [(p.name, p.latent_dim, p.beta, p.rate_nats, p.distortion_nats) for p in points] == [
        ("a", 4, 1.0, 10, 90),
        ("b", 2, 4.0, 3, 120),
    ]
    # the table lists the dataset's models and the folders whose dataset is unknown
    assert [e.name for e in dataset_entries(entries, "mnist")] == ["a", "b", "broken", "unreadable", "no-card"]
    assert [e.name for e in dataset_entries(entries, "celeba")] == ["c", "unreadable"]


def test_metrics_row_equals_the_card_and_carries_the_error():
    row = metrics_row(entry("a", kl=10, recon=90))
    assert row == {
        "model": "a",
        "latent_dim": 4,
        "beta": 1.0,
        "recon_nats": 90,
        "kl_nats": 10,
        "neg_elbo_nats": 100,
        "neg_elbo_bits_per_dim": None,
        "iw_images_neg_elbo_nats": 101,
        "iw_bound_nats": 97,
        "psnr_db": 20.0,
        "active_units": 3,
        "parameter_count": 1234,
        "epochs": 3,
        "training_minutes": 1.5,
        "fd_recon": None,  # not measured (benchmarks/sample_quality.py)
        "fd_prior": None,
        "fd_learned": None,
        "gap_closed": None,
        "error": None,
    }
    measured = entry("a", kl=10, recon=90)
    measured.quality = {"fd": {"reconstructions": 5.0, "prior": 60.0, "learned": 9.0}, "gap_closed": 0.927}
    assert {k: metrics_row(measured)[k] for k in ("fd_recon", "fd_prior", "fd_learned", "gap_closed")} == {
        "fd_recon": 5.0,
        "fd_prior": 60.0,
        "fd_learned": 9.0,
        "gap_closed": 0.927,
    }
    broken = metrics_row(ZooEntry("x", Path("x"), None, None, "config.json is missing"))
    assert broken.keys() == row.keys() and broken["model"] == "x" and broken["error"] == "config.json is missing"
    assert all(broken[k] is None for k in broken if k not in ("model", "error"))
    no_card = metrics_row(ZooEntry("y", Path("y"), VAEConfig(latent_dim=4), None))
    assert no_card.keys() == row.keys() and no_card["latent_dim"] == 4
    assert all(no_card[k] is None for k in no_card if k not in ("model", "latent_dim", "beta"))


def test_fixed_test_indices_first_of_each_digit_or_first_images_or_seeded():
    labels = np.array([3, 1, 0, 1, 2, 7, 4, 5, 6, 9, 8, 0, 2])
    idx = fixed_test_indices(labels, len(labels))
    assert labels[idx].tolist() == list(range(8))
    assert all(i == np.flatnonzero(labels == d)[0] for d, i in enumerate(idx))
    assert fixed_test_indices(None, 100).tolist() == list(range(8))
    a, b = fixed_test_indices(labels, 1000, seed=5), fixed_test_indices(None, 1000, seed=5)
    assert a.tolist() == b.tolist() and len(set(a.tolist())) == 8 and a.min() >= 0 and a.max() < 1000
    assert fixed_test_indices(None, 1000, seed=6).tolist() != a.tolist()
    assert fixed_test_indices(None, 3).tolist() == [0, 1, 2]


def test_reconstruct_decodes_the_posterior_mean(tiny_mnist):
    images = (np.random.default_rng(0).random((5, 28, 28)) * 255).astype(np.uint8)
    out = reconstruct(tiny_mnist, images)
    assert out.shape == (5, 28, 28, 1) and out.dtype == np.uint8
    mean = tiny_mnist.encode(torch.as_tensor(images, dtype=torch.float32)[:, None] / 255).mean
    assert np.array_equal(out, decode(tiny_mnist, mean.detach().numpy()))


def test_iso_elbo_lines_lie_on_constant_elbo_inside_the_box():
    points = rate_distortion([entry("a", kl=10, recon=90), entry("b", kl=25, recon=70), entry("c", kl=3, recon=130)], "mnist")
    xlim, ylim = plot_box(points)
    for p in points:
        assert xlim[0] < p.rate_nats < xlim[1] and ylim[0] < p.distortion_nats < ylim[1]
    levels = iso_elbo_levels(xlim, ylim)
    assert 3 <= len(levels) <= 8 and levels == sorted(levels)
    for c in levels:
        (x0, y0), (x1, y1) = segment_in_box(c, xlim, ylim)
        assert x0 < x1 and x0 + y0 == pytest.approx(c) and x1 + y1 == pytest.approx(c)
        for x, y in ((x0, y0), (x1, y1)):
            assert xlim[0] - 1e-9 <= x <= xlim[1] + 1e-9 and ylim[0] - 1e-9 <= y <= ylim[1] + 1e-9
    assert segment_in_box(xlim[1] + ylim[1] + 1, xlim, ylim) is None
    assert plot_box([])[0][0] == 0.0  # empty zoo: a valid box


def test_history_and_kl_per_dim_from_the_card():
    card = entry("a").card
    series = history_series(card)
    assert series["epoch"].tolist() == [1, 2] and series["test_kl_nats"].tolist() == [6.0, 8.0]
    assert series["seconds"].tolist() == [45.0, 45.0] and set(series) == set(card.history[0].__dataclass_fields__)
    assert history_series(None) == {} and history_series(sample_card(history=[])) == {}
    assert kl_per_dim(None)[1].size == 0
    dims, values = kl_per_dim(card)
    assert dims.tolist() == [0, 1, 2, 3] and values.tolist() == [0.5, 3.0, 0.01, 1.0]
    dims, values = kl_per_dim(card, sort=True)
    assert dims.tolist() == [1, 3, 0, 2] and values.tolist() == [3.0, 1.0, 0.5, 0.01]
    assert unit_activity(np.array([[0.0, 1.0], [0.0, -1.0]])).tolist() == [0.0, 1.0]


@pytest.mark.skipif(not (MODELS_DIR / "mnist-z16" / "card.json").exists(), reason="mnist-z16 not trained yet")
def test_real_cards_give_the_rate_distortion_points():
    entries = scan(MODELS_DIR)
    points = {p.name: p for p in rate_distortion(entries, "mnist")}
    for e in entries:
        if e.available and e.dataset == "mnist" and not e.config.is_autoencoder:  # autoencoders: no rate
            assert points[e.name].rate_nats == e.card.test.kl_nats
            assert points[e.name].distortion_nats == e.card.test.recon_nats
            assert len(kl_per_dim(e.card)[1]) == e.config.latent_dim
            # the card's −ELBO is the sum of its two terms
            assert e.card.test.neg_elbo_nats == pytest.approx(points[e.name].rate_nats + points[e.name].distortion_nats, rel=1e-6)


def test_autoencoders_are_kept_off_the_rate_axis():
    """β = 0: no KL term, so no rate to plot (its KL only says how far σ shrank); listed apart by its distortion."""
    from vae.analysis.compare import autoencoder_points

    entries = [entry("vae", kl=6, recon=150), entry("ae", beta=0.0, kl=300, recon=144), entry("ae-celeba", dataset="celeba", beta=0.0)]
    assert [p.name for p in rate_distortion(entries, "mnist")] == ["vae"]
    (ae,) = autoencoder_points(entries, "mnist")
    assert (ae.name, ae.latent_dim, ae.distortion_nats, ae.measured_kl_nats) == ("ae", 4, 144, 300)
    assert [p.name for p in autoencoder_points(entries, "celeba")] == ["ae-celeba"]


def test_metrics_row_of_an_autoencoder_has_no_kl_or_bound():
    row = metrics_row(entry("ae", beta=0.0, kl=300, recon=144))
    assert row["recon_nats"] == 144 and row["beta"] == 0.0
    assert all(row[k] is None for k in ("kl_nats", "neg_elbo_nats", "iw_bound_nats", "iw_images_neg_elbo_nats"))
