"""The face editor's state: the face to edit (test face, prior sample, upload, the composer's face),
attribute amounts bound to the URL (fe_amt=Smiling:1,Male:-0.5), classifier scores and the bias
report. The page (pages/face_editor.py) lays out the sliders and the edited face."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.components import faces, widgets
from ui.shell import handoff, state
from ui.shell.i18n import number, t
from ui.shell.resources import Ready, TestSet, test_set_error
from vae.artifacts.attributes import AttributeDirections
from vae.core.latent import prior_samples

SEED_MAX = 2**31 - 1
LIMIT = 2.0  # slider range ±LIMIT, in direction lengths
SOURCES = ["test", "prior", "upload", "composer"]


def amount_key(attribute: str) -> str:
    return f"fe_amt_{attribute}"


def parse_attrs(dirs: AttributeDirections, raw: str) -> list[str]:
    chosen = [a for a in raw.split(",") if a]
    if any(a not in dirs.names for a in chosen):
        raise ValueError("unknown attribute")
    return list(dict.fromkeys(chosen))


def amounts_from_url(dirs: AttributeDirections) -> None:
    """A deep link's fe_amt=Smiling:1,Male:-0.5 seeds the sliders, once per session."""
    if st.session_state.get("_fe_amt_from_url"):
        return
    st.session_state["_fe_amt_from_url"] = True
    raw = state.raw_param("fe_amt")
    if not raw:
        return
    try:
        for item in raw.split(","):
            attribute, text = item.split(":")
            value = float(text)
            if attribute not in dirs.names or not -LIMIT <= value <= LIMIT:
                raise ValueError
            st.session_state[amount_key(attribute)] = round(value, 1)
    except ValueError:
        st.session_state.setdefault(state.NOTICES, []).append("fe_amt")


def reset_amounts(dirs: AttributeDirections) -> None:
    for attribute in dirs.names:
        st.session_state.pop(amount_key(attribute), None)


def face_to_edit(sel: Ready, data: TestSet | None) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """The source widgets (a test face, a prior sample, an upload, the composer's current face) and
    what they pick: (code (D,) or None, the real photo behind it or None, the source)."""
    model, atlas, name = sel.model, sel.atlas, sel.name
    latent_dim, n_test = model.config.latent_dim, len(atlas.mean)
    composer_code = handoff.composer_face(name, latent_dim)
    state.from_query("fe_source", "test", state.parse_choice(SOURCES))
    st.segmented_control(t("fe.source"), SOURCES, format_func=lambda s: t(f"fe.source.{s}"), key="fe_source", required=True)
    source = st.session_state["fe_source"]
    photo = None  # the real face behind the code, when there is one
    base = None
    if source == "test":
        index_param = state.bound("fe_index", 0, state.parse_int(0, n_test - 1))
        if st.session_state["fe_index"] >= n_test:
            st.session_state["fe_index"] = 0
        row = st.number_input(t("fe.test_index", n=n_test - 1), 0, n_test - 1, persist_state="session", **index_param)
        base = np.asarray(atlas.mean[row], np.float32)
        if data is not None:
            photo = data.images[atlas.test_index[row]]
        else:
            st.caption(t("common.no_data", error=test_set_error("celeba") or ""))
    elif source == "prior":
        c1, c2 = st.columns(2)
        seed = c1.number_input(
            t("fe.seed"), 0, SEED_MAX, persist_state="session", **state.bound("fe_seed", 0, state.parse_int(0, SEED_MAX))
        )
        temperature_param = state.bound("fe_temp", 0.8, state.parse_float(0.1, 1.5))
        temperature = widgets.float_slider(
            c2,
            t("fe.temperature"),
            0.1,
            1.5,
            step=0.05,
            spec=".2f",
            help=t("fe.temperature_help"),
            persist_state="session",
            **temperature_param,
        )
        base = prior_samples(latent_dim, 1, seed, temperature)[0]
    elif source == "upload":
        result = faces.uploaded_face(model, "fe_upload")
        if result is not None:
            photo, base = result
    else:
        if composer_code is not None:
            base = composer_code
        else:
            st.info(t("fe.no_composer_face"))
            st.page_link("pages/composer.py", label=t("fe.open_composer"), icon=":material/group:")
    state.to_query("fe_source")
    return base, photo, source


def scores(dirs: AttributeDirections, chosen: list[str], base: np.ndarray, edited: np.ndarray) -> None:
    """Classifier probabilities before → after for the chosen attributes."""
    if not chosen:
        return
    rows = [
        t("fe.score_row", name=faces.attr_label(a), before=float(dirs.score(base, a)), after=float(dirs.score(edited, a))) for a in chosen
    ]
    st.markdown(t("fe.scores") + "\n" + "\n".join(f"- {r}" for r in rows))


def bias_expander(dirs: AttributeDirections, chosen: list[str]) -> None:
    """Per chosen attribute: the classifier's accuracy and which other attributes its direction moves."""
    with st.expander(t("fe.bias_title")):
        st.caption(t("fe.bias_help"))
        for attribute in chosen:
            report = dirs.bias_report(attribute)
            st.markdown(
                t(
                    "fe.bias_row",
                    name=faces.attr_label(attribute),
                    acc=float(dirs.balanced_accuracy[dirs.index(attribute)]),
                    cosine=", ".join(f"{faces.attr_label(n)} ({number(c, '+.2f')})" for n, c in report.by_cosine),
                    score=", ".join(f"{faces.attr_label(n)} ({number(v, '+.0%')})" for n, v in report.by_score),
                )
            )
