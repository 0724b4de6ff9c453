"""Tests for bprop.io: atomic writes and the pickle-free .npz container."""

import json
import os
import zipfile

import numpy as np
import pytest

from bprop.io import (
    FORMAT_VERSION,
    META_KEY,
    atomic_open,
    atomic_write,
    load_arrays,
    save_arrays,
)


def sample_arrays():
    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, 5e-324, 1.0 / 3.0])
    return {
        "w0": rng.standard_normal((30, 784)).astype(np.float32),
        "b0": rng.standard_normal(30),
        "special64": special,
        "special32": special.astype(np.float32),
        "big_endian": np.arange(6, dtype=">f8").reshape(2, 3),
        "counts": np.arange(5, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }


def write_raw_npz(path, document, **arrays):
    """A .npz shaped like a bprop file, with a metadata document of our choosing."""
    meta = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    np.savez(path, **{META_KEY: meta}, **arrays)


def valid_document(**changes):
    document = {
        "format": "bprop",
        "kind": "model",
        "format_version": FORMAT_VERSION,
        "config": {},
        "arrays": {"w": {"shape": [2], "dtype": "<f8"}},
    }
    document.update(changes)
    return document


def temp_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


# --------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------


def test_round_trip_is_bit_exact_and_keeps_dtypes(tmp_path):
    arrays = sample_arrays()
    path = tmp_path / "model.bprop"
    save_arrays(path, arrays, {"sizes": [784, 30, 10]}, kind="model")

    loaded, config = load_arrays(path, kind="model")

    assert list(loaded) == list(arrays)
    for name, original in arrays.items():
        assert loaded[name].dtype == original.dtype, name
        assert loaded[name].shape == original.shape, name
        assert loaded[name].tobytes() == original.tobytes(), name
    assert config == {"sizes": [784, 30, 10]}


def test_path_is_used_as_given_and_file_is_a_plain_npz(tmp_path):
    path = tmp_path / "net.model"
    save_arrays(path, {"w": np.ones(3)}, {}, kind="model")
    assert os.listdir(tmp_path) == ["net.model"]
    with np.load(path, allow_pickle=False) as npz:
        assert set(npz.files) == {"w", META_KEY}


def test_config_keeps_big_ints_rng_state_and_numpy_scalars(tmp_path):
    rng = np.random.default_rng(12345)
    rng.standard_normal(10)
    state = rng.bit_generator.state
    config = {
        "rng": state,
        "eta": np.float64(0.5),
        "epochs": np.int64(30),
        "activations": ["sigmoid", "softmax"],
        "cost": "cross_entropy",
        "dtype": "float64",
        "note": "unicode η ✓",
    }
    path = tmp_path / "checkpoint.npz"
    save_arrays(path, {}, config, kind="checkpoint")

    _, loaded = load_arrays(path, kind="checkpoint")

    assert loaded["rng"] == state
    assert loaded["eta"] == 0.5 and loaded["epochs"] == 30
    assert loaded["note"] == "unicode η ✓"
    restored = np.random.default_rng()
    restored.bit_generator.state = loaded["rng"]
    assert np.array_equal(restored.standard_normal(5), rng.standard_normal(5))


def test_array_names_that_clash_with_savez_keywords_work(tmp_path):
    arrays = {"file": np.ones(2), "allow_pickle": np.zeros(2), "layers/0/w": np.eye(2)}
    save_arrays(tmp_path / "m", arrays, {}, kind="model")
    loaded, _ = load_arrays(tmp_path / "m", kind="model")
    assert {k: v.tolist() for k, v in loaded.items()} == {k: v.tolist() for k, v in arrays.items()}


# --------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------


def test_atomic_write_keeps_old_file_when_writer_raises_midway(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old contents")

    def half_then_fail(f):
        f.write(b"new partial data" * 1000)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        atomic_write(path, half_then_fail)

    assert path.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_arrays_failure_keeps_old_file(tmp_path):
    path = tmp_path / "model.npz"
    save_arrays(path, {"w": np.ones(3)}, {"version": "old"}, kind="model")
    before = path.read_bytes()

    with pytest.raises(ValueError, match="not JSON-serialisable"):
        save_arrays(path, {"w": np.zeros(3)}, {"bad": object()}, kind="model")
    with pytest.raises(ValueError, match="object"):
        save_arrays(path, {"w": np.array([1, "a"], dtype=object)}, {}, kind="model")

    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_atomic_open_replaces_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    with atomic_open(path, "w") as f:
        f.write("new ✓")
        assert path.read_text() == "old"  # not visible until the block ends
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_atomic_open_creates_new_file_with_umask_permissions(tmp_path):
    with atomic_open(tmp_path / "a.bin") as f:
        f.write(b"\x00\x01")
    open(tmp_path / "b.bin", "wb").close()
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "a.bin").stat().st_mode == (tmp_path / "b.bin").stat().st_mode


def test_atomic_open_rejects_read_and_append_modes(tmp_path):
    for mode in ("r", "ab", "rb+"):
        with pytest.raises(ValueError, match="mode"):
            with atomic_open(tmp_path / "x", mode):
                pass


# --------------------------------------------------------------------------
# Refusing bad input when saving
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [np.array([{"a": 1}], dtype=object), np.array(["text"]), np.zeros(2, dtype=[("a", "f8")])],
)
def test_non_numeric_arrays_are_refused(tmp_path, value):
    with pytest.raises(ValueError, match="'bad'.*only bool, integer, float and complex"):
        save_arrays(tmp_path / "m", {"bad": value}, {}, kind="model")
    assert not (tmp_path / "m").exists()


