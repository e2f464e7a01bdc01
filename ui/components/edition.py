"""The student edition: one model's explorer as a folder of static files that runs with no server
(issue 25, item 4). `vae-explorer share --model NAME --out DIR [--lang fr|en]` (ui/serve/share.py)
writes it, and the map page's "Share with students" button gives it as a .zip (share_button).

    DIR/index.html                    small; names the scene and the bundle (may change between exports)
    DIR/assets/edition-<hash>.js      frontend/src/edition bundled by esbuild (static/edition/edition.mjs)
    DIR/assets/scene-<hash>.json      the map's payload (ui.components.live.map_payload), the sliders'
                                      order and labels, the digit constants, both languages' texts
    DIR/assets/<part>-<hash>.json/bin the decoder (and MNIST's encoder) for the browser's engine
                                      (vae.artifacts.browser_net.write_net)
    DIR/assets/tfjs-<hash>/           tfjs's WebAssembly, which the engine runs the bigger nets on
                                      (static/tfjs/; its files keep the names tfjs asks for)
    DIR/assets/atlas-…, colours-…, faces-…  the map's arrays and, on CelebA, the faces' sprite sheet

Every name under assets/ carries the start of its content's sha256 (for tfjs, its folder's name), so
a static host may cache them for good. The test images of the faces' sprite are joined from the data directory at export time, as
the dashboard does (ui.components.live.face_sprites); nothing of the datasets enters the repository.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import io
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.components import live, widgets
from ui.components.figures import map_labels
from ui.shell.i18n import LANGUAGES, current_language, say, t
from ui.shell.resources import ModelKey, card_of, model_key, models_dir, ready_of
from vae.analysis.explore_ops import SLIDER_LIMIT, TOP_SLIDERS, dims_by_kl, kl_per_dim, unit_usage
from vae.analysis.placement import TSNE_NEIGHBOURS
from vae.artifacts.browser_net import Part, write_net
from vae.core.checkpoint import CheckpointError

BUNDLE = live.STATIC / "edition" / "edition.mjs"  # esbuild's bundle of frontend/src/edition (scripts/build_frontend.sh)
BUDGET_BYTES = {"mnist": 3_000_000, "celeba": 6_000_000}  # transferred (gzip where it helps), issue 25
FACES_COLOUR = "attr:Smiling"  # the CelebA map's colouring in the edition
# The catalogue keys the edition's page reads (frontend/src/edition): both languages travel in the scene.
TEXT_KEYS = (
    "map.title", "map.faces", "edition.tab.map", "edition.tab.sliders", "edition.tab.path", "edition.tab.draw", "edition.draw_help",
    "sliders.decoded", "sliders.from_mean", "interp.scrub_t", "interp.method", "interp.method.lerp",
    "interp.method.slerp", "edition.switch", "edition.from_random", "edition.from_pin", "edition.more",
    "edition.pin_two", "edition.clear", "edition.offline", "edition.your_digit", "edition.landed", "map.colour",
    "map.colour.label",
)  # fmt: skip


class ShareError(Exception):
    """Why an edition cannot be exported (unknown model, language, missing bundle, unwritable folder)."""


@dataclass(frozen=True)
class EditionSize:
    """An exported edition's weight: every file's bytes, what travels gzipped where that is smaller, of that
    what the page fetches when it opens (the encoder's net waits for the Draw tab, the faces' sprite for the
    Faces button), and the most one visit fetches: everything but tfjs's WebAssembly for browsers without
    SIMD (a browser fetches one of the two). The budget holds for the most one visit fetches."""

    raw_bytes: int
    gzip_bytes: int
    at_load_gzip_bytes: int
    visit_gzip_bytes: int
    budget_bytes: int

    @property
    def within_budget(self) -> bool:
        return self.visit_gzip_bytes <= self.budget_bytes

    def report(self) -> str:
        verdict = "within" if self.within_budget else "OVER"
        return (
            f"{self.visit_gzip_bytes / 1e6:.2f} MB at most in one visit, gzip ({self.at_load_gzip_bytes / 1e6:.2f} MB at load): "
            f"{verdict} the budget of {self.budget_bytes / 1e6:.0f} MB; {self.gzip_bytes / 1e6:.2f} MB gzip in all, {self.raw_bytes / 1e6:.2f} MB raw"
        )


def hashed_name(stem: str, suffix: str, content: bytes) -> str:
    """`<stem>-<first 12 hex digits of the content's sha256><suffix>`: a name that changes with the content."""
    return f"{stem}-{hashlib.sha256(content).hexdigest()[:12]}{suffix}"


class _Assets:
    """assets/ being written: each file under a content-hashed name, and its URL relative to index.html."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def add_bytes(self, stem: str, suffix: str, content: bytes) -> str:
        name = hashed_name(stem, suffix, content)
        (self.folder / name).write_bytes(content)
        return f"assets/{name}"

    def add_folder(self, stem: str, files: list[Path]) -> str:
        """Files kept under their own names (a runtime that asks for them by name) in a folder named by
        their contents' hash → the folder's URL, with a trailing slash."""
        digest = hashlib.sha256(b"".join(hashlib.sha256(f.read_bytes()).digest() + f.name.encode() for f in files)).hexdigest()[:12]
        folder = self.folder / f"{stem}-{digest}"
        folder.mkdir(exist_ok=True)
        for f in files:
            shutil.copyfile(f, folder / f.name)
        return f"assets/{folder.name}/"

    def add_file(self, path: Path) -> str:
        stem = path.stem.split("-")[0]  # atlas-<stamp>-pca.f32 → atlas-pca-<hash>.f32: the stamp is replaced by the hash
        rest = "-".join(path.stem.split("-")[2:])
        return self.add_bytes(f"{stem}-{rest}" if rest else stem, path.suffix, path.read_bytes())


