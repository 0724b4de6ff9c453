"""The BLAS kernels of the hot path equal their NumPy definitions."""

import numpy as np
import pytest

from bprop import kernels


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
    kernels.bind_weight_gradient(delta, x, out)(1.0, 0.0)  # BP4 stored
    np.testing.assert_allclose(out, delta.T @ x, **tol)

    expected = 0.9 * w - 0.3 * (delta.T @ x)
    updated = w.copy()
    kernels.bind_weight_gradient(delta, x, updated)(-0.3, 0.9)  # BP4 fused with SGD and a decay
    np.testing.assert_allclose(updated, expected, **tol)
    assert updated.dtype == dtype

    b = rng.standard_normal(5).astype(dtype)
    np.testing.assert_allclose(kernels.affine(x, w, b), x @ w.T + b, **tol)
    biases = b.copy()
    kernels.bind_bias_gradient(delta, biases)(-0.3, 1.0)
    np.testing.assert_allclose(biases, b - 0.3 * delta.sum(axis=0), **tol)
    assert biases.dtype == dtype
    stored = np.full_like(b, np.nan)
    kernels.bind_bias_gradient(delta, stored)(1.0, 0.0)  # BP3 stored: beta 0 ignores what it held
    np.testing.assert_allclose(stored, delta.sum(axis=0), **tol)

    gradient = rng.standard_normal(w.shape).astype(dtype)
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
    kernels.bind_weight_gradient(delta, x, gradient)(1.0, 0.0)
    np.testing.assert_allclose(gradient, delta.T @ x, **tol)


def test_bound_products_follow_their_arrays_contents():
    """A bound product reads its arrays when called, not when bound: the training step
    refills the same buffers every batch."""
    rng = np.random.default_rng(5)
    w, b = rng.standard_normal((4, 6)), rng.standard_normal(4)
    x, z = np.empty((3, 6)), np.empty((3, 4))
    affine = kernels.bind_affine(x, w, b, z)
    for _ in range(3):
        x[...] = rng.standard_normal(x.shape)
        w += 1.0
        np.testing.assert_allclose(affine(), x @ w.T + b, rtol=1e-12)


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
    kernels.bind_bias_gradient(delta, biases)(-0.5, 1.0)  # delta not C-contiguous: NumPy route
    np.testing.assert_allclose(biases, b - 0.5 * delta.sum(axis=0), rtol=1e-12)
    stored = np.full(4, np.nan)
    kernels.bind_bias_gradient(delta, stored)(1.0, 0.0)
    np.testing.assert_allclose(stored, delta.sum(axis=0), rtol=1e-12)


def test_non_contiguous_inputs_fall_back_to_numpy():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 6))
    x = rng.standard_normal((6, 5))[:, :6].T.copy()[:, ::1]  # contiguous (5, 6)
    x_strided = np.asfortranarray(x)  # same values, not C-contiguous
    delta = rng.standard_normal((5, 4))
    a, b = w.copy(), w.copy()
    kernels.bind_weight_gradient(delta, x, a)(-0.1, 0.95)
    kernels.bind_weight_gradient(delta, x_strided, b)(-0.1, 0.95)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, 0.95 * w - 0.1 * delta.T @ x, rtol=1e-12)
    stored = np.full_like(w, np.nan)
    kernels.bind_weight_gradient(delta, x_strided, stored)(1.0, 0.0)
    np.testing.assert_allclose(stored, delta.T @ x, rtol=1e-12)
    np.testing.assert_allclose(kernels.affine(x_strided, w, np.zeros(4)), x @ w.T, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (64, 10), (70, 32), (300, 200), (63, 10)])
def test_row_sum_matches_numpy(dtype, shape):
    """Both sides of ROW_REDUCTION_MIN_ROWS, BLAS and NumPy dtypes, strided input."""
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 100).astype(dtype)
    # summation order differs (BLAS vs NumPy's pairwise sum): allow n roundings of the largest row's |x| sum
    eps = np.finfo(dtype).eps if np.issubdtype(dtype, np.floating) else 0
    atol = eps * shape[1] * np.abs(x).sum(axis=1).max()
    np.testing.assert_allclose(kernels.row_sum(x), x.sum(axis=1), rtol=0, atol=atol)
    # strided input (every other column): NumPy's reductions
    wide = np.repeat(x, 2, axis=1)[:, ::2]
    np.testing.assert_allclose(kernels.row_sum(wide), x.sum(axis=1), rtol=0, atol=atol)


