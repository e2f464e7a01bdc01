"""ONNX exports of a model's decoder and encoder, for decoding in the browser (onnxruntime-web).

    vae-explorer export models/<name> [models/<name> ...]     # or: vae-explorer export --all

Each model gets `decoder.onnx` (z (B, D) float32 → pixel means (B, C, H, W) in [0, 1]) and
`encoder.onnx` (images (B, C, H, W) in [0, 1] → posterior mean and log-variance (B, D)), with a
dynamic batch. The weights are stored in half precision, as in model.safetensors (so nothing is
lost), and cast to float32 inside the graph: a file is about the size of the weights it holds.
tests/unit/test_export.py checks both against torch (max absolute difference ≤ 1e-4 on 256 random
codes, and on real test images).

Derived files: they go to `<root>/<name>/<sha12>/`, sha12 being the start of the weights' sha256,
and each carries the whole hash in its metadata. A retrained model therefore gets a new folder (the
old one is removed), a browser never decodes with stale weights under a cached URL, and `read_meta`
refuses a file made from other weights. The root defaults to `static/onnx/` beside dashboard.py,
where Streamlit's static serving sends them to the browser; they are made on first start (the
dashboard's warm-up) and are not committed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from vae.artifacts.browser_net import DEFAULT_ROOT as NET_ROOT
from vae.artifacts.browser_net import write_nets
from vae.core.checkpoint import WEIGHTS_FILE, CheckpointError, load_model
from vae.core.derived import weights_sha256
from vae.core.model import VAE

if TYPE_CHECKING:  # imported where it is used: see onnx_bytes
    import onnx
from vae.data.command_line import command_parser

EXAMPLES = (
    "vae-explorer export models/mnist-z16",
    "vae-explorer export --all --net --quiet   # the browser engine's nets of every model (what scripts/setup.sh runs)",
)

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "static" / "onnx"
PARTS = ("decoder", "encoder")
OPSET = 17
REBUILD = "run `vae-explorer export models/<name>` (the dashboard also does it when it starts)"


@dataclass(frozen=True)
class Exports:
    """Where one model's exports live."""

    name: str
    weights_sha256: str
    folder: Path

    @property
    def decoder(self) -> Path:
        return self.folder / "decoder.onnx"

    @property
    def encoder(self) -> Path:
        return self.folder / "encoder.onnx"

    def exist(self) -> bool:
        return self.decoder.exists() and self.encoder.exists()


def exports_of(model_dir: Path, root: Path = DEFAULT_ROOT) -> Exports:
    model_dir = Path(model_dir)
    sha = weights_sha256(model_dir)
    return Exports(model_dir.name, sha, Path(root) / model_dir.name / sha[:12])


class _Decoder(nn.Module):
    def __init__(self, model: VAE):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


class _Encoder(nn.Module):
    def __init__(self, model: VAE):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        posterior = self.model.encode(x)
        return posterior.mean, posterior.logvar


def onnx_bytes(model: VAE, part: str, metadata: dict[str, str]) -> bytes:
    """One part ('decoder' or 'encoder') of `model` as an ONNX file with half-precision weights."""
    import onnx  # over a second to import: only where a file is written or read, not when the app imports this module

    model = model.float().eval()
    d = model.config.latent_dim
    c, h, w = model.config.image_shape
    module: nn.Module
    if part == "decoder":
        module, example, inputs, outputs = _Decoder(model), torch.zeros(2, d), ["z"], ["x"]
    elif part == "encoder":
        module, example, inputs, outputs = _Encoder(model), torch.zeros(2, c, h, w), ["x"], ["mean", "logvar"]
    else:
        raise ValueError(f"unknown part {part!r}; one of {PARTS}")
    with tempfile.TemporaryDirectory() as folder, torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter (dynamo=False) needs no onnxscript and handles these plain
        # Conv/Linear/SiLU graphs; torch 2.9+ warns that it is no longer the default
        warnings.simplefilter("ignore", DeprecationWarning)
        path = Path(folder) / f"{part}.onnx"  # torch.onnx.export writes to a path (its documented argument)
        torch.onnx.export(
            module,
            (example,),
            path,
            dynamo=False,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes={name: {0: "batch"} for name in inputs + outputs},
            opset_version=OPSET,
            do_constant_folding=True,
        )
        graph = onnx.load_from_string(path.read_bytes())
    _half_weights(graph)
    for key, value in metadata.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(graph)
    return graph.SerializeToString()


