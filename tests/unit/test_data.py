"""Loaders on the real files in the data directory, and clear errors for missing/corrupt files."""

import gzip
import os

import numpy as np
import pytest
from PIL import Image

from vae.data import datasets as data
from vae.data.datasets import DataError, celeba_crop_64, load_celeba, load_celeba_index, load_mnist, to_tensor

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_real_counts_and_labels(real_root):
    x_train, y_train = load_mnist("train", real_root)
    x_test, y_test = load_mnist("test", real_root)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert abs(x_train.mean() / 255 - 0.1307) < 1e-3 and abs(x_train.std() / 255 - 0.3081) < 1e-3
    t = to_tensor(x_test[:5])
    assert t.shape == (5, 1, 28, 28) and t.dtype.is_floating_point and 0 <= t.min() and t.max() <= 1


def test_mnist_torchvision_raw_layout(real_root, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        os.symlink((real_root / "mnist" / name).resolve(), raw / name)
    x, y = load_mnist("test", tmp_path)
    assert x.shape == (10_000, 28, 28) and np.bincount(y).tolist() == TEST_COUNTS


def test_mnist_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("test", tmp_path)


def test_mnist_corrupt_file_names_it(real_root, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    good = (real_root / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(good[: len(good) // 3])
    os.symlink((real_root / "mnist" / "t10k-labels-idx1-ubyte.gz").resolve(), folder / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match="corrupt.*t10k-images-idx3-ubyte.gz"):
        load_mnist("test", tmp_path)
    # a valid gzip holding the wrong number of items
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(gzip.decompress(good)[:1000]))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("test", tmp_path)


def test_celeba_index_counts_and_attributes(celeba_root):
    index = load_celeba_index(celeba_root)
    assert len(index.image_ids) == 34_132
    assert [len(index.split(p)) for p in ("train", "valid", "test")] == [28_840, 2_720, 2_572]
    assert len(index.attribute_names) == 40 and index.attribute_names[0] == "5_o_Clock_Shadow"
    assert index.attributes.shape == (34_132, 40) and set(np.unique(index.attributes)) == {0, 1}
    male = index.attributes[:, index.attribute_names.index("Male")].mean()
    assert 0.3 < male < 0.5


def test_celeba_crops_every_storage_form(celeba_root):
    folder = celeba_root / "celeba"
    full = sorted((folder / "img_align_celeba").iterdir())[0]
    half = sorted((folder / "img_align_celeba_89x109").iterdir())[0]
    small = sorted((folder / "img_align_celeba_64").iterdir())[0]
    for path in (full, half, small):
        assert celeba_crop_64(path).shape == (64, 64, 3)
    # the full-size crop is the standard centre 148×148 box, resized to 64×64
    expected = np.asarray(Image.open(full).convert("RGB").crop((15, 35, 163, 183)).resize((64, 64), Image.LANCZOS))
    assert np.abs(celeba_crop_64(full).astype(int) - expected.astype(int)).mean() < 1.0
    # the pre-cropped form is taken as it is
    assert np.array_equal(celeba_crop_64(small), np.asarray(Image.open(small).convert("RGB")))


def test_celeba_test_split_loads(celeba_root):
    images, index, rows = load_celeba("test", celeba_root)
    assert images.shape == (2_572, 64, 64, 3) and images.dtype == np.uint8
    assert (index.partition[rows] == 2).all()
    assert 40 < images.mean() < 200  # real faces, not blank arrays


def test_celeba_missing_annotation_names_it(tmp_path):
    (tmp_path / "celeba").mkdir()
    with pytest.raises(DataError, match="list_eval_partition.txt"):
        load_celeba_index(tmp_path)


def test_celeba_corrupt_image_names_it(tmp_path):
    bad = tmp_path / "000001.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(DataError, match="000001.jpg"):
        celeba_crop_64(bad)


def test_download_offline_fails_fast_with_instructions(tmp_path, monkeypatch):
    """Offline, one quick reachability check per dataset and no downloader started (torchvision's would
    retry for minutes): the message says what to put where."""
    import torchvision

    asked = []
    monkeypatch.setattr(data, "_online", lambda host, timeout=3.0: asked.append(host) and False)

    def no_download(*args, **kwargs):
        raise AssertionError("a downloader was started offline")

    monkeypatch.setattr(torchvision.datasets, "MNIST", no_download)
    monkeypatch.setattr(torchvision.datasets, "CelebA", no_download)
    with pytest.raises(DataError, match=r"offline.*t10k-images-idx3-ubyte.gz.*MNIST/raw"):
        data.download("mnist", tmp_path)
    with pytest.raises(DataError, match=r"offline.*list_attr_celeba.txt"):
        data.download("celeba", tmp_path)
    assert asked == ["ossci-datasets.s3.amazonaws.com", "drive.google.com"]


def test_data_root_prefers_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    assert data.data_root() == tmp_path
