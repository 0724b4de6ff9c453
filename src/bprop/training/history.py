"""The record of a training run: one row of metrics per epoch.

``History.save(path)`` writes JSON (``.json``) or CSV (``.csv``) atomically;
``History.load(path)`` reads either back. JSON keeps every value exactly; CSV
writes floats with ``repr`` (exact too) and leaves missing values empty.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Iterator

HISTORY_FORMAT = "bprop-history"
HISTORY_VERSION = 1
#: The largest history file ``History.load`` reads (64 MiB: about a million epochs).
MAX_HISTORY_BYTES = 64 << 20


class History:
    """Per-epoch metrics, e.g. train_cost, train_accuracy, val_cost, val_accuracy, seconds.

    ``history.epochs`` is the list of rows (dicts); ``history["val_accuracy"]``
    is one column as a list (None where an epoch lacks it).
    """

    def __init__(self, epochs: list[dict] | None = None):
        self.epochs: list[dict] = list(epochs or [])

    def append(self, row: dict) -> None:
        self.epochs.append(dict(row))

    @property
    def keys(self) -> list[str]:
        names: list[str] = []
        for row in self.epochs:
            names.extend(k for k in row if k not in names)
        return names

    def __getitem__(self, key: str) -> list:
        if key not in self.keys:
            raise KeyError(f"no metric {key!r} in this history; it has: {', '.join(self.keys)}")
        return [row.get(key) for row in self.epochs]

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.epochs)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.epochs)

    def last(self) -> dict:
        return self.epochs[-1] if self.epochs else {}

    def as_dict(self) -> dict[str, list]:
        return {key: self[key] for key in self.keys}

    # -- files ----------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the history to ``path``: JSON for ``.json``, CSV for ``.csv`` (atomic)."""
        from ..io import atomic_open

        kind = _kind(path)
        if kind == "json":
            document = {"format": HISTORY_FORMAT, "version": HISTORY_VERSION, "epochs": self.epochs}
            text = json.dumps(document, indent=1, allow_nan=True)
        else:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=self.keys, lineterminator="\n")
            writer.writeheader()
            for row in self.epochs:
                writer.writerow({key: "" if value is None else repr(value) if isinstance(value, float) else value
                                 for key, value in row.items()})
            text = buffer.getvalue()
        with atomic_open(path, "w") as f:
            f.write(text)

    @classmethod
    def load(cls, path) -> "History":
        """Read a history written by ``save`` (JSON or CSV, by suffix).

        The file is untrusted: only a regular file of at most ``MAX_HISTORY_BYTES`` is
        read, JSON nested deeper than ``bprop.io.MAX_JSON_DEPTH`` is refused before
        parsing, and every row must map metric names (strings) to numbers or null.

        Raises:
            FileNotFoundError: no such file.
            bprop.io.FileFormatError (a ValueError) naming the file, for anything else.
        """
        from ..io import FileFormatError, parse_json, read_text

        kind = _kind(path)
        text = read_text(path, MAX_HISTORY_BYTES, "history file")
        if kind == "json":
            document = parse_json(text, path, "a JSON history")
            if isinstance(document, dict) and document.get("format") == HISTORY_FORMAT:
                version = document.get("version", 0)
                if isinstance(version, bool) or not isinstance(version, int):
                    raise FileFormatError(path, f"history version must be an integer, got {str(version)[:80]!r}")
                if version > HISTORY_VERSION:
                    raise FileFormatError(path, f"history version {version} is newer than this bprop")
                rows = document.get("epochs")
            elif isinstance(document, list):
                rows = document
            else:
                raise FileFormatError(path, "not a bprop history (no 'epochs' list)")
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise FileFormatError(path, "a history's 'epochs' must be a list of objects")
            for index, row in enumerate(rows):
                for key, value in row.items():
                    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                        raise FileFormatError(path, f"epoch {index + 1}: metric {key[:80]!r} must be a number "
                                                    f"or null, got {str(value)[:80]!r}")
            return cls(rows)
        try:
            reader = csv.DictReader(io.StringIO(text))
            if not reader.fieldnames:
                raise FileFormatError(path, "empty CSV history")
            rows = []
            for row in reader:
                parsed = {}
                for key, value in row.items():
                    if key is None or value is None:
                        raise FileFormatError(path, "a row of the CSV history has more or fewer fields than the header")
                    if value == "":
                        continue
                    parsed[key] = _number(value, path)
                rows.append(parsed)
        except csv.Error as error:
            raise FileFormatError(path, f"not a CSV history ({error})") from None
        return cls(rows)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, metrics: {', '.join(self.keys)})"


def _kind(path) -> str:
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in (".json", ".csv"):
        raise ValueError(f"a history file must end in .json or .csv, got {os.fspath(path)!r}")
    return suffix[1:]


def _number(text: str, path) -> int | float:
    from ..io import FileFormatError

    if len(text) > 100:
        raise FileFormatError(path, f"{text[:40]!r}... in the CSV history is not a number")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise FileFormatError(path, f"{text!r} in the CSV history is not a number") from None
