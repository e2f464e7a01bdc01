"""The eight steps of the VAE lesson page, one function per step, each an st.fragment so that a
slider reruns only its own step. Every figure comes from the real shipped model: live encodings of
test images, decoded codes, the atlas of the test set, the model's card.

The maths lives in vae/lesson.py; this module only lays it out.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch
from plotly.subplots import make_subplots

from ui import state, widgets
from ui.figures import DIGIT_COLOURS
from ui.i18n import current_language, t
from ui.resources import TestSet, loaded, test_set
from vae import VAE, DiagonalGaussian
from vae.atlas import Atlas
from vae.data import to_tensor
from vae.explore_ops import display_scale
from vae.images import grid, png_bytes
from vae.latent import decode, lerp, manifold_grid, prior_samples
from vae.lesson import (
    anomaly_pair,
    fraction_within,
    history_columns,
    kl_normal_standard,
    kl_numeric,
    mass_within_radius,
    normal2d_pdf,
    normal_pdf,
    posterior_samples,
    reparameterize_with_grad,
    training_command,
)

SEED_MAX = 2**31 - 1
N_POSTERIOR_SAMPLES = 6
Z_AXIS = np.linspace(-6.0, 6.0, 601)  # the 1-D plots keep one axis so the curve moves, not the frame
MU_DEFAULT, SIGMA_DEFAULT = 1.5, 0.6  # step 5 opens on a q that differs from the prior
PLOT = dict(margin=dict(l=10, r=10, t=30, b=10), height=320)


@dataclass
class Lesson:
    """The model the lesson runs on, its atlas and card, and the test images (None without the data)."""

    name: str
    model: VAE
    atlas: Atlas
    card: dict
    data: TestSet | None

    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim


# ---- shared inputs and look-ups ------------------------------------------------------------
def index_input(lesson: Lesson, where=st) -> int:
    """The lesson's test image (an atlas row), shared by steps 1, 2, 3, 5 and 6; in the URL as ls_index."""
    n = len(lesson.atlas.mean)
    state.from_query("ls_index", 0, state.parse_int(0, n - 1))
    if st.session_state["ls_index"] >= n:
        st.session_state["ls_index"] = 0
    where.number_input(t("lesson.index", n=n - 1), 0, n - 1, key="ls_index", help=t("lesson.index_help"))
    state.to_query("ls_index")
    return int(st.session_state["ls_index"])


def seed_input(where=st) -> int:
    state.from_query("ls_seed", 0, state.parse_int(0, SEED_MAX))
    where.number_input(t("lesson.seed"), 0, SEED_MAX, key="ls_seed", help=t("lesson.seed_help"))
    state.to_query("ls_seed")
    return int(st.session_state["ls_seed"])


def slider(key: str, label: str, lo: float, hi: float, default: float, where=st, step: float = 0.01) -> float:
    """A float slider whose value lives in the URL under `key` (rounded to the slider's step)."""
    state.from_query(key, default, lambda raw: round(state.parse_float(lo, hi)(raw), 2))
    where.slider(label, lo, hi, step=step, key=key)
    state.to_query(key)
    return float(st.session_state[key])


def original(lesson: Lesson, row: int) -> np.ndarray | None:
    """The test image of an atlas row, uint8 (28, 28), or None without the data."""
    return None if lesson.data is None else lesson.data.images[lesson.atlas.test_index[row]]


def posterior_of(lesson: Lesson, row: int) -> DiagonalGaussian:
    """q(z|x) of one test image: encoded live from the image, or rebuilt from the atlas without the data."""
    image = original(lesson, row)
    with torch.inference_mode():
        if image is not None:
            return lesson.model.encode(to_tensor(np.array(image[None])))  # a copy: the test set is shared read-only
        return DiagonalGaussian(torch.tensor(lesson.atlas.mean[row : row + 1]), torch.tensor(lesson.atlas.logvar[row : row + 1]))


