"""MNIST, the handwritten digits: find, verify, download and load the canonical files.

The four files of the MNIST database (LeCun, Cortes and Burges), in IDX format,
plain or gzipped (``.gz``):

    train-images-idx3-ubyte   60,000 images, 28x28 uint8
    train-labels-idx1-ubyte   60,000 labels, 0..9
    t10k-images-idx3-ubyte    10,000 test images
    t10k-labels-idx1-ubyte    10,000 test labels

Where :func:`load_mnist` looks, in order (the first folder holding all four wins):

    1. ``data_dir``, when given;
    2. ``$BPROP_DATA/mnist``, then ``$BPROP_DATA``, when the variable is set;
    3. the per-user cache, ``$XDG_CACHE_HOME/bprop/mnist`` or ``~/.cache/bprop/mnist``.

When none has them and ``download=True``, the missing ``.gz`` files are fetched
from the mirrors in :data:`MIRRORS` (in order) into ``data_dir`` if given, else
the cache.  If that fails (no internet), :class:`MNISTNotFoundError` says which
files to put in which folder.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import operator
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from bprop.datasets.idx import decode_idx, read_idx_bytes
from bprop.datasets.splits import Split, TrainTest, TrainValidationTest
from bprop.io import atomic_write

__all__ = [
    "FILES",
    "MIRRORS",
    "MNISTNotFoundError",
    "Split",
    "TrainTest",
    "TrainValidationTest",
    "default_cache_dir",
    "load_mnist",
]

# SHA-256 of the *uncompressed* canonical files, as public loaders pin them.
FILES: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Public mirrors of the gzipped files, tried in order; each URL is MIRROR + name + ".gz".
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

TIMEOUT = 10.0  # seconds, per connection attempt and per read
SPLITS = ("train_val_test", "train_test")


class MNISTNotFoundError(FileNotFoundError):
    """The MNIST files are in none of the searched folders and could not be downloaded.

    A ``FileNotFoundError`` (hence an ``OSError``); the message lists the files,
    the folders searched, and ``$BPROP_DATA``.
    """


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    split: str = "train_val_test",
    validation_size: int = 10_000,
    flatten: bool = True,
    dtype: str | np.dtype = "float32",
    download: bool = True,
    verify: bool = True,
    scale: bool = True,
) -> TrainValidationTest | TrainTest:
    """Load MNIST as float images in [0, 1] and int64 labels.

    Args:
        data_dir: folder to search first (and to download into); see the module
            docstring for the full search order.
        split: ``"train_val_test"``: the first ``60,000 - validation_size``
            training images train, the last ``validation_size`` validate, the
            10,000 t10k images test.  ``"train_test"``: all 60,000 train.
        validation_size: images held out for validation (``"train_val_test"`` only).
        flatten: images as rows of 784 pixels (N, 784), else (N, 28, 28).
        dtype: floating dtype of the images, ``"float32"`` or ``"float64"``.
        download: fetch missing files from :data:`MIRRORS`.
        verify: check the SHA-256 of each file's uncompressed bytes against :data:`FILES`.
        scale: divide the pixels by 255 (default); False keeps them 0..255, for a model
            that scales its inputs itself (``preprocessing=Scale(1 / 255)``).

    Returns:
        A named tuple of :class:`Split` s, each an ``(x, y)`` pair with
        ``x`` of shape (N, 784) and ``y`` of shape (N,)::

            train, validation, test = load_mnist()
            x_train, y_train = train                # (50000, 784), (50000,)
            data = load_mnist(split="train_test")   # data.train.x: (60000, 784)

    Raises:
        MNISTNotFoundError: the files are missing and could not be downloaded
            (or ``download=False``).
        ValueError: a bad argument, a digest mismatch, or a malformed file.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype such as 'float32', got {dtype}")

    paths = _locate(data_dir, download=download, verify=verify)
    arrays = {name: _read(path, name, verify=verify) for name, path in paths.items()}

    train_x, train_y = _check_pair(
        arrays, paths, "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
    )
    test_x, test_y = _check_pair(arrays, paths, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    train = _to_split(train_x, train_y, flatten=flatten, dtype=dtype, scale=scale)
    test = _to_split(test_x, test_y, flatten=flatten, dtype=dtype, scale=scale)

    if split == "train_test":
        return TrainTest(train, test)

    n_train = len(train.y)
    try:
        n_validation = operator.index(validation_size)
    except TypeError:
        raise ValueError(f"validation_size must be an int, got {validation_size!r}") from None
    if not 0 < n_validation < n_train:
        raise ValueError(
            f"validation_size must be between 1 and {n_train - 1} (the training file "
            f"holds {n_train} images), got {validation_size}"
        )
    cut = n_train - n_validation
    return TrainValidationTest(
        train=Split(train.x[:cut], train.y[:cut]),
        validation=Split(train.x[cut:], train.y[cut:]),
        test=test,
    )


def default_cache_dir() -> Path:
    """The per-user cache folder: ``$XDG_CACHE_HOME/bprop/mnist`` or ``~/.cache/bprop/mnist``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "bprop" / "mnist"


# --------------------------------------------------------------------------
# Finding the files
# --------------------------------------------------------------------------


def _search_folders(data_dir: str | os.PathLike | None) -> list[tuple[Path, str]]:
    """The folders to search, in order, each with a note on where it comes from."""
    folders = []
    if data_dir is not None:
        folders.append((Path(data_dir).expanduser(), "data_dir argument"))
    env = os.environ.get("BPROP_DATA")
    if env:
        root = Path(env).expanduser()
        folders.append((root / "mnist", "$BPROP_DATA/mnist"))
        folders.append((root, "$BPROP_DATA"))
    folders.append((default_cache_dir(), "per-user cache"))
    return folders


def _find(folder: Path, name: str) -> Path | None:
    """``folder/name`` or else ``folder/name.gz``, whichever exists first."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _find_all(folder: Path) -> dict[str, Path] | None:
    found = {name: _find(folder, name) for name in FILES}
    if any(path is None for path in found.values()):
        return None
    return found


def _locate(data_dir, *, download: bool, verify: bool) -> dict[str, Path]:
    """Return the path of each of the four files, downloading them if allowed."""
    folders = _search_folders(data_dir)
    for folder, _ in folders:
        found = _find_all(folder)
        if found is not None:
            return found

    target = folders[0][0] if data_dir is not None else default_cache_dir()
    if not download:
        raise MNISTNotFoundError(_not_found_message(folders, target, failures=None))
    failures = _download_missing(target, verify=verify)
    found = _find_all(target)
    if failures or found is None:
        raise MNISTNotFoundError(_not_found_message(folders, target, failures=failures))
    return found


def _not_found_message(
    folders: list[tuple[Path, str]], target: Path, failures: dict[str, list[str]] | None
) -> str:
    lines = ["MNIST files not found."]
    if failures is None:
        lines[0] = "MNIST files not found (download=False)."
    lines.append("Put these four files, gzipped (.gz) or not, together in one folder:")
    lines += [f"    {name}.gz" for name in FILES]
    lines.append(f"for example in {target}")
    lines.append("or in the folder named by the environment variable $BPROP_DATA")
    lines.append("(or its mnist/ subfolder).")
    lines.append("Folders searched, in order:")
    for folder, origin in folders:
        present = [name for name in FILES if _find(folder, name) is not None]
        note = f"has {len(present)} of 4: {', '.join(present)}" if present else "none of the files"
        lines.append(f"    {folder}  ({origin}; {note})")
    if not os.environ.get("BPROP_DATA"):
        lines.append("    ($BPROP_DATA is not set)")
    if failures:
        lines.append(f"Downloading into {target} failed:")
        for errors in failures.values():
            lines += [f"    {error}" for error in errors]
    urls = ", ".join(MIRRORS) if MIRRORS else "(no mirrors configured)"
    lines.append(f"The files are published at {urls}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------


def _download_missing(folder: Path, *, verify: bool) -> dict[str, list[str]]:
    """Fetch the files missing from ``folder``; return {name: [errors]} for the failures.

    Stops at the first file that no mirror could deliver: the others would most
    likely fail the same way (no network), each after a timeout.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    missing = [name for name in FILES if _find(folder, name) is None]
    with Progress(*columns, console=Console(stderr=True)) as progress:
        for name in missing:
            errors = []
            for mirror in MIRRORS:
                url = f"{mirror}{name}.gz"
                task = progress.add_task(f"{name}.gz", total=None)
                try:
                    payload = _fetch(url, progress, task)
                    _check_payload(payload, name, verify=verify)
                    folder.mkdir(parents=True, exist_ok=True)
                    atomic_write(folder / f"{name}.gz", lambda f: f.write(payload))
                    break
                except (OSError, http.client.HTTPException, ValueError) as error:
                    errors.append(f"{url}: {error}")
                    progress.remove_task(task)
            else:
                return {name: errors or ["no mirrors configured"]}
    return {}


def _fetch(url: str, progress, task) -> bytes:
    """GET ``url`` into memory (the largest file is 9.9 MB), advancing the progress bar."""
    request = urllib.request.Request(url, headers={"User-Agent": "bprop"})
    chunks = []
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        progress.update(task, total=int(length) if length else None)
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            progress.advance(task, len(chunk))
    return b"".join(chunks)


def _check_payload(payload: bytes, name: str, *, verify: bool) -> None:
    """Refuse a download that is not gzip, or (when verifying) has the wrong digest."""
    try:
        data = gzip.decompress(payload)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"not valid gzip data ({error})") from error
    if verify:
        digest = hashlib.sha256(data).hexdigest()
        if digest != FILES[name]:
            raise ValueError(f"SHA-256 {digest} does not match the published {FILES[name]}")


# --------------------------------------------------------------------------
# Reading and checking
# --------------------------------------------------------------------------


def _read(path: Path, name: str, *, verify: bool) -> np.ndarray:
    data = read_idx_bytes(path)
    if verify:
        digest = hashlib.sha256(data).hexdigest()
        if digest != FILES[name]:
            raise ValueError(
                f"{path}: SHA-256 of the uncompressed data is {digest}, but the published "
                f"{name} has {FILES[name]}; the file is corrupt or not the original "
                "(delete it to download it again, or pass verify=False)"
            )
    return decode_idx(data, source=str(path))


def _check_pair(
    arrays: dict[str, np.ndarray], paths: dict[str, Path], images_name: str, labels_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check images (N, 28, 28) uint8 and labels (N,) uint8 in 0..9; return both."""
    images, labels = arrays[images_name], arrays[labels_name]
    images_path, labels_path = paths[images_name], paths[labels_name]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{images_path}: expected (N, 28, 28) uint8 images, got shape "
            f"{images.shape} of {images.dtype}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected (N,) uint8 labels, got shape {labels.shape} of {labels.dtype}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: labels must be digits 0..9, found {labels.max()}")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    return images, labels


def _to_split(images: np.ndarray, labels: np.ndarray, *, flatten: bool, dtype: np.dtype,
              scale: bool = True) -> Split:
    """uint8 pixels 0..255 -> floats in [0, 1] (or 0..255 unscaled); uint8 labels -> int64."""
    if flatten:
        images = images.reshape(len(images), -1)
    x = images.astype(dtype)
    if scale:
        x /= 255
    return Split(x, labels.astype(np.int64))
