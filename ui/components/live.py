"""Live decoding in the browser: what must follow the hand runs there (the browser engine,
frontend/src/engine/net.js, running the model's nets written by vae.artifacts.browser_net), drawn over or beside the server's pictures; the server
answers a click or a release, as before. One component, four uses: live_sliders (latent sliders,
face-attribute sliders, the interpolation scrubber: decoded on every animation frame of a drag;
frontend/src/sliders.js), latent_map (the latent map drawn with WebGL in the browser, hover
decoded there with its honesty cue, a click sent once; on CelebA, the faces mode;
frontend/src/map/), live_drawing (a drawn digit encoded after each stroke, its star moved;
frontend/src/drawing.js). The browser side is frontend/src's ES modules, bundled by esbuild at set-up
(scripts/build_frontend.sh) into static/live/live.mjs, which this module reads. What crosses from here
is one typed payload (LivePayload below; its twin is the JSDoc typedef in frontend/src/types.js),
constants included: vae.data.inputs' for the digit, ui.components.figures' for the map's points.

What travels: the engine (in the bundle) and, for the nets of more than a million multiply-adds (the
conv decoders and encoders), tfjs-core's WebAssembly backend (static/tfjs/, from the pinned npm
packages, installed by scripts/setup.sh: 114 KB of JavaScript and a 137 KB .wasm, gzipped; the small
dense nets run on plain JavaScript); the model's net (static/net/<model>/<sha12>/decoder-<sha12>.json
and its .bin of half-precision weights, 0.2–2.3 MB) and the map's arrays, all through Streamlit's static
file serving, cached by the browser (the weights' or the atlas's hash is in the path). It replaced
onnxruntime-web (3.7 MB gzipped), as exact (benchmarks/browser_decoder.py: logs/browser_decoder.txt).
Without them (a checkout set up without npm: no runtime and no bundle; a net that failed), or where
a net needs WebAssembly and the browser has none, the page is the server path.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import numpy as np
import streamlit as st
from PIL import Image

from ui.components.figures import DIGIT_COLOURS, OPACITY, PIN_PX, POINT_PX, VIRIDIS, map_colouring, map_extent, sample_overlays, viridis
from ui.shell.i18n import DECIMAL_MARKS, current_language, number, say, t
from ui.shell.resources import ModelKey, Ready, adversarial_of, model_key, ready_of, test_set
from vae.analysis.axes import PlaneMap
from vae.analysis.linked import AlignedMap
from vae.analysis.placement import TSNE_NEIGHBOURS
from vae.artifacts.atlas import FAR_SPACINGS, Atlas
from vae.artifacts.browser_net import DEFAULT_ROOT, write_net, write_nets
from vae.core.checkpoint import ADVERSARIAL_FILE, CheckpointError
from vae.core.derived import file_sha256
from vae.core.latent import decode
from vae.data import inputs
from vae.training.replay import REPLAY_FILE, Replay, load_replay

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
RUNTIME_DIR = STATIC / "tfjs"  # the engine's WebAssembly kernels (scripts/install_runtime.sh)
RUNTIME_FILES = ("tfjs.mjs", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm")
BUNDLE = STATIC / "live" / "live.mjs"  # esbuild's bundle of frontend/src (scripts/build_frontend.sh)


# ---- the payload: one typed contract with frontend/src/types.js ----------------------------------
class DigitConstants(TypedDict):
    """vae.data.inputs' constants, for the browser's port of its digit preparation (frontend/src/digit.js)."""

    side: int
    box: int
    centre: float
    min_contrast: float
    box_threshold: float
    grid_spans: list[float]
    grid_phases: int
    mnist_core: float


class MapStyle(TypedDict):
    """ui.components.figures' sizes and opacity of the map's points, the plotly map's."""

    point_px: int
    pin_px: int
    opacity: float


class Common(TypedDict):
    """What every use carries: the runtime's folder (static/tfjs/), the URL of the model's decoder net (its
    JSON), its name and image shape (C, H, W)."""

    runtime: str
    decoder: str
    model: str
    image_shape: list[int]


class SlidersPayload(Common):
    code: list[float]
    sliders: list[tuple[str, int]]
    directions: list[tuple[str, list[float]]]
    path: tuple[str, list[float], list[float], str] | None
    target: str


