"""A small network and its cost as a scalar computational graph: backprop a second way.

``network_graph(net, x, y)`` rebuilds the forward pass of ``net`` on a sample
(or a small batch) out of ``Value`` operations only, one scalar at a time:

    z^l_j = Σ_k w^l_jk a^(l-1)_k + b^l_j        (a chain of × and + nodes)
    a^l_j = σ(z^l_j)                            (an activation built from primitives)
    C     = (1/m) Σ_x C_x                       (the batch-mean cost, from primitives)

Calling ``graph.cost.backward()`` then runs the graph's own backward pass (one
local-derivative rule per primitive, ops.py), which knows nothing of BP1-BP4,
of ``Activation.backward`` or of the fused output/cost pairs. Its gradients must
equal ``net.backprop(x, y)``: two independent implementations of the same math
(STYLE.md, principle 8). Activations are built so that no derivative is shared
with the network code:

    sigmoid, tanh, relu   the graph's own σ, tanh and ReLU nodes
    leaky_relu            slope · z + (1 − slope) · relu(z): slope for z ≤ 0, as the
                          network's derivative ("1 if z > 0 else slope"); the form
                          relu(z) − slope · relu(−z) would give 0 at z = 0, outside
                          leaky ReLU's subgradients [slope, 1]
    identity              a = z (no node)
    softmax               e_j = exp(z_j),  S = e_1 + ... + e_n,  a_j = e_j / S
                          (so the full softmax Jacobian comes from exp, + and ÷ alone)

and the costs, per sample x, are

    quadratic        C_x = Σ_j ½ (a_j − y_j)²
    cross_entropy    C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]
    log_likelihood   C_x = −Σ_j y_j ln a_j

A term whose constant factor is exactly 0 (y_j = 0 in y_j ln a_j, or y_j = 1 in
(1 − y_j) ln(1 − a_j)) is left out: it adds 0 to the cost and 0 to every
gradient, and a one-hot target then gives the familiar C_x = −ln a_y. With a
regularizer the penalty (λ/2n) Σ w² (L2) or (λ/n) Σ |w| (L1, |w| = relu(w) +
relu(−w)) is added, as ``net.total_cost`` does.

Labels follow the seeds' notation with the layer first and 1-based indices:

    w2_13   w^2_13: weight into neuron 1 of layer 2 from neuron 3 of layer 1
            (a comma separates j and k when either has two digits: w1_12,3)
    b1_2    b^1_2: bias of neuron 2 of layer 1
    z1_2, a1_2    weighted input and activation of that neuron
    x1, y2  input 1 and target 2 (constants: their gradients are computed but unused)
    C_2     the cost term of output neuron 2;  C  the cost
    [s]     appended to every per-sample label when the batch has more than one
            sample, s = 1..m: z1_2[3] is z^1_2 for the third sample

Example:
    >>> from bprop import Network
    >>> from bprop.graph.network import network_graph
    >>> net = Network([2, 2, 1], hidden="tanh", output="sigmoid", cost="cross_entropy", seed=0)
    >>> graph = network_graph(net, [[0.5, -1.0]], [1])
    >>> grads = graph.backward()
    >>> [g.shape for g in grads.weights]
    [(2, 2), (1, 2)]
    >>> graph.weights[1][0, 1].label
    'w2_12'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .value import Value

#: Networks with more parameters are refused: the graph grows with parameters × samples.
MAX_PARAMETERS = 400
#: Largest batch: each sample repeats the whole forward graph.
MAX_SAMPLES = 32


@dataclass
class NetworkGraph:
    """The scalar graph of a network's batch-mean cost.

    Attributes:
        cost: the cost C, the graph's output node.
        weights: one object array of leaf Values per weight layer, shape (n_l, n_(l-1)),
            arranged like ``net.weights``: ``weights[1][0, 0]`` is w^2_11.
        biases: one object array of leaf Values per weight layer, shape (n_l,).
        inputs, targets: constant leaves, object arrays (m, n_0) and (m, n_L).
        z, a: per weight layer, object arrays (m, n_l) of the weighted-input and
            activation nodes (for identity layers the same nodes).
        per_sample_costs: the m nodes C_x.
    """

    cost: Value
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    inputs: np.ndarray
    targets: np.ndarray
    z: list[np.ndarray] = field(default_factory=list)
    a: list[np.ndarray] = field(default_factory=list)
    per_sample_costs: list[Value] = field(default_factory=list)

    def backward(self):
        """Run ``cost.backward()`` and return ``gradients()``."""
        self.cost.backward()
        return self.gradients()

    def gradients(self):
        """(dC/dw^l, dC/db^l) as float64 arrays shaped like ``net.weights`` / ``net.biases``.

        Reads the leaves' ``grad``: run ``cost.backward()`` (or ``backward()``) first.
        """
        from ..network import Gradients

        if self.cost.grad != 1.0:
            raise RuntimeError("no gradients yet: call graph.cost.backward() (or graph.backward()) first")
        return Gradients(
            [_grads_of(w) for w in self.weights],
            [_grads_of(b) for b in self.biases],
        )

    def relabel(self, names: dict[str, str]) -> None:
        """Rename nodes: every node whose label is a key of ``names`` gets the value."""
        for node in self.cost.topological_order():
            if node.label in names:
                node.label = names[node.label]


def network_graph(
    net,
    x,
    y,
    *,
    max_parameters: int = MAX_PARAMETERS,
    max_samples: int = MAX_SAMPLES,
) -> NetworkGraph:
    """Build the scalar graph of ``net``'s batch-mean cost on (x, y).

    Args:
        net: a ``Network`` of Dense layers (no Dropout: its masks are random),
            with at most ``max_parameters`` weights and biases.
        x: inputs (m, n_0), or one sample (n_0,); at most ``max_samples`` samples.
        y: class indices (m,) or targets (m, n_L), as ``net.backprop`` takes them.

    Returns:
        A ``NetworkGraph``; call ``graph.backward()`` for the gradients.

    Raises:
        ValueError: a network too large to build as scalars, a batch too large,
            a layer other than Dense, or bad data (from ``net.prepare``).
    """
    layers = list(net.layers)
    for layer in layers:
        if "weights" not in layer.params:
            raise ValueError(
                f"network_graph supports networks of Dense layers only, got {layer!r} "
                f"(Dropout drops neurons at random, so its graph changes every pass)"
            )
    if net.n_params > max_parameters:
        raise ValueError(
            f"the network has {net.n_params} parameters, too many to build one scalar node each "
            f"(limit {max_parameters}); use a smaller network, e.g. sizes 2,3,2"
        )
    inputs, targets, _ = net.prepare(np.atleast_2d(np.asarray(x)) if np.ndim(x) == 1 else x, y)
    m = inputs.shape[0]
    if m > max_samples:
        raise ValueError(f"the batch has {m} samples; the graph is built for at most {max_samples}")

    weights, biases = [], []
    for l, layer in enumerate(layers, start=1):
        w = layer.params["weights"]
        n_out, n_in = w.shape
        wide = max(n_out, n_in) > 9
        weights.append(_leaves(w, lambda j, k: f"w{l}_{j + 1}{',' if wide else ''}{k + 1}"))
        biases.append(_leaves(layer.params["biases"], lambda j: f"b{l}_{j + 1}"))

    def tag(label: str, s: int) -> str:
        return label if m == 1 else f"{label}[{s + 1}]"

    x_nodes = _leaves(inputs, lambda s, k: tag(f"x{k + 1}", s))
    y_nodes = _leaves(targets, lambda s, j: tag(f"y{j + 1}", s))
    zs = [np.empty((m, layer.n_out), dtype=object) for layer in layers]
    acts = [np.empty((m, layer.n_out), dtype=object) for layer in layers]
    sample_costs = []
    for s in range(m):
        a_prev = list(x_nodes[s])
        for l, layer in enumerate(layers):
            w, b = weights[l], biases[l]
            z = []
            for j in range(w.shape[0]):
                # z^l_j = Σ_k w^l_jk a^(l-1)_k + b^l_j, left to right as seed 000 writes it.
                terms = [w[j, k] * a_prev[k] for k in range(w.shape[1])]
                z.append((_sum(terms) + b[j]).named(tag(f"z{l + 1}_{j + 1}", s)))
            a = _activation(layer.activation, z)
            for j, node in enumerate(a):
                if node is not z[j]:
                    node.named(tag(f"a{l + 1}_{j + 1}", s))
            zs[l][s] = z
            acts[l][s] = a
            a_prev = a
        terms = _cost_terms(net.cost.name, a_prev, list(y_nodes[s]))
        for j, term in enumerate(terms):
            if term is not None:
                term.named(tag(f"C_{j + 1}", s))
        kept = [term for term in terms if term is not None]
        if not kept:  # every term is 0 (e.g. log_likelihood with an all-zero target)
            kept = [Value(0.0)]
        sample_costs.append(_sum(kept).named(f"C_x{s + 1}") if m > 1 else _sum(kept))

    cost = sample_costs[0] if m == 1 else _sum(sample_costs) / m
    if net.regularizer is not None:
        cost = cost + _penalty(net.regularizer, weights, net.regularizer.n or m)
    cost.named("C")
    return NetworkGraph(cost, weights, biases, x_nodes, y_nodes, zs, acts, sample_costs)


# --- building blocks ------------------------------------------------------------------


def _leaves(array: np.ndarray, label) -> np.ndarray:
    """An object array of leaf Values holding ``array``'s numbers, labelled by index."""
    nodes = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        nodes[index] = Value(float(array[index]), label(*index))
    return nodes


