"""The explain trace: seed 000's published numbers, agreement with Network.backprop for
every activation/cost pair, and well-formed Markdown and HTML."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from bprop import Dense, Dropout, Network
from bprop.explain import build_sections, get_example, terminal_text, to_html, to_markdown, trace_step
from bprop.explain.steps import NumberFormat

# Seed 000, section 3.3.5: (symbol of the trace line, published value as printed there).
PUBLISHED = [
    ("a^2_1", "0.75136507"),
    ("a^2_2", "0.772928465"),
    ("C", "0.298371109"),
    ("w^2_11", "0.35891648"),
    ("w^2_12", "0.408666186"),
    ("w^2_21", "0.511301270"),
    ("w^2_22", "0.561370121"),
    ("w^1_11", "0.149780716"),
    ("w^1_12", "0.19956143"),
    ("w^1_21", "0.24975114"),
    ("w^1_22", "0.29950229"),
]


@pytest.fixture(scope="module")
def seed000():
    return get_example("seed000").trace()


def line_values(trace, equation=None):
    """{symbol without alias: printed value} of every line (of one equation)."""
    f = NumberFormat(9)
    values = {}
    for section in build_sections(trace):
        for line in section.lines:
            if equation is None or line.equation == equation:
                values[line.symbol.split(" (")[0]] = f(line.value)
    return values


def test_seed000_record_matches_published_numbers_to_1e8(seed000):
    assert seed000.output.a[0] == pytest.approx([0.75136507, 0.772928465], abs=1e-8)
    assert seed000.cost_value == pytest.approx(0.298371109, abs=1e-9)
    hidden, output = seed000.layers
    assert output.new_weights.ravel() == pytest.approx([0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=1e-8)
    assert hidden.new_weights.ravel() == pytest.approx([0.149780716, 0.19956143, 0.24975114, 0.29950229], abs=1e-8)
    # the biases are fixed in this example: computed, not applied
    assert np.array_equal(hidden.new_biases, [0.35, 0.35]) and np.array_equal(output.new_biases, [0.6, 0.6])
    assert output.grad_weights[0, 0] == pytest.approx(0.082167041, abs=1e-9)  # ∂E/∂w5
    assert output.delta_rule == "elementwise"


def test_seed000_text_shows_published_numbers_at_its_precision(seed000):
    forward, update, cost = line_values(seed000, "forward"), line_values(seed000, "update"), line_values(seed000, "cost")
    printed = {**forward, **cost, **update}
    texts = [terminal_text(seed000, width=160), to_markdown(seed000), to_html(seed000)]
    for symbol, published in PUBLISHED:
        shown = printed[symbol]
        decimals = len(published.split(".")[1])
        # the trace prints 9 decimals; rounded to the seed's decimals it is the seed's number
        assert float(shown) == pytest.approx(float(published), abs=0.5 * 10.0**-decimals + 1e-12), symbol
        assert len(shown.split(".")[1]) >= decimals
        for text in texts:
            assert shown in text
    # most appear literally, as published
    terminal = texts[0]
    for literal in ("0.75136507", "0.772928465", "0.298371109", "0.35891648", "0.408666186", "0.511301270",
                    "0.561370121", "0.149780716", "0.19956143", "0.24975114", "0.274811083", "0.023560026"):
        assert literal in terminal


def test_seed000_lines_spell_out_the_numbers(seed000):
    text = terminal_text(seed000, width=200)
    assert re.search(r"z\^1_1 \(net_h1\)\s+0\.15 × 0\.05 \+ 0\.2 × 0\.1 \+ 0\.35\s+0\.3775", text)
    assert "1 / (1 + e^(-0.3775))" in text
    assert "0.4 - 0.5 × 0.082167041" in text  # w5 update
    assert "b^2 is fixed" in text
    for tag in ("[forward]", "[cost]", "[BP1]", "[BP2]", "[BP3/BP4]", "[update]"):
        assert tag in text


PAIRS = [
    ("sigmoid", "sigmoid", "quadratic", "elementwise"),
    ("tanh", "sigmoid", "cross_entropy", "fused"),
    ("relu", "softmax", "log_likelihood", "fused"),
    ("leaky_relu", "softmax", "quadratic", "jacobian"),
    ("sigmoid", "identity", "quadratic", "elementwise"),
    ("identity", "tanh", "quadratic", "elementwise"),
    ("tanh", "softmax", "cross_entropy", "jacobian"),
]


@pytest.mark.parametrize("hidden, output, cost, rule", PAIRS)
@pytest.mark.parametrize("sizes, batch", [([3, 4, 3], 1), ([3, 4, 5, 2], 3)])
def test_trace_equals_network_backprop_and_update(hidden, output, cost, rule, sizes, batch):
    net = Network(sizes, hidden=hidden, output=output, cost=cost, seed=7, dtype="float64",
                  task="classification")  # class labels on identity/tanh outputs: read by argmax
    rng = np.random.default_rng(1)
    x = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    before = [w.copy() for w in net.weights]
    trace = trace_step(net, x, y, eta=0.3)
    assert all(np.array_equal(w, b) for w, b in zip(net.weights, before)), "the traced network must not change"
    assert trace.output.delta_rule == rule

    expected = net.backprop(x, y)
    for layer, gw, gb in zip(trace.layers, expected.weights, expected.biases):
        np.testing.assert_allclose(layer.grad_weights, gw, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.grad_biases, gb, rtol=1e-12, atol=1e-14)
    assert trace.cost_value == pytest.approx(net.total_cost(x, y), rel=1e-12)

    stepped = net.copy()
    stepped.fit(x, y, epochs=1, batch_size=batch, eta=0.3, shuffle=False, verbose=False)
    for layer, w, b in zip(trace.layers, stepped.weights, stepped.biases):
        np.testing.assert_allclose(layer.new_weights, w, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.new_biases, b, rtol=1e-12, atol=1e-14)

    # the lines show the record's own numbers
    sections = {section.key: section for section in build_sections(trace)}
    first = trace.layers[0]
    shown = [line.value for line in sections["forward-1"].lines]
    assert shown and all(np.isclose(first.z, v, rtol=0, atol=0).any() or np.isclose(first.a, v, rtol=0, atol=0).any()
                         for v in shown)
    deltas = [line.value for line in sections["bp1"].lines if line.symbol.startswith("δ")]
    assert sorted(deltas) == sorted(trace.output.delta.ravel().tolist())
    assert f"bp2-{len(sizes) - 2}" in sections and "grad-1" in sections and "update-1" in sections


def test_softmax_with_quadratic_cost_shows_the_jacobian():
    trace = get_example("seed003").trace()
    text = terminal_text(trace, width=200)
    assert trace.output.delta_rule == "jacobian"
    assert "∂a_2/∂z_1" in text and "full Jacobian" in text
    assert "1 - a² = 1 - 0.839654176²" in text  # tanh' = (1+h)(1-h) = 1 - h²
    # the Jacobian lines are the activation's own: J = diag(a) - a a^T
    a = trace.output.a[0]
    np.testing.assert_allclose(trace.output.jacobian[0], np.diag(a) - np.outer(a, a), atol=1e-15)


def test_refuses_big_networks_batches_and_other_layers():
    with pytest.raises(ValueError, match="too big to explain"):
        trace_step(Network([40, 30, 2], seed=0), np.zeros((1, 40)), [1])
    with pytest.raises(ValueError, match="batch of 20"):
        trace_step(Network([2, 2, 2], seed=0), np.zeros((20, 2)), np.zeros(20, dtype=int))
    net = Network([Dense(2, 3, "relu"), Dropout(0.5), Dense(3, 2, "softmax")], cost="log_likelihood", seed=0)
    with pytest.raises(ValueError, match="Dense layers only"):
        trace_step(net, np.zeros((1, 2)), [1])


def test_batch_trace_shows_matrices_and_the_mean():
    net = Network([2, 3, 2], hidden="tanh", output="sigmoid", cost="quadratic", seed=0, dtype="float64",
                  task="multilabel")  # the row [1, 1] marks two labels
    trace = trace_step(net, np.arange(6.0).reshape(3, 2) / 10, np.array([[0, 1], [1, 0], [1, 1]]), eta=0.5)
    text = terminal_text(trace, width=200)
    assert "(x3)" in text and "one row per sample" in text and "factor 1/3" in text
    assert "C_x1" in text and ") / 3" in text


def test_markdown_has_tables():
    markdown = to_markdown(get_example("seed000").trace())
    assert markdown.startswith("# One step of backpropagation")
    tables = re.findall(r"(?m)^\| eq \| quantity \| = with the numbers \| = value \|\n\| --- \| --- \| --- \| ---: \|\n((?:\|.*\|\n)+)", markdown)
    assert len(tables) >= 8
    for table in tables:
        for row in table.strip().splitlines():
            cells = re.split(r"(?<!\\)\|", row)[1:-1]
            assert len(cells) == 4, row


class _Checker(HTMLParser):
    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tables, self.text = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        self.tables += tag == "table"

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_well_formed():
    page = to_html(get_example("seed003").trace())
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert not checker.errors and not checker.stack
    assert checker.tables >= 8
    text = "".join(checker.text)
    assert "0.575108535" in text and "δ" in text
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page


def test_a_regularized_network_is_traced_with_a_note_on_what_training_adds():
    """The trace shows BP1-BP4 of the data cost; for a model with L2 or L1 it says that training
    adds the penalty's gradient (bprop explain --model dropped it without a word)."""
    from bprop import Network
    from bprop.explain.trace import trace_step

    for name in ("l2", "l1"):
        net = Network([2, 3, 2], hidden="tanh", seed=0, dtype="float64", regularizer=(name, 50.0))
        trace = trace_step(net, [0.5, -0.2], [0, 1], eta=0.5)
        assert f"{name.upper()} regularizer (lambda = 50)" in trace.note and "data cost C_0 only" in trace.note
        expected = net.copy()
        expected.regularizer = None
        np.testing.assert_allclose(trace.layers[0].grad_weights, expected.backprop([[0.5, -0.2]], [[0, 1]]).weights[0])
    assert trace_step(Network([2, 3, 2], seed=0), [0.5, -0.2], [0, 1]).note == ""


@pytest.mark.parametrize("digits,value,text", [
    (9, 0.751365070, "0.751365070"), (9, 0.0000012345, "1.234500e-06"), (9, 2.5e6, "2.500000e+06"),
    (3, 0.4, "0.4"), (3, 2.5, "2.5"), (3, 0.082167041, "8.217e-02"), (4, 0.4, "0.4"), (4, 0.35891648, "0.3589"),
])
def test_number_format_keeps_fixed_notation_from_0_1_up_even_with_few_digits(digits, value, text):
    """--digits 3 wrote every number below 10 as 4.000e-01 (and --digits 4 below 1)."""
    assert NumberFormat(digits)(value) == text
