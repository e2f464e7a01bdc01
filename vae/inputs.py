"""User images (uploads, canvas drawings) → model inputs, refusing anything odd with a clear message.

Checks, in order: size cap, format allow-list (PNG, JPEG), Pillow's decompression-bomb guard,
readable and complete pixel data, sane dimensions, and every Pillow mode converted (1, L, LA, P,
RGB, RGBA, CMYK, I;16, I, F, ...). Animated images are refused (which frame would be meant?).

Digits are prepared the way MNIST digits were: greyscale, white on black (optionally inverted),
cropped to the ink, scaled so the longer side is 20 px, centred by centre of mass in 28×28.
Faces are centre-cropped to a square and resized to 64×64.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 2**20  # also set as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 4096 * 4096  # decompression-bomb guard: refuse anything larger
MIN_SIDE = 8
ALLOWED_FORMATS = {"PNG", "JPEG", "MPO"}  # MPO: multi-picture JPEG from phones (first picture used)


class InputImageError(ValueError):
    """An image that cannot be used; the message says why, for the user."""


def open_image(data: bytes) -> Image.Image:
    """Validate and decode uploaded bytes → a fully loaded RGB or L image (alpha flattened on white)."""
    if not data:
        raise InputImageError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputImageError(f"The file is {len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            if fmt not in ALLOWED_FORMATS:
                raise InputImageError(f"{fmt or 'This'} files are not accepted; upload a PNG or JPEG image.")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise InputImageError(f"The image is {width}×{height} pixels; the limit is {MAX_PIXELS // 10**6} megapixels.")
            if getattr(img, "is_animated", False) and fmt == "PNG":
                raise InputImageError("Animated images are not accepted; upload a single still image.")
            img.load()
    except InputImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputImageError("The image is too large when decoded (a possible decompression bomb).") from None
    except UnidentifiedImageError:
        raise InputImageError("This is not an image Pillow can read; upload a PNG or JPEG image.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise InputImageError(f"The image file is damaged or truncated ({err}).") from None
    if min(img.size) < MIN_SIDE:
        raise InputImageError(f"The image is only {img.size[0]}×{img.size[1]} pixels; at least {MIN_SIDE}×{MIN_SIDE} are needed.")
    return to_rgb_or_l(img)


def to_rgb_or_l(img: Image.Image) -> Image.Image:
    """Any Pillow mode → 'L' (greyscale) or 'RGB'; transparency composited on white."""
    img = ImageOps.exif_transpose(img) if img.mode not in ("I;16", "I;16B", "I;16L", "I", "F") else img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = np.zeros_like(arr) if hi <= lo else (arr - lo) / (hi - lo) * 255.0
        return Image.fromarray(scaled.round().astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode in ("L", "RGB") and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode in ("1", "L"):
        return img.convert("L")
    return img.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX, ...


def prepare_digit(img: Image.Image, invert: bool | None = None) -> np.ndarray:
    """→ uint8 (28, 28), white digit on black, MNIST-style. invert=None decides from the border:
    a light background (e.g. a photo of ink on paper) is inverted."""
    grey = np.asarray(img.convert("L"), dtype=np.float64)
    if invert is None:
        border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
        invert = bool(np.median(border) > 127)
    if invert:
        grey = 255.0 - grey
    grey = grey - np.percentile(grey, 5)  # lift a grey background to black
    grey = np.clip(grey / max(grey.max(), 1e-6) * 255.0, 0, 255)
    ink = grey > 0.15 * 255
    if not ink.any():
        raise InputImageError("No digit found: the image is blank (or the ink is too faint).")
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    crop = grey[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(crop.astype(np.uint8)).resize((new_w, new_h), Image.LANCZOS), dtype=np.float64)
    canvas = np.zeros((28, 28))
    top, left = (28 - new_h) // 2, (28 - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = small
    # shift so the centre of mass is at the centre (LeCun et al.'s MNIST preparation)
    total = canvas.sum()
    if total > 0:
        ys, xs = np.indices(canvas.shape)
        dy = int(round(13.5 - (ys * canvas).sum() / total))
        dx = int(round(13.5 - (xs * canvas).sum() / total))
        canvas = np.roll(np.roll(canvas, dy, axis=0), dx, axis=1)
    return np.clip(canvas, 0, 255).round().astype(np.uint8)


def prepare_face(img: Image.Image) -> np.ndarray:
    """→ uint8 (64, 64, 3): centre square crop, resized. (Aligned CelebA crops: 148×148 of 178×218.)"""
    rgb = img.convert("RGB")
    w, h = rgb.size
    if (w, h) == (178, 218) or abs(w / h - 178 / 218) < 0.01:  # an aligned CelebA-style portrait
        side = 148.0 * w / 178.0
    else:
        side = float(min(w, h))
    left, top = (w - side) / 2, (h - side) / 2
    return np.asarray(rgb.resize((64, 64), Image.LANCZOS, box=(left, top, left + side, top + side)), dtype=np.uint8)


def canvas_to_digit(rgba: np.ndarray | None) -> np.ndarray:
    """A drawable-canvas RGBA array (white strokes on black, or any strokes on transparent) → (28, 28)."""
    if rgba is None:
        raise InputImageError("Nothing drawn yet.")
    arr = np.asarray(rgba)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < MIN_SIDE:
        raise InputImageError("The drawing could not be read.")
    rgb = arr[..., :3].astype(np.float64)
    grey = rgb.mean(2)
    if arr.shape[2] == 4:
        grey = grey * (arr[..., 3].astype(np.float64) / 255.0)  # transparent = background (black)
    if grey.max() < 0.15 * 255:
        raise InputImageError("The canvas is empty: draw a digit first.")
    return prepare_digit(Image.fromarray(grey.round().astype(np.uint8), "L"), invert=False)


def load_user_image(data: bytes, dataset: str, invert: bool | None = None) -> np.ndarray:
    """Bytes of an upload → model-ready uint8 image for the dataset ((28, 28) or (64, 64, 3))."""
    img = open_image(data)
    return prepare_digit(img, invert) if dataset == "mnist" else prepare_face(img)
