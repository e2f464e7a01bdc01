"""Figures of the KL-vs-reconstruction and comparison pages, built once per (model or dataset,
options, language) and shared read-only; the rate–distortion chart's click handler; the cached
reconstructions and prior samples of every model.

Cache keys carry the models directory and the data root, so pointing VAE_MODELS_DIR or
VAE_DATA_DIR elsewhere never serves a figure built from other files.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ui.components.figures import DIGIT_COLOURS
from ui.shell.i18n import fill, number
from ui.shell.resources import ModelKey, ZooKey, card_of, loaded_of, ready_of, test_set, zoo_of
from vae.analysis.compare import (
    COMPARE_IMAGES,
    AutoencoderPoint,
    RatePoint,
    autoencoder_points,
    fixed_test_indices,
    history_series,
    iso_elbo_levels,
    kl_per_dim,
    plot_box,
    rate_distortion,
    reconstruct,
    segment_in_box,
)
from vae.analysis.explore_ops import card_activity
from vae.core.latent import active_mask, decode, prior_samples

BETA_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
ACTIVE_COLOUR, INACTIVE_COLOUR = "#3b6ea8", "#c3c9d0"


def _layout(fig: go.Figure, height: int, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend=dict(itemsizing="constant", orientation="h", y=1.02, x=0, yanchor="bottom"),
        hovermode="closest",
    )
    return fig


@st.cache_resource(show_spinner=False, max_entries=64)
def sample_scatter(key: ModelKey, data_root: str, colour_by: str, labels: tuple[str, ...]) -> go.Figure:
    """KL against reconstruction for every encoded test image (WebGL), with the test-set mean.

    colour_by: "label" (MNIST digits), "attr:<name>" (CelebA attribute) or "none"."""
    result = ready_of(key)
    atlas = result.atlas
    x_title, y_title, points_label, mean_label, has_label, lacks_label = labels
    data = test_set(result.model.config.dataset)
    rows = atlas.test_index

    def trace(mask: np.ndarray, legend: str, colour: str) -> go.Scattergl:
        return go.Scattergl(
            x=atlas.kl_nats[mask],
            y=atlas.recon_nats[mask],
            customdata=rows[mask],
            mode="markers",
            name=legend,
            marker=dict(size=4, color=colour, opacity=0.55),
            hovertemplate="#%{customdata} · KL %{x:.1f} · recon %{y:.1f} nats<extra>" + legend + "</extra>",
        )

    traces = []
    if colour_by == "label" and data is not None and data.labels is not None:
        digits = data.labels[rows]
        traces = [trace(digits == d, str(d), DIGIT_COLOURS[d]) for d in range(10)]
    elif colour_by.startswith("attr:") and data is not None and data.attributes is not None and colour_by[5:] in data.attribute_names:
        has = data.attributes[rows, data.attribute_names.index(colour_by[5:])] == 1
        traces = [trace(~has, lacks_label, "#9aa5b1"), trace(has, has_label, "#d62728")]
    else:
        traces = [trace(np.ones(len(rows), bool), points_label, "#3b6ea8")]
    fig = go.Figure(traces)
    fig.add_trace(
        go.Scatter(
            x=[float(atlas.kl_nats.mean())],
            y=[float(atlas.recon_nats.mean())],
            mode="markers",
            name=mean_label,
            marker=dict(symbol="x", size=14, color="black", line=dict(width=2)),
            hovertemplate="KL %{x:.1f} · recon %{y:.1f} nats<extra>" + mean_label + "</extra>",
        )
    )
    _layout(fig, 520, x_title, y_title)
    fig.update_layout(uirevision=f"{key.name}-samples")
    return fig


@st.cache_resource(show_spinner=False, max_entries=64)
def rate_distortion_figure(zoo: ZooKey, dataset: str, current: str | None, labels: tuple[str, ...], lang: str = "en") -> go.Figure:
    """One point per available VAE of the dataset (customdata[0] = model name), one trace per β,
    dashed lines of equal −ELBO, the current model ringed. An autoencoder (β = 0) has no rate: a
    dashed horizontal line at its reconstruction instead, named by labels[4] (format: name, recon).
    Numbers in the labels are written the way `lang` writes them."""
    x_title, y_title, current_label, iso_label, ae_label = labels
    entries = zoo_of(zoo)
    points = rate_distortion(entries, dataset)
    autoencoders = autoencoder_points(entries, dataset)
    fig = go.Figure()
    for trace in _beta_traces(points, lang):
        fig.add_trace(trace)
    xlim, ylim = _rate_distortion_box(points, autoencoders)
    _iso_elbo_lines(fig, xlim, ylim, iso_label, lang)
    for a in autoencoders:
        name = fill(ae_label, lang, name=a.name, recon=a.distortion_nats)
        fig.add_trace(_autoencoder_line(a, xlim, name, current=a.name == current))
    chosen = next((p for p in points if p.name == current), None)
    if chosen is not None:
        fig.add_trace(_ring(chosen, current_label))
    _layout(fig, 520, x_title, y_title)
    fig.update_layout(xaxis=dict(range=list(xlim)), yaxis=dict(range=list(ylim)), clickmode="event+select", dragmode="pan")
    # the legend (a trace per β and per autoencoder, long names) beside the plot: above it, at a projector's font
    # size, it wrapped into a scrolled column that covered the points
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"))
    return fig


def _beta_traces(points: list[RatePoint], lang: str) -> list[go.Scatter]:
    """One trace of labelled markers per β, in increasing β, each point's model in its customdata."""
    traces = []
    for i, beta in enumerate(sorted({p.beta for p in points})):
        group = sorted((p for p in points if p.beta == beta), key=lambda p: (p.latent_dim, p.architecture))
        traces.append(
            go.Scatter(
                x=[p.rate_nats for p in group],
                y=[p.distortion_nats for p in group],
                customdata=[[p.name, p.latent_dim, f"{p.beta:g}", p.rate_nats + p.distortion_nats] for p in group],
                text=[f"z{p.latent_dim}" + (" dense" if p.architecture == "dense" else "") for p in group],
                mode="markers+text",
                textposition=["top center" if k % 2 == 0 else "bottom center" for k in range(len(group))],  # neighbours apart
                name=f"β = {number(beta, lang=lang)}",
                marker=dict(size=13, color=BETA_COLOURS[i % len(BETA_COLOURS)], line=dict(width=1, color="white")),
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>latent_dim = %{customdata[1]}<br>β = %{customdata[2]}"
                    "<br>KL = %{x:.2f} nats<br>recon = %{y:.2f} nats<br>−ELBO = %{customdata[3]:.2f} nats<extra></extra>"
                ),
            )
        )
    return traces


