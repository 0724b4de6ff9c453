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

#: Options that describe the run: its settings, its data source and its output files. A checkpoint
#: stores them, so 'bprop train --resume CKPT' needs none.
SETTINGS = ("dataset", "sizes", "hidden", "output", "cost", "init", "seed", "dtype", "eta", "batch_size", "epochs",
            "l2", "l1", "dropout", "optimizer", "momentum", "schedule", "early_stopping", "monitor_test",
            "data", "target", "header", "validation_data", "validation_split", "test_data", "task", "scale",
            "scale_target", "data_dir", "save", "history", "checkpoint")

#: What a resumed run may change: train longer, read the MNIST files from another folder, write its
#: files elsewhere. Every other setting is the run's own; given with another value it is refused.
RESUME_MAY_CHANGE = ("epochs", "data_dir", "save", "history", "checkpoint")

#: Settings checkpoints written before they were stored lack (read as None).
LATER_SETTINGS = ("data_dir", "save", "history", "checkpoint", "scale_target")

#: Paths stored absolute, so that a run resumed from another folder finds (and writes) the same files.
PATH_SETTINGS = ("data", "validation_data", "test_data", "data_dir", "save", "history", "checkpoint")

#: Defaults the parser leaves unset (None), so that --resume can tell an option given from a default.
UNSET_DEFAULTS = {"seed": 0, "dtype": "float32", "validation_split": 0.2, "scale": "standardize",
                  "monitor_test": False}

#: Options that describe your own data (--data FILE). The bundled data sets come with their own
#: splits and pixel scale, so these are refused with them rather than ignored.
OWN_DATA_OPTIONS = ("target", "header", "validation_data", "validation_split", "test_data", "task", "scale",
                    "scale_target")

#: The option of each setting whose name is not the key's (for messages).
OPTION_NAMES = {"output": "--output-activation", "header": "--header/--no-header"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a network (default: the 8x8 digits scikit-learn ships)",
        description="Train a feedforward network with mini-batch gradient descent and backpropagation, showing "
        "per-epoch training and validation cost and accuracy, then the test accuracy. With no options it trains a "
        "64-256-10 network on the 8x8 handwritten digits bundled with scikit-learn (no download). "
        "'--data FILE --target COLUMN' trains on your own CSV/NPY/NPZ data (classification or regression). "
        "Every output file (--save, --history, --checkpoint) is checked before any work. "
        "Ctrl-C (or SIGTERM) finishes the current batch and writes what was asked: the --checkpoint, --save with "
        "the weights of the last finished epoch (the best one with --early-stopping) and --history with the "
        "epochs so far; 'bprop train --resume FILE' then continues exactly where it stopped, with the run's "
        "settings, data and output files (a larger --epochs or new file paths may be given). "
        "Examples: 'bprop train --epochs 5', 'bprop train --hidden tanh --optimizer momentum --momentum 0.8 --epochs 3', "
        "'bprop train --cost cross_entropy --epochs 3 --quiet'. "
        "Exit status: 0 trained; 1 training diverged (a NaN or inf cost or weight, e.g. --eta far too large: "
        "nothing is written to --save or --history, and --checkpoint keeps its last finite epoch); "
        "2 bad options or data, refused before training; 130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM.",
    )
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default=None, choices=sorted(DEFAULTS), help="data set (default: digits)")
    data.add_argument("--data-dir", default=None, help="folder with the four MNIST IDX files (.gz or not)")
    data.add_argument("--monitor-test", action="store_true", help="also score the test set after every epoch")
    add_table_options(data, training=True)

    training = parser.add_argument_group("training")
    training.add_argument("--sizes", type=parse_sizes, default=None, help="layer sizes, e.g. 784,100,10 (default: per data set)")
    training.add_argument("--eta", type=float, default=None,
                          help="learning rate (default: per data set and optimizer: digits 0.2, MNIST 0.1 with sgd, "
                          "times 1 - mu with momentum or nesterov, 0.001 with adam; --data: 0.01 with adam, 0.1 with "
                          "sgd)")
    training.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: per data set)")
    training.add_argument("--epochs", type=int, default=None, help="number of epochs (default: per data set)")
    training.add_argument("--optimizer", default=None, choices=OPTIMIZERS,
                          help="update rule (default: sgd for the bundled data sets, adam for --data)")
    training.add_argument("--adam-kernel", default=None, choices=("numpy", "numba"),
                          help="how --optimizer adam computes its step: numpy (default) or numba (the same numbers in "
                          "one compiled pass, faster on large layers; needs pip install \"bprop[fast]\"). A speed "
                          "choice, not a setting of the run: a resumed run takes it anew")
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
    files.add_argument("--resume", default=None, metavar="PATH",
                       help="continue the run saved in this checkpoint: its settings, data and output files are "
                       "reused; --epochs, --data-dir, --save, --history and --checkpoint may be given anew")
    files.add_argument("--history", default=None, metavar="PATH", help="save the per-epoch metrics as .json or .csv")

    parser.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    add_network_options(parser, seed_help="initialization, shuffling, dropout and the rows --validation-split "
                        "holds out")
    # Unset until run() resolves them, so that --resume can tell a given option from a default.
    parser.set_defaults(func=run, **{key: None for key in UNSET_DEFAULTS})


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


