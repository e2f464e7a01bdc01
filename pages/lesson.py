"""The VAE lesson: the course plan, one step per point, each shown live on a real MNIST model
(mnist-z2 by default, chosen here independently of the sidebar). Step and settings are in the URL;
the steps themselves are the modules of ui/lesson/, in the order of ui.lesson.STEPS."""

import streamlit as st

from ui.app import ensure_entry
from ui.components import widgets
from ui.lesson import MAIN_MODEL, STEPS, clicker, open_lesson, slides, two_d_lesson
from ui.lesson.common import SHOWN_PART
from ui.shell import state
from ui.shell.i18n import current_language, t
from ui.shell.resources import loaded, zoo

ensure_entry()

N_STEPS = len(STEPS)


def parts_of(step: int) -> int:
    """Sub-steps of a step: its PARTS in presenter mode (each one projector screen), else 1."""
    return getattr(STEPS[step - 1], "PARTS", 1) if widgets.presenting() else 1


def _move(delta: int) -> None:
    """One clicker press: the next (previous) sub-step, else the first (last) one of the next (previous) step."""
    step, part = int(st.session_state["lesson_step"]), int(st.session_state.get("lesson_part", 1))
    part = min(part, parts_of(step)) + delta
    if part < 1:
        step = max(1, step - 1)
        part = parts_of(step) if step < int(st.session_state["lesson_step"]) else 1
    elif part > parts_of(step):
        step, part = (step + 1, 1) if step < N_STEPS else (step, parts_of(step))
    st.session_state["lesson_step"], st.session_state["lesson_part"] = step, part


def _step_chosen() -> None:
    st.session_state["lesson_part"] = 1


mnist = {e.name: e for e in zoo() if e.available and e.dataset == "mnist"}
if not widgets.presenting():  # on a projector the step heading is the title; the screen is for the step
    st.title(t("lesson.title"))
if not mnist:
    st.info(t("lesson.no_mnist"))
    st.stop()
sidebar_model = st.session_state.get("model")
default = MAIN_MODEL if MAIN_MODEL in mnist else (sidebar_model if sidebar_model in mnist else next(iter(mnist)))
model_param = state.bound("ls_model", default, state.parse_choice(mnist), via="index")
if st.session_state["ls_model"] not in mnist:
    st.session_state["ls_model"] = default
state.from_query("lesson_step", 1, state.parse_int(1, N_STEPS), param="step")
state.from_query("lesson_part", 1, state.parse_int(1, 20), param="part")

# One row sized by its content: the buttons keep their whole label at 1280 px in presenter mode (21-px
# text), the step selector takes what is left.
presenting = widgets.presenting()
step = int(st.session_state["lesson_step"])
n_parts = parts_of(step)
part = min(max(1, int(st.session_state["lesson_part"])), n_parts)
st.session_state["lesson_part"] = part
collapsed = "collapsed" if presenting else "visible"  # a projector screen keeps its height for the step
# One row sized by its content: the buttons keep their whole label at 1280 px in presenter mode (21-px
# text), the step selector takes what is left.
# One row sized by its content. In presenter mode the buttons are arrows (their names in the tooltip:
# the clicker presses them) and the model sits in a popover, so the step selector keeps its whole
# title beside the floating presenter bar at 1280 px.
with st.container(key="lesson_nav", horizontal=True, vertical_alignment="bottom", gap="small"):
    for key, delta, icon, disabled in (
        ("lesson_prev", -1, ":material/arrow_back:", step == 1 and part == 1),
        ("lesson_next", 1, ":material/arrow_forward:", step == N_STEPS and part == n_parts),
    ):
        label = t(key.replace("_", "."))
        st.button(
            "" if presenting else label,
            key=key,
            on_click=_move,
            args=(delta,),
            disabled=disabled,
            icon=icon,
            help=label if presenting else None,
            width="content",
        )
    st.selectbox(
        t("lesson.step"),
        list(range(1, N_STEPS + 1)),
        key="lesson_step",
        format_func=lambda k: f"{k} / {N_STEPS} · {t(STEPS[k - 1].TITLE)}",
        on_change=_step_chosen,
        label_visibility=collapsed,
        width="stretch",
    )
    model_box = st.popover(st.session_state["ls_model"], icon=":material/tune:") if presenting else st.container(width=260)
    with model_box:  # chosen before the lecture; the link keeps it (ls_model)
        st.selectbox(t("lesson.model"), list(mnist), help=t("lesson.model_help", main=MAIN_MODEL), **model_param)
# PageUp/PageDown, arrows, Space, "." from anywhere; a new step or sub-step opens at its top
clicker.lesson_keys(step * 100 + part, "lesson_prev", "lesson_next")
state.to_query(step=step, part=part if part > 1 else None)
st.session_state[SHOWN_PART] = part if presenting else None

lesson = open_lesson(st.session_state["ls_model"])
if lesson is None:
    st.error(t("common.model_unavailable", name=st.session_state["ls_model"], error=loaded(st.session_state["ls_model"]).error))
    st.stop()
z2 = two_d_lesson(lesson, [name for name, e in mnist.items() if e.config.latent_dim == 2])

st.header(f"{step}. {t(STEPS[step - 1].TITLE)}" + (f" ({part}/{n_parts})" if n_parts > 1 else ""))
STEPS[step - 1].render(lesson, z2)

# The whole lesson as a deck in the page's language (ui/lesson/slides.py): built on the first click, then kept.
# Not in presenter mode: the presenter takes the deck before the lecture; a projector screen is for the step.
if not presenting:
    with st.popover(t("slides.button"), icon=":material/slideshow:", key="lesson_slides"):
        st.caption(t("slides.help", name=lesson.name))
        for fmt in slides.WRITERS:
            st.download_button(
                t("slides.get", fmt=fmt.upper()),
                slides.deferred_file(current_language(), lesson.name, fmt),
                file_name=slides.file_name(current_language(), fmt),
                mime=slides.MIMES[fmt],
                key=f"lesson_slides_{fmt}",
                on_click="ignore",
                icon=":material/download:",
            )
