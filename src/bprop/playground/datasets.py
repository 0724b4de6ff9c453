"""The playground's toy 2-D data sets, its input features, and uploaded CSV files.

Every point lives on the plane [-6, 6]², as in TensorFlow Playground. Classification
sets give integer labels 0..K-1, regression sets a real target in about [-1, 1].

    circle      label 1 inside radius 2.5, label 0 on the ring 3.5-5
    xor         label 1 where x1·x2 >= 0 (quadrants)
    gauss       two Gaussian blobs at (2, 2) and (-2, -2)
    spiral      two interleaved spirals
    blobs3/4    3 or 4 Gaussian blobs (multi-class)
    spiral3     three interleaved spirals (multi-class)
    plane       regression: y = (x1 + x2) / 10
    multigauss  regression: a sum of signed Gaussian bumps

``noise`` is a percentage 0..50: positional jitter for the shapes (a point keeps the
label of where it was drawn, so the classes overlap), wider blobs for Gaussians, label
noise for regression. Points are split train/test by ``train_ratio``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "blobs3", "blobs4", "spiral3")
REGRESSION = ("plane", "multigauss")
DATASETS = CLASSIFICATION + REGRESSION
#: The uploaded data set's name (never generated).
UPLOAD = "upload"

#: Half-width of the input plane drawn and sampled.
RADIUS = 6.0

#: name -> (label, function of x1, x2); the order is the page's.
FEATURES = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1sq": ("x₁²", lambda x1, x2: x1 * x1),
    "x2sq": ("x₂²", lambda x1, x2: x2 * x2),
    "x1x2": ("x₁x₂", lambda x1, x2: x1 * x2),
    "sinx1": ("sin x₁", lambda x1, x2: np.sin(x1)),
    "sinx2": ("sin x₂", lambda x1, x2: np.sin(x2)),
}

#: Limits on uploaded files.
MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_ROWS = 5000
MAX_CLASSES = 4


@dataclass
class Points:
    """Points (m, 2) on the plane with labels (m,): int64 classes or float64 targets."""

    xy: np.ndarray
    labels: np.ndarray
    regression: bool

    @property
    def n_classes(self) -> int:
        return 0 if self.regression else int(self.labels.max()) + 1


def n_classes_of(name: str) -> int:
    """Classes of a generated classification set (0 for regression)."""
    return {"blobs3": 3, "spiral3": 3, "blobs4": 4}.get(name, 0 if name in REGRESSION else 2)


def generate(name: str, n: int, noise: float, seed: int) -> Points:
    """``n`` points of the data set ``name`` with ``noise`` percent of noise."""
    rng = np.random.default_rng(seed)
    noise = float(noise) / 100.0
    if name == "circle":
        half = n // 2
        r = np.concatenate([rng.uniform(0, 2.5, half), rng.uniform(3.5, 5.0, n - half)])
        angle = rng.uniform(0, 2 * math.pi, n)
        xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        labels = (np.arange(n) < half).astype(np.int64)  # the disc's points, before the jitter moves them
        xy += rng.uniform(-5, 5, (n, 2)) * noise
        return Points(xy, labels, False)
    if name == "xor":
        xy = rng.uniform(-5, 5, (n, 2))
        xy += np.where(xy > 0, 0.3, -0.3)  # keep a small gap off the axes
        labels = (xy[:, 0] * xy[:, 1] >= 0).astype(np.int64)
        xy += rng.uniform(-5, 5, (n, 2)) * noise
        return Points(xy, labels, False)
    if name == "gauss":
        return _blobs(rng, n, [(2, 2), (-2, -2)], 0.5 + 3.5 * noise)
    if name in ("blobs3", "blobs4"):
        k = n_classes_of(name)
        centres = [(3.5 * math.cos(2 * math.pi * c / k + 0.3), 3.5 * math.sin(2 * math.pi * c / k + 0.3)) for c in range(k)]
        return _blobs(rng, n, centres, 0.6 + 3 * noise)
    if name in ("spiral", "spiral3"):
        k = 3 if name == "spiral3" else 2
        labels = np.arange(n) % k
        t = rng.uniform(0, 1, n)
        r = 5 * t
        angle = 1.75 * t * 2 * math.pi + labels * 2 * math.pi / k
        xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        xy += rng.uniform(-1, 1, (n, 2)) * noise * 2.5
        return Points(xy, labels.astype(np.int64), False)
    if name == "plane":
        xy = rng.uniform(-5, 5, (n, 2))
        target = (xy[:, 0] + xy[:, 1]) / 10 + rng.normal(0, 1, n) * noise
        return Points(xy, target, True)
    if name == "multigauss":
        xy = rng.uniform(-5, 5, (n, 2))
        bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
        target = np.zeros(n)
        for cx, cy, sign in bumps:
            target += sign * np.exp(-((xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2) / 2)
        target += rng.normal(0, 1, n) * noise
        return Points(xy, target, True)
    raise ValueError(f"unknown data set {name!r}; valid data sets are: {', '.join(DATASETS)}")


def _blobs(rng, n, centres, spread) -> Points:
    labels = np.arange(n) % len(centres)
    xy = np.array(centres, dtype=np.float64)[labels] + rng.normal(0, spread, (n, 2))
    return Points(xy, labels.astype(np.int64), False)


def split(m: int, train_ratio: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled indices (train, test) with ``train_ratio`` percent for training (at least 1 each)."""
    order = np.random.default_rng(seed + 1).permutation(m)
    n_train = min(max(1, round(m * train_ratio / 100)), m - 1)
    return order[:n_train], order[n_train:]


