"""Plotly figures built once per (model, projection, colouring, language) and shared read-only."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.resources import ModelKey, loaded_of, test_set

GRID_POINTS_PER_SIDE = 110  # invisible click targets: a click on empty space returns the nearest one
DIGIT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def map_labels(projection: str, lang: str | None = None) -> tuple[str, ...]:
    """Translated axis and legend texts of the map figure (part of its cache key), in the session's
    language or in `lang` (the warm-up builds the default figure in English, as the page asks for it)."""
    from ui.i18n import DEFAULT_LANGUAGE, catalogue, t

    if lang is None:
        text = t
    else:

        def text(key: str) -> str:
            return catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key

    axis = text(f"map.axis.{projection}")
    return (f"{axis} 1", f"{axis} 2", text("map.legend.points"), text("map.legend.has"), text("map.legend.lacks"))


def map_extent(coords: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = coords.min(0), coords.max(0)
    pad = 0.06 * (hi - lo)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def grid_spacing(coords: np.ndarray) -> float:
    (x0, x1), (y0, y1) = map_extent(coords)
    return max(x1 - x0, y1 - y0) / (GRID_POINTS_PER_SIDE - 1)


@st.cache_resource(show_spinner=False, max_entries=64)
def map_figure(key: ModelKey, projection: str, colour_by: str, labels: tuple[str, ...]) -> tuple[go.Figure, list[np.ndarray]]:
    """The latent map and, per trace, the atlas rows of its points (trace 0, the invisible click
    grid, has none). `labels` carries the translated legend/axis texts.

    Rows are kept server-side rather than as plotly customdata: Streamlit's selection event
    drops clicks on points that carry typed-array customdata."""
    result = loaded_of(key)
    atlas = result.atlas
    coords = atlas.coords(projection)
    (x0, x1), (y0, y1) = map_extent(coords)
    gx, gy = np.meshgrid(np.linspace(x0, x1, GRID_POINTS_PER_SIDE), np.linspace(y0, y1, GRID_POINTS_PER_SIDE))
    traces: list[go.BaseTraceType] = [
        go.Scattergl(
            x=gx.ravel().astype(np.float32),
            y=gy.ravel().astype(np.float32),
            mode="markers",
            marker=dict(size=4, opacity=0),
            hoverinfo="none",
            showlegend=False,
            name="grid",
        )
    ]
    rows = np.arange(len(coords))
    trace_rows: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
    x_label, y_label, none_label, has_label, lacks_label = labels
    data = test_set(result.model.config.dataset)

    def points(mask, name, colour, **marker):
        trace_rows.append(rows[mask])
        return go.Scattergl(
            x=coords[mask, 0],
            y=coords[mask, 1],
            mode="markers",
            name=name,
            marker=dict(size=5, color=colour, opacity=0.75, **marker),
            selected=dict(marker=dict(size=11, opacity=1.0)),
            unselected=dict(marker=dict(opacity=0.75)),
            hovertemplate=name + "<extra></extra>",
        )

    if colour_by == "label" and data is not None and data.labels is not None:
        for digit in range(10):
            traces.append(points(data.labels[atlas.test_index] == digit, str(digit), DIGIT_COLOURS[digit]))
    elif colour_by.startswith("attr:") and data is not None and data.attributes is not None:
        col = data.attribute_names.index(colour_by[5:])
        has = data.attributes[atlas.test_index, col] == 1
        traces.append(points(~has, lacks_label, "#9aa5b1"))
        traces.append(points(has, has_label, "#d62728"))
    elif colour_by in ("kl", "recon"):
        values = atlas.kl_nats if colour_by == "kl" else atlas.recon_nats
        traces.append(
            points(
                np.ones(len(coords), bool),
                none_label,
                values,
                colorscale="Viridis",
                showscale=True,
                colorbar=dict(title="nats", thickness=12),
            )
        )
    else:
        traces.append(points(np.ones(len(coords), bool), none_label, "#3b6ea8"))

    fig = go.Figure(traces)
    if projection == "raw":  # the prior's 1σ and 2σ circles: where N(0, I) puts 39 % and 86 % of its mass
        for r in (1, 2):
            fig.add_shape(type="circle", x0=-r, y0=-r, x1=r, y1=r, line=dict(color="rgba(0,0,0,0.45)", dash="dash", width=1.5))
            fig.add_annotation(x=r * 0.7071, y=r * 0.7071, text=f"{r}σ", showarrow=False, font=dict(size=12, color="rgba(0,0,0,0.6)"))
    fig.update_layout(
        height=620,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=x_label, range=[x0, x1], zeroline=False),
        yaxis=dict(title=y_label, range=[y0, y1], zeroline=False, scaleanchor="x" if projection == "raw" else None),
        legend=dict(itemsizing="constant", orientation="h", y=1.02, x=0),
        hovermode="closest",
        dragmode="pan",
        clickmode="event+select",
        uirevision=f"{key.name}-{projection}",
    )
    return fig, trace_rows
