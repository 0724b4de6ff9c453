"""The parameter-count table of a network (seed 004: [8, 15, 10] has 295)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table


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
        if "weights" in layer.params:
            l += 1
            n_out, n_in = layer.weights.shape
            note = "" if getattr(layer, "train_biases", True) else " (biases fixed)"
            table.add_row(
                str(l),
                type(layer).__name__,
                layer.activation.name,
                f"({n_out}, {n_in})",
                f"({n_out},)",
                f"{layer.n_params:,}",
                f"{n_out}×{n_in} + {n_out}{note}",
            )
        else:
            table.add_row("", type(layer).__name__, "", "", "", "0", repr(layer))
    table.add_section()
    table.add_row("", "total", "", "", "", f"{net.n_params:,}", "")
    return table


def summary_text(net, width: int = 100) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, legacy_windows=False).print(summary_table(net))
    return buffer.getvalue()
