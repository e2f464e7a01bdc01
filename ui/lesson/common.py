"""What the lesson's steps share: the Lesson they run on, the inputs several steps read (test image,
seed, float sliders, all mirrored in the URL), small look-ups and the cached map of the test set.

The maths lives in vae/analysis/lesson.py; the steps and this module only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from streamlit.delta_generator import DeltaGenerator

from ui.components import widgets
from ui.components.figures import DIGIT_COLOURS
from ui.shell import state
from ui.shell.i18n import current_language, t
from ui.shell.resources import ModelKey, TestSet, loaded, model_key, ready_of, test_set, zoo
from vae import VAE, DiagonalGaussian
from vae.analysis.explore_ops import display_scale
from vae.analysis.lesson import normal_pdf
from vae.artifacts.atlas import Atlas
from vae.data.datasets import to_tensor
from vae.data.images import grid

if TYPE_CHECKING:
    from vae.core.card import ModelCard

MAIN_MODEL = "mnist-z2"  # the model of the course, chosen independently of the sidebar
SEED_MAX = 2**31 - 1
Z_AXIS = np.linspace(-6.0, 6.0, 601)  # the 1-D plots keep one axis so the curve moves, not the frame
PLOT = dict(margin=dict(l=10, r=10, t=30, b=10), height=320)


@dataclass
class Lesson:
    """The model the lesson runs on, its atlas and card, and the test images (None without the data)."""

    name: str
    model: VAE
    atlas: Atlas
    card: ModelCard | None  # None without a card.json
    data: TestSet | None

    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim


def open_lesson(name: str) -> Lesson | None:
    """The lesson on the shipped model `name`, or None if its weights or atlas cannot be loaded."""
    result = loaded(name)
    if result.model is None or result.atlas is None:
        return None
    card = next((e.card for e in zoo() if e.name == name), None)
    return Lesson(name, result.model, result.atlas, card, test_set("mnist"))


def two_d_lesson(lesson: Lesson, two_d_names: list[str]) -> Lesson | None:
    """Steps 4 and 8 are about the 2-D model of the course: the lesson's model if it is 2-D, else
    MAIN_MODEL (or any 2-D one of `two_d_names`); None when there is none."""
    if lesson.latent_dim == 2:
        return lesson
    name = MAIN_MODEL if MAIN_MODEL in two_d_names else next(iter(two_d_names), None)
    return open_lesson(name) if name else None


# ---- sub-steps: one projector screen each in presenter mode ----------------------------------
# A step module with PARTS = n > 1 wraps its blocks in `if part(k):`. Normally every part shows (a
# reader scrolls); in presenter mode only the current one, so each fits a 1280×720 projector and the
# clicker walks through them (pages/lesson.py keeps the position, ?part=k in the URL).
SHOWN_PART = "_lesson_part_shown"  # session key: the part on screen, None for all of them


def part(k: int) -> bool:
    """Whether sub-step k (1-based) of the current step is on screen."""
    shown = st.session_state.get(SHOWN_PART)
    return shown is None or shown == k


def current_index(key: str, n: int) -> int:
    """The value of a shared index input (e.g. ls_index) whose widget another part shows: from the
    session or the URL it is bound to, clamped to [0, n)."""
    raw = st.session_state.get(key, st.query_params.get(key, 0))
    try:
        return min(max(int(raw), 0), n - 1)
    except (TypeError, ValueError):
        return 0


def current_float(key: str, default: float) -> float:
    """A float slider's value (ui.lesson.common.slider) where another part shows the slider."""
    raw = st.session_state.get(key, st.query_params.get(key, default))
    try:
        return float(raw)
    except (TypeError, ValueError):
        return default


