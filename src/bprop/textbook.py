"""The textbook network: backpropagation one sample at a time, as the equations read.

This module is the slow, readable reference implementation of the four equations of
backpropagation (seed 001, equations (3-I) to (3-IV)) and of mini-batch stochastic
gradient descent (seed 001, equations (2-5) and (2-6)). It follows the style of
Nielsen's ``network.py``: weights of layer l are an array of shape (n_l, n_(l-1)),
biases an array of shape (n_l,), and the forward and backward passes work on one
training sample at a time, held as a column vector of shape (n, 1).

Nothing here is vectorized over the batch, on purpose. ``bench/`` times it as the
"per-sample loop" peer, and the tests use it as a second, independent implementation
that the vectorized :mod:`bprop` network must agree with.

One of bprop's three implementations of backprop (README, "Three implementations of
backprop"), side by side::

    vectorized network   bprop.network (Network.backprop_prepared), layers/, heads.py,
                         sinks.py, kernels.py: the one that trains
    textbook loop        this module: NumPy and its own activations and BP1 for each
                         output/cost pair (from bprop only fit's seed check)
    scalar graph         bprop.graph: one local rule per scalar op

Cross-checks: tests/test_textbook.py holds this loop to float64 central differences
and to the vectorized network (cost, gradients to 1e-10, one SGD step to 1e-12);
tests/graph/test_network.py holds the scalar graph to the vectorized network.

Notation (the seeds' notation)::

    z^l = w^l a^(l-1) + b^l            weighted input of layer l, shape (n_l, 1)
    a^l = sigma(z^l)                   activation of layer l, a^0 = x
    delta^l = dC/dz^l                  error of layer l, shape (n_l, 1)

    BP1  delta^L = grad_a C ⊙ sigma'(z^L)
             softmax + log-likelihood:   delta^L = a^L - y
             sigmoid + cross-entropy:    delta^L = a^L - y
             sigmoid + quadratic:        delta^L = (a^L - y) ⊙ sigma'(z^L)
             softmax + quadratic:        delta^L = J^T (a^L - y),  J = diag(a^L) - a^L (a^L)^T
    BP2  delta^l = ((w^(l+1))^T delta^(l+1)) ⊙ sigma'(z^l)
    BP3  dC/db^l = delta^l
    BP4  dC/dw^l = delta^l (a^(l-1))^T

    (2-5), (2-6)   w <- w - eta/m * sum_x dC_x/dw,   b <- b - eta/m * sum_x dC_x/db

Example::

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> weights = [rng.normal(0, 0.5, (3, 2)), rng.normal(0, 0.5, (2, 3))]
    >>> biases = [np.zeros(3), np.zeros(2)]
    >>> net = TextbookNetwork(weights, biases, hidden="relu", output="softmax",
    ...                       cost="log_likelihood")
    >>> nabla_w, nabla_b = net.backprop(np.ones((4, 2)), np.array([0, 1, 1, 0]))
    >>> [g.shape for g in nabla_w]
    [(3, 2), (2, 3)]
"""

from __future__ import annotations

import numpy as np

__all__ = ["TextbookNetwork"]


# --------------------------------------------------------------------------- #
# Activation functions and their derivatives, sigma and sigma'.                #
# --------------------------------------------------------------------------- #


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^(-z)), written to avoid overflow for large |z|."""
    return np.exp(-np.logaddexp(0, -z)).astype(z.dtype, copy=False)


def sigmoid_prime(z):
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1 - s)


def relu(z):
    """relu(z) = max(0, z)."""
    return np.maximum(z, 0)


def relu_prime(z):
    """relu'(z) = 1 where z > 0, else 0 (the derivative at 0 is taken as 0)."""
    return (z > 0).astype(z.dtype)


def tanh(z):
    """tanh(z)."""
    return np.tanh(z)


def tanh_prime(z):
    """tanh'(z) = 1 - tanh(z)^2."""
    t = np.tanh(z)
    return 1 - t * t


def softmax(z):
    """softmax(z)_j = e^(z_j) / sum_k e^(z_k), for a column vector z of shape (n, 1).

    The maximum is subtracted first; the result is the same and no exponential overflows.
    """
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