def default_eta(defaults: dict, optimizer: str, momentum: float | None) -> float:
    """The learning rate when --eta is not given. A data set's ``eta`` is for its default optimizer;
    another one takes a rate of its own: Adam its usual 0.001; plain SGD the data set's SGD rate
    (0.1 where the default is Adam); momentum and Nesterov that times 1 - mu, the same step on a
    steady gradient (eta / (1 - mu)). Adam at the digits' SGD rate, 0.2, ended at 10.03% test
    accuracy in 3 epochs (93.04% at 0.001), momentum at 0.2 with mu 0.9 at 59.61% (96.10% at 0.02)."""
    if optimizer == defaults["optimizer"]:
        return defaults["eta"]
    if optimizer == "adam":
        return 0.001
    sgd = defaults["eta"] if defaults["optimizer"] == "sgd" else 0.1
    if optimizer in ("momentum", "nesterov"):
        return round(sgd * (1 - (0.9 if momentum is None else momentum)), 12)  # 0.02, not 0.020000000000000004
    return sgd


def format_scores(scores: dict, standardized_targets: bool = False) -> str:
    """'accuracy 98.33% (cost 0.0729)', or 'mse 0.012, mae 0.087, r2 0.95 (cost 0.006)' for regression
    ('(cost 0.006 on standardized targets)' when the model standardizes them: mse and mae are in
    the targets' units, the cost is what training minimizes)."""
    if "accuracy" in scores:
        return f"accuracy {100 * scores['accuracy']:.2f}% (cost {scores['cost']:.4f})"
    where = " on standardized targets" if standardized_targets else ""
    return (", ".join(f"{key} {scores[key]:.4g}" for key in ("mse", "mae", "r2"))
            + f" (cost {scores['cost']:.4g}{where})")


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
        "dtype": Field(optional(choice("float32", "float64"))),
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
        "monitor_test": Field(optional(boolean())),
        "data": Field(optional(path)),
        "target": Field(optional(_target)),
        "header": Field(optional(boolean())),
        "validation_data": Field(optional(path)),
        "validation_split": Field(optional(number(0, 1, high_open=True))),
        "test_data": Field(optional(path)),
        "task": Field(optional(choice("classification", "regression"))),
        "scale": Field(optional(_scale)),
        "scale_target": Field(optional(choice("standardize", "none"))),
        "data_dir": Field(optional(path)),
        "save": Field(optional(path)),
        "history": Field(optional(path)),
        "checkpoint": Field(optional(path)),
    }


def check_settings(settings) -> dict:
    """Validate the settings of a checkpoint (each typed and range-checked, the schedule parsed)."""
    from ..schema import check_fields

    if not isinstance(settings, dict):
        raise ValueError("this checkpoint was not written by 'bprop train' (no settings)")
    missing = [key for key in SETTINGS if key not in settings and key not in LATER_SETTINGS]
    if missing:
        raise ValueError(f"this checkpoint was not written by 'bprop train' (no settings {missing})")
    checked = check_fields(settings, settings_fields(), "the checkpoint's settings")
    if "scale_target" not in checked:  # written before --scale-target: its runs trained on the targets as they are
        checked["scale_target"] = "none" if checked.get("data") is not None else None
    for key in LATER_SETTINGS:
        checked.setdefault(key, None)
    if checked["schedule"] is not None:
        parse_schedule(checked["schedule"])
    return checked