def features(xy: np.ndarray, names) -> np.ndarray:
    """The network's inputs (m, len(names)) computed from points (m, 2)."""
    x1, x2 = xy[:, 0], xy[:, 1]
    return np.stack([FEATURES[name][1](x1, x2) for name in names], axis=1).astype(np.float64)


def grid(size: int) -> np.ndarray:
    """size² points (row-major, top row first: x2 = +RADIUS) covering the plane."""
    ticks = np.linspace(-RADIUS, RADIUS, size)
    x1, x2 = np.meshgrid(ticks, ticks[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def parse_csv(text: str, regression: bool) -> Points:
    """Points from CSV text: rows of ``x1,x2,label`` (an optional header row is skipped).

    Classification labels must be integers 0..3 with at least two classes; regression
    targets any finite numbers. Coordinates must be finite; they are drawn on
    [-6, 6]², so scale them there. Raises ValueError naming the bad row.
    """
    if not isinstance(text, str):
        raise ValueError("the CSV upload must be text")
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the CSV file is larger than {MAX_UPLOAD_BYTES} bytes")
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(cell.strip() for cell in row)]
    if rows and not _is_number(rows[0][0]):
        rows = rows[1:]  # header
    if len(rows) < 4:
        raise ValueError("the CSV file needs at least 4 rows of x1,x2,label")
    if len(rows) > MAX_UPLOAD_ROWS:
        raise ValueError(f"the CSV file has {len(rows)} rows; the playground takes at most {MAX_UPLOAD_ROWS}")
    values = np.empty((len(rows), 3))
    for number, row in enumerate(rows, start=1):
        if len(row) != 3:
            raise ValueError(f"CSV row {number} has {len(row)} columns; expected 3: x1,x2,label")
        for column, cell in enumerate(row):
            if not _is_number(cell):
                raise ValueError(f"CSV row {number}, column {column + 1}: {cell.strip()[:20]!r} is not a number")
            values[number - 1, column] = float(cell)
    if not np.all(np.isfinite(values)):
        raise ValueError("the CSV file contains NaN or infinite values")
    xy, label = values[:, :2], values[:, 2]
    if regression:
        return Points(xy, label, True)
    if not np.all(label == np.round(label)) or label.min() < 0 or label.max() >= MAX_CLASSES:
        raise ValueError(f"classification labels must be integers 0..{MAX_CLASSES - 1}")
    labels = label.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise ValueError("classification data needs at least two classes")
    return Points(xy, labels, False)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
