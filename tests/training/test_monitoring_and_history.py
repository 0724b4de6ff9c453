"""Per-epoch monitoring (validation, test, gradient norms, eta, seconds) and history files."""

import json

import numpy as np
import pytest

from bprop import Network
from bprop.training import History


def data(m=50, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 4))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def test_history_has_train_val_test_metrics_and_gradient_norms():
    x, y = data()
    net = Network([4, 5, 4, 2], hidden="sigmoid", seed=0)
    history = net.fit(x, y, epochs=3, batch_size=5, eta=0.5, verbose=False, validation=(x[:20], y[:20]),
                      monitor={"test": (x[20:], y[20:])}, grad_norm_every=1)
    row = history.last()
    for key in ("train_cost", "train_accuracy", "val_cost", "val_accuracy", "test_cost", "test_accuracy",
                "grad_norm_1", "grad_norm_2", "grad_norm_3", "eta", "seconds"):
        assert key in row, key
    assert row["test_accuracy"] == net.evaluate(x[20:], y[20:])["accuracy"]


def test_gradient_norm_is_the_mean_over_sampled_batches():
    x, y = data(m=20)
    net = Network([4, 3, 2], seed=1, dtype="float64")
    probe = net.copy()
    # Expected: ||dC/dw^l|| of batches 0 and 2 (every=2) of one unshuffled epoch of SGD.
    norms = []
    for batch in range(4):
        xb, yb = x[5 * batch:5 * batch + 5], y[5 * batch:5 * batch + 5]
        grads = probe.backprop(xb, yb)
        if batch % 2 == 0:
            norms.append([np.linalg.norm(g) for g in grads.weights] + [np.linalg.norm(g) for g in grads.biases])
        for w, g in zip(probe.weights, grads.weights):
            w -= 0.1 * g
        for b, g in zip(probe.biases, grads.biases):
            b -= 0.1 * g
    history = net.fit(x, y, epochs=1, batch_size=5, eta=0.1, verbose=False, shuffle=False, grad_norm_every=2)
    expected = np.mean(norms, axis=0)
    assert history.last()["grad_norm_1"] == pytest.approx(expected[0], rel=1e-12)
    assert history.last()["grad_norm_2"] == pytest.approx(expected[1], rel=1e-12)
    # ||dC/db^l|| = ||Σ_x delta^l||: seed 001's speed of learning of layer l
    assert history.last()["delta_norm_1"] == pytest.approx(expected[2], rel=1e-12)
    assert history.last()["delta_norm_2"] == pytest.approx(expected[3], rel=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])  # fused step (norms from deltas) / stored gradients
def test_sampled_norms_of_a_wide_layer_and_small_batches_equal_the_gradients(optimizer):
    """Batches of 3 through a 30-input, 20-neuron layer: 3 (30 + 20) < 30 x 20, so with
    plain SGD ||dC/dw^1|| comes from the 3 x 3 Gram matrices of delta and a^0, without the
    gradient; momentum stores the gradients. Both must equal the gradients' norms."""
    from bprop.optimizers import Momentum

    rng = np.random.default_rng(7)
    x = rng.standard_normal((12, 30))
    y = rng.integers(0, 3, 12)
    net = Network([30, 20, 3], hidden="relu", seed=7, dtype="float64")
    probe = net.copy()
    step = Momentum(eta=0.05, mu=0.5) if optimizer == "momentum" else None
    norms = []
    for batch in range(4):
        grads = probe.backprop(x[3 * batch:3 * batch + 3], y[3 * batch:3 * batch + 3])
        if batch % 2 == 0:
            norms.append([np.linalg.norm(g) for g in grads.weights] + [np.linalg.norm(g) for g in grads.biases])
        if step is None:
            for p, g in zip(list(probe.weights) + list(probe.biases), list(grads.weights) + list(grads.biases)):
                p -= 0.05 * g
        else:
            step.step(list(zip(list(probe.weights) + list(probe.biases), list(grads.weights) + list(grads.biases))))
    history = net.fit(x, y, epochs=1, batch_size=3, eta=0.05, verbose=False, shuffle=False, grad_norm_every=2,
                      optimizer=Momentum(eta=0.05, mu=0.5) if optimizer == "momentum" else "sgd")
    expected = np.mean(norms, axis=0)
    for key, value in zip(["grad_norm_1", "grad_norm_2", "delta_norm_1", "delta_norm_2"], expected):
        assert history.last()[key] == pytest.approx(value, rel=1e-12), key


def test_grad_norms_can_be_off():
    x, y = data()
    history = Network([4, 2], seed=0).fit(x, y, epochs=1, verbose=False, grad_norm_every=0)
    assert "grad_norm_1" not in history


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_history_round_trip(tmp_path, suffix):
    x, y = data()
    history = Network([4, 3, 2], seed=0).fit(x, y, epochs=3, batch_size=10, verbose=False, validation=(x, y))
    path = tmp_path / f"history{suffix}"
    history.save(path)
    loaded = History.load(path)
    assert loaded.epochs == history.epochs  # floats exact in both formats
    assert loaded["epoch"] == [1, 2, 3]


