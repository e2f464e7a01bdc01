"""Compare models → Two maps, linked: any two models of a dataset, their maps of the same test set side
by side, the second aligned onto the first (raw and PCA maps: vae.analysis.linked.procrustes, its
error reported), brushing a box or a lasso on either map rings the same test images on both and says
how they spread there, and per dimension the KL of each model; the whole scene in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.components import live, widgets
from ui.components.figures import map_labels
from ui.shell import state
from ui.shell.i18n import number, t
from ui.shell.resources import ModelKey, Ready, loaded, model_key, ready_of
from vae.analysis.linked import (
    KNN_K,
    AlignedMap,
    Alignment,
    aligned_map,
    inside,
    kl_per_dimension,
    knn_overlap,
    neighbour_sets,
    polygon,
    spread,
)
from vae.analysis.placement import ALL_PROJECTIONS, projections
from vae.analysis.zoo import ZooEntry

SLOTS = ("a", "b")
MAX_CORNERS = 64  # a lasso's corners kept (in the URL too)
RING_COLOUR = "#111111"
DEFAULT_PAIRS = {"mnist": ("mnist-z32", "mnist-z8"), "celeba": ("celeba-z64", "celeba-z32")}


@dataclass(frozen=True)
class Brush:
    """A region brushed on one of the two maps (map units of that map as drawn)."""

    slot: str
    corners: list[list[float]]

    def to_param(self) -> str:
        return self.slot + "|" + ";".join(f"{x:.4g},{y:.4g}" for x, y in self.corners)


def parse_brush(raw: str) -> Brush:
    """'a|x,y;x,y;x,y' → Brush; ValueError when it is not one."""
    slot, _, body = raw.partition("|")
    if slot not in SLOTS:
        raise ValueError("the map is a or b")
    corners = [[float(v) for v in pair.split(",")] for pair in body.split(";")]
    if len(corners) > MAX_CORNERS:
        raise ValueError("too many corners")
    polygon(corners)  # BrushError (a ValueError) when it holds no area
    return Brush(slot, corners)


def _thin(corners: list[list[float]]) -> list[list[float]]:
    """At most MAX_CORNERS corners, evenly taken along the lasso."""
    if len(corners) <= MAX_CORNERS:
        return corners
    keep = np.linspace(0, len(corners) - 1, MAX_CORNERS).round().astype(int)
    return [corners[i] for i in keep]


@st.cache_resource(show_spinner=False, max_entries=8)
def _neighbours(key: ModelKey) -> np.ndarray:
    """Each test image's 10 nearest in this model's latent space (μ), computed once per weights."""
    return neighbour_sets(ready_of(key).atlas.mean, KNN_K)


@st.cache_resource(show_spinner=False, max_entries=16)
def _aligned(key_a: ModelKey, key_b: ModelKey, projection: str) -> AlignedMap:
    a, b = ready_of(key_a).atlas, ready_of(key_b).atlas
    if projection == "pca":
        mean, components = b.pca.mean_, b.pca.components_
    else:  # raw: z = xy
        mean, components = np.zeros(2), np.eye(2)
    # the reference's weights in the name: the map's files are named by it, and a retrained reference is another map
    return aligned_map(projection, f"{key_a.name}@{a.weights_sha256[:8]}", a.coords(projection), b.coords(projection), mean, components)


def _pick(entries: list[ZooEntry], dataset: str) -> tuple[str, str, str] | None:
    """The two models and the projection, from the pickers (and the URL)."""
    names = [e.name for e in entries if e.available and e.config is not None]
    if len(names) < 2:
        st.info(t("linked.too_few"))
        return None
    da, db = DEFAULT_PAIRS.get(dataset, (names[0], names[1]))
    da, db = (da if da in names else names[0]), (db if db in names else names[1])
    cols = st.columns([2, 2, 3])
    for col, key, default, label in ((cols[0], "cmp_a", da, "linked.a"), (cols[1], "cmp_b", db, "linked.b")):
        state.from_query(key, default, state.parse_choice(names))
        if st.session_state[key] not in names:
            st.session_state[key] = default
        col.selectbox(t(label), names, key=key)
    a, b = st.session_state["cmp_a"], st.session_state["cmp_b"]
    dims = {e.name: e.config.latent_dim for e in entries if e.config is not None}
    maps = [p for p in projections(2 if dims[a] == dims[b] == 2 else 0) if p != "raw" or dims[a] == dims[b] == 2]
    state.from_query("cmp_proj", maps[0], state.parse_choice(list(ALL_PROJECTIONS)))
    if st.session_state["cmp_proj"] not in maps:
        st.session_state["cmp_proj"] = maps[0]
    cols[2].segmented_control(t("linked.projection"), maps, format_func=lambda p: t(f"map.proj.{p}"), key="cmp_proj", required=True)
    state.to_query("cmp_a", "cmp_b", "cmp_proj")
    if a == b:
        st.warning(t("linked.same_model"))
        return None
    return a, b, st.session_state["cmp_proj"]


def _current_brush() -> Brush | None:
    """The brushed region (a deep link's cmp_brush, read once per session), kept in the URL."""
    if not st.session_state.get("_cmp_brush_from_url"):
        st.session_state["_cmp_brush_from_url"] = True
        raw = state.raw_param("cmp_brush")
        if raw is not None:
            try:
                st.session_state["cmp_brush"] = parse_brush(raw)
            except ValueError:
                st.session_state.setdefault(state.NOTICES, []).append("cmp_brush")
    brush = st.session_state.get("cmp_brush")
    return brush if isinstance(brush, Brush) else None


def _take_brush(sent: dict | None, slot: str) -> bool:
    """A region sent by a map becomes the current brush; True when it changed."""
    if not sent:
        return False
    try:
        corners = _thin([[float(x), float(y)] for x, y in sent["polygon"]])
        polygon(corners)
    except (KeyError, TypeError, ValueError):
        st.session_state.setdefault(state.NOTICES, []).append("brush")
        return False
    brush = Brush(slot, corners)
    if st.session_state.get("cmp_brush") == brush:
        return False
    st.session_state["cmp_brush"] = brush
    return True


def section(dataset: str, entries: list[ZooEntry], colour: str) -> None:
    """The pickers, the two linked maps (coloured by `colour`: "label" or "none") and the KL per dimension."""
    st.caption(t("linked.intro"))
    picked = _pick(entries, dataset)
    if picked is None:
        return
    a, b, projection = picked
    ready = {slot: loaded(name).ready() for slot, name in zip(SLOTS, (a, b))}
    for slot, name in zip(SLOTS, (a, b)):
        if ready[slot] is None:
            st.warning(t("linked.unavailable", name=name, error=loaded(name).error or "?"))
            return
    maps(ready["a"], ready["b"], projection, colour)  # type: ignore[arg-type]
    kl_side_by_side(ready["a"], ready["b"])  # type: ignore[arg-type]


@st.fragment
def maps(sel_a: Ready, sel_b: Ready, projection: str, colour: str) -> None:
    """The two maps, the brushed region's rings on both, and what the brushing measures."""
    key_a, key_b = model_key(sel_a.name), model_key(sel_b.name)
    proj = {"a": projection, "b": projection}
    alignment = None
    if projection in ("raw", "pca"):
        aligned = _aligned(key_a, key_b, projection)
        sel_b.atlas.add_plane(aligned)
        proj["b"], alignment = aligned.projection, aligned.alignment
    sels = {"a": sel_a, "b": sel_b}
    coords = {slot: sels[slot].atlas.coords(proj[slot]) for slot in SLOTS}
    brush = _current_brush()
    rows = np.zeros(0, dtype=int)
    if brush is not None:
        rows = inside(np.asarray(brush.corners), coords[brush.slot])
    state.to_query(cmp_brush=brush.to_param() if brush else None)
    labels = map_labels(projection)
    cols = st.columns(2, gap="medium")
    sent = {}
    for col, slot in zip(cols, SLOTS):
        with col, st.container(key=f"linked_map_{slot}"):
            name = sels[slot].name
            st.markdown(f"**{name}**" + (f" · {t('linked.aligned_to', name=sel_a.name)}" if slot == "b" and alignment else ""))
            rings = live.Overlay(
                name=t("linked.rings", n=len(rows)),
                colour=RING_COLOUR,
                points=[round(float(v), 4) for v in coords[slot][rows].ravel()],
                marker="ring",
            )
            linked = live.Linked(slot, brush.corners if brush and brush.slot == slot else None, rings if len(rows) else None)
            shown = live.latent_map(sels[slot], proj[slot], colour, labels=labels, tsne_k=1, faces=False, pin=None, linked=linked)
            if shown is None:
                sent[slot] = _plotly_map(sels[slot], proj[slot], coords[slot], rows, labels, slot)
            else:
                sent[slot] = shown.brush
    for slot in SLOTS:
        if _take_brush(sent[slot], slot):
            st.rerun(scope="fragment")
    _measures(sel_a, sel_b, coords, rows, alignment)


def _plotly_map(sel: Ready, projection: str, coords: np.ndarray, rows: np.ndarray, labels: tuple[str, ...], slot: str) -> dict | None:
    """Where the browser map cannot run: a plotly map with its box and lasso selection."""
    fig = go.Figure(go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", marker={"size": 4, "color": "#9ca3af"}, name=labels[2]))
    if len(rows):
        fig.add_scattergl(
            x=coords[rows, 0], y=coords[rows, 1], mode="markers", customdata=rows, name=t("linked.rings", n=len(rows)),
            marker={"size": 8, "color": "rgba(0,0,0,0)", "line": {"color": RING_COLOUR, "width": 1.5}},
        )  # fmt: skip
    fig.update_layout(
        height=480, dragmode="lasso", xaxis_title=labels[0], yaxis_title=labels[1], margin={"l": 10, "r": 10, "t": 10, "b": 10}
    )
    event = st.plotly_chart(
        widgets.presented(fig),
        on_select="rerun",
        selection_mode=("box", "lasso"),
        key=f"linked_chart_{slot}_{sel.name}_{projection}",
        width="stretch",
    )
    selection: dict[str, Any] = dict(event.get("selection", {})) if event else {}
    for region in selection.get("lasso", []) or []:
        return {"polygon": list(zip(region["x"], region["y"]))}
    for region in selection.get("box", []) or []:
        (x0, x1), (y0, y1) = region["x"], region["y"]
        return {"polygon": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}
    return None


def _measures(sel_a: Ready, sel_b: Ready, coords: dict[str, np.ndarray], rows: np.ndarray, alignment: Alignment | None) -> None:
    key_a, key_b = model_key(sel_a.name), model_key(sel_b.name)
    nn_a, nn_b = _neighbours(key_a), _neighbours(key_b)
    m = st.columns(4)
    whole = knn_overlap(nn_a, nn_b)
    m[0].metric(t("linked.overlap_all", k=KNN_K), number(whole, ".0%"), help=t("linked.overlap_help", k=KNN_K, chance=KNN_K / len(nn_a)))
    if alignment is not None:
        m[1].metric(t("linked.alignment_error"), number(alignment.error, ".0%"), help=t("linked.alignment_help"))
    else:
        m[1].metric(t("linked.alignment_error"), "—", help=t("linked.not_aligned"))
    if len(rows) >= 1:
        m[2].metric(t("linked.brushed_overlap", n=len(rows)), number(knn_overlap(nn_a, nn_b, rows), ".0%"))
        m[3].metric(
            t("linked.spread"),
            f"{number(spread(coords['a'], rows), '.1%')} → {number(spread(coords['b'], rows), '.1%')}",
            help=t("linked.spread_help"),
        )
        st.caption(t("linked.brushed_caption", n=len(rows), a=sel_a.name, b=sel_b.name))
    else:
        st.caption(t("linked.brush_hint"))


def kl_side_by_side(sel_a: Ready, sel_b: Ready) -> None:
    """Each model's KL per latent dimension, largest first, on one scale."""
    st.subheader(t("linked.kl_title"))
    kls = {sel.name: np.sort(kl_per_dimension(sel.atlas.mean, sel.atlas.logvar))[::-1] for sel in (sel_a, sel_b)}
    top = max(float(v.max()) for v in kls.values()) * 1.08
    cols = st.columns(2)
    for col, (name, kl) in zip(cols, kls.items()):
        fig = go.Figure(go.Bar(x=[str(i + 1) for i in range(len(kl))], y=kl, marker_color="#2563eb"))
        fig.update_layout(
            height=280, yaxis_range=[0, top], xaxis_title=t("linked.kl_x"), yaxis_title=t("linked.kl_y"),
            title=t("linked.kl_model", name=name, total=float(kl.sum())), margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )  # fmt: skip
        col.plotly_chart(widgets.presented(fig), key=f"linked_kl_{name}", width="stretch")
    st.caption(t("linked.kl_help"))
