"""Learning check: do bprop and PyTorch (and the per-sample loop) learn MNIST equally well?

All of them start from the SAME initial weights: bprop's own initialization (seed 0) when
bprop is available, read from ``net.weights`` / ``net.biases`` (lists of arrays shaped
(n_out, n_in) and (n_out,)); otherwise He-normal N(0, 2/n_in) weights with zero biases
from ``numpy.random.default_rng(0)``. The arrays are copied into PyTorch's Linear layers
(whose ``weight`` has the same (out, in) layout) and into the TextbookNetwork.

Then each trains for ``epochs`` epochs at batch size 32, eta 0.1 (plain SGD, mean
cross-entropy), each with its own shuffling RNG, and the test accuracy on the 10,000
t10k images is measured after every epoch. The shuffles differ, so the accuracies agree
only to within run-to-run noise (a few tenths of a percent).
"""

from __future__ import annotations

import time

import numpy as np

import peers as peers_mod


def initial_parameters(bprop_peer):
    """(weights, biases, description) shared by every learner."""
    if bprop_peer is not None and bprop_peer.available:
        try:
            net = bprop_peer.make(seed=0)
            weights = [np.array(w, dtype=np.float32, copy=True) for w in net.weights]
            biases = [np.array(b, dtype=np.float32, copy=True).reshape(-1) for b in net.biases]
            shapes_ok = [w.shape for w in weights] == [(100, 784), (10, 100)]
            if shapes_ok:
                stats = ", ".join(
                    f"layer {l + 1}: weight std {w.std():.4f} (He sqrt(2/n_in) = "
                    f"{np.sqrt(2 / w.shape[1]):.4f}, LeCun sqrt(1/n_in) = {np.sqrt(1 / w.shape[1]):.4f}, "
                    f"Glorot sqrt(2/(n_in+n_out)) = "
                    f"{np.sqrt(2 / sum(w.shape)):.4f}), bias std {b.std():.4f}"
                    for l, (w, b) in enumerate(zip(weights, biases)))
                return weights, biases, f"bprop.Network(seed=0)'s own initialization; {stats}"
        except Exception:  # noqa: BLE001 (fall back to the written-down law)
            pass
    weights, biases = peers_mod.he_normal(peers_mod.SIZES, seed=0)
    return weights, biases, "He-normal N(0, 2/n_in) weights, zero biases, numpy default_rng(0)"


def _accuracy(predict, x, y):
    return float(np.mean(predict(x) == y))


def run_bprop(peer, weights, biases, x, y, x_test, y_test, epochs, batch_size, eta):
    """Train bprop from the shared arrays; returns per-epoch test accuracies and seconds."""
    net = peer.make(seed=0)
    net.weights = [w.copy() for w in weights]
    net.biases = [b.copy() for b in biases]
    for l in range(len(weights)):  # make sure the assignment took
        np.testing.assert_array_equal(np.asarray(net.weights[l]), weights[l])
    accs, times = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        net.fit(x, y, epochs=1, batch_size=batch_size, eta=eta, verbose=False)
        times.append(time.perf_counter() - t0)
        predicted = np.asarray(net.predict(x_test))
        if predicted.ndim == 2:  # probabilities rather than labels
            predicted = predicted.argmax(axis=1)
        accs.append(float(np.mean(predicted == y_test)))
    return accs, times


def run_torch(peer, weights, biases, x, y, x_test, y_test, epochs, batch_size, eta):
    """Train PyTorch from the shared arrays, with the same loop as the timing peer."""
    torch = peer.torch
    model = peer.make(seed=0)
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(weights[0]))
        model[0].bias.copy_(torch.from_numpy(biases[0]))
        model[2].weight.copy_(torch.from_numpy(weights[1]))
        model[2].bias.copy_(torch.from_numpy(biases[1]))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=eta)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tx_test = torch.from_numpy(x_test)
    n = len(x)
    torch.manual_seed(0)
    accs, times = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(tx[idx]), ty[idx]).backward()
            optimizer.step()
        times.append(time.perf_counter() - t0)
        with torch.no_grad():
            predicted = model(tx_test).argmax(dim=1).numpy()
        accs.append(float(np.mean(predicted == y_test)))
    return accs, times


def run_textbook(peer, weights, biases, x, y, x_test, y_test, epochs, batch_size, eta):
    """Train the per-sample loop from the shared arrays."""
    net = peer.TextbookNetwork(weights, biases, hidden="relu", output="softmax", cost="log_likelihood")
    rng = np.random.default_rng(0)
    accs, times = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        net.sgd_epoch(x, y, batch_size=batch_size, eta=eta, rng=rng)
        times.append(time.perf_counter() - t0)
        # vectorized evaluation of the same weights (evaluation is not what is compared)
        hidden = np.maximum(x_test @ net.weights[0].T + net.biases[0], 0)
        logits = hidden @ net.weights[1].T + net.biases[1]
        accs.append(float(np.mean(logits.argmax(axis=1) == y_test)))
    return accs, times


def learning_check(available, x, y, x_test, y_test, epochs=5, batch_size=32, eta=0.1, log=print):
    """Run every available learner; returns a JSON-able dict for the report."""
    bprop_peer = available.get("bprop")
    weights, biases, init = initial_parameters(bprop_peer)
    out = {"epochs": epochs, "batch_size": batch_size, "eta": eta, "n_train": len(x),
           "n_test": len(x_test), "init": init, "learners": {}}
    runners = (("bprop", run_bprop), ("torch", run_torch), ("textbook", run_textbook))
    for name, runner in runners:
        peer = available.get(name)
        if peer is None or not peer.available:
            out["learners"][name] = {"available": False,
                                     "reason": getattr(peer, "reason", "not selected")}
            continue
        log(f"  learning check: {name}, {epochs} epochs at batch {batch_size} ...")
        try:
            accs, times = runner(peer, weights, biases, x, y, x_test, y_test, epochs, batch_size, eta)
        except Exception as exc:  # noqa: BLE001
            out["learners"][name] = {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
            log(f"    failed: {out['learners'][name]['reason']}")
            continue
        out["learners"][name] = {"available": True, "test_accuracy": accs, "epoch_seconds": times}
        log(f"    test accuracy by epoch: {', '.join(f'{a:.4f}' for a in accs)}")
    return out