def test_json_history_is_readable_and_missing_csv_values_stay_missing(tmp_path):
    history = History([{"epoch": 1, "val_accuracy": 0.5}, {"epoch": 2, "train_cost": 0.25}])
    history.save(tmp_path / "h.json")
    document = json.loads((tmp_path / "h.json").read_text())
    assert document["format"] == "bprop-history" and document["epochs"][1] == {"epoch": 2, "train_cost": 0.25}
    history.save(tmp_path / "h.csv")
    assert History.load(tmp_path / "h.csv").epochs == history.epochs


def test_history_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "h.json"
    History([{"epoch": 1}]).save(path)
    before = path.read_bytes()
    import bprop.io

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(bprop.io.os, "fsync", failing_fsync)  # fails after the data were written
    with pytest.raises(OSError, match="disk full"):
        History([{"epoch": 2}]).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]


@pytest.mark.parametrize("name, content, message", [
    ("h.txt", "", "must end in .json or .csv"),
    ("h.json", "{not json", "not a JSON history"),
    ("h.json", '{"a": 1}', "not a bprop history"),
    ("h.csv", "epoch,cost\n1,abc\n", "not a number"),
])
def test_bad_history_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        History.load(path)


def replay_epoch(net, x, y, batch_size, eta):
    """One unshuffled SGD epoch by hand: (mean batch cost before each update, accuracy, norms per batch)."""
    cost_sum, correct, norms = 0.0, 0, []
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        cost_sum += net.total_cost(xb, yb) * xb.shape[0]
        correct += int(np.sum(net.predict(xb) == yb))
        grads = net.backprop(xb, yb)
        norms.append([np.linalg.norm(g) for g in grads.weights])
        for w, g in zip(net.weights, grads.weights):
            w -= eta * g
        for b, g in zip(net.biases, grads.biases):
            b -= eta * g
    return cost_sum / x.shape[0], correct / x.shape[0], norms


@pytest.mark.parametrize("block_rows", [4096, 7])  # 7: the block is scored several times per epoch
def test_train_cost_and_accuracy_are_the_batches_own_figures(monkeypatch, block_rows):
    from bprop.training import scores

    monkeypatch.setattr(scores, "BLOCK_ROWS", block_rows)
    x, y = data(m=43, seed=3)
    net = Network([4, 6, 2], hidden="tanh", seed=3, dtype="float64")
    expected_cost, expected_accuracy, _ = replay_epoch(net.copy(), x, y, batch_size=5, eta=0.3)
    history = net.fit(x, y, epochs=1, batch_size=5, eta=0.3, verbose=False, shuffle=False)
    assert history.last()["train_cost"] == pytest.approx(expected_cost, rel=1e-12)
    assert history.last()["train_accuracy"] == expected_accuracy


@pytest.mark.parametrize("sizes, n_samples, sampled", [
    # [20, 8, 2] at batches of 2: 2 (20 + 8) < 20 x 8, the norms come from Gram matrices and the
    # default samples at most 1 batch in 10 (30 batches: 0, 10, 20)
    ([20, 8, 2], 60, [0, 10, 20]),
    # [4, 3, 2]: 2 (4 + 3) > 4 x 3, a sampled batch forms the gradient: at most 1 in 30 (70 batches)
    ([4, 3, 2], 140, [0, 30, 60]),
    # 500 batches: about 20 sampled, every ceil(500 / 20) = 25th
    ([20, 8, 2], 1000, list(range(0, 500, 25))),
])
def test_default_norm_sampling(sizes, n_samples, sampled):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((n_samples, sizes[0]))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    net = Network(sizes, seed=4, dtype="float64")
    _, _, norms = replay_epoch(net.copy(), x, y, batch_size=2, eta=0.1)
    history = net.fit(x, y, epochs=1, batch_size=2, eta=0.1, verbose=False, shuffle=False)
    expected = np.mean([norms[batch] for batch in sampled], axis=0)
    assert history.last()["grad_norm_1"] == pytest.approx(expected[0], rel=1e-12)
    assert history.last()["grad_norm_2"] == pytest.approx(expected[1], rel=1e-12)


def test_default_norm_interval():
    from bprop.training.norms import default_norm_interval

    assert [default_norm_interval(n, forms_gradient=False) for n in (1, 30, 200, 201, 5000)] == [10, 10, 10, 11, 250]
    assert [default_norm_interval(n, forms_gradient=True) for n in (1, 98, 600, 601, 5000)] == [30, 30, 30, 31, 250]
