"""A model's decoder or encoder as a small layer list for the browser's own engine
(frontend/src/engine/net.js), instead of an ONNX graph and a 14 MB runtime.

    <part>-<sha12>.json   the spec: format, version, part, weights_sha256, input size, output shape,
                          dtype "float16" and the layers in order (linear, relu, silu, reshape,
                          conv, conv_transpose, residual, sigmoid, slice), each weight with its byte
                          offset and shape in the .bin
    <part>-<sha12>.bin    the weights, float16 little-endian, the values model.safetensors holds

The decoder maps a code (D,) to pixel means (C, H, W) in [0, 1]: the sigmoid of the logits, exactly
what `VAE.decode` and the ONNX export's decoder give. The encoder maps pixels (C, H, W) in [0, 1] to
the posterior mean μ (D,). sha12 is the start of the weights' sha256, and the spec carries the whole
hash: `read_net` refuses a file made from other weights (a retrained model).

A decoder whose code has two dimensions and whose first layers are linear → activation → linear (mnist-z2:
2 → 512 → 2048, a million weights) is sent factorised: the activations of a plane's codes span few
directions, so the second linear becomes two of rank k (512 → k → 2048), k the smallest whose pictures stay
within FACTOR_TOLERANCE of the model's over the plane's box and the test codes (`_factorise`). The spec
records it ("factorised": rank, box, the largest difference measured); the encoder is always sent whole.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from vae.artifacts.atlas import load_atlas
from vae.core.architectures.conv import ResBlock, ToFeatureMap
from vae.core.checkpoint import CheckpointError, load_model
from vae.core.derived import weights_sha256
from vae.core.model import VAE

FORMAT = "vae-browser-net"
VERSION = 1
Part = Literal["decoder", "encoder"]
FACTOR_RANKS = (16, 24, 32, 48, 64, 96, 128)  # tried in order, the first that keeps the pictures is sent
FACTOR_TOLERANCE = 1 / 255  # the factorised decoder's pictures against the model's: half the browser's 2/255
FACTOR_BOX = 8.0  # the codes checked span ±8 prior standard deviations (the sliders reach ±3), wider if a test code lies beyond
REBUILD = "write it again with vae.artifacts.browser_net.write_net (the dashboard does it when it starts)"


class _Weights:
    """The .bin being written: float16 arrays appended one after another, each at a byte offset."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size_bytes = 0

    def add(self, tensor: torch.Tensor) -> dict[str, Any]:
        values = tensor.detach().cpu().to(torch.float16).numpy().astype("<f2")
        if not np.array_equal(values.astype(np.float32), tensor.detach().cpu().float().numpy()):
            raise CheckpointError("a weight is not exactly a float16 value: the browser net would differ from the model")
        entry = {"offset": self.size_bytes, "shape": list(values.shape)}
        blob = values.tobytes()
        self.chunks.append(blob)
        self.size_bytes += len(blob)
        return entry


def _conv_out(size: int, layer: nn.Conv2d | nn.ConvTranspose2d) -> int:
    k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
    if isinstance(p, str):
        raise CheckpointError(f"{layer}: padding {p!r}; the browser engine handles numeric paddings only")
    if isinstance(layer, nn.ConvTranspose2d):
        return (size - 1) * s - 2 * p + k
    return (size + 2 * p - k) // s + 1


def _conv(layer: nn.Conv2d | nn.ConvTranspose2d, shape: list[int], weights: _Weights) -> tuple[dict[str, Any], list[int]]:
    """A (transposed) convolution's entry, for an input of shape (C, H, W) → (entry, output shape)."""
    if layer.bias is None or layer.groups != 1 or layer.dilation != (1, 1):
        raise CheckpointError(f"{layer}: the browser engine handles plain convolutions with a bias only")
    if layer.kernel_size[0] != layer.kernel_size[1] or layer.stride[0] != layer.stride[1] or layer.padding[0] != layer.padding[1]:
        raise CheckpointError(f"{layer}: the browser engine handles square kernels, strides and paddings only")
    transposed = isinstance(layer, nn.ConvTranspose2d)
    if transposed and (layer.output_padding != (0, 0)):
        raise CheckpointError(f"{layer}: output_padding is not handled by the browser engine")
    out_shape = [layer.out_channels, _conv_out(shape[1], layer), _conv_out(shape[2], layer)]
    entry = {
        "op": "conv_transpose" if transposed else "conv",
        "in_channels": layer.in_channels,
        "out_channels": layer.out_channels,
        "kernel": layer.kernel_size[0],
        "stride": layer.stride[0],
        "padding": layer.padding[0],
        "in_shape": list(shape),
        "out_shape": out_shape,
        # Conv2d: (out, in, k, k); ConvTranspose2d: (in, out, k, k), as torch stores them
        "weight": weights.add(layer.weight),
        "bias": weights.add(layer.bias),
    }
    return entry, out_shape


