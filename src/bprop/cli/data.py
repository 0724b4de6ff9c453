"""Your own data on the command line: --data FILE --target COLUMN for train and evaluate.

``bprop train --data train.csv --target species`` reads the file with
``datasets.read_table``, decides the task from the target (``infer_task``: labels
that are not numbers, or few whole numbers, are classes; other numbers are values to
regress), holds out ``--validation-split`` of the rows (stratified by class) unless
``--validation-data`` is given, and builds the network's head, classes and
preprocessing (``--scale``, stored in the model) from what it read.
"""

from __future__ import annotations

import argparse
import math
from typing import NamedTuple

import numpy as np

#: Whole-number targets with at most this many distinct values are class labels.
MAX_INTEGER_CLASSES = 50

#: Defaults for training on your own data (sizes come from the data: [d, 100, K]).
TABLE_DEFAULTS = {"hidden": "relu", "eta": 0.01, "batch_size": 32, "epochs": 30, "hidden_size": 100,
                  "optimizer": "adam"}


class OwnData(NamedTuple):
    """What train needs from the files: the splits and the network's data-given settings."""

    train: object  # datasets.splits.Split
    validation: object
    test: object | None
    task: str
    classes: np.ndarray | None
    n_inputs: int
    n_outputs: int
    target_name: str | None
    feature_names: list[str] | None  # the header's names (None: the file has none), saved in the model


class OneTarget(argparse.Action):
    """--target, refused when given twice: argparse would keep the last, and the first would be
    read as a feature ('--target price --target score' trained on price)."""

    def __call__(self, parser, namespace, value, option_string=None):
        given = getattr(namespace, self.dest, None)
        if given is not None:
            parser.error(f"{option_string} given twice ({given!r} and {value!r}): one target column per run; "
                         "for several regression targets, give an .npz whose y has one column per target")
        setattr(namespace, self.dest, value)


def add_table_options(group, *, training: bool) -> None:
    """--data, --target, --header/--no-header (and, for train, the split and scaling options)."""
    group.add_argument("--data", default=None, metavar="FILE",
                       help="your own data: a .csv (header row optional), an .npz with arrays x and y, or an .npy of "
                       "features (with --target giving the .npy of targets)")
    group.add_argument("--target", default=None, metavar="COLUMN", action=OneTarget,
                       help="the target column of --data: its header name, or its 0-based position (-1: the last; "
                       "a header name such as '1' is the name); "
                       "for an .npy, the .npy file of targets (default for .npz: the array y)")
    add_header_options(group)
    if training:
        group.add_argument("--validation-data", default=None, metavar="FILE",
                           help="validation rows in the same format (default: hold out --validation-split of --data)")
        group.add_argument("--validation-split", type=float, default=0.2, metavar="F",
                           help="fraction of --data held out for validation, stratified by class (a class of one row stays in "
                           "training; default: 0.2)")
        group.add_argument("--test-data", default=None, metavar="FILE", help="test rows, scored once at the end")
        group.add_argument("--task", default=None, choices=["classification", "regression"],
                           help="what the target is (default: from its values: labels that are not numbers, or at "
                           f"most {MAX_INTEGER_CLASSES} distinct whole numbers, are classes)")
        group.add_argument("--scale", default="standardize", type=parse_scale, metavar="HOW",
                           help="input preprocessing stored in the model: 'standardize' (default for --data: each "
                           "feature's mean and deviation learnt from the training rows), 'none', or a factor such as 1/255")
        group.add_argument("--scale-target", default=None, choices=["standardize", "none"],
                           help="regression: 'standardize' (the default with an identity output) trains on "
                           "(y - mean) / std per target column, learnt from the training rows and stored in the "
                           "model, which predicts in the targets' units (targets far from 0, such as prices, train "
                           "badly without it); 'none' (the default with a bounded output such as sigmoid) trains "
                           "on y as it is")


def add_header_options(group) -> None:
    """--header / --no-header: whether a CSV's first row is a header (default: detected)."""
    header = group.add_mutually_exclusive_group()
    header.add_argument("--header", dest="header", action="store_true", default=None,
                        help="the CSV's first row is a header (default: detected: a row with a non-number)")
    header.add_argument("--no-header", dest="header", action="store_false", help="the CSV's first row is data")


def parse_scale(text: str):
    """'standardize' | 'none' | a positive factor ('0.5', '1/255') -> the spec for ``preprocessing.get``."""
    from ..preprocessing import Scale

    lowered = text.strip().lower()
    if lowered in ("standardize", "none"):
        return lowered
    try:
        numerator, _, denominator = lowered.partition("/")
        factor = float(numerator) / float(denominator) if denominator else float(numerator)
        Scale(factor)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"--scale takes 'standardize', 'none' or a positive factor such as 1/255; got {text!r}")
    return factor


def preprocessing_of(spec):
    """The ``Network(preprocessing=...)`` value of a parsed --scale."""
    from ..preprocessing import Scale

    if spec == "none" or spec is None:
        return None
    if spec == "standardize":
        return "standardize"
    return Scale(spec)


def infer_task(y: np.ndarray) -> str:
    """"classification" for labels that are not numbers or are few whole numbers, else "regression"."""
    if y.ndim == 2 and y.shape[1] > 1:
        return "regression"
    values = y.reshape(-1)
    if not np.issubdtype(values.dtype, np.number) or values.dtype == bool:
        return "classification"
    whole = np.all(values == np.round(values))
    return "classification" if whole and np.unique(values).size <= MAX_INTEGER_CLASSES else "regression"


