"""bprop plot: learning curves and gradient norms of a saved training history."""

from __future__ import annotations

import os


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="plot a training history (learning curves, gradient norms)",
        description="Draw the cost and accuracy per epoch (training vs validation, and test when recorded) and, "
        "when the history has them, the per-layer gradient norms, from a history saved with "
        "'bprop train --history PATH.json|.csv'. PNG, SVG or PDF by the suffix of OUT.",
    )
    parser.add_argument("history", help="a history file (.json or .csv)")
    parser.add_argument("-o", "--output", default=None, help="figure to write, .png, .svg or .pdf (default: HISTORY with .png)")
    parser.add_argument("--title", default=None, help="figure title")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..drawing import plot_history
    from ..training import History

    from ..io import check_writable

    output = args.output or os.path.splitext(args.history)[0] + ".png"
    check_writable(output, "-o")  # before any work
    history = History.load(args.history)
    plot_history(history, output, title=args.title or os.path.basename(args.history))
    print(f"wrote {output}")
    return 0
