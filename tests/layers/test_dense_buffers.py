"""Dense layers reuse their training buffers, and nothing leaks between batches or into inference."""

import copy

import numpy as np
import pytest

from bprop import Network
from bprop.layers.workspace import Workspace
from bprop.sinks import FusedSGD, StoreGradients

from ..allocations import steady_peak_bytes


def test_workspace_reuses_memory_and_grows_on_demand():
    work = Workspace()
    first = work.get("z", 8, 3, np.float32)
    assert first.shape == (8, 3) and first.flags.c_contiguous
    smaller = work.get("z", 5, 3, np.float32)
    assert smaller.shape == (5, 3) and smaller.flags.c_contiguous
    assert np.shares_memory(first, smaller)  # a view of the same buffer
    bigger = work.get("z", 12, 3, np.float32)
    assert bigger.shape == (12, 3) and not np.shares_memory(first, bigger)
    assert work.get("z", 12, 3, np.float64).dtype == np.float64  # another dtype: a new buffer
    assert work.nbytes == 12 * 3 * 8
    assert copy.deepcopy(work).nbytes == 0
    work.clear()
    assert work.nbytes == 0


def test_training_forward_reuses_buffers_and_inference_allocates():
    rng = np.random.default_rng(0)
    net = Network([5, 4, 3], hidden="relu", seed=0, dtype="float64")
    layer = net.layers[0]
    x1, x2 = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    a1 = layer.forward(x1, training=True)
    expected = np.maximum(x1 @ layer.weights.T + layer.biases, 0)
    np.testing.assert_allclose(a1, expected, rtol=1e-12)
    a2 = layer.forward(x2, training=True)
    assert np.shares_memory(a1, a2)  # the same buffer, overwritten by the next batch
    inference = layer.forward(x1, training=False)
    assert layer.cache is None  # inference caches nothing
    assert not np.shares_memory(inference, a2)
    np.testing.assert_allclose(inference, expected, rtol=1e-12)
    layer.clear_cache()
    assert layer._work.nbytes == 0


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_feedforward_after_training_is_untouched_by_later_batches(hidden):
    """Predictions a user keeps are fresh arrays, never views of the training buffers."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 5)), rng.integers(0, 3, 30)
    net = Network([5, 6, 3], hidden=hidden, seed=1)
    net.fit(x, y, epochs=1, batch_size=8, verbose=False)
    kept = net.feedforward(x[:4])
    snapshot = kept.copy()
    net.backprop(x[4:12], y[4:12])
    net.fit(x, y, epochs=1, batch_size=8, verbose=False)
    np.testing.assert_array_equal(kept, snapshot)


def test_backprop_with_buffers_matches_a_fresh_network_batch_after_batch():
    """Reused buffers of different batch sizes (8, then 3) give the gradients of fresh layers."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((11, 5)), rng.integers(0, 3, 11)
    net = Network([5, 7, 4, 3], hidden="tanh", seed=2, dtype="float64")
    for rows in (slice(0, 8), slice(8, 11), slice(0, 8)):
        x_b, y_b = x[rows], y[rows]
        x_p, t_p, _ = net.prepare(x_b, y_b)
        net.backprop_prepared(x_p, t_p, StoreGradients())  # keeps the buffers between calls, as fit does
        reused = [layer.grads["weights"].copy() for layer in net.dense_layers]
        fresh = net.copy().backprop(x_b, y_b)  # a deep copy starts with empty buffers
        for a, b in zip(reused, fresh.weights):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
def test_a_steady_training_step_allocates_no_layer_sized_array(hidden):
    """After the first batch, a fused SGD step writes into reused buffers: NumPy's traced
    allocations stay below one (m, n_L) output array (only O(m) row sums and maxima and
    NumPy's fixed-size ufunc scratch, up to 32 KiB, remain; m is large enough that an
    (m, n_L) array is well above them)."""
    m = 4096
    rng = np.random.default_rng(3)
    net = Network([64, 100, 10], hidden=hidden, seed=3)
    x, targets, labels = net.prepare(rng.random((m, 64), dtype=np.float32), rng.integers(0, 10, m))
    target_index = labels + 10 * np.arange(m)  # what fit passes for class labels (heads.OutputHead.delta)
    step = FusedSGD(0.01)
    net.backprop_prepared(x, targets, step, target_index=target_index)  # first batch: buffers are allocated
    peak = steady_peak_bytes(lambda: net.backprop_prepared(x, targets, step, target_index=target_index))
    assert peak < m * 10 * 4, f"{peak} bytes allocated during steady training steps"
