"""Pictures of small networks: neurons in columns, weights as lines.

``draw_network(net, "net.png")`` draws layer 0 (the inputs) to layer L as
columns of labelled circles (x_k, h_j, o_j; h^l_j with several hidden layers).
A connection w^l_jk is a line whose width grows with |w| and whose colour gives
its sign (blue positive, red negative). Optionally each neuron shows its
activation a^l_j for one input sample, and each connection its gradient ∂C/∂w
from one backward pass (``Network.backprop``) on given inputs and targets.

matplotlib (Agg, no pyplot state) is imported inside the functions. The file
type follows the suffix (.png, .svg, .pdf) and is written atomically.
"""

from __future__ import annotations

import numpy as np

from .figures import new_figure, picture_format, save_figure

#: Layers bigger than this are drawn as a summarized column: their first and last neurons
#: (``SUMMARY_HEAD`` and ``SUMMARY_TAIL``) with an ellipsis between (a column of 60+ circles is unreadable).
MAX_DRAW_LAYER = 60
SUMMARY_HEAD, SUMMARY_TAIL = 6, 2
#: Connections are labelled with their numbers only when a layer pair has at most this many
#: (fewer with gradients, whose labels take two lines).
MAX_LABELLED_CONNECTIONS = 9
MAX_LABELLED_GRADIENTS = 6
#: Neurons show their values only in layers up to this size.
MAX_LABELLED_LAYER = 12

POSITIVE = "#1f5fbf"
NEGATIVE = "#d62728"


def neuron_labels(sizes: list[int]) -> list[list[str]]:
    """Mathtext labels: x_k for inputs, h_j (h^l_j with several hidden layers), o_j for outputs."""
    hidden = len(sizes) - 2
    labels = []
    for l, n in enumerate(sizes):
        if l == 0:
            labels.append([f"$x_{{{k + 1}}}$" for k in range(n)])
        elif l == len(sizes) - 1:
            labels.append([f"$o_{{{j + 1}}}$" for j in range(n)])
        elif hidden == 1:
            labels.append([f"$h_{{{j + 1}}}$" for j in range(n)])
        else:
            labels.append([f"$h^{{{l}}}_{{{j + 1}}}$" for j in range(n)])
    return labels


def _plain(label: str) -> str:
    """'$x_{1}$' -> 'x1', '$h^{2}_{3}$' -> 'h2.3' (SVG ids)."""
    text = label.strip("$").replace("{", "").replace("}", "")
    return text.replace("^", "").replace("_", ".") if "^" in text else text.replace("_", "")


def shown_neurons(n: int) -> list[int]:
    """The neurons of an n-neuron layer that a picture draws: all, or the first and last few."""
    if n <= MAX_DRAW_LAYER:
        return list(range(n))
    return list(range(SUMMARY_HEAD)) + list(range(n - SUMMARY_TAIL, n))


def check_drawable(sizes: list[int]) -> None:
    """Raise ValueError for sizes no picture can take (none since large layers are summarized;
    kept for the callers that check before building data)."""
    if not sizes or min(sizes) < 1:
        raise ValueError(f"cannot draw a network of sizes {sizes}")


def _short(value: float) -> str:
    """3 significant digits: 0.15, -0.0226, 4.39e-04."""
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.3g}"


def layer_activations(net, x) -> list[np.ndarray]:
    """[a^0, a^1, ..., a^L] of ONE sample, each (n_l,), from the layers' own forward passes;
    a^0 is x after the model's preprocessing (what layer 1 receives, ``Network.inputs``)."""
    a = net.inputs(np.asarray(x).reshape(1, -1))
    values = [a[0]]
    for layer in net.layers:
        a = layer.forward(a, training=False)
        if "weights" in layer.params:
            values.append(a[0])
    return values


