"""bprop explain: one training step of a small network, every number with its equation."""

from __future__ import annotations

import argparse


def add_example_options(parser: argparse.ArgumentParser) -> None:
    """The options that pick a small network and its data (shared with ``bprop draw``)."""
    from ..activations import ACTIVATIONS
    from ..costs import COSTS
    from ..explain.examples import EXAMPLES
    from .options import parse_seed, parse_sizes

    group = parser.add_argument_group("network and data (default: seed 000's 2-2-2 example)")
    group.add_argument("--example", choices=sorted(EXAMPLES), default=None,
                       help="a preset: seed000 (2-2-2 sigmoid, quadratic cost, the default) or seed003 "
                       "(tanh hidden layer, softmax output, squared error)")
    group.add_argument("--sizes", type=parse_sizes, default=None,
                       help="layer sizes of a random network, e.g. 3,4,2 (weights from --seed)")
    group.add_argument("--weights", metavar="FILE.json", default=None,
                       help='JSON with {"weights": [w^1, w^2, ...], "biases": [b^1, ...]}; w^l has shape (n_l, n_(l-1)), '
                       "b^l a list or one number for the layer; optional inputs, targets, hidden, output, cost, eta")
    group.add_argument("--model", metavar="FILE", default=None,
                       help="a model saved by 'bprop train --save' or Network.save (small networks; Dense layers)")
    group.add_argument("--inputs", default=None, help="inputs, e.g. 0.05,0.10 (samples separated by ';', or JSON)")
    group.add_argument("--targets", default=None, help="targets, e.g. 0.01,0.99 (or one class index per sample)")
    group.add_argument("--hidden", default=None, help=f"hidden activation: "
                       f"{', '.join(n for n in ACTIVATIONS.names if n != 'softmax')} (default: the example's; relu for --sizes, --weights, --model)")
    group.add_argument("--output-activation", dest="output_activation", default=None,
                       help="output activation (default: the example's; else softmax over 2+ outputs, sigmoid for one)")
    group.add_argument("--cost", default=None, help=f"cost: {', '.join(COSTS.names)} (default: the example's; else log_likelihood for softmax, "
                       "cross_entropy for sigmoid, quadratic otherwise)")
    group.add_argument("--eta", type=float, default=None, help="learning rate η (default: the example's, else 0.5)")
    group.add_argument("--fixed-biases", action="store_true", help="keep the biases fixed, as seed 000's example does")
    group.add_argument("--seed", type=parse_seed, default=0, help="random seed for --sizes weights and missing data (default: 0)")


def example_from_args(args, without_dropout=False):
    """The Example the options describe (``explain.examples.resolve``); ``without_dropout``: a
    --model's dropout layers are left out, as at evaluation (``bprop draw``), not refused."""
    from ..explain.examples import resolve

    if args.example is not None and args.sizes is not None:
        raise ValueError("give either --example or --sizes, not both")
    return resolve(
        example=args.example, sizes=args.sizes, weights_file=args.weights, model_file=args.model, inputs=args.inputs,
        targets=args.targets, hidden=args.hidden, output=args.output_activation, cost=args.cost,
        eta=args.eta, fixed_biases=args.fixed_biases, seed=args.seed, without_dropout=without_dropout,
    )


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show one step of backprop with every number (default: seed 000's 2-2-2 example)",
        description="Run ONE mini-batch SGD step of a small network and show every forward value, delta, "
        "gradient and update with the equation it comes from (forward, cost, BP1-BP4, update). With no options "
        "it explains seed 000's 2-2-2 sigmoid example (inputs 0.05, 0.10; targets 0.01, 0.99; η = 0.5). "
        "Example: 'bprop explain --example seed003', 'bprop explain --format html --output step.html'.",
    )
    add_example_options(parser)
    group = parser.add_argument_group("output")
    group.add_argument("--format", choices=["terminal", "markdown", "html"], default="terminal",
                       help="terminal (default), markdown or html")
    group.add_argument("-o", "--output", metavar="FILE", default=None,
                       help="write the trace to FILE (markdown/html; terminal format writes plain text)")
    group.add_argument("--digits", type=int, default=9, help="decimals printed (default: 9)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..explain import print_trace, write_trace

    from ..io import check_writable

    if not 3 <= args.digits <= 15:
        raise ValueError(f"--digits must be between 3 and 15, got {args.digits}")
    if args.output is not None:
        import os

        suffixes = {"terminal": (".txt",), "markdown": (".md", ".markdown"), "html": (".html", ".htm")}[args.format]
        if os.path.splitext(args.output)[1].lower() not in suffixes:
            raise ValueError(f"-o {args.output!r} does not fit --format {args.format}: use a file ending in "
                             f"{' or '.join(suffixes)}")
        check_writable(args.output, "-o")  # before any work
    trace = example_from_args(args).trace()
    if args.output is None:
        if args.format == "terminal":
            print_trace(trace, digits=args.digits)
        else:
            from ..explain import render

            print(render(trace, args.format, args.digits), end="")
        return 0
    write_trace(trace, args.output, args.format, args.digits)
    print(f"wrote the {args.format} trace to {args.output}")
    return 0
