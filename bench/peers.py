"""The four implementations being timed, and a BLAS floor, each behind the same small interface.

A peer times ONE training epoch of a 784-100-10 network (ReLU hidden layer, softmax
output with the log-likelihood / cross-entropy loss, plain SGD, float32, a fresh
shuffle) at a given mini-batch size::

    peer = TorchPeer(eta=0.1)
    peer.prepare(x, y)                            # data pre-loaded once
    seconds = peer.epoch(batch_size=32, n=50_000, seed=0)

Only the epoch itself is inside the timer: building the model (and, for PyTorch, the
optimizer) happens before the clock starts. scikit-learn is the exception: its one
public entry point, ``fit``, also validates the input and initialises the weights, so
those are timed too (they are small next to an epoch).

``BlasFloorPeer`` ("floor") is not a competitor but a lower reference for bprop: only the
gather and the BLAS products every NumPy+BLAS implementation of this epoch must do.

A peer whose library cannot be imported has ``available = False`` and a ``reason``;
the harness reports it as unavailable and goes on.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

SIZES = [784, 100, 10]


def he_normal(sizes, seed, dtype=np.float32):
    """He-normal weights N(0, 2/n_in), shape (n_out, n_in), and zero biases, from seed."""
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(dtype)
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(n_out, dtype=dtype) for n_out in sizes[1:]]
    return weights, biases


class Peer:
    """Base class: a name, whether it can run, and the data it trains on."""

    name = "peer"
    label = "peer"

    def __init__(self, eta=0.1):
        self.eta = eta
        self.available = True
        self.reason = ""
        self.info = {}
        self.x = None
        self.y = None

    def prepare(self, x, y):
        """Keep the float32 images (n, 784) and int64 labels (n,) for the epochs to come."""
        self.x = x
        self.y = y

    def epoch(self, batch_size, n, seed):
        """Seconds for one epoch on the first n samples at this batch size."""
        raise NotImplementedError


class BpropPeer(Peer):
    """bprop.Network, the library under test."""

    name = "bprop"
    label = "bprop"

    def __init__(self, eta=0.1):
        super().__init__(eta)
        try:
            import bprop

            self.Network = bprop.Network
        except Exception as exc:  # noqa: BLE001 (the lead's core may not exist yet)
            self.available = False
            self.reason = f"{type(exc).__name__}: {exc}"

    def make(self, seed):
        return self.Network(SIZES, hidden="relu", output="softmax", cost="log_likelihood",
                            seed=seed, dtype="float32")

    def epoch(self, batch_size, n, seed):
        net = self.make(seed)
        x, y = self.x[:n], self.y[:n]
        t0 = time.perf_counter()
        net.fit(x, y, epochs=1, batch_size=batch_size, eta=self.eta, verbose=False)
        return time.perf_counter() - t0


class TorchPeer(Peer):
    """PyTorch on the CPU: nn.Sequential, CrossEntropyLoss (mean), optim.SGD, no DataLoader."""

    name = "torch"
    label = "PyTorch CPU"

    def __init__(self, eta=0.1):
        super().__init__(eta)
        try:
            import torch

            self.torch = torch
            self.info["version"] = torch.__version__
            self.info["threads"] = torch.get_num_threads()
        except Exception as exc:  # noqa: BLE001
            self.available = False
            self.reason = f"{type(exc).__name__}: {exc}"

    def prepare(self, x, y):
        super().prepare(x, y)
        self.tx = self.torch.from_numpy(x)  # shares memory: float32 (n, 784)
        self.ty = self.torch.from_numpy(y)  # int64 (n,)

    def make(self, seed):
        nn = self.torch.nn
        self.torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))

    def epoch(self, batch_size, n, seed):
        torch = self.torch
        model = self.make(seed)
        loss_fn = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=self.eta)
        return torch_epoch(torch, model, loss_fn, optimizer, self.tx[:n], self.ty[:n], batch_size)


def torch_epoch(torch, model, loss_fn, optimizer, x, targets, batch_size) -> float:
    """Seconds of one PyTorch eager epoch over x (n, n_0) and targets: a fresh ``torch.randperm``,
    batches gathered by index, zero_grad / backward / step per batch (no DataLoader)."""
    n = x.shape[0]
    t0 = time.perf_counter()
    perm = torch.randperm(n)
    for start in range(0, n, batch_size):
        idx = perm[start:start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(x[idx]), targets[idx])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - t0


class SklearnPeer(Peer):
    """scikit-learn's MLPClassifier with plain SGD, one epoch (max_iter=1)."""

    name = "sklearn"
    label = "scikit-learn MLP"

    def __init__(self, eta=0.1):
        super().__init__(eta)
        try:
            import sklearn
            from sklearn.exceptions import ConvergenceWarning
            from sklearn.neural_network import MLPClassifier

            self.MLPClassifier = MLPClassifier
            self.ConvergenceWarning = ConvergenceWarning
            self.info["version"] = sklearn.__version__
        except Exception as exc:  # noqa: BLE001
            self.available = False
            self.reason = f"{type(exc).__name__}: {exc}"

    def make(self, batch_size, seed):
        return self.MLPClassifier(
            hidden_layer_sizes=(100,),
            activation="relu",
            solver="sgd",
            learning_rate="constant",
            learning_rate_init=self.eta,
            momentum=0.0,
            nesterovs_momentum=False,
            batch_size=batch_size,
            max_iter=1,
            alpha=0.0,
            shuffle=True,
            tol=0.0,
            early_stopping=False,
            random_state=seed,
        )

    def epoch(self, batch_size, n, seed):
        clf = self.make(batch_size, seed)
        x, y = self.x[:n], self.y[:n]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", self.ConvergenceWarning)
            t0 = time.perf_counter()
            clf.fit(x, y)
            elapsed = time.perf_counter() - t0
        self.info["dtype"] = str(clf.coefs_[0].dtype)  # what it actually computed in
        self.info["epochs_run"] = int(clf.n_iter_)
        return elapsed