def _rate_distortion_box(points: list[RatePoint], autoencoders: list[AutoencoderPoint]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The axes' ranges: vae.analysis.compare.plot_box, lowered to take in the autoencoders' reconstructions too."""
    xlim, ylim = plot_box(points)
    if autoencoders:
        low = min(a.distortion_nats for a in autoencoders)
        if low < ylim[0] + 0.05 * (ylim[1] - ylim[0]):
            ylim = (max(0.0, low - 0.08 * (ylim[1] - low)), ylim[1])
    return xlim, ylim


def _iso_elbo_lines(fig: go.Figure, xlim: tuple[float, float], ylim: tuple[float, float], iso_label: str, lang: str) -> None:
    """Dotted lines of equal −ELBO across the box, each labelled at its end."""
    for level in iso_elbo_levels(xlim, ylim):
        segment = segment_in_box(level, xlim, ylim)
        if segment is None:  # iso_elbo_levels keeps the levels whose line crosses the box
            continue
        (x0, y0), (x1, y1) = segment
        fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color="rgba(0,0,0,0.28)", dash="dot", width=1), layer="below")
        fig.add_annotation(
            x=x1,
            y=y1,
            text=fill(iso_label, lang, level=level),
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font=dict(size=13, color="rgba(0,0,0,0.55)"),
        )


def _autoencoder_line(point: AutoencoderPoint, xlim: tuple[float, float], name: str, current: bool) -> go.Scatter:
    """An autoencoder, which has no rate: a dashed horizontal line at its reconstruction, thicker for the current model."""
    return go.Scatter(
        x=list(xlim),
        y=[point.distortion_nats, point.distortion_nats],
        mode="lines",
        name=name,
        line=dict(color="#444", dash="dash", width=3 if current else 1.5),
        hovertemplate=name + "<extra></extra>",
    )


def _ring(point: RatePoint, label: str) -> go.Scatter:
    """The ring around the current model's point."""
    return go.Scatter(
        x=[point.rate_nats],
        y=[point.distortion_nats],
        mode="markers",
        name=label,
        marker=dict(size=24, color="rgba(0,0,0,0)", line=dict(width=2.5, color="black")),
        hoverinfo="skip",
    )


def pick_model(chart_key: str, models: list[str], state: MutableMapping | None = None) -> None:
    """on_select callback of the rate–distortion chart: the clicked model becomes the sidebar
    model (session key "model"). Ignores clicks on anything but a listed model."""
    state = st.session_state if state is None else state
    event = state.get(chart_key) or {}
    for point in (event.get("selection") or {}).get("points") or []:
        data = point.get("customdata")
        name = data[0] if isinstance(data, (list, tuple)) and data else data
        if name in models:
            state["model"] = name
            return


@st.cache_resource(show_spinner=False, max_entries=64)
def history_figure(key: ModelKey, labels: tuple[str, ...]) -> go.Figure | None:
    """Per-epoch train and test reconstruction (left) and KL (right) from the card's history."""
    recon_title, kl_title, epoch_title, train_label, test_label = labels
    series = history_series(card_of(key))
    if "epoch" not in series:
        return None
    fig = make_subplots(rows=1, cols=2, subplot_titles=(recon_title, kl_title), horizontal_spacing=0.08)
    for col, term in ((1, "recon_nats"), (2, "kl_nats")):
        for split, label, dash, colour in (("train", train_label, "dash", "#9aa5b1"), ("test", test_label, "solid", "#3b6ea8")):
            name = f"{split}_{term}"
            if name in series:
                fig.add_trace(
                    go.Scatter(
                        x=series["epoch"],
                        y=series[name],
                        mode="lines+markers",
                        name=label,
                        legendgroup=split,
                        showlegend=col == 1,
                        line=dict(dash=dash, color=colour),
                        marker=dict(size=4),
                        hovertemplate="%{x}: %{y:.2f} nats<extra>" + label + "</extra>",
                    ),
                    row=1,
                    col=col,
                )
        fig.update_xaxes(title_text=epoch_title, row=1, col=col)
    fig.update_yaxes(title_text="nats", row=1, col=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25, x=0))
    return fig


