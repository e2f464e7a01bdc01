"""Face attributes: add CelebA attribute directions (smile, glasses, hair colour…) to a face's code,
with a bias check beside each slider (which other attributes the same direction also moves)."""

from ui.app import ensure_entry

ensure_entry()

import functools  # noqa: E402

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402

from ui import faces, handoff, state, widgets  # noqa: E402
from ui.app import current  # noqa: E402
from ui.i18n import t  # noqa: E402
from ui.resources import test_set, test_set_error  # noqa: E402
from vae.attributes import DEFAULT_ATTRIBUTES  # noqa: E402
from vae.latent import decode, prior_samples  # noqa: E402

SEED_MAX = 2**31 - 1
LIMIT = 2.0  # slider range ±LIMIT, in direction lengths
SOURCES = ["test", "prior", "upload", "composer"]

sel = current()
model, atlas, name = sel.model, sel.atlas, sel.name
st.title(t("fe.title"))
faces.require_celeba(model, "fe_to_celeba")
dirs = faces.directions_or_stop(name)
latent_dim = model.config.latent_dim
data = test_set("celeba")
n_test = len(atlas.mean)
st.caption(t("fe.intro"))


def amount_key(attribute: str) -> str:
    return f"fe_amt_{attribute}"


def parse_attrs(raw: str) -> list[str]:
    chosen = [a for a in raw.split(",") if a]
    if any(a not in dirs.names for a in chosen):
        raise ValueError("unknown attribute")
    return list(dict.fromkeys(chosen))


def amounts_from_url() -> None:
    """A deep link's fe_amt=Smiling:1,Male:-0.5 seeds the sliders, once per session."""
    if st.session_state.get("_fe_amt_from_url"):
        return
    st.session_state["_fe_amt_from_url"] = True
    raw = st.query_params.get("fe_amt")
    if not raw:
        return
    try:
        for item in raw.split(","):
            attribute, value = item.split(":")
            value = float(value)
            if attribute not in dirs.names or not -LIMIT <= value <= LIMIT:
                raise ValueError
            st.session_state[amount_key(attribute)] = round(value, 1)
    except ValueError:
        st.session_state.setdefault(state.NOTICES, []).append("fe_amt")


def seed_widget(key: str, default, parse) -> None:
    """from_query, but a value this session already chose survives switching to another source and back
    (Streamlit forgets the state of widgets that were not drawn)."""
    state.from_query(key, st.session_state.get(f"_keep_{key}", default), parse)
    st.session_state[f"_keep_{key}"] = st.session_state[key]


def reset_amounts() -> None:
    for attribute in dirs.names:
        st.session_state.pop(amount_key(attribute), None)


# ---- the face to edit ----------------------------------------------------------------------
composer_code = st.session_state.get("composer_current_code")
composer_ok = composer_code is not None and st.session_state.get("composer_current_model") == name and len(composer_code) == latent_dim
state.from_query("fe_source", "test", state.parse_choice(SOURCES))
st.segmented_control(t("fe.source"), SOURCES, format_func=lambda s: t(f"fe.source.{s}"), key="fe_source", required=True)
source = st.session_state["fe_source"]
photo = None  # the real face behind the code, when there is one
base = None
if source == "test":
    seed_widget("fe_index", 0, state.parse_int(0, n_test - 1))
    if st.session_state["fe_index"] >= n_test:
        st.session_state["fe_index"] = 0
    row = st.number_input(t("fe.test_index", n=n_test - 1), 0, n_test - 1, key="fe_index")
    st.session_state["_keep_fe_index"] = row
    base = np.asarray(atlas.mean[row], np.float32)
    if data is not None:
        photo = data.images[atlas.test_index[row]]
    else:
        st.caption(t("common.no_data", error=test_set_error("celeba") or ""))