def _net(assets: _Assets, key: ModelKey, part: Part, work: Path) -> str:
    """The model's net for the browser (vae.artifacts.browser_net), its .bin and spec under hashed names:
    the spec names its .bin, so the .bin is written first and the spec rewritten to name it."""
    spec_path = write_net(Path(key.models_path) / key.name, work, part)
    spec = json.loads(spec_path.read_text())
    bin_url = assets.add_bytes(part, ".bin", (spec_path.parent / spec["bin"]).read_bytes())
    spec["bin"] = Path(bin_url).name  # beside the spec, in assets/
    return assets.add_bytes(part, ".json", json.dumps(spec, separators=(",", ":")).encode())


def _sliders(key: ModelKey) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The sliders' order (most KL first), which dimensions are active, and each dimension's label per language."""
    ready = ready_of(key)
    kl = kl_per_dim(card_of(key), ready.atlas.mean, ready.atlas.logvar)
    usage = unit_usage(ready.model, card_of(key), ready.atlas.mean)
    sliders = {
        "order": [int(d) for d in dims_by_kl(kl)],
        "active": [bool(a) for a in usage.active],
        "limit": SLIDER_LIMIT,
        "top": TOP_SLIDERS,
    }
    labels = {lang: [say(lang, "sliders.dim_label_plain", d=d + 1, kl=float(kl[d])) for d in range(len(kl))] for lang in LANGUAGES}
    return sliders, labels


def _map(assets: _Assets, key: ModelKey) -> tuple[live.MapPayload, dict[str, Any]]:
    """The dashboard's map payload (ui.components.live.map_payload) with the files in assets/, and
    each language's legend and axes (the colours are the same bytes in both)."""
    ready = ready_of(key)
    config = ready.model.config
    projection = "raw" if config.latent_dim == 2 else "pca"  # the map page's first choice
    colour = "label" if config.dataset == "mnist" else FACES_COLOUR
    arrays = live.map_arrays(key, projection)
    sprites = live.face_sprites(key) if config.dataset == "celeba" else None
    legends: dict[str, Any] = {}
    colours: tuple[Path, dict] | None = None
    for lang in LANGUAGES:
        labels = map_labels(projection, lang)
        colours = live.map_colours(key, colour, labels)
        if colours is None:
            break
        legends[lang] = {"groups": colours[1]["groups"], "axes": list(labels[:2])}
    if arrays is None or colours is None:
        raise ShareError(f"{key.name}: the map's files could not be written (see the log above)")
    urls: dict[Path, str] = {}

    def url(path: Path) -> str:
        if path not in urls:
            urls[path] = assets.add_file(path)
        return urls[path]

    payload = live.map_payload(
        ready, projection, arrays, colours, tsne_k=TSNE_NEIGHBOURS, sprites=sprites, axes=[], pin=None, overlays=[], url=url
    )
    return payload, legends