@st.cache_resource(show_spinner=False, max_entries=64)
def kl_dims_figure(key: ModelKey, sort: bool, labels: tuple[str, ...]) -> go.Figure | None:
    """Mean KL of each latent dimension (card), bars coloured by activity Cov_x(E[z_d]) > 0.01
    (vae.core.latent.active_mask over the card's unit_activity, or the atlas's when the card lacks it)."""
    x_title, y_title, active_label, inactive_label = labels
    card = card_of(key)
    dims, values = kl_per_dim(card, sort)
    if len(values) == 0:
        return None
    atlas = loaded_of(key).atlas
    activity = card_activity(card, atlas.mean)[dims] if atlas is not None else np.full(len(dims), np.nan)
    active = active_mask(activity)
    fig = go.Figure()
    for mask, label, colour in ((active, active_label, ACTIVE_COLOUR), (~active, inactive_label, INACTIVE_COLOUR)):
        if mask.any():
            fig.add_trace(
                go.Bar(
                    x=[f"z{d + 1}" for d in dims[mask]],  # z1 … zn, as everywhere in the UI
                    y=values[mask],
                    customdata=activity[mask],
                    name=label,
                    marker_color=colour,
                    hovertemplate="%{x}: %{y:.3f} nats · Var(μ) %{customdata:.3f}<extra></extra>",
                )
            )
    _layout(fig, 320, x_title, y_title)
    fig.update_xaxes(categoryorder="array", categoryarray=[f"z{d + 1}" for d in dims], type="category")
    return fig


@st.cache_resource(show_spinner=False, max_entries=256)
def reconstructions(key: ModelKey, data_root: str, dataset: str, seed: int) -> np.ndarray | str:
    """uint8 (8, H, W, C) reconstructions of the fixed test images by one model, or why not."""
    result = loaded_of(key)
    if result.model is None:
        return result.error or "?"
    data = test_set(dataset)
    if data is None:
        return "no data"
    index = fixed_test_indices(data.labels, len(data.images), COMPARE_IMAGES, seed)
    images = reconstruct(result.model, data.images[index])
    images.setflags(write=False)
    return images


@st.cache_resource(show_spinner=False, max_entries=256)
def prior_images(key: ModelKey, seed: int) -> np.ndarray | str:
    """uint8 (8, H, W, C) decodings of z ~ N(0, I) drawn from `seed`, or why not."""
    result = loaded_of(key)
    if result.model is None:
        return result.error or "?"
    images = decode(result.model, prior_samples(result.model.config.latent_dim, COMPARE_IMAGES, seed))
    images.setflags(write=False)
    return images
