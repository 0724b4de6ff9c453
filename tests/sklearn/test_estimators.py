"""bprop's scikit-learn estimators in the tools a practitioner uses first, and the
behaviour the issue promises: partial_fit and warm starts keep the optimizer state,
weights equal repeated rows, labels of any kind round-trip through the model file."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight

import bprop
from bprop.sklearn import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return x[:600] / 16, y[:600]


def same_parameters(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_))


def test_cross_val_score_learns_the_digits(digits):
    x, y = digits
    scores = cross_val_score(MLPClassifier(hidden_layer_sizes=(32,), max_epochs=20, learning_rate=0.01,
                                           batch_size=32, random_state=0), x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_pipeline_with_a_scaler(digits):
    x, y = digits
    model = Pipeline([("scale", StandardScaler()),
                      ("mlp", MLPClassifier(hidden_layer_sizes=(32,), max_epochs=20, learning_rate=0.01,
                                            batch_size=32, random_state=0))])
    model.fit(x[:400], y[:400])
    assert model.score(x[400:], y[400:]) > 0.8  # scikit-learn's MLP: 0.845 on this split
    assert isinstance(model.named_steps["mlp"].network_, bprop.Network)


def test_grid_search_picks_among_candidates(digits):
    x, y = digits
    search = GridSearchCV(MLPClassifier(max_epochs=15, random_state=0),
                          {"hidden_layer_sizes": [(8,), (32,)], "learning_rate": [0.001, 0.01]}, cv=2)
    search.fit(x, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["learning_rate"] == 0.01  # 15 epochs at 0.001 learn far less
    assert search.best_estimator_.network_.sizes[1] == search.best_params_["hidden_layer_sizes"][0]


def test_clone_copies_parameters_and_no_fitted_state(digits):
    x, y = digits
    model = MLPClassifier(hidden_layer_sizes=(7,), optimizer="sgd", alpha=0.0, l1=1e-3, max_epochs=2,
                          random_state=3).fit(x, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "network_") and not hasattr(copy, "classes_")


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "sgd"])
def test_k_partial_fits_equal_one_fit_of_k_epochs_bit_for_bit(digits, optimizer):
    x, y = digits
    settings = dict(hidden_layer_sizes=(16,), optimizer=optimizer, learning_rate=0.01, batch_size=64,
                    random_state=7, tol=0.0, n_iter_no_change=100)
    stepwise = MLPClassifier(**settings)
    for _ in range(4):
        stepwise.partial_fit(x, y, classes=np.arange(10))
    whole = MLPClassifier(max_epochs=4, **settings).fit(x, y)
    assert stepwise.n_iter_ == whole.n_iter_ == 4
    assert same_parameters(stepwise, whole)
    assert stepwise.loss_curve_ == whole.loss_curve_
    if optimizer == "adam":
        assert stepwise._optimizer.t == whole._optimizer.t == 4 * 10  # Adam's steps carried over


def test_warm_start_continues_the_optimizer_state():
    x, y = make_regression(120, 5, n_targets=2, random_state=0)
    settings = dict(hidden_layer_sizes=(10,), learning_rate=0.01, random_state=1, batch_size=32, tol=0.0,
                    n_iter_no_change=100, dtype="float64")
    warm = MLPRegressor(max_epochs=2, warm_start=True, **settings).fit(x, y)
    warm.set_params(max_epochs=3).fit(x, y)
    whole = MLPRegressor(max_epochs=5, **settings).fit(x, y)
    assert same_parameters(warm, whole) and warm.n_iter_ == 5
    cold = MLPRegressor(max_epochs=3, **settings).fit(x, y)
    cold.fit(x, y)  # warm_start=False: a new network each fit
    assert cold.n_iter_ == 3


def test_partial_fit_needs_classes_first_and_refuses_new_labels(digits):
    x, y = digits
    model = MLPClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(x, y)
    model.partial_fit(x[y < 5], y[y < 5], classes=np.arange(10))
    with pytest.raises(ValueError, match="not fitted with"):
        model.partial_fit(x, y + 10)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_sample_weight_two_equals_a_repeated_row(Estimator):
    if Estimator is MLPClassifier:
        x, y = make_classification(40, 6, n_informative=4, n_classes=3, random_state=0)
    else:
        x, y = make_regression(40, 6, random_state=0)
        y = y / 100
    w = np.ones(40, dtype=int)
    w[[0, 5, 9]] = 2
    w[[3, 4]] = 0
    repeated = np.repeat(np.arange(40), w)
    settings = dict(hidden_layer_sizes=(12,), max_epochs=40, learning_rate=0.01, random_state=0, dtype="float64",
                    alpha=0.01)
    weighted = Estimator(**settings).fit(x, y, sample_weight=w)
    plain = Estimator(**settings).fit(x[repeated], y[repeated])
    method = "predict_proba" if Estimator is MLPClassifier else "predict"
    np.testing.assert_allclose(getattr(weighted, method)(x), getattr(plain, method)(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, plain.loss_curve_, rtol=1e-10)


def test_class_weight_is_a_sample_weight_per_class():
    x, y = make_classification(60, 5, n_classes=2, weights=[0.8], random_state=1)
    settings = dict(hidden_layer_sizes=(8,), max_epochs=10, random_state=0, dtype="float64")
    balanced = MLPClassifier(class_weight="balanced", **settings).fit(x, y)
    by_hand = MLPClassifier(**settings).fit(x, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(balanced.predict_proba(x), by_hand.predict_proba(x))
    as_dict = MLPClassifier(class_weight={0: 1.0, 1: 3.0}, **settings).fit(x, y)
    by_hand = MLPClassifier(**settings).fit(x, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_array_equal(as_dict.predict_proba(x), by_hand.predict_proba(x))
    with pytest.raises(ValueError, match="not among classes_"):
        MLPClassifier(class_weight={"cat": 2.0}, **settings).fit(x, y)


def test_string_labels_round_trip_through_predict_and_the_model_file(tmp_path, digits):
    x, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    labels = names[y]
    model = MLPClassifier(hidden_layer_sizes=(32,), max_epochs=30, learning_rate=0.01, random_state=0)
    model.fit(x, labels)
    assert list(model.classes_) == sorted(names)
    predicted = model.predict(x)
    assert predicted.dtype.kind == "U" and np.mean(predicted == labels) > 0.9
    path = tmp_path / "digits.npz"
    model.network_.save(path)
    loaded = bprop.load(path)
    assert list(loaded.classes) == sorted(names)
    np.testing.assert_array_equal(loaded.predict(x), predicted)
    np.testing.assert_array_equal(loaded.predict_proba(x), model.network_.predict_proba(x))


def test_binary_labels_use_one_sigmoid_and_probabilities_sum_to_one():
    x, y = make_classification(80, 4, random_state=2)
    labels = np.where(y == 1, "yes", "no")
    model = MLPClassifier(hidden_layer_sizes=(8,), max_epochs=30, learning_rate=0.01, random_state=0).fit(x, labels)
    assert model.network_.sizes[-1] == 1 and model.network_.cost.name == "cross_entropy"
    proba = model.predict_proba(x)
    assert proba.shape == (80, 2) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(x), model.classes_[proba.argmax(axis=1)])
    softmax = MLPClassifier(hidden_layer_sizes=(8,), output_activation="softmax", max_epochs=3).fit(x, labels)
    assert softmax.network_.sizes[-1] == 2 and softmax.network_.cost.name == "log_likelihood"


def test_multilabel_and_multioutput():
    x, y = make_classification(100, 6, random_state=0)
    multi = np.stack([y, 1 - y, (x[:, 0] > 0).astype(int)], axis=1)
    model = MLPClassifier(hidden_layer_sizes=(16,), max_epochs=60, learning_rate=0.01, random_state=0).fit(x, multi)
    assert model.network_.task.name == "multilabel" and list(model.classes_) == [0, 1, 2]
    assert model.predict(x).shape == (100, 3) and model.predict_proba(x).shape == (100, 3)
    assert model.score(x, multi) > 0.7
    xr, yr = make_regression(100, 5, n_targets=3, random_state=0)
    regressor = MLPRegressor(hidden_layer_sizes=(16,), max_epochs=200, learning_rate=0.01, random_state=0)
    regressor.fit(xr, yr / 100)
    assert regressor.predict(xr).shape == (100, 3) and regressor.predict(xr).dtype == np.float64
    assert regressor.score(xr, yr / 100) > 0.8


def test_pandas_frames_and_series():
    x, y = make_classification(60, 4, random_state=0)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    model = MLPClassifier(hidden_layer_sizes=(8,), max_epochs=5, random_state=0)
    model.fit(frame, pd.Series(np.where(y == 1, "b", "a")), sample_weight=pd.Series(np.ones(60) * 2))
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert set(model.predict(frame)) <= {"a", "b"}
    # the network, and so its model file, keeps the column names (bprop evaluate/predict match CSVs by them)
    assert model.network_.feature_names == ["a", "b", "c", "d"]
    assert MLPClassifier(hidden_layer_sizes=(8,), max_epochs=1).fit(x, y).network_.feature_names is None


def test_fitted_attributes_and_curves(digits):
    x, y = digits
    model = MLPClassifier(hidden_layer_sizes=(20, 12), max_epochs=12, early_stopping=True, n_iter_no_change=50,
                          random_state=0).fit(x, y)
    assert [c.shape for c in model.coefs_] == [(64, 20), (20, 12), (12, 10)]
    assert [b.shape for b in model.intercepts_] == [(20,), (12,), (10,)]
    np.testing.assert_array_equal(model.coefs_[0], model.network_.weights[0].T)
    assert model.n_iter_ == 12 and len(model.loss_curve_) == 12
    assert len(model.validation_scores_) == len(model.validation_loss_curve_) == 12
    assert model.best_validation_score_ in model.validation_scores_  # the restored epoch's (test below)
    assert model.best_loss_ == min(model.loss_curve_)
    assert len(model.history_["train_cost"]) == 12
    report = bprop.gradcheck(model.network_, x[:5], y[:5])
    assert report.max_relative_error < 1e-5


def test_fit_is_silent_unless_verbose(capsys, digits):
    x, y = digits
    MLPClassifier(hidden_layer_sizes=(8,), max_epochs=3).fit(x, y)
    assert capsys.readouterr().out == ""
    MLPClassifier(hidden_layer_sizes=(8,), max_epochs=3, verbose=True).fit(x, y)
    assert "epoch" in capsys.readouterr().out


def test_pickle_round_trip(digits):
    x, y = digits
    model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0))
    model.fit(x, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(x), model.predict_proba(x))
    restored.named_steps["mlpclassifier"].partial_fit(x, y)  # the optimizer state came along


@pytest.mark.parametrize("params, message", [
    (dict(optimizer="lbfgs"), "optimizer must be one of"),
    (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
    (dict(batch_size=0), "batch_size"),
    (dict(learning_rate=0.0), "learning_rate"),
    (dict(alpha=1e-4, l1=1e-4), "alpha .L2. or l1"),
    (dict(activation="swish"), "swish"),
    (dict(dtype="float16"), "dtype"),
])
def test_bad_parameters_get_clear_errors(params, message):
    x, y = make_classification(30, 4, random_state=0)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(max_epochs=1, **params).fit(x, y)


def test_dropout_and_momentum_reach_the_network(digits):
    x, y = digits
    model = MLPClassifier(hidden_layer_sizes=(16, 8), dropout=0.2, optimizer="nesterov", momentum=0.8,
                          learning_rate=0.05, max_epochs=3, random_state=0).fit(x, y)
    assert [type(layer).__name__ for layer in model.network_.layers] == ["Dense", "Dropout", "Dense", "Dropout",
                                                                          "Dense"]
    assert model._optimizer.mu == 0.8 and model._optimizer.nesterov


def test_a_diverging_fit_raises_and_keeps_finite_weights():
    x, y = make_regression(60, 4, random_state=0)
    model = MLPRegressor(hidden_layer_sizes=(8,), optimizer="sgd", learning_rate=1e6, max_epochs=5, random_state=0)
    with pytest.raises(bprop.DivergenceError, match="learning rate"):
        model.fit(x, y)
    assert all(np.all(np.isfinite(w)) for w in model.network_.weights)


def test_a_rejected_fit_changes_nothing(digits):
    x, y = digits
    model = MLPClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(x, y)
    before = dict(model.__dict__)
    weights = [w.copy() for w in model.network_.weights]
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(x[:, :10], y)
    with pytest.raises(ValueError):
        model.set_params(activation="swish").fit(x[:50], np.arange(50) % 3)
    model.set_params(activation="relu")
    assert model.__dict__.keys() == before.keys()
    assert list(model.classes_) == list(range(10)) and model.n_features_in_ == 64
    assert all(np.array_equal(w, v) for w, v in zip(model.network_.weights, weights))
    fresh = MLPClassifier(activation="swish")
    with pytest.raises(ValueError, match="swish"):
        fresh.fit(x, y)
    assert not hasattr(fresh, "classes_") and not hasattr(fresh, "n_features_in_")


def numpy_outputs(model, x):
    """a^L of a fitted relu network from its coefs_ and intercepts_, in plain NumPy (float64)."""
    a = np.asarray(x, dtype=np.float64)
    for layer, (w, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        z = a @ w.astype(np.float64) + b.astype(np.float64)
        a = np.maximum(z, 0) if layer < len(model.coefs_) - 1 else z
    return a


def test_weighted_validation_cost_uses_the_training_n_from_the_first_epoch():
    # The L2 term of the validation cost is (alpha / 2n) Σ w² with n = Σ w_x of the TRAINING
    # rows, as in the unweighted path; the weighted path once took n = Σ w_x of the held-out
    # rows in the first epoch (a 10x larger term: 2.11 where 0.96 was right).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    w = rng.uniform(0.5, 2.0, size=60)
    alpha = 1.0
    model = MLPClassifier(hidden_layer_sizes=(5,), alpha=alpha, early_stopping=True, max_epochs=1, random_state=0,
                          dtype="float64", learning_rate=0.01).fit(x, y, sample_weight=w)
    rows = np.arange(60)
    train, val = train_test_split(rows, test_size=0.1, random_state=model._split_seed, stratify=y)
    z = numpy_outputs(model, x[val])[:, 0]
    t = y[val]
    losses = np.logaddexp(0, z) - t * z  # cross-entropy of a sigmoid, from the logit
    expected = np.dot(w[val], losses) / w[val].sum()
    expected += alpha / (2 * w[train].sum()) * sum(np.sum(c.astype(np.float64) ** 2) for c in model.coefs_)
    assert model.validation_loss_curve_ == pytest.approx([expected], rel=1e-12)


def test_held_out_rows_of_zero_weight_are_refused_before_training():
    # early_stopping scores the held-out rows by their weighted mean: when their weights sum
    # to 0 there is nothing to score. The fit used to train an epoch, then fail inside
    # scikit-learn's accuracy_score ("Sample weights must contain at least one non-zero
    # number"), with a warm-started network's weights already changed.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4))
    y = (x[:, 0] > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(4,), early_stopping=True, warm_start=True, max_epochs=2,
                          random_state=0).fit(x, y)
    weights = [w.copy() for w in model.network_.weights]
    t = model._optimizer.t
    parts = train_test_split(np.arange(50), test_size=0.1, random_state=model._split_seed, stratify=y)
    for part, rows in zip(("training", "validation"), parts):  # each part of the split weighted 0 in turn
        w = np.ones(50)
        w[rows] = 0
        with pytest.raises(ValueError, match=f"{part}.*sum to 0"):
            model.fit(x, y, sample_weight=w)
        assert all(np.array_equal(a, b) for a, b in zip(model.network_.weights, weights)) and model._optimizer.t == t


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("output, cost", [(None, None), ("softmax", None), ("sigmoid", None), ("logistic", None),
                                          ("softmax", "quadratic"), ("sigmoid", "quadratic")])
def test_predict_proba_rows_are_probabilities_for_every_output(n_classes, output, cost):
    x, y = make_classification(90, 5, n_informative=3, n_classes=n_classes, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(6,), output_activation=output, cost=cost, max_epochs=5,
                          random_state=0).fit(x, y)
    proba = model.predict_proba(x)
    assert proba.shape == (90, n_classes) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(model.predict(x), model.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(model.predict_log_proba(x), np.log(proba))
    if output in ("sigmoid", "logistic") and n_classes > 2:  # one sigmoid per class: rows normalized
        sigma = 1 / (1 + np.exp(-numpy_outputs(model, x)))
        np.testing.assert_allclose(proba, sigma / sigma.sum(axis=1, keepdims=True), rtol=1e-5)


@pytest.mark.parametrize("output", ["identity", "relu", "tanh", "leaky_relu"])
def test_a_classifier_refuses_outputs_that_are_not_probabilities(output):
    # relu outputs trained with the quadratic cost gave predict_proba rows like [0, 0.51]
    x, y = make_classification(40, 4, random_state=0)
    with pytest.raises(ValueError, match=f"output_activation.*softmax.*sigmoid.*{output}"):
        MLPClassifier(hidden_layer_sizes=(4,), output_activation=output, cost="quadratic", max_epochs=2).fit(x, y)


def test_multiclass_multioutput_targets_get_a_clear_error():
    x, y = make_classification(40, 4, random_state=0)
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        MLPClassifier(hidden_layer_sizes=(4,), max_epochs=2).fit(x, np.stack([y, 2 * y + 1], axis=1))


def test_a_diverging_fit_records_the_epochs_it_trained():
    # The network keeps the weights of the epochs that finished before the divergence; n_iter_
    # and loss_curve_ count those epochs (they said 0 and [] while the weights had trained).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = x @ np.array([100.0, 200.0, 300.0, 400.0])
    model = MLPRegressor(hidden_layer_sizes=(8,), optimizer="sgd", learning_rate=0.01, max_epochs=50, random_state=0,
                         batch_size=10, tol=0.0, n_iter_no_change=100, dtype="float64")
    with pytest.raises(bprop.DivergenceError) as caught:
        model.fit(x, y)
    finished = len(caught.value.history.epochs)
    assert finished >= 1 and model.n_iter_ == finished and len(model.loss_curve_) == finished
    # the recorded cost is that of the epochs the weights went through: continuing them from the
    # same point one epoch at a time (warm start, lower rate) gives the first recorded epoch again
    again = MLPRegressor(hidden_layer_sizes=(8,), optimizer="sgd", learning_rate=0.01, max_epochs=finished,
                         random_state=0, batch_size=10, tol=0.0, n_iter_no_change=100, dtype="float64").fit(x, y)
    assert again.loss_curve_ == model.loss_curve_
    assert all(np.array_equal(a, b) for a, b in zip(again.coefs_, model.coefs_))


def test_best_validation_score_is_the_score_of_the_restored_weights():
    # early_stopping restores the epoch with the best validation COST; best_validation_score_
    # was the highest validation accuracy of any epoch (0.95 here), while the fitted model
    # scores 0.85 on the held-out rows.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6))
    y = (x[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(20,), early_stopping=True, max_epochs=200, random_state=1,
                          learning_rate=0.01, n_iter_no_change=5).fit(x, y)
    _, val = train_test_split(np.arange(200), test_size=0.1, random_state=model._split_seed, stratify=y)
    held_out = accuracy_score(y[val], model.predict(x[val]))
    assert model.best_validation_score_ == held_out
    assert max(model.validation_scores_) > held_out  # (the case this test is about)


def test_partial_fit_refuses_balanced_weights_and_changed_classes():
    # "balanced" weights from each call's chunk would weigh the classes differently chunk by chunk
    # (scikit-learn's SGDClassifier refuses it too); classes= of a later call was silently ignored.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    with pytest.raises(ValueError, match="balanced.*partial_fit.*compute_class_weight"):
        MLPClassifier(hidden_layer_sizes=(4,), class_weight="balanced").partial_fit(x, y, classes=[0, 1])
    model = MLPClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(x, y, classes=[0, 1])
    model.partial_fit(x, y, classes=[1, 0])  # the same classes, in any order
    weights = [w.copy() for w in model.network_.weights]
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\].*\[0, 1\]"):
        model.partial_fit(x, y, classes=[0, 1, 2])
    assert all(np.array_equal(a, b) for a, b in zip(model.network_.weights, weights)) and model.n_iter_ == 2


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0}])
def test_class_weight_with_multilabel_targets_is_refused(class_weight):
    # it was silently ignored: the fit equalled one without class_weight, bit for bit
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = np.stack([x[:, 0] > 1, x[:, 1] > 0], axis=1).astype(int)
    with pytest.raises(ValueError, match="class_weight.*multilabel"):
        MLPClassifier(hidden_layer_sizes=(4,), max_epochs=2, class_weight=class_weight).fit(x, y)


@pytest.mark.parametrize("shared", ["instance", "global"])
def test_a_rejected_fit_leaves_the_random_state_untouched(shared):
    # random_state=RandomState(...) (or None: NumPy's global generator) is drawn from for the
    # seeds; a fit refused afterwards (here by the network's constructor) used to keep the draws.
    x, y = make_classification(30, 4, random_state=0)
    rng = np.random.RandomState(5) if shared == "instance" else check_random_state(None)
    before = rng.get_state()
    model = MLPClassifier(activation="swish", random_state=rng if shared == "instance" else None)
    with pytest.raises(ValueError, match="swish"):
        model.fit(x, y)
    after = rng.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_probabilities_are_exact_for_the_logits_at_any_confidence(n_classes):
    # Binary: P(class 0) was 1 - a with a = sigma(z) rounded to float32 first, so it kept ~3
    # digits at z = 10, was 2.6% off at z = 15 and 0 from z = 17.4 on (log_loss: inf); and
    # predict_log_proba gave -inf where the exact value is -z. Both now come from z^L in float64.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] > 0).astype(int) + (n_classes == 3) * (x[:, 1] > 0.5)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_epochs=200, learning_rate=0.05, random_state=0).fit(x, y)
    x_far = x * 4  # confident predictions: logits up to a few tens
    z = numpy_outputs(model, x_far)
    if n_classes == 2:
        exact_log = np.hstack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])
        assert np.abs(z).max() > 30
    else:
        exact_log = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    # float32 forward pass: z^L itself carries relative errors ~1e-7 of |z|
    np.testing.assert_allclose(model.predict_log_proba(x_far), exact_log, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict_proba(x_far), np.exp(exact_log), rtol=1e-4, atol=0)
    np.testing.assert_allclose(model.predict_proba(x_far).sum(axis=1), 1, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(x_far), model.network_.predict(x_far))


def test_weighted_l2_objective_is_logistic_regressions():
    # No hidden layer, one sigmoid: C = Σ w_x C_x / Σ w_x + (alpha / 2n) Σ w², n = Σ w_x, is
    # (1 / n) times scikit-learn's LogisticRegression objective with C = 1 / alpha, so full-batch
    # training converges to its coefficients (an independent solver, lbfgs).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3))
    y = (x[:, 0] + x[:, 1] + rng.normal(size=100) > 0).astype(int)
    w = rng.uniform(0.1, 3, size=100)
    model = MLPClassifier(hidden_layer_sizes=(), optimizer="sgd", learning_rate=1.0, batch_size=100, alpha=2.0,
                          max_epochs=6000, tol=0.0, n_iter_no_change=10000, dtype="float64", random_state=0)
    model.fit(x, y, sample_weight=w)
    reference = LogisticRegression(C=1 / 2.0, tol=1e-14, max_iter=100000).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(model.coefs_[0][:, 0], reference.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(model.intercepts_[0], reference.intercept_, rtol=1e-6)


def test_labels_of_mixed_types_get_a_clear_error():
    # was: TypeError "'<' not supported between instances of 'int' and 'str'", or "Unknown label type"
    x, _ = make_classification(30, 4, random_state=0)
    for y in (np.array(["a", 1, 3] * 10, dtype=object), np.array([1, "a", 3] * 10, dtype=object)):
        with pytest.raises(ValueError, match="mixed types.*one type"):
            MLPClassifier(hidden_layer_sizes=(4,), max_epochs=2).fit(x, y)


def test_adam_kernel_numba_fits_the_same_estimator_bit_for_bit(digits):
    """adam_kernel is a speed choice: fit, warm-started partial_fit and clone give the same bits."""
    X, y = digits
    X, y = X[:400], y[:400]
    fits = {}
    for kernel in ("numpy", "numba"):
        est = MLPClassifier((24,), max_epochs=3, batch_size=32, dropout=0.2, random_state=0, adam_kernel=kernel)
        est.fit(X, y)
        est.partial_fit(X[:100], y[:100])
        fits[kernel] = est
    a, b = fits["numpy"].network_, fits["numba"].network_
    for x, z in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(x, z)
    assert clone(fits["numba"]).get_params()["adam_kernel"] == "numba"
    # warm start: the kernel follows the parameter, and the numbers do not change with it
    plain = clone(fits["numpy"]).set_params(warm_start=True).fit(X, y).fit(X, y)
    switched = clone(fits["numpy"]).set_params(warm_start=True).fit(X, y)
    switched.set_params(adam_kernel="numba").fit(X, y)
    for x, z in zip(plain.network_.weights, switched.network_.weights):
        np.testing.assert_array_equal(x, z)


def test_adam_kernel_unknown_is_refused_naming_the_valid_ones(digits):
    X, y = digits
    with pytest.raises(ValueError, match="adam_kernel must be one of numpy, numba; got 'cuda'"):
        MLPClassifier((8,), adam_kernel="cuda").fit(X[:50], y[:50])
