"""Learning-rate schedules and early stopping, driven by scripted validation accuracies."""

import numpy as np
import pytest

from bprop import EarlyStopping, HalveOnPlateau, Network, StepDecay
from bprop.training import Callback


def data(m=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 3))
    return x, (x[:, 0] > 0).astype(int)


class Script(Callback):
    """Overwrite val_accuracy with scripted values (runs before the callbacks under test)."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, trainer, epoch, logs):
        logs["val_accuracy"] = self.values[epoch]


class RecordEta(Callback):
    def __init__(self):
        self.etas = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.etas.append(trainer.optimizer.eta)


def test_step_decay_multiplies_eta_every_k_epochs():
    x, y = data()
    record = RecordEta()
    history = Network([3, 4, 2], seed=0).fit(x, y, epochs=7, batch_size=10, eta=0.8, verbose=False,
                                           callbacks=[StepDecay(every=3, factor=0.5), record])
    assert record.etas == [0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]
    assert history["eta"] == [0.8] * 3 + [0.4] * 3 + [0.2]  # eta used during each epoch


def test_halve_on_plateau_halves_then_stops_after_n_halvings():
    x, y = data()
    record = RecordEta()
    scores = [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    halve = HalveOnPlateau(patience=2, max_halvings=2)
    history = Network([3, 4, 2], seed=0).fit(
        x, y, epochs=12, batch_size=10, eta=1.0, verbose=False, validation=(x, y),
        callbacks=[Script(scores), halve, record])
    # epochs 3, 4 no gain -> halve (0.5); epoch 5 improves; 6, 7 -> halve (0.25); 8, 9 -> stop.
    assert record.etas == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert len(history) == 9 and halve.halvings == 2


def test_schedule_needs_the_metric():
    x, y = data()
    with pytest.raises(ValueError, match="val_accuracy.*pass validation"):
        Network([3, 2], seed=0).fit(x, y, epochs=2, verbose=False, callbacks=[HalveOnPlateau(2)])


def test_early_stopping_stops_and_restores_the_best_weights():
    x, y = data()
    scores = [0.5, 0.8, 0.7, 0.75, 0.79, 0.6, 0.9]

    class Snapshot(Callback):
        def __init__(self):
            self.weights = []

        def on_epoch_end(self, trainer, epoch, logs):
            self.weights.append([w.copy() for w in trainer.net.weights])

    snapshot = Snapshot()
    early = EarlyStopping("val_accuracy", patience=3)
    net = Network([3, 4, 2], seed=0)
    history = net.fit(x, y, epochs=7, batch_size=10, eta=0.5, verbose=False, validation=(x, y),
                      callbacks=[Script(scores), snapshot, early])
    assert len(history) == 5 and early.stopped_epoch == 5 and early.best_epoch == 2
    for w, best in zip(net.weights, snapshot.weights[1]):
        np.testing.assert_array_equal(w, best)
    assert not np.array_equal(net.weights[0], snapshot.weights[-1][0])


def test_early_stopping_on_cost_prefers_lower():
    x, y = data()

    class Costs(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            logs["val_cost"] = [1.0, 0.5, 0.6, 0.7][epoch]

    early = EarlyStopping("val_cost", patience=2)
    history = Network([3, 2], seed=0).fit(x, y, epochs=4, verbose=False, validation=(x, y),
                                         callbacks=[Costs(), early])
    assert early.best == 0.5 and early.best_epoch == 2 and len(history) == 4


def test_bad_arguments():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="factor"):
        StepDecay(2, factor=1.5)


@pytest.mark.parametrize("metric", ["val_mse", "val_mae"])
def test_early_stopping_on_a_regression_error_prefers_lower(metric):
    # Regression's evaluate gives cost, mse, mae and r2; mse and mae are errors. Watched as
    # if higher were better, early stopping kept epoch 1 (val_mse 3.60) and threw away the
    # 0.87 of epoch 4.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 3))
    y = x @ np.array([1.0, -2.0, 0.5])
    x_val = rng.standard_normal((30, 3))
    y_val = x_val @ np.array([1.0, -2.0, 0.5])
    early = EarlyStopping(metric, patience=3)
    net = Network([3, 8, 1], hidden="tanh", output="identity", seed=0, dtype="float64")
    history = net.fit(x, y, epochs=8, batch_size=10, eta=0.05, validation=(x_val, y_val), callbacks=[early],
                      verbose=False)
    errors = history[metric]
    assert errors[-1] < errors[0]  # the network learns: the last epoch is better than the first
    assert early.best == min(errors) and early.best_epoch == 1 + int(np.argmin(errors))
    assert net.evaluate(x_val, y_val)[metric[len("val_"):]] == pytest.approx(min(errors), rel=1e-12)


def test_halve_on_plateau_on_a_regression_error_prefers_lower():
    x, _ = data()
    y = x.sum(axis=1)

    class Errors(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            logs["val_mse"] = [1.0, 0.5, 0.4, 0.3][epoch]

    record = RecordEta()
    Network([3, 1], output="identity", seed=0).fit(
        x, y, epochs=4, eta=0.01, verbose=False, validation=(x, y),
        callbacks=[Errors(), HalveOnPlateau(patience=1, monitor="val_mse"), record])
    assert record.etas == [0.01] * 4  # it improved every epoch: never halved