def _scene(assets: _Assets, key: ModelKey, lang: str, work: Path) -> dict[str, Any]:
    config = ready_of(key).model.config
    mnist = config.dataset == "mnist"
    map_part, legends = _map(assets, key)
    faces = map_part["faces"]
    sliders, dim_labels = _sliders(key)
    texts = {
        code: {
            "catalogue": {k: say(code, k) for k in TEXT_KEYS},
            "map": {**live.map_texts(code), "hint": say(code, "edition.map_help")},  # the map's hint says touch and two pins too
            "dims": dim_labels[code],
            **legends[code],
        }
        for code in LANGUAGES
    }
    return {
        "version": 1,
        "model": key.name,
        "dataset": config.dataset,
        "image_shape": list(config.image_shape),
        "lang": lang,
        "runtime": assets.add_folder("tfjs", [live.RUNTIME_DIR / f for f in live.RUNTIME_FILES]),
        "decoder": _net(assets, key, "decoder", work),
        "encoder": _net(assets, key, "encoder", work) if mnist else None,
        "map": {**map_part, "faces": None},
        "map_colour": "label" if mnist else FACES_COLOUR,
        "faces": faces,
        "sliders": sliders,
        "inputs": live.DIGIT_CONSTANTS if mnist else None,
        "place_k": TSNE_NEIGHBOURS,
        "texts": texts,
    }


