"""Bad input raises ValueError naming the problem and leaves the network unchanged."""

import numpy as np
import pytest

from bprop import Network


@pytest.fixture
def net():
    return Network([4, 5, 3], hidden="relu", seed=0)


def snapshot(net):
    return [p.copy() for p in list(net.weights) + list(net.biases)], net.rng.bit_generator.state


def assert_unchanged(net, snap):
    params, rng_state = snap
    for before, after in zip(params, list(net.weights) + list(net.biases)):
        assert np.array_equal(before, after)
    assert net.rng.bit_generator.state == rng_state


X = np.zeros((6, 4))
Y = np.array([0, 1, 2, 0, 1, 2])

CASES = [
    ("wrong feature count", dict(x=np.zeros((6, 5))), "5 features but the network expects 4"),
    ("different lengths", dict(y=Y[:5]), "different lengths"),
    ("nan in x", dict(x=np.where(np.eye(6, 4) == 1, np.nan, 0.0)), "NaN or inf"),
    ("inf in x", dict(x=np.full((6, 4), np.inf)), "NaN or inf"),
    ("nan in y", dict(y=np.array([0, 1, np.nan, 0, 1, 2])), "NaN or inf"),
    ("class out of range", dict(y=np.array([0, 1, 3, 0, 1, 2])), "class index 3 .* out of range"),
    ("negative class", dict(y=np.array([0, -1, 2, 0, 1, 2])), "class index -1"),
    ("fractional class", dict(y=np.array([0, 1.5, 2, 0, 1, 2])), "4 distinct class labels \\(0.0, 1.0, 1.5, 2.0\\)"),
    ("empty", dict(x=np.zeros((0, 4)), y=np.zeros(0)), "empty"),
    ("1-D x", dict(x=np.zeros(4)), "2-D"),
    ("text x", dict(x=np.array([["a"] * 4] * 6)), "numbers"),
    ("wrong target columns", dict(y=np.zeros((6, 2))), "2 target columns"),
    ("eta zero", dict(eta=0), "eta must be a positive"),
    ("eta negative", dict(eta=-0.1), "eta must be a positive"),
    ("batch size zero", dict(batch_size=0), "batch_size must be a positive integer"),
    ("batch size float", dict(batch_size=2.5), "batch_size must be a positive integer"),
    ("epochs zero", dict(epochs=0), "epochs must be a positive integer"),
    ("bad validation", dict(validation=(np.zeros((3, 7)), [0, 1, 2])), "7 features"),
    ("unknown optimizer", dict(optimizer="rmsprop_x"), "valid optimizers are"),
]


@pytest.mark.parametrize("label,change,message", CASES, ids=[c[0] for c in CASES])
def test_fit_rejects_bad_input_without_changing_the_network(net, label, change, message):
    args = dict(x=X, y=Y, epochs=1, batch_size=2, eta=0.1, verbose=False)
    args.update(change)
    x, y = args.pop("x"), args.pop("y")
    snap = snapshot(net)
    with pytest.raises(ValueError, match=message):
        net.fit(x, y, **args)
    assert_unchanged(net, snap)


@pytest.mark.parametrize("method", ["backprop", "evaluate", "total_cost"])
def test_other_entry_points_check_input(net, method):
    snap = snapshot(net)
    with pytest.raises(ValueError, match="features"):
        getattr(net, method)(np.zeros((2, 9)), [0, 1])
    assert_unchanged(net, snap)
    with pytest.raises(ValueError, match="features"):
        net.predict(np.zeros((2, 9)))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(hidden="swish"), "unknown activation 'swish'; valid activations are: sigmoid, tanh, relu"),
        (dict(output="nope"), "valid activations are"),
        (dict(cost="hinge"), "unknown cost 'hinge'; valid costs are: quadratic, cross_entropy, log_likelihood"),
        (dict(init="zeros"), "valid initializers are"),
    ],
)
def test_unknown_names_list_the_valid_ones(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 3, 2], **kwargs)


def test_bad_sizes():
    with pytest.raises(ValueError, match="at least 2"):
        Network([3])
    with pytest.raises(ValueError, match="positive integers"):
        Network([3, 0, 2])


def test_huge_finite_values_are_not_mistaken_for_inf():
    """The fast finite check sums the data; a sum that overflows must not reject finite x."""
    import warnings

    net = Network([2, 3, 2], seed=0)
    x = np.full((4, 2), 3e38, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert net.predict(x).shape == (4,)
        with pytest.raises(ValueError, match="NaN or inf"):
            net.predict(np.array([[np.inf, -np.inf]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_value_anywhere_in_a_large_input_is_found(dtype, bad):
    """The finite check sums |x| with BLAS asum: a single NaN or inf at the start, in the
    SIMD body or in the odd tail of a long array must still be caught."""
    net = Network([37, 3, 2], seed=0, dtype=dtype)
    x = np.random.default_rng(0).random((1001, 37)).astype(dtype)  # 37,037 values: an odd tail
    for position in (0, 18_517, x.size - 1):
        poisoned = x.copy()
        poisoned.reshape(-1)[position] = bad
        with pytest.raises(ValueError, match=r"x contains NaN or inf \(1 values\)"):
            net.prepare(poisoned, np.zeros(1001, dtype=int))
    huge = np.full((4, 37), np.finfo(dtype).max / 2, dtype=dtype)  # finite, but the sum overflows
    assert net.prepare(huge, np.zeros(4, dtype=int))[0].shape == (4, 37)