def _grads_of(nodes: np.ndarray) -> np.ndarray:
    grads = np.empty(nodes.shape, dtype=np.float64)
    for index in np.ndindex(nodes.shape):
        grads[index] = nodes[index].grad
    return grads


def _sum(values: list[Value]) -> Value:
    """v_1 + v_2 + ... as a chain of add nodes (no constant 0 leaf)."""
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _activation(activation, z: list[Value]) -> list[Value]:
    """a^l from z^l with graph primitives only (see the module docstring)."""
    name = activation.name
    if name == "sigmoid":
        return [node.sigmoid() for node in z]
    if name == "tanh":
        return [node.tanh() for node in z]
    if name == "relu":
        return [node.relu() for node in z]
    if name == "leaky_relu":
        slope = activation.slope
        return [slope * node + (1.0 - slope) * node.relu() for node in z]
    if name == "identity":
        return list(z)
    if name == "softmax":
        exps = [node.exp() for node in z]
        total = _sum(exps)
        return [e / total for e in exps]
    raise ValueError(f"network_graph cannot build the {name!r} activation from graph primitives")


def _cost_terms(name: str, a: list[Value], y: list[Value]) -> list[Value | None]:
    """C_x's term of each output neuron j; None for a term that is exactly 0."""
    terms: list[Value | None] = []
    for a_j, y_j in zip(a, y):
        if name == "quadratic":
            terms.append(0.5 * (a_j - y_j) ** 2)
        elif name == "cross_entropy":
            parts = []
            if y_j.data != 0.0:
                parts.append(y_j * a_j.log())
            if y_j.data != 1.0:
                parts.append((1.0 - y_j) * (1.0 - a_j).log())
            terms.append(-_sum(parts))
        elif name == "log_likelihood":
            terms.append(-(y_j * a_j.log()) if y_j.data != 0.0 else None)
        else:
            raise ValueError(f"network_graph cannot build the {name!r} cost from graph primitives")
    return terms


def _penalty(regularizer, weights: list[np.ndarray], n: int) -> Value:
    """The regularization term over every weight leaf (never the biases)."""
    leaves = [w for matrix in weights for w in matrix.flat]
    if regularizer.name == "l2":
        return (regularizer.lmbda / (2 * n) * _sum([w**2 for w in leaves])).named("penalty")
    if regularizer.name == "l1":
        return (regularizer.lmbda / n * _sum([w.relu() + (-w).relu() for w in leaves])).named("penalty")
    raise ValueError(f"network_graph cannot build the {regularizer.name!r} penalty from graph primitives")
