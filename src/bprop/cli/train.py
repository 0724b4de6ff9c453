"""bprop train: the main job. Train a network and report its accuracy."""

from __future__ import annotations

from .options import add_network_options, parse_sizes

#: The default network for each data set: sizes and training settings.
DEFAULTS = {
    "digits": {"sizes": [64, 256, 10], "hidden": "sigmoid", "eta": 0.5, "batch_size": 10, "epochs": 40},
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a network (default: the 8x8 digits scikit-learn ships)",
        description="Train a feedforward network with mini-batch SGD and backpropagation, showing per-epoch "
        "training and validation accuracy, then the test accuracy. With no options it trains a 64-256-10 network "
        "on the 8x8 handwritten digits bundled with scikit-learn (no download).",
    )
    parser.add_argument("--dataset", default="digits", choices=sorted(DEFAULTS), help="data set (default: digits)")
    parser.add_argument("--sizes", type=parse_sizes, default=None, help="layer sizes, e.g. 64,256,10 (default: per data set)")
    parser.add_argument("--eta", type=float, default=None, help="learning rate (default: per data set)")
    parser.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: per data set)")
    parser.add_argument("--epochs", type=int, default=None, help="number of epochs (default: per data set)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    add_network_options(parser, hidden=None, output="softmax", cost="log_likelihood")
    parser.set_defaults(func=run)


def load_data(name: str):
    """(train, validation, test) splits of the named data set."""
    from .. import datasets

    if name == "digits":
        return datasets.load_digits(nudge=True)
    raise ValueError(f"unknown dataset {name!r}; valid datasets are: {', '.join(sorted(DEFAULTS))}")


def run(args) -> int:
    import time

    from ..network import Network

    defaults = DEFAULTS[args.dataset]
    sizes = args.sizes or defaults["sizes"]
    hidden = args.hidden or defaults["hidden"]
    eta = args.eta if args.eta is not None else defaults["eta"]
    batch_size = args.batch_size if args.batch_size is not None else defaults["batch_size"]
    epochs = args.epochs if args.epochs is not None else defaults["epochs"]

    train, validation, test = load_data(args.dataset)
    net = Network(sizes, hidden=hidden, output=args.output, cost=args.cost, init=args.init, seed=args.seed, dtype=args.dtype)
    if not args.quiet:
        nudged = " (with one-pixel nudged copies)" if args.dataset == "digits" else ""
        print(f"{args.dataset}: {len(train.y)} training samples{nudged}, {len(validation.y)} validation, {len(test.y)} test")
        print(f"{net!r}, eta={eta:g}, batch size {batch_size}, {epochs} epochs, seed {args.seed}")
    started = time.perf_counter()
    net.fit(train.x, train.y, epochs=epochs, batch_size=batch_size, eta=eta,
            validation=(validation.x, validation.y), verbose=not args.quiet)
    seconds = time.perf_counter() - started
    scores = net.evaluate(test.x, test.y)
    print(f"test accuracy {100 * scores['accuracy']:.2f}% (cost {scores['cost']:.4f}) on {len(test.y)} samples; "
          f"trained in {seconds:.1f}s")
    return 0