HIDDEN = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (relu, relu_prime),
    "tanh": (tanh, tanh_prime),
}
OUTPUTS = ("softmax", "sigmoid")
COSTS = ("log_likelihood", "quadratic", "cross_entropy")
PAIRS = {
    ("softmax", "log_likelihood"),
    ("softmax", "quadratic"),
    ("sigmoid", "quadratic"),
    ("sigmoid", "cross_entropy"),
}


class TextbookNetwork:
    """A fully connected network trained by per-sample backpropagation and mini-batch SGD.

    Args:
        weights: list of L arrays; ``weights[l]`` has shape (n_l, n_(l-1)).
            The arrays are copied; their dtype (e.g. float32 or float64) is kept and
            all the arithmetic happens in it.
        biases: list of L arrays; ``biases[l]`` has shape (n_l,) (or (n_l, 1)).
        hidden: activation of the hidden layers: "relu", "sigmoid" or "tanh".
        output: activation of the output layer: "softmax" or "sigmoid".
        cost: "log_likelihood" (with softmax), "cross_entropy" (with sigmoid) or
            "quadratic" (with either).

    Attributes:
        weights: list of arrays (n_l, n_(l-1)), updated in place by training.
        biases: list of arrays (n_l,), updated in place by training.
        sizes: the layer sizes [n_0, n_1, ..., n_L].

    Labels ``y`` may be given as integer class labels, shape (m,), which are turned
    into one-hot columns, or directly as targets, shape (m, n_L).
    """

    def __init__(self, weights, biases, hidden="relu", output="softmax", cost="log_likelihood"):
        if hidden not in HIDDEN:
            raise ValueError(f"unknown hidden activation {hidden!r}; valid: {sorted(HIDDEN)}")
        if output not in OUTPUTS:
            raise ValueError(f"unknown output activation {output!r}; valid: {list(OUTPUTS)}")
        if cost not in COSTS:
            raise ValueError(f"unknown cost {cost!r}; valid: {list(COSTS)}")
        if (output, cost) not in PAIRS:
            raise ValueError(
                f"output {output!r} with cost {cost!r} is not supported; "
                f"valid pairs: {sorted(PAIRS)}"
            )
        if len(weights) != len(biases) or len(weights) == 0:
            raise ValueError("weights and biases must be non-empty lists of the same length")
        self.weights = [np.array(w, copy=True) for w in weights]
        self.biases = [np.array(b, copy=True).reshape(-1) for b in biases]
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise ValueError(f"layer {l}: weights {w.shape} and biases {b.shape} do not match")
            if l > 0 and w.shape[1] != self.weights[l - 1].shape[0]:
                raise ValueError(f"layer {l}: weights {w.shape} do not follow layer {l - 1}")
        self.sizes = [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]
        self.hidden = hidden
        self.output = output
        self.cost = cost
        self.dtype = self.weights[0].dtype

    # ----------------------------------------------------------------------- #
    # Forward pass                                                             #
    # ----------------------------------------------------------------------- #

    def _activate(self, l, z):
        """a^l = sigma(z^l), with the output activation for the last layer."""
        if l < len(self.weights) - 1:
            return HIDDEN[self.hidden][0](z)
        if self.output == "softmax":
            return softmax(z)
        return sigmoid(z)

    def _target(self, y_one):
        """The target column vector y for one sample: one-hot from a label, or as given."""
        n_out = self.sizes[-1]
        y_one = np.asarray(y_one)
        if y_one.ndim == 0:
            t = np.zeros((n_out, 1), dtype=self.dtype)
            t[int(y_one), 0] = 1
            return t
        return y_one.astype(self.dtype).reshape(n_out, 1)

    def feedforward(self, x):
        """Output a^L for one sample x of shape (n_0,): z^l = w^l a^(l-1) + b^l, a^l = sigma(z^l).

        Returns a column vector of shape (n_L, 1).
        """
        a = np.asarray(x, dtype=self.dtype).reshape(-1, 1)
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = w @ a + b.reshape(-1, 1)
            a = self._activate(l, z)
        return a

    def predict(self, x):
        """Class labels argmax_j a^L_j for each row of x, shape (m, n_0) -> (m,)."""
        x = np.asarray(x)
        return np.array([int(np.argmax(self.feedforward(row))) for row in x], dtype=np.int64)

    def accuracy(self, x, y):
        """Fraction of rows of x whose predicted label equals the integer label in y."""
        return float(np.mean(self.predict(x) == np.asarray(y)))

    def sample_cost(self, x_one, y_one):
        """The cost C_x of one sample (a Python float).

        log-likelihood: C = -ln a^L_y; quadratic: C = 1/2 ||a^L - y||^2;
        cross-entropy: C = -sum_j [y_j ln a^L_j + (1 - y_j) ln(1 - a^L_j)].
        """
        a = self.feedforward(x_one)
        t = self._target(y_one)
        if self.cost == "log_likelihood":
            return float(-np.sum(t * np.log(a)))
        if self.cost == "quadratic":
            return float(0.5 * np.sum((a - t) ** 2))
        return float(-np.sum(t * np.log(a) + (1 - t) * np.log(1 - a)))

    def total_cost(self, x, y):
        """The mean cost over the batch, C = (1/m) sum_x C_x."""
        x = np.asarray(x)
        y = np.asarray(y)
        return sum(self.sample_cost(x[i], y[i]) for i in range(len(x))) / len(x)

    # ----------------------------------------------------------------------- #
    # Backward pass                                                            #
    # ----------------------------------------------------------------------- #

    def _output_delta(self, a, z, t):
        """BP1, delta^L = grad_a C ⊙ sigma'(z^L), in the form each output/cost pair takes.

        a, z, t are column vectors (n_L, 1): a^L, z^L and the target y.
        """
        if self.output == "softmax" and self.cost == "log_likelihood":
            # C = -ln a_y; dC/dz_j = a_j - y_j (the softmax Jacobian cancels the 1/a_y).
            return a - t
        if self.output == "sigmoid" and self.cost == "cross_entropy":
            # sigma'(z) = a(1 - a) cancels the denominator of dC/da = (a - y) / (a(1 - a)).
            return a - t
        if self.output == "sigmoid" and self.cost == "quadratic":
            # grad_a C = a - y, elementwise sigma'.
            return (a - t) * sigmoid_prime(z)
        # softmax + quadratic: softmax is not elementwise, so BP1 takes the full
        # Jacobian da_i/dz_j = a_i (1[i=j] - a_j) (seed 003): delta = J^T (a - y).
        g = a - t
        return a * (g - np.sum(a * g))

    def backprop_one(self, x_one, y_one):
        """Gradients of the cost C_x of ONE sample, by BP1-BP4.

        Args:
            x_one: input, shape (n_0,).
            y_one: integer label, or target vector of shape (n_L,).

        Returns:
            (nabla_w, nabla_b): lists with dC_x/dw^l, shape (n_l, n_(l-1)), and
            dC_x/db^l, shape (n_l,), for each layer l.
        """
        # Forward pass, keeping every z^l and a^l.
        activation = np.asarray(x_one, dtype=self.dtype).reshape(-1, 1)
        activations = [activation]  # a^0, a^1, ..., a^L
        zs = []  # z^1, ..., z^L
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = w @ activation + b.reshape(-1, 1)
            zs.append(z)
            activation = self._activate(l, z)
            activations.append(activation)

        nabla_w = [None] * len(self.weights)
        nabla_b = [None] * len(self.biases)

        # BP1: the output error delta^L.
        delta = self._output_delta(activations[-1], zs[-1], self._target(y_one))
        # BP3 and BP4 for the output layer.
        nabla_b[-1] = delta.reshape(-1)
        nabla_w[-1] = delta @ activations[-2].T

        # BP2 backwards through the hidden layers, then BP3 and BP4 for each.
        sigma_prime = HIDDEN[self.hidden][1]
        for l in range(2, len(self.sizes)):
            z = zs[-l]
            delta = (self.weights[-l + 1].T @ delta) * sigma_prime(z)  # BP2
            nabla_b[-l] = delta.reshape(-1)  # BP3: dC/db^l = delta^l
            nabla_w[-l] = delta @ activations[-l - 1].T  # BP4: dC/dw^l = delta^l (a^(l-1))^T
        return nabla_w, nabla_b

    def _summed_gradients(self, x, y):
        """Sum over the batch of the per-sample gradients (the sums in (2-5) and (2-6))."""
        sum_w = [np.zeros_like(w) for w in self.weights]
        sum_b = [np.zeros_like(b) for b in self.biases]
        for i in range(len(x)):
            delta_w, delta_b = self.backprop_one(x[i], y[i])
            for l in range(len(sum_w)):
                sum_w[l] += delta_w[l]
                sum_b[l] += delta_b[l]
        return sum_w, sum_b

    def backprop(self, x, y):
        """Batch-MEAN gradients of the cost, (1/m) sum_x dC_x/dw^l and (1/m) sum_x dC_x/db^l.

        Each sample goes through :meth:`backprop_one` on its own; the gradients are summed
        and divided by the batch size m.

        Args:
            x: inputs, shape (m, n_0) (or one sample, shape (n_0,)).
            y: integer labels, shape (m,), or targets, shape (m, n_L).

        Returns:
            (nabla_w, nabla_b): lists of arrays shaped like ``weights`` and ``biases``.
        """
        x = np.asarray(x)
        y = np.asarray(y)
        if x.ndim == 1:  # one sample given on its own
            x = x[np.newaxis, :]
            y = y[np.newaxis, ...]
        if len(x) == 0 or len(x) != len(y):
            raise ValueError(f"x and y must hold the same, non-zero number of samples: {len(x)}, {len(y)}")
        sum_w, sum_b = self._summed_gradients(x, y)
        m = len(x)
        return [g / m for g in sum_w], [g / m for g in sum_b]

    # ----------------------------------------------------------------------- #
    # Training: mini-batch stochastic gradient descent                         #
    # ----------------------------------------------------------------------- #

    def update_mini_batch(self, x, y, eta):
        """One SGD step on one mini-batch of m samples, equations (2-5) and (2-6):

        w^l <- w^l - (eta/m) sum_x dC_x/dw^l,   b^l <- b^l - (eta/m) sum_x dC_x/db^l.
        """
        sum_w, sum_b = self._summed_gradients(x, y)
        step = self.dtype.type(eta / len(x))
        for l in range(len(self.weights)):
            self.weights[l] -= step * sum_w[l]
            self.biases[l] -= step * sum_b[l]

    def sgd_epoch(self, x, y, batch_size, eta, rng=None):
        """One epoch: shuffle the samples, cut them into mini-batches, one SGD step per batch.

        Args:
            x: inputs, shape (n, n_0).
            y: integer labels (n,) or targets (n, n_L).
            batch_size: samples per mini-batch m (the last batch may be smaller).
            eta: learning rate.
            rng: a ``numpy.random.Generator`` (or a seed) for the shuffle.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if eta <= 0:
            raise ValueError(f"eta must be > 0, got {eta}")
        x = np.asarray(x)
        y = np.asarray(y)
        rng = np.random.default_rng(rng)
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            self.update_mini_batch(x[batch], y[batch], eta)

    def fit(self, x, y, epochs=1, batch_size=10, eta=0.1, seed=0, verbose=False):
        """Train for ``epochs`` epochs of mini-batch SGD; returns ``self``.

        A fresh shuffle is drawn each epoch from ``numpy.random.default_rng(seed)``.
        With ``verbose`` the mean cost over the training data is printed after each epoch
        (slow: it is another per-sample pass).
        """
        from .validation import seed_value

        rng = np.random.default_rng(seed_value(seed))
        for epoch in range(epochs):
            self.sgd_epoch(x, y, batch_size, eta, rng)
            if verbose:
                print(f"epoch {epoch + 1}/{epochs}: cost {self.total_cost(x, y):.4f}")
        return self