def who(lesson: Lesson, row: int) -> str:
    index = int(lesson.atlas.test_index[row])
    if lesson.data is None:
        return t("lesson.who_nolabel", index=index)
    return t("lesson.who", index=index, label=widgets.label_of(lesson.data, index))


def strip(images: np.ndarray, ncols: int | None = None, target: int = 84) -> bytes:
    """A row (or grid) of decoded images as one crisp PNG."""
    ncols = ncols or len(images)
    return png_bytes(grid(images, ncols), display_scale(images.shape[1], ncols, target=target, max_width=900))


def no_data_note(lesson: Lesson) -> None:
    if lesson.data is None:
        st.caption(t("lesson.no_data"))


def count(n: int) -> str:
    """An integer with the thousands separator of the current language (10,000 / 10 000)."""
    return f"{int(n):,}".replace(",", "\u202f" if current_language() == "fr" else ",")


def dims(d: int) -> list[str]:
    return [f"z{i + 1}" for i in range(d)]


# ---- cached figures --------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=16)
def map_figure(name: str, weights_sha256: str, lang: str, has_data: bool) -> go.Figure:
    """The encoded test set: raw (z₁, z₂) for a 2-D latent space, else PCA; coloured by digit when
    the data is present. Shared read-only: callers build new figures from its traces."""
    atlas = loaded(name).atlas
    raw = atlas.mean.shape[1] == 2
    coords = atlas.coords("raw" if raw else "pca")
    data = test_set("mnist") if has_data else None
    traces = []
    if data is not None and data.labels is not None:
        labels = data.labels[atlas.test_index]
        for digit in range(10):
            m = labels == digit
            traces.append(go.Scattergl(x=coords[m, 0], y=coords[m, 1], mode="markers", name=str(digit), hoverinfo="name",
                                       marker=dict(size=4, color=DIGIT_COLOURS[digit], opacity=0.55)))  # fmt: skip
    else:
        traces.append(go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name=t("lesson.map.points"), hoverinfo="skip",
                                   marker=dict(size=4, color="#3b6ea8", opacity=0.45)))  # fmt: skip
    axis = t("lesson.map.axis_raw" if raw else "lesson.map.axis_pca")
    fig = go.Figure(traces)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", y=1.02, itemsizing="constant"),
                      xaxis=dict(title=f"{axis}1", zeroline=False), yaxis=dict(title=f"{axis}2", zeroline=False, scaleanchor="x"))  # fmt: skip
    return fig


def map_with(base: go.Figure, extra: list) -> go.Figure:
    """A new figure: the cached map's traces plus `extra` (the cached one is never modified)."""
    return go.Figure(data=list(base.data) + extra, layout=base.layout)


@st.cache_resource(show_spinner=False, max_entries=8)
def manifold_png(name: str, weights_sha256: str, n: int = 12, r: float = 2.5) -> bytes:
    """The decoded n×n grid over [−r, r]² of a 2-D latent space (the classic figure of Kingma & Welling)."""
    return strip(decode(loaded(name).model, manifold_grid((-r, r), (-r, r), n)), n, target=40)


def density_figure(mu: float, sigma: float, prior: bool) -> go.Figure:
    fig = go.Figure()
    if prior:
        fig.add_scatter(x=Z_AXIS, y=normal_pdf(Z_AXIS, 0, 1), name=t("lesson.prior_curve"), fill="tozeroy",
                        line=dict(color="#1f77b4", dash="dash", width=2), fillcolor="rgba(31,119,180,0.15)")  # fmt: skip
    fig.add_scatter(x=Z_AXIS, y=normal_pdf(Z_AXIS, mu, sigma), name=t("lesson.q_curve", mu=mu, sigma=sigma), fill="tozeroy",
                    line=dict(color="#d62728", width=3), fillcolor="rgba(214,39,40,0.25)")  # fmt: skip
    fig.update_layout(**PLOT, xaxis_title="z", yaxis_title=t("lesson.density"), legend=dict(orientation="h", y=1.1))
    return fig


