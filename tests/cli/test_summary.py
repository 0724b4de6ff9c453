"""bprop summary MODEL: the facts it prints about a saved model."""

import re

import numpy as np

from bprop import Network, Standardize

from .clirun import bprop


def test_a_target_mean_far_from_zero_is_printed_to_the_unit(tmp_path):
    """precision=4 printed a mean of 100000123.456 as [1.e+08]: 123 units missing from a
    figure that reads as exact. Each statistic is printed in full (Python's shortest repr)."""
    net = Network([2, 1], output="identity", task="regression", seed=0,
                  target_preprocessing=Standardize([100000123.456], [0.5]))
    net.save(tmp_path / "m.npz")
    code, out, err = bprop("summary", tmp_path / "m.npz")
    assert code == 0, err
    mean, std = re.search(r"mean \[([^\]]*)\], std \[([^\]]*)\]", out).groups()
    assert float(mean) == 100000123.456 and float(std) == 0.5, out
    assert np.float64(mean) == net.target_preprocessing.mean[0]
