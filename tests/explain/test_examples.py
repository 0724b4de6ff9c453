"""bprop.explain.examples: the worked examples' data, here a saved model's (``from_model``)."""

import re

from bprop import Network, Standardize
from bprop.explain.examples import from_model


def test_the_note_gives_the_target_statistics_to_every_digit(tmp_path):
    """The note asks for standardized targets, (y - mean) / std, by the mean and std it prints:
    printed to 6 digits, a mean of 100000123.456 read 1e+08, and targets standardized by it
    were 123 / 0.5 = 246.9 off."""
    net = Network([2, 1], output="identity", task="regression", seed=0,
                  target_preprocessing=Standardize([100000123.456], [0.5]))
    net.save(tmp_path / "m.npz")
    note = from_model(tmp_path / "m.npz").note
    mean, std = re.search(r"mean ([^,]+), std ([^)]+)\)", note).groups()
    assert float(mean) == 100000123.456 and float(std) == 0.5, note