# ---- step 1 ----------------------------------------------------------------------------------
def posterior_bars(mu: np.ndarray, sigma: np.ndarray, samples: np.ndarray) -> go.Figure:
    """μ ± σ per latent dimension, with the sampled codes as crosses."""
    fig = go.Figure()
    names = dims(len(mu))
    for k, z in enumerate(samples):
        fig.add_scatter(x=names, y=z, mode="markers", marker=dict(size=6, color="#999", symbol="x"),
                        name=t("lesson.s1.sample_points"), showlegend=k == 0)  # fmt: skip
    fig.add_scatter(x=names, y=mu, mode="markers", marker=dict(size=10, color="#d62728"), name="μ ± σ",
                    error_y=dict(type="data", array=sigma, thickness=2, width=6))  # fmt: skip
    fig.update_layout(**PLOT, yaxis_title=t("lesson.s1.value"), legend=dict(orientation="h", y=1.12))
    return fig


def posterior_plane(mu: np.ndarray, sigma: np.ndarray, samples: np.ndarray) -> go.Figure:
    """A 2-D posterior in the latent plane: μ, its 1σ and 2σ ellipses and the sampled codes (zoomed in)."""
    theta = np.linspace(0, 2 * np.pi, 120)
    fig = go.Figure()
    for k, dash in ((1, "solid"), (2, "dash")):
        fig.add_scatter(x=mu[0] + k * sigma[0] * np.cos(theta), y=mu[1] + k * sigma[1] * np.sin(theta), mode="lines",
                        line=dict(color="#d62728", dash=dash), name=f"{k}σ")  # fmt: skip
    fig.add_scatter(
        x=samples[:, 0], y=samples[:, 1], mode="markers", marker=dict(size=9, color="#555", symbol="x"), name=t("lesson.s1.sample_points")
    )
    fig.add_scatter(x=[mu[0]], y=[mu[1]], mode="markers", marker=dict(size=12, color="#d62728"), name="μ")
    fig.update_layout(**PLOT, xaxis_title="z1", yaxis=dict(title="z2", scaleanchor="x"), legend=dict(orientation="h", y=1.12))
    return fig


@st.fragment
def step_autoencoder(lesson: Lesson) -> None:
    st.markdown(t("lesson.s1.intro"))
    c1, c2 = st.columns(2)
    row, seed = index_input(lesson, c1), seed_input(c2)
    posterior = posterior_of(lesson, row)
    mu, sigma = posterior.mean[0].numpy(), posterior.std[0].numpy()
    samples = posterior_samples(mu, posterior.logvar[0].numpy(), N_POSTERIOR_SAMPLES, seed)
    images = decode(lesson.model, np.vstack([mu[None], samples]))
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader(t("lesson.s1.ae"))
        cols = st.columns(2)
        image = original(lesson, row)
        if image is not None:
            cols[0].image(widgets.inline(widgets.enlarge(image, 140)), width=140, caption=t("lesson.input", who=who(lesson, row)))
        cols[1].image(widgets.inline(widgets.enlarge(images[0], 140)), width=140, caption=t("lesson.s1.decoded_mu"))
        st.caption(t("lesson.s1.ae_caption"))
    with right:
        st.subheader(t("lesson.s1.vae"))
        st.image(widgets.inline(strip(images[1:], target=100)), caption=t("lesson.s1.samples_caption", n=N_POSTERIOR_SAMPLES, seed=seed))
        st.caption(t("lesson.s1.vae_caption"))
    no_data_note(lesson)
    st.markdown(t("lesson.s1.numbers_plane" if lesson.latent_dim == 2 else "lesson.s1.numbers"))
    table = pd.DataFrame({"μ": mu, "σ": sigma}, index=dims(lesson.latent_dim)).T
    st.dataframe(table.style.format("{:.3f}"), width="stretch")
    fig = posterior_plane(mu, sigma, samples) if lesson.latent_dim == 2 else posterior_bars(mu, sigma, samples)
    st.plotly_chart(fig, key="ls1_bars", width="stretch")


