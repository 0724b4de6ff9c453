"""The named tuples every loader returns: a data set's parts, each a Split(x, y)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """One part of a data set: ``x`` (N, n_features) (or images) floats in [0, 1], ``y`` (N,) int64 labels."""

    x: np.ndarray
    y: np.ndarray


class TrainValidationTest(NamedTuple):
    """Three parts, ``train, validation, test = load_...()`` (MNIST: 50,000 / 10,000 / 10,000)."""

    train: Split
    validation: Split
    test: Split


class TrainTest(NamedTuple):
    """Two parts, ``train, test = load_mnist(split="train_test")`` (MNIST: 60,000 / 10,000)."""

    train: Split
    test: Split


def holdout_keeping_single_rows(labels: np.ndarray, n_validation: int, seed) -> tuple[np.ndarray, np.ndarray] | None:
    """(training rows, held-out rows), index arrays, for labels that have a class of ONE row:
    that row cannot be in both parts, so it stays in training (held out, the network would never
    train on its class), and the other classes are stratified over ``n_validation`` held-out rows
    (scikit-learn's ``train_test_split``, ``random_state=seed``). None when no class has a single
    row, or when the other classes cannot all be in both parts: the caller then splits as it
    would (stratified, or not). One row used to turn stratification off for every class, silently."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    if labels.ndim != 1:
        return None
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    per_row = counts[inverse.reshape(-1)]
    if counts.min() != 1:
        return None
    several = np.flatnonzero(per_row >= 2)
    n_classes = int(np.count_nonzero(counts >= 2))
    if not n_classes or min(n_validation, several.size - n_validation) < n_classes:
        return None
    kept, held = train_test_split(several, test_size=n_validation, random_state=seed, stratify=labels[several])
    return np.concatenate([kept, np.flatnonzero(per_row == 1)]), held
