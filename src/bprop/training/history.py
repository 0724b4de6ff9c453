"""The record of a training run: one row of metrics per epoch."""

from __future__ import annotations

from typing import Iterator


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

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, metrics: {', '.join(self.keys)})"
