"""Tests of the scalar graph: every rule against central differences, accumulation,
deep graphs, deterministic order, and seed 000's apple example step by step."""

import math
import subprocess
import sys
import time

import numpy as np
import pytest

from bprop.graph import RULES, BackwardStep, Value, get_rule, topological_order

H = 1e-6  # central-difference step: error O(H²) ≈ 1e-12, rounding ≈ 1e-16 / H = 1e-10


def numeric_grad(f, *xs):
    """d f / d x_i by float64 central differences, for each argument."""
    grads = []
    for i in range(len(xs)):
        up = list(xs)
        down = list(xs)
        up[i] += H
        down[i] -= H
        grads.append((f(*up) - f(*down)) / (2 * H))
    return grads


def check_gradients(build, *xs, rel=1e-6, abs_=1e-8):
    """Build the graph from Value leaves, backprop, compare with central differences."""
    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    out.backward()
    expected = numeric_grad(lambda *ys: build(*[Value(y) for y in ys]).data, *xs)
    for leaf, want in zip(leaves, expected):
        assert leaf.grad == pytest.approx(want, rel=rel, abs=abs_)


# --- every op against central differences -------------------------------------

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "vpow": lambda a, b: a ** b,
}
BINARY_POINTS = [(0.7, -1.3), (-2.5, 0.4), (3.0, 2.0), (1.5, 0.25)]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("a, b", BINARY_POINTS)
def test_binary_op_gradients(name, a, b):
    if name == "vpow" and a < 0:
        a = -a  # a ** b with b fractional is real only for a > 0
    check_gradients(BINARY[name], a, b)


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "pow2": lambda x: x ** 2,
    "pow3": lambda x: x ** 3,
    "pow-1": lambda x: x ** -1,
    "pow0.5": lambda x: x ** 0.5,
}
UNARY_POINTS = [-3.2, -0.7, 0.3, 1.9, 4.0]
POSITIVE_ONLY = {"log", "pow0.5"}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", UNARY_POINTS)
def test_unary_op_gradients(name, x):
    if name in POSITIVE_ONLY and x <= 0:
        x = -x
    check_gradients(UNARY[name], x)


@pytest.mark.parametrize(
    "build",
    [
        lambda x: 2.0 + x,
        lambda x: 2.0 - x,
        lambda x: 2.0 * x,
        lambda x: 2.0 / x,
        lambda x: 2.0 ** x,
        lambda x: x + 3,
        lambda x: x - 3,
        lambda x: x * 3,
        lambda x: x / 3,
    ],
    ids=["radd", "rsub", "rmul", "rtruediv", "rpow", "add_int", "sub_int", "mul_int", "div_int"],
)
@pytest.mark.parametrize("x", [-1.7, 0.6, 2.3])
def test_operators_with_python_numbers(build, x):
    check_gradients(build, x)


def test_rule_table_matches_central_differences_directly():
    """Each rule's local_grads against its own forward, without Value in between."""
    points = {1: [(-1.3,), (0.4,), (2.2,)], 2: [(0.9, 1.7), (2.5, -0.6), (1.2, 0.3)]}
    for rule in RULES.values():
        params = {"k": 2.5} if rule.name == "pow" else {}
        for xs in points[rule.arity]:
            xs = tuple(abs(x) for x in xs) if rule.name in ("log", "pow", "vpow") else xs
            out = rule.forward(*xs, **params)
            got = rule.local_grads(out, *xs, **params)
            want = numeric_grad(lambda *ys: rule.forward(*ys, **params), *xs)
            assert got == pytest.approx(want, rel=1e-6, abs=1e-8), rule.name


def test_composite_neuron_matches_central_differences():
    # Seed 000's single neuron: C = 0.5 (σ(w1 x1 + w2 x2 + b) - y)²
    def loss(w1, w2, b, x1, x2, y):
        a = (w1 * x1 + w2 * x2 + b).sigmoid()
        return 0.5 * (a - y) ** 2

    check_gradients(loss, 0.15, 0.20, 0.35, 0.05, 0.10, 0.01)