class DrawPayload(TypedDict):
    canvas: str
    map: str
    encoder: str
    projection: str
    pca_mean: list[float]
    pca_components: list[list[float]]
    k: int
    coords: str | None
    codes: str | None
    inputs: DigitConstants


class DrawingPayload(Common):
    draw: DrawPayload


class MapTexts(TypedDict):
    hint: str
    map: str
    latent: str
    far_short: str
    blend: str
    box: NotRequired[str]  # the brushes' buttons, on maps that brush
    lasso: NotRequired[str]  # what a map with no inverse (t-SNE, UMAP) decodes under the pointer; "{k}" is the blend's k
    legend: str
    zoom_in: str
    zoom_out: str
    reset: str
    decimal: str  # the language's decimal mark, for the numbers the map writes itself (ticks, the hover's)


class Faces(TypedDict):
    url: str
    side: int
    source: str


class Overlay(TypedDict):
    name: str
    colour: str
    points: list[float]
    marker: NotRequired[str]  # "star": a drawn digit's place (the student edition); else a sample's ✕


class MapPayload(TypedDict):
    projection: str
    coords: str
    codes: str
    colours: str
    groups: list[tuple[str, str]]
    scale: dict[str, Any] | None
    extent: list[list[float]]
    equal: bool
    circles: bool
    height: int
    dim: int
    k: int
    pca_mean: list[float]
    pca_components: list[list[float]]
    map_spacing: float
    latent_spacing: float
    far: float
    faces: Faces | None
    axes: list[str]
    pin: tuple[float, float, int | None] | None
    overlays: list[Overlay]
    texts: MapTexts
    style: MapStyle
    slot: NotRequired[str]  # which of a page's maps (two linked maps: "a", "b"); the component's own instance
    brush: NotRequired[bool]  # the box and lasso brushes are offered
    brushed: NotRequired[list[list[float]] | None]  # the region brushed on this map, outlined
    decode: NotRequired[str]  # "affine": z = pca_mean + xy · pca_components (a plane of chosen axes, an aligned map)


class LatentMapPayload(Common):
    map: MapPayload


LivePayload = SlidersPayload | DrawingPayload | LatentMapPayload

DIGIT_CONSTANTS = DigitConstants(
    side=inputs.DIGIT_SIDE,
    box=inputs.DIGIT_BOX,
    centre=inputs.DIGIT_CENTRE,
    min_contrast=inputs.MIN_CONTRAST,
    box_threshold=inputs.BOX_THRESHOLD,
    grid_spans=list(inputs.GRID_SPANS),
    grid_phases=inputs.GRID_PHASES,
    mnist_core=inputs.MNIST_CORE,
)
MAP_STYLE = MapStyle(point_px=POINT_PX, pin_px=PIN_PX, opacity=OPACITY)


@functools.cache
def _component() -> Callable[..., Any]:
    """The v2 component over the bundle, registered on first use (only when the bundle exists)."""
    return st.components.v2.component("vae_live_decoder", js=BUNDLE.read_text())


def _send(key: str, payload: LivePayload, **kwargs: Any) -> Any:
    return _component()(key=key, data=payload, height="content", **kwargs)


def static_url(path: Path) -> str:
    """The URL Streamlit's static serving gives a file under static/ (respecting server.baseUrlPath)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + "/app/static/" + path.relative_to(STATIC).as_posix()


def key_class(key: str) -> str:
    """The part after "st-key-" of the CSS class Streamlit gives an element with this key."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def runtime_installed() -> bool:
    """The browser runtime and the bundle are both in static/ (scripts/setup.sh, with npm)."""
    return BUNDLE.exists() and all((RUNTIME_DIR / f).exists() for f in RUNTIME_FILES)


def enabled() -> bool:
    """Live decoding is on: the runtime is installed, Streamlit serves static/, and VAE_LIVE is not 0
    (the switch that turns it off, e.g. to compare with the server path)."""
    return runtime_installed() and bool(st.get_option("server.enableStaticServing")) and os.environ.get("VAE_LIVE", "1") != "0"


@st.cache_resource(show_spinner=False, max_entries=64)
def decoder_file(key: ModelKey) -> Path | None:
    """The model's decoder net (its JSON; the encoder's beside it, see encoder_file), written on first use
    (under a second, once per weights); None when that fails (logged; the page keeps the server path)."""
    try:
        return write_nets(Path(key.models_path) / key.name, DEFAULT_ROOT)["decoder"]
    except (CheckpointError, OSError, RuntimeError) as err:
        logging.getLogger(__name__).warning("no live decoding for %s: %s", key.name, err)
        return None


