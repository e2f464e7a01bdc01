"""Helpers of the "Your own input" page: the drawing canvas, the upload, the test-set map with the
user's point on top, the μ ± σ chart, and the per-model t-SNE map that openTSNE refines against.
Shared with the Anomalies page: the "ink on paper?" choice and how a user's scores are shown
(a score beyond every test image as such, the encoder's log-variance clamp said out loud).

Test hook: AppTest cannot draw on the canvas, so a page run reads `st.session_state[CANVAS_HOOK]`
(an RGBA uint8 array, what the canvas would return) in place of the canvas's drawing when present.
Uploads need no hook: AppTest drives st.file_uploader itself.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.components.figures import DIGIT_COLOURS, map_extent
from ui.shell.i18n import error_text, number, t
from ui.shell.resources import model_key, models_dir, ready_of, test_set
from vae.analysis.anomaly import ScoreReading, UploadReading
from vae.analysis.placement import UserCode, refine_tsne
from vae.artifacts.atlas import Atlas
from vae.artifacts.projection import TSNEMap
from vae.core.model import LOGVAR_MAX, LOGVAR_MIN
from vae.data.inputs import InputImageError, canvas_to_digit, load_user_image

CANVAS_HOOK = "yi_canvas_rgba"  # tests: a drawn RGBA array standing in for the canvas
CANVAS_SIDE = 280  # px: 10× MNIST's 28, so the stroke width is in MNIST-like proportion
STROKE_WIDTH = 20  # px on the 280 px canvas ≈ 2 MNIST pixels, as MNIST pens are
# Extensions for the file picker, and MIME types too: with a MIME type in the list Streamlit leaves
# the check to the browser instead of raising on a wrongly named file; load_user_image explains instead.
UPLOAD_TYPES = ["png", "jpg", "jpeg", "image/png", "image/jpeg"]
INVERT = {"auto": None, "invert": True, "keep": False}


def canvas_available() -> bool:
    """Whether the drawing component (streamlit-drawable-canvas) is installed."""
    return importlib.util.find_spec("streamlit_drawable_canvas") is not None


def drawn_digit() -> tuple[np.ndarray | None, str | None]:
    """The canvas (white on black, MNIST-sized strokes) → ((28, 28) digit or None, message or None)."""
    from streamlit_drawable_canvas import st_canvas  # a component: imported where it is drawn

    result = st_canvas(
        fill_color="#000000",
        stroke_width=STROKE_WIDTH,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key="yi_canvas",
    )
    rgba = st.session_state[CANVAS_HOOK] if CANVAS_HOOK in st.session_state else result.image_data
    if rgba is None:
        return None, None
    try:
        return canvas_to_digit(rgba), None
    except InputImageError as err:
        return None, error_text(err)


def uploaded_image(dataset: str) -> tuple[np.ndarray | None, str | None]:
    """The file uploader (and, for digits, the inversion choice) → (prepared image or None, error or None)."""
    file = st.file_uploader(t(f"yi.upload.{dataset}"), type=UPLOAD_TYPES, key=f"yi_upload_{dataset}", help=t(f"yi.upload_help.{dataset}"))
    invert = invert_choice("yi_invert") if dataset == "mnist" else None
    if file is None:
        return None, None
    return prepare_upload(file.getvalue(), dataset, invert)


def invert_choice(key: str) -> bool | None:
    """The "ink on paper?" radio (detect / invert / keep) → prepare_digit's `invert`."""
    choice = st.radio(t("yi.invert"), list(INVERT), format_func=lambda c: t(f"yi.invert.{c}"), key=key, horizontal=True)
    return INVERT[choice]


def shown_score(reading: ScoreReading, nats: Callable[[float], str]) -> str:
    """A user's score as the page shows it: nats(score), or "> nats(largest test value)" beyond every test image."""
    return t("yi.beyond_value", v=nats(reading.largest_test_nats)) if reading.beyond_test_set else nats(reading.nats)


def score_notes(reading: UploadReading, nats: Callable[[float], str]) -> None:
    """One warning that names each score beyond every test image and the encoder's clamped dimensions."""
    lines = [
        t("yi.beyond", what=t(f"yi.term.{term}"), largest=nats(score.largest_test_nats))
        for term, score in (("elbo", reading.neg_elbo), ("recon", reading.recon), ("kl", reading.kl))
        if score.beyond_test_set
    ]
    clamp = reading.clamp
    if clamp.at_max:
        lines.append(t("yi.clamped.max", bound=number(LOGVAR_MAX), n=clamp.at_max, d=clamp.latent_dim))
    if clamp.at_min:
        lines.append(t("yi.clamped.min", bound=number(LOGVAR_MIN), n=clamp.at_min, d=clamp.latent_dim))
    if lines:
        st.warning("\n".join(f"- {line}" for line in lines), icon=":material/warning:")


def prepare_upload(data: bytes, dataset: str, invert: bool | None = None) -> tuple[np.ndarray | None, str | None]:
    """Upload bytes → (model-ready uint8 image, None) or (None, the InputImageError message)."""
    try:
        return np.array(load_user_image(data, dataset, invert=invert)), None
    except InputImageError as err:
        return None, error_text(err)


