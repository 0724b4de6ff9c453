"""Rendering a trace: rich terminal output, Markdown and a standalone HTML page.

All three print the same ``Section``s (see ``steps.py``); only the markup
differs. Every string is escaped for its target: rich markup, Markdown table
cells (in code spans) and HTML.
"""

from __future__ import annotations

import html
import io
import re

import numpy as np

from .steps import Matrix, NumberFormat, Section, build_sections, exact
from .trace import StepTrace

FORMATS = ("terminal", "markdown", "html")


def describe(trace: StepTrace) -> list[str]:
    """Header lines: the network, cost, learning rate and batch."""
    acts = ", ".join(f"{layer.activation.name}" for layer in trace.layers)
    fixed = [str(layer.index) for layer in trace.layers if not layer.train_biases]
    lines = [
        f"Network {'-'.join(str(n) for n in trace.sizes)} (activations of layers 1..{len(trace.layers)}: {acts}), "
        f"cost {trace.cost.name}, learning rate η = {exact(trace.eta)}, batch of {trace.batch_size} "
        f"sample{'s' if trace.batch_size > 1 else ''}.",
        "Notation: w^l_jk connects neuron k of layer l-1 to neuron j of layer l; a^0 = x; δ^l = ∂C/∂z^l.",
    ]
    if fixed:
        lines.append(f"Biases of layer{'s' if len(fixed) > 1 else ''} {', '.join(fixed)} are fixed (not trained).")
    if trace.note:
        lines.append(trace.note)
    return lines


def title_of(trace: StepTrace) -> str:
    return trace.title or "One step of backpropagation"


# -- terminal --------------------------------------------------------------------------


def print_trace(trace: StepTrace, console=None, digits: int = 9) -> None:
    """Print the trace to a rich console (the terminal by default)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    f = NumberFormat(digits)
    console.rule(Text(title_of(trace), style="bold"))
    for line in describe(trace):
        console.print(Text(line))
    for section in build_sections(trace, digits):
        console.print()
        console.rule(Text(f"{section.title}  [{section.equation}]"), style="cyan", align="left")
        for formula in section.formulas:
            console.print(Text("  " + formula, style="italic"))
        for note in section.notes:
            console.print(Text("  " + note, style="dim"))
        if section.lines:
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            table.add_column("eq", style="cyan")
            table.add_column("quantity", style="bold")
            table.add_column("= with the numbers", overflow="fold")
            table.add_column("= value", justify="right", style="green")
            for line in section.lines:
                table.add_row(Text(line.equation), Text(line.symbol), Text(line.expression), Text(f(line.value)))
            console.print(table)
        for matrix in section.matrices:
            console.print(_rich_matrix(matrix, f))


def _rich_matrix(matrix: Matrix, f: NumberFormat):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    array = np.atleast_2d(matrix.array)
    table = Table(title=Text(matrix.name), box=box.MINIMAL, title_justify="left")
    table.add_column("")
    for c in range(array.shape[1]):
        table.add_column(f"{matrix.column_label}{c + 1}" if matrix.column_label else str(c + 1), justify="right")
    for r, row in enumerate(array):
        label = f"{matrix.row_label}{r + 1}" if matrix.row_label else ""
        table.add_row(label, *(f(v) for v in row))
    return table


def terminal_text(trace: StepTrace, width: int = 120, digits: int = 9) -> str:
    """The terminal rendering as plain text (no colours), e.g. for tests."""
    from rich.console import Console

    buffer = io.StringIO()
    print_trace(trace, Console(file=buffer, width=width, color_system=None, legacy_windows=False), digits)
    return buffer.getvalue()


# -- Markdown ----------------------------------------------------------------------------


def _md_code(text: str, in_table: bool = True) -> str:
    """A code span; inside a table a '|' must be escaped (GitHub Markdown)."""
    if in_table:
        text = text.replace("|", "\\|")
    return f"`{text}`" if text else ""


def to_markdown(trace: StepTrace, digits: int = 9) -> str:
    """The trace as a Markdown document: a heading and tables per section."""
    f = NumberFormat(digits)
    out = [f"# {title_of(trace)}", ""]
    out += [line for text in describe(trace) for line in (text, "")]
    for section in build_sections(trace, digits):
        out += [f"## {section.title} [{section.equation}]", ""]
        out += [f"- {_md_code(formula, in_table=False)}" for formula in section.formulas]
        out.append("")
        for note in section.notes:
            out += [note, ""]
        if section.lines:
            out += ["| eq | quantity | = with the numbers | = value |", "| --- | --- | --- | ---: |"]
            for line in section.lines:
                out.append(f"| {line.equation} | {_md_code(line.symbol)} | {_md_code(line.expression)} | {_md_code(f(line.value))} |")
            out.append("")
        for matrix in section.matrices:
            out += _md_matrix(matrix, f)
    return "\n".join(out).rstrip() + "\n"


def _md_matrix(matrix: Matrix, f: NumberFormat) -> list[str]:
    array = np.atleast_2d(matrix.array)
    header = [f"{matrix.column_label}{c + 1}" if matrix.column_label else str(c + 1) for c in range(array.shape[1])]
    lines = [f"{_md_code(matrix.name, in_table=False)}:", "", "| | " + " | ".join(header) + " |", "| --- |" + " ---: |" * len(header)]
    for r, row in enumerate(array):
        label = f"{matrix.row_label}{r + 1}" if matrix.row_label else ""
        lines.append(f"| {label} | " + " | ".join(f(v) for v in row) + " |")
    return lines + [""]


# -- HTML --------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; font-size: 1.2rem; }
.eq { color: #0a6; font-size: 0.9rem; }
ul.formulas { list-style: none; padding-left: 0.5rem; }
ul.formulas code { font-style: italic; }
p.note { color: #666; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { padding: 0.15rem 0.6rem; border-bottom: 1px solid #eee; text-align: left; }
td.value { text-align: right; font-family: monospace; color: #063; }
td.num { text-align: right; font-family: monospace; }
td code { white-space: pre-wrap; }
math { font-size: 1.1em; }
figure.network img { max-width: 40rem; }
figure.network figcaption { color: #666; font-size: 0.9rem; }
"""

