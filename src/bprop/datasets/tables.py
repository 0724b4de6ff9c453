"""Your own data: features and targets from a CSV, NPY or NPZ file.

    read_table("train.csv", target="species")    # a CSV with a header row; any label values
    read_table("train.csv", target=-1)           # the last column, with or without a header
    read_table("train.npz")                      # arrays named x and y
    read_table("x.npy", target="y.npy")          # features and targets in two .npy files
    read_table("new.csv")                        # features only (for predictions)

CSV files are read with pandas (a byte-order mark, quoted fields and CRLF line ends
are fine). A header row is detected when any cell of the first row is not a number (empty cells
aside); an unnamed, empty last column (a separator ending every line) is no column;
a first row of numbers is data unless ``header=True`` says otherwise. Every feature
must be a number: a missing value or a word in a feature column is an error naming
its line and column. The target column may hold anything (class labels such as
strings, or numbers). NPY/NPZ files are read without pickle.

Every file is untrusted input: errors name the file and raise ``ValueError``.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

import numpy as np

from ..io import FileFormatError


class Table(NamedTuple):
    """Features x (n, d) float64, targets y ((n,) or (n, k), or None), and the names.

    ``named``: the feature names come from the file (a CSV's header row), not made up
    ("x0", "column 0"), so they say which column is which.
    """

    x: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None
    named: bool = False


def read_table(path, target=None, header: bool | None = None) -> Table:
    """Read features (and targets) from ``path``.

    Args:
        path: a .csv (or .txt/.tsv-less comma file), .npy or .npz file.
        target: CSV: the target column, by header name or by 0-based position (-1: the
            last); NPZ: the name of the targets array (default "y"); NPY: the path of a
            second .npy file holding the targets. None: the file holds features only.
        header: CSV only: True/False says whether the first row is a header; None detects it.

    Returns:
        Table(x, y, feature_names, target_name).

    Raises:
        ValueError: an unreadable file, a missing column, missing values, non-numeric
            features, or arrays whose lengths differ; the message names the file.
    """
    path = os.fspath(path)
    lower = path.lower()
    try:
        if lower.endswith(".npz"):
            return _read_npz(path, target)
        if lower.endswith(".npy"):
            return _read_npy(path, target)
        return _read_csv(path, target, header)
    except FileFormatError:
        raise  # already names the file
    except ValueError as error:
        message = str(error)
        raise ValueError(message if message.startswith(path) else f"{path}: {message}") from None


def _read_npy(path: str, target) -> Table:
    x = _as_rows(_load_npy(path))
    y = None
    if target is not None:
        y = _load_npy(os.fspath(target))
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{path} has {x.shape[0]} rows but {target} has {y.shape[0]}")
    return Table(_numeric_features(x, path), y, [f"x{i}" for i in range(x.shape[1])], None if target is None else "y")


def _as_rows(x: np.ndarray) -> np.ndarray:
    """Features as rows (n, d): a vector is one feature per row, images (n, h, w) are flattened."""
    if x.ndim == 1:
        return x.reshape(-1, 1)
    return x.reshape(x.shape[0], -1) if x.ndim > 2 else x


def _load_npy(path: str) -> np.ndarray:
    from ..io import load_npy

    array = load_npy(path)  # regular file, header checked against its size, no pickle
    if not isinstance(array, np.ndarray) or array.ndim == 0:
        raise ValueError(f"{path}: expected an array of rows, got a scalar")
    return array


def _read_npz(path: str, target) -> Table:
    from ..io import load_npz

    arrays = load_npz(path)  # bounded: directory and headers checked before any data; no pickle
    target = "y" if target is None and "y" in arrays else target
    if "x" not in arrays:
        raise ValueError(f"{path}: an .npz of data needs an array named 'x' (the features); it has {sorted(arrays)}")
    x = _as_rows(arrays["x"])
    y = None
    if target is not None:
        if target not in arrays:
            raise ValueError(f"{path}: no array named {target!r} for the targets; it has {sorted(arrays)}")
        y = arrays[target]
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{path}: x has {x.shape[0]} rows but {target} has {y.shape[0]}")
    return Table(_numeric_features(x, path), y, [f"x{i}" for i in range(x.shape[1])], target)


def _numeric_features(x: np.ndarray, path: str) -> np.ndarray:
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{path}: the features must be numbers, got an array of dtype {x.dtype}")
    if np.iscomplexobj(x):
        raise ValueError(f"{path}: the features are complex numbers; bprop takes real numbers")
    return x


def _read_csv(path: str, target, header: bool | None) -> Table:
    import pandas as pd

    from ..io import open_regular

    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file")
    try:
        with open_regular(path, "rb") as handle:  # a pipe or device is refused, never read
            separator = _separator(handle.read(SNIFF_BYTES))
            handle.seek(0)
            raw = pd.read_csv(handle, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                              skip_blank_lines=True, sep=separator)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty") from None
    except UnicodeDecodeError as error:
        utf16 = " (it looks like UTF-16)" if bytes(error.object[:2]) in (b"\xff\xfe", b"\xfe\xff") else ""
        raise ValueError(f"{path}: not UTF-8 text: byte 0x{error.object[error.start]:02x}{utf16}; "
                         "save the CSV as UTF-8") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path}: not a readable CSV file ({' '.join(str(error).split())})") from None  # one line
    if raw.shape[0] == 0:
        raise ValueError(f"{path}: the file is empty")
    first = raw.iloc[0].tolist()
    if header is None:
        header = not all(_is_number(cell) for cell in first if str(cell).strip())  # an empty cell says nothing
    if header:
        names = [str(cell).strip() for cell in first]
        body = raw.iloc[1:]
        line_offset = 2  # the first data row is line 2 of the file
    else:
        names = [f"column {i}" for i in range(raw.shape[1])]
        body = raw
        line_offset = 1
    if body.shape[0] == 0:
        raise ValueError(f"{path}: a header row and no data")
    while len(names) > 1 and (not header or names[-1] == "") and (body.iloc[:, -1].str.strip() == "").all():
        names, body = names[:-1], body.iloc[:, :-1]  # a separator ending every line: no column
    column = None if target is None else _column_index(target, names, header, path)
    feature_columns = [i for i in range(len(names)) if i != column]

    def line_of(row: int) -> int:
        """The line of the file that holds data row ``row`` (blank lines count; only for errors)."""
        found = _row_at(path, separator, row + (1 if header else 0))
        return row + line_offset if found is None else found[1]

    def check_line_length(row: int) -> None:
        """Before reporting a bad or missing cell of data row ``row``: a line with fewer fields than
        the header is read with its last fields missing and the others in the columns before (its
        label in a feature); say that instead (pandas reads missing fields as empty ones)."""
        found = _row_at(path, separator, row + (1 if header else 0))
        if found is not None and found[0] < len(names):
            fields, line = found
            raise ValueError(f"{path}: line {line} has {fields} field{'s' if fields != 1 else ''} where "
                             f"{'the header has' if header else 'the first line has'} {len(names)}")

    if not feature_columns:
        raise ValueError(f"{path}: no feature columns besides the target")
    x = np.empty((body.shape[0], len(feature_columns)), dtype=np.float64)
    for out, index in enumerate(feature_columns):
        cells = body.iloc[:, index].str.strip()
        missing = (cells == "").to_numpy()
        if missing.any():
            row = int(np.argmax(missing))
            check_line_length(row)
            raise ValueError(f"{path}: missing value at line {line_of(row)}, column {names[index]!r}")
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values)  # a word, or "nan": not a usable feature value
        if bad.any():
            row = int(np.argmax(bad))
            check_line_length(row)
            cell = cells.iloc[row]
            comma = re.fullmatch(r"[-+]?\d*,\d+", cell)
            hint = f" (a decimal comma? bprop reads numbers with a decimal point, such as {cell.replace(',', '.')})"
            raise ValueError(f"{path}: column {names[index]!r} must hold numbers (it is a feature; if it holds the "
                             f"targets, name it as the target, e.g. --target {names[index]!r}); line {line_of(row)} "
                             f"has {cell!r}{hint if comma else ''}")
        _check_finite(values, cells, f"column {names[index]!r}", line_of, path)
        x[:, out] = values
    y = None
    if column is not None:
        cells = body.iloc[:, column].str.strip()
        missing = (cells == "").to_numpy()
        if missing.any():
            check_line_length(int(np.argmax(missing)))
            raise ValueError(f"{path}: missing target at line {line_of(int(np.argmax(missing)))}, "
                             f"column {names[column]!r}")
        numbers = pd.to_numeric(cells, errors="coerce")
        absent = cells.str.lower().isin(MISSING_MARKERS).to_numpy()
        if absent.any() and numbers.notna().any():  # numbers with an "NA": a missing value, not a class label
            row = int(np.argmax(absent))
            raise ValueError(f"{path}: missing target at line {line_of(row)}, column {names[column]!r} "
                             f"({cells.iloc[row]!r})")
        words = numbers.isna().to_numpy()
        fractional = numbers[~words].to_numpy(dtype=np.float64)
        fractional = fractional[np.isfinite(fractional) & (fractional != np.round(fractional))]
        if words.any() and fractional.size:  # class labels are words or whole numbers, not 10.25 and words
            row = int(np.argmax(words))
            raise ValueError(f"{path}: target column {names[column]!r} holds numbers such as {float(fractional[0])!r} and "
                             f"words: line {line_of(row)} has {cells.iloc[row]!r}; a value to regress must be "
                             "a number on every line")
        y = numbers.to_numpy(dtype=np.float64) if not words.any() else cells.to_numpy(dtype=str)
        if y.dtype == np.float64:
            _check_finite(y, cells, f"target column {names[column]!r}", line_of, path)
            if np.all(y == np.round(y)) and np.all(np.abs(y) <= EXACT_INTEGERS):
                y = y.astype(np.int64)
    return Table(x, y, [names[i] for i in feature_columns], None if column is None else names[column], bool(header))


#: Cells that say "no value" (lower-cased; pandas' defaults and "?"). Among numeric targets they
#: are missing values; among word labels they are labels like any other ("NA": North America).
MISSING_MARKERS = ("na", "n/a", "nan", "-nan", "null", "none", "#n/a", "#na", "<na>", "?", "-", "--")

#: Whole-number targets up to this magnitude become int64 exactly (float64 holds every integer up to 2**53).
EXACT_INTEGERS = 2.0 ** 53


def _check_finite(values: np.ndarray, cells, what: str, line_of, path: str) -> None:
    """Refuse inf and -inf (pandas reads 'inf', 'Infinity'), naming the line and the cell."""
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"{path}: {what} line {line_of(row)} has {cells.iloc[row]!r}: the values must be "
                         "finite numbers")


#: Bytes read from the start of a CSV to tell its separator.
SNIFF_BYTES = 64 * 1024


def _row_at(path: str, separator: str, index: int) -> tuple[int, int] | None:
    """(number of fields, line number in the file) of row ``index`` (0-based, blank lines
    skipped, as pandas reads them) of a CSV file, read again with Python's csv module up to
    that row (only to word an error); None when it cannot tell (the file changed, or the csv
    module reads it differently)."""
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=separator)
            seen = -1
            for row in reader:
                if row and not (len(row) == 1 and not row[0].strip()):  # pandas skips blank lines
                    seen += 1
                    if seen == index:
                        return len(row), reader.line_num
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _separator(head: bytes) -> str:
    """The CSV's field separator: ',' unless its first lines are consistently split by ';' or tabs."""
    import csv

    text = head.decode("utf-8-sig", errors="replace")
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1]  # a line cut by the byte limit
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _is_number(cell) -> bool:
    try:
        float(str(cell).strip())
    except ValueError:
        return False
    return True


def _column_index(target, names: list[str], header: bool, path: str) -> int:
    """The target's column: a header name (a name such as "1" before a position), else a position."""
    if header and isinstance(target, str) and target in names:
        if names.count(target) > 1:
            positions = ", ".join(str(i) for i, name in enumerate(names) if name == target)
            raise ValueError(f"{path}: {names.count(target)} columns are named {target!r} (positions {positions}); "
                             "give the target's position, or rename the columns")
        return names.index(target)
    if isinstance(target, (int, np.integer)) or (isinstance(target, str) and target.lstrip("-").isdigit()):
        index = int(target)
        if not -len(names) <= index < len(names):
            raise ValueError(f"{path}: column {index} does not exist (the file has {len(names)} columns)")
        return index % len(names)
    if not header:
        raise ValueError(f"{path}: the target {target!r} names a column, but the file's first row is all numbers, "
                         f"so it has no header; pass --header if that row is one, or give the column's position")
    raise ValueError(f"{path}: no column named {target!r}; the columns are {', '.join(map(repr, names))}")
