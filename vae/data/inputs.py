"""User images (uploads, canvas drawings) → model inputs, refusing anything odd with a clear message.

Checks, in order: size cap, format allow-list (PNG, JPEG), Pillow's decompression-bomb guard,
readable and complete pixel data, sane dimensions, and every Pillow mode converted (1, L, LA, P,
RGB, RGBA, CMYK, I;16, I, F, ...). Animated images are refused (which frame would be meant?).

Digits are prepared the way MNIST digits were: greyscale, white on black (optionally inverted),
cropped to the ink, scaled so the longer side is 20 px with area averaging, centred by centre of mass
at (14, 14) in 28×28 (see prepare_digit for the grid registration that keeps re-uploads exact).
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
DIGIT_SIDE = 28  # px: MNIST's image
DIGIT_BOX = 20  # px: MNIST fits the digit's longer side into 20 px...
DIGIT_CENTRE = 14.0  # ...and puts its centre of mass at row 14, column 14 (0-based; the test set: 13.99, 14.01 ± 0.29)
MIN_CONTRAST = 16.0  # grey levels between background and ink below which an image is blank
BOX_THRESHOLD = 0.3  # ink level (of the darkest stroke) that bounds the digit's box
GRID_SPANS = (0.0, -0.25, 0.25, 0.5, 0.75)  # the box spans 20 + this many output pixels (resampling widens it)
GRID_PHASES = 10  # sub-pixel offsets of the output grid tried per axis
MNIST_CORE = 0.984  # median over the MNIST test set of the ink-weighted median grey level (in [0, 1])


# Why an image cannot be used, by code: the English message here (str(error), the command line), the
# other languages in the UI's catalogue under "input_error.<code>" with the same placeholders.
INPUT_ERRORS = {
    "empty": "The file is empty.",
    "too_many_bytes": "The file is {mb:.1f} MB; the limit is {limit_mb} MB.",
    "format": "{format} files are not accepted; upload a PNG or JPEG image.",
    "unknown_format": "This file type is not accepted; upload a PNG or JPEG image.",
    "too_many_pixels": "The image is {width}×{height} pixels; the limit is {limit_mp} megapixels.",
    "animated": "Animated images are not accepted; upload a single still image.",
    "bomb": "The image is too large when decoded (a possible decompression bomb).",
    "unreadable": "This is not an image Pillow can read; upload a PNG or JPEG image.",
    "damaged": "The image file is damaged or truncated ({detail}).",
    "too_small": "The image is only {width}×{height} pixels; at least {min_side}×{min_side} are needed.",
    "blank": "No digit found: the image is blank (or the ink is too faint).",
    "nothing_drawn": "Nothing drawn yet.",
    "bad_drawing": "The drawing could not be read.",
    "empty_canvas": "The canvas is empty: draw a digit first.",
}


class InputImageError(ValueError):
    """An image that cannot be used: `code` (a key of INPUT_ERRORS) and `params` say why; str() is the
    English message."""

    def __init__(self, code: str, **params: object):
        self.code, self.params = code, params
        super().__init__(INPUT_ERRORS[code].format(**params))


def open_image(data: bytes) -> Image.Image:
    """Validate and decode uploaded bytes → a fully loaded RGB or L image (alpha flattened on white)."""
    if not data:
        raise InputImageError("empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputImageError("too_many_bytes", mb=len(data) / 2**20, limit_mb=MAX_UPLOAD_BYTES // 2**20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format
            if fmt not in ALLOWED_FORMATS:
                raise InputImageError("format", format=fmt) if fmt else InputImageError("unknown_format")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise InputImageError("too_many_pixels", width=width, height=height, limit_mp=MAX_PIXELS // 10**6)
            if getattr(img, "is_animated", False) and fmt == "PNG":
                raise InputImageError("animated")
            img.load()
    except InputImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputImageError("bomb") from None
    except UnidentifiedImageError:
        raise InputImageError("unreadable") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise InputImageError("damaged", detail=str(err)) from None
    if min(img.size) < MIN_SIDE:
        raise InputImageError("too_small", width=img.size[0], height=img.size[1], min_side=MIN_SIDE)
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


def prepare_digit(img: Image.Image, invert: bool | None = None, allow_blank: bool = False) -> np.ndarray:
    """→ uint8 (28, 28), white digit on black, the way MNIST digits were made.

    invert=None decides from the border: a light background (a photo of ink on paper) is inverted.
    The digit's box (ink ≥ 30 % of the darkest stroke) is scaled so its longer side spans 20 px,
    area-averaged onto the 28×28 grid, and shifted by whole pixels so its centre of mass lands on
    (14, 14), as in LeCun et al.'s MNIST. Resampling a low-resolution digit (a re-uploaded MNIST
    image) smears every pixel across grid lines, so the grid's scale and sub-pixel phase are chosen
    among a few candidates as the one giving the crispest strokes (Σx²/Σx), which for a re-upload is
    the original pixel grid; strokes softened by resampling get MNIST's contrast back.
    A blank image (contrast under MIN_CONTRAST grey levels) is refused, or with allow_blank returned
    as it is, inverted if need be and resized to 28×28 (to score it, not to read a digit from it).
    """
    grey = np.asarray(img.convert("L"), dtype=np.float64)  # (H, W), 0–255
    if invert is None:
        border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
        invert = bool(np.median(border) > 127)
    if invert:
        grey = 255.0 - grey
    lifted = grey - np.percentile(grey, 5)  # a grey background becomes black
    contrast = float(lifted.max())
    if contrast < MIN_CONTRAST:
        if allow_blank:
            whole = Image.fromarray(grey.round().astype(np.uint8)).resize((DIGIT_SIDE, DIGIT_SIDE), Image.Resampling.BOX)
            return np.asarray(whole, dtype=np.uint8)
        raise InputImageError("blank")
    digit = _fit_digit(np.clip(lifted / contrast, 0.0, 1.0))
    return (digit * 255.0).round().astype(np.uint8)


def _fit_digit(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink in [0, 1] → (28, 28) in [0, 1]: boxed to 20 px, registered, centred by centre of mass."""
    rows, cols = np.flatnonzero((ink >= BOX_THRESHOLD).any(1)), np.flatnonzero((ink >= BOX_THRESHOLD).any(0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    span = float(max(bottom - top, right - left))  # input pixels across the box's longer side
    margin = int(np.ceil(3 * span / DIGIT_BOX))  # 3 output pixels of context around the box
    y0, x0 = max(top - margin, 0), max(left - margin, 0)
    crop = ink[y0 : bottom + margin, x0 : right + margin]
    centre = ((top + bottom) / 2 - y0, (left + right) / 2 - x0)
    grid, exact = _register(crop, span, centre)
    ys, xs = np.indices(grid.shape)
    total = grid.sum()
    dy = int(round(DIGIT_CENTRE - (ys * grid).sum() / total))
    dx = int(round(DIGIT_CENTRE - (xs * grid).sum() / total))
    n = grid.shape[0]
    canvas = np.zeros((DIGIT_SIDE + 2 * n, DIGIT_SIDE + 2 * n))
    canvas[n + dy : n + dy + n, n + dx : n + dx + n] = grid
    digit = canvas[n : n + DIGIT_SIDE, n : n + DIGIT_SIDE]
    return digit if exact else _crisp_strokes(digit)


def _register(ink: np.ndarray, span: float, centre: tuple[float, float], n: int = 25) -> tuple[np.ndarray, bool]:
    """Area averages of `ink` on the crispest (n, n) grid whose cells make `span` 20 + s pixels wide,
    s in GRID_SPANS, over GRID_PHASES² sub-pixel phases; and whether that grid is the input's own
    pixel grid (no resampling at all: an MNIST-sized digit comes back unchanged)."""
    h, w = ink.shape
    integral = np.zeros((h + 1, w + 1))
    integral[1:, 1:] = ink.cumsum(0).cumsum(1)  # ∫∫ of the piecewise-constant image; bilinear in between
    phases = np.arange(GRID_PHASES) / GRID_PHASES
    best, best_score, exact = None, -1.0, False
    for extra in GRID_SPANS:
        cell = span / (DIGIT_BOX + extra)  # input pixels per output pixel
        edges = cell * (np.arange(n + 1) - n / 2)  # (n+1,) grid lines around the centre
        ys = (centre[0] - cell * phases[:, None] + edges).ravel()  # (P·(n+1),)
        xs = (centre[1] - cell * phases[:, None] + edges).ravel()
        corners = _integral_at(integral, ys, xs)  # (P·(n+1), P·(n+1))
        corners = corners.reshape(GRID_PHASES, n + 1, GRID_PHASES, n + 1).transpose(0, 2, 1, 3)
        cells = corners[..., 1:, 1:] - corners[..., :-1, 1:] - corners[..., 1:, :-1] + corners[..., :-1, :-1]
        grids = np.clip(cells / cell**2, 0.0, 1.0)  # (P, P, n, n)
        score = (grids**2).sum((2, 3)) / np.maximum(grids.sum((2, 3)), 1e-12)
        py, px = np.unravel_index(np.argmax(score), score.shape)
        if score[py, px] > best_score + 1e-12:
            best, best_score = grids[py, px], float(score[py, px])
            lines = np.concatenate([ys.reshape(GRID_PHASES, -1)[py], xs.reshape(GRID_PHASES, -1)[px]])
            exact = abs(cell - 1.0) < 1e-9 and bool(np.allclose(lines, np.round(lines), atol=1e-9))
    if best is None:  # every score is ≥ 0 for finite ink, so only non-finite ink gets here
        raise ValueError("no grid fits non-finite ink")
    return best, exact


def _integral_at(integral: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The integral image (H+1, W+1) at every (y, x) of ys (M,) × xs (K,), fractional positions in pixels:
    bilinear between its integer points, which is exact for a piecewise-constant image. → (M, K)."""
    h, w = integral.shape[0] - 1, integral.shape[1] - 1
    ys, xs = np.clip(ys, 0.0, h), np.clip(xs, 0.0, w)
    iy, ix = np.minimum(ys.astype(int), h - 1), np.minimum(xs.astype(int), w - 1)  # floor (all ≥ 0)
    fy, fx = (ys - iy)[:, None], (xs - ix)[None, :]
    return (
        integral[np.ix_(iy, ix)] * (1 - fy) * (1 - fx)
        + integral[np.ix_(iy + 1, ix)] * fy * (1 - fx)
        + integral[np.ix_(iy, ix + 1)] * (1 - fy) * fx
        + integral[np.ix_(iy + 1, ix + 1)] * fy * fx
    )


def _crisp_strokes(digit: np.ndarray) -> np.ndarray:
    """Resampling softens strokes (an MNIST stroke is full ink inside, a thin grey edge outside): when
    half the ink lies below MNIST_CORE, stretch grey levels [1 − hi, hi] to [0, 1] so it does not."""
    values = np.sort(digit.ravel())
    mass = np.cumsum(values)
    median = values[np.searchsorted(mass, mass[-1] / 2)]  # half of the ink is in pixels at least this bright
    hi = float(np.clip(median / MNIST_CORE, 0.6, 1.0))
    return np.clip((digit - (1.0 - hi)) / (2.0 * hi - 1.0), 0.0, 1.0) if hi < 1.0 else digit


def prepare_face(img: Image.Image) -> np.ndarray:
    """→ uint8 (64, 64, 3): centre square crop, resized. (Aligned CelebA crops: 148×148 of 178×218.)"""
    rgb = img.convert("RGB")
    w, h = rgb.size
    if (w, h) == (178, 218) or abs(w / h - 178 / 218) < 0.01:  # an aligned CelebA-style portrait
        side = 148.0 * w / 178.0
    else:
        side = float(min(w, h))
    left, top = (w - side) / 2, (h - side) / 2
    return np.asarray(rgb.resize((64, 64), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side)), dtype=np.uint8)


def canvas_to_digit(rgba: np.ndarray | None) -> np.ndarray:
    """A drawable-canvas RGBA array (white strokes on black, or any strokes on transparent) → (28, 28)."""
    if rgba is None:
        raise InputImageError("nothing_drawn")
    arr = np.asarray(rgba)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or min(arr.shape[:2]) < MIN_SIDE:
        raise InputImageError("bad_drawing")
    rgb = arr[..., :3].astype(np.float64)
    grey = rgb.mean(2)
    if arr.shape[2] == 4:
        grey = grey * (arr[..., 3].astype(np.float64) / 255.0)  # transparent = background (black)
    if grey.max() < 0.15 * 255:
        raise InputImageError("empty_canvas")
    return prepare_digit(Image.fromarray(grey.round().astype(np.uint8), "L"), invert=False)


def load_user_image(data: bytes, dataset: str, invert: bool | None = None, allow_blank: bool = False) -> np.ndarray:
    """Bytes of an upload → model-ready uint8 image for the dataset ((28, 28) or (64, 64, 3)).
    allow_blank: a blank digit image is returned resized instead of refused (to score it)."""
    img = open_image(data)
    return prepare_digit(img, invert, allow_blank) if dataset == "mnist" else prepare_face(img)
