"""The BLAS kernels of the hot path equal their NumPy definitions."""

import numpy as np
import pytest

from bprop import Network, kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 7, 64])
def test_kernels_match_numpy(dtype, m):
    rng = np.random.default_rng(m)
    w = rng.standard_normal((5, 9)).astype(dtype)
    x = rng.standard_normal((m, 9)).astype(dtype)
    delta = rng.standard_normal((m, 5)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)

    np.testing.assert_allclose(kernels.matmul(delta, w), delta @ w, **tol)
    out = np.empty_like(w)
    kernels.weight_gradient(delta, x, out=out)
    np.testing.assert_allclose(out, delta.T @ x, **tol)

    expected = 0.9 * w - 0.3 * (delta.T @ x)
    updated = w.copy()
    kernels.sgd_update(updated, delta, x, eta=0.3, decay=0.9)
    np.testing.assert_allclose(updated, expected, **tol)
    assert updated.dtype == dtype

    b = rng.standard_normal(5).astype(dtype)
    np.testing.assert_allclose(kernels.affine(x, w, b), x @ w.T + b, **tol)
    biases = b.copy()
    kernels.bias_sgd_update(biases, delta, eta=0.3)
    np.testing.assert_allclose(biases, b - 0.3 * delta.sum(axis=0), **tol)
    assert biases.dtype == dtype

    stepped, gradient = w.copy(), rng.standard_normal(w.shape).astype(dtype)
    kernels.axpy(stepped, gradient, -0.3)  # the stored-gradient SGD step, in place
    np.testing.assert_allclose(stepped, w - 0.3 * gradient, **tol)
    assert stepped.dtype == dtype
    assert kernels.norm(gradient) == pytest.approx(np.linalg.norm(gradient.astype(np.float64)), rel=tol["rtol"])
    assert kernels.norm(np.full(4, 1e30, dtype=dtype)) == pytest.approx(2e30, rel=1e-6)  # no overflow in x²


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_write_into_out_whatever_it_held(dtype):
    """out= buffers are reused uninitialized: old contents, NaN included, never leak in."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((5, 9)).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    x = rng.standard_normal((16, 9)).astype(dtype)
    delta = rng.standard_normal((16, 5)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    buffer = np.full((32, 5), np.nan, dtype=dtype)
    z = buffer[:16]  # a row slice of a bigger buffer, as the layers use
    assert kernels.affine(x, w, b, out=z) is z
    np.testing.assert_allclose(z, x @ w.T + b, **tol)
    grad = np.full((16, 9), np.nan, dtype=dtype)
    assert kernels.matmul(delta, w, out=grad) is grad
    np.testing.assert_allclose(grad, delta @ w, **tol)
    gradient = np.full_like(w, np.nan)
    kernels.weight_gradient(delta, x, out=gradient)
    np.testing.assert_allclose(gradient, delta.T @ x, **tol)


def test_kernels_with_out_fall_back_for_other_layouts():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((4, 6))
    b = rng.standard_normal(4)
    x = np.asfortranarray(rng.standard_normal((5, 6)))
    delta = np.asfortranarray(rng.standard_normal((5, 4)))
    out = np.empty((5, 4))
    np.testing.assert_allclose(kernels.affine(x, w, b, out=out), x @ w.T + b, rtol=1e-12)
    grad = np.empty((5, 6))
    np.testing.assert_allclose(kernels.matmul(delta, w, out=grad), delta @ w, rtol=1e-12)
    biases = b.copy()
    kernels.bias_sgd_update(biases, delta, eta=0.5)  # delta not C-contiguous: NumPy route
    np.testing.assert_allclose(biases, b - 0.5 * delta.sum(axis=0), rtol=1e-12)


def test_non_contiguous_inputs_fall_back_to_numpy():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 6))
    x = rng.standard_normal((6, 5))[:, :6].T.copy()[:, ::1]  # contiguous (5, 6)
    x_strided = np.asfortranarray(x)  # same values, not C-contiguous
    delta = rng.standard_normal((5, 4))
    a, b = w.copy(), w.copy()
    kernels.sgd_update(a, delta, x, eta=0.1)
    kernels.sgd_update(b, delta, x_strided, eta=0.1)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(kernels.affine(x_strided, w, np.zeros(4)), x @ w.T, rtol=1e-12)


@pytest.mark.parametrize("regularizer", [None, ("l2", 2.0)])
def test_fused_training_step_equals_stored_gradients(regularizer):
    """Plain SGD applies its update inside backward; it must equal gradients + step."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6))
    y = rng.integers(0, 3, 40)
    fused = Network([6, 8, 3], hidden="relu", seed=2, dtype="float64", regularizer=regularizer)
    stored = fused.copy()
    fused.fit(x, y, epochs=2, batch_size=8, eta=0.2, verbose=False, grad_norm_every=0)
    stored.fit(x, y, epochs=2, batch_size=8, eta=0.2, verbose=False, grad_norm_every=1)  # unfused every batch
    for a, b in zip(list(fused.weights) + list(fused.biases), list(stored.weights) + list(stored.biases)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
