"""The latent map page's logic: turning a click (on the browser-drawn map, on the plotly map, or from
a deep link) into the current click, and the panel that shows what a click decodes to (a test
point's details, or a location with its honesty cue). The page (pages/latent_map.py) only lays
these out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from ui.components import widgets
from ui.components.figures import grid_spacing
from ui.shell import handoff, state
from ui.shell.i18n import number, t
from ui.shell.resources import Ready, TestSet
from vae.artifacts.atlas import Atlas, code_at
from vae.core.latent import decode, nearest_codes

CLICK = "map_click"


@dataclass(frozen=True)
class MapClick:
    """A click on a map: where (map units), on which model and projection, and the test point if one was meant."""

    model: str
    projection: str
    x: float
    y: float
    index: int | None


def read_click(event: Mapping[str, Any] | None, sel: Ready, projection: str, trace_rows: list[np.ndarray]) -> MapClick | None:
    """Turn a plotly selection (the server-drawn map) into the current click (or take one from a deep
    link once); remember it and put it in the URL. None when this model and projection have no click yet."""
    coords = sel.atlas.coords(projection)
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        p = points[0]
        x, y = float(p["x"]), float(p["y"])
        index = None
        curve, point = int(p.get("curve_number", 0)), int(p.get("point_index", 0))
        if 0 < curve < len(trace_rows) and 0 <= point < len(trace_rows[curve]):
            index = int(trace_rows[curve][point])
        else:  # empty space; a grid point within half a cell of a test point means the point was meant
            d = np.hypot(coords[:, 0] - x, coords[:, 1] - y)
            nearest = int(d.argmin())
            if d[nearest] < 0.5 * grid_spacing(coords):
                index = nearest
        _remember(sel, projection, x, y, index)
    return current_click(sel, projection)


def read_browser_click(picked: dict | None, sel: Ready, projection: str) -> MapClick | None:
    """Turn a click on the browser-drawn map (ui.components.live.latent_map: {"x", "y", "index"}, index the test
    point the pointer was on, or None) into the current click, as read_click does for plotly. A
    malformed payload is ignored with a notice."""
    if picked:
        try:
            x, y, index = float(picked["x"]), float(picked["y"]), picked.get("index")
            if not (np.isfinite(x) and np.isfinite(y)):
                raise ValueError
            if index is not None and not (isinstance(index, int) and 0 <= index < len(sel.atlas.mean)):
                raise ValueError
            if picked.get("model", sel.name) == sel.name and picked.get("projection", projection) == projection:
                _remember(sel, projection, x, y, index)
        except (KeyError, TypeError, ValueError):
            st.session_state.setdefault(state.NOTICES, []).append("map click")
    return current_click(sel, projection)


def _remember(sel: Ready, projection: str, x: float, y: float, index: int | None) -> None:
    """A click becomes the current one; on a test point, at that point's exact place."""
    if index is not None:
        x, y = (float(v) for v in sel.atlas.coords(projection)[index])
    st.session_state[CLICK] = MapClick(sel.name, projection, x, y, index)


def current_click(sel: Ready, projection: str) -> MapClick | None:
    """The click shown on this model and projection (a deep link's x/y/point, taken once per
    session), kept in the URL; None when there is none."""
    _click_from_query(sel, projection)
    click = st.session_state.get(CLICK)
    if not isinstance(click, MapClick) or click.model != sel.name or click.projection != projection:
        return None
    state.to_query(x=round(click.x, 4), y=round(click.y, 4), point=click.index)
    return click


def _click_from_query(sel: Ready, projection: str) -> None:
    """A deep link's x/y/point parameters become the current click, once per session."""
    if st.session_state.get("_map_click_from_url"):
        return
    st.session_state["_map_click_from_url"] = True
    q = {name: raw for name in ("point", "x", "y") if (raw := state.raw_param(name)) is not None}
    try:
        if "point" in q:
            index = int(q["point"])
            if not 0 <= index < len(sel.atlas.mean):
                raise ValueError
            x, y = sel.atlas.coords(projection)[index]
            st.session_state[CLICK] = MapClick(sel.name, projection, float(x), float(y), index)
        elif "x" in q and "y" in q:
            x, y = float(q["x"]), float(q["y"])
            if not (np.isfinite(x) and np.isfinite(y) and abs(x) < 1e4 and abs(y) < 1e4):
                raise ValueError
            st.session_state[CLICK] = MapClick(sel.name, projection, x, y, None)
    except (ValueError, KeyError):
        st.session_state.setdefault(state.NOTICES, []).append("x, y, point")


