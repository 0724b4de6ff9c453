import warnings

import numpy as np
import pytest

from bprop import activations, costs


@pytest.mark.parametrize("name", ["quadratic", "cross_entropy", "log_likelihood"])
def test_gradient_matches_central_differences(name):
    cost = costs.get(name)
    rng = np.random.default_rng(0)
    a = rng.uniform(0.05, 0.95, size=(4, 3))
    y = np.eye(3)[rng.integers(0, 3, 4)]
    numeric = np.zeros_like(a)
    eps = 1e-6
    for index in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (cost.value(plus, y) - cost.value(minus, y)) / (2 * eps)
    np.testing.assert_allclose(cost.gradient(a, y), numeric, rtol=1e-6, atol=1e-10)


def test_values_by_hand():
    a = np.array([[0.2, 0.8]])
    y = np.array([[0.0, 1.0]])
    assert costs.get("quadratic").value(a, y) == pytest.approx(0.5 * (0.04 + 0.04))
    assert costs.get("log_likelihood").value(a, y) == pytest.approx(-np.log(0.8))
    assert costs.get("cross_entropy").value(a, y) == pytest.approx(-(np.log(0.8) + np.log(0.8)))


@pytest.mark.parametrize("name", ["cross_entropy", "log_likelihood"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturated_outputs_give_finite_cost(name, dtype):
    a = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = costs.get(name).value(a, y)
        grad = costs.get(name).gradient(a, y)
    assert np.isfinite(value) and value > 0
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("activation,cost", [("softmax", "log_likelihood"), ("sigmoid", "cross_entropy")])
def test_fused_pairs_equal_the_general_route(activation, cost):
    act, c = activations.get(activation), costs.get(cost)
    rng = np.random.default_rng(2)
    z = rng.standard_normal((5, 3))
    a = act.forward(z)
    y = np.eye(3)[rng.integers(0, 3, 5)]
    assert c.fused_with(act)
    fused = costs.output_delta(c, act, z, a, y)
    np.testing.assert_allclose(fused, (a - y) / 5)
    np.testing.assert_allclose(fused, act.backward(z, a, c.gradient(a, y)), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_likelihood_one_hot_delta_is_the_general_delta_bit_for_bit(dtype):
    """With one_hot=True the softmax/log-likelihood delta skips the target row sums;
    for one-hot rows the sum is exactly 1, so nothing may change, not even rounding."""
    act, cost = activations.get("softmax"), costs.get("log_likelihood")
    rng = np.random.default_rng(3)
    for m in (7, 100):  # both sides of kernels.ROW_REDUCTION_MIN_ROWS
        z = rng.standard_normal((m, 10)).astype(dtype)
        a = act.forward(z)
        y = np.eye(10, dtype=dtype)[rng.integers(0, 10, m)]
        general = costs.output_delta(cost, act, z, a, y)
        out = np.full_like(a, np.nan)
        shortcut = costs.output_delta(cost, act, z, a, y, out=out, one_hot=True)
        assert shortcut is out
        assert np.array_equal(shortcut, general)


def test_log_likelihood_delta_keeps_soft_targets_that_do_not_sum_to_one():
    """Without the one-hot promise the delta is a Σy - y, which differs from a - y
    for targets whose rows do not sum to 1."""
    act, cost = activations.get("softmax"), costs.get("log_likelihood")
    a = act.forward(np.array([[0.0, 1.0, 2.0]]))
    y = np.array([[0.5, 0.0, 0.0]])
    np.testing.assert_allclose(costs.output_delta(cost, act, None, a, y), a * 0.5 - y)
    assert not np.allclose(costs.output_delta(cost, act, None, a, y), a - y)


def test_log_costs_refuse_outputs_outside_0_1():
    with pytest.raises(ValueError, match="sigmoid or softmax"):
        costs.get("cross_entropy").check_output(activations.get("tanh"))


def test_unknown_cost_lists_valid_names():
    with pytest.raises(ValueError, match="quadratic, cross_entropy, log_likelihood"):
        costs.get("hinge")
