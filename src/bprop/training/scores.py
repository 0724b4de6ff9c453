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
exact at any saturation. The block's rows are summed per batch (``np.add.reduceat``)
and the batches' sums added to the epoch's totals in the order trained, so the totals
do not depend on where blocks begin and end: a checkpoint taken mid-block, and resumed,
gives the uninterrupted run's figures bit for bit.

The block's summed cost is also the divergence check of the training loop: when
it is NaN or inf (a non-finite z^L, or a cost that overflowed), ``flush`` names the
first batch whose cost is, and raises ``divergence.NonFiniteValue``. Finite blocks
pay one float comparison.
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

        The block's rows are summed batch by batch, and the batches' sums added to the totals
        one after the other, in the order trained (``np.add.accumulate``: left to right). The
        epoch's totals are then the same bits however its batches were cut into blocks: a run
        interrupted mid-block (its checkpoint flushes the block so far) and resumed sums exactly
        as the uninterrupted run, whose block, summed as one array, rounded otherwise in the
        last bit.

        Raises:
            NonFiniteValue: the block's cost is NaN or inf; ``batch`` is the epoch's
                first batch whose cost is (0-based), ``value`` that batch's mean cost.
        """
        count = self.filled
        if count:
            costs, rights = self._batch_sums(count)
            running = np.add.accumulate(np.concatenate(([totals["cost"]], costs)))
            if not math.isfinite(running[-1]):
                raise self._first_non_finite(costs, running)
            totals["cost"] = float(running[-1])
            if rights is not None:
                if rights.dtype.kind == "f":
                    totals["correct"] = float(np.add.accumulate(np.concatenate(([totals["correct"]], rights)))[-1])
                else:
                    totals["correct"] += int(rights.sum())
        self.begin += count
        self.filled = 0

    def _batch_sums(self, count: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Per batch of the kept rows 0..count-1 (blocks hold whole batches): (Σ C_x in float64,
        right answers or None), each row weighted by w_x with sample weights."""
        net = self.net
        index = self.order[self.begin : self.begin + count]
        z = self.block[:count]
        labels = None if self.labels is None else self.labels[index]
        starts = np.arange(0, count, self.batch_size)
        rights = None
        if self.one_hot:
            losses = net.head.losses_at_labels(z, labels).astype(np.float64)
        elif self.weights is None:
            losses = net.head.losses(z, self.targets[index])
        else:  # Σ_x w_x C_x and Σ_x w_x [x right] (the trainer divides by Σ w_x); multiplied without
            # NumPy's BLAS, whose threads would then spin against the training's (``kernels``)
            weights = self.weights[index]
            losses = np.multiply(weights, net.head.losses(z, self.targets[index]), dtype=np.float64)
            if labels is not None:
                rights = np.add.reduceat(np.where(net.task.correct(z, labels), weights, 0.0), starts)
            return np.add.reduceat(losses, starts), rights
        if labels is not None:
            rights = np.add.reduceat(net.task.correct(z, labels).astype(np.int64), starts)
        return np.add.reduceat(np.asarray(losses, dtype=np.float64), starts), rights

    def _first_non_finite(self, costs: np.ndarray, running: np.ndarray) -> NonFiniteValue:
        """The first batch of the block whose cost (or the running total with it) is not finite."""
        step = self.batch_size
        for position, cost in enumerate(costs.tolist()):
            if not (math.isfinite(cost) and math.isfinite(running[position + 1])):
                rows = min(step, self.filled - position * step)
                value = cost / rows if not math.isfinite(cost) else float(running[position + 1])
                return NonFiniteValue("the training cost", value, (self.begin + position * step) // step)
        return NonFiniteValue("the training cost", math.nan, self.begin // step)  # not reached: some batch is bad
