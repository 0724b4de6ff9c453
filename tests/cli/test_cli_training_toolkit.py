"""The command line on small fake MNIST IDX files: train with the toolkit, resume, evaluate, predict, plot."""

import hashlib
import json

import numpy as np
import pytest

import bprop
from bprop.cli import main
from bprop.datasets import mnist, write_idx
from bprop.datasets.idx import encode_idx


@pytest.fixture()
def mnist_dir(tmp_path, monkeypatch):
    """Four small IDX files (gzipped) whose digests the loader is told to expect."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 180).astype(np.uint8)
    images = rng.integers(0, 60, (180, 28, 28)).astype(np.uint8)
    images[np.arange(180), labels, :] = 255  # an easy pattern: the label's row is bright
    arrays = dict(zip(mnist.FILES, [images[:120], labels[:120], images[120:], labels[120:]]))
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, array in arrays.items():
        write_idx(folder / (name + ".gz"), array, compress=True)
    monkeypatch.setattr(mnist, "FILES", {name: hashlib.sha256(encode_idx(a)).hexdigest() for name, a in arrays.items()})
    monkeypatch.setattr(mnist, "MIRRORS", ())
    return folder


def test_train_mnist_with_everything_then_evaluate_predict_plot(tmp_path, mnist_dir, capsys):
    model, history = tmp_path / "m.npz", tmp_path / "h.json"
    code = main(["train", "--dataset", "mnist", "--data-dir", str(mnist_dir), "--sizes", "784,20,10",
                 "--epochs", "4", "--batch-size", "10", "--eta", "0.01", "--optimizer", "adam", "--l2", "1.0",
                 "--dropout", "0.2", "--schedule", "halve:2:3", "--early-stopping", "3", "--monitor-test",
                 "--save", str(model), "--history", str(history), "--checkpoint", str(tmp_path / "ck.npz"),
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "test accuracy" in out and "model saved to" in out
    rows = json.loads(history.read_text())["epochs"]
    assert {"val_accuracy", "test_accuracy", "grad_norm_1", "grad_norm_2"} <= set(rows[0])
    net = bprop.load(model)
    assert net.sizes == [784, 20, 10] and net.regularizer.n == 100

    assert main(["evaluate", str(model), "--data-dir", str(mnist_dir)]) == 0
    assert "mnist test: accuracy" in capsys.readouterr().out

    # predict on an IDX images file, a .npy and a .csv
    test_images = mnist_dir / "t10k-images-idx3-ubyte.gz"
    assert main(["predict", str(model), str(test_images)]) == 0
    idx_labels = capsys.readouterr().out.split()
    assert len(idx_labels) == 60
    # One scaling rule: the model scales raw pixels itself, in Python as in the CLI.
    assert net.preprocessing.config() == {"name": "scale", "factor": 1 / 255}
    x = bprop.datasets.read_idx(test_images).reshape(60, -1)
    assert x.dtype == np.uint8
    np.testing.assert_array_equal([int(v) for v in idx_labels], net.predict(x))
    raw = bprop.datasets.load_mnist(mnist_dir, split="train_test", scale=False).test
    np.testing.assert_array_equal(net.predict(raw.x), net.predict(x))
    np.save(tmp_path / "x.npy", x[:3])
    assert main(["predict", str(model), str(tmp_path / "x.npy")]) == 0
    assert capsys.readouterr().out.split() == idx_labels[:3]
    np.savetxt(tmp_path / "x.csv", x[:2], delimiter=",", header=",".join(f"p{i}" for i in range(784)), comments="")
    assert main(["predict", str(model), str(tmp_path / "x.csv")]) == 0
    assert capsys.readouterr().out.split() == idx_labels[:2]

    assert main(["plot", str(history), "-o", str(tmp_path / "h.svg")]) == 0
    assert (tmp_path / "h.svg").read_bytes().rstrip().endswith(b"</svg>")


def test_resume_from_the_cli_is_bit_identical(tmp_path, mnist_dir, capsys):
    common = ["train", "--dataset", "mnist", "--data-dir", str(mnist_dir), "--sizes", "784,16,10",
              "--batch-size", "20", "--eta", "0.1", "--optimizer", "nesterov", "--dropout", "0.3", "--quiet"]
    assert main(common + ["--epochs", "4", "--save", str(tmp_path / "straight.npz")]) == 0
    assert main(common + ["--epochs", "2", "--checkpoint", str(tmp_path / "ck.npz")]) == 0
    # The checkpoint remembers the settings: only --epochs (to extend) and file options are needed.
    assert main(["train", "--resume", str(tmp_path / "ck.npz"), "--data-dir", str(mnist_dir), "--epochs", "4",
                 "--save", str(tmp_path / "resumed.npz"), "--quiet"]) == 0
    capsys.readouterr()
    a, b = bprop.load(tmp_path / "straight.npz"), bprop.load(tmp_path / "resumed.npz")
    assert all(np.array_equal(p, q) for (p, _), (q, _) in zip(a.trainable_parameters(), b.trainable_parameters()))


@pytest.mark.parametrize("argv, message", [
    (["train", "--l1", "1", "--l2", "1"], "--l1 or --l2"),
    (["train", "--schedule", "cosine"], "--schedule must be"),
    (["train", "--history", "h.txt"], ".json or .csv"),
    (["train", "--dropout", "1.5", "--epochs", "1"], "dropout probability"),
    (["evaluate", "missing.npz"], "missing.npz"),
    (["plot", "missing.json"], "missing.json"),
])
def test_errors_are_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_predict_refuses_inputs_of_the_wrong_width(tmp_path, capsys):
    bprop.Network([4, 3], seed=0).save(tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", np.zeros((2, 5)))
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy")]) == 2
    assert "has 5 features per row but" in capsys.readouterr().err


@pytest.mark.parametrize("options, optimizer", [
    ([], "SGD(eta=0.2)"),
    (["--optimizer", "adam"], "Adam(eta=0.001,"),
    (["--optimizer", "momentum"], "Momentum(eta=0.02, mu=0.9, nesterov=False)"),
    (["--optimizer", "nesterov", "--momentum", "0.5"], "Momentum(eta=0.1, mu=0.5, nesterov=True)"),
    (["--optimizer", "adam", "--eta", "0.2"], "Adam(eta=0.2,"),  # given: kept
])
def test_the_default_learning_rate_is_the_optimizer_s(capsys, options, optimizer):
    """Without --eta every optimizer took the data set's SGD rate: Adam at 0.2 ended the digits
    at 10.03% test accuracy after 3 epochs (chance), momentum at 0.2 with mu 0.9 (a step of 2 on
    a steady gradient) at 59.61%. Now Adam takes 0.001 and momentum the SGD rate times 1 - mu."""
    assert main(["train", "--sizes", "64,32,10", "--epochs", "3", *options]) == 0
    out = capsys.readouterr().out
    assert optimizer in out.splitlines()[1]
    if "--eta" not in options:
        accuracy = float(out.splitlines()[-1].split("test accuracy ")[1].split("%")[0])
        assert accuracy > 85, out


def test_the_default_learning_rate_with_your_own_data_and_another_optimizer(tmp_path, capsys):
    rows = "".join(f"{i % 7},{i % 5},{'ab'[i % 2]}\n" for i in range(40))
    (tmp_path / "d.csv").write_text("u,v,label\n" + rows)
    for options, optimizer in (((), "Adam(eta=0.01,"), (("--optimizer", "sgd"), "SGD(eta=0.1)"),
                               (("--optimizer", "momentum"), "Momentum(eta=0.01, mu=0.9")):
        assert main(["train", "--data", str(tmp_path / "d.csv"), "--target", "label", "--epochs", "1", *options]) == 0
        assert optimizer in capsys.readouterr().out.splitlines()[1]
