import re

import numpy as np
import pytest

import bprop
from bprop.validation import are_one_hot
from bprop import Network
from bprop.training import Callback


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0], [3, 3], [0, 3]])
    y = rng.integers(0, 3, n)
    return (centers[y] + rng.standard_normal((n, 2)) * 0.5).astype(np.float32), y


def test_fit_learns_and_returns_history():
    x, y = blobs()
    xv, yv = blobs(100, seed=1)
    net = Network([2, 16, 3], hidden="relu", seed=0)
    history = net.fit(x, y, epochs=15, batch_size=10, eta=0.1, validation=(xv, yv), verbose=False)
    assert len(history) == 15
    assert {"epoch", "train_cost", "train_accuracy", "val_cost", "val_accuracy", "seconds"} <= set(history.keys)
    assert history["train_cost"][-1] < history["train_cost"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert net.evaluate(xv, yv)["accuracy"] == pytest.approx(history["val_accuracy"][-1])


def test_same_seed_gives_bit_identical_weights_and_different_seeds_differ():
    x, y = blobs()

    def train(seed):
        net = Network([2, 16, 3], hidden="relu", seed=seed)
        net.fit(x, y, epochs=3, batch_size=7, eta=0.1, verbose=False)
        return net

    a, b, c = train(1), train(1), train(2)
    for wa, wb in zip(a.weights, b.weights):
        assert np.array_equal(wa, wb)
    for ba, bb in zip(a.biases, b.biases):
        assert np.array_equal(ba, bb)
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_epoch_training_cost_is_the_running_mean_of_batch_costs():
    x, y = blobs(40)
    net = Network([2, 4, 3], seed=0, dtype="float64")
    reference = net.copy()
    history = net.fit(x, y, epochs=1, batch_size=40, eta=0.1, shuffle=False, verbose=False)
    # One batch holding all the data: the running cost is the cost before the update.
    assert history["train_cost"][0] == pytest.approx(reference.total_cost(x, y), rel=1e-12)


@pytest.mark.parametrize("cost", ["log_likelihood", "quadratic"])
def test_training_cost_from_labels_equals_cost_from_targets(cost):
    """One-hot targets let the log-likelihood score from the labels (one ln per sample);
    soft targets, and costs without that shortcut, score from the targets. All agree with
    the cost of the same outputs computed from the full targets."""
    from bprop.training.scores import RunningScores

    x, y = blobs(300)
    net = Network([2, 5, 3], seed=0, cost=cost, dtype="float64")
    soft = np.full((300, 3), 0.1)
    soft[np.arange(300), y] = 0.8
    for targets_given, expect_one_hot in ((y, cost == "log_likelihood"), (soft, False)):
        prepared_x, targets, labels = net.prepare(x, targets_given)
        scores = RunningScores(net, targets, labels, batch_size=64, one_hot=are_one_hot(targets, labels))
        assert scores.one_hot == expect_one_hot
        order = np.random.default_rng(1).permutation(300)
        scores.start(order, 0)
        totals = {"cost": 0.0, "correct": 0}
        logits = net.forward_logits(prepared_x[order])
        for start in range(0, 300, 64):
            scores.add(logits[start : start + 64], totals)
        scores.flush(totals)
        assert totals["cost"] / 300 == pytest.approx(net.head.value(logits, targets[order]), rel=1e-12)
        assert totals["correct"] == np.count_nonzero(logits.argmax(axis=1) == labels[order])


def test_are_one_hot_accepts_only_one_hot_rows_of_the_labels():
    from bprop.validation import are_one_hot

    labels = np.array([2, 0, 1, 2])
    targets = np.eye(3)[labels]
    assert are_one_hot(targets, labels)
    assert not are_one_hot(targets, np.array([2, 0, 1, 1]))  # a row's 1 is not at its label
    two_ones = targets.copy()
    two_ones[1, 2] = 1
    assert not are_one_hot(two_ones, labels)
    soft = targets * 0.9 + 0.1 / 3
    assert not are_one_hot(soft, soft.argmax(axis=1))
    single = np.array([[0.0], [1.0]])  # one output neuron: labels 0/1 are no columns
    assert not are_one_hot(single, np.array([0, 1]))


def test_fit_with_the_one_hot_shortcut_agrees_with_the_general_delta(monkeypatch):
    """fit checks once that the targets are one-hot and then BP1 reads the labels
    (heads.OutputHead.delta's target_index) instead of the targets; the general soft-target
    formula gives the same weights to float32 rounding."""
    import bprop.training.trainer as trainer_module

    x, y = blobs(300)
    nets = []
    for shortcut in (True, False):
        if not shortcut:
            monkeypatch.setattr(trainer_module, "are_one_hot", lambda targets, labels: False)
        net = Network([2, 16, 3], seed=4)  # float32, softmax + log-likelihood
        history = net.fit(x, y, epochs=2, batch_size=70, eta=0.5, verbose=False)
        nets.append((net, history))
    (fast, fast_history), (general, general_history) = nets
    for wa, wb in zip(fast.weights, general.weights):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fast_history["train_cost"], general_history["train_cost"], rtol=1e-5)


