"""Fixtures for the front end's unit tests (frontend/test/*.test.js, `node --test`): the Python side's
answers on synthetic inputs, written as JSON so the browser's pure modules are checked against them.
Run by scripts/run_tests.sh before node: `python -m tests.js_fixtures [folder]` (default
frontend/test/fixtures/, git-ignored). No dataset images: the digits are drawn here."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ui.components.live import DIGIT_CONSTANTS
from vae.analysis.placement import TSNE_NEIGHBOURS, place
from vae.artifacts.atlas import code_at, load_atlas
from vae.artifacts.browser_net import write_net
from vae.artifacts.projection import LatentPCA
from vae.core.checkpoint import ADVERSARIAL_FILE, load_model, save_model
from vae.core.config import VAEConfig
from vae.core.derived import file_sha256
from vae.core.latent import nearest_codes, path_at
from vae.core.model import VAE
from vae.data.inputs import canvas_to_digit
from vae.training.gan import load_adversarial

DEFAULT = Path(__file__).resolve().parents[1] / "frontend" / "test" / "fixtures"


def _canvas(strokes: list[list[tuple[float, float]]], side: int = 160, width: int = 14) -> np.ndarray:
    """A drawable-canvas-like RGBA picture: white strokes on a transparent background."""
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for line in strokes:
        draw.line(line, fill=(255, 255, 255, 255), width=width, joint="curve")
    return np.asarray(img)


def digits() -> dict:
    """Synthetic drawn digits through vae.data.inputs.canvas_to_digit: the RGBA canvas and the 28 × 28 digit."""
    ring = [(80 + 45 * np.sin(a), 80 + 60 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 40)]
    shapes = {
        "seven": [[(40, 30), (120, 30), (70, 140)]],
        "one": [[(85, 20), (78, 145)]],
        "zero": [[(float(x), float(y)) for x, y in ring]],
        "four_small": [[(60, 50), (50, 90), (90, 90)], [(80, 60), (80, 110)]],
    }
    out = []
    for name, strokes in shapes.items():
        rgba = _canvas(strokes)
        digit = canvas_to_digit(rgba)
        out.append(
            {
                "name": name,
                "width": rgba.shape[1],
                "height": rgba.shape[0],
                "rgba": base64.b64encode(rgba.tobytes()).decode(),
                "digit": [int(v) for v in digit.ravel()],
            }
        )
    return {"constants": DIGIT_CONSTANTS, "digits": out}


def paths(rng: np.random.Generator) -> list[dict]:
    """vae.core.latent.path_at on random, parallel and zero codes."""
    a, b = rng.normal(size=16), rng.normal(size=16)
    cases = [(a, b), (a, 2 * a), (np.zeros(16), b), (a, -a)]
    ts = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
    return [
        {"a": list(z0), "b": list(z1), "method": method, "ts": ts, "points": path_at(z0, z1, ts, method).tolist()}
        for z0, z1 in cases
        for method in ("lerp", "slerp")
    ]


def pca(rng: np.random.Generator) -> dict:
    """A LatentPCA fitted on random codes: its exact inverse at map points and its transform of codes."""
    codes = rng.normal(size=(200, 8)) * np.linspace(3, 0.5, 8)
    fitted = LatentPCA().fit(codes)
    coords = rng.normal(size=(10, 2)) * 2
    return {
        "mean": fitted.mean_.tolist(),
        "components": fitted.components_.tolist(),
        "coords": coords.tolist(),
        "inverse": fitted.inverse_transform(coords).tolist(),
        "codes": codes[:10].tolist(),
        "transform": fitted.transform(codes[:10]).tolist(),
    }


def nearest(rng: np.random.Generator) -> list[dict]:
    """vae.core.latent.nearest_codes where ties are real: float16-rounded points with exact duplicates,
    queried at the duplicates themselves, between them and at random spots."""
    out = []
    for dim in (2, 5):
        points = rng.normal(size=(300, dim)).astype(np.float16).astype(np.float32)
        points[100:110] = points[5]  # ten copies of row 5
        points[200:203] = points[150]
        queries = [points[5], points[150], (points[5] + points[150]) / 2, *rng.normal(size=(6, dim)).astype(np.float32)]
        grid = np.round(rng.uniform(-2, 2, size=(120, dim)) * 2) / 2  # on a lattice: many equal distances
        for pts, qs in ((points, queries), (grid.astype(np.float32), [np.zeros(dim, np.float32), np.full(dim, 0.25, np.float32)])):
            for q in qs:
                idx, dist = nearest_codes(pts.astype(np.float64), np.asarray(q, np.float64), k=12)
                out.append(
                    {
                        "dim": dim,
                        "points": [float(v) for v in pts.ravel()],
                        "query": [float(v) for v in q],
                        "k": 12,
                        "indices": idx.tolist(),
                        "distances": dist.tolist(),
                    }
                )
    return out


def picking(rng: np.random.Generator) -> dict:
    """Map points for the spatial index against the scan: clusters, exact duplicates and hidden points."""
    coords = np.concatenate([rng.normal(size=(2000, 2)), rng.normal(size=(500, 2)) * 0.05 + 3]).astype(np.float16).astype(np.float32)
    coords[10:20] = coords[3]
    hidden = (rng.random(len(coords)) < 0.1).tolist()
    return {"coords": [float(v) for v in coords.ravel()], "hidden": hidden}


MODELS = Path(__file__).resolve().parents[1] / "models"
# (model, part, how many inputs): the shipped architectures (conv, conv with a hidden layer, dense) and a
# random res-block config; ≥ 16 codes each (benchmarks/browser_decoder.py decodes ≥ 100 in a browser)
ENGINE_CASES = (
    ("mnist-z16", "decoder", 32),
    ("mnist-z16", "encoder", 8),
    ("mnist-dense-z2", "decoder", 32),
    ("mnist-dense-z2", "encoder", 8),
    ("mnist-z2", "decoder", 16),
    ("celeba-z64", "decoder", 16),
    ("celeba-z64-adversarial", "decoder", 16),  # its adversarial decoder (vae.training.gan), which the face pages draw with
    ("resblocks", "decoder", 16),
    ("resblocks", "encoder", 8),
)


def resblock_model(folder: Path) -> Path:
    """A small random conv model with res blocks and a hidden layer (no shipped model has res blocks):
    every weight drawn at random, the res blocks' last convs included (they start at zero)."""
    config = VAEConfig(dataset="celeba", latent_dim=6, channels=[8, 16], hidden=32, res_blocks=2, likelihood="gaussian")
    torch.manual_seed(25)
    model = VAE(config)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0, 0.3)
    return save_model(model, folder)