def option_name(key: str) -> str:
    """The command-line option of a setting: 'batch_size' -> '--batch-size'."""
    return OPTION_NAMES.get(key, "--" + key.replace("_", "-"))


def stored_settings(args) -> dict:
    """The settings a checkpoint keeps (SETTINGS), with the paths made absolute."""
    import os

    settings = {key: getattr(args, key) for key in SETTINGS}
    for key in PATH_SETTINGS:
        if settings[key] is not None:
            settings[key] = os.path.abspath(settings[key])
    if isinstance(settings["target"], str) and str(settings["data"]).lower().endswith(".npy"):
        settings["target"] = os.path.abspath(settings["target"])  # for an .npy, the file of targets
    return settings


def _same_setting(key: str, given, stored) -> bool:
    import os

    if given == stored:
        return True
    if isinstance(given, str) and isinstance(stored, str) and (key in PATH_SETTINGS or key == "target"):
        return os.path.abspath(given) == os.path.abspath(stored)
    return False


def _apply_checkpoint_settings(args) -> None:
    """On --resume, take the run's settings, data source and files from the checkpoint.

    Options a resumed run may change (RESUME_MAY_CHANGE: more --epochs, new file paths)
    replace the stored ones; any other option given with a value other than the run's
    is refused, naming it, before anything is read or written.
    """
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
    given = {key: getattr(args, key) for key in SETTINGS if getattr(args, key) is not None}
    refused = [key for key, value in given.items()
               if key not in RESUME_MAY_CHANGE and not _same_setting(key, value, settings[key])]
    if refused:
        def shown(value):
            return ",".join(map(str, value)) if isinstance(value, list) else "unset" if value is None else str(value)

        names = ", ".join(option_name(key) for key in refused)
        runs = "; ".join(f"{option_name(key)} {shown(settings[key])}" for key in refused)
        raise ValueError(f"{names} cannot change when resuming: the run in {args.resume} has {runs}. Leave "
                         f"{'it' if len(refused) == 1 else 'them'} out (a resumed run keeps its settings and data; "
                         f"only {', '.join(option_name(key) for key in RESUME_MAY_CHANGE)} may be given anew), "
                         "or start a new run without --resume")
    for key in SETTINGS:
        if key not in given:
            setattr(args, key, settings[key])
    if args.checkpoint is None:  # a checkpoint written by fit(checkpoint=...) alone: keep writing to it
        args.checkpoint = args.resume
    if done >= (args.epochs or 0) or stopped:
        print(f"{args.resume}: the run already ended after {done} epochs"
              + (" (stopped by early stopping or its schedule)" if stopped else f"; pass --epochs above {done} to train on"))


def check_outputs(args) -> None:
    """Before any data is read: every file the run will write can be written, and no two are one."""
    import os

    from ..io import check_writable

    if args.history and not args.history.lower().endswith((".json", ".csv")):
        raise ValueError(f"--history must end in .json or .csv, got {args.history!r}")
    outputs = [(option, path) for option, path in (("--save", args.save), ("--history", args.history),
                                                  ("--checkpoint", args.checkpoint)) if path]
    for option, path in outputs:
        check_writable(path, option)
    seen = {}
    for option, path in outputs + ([("--resume", args.resume)] if args.resume else []):
        real = os.path.realpath(path)
        if real in seen and not {seen[real], option} == {"--checkpoint", "--resume"}:
            raise ValueError(f"{seen[real]} and {option} name the same file {path}; give each its own")
        seen.setdefault(real, option)
    npy_target = args.target if str(args.data or "").lower().endswith(".npy") else None
    for option, path in (("--data", args.data), ("--validation-data", args.validation_data),
                         ("--test-data", args.test_data), ("--target", npy_target)):
        for output, written in outputs:
            if path is not None and os.path.realpath(path) == os.path.realpath(written):
                raise ValueError(f"{output} {written} is the {option} file: writing it would replace your data; "
                                 f"give {output} another path")


