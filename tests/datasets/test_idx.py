"""Tests for bprop.datasets.idx: reading and writing IDX files."""

import gzip
import os
import struct

import numpy as np
import pytest

from bprop.datasets import read_idx, write_idx
from bprop.datasets.idx import decode_idx, encode_idx, read_idx_bytes


def idx_header(code, shape):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_every_type_code(tmp_path, dtype, compress):
    rng = np.random.default_rng(1)
    array = (rng.standard_normal((4, 3, 2)) * 100).astype(dtype)
    path = tmp_path / "a.idx"
    write_idx(path, array, compress=compress)

    loaded = read_idx(path)

    assert loaded.dtype == np.dtype(dtype)
    assert loaded.dtype.isnative
    assert loaded.shape == (4, 3, 2)
    assert loaded.tobytes() == array.tobytes()
    assert loaded.flags.writeable
    assert path.read_bytes().startswith(b"\x1f\x8b") == compress


def test_known_bytes_are_big_endian(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_header(0x0C, (2,)) + struct.pack(">2i", 1, -2))
    assert read_idx(path).tolist() == [1, -2]
    assert encode_idx(np.array([1, -2], dtype=np.int32)) == path.read_bytes()


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_named_plain = tmp_path / "plain.gz"
    plain_named_gz = tmp_path / "compressed-idx1-ubyte"
    write_idx(gz_named_plain, array, compress=False)
    write_idx(plain_named_gz, array, compress=True)
    assert np.array_equal(read_idx(gz_named_plain), array)
    assert np.array_equal(read_idx(plain_named_gz), array)
    assert read_idx_bytes(plain_named_gz) == encode_idx(array)


def test_compressed_output_is_deterministic(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "a", array, compress=True)
    write_idx(tmp_path / "b", array, compress=True)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_data_names_file_and_sizes(tmp_path, compress):
    data = idx_header(0x08, (3, 4)) + bytes(11)  # needs 12 data bytes
    path = tmp_path / "short"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match="truncated") as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "needs 24 bytes" in message and "file has 23" in message


def test_trailing_bytes_name_file_and_sizes(tmp_path):
    path = tmp_path / "long"
    path.write_bytes(idx_header(0x08, (3, 4)) + bytes(13))
    with pytest.raises(ValueError, match="trailing bytes.*needs 24 bytes, file has 25") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "only 0 bytes"),
        (b"\x00\x00\x08", "only 3 bytes"),
        (b"\x01\x00\x08\x01" + bytes(8), "magic number starts with 0x01 0x00"),
        (b"PK\x03\x04" + bytes(8), "not an IDX file"),
        (b"\x00\x00\x07\x01" + bytes(8), "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03" + bytes(8), "truncated IDX header"),
    ],
)
def test_malformed_headers_are_refused(tmp_path, data, message):
    path = tmp_path / "bad"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip_names_file(tmp_path):
    compressed = gzip.compress(idx_header(0x08, (100,)) + bytes(range(100)))
    corrupt = tmp_path / "corrupt.gz"
    corrupt.write_bytes(compressed[:10] + b"garbage" * 5)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(compressed[: len(compressed) // 2])
    for path in (corrupt, cut):
        with pytest.raises(ValueError, match="corrupt gzip") as info:
            read_idx(path)
        assert str(path) in str(info.value)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


@pytest.mark.parametrize(
    "array, message",
    [
        (np.arange(3, dtype=np.int64), "cannot hold dtype int64"),
        (np.array([1, "a"], dtype=object), "cannot hold dtype object"),
        (np.array(5, dtype=np.uint8), "1 to 255 dimensions"),
    ],
)
def test_write_refuses_what_idx_cannot_hold(tmp_path, array, message):
    with pytest.raises(ValueError, match=message):
        write_idx(tmp_path / "x", array)
    assert not os.path.exists(tmp_path / "x")


def test_decode_names_its_source():
    with pytest.raises(ValueError, match="^my-source: "):
        decode_idx(b"\x00", source="my-source")
