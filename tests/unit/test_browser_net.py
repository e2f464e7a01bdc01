"""Browser nets (vae.artifacts.browser_net): the spec alone, read back and run layer by layer with torch's
functional ops, gives the model's decode and encoder μ, on every architecture (conv, conv with a hidden
layer, dense, res blocks); the .bin holds the model's float16 values; stale or cut files are refused.
The JavaScript engine is checked against torch by frontend/test/engine.test.js."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.conftest import MODELS_DIR
from vae.artifacts.atlas import load_atlas
from vae.artifacts.browser_net import FACTOR_BOX, FACTOR_TOLERANCE, read_net, write_net
from vae.core.checkpoint import CheckpointError, load_model, save_model
from vae.core.config import VAEConfig
from vae.core.model import VAE

CONFIGS = {
    "conv": VAEConfig(dataset="mnist", latent_dim=3, channels=[4, 8, 8]),  # 28 → 14 → 7 → 4: an odd size
    "conv-hidden-res": VAEConfig(dataset="celeba", latent_dim=5, channels=[4, 8], hidden=16, res_blocks=2, likelihood="gaussian"),
    "dense": VAEConfig(dataset="mnist", latent_dim=2, channels=[], hidden=12, architecture="dense"),
}


def random_model(config: VAEConfig, folder: Path) -> Path:
    """A model folder with every weight random (the res blocks' zero-initialised last convs too)."""
    torch.manual_seed(0)
    model = VAE(config)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0, 0.3)
    return save_model(model, folder)


def run_spec(json_path: Path, x: torch.Tensor) -> torch.Tensor:
    """One input through the spec's layers, weights read from the .bin at their offsets."""
    spec = json.loads(json_path.read_text())
    blob = (json_path.parent / spec["bin"]).read_bytes()

    def weight(ref: dict[str, Any]) -> torch.Tensor:
        count = int(np.prod(ref["shape"]))
        values = np.frombuffer(blob, "<f2", count, ref["offset"]).astype(np.float32)
        return torch.from_numpy(values.reshape(ref["shape"]))

    def run(layers: list[dict[str, Any]], h: torch.Tensor) -> torch.Tensor:
        for layer in layers:
            op = layer["op"]
            if op == "linear":
                h = F.linear(h, weight(layer["weight"]), weight(layer["bias"]))
            elif op in ("conv", "conv_transpose"):
                conv = F.conv2d if op == "conv" else F.conv_transpose2d
                h = conv(h[None], weight(layer["weight"]), weight(layer["bias"]), layer["stride"], layer["padding"])[0]
                assert list(h.shape) == layer["out_shape"]
            elif op == "residual":
                h = h + run(layer["layers"], h)
            elif op == "reshape":
                h = h.reshape(layer["shape"])
            elif op == "slice":
                h = h[layer["start"] : layer["start"] + layer["size"]]
            else:
                h = {"silu": F.silu, "relu": F.relu, "sigmoid": torch.sigmoid}[op](h)
        return h

    return run(spec["layers"], x.reshape(spec["input_shape"]))