_SUP = re.compile(r"\^([0-9A-Za-z+\-]+)")
_SUB = re.compile(r"_([0-9A-Za-z,]+)")


def _html_symbol(text: str) -> str:
    """'w^2_11' -> 'w<sup>2</sup><sub>11</sub>' (after escaping)."""
    text = html.escape(text)
    text = _SUP.sub(r"<sup>\1</sup>", text)
    return _SUB.sub(r"<sub>\1</sub>", text)


def to_html(trace: StepTrace, digits: int = 9, picture: bool = True) -> str:
    """The trace as a standalone HTML page (no scripts, inline style): the math typeset
    as MathML (``mathml.py``, as in the playground), and with ``picture`` a drawing of the
    network with its ∂C/∂w (``bprop.drawing``, when matplotlib can draw it)."""
    from .mathml import expression, symbol, text_html

    f = NumberFormat(digits)
    e = html.escape
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title_of(trace))}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{e(title_of(trace))}</h1>",
    ]
    out += [f"<p>{text_html(text)}</p>" for text in describe(trace)]
    if picture:
        out += _html_picture(trace)
    for section in build_sections(trace, digits):
        out.append(f'<section id="{e(section.key)}">')
        out.append(f'<h2>{text_html(section.title)} <span class="eq">[{e(section.equation)}]</span></h2>')
        if section.formulas:
            out.append('<ul class="formulas">')
            out += [f"<li>{expression(formula)}</li>" for formula in section.formulas]
            out.append("</ul>")
        out += [f'<p class="note">{text_html(note)}</p>' for note in section.notes]
        if section.lines:
            out.append("<table>")
            out.append("<thead><tr><th>eq</th><th>quantity</th><th>= with the numbers</th><th>= value</th></tr></thead>")
            out.append("<tbody>")
            for line in section.lines:
                out.append(
                    f"<tr><td>{e(line.equation)}</td><td>{symbol(line.symbol)}</td>"
                    f"<td>{expression(line.expression)}</td><td class=\"value\">{e(f(line.value))}</td></tr>"
                )
            out.append("</tbody></table>")
        for matrix in section.matrices:
            out += _html_matrix(matrix, f)
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_picture(trace: StepTrace) -> list[str]:
    """The network of the trace drawn by ``bprop.drawing`` (weights, activations, ∂C/∂w), as an
    inline SVG image; nothing when it cannot be drawn (too big, or matplotlib missing)."""
    import base64

    from ..drawing import draw_network
    from ..layers import Dense
    from ..network import Network

    # Each layer with its own activation (hidden layers may differ), and the targets read as the
    # trace read them: rows of 0/1 or probabilities per sigmoid output (multilabel), one class per
    # softmax row, values otherwise.
    layers = [Dense(layer.n_in, layer.n_out, layer.activation, weights=np.array(layer.weights, dtype=np.float64),
                    biases=np.array(layer.biases, dtype=np.float64)) for layer in trace.layers]
    task = "multilabel" if trace.output.activation.name == "sigmoid" and trace.output.n_out > 1 else None
    try:
        net = Network(layers, cost=trace.cost.name, dtype="float64", task=task)
        figure = draw_network(net, x=trace.x, y=trace.targets, gradients=True)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg")
    except (ValueError, ImportError):
        return []
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ['<figure class="network">',
            f'<img alt="the network: weights as lines, activations and ∂C/∂w of this step" src="data:image/svg+xml;base64,{data}">',
            "<figcaption>The network before the step: line width |w|, colour the sign; ∂C/∂w of this step on each line.</figcaption>",
            "</figure>"]


def _html_matrix(matrix: Matrix, f: NumberFormat) -> list[str]:
    e = html.escape
    array = np.atleast_2d(matrix.array)
    out = [f"<table><caption>{_html_symbol(matrix.name)}</caption>", "<thead><tr><th></th>"]
    for c in range(array.shape[1]):
        out.append(f"<th>{e(matrix.column_label)}{c + 1}</th>")
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(array):
        label = f"{matrix.row_label}{r + 1}" if matrix.row_label else ""
        cells = "".join(f'<td class="num">{e(f(v))}</td>' for v in row)
        out.append(f"<tr><th>{e(label)}</th>{cells}</tr>")
    out.append("</tbody></table>")
    return out


# -- files -------------------------------------------------------------------------------


def render(trace: StepTrace, fmt: str, digits: int = 9) -> str:
    """The trace as text in ``fmt``: "terminal" (plain), "markdown" or "html"."""
    if fmt == "terminal":
        return terminal_text(trace, digits=digits)
    if fmt == "markdown":
        return to_markdown(trace, digits)
    if fmt == "html":
        return to_html(trace, digits)
    raise ValueError(f"unknown trace format {fmt!r}; valid formats are: {', '.join(FORMATS)}")


def write_trace(trace: StepTrace, path, fmt: str, digits: int = 9) -> None:
    """Write the trace to ``path`` atomically (the old file stays if anything fails)."""
    from ..io import atomic_open

    text = render(trace, fmt, digits)
    with atomic_open(path, "w") as handle:
        handle.write(text)
