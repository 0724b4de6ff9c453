"""The output head: the output activation sigma^L and the cost C as one unit that owns BP1.

BP1 is delta^L = grad_a C ⊙ sigma'(z^L) (seed 001). Evaluated as written, with a^L
rounded to 1 or 0 in floating point, it divides by a saturated a(1 - a) or takes
ln 0: the float32 softmax + cross-entropy pair once gave dC/dz = -1.75e29 where the
exact value is -2. The head instead computes everything with a logarithm from the
logits z^L, in log space:

    sigmoid:  ln a = -softplus(-z),  ln(1 - a) = -softplus(z)        softplus(t) = ln(1 + e^t)
    softmax:  ln a_j = z_j - lse(z),  ln(1 - a_j) = lse_(k≠j)(z_k) - lse(z)

and writes every difference that saturates without cancellation. With p = a and
q = 1 - a (each exact where it is small), a target y in [0, 1] gives

    a - y = (1 - y) p - y q                                (a product of non-negatives each)

so each cost value and each delta below is exact at any saturation, in float32 as in
float64, to a few units of rounding relative to the largest entry of its row (an entry
far below that, e.g. e^-300 beside 0.5, may carry an absolute error of a rounding unit
of the row; ``tests/heads`` checks against a 450-digit reference at logit gaps 0 to
400). Everything but the one-hot training BP1 runs in float64 whatever the network's
dtype, so float32 logits near 1e38 or gaps of 1000 lose nothing to float32 arithmetic:

    pair                           C_x                                 delta^L (before the 1/m)
    softmax + log_likelihood       -Σ_j y_j ln a_j                     a_i Σ_(k≠i) y_k - y_i q_i   (= a - y, seed 002)
    sigmoid + cross_entropy        -Σ_j [y ln a + (1-y) ln(1-a)]_j     (1 - y) p - y q            (= a - y)
    softmax + cross_entropy        as above, softmax a                 full Jacobian, in log space (``_softmax_cross_entropy_delta``)
    softmax + quadratic (seed 003) ½ ||a - y||²                        a_i Σ_(j≠i) a_j (d_i - d_j),  d = a - y
    sigmoid + quadratic            ½ ||a - y||²                        d p q                      (sigma' = p q)
    tanh + quadratic               ½ ||a - y||²                        d · 4 p q,  p = sigma(2z)  (tanh' = 4 sigma(2z) sigma(-2z))
    identity/relu/leaky_relu + quadratic   ½ ||a - y||²                d ⊙ sigma'(z)

The two fused pairs keep seed 002's delta^L = a^L - y. Pairs that mean nothing are
refused when the network is built (``OutputHead`` raises ValueError saying why and
what to use instead): a softmax over one neuron (its output is the constant 1),
the log-likelihood after anything but a softmax over several neurons, and a cost
with a logarithm after an activation whose outputs leave (0, 1).

Shapes: z, a, y and delta are (m, n_L), one sample per row; per-sample costs (m,).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from . import kernels
from .activations import Activation, Sigmoid, Softmax, Tanh
from .costs import Cost, CrossEntropy, LogLikelihood, Quadratic

#: Largest number of (row, i, j) entries an O(n^2) softmax formula holds at once.
PAIRWISE_CHUNK = 1 << 20


class OutputHead:
    """The output activation and the cost of a network, validated as a pair; owns BP1.

    Args:
        activation: the output layer's ``Activation``.
        cost: the ``Cost``.
        n_outputs: n_L, the number of output neurons.

    Raises:
        ValueError: for a pair that means nothing (see the module docstring).

    Attributes:
        activation, cost, n_outputs.
        fused: True for softmax + log-likelihood and sigmoid + cross-entropy, whose
            delta^L is a^L - y (seed 002).
        bounded: the outputs lie in (0, 1) (sigmoid, softmax).
    """

    def __init__(self, activation: Activation, cost: Cost, n_outputs: int):
        self.activation = activation
        self.cost = cost
        self.n_outputs = int(n_outputs)
        check_pair(activation, cost, self.n_outputs)
        self.fused = cost.fused_with(activation)
        self.bounded = isinstance(activation, (Sigmoid, Softmax))
        #: ``losses_at_labels`` reads one-hot targets' cost from the labels (softmax + log-likelihood).
        self.scores_from_labels = isinstance(cost, LogLikelihood) and isinstance(activation, Softmax)

    def __repr__(self) -> str:
        return f"OutputHead({self.activation.name!r}, {self.cost.name!r}, n_outputs={self.n_outputs})"

    # -- the pieces in log space -------------------------------------------------

    def log_pq(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ln a, ln(1 - a)) of a sigmoid or softmax output, (m, n_L) each, from z alone."""
        if isinstance(self.activation, Softmax):
            return softmax_log_pq(z)
        if isinstance(self.activation, Sigmoid):
            return -np.logaddexp(0, -z), -np.logaddexp(0, z)
        raise TypeError(f"{self.activation.name} outputs are not probabilities")

    def outputs(self, z: np.ndarray) -> np.ndarray:
        """a^L = sigma(z^L), (m, n_L) (a fresh array)."""
        return self.activation.forward(np.array(z, copy=True))

    def pq(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(a, 1 - a) of a sigmoid or softmax output, (m, n_L) each, from z alone, each to a few
        roundings relative however small: sigmoid(z) and sigmoid(-z) (SciPy's expit), the
        exponentials of ``softmax_log_pq``."""
        if isinstance(self.activation, Sigmoid):
            return expit(z), expit(-z)
        log_p, log_q = self.log_pq(z)
        return np.exp(log_p), np.exp(log_q)

    def difference(self, z: np.ndarray, y: np.ndarray, a: np.ndarray | None = None) -> np.ndarray:
        """d = a^L - y, (m, n_L), without the cancellation of a rounded a^L near y.

        For sigmoid and softmax outputs with y in [0, 1]: (1 - y) p - y q with p = a,
        q = 1 - a (``pq``); for tanh with y in [-1, 1]: (1 - y) p - (1 + y) q
        with p = sigma(2z), q = sigma(-2z) (tanh z = p - q); elsewhere a - y.
        """
        if self.bounded:
            p, q = self.pq(z)
            return bounded_difference(p, q, y, lambda: (self.outputs(z) if a is None else a) - y)
        if a is None:
            a = self.outputs(z)
        plain = a - y
        if isinstance(self.activation, Tanh):
            p, q = expit(2 * z), expit(-2 * z)
            exact = (1 - y) * p - (1 + y) * q
            return np.where(np.abs(y) <= 1, exact, plain)
        return plain

    # -- the cost ----------------------------------------------------------------

    def terms(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each output neuron's part of C_x, (m, n_L), float64, from the logits z^L:
        ½ (a_j - y_j)², -y_j ln a_j, or -[y_j ln a_j + (1 - y_j) ln(1 - a_j)].

        Computed in float64 whatever z's dtype (z - max z of float32 logits near 1e38 would
        overflow in float32, and a float32 ln a_j of -1000 carries an error of 6e-5); a zero
        target weight times ln 0 counts 0."""
        z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
        cost = self.cost
        if isinstance(cost, Quadratic):
            d = self.difference(z, y)
            return 0.5 * d * d
        log_p, log_q = self.log_pq(z)
        if isinstance(cost, LogLikelihood):
            return -_weighted(y, log_p)
        if isinstance(cost, CrossEntropy):
            return -(_weighted(y, log_p) + _weighted(1 - y, log_q))
        raise TypeError(f"no head formula for the {cost.name} cost")

    def losses(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """C_x of every sample, (m,), float64, from the logits z^L (m, n_L)."""
        return self.terms(z, y).sum(axis=1)

    def value(self, z: np.ndarray, y: np.ndarray) -> float:
        """The batch-mean cost C = (1/m) Σ_x C_x (seed 001), summed in float64."""
        return float(self.losses(z, y).sum(dtype=np.float64)) / z.shape[0]

    def losses_at_labels(self, z: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
        """C_x of every sample (m,), in z's dtype, when every target is the one-hot row of its
        label (m,), or None when this head has no shortcut: softmax + log-likelihood gives
        C_x = lse(z) - z_label."""
        if not self.scores_from_labels:
            return None
        return softmax_nll_at_labels(z, labels)

    # -- BP1 ---------------------------------------------------------------------

    def delta(self, z: np.ndarray, a: np.ndarray, y: np.ndarray, out: np.ndarray | None = None,
              target_index: np.ndarray | None = None, row_weights: np.ndarray | None = None) -> np.ndarray:
        """BP1: delta^L = ∂C/∂z^L of the batch-mean cost, (m, n_L), into ``out`` when given.

        Args:
            z, a: z^L and a^L = sigma(z^L) of the batch, (m, n_L).
            y: the targets, (m, n_L).
            target_index: for the softmax + log-likelihood pair with one-hot targets only:
                the flat index i n_L + label_i of each row's 1 in an (m, n_L) array, (m,).
                BP1 is then a^L - y with the target entry written as -Σ_(k≠label) a_k
                (exactly 1 - a_label, where a rounded a_label gives 0), without reading y.
            row_weights: for the weighted mean cost C = Σ_x w_x C_x / Σ_x w_x, each row's
                factor (``weights.row_weights``: w_x / Σ_x w_x on a full batch, w_x / (m w̄)
                on a mini-batch), (m,) of z's dtype: row x's ∂C_x/∂z^L is scaled by it
                instead of by 1/m (None: the plain mean, every w_x = 1).
        """
        dtype = z.dtype
        m = dtype.type(z.shape[0])
        if target_index is not None:  # the training hot path: sums of outputs, no logarithm
            scale = None if row_weights is None else row_weights[:, None]
            return one_hot_log_likelihood_delta(a, target_index, m, out, scale)
        # Every other pair in float64 (see ``terms``), a^L recomputed from z^L at that precision.
        z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
        cost, act = self.cost, self.activation
        if isinstance(cost, Quadratic) and isinstance(act, Sigmoid):  # seed 001's pair: d p q, p = a, q = 1 - a
            p, q = self.pq(z)
            result = bounded_difference(p, q, y, lambda: p - y)  # (sigmoid: a is p itself)
            result *= p
            result *= q
        elif isinstance(cost, LogLikelihood):  # with a softmax (check_pair)
            log_p, log_q = softmax_log_pq(z)
            others = y.sum(axis=1)[:, None] - y  # Σ_(k≠i) y_k
            result = np.exp(log_p) * others - y * np.exp(log_q)
        elif isinstance(cost, CrossEntropy) and isinstance(act, Softmax):
            result = softmax_cross_entropy_delta(z, y)
        elif isinstance(cost, CrossEntropy):  # sigmoid: fused, a - y
            result = self.difference(z, y)
        else:  # the quadratic cost: d = a - y through sigma'(z)
            a = self.outputs(z)
            d = self.difference(z, y, a)
            if isinstance(act, Softmax):
                result = softmax_quadratic_delta(np.exp(softmax_log_pq(z)[0]), d)
            elif isinstance(act, Tanh):
                result = d * (4 * expit(2 * z) * expit(-2 * z))
            else:
                result = act.backward(z, a, d)
        # Rounded to the network's dtype, then the 1/m (or the row weights) in that dtype.
        if out is None:
            out = result.astype(dtype)
        else:
            np.copyto(out, result, casting="same_kind")
        if row_weights is None:
            out /= m
        else:
            out *= row_weights[:, None]
        return out


# -- the formulas, one function each ---------------------------------------------------


def check_pair(activation: Activation, cost: Cost, n_outputs: int) -> None:
    """Raise ValueError when the output activation and the cost make no sense together."""
    if isinstance(activation, Softmax) and n_outputs < 2:
        raise ValueError(
            "a softmax over one output neuron is the constant 1 (its gradient is 0): use 2 or more "
            "outputs, or one sigmoid output with the cross_entropy cost for a binary problem"
        )
    if isinstance(cost, LogLikelihood) and not isinstance(activation, Softmax):
        if isinstance(activation, Sigmoid):
            raise ValueError(
                "the log_likelihood cost -Σ y_j ln a_j needs outputs that compete (a softmax); "
                "independent sigmoid outputs never learn which are 0 with it: use cross_entropy with "
                "sigmoid outputs, or a softmax output with log_likelihood"
            )
        raise ValueError(
            f"the log_likelihood cost takes ln(a), so the output activation must be a softmax; "
            f"got {activation.name!r}"
        )
    if cost.needs_probabilities:
        low, high = activation.output_range
        if low < 0 or high > 1:
            raise ValueError(
                f"the {cost.name} cost takes ln(a) and ln(1 - a), so the output activation must give "
                f"values in (0, 1) (sigmoid or softmax); got {activation.name!r}: use the quadratic cost "
                f"with it, or a sigmoid/softmax output"
            )


def bounded_difference(p: np.ndarray, q: np.ndarray, y: np.ndarray, plain) -> np.ndarray:
    """a - y for outputs a = p in (0, 1) with q = 1 - a, (m, n): (1 - y) p - y q, a sum of
    products of non-negatives for every target y in [0, 1], so exact however near 0 or 1 a
    is; ``plain()`` gives the rows' a - y, taken where a target lies outside [0, 1]."""
    exact = 1 - y
    # y (1 - y) >= 0 exactly when 0 <= y <= 1 (a NaN fails it): one product and one
    # minimum check the range, a third of the time of (y >= 0) & (y <= 1) and all().
    in_range = exact * y
    exact *= p
    exact -= y * q
    if y.size == 0 or in_range.min() >= 0:
        return exact
    return np.where(in_range >= 0, exact, plain())


def _weighted(weight: np.ndarray, log_value: np.ndarray) -> np.ndarray:
    """weight * log_value with 0 where the weight is 0 (0 ln 0 = 0, as in the cost's limit)."""
    with np.errstate(invalid="ignore"):
        return np.where(weight != 0, weight * log_value, 0.0)


def softmax_log_pq(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ln a, ln(1 - a)) of a = softmax(z), (m, n) each, in log space.

    With t the row's largest z and s = Σ_(k≠t) e^(z_k - z_t): lse(z) = z_t + log1p(s)
    (log1p keeps s < eps), ln a_j = z_j - lse(z). ln(1 - a_j) = log1p(-a_j) is exact where
    a_j <= 1/2, which holds for every j but t; there 1 - a_t = Σ_(k≠t) a_k and its
    logarithm is lse_(k≠t)(z_k) - lse(z), taken around the second largest z (s may underflow).
    """
    rows = np.arange(z.shape[0])
    top = np.argmax(z, axis=1)
    shifted = z - z[rows, top][:, None]
    others = np.exp(shifted)
    others[rows, top] = 0
    log_total = np.log1p(others.sum(axis=1))  # lse(z) - z_t
    log_p = shifted - log_total[:, None]
    with np.errstate(divide="ignore"):
        log_q = np.log1p(-np.exp(log_p))
        rest = shifted.copy()
        rest[rows, top] = -np.inf
        second = rest.max(axis=1)
        finite = np.isfinite(second)[:, None]  # all others -inf (|z| near the float limit): ln 0
        spread = np.where(finite, rest - np.where(finite, second[:, None], 0), -np.inf)
        log_others = second + np.log(np.exp(spread).sum(axis=1))
    log_q[rows, top] = log_others - log_total
    return log_p, log_q


def softmax_nll_at_labels(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """-ln softmax(z_x)_label = lse(z_x) - z_label of every row x of z (m, n): (m,), in z's dtype.

    lse(z) = max z + log1p(s) with s = Σ over all but one maximal entry of e^(z_k - max z)
    (s < eps survives, as it must for a right and confident answer). Computed on the
    transpose (n, m), where the reductions over the classes are vectorized over the
    samples (as in ``Softmax.forward_columns``): a 4096 x 10 block costs ~0.2 ms, not the
    ~1 ms of row-wise reductions.
    """
    columns = np.array(z.T, order="C")  # a copy always (a (1, n) z has a contiguous transpose)
    top = np.maximum.reduce(columns, axis=0)
    at_label = z[np.arange(z.shape[0]), labels]
    columns -= top
    np.exp(columns, out=columns)
    maximal = columns == 1  # e^0; ties and entries within rounding of the maximum
    columns[maximal] = 0
    others = np.add.reduce(columns, axis=0)
    others += np.add.reduce(maximal, axis=0) - 1  # all maximal entries but one count 1 each
    return np.log1p(others) + (top - at_label)


def one_hot_log_likelihood_delta(a: np.ndarray, target_index: np.ndarray, m, out=None, scale=None) -> np.ndarray:
    """(a - y) / m for one-hot y given by ``target_index`` (flat indices of the 1s in a C-ordered
    (m, n) array), with the target entries -Σ_(k≠label) a_k / m: the sum of the other outputs,
    never 1 - a_label. Five NumPy calls, about 2 us at batch 10. ``scale``: row factors (m, 1)
    (w_x / Σ w, ``OutputHead.delta``) in place of 1/m."""
    if out is None:
        out = np.empty(a.shape, dtype=a.dtype)  # C order: target_index counts in it
    delta = np.multiply(a, 1 / m if scale is None else scale, out=out)
    flat = delta.reshape(-1)  # a view of the C-ordered buffer
    flat[target_index] = 0
    others = kernels.row_sum(delta)  # Σ_(k≠label) a_k / m, a sum of non-negatives (one gemv when m is large)
    flat[target_index] = np.negative(others, out=others)
    return delta


def softmax_cross_entropy_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂C_x/∂z of the binary cross-entropy on softmax outputs, (m, n), without the 1/m.

    Through the softmax Jacobian, with p = a, q = 1 - a and the odds r_j = p_j / q_j:

        ∂C_x/∂z_i = p_i Σ_(j≠i) y_j + p_i (1 - y_i) - y_i q_i - Σ_(j≠i) (1 - y_j) p_i r_j

    Every term is a product of non-negatives; p_i r_j <= p_j <= 1 for j ≠ i, and it is
    taken as exp(ln p_i + ln p_j - ln q_j), so nothing overflows where r_j does.
    """
    log_p, log_q = softmax_log_pq(z)
    p, q = np.exp(log_p), np.exp(log_q)
    others_y = y.sum(axis=1, dtype=np.float64)[:, None] - y
    result = p * others_y + p * (1 - y) - y * q
    log_odds = log_p - log_q
    n = z.shape[1]
    chunk = max(1, PAIRWISE_CHUNK // (n * n))
    for start in range(0, z.shape[0], chunk):
        rows = slice(start, start + chunk)
        pairs = log_p[rows, :, None] + log_odds[rows, None, :]  # (rows, i, j): ln(p_i r_j)
        pairs[:, np.arange(n), np.arange(n)] = -np.inf  # j ≠ i
        result[rows] -= np.einsum("rij,rj->ri", np.exp(pairs), 1 - y[rows])
    return result


def softmax_quadratic_delta(p: np.ndarray, d: np.ndarray) -> np.ndarray:
    """∂C_x/∂z of ½||a - y||² on softmax outputs (seed 003's full Jacobian), (m, n), no 1/m.

    J^T d = a ⊙ (d - <d, a>) rewritten with Σ_j a_j = 1 as a_i Σ_(j≠i) a_j (d_i - d_j): no
    cancellation against the 1 that a rounded Σ a would need. d = a - y from ``difference``.
    """
    n = p.shape[1]
    result = np.empty_like(p)
    chunk = max(1, PAIRWISE_CHUNK // (n * n))
    for start in range(0, p.shape[0], chunk):
        rows = slice(start, start + chunk)
        gaps = d[rows, :, None] - d[rows, None, :]  # (rows, i, j): d_i - d_j (0 on the diagonal)
        result[rows] = p[rows] * np.einsum("rij,rj->ri", gaps, p[rows])
    return result


#: The hidden activation every network built from layer sizes gets unless told otherwise.
DEFAULT_HIDDEN = "relu"


def default_pair(n_outputs: int, output=None, cost=None) -> tuple:
    """The output activation and cost a network of n_outputs gets for what is not given:
    a softmax with the log-likelihood over 2+ outputs, one sigmoid with the cross-entropy;
    a cost follows a given output (log_likelihood for softmax, cross_entropy for sigmoid,
    quadratic otherwise). Every command and ``Network`` use this one rule."""
    if output is None:
        output = "softmax" if n_outputs > 1 else "sigmoid"
    if cost is None:
        name = output if isinstance(output, str) else getattr(output, "name", "")
        cost = {"softmax": "log_likelihood", "sigmoid": "cross_entropy"}.get(name, "quadratic")
    return output, cost
