"""The cost definitions (names, the seeds' ∂C/∂a) and the pairs the output head refuses."""

import numpy as np
import pytest

from bprop import Dense, Network, activations, costs, heads

SEED_FORMULAS = {  # C_x on a = sigma(z), as the seeds write it
    "quadratic": lambda a, y: 0.5 * np.sum((a - y) ** 2),
    "cross_entropy": lambda a, y: -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)),
    "log_likelihood": lambda a, y: -np.sum(y * np.log(a)),
}


@pytest.mark.parametrize("name", list(SEED_FORMULAS))
def test_textbook_gradient_matches_central_differences(name):
    cost, formula = costs.get(name), SEED_FORMULAS[name]
    rng = np.random.default_rng(0)
    a = rng.uniform(0.05, 0.95, size=(4, 3))
    y = np.eye(3)[rng.integers(0, 3, 4)]
    numeric = np.zeros_like(a)
    eps = 1e-6
    for index in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (formula(plus, y) - formula(minus, y)) / (2 * eps) / a.shape[0]
    np.testing.assert_allclose(cost.gradient(a, y), numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("activation,cost", [("softmax", "log_likelihood"), ("sigmoid", "cross_entropy")])
def test_fused_pairs_equal_the_general_route(activation, cost):
    """Seed 002's a - y equals ∂C/∂a through sigma' (or the softmax Jacobian) where nothing saturates."""
    act, c = activations.get(activation), costs.get(cost)
    head = heads.OutputHead(act, c, 3)
    rng = np.random.default_rng(2)
    z = rng.standard_normal((5, 3))
    a = act.forward(z.copy())
    y = np.eye(3)[rng.integers(0, 3, 5)]
    assert head.fused
    fused = head.delta(z, a, y)
    np.testing.assert_allclose(fused, (a - y) / 5, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fused, act.backward(z, a, c.gradient(a, y)), rtol=1e-10, atol=1e-14)


def test_log_likelihood_delta_of_soft_targets_is_a_sum_y_minus_y():
    head = heads.OutputHead(activations.get("softmax"), costs.get("log_likelihood"), 3)
    z = np.array([[0.0, 1.0, 2.0]])
    a = activations.get("softmax").forward(z.copy())
    y = np.array([[0.2, 0.5, 0.3]])
    np.testing.assert_allclose(head.delta(z, a, y), a - y, rtol=1e-12)


@pytest.mark.parametrize("sizes,output,cost,message", [
    ([2, 8, 1], "softmax", "log_likelihood", "softmax over one output neuron is the constant 1"),
    ([2, 8, 1], "softmax", "quadratic", "softmax over one output neuron"),
    ([2, 8, 1], "softmax", "cross_entropy", "softmax over one output neuron"),
    ([2, 8, 3], "sigmoid", "log_likelihood", "use cross_entropy with sigmoid outputs"),
    ([2, 8, 1], "sigmoid", "log_likelihood", "needs outputs that compete"),
    ([2, 8, 3], "tanh", "log_likelihood", "must be a softmax"),
    ([2, 8, 3], "tanh", "cross_entropy", "values in \\(0, 1\\)"),
    ([2, 8, 3], "relu", "cross_entropy", "use the quadratic cost"),
    ([2, 8, 3], "identity", "cross_entropy", "sigmoid or softmax"),
])
def test_meaningless_pairs_are_refused_with_the_reason(sizes, output, cost, message):
    with pytest.raises(ValueError, match=message):
        Network(sizes, output=output, cost=cost)
    with pytest.raises(ValueError, match=message):
        Network([Dense(sizes[0], sizes[-1], output)], cost=cost)


def test_unknown_cost_lists_valid_names():
    with pytest.raises(ValueError, match="quadratic, cross_entropy, log_likelihood"):
        costs.get("hinge")
