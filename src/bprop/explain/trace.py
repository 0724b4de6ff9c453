"""The numbers of one training step, computed by the network's own code.

``trace_step(net, x, y, eta)`` runs ONE mini-batch SGD step on a copy of ``net``
and keeps every intermediate array, layer by layer, in the seeds' notation:

    forward   z^l = w^l a^(l-1) + b^l,  a^l = sigma(z^l)     Dense.forward (its cache)
    cost      C = (1/m) Σ_x C_x                               Cost.value
    BP1       delta^L = ∂C/∂z^L                                heads.OutputHead.delta
    BP2       delta^l = ((w^(l+1))^T delta^(l+1)) ⊙ sigma'(z^l)  Dense.backward_delta + Dense.backward
    BP3, BP4  ∂C/∂b^l = Σ_x delta^l,  ∂C/∂w^l = delta^l (a^(l-1))^T   Dense.backward_delta -> sink
    update    w <- w - eta ∂C/∂w  (b too, unless fixed)        optimizers.SGD.step

Nothing here re-derives a gradient: the step is the network's own
``Network.backprop_prepared`` with ``sinks.StoreGradients``, and the arrays are
read afterwards from each layer's last pass (``Dense.cache``, ``delta``,
``input_gradient``, ``grads``).
The only extra calls are to the same objects for display: ``Cost.gradient``
(∂C/∂a^L), ``Activation.derivative`` (sigma'(z)), and, for softmax, its
``backward`` applied to unit vectors, which gives the columns of its Jacobian.

Arrays keep the network's batch layout: one sample per row, (m, n_l). Deltas
and ∂C/∂a are those of the batch-mean cost, so they carry its 1/m.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import costs
from ..activations import Activation
from ..costs import Cost
from ..layers import Dense
from ..optimizers.sgd import SGD
from ..sinks import StoreGradients

#: Largest network a trace explains: neurons per layer, all neurons, samples.
MAX_LAYER_SIZE = 32
MAX_NEURONS = 64
MAX_BATCH = 16


@dataclass
class LayerStep:
    """Everything one weight layer l (1-based) did during the step.

    Shapes: a_prev (m, n_(l-1)); z, a, grad_a, delta, sigma_prime (m, n_l);
    weights, grad_weights, new_weights (n_l, n_(l-1)); biases, grad_biases,
    new_biases (n_l,); jacobian (m, n_l, n_l) for softmax, jacobian[x, i, j] =
    ∂a_j/∂z_i of sample x.
    """

    index: int
    activation: Activation
    weights: np.ndarray
    biases: np.ndarray
    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    #: ∂C/∂a^l: Cost.gradient for the output layer, Δ^(l+1) w^(l+1) below it.
    grad_a: np.ndarray | None = None
    delta: np.ndarray | None = None
    #: "fused" (a - y), "elementwise" (∂C/∂a ⊙ sigma'(z)) or "jacobian" (softmax).
    delta_rule: str = ""
    sigma_prime: np.ndarray | None = None
    jacobian: np.ndarray | None = None
    grad_weights: np.ndarray | None = None
    grad_biases: np.ndarray | None = None
    new_weights: np.ndarray | None = None
    new_biases: np.ndarray | None = None
    train_biases: bool = True

    @property
    def n_in(self) -> int:
        return self.weights.shape[1]

    @property
    def n_out(self) -> int:
        return self.weights.shape[0]


@dataclass
class StepTrace:
    """One SGD step: inputs, targets, the layers' records, the cost before and after.

    ``layers[l - 1]`` is weight layer l. ``sample_costs[x]`` is C_x and
    ``neuron_costs[x, j]`` the term of output neuron j in C_x (for the costs
    that sum over output neurons, all of bprop's).
    """

    x: np.ndarray
    targets: np.ndarray
    eta: float
    cost: Cost
    cost_value: float
    sample_costs: np.ndarray
    neuron_costs: np.ndarray
    cost_after: float
    layers: list[LayerStep] = field(default_factory=list)
    title: str = ""
    note: str = ""
    #: Other names of symbols, printed beside them: {"w^2_11": "w5"}.
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def batch_size(self) -> int:
        return self.x.shape[0]

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def output(self) -> LayerStep:
        return self.layers[-1]


def check_size(net, batch_size: int = 1) -> None:
    """Raise ValueError when ``net`` (or the batch) is too big to explain line by line."""
    sizes = net.sizes
    biggest = max(sizes)
    if biggest > MAX_LAYER_SIZE or sum(sizes) > MAX_NEURONS:
        raise ValueError(
            f"network {sizes} is too big to explain step by step (at most {MAX_LAYER_SIZE} neurons "
            f"per layer and {MAX_NEURONS} in all); use 'bprop gradcheck' or 'bprop summary' for big networks"
        )
    if batch_size > MAX_BATCH:
        raise ValueError(f"a batch of {batch_size} samples is too big to explain; use at most {MAX_BATCH}")


def trace_step(net, x, y, eta: float = 0.5, *, title: str = "", note: str = "", aliases=None) -> StepTrace:
    """Run one SGD step of ``net`` on the batch (x, y) and record every number.

    ``net`` itself is left unchanged: the step runs on ``net.copy()``.

    Args:
        net: a ``Network`` made of ``Dense`` layers, at most a few dozen neurons.
        x: inputs (m, n_0) (a 1-D array is one sample).
        y: targets (m, n_L) or class indices (m,).
        eta: learning rate of the update w <- w - eta ∂C/∂w.
        title, note: printed at the top of the trace.
        aliases: other names printed beside symbols, e.g. {"w^2_11": "w5"}.
    Returns:
        a ``StepTrace``.
    """
    from ..validation import positive_float

    eta = positive_float("eta", eta)
    if not all(isinstance(layer, Dense) for layer in net.layers):
        kinds = sorted({type(layer).__name__ for layer in net.layers if not isinstance(layer, Dense)})
        raise ValueError(f"explain traces networks of Dense layers only; this one also has {', '.join(kinds)}")
    x = np.asarray(x)
    if x.ndim == 1:
        x = x.reshape(1, -1)
        y_array = np.asarray(y)
        if y_array.ndim == 1 and y_array.size == net.n_outputs and net.n_outputs > 1:
            y = y_array.reshape(1, -1)
    check_size(net, x.shape[0])
    work = net.copy()
    x, targets, _ = work.prepare(x, y)
    layers: list[Dense] = work.layers

    # The network's own backward pass (Network.backprop_prepared: forward, BP1 from the head,
    # BP2 down the stack), storing every gradient; then each layer's arrays are read from it.
    work.backprop_prepared(x, targets, StoreGradients())
    cost, head = work.cost, work.head
    records = []
    for index, layer in enumerate(layers, start=1):
        a_prev, z, a = layer.cache
        above = layers[index] if index < len(layers) else None
        records.append(LayerStep(
            index=index, activation=layer.activation,
            weights=layer.weights.copy(), biases=layer.biases.copy(),
            a_prev=a_prev.copy(), z=z.copy(), a=np.array(a), train_biases=layer.train_biases,
            # dC/da^l: BP2's product Δ^(l+1) w^(l+1), computed by the layer above
            grad_a=None if above is None else above.input_gradient.copy(),
            delta=layer.delta.copy(),
            grad_weights=layer.grads["weights"].copy(), grad_biases=layer.grads["biases"].copy(),
        ))
        if layer.activation.elementwise:
            records[-1].sigma_prime = layer.activation.derivative(z, a)
            records[-1].delta_rule = "elementwise"

    out = records[-1]
    # Costs from the logits z^L through the network's head: exact at any saturation.
    neuron_costs = head.terms(out.z, targets).astype(np.float64)
    sample_costs = neuron_costs.sum(axis=1)
    cost_value = float(sample_costs.mean())
    # BP1 came from the head (OutputHead.delta); dC/da^L and sigma'(z^L) are shown beside it.
    out.grad_a = cost.gradient(out.a, targets)
    if head.fused:
        out.delta_rule = "fused"
    elif not out.activation.elementwise:
        out.delta_rule = "jacobian"
        out.jacobian = _jacobian(out.activation, out.z, out.a)

    # Update: the network's own SGD on its own (parameter, gradient) pairs.
    SGD(eta=eta).step(work.trainable_parameters())
    for record, layer in zip(records, layers):
        record.new_weights = layer.weights.copy()
        record.new_biases = layer.biases.copy()
    work.clear_caches()
    cost_after = head.value(work.forward_logits(x), targets)

    extras = preprocessing_notes(net)
    if net.regularizer is not None:
        extras.append(regularizer_note(net.regularizer))
    note = " ".join([note, *extras]).strip()
    return StepTrace(
        x=x, targets=targets, eta=eta, cost=cost, cost_value=cost_value,
        sample_costs=sample_costs, neuron_costs=neuron_costs, cost_after=cost_after,
        layers=records, title=title, note=note, aliases=dict(aliases or {}),
    )


def regularizer_note(reg, owner: str = "This network") -> str:
    """What a trace of the data cost C_0 leaves out of a regularized network's step (seed 002)."""
    n = getattr(reg, "n", None)
    return (f"{owner} has an {reg.name.upper()} regularizer (lambda = {reg.lmbda:g}"
            f"{'' if n is None else f', n = {n:g}'}): the step shown is that of the data cost C_0 only; training "
            f"adds the penalty's gradient ({'(lambda/n) w' if reg.name == 'l2' else '(lambda/n) sgn(w)'}) to every "
            f"∂C/∂w, and its term to C.")


def preprocessing_notes(net) -> list[str]:
    """Say that the x and y of the trace are the network's preprocessed inputs and targets.

    ``trace_step`` runs the network's own ``prepare``, so a^0 is x after ``net.preprocessing`` and
    the targets are y after ``net.target_preprocessing``: not the numbers the caller gave.
    """
    notes = []
    if net.preprocessing is not None:
        notes.append(f"This network preprocesses its inputs ({net.preprocessing!r}): a^0 = x below is the input "
                     "after it, what layer 1 receives, not the x given.")
    target = net.target_preprocessing
    if target is not None:
        mean = ", ".join(repr(float(v)) for v in np.ravel(target.mean))
        std = ", ".join(repr(float(v)) for v in np.ravel(target.std))
        notes.append(f"This network standardizes its targets: the y below is (y - mean) / std of the y given "
                     f"(mean {mean}, std {std}), what the output layer is trained towards.")
    return notes


def _jacobian(activation: Activation, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(m, n, n) with [x, i, j] = ∂a_j/∂z_i, from the activation's own backward pass.

    backward(z, a, g) returns J^T g, so g = e_j (the j-th unit vector) gives ∂a_j/∂z_i for every i.
    """
    m, n = a.shape
    jacobian = np.empty((m, n, n), dtype=a.dtype)
    for j in range(n):
        unit = np.zeros_like(a)
        unit[:, j] = 1
        jacobian[:, :, j] = activation.backward(z, a, unit)
    return jacobian
