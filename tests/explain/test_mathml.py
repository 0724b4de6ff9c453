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
