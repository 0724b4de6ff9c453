"""Tests for bprop.preprocessing: what layer 1 receives after Scale and Standardize."""

import numpy as np

from bprop import Network


def offset_data(n=400, seed=0):
    """One feature 1e8 + N(0, 1) (a timestamp, an id-like count) that alone decides the class."""
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    return np.column_stack([1e8 + f, rng.standard_normal(n)]), (f > 0).astype(int)


def test_standardize_keeps_the_variations_of_a_feature_far_from_zero_in_float32():
    # Cast to float32 first, 1e8 + f was rounded to a multiple of 8 and f was lost:
    # the network learnt nothing (~50% accuracy) and said nothing.
    x, y = offset_data()
    net = Network([2, 8, 2], seed=0, dtype="float32", preprocessing="standardize")
    net.fit(x, y, epochs=30, batch_size=16, eta=0.5)
    expected = (x - x.mean(axis=0)) / x.std(axis=0)  # NumPy in float64, the reference
    got = net.inputs(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert np.corrcoef(got[:, 0], x[:, 0] - 1e8)[0, 1] > 0.9999
    assert np.mean(net.predict(x) == y) > 0.95


def test_scale_still_works_in_the_networks_dtype():
    net = Network([2, 3, 2], seed=0, dtype="float32", preprocessing=None)
    from bprop.preprocessing import Scale

    net.preprocessing = Scale(0.5)
    x = np.array([[2.0, 4.0]])
    assert net.inputs(x).dtype == np.float32 and net.inputs(x).tolist() == [[1.0, 2.0]]
