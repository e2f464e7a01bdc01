"""Face attributes: add CelebA attribute directions (smile, glasses, hair colour…) to a face's code,
with a bias check beside each slider (which other attributes the same direction also moves)."""

import functools

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import (
    faces,
    live,
    widgets,
)
from ui.shell import handoff, state
from ui.shell.i18n import t
from ui.shell.resources import test_set
from ui.views import face_editor as fe
from vae.artifacts.attributes import DEFAULT_ATTRIBUTES
from vae.core.latent import decode

ensure_entry()

LIMIT = fe.LIMIT

sel = current()
model, atlas, name = sel.model, sel.atlas, sel.name
st.title(t("fe.title"))
faces.require_celeba(model, "fe_to_celeba")
dirs = faces.directions_or_stop(name)
data = test_set("celeba")
widgets.intro(t("fe.intro"))


# the face to edit and which attributes: on a phone (ui/app.py's PHONE_CSS), below the edited face and its sliders
with st.container(key="fe_setup_phonelast"):
    decoder = faces.decoder_picker(sel, "fe_decoder")
    base, photo, source = fe.face_to_edit(sel, data)
    if base is None:
        if source == "upload":
            st.info(t("fe.upload_hint"))
        st.stop()
    state.from_query("fe_attrs", [a for a in DEFAULT_ATTRIBUTES if a in dirs.names], functools.partial(fe.parse_attrs, dirs))
    faces.attribute_picker(dirs, t("fe.attributes"), "fe_attrs", t("fe.attributes_help"))
state.to_query(fe_attrs=",".join(st.session_state["fe_attrs"]))
fe.amounts_from_url(dirs)


@st.fragment
def editor(base, photo) -> None:  # code (D,), the real photo or None
    """Sliders, edited face and exports: a slider move reruns only this."""
    chosen = st.session_state["fe_attrs"]
    # on a phone: the edited face first, then the sliders, then the rest of the right-hand column
    left, right = st.container(key="fe_main_phoneflat").columns([3, 2], gap="large")
    with left:
        if not chosen:
            st.info(t("fe.pick_attributes"))
        for attribute in chosen:
            st.session_state.setdefault(fe.amount_key(attribute), 0.0)
            s, note = st.columns([3, 2], vertical_alignment="center")
            widgets.float_slider(s, faces.attr_label(attribute), -LIMIT, LIMIT, step=0.1, spec="+.1f", key=fe.amount_key(attribute))
            note.caption(faces.bias_note(dirs, attribute))
        st.button(t("fe.reset"), key="fe_reset", on_click=fe.reset_amounts, args=(dirs,), icon=":material/restart_alt:")
    amounts = {a: float(st.session_state[fe.amount_key(a)]) for a in chosen if st.session_state[fe.amount_key(a)]}
    state.to_query(fe_amt=",".join(f"{a}:{v:g}" for a, v in amounts.items()) or None)
    edited = dirs.apply(base, amounts)
    images = decode(decoder.model, [edited, base])  # one batch: edited, plain decode
    with right:
        with st.container(key="fe_picture_phonefirst"), st.container(key="fe_edited"):
            st.image(widgets.inline(widgets.enlarge(images[0])), caption=t("fe.edited"), width=widgets.BIG)
        cols = st.columns(2 if photo is not None else 1)
        cols[0].image(widgets.inline(widgets.enlarge(images[1], 140)), caption=t("fe.before"), width=140)
        if photo is not None:
            cols[1].image(widgets.inline(widgets.enlarge(photo, 140)), caption=t("fe.photo"), width=140)
        d1, d2 = st.columns(2)
        widgets.download(
            t("fe.download_png"), functools.partial(faces.face_png, images[0]), f"{name}-edited-face.png", key="fe_png", where=d1
        )
        widgets.download(
            t("fe.download_json"),
            functools.partial(faces.code_json, name, edited, edits=amounts),
            f"{name}-edited-face.json",
            key="fe_json",
            where=d2,
            icon=":material/data_object:",
        )
        if st.button(t("fe.to_composer"), key="fe_to_composer", icon=":material/group:", help=t("fe.to_composer_help")):
            handoff.send_to_composer(name, edited)
            state.switch_page("pages/composer.py")
        fe.scores(dirs, chosen, base, edited)
    # while an amount slider is dragged, the browser adds the directions and decodes each frame
    directions = [(fe.amount_key(a), dirs.directions[dirs.index(a)]) for a in chosen]
    live.live_sliders(sel, base, [], "fe_edited", directions, decoder=decoder.name)


editor(base, photo)
with st.container(key="fe_bias_phonelast"):
    fe.bias_expander(dirs, st.session_state["fe_attrs"])
