"""Tests of the per-sample reference network, bprop.textbook.TextbookNetwork.

Evidence: its backprop agrees with float64 central differences of the cost for every
supported hidden activation and output/cost pair, and a few SGD steps lower the cost.
It is also one of bprop's three independent implementations (README, "Three
implementations of backprop"): its cost, gradients and SGD step equal those of the
vectorized ``bprop.Network`` on the same weights, for every pair it supports.
"""

import numpy as np
import pytest

from bprop import Dense, Network
from bprop.textbook import TextbookNetwork

PAIRS = [
    ("softmax", "log_likelihood"),
    ("softmax", "quadratic"),
    ("sigmoid", "quadratic"),
    ("sigmoid", "cross_entropy"),
]
HIDDEN = ["relu", "sigmoid", "tanh"]


def make_params(sizes, rng, dtype=np.float64):
    """Random weights (n_l, n_(l-1)) and biases (n_l,) for layer sizes ``sizes``."""
    weights = [rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)).astype(dtype)
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 0.1, n_out).astype(dtype) for n_out in sizes[1:]]
    return weights, biases


def make_data(rng, m=6, n_in=4, n_out=3):
    x = rng.normal(0, 1, (m, n_in))
    y = rng.integers(0, n_out, m)
    return x, y


def numerical_gradients(net, x, y, eps=1e-6):
    """Central differences (C(p + eps) - C(p - eps)) / (2 eps) of the mean cost, in float64."""
    grads_w = []
    grads_b = []
    for params, grads in ((net.weights, grads_w), (net.biases, grads_b)):
        for p in params:
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                c_plus = net.total_cost(x, y)
                p[idx] = old - eps
                c_minus = net.total_cost(x, y)
                p[idx] = old
                g[idx] = (c_plus - c_minus) / (2 * eps)
            grads.append(g)
    return grads_w, grads_b


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,cost", PAIRS)
def test_backprop_matches_central_differences(hidden, output, cost):
    rng = np.random.default_rng(1)
    weights, biases = make_params([4, 5, 3, 3], rng)  # two hidden layers, so BP2 runs twice
    net = TextbookNetwork(weights, biases, hidden=hidden, output=output, cost=cost)
    x, y = make_data(rng)
    nabla_w, nabla_b = net.backprop(x, y)
    num_w, num_b = numerical_gradients(net, x, y)
    for analytic, numeric in zip(nabla_w + nabla_b, num_w + num_b):
        assert analytic.shape == numeric.shape
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_backprop_accepts_one_hot_targets():
    rng = np.random.default_rng(2)
    weights, biases = make_params([4, 5, 3], rng)
    net = TextbookNetwork(weights, biases)
    x, y = make_data(rng)
    one_hot = np.eye(3)[y]
    from_labels_w, from_labels_b = net.backprop(x, y)
    from_targets_w, from_targets_b = net.backprop(x, one_hot)
    for a, b in zip(from_labels_w + from_labels_b, from_targets_w + from_targets_b):
        np.testing.assert_allclose(a, b)


def test_backprop_is_the_batch_mean_of_per_sample_gradients():
    rng = np.random.default_rng(3)
    weights, biases = make_params([4, 5, 3], rng)
    net = TextbookNetwork(weights, biases)
    x, y = make_data(rng)
    mean_w, mean_b = net.backprop(x, y)
    per_sample = [net.backprop_one(x[i], y[i]) for i in range(len(x))]
    for l in range(2):
        np.testing.assert_allclose(mean_w[l], np.mean([g[0][l] for g in per_sample], axis=0))
        np.testing.assert_allclose(mean_b[l], np.mean([g[1][l] for g in per_sample], axis=0))


def test_update_mini_batch_is_one_gradient_step():
    rng = np.random.default_rng(4)
    weights, biases = make_params([4, 5, 3], rng)
    net = TextbookNetwork(weights, biases)
    x, y = make_data(rng)
    nabla_w, nabla_b = net.backprop(x, y)
    net.update_mini_batch(x, y, eta=0.5)
    for l in range(2):
        np.testing.assert_allclose(net.weights[l], weights[l] - 0.5 * nabla_w[l])
        np.testing.assert_allclose(net.biases[l], biases[l] - 0.5 * nabla_b[l])


@pytest.mark.parametrize("hidden", HIDDEN)
def test_training_reduces_the_cost(hidden):
    rng = np.random.default_rng(5)
    weights, biases = make_params([4, 8, 3], rng)
    x = rng.normal(0, 1, (30, 4))
    y = np.argmax(x[:, :3], axis=1)  # a learnable rule: the largest of the first 3 inputs
    net = TextbookNetwork(weights, biases, hidden=hidden)
    before = net.total_cost(x, y)
    net.fit(x, y, epochs=30, batch_size=5, eta=0.5, seed=0)
    assert net.total_cost(x, y) < 0.5 * before


