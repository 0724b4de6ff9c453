"""Tests for bprop.preprocessing: what layer 1 receives after Scale and Standardize."""

import numpy as np

from bprop import Network, Standardize


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


# -- standardized regression targets (Network(target_preprocessing="standardize")) -------------

import pytest  # noqa: E402
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score  # noqa: E402

from bprop import load  # noqa: E402
from bprop.io import load_arrays  # noqa: E402


def prices(m=300, seed=0):
    """Two targets far from 0 in their own units (prices around 1e5, a temperature around -300)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 3))
    y = np.column_stack([1e5 + 2e4 * (x[:, 0] - 0.5 * x[:, 1]) + 1e3 * rng.standard_normal(m),
                         -300 + 5 * x[:, 2] + 0.1 * rng.standard_normal(m)])
    return x, y


def regressor(dtype="float64", target_preprocessing="standardize"):
    return Network([3, 16, 2], output="identity", seed=0, dtype=dtype, preprocessing="standardize",
                   target_preprocessing=target_preprocessing)


def forward(net, x):
    """a^L by hand from the network's arrays (float64): the model's Standardize, then each layer."""
    a = (x - net.preprocessing.mean) / net.preprocessing.std
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = a @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        a = z if l == len(net.weights) - 1 else np.maximum(z, 0)
    return a


def test_standardized_targets_train_where_raw_ones_do_not_and_predict_in_their_units():
    x, y = prices()
    raw = regressor(target_preprocessing=None)
    raw.fit(x[:200], y[:200], epochs=30, batch_size=20, optimizer="adam", eta=0.01, verbose=False)
    net = regressor()
    net.fit(x[:200], y[:200], epochs=30, batch_size=20, optimizer="adam", eta=0.01, verbose=False)
    # What the first fit learnt: each target column's mean and (population) std over the training rows
    np.testing.assert_allclose(net.target_preprocessing.mean, y[:200].mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(net.target_preprocessing.std, y[:200].std(axis=0), rtol=1e-15)
    predicted = net.predict(x[200:])
    assert predicted.dtype == np.float64
    # predict = mean + std a^L, a^L computed here without bprop
    np.testing.assert_allclose(predicted, net.target_preprocessing.mean + net.target_preprocessing.std
                               * forward(net, x[200:]), rtol=1e-12)
    assert r2_score(y[200:, 0], predicted[:, 0]) > 0.95
    assert r2_score(y[200:, 0], raw.predict(x[200:])[:, 0]) < 0  # the bias cannot travel to 1e5 in 300 steps


def test_evaluate_gives_errors_in_the_targets_units_and_the_cost_training_minimizes():
    x, y = prices()
    net = regressor()
    history = net.fit(x[:200], y[:200], epochs=5, batch_size=20, optimizer="adam", eta=0.01, verbose=False,
                      validation=(x[200:], y[200:]))
    scores = net.evaluate(x[200:], y[200:])
    predicted = net.predict(x[200:])
    assert scores["mse"] == pytest.approx(mean_squared_error(y[200:], predicted), rel=1e-12)
    assert scores["mae"] == pytest.approx(mean_absolute_error(y[200:], predicted), rel=1e-12)
    assert scores["r2"] == pytest.approx(r2_score(y[200:], predicted), rel=1e-12)
    standardized = (y[200:] - net.target_preprocessing.mean) / net.target_preprocessing.std
    a = forward(net, x[200:])
    assert scores["cost"] == pytest.approx(np.mean(0.5 * ((a - standardized) ** 2).sum(axis=1)), rel=1e-12)
    assert history["val_mse"][-1] == pytest.approx(scores["mse"], rel=1e-12)
    assert history["val_cost"][-1] == pytest.approx(scores["cost"], rel=1e-12)


def test_a_float32_network_standardizes_its_targets_in_float64():
    """Targets 1e8 + small: in float32 they would be multiples of 8 before the mean is taken away."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((200, 3))
    y = np.column_stack([1e8 + x[:, 0], x[:, 1]])
    net = regressor("float32")
    net.fit(x, y, epochs=40, batch_size=20, optimizer="adam", eta=0.01, verbose=False)
    assert r2_score(y[:, 0], net.predict(x)[:, 0]) > 0.9


