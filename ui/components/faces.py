"""Shared bits of the CelebA face pages (face editor, composer): the attribute directions loaded
once per process, translated attribute names, the MNIST → CelebA switch, uploads, face exports."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import streamlit as st

from ui.shell.i18n import catalogue, current_language, error_text, t
from ui.shell.resources import ModelKey, model_key
from vae.artifacts.attributes import AttributeDirections, load_directions
from vae.core.checkpoint import CheckpointError
from vae.core.latent import encode
from vae.core.model import VAE
from vae.data.images import png_bytes
from vae.data.inputs import InputImageError, load_user_image

EXPORT_SCALE = 4  # exported PNGs: 64 px faces → 256 px, nearest neighbour


@st.cache_resource(show_spinner=False, max_entries=8)
def _directions(key: ModelKey) -> AttributeDirections | str:
    try:
        return load_directions(Path(key.models_path) / key.name)
    except CheckpointError as err:
        return str(err)


def directions(name: str) -> AttributeDirections | str:
    """The model's attribute directions (shared, read-only), or why they cannot be used.
    Reloaded when the model's files change (a rebuild, a retrained model: resources.ModelKey)."""
    return _directions(model_key(name))


def attribute_picker(dirs: AttributeDirections, label: str, key: str, help_text: str) -> list[str]:
    """A multiselect of the model's attributes, by their translated names; returns the chosen ones."""
    return st.multiselect(label, dirs.names, format_func=attr_label, key=key, help=help_text, placeholder=t("faces.choose"))


def attr_label(attribute: str) -> str:
    """'Mouth_Slightly_Open' → 'Mouth slightly open' (or its French name)."""
    key = f"faces.attr.{attribute}"
    return catalogue(current_language()).get(key) or catalogue("en").get(key) or attribute.replace("_", " ")


def _to_celeba() -> None:
    st.session_state["dataset"] = "celeba"
    st.session_state.pop("model", None)
    st.query_params.pop("model", None)  # the MNIST model's name would be refused as a CelebA model


def require_celeba(model: VAE, key: str) -> None:
    """Stop the page with a switch button unless the sidebar's model is a CelebA one."""
    if model.config.dataset == "celeba":
        return
    st.info(t("faces.needs_celeba"))
    st.button(t("faces.switch_celeba"), key=key, on_click=_to_celeba, icon=":material/face:", type="primary")
    st.stop()


def directions_or_stop(name: str) -> AttributeDirections:
    result = directions(name)
    if isinstance(result, str):
        st.warning(t("faces.no_directions", name=name, error=result))
        st.stop()
    return result


def uploaded_face(model: VAE, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A file uploader for a face photo → (prepared uint8 (64, 64, 3), code μ (D,)), or None.

    A file that cannot be used shows st.error and gives None; the encoding is kept per file."""
    upload = st.file_uploader(t("faces.upload"), type=["png", "jpg", "jpeg"], key=key, help=t("faces.upload_help"))
    if upload is None:
        return None
    data = upload.getvalue()
    token = (hashlib.sha1(data).hexdigest(), id(model))
    kept = st.session_state.get(f"_{key}_encoded")
    if kept is not None and kept[0] == token:
        return kept[1], kept[2]
    try:
        image = load_user_image(data, "celeba")
    except InputImageError as err:
        st.error(t("faces.bad_upload", error=error_text(err)))
        return None
    code = encode(model, np.array(image[None]))[0][0]  # a writable copy: Pillow arrays are read-only
    st.session_state[f"_{key}_encoded"] = (token, image, code)
    return image, code


def face_png(image: np.ndarray) -> bytes:
    return png_bytes(image, EXPORT_SCALE)


def code_json(model_name: str, code: np.ndarray, **extra: object) -> bytes:
    payload = {"model": model_name, "latent_dim": int(len(code)), "code": [round(float(v), 6) for v in code], **extra}
    return json.dumps(payload, indent=1).encode()


def bias_note(d: AttributeDirections, attribute: str, top: int = 3) -> str:
    """'also moves: High cheekbones (cos 0.98), …' for a slider's side."""
    report = d.bias_report(attribute, top)
    items = ", ".join(t("faces.bias_item", name=attr_label(n), cos=c) for n, c in report.by_cosine)
    return t("faces.bias_note", items=items)