def test_softmax_ignores_unusable_scratch_and_propagates_nan():
    from bprop.activations import Softmax

    z = np.array([[1.0, np.nan, 3.0], [-np.inf, -5.0, -np.inf], [2.0, 9.0, 4.0]], dtype=np.float32)
    expected = Softmax().forward(z)
    assert np.isnan(expected[0]).all()  # a NaN in a row makes the whole row NaN
    np.testing.assert_array_equal(expected[1], [0.0, 1.0, 0.0])
    out = np.empty_like(z)
    for scratch in (None, z, out, np.empty((3, 3), np.float64), np.empty((3, 6), np.float32)[:, ::2],
                    np.empty((9, 1), np.float32), np.empty((3, 3), np.float32)):
        before = z.copy()
        np.testing.assert_array_equal(Softmax().forward(z, out=out, scratch=scratch), expected)
        np.testing.assert_array_equal(z, before)  # z itself is never used as scratch


def test_softmax_of_a_vector_is_that_of_one_row_and_other_shapes_are_refused():
    from bprop.activations import Softmax

    z = np.array([1.0, 2.0, 3.0])
    expected = np.exp(z - 3.0) / np.exp(z - 3.0).sum()
    np.testing.assert_allclose(Softmax().forward(z), expected, rtol=1e-15)
    out = np.empty(3)
    assert Softmax().forward(z, out=out) is not None
    np.testing.assert_array_equal(out, Softmax().forward(z[None, :])[0])
    with pytest.raises(ValueError, match=r"vector \(n,\) or a batch of rows \(m, n\), got shape \(2, 2, 3\)"):
        Softmax().forward(np.zeros((2, 2, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_into_a_separate_buffer_equals_in_place(dtype):
    """The training path (out separate from z, a scratch for the transpose) and inference (out is z)."""
    from bprop.activations import Softmax

    rng = np.random.default_rng(5)
    z = (rng.standard_normal((50, 10)) * 30).astype(dtype)
    z[3] += 1000  # a row that overflows e^z without the maximum subtracted
    expected = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    separate = Softmax().forward(z, out=np.full_like(z, np.nan))
    with_scratch = Softmax().forward(z, out=np.full_like(z, np.nan), scratch=np.full((10, 50), np.nan, dtype))
    z_copy = z.copy()
    in_place = Softmax().forward(z_copy, out=z_copy)
    allocated = Softmax().forward(z)
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(separate, expected, rtol=tolerance, atol=tolerance * 1e-3)
    np.testing.assert_array_equal(separate, in_place)
    np.testing.assert_array_equal(separate, allocated)
    np.testing.assert_array_equal(separate, with_scratch)
    np.testing.assert_allclose(separate.sum(axis=1), 1.0, rtol=10 * tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n_in, n_out", [(1, 50, 20), (4, 50, 20), (40, 50, 20), (3, 5, 2)])
def test_weight_gradient_norm_with_and_without_forming_the_gradient(dtype, m, n_in, n_out):
    """Small batches (m (n_in + n_out) < n_in n_out) use the Gram matrices, larger ones a gemm."""
    rng = np.random.default_rng(m)
    delta = rng.standard_normal((m, n_out)).astype(dtype)
    inputs = rng.standard_normal((m, n_in)).astype(dtype)
    expected = np.linalg.norm(delta.astype(np.float64).T @ inputs.astype(np.float64))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert kernels.weight_gradient_norm(delta, inputs) == pytest.approx(expected, rel=rtol)
    scratch = np.full((n_out, n_in), np.nan, dtype=dtype)
    assert kernels.weight_gradient_norm(delta, inputs, scratch=scratch) == pytest.approx(expected, rel=rtol)
    if m * (n_in + n_out) >= n_in * n_out:  # formed: the gradient is left in scratch
        np.testing.assert_allclose(scratch, delta.T @ inputs, rtol=rtol * 10, atol=rtol)


def test_weight_gradient_norm_of_cancelling_samples_is_zero_not_nan():
    delta = np.array([[1.0, 2.0], [-1.0, -2.0]], dtype=np.float32)  # the two samples cancel
    inputs = np.tile(np.arange(1.0, 41.0, dtype=np.float32), (2, 1))
    assert kernels.weight_gradient_norm(delta, inputs) == 0.0
