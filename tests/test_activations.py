import warnings

import numpy as np
import pytest

from bprop import activations

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def central_difference(f, z, eps=1e-6):
    return (f(z + eps) - f(z - eps)) / (2 * eps)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name):
    act = activations.get(name)
    rng = np.random.default_rng(0)
    z = rng.uniform(-4, 4, size=(5, 7))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the ReLU kink
    a = act.forward(z)
    numeric = central_difference(act.forward, z)
    np.testing.assert_allclose(act.derivative(z, a), numeric, rtol=1e-6, atol=1e-9)
    grad_a = rng.standard_normal(z.shape)
    np.testing.assert_allclose(act.backward(z, a, grad_a), grad_a * numeric, rtol=1e-6, atol=1e-9)


def test_softmax_backward_is_the_full_jacobian():
    act = activations.get("softmax")
    rng = np.random.default_rng(1)
    z = rng.standard_normal((3, 4))
    a = act.forward(z)
    g = rng.standard_normal((3, 4))
    for s in range(3):
        jacobian = np.diag(a[s]) - np.outer(a[s], a[s])  # do_j/dz_i = o_j (1[i=j] - o_i) (seed 003)
        np.testing.assert_allclose(act.backward(z, a, g)[s], jacobian.T @ g[s], rtol=1e-12)
    with pytest.raises(TypeError, match="Jacobian"):
        act.derivative(z, a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_softmax_are_stable_for_huge_inputs(dtype):
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow/invalid warning fails the test
        a = activations.get("sigmoid").forward(z)
        s = activations.get("softmax").forward(z)
    assert a.dtype == dtype and s.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(s))
    assert a[0, 0] == 0.0 and a[0, -1] == 1.0 and a[0, 2] == 0.5
    np.testing.assert_allclose(s.sum(), 1.0, rtol=1e-6)
    assert s[0, -1] == pytest.approx(1.0)


def test_activation_keeps_float32():
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    for name in ELEMENTWISE + ["softmax"]:
        act = activations.get(name)
        a = act.forward(z)
        assert a.dtype == np.float32, name
        assert act.backward(z, a, np.ones_like(z)).dtype == np.float32, name


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="valid activations are: sigmoid, tanh, relu, leaky_relu, identity, softmax"):
        activations.get("swish")


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_buffers_give_the_same_values(name, dtype):
    """forward/backward with out= (the training loop's reused buffers) equal the allocating calls."""
    act = activations.get(name)
    rng = np.random.default_rng(5)
    z = rng.standard_normal((6, 4)).astype(dtype)
    g = rng.standard_normal((6, 4)).astype(dtype)
    a = act.forward(z)
    out = np.full_like(z, np.nan)
    assert act.forward(z, out=out) is out
    np.testing.assert_array_equal(out, a)
    in_place = z.copy()
    assert act.forward(in_place, out=in_place) is in_place  # inference turns z into a in place
    np.testing.assert_array_equal(in_place, a)
    z_before, a_before, g_before = z.copy(), a.copy(), g.copy()
    delta = np.full_like(z, np.nan)
    assert act.backward(z, a, g, out=delta) is delta
    np.testing.assert_array_equal(delta, act.backward(z, a, g))
    for array, before in ((z, z_before), (a, a_before), (g, g_before)):
        np.testing.assert_array_equal(array, before)  # inputs untouched