@st.cache_resource(show_spinner=False, max_entries=16)
def adversarial_decoder_file(key: ModelKey) -> Path | None:
    """The model's adversarial decoder (vae.training.gan) as a browser net beside the plain one, stamped
    with its file's hash; None when the model has none or the export fails (the server path then)."""
    plain = decoder_file(key)
    found = adversarial_of(key)
    if plain is None or isinstance(found, str):
        return None
    folder = Path(key.models_path) / key.name
    try:
        return write_net(folder, plain.parent, "decoder", found[0], file_sha256(folder / ADVERSARIAL_FILE))
    except (CheckpointError, OSError, RuntimeError) as err:
        logging.getLogger(__name__).warning("no live adversarial decoding for %s: %s", key.name, err)
        return None


def encoder_file(decoder: Path) -> Path:
    """The encoder net beside a decoder net (vae.artifacts.browser_net.write_nets writes both)."""
    return decoder.with_name("encoder-" + decoder.name.removeprefix("decoder-"))


def _common(sel: Ready, decoder: Path) -> Common:
    """What every use needs: the runtime, the model's decoder, its image shape."""
    shape = list(sel.model.config.image_shape)
    return Common(runtime=static_url(RUNTIME_DIR), decoder=static_url(decoder), model=sel.name, image_shape=shape)


class Pca(TypedDict):
    pca_mean: list[float]
    pca_components: list[list[float]]


def _plane_as_pca(plane: PlaneMap | AlignedMap, offset: np.ndarray | None) -> Pca:
    """A registered plane (chosen axes, an aligned map) decodes as z = mean + xy · components."""
    base, directions = plane.affine(offset)
    return Pca(pca_mean=[float(v) for v in base], pca_components=[[float(v) for v in r] for r in directions])


def _pca(atlas: Atlas) -> Pca:
    """The map's PCA for the browser: z = mean + coords · components, coords = (z − mean) · componentsᵀ."""
    return Pca(pca_mean=[float(v) for v in atlas.pca.mean_], pca_components=[[float(v) for v in r] for r in atlas.pca.components_])


@st.cache_resource(show_spinner=False, max_entries=64)
def _atlas_stamp(key: ModelKey) -> str:
    """The start of the atlas file's sha256: in the names of the files made from it."""
    return file_sha256(Path(key.models_path) / key.name / "atlas.safetensors")[:12]


def live_sliders(
    sel: Ready,
    code: np.ndarray,
    sliders: list[tuple[str, int]],
    target: str,
    directions: Sequence[tuple[str, np.ndarray]] = (),
    path: tuple[str, np.ndarray, np.ndarray, str] | None = None,
    *,
    decoder: str = "plain",
) -> None:
    """Decode in the browser while sliders are dragged, drawing over the image inside
    st.container(key=target). The code drawn is `code` with each latent slider's value in its
    dimension (`sliders`: [(widget key, dimension)]) plus value · vector for each direction slider
    (`directions`: [(widget key, (D,) vector)]); or, with `path` (widget key, a, b, method), the
    point that fraction of the way from a to b (vae.core.latent.path_at); drawn by the model's decoder or,
    with decoder="adversarial", by its adversarial one. Nothing when the runtime or the export is missing:
    the server path alone."""
    if not enabled():
        return
    key = model_key(sel.name)
    net = adversarial_decoder_file(key) if decoder == "adversarial" else decoder_file(key)
    if net is None:
        return
    payload = SlidersPayload(
        **_common(sel, net),
        code=[float(v) for v in code],
        sliders=[(key_class(k), int(d)) for k, d in sliders],
        directions=[(key_class(k), [float(v) for v in vector]) for k, vector in directions],
        path=None if path is None else (key_class(path[0]), [float(v) for v in path[1]], [float(v) for v in path[2]], path[3]),
        target=key_class(target),
    )
    _send(f"live_{target}", payload)


