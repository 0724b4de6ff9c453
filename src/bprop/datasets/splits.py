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
