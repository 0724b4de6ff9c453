"""Pictures of a computational graph: SVG/PNG with matplotlib, or Graphviz DOT text.

    >>> from bprop.graph import Value
    >>> from bprop.drawing.graph import render
    >>> apple, num, tax = Value(100.0, "apple"), Value(2.0, "num"), Value(1.1, "tax")
    >>> price = (apple * num * tax).named("price")
    >>> price.backward()
    >>> render(price, "apple.svg", title="Seed 000: buying apples")  # doctest: +SKIP

Every node is a box: its op sign and label on top, then its forward value
(``data``) and, after ``backward``, its gradient d(output)/d(node) (``grad``).
Arrows run from inputs to the node they feed, into one port per operand.
The layout is computed here (graph_layout.py); no Graphviz or other program is needed.
matplotlib is imported inside the functions, so ``import bprop.graph`` stays light.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..graph.backward import topological_order
from ..graph.value import Value
from .figures import new_figure, picture_format, save_figure
from .graph_layout import GraphLayout, layout_graph

MAX_NODES = 500
FORMATS = ("svg", "png")

# Style, in points and inches; colours as in a textbook figure.
_HEADER_SIZE = 9.5
_VALUE_SIZE = 8.5
_HEADER_FONT = "DejaVu Sans"
_VALUE_FONT = "DejaVu Sans Mono"
_LINE_HEIGHT = {"header": 0.21, "value": 0.17}  # inches per text line
_PAD_X, _PAD_Y = 0.12, 0.06
_COLORS = {
    "leaf": "#dbeafe",  # inputs and parameters
    "const": "#f1f5f9",  # unlabelled constants
    "op": "#ffffff",
    "output": "#fde68a",
    "border": "#334155",
    "edge": "#64748b",
    "data": "#0f172a",
    "grad": "#b91c1c",
    "muted": "#64748b",
}


def format_number(x: float, digits: int = 4) -> str:
    """Fixed point with ``digits`` decimals; scientific when very large or small."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x != 0.0 and not 10.0 ** -digits <= abs(x) < 1e6:
        return f"{x:.{max(digits - 1, 1)}e}"
    return f"{x:.{digits}f}"


def node_text(node: Value, *, show_grad: bool = True, digits: int = 4) -> tuple[str, list[str]]:
    """The header (op sign and label) and the value lines of a node's box."""
    if node.op:
        header = f"{node.symbol}  {node.label}" if node.label else node.symbol
    else:
        header = node.label or "const"
    lines = [f"data {format_number(node.data, digits)}"]
    if show_grad:
        lines.append(f"grad {format_number(node.grad, digits)}")
    return header, lines


def _check_size(output: Value, max_nodes: int) -> list[Value]:
    if not isinstance(output, Value):
        raise TypeError(f"expected a Value, got {type(output).__name__}")
    order = topological_order(output)
    if len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order)} nodes, too many to draw legibly (limit {max_nodes}); "
            f"draw a smaller network (fewer layers, units or inputs), or a sub-expression "
            f"such as one neuron"
        )
    return order