def run(args) -> int:
    """'bprop train': SIGTERM as well as Ctrl-C stops it with a message (the trainer's handlers
    take over during training); warnings are printed as one line each."""
    import signal
    import sys
    import threading
    import warnings

    def one_line(message, category, filename, lineno, file=None, line=None):
        print(f"bprop train: warning: {message}", file=sys.stderr)

    def terminate(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if main_thread else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            return _train(args)
    except KeyboardInterrupt as error:  # a second signal, or one outside training
        return _stopped_at_once(args, error)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _stopped_at_once(args, error: KeyboardInterrupt) -> int:
    """Stopped by a signal outside the trainer's care (a second Ctrl-C, or before training)."""
    import os
    import shlex
    import sys
    import time

    name = error.args[0] if error.args and error.args[0] in ("SIGINT", "SIGTERM") else "SIGINT"
    unwritten = [f"{option} {path}" for option, path in (("--save", getattr(args, "save", None)),
                                                          ("--history", getattr(args, "history", None))) if path]
    lines = [f"bprop train: stopped at once by {name}{' (Ctrl-C)' if name == 'SIGINT' else ''}"
             + (f"; not written: {', '.join(unwritten)}" if unwritten else "")]
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint and os.path.isfile(checkpoint):
        written = time.strftime("%H:%M:%S", time.localtime(os.path.getmtime(checkpoint)))
        lines.append(f"the checkpoint {checkpoint} (last written at {written}) is intact; "
                     f"continue with: bprop train --resume {shlex.quote(checkpoint)}")
    else:
        lines.append("no checkpoint was written" + ("" if checkpoint else " (give --checkpoint PATH to be able to resume)"))
    print("\n".join(lines), file=sys.stderr)
    return 143 if name == "SIGTERM" else 130


def _changed_data(args) -> str:
    """What a resumed run refused for other data read: 'train.csv changed', or several files."""
    files = [path for path in (args.data, args.validation_data, args.test_data if args.monitor_test else None) if path]
    if not files:
        return f"the {args.dataset} data changed"
    return f"{files[0]} changed" if len(files) == 1 else f"{', '.join(files[:-1])} or {files[-1]} changed"


def _interrupted(args, net, stop, early_stopping) -> int:
    """After the first Ctrl-C/SIGTERM: write what the user asked for, say exactly what was written."""
    import shlex
    import signal

    from ..training.callbacks import format_metric

    signame = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}.get(stop.signum, "Ctrl-C")
    finished = len(stop.history) if stop.history is not None else 0
    where = f"after epoch {stop.epoch}" if stop.batch == 0 else f"in epoch {stop.epoch + 1}, after batch {stop.batch}"
    print(f"bprop train: interrupted by {signame} {where}; {finished} epoch{'s' if finished != 1 else ''} finished",
          flush=True)
    if stop.checkpoint:
        at = f"epoch {stop.epoch + 1}, batch {stop.batch}" if stop.batch else f"the end of epoch {stop.epoch}"
        print(f"  checkpoint {stop.checkpoint}: written (at {at}; a resumed run continues exactly there)", flush=True)
    else:
        print("  no checkpoint: this run has no --checkpoint, so it cannot be resumed", flush=True)
    if args.save:
        params, which = stop.finished_params, f"the weights after epoch {finished}, the last finished"
        if early_stopping is not None and early_stopping.best_params:
            params = early_stopping.best_params
            which = (f"the weights of epoch {early_stopping.best_epoch}, the best so far by {early_stopping.monitor} "
                     f"({format_metric(early_stopping.monitor, early_stopping.best)})")
        if params is None:
            print(f"  model {args.save}: not written (no epoch finished"
                  + (" since the run resumed mid-epoch)" if finished else ")"), flush=True)
        else:
            for (param, _), value in zip(net.trainable_parameters(), params):
                param[...] = value
            net.save(args.save)
            print(f"  model {args.save}: written, {which}", flush=True)
    if args.history:
        if finished:
            stop.history.save(args.history)
            print(f"  history {args.history}: written, {'epoch 1' if finished == 1 else f'epochs 1-{finished}'}", flush=True)
        else:
            print(f"  history {args.history}: not written (no epoch finished)", flush=True)
    if stop.checkpoint:
        print(f"continue with: bprop train --resume {shlex.quote(stop.checkpoint)}", flush=True)
    return 143 if stop.signum == signal.SIGTERM else 130


