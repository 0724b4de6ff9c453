"""The trace notation typeset as MathML: scripts, spacing, escaping, and every line of a real trace."""

import xml.etree.ElementTree as ET

from bprop.explain import build_sections, get_example, to_html
from bprop.explain.mathml import expression, symbol, text_html


def test_scripts():
    assert symbol("w^2_11") == "<math><msubsup><mi>w</mi><mn>11</mn><mn>2</mn></msubsup></math>"
    assert "<msubsup><mi>a</mi><mi>k</mi><mrow><mi>l</mi><mo>−</mo><mn>1</mn></mrow></msubsup>" in expression("a^(l-1)_k")
    assert "<msup><mo>)</mo><mi>T</mi></msup>" in expression("((w^2)^T δ^2)_1")
    assert "<msup><mi>e</mi><mrow><mo>−</mo><mn>0.3775</mn></mrow></msup>" in expression("1 / (1 + e^(-0.3775))")


def test_words_keep_their_spaces_and_hyphens():
    out = expression("σ' cancels against ∂C/∂a; softmax + log-likelihood")
    assert "<mi>cancels</mi><mspace" in out and "<mtext>log-likelihood</mtext>" in out
    assert "<mn>1</mn><mspace" in expression("-1 ln 0.62")


def test_markup_is_escaped_and_odd_text_does_not_fail():
    for text in ("<script>alert(1)</script>", "a^(b", "x_", "^^__", "&amp;", ""):
        out = expression(text)
        ET.fromstring(out)  # well-formed
        assert "<script>" not in out
    assert text_html("a^0 <b>") == "a<sup>0</sup> &lt;b&gt;"
    assert text_html("x_k and log_likelihood") == "x<sub>k</sub> and log_likelihood"


def test_every_line_of_a_trace_is_well_formed_mathml():
    for name in ("seed000", "seed003"):
        for section in build_sections(get_example(name).trace()):
            for text in section.formulas + [line.symbol for line in section.lines] + [line.expression for line in section.lines]:
                root = ET.fromstring(expression(text))
                assert root.tag == "math" and len(root)


def test_html_trace_is_typeset_with_a_picture_of_the_network():
    page = to_html(get_example("seed000").trace())
    assert page.count("<math>") > 40 and "<code>" not in page
    assert "w<sup>l</sup><sub>jk</sub>" in page
    assert 'src="data:image/svg+xml;base64,' in page and "<script" not in page
    assert 'src="data:' not in to_html(get_example("seed000").trace(), picture=False)


def test_the_html_picture_draws_the_traced_network(monkeypatch):
    # The picture must show the step of the tables: every layer with its own activation (a
    # tanh then a ReLU hidden layer were both drawn as tanh, with other a^2 and ∂C/∂w), and
    # multi-hot targets of sigmoid outputs must not make the picture vanish.
    import numpy as np

    import bprop.drawing
    from bprop import Dense, Network
    from bprop.explain import trace_step

    drawn = []
    draw = bprop.drawing.draw_network

    def spy(net, *args, **kwargs):
        drawn.append((net, kwargs))
        return draw(net, *args, **kwargs)

    monkeypatch.setattr(bprop.drawing, "draw_network", spy)
    mixed = Network([Dense(2, 3, "tanh"), Dense(3, 3, "relu"), Dense(3, 2, "softmax")], cost="log_likelihood",
                    seed=0, dtype="float64")
    multilabel = Network([2, 3, 2], hidden="tanh", output="sigmoid", cost="cross_entropy", task="multilabel",
                         seed=0, dtype="float64")
    for net, y in ((mixed, [1]), (multilabel, [[1, 1]])):
        drawn.clear()
        trace = trace_step(net, np.array([[0.5, -1.0]]), y, 0.5)
        assert 'src="data:image/svg+xml;base64,' in to_html(trace)
        (picture, kwargs), = drawn
        names = [layer.activation.name for layer in trace.layers]
        assert [layer.activation.name for layer in picture.dense_layers] == names
        grads = picture.backprop(kwargs["x"], kwargs["y"])
        for layer, grad in zip(trace.layers, grads.weights):
            np.testing.assert_allclose(grad, layer.grad_weights, rtol=1e-12, atol=1e-15)
