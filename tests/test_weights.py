"""Sample weights: the weighted mean cost Σ w_x C_x / Σ w_x, its BP1 in the output head,
the regularizer's n = Σ w_x, and optimizer state that persists across fits."""

import numpy as np
import pytest

from bprop import Adam, Momentum, Network, activations, costs
from bprop.gradcheck import numerical_gradients
from bprop.heads import OutputHead
from bprop.weights import row_weights

PAIRS = [
    ("softmax", "log_likelihood", 3),
    ("softmax", "cross_entropy", 3),
    ("softmax", "quadratic", 3),
    ("sigmoid", "cross_entropy", 1),
    ("sigmoid", "cross_entropy", 3),
    ("tanh", "quadratic", 2),
    ("identity", "quadratic", 2),
]


def data(n_out, m=7, n_in=4, seed=0, labels=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, n_in))
    if labels and n_out > 1:
        y = rng.integers(0, n_out, size=m)
    elif labels:
        y = rng.integers(0, 2, size=m)
    else:
        y = rng.normal(size=(m, n_out))
    return x, y


def targets_for(output, cost, n_out, m, seed=0):
    x, y = data(n_out, m=m, seed=seed, labels=output in ("softmax", "sigmoid"))
    if output == "tanh":
        y = np.tanh(y)
    return x, y


def net_for(output, cost, n_out, regularizer=("l2", 0.7)):
    return Network([4, 5, n_out], hidden="tanh", output=output, cost=cost, seed=3, dtype="float64",
                   regularizer=regularizer,
                   task="regression" if output in ("tanh", "identity") else None)


@pytest.mark.parametrize("output, cost, n_out", PAIRS)
def test_weighted_gradients_equal_float64_central_differences(output, cost, n_out):
    """BP1 with row factors w_x / Σw (plus L2 with n = Σw) against central differences of
    the weighted cost Network.total_cost computes."""
    net = net_for(output, cost, n_out)
    x, y = targets_for(output, cost, n_out, m=7)
    w = np.array([0.0, 1.0, 2.5, 0.3, 4.0, 1.0, 0.7])
    grads = net.backprop(x, y, sample_weight=w)
    params = list(net.weights) + list(net.biases)
    numeric = numerical_gradients(lambda: net.total_cost(x, y, sample_weight=w), params, 1e-6)
    for name, analytic, expected in zip(["w1", "w2", "b1", "b2"], list(grads.weights) + list(grads.biases), numeric):
        np.testing.assert_allclose(analytic, expected, rtol=1e-6, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("output, cost, n_out", PAIRS)
def test_a_weight_of_two_equals_a_repeated_row_float64(output, cost, n_out):
    net = net_for(output, cost, n_out)
    x, y = targets_for(output, cost, n_out, m=6)
    w = np.array([2, 1, 1, 3, 1, 0])
    repeated = np.repeat(np.arange(6), w)
    weighted = net.backprop(x, y, sample_weight=w)
    plain = net.backprop(x[repeated], y[repeated])
    for got, want in zip(weighted.weights + weighted.biases, plain.weights + plain.biases):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert net.total_cost(x, y, sample_weight=w) == pytest.approx(net.total_cost(x[repeated], y[repeated]), rel=1e-13)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "momentum"])