def show_click(click: MapClick, sel: Ready, data: TestSet | None, tsne_k: int, offset: np.ndarray | None = None) -> None:
    """What the click decodes to: a location with its honesty cue, or a test point with its original,
    reconstruction, scores and nearest neighbours. Leaves the code for the Interpolation page."""
    atlas, model = sel.atlas, sel.model
    if click.index is None:
        location = code_at(atlas, click.projection, (click.x, click.y), tsne_k, offset=offset)
        image = decode(model, location.code)[0]
        st.image(widgets.inline(widgets.enlarge(image)), caption=t("map.decoded_at", x=click.x, y=click.y), width=widgets.BIG)
        st.markdown(t(f"map.method.{location.method}", k=tsne_k))
        widgets.distance_cue(location)
        if click.projection == "umap":  # what the hover showed there: the browser's blend, beside UMAP's inverse
            blend = code_at(atlas, "umap", (click.x, click.y), tsne_k, blend=True)
            pictures = st.columns([1, 3], vertical_alignment="center")
            pictures[0].image(widgets.inline(widgets.enlarge(decode(model, blend.code)[0], 112)), width="stretch")
            pictures[1].caption(t("map.umap_hover", method=t(f"map.method.{blend.method}", k=tsne_k)))
        handoff.leave_code(sel.name, location.code)
        return
    index = click.index
    code = atlas.mean[index]
    handoff.leave_code(sel.name, code, index)
    recon = decode(model, code)[0]
    cols = st.columns(2)
    if data is not None:
        cols[0].image(widgets.inline(widgets.enlarge(data.images[atlas.test_index[index]])), caption=t("map.original"), width="stretch")
    cols[1 if data is not None else 0].image(widgets.inline(widgets.enlarge(recon)), caption=t("map.reconstruction"), width="stretch")
    st.markdown(
        t(
            "map.point_details",
            index=int(atlas.test_index[index]),
            label=widgets.label_of(data, atlas.test_index[index]),
            recon=float(atlas.recon_nats[index]),
            kl=float(atlas.kl_nats[index]),
            elbo=float(atlas.recon_nats[index] + atlas.kl_nats[index]),
        )
    )
    idx, dist = nearest_codes(atlas.mean, code, 9)
    idx, dist = idx[1:], dist[1:]  # the first is the point itself
    st.caption(t("map.neighbours"))
    widgets.image_row(
        [data.images[atlas.test_index[i]] if data is not None else decode(model, atlas.mean[i])[0] for i in idx],
        [f"{widgets.label_of(data, atlas.test_index[i])} · {number(d, '.2f')}" for i, d in zip(idx, dist)],
    )


def projection_parameters(atlas: Atlas, projection: str) -> None:
    """What the shown map was made with (the Embedding Projector's "projection parameters"), folded;
    every map's coordinates are in the page's CSV download."""
    params = atlas.projection_parameters()
    with st.expander(t("map.params.title", projection=t(f"map.proj.{projection}"))):
        st.markdown(t(f"map.params.{projection}", **params[projection]))
        st.caption(t("map.params.csv"))


def replay_section(sel: Ready) -> None:
    """A model that ships a training replay: "Watch it learn", folded, under the map."""
    from ui.components import live
    from ui.shell.resources import card_of, model_key

    key = model_key(sel.name)
    replay, card = live.replay_of(key), card_of(key)
    if isinstance(replay, str) or card is None or not live.enabled():
        return
    with st.expander(t("replay.title"), expanded=st.session_state.get("replay_open", False)):
        if live.replay_player(sel.name, [dataclasses.asdict(row) for row in card.history], start=1, height=380, key="replay_map"):
            st.caption(t("replay.caption", points=len(replay.test_index), epochs=replay.epochs))
