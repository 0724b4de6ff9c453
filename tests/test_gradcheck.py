"""Backprop against float64 central differences for every output/cost pair.

Networks of 1 to 4 weight layers, batch sizes 1 and 7, class-index and one-hot
targets. Hidden layers cycle through every elementwise activation.
"""

import itertools

import numpy as np
import pytest

import bprop
from bprop import Dense, Network

OUTPUTS_FOR_COST = {
    "quadratic": ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"],
    "cross_entropy": ["sigmoid", "softmax"],
    "log_likelihood": ["softmax"],
}
PAIRS = [(output, cost) for cost, outputs in OUTPUTS_FOR_COST.items() for output in outputs]
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def make_network(n_layers, output, cost, seed):
    sizes = [4, 5, 6, 5, 3][: n_layers] + [3]
    layers = [
        Dense(n_in, n_out, output if l == n_layers - 1 else HIDDEN[(seed + l) % len(HIDDEN)])
        for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
    ]
    # labels on any output layer of 3 neurons: read by its argmax (task classification)
    return Network(layers, cost=cost, seed=seed, dtype="float64", task="classification")


@pytest.mark.parametrize("output,cost", PAIRS)
@pytest.mark.parametrize("n_layers", [1, 2, 3, 4])
def test_backprop_matches_finite_differences(output, cost, n_layers):
    for batch, one_hot in itertools.product([1, 7], [False, True]):
        seed = n_layers * 10 + batch
        net = make_network(n_layers, output, cost, seed)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((batch, 4))
        labels = rng.integers(0, 3, batch)
        y = np.eye(3)[labels] if one_hot else labels
        report = bprop.gradcheck(net, x, y)
        assert len(report.checks) == 2 * n_layers
        assert report.max_relative_error < 1e-6, (output, cost, n_layers, batch, one_hot, report.per_layer())


def test_gradcheck_detects_a_wrong_gradient(monkeypatch):
    """The check must be able to fail: break BP3 and it reports a large error."""
    net = make_network(2, "softmax", "log_likelihood", 0)
    x = np.random.default_rng(0).standard_normal((7, 4))
    y = np.arange(7) % 3
    original = Dense.backward_delta

    def broken(self, delta, *args, **kwargs):
        result = original(self, delta, *args, **kwargs)
        self.grads["biases"] *= 1.01
        return result

    monkeypatch.setattr(Dense, "backward_delta", broken)
    report = bprop.gradcheck(net, x, y)
    assert not report.passed()
    assert report.max_relative_error > 1e-3


def test_gradcheck_counts_passes_and_leaves_network_alone():
    net = Network([3, 4, 2], hidden="tanh", output="softmax", seed=0)
    before = [w.copy() for w in net.weights]
    report = bprop.gradcheck(net, np.ones((2, 3)), [0, 1])
    assert report.n_params == 3 * 4 + 4 + 4 * 2 + 2
    assert report.forward_passes == 2 * report.n_params
    assert report.fd_seconds > 0 and report.backprop_seconds > 0
    assert net.dtype == np.float32
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))
