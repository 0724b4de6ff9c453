import numpy as np
import pytest

import bprop
from bprop import Dense, Network


def test_shapes_follow_the_seeds_notation():
    net = Network([784, 100, 10], hidden="relu", output="softmax", cost="log_likelihood", seed=0)
    assert [w.shape for w in net.weights] == [(100, 784), (10, 100)]
    assert [b.shape for b in net.biases] == [(100,), (10,)]
    assert net.weights[0].dtype == np.float32
    assert net.sizes == [784, 100, 10]


def test_parameter_count_of_seed_004():
    net = Network([8, 15, 10], hidden="sigmoid", output="sigmoid", cost="quadratic")
    assert net.n_params == 295
    text = net.summary(print_output=False)
    assert "295" in text and "(15, 8)" in text and "(10, 15)" in text


def test_weights_can_be_read_edited_and_assigned():
    net = Network([3, 4, 2], seed=0)
    net.weights[0][0, 0] = 5.0
    assert net.layers[0].weights[0, 0] == 5.0
    net.weights[1] = np.ones((2, 4), dtype=np.float64)
    assert net.weights[1].dtype == np.float32 and np.all(net.weights[1] == 1)
    with pytest.raises(ValueError, match=r"shape \(2, 4\)"):
        net.weights[1] = np.ones((4, 2))
    net.biases = [np.zeros(4), np.full(2, 0.5)]
    assert np.all(net.biases[1] == 0.5)
    before = net.weights[0].copy()
    with pytest.raises(ValueError, match="expected 2 weights arrays"):
        net.weights = [np.zeros((4, 3))]
    with pytest.raises(ValueError):
        net.weights = [np.zeros((4, 3)), np.zeros((9, 9))]
    np.testing.assert_array_equal(net.weights[0], before)


def test_initializers_by_name():
    rng_sizes = [400, 300, 10]
    stds = {}
    for init in ("large", "normal", "he"):
        net = Network(rng_sizes, hidden="relu", init=init, seed=0, dtype="float64")
        stds[init] = net.weights[0].std()
    assert stds["large"] == pytest.approx(1.0, rel=0.02)
    assert stds["normal"] == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert stds["he"] == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    default = Network(rng_sizes, hidden="relu", seed=0, dtype="float64")
    assert default.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    with pytest.raises(ValueError, match="valid initializers are: large, normal, he"):
        Network([2, 2], init="zeros")


def test_float64_on_request_and_no_silent_upcast():
    net64 = Network([3, 4, 2], seed=0, dtype="float64")
    assert all(w.dtype == np.float64 for w in net64.weights)
    net32 = Network([3, 4, 2], seed=0)
    out = net32.feedforward(np.ones((2, 3), dtype=np.float64))
    assert out.dtype == np.float32
    grads = net32.backprop(np.ones((2, 3)), [0, 1])
    assert all(g.dtype == np.float32 for g in grads.weights + grads.biases)
    with pytest.raises(ValueError, match="float32 or float64"):
        Network([2, 2], dtype="float16")


def test_backprop_is_vectorised_and_equals_the_per_sample_mean():
    net = Network([4, 6, 3], hidden="tanh", output="softmax", seed=3, dtype="float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4))
    y = rng.integers(0, 3, 5)
    batch = net.backprop(x, y)
    singles = [net.backprop(x[i : i + 1], y[i : i + 1]) for i in range(5)]
    for l in range(2):
        np.testing.assert_allclose(batch.weights[l], np.mean([s.weights[l] for s in singles], axis=0), rtol=1e-12)
        np.testing.assert_allclose(batch.biases[l], np.mean([s.biases[l] for s in singles], axis=0), rtol=1e-12)


def test_mixed_layers_and_predictions():
    net = Network([Dense(2, 5, "tanh"), Dense(5, 4, "relu"), Dense(4, 3, "softmax")], cost="log_likelihood", seed=0)
    x = np.random.default_rng(0).standard_normal((6, 2))
    proba = net.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(net.predict(x), proba.argmax(axis=1))
    scores = net.evaluate(x, net.predict(x))
    assert scores["accuracy"] == 1.0 and scores["cost"] > 0


def test_binary_single_output():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    net = Network([2, 8, 1], hidden="tanh", output="sigmoid", cost="cross_entropy", seed=0)
    net.fit(x, y, epochs=30, batch_size=10, eta=0.5, verbose=False)
    assert net.evaluate(x, y)["accuracy"] > 0.95
    assert set(np.unique(net.predict(x))) <= {0, 1}


def test_layer_stack_must_fit_together():
    with pytest.raises(ValueError, match="expects 5 inputs"):
        Network([Dense(2, 4), Dense(5, 3)])
    with pytest.raises(ValueError, match="only supported on the output layer"):
        Network([Dense(2, 4, "softmax"), Dense(4, 3, "softmax")])
    with pytest.raises(ValueError, match="must be a softmax"):
        Network([2, 3], output="tanh", cost="log_likelihood")
