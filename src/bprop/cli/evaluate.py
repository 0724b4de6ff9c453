"""bprop evaluate: the cost and the task's metrics of a saved network on a data set's split or your own file."""

from __future__ import annotations

from .data import add_table_options


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a saved network on a data set or your own file",
        description="Load a network saved with 'bprop train --save MODEL' (or Network.save) and print its cost and "
        "the task's metrics (accuracy for classification; MSE, MAE and R² for regression) on a split of a bundled "
        "data set (default: the test split of the one it fits: mnist for 784 inputs, digits for 64) or on your "
        "own file with '--data FILE --target COLUMN'. '--report' adds a confusion matrix and per-class precision, "
        "recall and F1.",
    )
    parser.add_argument("model", help="a model file written by 'bprop train --save' or Network.save")
    parser.add_argument("--dataset", default=None, choices=["digits", "mnist"], help="data set (default: from the input size)")
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--split", default="test", choices=["train", "validation", "test"], help="which split (default: test)")
    add_table_options(parser.add_argument_group("your own data"), training=False)
    parser.add_argument("--report", action="store_true",
                        help="classification: a confusion matrix and per-class precision, recall and F1")
    parser.add_argument("--report-png", default=None, metavar="PATH", help="also draw the confusion matrix to a PNG/SVG")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..serialization import load_model
    from . import data as own
    from .train import format_scores, load_data
    from ..io import check_writable

    if args.report_png:
        check_writable(args.report_png, "--report-png")  # before any work
    net = load_model(args.model)
    if args.data is not None:
        if args.dataset is not None:
            raise ValueError("give --dataset (a bundled data set) or --data (your own file), not both")
        table = own.read(args.data, args)
        x, label = own.aligned(table, net.feature_names, args.data, f"{args.model}'s features"), args.data
        y = own.labels_as(table.y, net.classes)
    else:
        dataset = args.dataset or {784: "mnist", 64: "digits"}.get(net.n_inputs)
        if dataset is None:
            raise ValueError(f"{args.model} takes {net.n_inputs} inputs, which fits no bundled data set; "
                             f"give --data FILE --target COLUMN, or use 'bprop predict'")
        split = getattr(load_data(dataset, args.data_dir), args.split)
        x, y, label = split.x, split.y, f"{dataset} {args.split}"
    if x.shape[1] != net.n_inputs:
        raise ValueError(f"{args.model} takes {net.n_inputs} inputs but {label} has {x.shape[1]} features")
    try:
        scores = net.evaluate(x, y)
    except ValueError as error:  # the data does not fit the model: say which data ("y must hold numbers" alone)
        raise ValueError(f"{label}: {error}") from None
    print(f"{net!r}")
    print(f"{label}: {format_scores(scores, net.target_preprocessing is not None)} on {len(y)} samples")
    if args.report or args.report_png:
        if net.task.name != "classification":
            raise ValueError("--report is for classifiers (a confusion matrix); this model does regression")
        report(net, x, y, args.report_png)
    return 0


def report(net, x, y, png=None) -> None:
    """Print the confusion matrix and per-class precision, recall, F1 and support (scikit-learn's metrics)."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    predicted = net.predict(x)
    truth = np.asarray(y).reshape(-1)
    classes = net.classes if net.classes is not None else np.arange(net.task.n_classes)
    matrix = confusion_matrix(truth, predicted, labels=classes)
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    console = Console()
    table = Table(title="confusion matrix (rows: true class, columns: predicted)")
    table.add_column("true \\ predicted")
    for name in classes:
        table.add_column(str(name), justify="right")
    for name, row in zip(classes, matrix):
        table.add_row(str(name), *[str(v) for v in row])
    console.print(table)
    scores = Table(title="per class")
    for column in ("class", "precision", "recall", "F1", "support"):
        scores.add_column(column, justify="left" if column == "class" else "right")
    for name, p, r, f, s in zip(classes, precision, recall, f1, support):
        scores.add_row(str(name), f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", str(s))
    console.print(scores)
    if png:
        from ..drawing import confusion_matrix_figure, save_figure

        save_figure(confusion_matrix_figure(matrix, classes), png)
        print(f"wrote {png}")