def _train(args) -> int:
    import sys
    import time

    from ..network import Network
    from ..optimizers import Adam, Momentum, get as get_optimizer
    from .. import activations, costs
    from ..preprocessing import Scale, standardizable
    from ..regularizers import L1, L2
    from ..training import DivergenceError, EarlyStopping, OtherDataError, TrainingInterrupted
    from ..validation import positive_int

    # (a resumed run's settings were checked when it started; given anew, they must be the run's own)
    own_options = [] if args.resume else [key for key in OWN_DATA_OPTIONS if getattr(args, key) is not None]
    if args.resume:
        _apply_checkpoint_settings(args)
    for key, default in UNSET_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
    check_outputs(args)
    if args.data is not None and args.dataset is not None:
        raise ValueError("give --dataset (a bundled data set) or --data (your own file), not both")
    if args.data is None and own_options:  # they would be ignored: the digits trained, --test-data unread
        names = ", ".join(option_name(key) for key in own_options)
        raise ValueError(f"{names} {'is' if len(own_options) == 1 else 'are'} for your own data (--data FILE); the "
                         f"{args.dataset or 'digits'} data set comes with its own validation and test splits and "
                         "pixel scale")
    if args.validation_data is not None and "validation_split" in own_options:
        raise ValueError("give --validation-data (a file of validation rows) or --validation-split (a fraction of "
                         "--data held out), not both")
    if args.data_dir is not None and args.dataset != "mnist":
        raise ValueError("--data-dir is the folder of the MNIST files: add --dataset mnist"
                         + (" (--data reads your own file)" if args.data is not None else
                            f" (without it, {args.dataset or 'digits'} is trained)"))
    own = own_data(args) if args.data is not None else None
    if own is None:
        args.dataset = args.dataset or "digits"
        defaults = DEFAULTS[args.dataset]
        args.sizes = args.sizes or defaults["sizes"]
        network_data = dict(preprocessing=Scale(PIXEL_SCALE[args.dataset]), task="classification")
    else:
        defaults = TABLE_DEFAULTS
        args.sizes = args.sizes or [own.n_inputs, defaults["hidden_size"], own.n_outputs]
        # two classes may also take ONE sigmoid output, a^L = P(second class) (as in Python)
        one_sigmoid = own.task == "classification" and own.n_outputs == 2 and args.sizes[-1] == 1
        if args.sizes[0] != own.n_inputs or (args.sizes[-1] != own.n_outputs and not one_sigmoid):
            raise ValueError(f"--sizes {','.join(map(str, args.sizes))} does not fit the data: {own.n_inputs} features "
                             f"in, {own.n_outputs} {'classes' if own.task == 'classification' else 'targets'} out"
                             + (" (or 1: one sigmoid output for two classes)" if own.n_outputs == 2
                                and own.task == "classification" else ""))
        regression = own.task == "regression"
        args.output = args.output or ("identity" if regression else "sigmoid" if one_sigmoid else "softmax")
        args.cost = args.cost or ("quadratic" if regression else "cross_entropy" if one_sigmoid else "log_likelihood")
        if not regression and args.scale_target == "standardize":
            raise ValueError("--scale-target is for regression targets; the target here holds classes "
                             "(give --task regression if they are numbers to predict)")
        if regression:  # standardized targets, any real value, need an output such as identity
            fits = standardizable(activations.get(args.output).name, costs.get(args.cost).name)
            if args.scale_target is None:
                args.scale_target = "standardize" if fits else "none"
            elif args.scale_target == "standardize" and not fits:
                raise ValueError(f"--scale-target standardize trains on (y - mean) / std, any real value, which "
                                 f"--output-activation {args.output} with --cost {args.cost} cannot fit: give "
                                 f"--scale-target none, or --output-activation identity with --cost quadratic")
        network_data = dict(preprocessing=preprocessing_of(args.scale), task=own.task, classes=own.classes,
                            feature_names=own.feature_names,
                            target_preprocessing="standardize" if args.scale_target == "standardize" else None)
    args.hidden = args.hidden or defaults["hidden"]
    args.optimizer = args.optimizer or defaults["optimizer"]
    args.eta = args.eta if args.eta is not None else default_eta(defaults, args.optimizer, args.momentum)
    args.batch_size = args.batch_size if args.batch_size is not None else defaults["batch_size"]
    args.epochs = args.epochs if args.epochs is not None else defaults["epochs"]
    if args.l1 is not None and args.l2 is not None:
        raise ValueError("give --l1 or --l2, not both")

    regularizer = L2(args.l2) if args.l2 is not None else L1(args.l1) if args.l1 is not None else None
    if args.momentum is not None and args.optimizer not in ("momentum", "nesterov"):
        raise ValueError(f"--momentum is the coefficient of --optimizer momentum or nesterov; the optimizer here is "
                         f"{args.optimizer} (add --optimizer momentum)")
    if args.adam_kernel is not None and args.optimizer != "adam":
        raise ValueError(f"--adam-kernel chooses how Adam's step is computed; the optimizer here is {args.optimizer} "
                         f"(add --optimizer adam, or leave --adam-kernel out)")
    if args.optimizer in ("momentum", "nesterov"):
        optimizer = Momentum(args.eta, 0.9 if args.momentum is None else args.momentum,
                             nesterov=args.optimizer == "nesterov")
    elif args.optimizer == "adam":
        try:
            optimizer = Adam(args.eta, kernel=args.adam_kernel or "numpy")
        except ImportError as error:  # --adam-kernel numba without the fast extra: one line, before any work
            message = str(error).replace("kernel='numpy'", "--adam-kernel numpy")  # the option, not the Python
            raise ValueError(f"--adam-kernel numba: {message}") from None
    else:
        optimizer = get_optimizer(args.optimizer, args.eta)
    callbacks = []
    monitor = "val_cost" if own is not None and own.task == "regression" else "val_accuracy"
    if args.schedule:
        callbacks.append(parse_schedule(args.schedule, monitor))
    early_stopping = None
    if args.early_stopping is not None:
        early_stopping = EarlyStopping(monitor, patience=args.early_stopping)
        callbacks.append(early_stopping)

    # Check every setting (names, sizes, hyperparameters) before loading, or downloading, any data.
    positive_int("--batch-size", args.batch_size)
    positive_int("--epochs", args.epochs)
    if args.dropout and len(args.sizes) < 3:  # Network puts dropout after hidden layers only: none here
        raise ValueError(f"--dropout drops hidden neurons, and --sizes {','.join(map(str, args.sizes))} has no hidden "
                         "layer; leave --dropout out, or add a hidden layer")
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
        if net.target_preprocessing is not None:
            print("targets standardized: the costs below are on the standardized targets, (y - mean) / std; "
                  "mse, mae and the predictions are in the targets' units")
        if args.resume:
            print(f"resuming from {args.resume}")
    settings = stored_settings(args)
    started = time.perf_counter()
    try:
        history = net.fit(train.x, train.y, epochs=args.epochs, batch_size=args.batch_size, eta=args.eta,
                          optimizer=optimizer, validation=(validation.x, validation.y),
                          monitor={"test": (test.x, test.y)} if args.monitor_test else None,
                          callbacks=callbacks, verbose=not args.quiet, checkpoint=args.checkpoint,
                          resume=args.resume, settings=settings)
    except TrainingInterrupted as stop:
        return _interrupted(args, net, stop, early_stopping)
    except OtherDataError:  # say which files: the user gave no x, y or sample_weight
        raise ValueError(f"{args.resume}: the checkpoint was trained on other data: {_changed_data(args)} since the "
                         "checkpoint was written; put the data back as it was, or start a new run without "
                         "--resume") from None
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
    # which weights were scored: early stopping may have put back an earlier epoch's (said above,
    # but not under --quiet, and the history's last row is another epoch)
    which = ""
    if early_stopping is not None and early_stopping.best_params and early_stopping.best_epoch != len(history):
        which = f" (the weights of epoch {early_stopping.best_epoch} of {len(history)}, the best by {monitor})"
    print(f"{name} {format_scores(scores, net.target_preprocessing is not None)} on {len(final.y)} samples{which}; "
          f"trained in {seconds:.1f}s")
    for label, path in (("model", args.save), ("history", args.history)):
        if path:
            print(f"{label} saved to {path}")
    return 0

