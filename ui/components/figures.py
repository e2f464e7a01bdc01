"""Plotly figures built once per (model, projection, colouring, language) and shared read-only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import streamlit as st

from ui.shell.i18n import say, t
from ui.shell.resources import ModelKey, density_of, ready_of, test_set
from vae.core.latent import prior_samples

POINT_PX = 5  # a test point's diameter on the map, CSS px (the plotly map and the browser map)
PIN_PX = 11  # the clicked point's, and the browser map's pin
OPACITY = 0.75  # a test point's opacity
GRID_POINTS_PER_SIDE = 110  # invisible click targets: a click on empty space returns the nearest one
VIRIDIS = plotly.colors.sequential.Viridis  # hex stops, dark blue → yellow
DIGIT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def map_labels(projection: str, lang: str | None = None) -> tuple[str, ...]:
    """Translated axis and legend texts of the map figure (part of its cache key), in the session's
    language or in `lang` (the warm-up builds the default figure in English, as the page asks for it)."""

    def text(key: str) -> str:
        return t(key) if lang is None else say(lang, key)

    axis = text(f"map.axis.{projection}")
    return (f"{axis} 1", f"{axis} 2", text("map.legend.points"), text("map.legend.has"), text("map.legend.lacks"))


def map_extent(coords: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = coords.min(0), coords.max(0)
    pad = 0.06 * (hi - lo)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def grid_spacing(coords: np.ndarray) -> float:
    (x0, x1), (y0, y1) = map_extent(coords)
    return max(x1 - x0, y1 - y0) / (GRID_POINTS_PER_SIDE - 1)


@dataclass(frozen=True)
class MapGroup:
    """Test points drawn alike on the map (a digit, with/without an attribute, or all): legend name,
    colour, atlas rows."""

    name: str
    colour: str
    rows: np.ndarray


@dataclass(frozen=True)
class MapColouring:
    """How the map colours its points: groups with a colour each, or, for a score (values, nats per
    image), one group coloured by value on the Viridis scale."""

    groups: tuple[MapGroup, ...]
    values: np.ndarray | None = None


def map_colouring(key: ModelKey, colour_by: str, labels: tuple[str, ...]) -> MapColouring:
    """The one definition of the map's colours, shared by the plotly map and the browser's map
    (ui.components.live.latent_map). colour_by: "label", "attr:<name>", "kl", "recon" or "none"."""
    result = ready_of(key)
    atlas = result.atlas
    n = len(atlas.mean)
    rows = np.arange(n)
    none_label, has_label, lacks_label = labels[2:5]
    data = test_set(result.model.config.dataset)
    if colour_by == "label" and data is not None and data.labels is not None:
        digits = data.labels[atlas.test_index]
        return MapColouring(tuple(MapGroup(str(d), DIGIT_COLOURS[d], rows[digits == d]) for d in range(10)))
    if colour_by.startswith("attr:") and data is not None and data.attributes is not None:
        has = data.attributes[atlas.test_index, data.attribute_names.index(colour_by[5:])] == 1
        return MapColouring((MapGroup(lacks_label, "#9aa5b1", rows[~has]), MapGroup(has_label, "#d62728", rows[has])))
    if colour_by in ("kl", "recon"):
        values = atlas.kl_nats if colour_by == "kl" else atlas.recon_nats
        return MapColouring((MapGroup(none_label, VIRIDIS[-1], rows),), np.asarray(values, np.float32))
    return MapColouring((MapGroup(none_label, "#3b6ea8", rows),))


def viridis(values: np.ndarray) -> np.ndarray:
    """(N,) values → (N, 3) uint8 RGB on plotly's Viridis scale, from the smallest to the largest value."""
    lo, hi = float(np.min(values)), float(np.max(values))
    t = (np.asarray(values, np.float64) - lo) / (hi - lo if hi > lo else 1.0)
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], np.float64)
    at = np.linspace(0, 1, len(stops))
    return np.stack([np.interp(t, at, stops[:, c]) for c in range(3)], 1).round().astype(np.uint8)


@st.cache_resource(show_spinner=False, max_entries=64)
def map_figure(
    key: ModelKey, projection: str, colour_by: str, labels: tuple[str, ...], samples: tuple[tuple[str, str], ...] = ()
) -> tuple[go.Figure, list[np.ndarray]]:
    """The latent map and, per trace, the atlas rows of its points (trace 0, the invisible click
    grid, has none). `labels` carries the translated legend/axis texts; `samples`, when given, the
    (source, name) of the sample overlays drawn over it (sample_overlays: prior, learned).

    Rows are kept server-side rather than as plotly customdata: Streamlit's selection event
    drops clicks on points that carry typed-array customdata."""
    coords = ready_of(key).atlas.coords(projection)
    colouring = map_colouring(key, colour_by, labels)
    overlays = sample_overlays(key, projection) if samples else []
    traces = [_click_grid(coords), *_point_traces(coords, colouring), *_overlay_traces(overlays, dict(samples))]
    no_rows = np.empty(0, dtype=np.int64)  # the grid and the overlays are not test points: a click there decodes the spot
    trace_rows = [no_rows, *(group.rows for group in colouring.groups), *(no_rows for _ in overlays)]
    fig = go.Figure(traces)
    if projection == "raw":
        _prior_circles(fig)
    _map_layout(fig, coords, labels[:2], f"{key.name}-{projection}", square=projection == "raw")
    return fig, trace_rows


