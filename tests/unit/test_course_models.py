"""The course's dense architecture and its shipped models: the dense VAE's exact layers, its
config (schema version 3), training and export; the shipped dense VAE, its autoencoder (β = 0) and
their β family, fresh and behaving as claimed on the real test set; the zoo's compact derived files, and
the refusal of a derived file in another layout."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from tests.conftest import MODELS_DIR, needs
from vae import VAE, VAEConfig, load_model
from vae.analysis.aggregate import aggregate_moments, gaussian_kl_to_prior, map_extent, prior_match
from vae.analysis.compare import autoencoder_points, rate_distortion
from vae.analysis.zoo import beta_family, scan
from vae.artifacts.atlas import ATLAS_FILE, LAYOUT, load_atlas
from vae.artifacts.density import DENSITY_FILE, load_density, pack_lower, unpack_lower
from vae.artifacts.quality import load_quality
from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError
from vae.core.config import ConfigError
from vae.core.derived import file_sha256
from vae.data.datasets import load_split, to_tensor

VAE_NAME, AE_NAME = "mnist-dense-z2", "mnist-dense-z2-ae"
FAMILY = [AE_NAME, "mnist-dense-z2-beta0.5", VAE_NAME, "mnist-dense-z2-beta2", "mnist-dense-z2-beta4", "mnist-dense-z2-beta8"]
BETAS = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]


def course_config(**changes) -> VAEConfig:
    return VAEConfig(**{"dataset": "mnist", "latent_dim": 2, "architecture": "dense", "channels": [], "hidden": 128, **changes})


# ---- the architecture ----------------------------------------------------------------------------
def test_dense_layers_are_exactly_the_course_ones():
    model = VAE(course_config())
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(784, 128), (128, 4), (2, 128), (128, 784)]
    assert [type(m) for m in model.encoder] == [nn.Flatten, nn.Linear, nn.ReLU]
    assert [type(m) for m in model.from_latent] == [nn.Linear, nn.ReLU]
    assert not any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.SiLU)) for m in model.modules())
    assert model.num_parameters() == (784 * 128 + 128) + (128 * 4 + 4) + (2 * 128 + 128) + (128 * 784 + 784)


def test_dense_shapes_range_and_loss():
    torch.manual_seed(0)
    model = VAE(course_config()).eval()
    x = torch.rand(5, 1, 28, 28)
    posterior = model.encode(x)
    assert posterior.mean.shape == posterior.logvar.shape == (5, 2)
    # μ and log σ² are the two halves of one 128 → 4 linear map of the hidden ReLU layer
    hidden = torch.relu(x.flatten(1) @ model.encoder[1].weight.T + model.encoder[1].bias)
    torch.testing.assert_close(torch.cat([posterior.mean, posterior.logvar], 1), model.to_posterior(hidden))
    out = model.decode(posterior.mean)
    assert out.shape == (5, 1, 28, 28) and 0 <= out.min() and out.max() <= 1
    # decode = sigmoid(W₂ ReLU(W₁ z + b₁) + b₂), reshaped to the image
    z = torch.randn(3, 2)
    h = torch.relu(z @ model.from_latent[0].weight.T + model.from_latent[0].bias)
    expected = torch.sigmoid(h @ model.decoder[0].weight.T + model.decoder[0].bias).view(3, 1, 28, 28)
    torch.testing.assert_close(model.decode(z), expected)
    terms = model(x, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(terms.loss, terms.recon_nats + terms.kl_nats)


def test_beta_zero_loss_is_the_reconstruction_alone():
    model = VAE(course_config(beta=0.0))
    assert model.config.is_autoencoder and not VAE(course_config()).config.is_autoencoder
    terms = model(torch.rand(4, 1, 28, 28), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(terms.loss, terms.recon_nats)
    assert (terms.kl_nats > 0).all()  # measured all the same


def test_config_round_trip_and_version_3(tmp_path):
    config = course_config(beta=0.0)
    data = config.to_dict()
    assert data["schema_version"] == 3 and data["architecture"] == "dense" and data["channels"] == []
    assert VAEConfig.from_dict(json.loads(json.dumps(data))) == config
    with pytest.raises(ConfigError, match=r"missing config key\(s\) \['architecture'\]"):  # a file must say which
        VAEConfig.from_dict({k: v for k, v in data.items() if k != "architecture"})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"architecture": "mlp"}, "architecture must be one of"),
        ({"channels": [32]}, "channels must be \\[\\]"),
        ({"hidden": 0}, "hidden ≥ 1"),
        ({"res_blocks": 1}, "res_blocks 0"),
    ],
)
def test_configs_that_describe_no_dense_model_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        course_config(**changes)


def test_training_a_dense_model_on_real_mnist(real_root, tmp_path):
    from vae.training.train import main

    out = tmp_path / "dense"
    argv = ["--dataset", "mnist", "--architecture", "dense", "--hidden", "128", "--latent-dim", "2", "--epochs", "2"]
    argv += ["--train-limit", "2048", "--test-limit", "256", "--iw-samples", "4", "--iw-images", "8", "--threads", "1", "--out", str(out)]
    assert main(argv) == 0
    model = load_model(out)
    assert model.config == course_config()
    assert json.loads((out / "config.json").read_text())["architecture"] == "dense"
    assert main([*argv[:-2], "--channels", "4", "8", "--out", str(tmp_path / "bad")]) == 1  # no convolutions to size
    assert not (tmp_path / "bad").exists()


# ---- the shipped models --------------------------------------------------------------------------
@needs(*FAMILY)
@pytest.mark.parametrize("name", FAMILY)
def test_shipped_course_models_are_dense_z2_and_their_derived_files_fresh(name):
    model = load_model(MODELS_DIR / name)
    assert model.config == course_config(beta=BETAS[FAMILY.index(name)])
    sha = file_sha256(MODELS_DIR / name / WEIGHTS_FILE)
    assert load_atlas(MODELS_DIR / name).weights_sha256 == sha
    assert load_density(MODELS_DIR / name).meta["weights_sha256"] == sha
    assert load_quality(MODELS_DIR / name)["weights_sha256"] == sha


@needs(*FAMILY)
def test_the_family_is_found_by_beta_alone_and_ordered():
    entries = scan(MODELS_DIR)
    assert [e.name for e in beta_family(entries, VAE_NAME)] == FAMILY
    assert [e.name for e in beta_family(entries, AE_NAME)] == FAMILY
    assert VAE_NAME not in [e.name for e in beta_family(entries, "mnist-z2")]  # same size, other architecture
    assert beta_family(entries, "no-such-model") == []
    # the KL term's weight buys a smaller rate: the KL falls at every step of β. At 2 dimensions the
    # reconstruction hardly moves up to β = 2 (within a nat, the spread between runs), then worsens.
    cards = {e.name: e.card for e in entries}
    kl = [cards[n].test.kl_nats for n in FAMILY[1:]]
    assert kl == sorted(kl, reverse=True) and len(set(kl)) == len(kl)
    recon = {beta: cards[n].test.recon_nats for beta, n in zip(BETAS, FAMILY)}
    assert max(recon[b] for b in (0.0, 0.5, 1.0, 2.0)) - min(recon[b] for b in (0.0, 0.5, 1.0, 2.0)) < 2.0
    assert max(recon[b] for b in (0.0, 0.5, 1.0, 2.0)) < recon[4.0] < recon[8.0]


@needs(VAE_NAME, AE_NAME)
def test_the_autoencoder_is_kept_off_the_rate_axis():
    entries = scan(MODELS_DIR)
    assert AE_NAME not in {p.name for p in rate_distortion(entries, "mnist")}
    assert VAE_NAME in {p.name for p in rate_distortion(entries, "mnist")}
    (ae,) = [a for a in autoencoder_points(entries, "mnist") if a.name == AE_NAME]
    card = next(e.card for e in entries if e.name == AE_NAME)
    assert (ae.distortion_nats, ae.measured_kl_nats, ae.architecture) == (card.test.recon_nats, card.test.kl_nats, "dense")


@needs(VAE_NAME, AE_NAME)
def test_autoencoder_and_vae_latent_spaces_on_the_real_test_set(real_root):
    """The claims the lesson makes, measured afresh from the models on the real test images."""
    images, _ = load_split("mnist", "test")
    x = to_tensor(images)
    codes = {}
    for name in (VAE_NAME, AE_NAME):
        with torch.inference_mode():
            posterior = load_model(MODELS_DIR / name).encode(x)
        codes[name] = (posterior.mean.numpy(), posterior.logvar.numpy(), posterior.kl().numpy())
    vae_mu, vae_logvar, vae_kl = codes[VAE_NAME]
    ae_mu, ae_logvar, ae_kl = codes[AE_NAME]
    # no KL term: σ has shrunk toward the clamp (LOGVAR_MIN = −30), z ≈ μ, and the KL it was never
    # charged is far larger than the VAE's
    assert np.median(ae_logvar) < -20 and np.median(ae_logvar) < np.median(vae_logvar) - 10
    assert ae_kl.mean() > 10 * vae_kl.mean()
    # the VAE's aggregate posterior is near N(0, I): centred, variance of order 1; the autoencoder's
    # codes are off-centre and spread over a hundred times the prior's variance
    vae_mean, vae_var = aggregate_moments(vae_mu, vae_logvar)
    ae_mean, ae_var = aggregate_moments(ae_mu, ae_logvar)
    assert np.abs(vae_mean).max() < 0.3 and np.all((0.5 < vae_var) & (vae_var < 2.0))
    assert np.abs(ae_mean).max() > 3 and ae_var.min() > 50
    assert gaussian_kl_to_prior(vae_mean, vae_var) < 0.5 < 50 < gaussian_kl_to_prior(ae_mean, ae_var)
    # and draws from the prior land among the VAE's codes far more often than among the autoencoder's
    vae_match, ae_match = prior_match(load_atlas(MODELS_DIR / VAE_NAME)), prior_match(load_atlas(MODELS_DIR / AE_NAME))
    assert vae_match.holes < 0.25 < 0.5 < ae_match.holes
    assert abs(vae_match.inside[2.0] - vae_match.prior_inside[2.0]) < abs(ae_match.inside[2.0] - ae_match.prior_inside[2.0])


def test_aggregate_moments_of_a_mixture():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(1.0, 2.0, (20000, 3)), np.full((20000, 3), np.log(0.5))
    mean, var = aggregate_moments(mu, logvar)
    # sampling the mixture gives the same moments
    z = mu + np.sqrt(0.5) * rng.standard_normal(mu.shape)
    np.testing.assert_allclose(mean, z.mean(0), atol=0.05)
    np.testing.assert_allclose(var, z.var(0), rtol=0.03)
    assert gaussian_kl_to_prior(np.zeros(3), np.ones(3)) == 0.0
    assert map_extent([np.array([[0.1, 0.2]])]) == pytest.approx(2.5 * 1.08)  # the prior's 2σ circle always fits


def synthetic_atlas(codes: np.ndarray):
    from vae.artifacts.atlas import UMAP_PARAMS, Atlas
    from vae.artifacts.projection import LatentPCA

    codes = codes.astype(np.float32)
    zeros = np.zeros(len(codes), np.float32)
    pca = LatentPCA(2).fit(codes)
    return Atlas(
        np.arange(len(codes)),
        codes,
        codes * 0 - 4.0,
        zeros,
        zeros,
        pca.transform(codes).astype(np.float32),
        codes,
        pca,
        "",
        codes,
        UMAP_PARAMS,
    )


def test_holes_are_calibrated_on_codes_spread_like_the_prior():
    """Codes drawn from N(0, I) themselves leave about HOLE_LEVEL of the prior's draws in holes; the
    same codes squeezed or spread by a factor of 3 leave a third or more of them in holes."""
    from vae.analysis.aggregate import HOLE_LEVEL, hole_share

    codes = np.random.default_rng(7).standard_normal((10000, 2))
    assert hole_share(synthetic_atlas(codes)) == pytest.approx(HOLE_LEVEL, abs=0.01)
    assert hole_share(synthetic_atlas(codes / 3)) > 0.3 and hole_share(synthetic_atlas(codes * 3)) > 0.3
    assert hole_share(synthetic_atlas(np.random.default_rng(7).standard_normal((1000, 16)))) is None  # 2-D only
    match = prior_match(synthetic_atlas(codes))
    assert match.inside[1.0] == pytest.approx(match.prior_inside[1.0], abs=0.02)
    assert match.moment_kl_nats < 0.01


# ---- compact derived files ------------------------------------------------------------------------
def test_packed_cholesky_factors_round_trip():
    rng = np.random.default_rng(1)
    factors = np.tril(rng.standard_normal((3, 5, 5))).astype(np.float32)
    packed = pack_lower(factors)
    assert packed.shape == (3, 15)
    np.testing.assert_array_equal(unpack_lower(packed, 5), factors)
    with pytest.raises(ValueError):
        unpack_lower(packed, 4)


@needs("mnist-z16")
def test_derived_files_in_another_layout_are_refused_with_the_command_that_rebuilds_them(tmp_path):
    """An atlas that stores its PCA coordinates, int64 test indices and float32 t-SNE, and a mixture
    that stores full Cholesky factors, are not read: the loaders name what differs and the command."""
    folder = tmp_path / "mnist-z16"
    shutil.copytree(MODELS_DIR / "mnist-z16", folder)
    atlas = load_atlas(folder)
    with safe_open(str(folder / ATLAS_FILE), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(folder / ATLAS_FILE))
    tensors |= {"pca_coords": torch.from_numpy(atlas.pca_coords), "test_index": torch.from_numpy(atlas.test_index)}
    save_file(tensors | {"tsne_coords": tensors["tsne_coords"].float()}, str(folder / ATLAS_FILE), metadata=meta)
    message = (
        rf"{re.escape(str(folder / ATLAS_FILE))}: not in the atlas layout this code reads \(unexpected tensors \['pca_coords'\]; "
        rf"other dtypes \['test_index', 'tsne_coords'\]\); rebuild it with `vae-explorer atlas {re.escape(str(folder))}`"
    )
    with pytest.raises(CheckpointError, match=message):
        load_atlas(folder)
    density = load_density(folder)
    with safe_open(str(folder / DENSITY_FILE), framework="pt") as f:
        meta = f.metadata()
    full = {k: torch.from_numpy(np.ascontiguousarray(density.arrays[k])) for k in ("weights", "means", "cholesky")}
    save_file(full, str(folder / DENSITY_FILE), metadata=meta)
    with pytest.raises(
        CheckpointError,
        match=r"holds \['weights', 'means', 'cholesky_packed'\], this one \['cholesky', 'means', 'weights'\]\); fit it with `vae-explorer density",
    ):
        load_density(folder)


@needs("mnist-z16")
def test_every_shipped_derived_file_loads_in_the_current_layout():
    for folder in sorted(p for p in MODELS_DIR.iterdir() if (p / ATLAS_FILE).exists()):
        with safe_open(str(folder / ATLAS_FILE), framework="np") as f:
            assert set(f.keys()) == set(LAYOUT), folder.name  # every test image in order: no test_index
        atlas = load_atlas(folder)
        assert atlas.weights_sha256 == file_sha256(folder / WEIGHTS_FILE) and len(atlas.pca_coords) == len(atlas.mean)
        if (folder / DENSITY_FILE).exists():
            assert load_density(folder).sample(4, seed=1).shape == (4, atlas.mean.shape[1]), folder.name
