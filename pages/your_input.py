"""Your own input: draw a digit or upload an image, encode it, and see where it lands among the test set —
its reconstruction, code (μ, σ), −ELBO and percentile, and its place on the latent map."""

import hashlib
import math

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import input_widgets, live, widgets
from ui.shell import handoff, state
from ui.shell.i18n import number, t
from ui.shell.resources import test_set
from ui.views import your_input
from vae.analysis.anomaly import read_upload
from vae.analysis.placement import ALL_PROJECTIONS, encode_image, projections

ensure_entry()

sel = current()
atlas, model, name = sel.atlas, sel.model, sel.name
dataset = model.config.dataset
data = test_set(dataset)
who = t(f"yi.who.{dataset}")  # "test digits" / "test faces"
st.title(t("yi.title"))
widgets.intro(t(f"yi.intro.{dataset}"))

sources = ["draw", "upload"] if dataset == "mnist" and input_widgets.canvas_available() else ["upload"]
state.from_query("yi_source", sources[0], state.parse_choice(["draw", "upload"]))
if st.session_state["yi_source"] not in sources:
    st.session_state["yi_source"] = sources[0]
state.from_query("yi_invert", "auto", state.parse_choice(list(input_widgets.INVERT)))
maps = projections(model.config.latent_dim)
state.from_query("yi_proj", maps[0], state.parse_choice(list(ALL_PROJECTIONS)))
if st.session_state["yi_proj"] not in maps:
    st.session_state["yi_proj"] = maps[0]

left, right = st.columns([1, 2], gap="large")
with left:
    if len(sources) > 1:
        st.segmented_control(t("yi.source"), sources, format_func=lambda s: t(f"yi.source.{s}"), key="yi_source", required=True)
    if st.session_state["yi_source"] == "draw":
        widgets.intro(t("yi.draw_help"), key="yi_draw_help", label=t("yi.draw_help_title"))  # folded on a phone
        image, problem = input_widgets.drawn_digit()
        live.live_drawing(sel, st.session_state["yi_proj"], "yi_canvas", "yi_map_")  # the star moves after each stroke
    else:
        if dataset == "mnist" and len(sources) == 1:
            st.caption(t("yi.no_canvas"))
        image, problem = input_widgets.uploaded_image(dataset)
state.to_query("yi_source", "yi_proj", yi_invert=st.session_state["yi_invert"] if dataset == "mnist" else None)


def results(image) -> None:  # uint8 (28, 28) or (64, 64, 3)
    user = encode_image(model, image)
    code_id = hashlib.sha1(user.mean.tobytes()).hexdigest()[:16]
    handoff.leave_code(name, user.mean, source="your_input")  # an interpolation endpoint
    reading = read_upload(atlas, user.neg_elbo_nats, user.recon_nats, user.kl_nats, user.logvar)
    pct = reading.neg_elbo.percentile
    with right:
        c1, c2 = st.container(key="yi_pictures_phonerow").columns(2)  # side by side on a phone too, under the canvas
        c1.image(widgets.inline(widgets.enlarge(image, 224)), caption=t("yi.prepared"), width="stretch")
        c2.image(widgets.inline(widgets.enlarge(user.reconstruction, 224)), caption=t("yi.reconstruction"), width="stretch")
        m = st.columns(2)
        m[0].metric(t("yi.metric.elbo"), input_widgets.shown_score(reading.neg_elbo, your_input.nats), help=t("yi.elbo_help"))
        m[1].metric(t("yi.metric.percentile"), f"{number(math.floor(pct * 10) / 10, '.1f')} %", help=t("yi.percentile_help"))
        st.caption(
            t(
                "yi.terms",
                recon=input_widgets.shown_score(reading.recon, your_input.nats),
                kl=input_widgets.shown_score(reading.kl, your_input.nats),
            )
        )
        if reading.neg_elbo.beyond_test_set:
            st.markdown(t("yi.verdict_beyond", largest=your_input.nats(reading.neg_elbo.largest_test_nats), who=who))
        else:
            st.markdown(t("yi.verdict", elbo=your_input.number(user.neg_elbo_nats), pct=math.floor(pct), who=who))
        input_widgets.score_notes(reading, your_input.nats)
        your_input.downloads(name, image, user, pct)
    st.subheader(t("yi.code"))
    st.caption(t("yi.code_help"))
    fig = input_widgets.mu_sigma_figure(user, (t("yi.code.dim"), t("yi.code.value")))
    st.plotly_chart(widgets.presented(fig), key="yi_mu_sigma", width="stretch")
    st.subheader(t("yi.map"))
    st.fragment(your_input.placement_map)(sel, user.mean, code_id, maps)
    your_input.neighbours(sel, data, user.mean)


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