elif source == "prior":
    seed_widget("fe_seed", 0, state.parse_int(0, SEED_MAX))
    seed_widget("fe_temp", 0.8, state.parse_float(0.1, 1.5))
    c1, c2 = st.columns(2)
    st.session_state["_keep_fe_seed"] = c1.number_input(t("fe.seed"), 0, SEED_MAX, key="fe_seed")
    st.session_state["_keep_fe_temp"] = c2.slider(t("fe.temperature"), 0.1, 1.5, step=0.05, key="fe_temp", help=t("fe.temperature_help"))
    base = prior_samples(latent_dim, 1, st.session_state["fe_seed"], st.session_state["fe_temp"])[0]
elif source == "upload":
    result = faces.uploaded_face(model, "fe_upload")
    if result is not None:
        photo, base = result
else:
    if composer_ok:
        base = np.asarray(composer_code, np.float32)
    else:
        st.info(t("fe.no_composer_face"))
        st.page_link("pages/composer.py", label=t("fe.open_composer"), icon=":material/group:")
state.to_query(
    "fe_source",
    fe_index=st.session_state.get("fe_index") if source == "test" else None,
    fe_seed=st.session_state.get("fe_seed") if source == "prior" else None,
    fe_temp=st.session_state.get("fe_temp") if source == "prior" else None,
)
if base is None:
    if source == "upload":
        st.info(t("fe.upload_hint"))
    st.stop()

# ---- which attributes ----------------------------------------------------------------------
state.from_query("fe_attrs", [a for a in DEFAULT_ATTRIBUTES if a in dirs.names], parse_attrs)
st.multiselect(
    t("fe.attributes"),
    dirs.names,
    format_func=faces.attr_label,
    key="fe_attrs",
    help=t("fe.attributes_help"),
    placeholder=t("faces.choose"),
)
state.to_query(fe_attrs=",".join(st.session_state["fe_attrs"]))
amounts_from_url()


@st.fragment
def editor(base: np.ndarray, photo: np.ndarray | None) -> None:
    """Sliders, edited face and exports: a slider move reruns only this."""
    chosen = st.session_state["fe_attrs"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        if not chosen:
            st.info(t("fe.pick_attributes"))
        for attribute in chosen:
            st.session_state.setdefault(amount_key(attribute), 0.0)
            s, note = st.columns([3, 2], vertical_alignment="center")
            s.slider(faces.attr_label(attribute), -LIMIT, LIMIT, step=0.1, key=amount_key(attribute), format="%+.1f")
            note.caption(faces.bias_note(dirs, attribute))
        st.button(t("fe.reset"), key="fe_reset", on_click=reset_amounts, icon=":material/restart_alt:")
    amounts = {a: float(st.session_state[amount_key(a)]) for a in chosen if st.session_state[amount_key(a)]}
    state.to_query(fe_amt=",".join(f"{a}:{v:g}" for a, v in amounts.items()) or None)
    edited = dirs.apply(base, amounts)
    images = decode(model, np.stack([edited, base]))  # one batch: edited, plain decode
    with right:
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
            st.switch_page("pages/composer.py")
        _scores(chosen, base, edited)


def _scores(chosen: list[str], base: np.ndarray, edited: np.ndarray) -> None:
    """Classifier probabilities before → after for the chosen attributes."""
    if not chosen:
        return
    rows = [
        t("fe.score_row", name=faces.attr_label(a), before=float(dirs.score(base, a)), after=float(dirs.score(edited, a))) for a in chosen
    ]
    st.markdown(t("fe.scores") + "\n" + "\n".join(f"- {r}" for r in rows))


editor(base, photo)

with st.expander(t("fe.bias_title")):
    st.caption(t("fe.bias_help"))
    for attribute in st.session_state["fe_attrs"]:
        report = dirs.bias_report(attribute)
        st.markdown(
            t(
                "fe.bias_row",
                name=faces.attr_label(attribute),
                acc=float(dirs.balanced_accuracy[dirs.index(attribute)]),
                cosine=", ".join(f"{faces.attr_label(n)} ({c:+.2f})" for n, c in report.by_cosine),
                score=", ".join(f"{faces.attr_label(n)} ({v:+.0%})" for n, v in report.by_score),
            )
        )
