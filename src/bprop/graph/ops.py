"""The primitive operations of the scalar graph and their derivative rules, kept as data.

Backprop on a computational graph needs only one fact per operation: the *local*
derivative of its output with respect to each input. The chain rule does the rest:

    parent.grad += (d out / d parent) * out.grad        (local derivative × upstream)

Seed 000 shows the two rules everything else builds on: an add node passes the
upstream gradient through unchanged (d(a+b)/da = 1); a multiply node sends each
input the upstream gradient times the *other* input (d(a*b)/da = b).

Each entry of ``RULES`` is a :class:`Rule` record: the forward function, the
local-derivative function and the rule written out for people, so a trace of the
backward pass can print exactly the rule it applied. ``Value`` (value.py) builds
every node from this table, and ``backward`` (backward.py) applies it; neither
holds a derivative of its own.

Signatures (``params`` holds the constants of an op, e.g. the exponent ``k`` of
``x ** k``; most ops have none):

    forward(*inputs, **params) -> float
    local_grads(out, *inputs, **params) -> tuple[float, ...]   # one per input

``local_grads`` also receives ``out``, the forward result, because several rules
are cheapest in terms of it: exp' = exp, tanh' = 1 - tanh², σ' = σ(1 - σ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Rule:
    """One primitive operation: how to compute it and how to differentiate it.

    Attributes:
        name: key in ``RULES``; stored on every node it makes as ``node.op``.
        symbol: short sign for pictures and traces ("+", "×", "σ"). May contain
            ``str.format`` fields filled from the node's params ("**{k:g}" -> "**2").
        arity: number of inputs (parents).
        formula: the forward computation in words, e.g. "a * b".
        derivative_formula: the rule, e.g. "d(a*b)/da = b, d(a*b)/db = a".
        local_names: what each local derivative is, one per input, for traces
            ("other input" for mul); "" when the number says it all (add: 1).
        forward: ``forward(*inputs, **params) -> float``.
        local_grads: ``local_grads(out, *inputs, **params) -> tuple[float, ...]``.
    """

    name: str
    symbol: str
    arity: int
    formula: str
    derivative_formula: str
    local_names: tuple[str, ...]
    forward: Callable[..., float]
    local_grads: Callable[..., tuple[float, ...]]

    def display_symbol(self, params: dict | None = None) -> str:
        """The symbol with the node's params filled in ("**{k:g}" -> "**2")."""
        return self.symbol.format(**params) if params else self.symbol


# --- forward functions and their local derivatives -------------------------------
# Arguments follow the rule strings: a, b for binary ops, x for unary ones.


def _add(a, b):
    return a + b


def _add_local(out, a, b):
    return (1.0, 1.0)


def _sub(a, b):
    return a - b


def _sub_local(out, a, b):
    return (1.0, -1.0)


def _mul(a, b):
    return a * b


def _mul_local(out, a, b):
    # Each input receives the *other* input (seed 000's "flipped" signal).
    return (b, a)


def _div(a, b):
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r}")
    return a / b


def _div_local(out, a, b):
    return (1.0 / b, -out / b)  # -a/b² written as -(a/b)/b


def _neg(x):
    return -x


def _neg_local(out, x):
    return (-1.0,)


def _real_power(a, b):
    """a ** b as a real number; ValueError where it has no real value."""
    try:
        return math.pow(a, b)
    except ValueError:
        raise ValueError(
            f"{a!r} ** {b!r} has no real value (negative base with a fractional "
            f"exponent, or zero to a negative power)"
        ) from None
    except OverflowError:
        raise OverflowError(f"{a!r} ** {b!r} overflows float64") from None


def _pow(x, *, k):
    return _real_power(x, k)


def _pow_local(out, x, *, k):
    if k == 0.0:
        return (0.0,)
    if x == 0.0 and k < 1.0:
        return (math.inf,)  # e.g. sqrt(x) at 0: the slope is vertical
    return (k * _real_power(x, k - 1.0),)


def _vpow(a, b):
    return _real_power(a, b)


def _vpow_local(out, a, b):
    (da,) = _pow_local(out, a, k=b)  # with b held fixed, a**b is x**k
    if a > 0.0:
        db = out * math.log(a)
    elif a == 0.0:
        db = 0.0  # 0**b = 0 for every b > 0 near this point
    else:
        db = math.nan  # ln(a) is not real for a < 0
    return (da, db)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp({x!r}) overflows float64") from None


def _exp_local(out, x):
    return (out,)


def _log(x):
    if x <= 0.0:
        raise ValueError(f"log is defined only for positive numbers, got {x!r}")
    return math.log(x)


def _log_local(out, x):
    return (1.0 / x,)


def _tanh(x):
    return math.tanh(x)


def _tanh_local(out, x):
    return (1.0 - out * out,)


def _sigmoid(x):
    # Two branches so exp never sees a large positive argument: stable at ±1000.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_local(out, x):
    return (out * (1.0 - out),)


def _relu(x):
    return x if x > 0.0 else 0.0


def _relu_local(out, x):
    return (1.0 if x > 0.0 else 0.0,)


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("add", "+", 2, "a + b",
             "d(a+b)/da = 1, d(a+b)/db = 1",
             ("", ""), _add, _add_local),
        Rule("sub", "−", 2, "a - b",
             "d(a-b)/da = 1, d(a-b)/db = -1",
             ("", ""), _sub, _sub_local),
        Rule("mul", "×", 2, "a * b",
             "d(a*b)/da = b, d(a*b)/db = a",
             ("other input", "other input"), _mul, _mul_local),
        Rule("div", "÷", 2, "a / b",
             "d(a/b)/da = 1/b, d(a/b)/db = -a/b²",
             ("1/b", "-a/b²"), _div, _div_local),
        Rule("neg", "neg", 1, "-x",
             "d(-x)/dx = -1",
             ("",), _neg, _neg_local),
        Rule("pow", "**{k:g}", 1, "x ** k (k a constant)",
             "d(x**k)/dx = k·x**(k-1)",
             ("k·x**(k-1)",), _pow, _pow_local),
        Rule("vpow", "**", 2, "a ** b",
             "d(a**b)/da = b·a**(b-1), d(a**b)/db = a**b·ln(a)",
             ("b·a**(b-1)", "a**b·ln(a)"), _vpow, _vpow_local),
        Rule("exp", "exp", 1, "e ** x",
             "d(exp x)/dx = exp(x)",
             ("exp(x)",), _exp, _exp_local),
        Rule("log", "log", 1, "ln(x)",
             "d(ln x)/dx = 1/x",
             ("1/x",), _log, _log_local),
        Rule("tanh", "tanh", 1, "tanh(x)",
             "d(tanh x)/dx = 1 - tanh²(x)",
             ("1 - tanh²(x)",), _tanh, _tanh_local),
        Rule("sigmoid", "σ", 1, "σ(x) = 1 / (1 + e^(-x))",
             "dσ(x)/dx = σ(x)(1-σ(x))",
             ("σ(x)(1-σ(x))",), _sigmoid, _sigmoid_local),
        Rule("relu", "ReLU", 1, "max(0, x)",
             "d relu(x)/dx = 1 if x > 0 else 0",
             ("[x > 0]",), _relu, _relu_local),
    )
}


def get_rule(name: str) -> Rule:
    """The rule for op ``name``; ``ValueError`` listing the valid names otherwise."""
    try:
        return RULES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown op {name!r}; valid ops are: {', '.join(RULES)}") from None
