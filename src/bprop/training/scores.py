"""The epoch's training cost and accuracy, from the batches' own outputs.

While training, each batch's output a^L is already computed (the forward pass
of backprop), so the epoch's training figures need no second pass over the
data: they are the batches' costs and hits, weighted by batch size, before each
batch's update. That is a running figure, as Keras reports it.

Scoring each batch on its own costs about ten small NumPy calls per batch
(logarithms, argmax, a label gather, a count), a tenth of a batch-10 MNIST
epoch. Instead each batch's a^L is copied into a block of rows, in the order
the batches were trained, and the block is scored in one vectorized pass when
it is full or when the totals are read (the end of the epoch, a checkpoint).
"""

from __future__ import annotations

import numpy as np

from ..validation import are_one_hot

#: Rows of a^L kept before they are scored (at least one batch).
BLOCK_ROWS = 4096


class RunningScores:
    """Accumulates sum_x C_x and the number of right answers over trained batches.

    Args:
        net: the Network (its cost and ``labels_from_outputs``).
        targets, labels: the prepared training targets (n, n_L) and labels (n,).
        batch_size: the largest batch ``add`` will get.
        one_hot: every target row is the one-hot row of its label
            (``validation.are_one_hot``); default: checked here.
    """

    def __init__(self, net, targets: np.ndarray, labels: np.ndarray, batch_size: int,
                 one_hot: bool | None = None):
        self.net, self.targets, self.labels = net, targets, labels
        if one_hot is None:
            one_hot = are_one_hot(targets, labels)
        # With one-hot targets (class labels given to fit) a cost may score from the labels.
        self.one_hot = one_hot and net.cost.total_at_labels(targets[:1], labels[:1]) is not None
        rows = max(batch_size, min(BLOCK_ROWS, targets.shape[0]))
        self.block = np.empty((rows, targets.shape[1]), dtype=targets.dtype)
        self.order: np.ndarray | None = None
        self.begin = 0  # position in ``order`` of the block's first row
        self.filled = 0

    def start(self, order: np.ndarray, position: int) -> None:
        """The batches that follow are order[position:], in that order."""
        self.order, self.begin, self.filled = order, position, 0

    def add(self, a: np.ndarray, totals: dict) -> None:
        """Keep the next batch's outputs a^L (m, n_L); score the block first if it is full."""
        m = a.shape[0]
        if self.filled + m > self.block.shape[0]:
            self.flush(totals)
        self.block[self.filled : self.filled + m] = a
        self.filled += m

    def flush(self, totals: dict) -> None:
        """Add the kept rows' summed cost and right answers to ``totals``; empty the block."""
        count = self.filled
        if count:
            index = self.order[self.begin : self.begin + count]
            a = self.block[:count]
            labels = self.labels[index]
            if self.one_hot:
                totals["cost"] += self.net.cost.total_at_labels(a, labels)
            else:
                totals["cost"] += self.net.cost.value(a, self.targets[index]) * count
            totals["correct"] += int(np.count_nonzero(self.net.labels_from_outputs(a) == labels))
        self.begin += count
        self.filled = 0
