"""Inverted dropout: gradcheck with a frozen mask, identity at evaluation, masks from net.rng."""

import numpy as np
import pytest

from bprop import Dense, Dropout, L2, Network, gradcheck
from bprop.sinks import StoreGradients

from ..allocations import steady_peak_bytes


def data(m=9, n_in=4, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n_in)), rng.integers(0, n_out, m)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_gradcheck_with_dropout_sizes_form(p):
    x, y = data()
    net = Network([4, 6, 5, 3], hidden="tanh", seed=1, dtype="float64", dropout=p)
    report = gradcheck(net, x, y)
    assert report.max_relative_error < 1e-6
    assert "dropout masks frozen in 2 layer(s)" in report.notes


def test_gradcheck_with_dropout_and_l2_explicit_layers():
    x, y = data()
    net = Network(layers=[Dense(4, 6, "sigmoid"), Dropout(0.4), Dense(6, 3, "softmax")], seed=2,
                  dtype="float64", regularizer=L2(3.0, n=50))
    assert gradcheck(net, x, y).max_relative_error < 1e-6


def test_sizes_form_puts_dropout_after_each_hidden_layer_only():
    net = Network([4, 6, 5, 3], dropout=0.5)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert net.sizes == [4, 6, 5, 3] and net.n_params == 4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3


def test_forward_is_inverted_dropout_and_identity_at_evaluation():
    layer = Dropout(0.25)
    layer.build(1000, np.random.default_rng(0), np.float64)
    x = np.ones((50, 1000))
    out = layer.forward(x, training=True)
    kept = out != 0
    assert np.all(out[kept] == 1 / 0.75)  # kept activations scaled by 1/q
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # expectation unchanged
    assert layer.forward(x, training=False) is x
    grad = layer.backward(np.full_like(x, 2.0), StoreGradients())
    np.testing.assert_array_equal(grad, 2.0 * layer.mask)


def test_masks_come_from_the_network_generator():
    x, y = data(m=12)
    a = Network([4, 8, 3], seed=5, dropout=0.5)
    b = Network([4, 8, 3], seed=5, dropout=0.5)
    a.fit(x, y, epochs=3, batch_size=4, eta=0.1, verbose=False)
    b.fit(x, y, epochs=3, batch_size=4, eta=0.1, verbose=False)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa, wb)
    assert a.layers[1].rng is a.rng


def test_evaluation_is_deterministic():
    x, _ = data()
    net = Network([4, 8, 3], seed=5, dropout=0.5)
    np.testing.assert_array_equal(net.feedforward(x), net.feedforward(x))


def test_frozen_mask_is_reused():
    layer = Dropout(0.5)
    layer.build(3, np.random.default_rng(0), np.float64)
    mask = np.array([[2.0, 0.0, 2.0]])
    layer.freeze(mask)
    np.testing.assert_array_equal(layer.forward(np.ones((1, 3)), training=True), mask)
    layer.unfreeze()
    layer.clear_cache()
    assert layer.mask is None


@pytest.mark.parametrize("p", [-0.1, 1.0, "half", True])
def test_bad_probability_is_refused(p):
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(p)


def test_dropout_cannot_be_the_output_layer():
    with pytest.raises(ValueError, match="last layer must be a Dense"):
        Network(layers=[Dense(4, 3, "softmax"), Dropout(0.5)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.5, 0.2])
def test_masks_are_the_generators_uniform_draws_batch_after_batch(dtype, p):
    """The mask of each pass is (u < q) / q for u = rng.random(shape) in the input's precision,
    drawn in order: a seed gives the masks it always gave, pass after pass, whatever buffers
    the layer reuses."""
    layer = Dropout(p)
    layer.build(53, np.random.default_rng(7), dtype)
    reference = np.random.default_rng(7)
    q = 1.0 - p
    x = np.random.default_rng(1).standard_normal((37, 53)).astype(dtype)
    for rows in (37, 37, 20):  # a shorter last batch too
        out = layer.forward(x[:rows], training=True)
        expected = (reference.random((rows, 53), dtype=dtype) < q).astype(dtype) * dtype(1 / q)
        np.testing.assert_array_equal(layer.mask, expected)
        np.testing.assert_array_equal(out, x[:rows] * expected)
        assert out.dtype == dtype and layer.mask.dtype == dtype


def test_float32_masks_keep_half_at_p_one_half():
    layer = Dropout(0.5)
    layer.build(800, np.random.default_rng(0), np.float32)
    out = layer.forward(np.ones((128, 800), np.float32), training=True)
    assert set(np.unique(out)) == {0.0, 2.0}
    kept = (out != 0).mean()
    assert abs(kept - 0.5) < 4 * np.sqrt(0.25 / out.size)  # 4 standard deviations


def test_backward_leaves_the_forward_output_alone_and_steady_passes_allocate_nothing():
    """The next layer keeps the output as its a^(l-1) for BP4, so backward must not write
    into it; after the first pass, forward and backward reuse their buffers."""
    layer = Dropout(0.5)
    layer.build(300, np.random.default_rng(0), np.float32)
    x = np.random.default_rng(1).random((256, 300), dtype=np.float32)
    grad = np.full_like(x, 3.0)
    out = layer.forward(x, training=True)
    before = out.copy()
    dx = layer.backward(grad, StoreGradients())
    np.testing.assert_array_equal(out, before)
    np.testing.assert_array_equal(dx, 3.0 * layer.mask)
    sink = StoreGradients()

    def step():
        layer.forward(x, training=True)
        layer.backward(grad, sink)

    peak = steady_peak_bytes(step)
    assert peak < x.nbytes // 4, f"{peak} bytes allocated by a steady dropout pass"


def test_a_frozen_mask_survives_clear_cache_and_draws_nothing():
    rng = np.random.default_rng(3)
    layer = Dropout(0.5)
    layer.build(40, rng, np.float64)
    x = np.random.default_rng(4).standard_normal((10, 40))
    layer.forward(x, training=True)
    mask = layer.mask.copy()
    layer.freeze()
    layer.clear_cache()
    state = rng.bit_generator.state
    for _ in range(2):
        other = np.random.default_rng(5).standard_normal((10, 40))
        np.testing.assert_array_equal(layer.forward(other, training=True), other * mask)
    assert rng.bit_generator.state == state
