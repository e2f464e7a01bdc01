"""Step 1, autoencoder vs variational autoencoder: one test image, its decoded mean code μ (what an
autoencoder would give) beside codes drawn from q(z|x) and decoded (what a VAE gives), with μ and σ;
then the latent spaces of two real models of the course's dense architecture, a plain autoencoder
(β = 0) and the VAE (β = 1), side by side on one scale, with how close each is to the prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.components import widgets
from ui.components.latent_panels import (
    SHOWN_DRAWS,
    Panel,
    panel_halves,
    panel_labels,
    panel_title,
    panels_figure,
    prior_match_of,
    scale_control,
    spill_caption,
)
from ui.lesson.common import (
    PLOT,
    SEED_MAX,
    Lesson,
    current_index,
    dims,
    halves,
    image_and_seed,
    no_data_note,
    original,
    part,
    posterior_of,
    strip,
    who,
)
from ui.shell import state
from ui.shell.i18n import number, numbers_listed, t
from ui.shell.resources import model_key, test_set, zoo
from vae.analysis.aggregate import PRIOR_DRAWS
from vae.analysis.lesson import posterior_samples
from vae.core.latent import decode

TITLE = "lesson.step.1"
# the idea; one image through AE and VAE; its posterior in numbers; two latent spaces: what, the maps;
# how close each is to the prior; what differs
PARTS = 7
N_POSTERIOR_SAMPLES = 6
# The two models the comparison needs: the course's dense VAE and the same network trained with β = 0.
AE_MODEL, VAE_MODEL = "mnist-dense-z2-ae", "mnist-dense-z2"


def posterior_bars(mu: np.ndarray, sigma: np.ndarray, samples: np.ndarray) -> go.Figure:
    """μ ± σ per latent dimension, with the sampled codes as crosses."""
    fig = go.Figure()
    names = dims(len(mu))
    cross = dict(size=6, color="#999", symbol="x")
    for k, z in enumerate(samples):
        fig.add_scatter(x=names, y=z, mode="markers", marker=cross, name=t("lesson.s1.sample_points"), showlegend=k == 0)
    error = dict(type="data", array=sigma, thickness=2, width=6)
    fig.add_scatter(x=names, y=mu, mode="markers", marker=dict(size=10, color="#d62728"), name="μ ± σ", error_y=error)
    fig.update_layout(**PLOT, yaxis_title=t("lesson.s1.value"), legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def posterior_plane(mu: np.ndarray, sigma: np.ndarray, samples: np.ndarray) -> go.Figure:
    """A 2-D posterior in the latent plane: μ, its 1σ and 2σ ellipses and the sampled codes (zoomed in)."""
    theta = np.linspace(0, 2 * np.pi, 120)
    fig = go.Figure()
    for k, dash in ((1, "solid"), (2, "dash")):
        x, y = mu[0] + k * sigma[0] * np.cos(theta), mu[1] + k * sigma[1] * np.sin(theta)
        fig.add_scatter(x=x, y=y, mode="lines", line=dict(color="#d62728", dash=dash), name=f"{k}σ")
    cross = dict(size=9, color="#555", symbol="x")
    fig.add_scatter(x=samples[:, 0], y=samples[:, 1], mode="markers", marker=cross, name=t("lesson.s1.sample_points"))
    fig.add_scatter(x=[mu[0]], y=[mu[1]], mode="markers", marker=dict(size=12, color="#d62728"), name="μ")
    fig.update_layout(
        **PLOT, xaxis_title="z1", yaxis=dict(title="z2", scaleanchor="x"), legend=dict(orientation="h", y=1.02, yanchor="bottom")
    )
    # a square view around μ holding the 2σ ellipse and every sample: a tall or flat ellipse keeps its shape
    # and the plot its width
    half = 1.1 * max(2 * float(np.max(sigma)), float(np.max(np.abs(samples - mu))))
    fig.update_xaxes(range=[float(mu[0]) - half, float(mu[0]) + half])
    fig.update_yaxes(range=[float(mu[1]) - half, float(mu[1]) + half])
    return fig


@st.fragment
def render(lesson: Lesson, z2: Lesson | None) -> None:
    if part(1):
        st.markdown(t("lesson.s1.intro"))
    if part(2):
        row, seed = image_and_seed(lesson)
    else:  # the inputs are on the second sub-step; the others use their values
        row, seed = current_index("ls_index", len(lesson.atlas.mean)), current_index("ls_seed", SEED_MAX + 1)
    posterior = posterior_of(lesson, row)
    mu, sigma = posterior.mean[0].numpy(), posterior.std[0].numpy()
    samples = posterior_samples(mu, posterior.logvar[0].numpy(), N_POSTERIOR_SAMPLES, seed)
    images = decode(lesson.model, np.vstack([mu[None], samples]))
    if part(2):
        left, right = st.columns(2, gap="large")
        with left:
            st.subheader(t("lesson.s1.ae"))
            cols = st.columns(2)
            image = original(lesson, row)
            if image is not None:
                cols[0].image(widgets.inline(widgets.enlarge(image, 150)), width=150, caption=t("lesson.input", who=who(lesson, row)))
            cols[1].image(widgets.inline(widgets.enlarge(images[0], 150)), width=150, caption=t("lesson.s1.decoded_mu"))
            st.caption(t("lesson.s1.ae_caption"))
        with right:
            st.subheader(t("lesson.s1.vae"))
            caption = t("lesson.s1.samples_caption", n=N_POSTERIOR_SAMPLES, seed=seed)
            st.image(widgets.inline(strip(images[1:], target=100)), caption=caption)
            st.caption(t("lesson.s1.vae_caption"))
        no_data_note(lesson)
    if part(3):
        plane = lesson.latent_dim == 2  # equal axes: on a projector beside the numbers (halves)
        if plane and widgets.presenting():
            figure, text = halves()
            numbers = text
        else:  # the numbers above the figure
            text, numbers = st.columns([3, 2], gap="large")
            figure = st.container()
        text.markdown(t("lesson.s1.numbers_plane" if plane else "lesson.s1.numbers"))
        table = pd.DataFrame({"μ": mu, "σ": sigma}, index=dims(lesson.latent_dim)).T
        widgets.data_table(table.style.format(lambda v: number(v, ".3f")), numbers, width="stretch")
        fig = posterior_plane(mu, sigma, samples) if plane else posterior_bars(mu, sigma, samples)
        figure.plotly_chart(widgets.presented(fig), key="ls1_bars", width="stretch")
    if part(4) or part(5):
        ae_vs_vae(intro=part(4), maps=part(5))
    if part(6) or part(7):
        prior_match_table(table=part(6), reading=part(7))


def ae_vs_vae(intro: bool = True, maps: bool = True) -> None:
    """The two latent spaces side by side (ui.components.latent_panels): what they are (intro), the maps."""
    entries = {e.name: m for e in zoo() if (m := e.with_card()) is not None}
    if intro:
        st.subheader(t("cm.s1.title"))
    if AE_MODEL not in entries or VAE_MODEL not in entries:
        st.info(t("cm.s1.missing", ae=AE_MODEL, vae=VAE_MODEL))
        return
    if intro:
        st.markdown(t("cm.s1.intro"))
    if not maps:
        return
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    scale = scale_control("ls_scale", "all", c1)
    c2.toggle(t("cm.draws"), help=t("cm.draws_help", n=SHOWN_DRAWS, total=PRIOR_DRAWS), **state.bound("ls_draws", True, state.parse_bool))
    pair = [entries[AE_MODEL], entries[VAE_MODEL]]
    panels = tuple(Panel(model_key(e.name), panel_title(e)) for e in pair)
    halves = panel_halves(pair, scale)
    has_data = test_set("mnist") is not None
    fig = panels_figure(panels, 2, halves, draws=bool(st.session_state["ls_draws"]), has_data=has_data, labels=panel_labels())
    st.plotly_chart(widgets.presented(fig), key="ls1_ae_vae", width="stretch")
    spill_caption(pair, halves)


def prior_match_table(table: bool = True, reading: bool = True) -> None:
    """How close each latent space is to the prior: the codes' mean and variance, the share within
    1σ/2σ, and how many prior draws land in a hole (table); then what differs (reading)."""
    entries = {e.name: m for e in zoo() if (m := e.with_card()) is not None}
    if AE_MODEL not in entries or VAE_MODEL not in entries:
        return
    if reading and not table:
        st.markdown(t("cm.s1.reading"))
        return
    pair = [entries[AE_MODEL], entries[VAE_MODEL]]
    rows = {}
    for e in pair:
        match = prior_match_of(model_key(e.name))
        rows[t("cm.s1.row_ae" if e.config.is_autoencoder else "cm.s1.row_vae")] = {
            t("cm.s1.col.mean"): f"({numbers_listed(match.mean, '.2f')})",
            t("cm.s1.col.variance"): f"({numbers_listed(match.variance, '.2f')})",
            t("cm.s1.col.inside"): " / ".join(number(match.inside[r], ".0%") for r in sorted(match.inside)),
            t("cm.s1.col.holes"): "—" if match.holes is None else number(match.holes, ".0%"),
        }
    prior = prior_match_of(model_key(VAE_MODEL)).prior_inside
    rows[t("cm.s1.row_prior")] = {
        t("cm.s1.col.mean"): f"({numbers_listed([0, 0])})",
        t("cm.s1.col.variance"): f"({numbers_listed([1, 1])})",
        t("cm.s1.col.inside"): " / ".join(number(prior[r], ".0%") for r in sorted(prior)),
        t("cm.s1.col.holes"): "—",
    }
    st.table(pd.DataFrame(rows).T)
    st.caption(t("cm.s1.table_caption", n=PRIOR_DRAWS))
    if reading:
        st.markdown(t("cm.s1.reading"))
