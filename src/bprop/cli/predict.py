"""bprop predict: the classes a saved network gives to new inputs."""

from __future__ import annotations

import os
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="print the predicted class of each input",
        description="Load a saved network and print the predicted class of every input, one per line. "
        "INPUT is a .npy array (rows of features, or images (N, H, W) that are flattened), a .csv of rows of "
        "numbers (a non-numeric header line is skipped), or an IDX images file such as t10k-images-idx3-ubyte[.gz]. "
        "Integer pixels (uint8 0..255, as in IDX files) are divided by 255, as for training.",
    )
    parser.add_argument("model", help="a model file written by 'bprop train --save' or Network.save")
    parser.add_argument("input", help="inputs: .npy, .csv, or an IDX file")
    parser.add_argument("--proba", action="store_true", help="also print the output activations a^L")
    parser.set_defaults(func=run)


def read_inputs(path: str):
    """Rows of features (N, n) from a .npy, .csv or IDX file, as floats."""
    import numpy as np

    from ..datasets import read_idx

    lower = path.lower()
    if lower.endswith(".npy"):
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise ValueError(f"{path}: not a readable .npy array ({error})") from None
    elif lower.endswith(".csv"):
        x = _read_csv(path)
    elif _looks_like_idx(path):
        x = read_idx(path)
    else:
        raise ValueError(f"{path}: unknown input format; give a .npy, a .csv or an IDX file")
    x = np.asarray(x)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    elif x.ndim > 2:
        x = x.reshape(x.shape[0], -1)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255
    return x


def _read_csv(path):
    import numpy as np

    with open(path, encoding="utf-8") as f:
        first = f.readline()
    try:
        [float(cell) for cell in first.strip().split(",") if cell.strip()]
        skip = 0
    except ValueError:
        skip = 1
    try:
        return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    except ValueError as error:
        raise ValueError(f"{path}: not a CSV of numbers ({error})") from None


def _looks_like_idx(path) -> bool:
    """IDX magic: two zero bytes then a type code (0x08..0x0E); gzipped files start 1f 8b."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return "idx" in os.path.basename(path).lower()
    return len(head) == 4 and head[:2] == b"\x00\x00" and head[2] in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)


def run(args) -> int:
    import numpy as np

    from ..serialization import load_model

    net = load_model(args.model)
    x = read_inputs(args.input)
    if x.shape[1] != net.n_inputs:
        raise ValueError(f"{args.input} has {x.shape[1]} features per row but {args.model} takes {net.n_inputs}")
    a = net.feedforward(x)
    labels = net.labels_from_outputs(a)
    try:
        with np.printoptions(precision=4, suppress=True):
            for label, row in zip(labels, a):
                print(f"{label}  {np.array2string(row, separator=' ')}" if args.proba else label)
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. 'bprop predict ... | head': the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
