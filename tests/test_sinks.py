"""One training step: ``Network.backprop_prepared`` with a sink (``bprop.sinks``).

The fused route (plain SGD applied inside backward, ``FusedSGD``) and the stored route
(gradients stored, then ``optimizer.step``, ``StoreGradients``) are both chosen explicitly
here (``fit(fused=True/False)``), never through a performance heuristic; they agree to
rounding. Sampling gradient norms and showing a progress bar never change the weights.
"""

import io

import numpy as np
import pytest

from bprop import Dense, Dropout, Network
from bprop.optimizers.momentum import Momentum
from bprop.optimizers.sgd import SGD
from bprop.sinks import FusedSGD, NormSampler, StoreGradients
from bprop.training import Callback


def data(n=64, n_in=5, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, n_out, n)


def parameters(net):
    return [param.copy() for param, _ in net.trainable_parameters()]


def assert_identical(a, b):
    for pa, pb in zip(parameters(a), parameters(b)):
        np.testing.assert_array_equal(pa, pb)


def largest_difference(a, b) -> float:
    return max(float(np.max(np.abs(pa - pb))) for pa, pb in zip(parameters(a), parameters(b)))


CONFIGS = [
    dict(sizes=[5, 7, 3], hidden="relu", output="softmax", cost="log_likelihood"),
    dict(sizes=[5, 7, 3], hidden="sigmoid", output="sigmoid", cost="cross_entropy"),
    dict(sizes=[5, 7, 3], hidden="tanh", output="sigmoid", cost="quadratic"),
    dict(sizes=[5, 7, 3], hidden="leaky_relu", output="softmax", cost="quadratic"),
    dict(sizes=[5, 6, 4, 3], hidden="relu", output="softmax", cost="log_likelihood", dtype="float64"),
    dict(sizes=[5, 3], output="softmax", cost="log_likelihood"),
]
IDS = [f"{c.get('hidden', '-')}-{c['cost']}-{len(c['sizes'])}" for c in CONFIGS]


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_fused_sgd_equals_stored_gradients_and_a_step(config):
    """One step each way from the same weights: FusedSGD's gemm(alpha=-eta, beta=decay) against
    storing dC/dθ and applying θ <- decay θ - eta dC/dθ by hand, to rounding."""
    config = dict(config)
    sizes = config.pop("sizes")
    fused = Network(sizes, seed=3, **config)
    stored = fused.copy()
    x, y = data(n_in=sizes[0], n_out=sizes[-1])
    xs, targets, _ = fused.prepare(x, y)
    eta, decay = 0.3, 0.999
    for start in range(0, 64, 16):
        batch = slice(start, start + 16)
        z_fused = fused.backprop_prepared(xs[batch], targets[batch], FusedSGD(eta, decay)).copy()
        z_stored = stored.backprop_prepared(xs[batch], targets[batch], StoreGradients())
        np.testing.assert_array_equal(z_fused, z_stored)  # the same weights went in
        for layer in stored.dense_layers:
            layer.weights[...] = decay * layer.weights - eta * layer.grad_weights
            layer.biases[...] = layer.biases - eta * layer.grad_biases
        tol = 1e-5 if fused.dtype == np.float32 else 1e-13
        for a, b in zip(parameters(fused), parameters(stored)):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        for layer_a, layer_b in zip(fused.dense_layers, stored.dense_layers):  # keep both on one trajectory
            layer_a.weights[...], layer_a.biases[...] = layer_b.weights, layer_b.biases