INDEX = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="vae-scene" content="{scene}">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="preload" href="{scene}" as="fetch" crossorigin="anonymous">
{preloads}
<script type="module" src="{bundle}"></script>
</head><body><main id="edition"><p>{loading}</p></main>
<noscript>{noscript}</noscript></body></html>
"""


def _first_picture_preloads(out_dir: Path, scene: dict[str, Any]) -> str:
    """<link> tags for what the first picture needs and the page would otherwise ask for one round trip
    after another (the bundle, then the scene, then the decoder's spec, then its .bin; tfjs.mjs, then its
    .wasm): fetched at once while the bundle loads. The SIMD .wasm is the one every current browser takes."""
    spec = json.loads((out_dir / scene["decoder"]).read_text())
    fetches = [scene["decoder"], str(Path(scene["decoder"]).parent / spec["bin"])]
    convolutions = any(layer["op"] in ("conv", "conv_transpose") for layer in spec["layers"])
    if convolutions:  # the nets the engine runs on tfjs's WebAssembly (a dense one runs on plain JavaScript)
        fetches.append(scene["runtime"] + "tfjs-backend-wasm-simd.wasm")
    if convolutions:  # read by the page for the nets' worker, which imports it from a blob: URL (frontend/src/engine/worker.js)
        fetches.append(scene["runtime"] + "tfjs.mjs")
    tags = [f'<link rel="preload" href="{url}" as="fetch" crossorigin="anonymous">' for url in fetches]
    return "\n".join(tags)


def export_edition(model_name: str, out_dir: Path, lang: str = "en", models_path: str | None = None) -> Path:
    """Write the student edition of `model_name` into `out_dir` (created; files of an earlier export
    there are replaced) and return index.html's path. `lang` is the language shown first (the page
    switches to the other). Raises ShareError with the reason (unknown model or language, no bundle,
    a folder that cannot be written)."""
    if lang not in LANGUAGES:
        raise ShareError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    root = Path(models_path or models_dir())
    if not (root / model_name / "config.json").is_file():
        known = sorted(p.name for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []
        raise ShareError(f"unknown model {model_name!r} in {root}: choose one of {', '.join(known) or '(none)'}")
    if not BUNDLE.is_file():
        raise ShareError(f"{BUNDLE} is missing: build the front end first (bash scripts/build_frontend.sh)")
    if not all((live.RUNTIME_DIR / f).is_file() for f in live.RUNTIME_FILES):
        raise ShareError(f"{live.RUNTIME_DIR} is incomplete: install the browser engine's runtime first (bash scripts/install_runtime.sh)")
    key = model_key(model_name, str(root))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        assets = _Assets(out_dir / "assets")
        shutil.rmtree(assets.folder)
        assets.folder.mkdir()
        with tempfile.TemporaryDirectory() as work:
            scene = _scene(assets, key, lang, Path(work))
        scene_url = assets.add_bytes("scene", ".json", json.dumps(scene, ensure_ascii=False, separators=(",", ":")).encode())
        bundle_url = assets.add_bytes(
            "edition", ".js", BUNDLE.read_bytes()
        )  # .js: every static host sends it as JavaScript (not all know .mjs)
        index = out_dir / "index.html"
        index.write_text(
            INDEX.format(
                lang=lang,
                scene=scene_url,
                preloads=_first_picture_preloads(out_dir, scene),
                bundle=bundle_url,
                title=html.escape(f"{model_name} · {say(lang, 'map.title')}"),
                loading=html.escape(say(lang, "edition.loading")),
                noscript=html.escape(say(lang, "edition.noscript")),
            ),
            encoding="utf-8",
        )
    except CheckpointError as err:
        raise ShareError(f"{model_name}: {err}") from err
    except OSError as err:
        raise ShareError(f"cannot write the edition into {out_dir}: {err.strerror or err}") from err
    return index


NO_SIMD_WASM = "tfjs-backend-wasm.wasm"  # tfjs's fallback for a browser without WebAssembly SIMD


def _on_demand(out_dir: Path) -> set[str]:
    """The files of an edition the page fetches only when asked: the encoder's net (Draw), the faces' sprite
    (Faces), and tfjs's WebAssembly for browsers without SIMD (the SIMD one is counted at load, though the
    smallest decoders run on plain JavaScript and never fetch it)."""
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    found = re.search(r'<meta name="vae-scene" content="([^"]+)">', index)
    if found is None:
        raise ShareError(f"{out_dir / 'index.html'} names no scene: not an edition")
    scene = json.loads((out_dir / found[1]).read_text(encoding="utf-8"))
    names: set[str] = set()
    if scene.get("encoder"):
        spec = json.loads((out_dir / scene["encoder"]).read_text(encoding="utf-8"))
        names |= {Path(scene["encoder"]).name, spec["bin"]}
    if scene.get("faces"):
        names.add(Path(scene["faces"]["url"]).name)
    names.add(NO_SIMD_WASM)
    return names


def edition_size(out_dir: Path, dataset: str) -> EditionSize:
    """The weight of an exported edition: every file raw, and each gzipped (level 6, as nginx's
    gzip_comp_level 6) where that is smaller, as a compressing static host sends it; in all and at load."""
    later = _on_demand(out_dir)
    raw = zipped = at_load = fallback = 0
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        sent = min(len(content), len(gzip.compress(content, 6, mtime=0)))
        raw, zipped = raw + len(content), zipped + sent
        at_load += 0 if path.name in later else sent
        fallback += sent if path.name == NO_SIMD_WASM else 0
    return EditionSize(raw, zipped, at_load, zipped - fallback, BUDGET_BYTES[dataset])


def edition_zip(model_name: str, lang: str, models_path: str | None = None) -> bytes:
    """The edition as a .zip (index.html and assets/ at its top), for the map page's download button."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "edition"
        export_edition(model_name, out, lang, models_path)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(out).as_posix())
        return buffer.getvalue()


@st.cache_resource(show_spinner=False, max_entries=8)
def _zip_of(key: ModelKey, lang: str) -> bytes:
    """The edition's .zip, built once per model, weights (the key's signature) and language."""
    return edition_zip(key.name, lang, key.models_path)


def share_button(model_name: str, where: DeltaGenerator | None = None) -> None:
    """The map page's "Share with students": the .zip of the shown model's edition in the page's language
    (built when clicked, then cached); where the edition cannot be built (no bundle), a line says why."""
    lang = current_language()
    if not BUNDLE.is_file():
        (where or st).caption(t("edition.share_failed", error=f"{BUNDLE.name}: bash scripts/build_frontend.sh"))
        return
    build = functools.partial(_zip_of, model_key(model_name), lang)
    widgets.download(t("edition.share"), build, f"{model_name}-edition-{lang}.zip", key="map_share", where=where, icon=":material/share:")
    (where or st).caption(t("edition.share_help"))
