"""The 8x8 handwritten digits that scikit-learn ships (1,797 images, no download).

Pixels are 0..16 in the original; they come back scaled to [0, 1] as float32
(or as the raw 0..16 with ``scale=False``), flattened to 64 features, with int64
labels 0..9.
"""

from __future__ import annotations

import numpy as np

from .splits import Split, TrainValidationTest


def load_digits(*, validation_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0,
                nudge: bool = False, dtype="float32", scale: bool = True) -> TrainValidationTest:
    """Split the digits into train / validation / test (60/20/20 by default).

    The split is a fixed permutation drawn from ``seed`` and stratified by class,
    so every part holds each digit in proportion. ``nudge=True`` adds four copies
    of the *training* images shifted by one pixel (up, down, left, right), a
    classic way to get more training data from small images; validation and
    test images are never nudged. ``scale=False`` keeps the pixels' own 0..16 (for a
    model that scales its inputs itself: ``preprocessing=Scale(1 / 16)``).

    Returns:
        TrainValidationTest(train, validation, test), each a Split(x (n, 64), y (n,)).
    Raises:
        ValueError: fractions outside (0, 1) or summing to 1 or more, a ``dtype`` other
            than float32 / float64, a ``seed`` that is not a non-negative integer.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    from ..validation import float_dtype, seed_value

    dtype = float_dtype(dtype)  # an integer dtype would floor the scaled pixels to 0/1
    seed_value(seed)
    if not (0 < validation_fraction < 1 and 0 < test_fraction < 1 and validation_fraction + test_fraction < 1):
        raise ValueError(
            f"validation_fraction and test_fraction must be in (0, 1) and sum to less than 1, "
            f"got {validation_fraction} and {test_fraction}"
        )
    data = sklearn_digits()
    x = (data.data / 16.0 if scale else data.data).astype(dtype)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_val = int(round(validation_fraction * members.size))
        n_test = int(round(test_fraction * members.size))
        parts["test"].append(members[:n_test])
        parts["validation"].append(members[n_test : n_test + n_val])
        parts["train"].append(members[n_test + n_val :])
    splits = {}
    for name, chunks in parts.items():
        index = rng.permutation(np.concatenate(chunks))
        splits[name] = Split(x[index], y[index])
    if nudge:
        splits["train"] = Split(*nudge_images(*splits["train"], side=8))
    return TrainValidationTest(splits["train"], splits["validation"], splits["test"])


def nudge_images(x: np.ndarray, y: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Return x plus four one-pixel shifts of it (n*5 samples), labels repeated.

    x holds flattened square images (n, side*side); pixels shifted in from the
    border are 0.
    """
    images = x.reshape(-1, side, side)
    copies = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        shifted = np.zeros_like(images)
        source = [slice(None)] * 3
        target = [slice(None)] * 3
        source[axis] = slice(0, side - 1) if step == 1 else slice(1, side)
        target[axis] = slice(1, side) if step == 1 else slice(0, side - 1)
        shifted[tuple(target)] = images[tuple(source)]
        copies.append(shifted)
    return np.concatenate(copies).reshape(-1, side * side), np.tile(y, len(copies))
