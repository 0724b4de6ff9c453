"""Momentum and Nesterov against their update formulas worked out by hand."""

import numpy as np
import pytest

from bprop import Momentum
from bprop.optimizers import OPTIMIZERS, from_config, get

from ..allocations import steady_peak_bytes


def grads_sequence(steps=4, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((3, 2)), rng.standard_normal(3)) for _ in range(steps)]


def run(optimizer, w0, b0, grads):
    w, b = w0.copy(), b0.copy()
    for gw, gb in grads:
        optimizer.step([(w, gw), (b, gb)])
    return w, b


def test_classical_momentum_matches_the_formula():
    eta, mu = 0.1, 0.9
    w0, b0 = np.ones((3, 2)), np.zeros(3)
    grads = grads_sequence()
    w, b = run(Momentum(eta, mu), w0, b0, grads)
    # By hand: v' = mu v - eta g; w' = w + v'.
    ew, eb, vw, vb = w0.copy(), b0.copy(), np.zeros((3, 2)), np.zeros(3)
    for gw, gb in grads:
        vw = mu * vw - eta * gw
        vb = mu * vb - eta * gb
        ew, eb = ew + vw, eb + vb
    np.testing.assert_allclose(w, ew, rtol=1e-14)
    np.testing.assert_allclose(b, eb, rtol=1e-14, atol=1e-15)


def test_first_momentum_step_is_plain_sgd_and_second_by_hand():
    w = np.array([1.0, -2.0])
    opt = Momentum(eta=0.5, mu=0.5)
    opt.step([(w, np.array([1.0, 1.0]))])  # v = -0.5 g = [-0.5, -0.5]
    np.testing.assert_array_equal(w, [0.5, -2.5])
    opt.step([(w, np.array([2.0, 0.0]))])  # v = 0.5 [-0.5, -0.5] - 0.5 [2, 0] = [-1.25, -0.25]
    np.testing.assert_array_equal(w, [-0.75, -2.75])


def test_nesterov_matches_the_formula():
    eta, mu = 0.05, 0.8
    w0, b0 = np.ones((3, 2)), np.zeros(3)
    grads = grads_sequence(seed=1)
    w, b = run(get("nesterov", eta) if mu == 0.9 else Momentum(eta, mu, nesterov=True), w0, b0, grads)
    # By hand: v' = mu v - eta g; w' = w + mu v' - eta g.
    ew, vw = w0.copy(), np.zeros((3, 2))
    for gw, _ in grads:
        vw = mu * vw - eta * gw
        ew = ew + mu * vw - eta * gw
    np.testing.assert_allclose(w, ew, rtol=1e-14)


def test_mu_zero_is_sgd():
    w0, b0 = np.ones((3, 2)), np.zeros(3)
    grads = grads_sequence()
    w, _ = run(Momentum(0.1, 0.0), w0, b0, grads)
    np.testing.assert_allclose(w, w0 - 0.1 * sum(g for g, _ in grads), rtol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_state_dict_resumes_exactly(nesterov):
    w0, b0 = np.ones((3, 2)), np.zeros(3)
    grads = grads_sequence(steps=6)
    straight = run(Momentum(0.1, 0.9, nesterov=nesterov), w0, b0, grads)
    first = Momentum(0.1, 0.9, nesterov=nesterov)
    w, b = run(first, w0, b0, grads[:3])
    second = from_config(first.config())
    second.load_state_dict({key: np.array(value) for key, value in first.state_dict().items()})
    for gw, gb in grads[3:]:
        second.step([(w, gw), (b, gb)])
    np.testing.assert_array_equal(w, straight[0])
    np.testing.assert_array_equal(b, straight[1])


def test_registry_and_bad_values():
    assert {"sgd", "momentum", "nesterov", "adam"} <= set(OPTIMIZERS.names)
    assert get("momentum", 0.2).mu == 0.9 and get("nag", 0.2).nesterov
    with pytest.raises(ValueError, match="mu must be in"):
        Momentum(0.1, 1.0)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        get("rmsprop", 0.1)


@pytest.mark.parametrize("nesterov", [False, True])
def test_float32_momentum_equals_the_float64_formula_to_rounding(nesterov):
    """float32 parameters step in float32 arithmetic: after t steps each weight is within
    2t rounding units of the largest of w, v and eta g (float32) of the formula in float64."""
    rng = np.random.default_rng(6)
    eta, mu, steps = 0.05, 0.9, 5
    w0 = rng.standard_normal((20, 30)).astype(np.float32)
    grads = [(rng.standard_normal((20, 30)) * 10.0 ** rng.uniform(-6, 1, (20, 30))).astype(np.float32)
             for _ in range(steps)]
    w, opt = w0.copy(), Momentum(eta, mu, nesterov=nesterov)
    for g in grads:
        opt.step([(w, g)])
    assert w.dtype == np.float32
    expected, v, scale = w0.astype(np.float64), 0.0, np.abs(w0).astype(np.float64)
    for g in grads:
        v = mu * v - eta * g.astype(np.float64)
        expected = expected + (mu * v - eta * g if nesterov else v)
        scale = np.maximum.reduce([scale, np.abs(expected), np.abs(v), eta * np.abs(g)])
    bound = 2 * steps * np.spacing(scale.astype(np.float32))
    assert np.all(np.abs(w - expected) <= bound), np.max(np.abs(w - expected) / bound)


@pytest.mark.parametrize("nesterov", [False, True])
def test_eta_as_a_numpy_scalar_gives_the_same_float32_step(nesterov):
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((5, 4)).astype(np.float32)
    grads = [rng.standard_normal((5, 4)).astype(np.float32) for _ in range(3)]
    plain, numpy_eta = Momentum(0.1, nesterov=nesterov), Momentum(0.1, nesterov=nesterov)
    numpy_eta.eta = np.float64(0.1)  # a schedule's eta *= np.float64(...)
    w1, w2 = w0.copy(), w0.copy()
    for g in grads:
        plain.step([(w1, g)])
        numpy_eta.step([(w2, g)])
    np.testing.assert_array_equal(w1, w2)


@pytest.mark.parametrize("nesterov", [False, True])
def test_steady_momentum_steps_keep_their_velocities_and_allocate_no_parameter_sized_array(nesterov):
    rng = np.random.default_rng(8)
    params = [rng.standard_normal((256, 300)).astype(np.float32), np.zeros(256, np.float32)]
    pairs = [(p, rng.standard_normal(p.shape).astype(np.float32)) for p in params]
    opt = Momentum(0.1, nesterov=nesterov)
    opt.step(pairs)  # the first step creates the velocities and work arrays
    velocities = [id(v) for v in opt.velocities]
    peak = steady_peak_bytes(lambda: opt.step(pairs))
    assert [id(v) for v in opt.velocities] == velocities
    assert peak < params[0].nbytes // 4, f"{peak} bytes allocated by steady momentum steps"
