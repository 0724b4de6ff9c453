"""Backprop on the scalar graph: topological order, the backward pass, and its trace.

The backward pass of an output node ``root``:

1. order the subgraph so every node comes after all of its parents
   (iterative depth-first search, parents visited in operand order: the same
   order every run, and no recursion limit on deep graphs);
2. zero every ``grad`` in it, then set ``root.grad = 1`` (d root / d root);
3. walk the order backwards; at each op node apply its rule from ``ops.RULES``:

       parent.grad += local_grad * node.grad     (local derivative × upstream)

   ``+=`` because a node used twice (``a * a``, or ``a`` feeding two neurons)
   receives one contribution per use: the multivariable chain rule sums them.

Reverse topological order guarantees a node's ``grad`` is complete before it is
passed on: every node that uses it comes later in the order, so earlier in the walk.

``backward_trace`` runs the same pass and records each step as a
:class:`BackwardStep`, the raw material of a step-by-step explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .ops import RULES

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: Value) -> list[Value]:
    """All nodes ``root`` depends on, itself last, each node after all of its parents.

    Depth-first post-order with an explicit stack; parents are visited in operand
    order, so building the same expression twice gives the same order.
    """
    order: list[Value] = []
    visited: set[Value] = set()  # Values hash by identity
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        # Pushed in reverse so the first operand is popped, hence finished, first.
        for parent in reversed(node.parents):
            if parent not in visited:
                stack.append((parent, False))
    return order


@dataclass(frozen=True)
class Contribution:
    """What one backward step sent to one parent.

    ``contribution = upstream * local_grad`` was added to ``parent.grad``,
    which then became ``grad_after``.
    """

    parent: Value
    slot: int  # operand position: 0 for a, 1 for b
    local_grad: float
    local_name: str  # e.g. "other input"; "" when the number says it all
    contribution: float
    grad_after: float


@dataclass(frozen=True)
class BackwardStep:
    """One application of a derivative rule during ``backward``.

    Attributes:
        index: position in the backward pass (0 = the output's own op).
        node: the op node whose gradient is being passed back.
        op: ``node.op``; ``symbol`` its display sign.
        rule: the derivative rule applied, e.g. "d(a*b)/da = b, d(a*b)/db = a".
        upstream: ``node.grad``, d(output)/d(node), complete at this point.
        contributions: one per parent, in operand order.
    """

    index: int
    node: Value
    op: str
    symbol: str
    rule: str
    upstream: float
    contributions: tuple[Contribution, ...]

    @property
    def local_grads(self) -> tuple[float, ...]:
        return tuple(c.local_grad for c in self.contributions)

    def describe(self, digits: int = 4) -> list[str]:
        """One line per parent, in words.

        e.g. "mul node z1: upstream 0.5 × other input 0.3 = 0.15 → w5".
        """

        def fmt(x: float) -> str:
            return f"{x:.{digits}g}"

        head = f"{self.op} node {self.node.name}"
        lines = []
        for c in self.contributions:
            local = f"{c.local_name} {fmt(c.local_grad)}" if c.local_name else fmt(c.local_grad)
            lines.append(
                f"{head}: upstream {fmt(self.upstream)} × {local} = {fmt(c.contribution)}"
                f" → {c.parent.name}"
            )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())


def backward(root: Value) -> None:
    """Set ``node.grad = d root / d node`` for every node ``root`` depends on."""
    _run(root, None)


def backward_trace(root: Value) -> list[BackwardStep]:
    """Run ``backward(root)`` and return one :class:`BackwardStep` per op node, in order.

    Before the first step ``root.grad`` is set to 1 (d root / d root); leaves make
    no step. ``str(step)`` or ``step.describe()`` gives the step in words.
    """
    steps: list[BackwardStep] = []
    _run(root, steps)
    return steps


def _run(root: Value, steps: list[BackwardStep] | None) -> None:
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        if not node.parents:
            continue  # a leaf: nothing further back
        rule = RULES[node.op]
        local_grads = rule.local_grads(node.data, *[p.data for p in node.parents], **node.params)
        upstream = node.grad
        if steps is None:
            for parent, local in zip(node.parents, local_grads):
                parent.grad += local * upstream
            continue
        # The same update, recording each contribution as it is added.
        contributions = []
        for slot, (parent, local) in enumerate(zip(node.parents, local_grads)):
            parent.grad += local * upstream
            contributions.append(
                Contribution(
                    parent=parent,
                    slot=slot,
                    local_grad=local,
                    local_name=rule.local_names[slot],
                    contribution=local * upstream,
                    grad_after=parent.grad,
                )
            )
        steps.append(
            BackwardStep(
                index=len(steps),
                node=node,
                op=node.op,
                symbol=node.symbol,
                rule=rule.derivative_formula,
                upstream=upstream,
                contributions=tuple(contributions),
            )
        )
