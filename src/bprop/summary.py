"""The parameter-count table of a network (seed 004: [8, 15, 10] has 295)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass
class Architecture:
    """What the table shows, without any weights: layers (Dense layers need not be built),
    cost and dtype. ``summary_for_sizes`` makes one, so a table of a huge network
    allocates nothing."""

    layers: list
    cost: object
    dtype: object

    @property
    def sizes(self) -> list[int]:
        dense = [layer for layer in self.layers if _is_dense(layer)]
        return [dense[0].n_in] + [layer.n_out for layer in dense]


def _is_dense(layer) -> bool:
    return hasattr(layer, "n_out") and hasattr(layer, "activation")


def _count(layer) -> int:
    """Parameters of a layer from its sizes: n_out x n_in weights + n_out biases (Dense), else 0."""
    return layer.n_out * layer.n_in + layer.n_out if _is_dense(layer) else 0


def summary_for_sizes(sizes, hidden="relu", output=None, cost=None, init=None,
                      dtype="float32") -> Architecture:
    """The architecture of ``Network(sizes, ...)`` checked as Network checks it, but no weight allocated.

    Raises:
        ValueError: as ``Network`` would (sizes, unknown names, a cost that does not
            fit the output activation).
    """
    from . import activations, costs, heads
    from .layers import Dense
    from .validation import float_dtype

    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"a network needs at least 2 layer sizes (inputs and outputs), got {sizes}")
    output, cost = heads.default_pair(sizes[-1], output, cost)  # Network's defaults
    if not activations.get(hidden).elementwise and len(sizes) > 2:
        raise ValueError(f"{hidden} couples its neurons and belongs on the output layer, not hidden layers")
    count = len(sizes) - 1
    layers = [Dense(n_in, n_out, output if l == count - 1 else hidden, init=init)
              for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))]
    cost = costs.get(cost)
    heads.OutputHead(layers[-1].activation, cost, sizes[-1])  # refuses a pair that means nothing, as Network does
    return Architecture(layers, cost, float_dtype(dtype))


def summary_table(net) -> Table:
    table = Table(title=f"Network {net.sizes}  ·  cost: {net.cost.name}  ·  dtype: {net.dtype.name}")
    table.add_column("layer", justify="right")
    table.add_column("type")
    table.add_column("activation")
    table.add_column("weights w^l", justify="right")
    table.add_column("biases b^l", justify="right")
    table.add_column("parameters", justify="right")
    table.add_column("formula")
    l = 0
    for layer in net.layers:
        if _is_dense(layer):
            l += 1
            n_out, n_in = layer.n_out, layer.n_in
            note = "" if getattr(layer, "train_biases", True) else " (biases fixed)"
            table.add_row(
                str(l),
                type(layer).__name__,
                layer.activation.name,
                f"({n_out}, {n_in})",
                f"({n_out},)",
                f"{_count(layer):,}",
                f"{n_out}×{n_in} + {n_out}{note}",
            )
        else:
            table.add_row("", type(layer).__name__, "", "", "", "0", repr(layer))
    table.add_section()
    table.add_row("", "total", "", "", "", f"{sum(_count(layer) for layer in net.layers):,}", "")
    return table


def summary_text(net, width: int = 100) -> str:
    """The table as text; ``net`` is a Network or an ``Architecture``."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, legacy_windows=False).print(summary_table(net))
    return buffer.getvalue()
