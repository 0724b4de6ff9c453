"""The IDX file format (the format of the MNIST files), read and written with NumPy.

An IDX file is a 4-byte magic number, the dimensions, then the data::

    byte 0-1   0x00 0x00
    byte 2     type code (see _TYPE_CODES: 0x08 = unsigned byte, ...)
    byte 3     ndim, the number of dimensions
    then       ndim sizes, each a big-endian uint32
    then       prod(sizes) items of the type, big-endian, C (row-major) order

Files are often gzipped; :func:`read_idx` recognises gzip by its magic bytes
(``1f 8b``), not by the file name.  Every way a file can be malformed raises a
``ValueError`` that names the file.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

from bprop.io import FileFormatError, atomic_write, check_expansion, max_file_bytes, open_regular, read_limited

__all__ = ["read_idx", "read_idx_bytes", "decode_idx", "encode_idx", "write_idx"]

GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> big-endian NumPy dtype.
_TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}
# Native-order dtype -> IDX type code, for writing.
_CODE_OF_DTYPE: dict[np.dtype, int] = {
    dt.newbyteorder("="): code for code, dt in _TYPE_CODES.items()
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not, into a NumPy array.

    Returns:
        A writable array in native byte order with the file's shape and dtype
        (uint8 for MNIST images and labels; int8, int16, int32, float32 or
        float64 for the other IDX type codes).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: naming the file, for corrupt gzip data, a bad magic number,
            an unknown type code, or a data size that differs from the one the
            dimensions announce (truncated file or trailing bytes).
    """
    path = os.fspath(path)
    return decode_idx(read_idx_bytes(path), source=path)


def read_idx_bytes(path: str | os.PathLike, max_bytes: int | None = None) -> bytes | bytearray:
    """Return the bytes of an IDX file, decompressed if the file is gzipped.

    The MNIST digests are digests of these uncompressed bytes. Reading is bounded:
    only a regular file is opened (``bprop.io.open_regular``), and a gzipped file is
    decompressed only up to the size its IDX header declares (plus one byte, to
    notice trailing data), after checking that size against ``max_bytes`` (default
    ``bprop.io.max_file_bytes()``) and ``bprop.io.check_expansion`` (at most 20x the
    file's size beyond 16 MiB): a gzip bomb stops at its header.

    Raises:
        FileNotFoundError: no such file.
        ValueError (bprop.io.FileFormatError): not a regular file, corrupt gzip
            data, or a declared size beyond the limits.
    """
    path = os.fspath(path)
    limit = max_file_bytes() if max_bytes is None else max_bytes
    with open_regular(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if f.read(2) != GZIP_MAGIC:
            f.seek(0)
            return read_limited(f, limit, path, "the IDX file")
        f.seek(0)
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                return _read_idx_stream(stream, path, size, limit)
        except (OSError, EOFError, zlib.error) as error:
            raise FileFormatError(path, f"corrupt gzip data ({error})") from None


def _read_idx_stream(stream, path: str, size: int, limit: int) -> bytes | bytearray:
    """The decompressed IDX bytes, read no further than the header declares (+1 byte)."""
    head = stream.read(4)
    if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in _TYPE_CODES or head[3] == 0:
        return head  # decode_idx names the problem
    dims = stream.read(4 * head[3])
    header = head + dims
    if len(dims) < 4 * head[3]:
        return header
    shape = struct.unpack(f">{head[3]}I", dims)
    expected = len(header) + math.prod(shape) * _TYPE_CODES[head[2]].itemsize
    check_expansion(path, expected, size, limit)
    data = bytearray(expected)
    data[: len(header)] = header
    view, got = memoryview(data), len(header)
    while got < expected:
        chunk = stream.read(min(1 << 20, expected - got))
        if not chunk:
            return data[:got]  # truncated: decode_idx says so
        view[got : got + len(chunk)] = chunk
        got += len(chunk)
    if stream.read(1):
        return data + b"\x00"  # trailing bytes: decode_idx says so, without reading them all
    return data


def decode_idx(data: bytes, *, source: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed IDX bytes; ``source`` names the data in error messages."""
    if len(data) < 4:
        raise FileFormatError(source, f"not an IDX file (only {len(data)} bytes, the header alone is 4)"
        )
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise FileFormatError(source, f"not an IDX file (magic number starts with "
            f"0x{zero0:02x} 0x{zero1:02x}, expected 0x00 0x00)"
        )
    if code not in _TYPE_CODES:
        known = ", ".join(f"0x{c:02x}" for c in _TYPE_CODES)
        raise FileFormatError(source, f"unknown IDX type code 0x{code:02x} (known: {known})")
    if ndim == 0:
        raise FileFormatError(source, f"IDX header declares 0 dimensions")

    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise FileFormatError(source, f"truncated IDX header (expected {header_size} bytes for "
            f"{ndim} dimensions, file has {len(data)})"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = _TYPE_CODES[code]

    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "trailing bytes after the data"
        raise FileFormatError(source, f"{problem}: shape {shape} of {dtype.newbyteorder('=')} needs "
            f"{expected} bytes, file has {len(data)}"
        )
    items = np.frombuffer(data, dtype=dtype, offset=header_size, count=math.prod(shape))
    return items.reshape(shape).astype(dtype.newbyteorder("="))  # copy: writable, native order


def encode_idx(array: np.ndarray) -> bytes:
    """Return the IDX bytes of ``array`` (uncompressed).

    Raises:
        ValueError: the array is 0-d, has more than 255 dimensions, a size above
            2**32 - 1, or a dtype IDX cannot hold (it holds uint8, int8, int16,
            int32, float32, float64; cast first, e.g. ``labels.astype(np.uint8)``).
    """
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder("=")
    if dtype not in _CODE_OF_DTYPE:
        names = ", ".join(str(dt) for dt in _CODE_OF_DTYPE)
        raise ValueError(f"IDX cannot hold dtype {array.dtype}; supported: {names}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got an array with {array.ndim}")
    if max(array.shape) > 0xFFFFFFFF:
        raise ValueError(f"IDX sizes must fit in 32 bits, got shape {array.shape}")

    code = _CODE_OF_DTYPE[dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=_TYPE_CODES[code]).tobytes()
    return header + body


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool = False) -> None:
    """Write ``array`` to ``path`` as an IDX file, gzipped when ``compress`` is true.

    The file is written atomically (a temporary file renamed into place).  The
    name is used as given: ``compress=True`` does not append ``.gz``.  See
    :func:`encode_idx` for the arrays accepted.
    """
    data = encode_idx(array)
    if compress:
        data = gzip.compress(data, mtime=0)  # mtime=0: same array, same bytes
    atomic_write(path, lambda f: f.write(data))
