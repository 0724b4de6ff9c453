"""Safe files: atomic writes and a pickle-free container for named arrays.

A bprop file is an ordinary NumPy ``.npz`` archive (a zip of ``.npy`` members)
that anyone can open with ``np.load(path, allow_pickle=False)``.  Besides the
named arrays it holds one reserved member, ``__bprop__``: a UTF-8 JSON document
stored as a 1-D ``uint8`` array::

    {
      "format": "bprop",
      "kind": "model",              # or "checkpoint", ...
      "format_version": 1,
      "config": {...},              # plain JSON chosen by the caller
      "arrays": {"w0": {"shape": [30, 784], "dtype": "<f4"}, ...}
    }

Loading checks every part of that document against the archive, so a foreign,
truncated, tampered or newer file is refused with a ``ValueError`` that names the
path and the problem.  Nothing is ever unpickled: object arrays are refused when
saving and ``allow_pickle=False`` is used when loading.

Writes are atomic: the data go to a temporary file in the destination folder,
which is flushed, fsync'ed and then renamed over the destination with
``os.replace``.  A crash or an exception mid-write leaves the old file untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

import numpy as np

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "META_KEY",
    "atomic_open",
    "atomic_write",
    "load_arrays",
    "save_arrays",
]

FORMAT_NAME = "bprop"
FORMAT_VERSION = 1
META_KEY = "__bprop__"

# Array kinds a bprop file may hold: bool, signed/unsigned int, float, complex.
_ALLOWED_DTYPE_KINDS = "biufc"

# Errors raised by zipfile / zlib / numpy when the bytes of an archive are bad.
_CORRUPTION_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


# --------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open ``path`` for writing so that it is replaced all at once, or not at all.

    Yields a file object on a temporary file created next to ``path`` (same folder,
    so the final rename never crosses file systems).  When the ``with`` block ends
    normally the temporary file is flushed, fsync'ed and renamed over ``path``
    with ``os.replace``.  When the block raises, the temporary file is deleted,
    ``path`` is left exactly as it was, and the exception propagates.

    Args:
        path: destination file.  Its folder must exist.
        mode: ``"wb"`` (binary, the default) or ``"w"`` (text, UTF-8).

    Example:
        >>> with atomic_open("weights.bin") as f:      # doctest: +SKIP
        ...     f.write(data)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)

    fd, tmp_path = _create_temp_file(folder, name)
    try:
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        _remove_quietly(tmp_path)
        raise

    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        _remove_quietly(tmp_path)
        raise
    _fsync_folder(folder)


def atomic_write(path: str | os.PathLike, write_fn: Callable[[IO[bytes]], Any]) -> None:
    """Call ``write_fn(f)`` on a binary file that atomically replaces ``path``.

    Same guarantees as :func:`atomic_open`: if ``write_fn`` raises, ``path`` is
    untouched and no temporary file is left behind.
    """
    with atomic_open(path, "wb") as f:
        write_fn(f)


def _create_temp_file(folder: str, name: str) -> tuple[int, str]:
    """Create a new, empty, hidden temporary file in ``folder``; return (fd, path).

    ``os.open`` with mode 0o666 lets the process umask decide the permissions, so
    the final file gets the same permissions an ordinary ``open(path, "wb")``
    would have given it (``tempfile.mkstemp`` would force 0o600).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp_path = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp_path, flags, 0o666), tmp_path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file for {name!r} in {folder}")


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _fsync_folder(folder: str) -> None:
    """Make the rename durable on POSIX; a no-op where folders cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------


def save_arrays(
    path: str | os.PathLike,
    arrays: Mapping[str, np.ndarray],
    config: Mapping[str, Any],
    *,
    kind: str,
) -> None:
    """Write named arrays and a JSON config to one ``.npz`` file, atomically.

    Args:
        path: destination, used exactly as given (no ``.npz`` is appended).
        arrays: name -> array.  Any shape; dtype bool, int, uint, float or
            complex.  Stored bit for bit with their dtype (byte order included).
        config: plain JSON data (dict, list, str, int, float, bool, None).
            NumPy scalars are converted with ``.item()``; tuples come back as lists.
            Python ints of any size survive (e.g. a PCG64 ``bit_generator.state``).
        kind: what the file holds, e.g. ``"model"`` or ``"checkpoint"``;
            :func:`load_arrays` refuses a file of another kind.

    Raises:
        ValueError: an array name is empty or reserved, an array has an object,
            string or structured dtype, or the config is not JSON-serialisable.
    """
    _check_kind(kind)
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")

    checked: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        checked[name] = _check_array(name, value)

    document = {
        "format": FORMAT_NAME,
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "config": dict(config),
        "arrays": {
            name: {"shape": list(a.shape), "dtype": a.dtype.str}
            for name, a in checked.items()
        },
    }
    try:
        text = json.dumps(document, default=_json_default, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"config is not JSON-serialisable: {error}") from error
    meta = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    def write(f: IO[bytes]) -> None:
        # The layout np.savez produces, written member by member so that no
        # array name can clash with a keyword of np.savez and pickling is off.
        with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED) as archive:
            for name, a in [(META_KEY, meta), *checked.items()]:
                with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                    np.lib.format.write_array(member, a, allow_pickle=False)

    atomic_write(path, write)


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"kind must be a non-empty string, got {kind!r}")


def _check_array(name: str, value: Any) -> np.ndarray:
    if not isinstance(name, str) or not name:
        raise ValueError(f"array names must be non-empty strings, got {name!r}")
    if name == META_KEY:
        raise ValueError(f"array name {META_KEY!r} is reserved for the file's metadata")
    a = np.asarray(value)
    if a.dtype.kind not in _ALLOWED_DTYPE_KINDS:
        raise ValueError(
            f"array {name!r} has dtype {a.dtype}, which is not numeric; "
            "only bool, integer, float and complex arrays can be saved (no pickling)"
        )
    return a


def _json_default(value: Any) -> Any:
    """Let NumPy scalars (np.float64(0.5), np.int64(3), ...) into the config."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} {value!r} is not a JSON type")


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def load_arrays(path: str | os.PathLike, *, kind: str) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save_arrays`; return ``(arrays, config)``.

    ``arrays`` maps each name to its array, in the order they were saved, with the
    saved shape and dtype; ``config`` is the JSON config as a dict.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: naming ``path``, when the file is not a zip/.npz archive, is
            truncated or corrupt, is a foreign .npz (no ``__bprop__`` member), was
            saved with another ``kind`` or by a newer bprop (format version), or
            its arrays do not match the shapes and dtypes it declares.
    """
    _check_kind(kind)
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(4)

    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK"):
            raise ValueError(f"{path}: truncated or corrupt bprop file (broken zip archive)")
        raise ValueError(f"{path}: not a bprop file (not a zip/.npz archive)")

    try:
        npz = np.load(path, allow_pickle=False)
    except _CORRUPTION_ERRORS as error:
        raise ValueError(f"{path}: truncated or corrupt bprop file ({error})") from error

    with npz:
        if META_KEY not in npz.files:
            raise ValueError(
                f"{path}: not a bprop file (a .npz archive without the {META_KEY!r} "
                f"metadata member; it holds {sorted(npz.files)})"
            )
        document = _parse_metadata(path, _read_member(path, npz, META_KEY))
        _check_document(path, document, kind)

        declared = document["arrays"]
        undeclared = sorted(set(npz.files) - set(declared) - {META_KEY})
        if undeclared:
            raise ValueError(f"{path}: holds arrays its metadata does not declare: {undeclared}")

        arrays: dict[str, np.ndarray] = {}
        for name, spec in declared.items():
            if name not in npz.files:
                raise ValueError(f"{path}: declared array {name!r} is missing from the file")
            a = _read_member(path, npz, name)
            if list(a.shape) != spec["shape"] or a.dtype.str != spec["dtype"]:
                raise ValueError(
                    f"{path}: array {name!r} has shape {list(a.shape)} and dtype "
                    f"{a.dtype.str!r}, but the metadata declares shape {spec['shape']} "
                    f"and dtype {spec['dtype']!r}"
                )
            arrays[name] = a
    return arrays, document["config"]


def _read_member(path: str, npz: Any, name: str) -> np.ndarray:
    try:
        return npz[name]
    except _CORRUPTION_ERRORS as error:
        raise ValueError(
            f"{path}: truncated or corrupt bprop file (cannot read {name!r}: {error})"
        ) from error


def _parse_metadata(path: str, meta: np.ndarray) -> dict:
    if meta.dtype != np.uint8 or meta.ndim != 1:
        raise ValueError(
            f"{path}: corrupt metadata ({META_KEY!r} must be a 1-D uint8 array, "
            f"got dtype {meta.dtype} and shape {meta.shape})"
        )
    try:
        document = json.loads(meta.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: corrupt metadata (not UTF-8 JSON: {error})") from error
    if not isinstance(document, dict):
        raise ValueError(f"{path}: corrupt metadata (expected a JSON object)")
    return document


def _check_document(path: str, document: dict, kind: str) -> None:
    """Validate the metadata document; raise ValueError naming what is wrong."""
    if document.get("format") != FORMAT_NAME:
        raise ValueError(
            f"{path}: not a bprop file (metadata format is {document.get('format')!r}, "
            f"expected {FORMAT_NAME!r})"
        )

    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{path}: corrupt metadata (invalid format_version {version!r})")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path}: written by a newer bprop (format version {version}); this "
            f"version reads format version {FORMAT_VERSION} or older, please upgrade bprop"
        )

    found_kind = document.get("kind")
    if found_kind != kind:
        raise ValueError(f"{path}: this file holds a {found_kind!r}, expected a {kind!r}")

    if not isinstance(document.get("config"), dict):
        raise ValueError(f"{path}: corrupt metadata (config must be a JSON object)")

    declared = document.get("arrays")
    if not isinstance(declared, dict):
        raise ValueError(f"{path}: corrupt metadata (arrays must be a JSON object)")
    for name, spec in declared.items():
        valid = (
            isinstance(spec, dict)
            and isinstance(spec.get("shape"), list)
            and all(isinstance(n, int) and n >= 0 for n in spec["shape"])
            and isinstance(spec.get("dtype"), str)
        )
        if not valid:
            raise ValueError(
                f"{path}: corrupt metadata (bad declaration for array {name!r}: {spec!r})"
            )
