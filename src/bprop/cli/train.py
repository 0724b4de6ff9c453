"""bprop train: the main job. Train a network and report its accuracy."""

from __future__ import annotations

from .data import TABLE_DEFAULTS, add_table_options, own_data, preprocessing_of
from .options import add_network_options, parse_sizes

#: The default network for each data set: sizes and training settings.
DEFAULTS = {
    "digits": {"sizes": [64, 256, 10], "hidden": "relu", "eta": 0.2, "batch_size": 10, "epochs": 40, "optimizer": "sgd"},
    "mnist": {"sizes": [784, 100, 10], "hidden": "relu", "eta": 0.1, "batch_size": 32, "epochs": 20, "optimizer": "sgd"},
}

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")

#: Options that describe the run; a checkpoint stores them so --resume needs none.
SETTINGS = ("dataset", "sizes", "hidden", "output", "cost", "init", "seed", "dtype", "eta", "batch_size", "epochs",
            "l2", "l1", "dropout", "optimizer", "momentum", "schedule", "early_stopping", "monitor_test",
            "data", "target", "header", "validation_data", "validation_split", "test_data", "task", "scale")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a network (default: the 8x8 digits scikit-learn ships)",
        description="Train a feedforward network with mini-batch gradient descent and backpropagation, showing "
        "per-epoch training and validation cost and accuracy, then the test accuracy. With no options it trains a "
        "64-256-10 network on the 8x8 handwritten digits bundled with scikit-learn (no download). "
        "'--data FILE --target COLUMN' trains on your own CSV/NPY/NPZ data (classification or regression). "
        "Ctrl-C (or SIGTERM) finishes the current batch, writes the --checkpoint file and exits; "
        "'bprop train --resume FILE' continues exactly where it stopped. "
        "Examples: 'bprop train --epochs 5', 'bprop train --hidden tanh --optimizer momentum --momentum 0.8 --epochs 3', "
        "'bprop train --cost cross_entropy --epochs 3 --quiet'. "
        "Exit status: 0 trained; 1 training diverged (a NaN or inf cost or weight, e.g. --eta far too large: "
        "nothing is written to --save or --history, and --checkpoint keeps its last finite epoch); "
        "2 bad options or data, refused before training; 130 interrupted.",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=None, choices=sorted(DEFAULTS), help="data set (default: digits)")
    data.add_argument("--data-dir", default=None, help="folder with the four MNIST IDX files (.gz or not)")
    data.add_argument("--monitor-test", action="store_true", help="also score the test set after every epoch")
    add_table_options(data, training=True)

    training = parser.add_argument_group("training")
    training.add_argument("--sizes", type=parse_sizes, default=None, help="layer sizes, e.g. 784,100,10 (default: per data set)")
    training.add_argument("--eta", type=float, default=None, help="learning rate (default: per data set)")
    training.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: per data set)")
    training.add_argument("--epochs", type=int, default=None, help="number of epochs (default: per data set)")
    training.add_argument("--optimizer", default=None, choices=OPTIMIZERS,
                          help="update rule (default: sgd for the bundled data sets, adam for --data)")
    training.add_argument("--momentum", type=float, default=None,
                          help="momentum coefficient mu for --optimizer momentum or nesterov (default: 0.9)")
    training.add_argument("--schedule", default=None, metavar="SPEC",
                          help="learning-rate schedule: 'step:K[:F]' multiplies eta by F (default 0.5) every K epochs; "
                          "'halve:K[:N]' halves eta when validation accuracy (cost for regression) has not improved for K "
                          "epochs and stops "
                          "after N halvings (default 7)")
    training.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                          help="stop when validation accuracy (cost for regression) has not improved for PATIENCE epochs; "
                          "keep the best weights")

    regularization = parser.add_argument_group("regularization")
    regularization.add_argument("--l2", type=float, default=None, metavar="LAMBDA", help="L2 penalty (lambda/2n) Σ w²")
    regularization.add_argument("--l1", type=float, default=None, metavar="LAMBDA", help="L1 penalty (lambda/n) Σ |w|")
    regularization.add_argument("--dropout", type=float, default=None, metavar="P", help="dropout probability after each hidden layer")

    files = parser.add_argument_group("files")
    files.add_argument("--save", default=None, metavar="MODEL", help="save the trained network (load with 'bprop evaluate/predict')")
    files.add_argument("--checkpoint", default=None, metavar="PATH", help="write a checkpoint every epoch and on Ctrl-C/SIGTERM")
    files.add_argument("--resume", default=None, metavar="PATH", help="continue the run saved in this checkpoint (its settings are reused)")
    files.add_argument("--history", default=None, metavar="PATH", help="save the per-epoch metrics as .json or .csv")

    parser.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    add_network_options(parser)
    parser.set_defaults(func=run)