@pytest.mark.parametrize("name", [*CONFIGS, "mnist-z16", "mnist-z2", "mnist-dense-z2", "celeba-z64"])
def test_the_spec_alone_gives_the_model(name, tmp_path):
    model_dir = random_model(CONFIGS[name], tmp_path / name) if name in CONFIGS else MODELS_DIR / name
    model = load_model(model_dir)
    d, image_shape = model.config.latent_dim, list(model.config.image_shape)
    decoder = write_net(model_dir, tmp_path / "nets", "decoder")
    encoder = write_net(model_dir, tmp_path / "nets", "encoder")
    sha12 = read_net(decoder, model_dir)["weights_sha256"][:12]
    assert decoder.name == f"decoder-{sha12}.json" and encoder.name == f"encoder-{sha12}.json"
    spec = read_net(decoder, model_dir)
    assert (spec["input_size"], spec["output_shape"], spec["dtype"]) == (d, image_shape, "float16")
    assert read_net(encoder, model_dir)["output_shape"] == [d]
    z = torch.randn(4, d, generator=torch.Generator().manual_seed(1))
    x = torch.rand(4, *image_shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        pixels, mean = model.decode(z), model.encode(x).mean
        for i in range(4):  # a factorised decoder (mnist-z2's) within its tolerance, the others exactly
            atol = FACTOR_TOLERANCE if "factorised" in spec else 1e-5
            assert torch.allclose(run_spec(decoder, z[i]), pixels[i], atol=atol)
            assert torch.allclose(run_spec(encoder, x[i]), mean[i], atol=1e-4)
    assert ("factorised" in spec) == (name == "mnist-z2")  # the one shipped decoder with a plane's code and a hidden layer


def test_a_factorised_decoder_sends_a_fraction_of_the_weights_and_draws_the_same_pictures(tmp_path):
    """mnist-z2's 512 → 2048 linear goes as two of low rank: under half the bytes, and the pictures within
    the tolerance at codes the check did not see, across the whole box (corners included) and at the test codes."""
    model_dir = MODELS_DIR / "mnist-z2"
    model = load_model(model_dir)
    spec = read_net(write_net(model_dir, tmp_path, "decoder"), model_dir)
    whole = 2 * sum(p.numel() for m in (model.from_latent, model.decoder) for p in m.parameters())
    record = spec["factorised"]
    assert spec["bin_bytes"] < whole / 2 and record["max_pixel_difference_255ths"] <= 255 * FACTOR_TOLERANCE
    assert record["box"] >= FACTOR_BOX and [layer["op"] for layer in spec["layers"][:4]] == ["linear", "silu", "linear", "linear"]
    box = record["box"]
    codes = torch.cat(
        [
            (torch.rand(300, 2, generator=torch.Generator().manual_seed(7)) * 2 - 1) * box,
            torch.tensor([[box, box], [-box, box], [box, -box], [-box, -box], [0.0, 0.0]]),
            torch.from_numpy(load_atlas(model_dir).mean[::97].astype(np.float32)),
        ]
    )
    path = tmp_path / f"decoder-{spec['weights_sha256'][:12]}.json"
    with torch.no_grad():
        pixels = model.decode(codes)
    largest = max(float((run_spec(path, codes[i]) - pixels[i]).abs().max()) for i in range(len(codes)))
    assert largest <= FACTOR_TOLERANCE, largest * 255


def test_the_bin_holds_the_models_float16_weights(tmp_path):
    model_dir = MODELS_DIR / "mnist-z16"
    spec = read_net(write_net(model_dir, tmp_path, "decoder"), model_dir)
    model = load_model(model_dir)
    decoder_params = sum(p.numel() for m in (model.from_latent, model.decoder) for p in m.parameters())
    assert spec["bin_bytes"] == 2 * decoder_params  # every decoder weight once, 2 bytes each
    first = spec["layers"][0]
    blob = (tmp_path / spec["bin"]).read_bytes()
    stored = np.frombuffer(blob, "<f2", int(np.prod(first["weight"]["shape"])), first["weight"]["offset"])
    assert np.array_equal(stored.reshape(first["weight"]["shape"]), model.from_latent.weight.half().numpy())


def test_a_stale_or_cut_net_is_refused(tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(MODELS_DIR / "mnist-dense-z2", model_dir)
    path = write_net(model_dir, tmp_path / "nets", "decoder")
    spec = read_net(path, model_dir)
    bin_path = path.with_name(spec["bin"])
    bin_path.write_bytes(bin_path.read_bytes()[:-2])
    with pytest.raises(CheckpointError, match="bytes long"):
        read_net(path, model_dir)
    random_model(VAEConfig(dataset="mnist", latent_dim=2, channels=[], hidden=128, architecture="dense"), model_dir)
    with pytest.raises(CheckpointError, match="other weights"):  # retrained: the same folder, new weights
        read_net(path, model_dir)
    fresh = write_net(model_dir, tmp_path / "nets", "decoder")
    assert fresh != path and read_net(fresh, model_dir)["weights_sha256"] != spec["weights_sha256"]
    path.write_text("{}")
    with pytest.raises(CheckpointError, match="not a vae-browser-net"):
        read_net(path, model_dir)
    with pytest.raises(ValueError, match="unknown part"):
        write_net(model_dir, tmp_path, "logvar")  # type: ignore[arg-type]
