"""Latent map: the encoded test set in 2-D; click anywhere (a point or empty space) to decode it."""

from ui.app import ensure_entry

ensure_entry()

import functools  # noqa: E402

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from ui import state, widgets  # noqa: E402
from ui.app import current  # noqa: E402
from ui.figures import grid_spacing, map_figure  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.resources import model_key, test_set, test_set_error  # noqa: E402
from vae.atlas import code_at  # noqa: E402
from vae.latent import decode, manifold_grid, nearest_codes  # noqa: E402

sel = current()
atlas, model, name = sel.atlas, sel.model, sel.name
dataset = model.config.dataset
data = test_set(dataset)
st.title(t("map.title"))
st.caption(t("map.intro"))

projections = (["raw"] if model.config.latent_dim == 2 else []) + ["pca", "tsne"]
state.from_query("projection", projections[0], state.parse_choice(["raw", "pca", "tsne"]))
if st.session_state["projection"] not in projections:
    st.session_state["projection"] = projections[0]
colour_options = ["none", "kl", "recon"]
if data is not None:
    colour_options = (["label"] if dataset == "mnist" else [f"attr:{a}" for a in data.attribute_names]) + colour_options
state.from_query("colour", colour_options[0], str)
if st.session_state["colour"] not in colour_options:
    st.session_state["colour"] = colour_options[0]
state.from_query("tsne_k", 1, state.parse_int(1, 20))

c1, c2, c3 = st.columns([2, 2, 1])
c1.segmented_control(t("map.projection"), projections, format_func=lambda p: t(f"map.proj.{p}"), key="projection", required=True)
c2.selectbox(
    t("map.colour"), colour_options, format_func=lambda c: t(f"map.colour.{c}") if ":" not in c else c[5:].replace("_", " "), key="colour"
)
if st.session_state["projection"] == "tsne":
    c3.number_input(t("map.tsne_k"), 1, 20, key="tsne_k", help=t("map.tsne_k_help"))
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))
state.to_query("projection", "colour", "tsne_k")


def map_labels() -> tuple[str, ...]:
    """Translated axis and legend texts of the map figure (part of its cache key)."""
    axis = t(f"map.axis.{st.session_state['projection']}")
    return (f"{axis} 1", f"{axis} 2", t("map.legend.points"), t("map.legend.has"), t("map.legend.lacks"))


@st.fragment
def map_and_details() -> None:
    projection, colour = st.session_state["projection"], st.session_state["colour"]
    coords = atlas.coords(projection)
    fig, trace_rows = map_figure(model_key(name), projection, colour, map_labels())
    left, right = st.columns([3, 2], gap="medium")
    with left:
        event = st.plotly_chart(
            fig, on_select="rerun", selection_mode="points", key=f"map_chart_{name}_{projection}_{colour}", width="stretch"
        )
    click = _read_click(event, coords, projection, trace_rows)
    with right:
        if click is None:
            st.info(t("map.click_hint"))
            return
        _show_click(click, projection)


def _read_click(event, coords: np.ndarray, projection: str, trace_rows: list[np.ndarray]) -> dict | None:
    """Turn a plotly selection into {x, y, index}; remember it (and put it in the URL)."""
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
        if index is not None:
            x, y = float(coords[index, 0]), float(coords[index, 1])
        st.session_state["map_click"] = {"model": name, "projection": projection, "x": x, "y": y, "index": index}
    else:
        _click_from_query(projection)
    click = st.session_state.get("map_click")
    if not click or click["model"] != name or click["projection"] != projection:
        return None
    state.to_query(x=round(click["x"], 4), y=round(click["y"], 4), point=click["index"])
    return click


def _click_from_query(projection: str) -> None:
    """A deep link's x/y/point parameters become the current click, once per session."""
    if st.session_state.get("_map_click_from_url"):
        return
    st.session_state["_map_click_from_url"] = True
    q = st.query_params
    try:
        if "point" in q:
            index = int(q["point"])
            if not 0 <= index < len(atlas.mean):
                raise ValueError
            x, y = atlas.coords(projection)[index]
            st.session_state["map_click"] = {"model": name, "projection": projection, "x": float(x), "y": float(y), "index": index}
        elif "x" in q and "y" in q:
            x, y = float(q["x"]), float(q["y"])
            if not (np.isfinite(x) and np.isfinite(y) and abs(x) < 1e4 and abs(y) < 1e4):
                raise ValueError
            st.session_state["map_click"] = {"model": name, "projection": projection, "x": x, "y": y, "index": None}
    except (ValueError, KeyError):
        st.session_state.setdefault(state.NOTICES, []).append("x, y, point")


def _show_click(click: dict, projection: str) -> None:
    location = code_at(atlas, projection, (click["x"], click["y"]), st.session_state.get("tsne_k", 1))
    index = click["index"]
    if index is None:
        image = decode(model, location.code)[0]
        st.image(widgets.inline(widgets.enlarge(image)), caption=t("map.decoded_at", x=click["x"], y=click["y"]), width=widgets.BIG)
        st.markdown(t(f"map.method.{location.method}", k=st.session_state.get("tsne_k", 1)))
        widgets.distance_cue(location)
        st.session_state["last_code"] = {"model": name, "code": location.code.tolist()}
        return
    code = atlas.mean[index]
    st.session_state["last_code"] = {"model": name, "code": code.tolist(), "index": index}
    recon = decode(model, code)[0]
    cols = st.columns(2)
    if data is not None:
        cols[0].image(widgets.inline(widgets.enlarge(data.images[atlas.test_index[index]])), caption=t("map.original"), width="stretch")
    cols[1 if data is not None else 0].image(widgets.inline(widgets.enlarge(recon)), caption=t("map.reconstruction"), width="stretch")
    label = widgets.label_of(data, atlas.test_index[index])
    st.markdown(
        t(
            "map.point_details",
            index=int(atlas.test_index[index]),
            label=label,
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
        [f"{widgets.label_of(data, atlas.test_index[i])} · {d:.2f}" for i, d in zip(idx, dist)],
    )


map_and_details()

if model.config.latent_dim == 2:
    with st.expander(t("map.manifold"), expanded=False):
        st.caption(t("map.manifold_help"))
        m1, m2 = st.columns(2)
        state.from_query("manifold_n", 15, state.parse_int(5, 30))
        state.from_query("manifold_r", 3.0, state.parse_float(0.5, 6.0))
        n = m1.slider(t("map.manifold_n"), 5, 30, key="manifold_n")
        r = m2.slider(t("map.manifold_range"), 0.5, 6.0, step=0.5, key="manifold_r")
        state.to_query("manifold_n", "manifold_r")
        images = decode(model, manifold_grid((-r, r), (-r, r), n))
        st.image(widgets.inline(widgets.tile(images, n, pad=0)), width=min(720, 48 * n), caption=t("map.manifold_caption", r=r))

csv_col, html_col = st.columns(2)
widgets.download(
    t("map.download_csv"),
    functools.partial(widgets.atlas_csv, model_key(name)),
    f"{name}-latent-test-set.csv",
    key="map_csv",
    where=csv_col,
)
html = functools.partial(widgets.map_html, model_key(name), st.session_state["projection"], st.session_state["colour"], map_labels())
widgets.download(t("map.download_html"), html, f"{name}-latent-map-{st.session_state['projection']}.html", key="map_html", where=html_col)
st.caption(t("map.png_hint"))
