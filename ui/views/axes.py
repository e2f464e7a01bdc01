"""The latent map's "Chosen axes": pickers for two directions of latent space (CelebA attribute
directions, the LDA axes of the digit classes, any latent dimension) and a slider along a third,
the plane they make (vae.analysis.axes), and on CelebA how cleanly each attribute axis moves its
attribute, by the project's own image classifier (vae.artifacts.quality.FeatureNet)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from ui.components import faces, widgets
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import ModelKey, Ready, TestSet, model_key, ready_of
from vae.analysis.axes import AxisError, PlaneMap, axis_options, direction, lda_directions, plane_map, sweep
from vae.artifacts.attributes import AttributeDirections
from vae.core.checkpoint import CheckpointError
from vae.core.latent import decode
from vae.data.datasets import data_root, to_tensor

SWEEP_STEPS = 9
SLIDER_RANGE = 3.0  # latent units along the third direction, as the sliders' ±3


@dataclass(frozen=True)
class ChosenAxes:
    """The plane drawn, its axis texts and the code offset of the third-direction slider."""

    plane: PlaneMap
    labels: tuple[str, ...]  # as figures.map_labels: x, y, then the legend's texts
    offset: np.ndarray  # (D,) added to every decoded code

    @property
    def projection(self) -> str:
        return self.plane.projection


def axis_text(axis: str) -> str:
    if axis.startswith("attr:"):
        return axis[5:].replace("_", " ")
    if axis.startswith("lda"):
        return t("axes.lda", n=int(axis[3:]))
    return f"z{axis[1:]}"


@st.cache_resource(show_spinner=False, max_entries=16)
def _lda(key: ModelKey, data_root: str) -> np.ndarray | None:
    """The LDA axes of the digit classes on this model's test codes (labels joined from the data)."""
    from ui.shell.resources import test_set

    data = test_set(ready_of(key).model.config.dataset)
    if data is None or data.labels is None:
        return None
    atlas = ready_of(key).atlas
    return lda_directions(atlas.mean, data.labels[atlas.test_index])


@st.cache_resource(show_spinner=False, max_entries=32)
def _plane(key: ModelKey, x_axis: str, y_axis: str, data_root: str) -> PlaneMap | str:
    """The plane of two axes over the test codes, or why it cannot be drawn."""
    ready = ready_of(key)
    dim = ready.model.config.latent_dim
    directions = faces.directions(key.name) if ready.model.config.dataset == "celeba" else None
    lda = _lda(key, data_root) if ready.model.config.dataset == "mnist" else None
    try:
        attributes = directions if isinstance(directions, AttributeDirections) else None
        u, v = (direction(a, dim, lda=lda, attributes=attributes) for a in (x_axis, y_axis))
        return plane_map(ready.atlas.mean, (x_axis, y_axis), u, v)
    except AxisError as err:
        return str(err)


def _options(sel: Ready, data: TestSet | None) -> tuple[list[str], tuple[str, str]]:
    """The axes this model offers and the two first shown."""
    config = sel.model.config
    attributes: list[str] = []
    if config.dataset == "celeba":
        directions = faces.directions(sel.name)
        attributes = list(directions.names) if isinstance(directions, AttributeDirections) else []
    lda = _lda(model_key(sel.name), _root(data)) if config.dataset == "mnist" and data is not None and data.labels is not None else None
    options = axis_options(config.latent_dim, 0 if lda is None else len(lda), attributes)
    if attributes:
        return options, ("attr:Smiling", "attr:Male")
    if lda is not None:
        return options, ("lda1", "lda2")
    return options, ("z0", "z1")


def _root(data: TestSet | None) -> str:
    """The data directory the labels come from (part of the LDA's cache key)."""
    return str(data_root()) if data is not None else ""


def chosen_axes(sel: Ready, data: TestSet | None) -> ChosenAxes | None:
    """The pickers (x axis, y axis, a third direction and how far along it) and the plane they make,
    registered on the atlas under its projection name; None, with the reason, when they make no plane."""
    options, (dx, dy) = _options(sel, data)
    picks = st.container(key="axes_pickers_phonegrid").columns([2, 2, 2, 2])
    for col, name, default, label in (
        (picks[0], "ax_x", dx, "axes.x"),
        (picks[1], "ax_y", dy, "axes.y"),
        (picks[2], "ax_w", "none", "axes.w"),
    ):
        choices = options if name != "ax_w" else ["none", *options]
        state.from_query(name, default, state.parse_choice(choices))
        if st.session_state[name] not in choices:
            st.session_state[name] = default if default in choices else choices[0]
        col.selectbox(t(label), choices, key=name, help=t(f"{label}_help"), format_func=axis_text if name != "ax_w" else _third_text)
    amount = widgets.float_slider(
        picks[3], t("axes.amount"), -SLIDER_RANGE, SLIDER_RANGE, step=0.1, spec="+.1f",
        help=t("axes.amount_help"), **state.bound("ax_s", 0.0, state.parse_float(-SLIDER_RANGE, SLIDER_RANGE)),
    )  # fmt: skip
    state.to_query("ax_x", "ax_y", "ax_w")
    x_axis, y_axis, third = st.session_state["ax_x"], st.session_state["ax_y"], st.session_state["ax_w"]
    key = model_key(sel.name)
    plane = _plane(key, x_axis, y_axis, _root(data))
    if isinstance(plane, str):
        st.warning(t("axes.error", reason=plane))
        return None
    offset = np.zeros(sel.model.config.latent_dim)
    if third != "none" and amount:
        found = _plane(key, third, x_axis if third != x_axis else y_axis, _root(data))
        if isinstance(found, str):
            st.warning(t("axes.error", reason=found))
        else:
            offset = amount * found.directions[0]
    sel.atlas.add_plane(plane)
    labels = (axis_text(x_axis), axis_text(y_axis), t("map.legend.points"), t("map.legend.has"), t("map.legend.lacks"))
    return ChosenAxes(plane, labels, offset)


