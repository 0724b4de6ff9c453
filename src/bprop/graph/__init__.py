"""The scalar computational graph: values that remember their ops, and backprop through them.

    >>> from bprop.graph import Value
    >>> x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.3, "b")
    >>> a = (w * x + b).sigmoid().named("a")
    >>> a.backward()
    >>> round(w.grad, 6)  # σ'(z) · x
    0.443426

Modules: ``value`` (the Value node), ``ops`` (the derivative rules, kept as data),
``backward`` (topological order, backward pass, trace records), ``network``
(a small Network's cost rebuilt as a graph: ``network_graph(net, x, y)``).

One of bprop's three implementations of backprop (README, "Three implementations of
backprop"), side by side::

    vectorized network   bprop.network (Network.backprop_prepared), layers/, heads.py,
                         sinks.py, kernels.py: the one that trains
    textbook loop        bprop.textbook: BP1-BP4 one sample at a time, column vectors
    scalar graph         this package: knows nothing of BP1-BP4; softmax, leaky ReLU
                         and the costs are built from primitives with one rule each

Cross-checks: tests/graph/test_value.py holds every rule to float64 central
differences; tests/graph/test_network.py holds ``network_graph`` to the vectorized
network (every output/cost pair, regularizers, to 1e-10); tests/test_textbook.py
holds the textbook loop to the vectorized network.
"""

from .backward import BackwardStep, Contribution, backward, backward_trace, topological_order
from .network import NetworkGraph, network_graph
from .ops import RULES, Rule, get_rule
from .value import Value

__all__ = [
    "Value",
    "Rule",
    "RULES",
    "get_rule",
    "BackwardStep",
    "Contribution",
    "backward",
    "backward_trace",
    "topological_order",
    "network_graph",
    "NetworkGraph",
]
