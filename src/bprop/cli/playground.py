"""bprop playground: train a network live in the browser, with the real backprop numbers."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "playground",
        help="train a network live in the browser and see every delta and gradient (needs bprop[playground])",
        description="Start a local web page (127.0.0.1) where you pick toy 2-D data, edit a network, train it "
        "step by step or live, and hover any neuron or weight for its z, a, delta, dC/db, dC/dw with the "
        "equations BP1-BP4 filled in. Every number is computed by bprop. Needs the optional extra: "
        'pip install "bprop[playground]". Ctrl-C stops the server.',
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free port)")
    parser.add_argument("--no-browser", dest="browser", action="store_false",
                        help="only print the URL; do not open a browser")
    parser.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..playground import require_extra

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535, got {args.port}")
    try:
        require_extra()
    except ImportError as error:
        print(f"bprop playground: {error}", file=sys.stderr)
        return 2
    from ..playground.server import serve

    serve(args.port, open_browser=args.browser, announce=lambda text: print(text, flush=True))
    return 0
