"""Tasks said once: class labels of any kind, targets the cost can mean, regression values,
and the one input-scaling rule (each a failing input of the exact-numbers issue)."""

import numpy as np
import pytest

import bprop
from bprop import Dense, Network, Scale, Standardize
from bprop.cli import main


def blobs(n, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    centres = np.array([[2.0 * np.cos(2 * np.pi * k / classes), 2.0 * np.sin(2 * np.pi * k / classes)]
                        for k in range(classes)])
    return centres[labels] + 0.4 * rng.standard_normal((n, 2)), labels


def test_labels_1_and_2_on_one_sigmoid_output_are_two_classes():
    """Once: training accuracy 1.000 and cost -47.7 for labels {1, 2}."""
    x, labels = blobs(200, classes=2)
    y = labels + 1
    net = Network([2, 8, 1], hidden="tanh", output="sigmoid", cost="cross_entropy", seed=0)
    history = net.fit(x, y, epochs=30, batch_size=10, eta=0.5, verbose=False)
    np.testing.assert_array_equal(net.classes, [1, 2])
    assert all(cost > 0 for cost in history["train_cost"])
    predictions = net.predict(x)
    assert set(np.unique(predictions)) <= {1, 2}
    assert np.mean(predictions == y) > 0.9
    scores = net.evaluate(x, y)
    assert scores["accuracy"] == pytest.approx(np.mean(predictions == y))
    assert scores["cost"] == pytest.approx(-np.mean(np.log(np.where(y == 2, 1, 0) * net.predict_proba(x)[:, 0]
                                                            + np.where(y == 1, 1, 0) * (1 - net.predict_proba(x)[:, 0]))),
                                           rel=1e-4)


@pytest.mark.parametrize("labels", [np.arange(10).repeat(2), np.array([0, 1, 2] * 4), np.array([2, -1, 5.5, 0] * 3)])
def test_one_sigmoid_output_refuses_more_than_two_classes(labels):
    net = Network([4, 8, 1], hidden="tanh", output="sigmoid", cost="cross_entropy", seed=0)
    before = [w.copy() for w in net.weights]
    with pytest.raises(ValueError, match="distinct class labels .* so 2 classes"):
        net.fit(np.zeros((labels.size, 4)), labels, epochs=1, verbose=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights)) and net.classes is None


def test_string_labels_round_trip_through_predict_and_the_model_file(tmp_path):
    x, labels = blobs(240)
    names = np.array(["cat", "dog", "emu"])[labels]
    net = Network([2, 10, 3], seed=1)
    net.fit(x, names, epochs=20, batch_size=10, eta=0.1, verbose=False, validation=(x[:30], names[:30]))
    assert net.classes.tolist() == ["cat", "dog", "emu"]
    predictions = net.predict(x)
    assert predictions.dtype.kind == "U" and np.mean(predictions == names) > 0.9
    net.save(tmp_path / "m.npz")
    loaded = bprop.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.predict(x), predictions)
    assert loaded.evaluate(x, names)["accuracy"] == net.evaluate(x, names)["accuracy"]
    with pytest.raises(ValueError, match="1 labels outside the network's classes .* 'yak'"):
        loaded.evaluate(x[:3], ["cat", "dog", "yak"])


def test_labels_1_to_k_are_sorted_into_classes():
    x, labels = blobs(150)
    net = Network([2, 6, 3], seed=2)
    net.fit(x, labels + 1, epochs=5, batch_size=10, eta=0.1, verbose=False)
    np.testing.assert_array_equal(net.classes, [1, 2, 3])
    assert set(np.unique(net.predict(x))) <= {1, 2, 3}


