"""Sample weights: the weighted mean cost and what it changes.

With a weight w_x >= 0 for every training sample the data cost is the weighted mean

    C_0 = Σ_x w_x C_x / Σ_x w_x

(every w_x = 1 gives seed 001's plain mean (1/n) Σ_x C_x), so a weight of 2 counts a
sample exactly as two copies of it would. On a mini-batch B of m rows, BP1 scales row
x's ∂C_x/∂z^L by w_x / (m w̄) instead of 1/m (``row_weights``, ``heads.OutputHead.delta``),
w̄ = Σ_x w_x / n the training set's mean weight: over an epoch's batches the steps then
average to the gradient of C_0, as they would on the repeated rows, and a batch of light
rows takes a small step. (Dividing by the batch's own Σ_(x∈B) w_x instead, as scikit-
learn's MLP does, gives every batch a full step: with 10 heavy rows among 1,000 the fit
at batch size 10 ended far from the weighted optimum.) A full batch is w_x / Σ_x w_x either
way. A regularization term divides by n = Σ_x w_x, the weighted size of the training set
(seed 002's lambda / n, as n repeated rows would give). Data trained in parts (the
estimators' ``partial_fit``) takes w̄ over every part so far and n w̄ as a part's n
(``Trainer.fit``'s ``mean_weight``).
"""

from __future__ import annotations

import numpy as np


def check_sample_weight(sample_weight, n_samples: int, name: str = "sample_weight") -> np.ndarray | None:
    """``sample_weight`` as a float64 vector (n_samples,), or None for the plain mean.

    None and all-ones weights give None (the unweighted path, bit for bit).

    Raises:
        ValueError: not a vector of n_samples finite numbers, a negative weight, or
            weights that sum to 0.
    """
    if sample_weight is None:
        return None
    array = np.asarray(sample_weight)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise ValueError(f"{name} holds complex numbers; weights must be real")
    if array.ndim != 1 or array.shape[0] != n_samples:
        raise ValueError(f"{name} must be a vector of {n_samples} weights, one per sample, got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(array < 0):
        raise ValueError(f"{name} must be non-negative; {int(np.count_nonzero(array < 0))} weights are negative")
    if not array.sum() > 0:
        raise ValueError(f"{name}: every weight is zero (they sum to 0); at least one sample needs a positive weight")
    if np.all(array == 1):
        return None
    return array


def row_weights(weights: np.ndarray, dtype, mean_weight: float | None = None) -> np.ndarray:
    """BP1's row factors w_x / (m w̄) of a batch's weights (m,), in ``dtype``.

    ``mean_weight``: w̄, the training set's mean weight Σ_x w_x / n (see the module
    docstring); None: the batch's own, which makes the factors w_x / Σ_(x∈B) w_x (a
    full batch, ``Network.backprop``). A batch whose weights are all 0 gets factors 0
    (it carries no data gradient).
    """
    if mean_weight is None:
        total = weights.sum()
        if total == 0:
            return np.zeros(weights.shape, dtype=dtype)
        return (weights / total).astype(dtype)
    return (weights / (weights.shape[0] * mean_weight)).astype(dtype)


def weighted_mean(losses: np.ndarray, weights: np.ndarray | None) -> float:
    """Σ_x w_x C_x / Σ_x w_x of per-sample costs (m,), in float64 (the plain mean when None)."""
    if weights is None:
        return float(losses.sum(dtype=np.float64)) / losses.shape[0]
    # (a product and a pairwise sum, not np.dot: NumPy's BLAS threads would spin against the training's)
    return float(np.multiply(weights, losses, dtype=np.float64).sum()) / float(weights.sum())