def _click_grid(coords: np.ndarray) -> go.Scattergl:
    """The invisible grid of click targets over the map's extent."""
    (x0, x1), (y0, y1) = map_extent(coords)
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID_POINTS_PER_SIDE), np.linspace(y0, y1, GRID_POINTS_PER_SIDE))
    return go.Scattergl(
        x=gx.ravel().astype(np.float32),
        y=gy.ravel().astype(np.float32),
        mode="markers",
        marker=dict(size=4, opacity=0),
        hoverinfo="none",
        showlegend=False,
        name="grid",
    )


def _point_traces(coords: np.ndarray, colouring: MapColouring) -> list[go.Scattergl]:
    """One trace of test points per group of the colouring; a score colours by value on Viridis."""
    traces = []
    for group in colouring.groups:
        colour = group.colour if colouring.values is None else colouring.values[group.rows]
        scale = {} if colouring.values is None else dict(colorscale="Viridis", showscale=True, colorbar=dict(title="nats", thickness=12))
        traces.append(
            go.Scattergl(
                x=coords[group.rows, 0],
                y=coords[group.rows, 1],
                mode="markers",
                name=group.name,
                marker=dict(size=POINT_PX, color=colour, opacity=OPACITY, **scale),
                selected=dict(marker=dict(size=PIN_PX, opacity=1.0)),
                unselected=dict(marker=dict(opacity=OPACITY)),
                hovertemplate=group.name + "<extra></extra>",
            )
        )
    return traces


def _overlay_traces(overlays: list[tuple[str, str, np.ndarray]], names: dict[str, str]) -> list[go.Scattergl]:
    """The sample overlays (sample_overlays), each named by `names` (source → name)."""
    return [
        go.Scattergl(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            name=names.get(source, source),
            marker=dict(size=7, color=colour, symbol="x"),
            hoverinfo="skip",
        )
        for source, colour, xy in overlays
    ]


def _prior_circles(fig: go.Figure) -> None:
    """The prior's 1σ and 2σ circles: where N(0, I) puts 39 % and 86 % of its mass."""
    for r in (1, 2):
        fig.add_shape(type="circle", x0=-r, y0=-r, x1=r, y1=r, line=dict(color="rgba(0,0,0,0.45)", dash="dash", width=1.5))
        fig.add_annotation(x=r * 0.7071, y=r * 0.7071, text=f"{r}σ", showarrow=False, font=dict(size=12, color="rgba(0,0,0,0.6)"))


def _map_layout(fig: go.Figure, coords: np.ndarray, axis_titles: tuple[str, ...], uirevision: str, square: bool) -> None:
    """Size, axes over the map's extent (equal scales when `square`), legend and click behaviour."""
    (x0, x1), (y0, y1) = map_extent(coords)
    x_label, y_label = axis_titles
    fig.update_layout(
        height=620,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=x_label, range=[x0, x1], zeroline=False),
        yaxis=dict(title=y_label, range=[y0, y1], zeroline=False, scaleanchor="x" if square else None),
        legend=dict(itemsizing="constant", orientation="h", y=1.02, x=0, yanchor="bottom"),
        hovermode="closest",
        dragmode="pan",
        clickmode="event+select",
        uirevision=uirevision,
    )


SAMPLE_COLOURS = {"prior": "#e11d48", "learned": "#0f766e"}  # where prior and learned-density samples land
OVERLAY_SAMPLES = 600


@st.cache_resource(show_spinner=False, max_entries=64)
def sample_overlays(key: ModelKey, projection: str) -> list[tuple[str, str, np.ndarray]]:
    """Where new samples land on the map, over the encoded test set (the aggregate posterior):
    [(source, colour, (n, 2) map coordinates)] for prior samples and, where the model has a learned
    latent density, its samples (the same seed). Raw and PCA maps only: t-SNE has no map for new codes."""
    if projection not in ("raw", "pca"):
        return []
    atlas = ready_of(key).atlas
    density = density_of(key)
    sources = [("prior", prior_samples(atlas.mean.shape[1], OVERLAY_SAMPLES, 1))]
    if density is not None:
        sources.append(("learned", density.sample(OVERLAY_SAMPLES, 1)))
    out = []
    for source, codes in sources:
        xy = codes[:, :2] if projection == "raw" else atlas.pca.transform(codes)
        xy = np.ascontiguousarray(xy, np.float32)
        xy.setflags(write=False)
        out.append((source, SAMPLE_COLOURS[source], xy))
    return out


@st.cache_resource(show_spinner=False, max_entries=32)
def holes_figure(key: ModelKey, projection: str, labels: tuple[str, ...]) -> go.Figure:
    """The prior's holes in one picture: the encoded test set (grey) with prior samples and
    learned-density samples over it (sample_overlays). labels: axis 1, axis 2, test images, prior,
    learned."""
    coords = ready_of(key).atlas.coords(projection)
    x_label, y_label, test_label, prior_label, learned_label = labels
    names = {"prior": prior_label, "learned": learned_label}
    fig = go.Figure(
        [go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name=test_label, marker=dict(size=4, color="#9aa5b1", opacity=0.5))]
        + [
            go.Scattergl(
                x=xy[:, 0], y=xy[:, 1], mode="markers", name=names[source], marker=dict(size=6, color=colour, symbol="x", opacity=0.8)
            )
            for source, colour, xy in sample_overlays(key, projection)
        ]
    )
    fig.update_layout(
        height=420,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title=x_label, zeroline=False),
        yaxis=dict(title=y_label, zeroline=False, scaleanchor="x" if projection == "raw" else None),
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom", itemsizing="constant"),
    )
    return fig
