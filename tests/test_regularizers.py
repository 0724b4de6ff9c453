"""L1 and L2 regularization: the penalty's value, its gradient, and gradcheck of the whole cost."""

import numpy as np
import pytest

from bprop import L1, L2, Network, gradcheck, regularizers


def data(m=7, n_in=4, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n_in)), rng.integers(0, n_out, m)


@pytest.mark.parametrize("regularizer", [L2(0.7, n=20), L1(0.3, n=20), ("l2", 5.0), ("l1", 0.01)])
@pytest.mark.parametrize("hidden, output, cost", [("tanh", "softmax", "log_likelihood"),
                                                 ("sigmoid", "sigmoid", "cross_entropy"),
                                                 ("relu", "sigmoid", "quadratic")])
def test_gradcheck_passes_with_penalty(regularizer, hidden, output, cost):
    x, y = data()
    net = Network([4, 5, 6, 3], hidden=hidden, output=output, cost=cost, seed=1, dtype="float64",
                  regularizer=regularizer)
    report = gradcheck(net, x, y)
    assert report.max_relative_error < 1e-6


def test_l2_penalty_and_gradient_follow_the_seed_formulas():
    x, y = data()
    lmbda, n = 5.0, 50
    plain = Network([4, 5, 3], hidden="sigmoid", seed=2, dtype="float64")
    reg = Network([4, 5, 3], hidden="sigmoid", seed=2, dtype="float64", regularizer=L2(lmbda, n=n))
    sum_w2 = sum(float((w**2).sum()) for w in plain.weights)
    assert reg.penalty() == pytest.approx(lmbda / (2 * n) * sum_w2, rel=1e-12)
    assert reg.total_cost(x, y) == pytest.approx(plain.total_cost(x, y) + lmbda / (2 * n) * sum_w2, rel=1e-12)
    g0, g = plain.backprop(x, y), reg.backprop(x, y)
    for w, gw0, gw in zip(plain.weights, g0.weights, g.weights):
        np.testing.assert_allclose(gw, gw0 + lmbda / n * w, rtol=1e-12, atol=1e-15)
    for gb0, gb in zip(g0.biases, g.biases):  # biases are not regularized
        np.testing.assert_array_equal(gb, gb0)


def test_l1_penalty_and_gradient_follow_the_seed_formulas():
    x, y = data()
    lmbda, n = 0.5, 30
    plain = Network([4, 5, 3], hidden="tanh", seed=3, dtype="float64")
    reg = Network([4, 5, 3], hidden="tanh", seed=3, dtype="float64", regularizer=L1(lmbda, n=n))
    sum_abs = sum(float(np.abs(w).sum()) for w in plain.weights)
    assert reg.penalty() == pytest.approx(lmbda / n * sum_abs, rel=1e-12)
    g0, g = plain.backprop(x, y), reg.backprop(x, y)
    for w, gw0, gw in zip(plain.weights, g0.weights, g.weights):
        np.testing.assert_allclose(gw, gw0 + lmbda / n * np.sign(w), rtol=1e-12, atol=1e-15)


def test_fit_sets_n_to_the_training_set_size_and_evaluate_includes_the_penalty():
    x, y = data(m=40)
    net = Network([4, 5, 3], seed=0, regularizer=L2(1.0))
    assert net.regularizer.n is None
    history = net.fit(x, y, epochs=2, batch_size=8, eta=0.1, verbose=False)
    assert net.regularizer.n == 40
    scores = net.evaluate(x, y)
    data_cost = net.head.value(net.forward_logits(x), np.eye(3, dtype=np.float32)[y])
    assert scores["cost"] == pytest.approx(data_cost + net.penalty(), rel=1e-5)
    assert history.last()["train_cost"] > 0


def test_a_fit_that_diverges_in_its_first_epoch_leaves_n_unset():
    """n is training state: recorded once an epoch has trained with it, so a first epoch that
    diverges (the weights go back to where they were) leaves the regularizer as it was; the
    epoch's own figures use the training-set size all the same."""
    from bprop import DivergenceError

    x, y = data(m=40)
    net = Network([4, 5, 3], seed=0, regularizer=L2(1.0))
    with pytest.raises(DivergenceError):
        net.fit(x * 1e30, y, epochs=2, batch_size=8, eta=1e3, verbose=False)
    assert net.regularizer.n is None
    history = net.fit(x, y, epochs=1, batch_size=8, eta=0.1, verbose=False, validation=(x[:10], y[:10]))
    assert net.regularizer.n == 40
    data_cost = net.head.value(net.forward_logits(x[:10]), np.eye(3, dtype=np.float32)[y[:10]])
    # the validation cost's penalty divides by the training set's 40, not the 10 it scores
    assert history.last()["val_cost"] == pytest.approx(data_cost + net.penalty(40), rel=1e-5)


def test_l2_with_sgd_is_weight_decay():
    """One SGD step with L2 is w -> (1 - eta lambda / n) w - eta dC0/dw (seed 002)."""
    x, y = data(m=5)
    eta, lmbda, n = 0.3, 2.0, 5
    plain = Network([4, 3], hidden="sigmoid", output="sigmoid", cost="cross_entropy", seed=4, dtype="float64")
    w0 = plain.weights[0].copy()
    g0 = plain.backprop(x, y).weights[0]
    net = Network([4, 3], hidden="sigmoid", output="sigmoid", cost="cross_entropy", seed=4, dtype="float64",
                  regularizer=L2(lmbda))
    net.fit(x, y, epochs=1, batch_size=5, eta=eta, verbose=False, shuffle=False)
    np.testing.assert_allclose(net.weights[0], (1 - eta * lmbda / n) * w0 - eta * g0, rtol=1e-12)


@pytest.mark.parametrize("spec, message", [
    (("l3", 1.0), "unknown regularizer 'l3'; valid regularizers are: l2, l1"),
    (("l2", -1.0), "lambda must be a positive"),
    (("l2",), "pair"),
])
def test_bad_regularizers_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 2], regularizer=spec)


def test_config_round_trip():
    reg = regularizers.get(L1(0.25, n=7).config())
    assert isinstance(reg, L1) and reg.lmbda == 0.25 and reg.n == 7
