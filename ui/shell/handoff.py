"""Typed hand-offs between pages: what one page leaves in the session for another to pick up.

- `LatentCode`: the last code chosen on the latent map (a point or a decoded location) or encoded on
  Your own input; the Interpolation page offers it as an endpoint.
- `ComposerStart`: a face sent from the face editor to the composer, which starts breeding from it.
- the composer's current best face, which the face editor can open (`leave_composer_face`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

_LAST_CODE = "handoff_last_code"
_COMPOSER_START = "handoff_composer_start"
_COMPOSER_FACE = "handoff_composer_face"


@dataclass(frozen=True)
class LatentCode:
    model: str  # the model whose latent space the code lives in
    code: tuple[float, ...]  # (D,)
    index: int | None = None  # the atlas row when the code is a test point's μ
    source: str = "map"  # "map" or "your_input"

    def array(self) -> np.ndarray:
        return np.asarray(self.code, np.float32)


@dataclass(frozen=True)
class ComposerStart:
    model: str
    code: tuple[float, ...]  # (D,)


def leave_code(model: str, code: np.ndarray, index: int | None = None, source: str = "map") -> None:
    st.session_state[_LAST_CODE] = LatentCode(model, tuple(float(v) for v in np.ravel(code)), index, source)


def last_code() -> LatentCode | None:
    return st.session_state.get(_LAST_CODE)


def send_to_composer(model: str, code: np.ndarray) -> None:
    st.session_state[_COMPOSER_START] = ComposerStart(model, tuple(float(v) for v in np.ravel(code)))


def take_composer_start(model: str) -> np.ndarray | None:
    """The face sent to the composer for this model, once (None when there is none)."""
    start = st.session_state.pop(_COMPOSER_START, None)
    return np.asarray(start.code, np.float32) if start is not None and start.model == model else None


def leave_composer_face(model: str, code: np.ndarray) -> None:
    st.session_state[_COMPOSER_FACE] = ComposerStart(model, tuple(float(v) for v in np.ravel(code)))


def composer_face(model: str, latent_dim: int) -> np.ndarray | None:
    """The composer's current face for this model ((D,) float32), or None."""
    face = st.session_state.get(_COMPOSER_FACE)
    if face is None or face.model != model or len(face.code) != latent_dim:
        return None
    return np.asarray(face.code, np.float32)