def test_tanh_relu_sigmoid_at_negative_inputs():
    x = Value(-2.0)
    y = x.relu()
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)
    t = x.tanh()
    t.backward()
    assert x.grad == pytest.approx(1 - math.tanh(-2.0) ** 2)
    s = x.sigmoid()
    s.backward()
    assert s.data == pytest.approx(1 / (1 + math.exp(2.0)))
    assert x.grad == pytest.approx(s.data * (1 - s.data))


@pytest.mark.parametrize("x", [-50.0, 50.0, -1000.0, 1000.0])
def test_sigmoid_does_not_overflow(x):
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    assert 0.0 <= s.data <= 1.0
    assert math.isfinite(v.grad) and 0.0 <= v.grad < 1e-20
    assert s.data == pytest.approx(1.0 if x > 0 else 0.0, abs=1e-20)


def test_sigmoid_at_50_keeps_the_tiny_tail():
    assert Value(-50.0).sigmoid().data == pytest.approx(math.exp(-50.0), rel=1e-12)


@pytest.mark.parametrize("x", [0.0, -1.5])
def test_log_of_non_positive_raises_with_the_value(x):
    with pytest.raises(ValueError, match=repr(x)):
        Value(x).log()


def test_real_power_errors():
    with pytest.raises(ValueError, match="no real value"):
        Value(-8.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(OverflowError):
        Value(1000.0).exp()


def test_unsupported_operands_and_data():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value("1.0")
    with pytest.raises(TypeError):
        Value(Value(1.0))


def test_numpy_scalars_are_plain_numbers():
    v = Value(np.float32(1.5)) * np.float64(2.0)
    assert isinstance(v, Value) and type(v.data) is float and v.data == 3.0
    w = np.float64(2.0) * Value(1.5)  # NumPy defers to Value.__rmul__
    assert isinstance(w, Value) and w.data == 3.0


# --- accumulation ---------------------------------------------------------------


def test_node_used_twice_in_mul_accumulates():
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0  # 2a


def test_node_used_twice_in_add_accumulates():
    a = Value(3.0)
    c = a + a
    c.backward()
    assert a.grad == 2.0


def test_node_feeding_two_branches_sums_both_paths():
    x = Value(0.5)
    out = x.tanh() * x.exp()  # d/dx = tanh' e^x + tanh e^x
    out.backward()
    want = (1 - math.tanh(0.5) ** 2) * math.exp(0.5) + math.tanh(0.5) * math.exp(0.5)
    assert x.grad == pytest.approx(want)


def test_backward_twice_gives_the_same_grads():
    x, w = Value(0.3, "x"), Value(-1.2, "w")
    out = (w * x + x * x).sigmoid()
    out.backward()
    first = (x.grad, w.grad, out.grad)
    out.backward()
    assert (x.grad, w.grad, out.grad) == first


# --- deep graphs and order --------------------------------------------------------


def test_100k_node_chain_is_iterative_and_fast():
    start = time.perf_counter()
    x = Value(0.5, "x")
    y = x
    for _ in range(100_000):
        y = y * 1.0  # 100,000 mul nodes (+ 100,000 constant leaves)
    y.backward()
    elapsed = time.perf_counter() - start
    assert x.grad == 1.0
    assert len(topological_order(y)) == 200_001
    assert elapsed < 4.0  # about 1 s on a laptop; generous for loaded CI machines


def build_expression():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.88, "b")
    n = (x1 * w1 + x2 * w2 + b).named("n")
    return (n.tanh() * n + w1 ** 2).named("o")


def test_topological_order_is_deterministic_and_valid():
    first = [(v.op, v.label) for v in build_expression().topological_order()]
    second = [(v.op, v.label) for v in build_expression().topological_order()]
    assert first == second
    order = build_expression().topological_order()
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)
    assert order[-1].label == "o"
    assert order[0].label == "x1"  # first operand's subtree first


def test_nodes_lists_the_subgraph_in_creation_order():
    out = build_expression()
    nodes = out.nodes()
    assert [v.id for v in nodes] == sorted(v.id for v in nodes)
    assert set(nodes) == set(out.topological_order())