@torch.inference_mode()
def engine(folder: Path, rng: np.random.Generator) -> dict:
    """Browser nets (vae.artifacts.browser_net) written under folder/nets, and torch's answers on the same
    inputs: decoders on prior codes (pixel means and their uint8 as drawn), encoders on the drawn digits
    of digits() and random images (μ)."""
    cases = []
    for name, part, count in ENGINE_CASES:
        model_dir = resblock_model(folder / "models" / name) if name == "resblocks" else MODELS / name.removesuffix("-adversarial")
        if name.endswith("-adversarial"):
            model = load_adversarial(model_dir)[0]
            json_path = write_net(model_dir, folder / "nets" / name, part, model, file_sha256(model_dir / ADVERSARIAL_FILE))
        else:
            model = load_model(model_dir)
            json_path = write_net(model_dir, folder / "nets" / name, part)
        if part == "decoder":
            inputs = torch.from_numpy(rng.normal(size=(count, model.config.latent_dim)).astype(np.float32))
            outputs = model.decode(inputs)
        else:
            c, h, w = model.config.image_shape
            inputs = torch.from_numpy(rng.random((count, c, h, w)).astype(np.float32))
            if c == 1:  # the drawn digits first
                drawn = [np.asarray(d["digit"], np.float32) / 255 for d in digits()["digits"]]
                inputs[: len(drawn)] = torch.from_numpy(np.stack(drawn).reshape(-1, 1, h, w))
            outputs = model.encode(inputs).mean
        case = {
            "model": name,
            "part": part,
            "net": str(json_path.relative_to(folder)),
            "inputs": inputs.flatten(1).tolist(),
            "outputs": outputs.flatten(1).tolist(),
        }
        if part == "decoder":  # uint8 as the server rounds them, in (C, H, W) order
            case["pixels"] = (outputs.clamp(0, 1) * 255).round().to(torch.uint8).flatten(1).tolist()
        cases.append(case)
    return {"cases": cases}


def edition_placement(rng: np.random.Generator) -> list[dict]:
    """The student edition's placement.js on real maps: a pinned spot's code (vae.artifacts.atlas.code_at:
    PCA's inverse, t-SNE's blend of the k nearest; a test point's own code) and a drawn code's place
    (vae.analysis.placement.place), with the map's arrays as the edition ships them (float32)."""
    models = Path(__file__).resolve().parents[1] / "models"
    out = []
    for name, projection, k in (("mnist-z16", "pca", 1), ("mnist-dense-z2", "tsne", 5), ("mnist-dense-z2", "raw", 1)):
        atlas = load_atlas(models / name)
        coords = atlas.coords(projection).astype(np.float32)
        codes = atlas.mean.astype(np.float32)
        lo, hi = coords.min(0), coords.max(0)
        spots = [(float(x), float(y)) for x, y in rng.uniform(lo, hi, (6, 2))]
        rows = [int(i) for i in rng.choice(len(codes), 3, replace=False)]
        mus = np.concatenate([codes[rows], codes[rows] + rng.normal(0, 0.3, (3, codes.shape[1])).astype(np.float32)])
        big = projection == "tsne"  # the blend needs the whole map
        out.append(
            {
                "model": name,
                "map": {
                    "projection": projection,
                    "dim": int(codes.shape[1]),
                    "k": k,
                    "pca_mean": atlas.pca.mean_.tolist(),
                    "pca_components": atlas.pca.components_.tolist(),
                },
                "coords": coords.ravel().tolist() if big else [],
                "codes": codes.ravel().tolist() if big else codes[rows].ravel().tolist(),
                "spots": spots,
                "spot_codes": [code_at(atlas, projection, xy, k).code.tolist() for xy in spots],
                "rows": rows if big else [0, 1, 2],
                "row_codes": codes[rows].tolist(),
                "mus": mus.tolist(),
                "places": [place(atlas, mu, projection).tolist() for mu in mus],
                "place_k": TSNE_NEIGHBOURS,
            }
        )
    return out


def main(folder: Path = DEFAULT) -> None:
    rng = np.random.default_rng(20261207)
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in {
        "digits": digits(),
        "paths": paths(rng),
        "pca": pca(rng),
        "nearest": nearest(rng),
        "picking": picking(rng),
        "engine": engine(folder, rng),
        "edition_placement": edition_placement(rng),
    }.items():
        (folder / f"{name}.json").write_text(json.dumps(value))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