# ---- step 2 ----------------------------------------------------------------------------------
@st.fragment
def step_uses(lesson: Lesson) -> None:
    st.markdown(t("lesson.s2.intro"))
    model, atlas = lesson.model, lesson.atlas
    with st.container(border=True):
        st.subheader(t("lesson.s2.generation"))
        seed = seed_input(st.columns(3)[0])
        st.image(
            widgets.inline(strip(decode(model, prior_samples(lesson.latent_dim, 8, seed)))),
            caption=t("lesson.s2.generation_caption", seed=seed),
        )
    with st.container(border=True):
        st.subheader(t("lesson.s2.interpolation"))
        c1, c2 = st.columns(2)
        row = index_input(lesson, c1)
        n = len(atlas.mean)
        state.from_query("ls_index2", 1, state.parse_int(0, n - 1))
        c2.number_input(t("lesson.index2", n=n - 1), 0, n - 1, key="ls_index2")
        state.to_query("ls_index2")
        row2 = int(st.session_state["ls_index2"])
        path = decode(model, lerp(posterior_of(lesson, row).mean[0].numpy(), posterior_of(lesson, row2).mean[0].numpy(), 8))
        st.image(widgets.inline(strip(path)), caption=t("lesson.s2.interpolation_caption", a=who(lesson, row), b=who(lesson, row2)))
    with st.container(border=True):
        st.subheader(t("lesson.s2.anomaly"))
        worst, typical = anomaly_pair(atlas.neg_elbo_nats)
        cols = st.columns([1, 1, 3])
        for col, r, key in ((cols[0], typical, "lesson.s2.typical"), (cols[1], worst, "lesson.s2.worst")):
            image = original(lesson, r)
            image = image if image is not None else decode(model, atlas.mean[r])[0]
            col.image(widgets.inline(widgets.enlarge(image, 140)), width=140, caption=t(key, who=who(lesson, r)))
            col.metric(t("lesson.s2.score"), f"{atlas.neg_elbo_nats[r]:.1f} nats")
        cols[2].markdown(t("lesson.s2.anomaly_caption", n=count(len(atlas.mean))))
        no_data_note(lesson)


# ---- step 3 ----------------------------------------------------------------------------------
@st.fragment
def step_latent_space(lesson: Lesson) -> None:
    raw = lesson.latent_dim == 2
    st.markdown(t("lesson.s3.intro_raw" if raw else "lesson.s3.intro_pca", d=lesson.latent_dim))
    left, right = st.columns([3, 2], gap="large")
    with right:
        row = index_input(lesson)
        mu = posterior_of(lesson, row).mean[0].numpy()
        st.image(
            widgets.inline(widgets.enlarge(decode(lesson.model, mu)[0], 200)),
            width=200,
            caption=t("lesson.s3.decoded", who=who(lesson, row)),
        )
        st.markdown(t("lesson.s3.vector", d=lesson.latent_dim))
        if lesson.latent_dim <= 8:
            st.latex(r"\mathbf{z} = \mu(x) = (" + ",\\ ".join(f"{v:.3f}" for v in mu) + ")")
        else:
            st.code("z = μ(x) = [" + ", ".join(f"{v:.3f}" for v in mu) + "]", language=None, wrap_lines=True)
    base = map_figure(lesson.name, lesson.atlas.weights_sha256, current_language(), test_set("mnist") is not None)
    xy = mu if raw else lesson.atlas.pca.transform(mu[None].astype(np.float64))[0]
    marker = go.Scattergl(x=[xy[0]], y=[xy[1]], mode="markers", name=t("lesson.s3.highlight"),
                        marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(width=3, color="black"), symbol="circle"))  # fmt: skip
    with left:
        st.plotly_chart(map_with(base, [marker]), key="ls3_map", width="stretch")
        st.caption(t("lesson.s3.map_caption_raw" if raw else "lesson.s3.map_caption_pca"))
        no_data_note(lesson)