@pytest.mark.parametrize("y,message", [
    (np.zeros((4, 3)), "must sum to 1; 4 of 4 rows do not"),
    (np.array([[1.2, -0.2, 0.0]] * 4), "class targets must be in \\[0, 1\\]; 4 of 4 rows"),
])
def test_log_likelihood_targets_must_be_distributions(y, message):
    """Once: all-zero rows gave {'cost': 0.0, 'accuracy': 1.0}; negative ones a cost of -0.52, then NaN."""
    net = Network([2, 3], seed=0)
    for call in (lambda: net.evaluate(np.zeros((4, 2)), y), lambda: net.backprop(np.zeros((4, 2)), y),
                 lambda: net.fit(np.zeros((4, 2)), y, verbose=False)):
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.parametrize("value", [2.0, -1.0])
def test_cross_entropy_targets_must_be_probabilities(value):
    net = Network([2, 2], output="sigmoid", cost="cross_entropy", task="multilabel", seed=0)
    y = np.array([[value, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="1 of 2 rows have values outside"):
        net.total_cost(np.zeros((2, 2)), y)


def test_regression_predicts_values_and_reports_mse_mae_r2():
    """Once: an identity output with the quadratic cost predicted 0/1 classes and reported accuracy."""
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (300, 2))
    y = x[:, 0] - 2 * x[:, 1] + 0.5
    net = Network([2, 16, 1], hidden="tanh", output="identity", cost="quadratic", seed=0, dtype="float64")
    assert net.task.name == "regression" and net.classes is None
    history = net.fit(x, y, epochs=40, batch_size=10, eta=0.05, verbose=False, validation=(x[:50], y[:50]))
    assert "train_accuracy" not in history.last() and {"val_mse", "val_mae", "val_r2"} <= set(history.last())
    predictions = net.predict(x)
    assert predictions.shape == (300,) and predictions.dtype == np.float64
    np.testing.assert_allclose(predictions, net.feedforward(x)[:, 0])
    scores = net.evaluate(x, y)
    assert set(scores) == {"cost", "mse", "mae", "r2"}
    error = predictions - y
    assert scores["mse"] == pytest.approx(np.mean(error ** 2), rel=1e-12)
    assert scores["mae"] == pytest.approx(np.mean(np.abs(error)), rel=1e-12)
    assert scores["r2"] == pytest.approx(1 - np.sum(error ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-12)
    assert scores["cost"] == pytest.approx(0.5 * np.mean(error ** 2), rel=1e-12)
    assert scores["r2"] > 0.95
    from bprop.training.callbacks import format_logs

    line = format_logs(39, 40, history.last())
    assert f"val cost {history.last()['val_cost']:.4f} R² {history.last()['val_r2']:.4f}" in line and "acc" not in line


def test_multi_output_regression_and_multilabel_predictions():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 3))
    reg = Network([3, 4, 2], output="identity", cost="quadratic", seed=0)
    assert reg.predict(x).shape == (40, 2)
    with pytest.raises(ValueError, match="one value per sample but the network has 2 outputs"):
        reg.evaluate(x, np.zeros(40))
    multi = Network([3, 4, 2], output="sigmoid", cost="cross_entropy", task="multilabel", seed=0)
    y = (x[:, :2] > 0).astype(int)
    multi.fit(x, y, epochs=30, batch_size=8, eta=0.5, verbose=False)
    predicted = multi.predict(x)
    assert predicted.shape == (40, 2) and set(np.unique(predicted)) <= {0, 1}
    assert multi.evaluate(x, y)["accuracy"] == pytest.approx(np.mean(np.all(predicted == y, axis=1)))


@pytest.mark.parametrize("kwargs,message", [
    (dict(output="identity", cost="quadratic", task="classification", sizes=[2, 1]), "classifies only through a sigmoid"),
    (dict(output="tanh", cost="quadratic", task="multilabel", sizes=[2, 3]), "use sigmoid outputs"),
    (dict(task="regression", sizes=[2, 3]), "log_likelihood cost picks one class"),
    (dict(task="clasification", sizes=[2, 3]), "task must be one of classification, multilabel, regression"),
    (dict(classes=["a", "b"], sizes=[2, 3]), "classes has 2 labels but the network has 3 classes"),
    (dict(classes=["a", "a", "b"], sizes=[2, 3]), "must be distinct"),
    (dict(preprocessing="scale", sizes=[2, 3]), "needs a factor"),
    (dict(preprocessing=Standardize([0.0], [1.0]), sizes=[2, 3]), "learnt on 1 features"),
])
def test_a_task_the_head_cannot_do_is_refused(kwargs, message):
    sizes = kwargs.pop("sizes")
    with pytest.raises(ValueError, match=message):
        Network(sizes, **kwargs)


