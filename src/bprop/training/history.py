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
        """Read a history written by ``save`` (JSON or CSV, by suffix)."""
        kind = _kind(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if kind == "json":
            try:
                document = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: not a JSON history ({error})") from None
            if isinstance(document, dict) and document.get("format") == HISTORY_FORMAT:
                if document.get("version", 0) > HISTORY_VERSION:
                    raise ValueError(f"{path}: history version {document['version']} is newer than this bprop")
                rows = document.get("epochs")
            elif isinstance(document, list):
                rows = document
            else:
                raise ValueError(f"{path}: not a bprop history (no 'epochs' list)")
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise ValueError(f"{path}: a history's 'epochs' must be a list of objects")
            return cls(rows)
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise ValueError(f"{path}: empty CSV history")
        rows = []
        for row in reader:
            parsed = {}
            for key, value in row.items():
                if key is None or value is None:
                    raise ValueError(f"{path}: a row of the CSV history has more or fewer fields than the header")
                if value == "":
                    continue
                parsed[key] = _number(value, path)
            rows.append(parsed)
        return cls(rows)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, metrics: {', '.join(self.keys)})"


def _kind(path) -> str:
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in (".json", ".csv"):
        raise ValueError(f"a history file must end in .json or .csv, got {os.fspath(path)!r}")
    return suffix[1:]


def _number(text: str, path) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{path}: {text!r} in the CSV history is not a number") from None
