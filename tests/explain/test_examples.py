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


def test_a_regularized_model_file_is_explained_with_a_note_on_what_training_adds(tmp_path):
    """'bprop explain --model' rebuilds the model without its regularizer and traces the data cost
    C_0: it says so, as trace_step does for a regularized network, while 'bprop graph --model'
    and Network.backprop include the penalty (a model with L2, lambda = 4, n = 20: C 0.606 in
    explain, 0.750 in graph, with not a word on the difference)."""
    import numpy as np

    x, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    net = Network([2, 3, 2], hidden="tanh", seed=0, dtype="float64", regularizer=("l2", 4.0))
    net.fit(x, y, epochs=1, batch_size=5, eta=0.1, verbose=False)
    net.save(tmp_path / "m.npz")
    example = from_model(tmp_path / "m.npz")
    assert "The model has an L2 regularizer (lambda = 4, n = 20)" in example.note
    assert "data cost C_0 only" in example.note
    assert from_model(_saved(tmp_path, Network([2, 3, 2], seed=0))).note == ""


def _saved(tmp_path, net):
    net.save(tmp_path / "plain.npz")
    return tmp_path / "plain.npz"


def test_trace_step_says_that_it_shows_the_preprocessed_inputs_and_targets():
    """trace_step runs the network's own prepare: a^0 is x after the preprocessing and y the
    standardized targets. Given x = (4, 2) to a Scale(0.5) network, the trace showed
    'a^0 = x = (2, 1)' and, given a price of 49718.7, 'y = (-0.139)', without a word."""
    import numpy as np

    from bprop import Scale
    from bprop.explain import trace_step

    scaled = Network([2, 2, 2], hidden="tanh", preprocessing=Scale(0.5), seed=0, dtype="float64")
    trace = trace_step(scaled, np.array([[4.0, 2.0]]), [1], 0.1)
    assert np.array_equal(trace.x, [[2.0, 1.0]])
    assert "preprocesses its inputs (Scale(0.5))" in trace.note and "not the x given" in trace.note

    prices = Network([2, 3, 1], hidden="tanh", output="identity", seed=0, dtype="float64",
                     target_preprocessing=Standardize([50000.0], [500.0]))
    trace = trace_step(prices, np.array([[0.1, 0.2]]), np.array([[50250.0]]), 0.1)
    assert trace.targets[0, 0] == 0.5
    assert "standardizes its targets" in trace.note and "mean 50000.0, std 500.0" in trace.note
    assert trace_step(Network([2, 2, 2], seed=0), [0.5, -0.2], [0, 1]).note == ""
