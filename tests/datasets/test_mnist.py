"""Tests for bprop.datasets.mnist, on small fake IDX files (never the network)."""

import functools
import hashlib
import http.server
import os
import socket
import threading

import numpy as np
import pytest

from bprop.datasets import load_mnist, write_idx
from bprop.datasets import mnist
from bprop.datasets.mnist import MNISTNotFoundError, Split, TrainTest, TrainValidationTest

NAMES = list(mnist.FILES)
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = NAMES


def refused_url():
    """A URL on a local port nobody listens on: connecting fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No $BPROP_DATA, a private cache folder, and mirrors that refuse connections."""
    monkeypatch.delenv("BPROP_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(mnist, "MIRRORS", (refused_url(),))
    monkeypatch.setattr(mnist, "TIMEOUT", 2.0)


def fake_mnist(n_train=20, n_test=8, seed=0):
    """Arrays shaped like MNIST: {name: array}."""
    rng = np.random.default_rng(seed)
    return {
        TRAIN_IMAGES: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        TRAIN_LABELS: rng.integers(0, 10, n_train, dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        TEST_LABELS: rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_fake(folder, arrays=None, compress=True, **kwargs):
    """Write the four IDX files into ``folder``; return the arrays written."""
    arrays = fake_mnist(**kwargs) if arrays is None else arrays
    os.makedirs(folder, exist_ok=True)
    for name, array in arrays.items():
        suffix = ".gz" if compress else ""
        write_idx(os.path.join(folder, name + suffix), array, compress=compress)
    return arrays


def digests_of(arrays):
    from bprop.datasets.idx import encode_idx

    return {name: hashlib.sha256(encode_idx(a)).hexdigest() for name, a in arrays.items()}


# --------------------------------------------------------------------------
# Loading and splitting
# --------------------------------------------------------------------------


def test_train_validation_test_split(tmp_path):
    arrays = write_fake(tmp_path / "data")

    result = load_mnist(tmp_path / "data", validation_size=5, verify=False, download=False)

    assert isinstance(result, TrainValidationTest)
    train, validation, test = result
    x_train, y_train = train
    assert x_train.shape == (15, 784) and y_train.shape == (15,)
    assert validation.x.shape == (5, 784) and test.x.shape == (8, 784)
    for split in result:
        assert split.x.dtype == np.float32 and split.y.dtype == np.int64
        assert 0.0 <= split.x.min() and split.x.max() <= 1.0

    images = arrays[TRAIN_IMAGES].reshape(20, 784).astype(np.float32) / np.float32(255)
    labels = arrays[TRAIN_LABELS].astype(np.int64)
    assert np.array_equal(train.x, images[:15]) and np.array_equal(train.y, labels[:15])
    assert np.array_equal(validation.x, images[15:]) and np.array_equal(validation.y, labels[15:])
    assert np.array_equal(test.y, arrays[TEST_LABELS])
    assert result.validation is validation


def test_train_test_split_unflattened_float64(tmp_path):
    arrays = write_fake(tmp_path, compress=False)

    result = load_mnist(
        tmp_path, split="train_test", flatten=False, dtype="float64", verify=False, download=False
    )

    assert isinstance(result, TrainTest)
    train, test = result
    assert train.x.shape == (20, 28, 28) and train.x.dtype == np.float64
    assert test.x.shape == (8, 28, 28) and test.y.shape == (8,)
    assert np.array_equal(train.x, arrays[TRAIN_IMAGES] / 255.0)
    assert isinstance(train, Split) and train == (train.x, train.y)


def test_plain_and_gzipped_files_can_be_mixed(tmp_path):
    arrays = fake_mnist()
    for i, (name, array) in enumerate(arrays.items()):
        compress = i % 2 == 0
        write_idx(tmp_path / (name + (".gz" if compress else "")), array, compress=compress)
    train, test = load_mnist(tmp_path, split="train_test", verify=False, download=False)
    assert np.array_equal(test.y, arrays[TEST_LABELS])


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------


def test_verify_passes_with_matching_digests(tmp_path, monkeypatch):
    arrays = write_fake(tmp_path)
    monkeypatch.setattr(mnist, "FILES", digests_of(arrays))
    train, _, _ = load_mnist(tmp_path, validation_size=4, download=False)
    assert train.x.shape == (16, 784)


def test_digest_mismatch_names_file_and_both_digests(tmp_path):
    arrays = write_fake(tmp_path)
    with pytest.raises(ValueError, match="SHA-256") as info:
        load_mnist(tmp_path, validation_size=4, download=False)  # real digests
    message = str(info.value)
    name = TRAIN_IMAGES
    assert str(tmp_path / f"{name}.gz") in message
    assert mnist.FILES[name] in message
    assert digests_of(arrays)[name] in message


def test_corrupt_gzip_names_file(tmp_path):
    write_fake(tmp_path)
    path = tmp_path / f"{TEST_LABELS}.gz"
    path.write_bytes(path.read_bytes()[:15])
    with pytest.raises(ValueError, match="corrupt gzip") as info:
        load_mnist(tmp_path, validation_size=4, verify=False, download=False)
    assert str(path) in str(info.value)


def test_truncated_file_names_file(tmp_path):
    write_fake(tmp_path, compress=False)
    path = tmp_path / TRAIN_IMAGES
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated") as info:
        load_mnist(tmp_path, validation_size=4, verify=False, download=False)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "name, array, message",
    [
        (TRAIN_IMAGES, np.zeros((20, 28, 27), np.uint8), "expected \\(N, 28, 28\\) uint8 images"),
        (TRAIN_IMAGES, np.zeros((20, 28, 28), np.float32), "expected \\(N, 28, 28\\) uint8 images"),
        (TEST_LABELS, np.full(8, 10, np.uint8), "digits 0..9, found 10"),
        (TEST_LABELS, np.zeros((8, 1), np.uint8), "expected \\(N,\\) uint8 labels"),
        (TRAIN_LABELS, np.zeros(19, np.uint8), "holds 20 images but .* holds 19 labels"),
    ],
)
def test_malformed_contents_are_refused(tmp_path, name, array, message):
    arrays = fake_mnist()
    arrays[name] = array
    write_fake(tmp_path, arrays)
    with pytest.raises(ValueError, match=message) as info:
        load_mnist(tmp_path, validation_size=4, verify=False, download=False)
    assert str(tmp_path / f"{name}.gz") in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"split": "train"}, "split must be one of"),
        ({"validation_size": 0}, "between 1 and 19"),
        ({"validation_size": 20}, "between 1 and 19"),
        ({"validation_size": 2.5}, "must be an int"),
        ({"dtype": "int32"}, "floating dtype"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    write_fake(tmp_path)
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path, verify=False, download=False, **kwargs)