def _half_weights(graph: onnx.ModelProto) -> None:
    """Store every float32 weight as float16 and cast it back to float32 where the graph starts."""
    from onnx import TensorProto, helper, numpy_helper  # slow to import: see onnx_bytes

    casts = []
    for init in graph.graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(init)
        if values.size < 16:  # scalars and tiny vectors: not worth a cast
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(values.astype(np.float16), name + "__fp16"))
        casts.append(helper.make_node("Cast", [name + "__fp16"], [name], to=TensorProto.FLOAT, name=name + "__cast"))
    nodes = list(graph.graph.node)
    del graph.graph.node[:]
    graph.graph.node.extend(casts + nodes)


def export_model(model_dir: Path, root: Path = DEFAULT_ROOT) -> Exports:
    """Write both exports of the model in `model_dir` (a no-op when they exist for these weights)."""
    model_dir = Path(model_dir)
    if not (model_dir / WEIGHTS_FILE).is_file():
        raise CheckpointError(f"{model_dir}: no {WEIGHTS_FILE} here, not a model folder")
    target = exports_of(model_dir, root)
    if target.exist():
        return target
    model = load_model(model_dir)
    meta = {
        "model": target.name,
        "weights_sha256": target.weights_sha256,
        "latent_dim": str(model.config.latent_dim),
        "image_shape": ",".join(str(v) for v in model.config.image_shape),
    }
    blobs = {part: onnx_bytes(model, part, meta | {"part": part}) for part in PARTS}
    tmp = target.folder.with_name(target.folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for part, blob in blobs.items():
        (tmp / f"{part}.onnx").write_bytes(blob)
    shutil.rmtree(target.folder, ignore_errors=True)
    tmp.rename(target.folder)
    for old in target.folder.parent.iterdir():  # exports of earlier weights of this model
        if old != target.folder:
            shutil.rmtree(old, ignore_errors=True)
    return target


def read_meta(path: Path, model_dir: Path) -> dict[str, str]:
    """An export's metadata; CheckpointError when it is unreadable or made from other weights."""
    import onnx  # slow to import: see onnx_bytes

    path = Path(path)
    try:
        graph = onnx.load(str(path), load_external_data=False)
    except Exception as err:  # onnx raises several kinds (DecodeError, OSError, ...)
        raise CheckpointError(f"{path}: not a valid ONNX export ({err}); {REBUILD}") from None
    meta = {p.key: p.value for p in graph.metadata_props}
    if meta.get("weights_sha256") != weights_sha256(model_dir):
        raise CheckpointError(f"{path}: made from other weights than {Path(model_dir)} (the model was retrained); {REBUILD}")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("export", __doc__.split("\n\n")[0], EXAMPLES)
    parser.add_argument("models", nargs="*", type=Path, help="model folders (models/<name>)")
    parser.add_argument("--all", action="store_true", help="every model folder under models/")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=f"where exports go (default {DEFAULT_ROOT})")
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    parser.add_argument(
        "--net",
        action="store_true",
        help=f"write the browser engine's nets instead (vae.artifacts.browser_net: JSON + float16 .bin; default root {NET_ROOT})",
    )
    args = parser.parse_args(argv)
    folders = list(args.models)
    if args.all:
        models = Path(__file__).resolve().parents[2] / "models"
        folders += sorted(p for p in models.iterdir() if (p / "model.safetensors").exists())
    if not folders:
        parser.error("name at least one model folder, or --all")
    if args.net:
        return _write_nets(folders, args.root if args.root != DEFAULT_ROOT else NET_ROOT, args.quiet)
    failed = 0
    for folder in folders:
        try:
            out = export_model(folder, args.root)
        except CheckpointError as err:
            print(f"{folder}: {err}", file=sys.stderr)
            failed += 1
            continue
        if not args.quiet:
            sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.2f} MB" for p in (out.decoder, out.encoder))
            print(f"{out.name}: {sizes} → {out.folder}")
    return 1 if failed else 0


def _write_nets(folders: list[Path], root: Path, quiet: bool) -> int:
    """The browser nets of each model folder under root → the exit status (1 when any failed)."""
    failed = 0
    for folder in folders:
        try:
            paths = write_nets(folder, root)
        except (CheckpointError, OSError) as err:
            print(f"{folder}: {err}", file=sys.stderr)
            failed += 1
            continue
        if not quiet:
            sizes = ", ".join(f"{p.name} + .bin {p.with_suffix('.bin').stat().st_size / 1e6:.2f} MB" for p in paths.values())
            print(f"{Path(folder).name}: {sizes} → {paths['decoder'].parent}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