def test_standardize_is_learnt_once_and_saved(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.normal(50.0, 10.0, (100, 3))
    y = (x[:, 0] > 50).astype(int)
    net = Network([3, 4, 2], seed=0, preprocessing="standardize")
    with pytest.raises(ValueError, match="fit the network first"):
        net.predict(x)
    net.fit(x, y, epochs=2, verbose=False)
    np.testing.assert_allclose(net.preprocessing.mean, x.mean(axis=0))
    np.testing.assert_allclose(net.preprocessing.std, x.std(axis=0))
    net.fit(x + 100, y, epochs=1, verbose=False)  # a second fit keeps what the first learnt
    np.testing.assert_allclose(net.preprocessing.mean, x.mean(axis=0))
    net.save(tmp_path / "s.npz")
    np.testing.assert_array_equal(bprop.load(tmp_path / "s.npz").feedforward(x), net.feedforward(x))


def test_a_rejected_first_fit_learns_nothing():
    net = Network([3, 4, 2], seed=0, preprocessing="standardize")
    with pytest.raises(ValueError, match="different lengths"):
        net.fit(np.ones((10, 3)), ["a", "b"] * 4, verbose=False)
    assert net.classes is None and not net.preprocessing.fitted


def test_the_same_uint8_file_gives_the_same_predictions_in_python_and_the_cli(tmp_path, capsys):
    """Once: 78.5% in Python and 46.5% through the CLI (which alone divided by 255)."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (60, 16), dtype=np.uint8)
    labels = (pixels[:, :8].astype(int).sum(axis=1) > pixels[:, 8:].astype(int).sum(axis=1)).astype(int)
    net = Network([16, 12, 2], seed=0, preprocessing=Scale(1 / 255))
    net.fit(pixels, labels, epochs=20, batch_size=10, eta=0.5, verbose=False)
    net.save(tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", pixels)
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy")]) == 0
    printed = [int(v) for v in capsys.readouterr().out.split()]
    np.testing.assert_array_equal(printed, net.predict(pixels))
    np.testing.assert_array_equal(printed, bprop.load(tmp_path / "m.npz").predict(pixels))
    # the scaling is the model's: the same network without it sees other numbers
    unscaled = net.copy()
    unscaled.preprocessing = None
    assert not np.allclose(unscaled.feedforward(pixels), net.feedforward(pixels))


def test_cli_predict_prints_string_labels(tmp_path, capsys):
    x, labels = blobs(120)
    net = Network([2, 8, 3], seed=3)
    net.fit(x, np.array(["red", "green", "blue"])[labels], epochs=10, batch_size=10, eta=0.1, verbose=False)
    net.save(tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", x[:5])
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy")]) == 0
    assert capsys.readouterr().out.split() == net.predict(x[:5]).tolist()


def test_bprop_train_with_cross_entropy_learns_the_digits(capsys):
    """Softmax + binary cross-entropy in float32 once stayed at 10.03% for every epoch."""
    assert main(["train", "--cost", "cross_entropy", "--quiet"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 95.0, out


# -- found by a newcomer's review -------------------------------------------------------------


def test_a_target_column_scores_like_the_label_vector_for_one_sigmoid_output():
    """A (m, 1) column (or a one-column DataFrame) was scored by its argmax, always 0: 54% for 100%."""
    import pandas as pd

    x = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    net = Network([4, 8, 1], output="sigmoid", cost="cross_entropy", seed=0)
    net.fit(x, y, epochs=30, eta=0.5, verbose=False)
    expected = np.mean(net.predict(x) == y)
    for given in (y, y[:, None], pd.DataFrame({"label": y})):
        assert net.evaluate(x, given)["accuracy"] == expected
    strings = np.where(y == 1, "yes", "no")[:, None]  # a column of words: labels, not probabilities
    other = Network([4, 8, 1], output="sigmoid", cost="cross_entropy", seed=0)
    other.fit(x, strings, epochs=2, verbose=False)
    assert other.classes.tolist() == ["no", "yes"]


def test_labels_outside_the_classes_are_refused_after_a_fit_on_output_indices():
    """Once: a net fitted on 0..2 scored y + 1, y * 10 or 7-for-2 as if they were the same labels."""
    x = np.random.default_rng(1).normal(size=(60, 4))
    y = np.arange(60) % 3
    net = Network([4, 5, 3], seed=0)
    net.fit(x, y, epochs=1, verbose=False)
    np.testing.assert_array_equal(net.classes, [0, 1, 2])
    for bad in (y + 1, y * 10, np.where(y == 2, 7, y)):
        with pytest.raises(ValueError, match="labels outside the network's classes"):
            net.evaluate(x, bad)
    before = [w.copy() for w in net.weights]
    with pytest.raises(ValueError, match="labels outside the network's classes"):
        net.fit(x, y + 1, epochs=1, verbose=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))
    fresh = Network([4, 3], seed=0)
    with pytest.raises(ValueError, match="class index 7 is out of range 0..2: this network has no classes yet"):
        fresh.total_cost(np.ones((3, 4)), [0, 1, 7])


@pytest.mark.parametrize("y,message", [
    (np.array([1, "a", 2.5] * 4, dtype=object), "numbers or strings of one kind, got both"),
    (np.array(["a", "b", None] * 4, dtype=object), "a missing class label \\(None\\) at row 2"),
])
def test_mixed_or_missing_labels_are_refused(y, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 3], seed=0).fit(np.zeros((12, 2)), y, verbose=False)


@pytest.mark.parametrize("kwargs,y,message", [
    (dict(output="sigmoid", cost="cross_entropy"), [[1, 1, 0], [0, 1, 0]], "1 of 2 target rows mark more than one class"),
    (dict(output="softmax", cost="cross_entropy"), [[1, 1, 1], [0, 1, 0]], "mark more than one class"),
    (dict(output="softmax", cost="quadratic"), [[0.5, 0.2, 0.2], [0, 1, 0]], "softmax outputs sum to 1"),
    (dict(output="sigmoid", cost="quadratic"), [[5.0, 0, 0], [0, 1, 0]], "class targets must be in \\[0, 1\\]"),
    (dict(output="sigmoid", cost="cross_entropy", task="multilabel"), [0, 1], "one row of 0/1 per sample"),
])
def test_targets_a_classifier_cannot_mean_are_refused(kwargs, y, message):
    with pytest.raises(ValueError, match=message):
        Network([2, 3], seed=0, **kwargs).total_cost(np.zeros((2, 2)), y)


def test_softmax_cross_entropy_stays_exact_in_float32_at_huge_gaps():
    """float32 log-space arithmetic lost 3e-5 at a gap of 1000 and gave NaN near 1e38."""
    net = Network([Dense(3, 3, "softmax", weights=np.eye(3), biases=np.zeros(3))], cost="cross_entropy")
    grads = net.backprop(np.array([[1000.0, 0, 0]], np.float32), [[0.0, 1, 0]]).biases[0]
    np.testing.assert_allclose(grads, [2.0, -1.5, -0.5], rtol=1e-6)
    for cost, value, bp1 in (("log_likelihood", 4e38, [1, -1]), ("cross_entropy", 8e38, [2, -2]), ("quadratic", 1.0, [0, 0])):
        two = Network([Dense(2, 2, "softmax", weights=np.eye(2), biases=np.zeros(2))], cost=cost)
        x, y = np.array([[2e38, -2e38]], np.float32), [[0.0, 1.0]]
        with np.errstate(over="ignore"):  # the float32 forward pass itself overflows z - max z
            assert two.total_cost(x, y) == pytest.approx(value, rel=1e-6)
            np.testing.assert_allclose(two.backprop(x, y).biases[0], bp1, atol=1e-6)


def test_a_csv_separated_by_semicolons(tmp_path):
    from bprop.datasets import read_table

    (tmp_path / "s.csv").write_text("a;b;label\n1.5;2;x\n3;4;y\n5;6;x\n")
    table = read_table(tmp_path / "s.csv", target="label")
    assert table.x.tolist() == [[1.5, 2.0], [3.0, 4.0], [5.0, 6.0]] and table.y.tolist() == ["x", "y", "x"]


def test_gradcheck_and_predict_proba_on_multi_output_heads(tmp_path, capsys):
    assert main(["gradcheck", "--output-activation", "identity", "--cost", "quadratic"]) == 0
    assert "passed" in capsys.readouterr().out
    net = Network([3, 4, 10], seed=0)
    net.save(tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", np.zeros((5, 3)))
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy"), "--proba"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 5  # one line per input, 10 probabilities each