def test_the_statistics_are_learnt_once_and_a_refused_fit_learns_nothing():
    x, y = prices()
    net = regressor()
    bad = y[:100].copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(x[:100], bad, epochs=1, verbose=False)
    assert not net.target_preprocessing.fitted
    net.fit(x[:100], y[:100], epochs=1, verbose=False)
    mean = net.target_preprocessing.mean.copy()
    # a later fit trains on, with the same statistics (at eta 0.01: targets 3 times as large, standardized
    # by the first fit's statistics, took the default 0.1 to weights of 3.5e159, a divergence)
    net.fit(x[100:], y[100:] * 3, epochs=1, eta=0.01, verbose=False)
    assert np.array_equal(net.target_preprocessing.mean, mean)


def test_the_model_file_keeps_the_statistics_as_version_2(tmp_path):
    x, y = prices()
    net = regressor("float32")
    net.fit(x, y, epochs=2, verbose=False)
    net.save(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert np.array_equal(loaded.predict(x), net.predict(x))
    assert load_arrays(tmp_path / "m.npz", kind="model")[1]["model_version"] == 2
    plain = regressor(target_preprocessing=None)
    plain.fit(x, y, epochs=1, optimizer="adam", verbose=False)
    plain.save(tmp_path / "plain.npz")  # without target statistics: version 1, which older bprops read
    assert load_arrays(tmp_path / "plain.npz", kind="model")[1]["model_version"] == 1


@pytest.mark.parametrize("spec, message", [
    ("scale", "must be None, 'standardize'"),
    (Standardize(mean=[0.0], std=[1.0]), "learnt on 1 target columns but the network has 2 outputs"),
])
def test_target_preprocessing_that_does_not_fit_is_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        regressor(target_preprocessing=spec)


def test_target_preprocessing_is_for_regression_only():
    with pytest.raises(ValueError, match="for regression"):
        Network([3, 4, 2], target_preprocessing="standardize")


@pytest.mark.parametrize("output, cost", [("sigmoid", "cross_entropy"), ("sigmoid", "quadratic"),
                                          ("relu", "quadratic"), ("tanh", "quadratic")])
def test_standardized_targets_need_an_output_that_reaches_every_real_number(output, cost):
    """(y - mean) / std is negative for half the rows and beyond 1 for some: a sigmoid, relu or
    tanh output cannot reach them, and the cross-entropy of a target outside [0, 1] has no
    minimum. Accepted, a regression on y in (0, 1) ended with train cost -2.5e10 (sigmoid,
    cross-entropy) or r2 0.30 where the unstandardized network got 0.60 (sigmoid, quadratic)."""
    with pytest.raises(ValueError, match="output activation that reaches every real number"):
        Network([3, 4, 1], output=output, cost=cost, task="regression", target_preprocessing="standardize")


@pytest.mark.parametrize("output", ["identity", "linear", "leaky_relu"])
def test_standardized_targets_with_an_unbounded_output(output):
    net = Network([3, 4, 1], output=output, cost="quadratic", task="regression", target_preprocessing="standardize")
    assert isinstance(net.target_preprocessing, Standardize)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_targets_and_features_whose_squares_overflow_or_underflow_get_finite_statistics(scale):
    """Finite targets around 1e200 square to inf: np.std gave std inf, every standardized target
    0, a train cost that fell as usual, and predictions of +-inf. Around 1e-200 the squares are
    0: std 0 read as a constant column (std 1), so the network learnt nothing (r2 0). The
    statistics are those of y / scale, times scale."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 3))
    y = scale * (1 + x[:, 0] - 0.5 * x[:, 1] + 0.05 * rng.standard_normal(200))
    net = Network([3, 8, 1], output="identity", seed=0, dtype="float64", target_preprocessing="standardize")
    net.fit(x, y, epochs=40, batch_size=20, optimizer="adam", eta=0.01, verbose=False)
    np.testing.assert_allclose(net.target_preprocessing.mean, [scale * (y / scale).mean()], rtol=1e-12)
    np.testing.assert_allclose(net.target_preprocessing.std, [scale * (y / scale).std()], rtol=1e-12)
    predicted = net.predict(x)
    assert np.all(np.isfinite(predicted)) and r2_score(y / scale, predicted / scale) > 0.95
    features = Standardize()
    features.fit(scale * x)
    np.testing.assert_allclose(features.std, scale * x.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose(features.transform(scale * x), (x - x.mean(axis=0)) / x.std(axis=0), atol=1e-12)


def test_the_target_statistics_are_weighted_as_the_cost_is():
    """With sample_weight, the mean and std are those of the rows as weighted (a weight of 2 as
    two copies, 0 as no row). Unweighted, one row of weight 0 with a target of 1e9 set the std to
    5.8e7: the other rows' targets became -0.058 +- 2e-8 and the model ended at r2 -2.9e11 on them
    (0.998 with the row dropped)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(301, 2))
    y = x[:, 0] - 0.5 * x[:, 1] + 0.05 * rng.normal(size=301)
    y[0] = 1e9
    weights = np.ones(301)
    weights[0] = 0
    net = Network([2, 8, 1], output="identity", seed=0, dtype="float64", target_preprocessing="standardize")
    net.fit(x, y, epochs=40, batch_size=20, optimizer="adam", eta=0.01, sample_weight=weights, verbose=False)
    np.testing.assert_allclose(net.target_preprocessing.mean, [y[1:].mean()], rtol=1e-12)
    np.testing.assert_allclose(net.target_preprocessing.std, [y[1:].std()], rtol=1e-12)
    assert r2_score(y[1:], net.predict(x[1:])) > 0.99

    counts = rng.integers(0, 4, size=301)
    counts[0] = 0
    net = Network([2, 8, 1], output="identity", seed=0, dtype="float64", target_preprocessing="standardize")
    net.fit(x, y, epochs=1, verbose=False, sample_weight=counts)
    repeated = np.repeat(y, counts)
    np.testing.assert_allclose(net.target_preprocessing.mean, [repeated.mean()], rtol=1e-12)
    np.testing.assert_allclose(net.target_preprocessing.std, [repeated.std()], rtol=1e-12)