def test_reserved_and_empty_names_and_bad_kind_are_refused(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        save_arrays(tmp_path / "m", {META_KEY: np.ones(1)}, {}, kind="model")
    with pytest.raises(ValueError, match="non-empty"):
        save_arrays(tmp_path / "m", {"": np.ones(1)}, {}, kind="model")
    with pytest.raises(ValueError, match="kind"):
        save_arrays(tmp_path / "m", {}, {}, kind="")
    with pytest.raises(ValueError, match="config must be a dict"):
        save_arrays(tmp_path / "m", {}, [1, 2], kind="model")


# --------------------------------------------------------------------------
# Refusing bad files when loading
# --------------------------------------------------------------------------


def test_truncated_file_is_refused_naming_path(tmp_path):
    path = tmp_path / "model.npz"
    save_arrays(path, sample_arrays(), {}, kind="model")
    data = path.read_bytes()
    for keep in (len(data) - 1, len(data) // 2, 10):
        path.write_bytes(data[:keep])
        with pytest.raises(ValueError, match="truncated or corrupt") as info:
            load_arrays(path, kind="model")
        assert str(path) in str(info.value)


def test_corrupted_array_bytes_are_refused(tmp_path):
    path = tmp_path / "model.npz"
    save_arrays(path, {"w": np.zeros(1000)}, {}, kind="model")
    data = bytearray(path.read_bytes())
    middle = data.find(b"\x00" * 800)  # inside the zeros of "w"
    data[middle + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupt") as info:
        load_arrays(path, kind="model")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"", b"hello", bytes(range(256)) * 4])
def test_random_bytes_are_not_a_bprop_file(tmp_path, content):
    path = tmp_path / "random.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a bprop file") as info:
        load_arrays(path, kind="model")
    assert str(path) in str(info.value)


def test_plain_npy_file_is_not_a_bprop_file(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="not a bprop file"):
        load_arrays(path, kind="model")


def test_foreign_npz_without_metadata_is_refused(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, w=np.ones(3))
    with pytest.raises(ValueError, match="not a bprop file.*__bprop__"):
        load_arrays(path, kind="model")


def test_other_zip_is_refused(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(ValueError, match="not a bprop file"):
        load_arrays(path, kind="model")


def test_wrong_kind_is_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    save_arrays(path, {"w": np.ones(2)}, {}, kind="checkpoint")
    with pytest.raises(ValueError, match="holds a 'checkpoint', expected a 'model'"):
        load_arrays(path, kind="model")


def test_future_format_version_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    write_raw_npz(path, valid_document(format_version=FORMAT_VERSION + 1), w=np.ones(2))
    with pytest.raises(ValueError, match="newer bprop.*format version 2.*upgrade"):
        load_arrays(path, kind="model")


def test_raw_valid_document_loads(tmp_path):
    # The helper itself produces a loadable file, so the failures below are meaningful.
    path = tmp_path / "ok.npz"
    write_raw_npz(path, valid_document(), w=np.ones(2))
    arrays, config = load_arrays(path, kind="model")
    assert arrays["w"].tolist() == [1.0, 1.0] and config == {}


@pytest.mark.parametrize(
    "document, arrays, message",
    [
        (valid_document(format="other"), {"w": np.ones(2)}, "not a bprop file.*'other'"),
        (valid_document(format_version="1"), {"w": np.ones(2)}, "invalid format_version"),
        (valid_document(), {}, "declared array 'w' is missing"),
        (valid_document(), {"w": np.ones(3)}, "shape \\[3\\].*declares shape \\[2\\]"),
        (valid_document(), {"w": np.ones(2, dtype=np.float32)}, "dtype '<f4'.*dtype '<f8'"),
        (valid_document(), {"w": np.ones(2), "extra": np.ones(1)}, "does not declare.*extra"),
        (valid_document(config=[1]), {"w": np.ones(2)}, "config must be a JSON object"),
        (valid_document(arrays={"w": {"shape": "2"}}), {"w": np.ones(2)}, "bad declaration"),
    ],
)
def test_inconsistent_metadata_is_refused(tmp_path, document, arrays, message):
    path = tmp_path / "bad.npz"
    write_raw_npz(path, document, **arrays)
    with pytest.raises(ValueError, match=message) as info:
        load_arrays(path, kind="model")
    assert str(path) in str(info.value)


def test_metadata_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, **{META_KEY: np.frombuffer(b"\xff{not json", dtype=np.uint8)})
    with pytest.raises(ValueError, match="corrupt metadata"):
        load_arrays(path, kind="model")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_arrays(tmp_path / "nope.npz", kind="model")


def folder_refusing_new_files(tmp_path):
    """A folder where creating a file fails although os.access may say it is writable:
    /proc for root (whom permission bits never stop), a read-only folder otherwise."""
    if os.geteuid() == 0:
        return "/proc"
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return str(folder)


def test_check_writable_tries_the_folder_instead_of_trusting_os_access(tmp_path, monkeypatch):
    # os.access said yes for root on /proc: 'bprop train --save /proc/m.npz' trained to the end,
    # then failed to save with '[Errno 2] ...' and the weights were lost.
    from bprop.io import OutputPathError, check_writable

    folder = folder_refusing_new_files(tmp_path)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: True)  # as root or on a file system that lies
    before = set(os.listdir(folder))
    with pytest.raises(OutputPathError, match=f"cannot write --save {folder}/m.npz: the folder {folder} does not "
                                              "take new files"):
        check_writable(os.path.join(folder, "m.npz"), "--save")
    assert set(os.listdir(folder)) == before
    check_writable(tmp_path / "ok.npz", "--save")
    assert os.listdir(tmp_path) == (["ro"] if os.geteuid() != 0 else [])  # the probe leaves nothing
