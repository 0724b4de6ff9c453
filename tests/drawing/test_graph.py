"""Tests of the graph layout and pictures: SVG, PNG and DOT output, size limits."""

import xml.etree.ElementTree as ET

import pytest

from bprop.drawing.graph import draw, render, to_dot
from bprop.graph import Value
from bprop.drawing.graph_layout import _place_in_order, assign_layers, layout_graph
from bprop.drawing.graph import compute_layout, format_number, node_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def apple_example():
    apple, num, tax = Value(100.0, "apple"), Value(2.0, "num"), Value(1.1, "tax")
    apple_price = (apple * num).named("apple_price")
    price = (apple_price * tax).named("price")
    price.backward()
    return price


def neuron():
    x1, x2 = Value(0.05, "x1"), Value(0.10, "x2")
    w1, w2, b = Value(0.15, "w1"), Value(0.20, "w2"), Value(0.35, "b")
    a = (w1 * x1 + w2 * x2 + b).named("z").sigmoid().named("a")
    loss = (0.5 * (a - Value(0.01, "y")) ** 2).named("C")
    loss.backward()
    return loss


def mlp(sizes):
    """A tanh network as scalar Values, layer sizes e.g. (3, 4, 1)."""
    acts = [Value(0.1 * (i + 1), f"x{i + 1}") for i in range(sizes[0])]
    for layer, n_out in enumerate(sizes[1:], 1):
        new = []
        for j in range(n_out):
            z = Value(0.1 * j, f"b{layer}{j}")
            for k, a in enumerate(acts):
                z = z + Value(0.3 - 0.1 * k + 0.05 * j, f"w{layer}{j}{k}") * a
            new.append(z.tanh())
        acts = new
    loss = sum(((a - 0.5) ** 2 for a in acts), Value(0.0)).named("loss")
    loss.backward()
    return loss


def unit_size(node):
    return (1.0, 0.5)


# --- layout ---------------------------------------------------------------------


def test_layers_are_longest_paths_with_leaves_next_to_their_consumer():
    price = apple_example()
    layer = assign_layers(price.topological_order())
    by_label = {node.label: layer[node] for node in layer}
    assert by_label == {"apple": 0, "num": 0, "apple_price": 1, "tax": 1, "price": 2}


def test_place_in_order_keeps_order_and_gaps_closest_to_the_wish():
    assert _place_in_order([0.0, 0.0, 0.0], [1.0, 1.0]) == pytest.approx([-1.0, 0.0, 1.0])
    assert _place_in_order([0.0, 5.0], [1.0]) == pytest.approx([0.0, 5.0])  # already apart
    assert _place_in_order([3.0, 0.0], [2.0]) == pytest.approx([0.5, 2.5])  # swapped wishes


def test_layout_has_no_overlaps_and_edges_point_right():
    loss = mlp((2, 3, 1))
    layout = layout_graph(loss, unit_size)
    assert len(layout.boxes) == len(loss.topological_order())
    for column in layout.layers:
        boxes = sorted((layout.box(node) for node in column), key=lambda b: b.y)
        for upper, lower in zip(boxes, boxes[1:]):
            assert lower.top - upper.bottom >= 0.2  # the node gap, minus rounding
    for edge in layout.edges:
        xs = [x for x, _ in edge.points]
        assert xs == sorted(xs)
        assert edge.points[0] == (layout.box(edge.source).right, layout.box(edge.source).y)
        assert edge.points[-1][0] == layout.box(edge.target).left
    for box in layout.boxes:
        assert 0 < box.left and box.right < layout.width
        assert 0 < box.top and box.bottom < layout.height


def test_layout_is_deterministic():
    first = layout_graph(mlp((2, 2, 1)), unit_size)
    second = layout_graph(mlp((2, 2, 1)), unit_size)
    assert [(b.node.label, b.node.op, b.x, b.y) for b in first.boxes] == [
        (b.node.label, b.node.op, b.x, b.y) for b in second.boxes
    ]


def test_small_textbook_graphs_have_no_crossings():
    assert layout_graph(apple_example(), unit_size).crossings == 0
    assert layout_graph(neuron(), unit_size).crossings == 0


