import numpy as np
import pytest

from bprop.optimizers import SGD


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_step_is_w_minus_eta_g_in_place_and_leaves_gradients_alone(dtype):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(shape).astype(dtype) for shape in [(7, 5), (7,), (3, 7), (3,)]]
    grads = [rng.standard_normal(p.shape).astype(dtype) for p in params]
    before = [p.copy() for p in params]
    grads_before = [g.copy() for g in grads]
    identities = [id(p) for p in params]
    optimizer = SGD(eta=0.25)
    for _ in range(2):  # the second step reuses the buffer sized by the largest parameter
        optimizer.step(list(zip(params, grads)))
    for p, b, g, g0, ident in zip(params, before, grads, grads_before, identities):
        np.testing.assert_allclose(p, b - 2 * 0.25 * g0, rtol=1e-6 if dtype == np.float32 else 1e-14)
        assert p.dtype == dtype and id(p) == ident  # updated in place
        np.testing.assert_array_equal(g, g0)


def test_sgd_step_follows_a_change_of_dtype_and_of_eta():
    optimizer = SGD(eta=0.5)
    w32, g32 = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    w64, g64 = np.ones(10), np.full(10, 4.0)
    optimizer.step([(w32, g32)])
    optimizer.step([(w64, g64)])  # larger and float64: a new buffer
    optimizer.eta = 0.25  # schedules change eta between epochs
    optimizer.step([(w32, g32)])
    np.testing.assert_array_equal(w32, np.full((2, 3), 1 - 1.0 - 0.5, np.float32))
    np.testing.assert_array_equal(w64, np.full(10, 1 - 2.0))
