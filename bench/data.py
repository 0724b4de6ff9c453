"""MNIST for the benchmarks: bprop's loader when it is there, a tiny private IDX reader otherwise.

Every function here returns images as float32 arrays of shape (n, 784) scaled to [0, 1]
and labels as int64 arrays of shape (n,). The benchmark trains on the first 50,000
training images (the common 50,000 / 10,000 / 10,000 split) and tests on the 10,000
t10k images.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

N_TRAIN = 50_000
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path, limit=None):
    """Read a gzipped IDX file (magic 0 0 dtype ndim, big-endian dims, then the data).

    Only the unsigned-byte type (0x08) occurs in MNIST. ``limit`` keeps the first rows.
    Returns a uint8 array shaped by the header's dimensions.
    """
    with gzip.open(path, "rb") as f:
        magic = f.read(4)
        if magic[0] != 0 or magic[1] != 0 or magic[2] != 0x08:
            raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic.hex()})")
        ndim = magic[3]
        dims = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        if limit is not None:
            dims[0] = min(dims[0], limit)
        count = int(np.prod(dims))
        data = np.frombuffer(f.read(count), dtype=np.uint8)
    if data.size != count:
        raise ValueError(f"{path}: truncated ({data.size} of {count} bytes)")
    return data.reshape(dims)


def read_images_float32(path, limit=None, chunk=5000):
    """Images of a gzipped IDX file as float32 (n, rows*cols) in [0, 1], read chunk by chunk.

    Converting ``chunk`` images at a time keeps the peak memory at the float32 array plus
    one small chunk, which matters for the peak-RSS measurement.
    """
    with gzip.open(path, "rb") as f:
        magic = f.read(4)
        if magic[:3] != b"\x00\x00\x08" or magic[3] != 3:
            raise ValueError(f"{path}: not a 3-d unsigned-byte IDX file")
        n, rows, cols = (int.from_bytes(f.read(4), "big") for _ in range(3))
        if limit is not None:
            n = min(n, limit)
        out = np.empty((n, rows * cols), dtype=np.float32)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            raw = np.frombuffer(f.read((stop - start) * rows * cols), dtype=np.uint8)
            out[start:stop] = raw.reshape(stop - start, rows * cols)
            out[start:stop] /= np.float32(255)
    return out


def load_private(data_dir, n_train=N_TRAIN):
    """The benchmark's own reader: (x_train, y_train, x_test, y_test)."""
    path = lambda key: os.path.join(data_dir, FILES[key])  # noqa: E731
    x_train = read_images_float32(path("train_images"), limit=n_train)
    y_train = read_idx(path("train_labels"), limit=n_train).astype(np.int64)
    x_test = read_images_float32(path("test_images"))
    y_test = read_idx(path("test_labels")).astype(np.int64)
    return x_train, y_train, x_test, y_test


def _as_pair(obj):
    """(x, y) from a pair-like object: a tuple/list of two, or something with x/y attributes."""
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        return obj[0], obj[1]
    for xa, ya in (("x", "y"), ("images", "labels"), ("X", "y")):
        if hasattr(obj, xa) and hasattr(obj, ya):
            return getattr(obj, xa), getattr(obj, ya)
    raise TypeError(f"cannot read a pair of arrays from {type(obj).__name__}")


def _normalize(x, y):
    x = np.asarray(x)
    x = x.reshape(len(x), -1)
    if x.dtype == np.uint8 or x.max() > 1.5:
        x = x.astype(np.float32) / np.float32(255)
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.asarray(y)
    if y.ndim == 2:  # one-hot
        y = np.argmax(y, axis=1)
    return x, y.astype(np.int64)


def load_bprop(data_dir, n_train=N_TRAIN):
    """Try ``bprop.datasets.load_mnist(data_dir)``; return the 4 arrays or raise.

    The loader's return shape is not pinned yet, so a few likely forms are accepted:
    (train, validation, test) or (train, test) pairs, or a mapping with "train"/"test".
    """
    from bprop.datasets import load_mnist  # noqa: WPS433 (optional at bench time)

    result = load_mnist(data_dir)
    if isinstance(result, dict):
        train, test = result["train"], result["test"]
    elif isinstance(result, (tuple, list)) and len(result) in (2, 3):
        train, test = result[0], result[-1]
    else:
        raise TypeError(f"unexpected load_mnist result {type(result).__name__}")
    x_train, y_train = _normalize(*_as_pair(train))
    x_test, y_test = _normalize(*_as_pair(test))
    if len(x_train) < n_train or x_train.shape[1] != 784 or len(x_test) != 10_000:
        raise ValueError(f"unexpected shapes {x_train.shape}, {x_test.shape}")
    return x_train[:n_train].copy(), y_train[:n_train].copy(), x_test, y_test


def load(data_dir, n_train=N_TRAIN, prefer_bprop=True):
    """(x_train, y_train, x_test, y_test, source) with source naming the loader used."""
    if prefer_bprop:
        try:
            return (*load_bprop(data_dir, n_train), "bprop.datasets.load_mnist")
        except Exception as exc:  # noqa: BLE001 (any failure: fall back, and say why)
            reason = f"{type(exc).__name__}: {exc}"
            return (*load_private(data_dir, n_train), f"bench private IDX reader ({reason})")
    return (*load_private(data_dir, n_train), "bench private IDX reader")