# ---- step 4 ----------------------------------------------------------------------------------
@st.fragment
def step_normal(lesson: Lesson, z2: Lesson | None) -> None:
    st.markdown(t("lesson.s4.intro"))
    st.subheader(t("lesson.s4.one_d"))
    c1, c2 = st.columns([1, 2], gap="large")
    mu = slider("ls_mu1", "μ", -3.0, 3.0, 0.0, c1)
    sigma = slider("ls_sigma1", "σ", 0.1, 3.0, 1.0, c1)
    c1.latex(r"p(z) = \frac{1}{\sigma\sqrt{2\pi}}\,\exp\!\Big(-\frac{(z-\mu)^2}{2\sigma^2}\Big)")
    c1.caption(t("lesson.s4.one_d_caption"))
    c2.plotly_chart(density_figure(mu, sigma, prior=True), key="ls4_1d", width="stretch")

    st.subheader(t("lesson.s4.two_d"))
    c1, c2 = st.columns([1, 2], gap="large")
    mux, muy = slider("ls_mu2x", "μ₁", -3.0, 3.0, 0.0, c1), slider("ls_mu2y", "μ₂", -3.0, 3.0, 0.0, c1)
    sx, sy = slider("ls_sigma2x", "σ₁", 0.2, 3.0, 1.0, c1), slider("ls_sigma2y", "σ₂", 0.2, 3.0, 1.0, c1)
    c1.latex(
        r"\begin{aligned}p(\mathbf{z}) &= \mathcal{N}(\mathbf{z};\boldsymbol\mu,\operatorname{diag}\boldsymbol\sigma^2)"
        r"\\ &= \prod_{i=1}^{n}\mathcal{N}(z_i;\mu_i,\sigma_i^2)\end{aligned}"
    )
    c1.caption(t("lesson.s4.n_d_caption"))
    axis = np.linspace(-5, 5, 121)
    gx, gy = np.meshgrid(axis, axis)
    density = normal2d_pdf(np.stack([gx, gy], -1), (mux, muy), (sx, sy))
    fig = go.Figure(go.Contour(x=axis, y=axis, z=density, colorscale="Blues", contours=dict(coloring="heatmap", showlines=True),
                               colorbar=dict(title=t("lesson.density"), thickness=12)))  # fmt: skip
    fig.update_layout(**{**PLOT, "height": 420}, xaxis_title="z₁", yaxis=dict(title="z₂", scaleanchor="x"))
    c2.plotly_chart(fig, key="ls4_2d", width="stretch")

    st.subheader(t("lesson.s4.prior"))
    target = z2 or lesson
    st.markdown(t("lesson.s4.prior_intro", name=target.name))
    if z2 is None:
        st.info(t("lesson.s4.no_z2", name=lesson.name))
    base = map_figure(target.name, target.atlas.weights_sha256, current_language(), test_set("mnist") is not None)
    theta = np.linspace(0, 2 * np.pi, 200)
    rings = []
    for r, dash in ((1, "solid"), (2, "dash"), (3, "dot")):
        rings.append(go.Scatter(x=r * np.cos(theta), y=r * np.sin(theta), mode="lines", name=f"{r}σ", hoverinfo="name",
                                line=dict(color="black", width=2, dash=dash)))  # fmt: skip
    left, right = st.columns([3, 2], gap="large")
    left.plotly_chart(map_with(base, rings), key="ls4_prior", width="stretch")
    codes = target.atlas.mean if target.latent_dim == 2 else target.atlas.coords("pca")
    table = pd.DataFrame(
        {
            t("lesson.s4.radius"): ["1σ", "2σ", "3σ"],
            t("lesson.s4.prior_mass"): [f"{100 * mass_within_radius(r):.1f} %" for r in (1, 2, 3)],
            t("lesson.s4.codes_inside"): [f"{100 * fraction_within(codes, r):.1f} %" for r in (1, 2, 3)],
        }
    )
    right.table(table.set_index(table.columns[0]))
    right.markdown(t("lesson.s4.prior_caption"))


