"""bprop export: what its summary line says the ONNX graph holds."""

import numpy as np
import pytest

from bprop import Network

from .clirun import bprop

pytest.importorskip("onnx")


def test_the_summary_names_output_y_of_a_regressor_that_standardizes_its_targets(tmp_path):
    """Output "a" of such a model is a^L on the standardized scale (numbers near 0 for prices
    around 1e5); the line must point to "y", the predictions in the targets' units."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = 1e5 + 1e4 * x[:, 0]
    net = Network([2, 3, 1], output="identity", task="regression", seed=0, target_preprocessing="standardize")
    net.fit(x, y, epochs=1, batch_size=8, verbose=False)
    net.save(tmp_path / "m.npz")
    code, out, err = bprop("export", tmp_path / "m.npz", "-o", tmp_path / "m.onnx")
    assert code == 0, err
    assert "'y' (the predictions" in out and "targets' units" in out and "standardized" in out

    plain = Network([2, 3, 1], output="identity", task="regression", seed=0)
    plain.save(tmp_path / "p.npz")
    code, out, err = bprop("export", tmp_path / "p.npz", "-o", tmp_path / "p.onnx")
    assert code == 0, err
    assert "output 'a'" in out and "'y'" not in out
