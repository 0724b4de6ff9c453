"""Adam against Kingma and Ba's update written out step by step."""

import numpy as np
import pytest

from bprop import Adam, Network
from bprop.optimizers import from_config

from ..allocations import steady_peak_bytes


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


def textbook_adam(w0, grads, eta, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma and Ba's algorithm as printed, in float64."""
    w, m, v = w0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        w = w - eta * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return w


def test_float32_adam_equals_the_float64_formula_to_rounding():
    """float32 parameters step in float32 arithmetic; after t steps each weight is within
    t rounding units of its own size plus 1e-5 of a step (eta) of the float64 formula (gradients
    from 1e-8 to 10, and zeros). A wrong rate, moment or bias correction is off by ~eta."""
    rng = np.random.default_rng(3)
    eta, shape, steps = 1e-3, (64, 50), 6
    w0 = (rng.standard_normal(shape) * 0.1).astype(np.float32)
    grads = []
    for _ in range(steps):
        g = rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 1, shape)
        g[:, 0] = 0  # weights that never get a gradient must not move
        grads.append(g.astype(np.float32))
    w = w0.copy()
    opt = Adam(eta)
    for g in grads:
        opt.step([(w, g)])
    assert w.dtype == np.float32
    expected = textbook_adam(w0, grads, eta)
    bound = steps * (np.spacing(np.abs(expected).astype(np.float32)) + 1e-5 * eta)
    assert np.all(np.abs(w - expected) <= bound), np.max(np.abs(w - expected) / bound)
    np.testing.assert_array_equal(w[:, 0], w0[:, 0])
    assert np.max(np.abs(w - w0)) > eta  # it moved


def test_eta_as_a_numpy_scalar_gives_the_same_float32_step():
    """A schedule may leave eta a NumPy float64 (eta *= np.float64(0.5)); the float32 step
    must not change (it is taken in float32 arithmetic either way)."""
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((5, 4)).astype(np.float32)
    grads = [rng.standard_normal((5, 4)).astype(np.float32) for _ in range(3)]
    plain, numpy_eta = Adam(0.01), Adam(0.01)
    numpy_eta.eta = np.float64(0.01)
    w1, w2 = w0.copy(), w0.copy()
    for g in grads:
        plain.step([(w1, g)])
        numpy_eta.step([(w2, g)])
    np.testing.assert_array_equal(w1, w2)


def test_steady_adam_steps_keep_their_moments_and_allocate_no_parameter_sized_array():
    rng = np.random.default_rng(5)
    params = [rng.standard_normal((256, 300)).astype(np.float32), np.zeros(256, np.float32)]
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    pairs = list(zip(params, grads))
    opt = Adam(1e-3)
    opt.step(pairs)  # the first step creates m, v and the work arrays
    moments = [id(a) for a in opt.m + opt.v]
    peak = steady_peak_bytes(lambda: opt.step(pairs))
    assert [id(a) for a in opt.m + opt.v] == moments
    assert peak < params[0].nbytes // 4, f"{peak} bytes allocated by steady Adam steps"