@pytest.mark.parametrize("regularizer", [None, ("l2", 0.5), ("l1", 0.05)])
def test_full_batch_training_with_weights_equals_repeated_rows(optimizer, regularizer):
    """The trainer: BP1 row factors per batch, the regularizer's n = Σw (the fused SGD
    weight decay too), the weighted train cost. Full batches, so both fits see the same sums."""
    x, y = data(3, m=12, seed=1)
    w = np.array([2, 1, 0, 3, 1, 1, 2, 1, 1, 0, 4, 1])
    repeated = np.repeat(np.arange(12), w)
    runs = []
    for xs, ys, ws in ((x, y, w), (x[repeated], y[repeated], None)):
        net = Network([4, 6, 3], hidden="tanh", seed=5, dtype="float64", regularizer=regularizer)
        history = net.fit(xs, ys, epochs=15, batch_size=100, eta=0.05, optimizer=optimizer, verbose=False,
                          sample_weight=ws)
        runs.append((net, history))
    (weighted, h_weighted), (plain, h_plain) = runs
    for got, want in zip(list(weighted.weights) + list(weighted.biases), list(plain.weights) + list(plain.biases)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(h_weighted["train_cost"], h_plain["train_cost"], rtol=1e-10)
    if regularizer is not None:
        assert weighted.regularizer.n == pytest.approx(w.sum()) and plain.regularizer.n == w.sum()


def test_weighted_float32_training_agrees_to_float32_rounding():
    x, y = data(3, m=12, seed=1)
    w = np.array([2, 1, 0, 3, 1, 1, 2, 1, 1, 0, 4, 1])
    repeated = np.repeat(np.arange(12), w)
    a = Network([4, 6, 3], seed=5, dtype="float32")
    a.fit(x, y, epochs=10, batch_size=100, eta=0.05, optimizer="adam", verbose=False, sample_weight=w)
    b = Network([4, 6, 3], seed=5, dtype="float32")
    b.fit(x[repeated], y[repeated], epochs=10, batch_size=100, eta=0.05, optimizer="adam", verbose=False)
    np.testing.assert_allclose(a.predict_proba(x), b.predict_proba(x), rtol=1e-5, atol=1e-6)


def test_all_ones_weights_are_the_unweighted_fit_bit_for_bit():
    x, y = data(3, m=40, seed=2)
    a = Network([4, 6, 3], seed=5)
    a.fit(x, y, epochs=3, batch_size=8, verbose=False, sample_weight=np.ones(40))
    b = Network([4, 6, 3], seed=5)
    b.fit(x, y, epochs=3, batch_size=8, verbose=False)
    for got, want in zip(a.weights, b.weights):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_hot_fast_path_with_row_weights_equals_the_general_path(dtype):
    head = OutputHead(activations.get("softmax"), costs.get("log_likelihood"), 3)
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(5, 3)) * 30).astype(dtype)
    a = head.outputs(z)
    labels = rng.integers(0, 3, size=5)
    y = np.eye(3, dtype=dtype)[labels]
    factors = row_weights(np.array([0.5, 2.0, 0.0, 1.0, 3.0]), dtype)
    fast = head.delta(z, a, y, target_index=labels + 3 * np.arange(5), row_weights=factors)
    general = head.delta(z, a, y, row_weights=factors)
    np.testing.assert_allclose(fast, general, rtol=1e-6 if dtype == "float32" else 1e-14, atol=1e-7)
    assert fast.dtype == np.dtype(dtype) and np.all(fast[2] == 0)
    # the unweighted call is unchanged
    np.testing.assert_array_equal(head.delta(z, a, y, target_index=labels + 3 * np.arange(5)),
                                  head.delta(z, a, y, target_index=labels + 3 * np.arange(5), row_weights=None))


@pytest.mark.parametrize("weights, message", [
    (np.array([1.0, -1.0, 1.0, 1.0]), "non-negative"),
    (np.array([1.0, np.nan, 1.0, 1.0]), "NaN"),
    (np.ones(3), "vector of 4"),
    (np.ones((4, 2)), "vector of 4"),
    (np.zeros(4), "every weight is zero"),
    (np.array(["a", "b", "c", "d"]), "numbers"),
])
def test_bad_weights_are_refused_before_anything_changes(weights, message):
    x, y = data(3, m=4)
    net = Network([4, 5, 3], seed=0, regularizer=("l2", 1.0))
    before = [w.copy() for w in net.weights]
    rng_state = net.rng.bit_generator.state
    with pytest.raises(ValueError, match=message):
        net.fit(x, y, epochs=1, verbose=False, sample_weight=weights)
    assert all(np.array_equal(w, b) for w, b in zip(net.weights, before))
    assert net.rng.bit_generator.state == rng_state and net.regularizer.n is None