def test_the_input_statistics_are_weighted_as_the_cost_is():
    """preprocessing='standardize' with sample_weight: one row of weight 0 with a feature of 1e9
    set that feature's std to 5.8e7, squeezing it to +-2e-8 on the other rows: r2 0.16 where
    the weighted statistics give 0.99."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(301, 2))
    y = x[:, 0] - 0.5 * x[:, 1] + 0.05 * rng.normal(size=301)
    x[0, 0] = 1e9
    weights = np.ones(301)
    weights[0] = 0
    net = Network([2, 8, 1], output="identity", seed=0, dtype="float64", preprocessing="standardize")
    net.fit(x, y, epochs=40, batch_size=20, optimizer="adam", eta=0.01, sample_weight=weights, verbose=False)
    np.testing.assert_allclose(net.preprocessing.mean, x[1:].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(net.preprocessing.std, x[1:].std(axis=0), rtol=1e-12)
    assert r2_score(y[1:], net.predict(x[1:])) > 0.99


def reference_scores(predicted, y):
    """mse, mae and r2 of float64 predictions (m,) against the float64 targets, by hand in NumPy."""
    residual = predicted - y
    return (np.mean(residual ** 2), np.mean(np.abs(residual)),
            1 - np.sum(residual ** 2) / np.sum((y - y.mean()) ** 2))


def test_float32_evaluate_scores_against_the_targets_as_given_not_their_float32_round_trip():
    """Targets 1e5 + a tiny spread (std 0.011), fitted almost exactly by a float32 network with
    standardized targets. evaluate compared the predictions with (y - mean) / std rounded to
    float32 and mapped back, off by about std 2^-24 a row, as large as the fit's own errors: mse
    8.692e-19 and mae 6.165e-10 against 8.604e-19 and 6.620e-10 (+1.0%, -6.9%) by hand."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2))
    y = 1e5 + 1e-2 * (x[:, 0] - 0.5 * x[:, 1])
    net = Network([2, 1], output="identity", seed=0, dtype="float32", target_preprocessing="standardize")
    net.fit(x, y, epochs=200, batch_size=50, optimizer="adam", eta=0.01, verbose=False)
    scores = net.evaluate(x, y)
    mse, mae, r2 = reference_scores(net.predict(x), y)
    assert 1 - r2 < 1e-12  # a fit this close that the targets' float32 rounding shows
    assert scores["mse"] == pytest.approx(mse, rel=1e-12, abs=0)
    assert scores["mae"] == pytest.approx(mae, rel=1e-12, abs=0)
    assert scores["r2"] == pytest.approx(r2, rel=1e-15, abs=0)