# ---- inputs shared by several steps, each in the URL ----------------------------------------
def index_input(lesson: Lesson, where: DeltaGenerator | None = None) -> int:
    """The lesson's test image (an atlas row), shared by steps 1, 2, 3, 5 and 6; in the URL as ls_index."""
    n = len(lesson.atlas.mean)
    index_param = state.bound("ls_index", 0, state.parse_int(0, n - 1))
    if st.session_state["ls_index"] >= n:
        st.session_state["ls_index"] = 0
    (where or st).number_input(t("lesson.index", n=n - 1), 0, n - 1, help=t("lesson.index_help"), **index_param)
    return int(st.session_state["ls_index"])


def seed_input(where: DeltaGenerator | None = None) -> int:
    (where or st).number_input(
        t("lesson.seed"), 0, SEED_MAX, help=t("lesson.seed_help"), **state.bound("ls_seed", 0, state.parse_int(0, SEED_MAX))
    )
    return int(st.session_state["ls_seed"])


def image_and_seed(lesson: Lesson) -> tuple[int, int]:
    """The test image and the sampling seed, side by side (steps 1 and 6)."""
    c1, c2 = st.columns(2)
    return index_input(lesson, c1), seed_input(c2)


def slider(key: str, label: str, lo: float, hi: float, default: float, *, where: DeltaGenerator | None = None, step: float = 0.01) -> float:
    """A float slider whose value lives in the URL under `key`."""
    return widgets.float_slider(where, label, lo, hi, step=step, spec=".2f", **state.bound(key, default, state.parse_float(lo, hi)))


# ---- look-ups ------------------------------------------------------------------------------
def original(lesson: Lesson, row: int) -> np.ndarray | None:
    """The test image of an atlas row, uint8 (28, 28), or None without the data."""
    return None if lesson.data is None else lesson.data.images[lesson.atlas.test_index[row]]


def posterior_of(lesson: Lesson, row: int) -> DiagonalGaussian:
    """q(z|x) of one test image: encoded live from the image, or rebuilt from the atlas without the data."""
    image = original(lesson, row)
    with torch.inference_mode():
        if image is not None:
            return lesson.model.encode(to_tensor(np.array(image[None])))  # a copy: the test set is shared read-only
        mean, logvar = lesson.atlas.mean[row : row + 1], lesson.atlas.logvar[row : row + 1]  # (1, D)
        return DiagonalGaussian(torch.tensor(mean), torch.tensor(logvar))


def who(lesson: Lesson, row: int) -> str:
    index = int(lesson.atlas.test_index[row])
    if lesson.data is None:
        return t("lesson.who_nolabel", index=index)
    return t("lesson.who", index=index, label=widgets.label_of(lesson.data, index))


def strip(images: np.ndarray, ncols: int | None = None, target: int = 84) -> bytes:
    """A row (or grid) of decoded images as one crisp PNG (encoded once per picture per process)."""
    ncols = ncols or len(images)
    return widgets.png_of(grid(images, ncols), display_scale(images.shape[1], ncols, target=target, max_width=900))


def halves(wide: list[int] | None = None) -> tuple[DeltaGenerator, DeltaGenerator]:
    """Two places for a sub-step with a figure of equal axes or a fixed shape, and its text: on a projector the two
    halves of the screen side by side (a 720-px screen has room in width, not in height, so the figure can span
    its column: harness/figure_size.py); on a screen columns of the relative widths `wide`, or with None one
    under the other."""
    if widgets.presenting():
        first, second = st.columns(2, gap="large")
        return first, second
    if wide is None:
        return st.container(), st.container()
    first, second = st.columns(wide, gap="large")
    return first, second


def samples_grid(n: int) -> tuple[int, int]:
    """(columns, target px per picture) of a grid of n decoded samples: square on a screen; on a projector
    twice as wide as tall, and larger, so that it spans the screen's width."""
    if widgets.presenting():
        return min(n, int(np.ceil(np.sqrt(4 * n)))), 140
    return int(np.ceil(np.sqrt(n))), 60


def no_data_note(lesson: Lesson) -> None:
    if lesson.data is None:
        st.caption(t("lesson.no_data"))


def count(n: int) -> str:
    """An integer with the thousands separator of the current language (10,000 / 10 000)."""
    return f"{int(n):,}".replace(",", "\u202f" if current_language() == "fr" else ",")