# ---- step 5 ----------------------------------------------------------------------------------
@st.fragment
def step_kl(lesson: Lesson) -> None:
    st.markdown(t("lesson.s5.intro"))
    st.latex(r"\mathrm{KL}\big(\mathcal{N}(\mu,\sigma^2)\,\|\,\mathcal{N}(0,1)\big) = \tfrac12\big(\mu^2 + \sigma^2 - 1 - \ln\sigma^2\big)")
    c1, c2 = st.columns([1, 2], gap="large")
    mu = slider("ls_mu", "μ", -3.0, 3.0, MU_DEFAULT, c1)
    sigma = slider("ls_sigma", "σ", 0.05, 3.0, SIGMA_DEFAULT, c1)
    kl = float(kl_normal_standard(mu, sigma))
    c1.metric(t("lesson.s5.kl_metric"), f"{kl:.3f} nats")
    c1.caption(t("lesson.s5.numeric_check", value=kl_numeric(mu, sigma)))
    c2.plotly_chart(density_figure(mu, sigma, prior=True), key="ls5_densities", width="stretch")
    st.markdown(t("lesson.s5.reading"))

    st.subheader(t("lesson.s5.real"))
    left, right = st.columns([1, 3], gap="large")
    with left:
        row = index_input(lesson)
        image = original(lesson, row)
        posterior = posterior_of(lesson, row)
        shown = image if image is not None else decode(lesson.model, posterior.mean)[0]
        st.image(widgets.inline(widgets.enlarge(shown, 140)), width=140, caption=who(lesson, row))
        no_data_note(lesson)
    per_dim = posterior.kl_per_dim()[0].numpy()
    total = float(posterior.kl()[0])
    with right:
        fig = go.Figure(
            go.Bar(x=dims(lesson.latent_dim), y=per_dim, marker_color="#d62728", hovertemplate="%{x}: %{y:.3f} nats<extra></extra>")
        )
        fig.update_layout(**PLOT, yaxis_title=t("lesson.s5.kl_axis"))
        st.plotly_chart(fig, key="ls5_bars", width="stretch")
    left.metric(t("lesson.s5.total"), f"{total:.2f} nats")
    right.markdown(t("lesson.s5.total_caption", total=total, total_bars=float(per_dim.sum()), mean=float(lesson.atlas.kl_nats.mean())))


# ---- step 6 ----------------------------------------------------------------------------------
@st.fragment
def step_reparameterization(lesson: Lesson) -> None:
    st.markdown(t("lesson.s6.intro"))
    c1, c2 = st.columns(2)
    row, seed = index_input(lesson, c1), seed_input(c2)
    image = original(lesson, row)
    x = image if image is not None else decode(lesson.model, lesson.atlas.mean[row])[0, ..., 0]
    r = reparameterize_with_grad(lesson.model, x, seed)
    st.markdown(t("lesson.s6.steps", seed=seed))
    table = pd.DataFrame(
        {"μ": r["mu"], "σ": r["sigma"], "ε": r["eps"], "σ·ε": r["sigma_eps"], "z = μ + σ·ε": r["z"]}, index=dims(lesson.latent_dim)
    )
    left, right = st.columns(2, gap="large")
    left.dataframe(table.style.format("{:.3f}"), width="stretch")
    images = decode(lesson.model, np.stack([r["mu"], r["z"]]))
    cols = right.columns(3)
    cols[0].image(widgets.inline(widgets.enlarge(x, 112)), width=112, caption=t("lesson.input", who=who(lesson, row)))
    cols[1].image(widgets.inline(widgets.enlarge(images[0], 112)), width=112, caption=t("lesson.s6.decoded_mu"))
    cols[2].image(widgets.inline(widgets.enlarge(images[1], 112)), width=112, caption=t("lesson.s6.decoded_z"))
    right.caption(t("lesson.s6.decoded_caption"))
    no_data_note(lesson)

    st.subheader(t("lesson.s6.why"))
    st.markdown(t("lesson.s6.why_text"))
    st.markdown(t("lesson.s6.without"))
    st.code(t("lesson.s6.diagram_without"), language=None)
    st.markdown(t("lesson.s6.with"))
    st.code(t("lesson.s6.diagram_with"), language=None)

    st.subheader(t("lesson.s6.autograd"))
    st.markdown(t("lesson.s6.autograd_text"))
    grads = pd.DataFrame({"ε": r["eps"], "∂z/∂μ": r["dz_dmu"], "∂z/∂σ": r["dz_dsigma"]}, index=dims(lesson.latent_dim))
    left, right = st.columns([2, 3], gap="large")
    left.dataframe(grads.style.format("{:.4f}"), width="stretch")
    off_diagonal = float(np.abs(r["jacobian_sigma"] - np.diag(np.diag(r["jacobian_sigma"]))).max())
    right.metric(t("lesson.s6.max_mu_gap"), f"{float(np.abs(r['dz_dmu'] - 1).max()):.1e}")
    right.metric(t("lesson.s6.max_sigma_gap"), f"{float(np.abs(r['dz_dsigma'] - r['eps']).max()):.1e}")
    right.markdown(t("lesson.s6.autograd_result", off=off_diagonal, loss=r["loss_nats"], norm=r["encoder_grad_norm"]))
    st.code(textwrap.dedent(inspect.getsource(DiagonalGaussian.sample)), language="python")


