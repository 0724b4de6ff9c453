"""The epoch's training cost and accuracy, from the batches' own outputs.

While training, each batch's logits z^L are already computed (the forward pass
of backprop), so the epoch's training figures need no second pass over the
data: they are the batches' costs and hits, weighted by batch size, before each
batch's update. That is a running figure, as Keras reports it.

Scoring each batch on its own costs about ten small NumPy calls per batch
(logarithms, argmax, a label gather, a count), a tenth of a batch-10 MNIST
epoch. Instead each batch's z^L is copied into a block of rows, in the order
the batches were trained, and the block is scored in one vectorized pass when
it is full or when the totals are read (the end of the epoch, a checkpoint).
The cost comes from the logits through the network's head (``heads.OutputHead``),
exact at any saturation.

The block's summed cost is also the divergence check of the training loop: when
it is NaN or inf (a non-finite z^L, or a cost that overflowed), ``flush`` scores
the block's batches one by one and raises ``divergence.NonFiniteValue`` naming the
first bad batch. Finite blocks pay one float comparison.
"""

from __future__ import annotations

import math

import numpy as np

from .divergence import NonFiniteValue

#: Rows of z^L kept before they are scored (at least one batch).
BLOCK_ROWS = 4096


class RunningScores:
    """Accumulates sum_x C_x and the number of right answers over trained batches
    (with sample weights, Σ_x w_x C_x and Σ_x w_x [x right]).

    Args:
        net: the Network (its ``head`` and ``task``).
        targets, labels: the prepared training targets (n, n_L) and labels
            (``Network.prepare``; None for regression).
        batch_size: the largest batch ``add`` will get.
        one_hot: every target row is the one-hot row of its label
            (``validation.are_one_hot``), so the cost may be read from the labels.
        weights: sample weights (n,) or None: the totals are then Σ_x w_x C_x and
            Σ_x w_x [x right], which the trainer divides by Σ_x w_x, as ``Network.evaluate``
            weighs its cost and accuracy.
    """

    def __init__(self, net, targets: np.ndarray, labels: np.ndarray | None, batch_size: int,
                 one_hot: bool = False, weights: np.ndarray | None = None):
        self.net, self.targets, self.labels, self.weights = net, targets, labels, weights
        self.one_hot = one_hot and weights is None and net.head.scores_from_labels
        self.batch_size = batch_size
        rows = max(batch_size, min(BLOCK_ROWS, targets.shape[0]))
        self.block = np.empty((rows, targets.shape[1]), dtype=targets.dtype)
        self.order: np.ndarray | None = None
        self.begin = 0  # position in ``order`` of the block's first row
        self.filled = 0

    def start(self, order: np.ndarray, position: int) -> None:
        """The batches that follow are order[position:], in that order."""
        self.order, self.begin, self.filled = order, position, 0

    def add(self, z: np.ndarray, totals: dict) -> None:
        """Keep the next batch's logits z^L (m, n_L); score the block first if it is full."""
        m = z.shape[0]
        if self.filled + m > self.block.shape[0]:
            self.flush(totals)
        self.block[self.filled : self.filled + m] = z
        self.filled += m

    def flush(self, totals: dict) -> None:
        """Add the kept rows' summed cost and right answers to ``totals``; empty the block.

        Raises:
            NonFiniteValue: the block's cost is NaN or inf; ``batch`` is the epoch's
                first batch whose cost is (0-based), ``value`` that batch's mean cost.
        """
        count = self.filled
        if count:
            cost, correct = self._score(0, count)
            if not math.isfinite(cost):
                raise self._first_non_finite(count)
            totals["cost"] += cost
            if correct is not None:
                totals["correct"] += correct
        self.begin += count
        self.filled = 0

    def _score(self, start: int, stop: int) -> tuple[float, float | None]:
        """(sum of C_x, right answers or None) over the kept rows start..stop-1, each
        weighted by w_x with sample weights."""
        net = self.net
        index = self.order[self.begin + start : self.begin + stop]
        z = self.block[start:stop]
        labels = None if self.labels is None else self.labels[index]
        if self.one_hot:
            cost = net.head.total_at_labels(z, labels)
        elif self.weights is None:
            cost = float(net.head.losses(z, self.targets[index]).sum(dtype=np.float64))
        else:  # Σ_x w_x C_x and Σ_x w_x [x right] (the trainer divides by Σ w_x); summed without
            # NumPy's BLAS, whose threads would then spin against the training's (``kernels``)
            weights = self.weights[index]
            cost = float(np.multiply(weights, net.head.losses(z, self.targets[index]), dtype=np.float64).sum())
            if labels is None:
                return cost, None
            return cost, float(weights.sum(where=net.task.correct(z, labels), dtype=np.float64))
        return cost, None if labels is None else net.task.n_right(z, labels)

    def _first_non_finite(self, count: int) -> NonFiniteValue:
        """The first batch of the block with a non-finite cost (blocks hold whole batches)."""
        step = self.batch_size
        for start in range(0, count, step):
            stop = min(start + step, count)
            cost = self._score(start, stop)[0]
            if not math.isfinite(cost):
                return NonFiniteValue("the training cost", cost / (stop - start), (self.begin + start) // step)
        return NonFiniteValue("the training cost", math.nan, self.begin // step)  # not reached: some batch is bad
