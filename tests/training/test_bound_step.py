"""BoundSGDStep (the trainer's plain-SGD step bound to its batch buffers) computes exactly
what Network._backprop computes, and fit uses it."""

import numpy as np
import pytest

from bprop import Network
from bprop.kernels import SGDStep
from bprop.layers import Dense, Dropout
from bprop.training import Callback
from bprop.training.bound_step import BoundSGDStep


def data(n=64, n_in=5, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in))
    return x, rng.integers(0, n_out, n)


def same_parameters(a: Network, b: Network) -> bool:
    return all(np.array_equal(pa, pb) for (pa, _), (pb, _) in zip(a.trainable_parameters(), b.trainable_parameters()))


CONFIGS = [
    dict(sizes=[5, 7, 3], hidden="relu", output="softmax", cost="log_likelihood"),
    dict(sizes=[5, 7, 3], hidden="sigmoid", output="sigmoid", cost="cross_entropy"),
    dict(sizes=[5, 7, 3], hidden="tanh", output="sigmoid", cost="quadratic"),
    dict(sizes=[5, 7, 3], hidden="leaky_relu", output="softmax", cost="quadratic"),
    dict(sizes=[5, 6, 4, 3], hidden="relu", output="softmax", cost="log_likelihood", dtype="float64"),
    dict(sizes=[5, 3], output="softmax", cost="log_likelihood"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['hidden'] if 'hidden' in c else '-'}-{c['cost']}-{len(c['sizes'])}")
@pytest.mark.parametrize("one_hot", [True, False])
def test_bound_step_is_bit_identical_to_backprop(config, one_hot):
    config = dict(config)
    sizes = config.pop("sizes")
    reference = Network(sizes, seed=3, **config)
    bound_net = reference.copy()
    x, y = data(n_in=sizes[0], n_out=sizes[-1])
    xs, targets, labels = reference.prepare(x, y)
    if not one_hot:  # soft targets: rows that are not one-hot (the general BP1)
        targets = (0.8 * targets + 0.2 / sizes[-1]).astype(targets.dtype)
    m = 16
    # one-hot softmax + log-likelihood: BP1 from the labels, as fit runs it
    use_index = one_hot and config["cost"] == "log_likelihood"
    inputs, target_buffer = np.empty((m, sizes[0]), xs.dtype), np.empty((m, sizes[-1]), xs.dtype)
    step = BoundSGDStep(bound_net, inputs, target_buffer)
    assert step.bound
    sgd = SGDStep(0.3, 0.999)  # with an L2-style decay of the weights
    for start in range(0, 64, m):
        inputs[...], target_buffer[...] = xs[start:start + m], targets[start:start + m]
        index = labels[start:start + m] + sizes[-1] * np.arange(m) if use_index else None
        expected = reference._backprop(xs[start:start + m], targets[start:start + m], penalty=False, sgd=sgd,
                                       target_index=index)
        output = step.run(sgd, index)
        assert np.array_equal(output, expected)
        assert same_parameters(bound_net, reference)
    # The layers' caches and deltas are those backprop leaves (gradient norms read them).
    for bound_layer, layer in zip(bound_net.dense_layers, reference.dense_layers):
        assert all(np.array_equal(u, v) for u, v in zip(bound_layer.cache, layer.cache))
        assert bound_layer.gradient_norms() == layer.gradient_norms()


def test_a_softmax_output_is_the_view_of_its_column_wise_result():
    """The bound softmax leaves a^L as the F-ordered view of its (n_L, m) result (the same
    values as the C-ordered a^L of _backprop), and binds no copy."""
    net = Network([5, 7, 3], hidden="relu", output="softmax", cost="log_likelihood", seed=4)
    x, y = data(n=12)
    xs, targets, _ = net.prepare(x, y)
    step = BoundSGDStep(net, xs.copy(), targets.copy())
    step.run(SGDStep(0.5))
    output = step.steps[-1].a
    assert output.shape == (12, 3) and output.flags.f_contiguous and not output.flags.c_contiguous
    assert step.steps[0].a.flags.c_contiguous  # the hidden layer's a^1 feeds the next gemm
    np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-6)


