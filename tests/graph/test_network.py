"""The scalar graph of a network agrees with Network.backprop: two independent implementations.

The graph differentiates with one local rule per primitive (ops.py); the network
with BP1-BP4, the activations' backward and the fused output/cost pairs. Every valid
output/cost pair, hidden activations of every kind, 1-3 weight layers, one sample
and a batch of 3, class-index, one-hot and soft targets must give the same
gradients to 1e-10.
"""

import numpy as np
import pytest

from bprop import Network
from bprop.activations import LeakyReLU
from bprop.graph import Value
from bprop.graph.network import MAX_PARAMETERS, NetworkGraph, network_graph
from bprop.layers import Dense, Dropout

PAIRS = [
    ("sigmoid", "quadratic"),
    ("tanh", "quadratic"),
    ("relu", "quadratic"),
    ("leaky_relu", "quadratic"),
    ("identity", "quadratic"),
    ("softmax", "quadratic"),
    ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", "log_likelihood"),
]
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
RTOL, ATOL = 1e-10, 1e-12


def activation(name):
    # A slope other than the default 0.01, so a wrong slope cannot pass unnoticed.
    return LeakyReLU(0.1) if name == "leaky_relu" else name


def random_net(output, cost, depth, n_out, offset, seed):
    """Sizes 3 -> 4 -> 3 -> n_out cut to ``depth`` weight layers; hidden activations cycle."""
    sizes = [3, 4, 3][:depth] + [n_out]
    layers = []
    for l, (n_in, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        name = output if l == depth - 1 else HIDDEN[(offset + l) % len(HIDDEN)]
        layers.append(Dense(n_in, n, activation(name)))
    net = Network(layers, cost=cost, seed=seed, dtype="float64", task="classification")
    rng = np.random.default_rng(seed + 1)
    for l in range(depth):  # non-zero biases, so BP3 is tested too
        net.biases[l] = rng.normal(0.0, 0.5, net.biases[l].shape)
    return net


def targets(kind, m, n_out, rng, cost="", output=""):
    labels = rng.integers(0, max(n_out, 2), m)
    if kind == "index":
        return labels
    if kind == "one-hot":
        return np.eye(n_out)[labels] if n_out > 1 else labels.reshape(-1, 1).astype(float)
    # soft targets, every cost term present, one class per row (a classifier's targets)
    soft = rng.uniform(0.05, 0.45, (m, n_out))
    soft[np.arange(m), rng.integers(0, n_out, m)] = rng.uniform(0.55, 0.95, m)
    if output == "softmax":
        soft /= soft.sum(axis=1, keepdims=True)  # distributions: softmax outputs sum to 1
    return soft


def max_relative_difference(graph_grads, net_grads):
    worst = 0.0
    for g, b in zip(graph_grads.weights + graph_grads.biases, net_grads.weights + net_grads.biases):
        worst = max(worst, float(np.max(np.abs(g - b) / np.maximum(np.abs(b), 1e-8))))
    return worst


def assert_same_gradients(graph_grads, net_grads):
    assert len(graph_grads.weights) == len(net_grads.weights)
    for g, b in zip(graph_grads.weights + graph_grads.biases, net_grads.weights + net_grads.biases):
        assert g.shape == b.shape
        assert g.dtype == np.float64
        np.testing.assert_allclose(g, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("output, cost", PAIRS)
def test_graph_gradients_equal_backprop(output, cost, depth):
    case = PAIRS.index((output, cost)) * 3 + depth
    n_out = 1 if output == "sigmoid" and depth == 2 else 3
    net = random_net(output, cost, depth, n_out, offset=case, seed=case)
    rng = np.random.default_rng(100 + case)
    for m in (1, 3):
        x = rng.normal(0.0, 1.0, (m, 3))
        for kind in ("index", "one-hot", "soft"):
            y = targets(kind, m, n_out, rng, cost, output)
            graph = network_graph(net, x, y)
            assert graph.cost.data == pytest.approx(net.total_cost(x, y), rel=1e-12, abs=1e-14)
            assert_same_gradients(graph.backward(), net.backprop(x, y))


def test_softmax_log_likelihood_refuses_targets_not_summing_to_one_in_both():
    net = Network([3, 3], output="softmax", cost="log_likelihood", seed=0, dtype="float64")
    x, y = np.array([[0.3, -0.2, 0.5]]), np.array([[0.2, 0.7, 0.4]])
    for call in (lambda: network_graph(net, x, y), lambda: net.backprop(x, y)):
        with pytest.raises(ValueError, match="must sum to 1; 1 of 1 rows do not \\(e.g. row 0 sums to 1.3\\)"):
            call()


def test_graph_with_regularizers():
    for spec in (("l2", 0.7), ("l1", 0.3)):
        net = Network([3, 4, 2], hidden="tanh", output="softmax", cost="log_likelihood",
                      seed=5, dtype="float64", regularizer=spec)
        x = np.random.default_rng(6).normal(size=(3, 3))
        y = [0, 1, 1]
        graph = network_graph(net, x, y)
        assert graph.cost.data == pytest.approx(net.total_cost(x, y), rel=1e-12)
        assert_same_gradients(graph.backward(), net.backprop(x, y))


def test_float32_network_gives_float64_gradients():
    net = Network([2, 3, 2], hidden="sigmoid", output="sigmoid", cost="quadratic", seed=1)
    x, y = [[0.25, -0.5]], [1]  # exact in float32, so both networks see the same inputs
    grads = network_graph(net, x, y).backward()
    assert all(g.dtype == np.float64 for g in grads.weights + grads.biases)
    net64 = net.copy(dtype="float64")
    assert_same_gradients(grads, net64.backprop(x, y))


def seed000_network():
    return Network(
        [
            Dense(2, 2, "sigmoid", weights=[[0.15, 0.20], [0.25, 0.30]], biases=[0.35, 0.35], train_biases=False),
            Dense(2, 2, "sigmoid", weights=[[0.40, 0.45], [0.50, 0.55]], biases=[0.60, 0.60], train_biases=False),
        ],
        cost="quadratic",
        dtype="float64",
    )


def test_seed000_worked_example():
    """Seed 000 §3.3.5: E_total = 0.298371109 and dE_total/dw5 = 0.082167041."""
    net = seed000_network()
    x, y = [[0.05, 0.10]], [[0.01, 0.99]]
    graph = network_graph(net, x, y)
    grads = graph.backward()
    assert graph.cost.data == pytest.approx(0.298371109, abs=1e-9)
    w5 = graph.weights[1][0, 0]
    assert w5.label == "w2_11" and w5.data == 0.40
    assert w5.grad == pytest.approx(0.082167041, abs=1e-9)
    assert grads.weights[1][0, 0] == w5.grad
    assert_same_gradients(grads, net.backprop(x, y))
    a = graph.a[0][0]
    assert [node.label for node in a] == ["a1_1", "a1_2"]
    assert a[0].data == pytest.approx(0.593269992, abs=1e-9)  # seed 000's out_h1


def test_parameter_leaves_are_arranged_like_the_network():
    net = Network([3, 2, 2], hidden="relu", output="softmax", seed=0, dtype="float64")
    graph = network_graph(net, np.ones((2, 3)), [0, 1])
    assert isinstance(graph, NetworkGraph)
    for leaves, values in zip(graph.weights + graph.biases, list(net.weights) + list(net.biases)):
        assert leaves.shape == values.shape
        assert all(isinstance(v, Value) and v.is_leaf for v in leaves.flat)
        np.testing.assert_array_equal([v.data for v in leaves.flat], values.ravel())
    assert graph.weights[0][1, 2].label == "w1_23"
    assert graph.biases[1][0].label == "b2_1"
    assert graph.z[0][1, 0].label == "z1_1[2]"  # per-sample labels carry the sample number
    assert graph.cost.label == "C"


def test_wide_layers_separate_indices_with_a_comma():
    net = Network([10, 2, 1], hidden="tanh", output="sigmoid", cost="quadratic", seed=0)
    graph = network_graph(net, np.zeros((1, 10)), [1])
    assert graph.weights[0][1, 9].label == "w1_2,10"


def test_gradients_before_backward_are_refused():
    graph = network_graph(seed000_network(), [[0.05, 0.10]], [[0.01, 0.99]])
    with pytest.raises(RuntimeError, match="backward"):
        graph.gradients()


def test_too_large_network_is_refused():
    net = Network([30, 20, 10], seed=0)
    assert net.n_params > MAX_PARAMETERS
    with pytest.raises(ValueError, match="too many"):
        network_graph(net, np.zeros((1, 30)), [0])


def test_too_large_batch_and_dropout_are_refused():
    net = Network([2, 2, 2], seed=0)
    with pytest.raises(ValueError, match="batch"):
        network_graph(net, np.zeros((100, 2)), np.zeros(100, dtype=int))
    dropped = Network([Dense(2, 3, "relu"), Dropout(0.5), Dense(3, 2, "softmax")], seed=0)
    with pytest.raises(ValueError, match="Dense layers only"):
        network_graph(dropped, np.zeros((1, 2)), [0])


def test_bad_targets_are_refused_like_the_network_does():
    net = Network([2, 2, 2], seed=0)
    with pytest.raises(ValueError, match="out of range"):
        network_graph(net, [[0.1, 0.2]], [5])


@pytest.mark.parametrize("slope", [0.01, 0.1])
def test_leaky_relu_at_exactly_zero_has_the_networks_slope(slope):
    # z^1 = 0 exactly (zero weights and biases): leaky ReLU has no derivative there; the network
    # takes the slope (leaky_relu'(z) = 1 if z > 0 else slope), and so must the graph (0 is not
    # even a subgradient of leaky ReLU, whose subgradients at 0 are [slope, 1]).
    hidden = Dense(2, 2, LeakyReLU(slope), weights=np.zeros((2, 2)), biases=np.zeros(2))
    output = Dense(2, 1, "identity", weights=np.array([[0.5, 0.7]]), biases=np.array([0.1]))
    net = Network([hidden, output], cost="quadratic", dtype="float64")
    x, y = np.array([[1.0, 1.0]]), np.array([[2.0]])
    graph = network_graph(net, x, y)
    grads = graph.backward()
    # by hand: a^2 = 0.1, δ^2 = 0.1 - 2 = -1.9, δ^1 = (w^2)^T δ^2 · slope
    assert grads.biases[1] == pytest.approx([-1.9], rel=1e-12)
    assert grads.biases[0] == pytest.approx([0.5 * -1.9 * slope, 0.7 * -1.9 * slope], rel=1e-12)
    assert_same_gradients(grads, net.backprop(x, y))
