"""Latent sliders: one slider per latent dimension, most informative first; the decoder follows live."""

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import live, widgets
from ui.shell import state
from ui.shell.i18n import t
from ui.shell.resources import test_set, test_set_error, zoo
from ui.views import sliders
from vae.analysis.explore_ops import (
    TOP_SLIDERS,
    dims_by_kl,
    format_code,
    kl_per_dim,
)
from vae.core.latent import decode

ensure_entry()

SEED_MAX = 2**31 - 1

sel = current()
model, atlas, name = sel.model, sel.atlas, sel.name
latent_dim = model.config.latent_dim
dataset = model.config.dataset
data = test_set(dataset)
entry = next((e for e in zoo() if e.name == name), None)
kl = kl_per_dim(entry.card if entry else None, atlas.mean, atlas.logvar)  # (D,) nats
order = dims_by_kl(kl)
usage = widgets.dimension_usage(name)  # active = Var_x(μ_d) > 0.01, the card's definition
n_test = len(atlas.mean)


st.title(t("sliders.title"))
widgets.intro(t("sliders.intro", n=latent_dim))
if data is None:
    st.info(t("common.no_data", error=test_set_error(dataset) or ""))


@st.fragment
def explorer() -> None:
    """Start controls, sliders, image and traversal: a click or slider move reruns only this, not the page."""
    sliders.ensure_sliders(sel)
    sliders.start_controls(sel, SEED_MAX)

    # on a phone (ui/app.py's PHONE_CSS): the picture, then the sliders, then the start controls
    left, right = st.container(key="sl_main_phonefirst_phoneflat").columns([3, 2], gap="medium")
    with left:
        sliders.slider_columns(name, order[:TOP_SLIDERS], usage, kl)
        if latent_dim > TOP_SLIDERS:
            with st.expander(t("sliders.more", n=latent_dim - TOP_SLIDERS)):
                sliders.slider_columns(name, order[TOP_SLIDERS:], usage, kl)
    code = sliders.current_code(name, latent_dim)
    state.to_query(sl_z=format_code(code))
    with right:
        image = decode(model, code)[0]
        with st.container(key="sl_picture_phonefirst"), st.container(key="sl_decoded"):
            st.image(widgets.inline(widgets.enlarge(image)), caption=t("sliders.decoded"), width=widgets.BIG)
        sliders.origin_note(sel, data)
    live.live_sliders(sel, code, [(sliders.slider_key(name, d), d) for d in range(latent_dim)], "sl_decoded")
    sliders.traversal(sel, code, order, kl)


explorer()
