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

Every file is untrusted.  Loading checks every part of that document against
the archive, so a foreign, truncated, tampered, hostile or newer file is refused
with a :class:`FileFormatError` (a ``ValueError``) that names the path and the
problem.  Nothing is ever unpickled: object arrays are refused when saving, and
loading parses the zip directory and each ``.npy`` header itself (never
``np.load``), refusing object, structured and string dtypes.

Reads are bounded, in this order, before any array is decompressed:

* only regular files are opened (:func:`open_regular`: a named pipe, device such
  as ``/dev/zero`` or directory is refused without blocking);
* the zip directory: no encrypted member (flag bit 0), compression "stored" or
  "deflated" only, no duplicated or non-``.npy`` member, and the declared sizes
  add up to at most :func:`max_file_bytes` (default 4 GiB, override with the
  environment variable ``BPROP_MAX_FILE_BYTES`` or ``max_bytes=``) and to at
  most ``MAX_EXPANSION`` times the file's size (compressed data beyond that is a
  zip bomb; bprop writes members uncompressed);
* the metadata member is at most ``MAX_METADATA_BYTES`` (and, when compressed, at
  most ``COMPRESSED_METADATA_FLOOR`` or its stored size: parsed JSON takes about ten
  times its text) and its JSON is nested at most ``MAX_JSON_DEPTH`` levels;
* each ``.npy`` header's shape times its item size must equal the member's
  declared size and the shape and dtype declared in the metadata; callers can
  check the config against those shapes (``check=``) before any data is read;
* data are read in bounded chunks and the CRC-32 is checked.

Before a long job, :func:`check_writable` tells whether its output can be written
(the folder exists and is writable; the path is no folder, device or write-protected
file), naming the path as the user gave it. Every error of a save names that path too,
never the temporary file.

Writes are atomic: the data go to a temporary file in the destination folder,
which is flushed, fsync'ed and then renamed over the destination with
``os.replace``.  A crash or an exception mid-write leaves the old file untouched.
Saving respects the destination: a symbolic link is followed (the file it
points to is replaced and the link kept), a file without write permission is
refused with ``PermissionError`` (even for root, when no write bit is set), a
replaced file keeps its permission bits, and temporary files a killed writer
left behind for the same destination are removed on the next save.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import stat
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

import numpy as np

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "META_KEY",
    "FileFormatError",
    "atomic_open",
    "atomic_write",
    "check_expansion",
    "check_writable",
    "load_arrays",
    "load_npy",
    "load_npz",
    "max_file_bytes",
    "open_regular",
    "parse_json",
    "read_limited",
    "read_text",
    "save_arrays",
]

FORMAT_NAME = "bprop"
FORMAT_VERSION = 1
META_KEY = "__bprop__"

# Array kinds a bprop file may hold: bool, signed/unsigned int, float, complex.
_ALLOWED_DTYPE_KINDS = "biufc"

# Errors raised by zipfile / zlib / numpy when the bytes of an archive are bad.
_CORRUPTION_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)

#: Default cap on the bytes one file may decode to (4 GiB); see :func:`max_file_bytes`.
DEFAULT_MAX_FILE_BYTES = 4 << 30
#: Environment variable that overrides :data:`DEFAULT_MAX_FILE_BYTES` (a number of bytes).
MAX_FILE_BYTES_ENV = "BPROP_MAX_FILE_BYTES"
#: Compressed data may decode to at most this many times the file's size ...
MAX_EXPANSION = 20
#: ... or to this many bytes, whichever is larger (a small file of zeros is fine).
EXPANSION_FLOOR = 16 << 20
#: The JSON metadata of a bprop file (and a history file) is at most this large.
MAX_METADATA_BYTES = 64 << 20
#: Compressed (deflated) metadata may decode to at most this, or to its stored size (bprop stores it).
COMPRESSED_METADATA_FLOOR = 1 << 20
#: JSON documents nested deeper than this are refused before they are parsed.
MAX_JSON_DEPTH = 64
#: Bytes read at a time from a member or a compressed stream.
CHUNK_BYTES = 1 << 20
#: Compression methods a bprop file may use (bprop itself writes ZIP_STORED).
_COMPRESSIONS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
#: A temporary file left by a writer without a lock this old (seconds) is stale even when empty.
STALE_EMPTY_SECONDS = 60