@pytest.mark.parametrize("regularizer", [None, ("l2", 2.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fit_fused_and_stored_routes_agree_to_rounding(regularizer, dtype):
    """fit(fused=True) and fit(fused=False), plain SGD (with L2 folded into the decay, or added
    to the stored gradient): the same training to rounding after two epochs."""
    x, y = data(n=120, n_in=12, seed=1)
    fused = Network([12, 20, 3], hidden="relu", seed=2, dtype=dtype, regularizer=regularizer)
    stored = fused.copy()
    fused.fit(x, y, epochs=2, batch_size=8, eta=0.2, verbose=False, fused=True)
    stored.fit(x, y, epochs=2, batch_size=8, eta=0.2, verbose=False, fused=False)
    scale = max(float(np.max(np.abs(p))) for p in parameters(stored))
    difference = largest_difference(fused, stored)
    assert difference <= (2e-5 if dtype == "float32" else 1e-12) * scale, difference
    assert largest_difference(fused, Network([12, 20, 3], hidden="relu", seed=2, dtype=dtype)) > 0.01  # it trained


def test_fit_defaults_to_the_fused_route_where_the_optimizer_allows_it():
    """fused=None: plain SGD and classical momentum train exactly as fused=True; Adam and
    Nesterov exactly as fused=False."""
    x, y = data(n=50)
    runs = {}
    for optimizer in ("sgd", "momentum", "adam", "nesterov"):
        for fused in (None, True, False):
            if optimizer in ("adam", "nesterov") and fused:
                continue
            net = Network([5, 4, 3], seed=0)
            net.fit(x, y, epochs=2, batch_size=10, optimizer=optimizer, eta=0.05, verbose=False, fused=fused)
            runs[optimizer, fused] = net
    for optimizer in ("sgd", "momentum"):
        assert_identical(runs[optimizer, None], runs[optimizer, True])
        assert largest_difference(runs[optimizer, None], runs[optimizer, False]) > 0  # not the stored route
    for optimizer in ("adam", "nesterov"):
        assert_identical(runs[optimizer, None], runs[optimizer, False])


@pytest.mark.parametrize("regularizer", [None, ("l2", 2.0), ("l1", 0.5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_momentum_agrees_with_stored_gradients_and_momentum_step(regularizer, dtype):
    """v <- mu v - eta dC/dθ in BP4's gemm (alpha -eta, beta mu), then θ + v, against storing
    dC/dθ and Momentum.step: the same training to rounding, with L2 and L1 too, fixed biases
    left alone, and the velocities (the optimizer's state) the same."""
    from bprop.optimizers import Momentum

    x, y = data(n=120, n_in=12, seed=1)
    layers = [Dense(12, 20, "relu", train_biases=False), Dense(20, 3, "softmax")]
    fused = Network(layers=layers, seed=2, dtype=dtype, regularizer=regularizer)
    stored = fused.copy()
    fixed = fused.dense_layers[0].biases.copy()
    optimizers = []
    for net, route in ((fused, True), (stored, False)):
        optimizer = Momentum(eta=0.05, mu=0.9)
        net.fit(x, y, epochs=3, batch_size=8, optimizer=optimizer, verbose=False, fused=route)
        optimizers.append(optimizer)
    tol = (2e-5 if dtype == "float32" else 1e-12)
    scale = max(float(np.max(np.abs(p))) for p in parameters(stored))
    assert largest_difference(fused, stored) <= tol * scale
    for a, b in zip(*(o.velocities for o in optimizers)):
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * max(1.0, float(np.max(np.abs(b)))))
    np.testing.assert_array_equal(fused.dense_layers[0].biases, fixed)


def test_fused_momentum_resumes_from_a_checkpoint_as_if_uninterrupted(tmp_path):
    """The velocities are the optimizer's state: saved in the checkpoint, put back on resume,
    and the fused sink finds the new arrays (bit for bit against the uninterrupted run)."""
    x, y = data(n=60)
    whole = Network([5, 6, 3], seed=3)
    whole.fit(x, y, epochs=4, batch_size=8, optimizer="momentum", eta=0.05, verbose=False)
    first = Network([5, 6, 3], seed=3)
    first.fit(x, y, epochs=2, batch_size=8, optimizer="momentum", eta=0.05, verbose=False,
              checkpoint=tmp_path / "run.ckpt")
    resumed = Network([5, 6, 3], seed=3)
    resumed.fit(x, y, epochs=4, batch_size=8, optimizer="momentum", eta=0.05, verbose=False,
                resume=tmp_path / "run.ckpt")
    assert_identical(whole, resumed)


@pytest.mark.parametrize("options", [dict(optimizer="adam"), dict(optimizer="nesterov"), dict(regularizer=("l1", 0.1))])
def test_fused_true_with_an_optimizer_that_cannot_fuse_is_refused_before_anything_changes(options):
    x, y = data(n=20)
    net = Network([5, 4, 3], seed=0, regularizer=options.pop("regularizer", None))
    before, state = parameters(net), net.rng.bit_generator.state
    with pytest.raises(ValueError, match="fused=True needs plain SGD"):
        net.fit(x, y, epochs=1, verbose=False, fused=True, **options)
    for a, b in zip(before, parameters(net)):
        np.testing.assert_array_equal(a, b)
    assert net.rng.bit_generator.state == state


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [4, 64])  # Gram-matrix norms; the gradient formed into scratch
def test_norm_sampling_and_the_progress_bar_never_change_the_weights(optimizer, batch_size, monkeypatch):
    x, y = data(n=200, n_in=40, seed=4)
    runs = []
    for every, verbose in ((0, False), (1, False), (None, False), (3, True)):
        net = Network([40, 30, 3], hidden="relu", seed=5, regularizer=("l2", 0.3))
        if verbose:
            monkeypatch.setattr("sys.stdout", io.StringIO())
        history = net.fit(x, y, epochs=2, batch_size=batch_size, optimizer=optimizer, verbose=verbose,
                          grad_norm_every=every)
        monkeypatch.undo()
        runs.append((net, history))
    for net, _ in runs[1:]:
        assert_identical(runs[0][0], net)
    assert "grad_norm_1" not in runs[0][1].as_dict() and "grad_norm_1" in runs[1][1].as_dict()


@pytest.mark.parametrize("fused", [True, False])
def test_sampled_norms_equal_the_norms_of_the_stored_gradients(fused):
    """NormSampler reads ||dC_0/dw^l|| and ||dC/db^l|| from the factors (fused) or the stored
    gradients (before the regularizer's term): both equal the norms of backprop's gradients."""
    net = Network([6, 9, 3], hidden="tanh", seed=6, dtype="float64", regularizer=("l2", 1.0))
    x, y = data(n=11, n_in=6)
    xs, targets, _ = net.prepare(x, y)
    reference = net.copy()
    reference.regularizer = None
    expected = reference.backprop(x, y)
    inner = FusedSGD(0.1) if fused else StoreGradients(net.regularizer, 11)
    sampler = NormSampler(inner)
    if not fused:
        net.backprop_prepared(xs, targets, sampler)  # the same gradients twice: norms of the last pass only
    net.backprop_prepared(xs, targets, sampler)
    assert len(sampler.norms) == 2
    for (weight_norm, bias_norm), gw, gb in zip(sampler.norms, expected.weights, expected.biases):
        assert weight_norm == pytest.approx(np.linalg.norm(gw), rel=1e-12)
        assert bias_norm == pytest.approx(np.linalg.norm(gb), rel=1e-12)


def test_a_softmax_output_is_the_view_of_its_column_wise_result():
    """The training softmax leaves a^L as the F-ordered view of its (n_L, m) result (no copy),
    while a hidden layer's a^l is C-ordered: it feeds the next gemm."""
    net = Network([5, 7, 3], hidden="relu", output="softmax", cost="log_likelihood", seed=4)
    x, y = data(n=12)
    xs, targets, _ = net.prepare(x, y)
    net.backprop_prepared(xs, targets, FusedSGD(0.5))
    output = net.layers[-1].cache[2]
    assert output.shape == (12, 3) and output.flags.f_contiguous and not output.flags.c_contiguous
    assert net.layers[0].cache[2].flags.c_contiguous
    np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-6)


def test_fixed_biases_stay_fixed_under_fused_sgd_and_keep_their_stored_gradient():
    layers = [Dense(4, 6, "relu", train_biases=False), Dense(6, 3, "softmax")]
    net = Network(layers=layers, cost="log_likelihood", seed=1)
    before = net.dense_layers[0].biases.copy()
    x, y = data(n=8, n_in=4)
    xs, targets, _ = net.prepare(x, y)
    net.backprop_prepared(xs, targets, FusedSGD(0.5))
    assert np.array_equal(net.dense_layers[0].biases, before)
    assert not np.array_equal(net.dense_layers[1].biases, 0)
    net.backprop_prepared(xs, targets, StoreGradients())
    np.testing.assert_allclose(net.dense_layers[0].grad_biases, net.dense_layers[0].delta.sum(axis=0), rtol=1e-5)
    assert np.any(net.dense_layers[0].grad_biases != 0)


def test_a_network_with_dropout_trains_on_the_fused_route_too():
    layers = [Dense(5, 8, "relu"), Dropout(0.5), Dense(8, 3, "softmax")]
    fused = Network(layers=layers, cost="log_likelihood", seed=2, dtype="float64")
    stored = fused.copy()
    x, y = data(n=40)
    fused.fit(x, y, epochs=2, batch_size=10, eta=0.1, verbose=False, fused=True)
    stored.fit(x, y, epochs=2, batch_size=10, eta=0.1, verbose=False, fused=False)
    assert largest_difference(fused, stored) < 1e-13  # the same masks (same generator), to rounding


def test_plans_bound_to_a_reused_buffer_equal_fresh_arrays_every_batch():
    """The trainer refills the same input buffer; a layer's plan stays bound to it. A caller
    passing new arrays every batch gets new plans: the same numbers, bit for bit."""
    net = Network([5, 7, 4, 3], hidden="tanh", seed=7)
    other = net.copy()
    x, y = data(n=40)
    xs, targets, _ = net.prepare(x, y)
    buffer_x, buffer_t = np.empty((8, 5), xs.dtype), np.empty((8, 3), xs.dtype)
    for start in range(0, 40, 8):
        buffer_x[...], buffer_t[...] = xs[start:start + 8], targets[start:start + 8]
        net.backprop_prepared(buffer_x, buffer_t, FusedSGD(0.2, 0.99))
        other.backprop_prepared(xs[start:start + 8].copy(), targets[start:start + 8].copy(), FusedSGD(0.2, 0.99))
        assert_identical(net, other)
    assert len(net.layers[0]._plans) == 1  # one plan for the one buffer


class ReplaceWeights(Callback):
    """After batch 1, replaces the first layer's weights by a new array (``in_place``: scales
    the same array instead)."""

    def __init__(self, in_place):
        self.in_place = in_place

    def on_batch_end(self, trainer, batch, n_batches):
        if batch == 1:
            layer = trainer.net.dense_layers[0]
            if self.in_place:
                layer.weights[...] *= 0.5
            else:
                layer.weights = layer.weights * 0.5


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
@pytest.mark.parametrize("fused", [True, False])
def test_replaced_parameter_arrays_are_bound_again(fused, optimizer):
    """A callback may assign ``layer.weights`` (``net.weights[l] = ...``) mid-epoch; the fused
    momentum step then refused the layer's new array as 'other parameters than this network's'."""
    x, y = data(n=50)
    runs = []
    for in_place in (True, False):
        net = Network([5, 6, 3], hidden="tanh", seed=1, regularizer=("l2", 1.0))
        net.fit(x, y, epochs=2, batch_size=10, eta=0.3, verbose=False, fused=fused,
                callbacks=[ReplaceWeights(in_place)], optimizer=SGD(0.3) if optimizer == "sgd" else Momentum(0.3))
        runs.append(net)
    assert_identical(*runs)


class SetEta(Callback):
    """Sets the optimizer's eta after every batch (a per-batch schedule)."""

    def __init__(self, eta):
        self.eta = eta

    def on_batch_end(self, trainer, batch, n_batches):
        trainer.optimizer.eta = self.eta * (batch + 2) / (batch + 1)


def test_an_eta_changed_by_a_callback_mid_epoch_is_used_by_the_next_batch_on_both_routes():
    """The fused step is made again when eta changes, so a per-batch schedule trains the same
    on the fused and the stored route (found by a newcomer: the fused route kept the epoch's eta)."""
    x, y = data(n=64, n_in=4)
    runs = {}
    for fused in (None, False):
        net = Network([4, 8, 3], seed=0, dtype="float64")
        net.fit(x, y, epochs=2, batch_size=8, eta=0.5, verbose=False, callbacks=[SetEta(0.05)], fused=fused)
        runs[fused] = net
    assert largest_difference(runs[None], runs[False]) < 1e-13
    plain = Network([4, 8, 3], seed=0, dtype="float64")
    plain.fit(x, y, epochs=2, batch_size=8, eta=0.5, verbose=False)
    assert largest_difference(runs[None], plain) > 1e-3  # the schedule did change the training


@pytest.mark.parametrize("bad", ["targets shape", "labels", "dtype", "width"])
def test_backprop_prepared_refuses_arrays_that_would_broadcast_or_change_dtype(bad):
    net = Network([5, 4, 3], seed=0)
    x, y = data(n=6)
    xs, targets, labels = net.prepare(x, y)
    before = parameters(net)
    arguments = {"targets shape": (xs, targets[:, :1]), "labels": (xs, labels), "dtype": (xs.astype(np.float64), targets),
                 "width": (xs[:, :4], targets)}[bad]
    with pytest.raises(ValueError, match="backprop_prepared takes x"):
        net.backprop_prepared(*arguments, FusedSGD(0.1))
    for a, b in zip(before, parameters(net)):
        np.testing.assert_array_equal(a, b)


def test_a_network_mid_training_pickles_and_copies_into_an_independent_network():
    import copy
    import pickle

    net = Network([5, 6, 3], seed=0)
    x, y = data(n=16)
    xs, targets, _ = net.prepare(x, y)
    net.backprop_prepared(xs, targets, FusedSGD(0.1))
    delta = net.layers[0].delta.copy()
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net), net.copy()):
        before = parameters(net)
        clone.backprop_prepared(xs, targets, FusedSGD(0.1))  # trains the clone, not the original
        for a, b in zip(before, parameters(net)):
            np.testing.assert_array_equal(a, b)
        assert largest_difference(clone, net) > 0
    np.testing.assert_array_equal(net.layers[0].delta, delta)  # copying left the original's pass alone


def test_backprop_leaves_the_pass_for_inspection():
    net = Network([5, 6, 3], seed=0, dtype="float64")
    x, y = data(n=4)
    gradients = net.backprop(x, y)
    first, second = net.dense_layers
    np.testing.assert_allclose(gradients.weights[0], first.delta.T @ first.cache[0], rtol=1e-12)  # BP4
    np.testing.assert_allclose(second.input_gradient, second.delta @ second.weights, rtol=1e-12)  # BP2's product
    assert [w.shape for w in net.weights + net.biases] == [(6, 5), (3, 6), (6,), (3,)]


def test_sinks_refuse_what_they_cannot_apply():
    from bprop.optimizers import Adam, Momentum
    from bprop.sinks import FusedMomentum

    net = Network([5, 4, 3], seed=0)
    params = [p for p, _ in net.trainable_parameters()]
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="eta must be a positive"):
            FusedSGD(bad)
    with pytest.raises(ValueError, match="decay must be a finite"):
        FusedSGD(0.1, float("nan"))
    for optimizer in (Momentum(0.5, nesterov=True), Adam(0.5), SGD(0.5)):
        with pytest.raises(ValueError, match="FusedMomentum applies classical momentum"):
            FusedMomentum(optimizer, params)
    other = Network([5, 4, 3], seed=1)
    x, y = data(n=6)
    xs, targets, _ = net.prepare(x, y)
    before = parameters(net)
    with pytest.raises(ValueError, match="other parameters than this network's"):
        net.backprop_prepared(xs, targets, FusedMomentum(Momentum(0.5), [p for p, _ in other.trainable_parameters()]))
    with pytest.raises(ValueError, match="m >= 1"):
        net.backprop_prepared(xs[:0], targets[:0], FusedSGD(0.1))
    with pytest.raises(ValueError, match="backprop_prepared takes"):
        net.copy(dtype="float64").backprop_prepared(xs.astype(np.float64), targets, StoreGradients())
    for a, b in zip(before, parameters(net)):
        np.testing.assert_array_equal(a, b)