def test_float32_evaluate_without_target_preprocessing_compares_with_the_unrounded_targets():
    """Targets 1e5 + x scored against a float32 network's outputs a = 1e5 + x (w = 1, b = 1e5),
    whose float32 values are multiples of 2^-7 near 1e5: evaluate compared them with the targets
    rounded to float32 as well, which they mostly equal, and reported mse 0 and r2 1."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 1))
    y = 1e5 + x[:, 0]
    net = Network([1, 1], output="identity", task="regression", seed=0, dtype="float32")
    net.weights[0][...] = 1.0
    net.biases[0][...] = 1e5
    scores = net.evaluate(x, y)
    mse, mae, r2 = reference_scores(net.predict(x).astype(np.float64), y)
    assert mse > 1e-6  # (2^-7)^2 / 12 = 5.1e-6: the outputs' own rounding, which the scores must show
    assert scores["mse"] == pytest.approx(mse, rel=1e-12, abs=0)
    assert scores["mae"] == pytest.approx(mae, rel=1e-12, abs=0)
    assert scores["r2"] == pytest.approx(r2, rel=1e-15, abs=0)


def test_validation_and_monitored_scores_during_fit_equal_evaluate_on_the_same_sets():
    """val_mse/val_mae/val_r2 (and a monitored set's) in the history are evaluate's numbers on that
    set: against the targets as given, in float64. They were scored against the float32 round trip
    of the standardized targets, so a near-exact float32 fit logged an mse 1% off evaluate's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2))
    y = 1e5 + 1e-2 * (x[:, 0] - 0.5 * x[:, 1])
    net = Network([2, 1], output="identity", seed=0, dtype="float32", target_preprocessing="standardize")
    history = net.fit(x[:400], y[:400], epochs=200, batch_size=50, optimizer="adam", eta=0.01, verbose=False,
                      validation=(x[400:], y[400:]), monitor={"fitted": (x[:400], y[:400])})
    last = history.epochs[-1]
    for name, rows in (("val", slice(400, None)), ("fitted", slice(None, 400))):
        scores = net.evaluate(x[rows], y[rows])
        mse, mae, r2 = reference_scores(net.predict(x[rows]), y[rows])
        assert 1 - r2 < 1e-11
        for metric, expected in (("mse", mse), ("mae", mae), ("r2", r2)):
            assert last[f"{name}_{metric}"] == scores[metric]
            assert last[f"{name}_{metric}"] == pytest.approx(expected, rel=1e-12, abs=0)