class FileFormatError(ValueError):
    """A file bprop reads is not what it should be: names the file and the problem.

    A ``ValueError``, so ``except ValueError`` keeps working; the command line turns
    it into one line on stderr and exit status 2.

    Attributes:
        path: the file (a string), or None for data without a file.
        problem: what is wrong, in words.
    """

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        super().__init__(problem if self.path is None else f"{self.path}: {problem}")


def max_file_bytes() -> int:
    """The most bytes one file may decode to: ``$BPROP_MAX_FILE_BYTES`` or 4 GiB.

    Raises:
        ValueError: the environment variable is set but is not a positive integer.
    """
    text = os.environ.get(MAX_FILE_BYTES_ENV)
    if not text:
        return DEFAULT_MAX_FILE_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"${MAX_FILE_BYTES_ENV} must be a positive number of bytes, got {text!r}")
    return value


# --------------------------------------------------------------------------
# Reading: regular files only, bounded
# --------------------------------------------------------------------------


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def open_regular(path: str | os.PathLike, mode: str = "rb", *, encoding: str | None = None) -> IO:
    """Open an existing regular file for reading, without ever blocking.

    The file is opened with ``O_NONBLOCK`` (so a named pipe with no writer cannot
    hang ``open``) and checked with ``fstat`` on the open descriptor (no race
    between the check and the read).  Named pipes, devices such as ``/dev/zero``
    or ``/dev/urandom``, sockets and directories are refused.

    Args:
        path: the file.
        mode: ``"rb"`` (default) or ``"r"`` (text; ``encoding`` default UTF-8).

    Raises:
        FileNotFoundError, PermissionError: as ``open`` raises them.
        FileFormatError: ``path`` is not a regular file.
    """
    if mode not in ("rb", "r"):
        raise ValueError(f"open_regular: mode must be 'rb' or 'r', got {mode!r}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise FileFormatError(path, "not a regular file (a directory)") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileFormatError(path, f"not a regular file ({_file_kind(info.st_mode)})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        if mode == "rb":
            return os.fdopen(fd, "rb")
        return os.fdopen(fd, "r", encoding=encoding or "utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise


def read_limited(f: IO[bytes], limit: int, path: str | os.PathLike, what: str = "the file") -> bytes:
    """Read ``f`` to its end, refusing more than ``limit`` bytes (FileFormatError)."""
    data = f.read(limit + 1)
    if len(data) > limit:
        raise FileFormatError(path, f"{what} is larger than {limit:,} bytes, the most bprop reads")
    return data


def read_text(path: str | os.PathLike, limit: int, what: str = "text file") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    Raises:
        FileNotFoundError: no such file.
        FileFormatError: not a regular file, too large, or not UTF-8 (with the
            position of the first bad byte and a hint).
    """
    with open_regular(path, "rb") as f:
        data = read_limited(f, limit, path, f"the {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start:error.start + 1].hex()
        encoding = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise FileFormatError(path, f"the {what} is not UTF-8 text: byte 0x{bad} at position {error.start}"
                                    f"{encoding}; save it as UTF-8") from None


def check_expansion(path: str | os.PathLike, decoded: int, stored: int, limit: int | None = None) -> None:
    """Refuse data declared to decode to more than the limits allow (a decompression bomb).

    ``decoded`` bytes may not exceed ``limit`` (default :func:`max_file_bytes`),
    nor ``max(EXPANSION_FLOOR, MAX_EXPANSION * stored)`` where ``stored`` is the
    file's size: so a file under 10 MB never makes bprop allocate more than 200 MB.
    """
    limit = max_file_bytes() if limit is None else limit
    if decoded > limit:
        raise FileFormatError(path, f"declares {decoded:,} bytes of data, more than the limit of {limit:,} "
                                    f"(raise it with ${MAX_FILE_BYTES_ENV} if the file is trusted)")
    ceiling = max(EXPANSION_FLOOR, MAX_EXPANSION * stored)
    if decoded > ceiling:
        raise FileFormatError(path, f"declares {decoded:,} bytes of data in a file of {stored:,} bytes: more than "
                                    f"{MAX_EXPANSION}x compression, refused as a decompression bomb")


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in a JSON text (strings skipped), without recursion.

    Counted a chunk at a time, so the extra memory is a few MiB whatever the text's size.
    """
    data = re.sub(r'"(?:[^"\\]|\\.)*"', "", text).encode("utf-8", "replace")
    depth = deepest = 0
    for start in range(0, len(data), CHUNK_BYTES):
        codes = np.frombuffer(data, dtype=np.uint8, count=min(CHUNK_BYTES, len(data) - start), offset=start)
        steps = ((codes == ord("[")) | (codes == ord("{"))).astype(np.int64)
        steps -= (codes == ord("]")) | (codes == ord("}"))
        levels = np.cumsum(steps)
        deepest = max(deepest, depth + int(levels.max()))
        depth += int(levels[-1])
    return deepest


def parse_json(text: str, source: str | os.PathLike | None, what: str = "JSON",
               max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` with a nesting limit checked first (no RecursionError, no deep recursion).

    Raises:
        FileFormatError: naming ``source``, for nesting deeper than ``max_depth`` or
            text that is not JSON.
    """
    depth = json_depth(text)
    if depth > max_depth:
        raise FileFormatError(source, f"{what} nested {depth} levels deep; bprop reads at most {max_depth}")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError) as error:
        raise FileFormatError(source, f"not {what} ({error})") from None


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
    given = os.fspath(path)
    check_writable(given, probe=False)  # the temporary file below is the probe
    path = _write_target(given)
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    replaced = _check_destination(path)
    _remove_stale_temp_files(folder, name)

    with _naming(given):
        fd, tmp_path = _create_temp_file(folder, name)
    lock = _lock_temp_file(fd)  # held until the rename: marks the temporary file as live
    try:
        if replaced is not None:
            os.chmod(tmp_path, stat.S_IMODE(replaced.st_mode))  # keep the replaced file's mode
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        _remove_quietly(tmp_path)
        _unlock(lock)
        raise

    try:
        with _naming(given, tmp_path):
            with f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, path)
    except BaseException:
        _remove_quietly(tmp_path)
        raise
    finally:
        _unlock(lock)
    _fsync_folder(folder)


@contextlib.contextmanager
def _naming(path: str, temporary: str | None = None) -> Iterator[None]:
    """An OSError of the temporary file (creating it, a full disk, the rename) names the user's
    ``path`` instead; with ``temporary`` given, errors that name another file pass through."""
    try:
        yield
    except OSError as error:
        if error.errno is None or (temporary is not None and error.filename not in (None, temporary)):
            raise
        raise type(error)(error.errno, f"cannot write {path}: {error.strerror}") from None


class OutputPathError(ValueError):
    """A file cannot be written where the user asked (found before any work).

    Attributes:
        path: the path as given.
        problem: what is wrong, in words.
    """

    def __init__(self, path: str, problem: str, what: str | None = None):
        self.path, self.problem = path, problem
        super().__init__(f"cannot write {what + ' ' if what else ''}{path}: {problem}")


def check_writable(path: str | os.PathLike, what: str | None = None, *, probe: bool = True) -> None:
    """Check, before any work, that a save to ``path`` can happen: its folder exists and is a
    writable folder, and ``path`` is not a folder, a device or a write-protected file.

    ``probe``: also create (and at once remove) a temporary file in the folder, since
    ``os.access`` can say yes where a save fails (root on /proc, some network and FUSE
    file systems); ``atomic_open``, which creates its file at once, passes False.

    Call it for every output a long job will write at its end (``bprop train --save``,
    ``--history``, ``--checkpoint``, ``-o``), so that a typo fails at once rather than
    after the work. A symbolic link is checked where it points (saves follow it).

    Args:
        path: the file to be written.
        what: how the user named it, e.g. "--save"; starts the message.

    Raises:
        OutputPathError (a ValueError): the folder is missing, not a folder or not
            writable, or ``path`` is a folder; names ``path`` as given.
        FileFormatError: ``path`` exists and is not a regular file (a device, a pipe).
        PermissionError: ``path`` is a write-protected file.
    """
    given = os.fspath(path)
    if not given:
        raise OutputPathError(given, "the path is empty", what)
    target = _write_target(given)
    folder = os.path.dirname(os.path.abspath(target))
    if os.path.isdir(target):
        raise OutputPathError(given, "it is a folder; give a file path (a folder is not a regular file)", what)
    if not os.path.exists(folder):
        raise OutputPathError(given, f"the folder {folder} does not exist", what)
    if not os.path.isdir(folder):
        raise OutputPathError(given, f"{folder} is not a folder", what)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(given, f"the folder {folder} is not writable", what)
    _check_destination(target)
    if probe:
        try:
            fd, tmp_path = _create_temp_file(folder, os.path.basename(target))
        except OSError as error:
            raise OutputPathError(given, f"the folder {folder} does not take new files "
                                         f"({(error.strerror or str(error)).lower()})", what) from None
        os.close(fd)
        _remove_quietly(tmp_path)


def _write_target(path: str) -> str:
    """Where a save to ``path`` writes: the file a symbolic link points to (links are followed)."""
    return os.path.realpath(path) if os.path.islink(path) else path


def _check_destination(path: str) -> os.stat_result | None:
    """Refuse to replace what ``open(path, "wb")`` would refuse; return the replaced file's stat."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise FileFormatError(path, f"cannot save here: not a regular file ({_file_kind(info.st_mode)})")
    # os.access answers for this user; a file with no write bit at all is refused even for root.
    if not os.access(path, os.W_OK) or not info.st_mode & 0o222:
        raise PermissionError(13, "cannot replace a write-protected file (chmod u+w it to allow saving)", path)
    return info


def _lock_temp_file(fd: int) -> int | None:
    """Take an exclusive flock on the temporary file through a second descriptor; None without fcntl."""
    try:
        import fcntl
    except ImportError:  # Windows: no stale-file detection
        return None
    lock = os.dup(fd)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return None
    return lock


def _unlock(lock: int | None) -> None:
    if lock is not None:
        with contextlib.suppress(OSError):
            os.close(lock)


def _remove_stale_temp_files(folder: str, name: str) -> None:
    """Delete ``.NAME.<8 hex>.tmp`` files in ``folder`` that no live writer holds.

    A writer holds an flock on its temporary file until the rename; a killed one
    loses it. A file without the lock is stale when it has data, or when empty and
    older than ``STALE_EMPTY_SECONDS`` (a writer may be between creating and locking).
    """
    try:
        import fcntl
    except ImportError:
        return
    pattern = re.compile(r"\." + re.escape(name) + r"\.[0-9a-f]{8}\.tmp")
    try:
        entries = [entry for entry in os.scandir(folder) if pattern.fullmatch(entry.name)]
    except OSError:
        return
    for entry in entries:
        try:
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if info.st_size > 0 or time.time() - info.st_mtime > STALE_EMPTY_SECONDS:
                _remove_quietly(entry.path)
        except OSError:
            continue  # locked: a live writer
        finally:
            os.close(fd)


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


def load_arrays(
    path: str | os.PathLike,
    *,
    kind: str,
    check: Callable[[dict, dict[str, tuple[tuple[int, ...], np.dtype]]], None] | None = None,
    max_bytes: int | None = None,
) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save_arrays`; return ``(arrays, config)``.

    ``arrays`` maps each name to its array, in the order they were saved, with the
    saved shape and dtype; ``config`` is the JSON config as a dict.

    Args:
        path: the file; only a regular file is read.
        kind: the kind the file must hold ("model", "checkpoint", ...).
        check: called as ``check(config, {name: (shape, dtype)})`` once the zip
            directory, the metadata and every ``.npy`` header are read and agree,
            but before any array data is read; it raises ``ValueError`` to refuse
            the file (e.g. a config whose layer sizes the arrays do not match).
        max_bytes: the most bytes the arrays may take (default :func:`max_file_bytes`).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        FileFormatError (a ValueError), naming ``path``: not a regular file; not a
            zip/.npz archive; truncated or corrupt; encrypted members, unknown
            compression, duplicated or non-.npy members; sizes beyond the limits
            (see the module docstring); a foreign .npz (no ``__bprop__`` member);
            metadata that is not UTF-8 JSON or nested too deep; saved with another
            ``kind`` or by a newer bprop (format version); arrays that do not match
            the shapes and dtypes the metadata declares; or whatever ``check`` refuses.
    """
    _check_kind(kind)
    path = os.fspath(path)
    limit = max_file_bytes() if max_bytes is None else max_bytes
    with open_regular(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(4)
        f.seek(0)
        if not head.startswith(b"PK"):
            raise FileFormatError(path, "not a bprop file (not a zip/.npz archive)")
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
            raise FileFormatError(path, f"truncated or corrupt bprop file (broken zip archive: {error})") from None
        with archive:
            return _load_archive(path, archive, size, kind, check, limit)


def _load_archive(path, archive, size, kind, check, limit):
    members = _check_directory(path, archive, size, limit)
    if META_KEY not in members:
        raise FileFormatError(
            path,
            f"not a bprop file (a .npz archive without the {META_KEY!r} metadata member; "
            f"it holds {sorted(members)[:20]})",
        )

    meta_info = members[META_KEY]
    with _open_member(path, archive, meta_info) as fp:
        shape, dtype, fortran = _read_member_header(path, META_KEY, fp, meta_info)
        if dtype != np.uint8 or len(shape) != 1:
            raise FileFormatError(path, f"corrupt metadata ({META_KEY!r} must be a 1-D uint8 array, "
                                        f"got dtype {dtype} and shape {shape})")
        if shape[0] > MAX_METADATA_BYTES:
            raise FileFormatError(path, f"metadata of {shape[0]:,} bytes; bprop reads at most {MAX_METADATA_BYTES:,}")
        if meta_info.compress_type != zipfile.ZIP_STORED and meta_info.file_size > max(
                COMPRESSED_METADATA_FLOOR, meta_info.compress_size):
            # Parsed JSON takes ~10x its text in memory: compressed metadata may not amplify the file.
            raise FileFormatError(path, f"compressed metadata of {meta_info.file_size:,} bytes (stored in "
                                        f"{meta_info.compress_size:,}); bprop reads compressed metadata up to "
                                        f"{COMPRESSED_METADATA_FLOOR:,} bytes")
        meta = _read_member_data(path, META_KEY, fp, shape, dtype, fortran)
    document = _parse_metadata(path, meta)
    _check_document(path, document, kind)

    declared = document["arrays"]
    undeclared = sorted(set(members) - set(declared) - {META_KEY})
    if undeclared:
        raise FileFormatError(path, f"holds arrays its metadata does not declare: {undeclared[:20]}")

    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for name, spec in declared.items():
        if name not in members:
            raise FileFormatError(path, f"declared array {name!r} is missing from the file")
        with _open_member(path, archive, members[name]) as fp:
            shape, dtype, _ = _read_member_header(path, name, fp, members[name])
        if list(shape) != spec["shape"] or dtype.str != spec["dtype"]:
            raise FileFormatError(
                path,
                f"array {name!r} has shape {list(shape)} and dtype {dtype.str!r}, but the metadata "
                f"declares shape {spec['shape']} and dtype {spec['dtype']!r}",
            )
        headers[name] = (shape, dtype)

    if check is not None:
        try:
            check(document["config"], dict(headers))
        except FileFormatError:
            raise
        except ValueError as error:
            raise FileFormatError(path, str(error)) from None

    arrays: dict[str, np.ndarray] = {}
    for name in declared:
        with _open_member(path, archive, members[name]) as fp:
            shape, dtype, fortran = _read_member_header(path, name, fp, members[name])
            arrays[name] = _read_member_data(path, name, fp, shape, dtype, fortran)
    return arrays, document["config"]


def _check_directory(path: str, archive: zipfile.ZipFile, size: int, limit: int) -> dict[str, zipfile.ZipInfo]:
    """Check the zip's central directory; return {array name: ZipInfo}. Nothing is decompressed."""
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        member = info.filename
        if not member.endswith(".npy") or len(member) == 4:
            raise FileFormatError(path, f"not a bprop file (member {member[:100]!r} is not a .npy array)")
        name = member[:-4]
        if name in members:
            raise FileFormatError(path, f"corrupt bprop file (member {member[:100]!r} appears twice)")
        if info.flag_bits & 0x1:
            raise FileFormatError(path, f"member {member[:100]!r} is encrypted; bprop files are never encrypted")
        if info.compress_type not in _COMPRESSIONS:
            raise FileFormatError(path, f"member {member[:100]!r} uses zip compression method {info.compress_type}; "
                                        "bprop reads stored or deflated members only")
        if info.compress_size > size or (info.compress_type == zipfile.ZIP_STORED
                                         and info.file_size != info.compress_size):
            raise FileFormatError(path, f"truncated or corrupt bprop file (member {member[:100]!r} declares "
                                        f"{info.file_size:,} bytes, stored in {info.compress_size:,}, in a file "
                                        f"of {size:,} bytes)")
        total += info.file_size
        members[name] = info
    check_expansion(path, total, size, limit)
    return members


def error_text(error: BaseException) -> str:
    """An exception's message on one line, or what it means when it has none (zipfile raises a bare
    EOFError for a member whose compressed data ends early)."""
    text = " ".join(str(error).split())
    return text or ("the data ends early" if isinstance(error, EOFError) else type(error).__name__)


@contextlib.contextmanager
def _open_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    try:
        fp = archive.open(info)
    except (*_CORRUPTION_ERRORS, RuntimeError, NotImplementedError) as error:
        raise FileFormatError(path, f"truncated or corrupt bprop file (cannot open {info.filename[:100]!r}: "
                                    f"{error_text(error)})") from None
    with fp:
        yield fp


def _read_npy_header(source: str, fp: IO[bytes], what: str) -> tuple[tuple[int, ...], np.dtype, bool]:
    """Parse a .npy header from ``fp``; return (shape, dtype, fortran_order). Refuses non-numeric dtypes."""
    fmt = np.lib.format
    try:
        major, minor = fmt.read_magic(fp)
        if (major, minor) == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp)
        elif (major, minor) in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unknown .npy version {major}.{minor}")
    except (*_CORRUPTION_ERRORS, SyntaxError, TypeError, RecursionError, MemoryError, OverflowError) as error:
        if isinstance(error, (zipfile.BadZipFile, zlib.error, EOFError, OSError)):
            raise FileFormatError(source, f"truncated or corrupt file ({what}: {error_text(error)[:200]})") from None
        # NumPy's text would suggest allow_pickle; say what is wrong instead.
        detail = str(error) if isinstance(error, ValueError) and "pickle" not in str(error) else type(error).__name__
        raise FileFormatError(source, f"{what} is not a valid .npy array (bad header: {detail[:200]})") from None
    dtype = np.dtype(dtype)
    if dtype.kind not in _ALLOWED_DTYPE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
        raise FileFormatError(source, f"{what} has dtype {dtype.str!r}; only bool, integer, float and complex "
                                      "arrays are read (no pickled objects)")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise FileFormatError(source, f"{what} has an invalid shape {shape!r}")
    return tuple(shape), dtype, bool(fortran)


def _read_member_header(path: str, name: str, fp, info: zipfile.ZipInfo):
    shape, dtype, fortran = _read_npy_header(path, fp, f"member {name[:100]!r}")
    need = math.prod(shape) * dtype.itemsize
    have = info.file_size - fp.tell()
    if need != have:
        raise FileFormatError(path, f"truncated or corrupt bprop file (member {name[:100]!r}: its header's shape "
                                    f"{list(shape) if len(shape) < 10 else '[...]'} needs {need:,} bytes of data, "
                                    f"the member holds {have:,})")
    return shape, dtype, fortran


def _read_exactly(fp: IO[bytes], n: int) -> bytearray | None:
    """Read exactly n bytes in chunks into one buffer; None when the stream ends early."""
    buffer = bytearray(n)
    view = memoryview(buffer)
    got = 0
    while got < n:
        chunk = fp.read(min(CHUNK_BYTES, n - got))
        if not chunk:
            return None
        view[got:got + len(chunk)] = chunk
        got += len(chunk)
    return buffer


def _read_member_data(path: str, name: str, fp, shape, dtype, fortran) -> np.ndarray:
    nbytes = math.prod(shape) * dtype.itemsize
    try:
        buffer = _read_exactly(fp, nbytes)
        rest = fp.read(1) if buffer is not None else b""  # reading to the end checks the CRC-32
    except (*_CORRUPTION_ERRORS, RuntimeError, NotImplementedError) as error:
        raise FileFormatError(path, f"truncated or corrupt bprop file (cannot read {name[:100]!r}: "
                                    f"{error_text(error)})") from None
    if buffer is None or rest:
        raise FileFormatError(path, f"truncated or corrupt bprop file (member {name[:100]!r} has "
                                    f"{'less' if buffer is None else 'more'} data than its header says)")
    array = np.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")


def load_npy(path: str | os.PathLike, max_bytes: int | None = None) -> np.ndarray:
    """Read a plain ``.npy`` file safely: regular file, numeric dtype, size checked before reading.

    Raises:
        FileNotFoundError: no such file.
        FileFormatError: not a regular file, not a .npy file, a non-numeric dtype,
            a header whose shape does not match the file's size, or more data than
            ``max_bytes`` (default :func:`max_file_bytes`).
    """
    path = os.fspath(path)
    limit = max_file_bytes() if max_bytes is None else max_bytes
    with open_regular(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        shape, dtype, fortran = _read_npy_header(path, f, "the file")
        need = math.prod(shape) * dtype.itemsize
        have = size - f.tell()
        if need != have:
            raise FileFormatError(path, f"truncated or corrupt .npy file (its header's shape needs {need:,} bytes "
                                        f"of data, the file holds {have:,})")
        if need > limit:
            raise FileFormatError(path, f"holds {need:,} bytes of data, more than the limit of {limit:,}")
        buffer = _read_exactly(f, need)
    if buffer is None:
        raise FileFormatError(path, "truncated .npy file")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def load_npz(path: str | os.PathLike, max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Read any ``.npz`` archive of numeric arrays safely (no bprop metadata needed).

    The same bounded reading as :func:`load_arrays`: regular file, zip directory
    checked (no encryption, stored/deflated only, no duplicates, sizes within
    :func:`max_file_bytes` and the expansion limit), each ``.npy`` header checked
    against its member's size before any data is read; no pickle.

    Raises:
        FileNotFoundError: no such file.
        FileFormatError: anything else, naming the file.
    """
    path = os.fspath(path)
    limit = max_file_bytes() if max_bytes is None else max_bytes
    with open_regular(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if not f.read(4).startswith(b"PK"):
            raise FileFormatError(path, "not a .npz archive (not a zip file)")
        f.seek(0)
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
            raise FileFormatError(path, f"truncated or corrupt .npz archive ({error})") from None
        with archive:
            members = _check_directory(path, archive, size, limit)
            arrays = {}
            for name, info in members.items():
                with _open_member(path, archive, info) as fp:
                    shape, dtype, fortran = _read_member_header(path, name, fp, info)
                    arrays[name] = _read_member_data(path, name, fp, shape, dtype, fortran)
    return arrays


def _parse_metadata(path: str, meta: np.ndarray) -> dict:
    try:
        text = meta.tobytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileFormatError(path, f"corrupt metadata (not UTF-8 JSON: {error})") from None
    try:
        document = parse_json(text, path)
    except FileFormatError as error:
        raise FileFormatError(path, f"corrupt metadata ({error.problem})") from None
    if not isinstance(document, dict):
        raise FileFormatError(path, "corrupt metadata (expected a JSON object)")
    return document


def _check_document(path: str, document: dict, kind: str) -> None:
    """Validate the metadata document; raise FileFormatError naming what is wrong."""
    if document.get("format") != FORMAT_NAME:
        raise FileFormatError(
            path, f"not a bprop file (metadata format is {str(document.get('format'))[:100]!r}, "
                  f"expected {FORMAT_NAME!r})"
        )

    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FileFormatError(path, f"corrupt metadata (invalid format_version {str(version)[:100]!r})")
    if version > FORMAT_VERSION:
        raise FileFormatError(
            path, f"written by a newer bprop (format version {version}); this version reads format "
                  f"version {FORMAT_VERSION} or older, please upgrade bprop"
        )

    found_kind = document.get("kind")
    if found_kind != kind:
        raise FileFormatError(path, f"this file holds a {str(found_kind)[:100]!r}, expected a {kind!r}")

    if not isinstance(document.get("config"), dict):
        raise FileFormatError(path, "corrupt metadata (config must be a JSON object)")

    declared = document.get("arrays")
    if not isinstance(declared, dict):
        raise FileFormatError(path, "corrupt metadata (arrays must be a JSON object)")
    for name, spec in declared.items():
        valid = (
            isinstance(spec, dict)
            and isinstance(spec.get("shape"), list)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in spec["shape"])
            and isinstance(spec.get("dtype"), str)
        )
        if not valid:
            raise FileFormatError(
                path, f"corrupt metadata (bad declaration for array {name[:100]!r}: {str(spec)[:200]})"
            )