def test_single_output_cross_entropy_scores_from_its_targets():
    """One sigmoid output: labels 0/1 are not column indices, so no label shortcut."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 2))
    y = (x[:, 0] > 0).astype(int)
    net = Network([2, 1], output="sigmoid", cost="cross_entropy", seed=0, dtype="float64")
    reference = net.copy()
    history = net.fit(x, y, epochs=1, batch_size=20, eta=0.1, shuffle=False, verbose=False)
    assert history["train_cost"][0] == pytest.approx(reference.total_cost(x, y), rel=1e-12)


def test_callbacks_see_events_and_can_stop():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, trainer):
            events.append("begin")

        def on_epoch_end(self, trainer, epoch, logs):
            events.append(("epoch", epoch, round(logs["train_cost"], 6)))
            if epoch == 1:
                trainer.stop_training = True

        def on_train_end(self, trainer):
            events.append("end")

    x, y = blobs(50)
    history = Network([2, 4, 3], seed=0).fit(x, y, epochs=10, batch_size=10, callbacks=[Recorder()], verbose=False)
    assert len(history) == 2
    assert events[0] == "begin" and events[-1] == "end" and len(events) == 4


@pytest.mark.parametrize("delay, drawn", [(1e9, False), (0.0, True)])
def test_progress_bar_appears_only_after_its_delay(monkeypatch, delay, drawn):
    """The bar is drawn once an epoch has run for REDRAW_SECONDS; the epoch lines always are."""
    import io

    from rich.console import Console

    from bprop.training.callbacks import ProgressBar

    monkeypatch.setattr(ProgressBar, "REDRAW_SECONDS", delay)
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100)
    x, y = blobs(200)
    Network([2, 4, 3], seed=0).fit(x, y, epochs=2, batch_size=5, verbose=False, callbacks=[ProgressBar(console)])
    out = stream.getvalue()
    assert "epoch 1/2" in out and "epoch 2/2" in out and "train cost" in out
    assert ("batches" in out) == drawn  # the bar's "n/40 batches" column


def test_progress_bar_runs(capsys):
    x, y = blobs(30)
    Network([2, 4, 3], seed=0).fit(x, y, epochs=2, batch_size=10, verbose=True)
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "train cost" in out


def test_sgd_update_is_w_minus_eta_times_mean_gradient():
    x, y = blobs(8)
    net = Network([2, 3, 3], seed=0, dtype="float64")
    before = [w.copy() for w in net.weights] + [b.copy() for b in net.biases]
    grads = net.backprop(x, y)
    net.fit(x, y, epochs=1, batch_size=8, eta=0.3, shuffle=False, verbose=False)
    after = list(net.weights) + list(net.biases)
    for b, g, a in zip(before, list(grads.weights) + list(grads.biases), after):
        np.testing.assert_allclose(a, b - 0.3 * g, rtol=1e-12)


def test_running_scores_with_sample_weights_are_the_weighted_mean_cost():
    """What the progress bar shows: Σ w_x C_x / Σ w_x over the rows scored so far, the figure
    train_cost ends with (it showed Σ w_x C_x / rows: weights of 10 everywhere made it 10 times
    the cost)."""
    from scipy.special import log_softmax

    x, y = blobs(40)
    x = x.astype(np.float64)
    weights = np.random.default_rng(3).uniform(0.5, 10.0, 40)
    net = Network([2, 3], seed=0, dtype="float64")
    z = x @ np.array(net.weights[0]).T + np.array(net.biases[0])
    expected = float(np.dot(weights, -log_softmax(z, axis=1)[np.arange(40), y]) / weights.sum())
    right = z.argmax(axis=1) == y
    expected_accuracy = float(weights[right].sum() / weights.sum())
    assert abs(expected_accuracy - right.mean()) > 0.01  # weighted and plain differ on these data
    seen = []

    class Running(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append((*trainer.running_scores(), logs["train_cost"], logs["train_accuracy"]))

    # One batch holding all the data: the epoch's figures are those of the weights before the update.
    evaluated = net.evaluate(x, y, sample_weight=weights)
    net.fit(x, y, epochs=1, batch_size=40, eta=0.1, shuffle=False, verbose=False, sample_weight=weights,
            callbacks=[Running()])
    (running, running_accuracy, train_cost, train_accuracy), = seen
    assert train_cost == pytest.approx(expected, rel=1e-12)
    assert running == pytest.approx(expected, rel=1e-12)
    # The accuracy is weighted too (it was the plain fraction), as evaluate(sample_weight=) gives it.
    assert train_accuracy == pytest.approx(expected_accuracy, rel=1e-12)
    assert running_accuracy == pytest.approx(expected_accuracy, rel=1e-12)
    assert evaluated["accuracy"] == pytest.approx(expected_accuracy, rel=1e-12)


@pytest.mark.parametrize("which", ["validation", "monitor"])
def test_bad_validation_or_monitored_data_is_named_in_the_error(which):
    """'x contains NaN' alone reads as the training data: the error names the set."""
    x, y = blobs(40)
    bad = x[:10].copy()
    bad[2, 1] = np.nan
    net = Network([2, 3], seed=0)
    before = [np.array(w) for w in net.weights]
    option = {"validation": (bad, y[:10])} if which == "validation" else {"monitor": {"test": (bad, y[:10])}}
    label = "validation" if which == "validation" else "monitor['test']"
    with pytest.raises(ValueError, match=re.escape(label) + ": .*NaN"):
        net.fit(x, y, epochs=1, verbose=False, **option)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))
