"""KL vs reconstruction: the two terms of the ELBO per test image, per model (rate–distortion
plane of the zoo; click a model to switch to it), per epoch, and per latent dimension."""

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import widgets
from ui.components.latent_panels import autoencoder_note, beta_view
from ui.components.zoo_figures import history_figure, kl_dims_figure, pick_model, rate_distortion_figure, sample_scatter
from ui.shell import state
from ui.shell.i18n import current_language, number, t
from ui.shell.resources import model_key, test_set, test_set_error, zoo, zoo_key
from vae.core.model import bits_per_dim
from vae.data.datasets import data_root

ensure_entry()

RD_CHART = "kr_rd_chart"

sel = current()
atlas, model, name = sel.atlas, sel.model, sel.name
dataset, latent_dim = model.config.dataset, model.config.latent_dim
key = model_key(name)
data = test_set(dataset)
nats = t("kr.nats")

st.title(t("kr.title"))
st.caption(t("kr.intro"))

m = st.columns(4)
m[0].metric(t("kr.metric.recon"), f"{number(atlas.recon_nats.mean(), '.1f')} {nats}", help=t("kr.metric.recon_help"))
m[1].metric(t("kr.metric.kl"), f"{number(atlas.kl_nats.mean(), '.1f')} {nats}", help=t("kr.metric.kl_help"))
elbo_nats = float(atlas.neg_elbo_nats.mean())
if model.config.likelihood == "gaussian":  # a normalised likelihood of the 8-bit image: also in bits/dim
    bits = bits_per_dim(elbo_nats, model.config.num_dims)
    m[2].metric(
        t("kr.metric.elbo"),
        f"{number(elbo_nats, '.1f')} {nats}",
        delta=f"{number(bits, '.3f')} bits/dim",
        delta_color="off",
        delta_arrow="off",
    )
else:
    m[2].metric(t("kr.metric.elbo"), f"{number(elbo_nats, '.1f')} {nats}")
st.caption(t(f"likelihood.{dataset}"))
m[3].metric(t("kr.metric.active"), f"{int(widgets.dimension_usage(name).active.sum())} / {latent_dim}", help=t("kr.metric.active_help"))
autoencoder_note(model.config)

# ---- the zoo on the rate–distortion plane (outside any fragment: a click changes the sidebar) ----
st.subheader(t("kr.rd.title"))
st.caption(t("kr.rd.help"))
names = [e.name for e in zoo() if e.available and e.dataset == dataset]
rd_labels = (t("kr.axis.rate"), t("kr.axis.distortion"), t("kr.rd.current"), t("kr.rd.iso"), t("cm.rd.ae"))
rd = rate_distortion_figure(zoo_key(), dataset, name, rd_labels, current_language())
st.plotly_chart(
    widgets.presented(rd), on_select=lambda: pick_model(RD_CHART, names), selection_mode="points", key=RD_CHART, width="stretch"
)
if any(e.config.is_autoencoder for e in zoo() if e.available and e.dataset == dataset):
    st.caption(t("cm.rd.ae_help"))
beta_view(dataset, name)  # the same models as latent spaces: how KL shapes them

# ---- per test image -----------------------------------------------------------------------------
st.subheader(t("kr.samples.title"))
colours = ["none"]
if data is not None:
    colours = ["label", "none"] if dataset == "mnist" else ["none"] + [f"attr:{a}" for a in data.attribute_names]
state.from_query("kr_colour", colours[0], str)
if st.session_state["kr_colour"] not in colours:
    st.session_state["kr_colour"] = colours[0]


@st.fragment
def samples() -> None:
    if data is None:
        st.info(t("common.no_data", error=test_set_error(dataset) or ""))
    else:
        st.selectbox(t("kr.colour"), colours, format_func=_colour_name, key="kr_colour")
    state.to_query("kr_colour")
    labels = (t("kr.axis.kl"), t("kr.axis.recon"), t("kr.samples.points"), t("kr.samples.mean"), t("kr.samples.has"), t("kr.samples.lacks"))
    fig = sample_scatter(key, str(data_root()), st.session_state["kr_colour"], labels)
    st.plotly_chart(widgets.presented(fig), key="kr_samples_chart", width="stretch")
    st.caption(t("kr.samples.help", n=len(atlas.kl_nats)))


def _colour_name(option: str) -> str:
    return option[5:].replace("_", " ") if option.startswith("attr:") else t(f"kr.colour.{option}")


samples()

# ---- per epoch and per latent dimension ------------------------------------------------------------
left, right = st.columns(2, gap="medium")
with left:
    st.subheader(t("kr.history.title"))
    fig = history_figure(key, (t("kr.axis.recon"), t("kr.axis.kl"), t("kr.axis.epoch"), t("kr.history.train"), t("kr.history.test")))
    if fig is None:
        st.info(t("kr.history.missing"))
    else:
        st.plotly_chart(widgets.presented(fig), key="kr_history_chart", width="stretch")
        st.caption(t("kr.history.help"))


@st.fragment
def dims() -> None:
    st.subheader(t("kr.dims.title"))
    st.toggle(t("kr.dims.sort"), **state.bound("kr_sorted", True, state.parse_bool))
    labels = (t("kr.axis.dim"), t("kr.axis.kl_dim"), t("kr.dims.active"), t("kr.dims.inactive"))
    fig = kl_dims_figure(key, st.session_state["kr_sorted"], labels)
    if fig is None:
        st.info(t("kr.dims.missing"))
        return
    st.plotly_chart(widgets.presented(fig), key="kr_dims_chart", width="stretch")
    usage = widgets.dimension_usage(name)  # the one definition of "active": vae.core.latent.active_mask
    st.caption(t("kr.dims.help", active=int(usage.active.sum()), d=latent_dim))
    if not usage.active.all():
        st.caption(t("kr.dims.inactive_effect", n=int((~usage.active).sum()), pixels=int(usage.effect_pixels.max())))


with right:
    dims()