def _third_text(axis: str) -> str:
    return t("axes.w_none") if axis == "none" else axis_text(axis)


@st.cache_resource(show_spinner=False)
def _classifier() -> tuple[torch.nn.Module, str] | str:
    from vae.artifacts.quality import load_feature_net

    try:
        return load_feature_net("celeba")[0], "celeba"
    except CheckpointError as err:
        return str(err)


@st.cache_data(show_spinner=False, max_entries=32)
def attribute_sweeps(key: ModelKey, projection: str, offset: tuple[float, ...], names: tuple[str, ...]) -> dict[int, dict]:
    """For each attribute axis of the plane (0: x, 1: y): the classifier's probability of every
    attribute on the faces decoded along it, through the test codes' centre, ±2 standard deviations
    of their coordinates; {axis: {"along": positions, "probs": (steps, 40)}}."""
    found = _classifier()
    if isinstance(found, str):
        return {}
    net = found[0]
    ready = ready_of(key)
    plane = ready.atlas.plane(projection)
    centre = plane.coords.mean(0)
    spread = plane.coords.std(0)
    out = {}
    for axis, name in enumerate(plane.axes):
        if not name.startswith("attr:"):
            continue
        codes, along = sweep(plane, axis, centre, 2 * float(spread[axis]), SWEEP_STEPS, np.asarray(offset))
        images = decode(ready.model, codes)
        with torch.inference_mode():
            probs = torch.sigmoid(net(to_tensor(images))).double().numpy()
        out[axis] = {"along": along, "probs": probs, "faces": images}
    return out


def attribute_cleanliness(sel: Ready, chosen: ChosenAxes) -> None:
    """On a CelebA plane with attribute axes: how the image classifier's probabilities move along each
    attribute axis — its own attribute should rise, the others stay flat (a clean direction)."""
    directions = faces.directions(sel.name)
    if not isinstance(directions, AttributeDirections) or not any(a.startswith("attr:") for a in chosen.plane.axes):
        return
    names = tuple(directions.names)
    sweeps = attribute_sweeps(model_key(sel.name), chosen.projection, tuple(float(v) for v in chosen.offset), names)
    if not sweeps:
        st.caption(t("axes.no_classifier"))
        return
    st.subheader(t("axes.clean.title"))
    st.caption(t("axes.clean.help"))
    cols = st.columns(len(sweeps))
    for col, (axis, found) in zip(cols, sorted(sweeps.items())):
        attribute = chosen.plane.axes[axis][5:]
        probs, along = found["probs"], found["along"]
        own = names.index(attribute)
        change = np.abs(probs[-1] - probs[0])
        change[own] = -1
        others = [int(i) for i in np.argsort(-change)[:3]]
        fig = go.Figure()
        for i in [own, *others]:
            fig.add_scatter(
                x=along, y=probs[:, i], mode="lines+markers", name=names[i].replace("_", " "), line={"width": 4 if i == own else 2}
            )
        fig.update_layout(
            xaxis_title=t("axes.clean.x", axis=axis_text(chosen.plane.axes[axis])), yaxis_title=t("axes.clean.y"),
            yaxis_range=[0, 1], height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10},
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        )  # fmt: skip
        with col:
            st.plotly_chart(widgets.presented(fig), key=f"axes_clean_{axis}", width="stretch")
            rise = float(probs[-1, own] - probs[0, own])
            st.caption(
                t(
                    "axes.clean.summary",
                    attribute=attribute.replace("_", " "),
                    rise=rise,
                    other=names[others[0]].replace("_", " "),
                    other_change=float(probs[-1, others[0]] - probs[0, others[0]]),
                )
            )
            widgets.image_row(
                [f for f in found["faces"][:: max(1, SWEEP_STEPS // 4)]], [f"{v:+.1f}" for v in along[:: max(1, SWEEP_STEPS // 4)]]
            )
