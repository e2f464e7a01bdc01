"""The VAE lesson: the course plan, one step per point, each shown live on a real MNIST model
(mnist-z2 by default, chosen here independently of the sidebar). Step and settings are in the URL."""

from ui.app import ensure_entry

ensure_entry()

import streamlit as st  # noqa: E402

from ui import lesson_steps as steps  # noqa: E402
from ui import state  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.resources import loaded, test_set, zoo  # noqa: E402

N_STEPS = 8
MAIN_MODEL = "mnist-z2"


def _lesson(name: str) -> steps.Lesson | None:
    result = loaded(name)
    if result.model is None or result.atlas is None:
        return None
    card = next((e.card for e in zoo() if e.name == name), {})
    return steps.Lesson(name, result.model, result.atlas, card, test_set("mnist"))


def _move(delta: int) -> None:
    st.session_state["lesson_step"] = min(N_STEPS, max(1, int(st.session_state["lesson_step"]) + delta))


mnist = {e.name: e for e in zoo() if e.available and e.dataset == "mnist"}
st.title(t("lesson.title"))
if not mnist:
    st.info(t("lesson.no_mnist"))
    st.stop()
sidebar_model = st.session_state.get("model")
default = MAIN_MODEL if MAIN_MODEL in mnist else (sidebar_model if sidebar_model in mnist else next(iter(mnist)))
state.from_query("ls_model", default, state.parse_choice(mnist))
if st.session_state["ls_model"] not in mnist:
    st.session_state["ls_model"] = default
state.from_query("lesson_step", 1, state.parse_int(1, N_STEPS), param="step")

prev_col, step_col, next_col, model_col = st.columns([2, 6, 2, 4], vertical_alignment="bottom")
step_col.selectbox(
    t("lesson.step"), list(range(1, N_STEPS + 1)), key="lesson_step", format_func=lambda k: f"{k} / {N_STEPS} · {t(f'lesson.step.{k}')}"
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
    shortcut="PageUp",  # presentation clickers send PageUp / PageDown
)
next_col.button(
    t("lesson.next"),
    key="lesson_next",
    on_click=_move,
    args=(1,),
    disabled=step == N_STEPS,
    icon=":material/arrow_forward:",
    width="stretch",
    shortcut="PageDown",
)
model_col.selectbox(t("lesson.model"), list(mnist), key="ls_model", help=t("lesson.model_help", main=MAIN_MODEL))
state.to_query("ls_model", step=step)

lesson = _lesson(st.session_state["ls_model"])
if lesson is None:
    st.error(t("common.model_unavailable", name=st.session_state["ls_model"], error=loaded(st.session_state["ls_model"]).error))
    st.stop()
# Steps 4 and 8 are about the 2-D model of the course: the lesson's model if it is 2-D, else mnist-z2 (or any 2-D one).
z2_names = [n for n, e in mnist.items() if e.config.latent_dim == 2]
z2_name = lesson.name if lesson.latent_dim == 2 else (MAIN_MODEL if MAIN_MODEL in z2_names else next(iter(z2_names), None))
z2 = lesson if z2_name == lesson.name else (_lesson(z2_name) if z2_name else None)

st.header(f"{step}. {t(f'lesson.step.{step}')}")
if step == 1:
    steps.step_autoencoder(lesson)
elif step == 2:
    steps.step_uses(lesson)
elif step == 3:
    steps.step_latent_space(lesson)
elif step == 4:
    steps.step_normal(lesson, z2)
elif step == 5:
    steps.step_kl(lesson)
elif step == 6:
    steps.step_reparameterization(lesson)
elif step == 7:
    steps.step_generate(lesson)
else:
    steps.step_how_built(lesson, z2)
