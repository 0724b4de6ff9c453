"""Adam against Kingma and Ba's update written out step by step."""

import numpy as np
import pytest

from bprop import Adam, Network
from bprop.optimizers import from_config


def test_adam_matches_the_paper_formula():
    rng = np.random.default_rng(0)
    eta, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    w0 = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(5)]
    w = w0.copy()
    opt = Adam(eta, beta1, beta2, eps)
    for g in grads:
        opt.step([(w, g)])
    expected, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        expected = expected - eta * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-15)
    assert opt.t == 5


def test_first_adam_step_moves_each_weight_by_about_eta():
    """At t = 1, m_hat = g and v_hat = g², so the step is eta g / (|g| + eps) ≈ eta sgn(g)."""
    w = np.zeros(3)
    Adam(0.1).step([(w, np.array([3.0, -0.001, 50.0]))])
    np.testing.assert_allclose(w, [-0.1, 0.1, -0.1], rtol=1e-4)


def test_state_dict_resumes_exactly():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(5) for _ in range(6)]
    straight, w = np.zeros(5), np.zeros(5)
    opt = Adam(0.05)
    for g in grads:
        opt.step([(straight, g)])
    first = Adam(0.05)
    for g in grads[:3]:
        first.step([(w, g)])
    second = from_config(first.config())
    second.load_state_dict(first.state_dict())
    for g in grads[3:]:
        second.step([(w, g)])
    np.testing.assert_array_equal(w, straight)


def test_adam_trains_a_network():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    net = Network([2, 16, 2], hidden="tanh", seed=0)
    history = net.fit(x, y, epochs=30, batch_size=20, eta=0.02, optimizer="adam", verbose=False)
    assert history.last()["train_accuracy"] > 0.9


@pytest.mark.parametrize("kwargs, message", [({"beta1": 1.0}, "beta1"), ({"epsilon": 0}, "epsilon"),
                                             ({"eta": -1}, "eta")])
def test_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adam(**kwargs)