# --------------------------------------------------------------------------
# Where the files are looked for
# --------------------------------------------------------------------------


def n_train_loaded(data_dir=None):
    train, _ = load_mnist(data_dir, split="train_test", verify=False, download=False)
    return len(train.y)


def test_search_order_data_dir_then_env_then_cache(tmp_path, monkeypatch):
    write_fake(tmp_path / "given", n_train=11)
    write_fake(tmp_path / "env", n_train=12)
    write_fake(tmp_path / "xdg-cache" / "bprop" / "mnist", n_train=13)
    monkeypatch.setenv("BPROP_DATA", str(tmp_path / "env"))

    assert n_train_loaded(tmp_path / "given") == 11
    assert n_train_loaded(tmp_path / "empty") == 12
    assert n_train_loaded() == 12
    monkeypatch.delenv("BPROP_DATA")
    assert n_train_loaded() == 13


def test_bprop_data_mnist_subfolder_is_searched_first(tmp_path, monkeypatch):
    write_fake(tmp_path / "root", n_train=11)
    write_fake(tmp_path / "root" / "mnist", n_train=12)
    monkeypatch.setenv("BPROP_DATA", str(tmp_path / "root"))
    assert n_train_loaded() == 12


def test_cache_falls_back_to_home_without_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.default_cache_dir() == tmp_path / "home" / ".cache" / "bprop" / "mnist"
    write_fake(tmp_path / "home" / ".cache" / "bprop" / "mnist", n_train=14)
    assert n_train_loaded() == 14


def test_incomplete_folder_is_skipped(tmp_path, monkeypatch):
    arrays = fake_mnist(n_train=11)
    del arrays[TEST_LABELS]
    write_fake(tmp_path / "given", arrays)
    write_fake(tmp_path / "env", n_train=12)
    monkeypatch.setenv("BPROP_DATA", str(tmp_path / "env"))
    assert n_train_loaded(tmp_path / "given") == 12


# --------------------------------------------------------------------------
# Missing files and downloads (local servers only)
# --------------------------------------------------------------------------


