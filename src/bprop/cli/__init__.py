"""The ``bprop`` command line: one module per subcommand.

Each command module defines ``register(subparsers)``, which adds its parser and
sets ``func`` to the function that runs it. Errors a user can cause (bad input,
unknown names, missing files) print one line and exit with status 2. A run that
fails after valid input exits with status 1 (``bprop train`` when training
diverges: ``DivergenceError``); an interrupted one with 130 (Ctrl-C), or 143 when
``bprop train`` is stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import sys

from . import draw, evaluate, explain, gradcheck, plot, predict, summary, train
from . import export, graph, playground
from ..version import __version__

#: The subcommands, in the order ``bprop --help`` lists them.
COMMANDS = [train, evaluate, predict, plot, gradcheck, summary, explain, draw, graph, playground, export]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bprop",
        description=(
            "Train feedforward neural networks with backpropagation and see how it works. "
            "Run 'bprop train' to train a network on the 8x8 digits that scikit-learn ships; "
            "'bprop COMMAND --help' explains each command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"bprop {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def error_text(error: Exception) -> str:
    """One line for a refused command: an OSError about a file says which file and what went
    wrong ("cannot read 'run.ckpt': no such file or directory") instead of "[Errno 2] ..."."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"cannot use {str(error.filename)!r}: {error.strerror[0].lower()}{error.strerror[1:]}"
    return str(error)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args) or 0
    except BrokenPipeError:  # e.g. 'bprop draw ... | head -1': the reader left, nothing is wrong
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError) as error:
        print(f"bprop {args.command}: error: {error_text(error)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"bprop {args.command}: error: out of memory (an input or setting asks for more memory than "
              "this machine has)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bprop {args.command}: interrupted", file=sys.stderr)
        return 130