# ---- step 7 ----------------------------------------------------------------------------------
def _next_seed() -> None:
    st.session_state["ls_seed"] = (int(st.session_state.get("ls_seed", 0)) + 1) % (SEED_MAX + 1)


@st.fragment
def step_generate(lesson: Lesson) -> None:
    st.markdown(t("lesson.s7.intro", d=lesson.latent_dim))
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    state.from_query("ls_n", 16, state.parse_int(1, 64))
    n = int(c1.number_input(t("lesson.s7.n"), 1, 64, key="ls_n"))
    seed = seed_input(c2)
    c3.button(t("lesson.s7.new_draw"), key="ls_next_seed", on_click=_next_seed, icon=":material/casino:")
    state.to_query("ls_n")
    codes = prior_samples(lesson.latent_dim, n, seed)
    ncols = int(np.ceil(np.sqrt(n)))
    st.image(widgets.inline(strip(decode(lesson.model, codes), ncols, target=84)), caption=t("lesson.s7.caption", n=n, seed=seed))
    st.code("z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))  # z ~ N(0, I)\n"
            "images = model.decode(z)  # (n, 1, 28, 28), pixel means in [0, 1]", language="python")  # fmt: skip


# ---- step 8 ----------------------------------------------------------------------------------
def _source(obj) -> str:
    return textwrap.dedent(inspect.getsource(obj))


def _curves(history: list[dict]) -> go.Figure | None:
    cols = history_columns(history)
    if not cols["epoch"]:
        return None
    fig = make_subplots(1, 2, subplot_titles=(t("lesson.s8.recon_curve"), t("lesson.s8.kl_curve")))
    for c, (term, colour) in enumerate((("recon", "#1f77b4"), ("kl", "#d62728")), start=1):
        for split, dash in (("train", "solid"), ("test", "dash")):
            fig.add_scatter(x=cols["epoch"], y=cols[f"{split}_{term}_nats"], name=f"{t('lesson.s8.' + split)} · {term}",
                            line=dict(color=colour, dash=dash), row=1, col=c)  # fmt: skip
    fig.update_xaxes(title_text=t("lesson.s8.epoch"))
    fig.update_yaxes(title_text="nats")
    fig.update_layout(**{**PLOT, "height": 340, "margin": dict(l=10, r=10, t=40, b=10)})
    return fig