def _layers(module: nn.Module, shape: list[int], weights: _Weights) -> tuple[list[dict[str, Any]], list[int]]:
    """The entries of `module` for an input of `shape` (a flat vector is [n]) → (entries, output shape)."""
    if isinstance(module, nn.Sequential):
        out: list[dict[str, Any]] = []
        for child in module:
            entries, shape = _layers(child, shape, weights)
            out += entries
        return out, shape
    if isinstance(module, nn.Linear):
        if module.bias is None or shape != [module.in_features]:
            raise CheckpointError(f"{module}: expects a flat input of {module.in_features} with a bias, got {shape}")
        entry = {"op": "linear", "in_features": module.in_features, "out_features": module.out_features}
        entry |= {"weight": weights.add(module.weight), "bias": weights.add(module.bias)}  # weight (out, in)
        return [entry], [module.out_features]
    if isinstance(module, (nn.SiLU, nn.ReLU)):
        return [{"op": "silu" if isinstance(module, nn.SiLU) else "relu"}], shape
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        entry, shape = _conv(module, shape, weights)
        return [entry], shape
    if isinstance(module, ResBlock):
        body, body_shape = _layers(module.body, shape, weights)
        if body_shape != shape:
            raise CheckpointError(f"{module}: its body changes the shape {shape} → {body_shape}")
        return [{"op": "residual", "layers": body}], shape
    return _reshape(module, shape)


def _reshape(module: nn.Module, shape: list[int]) -> tuple[list[dict[str, Any]], list[int]]:
    """The weightless reshapes: the values stay in the same (C, H, W) row-major order."""
    size = int(np.prod(shape))
    if isinstance(module, ToFeatureMap):
        new = [module.channels, module.size, module.size]
    elif isinstance(module, nn.Unflatten):
        new = [int(v) for v in module.unflattened_size]
    elif isinstance(module, nn.Flatten):
        new = [size]
    elif isinstance(module, nn.Identity):
        return [], shape
    else:
        raise CheckpointError(f"{type(module).__name__}: a layer the browser engine does not know")
    if int(np.prod(new)) != size:
        raise CheckpointError(f"{module}: cannot reshape {shape} to {new}")
    if new == shape:
        return [], shape
    return [{"op": "reshape", "shape": new}], new