def read(path, args, *, require_target: bool = True):
    """A Table from ``path`` with the command's --target and --header."""
    from ..datasets import read_table

    table = read_table(path, target=args.target, header=args.header)
    if require_target and table.y is None:
        raise ValueError(f"{path}: give --target, the column (or array) that holds what to predict")
    return table


def own_data(args) -> OwnData:
    """Read --data (and --validation-data, --test-data) and decide the task, classes and sizes."""
    from ..datasets.splits import Split

    if args.target is None and not str(args.data).lower().endswith(".npz"):
        raise ValueError("--data needs --target: the column (or .npy of targets) that holds what to predict")
    table = read(args.data, args)
    task = args.task or infer_task(table.y)
    parts = {"validation": None, "test": None}
    for name, path in (("validation", args.validation_data), ("test", args.test_data)):
        if path is not None:
            other = read(path, args)
            names = table.feature_names if table.named else None
            x = aligned(other, names, path, f"{args.data}'s features")
            if x.shape[1] != table.x.shape[1]:
                raise ValueError(f"{path} has {x.shape[1]} features but {args.data} has {table.x.shape[1]}")
            parts[name] = Split(x, labels_as(other.y, table.y))
    train = Split(table.x, table.y)
    if parts["validation"] is None:
        train, parts["validation"] = _hold_out(train, args.validation_split, task, args.seed, args.data)
    classes, n_outputs = None, None
    if task == "classification":
        labels = [part.y for part in (train, parts["validation"], parts["test"]) if part is not None]
        try:
            classes = np.unique(np.concatenate([np.asarray(y).reshape(-1) for y in labels]))
        except TypeError:
            raise ValueError(f"{args.data}: the class labels mix numbers and words") from None
        if classes.size < 2:
            raise ValueError(f"{args.data}: the target has one class only ({classes[0].item()!r}); nothing to learn")
        n_outputs = classes.size
    else:
        if not np.issubdtype(np.asarray(table.y).dtype, np.number):
            raise ValueError(f"{args.data}: regression needs numeric targets; column {table.target_name!r} has words")
        n_outputs = 1 if table.y.ndim == 1 else table.y.shape[1]
    return OwnData(train, parts["validation"], parts["test"], task, classes, table.x.shape[1], n_outputs,
                   table.target_name, table.feature_names if table.named else None)


def labels_as(y, reference):
    """``y`` as words when the ``reference`` labels (the training file's, a model's classes) are
    words: a file whose labels are all numbers ("1", "2") is read as numbers, which would match
    none of the words "1", "2", "other". Anything else is returned as it is."""
    if y is None or reference is None:
        return y
    y, reference = np.asarray(y), np.asarray(reference)
    if reference.dtype.kind == "U" and y.dtype.kind in "iuf":
        return np.array([str(value) for value in y.tolist()])
    return y


def aligned(table, names, path, what: str) -> np.ndarray:
    """``table.x`` with its columns in the order of ``names`` (a model's or a training file's
    feature names), matched by the header's names; as read when either side has no names.

    Raises:
        ValueError: naming ``path``, the columns missing and those not among ``what`` (e.g.
            "model.npz's features"), or names that repeat in a different order.
    """
    have = list(table.feature_names)
    if names is None or not table.named or have == list(names):
        return table.x
    names = list(names)
    missing = [name for name in names if name not in have]
    extra = [name for name in have if name not in names]
    if missing or extra:
        problems = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"not among them: {', '.join(map(repr, extra))}"] if extra else [])
        raise ValueError(f"{path}: its columns do not match {what} ({', '.join(map(repr, names))}): "
                         f"{'; '.join(problems)}")
    if len(set(names)) != len(names) or len(set(have)) != len(have):
        raise ValueError(f"{path}: its columns are {what} in another order, and names repeat, so they cannot be "
                         f"matched; put them in the order {', '.join(map(repr, names))}")
    return table.x[:, [have.index(name) for name in names]]


def _hold_out(train, fraction: float, task: str, seed: int, path):
    from sklearn.model_selection import train_test_split

    from ..datasets.splits import Split, holdout_keeping_single_rows

    if not 0 < fraction < 1:
        raise ValueError(f"--validation-split must be between 0 and 1, got {fraction}")
    n = train.x.shape[0]
    if n < 4:
        raise ValueError(f"{path}: {n} rows are too few to hold out validation rows; give --validation-data")
    n_validation = math.ceil(fraction * n)  # as train_test_split counts them
    if n_validation >= n:
        raise ValueError(f"--validation-split {fraction:g} of the {n} rows of {path} leaves no training rows; "
                         "give a smaller fraction")
    stratify = None
    if task == "classification":
        _, counts = np.unique(train.y, return_counts=True)
        if counts.min() >= 2 and min(n_validation, n - n_validation) >= counts.size:
            stratify = train.y
        else:  # a class of one row stays in training, the others stratified (``holdout_keeping_single_rows``)
            found = holdout_keeping_single_rows(train.y, n_validation, seed)
            if found is not None:
                kept, held = found
                return Split(train.x[kept], train.y[kept]), Split(train.x[held], train.y[held])
    x_train, x_val, y_train, y_val = train_test_split(train.x, train.y, test_size=fraction, random_state=seed,
                                                      stratify=stratify)
    return Split(x_train, y_train), Split(x_val, y_val)
