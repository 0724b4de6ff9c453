"""bprop gradcheck: backprop against finite differences, with the cost of each route."""

from __future__ import annotations

from .options import add_network_options, parse_sizes


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "gradcheck",
        help="compare backprop with finite differences",
        description="Compare the gradients of backprop with central finite differences (float64) on random data, "
        "print the largest relative error per layer, and how many forward passes and how much time each route took "
        "(seed 001: finite differences need a forward pass per parameter, backprop one forward and one backward pass).",
    )
    parser.add_argument("sizes", type=parse_sizes, nargs="?", default=[4, 5, 3], help="layer sizes (default: 4,5,3)")
    parser.add_argument("--batch-size", type=int, default=7, help="samples in the random batch (default: 7)")
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (default: 1e-6)")
    parser.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error that passes (default: 1e-6)")
    add_network_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    import numpy as np
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..gradcheck import gradcheck
    from ..network import Network
    from ..validation import positive_float, positive_int

    batch = positive_int("--batch-size", args.batch_size)
    eps = positive_float("--eps", args.eps)
    net = Network(args.sizes, hidden=args.hidden or "relu", output=args.output, cost=args.cost, init=args.init,
                  seed=args.seed, dtype=args.dtype)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((batch, args.sizes[0]))
    n_out = args.sizes[-1]
    if net.task.name == "classification":  # class labels: the network's output indices
        y = rng.integers(0, net.task.n_classes, batch)
    else:  # values to regress, or 0/1 rows for multilabel: targets the head can mean
        y = rng.uniform(0.05, 0.95, (batch, n_out)) if net.head.bounded else rng.standard_normal((batch, n_out))
    report = gradcheck(net, x, y, eps=eps)

    console = Console()
    table = Table(title=escape(f"gradient check of {net!r}, batch of {batch}, eps={eps:g}"))
    for column in ("layer", "parameter", "shape", "relative error", "max |difference|", "verdict"):
        table.add_column(column, justify="right" if column != "parameter" else "left")
    for check in report.checks:
        ok = check.relative_error < args.tolerance
        table.add_row(
            str(check.layer), check.name, str(check.shape), f"{check.relative_error:.2e}",
            f"{check.max_abs_error:.2e}", "[green]ok[/]" if ok else "[red]FAIL[/]",
        )
    console.print(table)

    cost_table = Table(title=f"what each route cost for {report.n_params} parameters")
    cost_table.add_column("route", no_wrap=True)
    for column in ("forward passes", "backward passes", "time"):
        cost_table.add_column(column, justify="right")
    cost_table.add_row("finite differences, central", str(report.forward_passes), "0", f"{report.fd_seconds * 1e3:.2f} ms")
    cost_table.add_row("forward differences (seed 001)", str(report.n_params + 1), "0", "")
    cost_table.add_row("backprop", "1", "1", f"{report.backprop_seconds * 1e3:.3f} ms")
    console.print(cost_table)
    console.print(f"backprop was {report.speedup:,.0f}x faster; largest relative error {report.max_relative_error:.2e} "
                  f"({'passed' if report.passed(args.tolerance) else 'FAILED'}, tolerance {args.tolerance:g})")
    return 0 if report.passed(args.tolerance) else 1
