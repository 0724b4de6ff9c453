"""bprop summary: layers, shapes and parameter counts of a network."""

from __future__ import annotations

from .options import add_network_options, parse_sizes


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="print layers, shapes and parameter counts",
        description="Print a network's layers, weight and bias shapes and parameter counts. "
        "Example: 'bprop summary 8,15,10' shows the 295 parameters of seed 004's 8-15-10 perceptron.",
    )
    parser.add_argument("sizes", type=parse_sizes, help="layer sizes, e.g. 8,15,10")
    add_network_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..summary import summary_for_sizes, summary_text

    # Counted from the sizes: 'bprop summary 100000,100000' allocates no 10^10 weights.
    architecture = summary_for_sizes(args.sizes, hidden=args.hidden or "relu", output=args.output, cost=args.cost,
                                     init=args.init, dtype=args.dtype)
    print(summary_text(architecture), end="")
    return 0
