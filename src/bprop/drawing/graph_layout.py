"""A left-to-right layered layout of a computational graph, in inches, without matplotlib.

The classic layered ("Sugiyama") recipe, kept small:

1. **Layers.** A node's layer is the longest path to it from the leaves, so every
   edge points rightwards. A leaf is then moved right to sit just before its first
   consumer, as textbooks draw a constant (seed 000's tax of 1.1) beside the node
   it feeds instead of far away at the inputs.
2. **Dummy nodes.** An edge spanning several layers gets one invisible dummy per
   layer it passes, so every edge joins adjacent layers and can be routed around boxes.
3. **Order within layers.** Start from the topological order (first operands on
   top), then sweep left-to-right and right-to-left sorting each layer by the mean
   position of its neighbours (the barycenter heuristic); keep the order with the
   fewest edge crossings. Ties keep the current order, so the result is deterministic.
4. **Vertical positions.** Each node wants to sit level with its neighbours; a few
   sweeps move it there, solving "closest to the wish while keeping the order and
   the gaps" exactly per layer (isotonic regression by pool-adjacent-violators).

Each op node has one input port per operand on its left side, top to bottom in
operand order, so ``a - b`` shows which input is which and ``a * a`` two edges.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Callable

from ..graph.backward import topological_order
from ..graph.value import Value


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: centre (x, y) in inches, y pointing down."""

    node: Value
    layer: int
    x: float
    y: float
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Edge:
    """An arrow from ``source`` (an input) into operand ``slot`` of ``target``.

    ``points`` run from the middle of the source's right side, through the
    positions of the edge's dummy nodes, to the target's input port.
    """

    source: Value
    target: Value
    slot: int
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class GraphLayout:
    """Boxes (in topological order), edges, and the drawing's size in inches."""

    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    layers: tuple[tuple[Value, ...], ...]  # real nodes of each layer, top to bottom
    width: float
    height: float
    crossings: int

    def box(self, node: Value) -> Box:
        for box in self.boxes:
            if box.node is node:
                return box
        raise KeyError(f"{node!r} is not in this layout")


def assign_layers(order: list[Value]) -> dict[Value, int]:
    """Layer of each node of ``order`` (a topological order): longest path from the
    leaves, then each leaf moved to just before its first consumer."""
    layer: dict[Value, int] = {}
    for node in order:
        layer[node] = 1 + max(layer[p] for p in node.parents) if node.parents else 0
    first_use: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            if parent.is_leaf:
                first_use[parent] = min(first_use.get(parent, layer[node]), layer[node])
    for leaf, consumer_layer in first_use.items():
        layer[leaf] = consumer_layer - 1
    return layer


def layout_graph(
    root: Value,
    size_of: Callable[[Value], tuple[float, float]],
    *,
    layer_gap: float = 0.6,
    node_gap: float = 0.25,
    margin: float = 0.2,
    sweeps: int = 8,
) -> GraphLayout:
    """Lay out the graph of ``root`` left to right.

    Args:
        root: the output node; every node it depends on is placed.
        size_of: (width, height) in inches of a node's box. All boxes of a layer
            get the layer's largest width, so the columns line up.
        layer_gap: horizontal space between columns, for the arrows.
        node_gap: vertical space between boxes of a layer.
        margin: space around the drawing.
        sweeps: rounds of barycenter ordering (each one left-to-right and back).
    """
    order = topological_order(root)
    layer_of = assign_layers(order)
    n_layers = max(layer_of.values()) + 1
    sizes = [size_of(node) for node in order]
    graph = _ProperGraph(order, layer_of, n_layers)

    layers = graph.initial_order()
    layers, crossings = _reduce_crossings(graph, layers, sweeps)

    heights = [sizes[i][1] if i < graph.n_real else 0.0 for i in range(graph.n_items)]
    ports = graph.port_offsets(heights)
    y = _assign_y(graph, layers, heights, ports, node_gap)

    top = min(y[i] - heights[i] / 2 for i in range(graph.n_items))
    bottom = max(y[i] + heights[i] / 2 for i in range(graph.n_items))
    shift = margin - top
    y = [v + shift for v in y]
    height = bottom - top + 2 * margin

    col_x, col_width, width = _columns(
        graph, layers, [size[0] for size in sizes], y, ports, layer_gap, margin
    )
    boxes = tuple(
        Box(
            node=node,
            layer=layer_of[node],
            x=col_x[layer_of[node]],
            y=y[i],
            width=col_width[layer_of[node]],
            height=sizes[i][1],
        )
        for i, node in enumerate(order)
    )
    edges = []
    for source, target, slot, chain in graph.edges:
        src_box, dst_box = boxes[source], boxes[target]
        points = [(src_box.right, src_box.y)]
        for dummy in chain:
            layer = graph.item_layer[dummy]
            points.append((col_x[layer] - col_width[layer] / 2, y[dummy]))
            points.append((col_x[layer] + col_width[layer] / 2, y[dummy]))
        points.append((dst_box.left, dst_box.y + ports[target][slot]))
        edges.append(Edge(order[source], order[target], slot, tuple(points)))
    real_layers = tuple(
        tuple(order[i] for i in items if i < graph.n_real) for items in layers
    )
    return GraphLayout(boxes, tuple(edges), real_layers, width, height, crossings)


