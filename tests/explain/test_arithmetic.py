"""Every line of a trace adds up by hand: the numbers written after the last "=" of a line,
combined as written, give the value the line shows (to the printed digits).

A learner checks the trace with a calculator; a line whose spelled-out arithmetic does not
give its value teaches the wrong thing even when the value itself is right.
"""

import math
import re

import numpy as np
import pytest

from bprop import Network
from bprop.explain import build_sections, trace_step

PAIRS = [
    ("sigmoid", "quadratic"),
    ("sigmoid", "cross_entropy"),
    ("softmax", "log_likelihood"),
    ("softmax", "quadratic"),
    ("softmax", "cross_entropy"),
    ("identity", "quadratic"),
    ("tanh", "quadratic"),
    ("leaky_relu", "quadratic"),
]

#: Lines that state a rule rather than arithmetic ("δ^2_1", "1 since z > 0", "was 0.29").
NOT_ARITHMETIC = re.compile(r"^(δ\^|was |.*since|.*Σ)")


def as_python(expression: str) -> str | None:
    """The arithmetic after the last ' = ' of a line, as a Python expression (None: not arithmetic)."""
    text = expression.split(" = ")[-1]
    if not text or NOT_ARITHMETIC.match(text):
        return None
    text = text.replace("×", "*").replace("½", "0.5 *").replace("²", "**2").replace("[", "(").replace("]", ")")
    text = re.sub(r"e\^\(((?:[^()]|\([^()]*\))*)\)", r"math.exp(\1)", text)  # e^(-0.3775), e^(-(-0.2))
    text = re.sub(r"e\^(-?[0-9.]+(?:e[+-]\d+)?)", r"math.exp(\1)", text)  # e^0.0199
    text = re.sub(r"([0-9)]) ln", r"\1 * ln", text)  # "1 ln 0.5": y times ln a
    text = re.sub(r"\bln\(", "math.log(", text)
    text = re.sub(r"\bln (-?[0-9.]+(?:e[+-]\d+)?)", r"math.log(\1)", text)
    return text.replace("tanh(", "math.tanh(")


def trace_of(output, cost, batch, eta):
    task = {"sigmoid": "multilabel", "softmax": None}.get(output, "regression")
    net = Network([2, 3, 2], hidden="tanh", output=output, cost=cost, task=task, seed=3, dtype="float64")
    rng = np.random.default_rng(7)
    for b in net.biases:
        b[...] = rng.uniform(-0.3, 0.3, b.shape)
    x = rng.uniform(-1, 1, (batch, 2))
    if output == "softmax":
        y = rng.integers(0, 2, batch)
    elif output == "sigmoid":
        y = rng.integers(0, 2, (batch, 2))
    else:
        y = rng.uniform(-1, 1, (batch, 2))
    return trace_step(net, x, y, eta)


@pytest.mark.parametrize("output, cost", PAIRS)
@pytest.mark.parametrize("batch", [1, 2])
def test_every_line_adds_up_to_its_value(output, cost, batch):
    # an η with more digits than a short format shows: the update lines multiply by all of them
    trace = trace_of(output, cost, batch, eta=3.3333333333)
    checked = 0
    for section in build_sections(trace, digits=12):
        for line in section.lines:
            code = as_python(line.expression)
            if code is None:
                continue
            value = eval(code, {"__builtins__": {}, "math": math})  # noqa: S307 - our own arithmetic text
            assert value == pytest.approx(line.value, rel=1e-9, abs=1e-9), (section.title, line.symbol, line.expression)
            checked += 1
    assert checked > 20


def test_the_batch_mean_quadratic_gradient_is_written_as_one_equation():
    trace = trace_of("tanh", "quadratic", 2, eta=0.5)
    bp1 = next(section for section in build_sections(trace) if section.equation == "BP1")
    line = next(line for line in bp1.lines if line.symbol.startswith("∂C/∂a^2_1 (x1)"))
    a, y = trace.output.a[0, 0], trace.targets[0, 0]
    assert line.expression.startswith("(a - y) / 2 = (")
    assert line.expression.endswith(") / 2")
    assert line.value == pytest.approx((a - y) / 2)


def test_eta_is_printed_with_every_digit_it_is_used_with():
    trace = trace_of("tanh", "quadratic", 1, eta=3.3333333333)
    sections = build_sections(trace)
    update = next(section for section in sections if section.equation == "update")
    assert "η = 3.3333333333" in update.title
    assert all(" - 3.3333333333 × " in line.expression for line in update.lines)