@st.fragment
def step_how_built(lesson: Lesson, z2: Lesson | None) -> None:
    target = z2 or lesson
    model, card, config = target.model, target.card, target.model.config
    st.markdown(t("lesson.s8.intro", name=target.name))
    if z2 is None:
        st.info(t("lesson.s4.no_z2", name=lesson.name))

    st.subheader(t("lesson.s8.data"))
    st.markdown(t("lesson.s8.data_text", train=count(card.get("train_images", 60000)), test=count(len(target.atlas.mean))))
    st.code("from vae.data import load_mnist\nimages, labels = load_mnist('train')  # uint8 (60000, 28, 28), digits 0-9", language="python")
    st.subheader(t("lesson.s8.preprocessing"))
    st.markdown(t("lesson.s8.preprocessing_text"))
    st.code(_source(to_tensor), language="python")
    st.subheader(t("lesson.s8.encoder"))
    side, top = model.sizes[-1], config.channels[-1]
    head = t("lesson.s8.head_hidden", hidden=config.hidden) if config.hidden else t("lesson.s8.head_linear")
    st.markdown(
        t(
            "lesson.s8.encoder_text",
            n=len(config.channels),
            channels=", ".join(map(str, config.channels)),
            s=side,
            head=head,
            d=config.latent_dim,
        )
    )
    st.code(f"{model.encoder}\n{model.to_posterior}", language=None)
    st.code(_source(VAE.encode), language="python")
    st.subheader(t("lesson.s8.decoder"))
    st.markdown(t("lesson.s8.decoder_text", head=head, ch=top, s=side))
    st.code(f"{model.from_latent}\n{model.decoder}", language=None)
    st.subheader(t("lesson.s8.vae", d=config.latent_dim))
    st.markdown(t("lesson.s8.vae_text"))
    settings = {
        "latent_dim": config.latent_dim,
        "channels": ", ".join(map(str, config.channels)),
        "hidden": config.hidden,
        "beta": f"{config.beta:g}",
        "likelihood": config.likelihood,
        t("lesson.s8.params"): f"{model.num_parameters():,}",
    }
    st.table(pd.DataFrame([settings], index=["config"]))
    st.code(_source(DiagonalGaussian.kl_per_dim), language="python")
    st.subheader(t("lesson.s8.training"))
    st.markdown(t("lesson.s8.training_text", epochs=card.get("epochs", "?"), batch=card.get("batch_size", "?"), lr=card.get("lr", "?")))
    st.code(training_command(config, card, target.name), language="bash")
    st.code(_source(VAE.forward), language="python")
    fig = _curves(card.get("history", []))
    if fig is None:
        st.info(t("lesson.s8.no_history"))
    else:
        st.plotly_chart(fig, key="ls8_curves", width="stretch")
    test = card.get("test", {})
    metrics = [("recon", "recon_nats", "{:.1f} nats"), ("kl", "kl_nats", "{:.1f} nats"), ("elbo", "neg_elbo_nats", "{:.1f} nats"),
               ("iw", "iw_bound_nats", "{:.1f} nats"), ("psnr", "psnr_db", "{:.2f} dB")]  # fmt: skip
    values = [("—" if test.get(key) is None else fmt.format(test[key])) for _, key, fmt in metrics]
    values.append(f"{card.get('training_seconds', 0) / 60:.0f} min")
    labels = [t(f"lesson.s8.m.{label}") for label, _, _ in metrics] + [t("lesson.s8.m.time")]
    for start in (0, 3):
        for col, label, value in zip(st.columns(3), labels[start : start + 3], values[start : start + 3]):
            col.metric(label, value)
    st.subheader(t("lesson.s8.generation"))
    st.image(widgets.inline(strip(decode(model, prior_samples(config.latent_dim, 10, 0)))), caption=t("lesson.s8.generation_caption"))
    st.subheader(t("lesson.s8.display"))
    if config.latent_dim == 2:
        left, right = st.columns(2, gap="large")
        left.plotly_chart(
            map_figure(target.name, target.atlas.weights_sha256, current_language(), test_set("mnist") is not None),
            key="ls8_map",
            width="stretch",
        )
        right.image(widgets.inline(manifold_png(target.name, target.atlas.weights_sha256)), caption=t("lesson.s8.manifold_caption"))
    else:
        st.markdown(t("lesson.s8.display_pca"))
