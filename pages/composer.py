"""Face composer: pick the generated faces most like the person you saw; new faces are bred from
your picks, generation after generation, until one is close enough (vae.composer)."""

from ui.app import ensure_entry

ensure_entry()

import functools  # noqa: E402

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from ui import faces, handoff, state, widgets  # noqa: E402
from ui.app import current  # noqa: E402
from ui.i18n import t  # noqa: E402
from vae.composer import Composer  # noqa: E402
from vae.images import grid  # noqa: E402
from vae.latent import decode  # noqa: E402

SEED_MAX = 2**31 - 1
POPULATION = (9, 16)
LEVELS = [-1.0, -0.5, 0.0, 0.5, 1.0]  # constraint levels (vae.attributes.AttributeDirections.constrain)

sel = current()
model, name = sel.model, sel.name
st.title(t("co.title"))
faces.require_celeba(model, "co_to_celeba")
latent_dim = model.config.latent_dim
dirs = faces.directions(name)
dirs = None if isinstance(dirs, str) else dirs
st.caption(t("co.intro"))


def engine() -> Composer:
    """This session's composer (never shared), made anew for another model or population size."""
    kept = st.session_state.get("composer_engine")
    pop = int(st.session_state["co_pop"])
    if kept is None or kept["model"] != name or kept["composer"].population != pop:
        kept = {"model": name, "composer": Composer(latent_dim, pop, int(st.session_state["co_seed"]))}
        st.session_state["composer_engine"] = kept
        set_picks(())
    return kept["composer"]


def picks() -> list[int]:
    return [i for i in range(int(st.session_state["co_pop"])) if st.session_state.get(f"cmp_sel_{i}")]


def set_picks(chosen) -> None:
    for i in range(POPULATION[1]):
        st.session_state[f"cmp_sel_{i}"] = i in chosen


def constraints() -> dict[str, float]:
    return {a: float(st.session_state.get(f"co_con_{a}", 0.0)) for a in st.session_state.get("co_con_attrs", [])} if dirs else {}


# ---- callbacks (run before the widgets are drawn) -----------------------------------------------
def on_breed() -> None:
    chosen = picks()
    if not chosen:
        st.session_state["_co_message"] = "co.pick_first"
        return
    engine().breed(chosen, constraints() or None, dirs)
    set_picks(())


def on_undo() -> None:
    comp = engine()
    if comp.generation > 0:
        chosen = comp.history[-1].parents
        comp.undo()
        set_picks(chosen)  # the picks that bred the generation just undone, to change them


def on_restart() -> None:
    engine().restart(int(st.session_state["co_seed"]))
    set_picks(())


def on_photo(code: np.ndarray) -> None:
    engine().restart(int(st.session_state["co_seed"]), start=code)
    set_picks(())


# ---- settings (a change reruns the page) ------------------------------------------------------
state.from_query("co_seed", 0, state.parse_int(0, SEED_MAX))
state.from_query("co_pop", 16, state.parse_int(*POPULATION))
with st.expander(t("co.settings"), expanded=False, icon=":material/tune:"):
    c1, c2 = st.columns(2)
    c1.number_input(t("co.seed"), 0, SEED_MAX, key="co_seed", on_change=on_restart, help=t("co.seed_help"))
    c2.slider(t("co.population"), *POPULATION, key="co_pop", help=t("co.population_help"))
    if dirs is None:
        st.caption(t("co.no_constraints", name=name))
    else:
        st.multiselect(
            t("co.constraints"),
            dirs.names,
            format_func=faces.attr_label,
            key="co_con_attrs",
            help=t("co.constraints_help"),
            placeholder=t("faces.choose"),
        )
        for attribute in st.session_state.get("co_con_attrs", []):
            st.session_state.setdefault(f"co_con_{attribute}", 1.0)
            st.select_slider(faces.attr_label(attribute), LEVELS, key=f"co_con_{attribute}", format_func=lambda v: t(f"co.level.{v:+.1f}"))
    st.markdown(t("co.photo_title"))
    uploaded = faces.uploaded_face(model, "co_upload")
    if uploaded is not None:
        p1, p2 = st.columns([1, 3], vertical_alignment="center")
        p1.image(widgets.inline(widgets.enlarge(uploaded[0], 96)), width=96)
        p2.button(t("co.from_photo"), key="co_from_photo", on_click=on_photo, args=(uploaded[1],), icon=":material/photo_camera:")