def draw_network(net, path=None, *, x=None, y=None, gradients: bool = False, title: str | None = None):
    """Draw ``net`` and return the matplotlib Figure; write it to ``path`` if given.

    Args:
        net: a ``Network`` (its weight layers are drawn; layers over 60 neurons summarized).
        path: .png, .svg or .pdf file, written atomically (None: only return the figure).
        x: inputs; with one sample each neuron shows its activation a^l_j.
        y: targets for ``gradients``.
        gradients: annotate every connection with ∂C/∂w of one backward pass on (x, y)
            (the batch-mean gradient when x holds several samples).
        title: the figure title (default: sizes, activations and cost).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    if path is not None:
        picture_format(path)  # an unknown suffix is refused before any drawing
    full_sizes = net.sizes
    check_drawable(full_sizes)
    dense = net.dense_layers
    # Large layers are summarized: only their shown neurons (``shown_neurons``) and the
    # connections between shown neurons are drawn, with a gap slot for the ellipsis.
    shown = [shown_neurons(n) for n in full_sizes]
    summarized = [len(index) < n for index, n in zip(shown, full_sizes)]
    weights = [layer.weights[np.ix_(shown[l + 1], shown[l])] for l, layer in enumerate(dense)]
    biases = [layer.biases[shown[l + 1]] for l, layer in enumerate(dense)]
    sizes = [len(index) for index in shown]

    values = None
    if x is not None and np.asarray(x).size == net.n_inputs:
        values = [a[index] for a, index in zip(layer_activations(net, x), shown)]
    grads = None
    if gradients:
        if x is None or y is None:
            raise ValueError("drawing gradients needs inputs x and targets y")
        x_batch = np.asarray(x).reshape(-1, net.n_inputs)
        y_arr = np.asarray(y)
        if y_arr.ndim == 1 and y_arr.size == net.n_outputs and x_batch.shape[0] == 1 and net.n_outputs > 1:
            y_arr = y_arr.reshape(1, -1)
        grads = [g[np.ix_(shown[l + 1], shown[l])] for l, g in enumerate(net.backprop(x_batch, y_arr).weights)]

    columns = len(sizes)
    slots = [n + 1 if gap_slot else n for n, gap_slot in zip(sizes, summarized)]  # + the ellipsis
    tallest = max(slots)
    most = MAX_LABELLED_CONNECTIONS if grads is None else MAX_LABELLED_GRADIENTS
    labelled = [n_in * n_out <= most for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    gap = 4.6 if grads is not None and any(labelled) else 3.2  # horizontal distance between columns
    radius = 0.3 if tallest <= 20 else 0.38
    spacing = 1.15 if tallest <= 12 else 1.0
    if tallest <= MAX_LABELLED_LAYER:
        width = max(6.0, 2.0 + (columns - 1) * gap * 0.75)
        height = max(4.2, 2.4 + tallest * spacing * 0.62)
    else:  # tall columns: spread them apart so the picture is not a needle
        gap = max(gap, 0.3 * tallest * spacing)
        height = min(16.0, 2.5 + 0.2 * tallest)
        x_span, y_span = (columns - 1) * gap + 2, tallest * spacing + 2.5
        width = min(16.0, max(6.0, height * x_span / y_span + 1.0))
    fig = new_figure(figsize=(width, height), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")

    def row(l: int, i: int) -> int:  # the slot of shown neuron i: after the ellipsis slot for the tail
        return i + 1 if summarized[l] and i >= SUMMARY_HEAD else i

    positions = [
        [(l * gap, ((slots[l] - 1) / 2 - row(l, i)) * spacing) for i in range(n)] for l, n in enumerate(sizes)
    ]
    w_max = max(float(np.abs(w).max()) for w in weights) or 1.0
    many = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) > 300

    for l, w in enumerate(weights):
        n_out, n_in = w.shape
        for j in range(n_out):
            for k in range(n_in):
                (x0, y0), (x1, y1) = positions[l][k], positions[l + 1][j]
                value = float(w[j, k])
                ax.plot([x0, x1], [y0, y1], color=POSITIVE if value >= 0 else NEGATIVE,
                        linewidth=0.3 + 4.2 * abs(value) / w_max, alpha=0.45 if many else 0.8,
                        solid_capstyle="round", zorder=1)
    x_range = (columns - 1) * gap + 2 * radius + 1.2
    units_per_inch = x_range / (width * 0.92)
    placed: list[tuple[float, float, float, float]] = []
    for l, w in enumerate(weights):
        if labelled[l]:
            _label_connections(ax, positions[l], positions[l + 1], w, None if grads is None else grads[l],
                               radius, units_per_inch, placed)

    labels = [[column[i] for i in index] for column, index in zip(neuron_labels(full_sizes), shown)]
    plain_labels = [[_plain(label) for label in column] for column in labels]
    for l, n in enumerate(full_sizes):
        if summarized[l]:
            cy = ((slots[l] - 1) / 2 - SUMMARY_HEAD) * spacing
            ax.text(l * gap, cy, f"⋮  {n - sizes[l]} more", ha="center", va="center", fontsize=8,
                    color="#333333", zorder=4, bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                                     "edgecolor": "none", "alpha": 0.9})
    font = 12 if tallest <= 12 else (8 if tallest <= 30 else 5)
    for l, column in enumerate(positions):
        show = tallest <= MAX_LABELLED_LAYER
        for i, (cx, cy) in enumerate(column):
            face = "#f4f4f4" if l == 0 else ("#fff4d6" if l == len(sizes) - 1 else "#e8f0fb")
            circle = Circle((cx, cy), radius, facecolor=face, edgecolor="#333333", linewidth=1.2, zorder=3)
            circle.set_gid(f"neuron-{plain_labels[l][i]}")  # an id in SVG files
            ax.add_patch(circle)
            if tallest <= 30:
                small = font if len(_plain(labels[l][i])) <= 2 else font * 0.8
                ax.text(cx, cy, labels[l][i], ha="center", va="center", fontsize=small, zorder=4)
            if show and values is not None:
                ax.text(cx, cy - radius - 0.06, _short(float(values[l][i])), ha="center", va="top",
                        fontsize=8, color="#222222", zorder=4,
                        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
            if l > 0 and labelled[l - 1]:
                ax.text(cx, cy + radius + 0.05, f"b={_short(float(biases[l - 1][i]))}", ha="center", va="bottom",
                        fontsize=7, color="#666666", zorder=4)

    for l, n in enumerate(full_sizes):
        name = "input" if l == 0 else ("output" if l == len(sizes) - 1 else "hidden")
        if len(sizes) > 3 and 0 < l < len(sizes) - 1:
            name = f"hidden {l}"
        detail = "" if l == 0 else f"\n{dense[l - 1].activation.name}"
        top = (tallest - 1) / 2 * spacing + radius + 0.45
        ax.text(l * gap, top, f"{name} ({n}){detail}", ha="center", va="bottom", fontsize=9, color="#333333")

    handles = [
        Line2D([], [], color=POSITIVE, linewidth=3, label="w > 0"),
        Line2D([], [], color=NEGATIVE, linewidth=3, label="w < 0"),
        Line2D([], [], color="#888888", linewidth=0.8, label=f"width ∝ |w| (max {_short(w_max)})"),
    ]
    notes = []
    if any(labelled):
        notes.append("on the lines: w and ∂C/∂w" if grads is not None else "on the lines: w")
    if values is not None and tallest <= MAX_LABELLED_LAYER:
        notes.append("under the neurons: their activations a for the input")
    if any(labelled):
        notes.append("above: biases b")
    if grads is not None and not all(labelled):
        notes.append(f"∂C/∂w is written only between layers with ≤ {most} connections; 'bprop explain' lists all")
    if any(summarized):
        notes.append(f"layers over {MAX_DRAW_LAYER} neurons: the first {SUMMARY_HEAD} and last {SUMMARY_TAIL} "
                     "with the connections between drawn neurons")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False,
              fontsize=8, title="\n".join(notes) or None, title_fontsize=8)

    # room above the column titles: about 0.45 inch, whatever the scale of the picture
    y_units_per_inch = (tallest * spacing + 2.5) / (height * 0.85)
    top = (tallest - 1) / 2 * spacing + radius + 0.45 + max(0.85, 0.45 * y_units_per_inch)
    ax.set_xlim(-radius - 0.6, (columns - 1) * gap + radius + 0.6)
    ax.set_ylim(-(tallest - 1) / 2 * spacing - radius - 0.5, top)
    acts = ", ".join(layer.activation.name for layer in dense)
    ax.set_title(title or f"network {'-'.join(map(str, full_sizes))} ({acts}; cost {net.cost.name})", fontsize=10)

    if path is not None:
        save_figure(fig, path)
    return fig


def _label_connections(ax, sources, targets, w, grad, radius, units_per_inch, placed) -> None:
    """Write w (and ∂C/∂w) on each line, choosing for each label the point of its line
    (a fraction t of the way) where its box overlaps no label or neuron placed so far."""
    n_out, n_in = w.shape
    neurons = [(cx, cy, radius) for cx, cy in list(sources) + list(targets)]
    candidates = (0.3, 0.7, 0.22, 0.78, 0.38, 0.62, 0.5, 0.16, 0.84)  # the middle last: lines cross there
    for j in range(n_out):
        for k in range(n_in):
            text = _short(float(w[j, k]))
            if grad is not None:
                text += f"\n∂C/∂w={_short(float(grad[j, k]))}"
            rows = text.split("\n")
            half_w = (max(len(r) for r in rows) * 7 * 0.55 / 72 + 0.06) * units_per_inch / 2
            half_h = (len(rows) * 7 * 1.25 / 72 + 0.05) * units_per_inch / 2
            (x0, y0), (x1, y1) = sources[k], targets[j]
            best, best_overlap = None, None
            for t in candidates:
                px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
                overlap = sum(
                    max(0.0, min(px + half_w, bx + bw) - max(px - half_w, bx - bw))
                    * max(0.0, min(py + half_h, by + bh) - max(py - half_h, by - bh))
                    for bx, by, bw, bh in placed
                )
                overlap += sum(
                    max(0.0, min(px + half_w, cx + r) - max(px - half_w, cx - r))
                    * max(0.0, min(py + half_h, cy + r) - max(py - half_h, cy - r))
                    for cx, cy, r in neurons
                )
                if best_overlap is None or overlap < best_overlap - 1e-12:
                    best, best_overlap = (px, py), overlap
                if overlap == 0:
                    break
            placed.append((best[0], best[1], half_w, half_h))
            ax.text(best[0], best[1], text, ha="center", va="center", fontsize=7, zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "#bbbbbb", "linewidth": 0.5})
