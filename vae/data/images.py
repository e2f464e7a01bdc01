"""Image files from arrays: grids as PNG, strips as animated GIF. Pure Pillow, no UI."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def grid(images: np.ndarray, ncols: int, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """uint8 (N, H, W, C) → one uint8 image (rows·(H+pad)−pad, cols·(W+pad)−pad, C)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    n, h, w, c = images.shape
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    out = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad, c), pad_value, dtype=np.uint8)
    for i, img in enumerate(images):
        r, col = divmod(i, ncols)
        out[r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = img
    return out


def to_pil(image: np.ndarray, scale: int = 1) -> Image.Image:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    pil = Image.fromarray(image)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.Resampling.NEAREST)
    return pil


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    buf = io.BytesIO()
    to_pil(image, scale).save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, scale: int = 4, duration_ms: int = 120, bounce: bool = True) -> bytes:
    """Animated GIF of uint8 frames (N, H, W, C); `bounce` plays forward then back, looping. Grey frames
    go in as they are (GIF's 256 grey levels hold them exactly, 3–4× faster than quantizing an RGB copy);
    colour frames get an adaptive palette each."""
    grey = frames.shape[-1] == 1
    pils = [to_pil(f, scale) if grey else to_pil(f, scale).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    if bounce and len(pils) > 2:
        pils = pils + pils[-2:0:-1]
    buf = io.BytesIO()
    pils[0].save(buf, format="GIF", save_all=True, append_images=pils[1:], duration=duration_ms, loop=0)
    return buf.getvalue()
