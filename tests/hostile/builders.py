"""Build hostile files byte by byte: zip archives with chosen headers, .npy headers that lie,
deflate bombs, gzip bombs, tampered checkpoints. Shared by the tests of this folder."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np

from bprop.io import META_KEY, save_arrays

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape, descr="<f4", fortran=False) -> bytes:
    """Only the .npy header (magic + dict) for a shape, which may be anything."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buffer.getvalue()


def meta_bytes(document_or_text) -> bytes:
    text = document_or_text if isinstance(document_or_text, str) else json.dumps(document_or_text)
    return npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))


def document(config=None, arrays=None, kind="model"):
    return {"format": "bprop", "kind": kind, "format_version": 1, "config": config or {},
            "arrays": arrays or {}}


class Member:
    """One zip member as written: name, the bytes stored, and what the headers claim."""

    def __init__(self, name, data=b"", *, method=0, flags=0, crc=None, file_size=None, stored=None):
        self.name = name
        self.stored = data if stored is None else stored  # bytes as they sit in the archive
        self.method, self.flags = method, flags
        self.crc = zlib.crc32(data) if crc is None else crc
        self.file_size = len(data) if file_size is None else file_size


def deflated(name, data, **changes) -> Member:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    stored = compressor.compress(data) + compressor.flush()
    return Member(name, data, method=8, stored=stored, **changes)


def zero_bomb(n_bytes: int, prefix: bytes = b"", chunk: int = 16 << 20) -> bytes:
    """A raw deflate stream of prefix + n_bytes zeros (a multiple of chunk), built without holding the zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + block * (n_bytes // chunk) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def write_zip(path, members) -> None:
    """A zip archive with exactly these members and headers (duplicates, flags, methods allowed)."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0, 0x21, m.crc,
                           len(m.stored), m.file_size, len(name), 0) + name + m.stored
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, m.flags, m.method, 0, 0x21, m.crc,
                               len(m.stored), m.file_size, len(name), 0, 0, 0, 0, 0, offset) + name
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out + central + eocd))


def model_members(config, arrays: dict, *, document_changes=None, declared=None):
    """Members of a bprop model file: metadata + arrays (declarations from the arrays unless given)."""
    decl = declared or {name: {"shape": list(np.shape(a)), "dtype": np.asarray(a).dtype.str}
                        for name, a in arrays.items()}
    doc = document(config, decl)
    doc.update(document_changes or {})
    return [Member(META_KEY + ".npy", meta_bytes(doc))] + [Member(f"{n}.npy", npy_bytes(a)) for n, a in arrays.items()]


def small_model_config(n_in=3, n_out=2, **dense_changes):
    layer = {"type": "dense", "n_in": n_in, "n_out": n_out, "activation": "sigmoid", "init": "normal",
             "train_biases": True, **dense_changes}
    return {"model_version": 1, "bprop_version": "0.1.0", "sizes": [n_in, n_out], "layers": [layer],
            "cost": "quadratic", "dtype": "float32", "regularizer": None}


def small_model_arrays(n_in=3, n_out=2):
    rng = np.random.default_rng(0)
    return {"layer0.weights": rng.standard_normal((n_out, n_in)).astype(np.float32),
            "layer0.biases": rng.standard_normal(n_out).astype(np.float32)}


def gzip_idx_bomb(path, n_images: int, extra_zero_bytes: int) -> None:
    """A gzipped IDX file: a header for n_images 28x28 images, then far more zero bytes than declared."""
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", n_images, 28, 28)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip wrapper
    chunk = 16 << 20
    block = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    # A gzip trailer with a wrong CRC: a reader that went that far would fail anyway.
    tail = compressor.flush()
    with open(path, "wb") as f:
        f.write(block + zeros * (extra_zero_bytes // chunk) + tail)


def rewrite_checkpoint(src, dst, change) -> None:
    """Load a checkpoint's arrays and config, let change(arrays, config) edit them, save as a valid container."""
    from bprop.io import load_arrays

    arrays, config = load_arrays(src, kind="checkpoint")
    arrays = {k: np.array(v) for k, v in arrays.items()}
    change(arrays, config)
    save_arrays(dst, arrays, config, kind="checkpoint")


def run_python(code: str, timeout: float = 60, env_extra=None):
    """Run code in a fresh interpreter; return (returncode, stdout, stderr). Raises TimeoutExpired on a hang."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.abspath(SRC), env.get("PYTHONPATH", "")]))
    env.update(env_extra or {})
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)
    return done.returncode, done.stdout, done.stderr


def run_cli(*args, timeout: float = 60):
    """Run 'python -m bprop ARGS'; return (returncode, stdout, stderr)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.abspath(SRC), env.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "bprop", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)
    return done.returncode, done.stdout, done.stderr


#: Runs inside a subprocess: measure the peak RSS (MiB) of a call, report its exception type and message.
#: The peak is VmHWM of this process's own address space (ru_maxrss would keep the parent's peak across exec).
MEASURE = """
import resource, sys, json
def peak_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def report(fn):
    error = None
    try:
        fn()
    except BaseException as e:
        error = [type(e).__name__, str(e)[:300], [c.__name__ for c in type(e).__mro__]]
    print(json.dumps({"peak_mib": peak_mib(), "error": error}))
"""