@st.cache_resource(show_spinner=False, max_entries=64)
def map_arrays(key: ModelKey, projection: str) -> tuple[Path, Path] | None:
    """Files the browser fetches once for hover decoding on a map: the test points' map coordinates
    (N, 2) as float32 (a raw map's: the codes' file) and their codes (N, D) as float16, the atlas's own
    precision (half the bytes, the same values), beside the model's decoder; named by the atlas file's hash, so a rebuilt atlas
    is never read stale from the browser's cache."""
    decoder = decoder_file(key)
    if decoder is None:
        return None
    atlas = ready_of(key).atlas
    stamp = _atlas_stamp(key)
    codes_file = decoder.parent / f"atlas-{stamp}-codes.f16"
    # a raw map's coordinates are the codes of a two-dimensional latent space: the same file, fetched once
    # a chosen-axes map's name ("axes:attr:Smiling|attr:Male") is not a file name: its hash is
    safe = projection if projection.isalnum() else "axes-" + hashlib.sha1(projection.encode()).hexdigest()[:12]
    coords_file = codes_file if projection == "raw" else decoder.parent / f"atlas-{stamp}-{safe}.f32"
    files = {codes_file: (atlas.mean, "<f2")} | ({} if coords_file == codes_file else {coords_file: (atlas.coords(projection), "<f4")})
    try:
        for path, (values, dtype) in files.items():
            if not path.exists():
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(np.ascontiguousarray(values, dtype=dtype).tobytes())
                tmp.replace(path)
    except OSError as err:  # a read-only install: the server path alone
        logging.getLogger(__name__).warning("no live map for %s: %s", key.name, err)
        return None
    return coords_file, codes_file


FACE_SIDE = 32  # px: a face in the map's sprite sheet (64 px averaged 2 × 2)