def test_offline_error_says_which_files_go_where(tmp_path):
    with pytest.raises(MNISTNotFoundError) as info:
        load_mnist(tmp_path / "given")
    error = info.value
    assert isinstance(error, OSError)
    message = str(error)
    for name in NAMES:
        assert f"{name}.gz" in message
    assert str(tmp_path / "given") in message
    assert str(tmp_path / "xdg-cache" / "bprop" / "mnist") in message
    assert "$BPROP_DATA" in message
    assert "failed" in message
    # It gives up after the first file no mirror could deliver.
    assert f"{mnist.MIRRORS[0]}{TRAIN_IMAGES}.gz" in message
    assert f"{mnist.MIRRORS[0]}{TRAIN_LABELS}.gz" not in message
    assert not (tmp_path / "given").exists()  # nothing created, nothing half-written


def test_offline_error_without_data_dir_targets_cache(tmp_path):
    with pytest.raises(MNISTNotFoundError, match="for example in .*xdg-cache/bprop/mnist"):
        load_mnist()


def test_download_false_never_downloads(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("download attempted")

    monkeypatch.setattr(mnist, "_fetch", fail)
    monkeypatch.setenv("BPROP_DATA", str(tmp_path / "env"))
    with pytest.raises(MNISTNotFoundError, match="download=False") as info:
        load_mnist(tmp_path / "given", download=False)
    message = str(info.value)
    assert "Downloading" not in message
    assert str(tmp_path / "env") in message and "train-images-idx3-ubyte.gz" in message


def test_error_reports_partially_present_files(tmp_path):
    arrays = fake_mnist()
    del arrays[TEST_IMAGES]
    write_fake(tmp_path / "given", arrays)
    with pytest.raises(MNISTNotFoundError, match="has 3 of 4"):
        load_mnist(tmp_path / "given", download=False)


@pytest.fixture
def local_mirror(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields its base URL."""
    served = tmp_path / "served"
    served.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_download_into_cache_verifies_and_writes_atomically(tmp_path, monkeypatch, local_mirror):
    served, url = local_mirror
    arrays = write_fake(served)
    monkeypatch.setattr(mnist, "FILES", digests_of(arrays))
    monkeypatch.setattr(mnist, "MIRRORS", (refused_url(), url))  # first mirror is down

    train, validation, test = load_mnist(validation_size=5)

    cache = tmp_path / "xdg-cache" / "bprop" / "mnist"
    assert sorted(os.listdir(cache)) == sorted(f"{name}.gz" for name in NAMES)
    for name in NAMES:
        assert (cache / f"{name}.gz").read_bytes() == (served / f"{name}.gz").read_bytes()
    assert np.array_equal(test.y, arrays[TEST_LABELS])
    # Now cached: loads without the network.
    assert n_train_loaded() == 20


def test_download_into_data_dir_fetches_only_missing_files(tmp_path, monkeypatch, local_mirror):
    served, url = local_mirror
    arrays = write_fake(served)
    monkeypatch.setattr(mnist, "FILES", digests_of(arrays))
    monkeypatch.setattr(mnist, "MIRRORS", (url,))
    given = tmp_path / "given"
    write_fake(given, {TRAIN_LABELS: arrays[TRAIN_LABELS]}, compress=False)

    load_mnist(given, validation_size=5)

    assert sorted(os.listdir(given)) == sorted(
        [TRAIN_LABELS] + [f"{n}.gz" for n in NAMES if n != TRAIN_LABELS]
    )
    assert not (tmp_path / "xdg-cache").exists()


def test_download_with_wrong_digest_is_refused_and_not_kept(tmp_path, monkeypatch, local_mirror):
    served, url = local_mirror
    write_fake(served)  # does not match the real digests
    monkeypatch.setattr(mnist, "MIRRORS", (url,))
    with pytest.raises(MNISTNotFoundError, match="does not match the published") as info:
        load_mnist(tmp_path / "given")
    assert url in str(info.value)
    assert not (tmp_path / "given").exists()


def test_download_that_is_not_gzip_is_refused(tmp_path, monkeypatch, local_mirror):
    served, url = local_mirror
    for name in NAMES:
        (served / f"{name}.gz").write_bytes(b"<html>not found</html>")
    monkeypatch.setattr(mnist, "MIRRORS", (url,))
    with pytest.raises(MNISTNotFoundError, match="not valid gzip"):
        load_mnist(tmp_path / "given", verify=False)


def test_http_404_is_reported(tmp_path, monkeypatch, local_mirror):
    _, url = local_mirror
    monkeypatch.setattr(mnist, "MIRRORS", (url,))
    with pytest.raises(MNISTNotFoundError, match="404"):
        load_mnist(tmp_path / "given")

