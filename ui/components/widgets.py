"""Small display helpers shared by pages: enlarged images, image rows, labels, cached exports."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler
from PIL import Image
from streamlit.delta_generator import DeltaGenerator

from ui.components.figures import map_figure
from ui.shell.i18n import DEFAULT_LANGUAGE, current_language, number, t
from ui.shell.resources import ModelKey, TestSet, card_of, model_key, ready_of, test_set
from vae.analysis.explore_ops import UnitUsage, unit_usage
from vae.artifacts.atlas import FAR_SPACINGS, MapLocation
from vae.data.images import gif_bytes, grid, png_bytes

BIG = 280  # px: the decoded image shown large
INLINE_MAX_BYTES = 4 << 20  # pictures up to this size travel inside the page's message (see inline)


# Presenter mode: plot text at the size of the page's body text on a projector (plotly's default is
# 12 px; the page's is 21 px there). Legends, ticks, axis titles, hover labels, annotations and
# trace labels scale by the same factor.
PLOT_SEPARATORS = {"fr": ",\u202f"}  # Plotly's layout.separators: the decimal mark, then thousands (a narrow space)
PRESENTER_PLOT_FONT_PX = 20
PLOTLY_DEFAULT_FONT_PX = 12
PRESENTER_PLOT_MAX_PX = 320  # a plot plus the step's heading and controls fit a 720-px projector
# A figure with equal axes (a map, a density's contours) is as wide as it is tall: on a projector it
# takes half the screen's width beside its text, at this height (harness/figure_size.py: >= 60 % of its column).
PRESENTER_MAP_PX = 480


def presenting() -> bool:
    return bool(st.session_state.get("presenter", False))


def intro(text: str, key: str = "intro", label: str | None = None) -> None:
    """An explanation (by default the page's introduction under its title): the caption as always on a wide
    screen; on a phone the same text folded in an expander titled `label` ("About this page"), so that the
    page's picture and the control that moves it come first. The server cannot know the screen's width: both
    are sent, and ui/app.py's CSS shows one (containers `{key}_wideonly` and `{key}_phoneonly`)."""
    st.container(key=f"{key}_wideonly").caption(text)
    with st.container(key=f"{key}_phoneonly"), st.expander(label or t("common.about_page"), icon=":material/info:"):
        st.caption(text)


def presented(fig: go.Figure) -> go.Figure:
    """The figure as the current language and mode show it: its numbers (ticks, hover, labels) written
    with the language's decimal and thousands separators (PLOT_SEPARATORS: "0,5" in French); in presenter
    mode every font scaled to PRESENTER_PLOT_FONT_PX and the height at most PRESENTER_PLOT_MAX_PX (PRESENTER_MAP_PX
    with equal axes). A copy
    whenever it changes anything (figures may be cached and shared by sessions)."""
    separators = PLOT_SEPARATORS.get(current_language())
    if not presenting() and fig.layout.separators == separators:
        return fig
    fig = go.Figure(fig)
    fig.update_layout(separators=separators)
    if not presenting():
        return fig
    factor = PRESENTER_PLOT_FONT_PX / PLOTLY_DEFAULT_FONT_PX
    layout = fig.layout
    fig.update_layout(font_size=round((layout.font.size or PLOTLY_DEFAULT_FONT_PX) * factor), hoverlabel_font_size=PRESENTER_PLOT_FONT_PX)
    fig.update_layout(legend_font_size=round((layout.legend.font.size or PLOTLY_DEFAULT_FONT_PX) * factor))
    equal = bool(layout.yaxis.scaleanchor or layout.xaxis.scaleanchor) and "xaxis2" not in layout  # one map
    if equal:  # a map: this height, and narrower axes rather than wider ranges (its drawn width is its data's)
        fig.update_layout(height=PRESENTER_MAP_PX)
        fig.update_xaxes(constrain="domain")
        fig.update_yaxes(constrain="domain")
    elif (layout.height or 450) > PRESENTER_PLOT_MAX_PX:  # plotly's default height is 450 px
        fig.update_layout(height=PRESENTER_PLOT_MAX_PX)
    if layout.title.text:
        fig.update_layout(title_font_size=round((layout.title.font.size or 17) * factor))
    for annotation in layout.annotations:
        annotation.font.size = round((annotation.font.size or PLOTLY_DEFAULT_FONT_PX) * factor)
    for trace in fig.data:
        if "textfont" in trace and trace.textfont.size:
            trace.textfont.size = round(trace.textfont.size * factor)
    return fig


def float_slider(where: DeltaGenerator | None, label: str, lo: float, hi: float, *, step: float, spec: str, **kwargs: Any) -> float:
    """st.slider for a float, its value written as the language writes numbers (`spec`: ".2f", "+.1f").
    Streamlit draws a slider's value and ends with a printf format, which knows only the decimal point: in
    English that format; in another language the value goes into the label ("μ : 1,50", rewritten at each
    release) and the point-written thumb value and ends are hidden (APP_CSS: .st-key-localslider_*).
    `kwargs` are st.slider's (key, value, bind, help, ...); the key is the widget's identity, so the label
    may change without resetting it."""
    where = where or st.container()
    if current_language() == DEFAULT_LANGUAGE:
        return float(where.slider(label, lo, hi, step=step, format=f"%{spec}", **kwargs))
    key = kwargs["key"]
    value = st.session_state.get(key, kwargs.get("value", lo))
    shown = f"{label} : {number(float(value), spec)}"
    return float(where.container(key=f"localslider_{key}").slider(shown, lo, hi, step=step, format=f"%{spec}", **kwargs))


def data_table(data: pd.DataFrame | Styler, where: DeltaGenerator | None = None, **dataframe_kwargs: Any) -> None:
    """A small table of numbers: a static HTML table in presenter mode, whose cells take the page's
    projector type (a dataframe's canvas keeps its own small font), else a sortable dataframe
    (`dataframe_kwargs`: st.dataframe's)."""
    if presenting():
        (where or st).table(data)
    else:
        (where or st).dataframe(data, **dataframe_kwargs)


def enlarge(image: np.ndarray, size: int = BIG) -> np.ndarray:
    """Nearest-neighbour upscale so pixels stay crisp on a projector."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    factor = max(1, size // image.shape[0])
    return np.kron(image, np.ones((factor, factor) + (1,) * (image.ndim - 2), dtype=np.uint8))


def tile(images: np.ndarray, ncols: int, pad: int = 2, scale: int = 2) -> np.ndarray:
    out = grid(images, ncols, pad)
    out = out[..., 0] if out.shape[2] == 1 else out
    return np.kron(out, np.ones((scale, scale) + (1,) * (out.ndim - 2), dtype=np.uint8)) if scale > 1 else out


def inline(picture: np.ndarray | bytes) -> str | bytes:
    """A picture for st.image as a data: URL (PNG, or the bytes' own GIF/PNG/JPEG type).

    A data URL travels inside the same websocket message as the rest of the rerun, so the browser
    shows it without a second HTTP request; and there is no media file that a faster rerun could
    delete before the browser fetched it (the 404s the 20-session load test saw). Pictures over
    INLINE_MAX_BYTES go through Streamlit's media files as before.
    """
    data = png(picture) if isinstance(picture, np.ndarray) else bytes(picture)
    if len(data) > INLINE_MAX_BYTES:
        return data
    mime = "image/gif" if data[:4] == b"GIF8" else "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


MIME_TYPES = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".csv": "text/csv",
    ".json": "application/json",
    ".html": "text/html",
    ".zip": "application/zip",
}


def png_of(image: np.ndarray, scale: int = 1) -> bytes:
    """`png_bytes(image, scale)`, encoded once per picture in this process: many students looking at
    the same scene get the same bytes without encoding them again (content-addressed: the key is a
    digest of the pixels, so a different picture is never served)."""
    return _encoded("png", _digest(image), scale, image)


def gif_of(frames: np.ndarray, scale: int = 4) -> bytes:
    """`gif_bytes(frames, scale)`, encoded once per animation in this process (a GIF of 30 frames
    costs as much as the rest of an interpolation rerun)."""
    return _encoded("gif", _digest(frames), scale, frames)


def _digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.blake2b(repr((array.shape, array.dtype.str)).encode() + array.tobytes(), digest_size=16).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=96)  # at most ~100 MB of CelebA GIFs per process
def _encoded(kind: str, digest: str, scale: int, _array: np.ndarray) -> bytes:
    return gif_bytes(_array, scale=scale) if kind == "gif" else png_bytes(_array, scale)


def download(
    label: str,
    build: Callable[[], bytes | str],
    file_name: str,
    key: str,
    *,
    where: DeltaGenerator | None = None,
    icon: str = ":material/download:",
    width: Literal["stretch", "content"] | int = "content",
) -> None:
    """The one download button of the dashboard: `build` runs only when the button is clicked, so no
    media file is made per rerun (a faster rerun could delete it mid-download, and a file per rerun
    costs memory); the MIME type follows the file name's extension."""
    mime = MIME_TYPES.get(file_name[file_name.rfind(".") :].lower(), "application/octet-stream")
    (where or st).download_button(label, build, file_name=file_name, mime=mime, key=key, on_click="ignore", icon=icon, width=width)


IMAGE_ROW = "vae-image-row"  # the class of image_row's block (its CSS: ui/app.py APP_CSS)


def image_row(images: list[np.ndarray], captions: list[str], width: int = 84) -> None:
    """Small pictures in a row, each with its caption, as one HTML block: one element for the page to lay
    out where a column and an image per picture made 17 (a map click's neighbours arrive ~20 ms sooner,
    benchmarks/map_click.py). Each picture is a data URL (inline) and its caption is also its alt text."""
    cells = []
    for image, caption in zip(images, captions):
        src = inline(enlarge(image, width))
        if isinstance(src, bytes):  # never for thumbnails; a picture too big to inline goes through st.image
            st.image(src, caption=caption)
            continue
        text = html.escape(caption)
        cells.append(f'<figure><img src="{src}" alt="{text}"><figcaption>{text}</figcaption></figure>')
    if cells:
        st.html(f'<div class="{IMAGE_ROW}">{"".join(cells)}</div>')


def image_row_captions(body: str) -> list[str]:
    """The captions of an image_row block's HTML, in order (for tests reading a page's rows)."""
    return [html.unescape(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", body)]


def label_of(data: TestSet | None, test_index: int) -> str:
    if data is None:
        return "?"
    if data.labels is not None:
        return str(int(data.labels[test_index]))
    return data.image_ids[test_index] if data.image_ids else str(test_index)


@st.cache_resource(show_spinner=False, max_entries=32)
def _unit_usage(key: ModelKey) -> UnitUsage:
    result = ready_of(key)
    return unit_usage(result.model, card_of(key), result.atlas.mean)


def dimension_usage(model_name: str) -> UnitUsage:
    """Active/inactive latent dimensions of a loaded model (one definition: vae.core.latent.active_mask),
    computed once per set of weights."""
    return _unit_usage(model_key(model_name))


def distance_cue(location: MapLocation) -> None:
    """The honesty cue under a decoded map location: how far it is from the data on the map (and in
    latent space where the map makes a new code), and a warning where the picture is made up.

    Plain metrics one under the other, no st.columns: a new column layout beside the map makes the
    browser lay the 22,000-point plot out again (about 100 ms a click, measured)."""
    st.metric(
        t("map.map_distance"),
        t("map.spacings", n=location.map_spacings),
        help=t("map.map_distance_help", d=location.map_distance, spacing=location.map_spacing, far=FAR_SPACINGS),
    )
    if location.latent_distance is not None:
        st.metric(
            t("map.nearest_distance"),
            t("map.spacings", n=location.latent_spacings),
            help=t("map.nearest_distance_help", d=location.latent_distance, spacing=location.latent_spacing, far=FAR_SPACINGS),
        )
    if location.far_from_data:
        st.warning(t("map.far_from_data"))


@st.cache_data(show_spinner=False, max_entries=16)
def atlas_csv(key: ModelKey) -> bytes:
    """The encoded test set as CSV: index, label (when the data is present), scores, map coordinates, μ."""
    result = ready_of(key)
    atlas = result.atlas
    frame = pd.DataFrame({"test_index": atlas.test_index})
    data = test_set(result.model.config.dataset)
    if data is not None and data.labels is not None:
        frame["label"] = data.labels[atlas.test_index]
    if data is not None and data.image_ids:
        frame["image_id"] = [data.image_ids[i] for i in atlas.test_index]
    frame["recon_nats"] = atlas.recon_nats
    frame["kl_nats"] = atlas.kl_nats
    frame["neg_elbo_nats"] = atlas.recon_nats + atlas.kl_nats
    frame[["pca_1", "pca_2"]] = atlas.pca_coords
    frame[["tsne_1", "tsne_2"]] = atlas.tsne_coords
    frame[["umap_1", "umap_2"]] = atlas.umap_coords
    if atlas.mean.shape[1] == 2:
        frame[["raw_1", "raw_2"]] = atlas.mean
    for d in range(atlas.mean.shape[1]):
        frame[f"mu_{d}"] = atlas.mean[:, d]
    return frame.to_csv(index=False, float_format="%.5g").encode()


def png(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image).save(buf, format="PNG")
    return buf.getvalue()


def map_html(key: ModelKey, projection: str, colour: str, labels: tuple[str, ...]) -> bytes:
    """The latent map as a self-contained interactive HTML page (plotly.js inlined: works offline)."""
    fig, _ = map_figure(key, projection, colour, labels)
    html = fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    return html.encode()