def test_resume_refuses_another_regularizer_or_optimizer(tmp_path):
    """A checkpoint continues the run that wrote it: another regularizer or optimizer would be
    used (or ignored) without a word, so it is refused, naming both."""
    x, y = data(n=40)
    Network([5, 6, 3], seed=3, regularizer=("l2", 5.0)).fit(
        x, y, epochs=1, batch_size=8, optimizer="momentum", eta=0.05, verbose=False, checkpoint=tmp_path / "r.ckpt")
    cases = [(dict(regularizer=None), dict(optimizer="momentum"), "trained with l2 with lambda 5.0"),
             (dict(regularizer=("l2", 1.0)), dict(optimizer="momentum"), "trained with l2 with lambda 5.0"),
             (dict(regularizer=("l2", 5.0)), dict(optimizer="adam"), "trained with the optimizer"),
             (dict(regularizer=("l2", 5.0)), dict(optimizer="nesterov"), "trained with the optimizer")]
    for network_options, fit_options, message in cases:
        net = Network([5, 6, 3], seed=3, **network_options)
        before = parameters(net)
        with pytest.raises(ValueError, match=message):
            net.fit(x, y, epochs=2, batch_size=8, verbose=False, resume=tmp_path / "r.ckpt", **fit_options)
        for a, b in zip(before, parameters(net)):
            np.testing.assert_array_equal(a, b)
    resumed = Network([5, 6, 3], seed=3, regularizer=("l2", 5.0))
    resumed.fit(x, y, epochs=2, batch_size=8, optimizer="momentum", eta=0.05, verbose=False, resume=tmp_path / "r.ckpt")


def test_a_model_trained_with_fractional_sample_weights_and_l2_saves_and_loads(tmp_path):
    """The regularizer's n is then a sum of weights (10.0, 19.99...): the model file takes it."""
    import bprop

    x, y = data(n=20)
    net = Network([5, 4, 3], seed=0, regularizer=("l2", 1.0))
    net.fit(x, y, epochs=1, batch_size=8, verbose=False, sample_weight=np.full(20, 0.55))
    assert net.regularizer.n == pytest.approx(11.0)
    net.save(tmp_path / "m.npz")
    loaded = bprop.load(tmp_path / "m.npz")
    assert loaded.regularizer.n == net.regularizer.n
    assert loaded.evaluate(x, y) == net.evaluate(x, y)
