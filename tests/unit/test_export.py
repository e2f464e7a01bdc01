"""ONNX exports (vae.artifacts.export) against torch, on every shipped model: the decoder within 1e-4 per
pixel on 256 random codes, the encoder on real test images; stale exports refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from tests.conftest import MODELS_DIR
from vae.artifacts.export import export_model, exports_of, main, read_meta
from vae.core.checkpoint import CheckpointError, load_model, save_model
from vae.data.datasets import load_celeba, load_mnist

ort = pytest.importorskip("onnxruntime")

SHIPPED = sorted(p.name for p in MODELS_DIR.iterdir() if (p / "model.safetensors").exists())


@pytest.fixture(scope="module")
def export_root(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx")


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", SHIPPED)
def test_decoder_and_encoder_match_torch(name, export_root, real_root):
    model = load_model(MODELS_DIR / name)
    exports = export_model(MODELS_DIR / name, export_root)
    meta = read_meta(exports.decoder, MODELS_DIR / name)
    assert meta["model"] == name and int(meta["latent_dim"]) == model.config.latent_dim
    z = np.random.default_rng(0).standard_normal((256, model.config.latent_dim)).astype(np.float32)
    with torch.no_grad():
        expected = model.decode(torch.from_numpy(z)).numpy()
    (got,) = session(exports.decoder).run(None, {"z": z})
    assert got.shape == expected.shape == (256, *model.config.image_shape)
    assert np.abs(got - expected).max() <= 1e-4
    (one,) = session(exports.decoder).run(None, {"z": z[:1]})  # the batch is dynamic: one code, as the browser sends
    assert np.abs(one - expected[:1]).max() <= 1e-4

    if model.config.dataset == "mnist":
        images, _ = load_mnist("test", real_root)
        x = (images[:64].astype(np.float32) / 255.0)[:, None]
    else:
        images, _, _ = load_celeba("test", real_root)
        x = np.ascontiguousarray(images[:64].astype(np.float32).transpose(0, 3, 1, 2) / 255.0)
    with torch.no_grad():
        posterior = model.encode(torch.from_numpy(x))
    mean, logvar = session(exports.encoder).run(None, {"x": x})
    assert np.abs(mean - posterior.mean.numpy()).max() <= 1e-4
    assert np.abs(logvar - posterior.logvar.numpy()).max() <= 1e-3


def test_exports_hold_half_precision_weights(export_root):
    exports = export_model(MODELS_DIR / "mnist-z16", export_root)
    weights_bytes = (MODELS_DIR / "mnist-z16" / "model.safetensors").stat().st_size
    size = exports.decoder.stat().st_size + exports.encoder.stat().st_size
    assert 0.8 * weights_bytes < size < 1.3 * weights_bytes  # fp16, like the weights file (fp32 would be 2×)


def test_a_retrained_model_gets_new_exports_and_old_ones_are_refused(tmp_path):
    folder = tmp_path / "models" / "mnist-z2"
    shutil.copytree(MODELS_DIR / "mnist-z2", folder)
    root = tmp_path / "onnx"
    first = export_model(folder, root)
    stamp = first.decoder.stat().st_mtime_ns
    assert export_model(folder, root).decoder.stat().st_mtime_ns == stamp  # the same weights: nothing redone
    saved_old = tmp_path / "old-decoder.onnx"
    shutil.copy(first.decoder, saved_old)

    model = load_model(folder)  # "retrain": other weights in the same folder
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    save_model(model, folder)
    second = exports_of(folder, root)
    assert second.folder != first.folder and not second.exist()
    with pytest.raises(CheckpointError, match="other weights"):
        read_meta(saved_old, folder)
    export_model(folder, root)
    assert second.exist() and not first.folder.exists()  # the stale folder is gone
    assert read_meta(second.decoder, folder)["weights_sha256"] == second.weights_sha256


def test_cli_reports_a_bad_folder(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--root", str(tmp_path / "onnx")]) == 1
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([])


def test_a_residual_decoder_saves_loads_and_exports(tmp_path):
    """`--res-blocks` (the Dai & Wipf scale blocks): the config round-trips, a shipped model's 0 is the plain
    mirror, and the browser's ONNX decoder computes what torch computes."""
    from vae.core.config import VAEConfig
    from vae.core.model import VAE

    torch.manual_seed(0)
    model = VAE(VAEConfig(dataset="celeba", latent_dim=8, channels=[8, 16], likelihood="gaussian", res_blocks=2)).eval()
    with torch.no_grad():  # the blocks start as the identity; give them weights so the test sees them
        for p in model.decoder.parameters():
            p.add_(0.02 * torch.randn_like(p))
    folder = tmp_path / "models" / "tiny-res"
    save_model(model, folder)
    again = load_model(folder)
    assert again.config.res_blocks == 2 and again.num_parameters() == model.num_parameters()
    z = torch.randn(3, 8)
    with torch.no_grad():
        expected = again.decode(z).numpy()
    assert expected.shape == (3, 3, 64, 64)
    exports = export_model(folder, tmp_path / "onnx")
    session = ort.InferenceSession(str(exports.decoder))
    got = session.run(None, {session.get_inputs()[0].name: z.numpy()})[0]
    np.testing.assert_allclose(got.reshape(expected.shape), expected, atol=4e-3)
    plain = json.loads((MODELS_DIR / "celeba-z64" / "config.json").read_text())
    assert plain["res_blocks"] == 0 and VAEConfig.from_dict(plain).res_blocks == 0