def _columns(graph, layers, widths, y, ports, layer_gap, margin):
    """Centre and width of each layer's column, and the drawing's width.

    A column is as wide as its widest box. A gap crossed by steep edges (a
    fan-out to far-away nodes) is widened, so the arrows stay readable.
    """
    col_width = [0.0] * graph.n_layers
    for item, w in enumerate(widths):
        layer = graph.item_layer[item]
        col_width[layer] = max(col_width[layer], w)
    col_width = [w if w > 0 else 0.3 for w in col_width]
    col_x = []
    x = margin
    for layer, w in enumerate(col_width):
        col_x.append(x + w / 2)
        x += w
        if layer < graph.n_layers - 1:
            rise = _steepest_rise(graph, layers[layer], y, ports)
            x += min(max(layer_gap, 0.18 * rise), 4 * layer_gap)
    return col_x, col_width, x + margin


class _ProperGraph:
    """The graph with a dummy node wherever an edge skips a layer.

    Items 0..n_real-1 are the nodes (indices into the topological order); items
    from n_real on are dummies. ``preds[v]`` / ``succs[u]`` list (neighbour, slot)
    pairs between adjacent layers; ``slot`` is the operand position at the real
    target the segment leads to, or None when the segment ends at a dummy.
    """

    def __init__(self, order: list[Value], layer_of: dict[Value, int], n_layers: int):
        index = {node: i for i, node in enumerate(order)}
        self.n_real = len(order)
        self.n_layers = n_layers
        self.item_layer = [layer_of[node] for node in order]
        self.arity = [len(node.parents) for node in order]
        self.sort_key = [float(i) for i in range(self.n_real)]
        self.preds: list[list[tuple[int, int | None]]] = [[] for _ in order]
        self.succs: list[list[tuple[int, int | None]]] = [[] for _ in order]
        self.edges: list[tuple[int, int, int, list[int]]] = []
        for target, node in enumerate(order):
            for slot, parent in enumerate(node.parents):
                source = index[parent]
                chain = []
                previous = source
                for layer in range(self.item_layer[source] + 1, self.item_layer[target]):
                    dummy = self._add_dummy(layer, sort_key=source + 0.5)
                    self._link(previous, dummy, None)
                    chain.append(dummy)
                    previous = dummy
                self._link(previous, target, slot)
                self.edges.append((source, target, slot, chain))

    @property
    def n_items(self) -> int:
        return len(self.item_layer)

    def _add_dummy(self, layer: int, sort_key: float) -> int:
        self.item_layer.append(layer)
        self.arity.append(0)
        self.sort_key.append(sort_key)
        self.preds.append([])
        self.succs.append([])
        return len(self.item_layer) - 1

    def _link(self, u: int, v: int, slot: int | None) -> None:
        self.succs[u].append((v, slot))
        self.preds[v].append((u, slot))

    def initial_order(self) -> list[list[int]]:
        layers: list[list[int]] = [[] for _ in range(self.n_layers)]
        for item in sorted(range(self.n_items), key=lambda i: (self.sort_key[i], i)):
            layers[self.item_layer[item]].append(item)
        return layers

    def slot_fraction(self, v: int, slot: int | None) -> float:
        """Small offset of a port within a node, for ordering: first operand on top."""
        if slot is None or self.arity[v] < 2:
            return 0.0
        return 0.3 * (slot - (self.arity[v] - 1) / 2) / (self.arity[v] - 1)

    def port_offsets(self, heights: list[float]) -> list[list[float]]:
        """Vertical offset of each input port from its node's centre, in inches."""
        offsets = []
        for item in range(self.n_items):
            k = self.arity[item]
            if k < 2:
                offsets.append([0.0] * k)
                continue
            step = min(0.18, 0.7 * heights[item] / (k - 1))
            offsets.append([(slot - (k - 1) / 2) * step for slot in range(k)])
        return offsets


