"""Data sets: the MNIST loader and the IDX file format it is stored in."""

from bprop.datasets.idx import read_idx, write_idx
from bprop.datasets.mnist import load_mnist

from bprop.datasets.digits import load_digits

__all__ = ["load_digits", "load_mnist", "read_idx", "write_idx"]