def test_node_fields():
    a, b = Value(2.0, "a"), Value(3.0)
    c = a - b
    assert (c.op, c.parents, c.label, c.data) == ("sub", (a, b), None, -1.0)
    assert a.is_leaf and not c.is_leaf and a.op == ""
    assert a.id < b.id < c.id
    assert (a ** 2).params == {"k": 2.0} and (a ** 2).symbol == "**2"
    assert c.named("c") is c and c.name == "c"
    assert b.name == "3" and (a * b).name.startswith("mul#")
    assert repr(c) == "Value(data=-1, grad=0, op='sub', label='c')"


# --- the rule table -----------------------------------------------------------------


def test_rule_table_covers_every_op_a_value_can_make():
    x, y = Value(0.5), Value(2.0)
    made = {
        (x + y).op, (x - y).op, (x * y).op, (x / y).op, (-x).op, (x ** 2).op, (x ** y).op,
        x.exp().op, x.log().op, x.tanh().op, x.sigmoid().op, x.relu().op,
    }
    assert made == set(RULES)


def test_every_rule_is_complete():
    for name, rule in RULES.items():
        assert rule.name == name
        assert rule.derivative_formula.strip() and rule.formula.strip() and rule.symbol.strip()
        assert len(rule.local_names) == rule.arity
    assert RULES["mul"].derivative_formula == "d(a*b)/da = b, d(a*b)/db = a"
    assert RULES["sigmoid"].derivative_formula == "dσ(x)/dx = σ(x)(1-σ(x))"


def test_unknown_op_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid ops are: add, sub, mul"):
        get_rule("matmul")
    assert get_rule("mul") is RULES["mul"]


# --- seed 000: buying apples, traced ---------------------------------------------------


def apple_example():
    apple, num, tax = Value(100.0, "apple"), Value(2.0, "num"), Value(1.1, "tax")
    apple_price = (apple * num).named("apple_price")
    price = (apple_price * tax).named("price")
    return apple, num, tax, apple_price, price


def test_apple_example_gradients():
    apple, num, tax, apple_price, price = apple_example()
    price.backward()
    assert price.data == pytest.approx(220.0)
    assert apple.grad == pytest.approx(2.2)
    assert num.grad == pytest.approx(110.0)
    assert tax.grad == pytest.approx(200.0)
    assert apple_price.grad == pytest.approx(1.1)


def test_apple_example_trace():
    apple, num, tax, apple_price, price = apple_example()
    steps = price.backward_trace()
    assert [type(s) for s in steps] == [BackwardStep, BackwardStep]

    first, second = steps
    assert (first.index, first.node, first.op, first.symbol) == (0, price, "mul", "×")
    assert first.rule == "d(a*b)/da = b, d(a*b)/db = a"
    assert first.upstream == 1.0
    assert [c.parent for c in first.contributions] == [apple_price, tax]
    assert first.local_grads == pytest.approx((1.1, 200.0))  # each gets the other input
    assert [c.contribution for c in first.contributions] == pytest.approx([1.1, 200.0])

    assert second.node is apple_price and second.upstream == pytest.approx(1.1)
    assert [c.parent for c in second.contributions] == [apple, num]
    assert second.local_grads == pytest.approx((2.0, 100.0))
    assert [c.contribution for c in second.contributions] == pytest.approx([2.2, 110.0])
    assert [c.grad_after for c in second.contributions] == pytest.approx([2.2, 110.0])
    assert all(c.local_name == "other input" for c in second.contributions)

    assert second.describe() == [
        "mul node apple_price: upstream 1.1 × other input 2 = 2.2 → apple",
        "mul node apple_price: upstream 1.1 × other input 100 = 110 → num",
    ]
    # the trace run is a real backward pass
    assert (apple.grad, num.grad, tax.grad) == pytest.approx((2.2, 110.0, 200.0))


def test_trace_of_add_passes_upstream_through_and_accumulates():
    a = Value(3.0, "a")
    out = (a + a).named("s")
    (step,) = out.backward_trace()
    assert step.local_grads == (1.0, 1.0)
    assert [c.grad_after for c in step.contributions] == [1.0, 2.0]  # += per use
    assert str(step).splitlines()[0] == "add node s: upstream 1 × 1 = 1 → a"


def test_import_of_bprop_graph_does_not_pull_in_matplotlib():
    code = (
        "import sys, bprop; before = set(sys.modules); import bprop.graph; "
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] == 'matplotlib'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