@pytest.mark.parametrize("optimizer", [lambda: Adam(eta=0.01), lambda: Momentum(eta=0.05, mu=0.9)])
def test_k_fits_of_one_epoch_with_one_optimizer_equal_one_fit_of_k_epochs(optimizer):
    """The optimizer object carries its state (Adam's moments and step count, the
    velocities) from one fit to the next, and the network's generator the shuffling."""
    x, y = data(3, m=50, seed=4)
    a, opt = Network([4, 8, 3], seed=1), optimizer()
    for _ in range(4):
        a.fit(x, y, epochs=1, batch_size=16, eta=opt.eta, optimizer=opt, verbose=False)
    b, opt_b = Network([4, 8, 3], seed=1), optimizer()
    b.fit(x, y, epochs=4, batch_size=16, eta=opt_b.eta, optimizer=opt_b, verbose=False)
    for got, want in zip(list(a.weights) + list(a.biases), list(b.weights) + list(b.biases)):
        np.testing.assert_array_equal(got, want)


def test_weighted_mini_batches_step_along_the_weighted_mean_gradient():
    """Over an epoch, the mini-batch steps add up to (n / m) times the gradient of the weighted
    mean cost, as the repeated rows' batches would: a batch of light rows takes a small step.
    Only the output bias learns (x = 0), C_x = ½ (b - y_x)², so from b = 0 with a tiny eta
    the epoch moves b by eta (n / m) Σ w_x y_x / Σ w_x. Dividing each batch by its own Σ w
    (every batch a full step) moved it by the mean of the batches' weighted means instead:
    10 heavy rows among 1,000 weighed far less than they should."""
    n, m, eta = 1000, 10, 1e-7
    y = np.zeros(n)
    y[::100] = 1.0  # 10 rows, one per 100
    weights = np.ones(n)
    weights[::100] = 10.0
    net = Network([1, 1], output="identity", task="regression", seed=0, dtype="float64")
    net.weights[0][...] = 0.0
    net.biases[0][...] = 0.0
    net.fit(np.zeros((n, 1)), y, epochs=1, batch_size=m, eta=eta, optimizer="sgd", sample_weight=weights,
            verbose=False)
    moved = float(net.biases[0][0]) / (eta * n / m)
    assert moved == pytest.approx(np.average(y, weights=weights), rel=1e-5)


def test_a_part_of_a_larger_set_steps_against_the_mean_weight_given():
    """``fit(mean_weight=w̄)`` (partial_fit's chunks): the rows are scaled by w_x / (m w̄) with
    the w̄ given, rows without weights weigh 1, and the L2 term's n is n w̄. As above, only the
    output bias learns, and the epoch moves it by eta (n / m) Σ w_x y_x / (n w̄)."""
    n, m, eta = 1000, 10, 1e-7
    y = np.zeros(n)
    y[::100] = 1.0
    weights = np.ones(n)
    weights[::100] = 10.0

    def moved(sample_weight, mean_weight):
        net = Network([1, 1], output="identity", task="regression", seed=0, dtype="float64",
                      regularizer=("l2", 0.5))
        net.weights[0][...] = 0.0
        net.biases[0][...] = 0.0
        net.fit(np.zeros((n, 1)), y, epochs=1, batch_size=m, eta=eta, optimizer="sgd", sample_weight=sample_weight,
                mean_weight=mean_weight, verbose=False)
        return float(net.biases[0][0]) / (eta * n / m), net

    got, net = moved(weights, 4.0)
    assert got == pytest.approx(np.sum(weights * y) / (n * 4.0), rel=1e-5)  # not / Σ w_x (n 1.09)
    assert net.regularizer.n == n * 4.0
    got, net = moved(None, 4.0)  # rows of weight 1 in a set of mean weight 4
    assert got == pytest.approx(np.sum(y) / (n * 4.0), rel=1e-5)
    assert net.regularizer.n == n * 4.0
    own, _ = moved(weights, None)
    given, _ = moved(weights, float(weights.sum()) / n)  # the data's own w̄: the default, bit for bit
    assert own == given
    plain, plain_net = moved(None, None)
    one, one_net = moved(None, 1.0)  # w̄ = 1 without weights: the plain mean, bit for bit
    assert plain == one and one_net.regularizer.n == plain_net.regularizer.n == n
