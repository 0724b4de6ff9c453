"""Sampling the per-layer gradient norms while training: the history's ``grad_norm_l`` and
``delta_norm_l`` columns.

    grad_norm_l     ||dC_0/dw^l||, the Frobenius norm of layer l's weight gradient of the
                    data cost (no penalty term)
    delta_norm_l    ||dC/db^l|| = ||Σ_x delta^l|| (BP3): seed 001's "speed of learning" of
                    layer l, which does not grow with the layer's fan-in, so it shows a
                    vanishing gradient layer against layer

each the mean over the epoch's sampled batches: every k-th batch (``default_norm_interval``).
A sampled batch runs with the step's sink wrapped in a ``sinks.NormSampler``, which reads the
gradients and never changes the arithmetic, so the weights are bit-identical with and
without sampling. This is a part of the loop rather than a ``Callback``: it must reach into
the backward pass (the sink), which callbacks never see. Its running sums live in the
trainer's epoch totals, which a mid-epoch checkpoint saves.
"""

from __future__ import annotations

from .. import kernels, sinks

#: The default sampling aims at about this many sampled batches per epoch.
NORM_SAMPLES_PER_EPOCH = 20


def default_norm_interval(n_batches: int, forms_gradient: bool) -> int:
    """Sample the gradient norms every k-th batch, k = max(k_min, ceil(n_batches / 20)).

    About 20 sampled batches per epoch, and at most one batch in k_min, so that sampling
    costs about 1% of an epoch or less. What a sampled batch costs beyond a plain one:
    with plain SGD on small batches, two Gram matrices per layer (k_min = 10); with plain
    SGD on larger batches (``forms_gradient``), forming the weight gradient a second time,
    beside the fused step, to take its norm (k_min = 30); with an optimizer that stores the
    gradients anyway, their norms only (k_min = 10). On MNIST 784-100-10 (2 cores) a
    sampled batch cost 40 us more than a plain one at batch size 32 (+29%), 100 us at 128
    (+25%) and 112 us at 512 (+8%). The previous default (every 16th batch at 32, every
    10th at 128 and 512) cost 3%, 3% and 1.7% of an epoch against no sampling; this one
    measured 0.8% at batch size 10 and 0.3-0.9% at 32, and is within the noise at 128 and
    512 (from the costs above: 0.9% and 0.3%).

    Each sampled norm is already a mean over the batch's samples, so the mean of 20 of
    them is a steady per-epoch figure.
    """
    return max(30 if forms_gradient else 10, -(-n_batches // NORM_SAMPLES_PER_EPOCH))


class NormSampling:
    """Which batches to sample, the wrapped sink, and the epoch's sums and means.

    Args:
        every: sample every k-th batch; 0: never; None: ``default_norm_interval``.

    Attributes:
        every: the interval of the epoch in progress (set by ``start_epoch``; 0: none).
    """

    def __init__(self, every: int | None):
        self.requested = every
        self.every = 0
        self._sampler: sinks.NormSampler | None = None

    def metric_names(self, n_layers: int) -> set[str]:
        """The log columns this adds (none when sampling is off)."""
        if self.requested == 0:
            return set()
        return {f"{kind}_norm_{l}" for kind in ("grad", "delta") for l in range(1, n_layers + 1)}

    def start_epoch(self, n_batches: int, batch_size: int, dense_layers, fused: bool) -> None:
        """Fix the epoch's interval. Sampled fused batches form the largest layer's gradient
        when that is cheaper than its Gram matrices (large batches)."""
        if self.requested is not None:
            self.every = self.requested
            return
        largest = max(dense_layers, key=lambda layer: layer.n_in * layer.n_out)
        forms_gradient = fused and not kernels.gram_norm_is_cheaper(batch_size, largest.n_in, largest.n_out)
        self.every = default_norm_interval(n_batches, forms_gradient=forms_gradient)

    def wrap(self, sink) -> sinks.NormSampler:
        """``sink`` wrapped to read the norms of a sampled batch."""
        if self._sampler is None or self._sampler.inner is not sink:
            self._sampler = sinks.NormSampler(sink)
        return self._sampler

    def add(self, totals: dict) -> None:
        """Add the last sampled batch's norms to the epoch's sums (``totals``)."""
        for l, (weight_norm, bias_norm) in enumerate(self._sampler.norms):
            totals["norm_sums"][l] += weight_norm
            totals["delta_sums"][l] += bias_norm
        totals["norm_count"] += 1

    @staticmethod
    def fresh_totals(n_layers: int) -> dict:
        """The epoch's sums before its first batch."""
        return {"norm_sums": [0.0] * n_layers, "delta_sums": [0.0] * n_layers, "norm_count": 0}

    @staticmethod
    def logs(totals: dict) -> dict:
        """The epoch's means: {"grad_norm_l": ..., "delta_norm_l": ...} (empty: nothing sampled)."""
        count = totals["norm_count"]
        if not count:
            return {}
        logs = {f"grad_norm_{l + 1}": total / count for l, total in enumerate(totals["norm_sums"])}
        logs.update({f"delta_norm_{l + 1}": total / count for l, total in enumerate(totals["delta_sums"])})
        return logs
