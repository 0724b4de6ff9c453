"""Seed 000, section 3.3.5: the worked 2-2-2 sigmoid network, number by number."""

import numpy as np
import pytest

from bprop import Dense, Network


def seed_000_network():
    # Biases are shared per layer (b1 = .35, b2 = .60) and kept fixed, as the example does:
    # bprop expresses that with train_biases=False.
    hidden = Dense(2, 2, "sigmoid", weights=[[0.15, 0.20], [0.25, 0.30]], biases=[0.35, 0.35], train_biases=False)
    output = Dense(2, 2, "sigmoid", weights=[[0.40, 0.45], [0.50, 0.55]], biases=[0.60, 0.60], train_biases=False)
    return Network([hidden, output], cost="quadratic", dtype="float64")


X = np.array([[0.05, 0.10]])
Y = np.array([[0.01, 0.99]])


def test_forward_pass_and_total_error():
    net = seed_000_network()
    out = net.feedforward(X)[0]
    assert out[0] == pytest.approx(0.75136507, abs=1e-8)
    assert out[1] == pytest.approx(0.772928465, abs=1e-8)
    assert net.total_cost(X, Y) == pytest.approx(0.298371109, abs=1e-8)


def test_one_sgd_step_gives_the_published_weights():
    net = seed_000_network()
    net.fit(X, Y, epochs=1, batch_size=1, eta=0.5, shuffle=False, verbose=False)
    w5, w6, w7, w8 = net.weights[1].ravel()
    w1, w2, w3, w4 = net.weights[0].ravel()
    expected = {
        "w5": (w5, 0.35891648), "w6": (w6, 0.408666186), "w7": (w7, 0.511301270), "w8": (w8, 0.561370121),
        "w1": (w1, 0.149780716), "w2": (w2, 0.19956143), "w3": (w3, 0.24975114), "w4": (w4, 0.29950229),
    }
    for name, (got, published) in expected.items():
        assert got == pytest.approx(published, abs=1e-8), name
    # The biases stayed fixed although their gradients (BP3) were computed.
    np.testing.assert_array_equal(net.biases[0], [0.35, 0.35])
    np.testing.assert_array_equal(net.biases[1], [0.60, 0.60])


def test_hidden_update_uses_the_old_output_weights():
    net = seed_000_network()
    grads = net.backprop(X, Y)
    # dE/dw1 by hand with the OLD w5, w7 (the example's point): δ_o ⊙ ... through w5=.40, w7=.50
    out_h1 = 1 / (1 + np.exp(-(0.15 * 0.05 + 0.20 * 0.10 + 0.35)))
    out_o = net.feedforward(X)[0]
    delta_o = (out_o - Y[0]) * out_o * (1 - out_o)
    delta_h1 = (delta_o[0] * 0.40 + delta_o[1] * 0.50) * out_h1 * (1 - out_h1)
    assert grads.weights[0][0, 0] == pytest.approx(delta_h1 * 0.05, rel=1e-12)
    assert grads.biases[1][0] == pytest.approx(delta_o[0], rel=1e-12)
