"""The VAE lesson: the course plan, one step per point, each shown live on a real MNIST model
(mnist-z2 by default, chosen here independently of the sidebar). Step and settings are in the URL;
the steps themselves are the modules of ui/lesson/, in the order of ui.lesson.STEPS."""

from ui.app import ensure_entry

ensure_entry()

import streamlit as st  # noqa: E402

from ui import clicker, state  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.lesson import MAIN_MODEL, STEPS, open_lesson, two_d_lesson  # noqa: E402
from ui.resources import loaded, zoo  # noqa: E402

N_STEPS = len(STEPS)


def _move(delta: int) -> None:
    st.session_state["lesson_step"] = min(N_STEPS, max(1, int(st.session_state["lesson_step"]) + delta))


mnist = {e.name: e for e in zoo() if e.available and e.dataset == "mnist"}
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

prev_col, step_col, next_col, model_col = st.columns([2, 6, 2, 4], vertical_alignment="bottom")
step_col.selectbox(
    t("lesson.step"),
    list(range(1, N_STEPS + 1)),
    key="lesson_step",
    format_func=lambda k: f"{k} / {N_STEPS} · {t(STEPS[k - 1].TITLE)}",
)
step = int(st.session_state["lesson_step"])
prev_col.button(
    t("lesson.prev"),
    key="lesson_prev",
    on_click=_move,
    args=(-1,),
    disabled=step == 1,
    icon=":material/arrow_back:",
    width="stretch",
)
next_col.button(
    t("lesson.next"),
    key="lesson_next",
    on_click=_move,
    args=(1,),
    disabled=step == N_STEPS,
    icon=":material/arrow_forward:",
    width="stretch",
)
clicker.lesson_keys(step, "lesson_prev", "lesson_next")  # PageUp/PageDown, arrows, Space, "." from anywhere
model_col.selectbox(t("lesson.model"), list(mnist), help=t("lesson.model_help", main=MAIN_MODEL), **model_param)
state.to_query(step=step)

lesson = open_lesson(st.session_state["ls_model"])
if lesson is None:
    st.error(t("common.model_unavailable", name=st.session_state["ls_model"], error=loaded(st.session_state["ls_model"]).error))
    st.stop()
z2 = two_d_lesson(lesson, [name for name, e in mnist.items() if e.config.latent_dim == 2])

st.header(f"{step}. {t(STEPS[step - 1].TITLE)}")
STEPS[step - 1].render(lesson, z2)
