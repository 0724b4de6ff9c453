"""Network.evaluate(sample_weight=): every figure is the weighted mean, so a weight of 2
equals the row repeated (``bprop.weights``)."""

import numpy as np
import pytest

from bprop import Network


def repeated(x, y, weights):
    index = np.repeat(np.arange(len(weights)), weights)
    return x[index], y[index]


@pytest.mark.parametrize("kind", ["classification", "multilabel", "regression"])
@pytest.mark.parametrize("regularizer", [None, ("l2", 3.0)])
def test_integer_weights_equal_repeated_rows(kind, regularizer):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 4))
    if kind == "classification":
        net, y = Network([4, 6, 3], seed=1, dtype="float64", regularizer=regularizer), rng.integers(0, 3, 9)
    elif kind == "multilabel":
        net = Network([4, 6, 3], output="sigmoid", task="multilabel", seed=1, dtype="float64", regularizer=regularizer)
        y = rng.integers(0, 2, (9, 3))
    else:
        net, y = Network([4, 6, 2], output="identity", seed=1, dtype="float64", regularizer=regularizer), \
            rng.standard_normal((9, 2))
    weights = np.array([1, 2, 0, 3, 1, 1, 2, 1, 4])
    weighted = net.evaluate(x, y, sample_weight=weights)
    plain = net.evaluate(*repeated(x, y, weights))
    assert weighted.keys() == plain.keys()
    for key in plain:
        assert weighted[key] == pytest.approx(plain[key], rel=1e-12, abs=1e-15), key
    # and they are not the unweighted figures
    assert any(weighted[key] != pytest.approx(value, rel=1e-9) for key, value in net.evaluate(x, y).items())


def test_all_ones_is_the_plain_evaluation_and_bad_weights_are_refused():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    net = Network([4, 5, 3], seed=0)
    assert net.evaluate(x, y, sample_weight=np.ones(6)) == net.evaluate(x, y)
    for bad, message in (([1, 2], "sample_weight"), ([1, -1, 1, 1, 1, 1], "negative"),
                         ([0] * 6, "sum"), ([1, np.nan, 1, 1, 1, 1], "sample_weight")):
        with pytest.raises(ValueError, match=message):
            net.evaluate(x, y, sample_weight=bad)
