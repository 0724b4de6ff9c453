"""scikit-learn's callback API (sklearn.callback, scikit-learn >= 1.9) on bprop's estimators:
each epoch is a task of the fit."""

import numpy as np
import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import load_digits

from bprop.sklearn import MLPClassifier, MLPRegressor


def digits():
    x, y = load_digits(return_X_y=True)
    return x[:400] / 16, y[:400]


def test_scoring_monitor_scores_every_epoch():
    x, y = digits()
    monitor = ScoringMonitor(scoring="accuracy")
    model = MLPClassifier(hidden_layer_sizes=(16,), max_epochs=4, batch_size=64, random_state=0)
    model.set_callbacks(ProgressBar(), monitor).fit(x, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == [0, 1, 2, 3] == list(range(model.n_iter_))
    assert epochs[-1]["accuracy"] == model.score(x, y)
    assert epochs[0]["accuracy"] < epochs[-1]["accuracy"]
    root = [row for row in rows if row["task_name"] == "fit"]
    assert len(root) == 1 and root[0]["accuracy"] == model.score(x, y)


class StopAfter:
    """A FitCallback that asks to stop after ``n`` epochs."""

    def __init__(self, n):
        self.n, self.ended = n, 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.ended += 1
            return self.ended >= self.n
        return False


def test_a_callback_can_stop_training():
    x, y = digits()
    model = MLPRegressor(hidden_layer_sizes=(8,), max_epochs=50, random_state=0).set_callbacks(StopAfter(3))
    model.fit(x, y.astype(float))
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3


def test_partial_fit_is_one_task_of_one_epoch():
    x, y = digits()
    monitor = ScoringMonitor(scoring="accuracy")
    model = MLPClassifier(hidden_layer_sizes=(8,), random_state=0).set_callbacks(monitor)
    model.partial_fit(x, y, classes=np.arange(10))
    model.partial_fit(x, y)
    runs = monitor.get_logs(select="all")
    assert len(runs) == 2
    assert all(sum(row["task_name"] == "epoch" for row in run.data) == 1 for run in runs)


class Recorder(StopAfter):
    def __init__(self):
        super().__init__(10**9)
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append("setup")

    def teardown(self, estimator, context):
        self.calls.append("teardown")


def test_callbacks_are_torn_down_when_network_fit_refuses_the_data():
    x, y = digits()
    recorder = Recorder()
    model = MLPClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).set_callbacks(recorder)
    model.fit(x, y)
    assert recorder.calls == ["setup", "teardown"]
    before, weights = model.n_iter_, model.network_.weights[0].copy()
    huge = x.copy()
    huge[0, 0] = 1e300  # finite for scikit-learn's checks, beyond float32 for the network's
    with pytest.raises(ValueError, match="float32"):
        model.set_params(warm_start=True, learning_rate=0.01).fit(huge, y)
    assert recorder.calls == ["setup", "teardown"] * 2
    assert model.n_iter_ == before and model._optimizer.eta == 0.001
    np.testing.assert_array_equal(model.network_.weights[0], weights)