class TextbookPeer(Peer):
    """bprop.textbook.TextbookNetwork: the per-sample loop of the equations (the slow reference)."""

    name = "textbook"
    label = "per-sample loop"

    def __init__(self, eta=0.1):
        super().__init__(eta)
        try:
            from bprop.textbook import TextbookNetwork

            self.TextbookNetwork = TextbookNetwork
        except Exception as exc:  # noqa: BLE001
            self.available = False
            self.reason = f"{type(exc).__name__}: {exc}"

    def make(self, seed):
        weights, biases = he_normal(SIZES, seed)
        return self.TextbookNetwork(weights, biases, hidden="relu", output="softmax",
                                    cost="log_likelihood")

    def epoch(self, batch_size, n, seed):
        net = self.make(seed)
        x, y = self.x[:n], self.y[:n]
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        net.sgd_epoch(x, y, batch_size=batch_size, eta=self.eta, rng=rng)
        return time.perf_counter() - t0


class BlasFloorPeer(Peer):
    """The BLAS calls of a bprop epoch alone: a lower reference for bprop, not a competitor.

    The issue's FLOP bound divides the epoch's matmul FLOPs by the rate of a square
    2048x2048 product, but an epoch's products are skinny ((B, 784) by (784, 100), ...),
    where the BLAS runs well below that peak. This peer times what any NumPy+BLAS
    implementation of the epoch has to do, and nothing else, so the report can show how
    far the BLAS itself is from the bound and how much of bprop's time is its own:

    - the shuffle (``default_rng(seed).permutation(n)``) and, per batch of m rows, the
      gather of the images into a preallocated buffer (``np.take(..., out=, mode="clip")``,
      as bprop's trainer does);
    - the sgemm calls bprop makes per batch, through the same BLAS (SciPy's, see point 2
      of ``bprop.kernels``' docstring), with the same layouts (F-order views of C-order
      arrays), transposition flags and positional arguments as ``kernels.bind_affine``,
      ``kernels.bind_matmul`` and ``kernels.bind_weight_gradient``: the forward product of
      every layer, BP2's product with w^l for every layer but the first, and BP4's product
      of every layer with bprop's (alpha, beta): fused with plain SGD (-eta, 1) into the
      weights by default; with ``store_gradients=True`` (1, 0) into gradient buffers, as for
      an optimizer such as Adam that steps from stored gradients; with ``momentum=mu``
      (-eta, mu) into velocities, as ``sinks.FusedMomentum`` (its w += v is not BLAS and is
      left out, as every optimizer's own arithmetic is).

    ``sizes``: the network's layer sizes (default the grid's 784-100-10; the recipes pass
    theirs). No bias, activation, softmax, delta, scoring or Python bookkeeping: the products
    are chained on the raw outputs (z^L stands in for delta^L, BP2's result for delta^(l-1)).
    The values are meaningless, only the work counts; the tiny ``FLOOR_ETA`` keeps them
    finite and normal (a zero eta would let BLAS skip the update products altogether).
    """

    name = "floor"
    label = "BLAS calls alone"
    FLOOR_ETA = 1e-6

    def __init__(self, eta=0.1, store_gradients=False, sizes=SIZES, momentum=None):
        super().__init__(eta)
        if store_gradients and momentum is not None:
            raise ValueError("a floor stores gradients or fuses momentum, not both")
        self.store_gradients, self.sizes, self.momentum = store_gradients, list(sizes), momentum
        try:
            from scipy.linalg import blas

            self.sgemm = blas.sgemm
        except Exception as exc:  # noqa: BLE001
            self.available = False
            self.reason = f"{type(exc).__name__}: {exc}"

    def make(self, batch_size, seed):
        """He-normal weights (n_l, n_(l-1)), the batch buffers, and BP4's targets with their
        (alpha, beta): the weights (SGD), gradient buffers or velocities; all C-order float32."""
        weights = [np.ascontiguousarray(w) for w in he_normal(self.sizes, seed)[0]]
        if self.store_gradients:
            targets, alpha, beta = [np.zeros_like(w) for w in weights], 1.0, 0.0
        elif self.momentum is not None:
            targets, alpha, beta = [np.zeros_like(w) for w in weights], -self.FLOOR_ETA, float(self.momentum)
        else:
            targets, alpha, beta = weights, -self.FLOOR_ETA, 1.0
        buffers = {"xb": np.empty((batch_size, self.sizes[0]), dtype=np.float32),
                   "z": [np.empty((batch_size, width), dtype=np.float32) for width in self.sizes[1:]],
                   "g": [np.empty((batch_size, width), dtype=np.float32) for width in self.sizes[1:-1]]}
        return weights, targets, alpha, beta, buffers

    def epoch(self, batch_size, n, seed):
        weights, targets, alpha, beta, buffers = self.make(batch_size, seed)
        x = np.ascontiguousarray(self.x[:n], dtype=np.float32)
        t0 = time.perf_counter()
        self._run(x, batch_size, seed, weights, targets, alpha, beta, **buffers)
        elapsed = time.perf_counter() - t0
        if not all(np.isfinite(a).all() for a in weights + targets):
            raise FloatingPointError("BLAS floor: the weights left the finite range")
        return elapsed

    def _run(self, x, batch_size, seed, weights, targets, alpha, beta, xb, z, g):
        """The timed part: the shuffle, then per batch the gather and the products.

        Every product writes into ``c.T``, the F-order view of a C-order array, as bprop's
        kernels do; SciPy returns the very array it wrote, so anything else means it copied,
        and the floor would be timing work bprop does not do: that is an error. The views of
        a full batch are made once (a shorter last batch gets its own).
        """
        gemm = self.sgemm
        weights_t, targets_t = [w.T for w in weights], [t.T for t in targets]
        n_layers = len(weights)

        def views(m):  # a^0..a^L (a^0 the gathered batch) and BP2's results, as F-order views
            return [xb[:m].T] + [zl[:m].T for zl in z], [gl[:m].T for gl in g]

        full = views(batch_size)
        n = x.shape[0]
        order = np.random.default_rng(seed).permutation(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            m = index.shape[0]
            a_t, g_t = full if m == batch_size else views(m)
            np.take(x, index, axis=0, out=xb[:m], mode="clip")
            for l in range(n_layers):  # forward: z^l = a^(l-1) (w^l)^T (bind_affine; no bias: beta 0)
                if gemm(1.0, weights_t[l], a_t[l], 0.0, a_t[l + 1], 1, 0, 1) is not a_t[l + 1]:
                    _copied(f"forward {l + 1}")
            delta_t = a_t[n_layers]
            for l in range(n_layers - 1, -1, -1):
                below = None
                if l:  # BP2's product (bind_matmul), before w^l changes: delta^(l-1), before sigma', = delta^l w^l
                    below = g_t[l - 1]
                    if gemm(1.0, weights_t[l], delta_t, 0.0, below, 0, 0, 1) is not below:
                        _copied(f"BP2, layer {l}")
                # BP4 (bind_weight_gradient): target <- alpha delta^l^T a^(l-1) + beta target
                if gemm(alpha, a_t[l], delta_t, beta, targets_t[l], 0, 1, 1) is not targets_t[l]:
                    _copied(f"BP4, layer {l + 1}")
                delta_t = below


class NumpyFloorPeer(BlasFloorPeer):
    """``BlasFloorPeer``'s work through NumPy's own BLAS: the same shuffle, gather and five
    products at the same shapes, as ``np.matmul(..., out=)`` (NumPy passes the transposed
    views to its cblas_sgemm as transposition flags, no copy).

    NumPy and SciPy each bundle an OpenBLAS (their versions may differ); scikit-learn's MLP
    calls NumPy's, bprop SciPy's, so the pair of floors shows how much of a difference
    between those two is the library's. NumPy has no gemm with alpha and beta, so this
    floor only exists for stored gradients (beta 0), the case of an optimizer like Adam.
    Two OpenBLAS pools used back to back in one process spin against each other: time it
    apart from SciPy's BLAS (another process, or a pause of a second between).
    """

    name = "floor_numpy"
    label = "BLAS calls alone (NumPy's BLAS)"

    def __init__(self, eta=0.1):
        super().__init__(eta, store_gradients=True)
        self.available, self.reason = True, ""  # needs NumPy only

    def _run(self, x, batch_size, seed, weights, targets, alpha, beta, xb, z, g):
        """The timed part: the shuffle, then per batch the gather and the five np.matmul calls
        (the grid's 784-100-10 network only)."""
        matmul = np.matmul
        (w1, w2), (gw1, gw2), (z1, z2), (g1,) = weights, targets, z, g
        w1_t, w2_t = w1.T, w2.T
        n = x.shape[0]
        order = np.random.default_rng(seed).permutation(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            m = index.shape[0]
            a0 = np.take(x, index, axis=0, out=xb[:m], mode="clip")
            a1, a2, d1 = z1[:m], z2[:m], g1[:m]
            matmul(a0, w1_t, out=a1)  # forward 1, z1 = xb w1^T
            matmul(a1, w2_t, out=a2)  # forward 2, z2 = z1 w2^T
            matmul(a2, w2, out=d1)  # BP2, g1 = z2 w2
            matmul(a2.T, a1, out=gw2)  # BP4 stored, gw2 = z2^T z1
            matmul(d1.T, a0, out=gw1)  # BP4 stored, gw1 = g1^T xb


def _copied(call):
    raise RuntimeError(f"BLAS floor: sgemm returned a copy instead of writing in place ({call})")


PEERS = {cls.name: cls for cls in (BpropPeer, TorchPeer, SklearnPeer, TextbookPeer, BlasFloorPeer)}
