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