def test_dtype_is_kept_and_inputs_are_not_mutated():
    rng = np.random.default_rng(6)
    weights, biases = make_params([4, 5, 3], rng, dtype=np.float32)
    originals = [w.copy() for w in weights]
    net = TextbookNetwork(weights, biases)
    x, y = make_data(rng, m=10)
    net.sgd_epoch(x.astype(np.float32), y, batch_size=3, eta=0.1, rng=0)
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)
    for w, w0 in zip(weights, originals):
        np.testing.assert_array_equal(w, w0)
    assert net.predict(x).shape == (10,)


def test_invalid_arguments_raise_value_error():
    rng = np.random.default_rng(7)
    weights, biases = make_params([4, 5, 3], rng)
    with pytest.raises(ValueError, match="hidden"):
        TextbookNetwork(weights, biases, hidden="swish")
    with pytest.raises(ValueError, match="not supported"):
        TextbookNetwork(weights, biases, output="sigmoid", cost="log_likelihood")
    with pytest.raises(ValueError, match="do not"):
        TextbookNetwork(weights, [biases[1], biases[0]])
    net = TextbookNetwork(weights, biases)
    with pytest.raises(ValueError, match="batch_size"):
        net.sgd_epoch(np.zeros((2, 4)), np.zeros(2, dtype=int), batch_size=0, eta=0.1)


def test_a_single_sample_is_a_batch_of_one():
    rng = np.random.default_rng(8)
    weights, biases = make_params([4, 5, 3], rng)
    net = TextbookNetwork(weights, biases)
    x, y = make_data(rng, m=1)
    single_w, single_b = net.backprop(x[0], y[0])
    batch_w, batch_b = net.backprop(x, y)
    for a, b in zip(single_w + single_b, batch_w + batch_b):
        np.testing.assert_allclose(a, b)


def vectorized_twin(textbook: TextbookNetwork) -> Network:
    """The vectorized bprop network with the textbook network's weights, activations and cost."""
    n_layers = len(textbook.weights)
    layers = [Dense(w.shape[1], w.shape[0], textbook.output if l == n_layers - 1 else textbook.hidden,
                    weights=w, biases=b)
              for l, (w, b) in enumerate(zip(textbook.weights, textbook.biases))]
    return Network(layers, cost=textbook.cost, dtype=textbook.dtype, task="classification")


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,cost", PAIRS)
@pytest.mark.parametrize("one_hot", [False, True], ids=["labels", "one-hot"])
def test_textbook_and_vectorized_network_agree(hidden, output, cost, one_hot):
    """Two independent implementations of BP1-BP4: a loop over column vectors with its own
    activations and BP1 per pair, and bprop's batched layers, heads and sinks."""
    rng = np.random.default_rng(4)
    weights, biases = make_params([4, 5, 3, 3], rng)
    textbook = TextbookNetwork(weights, biases, hidden=hidden, output=output, cost=cost)
    net = vectorized_twin(textbook)
    x, labels = make_data(rng, m=7)
    y = np.eye(3)[labels] if one_hot else labels
    assert net.total_cost(x, y) == pytest.approx(textbook.total_cost(x, y), rel=1e-12)
    nabla_w, nabla_b = textbook.backprop(x, y)
    grads = net.backprop(x, y)
    for ours, theirs in zip(grads.weights + grads.biases, nabla_w + nabla_b):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    # One SGD step on the whole batch, equations (2-5) and (2-6), on both sides.
    textbook.update_mini_batch(x, y, eta=0.5)
    net.fit(x, y, epochs=1, batch_size=len(x), eta=0.5, shuffle=False, verbose=False)
    for ours, theirs in zip(list(net.weights) + list(net.biases), textbook.weights + textbook.biases):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_the_cross_check_can_fail():
    """A relative change of 1e-6 in one weight of one side is seen (the comparison is not vacuous)."""
    rng = np.random.default_rng(4)
    weights, biases = make_params([4, 5, 3], rng)
    textbook = TextbookNetwork(weights, biases, hidden="tanh", output="softmax", cost="log_likelihood")
    net = vectorized_twin(textbook)
    net.weights[0][1, 2] = net.weights[0][1, 2] * (1 + 1e-6)
    x, y = make_data(rng, m=5)
    nabla_w, _ = textbook.backprop(x, y)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(net.backprop(x, y).weights[0], nabla_w[0], rtol=1e-10, atol=1e-13)
