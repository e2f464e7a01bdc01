"""Shared bits of the CelebA face pages (face editor, composer): the attribute directions loaded
once per process, translated attribute names, the MNIST → CelebA switch, uploads, face exports."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from ui.shell.i18n import catalogue, current_language, error_text, number, t
from ui.shell.resources import ModelKey, Ready, adversarial_of, model_key
from vae.analysis.witness import TYPICAL_GENERATION, default_decoder, load_record
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


@st.cache_resource(show_spinner=False, max_entries=16)
def _witness_record(key: ModelKey) -> dict | None:
    return load_record(Path(key.models_path) / key.name)


def witness_record(name: str) -> dict | None:
    """The model's witness-benchmark figures per decoder (vae.analysis.witness), or None."""
    return _witness_record(model_key(name))


@dataclass(frozen=True)
class FaceDecoder:
    """The decoder faces are drawn with on the face pages."""

    name: str  # "adversarial" (fine-tuned as a GAN's generator, vae.training.gan) or "plain"
    model: VAE  # the model with that decoder (the encoder is the model's own either way)
    best: str  # the one that identifies best in the witness benchmark


DECODERS = ("adversarial", "plain")


def decoder_picker(sel: Ready, key: str) -> FaceDecoder:
    """The face decoder: by default the one the witness benchmark found to identify best; where the model
    has both, a switch lets a teacher compare them, with the measured figures beside it."""
    record = witness_record(sel.name)
    found = adversarial_of(model_key(sel.name))
    if isinstance(found, str):
        return FaceDecoder("plain", sel.model, "plain")
    best = default_decoder(Path(model_key(sel.name).models_path) / sel.name, record)
    st.session_state.setdefault(key, best)
    labels = {d: t(f"faces.decoder.{d}") + (f" · {t('faces.decoder.best')}" if d == best else "") for d in DECODERS}
    choice = (
        st.segmented_control(t("faces.decoder"), DECODERS, key=key, format_func=labels.__getitem__, help=t("faces.decoder_help")) or best
    )
    if record and len(record["decoders"]) == 2:
        rates = {d: record["decoders"][d]["generations"].get(str(TYPICAL_GENERATION), {}).get("rank1") for d in DECODERS}
        if None not in rates.values():
            st.caption(
                t(
                    "faces.decoder_measured",
                    n=record["decoders"]["plain"]["targets"],
                    g=TYPICAL_GENERATION,
                    adversarial=number(100 * rates["adversarial"], ".0f"),
                    plain=number(100 * rates["plain"], ".0f"),
                )
            )
    return FaceDecoder(choice, found[0] if choice == "adversarial" else sel.model, best)


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


def session_record(model_name: str, decoder: str, log: dict, composite: np.ndarray, generation: int) -> bytes:
    """A composer session for the record (.zip): the session log that replays it (vae.analysis.composer
    Composer.replay), which model and decoder drew it, and the final composite at full size (PNG, the
    decoder's own pixels) and enlarged for viewing."""
    meta = {"model": model_name, "decoder": decoder, "generation": generation, "session": log}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("session.json", json.dumps(meta, indent=1))
        z.writestr("composite.png", png_bytes(composite, 1))
        z.writestr(f"composite-x{EXPORT_SCALE}.png", face_png(composite))
    return out.getvalue()
