"""Face composer: pick the generated faces most like the person you saw; new faces are bred from
your picks, generation after generation, until one is close enough (vae.analysis.composer)."""

import streamlit as st

from ui.app import current, ensure_entry
from ui.components import faces, widgets
from ui.shell import handoff, state
from ui.shell.i18n import t
from ui.views import composer as composer_session
from ui.views.composer import ComposerSession

ensure_entry()

SEED_MAX = 2**31 - 1
POPULATION = composer_session.POPULATION
LEVELS = [-1.0, -0.5, 0.0, 0.5, 1.0]  # constraint levels (vae.artifacts.attributes.AttributeDirections.constrain)

sel = current()
model, name = sel.model, sel.name
st.title(t("co.title"))
faces.require_celeba(model, "co_to_celeba")
latent_dim = model.config.latent_dim
dirs = faces.directions(name)
dirs = None if isinstance(dirs, str) else dirs
st.caption(t("co.intro"))
session = ComposerSession(sel, dirs, faces.decoder_picker(sel, "co_decoder"))


# ---- settings (a change reruns the page) ------------------------------------------------------
with st.expander(t("co.settings"), expanded=False, icon=":material/tune:"):
    c1, c2 = st.columns(2)
    seed_param = state.bound("co_seed", 0, state.parse_int(0, SEED_MAX))
    c1.number_input(t("co.seed"), 0, SEED_MAX, on_change=session.on_restart, help=t("co.seed_help"), **seed_param)
    c2.slider(t("co.population"), *POPULATION, help=t("co.population_help"), **state.bound("co_pop", 16, state.parse_int(*POPULATION)))
    if dirs is None:
        st.caption(t("co.no_constraints", name=name))
    else:
        faces.attribute_picker(dirs, t("co.constraints"), "co_con_attrs", t("co.constraints_help"))
        for attribute in st.session_state.get("co_con_attrs", []):
            st.session_state.setdefault(f"co_con_{attribute}", 1.0)
            st.select_slider(faces.attr_label(attribute), LEVELS, key=f"co_con_{attribute}", format_func=lambda v: t(f"co.level.{v:+.1f}"))
    st.markdown(t("co.photo_title"))
    uploaded = faces.uploaded_face(model, "co_upload")
    if uploaded is not None:
        p1, p2 = st.columns([1, 3], vertical_alignment="center")
        p1.image(widgets.inline(widgets.enlarge(uploaded[0], 96)), width=96)
        p2.button(t("co.from_photo"), key="co_from_photo", on_click=session.on_photo, args=(uploaded[1],), icon=":material/photo_camera:")
start = handoff.take_composer_start(name)  # an edited face sent by the face editor
if start is not None:
    session.on_photo(start)
    st.toast(t("co.started_from_editor"), icon=":material/face_retouching_natural:")
session.engine()


@st.fragment
def composer() -> None:
    """Grid, picks, breed/undo/restart, the chosen face and history: a click reruns only this."""
    comp = session.engine()
    images = session.decoded("grid", comp.current)
    chosen = session.picks()
    message = st.session_state.pop("_co_message", None)
    if message:
        st.warning(t(message))
    b1, b2, b3, b4 = st.columns([2, 1, 1, 2], vertical_alignment="center")
    b1.button(
        t("co.breed", n=len(chosen)),
        key="composer_breed",
        on_click=session.on_breed,
        disabled=not chosen,
        type="primary",
        icon=":material/auto_awesome:",
        width="stretch",
    )
    b2.button(
        t("co.undo"), key="composer_undo", on_click=session.on_undo, disabled=comp.generation == 0, icon=":material/undo:", width="stretch"
    )
    b3.button(t("co.restart"), key="composer_restart", on_click=session.on_restart, icon=":material/restart_alt:", width="stretch")
    b4.container(key="composer_status").markdown(t("co.generation", g=comp.generation + 1, step=comp.step_size()))
    st.caption(session.progress(comp))

    left, right = st.columns([3, 1], gap="medium")
    with left.container(key="composer_grid"):
        ncols = 3 if comp.population <= 9 else 4
        for start in range(0, comp.population, ncols):
            cols = st.columns(ncols)
            for col, i in zip(cols, range(start, min(start + ncols, comp.population))):
                col.image(widgets.inline(images[i]), width="stretch")  # 64 px, scaled smoothly by the browser
                label = t("co.face_elite", i=i + 1) if i == 0 and comp.generation > 0 else t("co.face", i=i + 1)
                col.checkbox(label, key=f"cmp_sel_{i}")
    with right:
        session.chosen_face(comp, images, chosen)
    session.history(comp)


composer()