def _text_width(text: str, *, family: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches, measured from the font itself (no figure needed)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(family=family, size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, font, ismath=False)
    return width / 72.0


def compute_layout(output: Value, *, show_grad: bool = True, digits: int = 4) -> GraphLayout:
    """The layout ``draw`` uses, with box sizes measured from the fonts."""

    def size_of(node: Value) -> tuple[float, float]:
        header, lines = node_text(node, show_grad=show_grad, digits=digits)
        widths = [_text_width(header, family=_HEADER_FONT, size=_HEADER_SIZE, bold=True)]
        widths += [_text_width(line, family=_VALUE_FONT, size=_VALUE_SIZE) for line in lines]
        height = _LINE_HEIGHT["header"] + len(lines) * _LINE_HEIGHT["value"]
        return max(widths) + 2 * _PAD_X, height + 2 * _PAD_Y

    return layout_graph(output, size_of)


def draw(
    output: Value,
    *,
    title: str | None = None,
    show_grad: bool = True,
    digits: int = 4,
    max_nodes: int = MAX_NODES,
):
    """The graph of ``output`` as a matplotlib ``Figure`` (not attached to pyplot).

    Args:
        output: the node whose graph to draw (usually the loss).
        title: optional text above the drawing.
        show_grad: show the ``grad`` line (call ``output.backward()`` first) and a
            note saying what it means.
        digits: decimals of the numbers.
        max_nodes: refuse larger graphs with a ``ValueError``.

    The figure size follows the layout (inches = layout units), so text keeps its
    size and a large graph gives a large figure rather than tiny text.
    """
    _check_size(output, max_nodes)
    layout = compute_layout(output, show_grad=show_grad, digits=digits)
    note = None
    if show_grad:
        name = output.name
        note = f"data: forward value    grad: ∂{name}/∂node, filled by {name}.backward()"

    # Bands above and below the graph for the title and the note; the figure is
    # widened (graph centred) when either is wider than the graph.
    title_band = 0.45 if title else 0.0
    note_band = 0.3 if note else 0.0
    width = layout.width
    if title:
        width = max(width, _text_width(title, family=_HEADER_FONT, size=11, bold=True) + 0.4)
    if note:
        width = max(width, _text_width(note, family=_HEADER_FONT, size=8) + 0.4)
    pad = (width - layout.width) / 2

    fig = new_figure(figsize=(width, layout.height + title_band + note_band))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(-pad, layout.width + pad)
    ax.set_ylim(layout.height + note_band, -title_band)  # y grows downwards, as in the layout
    ax.set_axis_off()
    if title:
        ax.text(
            layout.width / 2, -title_band / 2, title, ha="center", va="center",
            fontsize=11, fontweight="bold", family=_HEADER_FONT, parse_math=False,
        )
    if note:
        ax.text(
            -pad + 0.2, layout.height + note_band / 2 - 0.05, note, ha="left", va="center",
            fontsize=8, family=_HEADER_FONT, color=_COLORS["muted"], parse_math=False,
        )
    _draw_edges(ax, layout)
    _draw_boxes(ax, layout, output, show_grad=show_grad, digits=digits)
    return fig


def _draw_edges(ax, layout: GraphLayout) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MplPath

    for edge in layout.edges:
        vertices, codes = _edge_path(edge.points, MplPath)
        ax.add_patch(
            FancyArrowPatch(
                path=MplPath(vertices, codes),
                arrowstyle="-|>",
                mutation_scale=11,
                linewidth=1.0,
                color=_COLORS["edge"],
                shrinkA=0,
                shrinkB=0,
                zorder=1,
            )
        )


def _draw_boxes(ax, layout: GraphLayout, output: Value, *, show_grad: bool, digits: int) -> None:
    """Each node: a rounded box, header (op and label), a rule, then data and grad."""
    from matplotlib.patches import FancyBboxPatch

    for box in layout.boxes:
        node = box.node
        if node is output:
            fill = _COLORS["output"]
        elif node.op:
            fill = _COLORS["op"]
        else:
            fill = _COLORS["leaf"] if node.label else _COLORS["const"]
        ax.add_patch(
            FancyBboxPatch(
                (box.left, box.top),
                box.width,
                box.height,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor=fill,
                edgecolor=_COLORS["border"],
                linewidth=1.0,
                zorder=2,
            )
        )
        header, lines = node_text(node, show_grad=show_grad, digits=digits)
        ax.text(
            box.x, box.top + _PAD_Y + _LINE_HEIGHT["header"] / 2, header,
            ha="center", va="center", fontsize=_HEADER_SIZE, fontweight="bold",
            family=_HEADER_FONT, zorder=3, parse_math=False,
            color=_COLORS["data"] if node.label or node.op else _COLORS["muted"],
        )
        rule_y = box.top + _PAD_Y + _LINE_HEIGHT["header"]
        ax.plot(
            [box.left, box.right], [rule_y, rule_y], color=_COLORS["border"],
            linewidth=0.6, zorder=3,
        )
        for k, line in enumerate(lines):
            ax.text(
                box.x, rule_y + (k + 0.5) * _LINE_HEIGHT["value"], line,
                ha="center", va="center", fontsize=_VALUE_SIZE, family=_VALUE_FONT,
                zorder=3, parse_math=False,
                color=_COLORS["grad"] if line.startswith("grad") else _COLORS["data"],
            )


def _edge_path(points, MplPath):
    """Cubic Bézier pieces through ``points``, leaving and entering horizontally."""
    vertices = [points[0]]
    codes = [MplPath.MOVETO]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if y0 == y1:
            vertices.append((x1, y1))
            codes.append(MplPath.LINETO)
            continue
        dx = (x1 - x0) / 2
        vertices += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
        codes += [MplPath.CURVE4] * 3
    return vertices, codes


def render(
    output: Value,
    path: str | Path,
    *,
    title: str | None = None,
    show_grad: bool = True,
    digits: int = 4,
    dpi: float | None = None,
    max_nodes: int = MAX_NODES,
) -> Path:
    """Draw the graph of ``output`` to ``path``; the suffix (.svg or .png) picks the format.

    SVG keeps its text as text (searchable, selectable). PNG uses ``dpi`` (default
    150, lowered for big graphs to keep the image under about 8000 pixels a side).
    The file is written atomically (``bprop.io.atomic_open``: the old file stays if
    anything fails). Returns the path written.
    """
    path = Path(path)
    picture_format(path, FORMATS)  # an unknown suffix is refused before any drawing
    fig = draw(output, title=title, show_grad=show_grad, digits=digits, max_nodes=max_nodes)
    if dpi is None:
        width, height = fig.get_size_inches()
        dpi = max(50.0, min(150.0, 8000.0 / max(width, height)))
    save_figure(fig, path, dpi=dpi, tight=False, formats=FORMATS)
    return path


def to_dot(
    output: Value, *, show_grad: bool = True, digits: int = 4, max_nodes: int | None = None
) -> str:
    """Graphviz DOT text of the graph (records "header | data … | grad …", left to right).

    Only text: render it with any Graphviz tool, e.g. ``dot -Tsvg graph.dot``.
    """
    order = topological_order(output) if max_nodes is None else _check_size(output, max_nodes)
    lines = [
        "digraph bprop {",
        "  rankdir=LR;",
        '  node [shape=record, fontname="Helvetica", fontsize=10];',
    ]
    for node in order:
        header, values = node_text(node, show_grad=show_grad, digits=digits)
        fields = " | ".join(_dot_escape(text) for text in [header, *values])
        attrs = f'label="{{ {fields} }}"'
        if node is output:
            attrs += ', style=filled, fillcolor="#fde68a"'
        elif not node.op:
            fill = _COLORS["leaf"] if node.label else _COLORS["const"]
            attrs += f', style=filled, fillcolor="{fill}"'
        lines.append(f"  n{node.id} [{attrs}];")
    for node in order:
        # Operand names on the edges where their order matters (a - b, a / b, a ** b).
        ordered = node.op in ("sub", "div", "vpow")
        for slot, parent in enumerate(node.parents):
            attrs = f' [label="{"ab"[slot]}", fontsize=8]' if ordered else ""
            lines.append(f"  n{parent.id} -> n{node.id}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    """Escape the characters that are special inside a DOT record label."""
    for char in "\\{}|<>\"":
        text = text.replace(char, "\\" + char)
    return text
