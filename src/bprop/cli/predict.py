"""bprop predict: what a saved network predicts for new inputs (class labels, 0/1 labels or values)."""

from __future__ import annotations

import os
import sys

from .data import add_header_options


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="print the prediction for each input",
        description="Load a saved network and print its prediction for every input, one per line: the class "
        "label for a classifier (as given to fit), the 0/1 labels for multilabel, the values for regression. "
        "INPUT is a .npy array (rows of features, or images (N, H, W) that are flattened), a .csv of rows of "
        "numbers (a non-numeric header line is skipped), or an IDX images file such as t10k-images-idx3-ubyte[.gz]. "
        "The numbers go to the model as they are: the model applies its own preprocessing (models of "
        "'bprop train' scale raw pixels themselves), exactly as Network.predict does in Python.",
    )
    parser.add_argument("model", help="a model file written by 'bprop train --save' or Network.save")
    parser.add_argument("input", help="inputs: .npy, .csv, or an IDX file")
    parser.add_argument("--proba", action="store_true", help="also print the output activations a^L, every digit "
                        "(the shortest text that reads back as the same number in the model's dtype)")
    parser.add_argument("--target", default=None, metavar="COLUMN",
                        help="a CSV column to leave out (e.g. the labels of a training file): its header name or "
                        "0-based position")
    add_header_options(parser)
    parser.set_defaults(func=run)


def read_inputs(path: str, target=None, header=None, names=None, what="the model's features"):
    """Rows of features (N, n) from a .npy, .csv or IDX file, the numbers as stored
    (a CSV through ``datasets.read_table``, without its ``target`` column; with ``names``,
    a model's feature names, its columns matched to them by its header: ``cli.data.aligned``).

    Every file is untrusted: only regular files are read, with bounded reads (see
    ``bprop.io``); a 0-d array, an array without samples or features, or a 1-D IDX
    file (labels, not images) is refused with a ``FileFormatError`` naming the file.
    """
    import numpy as np

    from ..datasets import read_idx
    from ..io import FileFormatError, load_npy

    lower = path.lower()
    if lower.endswith(".npy"):
        x = load_npy(path)
    elif lower.endswith(".csv"):
        from ..datasets import read_table
        from .data import aligned

        x = aligned(read_table(path, target=target, header=header), names, path, what)
    elif _looks_like_idx(path):
        x = read_idx(path)
        if x.ndim == 1:
            raise FileFormatError(path, f"an IDX file of {x.shape[0]} single values (a labels file?), "
                                        "not images or rows of features")
    else:
        raise FileFormatError(path, "unknown input format; give a .npy, a .csv or an IDX file")
    x = np.asarray(x)
    if x.ndim == 0:
        raise FileFormatError(path, "holds a single number (a 0-d array), not rows of features")
    if x.dtype.kind not in "biuf":
        raise FileFormatError(path, f"holds {x.dtype} values; inputs must be real numbers")
    if x.ndim == 1:
        x = x.reshape(1, -1)
    if x.shape[0] == 0:
        raise FileFormatError(path, f"holds no samples (shape {x.shape})")
    if 0 in x.shape:
        raise FileFormatError(path, f"holds samples without features (shape {x.shape})")
    if x.ndim > 2:
        x = x.reshape(x.shape[0], -1)
    return x


def _looks_like_idx(path) -> bool:
    """IDX magic: two zero bytes then a type code (0x08..0x0E); gzipped files start 1f 8b."""
    from ..io import open_regular

    with open_regular(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return "idx" in os.path.basename(path).lower()
    return len(head) == 4 and head[:2] == b"\x00\x00" and head[2] in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)


def run(args) -> int:
    import numpy as np

    from ..serialization import load_model

    net = load_model(args.model)
    x = read_inputs(args.input, args.target, args.header, net.feature_names, f"{args.model}'s features")
    if x.shape[1] != net.n_inputs:
        raise ValueError(f"{args.input} has {x.shape[1]} features per row but {args.model} takes {net.n_inputs}")
    predictions = net.predict(x)
    a = net.feedforward(x)
    try:
        with np.printoptions(precision=6, suppress=True):
            for prediction, row in zip(predictions, a):
                if np.ndim(prediction) == 0:
                    text = prediction
                elif net.task.name == "regression":  # every digit: precision=6 printed 2.4e-07 as 0.
                    text = "[" + " ".join(repr(float(value)) for value in prediction) + "]"
                else:
                    text = np.array2string(prediction, separator=" ", max_line_width=10**9)
                # every digit: precision=6 printed a probability of 3.06e-07 as 0. and 6.474626e-05 as 0.000065
                print(f"{text}  [{' '.join(str(value) for value in row)}]" if args.proba else text)
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. 'bprop predict ... | head': the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
