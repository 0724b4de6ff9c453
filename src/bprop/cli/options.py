"""Option parsing shared by several commands."""

from __future__ import annotations

import argparse


def parse_sizes(text: str) -> list[int]:
    """'784,100,10' -> [784, 100, 10]."""
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"layer sizes must be integers separated by commas, e.g. 784,100,10; got {text!r}")
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"give at least two positive layer sizes, e.g. 784,100,10; got {text!r}")
    return sizes


def parse_seed(text: str) -> int:
    """'7' -> 7; a seed is a non-negative integer (NumPy refuses negative ones)."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"seed must be a non-negative integer, got {text!r}")
    return seed


def add_network_options(parser: argparse.ArgumentParser, seed_help: str = "initialization and shuffling") -> None:
    """--hidden, --output-activation, --cost, --init, --seed, --dtype with the one set of defaults every
    command shares (``Network``'s: relu hidden layers; ``heads.default_pair`` for the output and cost);
    ``seed_help``: what --seed decides in this command."""
    from ..activations import ACTIVATIONS
    from ..costs import COSTS
    from ..initializers import INITIALIZERS

    group = parser.add_argument_group("network")
    hidden_names = [name for name in ACTIVATIONS.names if name != "softmax"]  # softmax is for the output layer
    group.add_argument("--hidden", default=None, help=f"hidden activation: {', '.join(hidden_names)} (default: relu)")
    group.add_argument("--output-activation", dest="output", default=None,
                       help=f"output-layer activation: {', '.join(ACTIVATIONS.names)} (default: softmax over 2 or more "
                       "outputs, sigmoid for one; identity when 'bprop train --data' regresses)")
    group.add_argument("--cost", default=None, help=f"cost: {', '.join(COSTS.names)} (default: log_likelihood for a "
                       "softmax output, cross_entropy for sigmoid, quadratic otherwise)")
    group.add_argument("--init", default=None, help=f"weight initialization: {', '.join(INITIALIZERS.names)} (default: he for relu, normal otherwise)")
    group.add_argument("--seed", type=parse_seed, default=0, help=f"random seed for {seed_help} (default: 0)")
    group.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="floating-point type (default: float32)")
