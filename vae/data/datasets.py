"""Datasets: MNIST (idx .gz files) and CelebA (aligned JPEGs at 64×64), read from a data root.

Data root, first that exists: $VAE_DATA_DIR, ./data, ../shared/data.
Nothing here downloads at import time; `vae-explorer data download mnist|celeba` does, when online.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vae.data.command_line import command_parser

EXAMPLES = (
    "vae-explorer data info              # where the data is looked for and what was found",
    "vae-explorer data download mnist    # needs internet",
)

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_COUNTS = {"train": 60_000, "test": 10_000}
CELEBA_PARTITIONS = {"train": 0, "valid": 1, "test": 2}
# Folders tried for each image id, in order; the 64×64 one is already cropped and resized.
CELEBA_IMAGE_DIRS = ("img_align_celeba", "img_align_celeba_89x109", "img_align_celeba_64")


class DataError(RuntimeError):
    """A dataset file is missing or unreadable; the message names the file and the fix."""


def data_root() -> Path:
    """$VAE_DATA_DIR, then ./data, then ../shared/data (the first that exists), else ./data."""
    env = os.environ.get("VAE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    for candidate in (Path("data"), Path("..") / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    # Also look beside the repository itself, so running from another working directory works.
    repo = Path(__file__).resolve().parents[2]
    for candidate in (repo / "data", repo.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return Path("data")


def cache_dir() -> Path:
    """Where decoded datasets are cached (never inside the repository's tracked files)."""
    path = Path(os.environ.get("VAE_CACHE_DIR", Path.home() / ".cache" / "vae-latent-explorer"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---- MNIST -------------------------------------------------------------------------------
def mnist_dir(root: Path | None = None) -> Path:
    """<root>/mnist or torchvision's <root>/MNIST/raw, whichever holds the files."""
    root = Path(root) if root is not None else data_root()
    for candidate in (root / "mnist", root / "MNIST" / "raw", root):
        if (candidate / MNIST_FILES["test"][0]).exists():
            return candidate
    return root / "mnist"


def _read_idx(path: Path, magic: int, offset: int, count: int) -> np.ndarray:
    if not path.exists():
        raise DataError(
            f"MNIST file missing: {path}. Put the four original MNIST .gz files in "
            f"{path.parent} (or run `vae-explorer data download mnist` when online)."
        )
    try:
        raw = gzip.open(path).read()
    except (OSError, EOFError) as err:
        raise DataError(f"MNIST file corrupt: {path} ({err}); replace it with the original file.") from None
    if len(raw) < offset or int.from_bytes(raw[:4], "big") != magic:
        raise DataError(f"MNIST file corrupt: {path} (bad idx header); replace it with the original file.")
    if int.from_bytes(raw[4:8], "big") != count or len(raw) != offset + count * (784 if magic == 2051 else 1):
        raise DataError(f"MNIST file corrupt: {path} (expected {count} items); replace it with the original file.")
    return np.frombuffer(raw, np.uint8, offset=offset)


def load_mnist(split: str = "train", root: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) for split 'train' (60,000) or 'test' (10,000)."""
    if split not in MNIST_FILES:
        raise ValueError(f"MNIST split must be 'train' or 'test', got {split!r}")
    folder = mnist_dir(root)
    images_file, labels_file = MNIST_FILES[split]
    n = MNIST_COUNTS[split]
    images = _read_idx(folder / images_file, 2051, 16, n).reshape(n, 28, 28)
    labels = _read_idx(folder / labels_file, 2049, 8, n).astype(np.int64)
    images = images.copy()  # frombuffer arrays are read-only
    return images, labels


# ---- CelebA ------------------------------------------------------------------------------
def celeba_dir(root: Path | None = None) -> Path:
    root = Path(root) if root is not None else data_root()
    return root / "celeba"


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise DataError(
            f"CelebA {what} missing: {path}. Put list_attr_celeba.txt, list_eval_partition.txt and "
            f"img_align_celeba/ in {path.parent} (or run `vae-explorer data download celeba` when online)."
        )
    return path


@dataclass
class CelebAIndex:
    """Image ids, partitions and the 40 attributes (as 0/1) of the images present."""

    image_ids: list[str]
    partition: np.ndarray  # (N,) 0 train, 1 valid, 2 test
    attribute_names: list[str]
    attributes: np.ndarray  # (N, 40) uint8, 1 = has the attribute

    def split(self, name: str) -> np.ndarray:
        """Row positions of one partition ('train', 'valid', 'test')."""
        return np.flatnonzero(self.partition == CELEBA_PARTITIONS[name])


def load_celeba_index(root: Path | None = None) -> CelebAIndex:
    """Parse list_eval_partition.txt and list_attr_celeba.txt (original CRLF format)."""
    folder = celeba_dir(root)
    part_file = _require(folder / "list_eval_partition.txt", "partition file")
    attr_file = _require(folder / "list_attr_celeba.txt", "attribute file")
    try:
        partition = {}
        for line in part_file.read_text().splitlines():
            if line.strip():
                name, p = line.split()
                partition[name] = int(p)
        lines = attr_file.read_text().splitlines()
        count = int(lines[0])
        names = lines[1].split()
        rows = [line.split() for line in lines[2:] if line.strip()]
    except (ValueError, IndexError, UnicodeDecodeError) as err:
        raise DataError(f"CelebA annotation file corrupt: {part_file} or {attr_file} ({err})") from None
    if len(names) != 40 or len(rows) != count or any(len(r) != 41 for r in rows):
        raise DataError(f"CelebA attribute file corrupt: {attr_file} (expected {count} rows of 40 values)")
    ids = [r[0] for r in rows]
    missing = [i for i in ids if i not in partition]
    if missing:
        raise DataError(f"CelebA partition file {part_file} lacks {len(missing)} ids, e.g. {missing[0]}")
    attrs = (np.array([r[1:] for r in rows], dtype=np.int8) > 0).astype(np.uint8)
    return CelebAIndex(ids, np.array([partition[i] for i in ids], dtype=np.int8), names, attrs)


def celeba_image_path(image_id: str, root: Path | None = None) -> Path:
    folder = celeba_dir(root)
    for sub in CELEBA_IMAGE_DIRS:
        path = folder / sub / image_id
        if path.exists():
            return path
    raise DataError(f"CelebA image missing: {image_id} (looked in {', '.join(CELEBA_IMAGE_DIRS)} under {folder})")


def celeba_crop_64(path: Path) -> np.ndarray:
    """Load one aligned CelebA image as uint8 (64, 64, 3): centre 148×148 (of 178×218) → 64×64.

    Images at another size (e.g. 89×109) are cropped to the same region, scaled; images already
    64×64 are taken as they are.
    """
    try:
        with Image.open(path) as file:
            img = file.convert("RGB")
            w, h = img.size
            if (w, h) != (64, 64):
                side = 148.0 * w / 178.0
                left, top = (w - side) / 2, (h - side) / 2
                img = img.resize((64, 64), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side))
            return np.asarray(img, dtype=np.uint8)
    except OSError as err:
        raise DataError(f"CelebA image corrupt: {path} ({err})") from None


def _crop_many(paths: list[Path]) -> np.ndarray:
    return np.stack([celeba_crop_64(p) for p in paths])


def load_celeba(split: str = "train", root: Path | None = None, workers: int = 2) -> tuple[np.ndarray, CelebAIndex, np.ndarray]:
    """(images uint8 (N, 64, 64, 3), index, rows) for one partition; rows index into `index`.

    The split's images are decoded once and cached as a .npy in cache_dir() (derived data, outside the repo).
    """
    index = load_celeba_index(root)
    rows = index.split(split) if split != "all" else np.arange(len(index.image_ids))
    ids = [index.image_ids[r] for r in rows]
    key = hashlib.sha1("\n".join(ids).encode()).hexdigest()[:12]
    cache = cache_dir() / f"celeba64_{split}_{key}.npy"
    if cache.exists():
        images = np.load(cache, mmap_mode="r")
    else:
        paths = [celeba_image_path(i, root) for i in ids]
        chunks = [paths[i : i + 1000] for i in range(0, len(paths), 1000)]
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                images = np.concatenate(list(pool.map(_crop_many, chunks)))
        else:
            images = np.concatenate([_crop_many(c) for c in chunks])
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, images)
        os.replace(tmp, cache)
    if images.shape[1:] != (64, 64, 3) or len(images) != len(rows):
        raise DataError(f"cached CelebA array {cache} does not match the data; delete it")
    return np.asarray(images), index, rows


# ---- tensors -------------------------------------------------------------------------------
def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, C) → float32 (N, C, H, W) in [0, 1]."""
    t = torch.from_numpy(np.array(images, dtype=np.float32))  # always a copy: the caller's array is never written
    t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)
    return t.div_(255.0)


def load_split(dataset: str, split: str, root: Path | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """uint8 images and labels (MNIST digits; None for CelebA) of a dataset split."""
    if dataset == "mnist":
        return load_mnist("train" if split == "train" else "test", root)
    if dataset == "celeba":
        images, _, _ = load_celeba(split, root)
        return images, None
    raise ValueError(f"unknown dataset {dataset!r}")


# ---- download ------------------------------------------------------------------------------
def _online(host: str, timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def download(dataset: str, root: Path | None = None) -> Path:
    """Fetch a dataset with torchvision's downloaders; offline, fail fast with what to put where."""
    root = Path(root) if root is not None else Path(os.environ.get("VAE_DATA_DIR", "data"))
    if dataset == "mnist":
        where = root / "MNIST" / "raw"
        files = ", ".join(f for pair in MNIST_FILES.values() for f in pair)
        host = "ossci-datasets.s3.amazonaws.com"
    elif dataset == "celeba":
        where = root / "celeba"
        files = "img_align_celeba/ (the aligned JPEGs), list_attr_celeba.txt, list_eval_partition.txt"
        host = "drive.google.com"
    else:
        raise ValueError(f"dataset must be 'mnist' or 'celeba', got {dataset!r}")
    if not _online(host):
        raise DataError(f"offline: cannot reach {host}. Put {files} in {where} (or set VAE_DATA_DIR to a folder that has them).")
    import torchvision  # seconds to import: only the downloaders need it

    if dataset == "mnist":
        torchvision.datasets.MNIST(str(root), train=True, download=True)
        torchvision.datasets.MNIST(str(root), train=False, download=True)
    else:
        torchvision.datasets.CelebA(str(root), split="all", download=True)
    return where


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("data", __doc__, EXAMPLES)
    sub = parser.add_subparsers(dest="command", required=True)
    dl = sub.add_parser("download", help="download a dataset with torchvision (needs internet)")
    dl.add_argument("dataset", choices=["mnist", "celeba"])
    dl.add_argument("--root", type=Path, default=None)
    sub.add_parser("info", help="show where the data is looked for and what was found")
    args = parser.parse_args(argv)
    if args.command == "download":
        try:
            print(f"downloaded to {download(args.dataset, args.root)}")
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    root = data_root()
    print(f"data root: {root.resolve()}")
    for split in ("train", "test"):
        try:
            print(f"mnist {split}: {len(load_mnist(split, root)[1])} images")
        except DataError as err:
            print(f"mnist {split}: {err}")
    try:
        index = load_celeba_index(root)
        print("celeba: " + ", ".join(f"{k} {len(index.split(k))}" for k in CELEBA_PARTITIONS))
    except DataError as err:
        print(f"celeba: {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
