"""Your own input: draw a digit or upload an image, encode it, and see where it lands among the test set —
its reconstruction, code (μ, σ), −ELBO and percentile, and its place on the latent map."""

from ui.app import ensure_entry

ensure_entry()

import functools  # noqa: E402
import hashlib  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from ui import handoff, input_widgets, state, widgets  # noqa: E402
from ui.app import current  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.resources import test_set  # noqa: E402
from vae.anomaly import read_upload  # noqa: E402
from vae.images import png_bytes  # noqa: E402
from vae.latent import decode, nearest_codes  # noqa: E402
from vae.placement import TSNE_NEIGHBOURS, UserCode, code_json, encode_image, place, projections  # noqa: E402

sel = current()
atlas, model, name = sel.atlas, sel.model, sel.name
dataset = model.config.dataset
data = test_set(dataset)
who = t(f"yi.who.{dataset}")  # "test digits" / "test faces"
st.title(t("yi.title"))
st.caption(t(f"yi.intro.{dataset}"))

sources = ["draw", "upload"] if dataset == "mnist" and input_widgets.canvas_available() else ["upload"]
state.from_query("yi_source", sources[0], state.parse_choice(["draw", "upload"]))
if st.session_state["yi_source"] not in sources:
    st.session_state["yi_source"] = sources[0]
state.from_query("yi_invert", "auto", state.parse_choice(list(input_widgets.INVERT)))
maps = projections(model.config.latent_dim)
state.from_query("yi_proj", maps[0], state.parse_choice(["raw", "pca", "tsne"]))
if st.session_state["yi_proj"] not in maps:
    st.session_state["yi_proj"] = maps[0]

left, right = st.columns([1, 2], gap="large")
with left:
    if len(sources) > 1:
        st.segmented_control(t("yi.source"), sources, format_func=lambda s: t(f"yi.source.{s}"), key="yi_source", required=True)
    if st.session_state["yi_source"] == "draw":
        st.caption(t("yi.draw_help"))
        image, problem = input_widgets.drawn_digit()
    else:
        if dataset == "mnist" and len(sources) == 1:
            st.caption(t("yi.no_canvas"))
        image, problem = input_widgets.uploaded_image(dataset)
state.to_query("yi_source", "yi_proj", yi_invert=st.session_state["yi_invert"] if dataset == "mnist" else None)


@st.fragment
def latent_map(code: np.ndarray, code_id: str) -> None:
    """The test set on a map with the user's point as a star; a projection change reruns only this."""
    st.segmented_control(t("yi.projection"), maps, format_func=lambda p: t(f"map.proj.{p}"), key="yi_proj", required=True)
    state.to_query("yi_proj")
    projection = st.session_state["yi_proj"]
    refined = st.session_state.get("yi_refined")
    refined_ok = refined is not None and refined["model"] == name and refined["code"] == code_id
    if projection == "tsne" and not refined_ok:
        slot = st.empty()
        if slot.button(t("yi.refine"), key="yi_refine", help=t("yi.refine_help"), icon=":material/auto_fix_high:"):
            with st.spinner(t("yi.refining")):
                xy = input_widgets.refined_tsne_position(name, code)
            st.session_state["yi_refined"] = {"model": name, "code": code_id, "xy": [float(v) for v in xy]}
            refined_ok = True
            slot.empty()  # done: no button for this code any more
    if projection == "tsne" and refined_ok:
        xy, method = np.asarray(st.session_state["yi_refined"]["xy"]), "tsne_refined"
    elif projection == "tsne":
        xy, method = place(atlas, code, "tsne", input_widgets.tsne_map(name)), "tsne"
    else:
        xy, method = place(atlas, code, projection), projection
    labels = (t(f"map.axis.{projection}"), t("yi.map.test_points"), t(f"yi.map.you.{dataset}"))
    fig = input_widgets.map_with_point(name, projection, xy, labels)
    st.plotly_chart(fig, key=f"yi_map_{name}_{projection}", width="stretch")
    st.caption(t(f"yi.placed.{method}", x=float(xy[0]), y=float(xy[1]), k=TSNE_NEIGHBOURS))


