"""Latent map: the encoded test set in 2-D; click anywhere (a point or empty space) to decode it."""

import functools

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import edition, live, widgets
from ui.components.figures import map_figure, map_labels
from ui.components.latent_panels import autoencoder_note
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import model_key, test_set, test_set_error
from ui.views import axes as axes_view
from ui.views import map_view
from vae.analysis import placement
from vae.core.latent import decode, manifold_grid

ensure_entry()

sel = current()
atlas, model, name = sel.atlas, sel.model, sel.name
dataset = model.config.dataset
data = test_set(dataset)
st.title(t("map.title"))
widgets.intro(t("map.intro"))
autoencoder_note(model.config)  # β = 0: no prior to sample from

projections = [*placement.projections(model.config.latent_dim), "axes"]  # axes: the two directions you choose (ui.views.axes)
state.from_query("projection", projections[0], state.parse_choice([*placement.ALL_PROJECTIONS, "axes"]))
if st.session_state["projection"] not in projections:
    st.session_state["projection"] = projections[0]
colour_options = ["none", "kl", "recon"]
if data is not None:
    colour_options = (["label"] if dataset == "mnist" else [f"attr:{a}" for a in data.attribute_names]) + colour_options
state.from_query("colour", colour_options[0], str)
if st.session_state["colour"] not in colour_options:
    st.session_state["colour"] = colour_options[0]

# on a phone (PHONE_CSS): the projections across the screen, then the colour and k (or the samples) side by side
c1, c2, c3 = st.container(key="map_view_phonegridwide").columns([3, 2, 1], vertical_alignment="bottom")
c1.segmented_control(t("map.projection"), projections, format_func=lambda p: t(f"map.proj.{p}"), key="projection", required=True)
c2.selectbox(
    t("map.colour"), colour_options, format_func=lambda c: t(f"map.colour.{c}") if ":" not in c else c[5:].replace("_", " "), key="colour"
)
if st.session_state["projection"] in ("tsne", "umap"):  # the maps decoded by a blend of the nearest codes (UMAP: in the browser)
    c3.number_input(t("map.tsne_k"), 1, 20, help=t("map.tsne_k_help"), **state.bound("tsne_k", 1, state.parse_int(1, 20)))
if st.session_state["projection"] in ("raw", "pca"):  # where new samples land over the encoded test set
    c3.toggle(t("map.samples"), help=t("map.samples_help"), **state.bound("samples", False, state.parse_bool))
if dataset == "celeba" and live.enabled():  # faces mode: the points drawn as their faces, in the browser
    st.container(key="map_toggles_phonerow").toggle(
        t("map.faces"), help=t("map.faces_help"), **state.bound("faces", False, state.parse_bool)
    )
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))
state.to_query("projection", "colour")
chosen = axes_view.chosen_axes(sel, data) if st.session_state["projection"] == "axes" else None


@st.fragment
def map_and_details() -> None:
    projection, colour, tsne_k = st.session_state["projection"], st.session_state["colour"], st.session_state.get("tsne_k", 1)
    if projection == "axes" and chosen is None:
        return  # the pickers said why there is no plane
    labels = chosen.labels if chosen is not None else map_labels(projection)
    offset = chosen.offset if chosen is not None else None
    projection = chosen.projection if chosen is not None else projection
    samples = (
        tuple((s, t(f"map.samples.{s}")) for s in ("prior", "learned"))
        if st.session_state.get("samples") and projection in ("raw", "pca")
        else ()
    )
    left, right = st.columns([3, 2], gap="medium")
    with left, st.container(key="map_picture"):  # drawn in the browser (hover decodes there); the plotly map where that cannot run
        pin = map_view.current_click(sel, projection)
        pin = None if pin is None else (pin.x, pin.y, pin.index)
        faces = bool(st.session_state.get("faces"))
        browser_map = live.latent_map(
            sel, projection, colour, labels=labels, tsne_k=tsne_k, faces=faces, pin=pin, samples=samples, offset=offset
        )
        if browser_map is None:
            fig, trace_rows = map_figure(model_key(name), projection, colour, labels, samples)
            event = st.plotly_chart(
                widgets.presented(fig),
                on_select="rerun",
                selection_mode="points",
                key=f"map_chart_{name}_{projection}_{colour}",
                width="stretch",
            )
            click = map_view.read_click(event, sel, projection, trace_rows)
        else:
            click = map_view.read_browser_click(browser_map.click, sel, projection)
    with right, st.container(key="map_details"):  # what the click decodes to (benchmarks/map_click.py times its arrival)
        if click is None:
            st.info(t("map.click_hint"))
        else:
            map_view.show_click(click, sel, data, tsne_k, offset)


map_and_details()
map_view.replay_section(sel)  # how this map formed, epoch by epoch (models that ship a training replay)
if chosen is not None:
    axes_view.attribute_cleanliness(sel, chosen)

if model.config.latent_dim == 2:
    with st.expander(t("map.manifold"), expanded=False):
        st.caption(t("map.manifold_help"))
        m1, m2 = st.columns(2)
        n = m1.slider(t("map.manifold_n"), 5, 30, **state.bound("manifold_n", 15, state.parse_int(5, 30)))
        r = widgets.float_slider(
            m2, t("map.manifold_range"), 0.5, 6.0, step=0.5, spec=".1f", **state.bound("manifold_r", 3.0, state.parse_float(0.5, 6.0))
        )
        images = decode(model, manifold_grid((-r, r), (-r, r), n))
        st.image(
            widgets.inline(widgets.png_of(widgets.tile(images, n, pad=0))), width=min(720, 48 * n), caption=t("map.manifold_caption", r=r)
        )

csv_col, html_col = st.columns(2)
widgets.download(
    t("map.download_csv"),
    functools.partial(widgets.atlas_csv, model_key(name)),
    f"{name}-latent-test-set.csv",
    key="map_csv",
    where=csv_col,
)
html = functools.partial(
    widgets.map_html,
    model_key(name),
    st.session_state["projection"],
    st.session_state["colour"],
    map_labels(st.session_state["projection"]),
)
widgets.download(t("map.download_html"), html, f"{name}-latent-map-{st.session_state['projection']}.html", key="map_html", where=html_col)
if chosen is None and st.session_state["projection"] != "axes":
    map_view.projection_parameters(atlas, st.session_state["projection"])
edition.share_button(name)  # the student edition of this model, as a .zip
st.caption(t("map.png_hint"))