def _reduce_crossings(graph: _ProperGraph, layers: list[list[int]], sweeps: int):
    """Barycenter sweeps; returns the best layer orders seen and their crossing count."""
    pos = [0] * graph.n_items
    for items in layers:
        for p, item in enumerate(items):
            pos[item] = p

    def reorder(items, neighbours):
        bary = {}
        for v in items:
            around = neighbours(v)
            bary[v] = sum(around) / len(around) if around else pos[v]
        items.sort(key=lambda v: (bary[v], pos[v]))
        for p, v in enumerate(items):
            pos[v] = p

    best = [list(items) for items in layers]
    best_crossings = _count_crossings(graph, layers, pos)
    for _ in range(sweeps):
        if best_crossings == 0:
            break
        for layer in range(1, graph.n_layers):
            reorder(layers[layer], lambda v: [pos[u] for u, _ in graph.preds[v]])
        for layer in range(graph.n_layers - 2, -1, -1):
            reorder(
                layers[layer],
                lambda u: [pos[v] + graph.slot_fraction(v, s) for v, s in graph.succs[u]],
            )
        crossings = _count_crossings(graph, layers, pos)
        if crossings < best_crossings:
            best = [list(items) for items in layers]
            best_crossings = crossings
    return best, best_crossings


def _count_crossings(graph: _ProperGraph, layers: list[list[int]], pos: list[int]) -> int:
    """Pairs of segments between adjacent layers that cross (ports count as positions)."""
    total = 0
    for items in layers[:-1]:
        segments = sorted(
            (pos[u], pos[v] + graph.slot_fraction(v, s)) for u in items for v, s in graph.succs[u]
        )
        seen: list[float] = []
        for _, end in segments:
            # sorted by start: every earlier segment ending further down crosses this one
            total += len(seen) - bisect.bisect_right(seen, end)
            bisect.insort(seen, end)
    return total


def _steepest_rise(graph, items, y, ports) -> float:
    """Largest vertical distance an edge leaving ``items`` travels to the next layer."""
    rise = 0.0
    for u in items:
        for v, slot in graph.succs[u]:
            port = 0.0 if slot is None else ports[v][slot]
            rise = max(rise, abs(y[v] + port - y[u]))
    return rise


def _assign_y(graph, layers, heights, ports, node_gap, rounds: int = 12) -> list[float]:
    """Vertical centres: every item as level with its neighbours as order and gaps allow."""

    def gap(a: int, b: int) -> float:
        real = (a < graph.n_real) + (b < graph.n_real)
        return (heights[a] + heights[b]) / 2 + node_gap * (1.0, 0.6, 0.35)[2 - real]

    y = [0.0] * graph.n_items
    for items in layers:  # stacked, each layer centred on 0
        offset = 0.0
        for p, item in enumerate(items):
            if p:
                offset += gap(items[p - 1], item)
            y[item] = offset
        for item in items:
            y[item] -= offset / 2

    def port_y(v, slot):
        return 0.0 if slot is None else ports[v][slot]

    def settle(items, wish):
        desired = [wish(item) for item in items]
        gaps = [gap(a, b) for a, b in zip(items, items[1:])]
        for item, value in zip(items, _place_in_order(desired, gaps)):
            y[item] = value

    def from_preds(v):
        around = [y[u] - port_y(v, s) for u, s in graph.preds[v]]
        return sum(around) / len(around) if around else y[v]

    def from_succs(u):
        around = [y[v] + port_y(v, s) for v, s in graph.succs[u]]
        return sum(around) / len(around) if around else y[u]

    def from_both(v):
        around = [y[u] - port_y(v, s) for u, s in graph.preds[v]]
        around += [y[w] + port_y(w, s) for w, s in graph.succs[v]]
        return sum(around) / len(around) if around else y[v]

    for _ in range(rounds):
        for layer in range(1, graph.n_layers):
            settle(layers[layer], from_preds)
        for layer in range(graph.n_layers - 2, -1, -1):
            settle(layers[layer], from_succs)
    for items in layers:
        settle(items, from_both)
    return y


def _place_in_order(desired: list[float], gaps: list[float]) -> list[float]:
    """Positions closest (least squares) to ``desired`` with y[i+1] - y[i] >= gaps[i].

    Substituting z[i] = y[i] - (gaps[0] + ... + gaps[i-1]) turns the gaps into
    "z is non-decreasing": isotonic regression, solved by pooling adjacent violators.
    """
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    blocks: list[list[float]] = []  # [sum of targets, count]
    for target in (d - o for d, o in zip(desired, offsets)):
        blocks.append([target, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    z = []
    for total, count in blocks:
        z.extend([total / count] * int(count))
    return [zi + o for zi, o in zip(z, offsets)]