state.to_query("co_seed", "co_pop")
start = handoff.take_composer_start(name)  # an edited face sent by the face editor
if start is not None:
    on_photo(start)
    st.toast(t("co.started_from_editor"), icon=":material/face_retouching_natural:")
engine()


def decoded(slot: str, codes: np.ndarray) -> np.ndarray:
    """Faces of codes (N, D), decoded in one batch and kept for this session until the codes change
    (ticking a face must not decode the grid again); uint8 (N, 64, 64, 3)."""
    token = (name, codes.shape, codes.tobytes())
    kept = st.session_state.get(f"_co_images_{slot}")
    if kept is None or kept[0] != token:
        kept = (token, decode(model, codes))
        st.session_state[f"_co_images_{slot}"] = kept
    return kept[1]


@st.fragment
def composer() -> None:
    """Grid, picks, breed/undo/restart, the chosen face and history: a click reruns only this."""
    comp = engine()
    images = decoded("grid", comp.current)
    chosen = picks()
    message = st.session_state.pop("_co_message", None)
    if message:
        st.warning(t(message))
    b1, b2, b3, b4 = st.columns([2, 1, 1, 2], vertical_alignment="center")
    b1.button(
        t("co.breed", n=len(chosen)),
        key="composer_breed",
        on_click=on_breed,
        disabled=not chosen,
        type="primary",
        icon=":material/auto_awesome:",
        width="stretch",
    )
    b2.button(t("co.undo"), key="composer_undo", on_click=on_undo, disabled=comp.generation == 0, icon=":material/undo:", width="stretch")
    b3.button(t("co.restart"), key="composer_restart", on_click=on_restart, icon=":material/restart_alt:", width="stretch")
    b4.container(key="composer_status").markdown(t("co.generation", g=comp.generation + 1, step=comp.step_size()))

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
        _chosen_face(comp, images, chosen)
    _history(comp)


def _chosen_face(comp: Composer, images: np.ndarray, chosen: list[int]) -> None:
    """The current favourite: the first picked face, else face 1 (after a breed, the picks' mean)."""
    best = chosen[0] if chosen else 0
    code = comp.current[best]
    handoff.leave_composer_face(name, code)
    st.image(widgets.inline(widgets.enlarge(images[best], 192)), caption=t("co.chosen", i=best + 1), width="stretch")
    widgets.download(
        t("co.download_png"), functools.partial(faces.face_png, images[best]), f"{name}-composed-face.png", key="co_png", width="stretch"
    )
    widgets.download(
        t("co.download_json"),
        functools.partial(faces.code_json, name, code, session=comp.log()),
        f"{name}-composed-face.json",
        key="co_json",
        icon=":material/data_object:",
        width="stretch",
    )
    if st.button(t("co.to_editor"), key="co_to_editor", icon=":material/face_retouching_natural:", width="stretch"):
        st.session_state["fe_source"] = "composer"  # the editor opens on this face
        st.switch_page("pages/face_editor.py")
    if dirs is not None:
        logits = dirs.logits(code)
        top = [j for j in np.argsort(-logits)[:3] if logits[j] > 0]  # the classifiers' three most confident "yes"
        if top:
            st.caption(t("co.looks", items=", ".join(faces.attr_label(dirs.names[j]) for j in top)))


def _history(comp: Composer) -> None:
    past = comp.picks()
    if not past:
        return
    with st.expander(t("co.history", n=len(past)), expanded=False):
        shown = list(enumerate(past))[-8:]  # the last eight breeds
        faces_by_breed = decoded("history", np.concatenate([p for _, p in shown]))  # one batch
        offset = 0
        for g, p in shown:
            row = faces_by_breed[offset : offset + len(p)]
            offset += len(p)
            c1, c2 = st.columns([1, 5], vertical_alignment="center")
            c1.caption(t("co.history_row", g=g + 1, k=len(p)))
            c2.image(widgets.inline(grid(row, len(row))), width=min(64 * len(row), 640))


composer()