def test_operands_enter_top_to_bottom_and_repeated_use_gets_two_edges():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    d = (a - b).named("d")
    layout = layout_graph(d, unit_size)
    into_d = sorted(layout.edges, key=lambda e: e.slot)
    assert [e.source for e in into_d] == [a, b]
    assert into_d[0].points[-1][1] < into_d[1].points[-1][1]  # a's port above b's
    assert layout.box(a).y < layout.box(b).y

    square = a * a
    edges = layout_graph(square, unit_size).edges
    assert len(edges) == 2 and edges[0].points[-1] != edges[1].points[-1]


def test_long_edges_are_routed_through_each_layer_they_cross():
    x = Value(1.0, "x")
    deep = x.tanh().tanh().tanh()
    out = deep + x  # x (layer 0) feeds layer 1 and layer 4
    layout = layout_graph(out, unit_size)
    skip = [e for e in layout.edges if e.source is x and e.target is out][0]
    assert len(skip.points) == 2 + 2 * 3  # dummies in layers 1-3, each entered and left
    assert len({y for _, y in skip.points[1:-1]}) == 1  # and kept straight


# --- pictures ----------------------------------------------------------------------


def test_format_number():
    assert format_number(0.37754) == "0.3775"
    assert format_number(220.0) == "220.0000"
    assert format_number(-1.5e-7) == "-1.500e-07"
    assert format_number(0.0) == "0.0000"
    assert format_number(float("nan")) == "nan"


def test_node_text():
    price = apple_example()
    assert node_text(price) == ("×  price", ["data 220.0000", "grad 1.0000"])
    assert node_text(Value(2.0)) == ("const", ["data 2.0000", "grad 0.0000"])
    assert node_text(price, show_grad=False)[1] == ["data 220.0000"]


def test_svg_is_valid_and_contains_the_node_texts(tmp_path):
    path = render(apple_example(), tmp_path / "apple.svg", title="Seed 000")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = {"".join(el.itertext()).strip() for el in root.iter() if el.tag.endswith("text")}
    expected = {
        "apple", "num", "tax", "×  apple_price", "×  price", "Seed 000",
        "data 100.0000", "grad 2.2000", "grad 110.0000", "grad 200.0000", "data 220.0000",
    }
    assert expected <= texts


def test_svg_is_identical_run_to_run(tmp_path):
    first = render(apple_example(), tmp_path / "a.svg").read_bytes()
    second = render(apple_example(), tmp_path / "b.svg").read_bytes()
    assert first == second


def test_png_is_valid_and_plausibly_sized(tmp_path):
    import matplotlib.image as mpimg

    path = render(neuron(), tmp_path / "neuron.png", title="One neuron")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert 300 < width < 4000 and 200 < height < 2000
    assert width > height  # left-to-right layout
    assert image.shape[2] in (3, 4)


def test_figure_size_scales_with_the_graph():
    small = draw(apple_example())
    large = draw(mlp((3, 4, 1)))
    assert large.get_size_inches()[0] > small.get_size_inches()[0]
    assert large.get_size_inches()[1] > small.get_size_inches()[1]


def test_a_150_node_graph_lays_out_legibly():
    loss = mlp((3, 6, 4, 1))
    n = len(loss.topological_order())
    assert 120 <= n <= 200
    layout = compute_layout(loss)
    heights = {round(b.height, 6) for b in layout.boxes}
    assert len(heights) == 1  # text keeps its size; the figure grows instead
    assert layout.height < 60 and layout.width < 60  # inches


def test_huge_graphs_are_refused_with_advice(tmp_path):
    x = Value(1.0)
    for _ in range(300):
        x = x * 1.0001  # 601 nodes
    with pytest.raises(ValueError, match="601 nodes.*smaller network"):
        render(x, tmp_path / "huge.png")
    with pytest.raises(ValueError, match="smaller network"):
        draw(x)


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        render(apple_example(), tmp_path / "graph.jpg")


def test_to_dot():
    price = apple_example()
    dot = to_dot(price)
    assert dot.startswith("digraph bprop {") and dot.rstrip().endswith("}")
    assert dot.count("->") == 4
    assert "{ ×  price | data 220.0000 | grad 1.0000 }" in dot
    assert "{ apple | data 100.0000 | grad 2.2000 }" in dot

    d = Value(1.0, "a{1}") - Value(2.0, "b|2")
    dot = to_dot(d, show_grad=False)
    assert "a\\{1\\}" in dot and "b\\|2" in dot
    assert '[label="a"' in dot and '[label="b"' in dot
