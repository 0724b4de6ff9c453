"""bprop summary: layers, shapes and parameter counts of a network."""

from __future__ import annotations

from .options import add_network_options, parse_sizes


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "summary",
        help="print layers, shapes and parameter counts",
        description="Print a network's layers, weight and bias shapes and parameter counts, from layer sizes "
        "(built with the defaults of every command) or from a saved model file. "
        "Example: 'bprop summary 8,15,10' shows the 295 parameters of seed 004's 8-15-10 perceptron.",
    )
    parser.add_argument("network", metavar="SIZES|MODEL",
                        help="layer sizes, e.g. 8,15,10, or a model file saved by 'bprop train --save' or Network.save")
    add_network_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    import argparse
    import os

    from ..summary import summary_for_sizes, summary_text

    if os.path.exists(args.network) or args.network.lower().endswith(".npz"):
        from ..serialization import load_model

        net = load_model(args.network)
        print(summary_text(net), end="")
        extras = [f"task {net.task.name}"]
        if net.classes is not None:
            extras.append(f"classes {', '.join(map(str, net.classes.tolist()))}")
        if net.preprocessing is not None:
            extras.append(f"preprocessing {net.preprocessing!r}")
        if net.target_preprocessing is not None:
            def full(values):  # every digit: precision=4 printed a mean of 100000123.456 as 1.e+08
                return "[" + ", ".join(repr(float(value)) for value in values) + "]"

            extras.append(f"targets standardized (predictions in the targets' units: mean "
                          f"{full(net.target_preprocessing.mean)}, std {full(net.target_preprocessing.std)})")
        print("; ".join(extras))
        return 0
    try:
        sizes = parse_sizes(args.network)
    except argparse.ArgumentTypeError as error:
        raise ValueError(f"{error}, or the path of a model file") from None
    # Counted from the sizes: 'bprop summary 100000,100000' allocates no 10^10 weights.
    architecture = summary_for_sizes(sizes, hidden=args.hidden or "relu", output=args.output, cost=args.cost,
                                     init=args.init, dtype=args.dtype)
    print(summary_text(architecture), end="")
    return 0
