"""``Value``: a scalar that remembers how it was computed, so backprop can run back through it.

Every arithmetic operation on Values makes a new node of a computational graph:

    >>> from bprop.graph import Value
    >>> apple, num, tax = Value(100.0, "apple"), Value(2.0, "num"), Value(1.1, "tax")
    >>> price = (apple * num * tax).named("price")
    >>> price.backward()
    >>> round(apple.grad, 10), round(num.grad, 10), round(tax.grad, 10)
    (2.2, 110.0, 200.0)

A node holds its forward value ``data`` (a Python float, so float64 math), its
gradient ``grad`` = d(output)/d(node) after ``backward``, the ``op`` that made it
(a key of ``ops.RULES``; "" for a leaf), its ``parents`` as an ordered tuple (so
every traversal is the same run after run), the op's constant ``params`` (only
``x ** k`` has one), an optional ``label`` ("w5", "z1") and an ``id`` counting
creation order.

Only ``ops.RULES`` knows how an op computes and differentiates: every operator
below is one line naming its rule, and ``backward.py`` applies the same table.
"""

from __future__ import annotations

import itertools
import numbers
from types import MappingProxyType

from .backward import BackwardStep, backward, backward_trace, topological_order
from .ops import RULES, get_rule

_NO_PARAMS = MappingProxyType({})
_ids = itertools.count()


class Value:
    """A scalar node of a computational graph.

    Args:
        data: the number (int, float or NumPy scalar; stored as a Python float).
        label: optional name shown in traces and pictures, e.g. "w1".

    Attributes:
        data (float): the forward value.
        grad (float): d(output)/d(this node), filled by ``output.backward()``.
        op (str): name of the rule that made this node ("" for a leaf).
        parents (tuple[Value, ...]): the op's inputs, in operand order.
        params (Mapping[str, float]): the op's constants, e.g. {"k": 2.0} for x ** 2.
        label (str | None): display name.
        id (int): creation counter, unique within the process.
    """

    __slots__ = ("data", "grad", "op", "parents", "params", "label", "id", "__weakref__")

    # Makes NumPy scalars defer to our reflected operators: np.float64(2) * v -> v.__rmul__.
    __array_ufunc__ = None

    def __init__(self, data: float, label: str | None = None):
        if type(data) is not float and not isinstance(data, numbers.Real):
            raise TypeError(f"Value needs a real number, got {type(data).__name__}: {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.params = _NO_PARAMS
        self.label = label
        self.id = next(_ids)

    @classmethod
    def from_op(cls, op: str, *parents: Value, **params: float) -> Value:
        """The node ``op(*parents, **params)``, computed by the forward function of ``RULES[op]``.

        Every operator below is this call with its op's name; ``ValueError`` for an unknown op.
        """
        rule = get_rule(op)
        out = cls(rule.forward(*[p.data for p in parents], **params))
        out.op = op
        out.parents = parents
        if params:
            out.params = MappingProxyType(params)
        return out

    def named(self, label: str) -> Value:
        """Set the label and return the node itself: ``z = (w * x + b).named("z")``."""
        self.label = label
        return self

    # --- arithmetic: each operator names its rule ---------------------------------

    def __add__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("add", self, other)

    def __radd__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("add", other, self)

    def __sub__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("sub", self, other)

    def __rsub__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("sub", other, self)

    def __mul__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("mul", self, other)

    def __rmul__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("mul", other, self)

    def __truediv__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("div", self, other)

    def __rtruediv__(self, other):
        other = _as_value(other)
        return NotImplemented if other is None else Value.from_op("div", other, self)

    def __neg__(self):
        return Value.from_op("neg", self)

    def __pow__(self, exponent):
        """``x ** k`` with a constant k (op "pow"), or ``a ** b`` with b a Value (op "vpow")."""
        if isinstance(exponent, Value):
            return Value.from_op("vpow", self, exponent)
        if isinstance(exponent, numbers.Real):
            return Value.from_op("pow", self, k=float(exponent))
        return NotImplemented

    def __rpow__(self, base):
        base = _as_value(base)
        return NotImplemented if base is None else Value.from_op("vpow", base, self)

    def exp(self) -> Value:
        return Value.from_op("exp", self)

    def log(self) -> Value:
        """Natural logarithm; ``ValueError`` for data <= 0."""
        return Value.from_op("log", self)

    def tanh(self) -> Value:
        return Value.from_op("tanh", self)

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^(-x)), computed without overflow for any float x."""
        return Value.from_op("sigmoid", self)

    def relu(self) -> Value:
        return Value.from_op("relu", self)

    # --- backprop -----------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d(self)/d(node).

        Grads of the subgraph are zeroed first, so calling it twice gives the same result.
        """
        backward(self)

    def backward_trace(self) -> list[BackwardStep]:
        """Run ``backward`` and return one record per op node, in the order applied."""
        return backward_trace(self)

    def topological_order(self) -> list[Value]:
        """Every node this one depends on (itself included), each after all its parents."""
        return topological_order(self)

    def nodes(self) -> list[Value]:
        """The nodes of ``topological_order``, sorted by creation (``id``)."""
        return sorted(topological_order(self), key=lambda node: node.id)

    # --- display ------------------------------------------------------------------

    @property
    def is_leaf(self) -> bool:
        """True for inputs, parameters and constants: nodes not made by an op."""
        return not self.parents

    @property
    def symbol(self) -> str:
        """The op's sign for display ("×", "σ", "**2"); "" for a leaf."""
        return RULES[self.op].display_symbol(self.params) if self.op else ""

    @property
    def name(self) -> str:
        """A short name for traces: the label, else "<op>#<id>", else the number."""
        if self.label:
            return self.label
        if self.op:
            return f"{self.op}#{self.id}"
        return f"{self.data:g}"

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={self.grad:.6g}"]
        if self.op:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"


def _as_value(x) -> Value | None:
    """``x`` as a Value: Values pass through, real numbers become constant leaves, else None."""
    if isinstance(x, Value):
        return x
    if type(x) in (float, int) or isinstance(x, numbers.Real):
        return Value(x)
    return None