def number(nats: float) -> str:
    """One decimal for MNIST-sized scores; whole nats for CelebA's tens of thousands."""
    return f"{nats:.1f}" if abs(nats) < 1000 else f"{nats:.0f}"


def neighbours(code: np.ndarray) -> None:
    idx, dist = nearest_codes(atlas.mean, code, 8)
    st.caption(t("yi.neighbours"))
    if data is not None:
        images = [data.images[atlas.test_index[i]] for i in idx]
    else:
        images = list(decode(model, atlas.mean[idx]))
    widgets.image_row(images, [f"{widgets.label_of(data, atlas.test_index[i])} · {d:.2f}" for i, d in zip(idx, dist)])


def downloads(image: np.ndarray, user: UserCode, pct: float) -> None:
    """The prepared input and its reconstruction as PNG (native size), the code as JSON."""
    d = st.columns(3)
    d[0].download_button(
        t("yi.download.input"),
        functools.partial(png_bytes, image),  # built on click: no media file per rerun
        f"{name}-input.png",
        "image/png",
        key="yi_dl_input",
        on_click="ignore",
        icon=":material/download:",
    )
    d[1].download_button(
        t("yi.download.recon"),
        functools.partial(png_bytes, user.reconstruction),
        f"{name}-reconstruction.png",
        "image/png",
        key="yi_dl_recon",
        on_click="ignore",
        icon=":material/download:",
    )
    d[2].download_button(
        t("yi.download.code"),
        functools.partial(code_json, name, user, pct),
        f"{name}-code.json",
        "application/json",
        key="yi_dl_code",
        on_click="ignore",
        icon=":material/download:",
    )


def nats(value: float) -> str:
    return t("yi.nats", v=number(value))


def results(image: np.ndarray) -> None:
    user = encode_image(model, image)
    code_id = hashlib.sha1(user.mean.tobytes()).hexdigest()[:16]
    handoff.leave_code(name, user.mean, source="your_input")  # an interpolation endpoint
    reading = read_upload(atlas, user.neg_elbo_nats, user.recon_nats, user.kl_nats, user.logvar)
    pct = reading.neg_elbo.percentile
    with right:
        c1, c2 = st.columns(2)
        c1.image(widgets.inline(widgets.enlarge(image, 224)), caption=t("yi.prepared"), width="stretch")
        c2.image(widgets.inline(widgets.enlarge(user.reconstruction, 224)), caption=t("yi.reconstruction"), width="stretch")
        m = st.columns(2)
        m[0].metric(t("yi.metric.elbo"), input_widgets.shown_score(reading.neg_elbo, nats), help=t("yi.elbo_help"))
        m[1].metric(t("yi.metric.percentile"), f"{math.floor(pct * 10) / 10:.1f} %", help=t("yi.percentile_help"))
        st.caption(t("yi.terms", recon=input_widgets.shown_score(reading.recon, nats), kl=input_widgets.shown_score(reading.kl, nats)))
        if reading.neg_elbo.beyond_test_set:
            st.markdown(t("yi.verdict_beyond", largest=nats(reading.neg_elbo.largest_test_nats), who=who))
        else:
            st.markdown(t("yi.verdict", elbo=number(user.neg_elbo_nats), pct=math.floor(pct), who=who))
        input_widgets.score_notes(reading, nats)
        downloads(image, user, pct)
    st.subheader(t("yi.code"))
    st.caption(t("yi.code_help"))
    fig = input_widgets.mu_sigma_figure(user, (t("yi.code.dim"), t("yi.code.value")))
    st.plotly_chart(fig, key="yi_mu_sigma", width="stretch")
    st.subheader(t("yi.map"))
    latent_map(user.mean, code_id)
    neighbours(user.mean)


if problem is not None:
    with right:
        if st.session_state["yi_source"] == "draw":
            st.info(t("yi.canvas_problem", error=problem))
        else:
            st.error(t("yi.bad_file", error=problem))
elif image is None:
    with right:
        st.info(t(f"yi.hint.{st.session_state['yi_source']}"))
else:
    results(image)
