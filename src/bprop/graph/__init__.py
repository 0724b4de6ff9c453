"""The scalar computational graph: values that remember their ops, and backprop through them.

    >>> from bprop.graph import Value
    >>> x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.3, "b")
    >>> a = (w * x + b).sigmoid().named("a")
    >>> a.backward()
    >>> round(w.grad, 6)  # σ'(z) · x
    0.443426

Modules: ``value`` (the Value node), ``ops`` (the derivative rules, kept as data),
``backward`` (topological order, backward pass, trace records), ``layout`` and
``render`` (drawing a graph; matplotlib is imported only when drawing), ``network``
(a small Network's cost rebuilt as a graph: ``network_graph(net, x, y)``).
"""

from .backward import BackwardStep, Contribution, backward, backward_trace, topological_order
from .network import NetworkGraph, network_graph
from .ops import RULES, Rule, get_rule
from .render import draw, render, to_dot  # matplotlib is imported only when drawing
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
    "render",
    "draw",
    "to_dot",
    "network_graph",
    "NetworkGraph",
]