@st.cache_resource(show_spinner=False, max_entries=16)
def _tsne(key: tuple, _atlas: Atlas) -> tuple[TSNEMap, threading.Lock, Atlas]:
    """One TSNEMap per loaded atlas (key: models dir, model, id of the atlas; the atlas is kept in the
    value so its id stays unique): openTSNE's affinities are built once, on the first refinement."""
    return _atlas.tsne(), threading.Lock(), _atlas


def tsne_map(name: str) -> TSNEMap:
    atlas = ready_of(model_key(name)).atlas
    return _tsne((str(models_dir()), name, id(atlas)), atlas)[0]


def refined_tsne_position(name: str, code: np.ndarray) -> np.ndarray:
    """openTSNE's placement of `code` on model `name`'s t-SNE map; serialised per model (the map is shared)."""
    atlas = ready_of(model_key(name)).atlas
    tsne, lock, _ = _tsne((str(models_dir()), name, id(atlas)), atlas)
    with lock:
        return refine_tsne(tsne, code)


@st.cache_resource(show_spinner=False, max_entries=32)
def _base_map(key: tuple, _atlas: Atlas, projection: str, labels: tuple[str, str, str]) -> tuple[go.Figure, Atlas]:
    """The test set on one map, coloured by digit when the labels are there. Shared read-only."""
    models_path, name = key[0], key[1]
    coords = _atlas.coords(projection)
    axis, points_label, _ = labels
    data = test_set(ready_of(model_key(name)).model.config.dataset)
    marker = dict(size=4, opacity=0.55)
    if data is not None and data.labels is not None:
        digits = data.labels[_atlas.test_index]
        traces = [
            go.Scattergl(
                x=coords[digits == d, 0],
                y=coords[digits == d, 1],
                mode="markers",
                name=str(d),
                marker=dict(color=DIGIT_COLOURS[d], **marker),
                hoverinfo="name",
            )
            for d in range(10)
        ]
    else:
        traces = [go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name=points_label, marker=dict(color="#8aa1bd", **marker))]
    fig = go.Figure(traces)
    (x0, x1), (y0, y1) = map_extent(coords)
    fig.update_layout(
        height=560,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=f"{axis} 1", range=[x0, x1], zeroline=False),
        yaxis=dict(title=f"{axis} 2", range=[y0, y1], zeroline=False, scaleanchor="x" if projection == "raw" else None),
        legend=dict(itemsizing="constant", orientation="h", y=1.02, x=0, yanchor="bottom"),
        dragmode="pan",
        uirevision=f"{models_path}-{name}-{projection}",
    )
    return fig, _atlas


def map_with_point(name: str, projection: str, xy: np.ndarray, labels: tuple[str, str, str]) -> go.Figure:
    """The cached test-set map plus the user's point as a big star on top (a new figure; the cached one is untouched)."""
    atlas = ready_of(model_key(name)).atlas
    base, _ = _base_map((str(models_dir()), name, id(atlas)), atlas, projection, labels)
    x, y = float(xy[0]), float(xy[1])
    star = go.Scattergl(  # gl like the test points, so it is drawn above them
        x=[x],
        y=[y],
        mode="markers",
        name=labels[2],
        marker=dict(symbol="star", size=26, color="#ffd700", line=dict(width=2, color="#111111")),
        hovertemplate=f"{labels[2]}<br>({number(x, '.2f')} ; {number(y, '.2f')})<extra></extra>",
    )
    fig = go.Figure(data=[*base.data, star], layout=base.layout)
    (x0, x1), (y0, y1) = base.layout.xaxis.range, base.layout.yaxis.range
    if not (x0 <= x <= x1 and y0 <= y <= y1):  # far outside the test set (raw/PCA): widen the view to show it
        pad_x, pad_y = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
        fig.update_xaxes(range=[min(x0, x - pad_x), max(x1, x + pad_x)])
        fig.update_yaxes(range=[min(y0, y - pad_y), max(y1, y + pad_y)])
    return fig


def mu_sigma_figure(user: UserCode, labels: tuple[str, str]) -> go.Figure:
    """μ per latent dimension with ±σ error bars, against the prior's ±1 band."""
    dims = np.arange(len(user.mean))
    title_x, title_y = labels
    fig = go.Figure(
        go.Scatter(
            x=dims,
            y=user.mean,
            mode="markers",
            marker=dict(size=8, color="#1f77b4"),
            error_y=dict(type="data", array=user.std, thickness=1.5, width=3),
            customdata=user.std,
            hovertemplate="z%{x}: μ = %{y:.3f}, σ = %{customdata:.3f}<extra></extra>",
            name="μ ± σ",
        )
    )
    fig.add_hrect(y0=-1, y1=1, fillcolor="rgba(120,120,120,0.12)", line_width=0)
    fig.update_layout(
        height=260,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=title_x, tickmode="linear" if len(dims) <= 32 else "auto", dtick=1 if len(dims) <= 16 else None),
        yaxis=dict(title=title_y, zeroline=True),
        showlegend=False,
    )
    return fig