def test_bound_step_keeps_fixed_biases_fixed():
    layers = [Dense(4, 6, "relu", train_biases=False), Dense(6, 3, "softmax")]
    net = Network(layers=layers, cost="log_likelihood", seed=1)
    before = net.dense_layers[0].biases.copy()
    x, y = data(n=8, n_in=4)
    xs, targets, _ = net.prepare(x, y)
    step = BoundSGDStep(net, xs.copy(), targets.copy())
    step.run(SGDStep(0.5))
    assert np.array_equal(net.dense_layers[0].biases, before)
    assert not np.array_equal(net.dense_layers[1].biases, 0)


def test_a_network_with_dropout_runs_backprop_instead():
    layers = [Dense(5, 8, "relu"), Dropout(0.5), Dense(8, 3, "softmax")]
    reference = Network(layers=layers, cost="log_likelihood", seed=2)
    net = reference.copy()
    x, y = data(n=10)
    xs, targets, _ = reference.prepare(x, y)
    step = BoundSGDStep(net, xs.copy(), targets.copy())
    assert not step.bound
    step.run(SGDStep(0.1))
    reference._backprop(xs, targets, penalty=False, sgd=SGDStep(0.1))
    assert same_parameters(net, reference)


def fit_both_ways(monkeypatch, build, n_in=5, **fit_options):
    """(fit with the bound step, fit with every bound step falling back to _backprop)."""
    x, y = data(n=90, n_in=n_in, seed=5)
    runs = []
    for bound in (True, False):
        if not bound:
            monkeypatch.setattr(BoundSGDStep, "_bind", lambda self: setattr(self, "steps", None))
        net = build()
        history = net.fit(x, y, verbose=False, **fit_options)
        runs.append((net, history))
    return runs


def test_fit_with_the_bound_step_gives_bit_identical_weights_and_history(monkeypatch):
    # Batch 8 of 90: a shorter last batch (its own binding). Norms sampled every other batch;
    # at 8 rows through 12-20 they come from the Gram matrices, on the bound fused path.
    runs = fit_both_ways(monkeypatch, lambda: Network([12, 20, 3], hidden="relu", seed=0, regularizer=("l2", 0.5)),
                         n_in=12, epochs=3, batch_size=8, eta=0.2, grad_norm_every=2)
    (bound_net, bound_history), (plain_net, plain_history) = runs
    assert same_parameters(bound_net, plain_net)
    for key in ("train_cost", "train_accuracy", "grad_norm_1", "grad_norm_2", "delta_norm_1"):
        assert bound_history[key] == plain_history[key]


def test_fit_uses_the_bound_step(monkeypatch):
    used = []
    run = BoundSGDStep.run

    def spy(self, sgd, target_index=None):
        used.append(self.bound)
        return run(self, sgd, target_index)

    monkeypatch.setattr(BoundSGDStep, "run", spy)
    x, y = data(n=50)
    # grad_norm_every=0: a sampled batch of this tiny network stores its gradients (no fused step)
    Network([5, 4, 3], seed=0).fit(x, y, epochs=2, batch_size=20, verbose=False, grad_norm_every=0)
    assert len(used) == 6 and all(used)  # 3 batches per epoch, all on bound layer steps


class ReplaceWeights(Callback):
    """Replaces (not updates in place) the first layer's weights after batch 1."""

    def on_batch_end(self, trainer, batch, n_batches):
        if batch == 1:
            layer = trainer.net.dense_layers[0]
            layer.weights = layer.weights * 0.5


def test_replaced_parameters_are_bound_again(monkeypatch):
    runs = fit_both_ways(monkeypatch, lambda: Network([5, 6, 3], hidden="tanh", seed=1),
                         epochs=1, batch_size=10, eta=0.3, callbacks=[ReplaceWeights()])
    (bound_net, _), (plain_net, _) = runs
    assert same_parameters(bound_net, plain_net)