@st.cache_resource(show_spinner=False, max_entries=16)
def face_sprites(key: ModelKey) -> tuple[Path, str] | None:
    """A sprite sheet of the test faces in atlas order (FACE_SIDE px each, ceil(√N) per row), for the
    map's faces mode: the originals, joined from the data directory at run time (the sheet stays in
    static/, never committed), or the model's reconstructions when the data is absent. → (file,
    "originals" | "reconstructions")."""
    decoder = decoder_file(key)
    result = ready_of(key)
    if decoder is None or result.model.config.dataset != "celeba":
        return None
    atlas, data = result.atlas, test_set("celeba")
    source = "originals" if data is not None else "reconstructions"
    stamp = _atlas_stamp(key)
    path = decoder.parent / f"faces-{stamp}-{source}.jpg"
    if not path.exists():
        if data is not None:
            faces = data.images[atlas.test_index]
        else:
            faces = np.concatenate([decode(result.model, atlas.mean[i : i + 256]) for i in range(0, len(atlas.mean), 256)])
        n, side = len(faces), int(np.ceil(np.sqrt(len(faces))))
        small = faces.reshape(n, FACE_SIDE, 64 // FACE_SIDE, FACE_SIDE, 64 // FACE_SIDE, 3).mean((2, 4)).round().astype(np.uint8)
        sheet = np.zeros((side * FACE_SIDE, side * FACE_SIDE, 3), np.uint8)
        for i, face in enumerate(small):
            r, c = divmod(i, side)
            sheet[r * FACE_SIDE : (r + 1) * FACE_SIDE, c * FACE_SIDE : (c + 1) * FACE_SIDE] = face
        try:
            tmp = path.with_suffix(".tmp")
            Image.fromarray(sheet).save(tmp, format="JPEG", quality=85)
            tmp.replace(path)
        except OSError as err:  # a read-only install: no faces mode
            logging.getLogger(__name__).warning("no faces sprite for %s: %s", key.name, err)
            return None
    return path, source


@st.cache_resource(show_spinner=False, max_entries=128)
def map_colours(key: ModelKey, colour_by: str, labels: tuple[str, ...]) -> tuple[Path, dict] | None:
    """The browser map's colours (ui.components.figures.map_colouring, the plotly map's): a file of N × 4 bytes
    (R, G, B, group) beside the decoder, named by the atlas hash and the colouring, and the legend
    ({"groups": [[name, hex], ...]} or, for a score, {"scale": lo, hi, stops})."""
    decoder = decoder_file(key)
    if decoder is None:
        return None
    colouring = map_colouring(key, colour_by, labels)
    n = len(ready_of(key).atlas.mean)
    rgbg = np.zeros((n, 4), np.uint8)
    for g, group in enumerate(colouring.groups):
        rgbg[group.rows, :3] = [int(group.colour[i : i + 2], 16) for i in (1, 3, 5)]
        rgbg[group.rows, 3] = g
    legend: dict = {"groups": [[group.name, group.colour] for group in colouring.groups], "scale": None}
    if colouring.values is not None:
        rgbg[:, :3] = viridis(colouring.values)
        lo, hi = float(colouring.values.min()), float(colouring.values.max())
        legend["scale"] = {"lo": number(lo, ".0f"), "hi": number(hi, ".0f"), "stops": list(VIRIDIS), "title": "nats"}
    slug = key_class(colour_by).replace("-", "_")
    path = decoder.parent / f"colours-{_atlas_stamp(key)}-{slug}.u8"
    try:
        if not path.exists() or path.read_bytes() != rgbg.tobytes():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(rgbg.tobytes())
            tmp.replace(path)
    except OSError as err:  # a read-only install: the plotly map
        logging.getLogger(__name__).warning("no browser map for %s: %s", key.name, err)
        return None
    return path, legend


MAP_HEIGHT_PX = 620


def map_payload(
    sel: Ready,
    projection: str,
    arrays: tuple,
    colours: tuple,
    *,
    tsne_k: int,
    sprites: tuple | None,
    axes: list[str],
    pin: tuple[float, float, int | None] | None,
    overlays: list[Overlay],
    url: Callable[[Path], str] = static_url,
    offset: np.ndarray | None = None,
) -> MapPayload:
    """What frontend/src/map/ needs of one model's map: the files of its points, codes and colours, the
    view's extent, the maths of the hover (PCA, k, the honesty cue's spacings), the faces, the axes,
    the pin, the sample overlays, its texts and its points' style. `url` gives a file's URL (Streamlit's
    static serving; the student edition's assets/ in ui.serve.share). A chosen-axes plane
    (vae.analysis.axes) is decoded as PCA is, z = mean + coords · components, with its base (+ `offset`)
    as the mean and its two directions as the components."""
    atlas = sel.atlas
    legend = colours[1]
    plane = atlas.plane(projection) if projection not in ("raw", "pca", "tsne", "umap") else None
    pca = _pca(atlas) if plane is None else _plane_as_pca(plane, offset)
    return MapPayload(
        projection=projection,
        coords=url(arrays[0]),
        codes=url(arrays[1]),
        colours=url(colours[0]),
        groups=legend["groups"],
        scale=legend["scale"],
        extent=[list(r) for r in map_extent(atlas.coords(projection))],
        equal=projection == "raw",
        circles=projection == "raw",
        height=MAP_HEIGHT_PX,
        dim=int(atlas.mean.shape[1]),
        k=int(max(1, tsne_k)),
        pca_mean=pca["pca_mean"],
        pca_components=pca["pca_components"],
        map_spacing=float(atlas.map_spacing(projection)),
        latent_spacing=float(atlas.latent_spacing()),
        far=FAR_SPACINGS,
        faces=None if sprites is None else Faces(url=url(sprites[0]), side=FACE_SIDE, source=sprites[1]),
        axes=axes,
        pin=pin,
        overlays=overlays,
        texts=map_texts(),
        style=MAP_STYLE,
    )


def map_texts(lang: str | None = None) -> MapTexts:
    """The map's own texts, in `lang` or the session's language."""
    lang = current_language() if lang is None else lang
    return MapTexts(
        hint=say(lang, "map.hover.idle"),
        map=say(lang, "map.hover.map_distance"),
        latent=say(lang, "map.hover.latent_distance"),
        far_short=say(lang, "map.hover.far_short"),
        blend=say(lang, "map.hover.blend"),
        legend=say(lang, "map.legend.toggle"),
        zoom_in=say(lang, "map.zoom_in"),
        zoom_out=say(lang, "map.zoom_out"),
        reset=say(lang, "map.reset_view"),
        decimal=DECIMAL_MARKS[lang],
    )


@dataclass(frozen=True)
class BrowserMap:
    """The browser-drawn latent map of this run: the click it sent in this run ({"x", "y", "index"}), or
    None; on a map that brushes, the region brushed in this run ({"polygon", "kind", ...}), or None."""

    click: dict | None
    brush: dict | None = None


@dataclass(frozen=True)
class Linked:
    """What a map linked to another one adds (ui.views.linked_maps): its slot on the page, the brushes,
    the region brushed on it and the brushed test images drawn as rings."""

    slot: str
    brushed: list[list[float]] | None
    rings: Overlay | None


def latent_map(
    sel: Ready,
    projection: str,
    colour_by: str,
    *,
    labels: tuple[str, ...],
    tsne_k: int,
    faces: bool,
    pin: tuple[float, float, int | None] | None,
    samples: tuple[tuple[str, str], ...] = (),
    offset: np.ndarray | None = None,
    linked: Linked | None = None,
) -> BrowserMap | None:
    """The latent map drawn in the browser (frontend/src/map/): the test points with WebGL,
    coloured as the plotly map (map_colours), pan and zoom there; hovering decodes the location under
    the pointer in the browser on every frame with its honesty cue (raw: that z; PCA: the exact
    inverse; t-SNE: the blend of the tsne_k nearest codes), sending nothing; a click pins the spot
    and is returned here once, as {"x", "y", "index"} (index: the test point clicked, or None).
    `pin` is the current click, drawn on the map; `samples`, (source, name) of the sample overlays to
    draw over the test points (ui.components.figures.sample_overlays). faces: on a CelebA map, the test points drawn as
    their faces (face_sprites), the Embedding Projector's sprite view. → the map with the click of this
    run, or None when the browser map cannot be shown (no runtime, no export): the caller draws the
    plotly map instead."""
    if not enabled():
        return None
    key = model_key(sel.name)
    decoder, arrays, colours = decoder_file(key), map_arrays(key, projection), map_colours(key, colour_by, labels)
    if decoder is None or arrays is None or colours is None:
        return None
    sprites = face_sprites(key) if faces else None
    names = dict(samples)
    overlays = [
        Overlay(name=names.get(source, source), colour=colour, points=[round(float(v), 4) for v in xy.ravel()])
        for source, colour, xy in (sample_overlays(key, projection) if samples else [])
    ]
    pinned = None if pin is None else (float(pin[0]), float(pin[1]), pin[2])
    view = map_payload(
        sel,
        projection,
        arrays,
        colours,
        tsne_k=tsne_k,
        sprites=sprites,
        axes=list(labels[:2]),
        pin=pinned,
        overlays=overlays,
        offset=offset,
    )
    if projection not in ("raw", "pca", "tsne", "umap"):
        view["decode"] = "affine"
    payload = LatentMapPayload(**_common(sel, decoder), map=view if linked is None else _linked_view(view, linked))
    triggers = {"on_click_change": lambda: None} | ({} if linked is None else {"on_brush_change": lambda: None})
    result = _send(f"live_map_{sel.name}" if linked is None else f"live_map_{linked.slot}_{sel.name}", payload, **triggers)
    click, brush = getattr(result, "click", None), getattr(result, "brush", None)
    return BrowserMap(click if isinstance(click, dict) else None, brush if isinstance(brush, dict) else None)


def _linked_view(view: MapPayload, linked: Linked) -> MapPayload:
    """A map linked to another (ui.views.linked_maps): its slot, the brushes, its region, the rings."""
    view["slot"], view["brush"], view["brushed"] = linked.slot, True, linked.brushed
    view["overlays"] = [*view["overlays"], *([linked.rings] if linked.rings else [])]
    view["texts"] = {**view["texts"], "box": t("map.brush.box"), "lasso": t("map.brush.lasso")}
    return view


def live_drawing(sel: Ready, projection: str, canvas_key: str, map_key: str) -> None:
    """While a digit is drawn on the canvas st.container/key `canvas_key`, encode it in the browser
    after each stroke (the digit preparation of vae.data.inputs ported to JavaScript, the encoder net)
    and move a star to its place on the map whose key starts with `map_key` (vae.analysis.placement.place:
    raw, PCA exactly, t-SNE by the 10 nearest codes). The server's answer to the stroke follows."""
    if not enabled():
        return
    key = model_key(sel.name)
    decoder = decoder_file(key)
    if decoder is None:
        return
    arrays = map_arrays(key, projection) if projection in ("tsne", "umap") else None
    draw = DrawPayload(
        canvas=key_class(canvas_key),
        map=key_class(map_key),
        encoder=static_url(encoder_file(decoder)),
        projection=projection,
        **_pca(sel.atlas),
        k=TSNE_NEIGHBOURS,
        coords=static_url(arrays[0]) if arrays else None,
        codes=static_url(arrays[1]) if arrays else None,
        inputs=DIGIT_CONSTANTS,
    )
    _send("live_drawing", DrawingPayload(**_common(sel, decoder), draw=draw))


# ---- training replays (vae.training.replay) -------------------------------------------------------


class ReplayTexts(TypedDict):
    play: str
    pause: str
    back: str
    forward: str
    scrub: str
    epoch: str  # "{e}" of "{n}"
    recon: str
    kl: str
    unit: str
    train: str
    test: str
    axes: str
    decimal: str


class ReplayFields(TypedDict):
    frames: str
    epochs: int
    points: int
    start: int
    group_of: list[int]
    groups: list[tuple[str, str]]
    extent: list[list[float]]
    curves: dict[str, list[float]]
    height: int
    texts: ReplayTexts


class ReplayPayload(TypedDict):
    model: str
    replay: ReplayFields


@st.cache_resource(show_spinner=False, max_entries=8)
def replay_of(key: ModelKey) -> Replay | str:
    """The model's training replay, or why it has none."""
    try:
        return load_replay(Path(key.models_path) / key.name)
    except CheckpointError as err:
        return str(err)


@st.cache_resource(show_spinner=False, max_entries=8)
def replay_frames_file(key: ModelKey) -> Path | None:
    """The replay's frames as one float16 file beside the model's browser nets, named by the replay
    file's hash; None when it cannot be written (the page shows the curves alone)."""
    replay, decoder = replay_of(key), decoder_file(key)
    if isinstance(replay, str) or decoder is None:
        return None
    path = decoder.parent / f"replay-{file_sha256(Path(key.models_path) / key.name / REPLAY_FILE)[:12]}.f16"
    try:
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(np.ascontiguousarray(replay.frames, "<f2").tobytes())
            tmp.replace(path)
    except OSError as err:
        logging.getLogger(__name__).warning("no replay for %s: %s", key.name, err)
        return None
    return path


def replay_player(name: str, history: list[dict], *, start: int | None = None, height: int = 420, key: str = "replay") -> bool:
    """The model's training replay played in the browser (frontend/src/replay.js): the test map after each
    epoch, coloured by digit where the labels are present, beside the card's reconstruction and KL curves;
    play, pause, step and scrub there, nothing sent. `history`: the card's, one row per epoch. False (nothing
    drawn) where the model has no replay or the browser runtime cannot run."""
    mkey = model_key(name)
    replay = replay_of(mkey)
    if isinstance(replay, str) or not enabled() or len(history) != replay.epochs:
        return False
    frames = replay_frames_file(mkey)
    if frames is None:
        return False
    data = test_set(ready_of(mkey).model.config.dataset)
    if data is not None and data.labels is not None:
        digits = data.labels[replay.test_index].astype(int)
        groups, group_of = [(str(d), DIGIT_COLOURS[d]) for d in range(10)], [int(d) for d in digits]
    else:
        groups, group_of = [(t("replay.points"), "#6b7280")], [0] * len(replay.test_index)
    lo = np.percentile(replay.frames.reshape(-1, 2), 0.1, axis=0)  # every epoch's map on one scale
    hi = np.percentile(replay.frames.reshape(-1, 2), 99.9, axis=0)
    lang = current_language()
    texts = ReplayTexts(
        play=t("replay.play"), pause=t("replay.pause"), back=t("replay.back"), forward=t("replay.forward"), scrub=t("replay.scrub"),
        epoch=t("replay.epoch"), recon=t("replay.recon"), kl=t("replay.kl"), unit=t("replay.unit"), train=t("replay.train"),
        test=t("replay.test"), axes=t(f"replay.axes.{replay.map_kind}"), decimal=DECIMAL_MARKS[lang],
    )  # fmt: skip
    fields = ReplayFields(
        frames=static_url(frames),
        epochs=replay.epochs,
        points=len(replay.test_index),
        start=replay.epochs if start is None else max(1, min(start, replay.epochs)),
        group_of=group_of,
        groups=groups,
        extent=[[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]],
        curves={
            k: [float(row[f"{k.split('_')[0]}_{k.split('_')[1]}_nats"]) for row in history]
            for k in ("train_recon", "test_recon", "train_kl", "test_kl")
        },
        height=height,
        texts=texts,
    )
    _send(f"live_{key}_{name}", ReplayPayload(model=name, replay=fields))  # type: ignore[arg-type]
    return True