def _plane_codes(model_dir: Path) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Codes of the plane for _factorise: (fit, check, box): a grid over ±box and the test codes (when the
    model has an atlas) to fit the directions, another grid, random codes and the test codes to check."""
    codes = torch.zeros(0, 2)
    try:
        codes = torch.from_numpy(load_atlas(model_dir).mean.astype(np.float32))
    except CheckpointError:
        pass  # no atlas yet (a model being trained): the box alone
    box = max(FACTOR_BOX, 1.1 * float(codes.abs().max()) if len(codes) else 0.0)
    axis = torch.linspace(-box, box, 121)
    fit = torch.cat([torch.cartesian_prod(axis, axis), codes[::2]])
    half = (axis[:-1] + axis[1:]) / 2  # the fit grid's cell centres
    random = (torch.rand(4000, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1) * box
    return fit, torch.cat([torch.cartesian_prod(half[::2], half[::2]), random, codes[1::2]]), box


@torch.inference_mode()
def _factorise(model: VAE, model_dir: Path) -> tuple[nn.Module, dict[str, Any]] | None:
    """`from_latent` with its second linear as two of low rank, when the code has two dimensions and that
    keeps every checked picture within FACTOR_TOLERANCE while sending at most half its weights → (module,
    record); else None (the decoder is sent whole)."""
    layers = list(model.from_latent) if isinstance(model.from_latent, nn.Sequential) else []
    if model.config.latent_dim != 2 or len(layers) != 3 or not isinstance(layers[2], nn.Linear):
        return None
    first, act, second = layers[0], layers[1], layers[2]
    fit, check, box = _plane_codes(model_dir)
    _, _, vt = torch.linalg.svd(act(first(fit)).double(), full_matrices=False)  # uncentred: the bias stays exact
    reference = model.decode(check)
    n_in, n_out = second.in_features, second.out_features

    def largest_difference(factored: nn.Module, rows: slice) -> float:
        pixels = torch.sigmoid(model.decoder(model.to_feature_map(factored(check[rows]))))
        return float((pixels - reference[rows]).abs().max())

    for rank in (r for r in FACTOR_RANKS if r * (n_in + n_out) * 2 <= n_in * n_out):
        basis = vt[:rank].T  # (n_in, rank)
        down, up = nn.Linear(n_in, rank), nn.Linear(rank, n_out)
        down.weight.copy_(basis.T.half().float())
        down.bias.zero_()
        up.weight.copy_((second.weight.double() @ basis).half().float())
        up.bias.copy_(second.bias)
        factored = nn.Sequential(first, act, down, up)
        if largest_difference(factored, slice(None, None, 16)) > FACTOR_TOLERANCE:
            continue  # a sixteenth of the codes already tells: the next rank
        largest = largest_difference(factored, slice(None))
        if largest <= FACTOR_TOLERANCE:
            record = {
                "rank": rank,
                "box": round(box, 3),
                "codes_checked": len(check),
                "max_pixel_difference_255ths": round(largest * 255, 3),
            }
            return factored, record
    return None


def net_spec(model_dir: Path, part: Part, model: VAE | None = None, sha: str | None = None) -> tuple[dict[str, Any], bytes]:
    """The spec and the .bin's bytes of one part of the model in `model_dir`; or of `model` (the same
    architecture with other weights: its adversarial decoder), stamped with `sha` (their file's hash)."""
    if part not in ("decoder", "encoder"):
        raise ValueError(f"unknown part {part!r}; one of ('decoder', 'encoder')")
    model = load_model(model_dir) if model is None else model
    config, weights = model.config, _Weights()
    d = config.latent_dim
    factorised = _factorise(model, Path(model_dir)) if part == "decoder" else None
    if part == "decoder":
        first, rest = _layers(model.from_latent if factorised is None else factorised[0], [d], weights)
        second, rest = _layers(nn.Sequential(model.to_feature_map, model.decoder), rest, weights)
        layers, input_shape = [*first, *second, {"op": "sigmoid"}], [d]
    else:
        input_shape = list(config.image_shape)
        first, rest = _layers(nn.Sequential(model.encoder, nn.Flatten()), input_shape, weights)
        second, rest = _layers(model.to_posterior, rest, weights)
        layers = [*first, *second, {"op": "slice", "start": 0, "size": d}]  # μ: the first half of (μ, log σ²)
        rest = [d]
    sha = sha or weights_sha256(model_dir)
    spec = {
        "format": FORMAT,
        "version": VERSION,
        "part": part,
        "model": Path(model_dir).name,
        "weights_sha256": sha,
        "input_size": int(np.prod(input_shape)),
        "input_shape": input_shape,
        "output_shape": rest,
        "output": "pixel means in [0, 1]" if part == "decoder" else "posterior mean",
        "dtype": "float16",
        "bin": f"{part}-{sha[:12]}.bin",
        "bin_bytes": weights.size_bytes,
        "layers": layers,
    }
    if factorised is not None:  # other bytes than the whole net's: another .bin name, never mixed up in a cache
        spec |= {"factorised": factorised[1], "bin": f"{part}-{sha[:12]}-rank{factorised[1]['rank']}.bin"}
    return spec, b"".join(weights.chunks)


def write_net(model: Path, out_dir: Path, part: Part, weights: VAE | None = None, sha: str | None = None) -> Path:
    """Write `<part>-<sha12>.json` and `.bin` of the model folder `model` (or of `weights`, stamped with
    `sha`: see net_spec) into `out_dir` (a no-op when both exist for these weights) → the JSON's path."""
    spec, blob = net_spec(Path(model), part, weights, sha)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{part}-{spec['weights_sha256'][:12]}.json"
    bin_path = out_dir / spec["bin"]
    if json_path.exists() and bin_path.exists() and bin_path.read_bytes() == blob:
        return json_path
    for path, data in ((bin_path, blob), (json_path, json.dumps(spec).encode())):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # the .bin first: a JSON present means its .bin is complete
    return json_path


def read_net(json_path: Path, model_dir: Path, sha: str | None = None) -> dict[str, Any]:
    """A written net's spec; CheckpointError when it is unreadable, incomplete or made from other weights
    than the model folder's (or than those of hash `sha`)."""
    json_path = Path(json_path)
    try:
        spec = json.loads(json_path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{json_path}: not a readable browser net ({err}); {REBUILD}") from None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT or spec.get("version") != VERSION:
        raise CheckpointError(f"{json_path}: not a {FORMAT} file of version {VERSION}; {REBUILD}")
    if spec.get("weights_sha256") != (sha or weights_sha256(model_dir)):
        raise CheckpointError(f"{json_path}: made from other weights than {Path(model_dir)} (the model was retrained); {REBUILD}")
    bin_path = json_path.with_name(str(spec["bin"]))
    if not bin_path.is_file() or bin_path.stat().st_size != spec["bin_bytes"]:
        raise CheckpointError(f"{bin_path}: missing or not {spec['bin_bytes']} bytes long; {REBUILD}")
    return spec


DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "static" / "net"


def write_nets(model_dir: Path, root: Path = DEFAULT_ROOT) -> dict[str, Path]:
    """Both parts of a model's browser net in `<root>/<name>/<sha12>/` (the folders of earlier weights of
    this model are removed, as for the ONNX exports) → {"decoder": JSON path, "encoder": JSON path}."""
    model_dir = Path(model_dir)
    sha12 = weights_sha256(model_dir)[:12]
    folder = Path(root) / model_dir.name / sha12
    paths = {part: write_net(model_dir, folder, part) for part in ("decoder", "encoder")}
    for old in folder.parent.iterdir():
        if old != folder and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return paths