#: The pixel scale of each data set: its models take raw pixels and scale them themselves.
PIXEL_SCALE = {"digits": 1 / 16, "mnist": 1 / 255}


def load_data(name: str, data_dir=None):
    """(train, validation, test) splits of the named data set, with raw pixel values
    (0..16 for digits, 0..255 for MNIST): the models of 'bprop train' scale them with
    ``preprocessing.Scale(PIXEL_SCALE[name])``, so every command feeds a model raw pixels."""
    from .. import datasets

    if name == "digits":
        return datasets.load_digits(nudge=True, scale=False)
    if name == "mnist":
        from ..datasets.mnist import Split, TrainValidationTest

        # The canonical 50,000 / 10,000 split; a smaller training file keeps 1/6 for validation.
        train, test = datasets.load_mnist(data_dir, split="train_test", scale=False)
        n = len(train.y)
        cut = n - (10_000 if n > 20_000 else max(1, n // 6))
        return TrainValidationTest(Split(train.x[:cut], train.y[:cut]), Split(train.x[cut:], train.y[cut:]), test)
    raise ValueError(f"unknown dataset {name!r}; valid datasets are: {', '.join(sorted(DEFAULTS))}")


def format_scores(scores: dict) -> str:
    """'accuracy 98.33% (cost 0.0729)', or 'mse 0.012, mae 0.087, r2 0.95 (cost 0.006)' for regression."""
    if "accuracy" in scores:
        return f"accuracy {100 * scores['accuracy']:.2f}% (cost {scores['cost']:.4f})"
    return ", ".join(f"{key} {scores[key]:.4g}" for key in ("mse", "mae", "r2")) + f" (cost {scores['cost']:.4g})"


def parse_schedule(spec: str, monitor: str = "val_accuracy"):
    """'step:K[:F]' -> StepDecay, 'halve:K[:N]' -> HalveOnPlateau watching ``monitor``."""
    from ..training import HalveOnPlateau, StepDecay

    kind, _, rest = spec.partition(":")
    parts = [part for part in rest.split(":") if part]
    try:
        if kind == "step" and 1 <= len(parts) <= 2:
            return StepDecay(int(parts[0]), float(parts[1]) if len(parts) == 2 else 0.5)
        if kind == "halve" and 1 <= len(parts) <= 2:
            return HalveOnPlateau(patience=int(parts[0]), max_halvings=int(parts[1]) if len(parts) == 2 else 7,
                                  monitor=monitor)
    except ValueError as error:
        if "invalid literal" not in str(error) and "could not convert" not in str(error):
            raise
    raise ValueError(f"--schedule must be 'step:K[:F]' or 'halve:K[:N]' (e.g. halve:10:7), got {spec!r}")


def settings_fields() -> dict:
    """Schema of the settings 'bprop train' stores in a checkpoint (one entry per key of SETTINGS)."""
    from ..activations import ACTIVATIONS
    from ..costs import COSTS
    from ..initializers import INITIALIZERS
    from ..schema import Field, boolean, choice, integer, list_of, number, optional, registered, string

    positive = optional(number(0, low_open=True))
    path = string(4096)

    def _target(value):  # a column name or position, or the .npy of targets
        return value if isinstance(value, int) and not isinstance(value, bool) else string(4096)(value)

    def _scale(value):  # 'standardize', 'none' or a positive factor (cli.data.parse_scale)
        return value if value in ("standardize", "none") else number(0, low_open=True)(value)

    return {
        "dataset": Field(optional(choice(*sorted(DEFAULTS)))),
        "sizes": Field(optional(list_of(integer(1, 1 << 24), min_length=2, max_length=1000))),
        "hidden": Field(optional(registered(ACTIVATIONS))),
        "output": Field(optional(registered(ACTIVATIONS))),
        "cost": Field(optional(registered(COSTS))),
        "init": Field(optional(registered(INITIALIZERS))),
        "seed": Field(optional(integer(0, (1 << 63) - 1))),
        "dtype": Field(choice("float32", "float64")),
        "eta": Field(positive),
        "batch_size": Field(optional(integer(1))),
        "epochs": Field(optional(integer(1))),
        "l2": Field(positive),
        "l1": Field(positive),
        "dropout": Field(optional(number(0, 1, high_open=True))),
        "optimizer": Field(optional(choice(*OPTIMIZERS))),
        "momentum": Field(optional(number(0, 1, high_open=True))),
        "schedule": Field(optional(string())),
        "early_stopping": Field(optional(integer(1))),
        "monitor_test": Field(boolean()),
        "data": Field(optional(path)),
        "target": Field(optional(_target)),
        "header": Field(optional(boolean())),
        "validation_data": Field(optional(path)),
        "validation_split": Field(optional(number(0, 1, high_open=True))),
        "test_data": Field(optional(path)),
        "task": Field(optional(choice("classification", "regression"))),
        "scale": Field(optional(_scale)),
    }


def check_settings(settings) -> dict:
    """Validate the settings of a checkpoint (each typed and range-checked, the schedule parsed)."""
    from ..schema import check_fields

    if not isinstance(settings, dict):
        raise ValueError("this checkpoint was not written by 'bprop train' (no settings)")
    missing = [key for key in SETTINGS if key not in settings]
    if missing:
        raise ValueError(f"this checkpoint was not written by 'bprop train' (no settings {missing})")
    checked = check_fields(settings, settings_fields(), "the checkpoint's settings")
    if checked["schedule"] is not None:
        parse_schedule(checked["schedule"])
    return checked


def _apply_checkpoint_settings(args) -> None:
    """On --resume, take the run's settings from the checkpoint (an explicit --epochs may extend it)."""
    from ..io import FileFormatError
    from ..schema import boolean, integer
    from ..training import read_checkpoint

    config = read_checkpoint(args.resume)
    try:
        settings = check_settings(config.get("settings"))
        done = integer(0)(config.get("epoch", 0))
        stopped = boolean()(config.get("stop_training", False))
    except ValueError as error:
        raise FileFormatError(args.resume, str(error)) from None
    epochs = args.epochs
    for key in SETTINGS:
        setattr(args, key, settings[key])
    if epochs is not None:
        args.epochs = epochs
    if done >= (args.epochs or 0) or stopped:
        print(f"{args.resume}: the run already ended after {done} epochs"
              + ("" if stopped else f"; pass --epochs above {done} to train on"))


def run(args) -> int:
    import sys
    import time

    from ..network import Network
    from ..optimizers import Adam, Momentum, get as get_optimizer
    from ..preprocessing import Scale
    from ..regularizers import L1, L2
    from ..training import DivergenceError, EarlyStopping, TrainingInterrupted
    from ..validation import positive_int

    if args.resume:
        _apply_checkpoint_settings(args)
    if args.data is not None and args.dataset is not None:
        raise ValueError("give --dataset (a bundled data set) or --data (your own file), not both")
    own = own_data(args) if args.data is not None else None
    if own is None:
        args.dataset = args.dataset or "digits"
        defaults = DEFAULTS[args.dataset]
        args.sizes = args.sizes or defaults["sizes"]
        network_data = dict(preprocessing=Scale(PIXEL_SCALE[args.dataset]), task="classification")
    else:
        defaults = TABLE_DEFAULTS
        args.sizes = args.sizes or [own.n_inputs, defaults["hidden_size"], own.n_outputs]
        if args.sizes[0] != own.n_inputs or args.sizes[-1] != own.n_outputs:
            raise ValueError(f"--sizes {','.join(map(str, args.sizes))} does not fit the data: {own.n_inputs} features "
                             f"in, {own.n_outputs} {'classes' if own.task == 'classification' else 'targets'} out")
        regression = own.task == "regression"
        args.output = args.output or ("identity" if regression else "softmax")
        args.cost = args.cost or ("quadratic" if regression else "log_likelihood")
        network_data = dict(preprocessing=preprocessing_of(args.scale), task=own.task, classes=own.classes)
    args.hidden = args.hidden or defaults["hidden"]
    args.optimizer = args.optimizer or defaults["optimizer"]
    args.eta = args.eta if args.eta is not None else defaults["eta"]
    args.batch_size = args.batch_size if args.batch_size is not None else defaults["batch_size"]
    args.epochs = args.epochs if args.epochs is not None else defaults["epochs"]
    if args.l1 is not None and args.l2 is not None:
        raise ValueError("give --l1 or --l2, not both")
    if args.history and not args.history.lower().endswith((".json", ".csv")):
        raise ValueError(f"--history must end in .json or .csv, got {args.history!r}")

    regularizer = L2(args.l2) if args.l2 is not None else L1(args.l1) if args.l1 is not None else None
    if args.momentum is not None and args.optimizer not in ("momentum", "nesterov"):
        raise ValueError(f"--momentum is the coefficient of --optimizer momentum or nesterov; the optimizer here is "
                         f"{args.optimizer} (add --optimizer momentum)")
    if args.optimizer in ("momentum", "nesterov"):
        optimizer = Momentum(args.eta, 0.9 if args.momentum is None else args.momentum,
                             nesterov=args.optimizer == "nesterov")
    elif args.optimizer == "adam":
        optimizer = Adam(args.eta)
    else:
        optimizer = get_optimizer(args.optimizer, args.eta)
    callbacks = []
    monitor = "val_cost" if own is not None and own.task == "regression" else "val_accuracy"
    if args.schedule:
        callbacks.append(parse_schedule(args.schedule, monitor))
    if args.early_stopping is not None:
        callbacks.append(EarlyStopping(monitor, patience=args.early_stopping))

    # Check every setting (names, sizes, hyperparameters) before loading, or downloading, any data.
    positive_int("--batch-size", args.batch_size)
    positive_int("--epochs", args.epochs)
    net = Network(args.sizes, hidden=args.hidden, output=args.output, cost=args.cost, init=args.init, seed=args.seed,
                  dtype=args.dtype, regularizer=regularizer, dropout=args.dropout, **network_data)
    if own is None:
        train, validation, test = load_data(args.dataset, args.data_dir)
        source = args.dataset
        if args.dataset == "digits":  # load_data(nudge=True): say what the training set is made of
            source += f" (8x8 images; training: {len(train.y) // 5} images and 4 one-pixel shifts of each)"
    else:
        train, validation, test = own.train, own.validation, own.test
        source = f"{args.data} (target {own.target_name or args.target or 'y'!s}, {own.task}"
        source += f", {own.classes.size} classes)" if own.classes is not None else ")"
    if args.monitor_test and test is None:
        raise ValueError("--monitor-test needs test rows: give --test-data")
    if not args.quiet:
        sizes = f"{len(train.y)} training, {len(validation.y)} validation" + (f", {len(test.y)} test" if test else "")
        print(f"{source}: {sizes} samples")
        extras = [f"{optimizer!r}"] + ([repr(regularizer)] if regularizer else []) + [repr(c) for c in callbacks]
        print(f"{net!r}, batch size {args.batch_size}, {args.epochs} epochs, seed {args.seed}; {', '.join(extras)}")
        if args.resume:
            print(f"resuming from {args.resume}")
    settings = {key: getattr(args, key) for key in SETTINGS}
    started = time.perf_counter()
    try:
        history = net.fit(train.x, train.y, epochs=args.epochs, batch_size=args.batch_size, eta=args.eta,
                          optimizer=optimizer, validation=(validation.x, validation.y),
                          monitor={"test": (test.x, test.y)} if args.monitor_test else None,
                          callbacks=callbacks, verbose=not args.quiet, checkpoint=args.checkpoint,
                          resume=args.resume, settings=settings)
    except TrainingInterrupted as stop:
        print(f"bprop train: {stop}")
        if stop.checkpoint:
            print(f"continue with: bprop train --resume {stop.checkpoint}")
        return 130
    except DivergenceError as error:
        # Status 1, not the 2 of a refused option: the options were valid, the run failed.
        # Nothing below runs, so --save and --history stay as they were.
        print(f"bprop train: error: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    if args.history:
        history.save(args.history)
    if args.save:
        net.save(args.save)
    final, name = (test, "test") if test is not None else (validation, "validation")
    scores = net.evaluate(final.x, final.y)
    print(f"{name} {format_scores(scores)} on {len(final.y)} samples; trained in {seconds:.1f}s")
    for label, path in (("model", args.save), ("history", args.history)):
        if path:
            print(f"{label} saved to {path}")
    return 0