def dims(d: int) -> list[str]:
    return [f"z{i + 1}" for i in range(d)]


# ---- figures -------------------------------------------------------------------------------
def map_of(lesson: Lesson) -> go.Figure:
    """The cached map of the lesson's test set (steps 3, 4 and 8); shared read-only, see map_with."""
    return _cached_map(model_key(lesson.name), current_language(), test_set("mnist") is not None)


@st.cache_resource(show_spinner=False, max_entries=16)
def _cached_map(key: ModelKey, lang: str, has_data: bool) -> go.Figure:
    """The encoded test set: raw (z₁, z₂) for a 2-D latent space, else PCA; coloured by digit when
    the data is present. Shared read-only: callers build new figures from its traces."""
    atlas = ready_of(key).atlas
    raw = atlas.mean.shape[1] == 2
    coords = atlas.coords("raw" if raw else "pca")  # (N, 2)
    data = test_set("mnist") if has_data else None
    traces = []
    if data is not None and data.labels is not None:
        labels = data.labels[atlas.test_index]
        for digit in range(10):
            m, marker = labels == digit, dict(size=4, color=DIGIT_COLOURS[digit], opacity=0.55)
            traces.append(go.Scattergl(x=coords[m, 0], y=coords[m, 1], mode="markers", name=str(digit), hoverinfo="name", marker=marker))
    else:
        marker, name = dict(size=4, color="#3b6ea8", opacity=0.45), t("lesson.map.points")
        traces.append(go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name=name, hoverinfo="skip", marker=marker))
    axis = t("lesson.map.axis_raw" if raw else "lesson.map.axis_pca")
    fig = go.Figure(traces)
    fig.update_layout(
        height=520, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=1.02, yanchor="bottom", itemsizing="constant")
    )
    fig.update_layout(xaxis=dict(title=f"{axis}1", zeroline=False), yaxis=dict(title=f"{axis}2", zeroline=False, scaleanchor="x"))
    return fig


def map_with(base: go.Figure, extra: list) -> go.Figure:
    """A new figure: the cached map's traces plus `extra` (the cached one is never modified)."""
    return go.Figure(data=list(base.data) + extra, layout=base.layout)


def density_figure(mu: float, sigma: float, prior: bool) -> go.Figure:
    """The density of N(μ, σ²) on Z_AXIS (steps 4 and 5), with the prior N(0, 1) dashed behind it."""
    fig = go.Figure()
    if prior:
        line, fill = dict(color="#1f77b4", dash="dash", width=2), "rgba(31,119,180,0.15)"
        fig.add_scatter(x=Z_AXIS, y=normal_pdf(Z_AXIS, 0, 1), name=t("lesson.prior_curve"), fill="tozeroy", line=line, fillcolor=fill)
    line, fill = dict(color="#d62728", width=3), "rgba(214,39,40,0.25)"
    name = t("lesson.q_curve", mu=mu, sigma=sigma)
    fig.add_scatter(x=Z_AXIS, y=normal_pdf(Z_AXIS, mu, sigma), name=name, fill="tozeroy", line=line, fillcolor=fill)
    fig.update_layout(**PLOT, xaxis_title="z", yaxis_title=t("lesson.density"))
    # the legend in a top margin of its own: at y = 1.1 with a 30-px margin it came down over the plot and
    # hid the curve's peak on a projector
    fig.update_layout(legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"), margin=dict(l=10, r=10, t=64, b=10))
    # Ranges set here, not left to the browser: every value of the sliders keeps the whole curve, its peak
    # included (σ = 0.6 peaks at 0.665), inside the axes; the x axis stays put so that the curve moves.
    peak = max(float(np.max(trace.y)) for trace in fig.data)
    fig.update_xaxes(range=[float(Z_AXIS[0]), float(Z_AXIS[-1])])
    fig.update_yaxes(range=[0.0, 1.08 * peak])
    return fig
