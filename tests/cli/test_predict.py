"""bprop predict: the printed predictions are the model's, to every digit."""

import numpy as np

from bprop import Network, Standardize
from bprop.cli import main


def test_multi_output_regression_predictions_are_printed_in_full(tmp_path, capsys):
    """Rows of several targets were printed with precision=6 and suppress=True: a prediction of
    2.4e-07 (a target in metres of a few hundred nanometres) printed as 0., and 1e8 + 0.1234567
    lost its last digits. Each value is printed as Python's shortest repr, as one output is."""
    net = Network([2, 2], output="identity", task="regression", seed=0,
                  target_preprocessing=Standardize([2.4e-7, 1e8], [1e-8, 0.5]))
    net.save(tmp_path / "m.npz")
    x = np.random.default_rng(0).normal(size=(4, 2))
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy")]) == 0
    printed = np.array([[float(v) for v in line.strip("[]").split()] for line in capsys.readouterr().out.splitlines()])
    np.testing.assert_array_equal(printed, net.predict(x))


def test_proba_prints_every_digit_of_the_output_activations(tmp_path, capsys):
    """--proba printed a^L with precision=6 and suppress=True: a sigmoid's 3.06e-07 printed as 0.
    and 6.474626e-05 as 0.000065. Each activation is now printed as the shortest text that reads
    back as the same number in the model's dtype."""
    for dtype in ("float32", "float64"):
        net = Network([1, 1], output="sigmoid", cost="cross_entropy", seed=0, dtype=dtype, classes=["no", "yes"])
        net.weights[0][...] = 1
        net.biases[0][...] = 0
        net.save(tmp_path / "m.npz")
        x = np.array([[-15.0], [-9.645], [0.1], [30.0]])
        np.save(tmp_path / "x.npy", x)
        assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy"), "--proba"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line.split()[0] for line in lines] == ["no", "no", "yes", "yes"]
        printed = np.array([line.split("[")[1].rstrip("]").split() for line in lines], dtype=dtype)
        np.testing.assert_array_equal(printed, net.predict_proba(x))
        assert printed[0, 0] > 0
